"""Feature gates: v1.30 defaults, parsing, locked and unknown gates."""

import pytest

from uwernetes.features import FeatureGateError, FeatureGates


def test_v130_defaults():
    g = FeatureGates()
    assert g.enabled("PodSchedulingReadiness") and g.enabled("NodeSwap") and g.enabled("ImageMaximumGCAge")
    assert not g.enabled("JobSuccessPolicy") and not g.enabled("UserNamespacesSupport")
    assert not g.enabled("NodeLogQuery") and not g.enabled("StorageVersionMigrator")


def test_parse_flag():
    g = FeatureGates.parse("JobSuccessPolicy=true, NodeSwap=false")
    assert g.enabled("JobSuccessPolicy") and not g.enabled("NodeSwap")


@pytest.mark.parametrize(
    "spec, message",
    [
        ("SecurityContextDeny=true", "unrecognized feature gate: SecurityContextDeny"),
        ("Bogus=true", "unrecognized feature gate: Bogus"),
        ("PodSchedulingReadiness=false", "cannot set feature gate PodSchedulingReadiness to false, feature is locked to true"),
        ("JobSuccessPolicy", "missing bool value for JobSuccessPolicy"),
    ],
)
def test_rejected(spec, message):
    with pytest.raises(FeatureGateError) as e:
        FeatureGates.parse(spec)
    assert str(e.value) == message
