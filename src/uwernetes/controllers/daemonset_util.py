"""Pure decisions of the DaemonSet controller (upstream's `pkg/controller/daemon/util`,
`daemon_controller.go` NodeShouldRunDaemonPod/podsShouldBeOnNode and `update.go` rollingUpdate).

Which nodes should run a daemon pod (nodeName, nodeSelector, required node affinity, taints
against the pod's tolerations including the ones every daemon pod gets), what a daemon pod for
a node looks like (pinned with a `metadata.name` matchFields term; the scheduler binds it),
and which pods a rolling update may replace within maxUnavailable or maxSurge.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from uwernetes.controllers import deployment_util as du
from uwernetes.controllers import workload_common as wc

Obj = dict[str, Any]

REVISION_HASH_LABEL = "controller-revision-hash"
TEMPLATE_GENERATION_LABEL = "pod-template-generation"
TEMPLATE_GENERATION_ANNOTATION = "deprecated.daemonset.template.generation"

# AddOrUpdateDaemonPodTolerations: every daemon pod tolerates these.
DAEMON_TOLERATIONS = (
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
)
HOST_NETWORK_TOLERATION = {"key": "node.kubernetes.io/network-unavailable", "operator": "Exists", "effect": "NoSchedule"}


def spec(ds: Obj) -> Obj:
    return ds.get("spec") or {}


def template_generation(ds: Obj) -> str | None:
    return ((ds.get("metadata") or {}).get("annotations") or {}).get(TEMPLATE_GENERATION_ANNOTATION)


def add_daemon_tolerations(pod_spec: Obj) -> None:
    """Add the tolerations every daemon pod has, unless an equal one is already there."""
    tolerations = list(pod_spec.get("tolerations") or ())
    wanted = list(DAEMON_TOLERATIONS)
    if pod_spec.get("hostNetwork"):
        wanted.append(HOST_NETWORK_TOLERATION)
    for t in wanted:
        # AddOrUpdateTolerationInPodSpec: same key, operator, value and effect means "already there".
        if not any(_same_toleration(x, t) for x in tolerations):
            tolerations.append(dict(t))
    pod_spec["tolerations"] = tolerations


def _same_toleration(a: Obj, b: Obj) -> bool:
    return all((a.get(k) or "") == (b.get(k) or "") for k in ("key", "operator", "value", "effect"))


def pin_to_node(pod_spec: Obj, node_name: str) -> None:
    """ReplaceDaemonSetPodNodeNameNodeAffinity: required terms become one matchFields metadata.name term."""
    term = {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node_name]}]}
    affinity = pod_spec.get("affinity")
    if not isinstance(affinity, dict):
        affinity = pod_spec["affinity"] = {}
    node_affinity = affinity.get("nodeAffinity")
    if not isinstance(node_affinity, dict):
        node_affinity = affinity["nodeAffinity"] = {}
    node_affinity["requiredDuringSchedulingIgnoredDuringExecution"] = {"nodeSelectorTerms": [term]}


def target_node(pod: Obj) -> str:
    """GetTargetNodeName: spec.nodeName, or the node named by the pinning term while unscheduled."""
    node = (pod.get("spec") or {}).get("nodeName")
    if node:
        return node
    required = ((((pod.get("spec") or {}).get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution") or {})
    for term in required.get("nodeSelectorTerms") or ():
        for f in term.get("matchFields") or ():
            if f.get("key") == "metadata.name" and f.get("operator") == "In" and len(f.get("values") or ()) == 1:
                return f["values"][0]
    return ""


def new_pod_spec(ds: Obj) -> Obj:
    """The template's pod spec with the daemon tolerations (NewPod without a node)."""
    pod_spec = copy.deepcopy(((spec(ds).get("template") or {}).get("spec")) or {})
    add_daemon_tolerations(pod_spec)
    return pod_spec


def daemon_pod(ds: Obj, node_name: str, hash_: str) -> Obj:
    """CreatePodTemplate + pinning: labels carry the revision hash and template generation."""
    template = copy.deepcopy(spec(ds).get("template") or {})
    md = template.setdefault("metadata", {})
    labels = md.setdefault("labels", {})
    generation = template_generation(ds)
    if generation is not None:
        labels[TEMPLATE_GENERATION_LABEL] = generation
    if hash_:
        labels[REVISION_HASH_LABEL] = hash_
    template["spec"] = new_pod_spec(ds)
    pin_to_node(template["spec"], node_name)
    return wc.pod_from_template(template, ds, wc.owner_ref_for(ds, "apps/v1", "DaemonSet"))


# --- node eligibility ---


