"""SchedulingGates (PreEnqueue): a pod with gates never enters the active queue.

Mirrors upstream `pkg/scheduler/framework/plugins/schedulinggates/scheduling_gates.go`. PreEnqueue
is cheap by contract: no I/O, only the pod itself.
"""

from __future__ import annotations

from uwernetes.scheduler import framework

NAME = "SchedulingGates"


def pre_enqueue(pod: dict) -> framework.Status | None:
    gates = (pod.get("spec") or {}).get("schedulingGates") or []
    if not gates:
        return None
    names = [g.get("name", "") for g in gates]
    return framework.unresolvable(f"waiting for scheduling gates: {framework.go_string_slice(names)}", plugin=NAME)
