"""NodeUnschedulable (Filter): cordoned nodes take only pods that tolerate the unschedulable taint.

Mirrors upstream `pkg/scheduler/framework/plugins/nodeunschedulable/node_unschedulable.go`.
"""

from __future__ import annotations

from uwernetes.scheduler import framework
from uwernetes.scheduler.plugins import taint_toleration

NAME = "NodeUnschedulable"
ERR_REASON_UNSCHEDULABLE = "node(s) were unschedulable"
ERR_REASON_UNKNOWN_CONDITION = "node(s) had unknown conditions"
TAINT_UNSCHEDULABLE = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}


def filter(state: framework.CycleState, pod: framework.PodInfo, node: framework.NodeInfo) -> framework.Status | None:
    if not node.node:
        return framework.unresolvable(ERR_REASON_UNKNOWN_CONDITION, plugin=NAME)
    if node.unschedulable and not taint_toleration.tolerates_any(pod.tolerations, TAINT_UNSCHEDULABLE):
        return framework.unresolvable(ERR_REASON_UNSCHEDULABLE, plugin=NAME)
    return None
