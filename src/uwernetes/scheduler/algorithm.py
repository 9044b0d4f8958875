"""One scheduling cycle: filter nodes (a sample of them in big clusters), score, pick the best.

Mirrors upstream v1.30 `pkg/scheduler/schedule_one.go` (`schedulePod`, `findNodesThatFitPod`,
`findNodesThatPassFilters`, `numFeasibleNodesToFind`, `prioritizeNodes`, `selectHost`). Pure: it
reads NodeInfos and returns a node name or raises FitError; the caller owns the side effects.

The fast path: a *simple* pod (no ports, selectors, affinities or spread constraints) is judged by
the node's resources, taints and cordon only, and `NodeInfo.state_key` captures all of those. So
the verdict and the state-only scores are computed once per distinct node state in a cycle; at
5,000 nodes that turns ~500 plugin evaluations per pod into a handful.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from dataclasses import dataclass

from uwernetes.scheduler import framework
from uwernetes.scheduler.framework import CycleState, Diagnosis, NodeInfo, PodInfo, Status
from uwernetes.scheduler.plugins import (
    FILTERS,
    PRE_FILTERS,
    balanced_allocation,
    inter_pod_affinity,
    node_affinity,
    node_resources_fit,
    pod_topology_spread,
    taint_toleration,
)

MIN_FEASIBLE_NODES_TO_FIND = 100
MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5
BASE_PERCENTAGE_OF_NODES_TO_SCORE = 50


def num_feasible_nodes_to_find(num_all_nodes: int, percentage_of_nodes_to_score: int = 0) -> int:
    """How many feasible nodes to look for before scoring (adaptive: 50% at 100 nodes, >= 5%)."""
    if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND:
        return num_all_nodes
    pct = percentage_of_nodes_to_score
    if pct <= 0:
        pct = max(BASE_PERCENTAGE_OF_NODES_TO_SCORE - num_all_nodes // 125, MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND)
    return max(num_all_nodes * pct // 100, MIN_FEASIBLE_NODES_TO_FIND)


class FitError(Exception):
    def __init__(self, pod: PodInfo, num_all_nodes: int, diagnosis: Diagnosis) -> None:
        self.pod = pod
        self.num_all_nodes = num_all_nodes
        self.diagnosis = diagnosis
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return framework.fit_error_message(self.num_all_nodes, self.diagnosis)


@dataclass
class ScheduleResult:
    node: str
    evaluated: int
    feasible: int


def run_filters(state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
    """RunFilterPlugins: the first plugin that rejects decides."""
    for plugin in FILTERS:
        st = plugin.filter(state, pod, node)
        if st is not None:
            return st
    return None


def prepare_state(pod: PodInfo, nodes: list[NodeInfo], anti_affinity_nodes: list[NodeInfo]) -> CycleState:
    state = CycleState()
    state[inter_pod_affinity.STATE_ANTI_AFFINITY_NODES] = anti_affinity_nodes
    for plugin in PRE_FILTERS:
        plugin.pre_filter(state, pod, nodes)
    return state


def _base_score(pod: PodInfo, node: NodeInfo) -> tuple[int, int]:
    """(LeastAllocated + BalancedAllocation, raw TaintToleration count): they need only node state."""
    base = node_resources_fit.score(None, pod, node) * node_resources_fit.WEIGHT  # type: ignore[arg-type]
    base += balanced_allocation.score(None, pod, node) * balanced_allocation.WEIGHT  # type: ignore[arg-type]
    return base, taint_toleration.score(None, pod, node)  # type: ignore[arg-type]


def _zones_of(nodes: list[NodeInfo], c: framework.SpreadConstraint, pod: PodInfo) -> dict[str, int]:
    """Per-zone counts of the controller's pods when no cache index was handed in (tests)."""
    zones: dict[str, int] = {}
    for node in nodes:
        zone = node.labels.get(framework.LABEL_ZONE)
        if zone is not None:
            zones[zone] = zones.get(zone, 0) + c.count_on(node, pod.namespace)
    return zones


