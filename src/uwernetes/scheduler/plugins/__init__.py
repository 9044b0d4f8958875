"""The default plugin set (kube-scheduler v1 defaults): name -> module, in upstream's order.

Mirrors `pkg/scheduler/framework/plugins/registry.go` and `apis/config/v1/default_plugins.go`.
The framework calls whichever hooks a module defines: `pre_enqueue`, `pre_filter`, `filter`,
`pre_score`, `score`, `normalize`, and reads `WEIGHT` for scores.
"""

from __future__ import annotations

from types import ModuleType

from uwernetes.scheduler.plugins import (
    balanced_allocation,
    inter_pod_affinity,
    node_affinity,
    node_name,
    node_ports,
    node_resources_fit,
    node_unschedulable,
    pod_topology_spread,
    scheduling_gates,
    taint_toleration,
)

PRE_ENQUEUE: tuple[ModuleType, ...] = (scheduling_gates,)
# Filter order is upstream's MultiPoint order; the first plugin to reject a node decides its reason.
FILTERS: tuple[ModuleType, ...] = (
    node_unschedulable, node_name, taint_toleration, node_affinity, node_ports, node_resources_fit,
    pod_topology_spread, inter_pod_affinity,
)
PRE_FILTERS: tuple[ModuleType, ...] = (pod_topology_spread, inter_pod_affinity)
SCORES: tuple[ModuleType, ...] = (
    taint_toleration, node_affinity, node_resources_fit, pod_topology_spread, balanced_allocation,
)
REGISTRY: dict[str, ModuleType] = {m.NAME: m for m in (*PRE_ENQUEUE, *FILTERS, *SCORES)}
