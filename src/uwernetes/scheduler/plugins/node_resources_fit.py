"""NodeResourcesFit (Filter, Score LeastAllocated): requests must fit in what is left of the
node's allocatable; emptier nodes score higher.

Mirrors upstream `pkg/scheduler/framework/plugins/noderesources/fit.go` (`fitsRequest`) and
`least_allocated.go` with the default cpu:1, memory:1 weights. Filtering uses the real requests;
scoring uses the non-zero ones (100m / 200Mi for containers that ask for nothing).
"""

from __future__ import annotations

from uwernetes.scheduler import framework, resources

NAME = "NodeResourcesFit"
WEIGHT = 1
TOO_MANY_PODS = "Too many pods"


def insufficient(pod: framework.PodInfo, node: framework.NodeInfo) -> list[str]:
    """fitsRequest: the reasons a pod does not fit, in upstream's order (pods, cpu, memory, ...)."""
    reasons = []
    if len(node.pods) + 1 > node.alloc_pods:
        reasons.append(TOO_MANY_PODS)
    req = pod.requests
    if not req:
        return reasons
    alloc, used = node.allocatable, node.requested
    for name in (resources.CPU, resources.MEMORY, resources.EPHEMERAL):
        want = req.get(name, 0)
        if want > 0 and want > alloc.get(name, 0) - used.get(name, 0):
            reasons.append(f"Insufficient {name}")
    for name in sorted(req):
        if name in (resources.CPU, resources.MEMORY, resources.EPHEMERAL, resources.PODS):
            continue
        want = req[name]
        if want > 0 and want > alloc.get(name, 0) - used.get(name, 0):
            reasons.append(f"Insufficient {name}")
    return reasons


def filter(state: framework.CycleState, pod: framework.PodInfo, node: framework.NodeInfo) -> framework.Status | None:
    reasons = insufficient(pod, node)
    if reasons:
        return framework.unschedulable(*reasons, plugin=NAME)
    return None


def least_allocated(requested: int, capacity: int) -> int:
    if capacity == 0 or requested > capacity:
        return 0
    return (capacity - requested) * framework.MAX_NODE_SCORE // capacity


def score_values(pod_cpu: int, pod_mem: int, node_cpu: int, node_mem: int, alloc_cpu: int, alloc_mem: int) -> int:
    """leastResourceScorer over cpu and memory, weight 1 each; a resource a node lacks is skipped."""
    total = weights = 0
    if alloc_cpu:
        total += least_allocated(node_cpu + pod_cpu, alloc_cpu)
        weights += 1
    if alloc_mem:
        total += least_allocated(node_mem + pod_mem, alloc_mem)
        weights += 1
    return total // weights if weights else 0


def score(state: framework.CycleState, pod: framework.PodInfo, node: framework.NodeInfo) -> int:
    return score_values(pod.nz_cpu, pod.nz_mem, node.nz_cpu, node.nz_mem, node.alloc_cpu, node.alloc_mem)
