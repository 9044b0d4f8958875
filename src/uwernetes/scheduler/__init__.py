"""kube-scheduler: a queue with PreEnqueue (scheduling gates), filter and score plugins, binding.

Layout (upstream v1.30 `pkg/scheduler` in small modules): `framework` (Status, PodInfo, NodeInfo,
FitError message), `plugins/` (one module per default plugin), `queue` (activeQ/backoffQ/
unschedulable/gated), `cache` (NodeInfos from informers, assumed pods), `algorithm` (one cycle,
with node sampling), `preemption`, `events`, `metrics`, `scheduler` (the wiring), `main` (entry).

Known differences from upstream: PodDisruptionBudgets are ignored by preemption; nominated pods
reserve nothing on their nominated node for other pods; non-empty namespaceSelectors in pod
(anti-)affinity terms match no extra namespaces; the system default topology spreading selects
"pods with the same controller" instead of building a selector from Services and controllers;
InterPodAffinity and ImageLocality do not score.
"""
