"""NodePorts (Filter): a pod's hostPorts must be free on the node.

Mirrors upstream `pkg/scheduler/framework/plugins/nodeports/node_ports.go` and
`HostPortInfo.CheckConflict`: 0.0.0.0 conflicts with every address on the same protocol/port.
"""

from __future__ import annotations

from uwernetes.scheduler import framework

NAME = "NodePorts"
ERR_REASON = "node(s) didn't have free ports for the requested pod ports"
WILDCARD = "0.0.0.0"


def conflicts(wanted: list[tuple[str, str, int]], used: dict[tuple[str, str, int], int]) -> bool:
    if not wanted or not used:
        return False
    for ip, proto, port in wanted:
        if ip == WILDCARD:
            if any(p == port and pr == proto for (_, pr, p) in used):
                return True
        elif (ip, proto, port) in used or (WILDCARD, proto, port) in used:
            return True
    return False


def filter(state: framework.CycleState, pod: framework.PodInfo, node: framework.NodeInfo) -> framework.Status | None:
    if conflicts(pod.ports, node.used_ports):
        return framework.unschedulable(ERR_REASON, plugin=NAME)
    return None
