"""DefaultPreemption (PostFilter): make room for an unschedulable pod by evicting lower-priority
pods on one node.

Mirrors upstream v1.30 `pkg/scheduler/framework/preemption/preemption.go` and
`plugins/defaultpreemption/default_preemption.go`: eligibility (preemptionPolicy), nodes where
preemption might help (rejected as Unschedulable, not UnschedulableAndUnresolvable), a dry run per
node (remove every lower-priority pod, check the fit, then reprieve victims from the most
important down), and `pickOneNodeForPreemption`'s order. PodDisruptionBudgets are not considered.
Pure: returns the decision; the scheduler deletes the victims and sets nominatedNodeName.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from uwernetes.scheduler import algorithm, framework
from uwernetes.scheduler.framework import Diagnosis, NodeInfo, PodInfo

NAME = "DefaultPreemption"
NOT_HELPFUL = "Preemption is not helpful for scheduling"
NO_VICTIMS = "No preemption victims found for incoming pod"
NEVER = "not eligible due to preemptionPolicy=Never."
TERMINATING = "not eligible due to a terminating pod on the nominated node."
MIN_CANDIDATE_NODES_PERCENTAGE = 10
MIN_CANDIDATE_NODES_ABSOLUTE = 100


@dataclass
class Result:
    node: str = ""
    victims: list[PodInfo] = field(default_factory=list)
    message: str = ""  # the PostFilter message ("preemption: ...") when no candidate was found


def _start_time(pi: PodInfo) -> str:
    st = pi.pod.get("status") or {}
    return st.get("startTime") or (pi.pod.get("metadata") or {}).get("creationTimestamp") or ""


def eligible(pod: PodInfo, nodes: dict[str, NodeInfo]) -> str:
    """PodEligibleToPreemptOthers: "" if eligible, else the reason."""
    if (pod.pod.get("spec") or {}).get("preemptionPolicy") == "Never":
        return NEVER
    nominated = (pod.pod.get("status") or {}).get("nominatedNodeName")
    if nominated and nominated in nodes:
        if any(p.deleting and p.priority < pod.priority for p in nodes[nominated].pods.values()):
            return TERMINATING
    return ""


def _num_candidates(n: int) -> int:
    want = max(n * MIN_CANDIDATE_NODES_PERCENTAGE // 100, MIN_CANDIDATE_NODES_ABSOLUTE)
    return min(want, n)


def select_victims(pod: PodInfo, node: NodeInfo, all_nodes: list[NodeInfo],
                   anti: list[NodeInfo]) -> tuple[list[PodInfo], framework.Status | None]:
    """SelectVictimsOnNode on a copy of the node."""
    trial = node.clone()
    potential = [p for p in trial.pods.values() if p.priority < pod.priority]
    for p in potential:
        trial.remove_pod(p.key)
    if not potential:
        return [], framework.unresolvable(NO_VICTIMS, plugin=NAME)
    nodes = [trial if n is node else n for n in all_nodes]

    def fits() -> framework.Status | None:
        state = algorithm.prepare_state(pod, nodes, anti)
        return algorithm.run_filters(state, pod, trial)

    st = fits()
    if st is not None:
        return [], st
    # Reprieve the most important first: higher priority, then the earlier started.
    potential.sort(key=lambda p: (-p.priority, _start_time(p)))
    victims = []
    for p in potential:
        trial.add_pod(p)
        if fits() is not None:
            trial.remove_pod(p.key)
            victims.append(p)
    return victims, None


def pick_one_node(candidates: list[tuple[NodeInfo, list[PodInfo]]]) -> tuple[NodeInfo, list[PodInfo]]:
    """pickOneNodeForPreemption (without PDBs): lowest top victim priority, lowest priority sum,
    fewest victims, latest start among the top victims, then the first."""
    def key(c: tuple[NodeInfo, list[PodInfo]]) -> tuple:
        victims = c[1]
        if not victims:
            return (-(2**63), 0, 0, "")
        top = max(v.priority for v in victims)
        total = sum(v.priority + 2**31 for v in victims)  # shifted so negative priorities add up sanely
        earliest = min(_start_time(v) for v in victims if v.priority == top)
        return (top, total, len(victims), _inverted(earliest))
    return min(candidates, key=key)


def _inverted(ts: str) -> tuple[int, ...]:
    return tuple(-ord(ch) for ch in ts)


def preempt(pod: PodInfo, all_nodes: list[NodeInfo], diagnosis: Diagnosis,
            anti: list[NodeInfo] | None = None, offset: int = 0) -> Result:
    nodes_by_name = {n.name: n for n in all_nodes}
    reason = eligible(pod, nodes_by_name)
    if reason:
        return Result(message="preemption: " + reason)
    statuses: dict[str, framework.Status] = {}
    potential: list[NodeInfo] = []
    for n in all_nodes:
        st = diagnosis.node_statuses.get(n.name)
        if st is not None and st.code == framework.UNRESOLVABLE:
            statuses[n.name] = framework.unresolvable(NOT_HELPFUL, plugin=NAME)
        else:
            potential.append(n)
    candidates: list[tuple[NodeInfo, list[PodInfo]]] = []
    if potential:
        want = _num_candidates(len(potential))
        for i in range(len(potential)):
            node = potential[(offset + i) % len(potential)]
            victims, st = select_victims(pod, node, all_nodes, anti or [])
            if st is not None:
                statuses[node.name] = st
                continue
            candidates.append((node, victims))
            if len(candidates) >= want:
                break
    if not candidates:
        msg = framework.fit_error_message(len(statuses), Diagnosis(node_statuses=statuses))
        return Result(message="preemption: " + msg)
    node, victims = pick_one_node(candidates)
    return Result(node=node.name, victims=victims)
