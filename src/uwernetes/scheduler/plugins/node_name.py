"""NodeName (Filter): a pod that names a node fits only there.

Mirrors upstream `pkg/scheduler/framework/plugins/nodename/node_name.go`.
"""

from __future__ import annotations

from uwernetes.scheduler import framework

NAME = "NodeName"
ERR_REASON = "node(s) didn't match the requested node name"


def fits(pod: framework.PodInfo, node: framework.NodeInfo) -> bool:
    return not pod.node_name or pod.node_name == node.name


def filter(state: framework.CycleState, pod: framework.PodInfo, node: framework.NodeInfo) -> framework.Status | None:
    if fits(pod, node):
        return None
    return framework.unresolvable(ERR_REASON, plugin=NAME)