def _match_expression(expr: Obj, value_of: Any) -> bool:
    key, op, values = expr.get("key", ""), expr.get("operator"), expr.get("values") or []
    have = value_of(key)
    if op == "In":
        return have is not None and have in values
    if op == "NotIn":
        return have is None or have not in values
    if op == "Exists":
        return have is not None
    if op == "DoesNotExist":
        return have is None
    if op in ("Gt", "Lt"):
        try:
            h, w = int(have), int(values[0])
        except (TypeError, ValueError, IndexError):
            return False
        return h > w if op == "Gt" else h < w
    return False


def node_matches_term(term: Obj, node: Obj) -> bool:
    labels = (node.get("metadata") or {}).get("labels") or {}
    name = (node.get("metadata") or {}).get("name")
    exprs, fields = term.get("matchExpressions") or [], term.get("matchFields") or []
    if not exprs and not fields:
        return False
    return all(_match_expression(e, labels.get) for e in exprs) and all(
        _match_expression(f, lambda k: name if k == "metadata.name" else None) for f in fields)


def fits_node_affinity(pod_spec: Obj, node: Obj) -> bool:
    """nodeSelector and requiredDuringSchedulingIgnoredDuringExecution (GetRequiredNodeAffinity.Match)."""
    labels = (node.get("metadata") or {}).get("labels") or {}
    for k, v in (pod_spec.get("nodeSelector") or {}).items():
        if labels.get(k) != v:
            return False
    required = (((pod_spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution"))
    if isinstance(required, dict):
        return any(node_matches_term(t, node) for t in required.get("nodeSelectorTerms") or ())
    return True


def tolerates(toleration: Obj, taint: Obj) -> bool:
    if toleration.get("effect") and toleration["effect"] != taint.get("effect"):
        return False
    if toleration.get("key") and toleration["key"] != taint.get("key"):
        return False
    op = toleration.get("operator") or "Equal"
    if op == "Exists":
        return True
    return op == "Equal" and (toleration.get("value") or "") == (taint.get("value") or "")


def has_untolerated(taints: list[Obj], tolerations: list[Obj], effects: tuple[str, ...]) -> bool:
    return any(t.get("effect") in effects and not any(tolerates(x, t) for x in tolerations) for t in taints)


def should_run(ds: Obj, node: Obj) -> tuple[bool, bool]:
    """NodeShouldRunDaemonPod: (should run a pod there, an existing pod may keep running)."""
    pod_spec = new_pod_spec(ds)
    node_name = (node.get("metadata") or {}).get("name")
    if pod_spec.get("nodeName") and pod_spec["nodeName"] != node_name:
        return False, False
    if not fits_node_affinity(pod_spec, node):
        return False, False
    taints = (node.get("spec") or {}).get("taints") or []
    tolerations = pod_spec.get("tolerations") or []
    if has_untolerated(taints, tolerations, ("NoSchedule", "NoExecute")):
        return False, not has_untolerated(taints, tolerations, ("NoExecute",))
    return True, True


# --- pods per node ---


def is_updated(pod: Obj, hash_: str, generation: str | None) -> bool:
    """IsPodUpdated: the revision hash matches, or the template generation does."""
    labels = (pod.get("metadata") or {}).get("labels") or {}
    return (bool(hash_) and labels.get(REVISION_HASH_LABEL) == hash_) or (
        generation is not None and labels.get(TEMPLATE_GENERATION_LABEL) == generation)


def _created_key(pod: Obj) -> tuple[str, str]:
    m = pod.get("metadata") or {}
    return m.get("creationTimestamp") or "", m.get("name") or ""


def allows_surge(ds: Obj) -> bool:
    strategy = spec(ds).get("updateStrategy") or {}
    if strategy.get("type") != "RollingUpdate":
        return False
    ru = strategy.get("rollingUpdate") or {}
    return du.scaled_value(ru.get("maxSurge") or 0, 1, True) > 0


def pods_to_prune(ds: Obj, pods: list[Obj], hash_: str, now: datetime) -> list[Obj]:
    """Excess running pods on a node that should keep one (podsShouldBeOnNode, running part)."""
    running = sorted((p for p in pods if not wc.is_deleting(p)), key=_created_key)
    if len(running) <= 1:
        return []
    if not allows_surge(ds):
        return running[1:]
    min_ready = int(spec(ds).get("minReadySeconds") or 0)
    generation = template_generation(ds)
    oldest_new = oldest_old = None
    out = []
    for p in running:
        if is_updated(p, hash_, generation):
            if oldest_new is None:
                oldest_new = p
                continue
        elif oldest_old is None:
            oldest_old = p
            continue
        out.append(p)
    if oldest_new is not None and oldest_old is not None and (
            not wc.is_pod_ready(oldest_old) or wc.is_pod_available(oldest_new, min_ready, now)):
        out.append(oldest_old)
    return out


def find_updated_pods(pods: list[Obj], hash_: str, generation: str | None) -> tuple[Obj | None, Obj | None, bool]:
    """findUpdatedPodsOnNode: (new pod, old pod, ok); not ok when there are two of either."""
    new = old = None
    for p in pods:
        if wc.is_deleting(p):
            continue
        if is_updated(p, hash_, generation):
            if new is not None:
                return None, None, False
            new = p
        else:
            if old is not None:
                return None, None, False
            old = p
    return new, old, True


def max_surge_unavailable(ds: Obj, desired: int) -> tuple[int, int]:
    """updatedDesiredNodeCounts: both percentages round up; never both zero."""
    ru = (spec(ds).get("updateStrategy") or {}).get("rollingUpdate") or {}
    surge = du.scaled_value(ru.get("maxSurge") or 0, desired, True)
    unavailable = du.scaled_value(ru.get("maxUnavailable") if ru.get("maxUnavailable") is not None else 1, desired, True)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def rolling_update(ds: Obj, node_pods: dict[str, list[Obj]], run_nodes: set[str], hash_: str,
                   now: datetime) -> tuple[list[Obj], list[str]]:
    """rollingUpdate: (old pods to delete, nodes to create a new pod on) this round."""
    min_ready = int(spec(ds).get("minReadySeconds") or 0)
    generation = template_generation(ds)
    surge, unavailable = max_surge_unavailable(ds, len(run_nodes))
    if surge == 0:
        num_unavailable = 0
        allowed: list[Obj] = []
        candidates: list[Obj] = []
        for node in sorted(node_pods):
            new, old, ok = find_updated_pods(node_pods[node], hash_, generation)
            if not ok or (old is None) == (new is None):
                # The manage loop fixes this node; count it as unavailable meanwhile.
                num_unavailable += 1
            elif new is not None:
                if not wc.is_pod_available(new, min_ready, now):
                    num_unavailable += 1
            elif not wc.is_pod_available(old, min_ready, now):
                allowed.append(old)
            elif num_unavailable < unavailable:
                candidates.append(old)
        remaining = max(0, min(unavailable - num_unavailable, len(candidates)))
        return allowed + candidates[:remaining], []
    old_to_delete: list[Obj] = []
    allowed_nodes: list[str] = []
    candidate_nodes: list[str] = []
    num_surge = 0
    for node in sorted(node_pods):
        new, old, ok = find_updated_pods(node_pods[node], hash_, generation)
        if not ok:
            num_surge += 1
            continue
        if old is None:
            continue
        if new is None:
            if not wc.is_pod_available(old, min_ready, now):
                if node not in run_nodes:
                    old_to_delete.append(old)
                else:
                    allowed_nodes.append(node)
            elif num_surge < surge:
                candidate_nodes.append(node)
            continue
        if not wc.is_pod_available(new, min_ready, now):
            num_surge += 1
            continue
        old_to_delete.append(old)
    remaining = max(0, min(surge - num_surge, len(candidate_nodes)))
    return old_to_delete, allowed_nodes + candidate_nodes[:remaining]


def compute_status(ds: Obj, nodes: list[Obj], node_pods: dict[str, list[Obj]], hash_: str, now: datetime) -> Obj:
    """updateDaemonSetStatus's counters."""
    min_ready = int(spec(ds).get("minReadySeconds") or 0)
    generation = template_generation(ds)
    desired = current = ready = available = updated = misscheduled = 0
    for node in nodes:
        name = (node.get("metadata") or {}).get("name")
        run, _ = should_run(ds, node)
        pods = node_pods.get(name) or []
        if run:
            desired += 1
            if pods:
                current += 1
                pod = sorted(pods, key=_created_key)[0]
                if wc.is_pod_ready(pod):
                    ready += 1
                    if wc.is_pod_available(pod, min_ready, now):
                        available += 1
                if is_updated(pod, hash_, generation):
                    updated += 1
        elif pods:
            misscheduled += 1
    return {"currentNumberScheduled": current, "numberMisscheduled": misscheduled,
            "desiredNumberScheduled": desired, "numberReady": ready, "updatedNumberScheduled": updated,
            "numberAvailable": available, "numberUnavailable": desired - available,
            "observedGeneration": (ds.get("metadata") or {}).get("generation", 0)}
