"""NodeResourcesBalancedAllocation (Score): prefer nodes whose cpu and memory fill up evenly.

Mirrors upstream `pkg/scheduler/framework/plugins/noderesources/balanced_allocation.go` (v1.30:
real requests, not the non-zero defaults; fractions capped at 1; with two resources the standard
deviation is |a-b|/2).
"""

from __future__ import annotations

import math

from uwernetes.scheduler import framework, resources

NAME = "NodeResourcesBalancedAllocation"
WEIGHT = 1


def score_values(requested: list[int], allocatable: list[int]) -> int:
    fractions = []
    for req, alloc in zip(requested, allocatable, strict=True):
        if alloc == 0:
            continue
        fractions.append(min(req / alloc, 1.0))
    std = 0.0
    if len(fractions) == 2:
        std = abs((fractions[0] - fractions[1]) / 2)
    elif len(fractions) > 2:
        mean = sum(fractions) / len(fractions)
        std = math.sqrt(sum((f - mean) ** 2 for f in fractions) / len(fractions))
    return int((1 - std) * framework.MAX_NODE_SCORE)


def score(state: framework.CycleState, pod: framework.PodInfo, node: framework.NodeInfo) -> int:
    req, used = pod.requests, node.requested
    return score_values(
        [used.get(resources.CPU, 0) + req.get(resources.CPU, 0), used.get(resources.MEMORY, 0) + req.get(resources.MEMORY, 0)],
        [node.alloc_cpu, node.alloc_mem])
