"""PodTopologySpread (PreFilter, Filter, PreScore, Score): keep matching pods evenly spread over
topology domains.

Mirrors upstream `pkg/scheduler/framework/plugins/podtopologyspread/{filtering,scoring,common}.go`
(v1.30: nodeAffinityPolicy Honor and nodeTaintsPolicy Ignore by default, matchLabelKeys, minDomains).
Pods without constraints of their own get the system defaults (zone maxSkew 5, hostname maxSkew 3,
ScheduleAnyway) when a controller owns them; upstream derives the selector from the Services and
controllers that select the pod, here it is "pods of the same controller" (see the module README
note in scheduler/__init__.py).
"""

from __future__ import annotations

import math

from uwernetes.machinery import selectors
from uwernetes.scheduler import framework
from uwernetes.scheduler.plugins import node_affinity, taint_toleration

NAME = "PodTopologySpread"
WEIGHT = 2
ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints"
ERR_REASON_NODE_LABEL_NOT_MATCH = ERR_REASON_CONSTRAINTS_NOT_MATCH + " (missing required label)"
LABEL_HOSTNAME = "kubernetes.io/hostname"
LABEL_ZONE = "topology.kubernetes.io/zone"
DEFAULTING_KINDS = ("ReplicaSet", "ReplicationController", "StatefulSet")
STATE_OWNER_ZONES = NAME + "/owner-zones"  # zone -> pods of the pod's controller, if the cache knows
_FILTER_KEY = NAME + "/filter"
_SCORE_KEY = NAME + "/score"
_MATCH_ALL = selectors.LabelSelector()


def system_default_constraints(pod: framework.PodInfo) -> list[framework.SpreadConstraint]:
    owner = next((o for o in (pod.pod.get("metadata") or {}).get("ownerReferences") or ()
                  if o.get("controller") and o.get("kind") in DEFAULTING_KINDS), None)
    if owner is None:
        return []
    uid = owner.get("uid", "")
    return [framework.SpreadConstraint(3, LABEL_HOSTNAME, "ScheduleAnyway", _MATCH_ALL, 1, True, False, uid),
            framework.SpreadConstraint(5, LABEL_ZONE, "ScheduleAnyway", _MATCH_ALL, 1, True, False, uid)]


def _has_keys(node: framework.NodeInfo, constraints: list[framework.SpreadConstraint]) -> bool:
    return all(c.topology_key in node.labels for c in constraints)


def _included(c: framework.SpreadConstraint, pod: framework.PodInfo, node: framework.NodeInfo) -> bool:
    """MatchNodeInclusionPolicies."""
    if c.honor_node_affinity and not node_affinity.fits(pod, node):
        return False
    if c.honor_node_taints and taint_toleration.find_untolerated(node.hard_taints, pod.tolerations) is not None:
        return False
    return True


class _FilterState:
    __slots__ = ("constraints", "counts", "min_match", "domains")

    def __init__(self, constraints: list[framework.SpreadConstraint]) -> None:
        self.constraints = constraints
        self.counts: dict[tuple[str, str], int] = {}
        self.min_match: dict[str, int] = {}
        self.domains: dict[str, int] = {}


def pre_filter(state: framework.CycleState, pod: framework.PodInfo, all_nodes: list[framework.NodeInfo]) -> None:
    constraints = [c for c in pod.spread if c.when_unsatisfiable == "DoNotSchedule"]
    if not constraints:
        return
    fs = _FilterState(constraints)
    for node in all_nodes:
        if not _has_keys(node, constraints):
            continue
        for c in constraints:
            if not _included(c, pod, node):
                continue
            pair = (c.topology_key, node.labels[c.topology_key])
            fs.counts[pair] = fs.counts.get(pair, 0) + c.count_on(node, pod.namespace)
    for (key, _), n in fs.counts.items():
        fs.domains[key] = fs.domains.get(key, 0) + 1
        if key not in fs.min_match or n < fs.min_match[key]:
            fs.min_match[key] = n
    state[_FILTER_KEY] = fs


def filter(state: framework.CycleState, pod: framework.PodInfo, node: framework.NodeInfo) -> framework.Status | None:
    fs: _FilterState | None = state.get(_FILTER_KEY)
    if fs is None:
        return None
    for c in fs.constraints:
        value = node.labels.get(c.topology_key)
        if value is None:
            return framework.unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH, plugin=NAME)
        self_match = 1 if c.selector.matches(pod.labels) else 0
        match = fs.counts.get((c.topology_key, value), 0)
        min_match = fs.min_match.get(c.topology_key, 0)
        if fs.domains.get(c.topology_key, 0) < c.min_domains:
            min_match = 0
        if match + self_match - min_match > c.max_skew:
            return framework.unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH, plugin=NAME)
    return None