class Algorithm:
    def __init__(self, rng: random.Random | None = None, percentage_of_nodes_to_score: int = 0) -> None:
        self.rng = rng or random.Random()
        self.next_start_node_index = 0
        self.percentage = percentage_of_nodes_to_score

    def schedule(self, pod: PodInfo, nodes: list[NodeInfo], anti_affinity_nodes: list[NodeInfo] | None = None,
                 nominated: NodeInfo | None = None, keys: list[int] | None = None,
                 owner_nodes: dict[str, int] | None = None, owner_zones: dict[str, int] | None = None,
                 positions: dict[str, int] | None = None) -> ScheduleResult:
        """`keys[i]`, if given, names the state of `nodes[i]` (see Cache.keys): enables the counted path.
        `owner_nodes` / `owner_zones`, if given, count the pods of the pod's controller per node and
        per zone (default spreading; see Cache); `positions` maps node names to their index in `nodes`."""
        if not nodes:
            raise FitError(pod, 0, Diagnosis())
        anti = anti_affinity_nodes or []
        fast = pod.simple and not anti
        state = CycleState() if fast else prepare_state(pod, nodes, anti)
        if nominated is not None and run_filters(state, pod, nominated) is None:
            return ScheduleResult(nominated.name, 1, 1)
        if fast and keys is not None:
            return self._schedule_counted(pod, nodes, keys, owner_nodes, owner_zones, positions)
        feasible, diagnosis, memo = self._find_feasible(state, pod, nodes, fast)
        if not feasible:
            raise FitError(pod, len(nodes), diagnosis)
        if len(feasible) == 1:
            return ScheduleResult(feasible[0].name, len(feasible) + len(diagnosis.node_statuses), 1)
        totals = self._prioritize(state, pod, feasible, nodes,
                                  None if memo is None else [memo[node.state_key] for node in feasible])
        best = self._select_host(feasible, totals)
        return ScheduleResult(best, len(feasible) + len(diagnosis.node_statuses), len(feasible))

    def _schedule_counted(self, pod: PodInfo, nodes: list[NodeInfo], keys: list[int],
                          owner_nodes: dict[str, int] | None = None, owner_zones: dict[str, int] | None = None,
                          positions: dict[str, int] | None = None) -> ScheduleResult:
        """The same decision as the node-by-node path for a simple pod, made per node *state*.

        The sample is the same (the first `to_find` feasible nodes from the rotating start index),
        and so is the choice: the best total, ties broken uniformly among the sampled nodes.
        """
        n = len(nodes)
        to_find = num_feasible_nodes_to_find(n, self.percentage)
        start = self.next_start_node_index % n
        memo: dict[int, tuple] = {}
        state = CycleState()
        segments: list[tuple[int, list[int], Counter[int]]] = []
        feasible_counts: Counter[int] = Counter()
        found = processed = 0
        pos = start
        while processed < n and found < to_find:
            size = min(max(to_find - found, 64), n - processed)
            seg = keys[pos:pos + size] if pos + size <= n else keys[pos:] + keys[:pos + size - n]
            counts = Counter(seg)
            for sid in counts:
                if sid not in memo:
                    node = nodes[(pos + seg.index(sid)) % n]
                    st = run_filters(state, pod, node)
                    memo[sid] = (st, *(_base_score(pod, node) if st is None else (0, 0)))
            feasible_here = sum(c for sid, c in counts.items() if memo[sid][0] is None)
            if found + feasible_here > to_find:  # stop exactly at the to_find-th feasible node
                need = to_find - found
                for j, sid in enumerate(seg):
                    if memo[sid][0] is None:
                        need -= 1
                        if need == 0:
                            seg = seg[:j + 1]
                            break
                feasible_here = to_find - found
                counts = Counter(seg)
            for sid, c in counts.items():
                if memo[sid][0] is None:
                    feasible_counts[sid] += c
            segments.append((pos, seg, counts))
            found += feasible_here
            processed += len(seg)
            pos = (pos + len(seg)) % n
        self.next_start_node_index = (start + processed) % n
        if found == 0:
            diagnosis = Diagnosis()
            for i in range(n):
                st = memo[keys[i]][0]
                diagnosis.node_statuses[nodes[i].name] = st
                if st.plugin:
                    diagnosis.unschedulable_plugins.add(st.plugin)
            raise FitError(pod, n, diagnosis)
        constraints = pod_topology_spread.system_default_constraints(pod) if found > 1 else []
        if constraints and owner_zones is None:
            owner_zones = _zones_of(nodes, constraints[0], pod)
            owner_nodes = {node.name: c for node in nodes if (c := constraints[0].count_on(node, pod.namespace))}
        # Groups of interchangeable sampled feasible nodes: (state id, own replicas). A node holding
        # pods of the pod's own controller differs from its state for default spreading.
        singles: dict[str, tuple[int, int]] = {}
        if constraints and owner_nodes:
            index = positions if positions is not None else {node.name: i for i, node in enumerate(nodes)}
            for name, c in owner_nodes.items():
                i = index.get(name)
                if i is not None and (i - start) % n < processed and memo[keys[i]][0] is None:
                    singles[name] = (keys[i], c)
        groups: dict[tuple[int, int], int] = {(sid, 0): c for sid, c in feasible_counts.items()}
        for g in singles.values():
            groups[(g[0], 0)] -= 1
            groups[g] = groups.get(g, 0) + 1
        groups = {g: c for g, c in groups.items() if c}
        rep: dict[int, NodeInfo] = {}
        for p, seg, counts in segments:
            for sid in counts:
                if sid in feasible_counts and sid not in rep:
                    rep[sid] = nodes[(p + seg.index(sid)) % n]
        group_ids = list(groups)
        totals = {g: memo[g[0]][1] for g in group_ids}
        raw_taints = [memo[g[0]][2] for g in group_ids]
        if any(raw_taints):
            taint_toleration.normalize(None, pod, raw_taints)  # type: ignore[arg-type]
            for g, t in zip(group_ids, raw_taints, strict=True):
                totals[g] += t * taint_toleration.WEIGHT
        if constraints:
            state[pod_topology_spread.STATE_OWNER_ZONES] = owner_zones
            pod_topology_spread.pre_score(state, pod, list(rep.values()), nodes, num_nodes=found)
            host = [c.topology_key == pod_topology_spread.LABEL_HOSTNAME for c in constraints]
            raw = [pod_topology_spread.score_labels(state, rep[g[0]].labels, [g[1] if h else 0 for h in host])
                   for g in group_ids]
            pod_topology_spread.normalize_values(raw)
            for g, sc in zip(group_ids, raw, strict=True):
                totals[g] += sc * pod_topology_spread.WEIGHT
        best = max(totals.values())
        winners = {g for g, t in totals.items() if t == best}
        pick = self.rng.randrange(sum(groups[g] for g in winners)) if found > 1 else 0
        win_states = {g[0] for g in winners if g[1] == 0}
        for seg_pos, seg, counts in segments:
            if not singles:
                here = sum(counts.get(sid, 0) for sid in win_states)
                if pick >= here:
                    pick -= here
                    continue
                if here == len(seg):  # only winners in this segment: index straight in
                    return ScheduleResult(nodes[(seg_pos + pick) % n].name, processed, found)
                # the pick-th winner of the segment, found without a Python-level loop
                j = next(itertools.islice(itertools.compress(range(len(seg)), map(win_states.__contains__, seg)),
                                          pick, None))
                return ScheduleResult(nodes[(seg_pos + j) % n].name, processed, found)
            for j, sid in enumerate(seg):
                node = nodes[(seg_pos + j) % n]
                g = singles.get(node.name) or (sid, 0)
                if g in winners:
                    if pick == 0:
                        return ScheduleResult(node.name, processed, found)
                    pick -= 1
        raise AssertionError("unreachable: a winner was counted")

    def _find_feasible(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo],
                       fast: bool) -> tuple[list[NodeInfo], Diagnosis, dict | None]:
        n = len(nodes)
        to_find = num_feasible_nodes_to_find(n, self.percentage)
        start = self.next_start_node_index % n
        feasible: list[NodeInfo] = []
        diagnosis = Diagnosis()
        statuses = diagnosis.node_statuses
        memo: dict | None = {} if fast else None
        processed = 0
        for i in range(n):
            node = nodes[(start + i) % n]
            processed += 1
            if memo is not None:
                key = node.state_key
                verdict = memo.get(key)
                if verdict is None:
                    st = run_filters(state, pod, node)
                    verdict = memo[key] = (st, *(_base_score(pod, node) if st is None else (0, 0)))
                st = verdict[0]
            else:
                st = run_filters(state, pod, node)
            if st is None:
                feasible.append(node)
                if len(feasible) >= to_find:
                    break
            else:
                statuses[node.name] = st
                if st.plugin:
                    diagnosis.unschedulable_plugins.add(st.plugin)
        self.next_start_node_index = (start + processed) % n
        return feasible, diagnosis, memo

    def _prioritize(self, state: CycleState, pod: PodInfo, feasible: list[NodeInfo], all_nodes: list[NodeInfo],
                    verdicts: list[tuple] | None) -> list[int]:
        """Weighted totals per feasible node; `verdicts` are precomputed (status, base, taint) triples."""
        if verdicts is not None:
            totals = [v[1] for v in verdicts]
            taints = [v[2] for v in verdicts]
        else:
            totals = [_base_score(pod, node)[0] for node in feasible]
            taints = [taint_toleration.score(state, pod, node) for node in feasible]
        if any(taints):
            taint_toleration.normalize(state, pod, taints)
            totals = [t + s * taint_toleration.WEIGHT for t, s in zip(totals, taints, strict=True)]
        # else: every node scores 100 for taints; a constant changes no decision.
        if node_affinity.pre_score(state, pod, feasible, all_nodes):
            scores = [node_affinity.score(state, pod, node) for node in feasible]
            node_affinity.normalize(state, pod, scores)
            totals = [t + s * node_affinity.WEIGHT for t, s in zip(totals, scores, strict=True)]
        if pod_topology_spread.pre_score(state, pod, feasible, all_nodes):
            scores = [pod_topology_spread.score(state, pod, node) for node in feasible]
            pod_topology_spread.normalize_with_names(state, [n.name for n in feasible], scores)
            totals = [t + s * pod_topology_spread.WEIGHT for t, s in zip(totals, scores, strict=True)]
        return totals

    def _select_host(self, feasible: list[NodeInfo], totals: list[int]) -> str:
        """selectHost: the highest total; ties broken uniformly at random (reservoir sampling)."""
        best = totals[0]
        selected = feasible[0].name
        ties = 1
        rng = self.rng
        for node, total in zip(feasible[1:], totals[1:], strict=True):
            if total > best:
                best, selected, ties = total, node.name, 1
            elif total == best:
                ties += 1
                if rng.randrange(ties) == 0:
                    selected = node.name
        return selected


def score_nodes(pod: PodInfo, feasible: list[NodeInfo], all_nodes: list[NodeInfo] | None = None) -> dict[str, int]:
    """Total weighted scores per node (tests and debugging): the slow path, every plugin."""
    nodes = all_nodes or feasible
    state = prepare_state(pod, nodes, [])
    totals = Algorithm()._prioritize(state, pod, feasible, nodes, None)
    return {n.name: t for n, t in zip(feasible, totals, strict=True)}
