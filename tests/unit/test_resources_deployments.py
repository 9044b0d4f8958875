import copy
from datetime import UTC, datetime

import pytest

from uwernetes.apiserver.resources import deployments, replicasets
from uwernetes.apiserver.resources.base import Context
from uwernetes.machinery.errors import StatusError

D = deployments.DEPLOYMENTS.strategy
RS = replicasets.REPLICASETS.strategy
NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def msgs(errs):
    return [str(e) for e in errs]


def make(kind_strategy, labels=None, selector=None, **spec):
    obj = {
        "metadata": {"name": "web", "namespace": "default", "uid": "u1", "resourceVersion": "7", "creationTimestamp": "2024-05-01T11:00:00Z"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}} if selector is None else selector,
            "template": {"metadata": {"labels": {"app": "web"} if labels is None else labels},
                         "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}},
            **spec,
        },
    }
    kind_strategy.default(obj)
    return obj


def test_deployment_defaults():
    d = make(D)
    spec = d["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}
    assert spec["revisionHistoryLimit"] == 10
    assert spec["progressDeadlineSeconds"] == 600
    assert spec["template"]["spec"]["restartPolicy"] == "Always"
    assert make(RS)["spec"]["replicas"] == 1


@pytest.mark.parametrize("strategy", [D, RS], ids=["deployment", "replicaset"])
def test_selector_must_match_template(strategy):
    obj = make(strategy, labels={"app": "other", "tier": "fe"})
    assert msgs(strategy.validate(obj, Context())) == [
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"other", "tier":"fe"}: `selector` does not match template `labels`'
    ]


@pytest.mark.parametrize("strategy", [D, RS], ids=["deployment", "replicaset"])
def test_selector_required(strategy):
    obj = make(strategy)
    del obj["spec"]["selector"]
    assert msgs(strategy.validate(obj, Context())) == [
        "spec.selector: Required value",
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
    ]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param({"replicas": -1}, ["spec.replicas: Invalid value: -1: must be greater than or equal to 0"], id="negative replicas"),
        pytest.param(
            {"strategy": {"type": "Recreate", "rollingUpdate": {}}},
            ["spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"],
            id="recreate with rollingUpdate",
        ),
        pytest.param(
            {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 0}}},
            ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: may not be 0 when `maxSurge` is 0'],
            id="both zero",
        ),
        pytest.param(
            {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "120%", "maxSurge": 1}}},
            ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"120%"}: must not be greater than 100%'],
            id="over 100%",
        ),
        pytest.param(
            {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "x", "maxSurge": 1}}},
            ["spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"x\"}: "
             "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"],
            id="bad percent",
        ),
        pytest.param(
            {"progressDeadlineSeconds": 10, "minReadySeconds": 10},
            ["spec.progressDeadlineSeconds: Invalid value: 10: must be greater than minReadySeconds"],
            id="deadline vs minReady",
        ),
    ],
)
def test_deployment_validate(spec, expected):
    assert msgs(D.validate(make(D, **spec), Context())) == expected


def test_restart_policy_must_be_always():
    d = make(D)
    d["spec"]["template"]["spec"]["restartPolicy"] = "Never"
    assert 'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"' in msgs(D.validate(d, Context()))


@pytest.mark.parametrize("strategy", [D, RS], ids=["deployment", "replicaset"])
def test_selector_immutable(strategy):
    old = make(strategy)
    new = make(strategy, labels={"app": "web", "v": "2"}, selector={"matchLabels": {"app": "web", "v": "2"}})
    assert msgs(strategy.validate_update(new, old, Context())) == [
        'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "v":"2"}, '
        "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"
    ]


def test_generation_bumps_on_spec_or_annotations():
    old = make(D)
    old["metadata"]["generation"] = 3
    same = copy.deepcopy(old)
    D.prepare_for_update(same, old, Context())
    assert same["metadata"]["generation"] == 3
    annotated = copy.deepcopy(old)
    annotated["metadata"]["annotations"] = {"a": "b"}
    D.prepare_for_update(annotated, old, Context())
    assert annotated["metadata"]["generation"] == 4


def test_status_validation():
    d = make(D)
    d["status"] = {"replicas": 1, "readyReplicas": 2, "availableReplicas": 2}
    assert msgs(D.validate_status_update(d, {"status": {}}, Context())) == [
        "status.readyReplicas: Invalid value: 2: cannot be greater than status.replicas",
        "status.availableReplicas: Invalid value: 2: cannot be greater than status.replicas",
    ]
    rs = make(RS)
    rs["status"] = {"replicas": 2, "readyReplicas": 1, "availableReplicas": 2}
    assert msgs(RS.validate_status_update(rs, {}, Context())) == [
        "status.availableReplicas: Invalid value: 2: cannot be greater than readyReplicas"
    ]


def test_scale_round_trip():
    d = make(D, replicas=3)
    d["status"] = {"replicas": 2}
    assert deployments.to_scale(d) == {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {"name": "web", "namespace": "default", "uid": "u1", "resourceVersion": "7", "creationTimestamp": "2024-05-01T11:00:00Z"},
        "spec": {"replicas": 3},
        "status": {"replicas": 2, "selector": "app=web"},
    }
    scaled = deployments.apply_scale(d, {"spec": {"replicas": 5}, "metadata": {"resourceVersion": "7"}})
    assert scaled["spec"]["replicas"] == 5 and d["spec"]["replicas"] == 3
    with pytest.raises(StatusError) as exc:
        deployments.apply_scale(d, {"spec": {"replicas": -1}})
    assert exc.value.message == 'Scale.autoscaling "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0'
    with pytest.raises(StatusError) as exc:
        deployments.apply_scale(d, {"spec": {"replicas": 1}, "metadata": {"resourceVersion": "6"}})
    assert exc.value.code == 409
    assert deployments.DEPLOYMENTS.subresource("scale").kind == "Scale"


def test_printers():
    d = make(D, replicas=3, selector={"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "dev"]}]})
    d["status"] = {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2}
    assert deployments.table_row(d, NOW) == ["web", "2/3", 3, 2, "60m", "nginx", "nginx:1.25", "app=web,env in (dev,prod)"]
    rs = make(RS, replicas=2)
    rs["status"] = {"replicas": 2, "readyReplicas": 1}
    assert replicasets.table_row(rs, NOW) == ["web", 2, 2, 1, "60m", "nginx", "nginx:1.25", "app=web"]
    assert (deployments.DEPLOYMENTS.short_names, replicasets.REPLICASETS.short_names) == (("deploy",), ("rs",))