class _ScoreState:
    __slots__ = ("constraints", "counts", "weights", "ignored")

    def __init__(self, constraints: list[framework.SpreadConstraint]) -> None:
        self.constraints = constraints
        self.counts: dict[tuple[str, str], int] = {}
        self.weights: list[float] = []
        self.ignored: set[str] = set()


def pre_score(state: framework.CycleState, pod: framework.PodInfo, nodes: list[framework.NodeInfo],
              all_nodes: list[framework.NodeInfo], num_nodes: int | None = None) -> bool:
    """`num_nodes` overrides len(nodes) when `nodes` holds one representative per group of alike
    nodes (the counted path); only valid for the defaults, which ignore no node."""
    if pod.spread:
        constraints = [c for c in pod.spread if c.when_unsatisfiable == "ScheduleAnyway"]
        require_all = True
    else:
        constraints = system_default_constraints(pod)
        require_all = False
    if not constraints:
        return False
    ss = _ScoreState(constraints)
    sizes = [0] * len(constraints)
    for node in nodes:
        if require_all and not _has_keys(node, constraints):
            ss.ignored.add(node.name)
            continue
        for i, c in enumerate(constraints):
            if c.topology_key == LABEL_HOSTNAME:
                continue
            value = node.labels.get(c.topology_key)
            if value is None:
                continue
            pair = (c.topology_key, value)
            if pair not in ss.counts:
                ss.counts[pair] = 0
                sizes[i] += 1
    for i, c in enumerate(constraints):
        size = (len(nodes) if num_nodes is None else num_nodes) - len(ss.ignored) \
            if c.topology_key == LABEL_HOSTNAME else sizes[i]
        ss.weights.append(math.log(size + 2))
    owner_zones = state.get(STATE_OWNER_ZONES)
    if (ss.counts and owner_zones is not None and not require_all and not pod.node_selector
            and pod.required_terms is None and all(c.owner_uid for c in constraints)):
        # Every node is included (no node affinity, taints ignored), so the cache's per-zone
        # count of the controller's pods is the sum this loop would compute over all nodes.
        for pair in ss.counts:
            if pair[0] == LABEL_ZONE:
                ss.counts[pair] = owner_zones.get(pair[1], 0)
    elif ss.counts:
        for node in all_nodes:
            if require_all and not _has_keys(node, constraints):
                continue
            for c in constraints:
                if c.topology_key == LABEL_HOSTNAME or not _included(c, pod, node):
                    continue
                pair = (c.topology_key, node.labels.get(c.topology_key, ""))
                if pair in ss.counts:
                    ss.counts[pair] += c.count_on(node, pod.namespace)
    state[_SCORE_KEY] = ss
    return True


def score(state: framework.CycleState, pod: framework.PodInfo, node: framework.NodeInfo) -> int:
    ss: _ScoreState = state[_SCORE_KEY]
    if node.name in ss.ignored:
        return 0
    return score_labels(state, node.labels, [c.count_on(node, pod.namespace) for c in ss.constraints])


def score_labels(state: framework.CycleState, labels: dict[str, str], own_counts: list[int]) -> int:
    """A node's raw score from its labels and its own matching pods per constraint."""
    ss: _ScoreState = state[_SCORE_KEY]
    total = 0.0
    for i, c in enumerate(ss.constraints):
        value = labels.get(c.topology_key)
        if value is None:
            continue
        if c.topology_key == LABEL_HOSTNAME:
            cnt = own_counts[i]
        else:
            cnt = ss.counts.get((c.topology_key, value), 0)
        total += cnt * ss.weights[i] + (c.max_skew - 1)
    return math.floor(total + 0.5)  # Go's math.Round: halves away from zero


def normalize_with_names(state: framework.CycleState, names: list[str], scores: list[int]) -> None:
    ss: _ScoreState = state[_SCORE_KEY]
    valid = [s for n, s in zip(names, scores, strict=True) if n not in ss.ignored]
    if not valid:
        scores[:] = [0] * len(scores)
        return
    lo, hi = min(valid), max(valid)
    for i, (n, s) in enumerate(zip(names, scores, strict=True)):
        if n in ss.ignored:
            scores[i] = 0
        elif hi == 0:
            scores[i] = framework.MAX_NODE_SCORE
        else:
            scores[i] = framework.MAX_NODE_SCORE * (hi + lo - s) // hi


def normalize_values(scores: list[int]) -> None:
    """NormalizeScore when no node is ignored (the system defaults)."""
    if not scores:
        return
    lo, hi = min(scores), max(scores)
    for i, s in enumerate(scores):
        scores[i] = framework.MAX_NODE_SCORE if hi == 0 else framework.MAX_NODE_SCORE * (hi + lo - s) // hi
