"""workload_common.label_matcher: the fast path must answer exactly as LabelSelector.matches."""

from __future__ import annotations

import pytest

from uwernetes.controllers import workload_common as wc
from uwernetes.machinery.selectors import LabelSelector, Requirement, selector_from_label_selector

SELECTORS = [
    {"matchLabels": {"app": "web"}},
    {"matchLabels": {"app": "web", "pod-template-hash": "abc"}},
    {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web"]}]},
    {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "db"]}]},
    {"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["x"]}]},
    {"matchExpressions": [{"key": "tier", "operator": "Exists"}]},
    {"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]},
]
LABELS = [None, {}, {"app": "web"}, {"app": "db"}, {"app": "web", "pod-template-hash": "abc"},
          {"app": "web", "pod-template-hash": "xyz", "tier": "x"}, {"tier": "y"}, {"app": "web", "tier": "y"}]


@pytest.mark.parametrize("sel", SELECTORS)
def test_label_matcher_agrees_with_selector(sel):
    selector = selector_from_label_selector(sel)
    matcher = wc.label_matcher(selector)
    assert [matcher(labels) for labels in LABELS] == [selector.matches(labels) for labels in LABELS]


@pytest.mark.parametrize("reqs, labels, want", [
    ([], {"a": "b"}, True),  # the empty selector matches everything
    ([Requirement("a", "=", ("1",)), Requirement("a", "=", ("2",))],
     {"a": "1"}, False),  # contradictory requirements on one key match nothing
    ([Requirement("a", "=", ("1",)), Requirement("b", "in", ("2",))], {"a": "1", "b": "2", "c": "3"}, True),
    ([Requirement("a", "=", ("1",))], {"a": "2"}, False),
])
def test_label_matcher_edge_cases(reqs, labels, want):
    assert wc.label_matcher(LabelSelector(reqs))(labels) is want
