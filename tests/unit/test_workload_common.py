"""workload_common fast paths: label_matcher answers exactly as LabelSelector.matches, and
pods_to_delete (ranking from facts read once per pod) orders exactly as comparing the pods directly."""

from __future__ import annotations

import functools
import math
import random
from datetime import UTC, datetime, timedelta

import pytest

from uwernetes.controllers import workload_common as wc
from uwernetes.machinery import meta
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


# --- pods_to_delete: ranking from precomputed facts equals the direct comparison ---

def _reference_compare(a, b, rank_a, rank_b, now):
    """ActivePodsWithRanks.Less read straight off the pods (what pods_to_delete must agree with)."""
    def ready_time(p):
        c = wc.pod_condition(p, "Ready")
        return meta.parse_time(c["lastTransitionTime"]) if c and c.get("status") == "True" and c.get("lastTransitionTime") else None

    def created(p):
        return meta.parse_time(p["metadata"]["creationTimestamp"])

    def bucket(t):
        d = (now - t).total_seconds() * 1e9
        return int(math.log2(d)) if d > 0 else -1

    def order(t1, t2, u1, u2):
        if t1 is None or t2 is None:
            return 0 if t1 is None and t2 is None else (-1 if t1 is None else 1)
        diff = bucket(t1) - bucket(t2)
        if diff == 0:
            return -1 if u1 < u2 else (1 if u1 > u2 else 0)
        return -1 if diff < 0 else 1

    na, nb = bool(a["spec"].get("nodeName")), bool(b["spec"].get("nodeName"))
    if na != nb:
        return -1 if not na else 1
    pa, pb = (PHASES.index(x["status"]["phase"]) for x in (a, b))
    if pa != pb:
        return -1 if pa < pb else 1
    ra, rb = wc.is_pod_ready(a), wc.is_pod_ready(b)
    if ra != rb:
        return -1 if not ra else 1
    ca, cb = wc.deletion_cost(a), wc.deletion_cost(b)
    if ca != cb:
        return -1 if ca < cb else 1
    if rank_a != rank_b:
        return -1 if rank_a > rank_b else 1
    if ra and rb and ready_time(a) != ready_time(b):
        o = order(ready_time(a), ready_time(b), wc.uid_of(a), wc.uid_of(b))
        if o:
            return o
    xa, xb = wc._max_restarts(a), wc._max_restarts(b)
    if xa != xb:
        return -1 if xa > xb else 1
    if created(a) != created(b):
        return order(created(a), created(b), wc.uid_of(a), wc.uid_of(b))
    return 0


PHASES = ["Pending", "Unknown", "Running"]
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _random_pod(rnd: random.Random, i: int) -> dict:
    def ts():
        return meta.format_time(NOW - timedelta(seconds=rnd.choice([0, 1, 2, 3, 5, 8, 30, 100, 1000])))

    status = {"phase": rnd.choice(PHASES)}
    if rnd.random() < 0.7:
        status["conditions"] = [{"type": "Ready", "status": rnd.choice(["True", "False"]), "lastTransitionTime": ts()}]
    if rnd.random() < 0.3:
        status["containerStatuses"] = [{"restartCount": rnd.randint(0, 2)}]
    md = {"name": f"p{i}", "uid": f"u{rnd.randint(0, 50):02d}", "creationTimestamp": ts()}
    if rnd.random() < 0.2:
        md["annotations"] = {wc.POD_DELETION_COST: str(rnd.randint(-1, 1))}
    return {"metadata": md, "spec": {"nodeName": rnd.choice(["", "n1", "n2", "n3"])}, "status": status}


@pytest.mark.parametrize("seed", range(5))
def test_pods_to_delete_matches_direct_comparison(seed):
    rnd = random.Random(seed)
    for _ in range(40):
        pods = [_random_pod(rnd, i) for i in range(rnd.randint(2, 30))]
        count = rnd.randint(1, len(pods) - 1)
        per_node: dict[str, int] = {}
        for p in pods:
            if p["spec"]["nodeName"]:
                per_node[p["spec"]["nodeName"]] = per_node.get(p["spec"]["nodeName"], 0) + 1

        ranks = {p["metadata"]["name"]: per_node.get(p["spec"]["nodeName"], 0) for p in pods}

        def cmp(a, b, ranks=ranks):
            return _reference_compare(a, b, ranks[a["metadata"]["name"]], ranks[b["metadata"]["name"]], NOW)

        want = sorted(pods, key=functools.cmp_to_key(cmp))[:count]
        assert [p["metadata"]["name"] for p in wc.pods_to_delete(pods, pods, count, NOW)] == \
            [p["metadata"]["name"] for p in want]
        a, b = pods[0], pods[1]
        assert wc.compare_for_deletion(a, b, 1, 2, NOW) == _reference_compare(a, b, 1, 2, NOW)
