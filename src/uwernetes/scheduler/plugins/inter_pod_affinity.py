"""InterPodAffinity (PreFilter, Filter): required pod affinity and anti-affinity, both the
incoming pod's and that of pods already placed.

Mirrors upstream `pkg/scheduler/framework/plugins/interpodaffinity/filtering.go`. Counts are
per topology pair (key, value) and computed once per cycle. Namespace selectors that are not
empty are not evaluated (the scheduler keeps no namespace cache): such a term only covers the
namespaces it lists.
"""

from __future__ import annotations

from uwernetes.scheduler import framework

NAME = "InterPodAffinity"
ERR_REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules"
ERR_REASON_AFFINITY = "node(s) didn't match pod affinity rules"
ERR_REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules"
STATE_ANTI_AFFINITY_NODES = "nodes_with_required_anti_affinity"
_KEY = NAME + "/filter"

Counts = dict[tuple[str, str], int]


class _State:
    __slots__ = ("existing_anti", "affinity", "anti", "pod")

    def __init__(self, pod: framework.PodInfo) -> None:
        self.pod = pod
        self.existing_anti: Counts = {}
        self.affinity: Counts = {}
        self.anti: Counts = {}


def _bump(counts: Counts, node: framework.NodeInfo, key: str) -> None:
    value = node.labels.get(key)
    if value is not None:
        counts[(key, value)] = counts.get((key, value), 0) + 1


def pre_filter(state: framework.CycleState, pod: framework.PodInfo, all_nodes: list[framework.NodeInfo]) -> None:
    anti_nodes: list[framework.NodeInfo] = state.get(STATE_ANTI_AFFINITY_NODES) or []
    if not (pod.affinity or pod.anti_affinity or anti_nodes):
        return
    st = _State(pod)
    for node in anti_nodes:
        for existing in node.pods.values():
            for term in existing.anti_affinity:
                if term.matches(pod):
                    _bump(st.existing_anti, node, term.topology_key)
    if pod.affinity or pod.anti_affinity:
        for node in all_nodes:
            for existing in node.pods.values():
                if pod.affinity and all(t.matches(existing) for t in pod.affinity):
                    for t in pod.affinity:
                        _bump(st.affinity, node, t.topology_key)
                for t in pod.anti_affinity:
                    if t.matches(existing):
                        _bump(st.anti, node, t.topology_key)
    state[_KEY] = st


def _satisfies_affinity(st: _State, node: framework.NodeInfo) -> bool:
    exist = True
    for t in st.pod.affinity:
        value = node.labels.get(t.topology_key)
        if value is None:
            return False
        if st.affinity.get((t.topology_key, value), 0) <= 0:
            exist = False
    if not exist:
        # The first pod of a group that attracts itself may go anywhere with the topologies.
        return not st.affinity and all(t.matches(st.pod) for t in st.pod.affinity)
    return True


def filter(state: framework.CycleState, pod: framework.PodInfo, node: framework.NodeInfo) -> framework.Status | None:
    st: _State | None = state.get(_KEY)
    if st is None:
        return None
    if not _satisfies_affinity(st, node):
        return framework.unresolvable(ERR_REASON_AFFINITY, plugin=NAME)
    for t in pod.anti_affinity:
        value = node.labels.get(t.topology_key)
        if value is not None and st.anti.get((t.topology_key, value), 0) > 0:
            return framework.unschedulable(ERR_REASON_ANTI_AFFINITY, plugin=NAME)
    if st.existing_anti:
        for k, v in node.labels.items():
            if st.existing_anti.get((k, v), 0) > 0:
                return framework.unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY, plugin=NAME)
    return None
