"""The Pod kind (core/v1): strategy, status strategy, binding, field selectors and printing.

Mirrors upstream v1.30 `pkg/registry/core/pod/strategy.go`, the binding part of
`pkg/registry/core/pod/storage/storage.go`, ValidatePodCreate/Update/StatusUpdate from
`pkg/apis/core/validation/validation.go`, `pkg/apis/core/v1/helper/qos` and `printPod` from
`pkg/printers/internalversion/printers.go`. The PodSpec itself is `podspec`'s business.
"""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime
from typing import Any

from uwernetes.apiserver.resources import podspec
from uwernetes.apiserver.resources.base import (
    Column,
    Context,
    Obj,
    Printer,
    ResourceType,
    Strategy,
    Subresource,
)
from uwernetes.machinery import duration, errors, field, meta, quantity, validation
from uwernetes.machinery.field import FieldError, Path

SCHEDULING_GATED = "SchedulingGated"
SCHEDULING_GATED_MESSAGE = "Scheduling is blocked due to non-empty scheduling gates"
NODE_LOST = "NodeLost"
APPARMOR_ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/"

# --------------------------------------------------------------------------------------------
# QoS (pkg/apis/core/v1/helper/qos)
# --------------------------------------------------------------------------------------------


def _positive(raw: Any) -> quantity.Quantity | None:
    try:
        q = quantity.parse(raw)
    except quantity.QuantityError:
        return None
    return q if q.value > 0 else None


def compute_pod_qos(pod: Obj) -> str:
    """ComputePodQOS: Guaranteed, Burstable or BestEffort from cpu/memory requests and limits."""
    spec = pod.get("spec") or {}
    # Sums are exact (Fractions, slow to add), so each distinct quantity text is parsed and added
    # once, times its count: a pod's containers mostly repeat the same few values.
    requests: dict[str, tuple[dict[str, int], list]] = {}
    limits: dict[str, tuple[dict[str, int], list]] = {}
    guaranteed = True
    for c in [*(spec.get("containers") or ()), *(spec.get("initContainers") or ())]:
        res = c.get("resources") or {}
        for name, raw in (res.get("requests") or {}).items():
            if name in ("cpu", "memory"):
                _count(requests, name, raw)
        found = set()
        for name, raw in (res.get("limits") or {}).items():
            if name in ("cpu", "memory") and _count(limits, name, raw):
                found.add(name)
        if found != {"cpu", "memory"}:
            guaranteed = False
    req_sums, lim_sums = _sums(requests), _sums(limits)
    if not req_sums and not lim_sums:
        return "BestEffort"
    if guaranteed and all(lim_sums.get(name) == value for name, value in req_sums.items()):
        if len(req_sums) == len(lim_sums):
            return "Guaranteed"
    return "Burstable"


def _count(acc: dict[str, tuple[dict[str, int], list]], name: str, raw: Any) -> bool:
    """Note one quantity for `name`; whether it is positive (what counts towards the sums)."""
    if type(raw) is str:
        value = _positive_text(raw)
        if value is None:
            return False
        texts, _ = acc.setdefault(name, ({}, []))
        texts[raw] = texts.get(raw, 0) + 1
        return True
    q = _positive(raw)
    if q is None:
        return False
    acc.setdefault(name, ({}, []))[1].append(q.value)
    return True


@functools.lru_cache(maxsize=4096)
def _positive_text(raw: str) -> Any:
    q = _positive(raw)
    return None if q is None else q.value


def _sums(acc: dict[str, tuple[dict[str, int], list]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, (texts, others) in acc.items():
        total: Any = 0
        for raw, n in texts.items():
            total = total + _positive_text(raw) * n
        for value in others:
            total = total + value
        out[name] = total
    return out


def get_pod_qos(pod: Obj) -> str:
    return (pod.get("status") or {}).get("qosClass") or compute_pod_qos(pod)


# --------------------------------------------------------------------------------------------
# conditions and binding
# --------------------------------------------------------------------------------------------


def update_pod_condition(status: Obj, condition: Obj, now: str) -> None:
    """podutil.UpdatePodCondition: replace the condition of that type, keeping the transition
    time when the status did not change."""
    new = {"type": condition["type"], "status": condition["status"], "lastProbeTime": None, "lastTransitionTime": now}
    for key in ("reason", "message"):
        if condition.get(key):
            new[key] = condition[key]
    conditions = status.setdefault("conditions", [])
    for i, old in enumerate(conditions):
        if old.get("type") == condition["type"]:
            if old.get("status") == condition["status"]:
                new["lastTransitionTime"] = old.get("lastTransitionTime")
            conditions[i] = new
            return
    conditions.append(new)


def apply_scheduling_gated_condition(pod: Obj, now: str) -> None:
    """Add PodScheduled=False/SchedulingGated to a new pod with gates, unless PodScheduled exists."""
    if not (pod.get("spec") or {}).get("schedulingGates"):
        return
    status = pod.setdefault("status", {})
    if any(c.get("type") == "PodScheduled" for c in status.get("conditions") or ()):
        return
    update_pod_condition(
        status, {"type": "PodScheduled", "status": "False", "reason": SCHEDULING_GATED, "message": SCHEDULING_GATED_MESSAGE}, now
    )


def validate_binding(binding: Obj) -> list[FieldError]:
    """ValidatePodBinding."""
    errs: list[FieldError] = []
    target = binding.get("target") or {}
    if target.get("kind") and target["kind"] != "Node":
        errs.append(field.not_supported("target.kind", target["kind"], ("Node", "<empty>")))
    if not target.get("name"):
        errs.append(field.required("target.name", ""))
    return errs


def apply_binding(pod: Obj, binding: Obj, now: str | None = None) -> Obj:
    """Bind a stored pod to `binding.target.name` (BindingREST.setPodHostAndAnnotations).

    Updates the pod it is given in place (the registry hands it a private copy) and returns it, or
    raises 409 Conflict on `pods/binding` with upstream's reasons.
    """
    name = (pod.get("metadata") or {}).get("name", "")
    node = (binding.get("target") or {}).get("name", "")

    def conflict(reason: str) -> errors.StatusError:
        return errors.conflict("pods/binding", name, reason)

    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        raise conflict(f"pod {name} is being deleted, cannot be assigned to a host")
    assigned = (pod.get("spec") or {}).get("nodeName")
    if assigned:
        raise conflict(f'pod {name} is already assigned to node "{assigned}"')
    if (pod.get("spec") or {}).get("schedulingGates"):
        raise conflict(f"pod {name} has non-empty .spec.schedulingGates")
    out = pod  # the registry hands us its own copy
    out.setdefault("spec", {})["nodeName"] = node
    annotations = (binding.get("metadata") or {}).get("annotations") or {}
    if annotations:
        out.setdefault("metadata", {}).setdefault("annotations", {}).update(annotations)
    update_pod_condition(out.setdefault("status", {}), {"type": "PodScheduled", "status": "True"}, now or meta.now_rfc3339())
    null_probe_times(out["status"])
    return out


def null_probe_times(status: Any) -> None:
    """PodCondition.lastProbeTime is a non-omitempty metav1.Time: upstream always serializes it,
    as null when unset, whatever the writer sent (a merge patch's null deletes the key)."""
    if not isinstance(status, dict):
        return
    for c in status.get("conditions") or ():
        if isinstance(c, dict) and "lastProbeTime" not in c:
            c["lastProbeTime"] = None


# --------------------------------------------------------------------------------------------
# validation: create, update, status update
# --------------------------------------------------------------------------------------------


def _options(ctx: Context | None) -> podspec.PodValidationOptions:
    return podspec.PodValidationOptions(resource_is_pod=True, features=ctx.features if ctx else None)


def validate_pod_metadata_and_spec(pod: Obj, opts: podspec.PodValidationOptions) -> list[FieldError]:
    """validatePodMetadataAndSpec: what pods get on top of the shared PodSpec checks."""
    md = pod.get("metadata") or {}
    spec = pod.get("spec") if isinstance(pod.get("spec"), dict) else {}
    sp = Path("spec")
    errs = validation.validate_object_meta(md, True)
    errs.extend(podspec.validate_pod_specific_annotations(md.get("annotations"), spec, Path("metadata", "annotations")))
    errs.extend(podspec.validate_pod_spec(spec, sp, opts))
    if not spec.get("serviceAccountName"):
        for vi, vol in enumerate(spec.get("volumes") or ()):
            for si, src in enumerate((vol.get("projected") or {}).get("sources") or ()):
                if src.get("serviceAccountToken") is not None:
                    p = sp.child("volumes").index(vi).child("projected", "sources").index(si).child("serviceAccountToken")
                    errs.append(field.forbidden(p, "must not be specified when serviceAccountName is not set"))
    for key in ("containers", "initContainers"):
        for i, c in enumerate(spec.get(key) or ()):
            image = c.get("image") or ""
            if image != image.strip():
                errs.append(field.invalid(sp.child(key).index(i).child("image"), image, "must not have leading or trailing whitespace"))
    return errs


def validate_pod_create(pod: Obj, opts: podspec.PodValidationOptions | None = None) -> list[FieldError]:
    """ValidatePodCreate."""
    opts = opts or podspec.PodValidationOptions(resource_is_pod=True)
    errs = validate_pod_metadata_and_spec(pod, opts)
    spec = pod.get("spec") or {}
    if spec.get("ephemeralContainers"):
        errs.append(field.forbidden("spec.ephemeralContainers", "cannot be set on create"))
    if spec.get("nodeName") and spec.get("schedulingGates"):
        errs.append(field.forbidden("spec.nodeName", "cannot be set until all schedulingGates have been cleared"))
    return errs


UPDATABLE_FIELDS = (
    "`spec.containers[*].image`",
    "`spec.initContainers[*].image`",
    "`spec.activeDeadlineSeconds`",
    "`spec.tolerations` (only additions to existing tolerations)",
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
)
RESOURCES_UPDATABLE = "`spec.containers[*].resources` (for CPU/memory only)"


def semantic(value: Any) -> Any:
    """What apimachinery's Semantic.DeepEqual compares: nil and empty lists/maps are the same."""
    if isinstance(value, dict):
        out = {k: semantic(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v is not None and v != [] and v != {}}
    if isinstance(value, list):
        return [semantic(v) for v in value]
    return value


def _spec_diff(old: Obj, new: Obj) -> str:
    """A go-cmp-like diff of two specs, top-level fields only (not byte-exact with upstream)."""
    lines = ["  v1.PodSpec{"]
    for key in sorted(set(old) | set(new)):
        if old.get(key) == new.get(key):
            continue
        if key in old:
            lines.append(f"- \t{key}: {json.dumps(old[key], sort_keys=True)},")
        if key in new:
            lines.append(f"+ \t{key}: {json.dumps(new[key], sort_keys=True)},")
    lines.append("  }")
    return "\n".join(lines) + "\n"


def _validate_annotation_updates(new: Obj, old: Obj) -> list[FieldError]:
    """ValidatePodSpecificAnnotationUpdates: AppArmor and mirror-pod annotations are fixed."""
    path = Path("metadata", "annotations")
    new_a = (new.get("metadata") or {}).get("annotations") or {}
    old_a = (old.get("metadata") or {}).get("annotations") or {}
    errs: list[FieldError] = []
    for k, v in old_a.items():
        if new_a.get(k) == v and k in new_a:
            continue
        if k.startswith(APPARMOR_ANNOTATION_PREFIX):
            errs.append(field.forbidden(path.key(k), "may not remove or update AppArmor annotations"))
        if k == podspec.MIRROR_POD_ANNOTATION:
            errs.append(field.forbidden(path.key(k), "may not remove or update mirror pod annotation"))
    for k in new_a:
        if k in old_a:
            continue
        if k.startswith(APPARMOR_ANNOTATION_PREFIX):
            errs.append(field.forbidden(path.key(k), "may not add AppArmor annotations"))
        if k == podspec.MIRROR_POD_ANNOTATION:
            errs.append(field.forbidden(path.key(k), "may not add mirror pod annotation"))
    errs.extend(podspec.validate_pod_specific_annotations(new_a, new.get("spec") or {}, path))
    return errs


def _validate_container_updates(new: list[Obj], old: list[Obj], path: Path) -> tuple[list[FieldError], bool]:
    if len(new) != len(old):
        return [field.forbidden(path, "pod updates may not add or remove containers")], True
    errs: list[FieldError] = []
    for i, c in enumerate(new):
        image = c.get("image") or ""
        if not image:
            errs.append(field.required(path.index(i).child("image"), ""))
        if image != image.strip():
            errs.append(field.invalid(path.index(i).child("image"), image, "must not have leading or trailing whitespace"))
    return errs, False


def validate_only_added_tolerations(new: list[Obj], old: list[Obj], path: Path) -> list[FieldError]:
    for o in old:
        if not any(semantic({**o, "tolerationSeconds": n.get("tolerationSeconds")}) == semantic(n) for n in new):
            return [field.forbidden(path, "existing toleration can not be modified except its tolerationSeconds")]
    return podspec.validate_tolerations(new, path)


def validate_only_deleted_scheduling_gates(new: list[Obj], old: list[Obj], path: Path) -> list[FieldError]:
    old_names = {g.get("name") for g in old}
    added: dict[str, int] = {}
    for i, g in enumerate(new):
        added[g.get("name", "")] = i
    return [
        field.forbidden(path.index(i).child("name"), f"only deletion is allowed, but found new scheduling gate '{name}'")
        for name, i in added.items()
        if name not in old_names
    ]


def _validate_node_selector_mutation(new: Any, old: Any, path: Path) -> list[FieldError]:
    for k, v in (old or {}).items():
        if k not in (new or {}) or new[k] != v:
            return [field.invalid(path, new, "only additions to spec.nodeSelector are allowed (no mutations or deletions)")]
    return []


def _term_has_only_additions(new: Obj, old: Obj) -> bool:
    old_e, old_f = old.get("matchExpressions") or [], old.get("matchFields") or []
    new_e, new_f = new.get("matchExpressions") or [], new.get("matchFields") or []
    if not old_e and not old_f and (new_e or new_f):
        return False
    for o, n in ((old_e, new_e), (old_f, new_f)):
        if o and (len(n) < len(o) or semantic(n[: len(o)]) != semantic(o)):
            return False
    return True


def _validate_node_affinity_mutation(new: Any, old: Any, path: Path) -> list[FieldError]:
    if not old or old.get("requiredDuringSchedulingIgnoredDuringExecution") is None:
        return []
    old_terms = old["requiredDuringSchedulingIgnoredDuringExecution"].get("nodeSelectorTerms") or []
    new_terms = ((new or {}).get("requiredDuringSchedulingIgnoredDuringExecution") or {}).get("nodeSelectorTerms") or []
    tp = path.child("requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms")
    if old_terms and len(old_terms) != len(new_terms):
        return [field.invalid(tp, new_terms, "no additions/deletions to non-empty NodeSelectorTerms list are allowed")]
    return [
        field.invalid(tp.index(i), new_terms[i], "only additions are allowed (no mutations or deletions)")
        for i in range(len(old_terms))
        if not _term_has_only_additions(new_terms[i], old_terms[i])
    ]


def _munge_gated(munged: Obj, old_spec: Obj, sp: Path) -> list[FieldError]:
    """KEP-3838: while the old pod has gates, nodeSelector/nodeAffinity may only grow."""
    errs: list[FieldError] = []
    if semantic(munged.get("nodeSelector")) != semantic(old_spec.get("nodeSelector")):
        errs.extend(_validate_node_selector_mutation(munged.get("nodeSelector"), old_spec.get("nodeSelector"), sp.child("nodeSelector")))
        _set_or_pop(munged, "nodeSelector", old_spec.get("nodeSelector"))
    old_aff = old_spec.get("affinity")
    old_na = (old_aff or {}).get("nodeAffinity")
    new_aff = munged.get("affinity")
    new_na = (new_aff or {}).get("nodeAffinity")
    if semantic(old_na) != semantic(new_na):
        errs.extend(_validate_node_affinity_mutation(new_na, old_na, sp.child("affinity", "nodeAffinity")))
        if new_aff is None:
            if old_na is not None:
                munged["affinity"] = {"nodeAffinity": old_na}
        elif old_aff is None and not new_aff.get("podAffinity") and not new_aff.get("podAntiAffinity"):
            munged.pop("affinity", None)
        else:
            _set_or_pop(new_aff, "nodeAffinity", old_na)
    return errs


def _set_or_pop(obj: Obj, key: str, value: Any) -> None:
    if value is None:
        obj.pop(key, None)
    else:
        obj[key] = value


def validate_pod_update(new: Obj, old: Obj, opts: podspec.PodValidationOptions | None = None) -> list[FieldError]:
    """ValidatePodUpdate (v1.30)."""
    opts = opts or podspec.PodValidationOptions(resource_is_pod=True)
    errs = validation.validate_object_meta_update(new.get("metadata") or {}, old.get("metadata") or {})
    errs.extend(validate_pod_metadata_and_spec(new, opts))
    errs.extend(_validate_annotation_updates(new, old))
    new_spec, old_spec = new.get("spec") or {}, old.get("spec") or {}
    sp = Path("spec")
    for key in ("containers", "initContainers"):
        cerrs, stop = _validate_container_updates(new_spec.get(key) or [], old_spec.get(key) or [], sp.child(key))
        errs.extend(cerrs)
        if stop:
            return errs
    new_ads, old_ads = new_spec.get("activeDeadlineSeconds"), old_spec.get("activeDeadlineSeconds")
    ads_path = sp.child("activeDeadlineSeconds")
    if new_ads is not None:
        if new_ads < 0 or new_ads > podspec.INT32_MAX:
            errs.append(field.invalid(ads_path, new_ads, podspec.inclusive_range_error(0, podspec.INT32_MAX)))
            return errs
        if old_ads is not None and old_ads < new_ads:
            errs.append(field.invalid(ads_path, new_ads, "must be less than or equal to previous value"))
            return errs
    elif old_ads is not None:
        errs.append(field.invalid(ads_path, None, "must not update from a positive integer to nil value"))
    errs.extend(validate_only_added_tolerations(new_spec.get("tolerations") or [], old_spec.get("tolerations") or [], sp.child("tolerations")))
    errs.extend(
        validate_only_deleted_scheduling_gates(new_spec.get("schedulingGates") or [], old_spec.get("schedulingGates") or [], sp.child("schedulingGates"))
    )
    if new_spec == old_spec:
        return errs
    if get_pod_qos(old) != compute_pod_qos(new):
        errs.append(field.invalid("metadata", (new.get("status") or {}).get("qosClass", ""), "Pod QoS is immutable"))
    # Copied only as deep as the munging below writes: the top level, each container, affinity.
    munged = dict(new_spec)
    for key in ("containers", "initContainers"):
        if isinstance(munged.get(key), list):
            munged[key] = [dict(c) if isinstance(c, dict) else c for c in munged[key]]
    if isinstance(munged.get("affinity"), dict):
        munged["affinity"] = dict(munged["affinity"])
    for key in ("containers", "initContainers"):
        for c, o in zip(munged.get(key) or [], old_spec.get(key) or [], strict=False):
            _set_or_pop(c, "image", o.get("image"))
    _set_or_pop(munged, "activeDeadlineSeconds", old_ads)
    _set_or_pop(munged, "schedulingGates", old_spec.get("schedulingGates"))
    _set_or_pop(munged, "tolerations", old_spec.get("tolerations"))
    old_tgps = old_spec.get("terminationGracePeriodSeconds")
    if old_tgps is not None and old_tgps < 0 and munged.get("terminationGracePeriodSeconds") == 1:
        munged["terminationGracePeriodSeconds"] = old_tgps
    if old_spec.get("schedulingGates"):
        errs.extend(_munge_gated(munged, old_spec, sp))
    if munged != old_spec and semantic(munged) != semantic(old_spec):
        fields = list(UPDATABLE_FIELDS)
        if podspec.gate_enabled(opts.features, "InPlacePodVerticalScaling"):
            fields.append(RESOURCES_UPDATABLE)
        detail = f"pod updates may not change fields other than {','.join(fields)}\n{_spec_diff(semantic(old_spec), semantic(munged))}"
        errs.append(field.forbidden(sp, detail))
    return errs


def effective_pod_ips(status: Obj) -> list[Obj]:
    """v1 -> internal conversion: a lone or disagreeing `podIP` wins over `podIPs`."""
    pod_ip, pod_ips = status.get("podIP") or "", list(status.get("podIPs") or [])
    if pod_ip and (not pod_ips or pod_ips[0].get("ip") != pod_ip):
        return [{"ip": pod_ip}]
    return pod_ips


def _is_dual_stack(ips: list[str]) -> bool:
    families = set()
    for ip in ips:
        if not podspec.is_valid_ip(ip):
            return False
        families.add(":" in ip)
    return len(families) == 2


def _validate_ips(ips: list[Obj], path: Path, duplicates_first: bool) -> list[FieldError]:
    errs: list[FieldError] = []
    values = [e.get("ip", "") for e in ips]
    for i, ip in enumerate(values):
        errs.extend(podspec.ip_errors(path.index(i), ip))
    if len(values) <= 1:
        return errs
    family_errs = [] if _is_dual_stack(values) and len(values) <= 2 else [field.invalid(path, ips, "may specify no more than one IP for each IP family")]
    seen: set[str] = set()
    dup_errs = []
    for i, ip in enumerate(values):
        if ip in seen:
            dup_errs.append(field.duplicate(path.index(i), ips[i]))
        seen.add(ip)
    # Upstream checks duplicates before the family rule for hostIPs, after it for podIPs.
    return errs + (dup_errs + family_errs if duplicates_first else family_errs + dup_errs)


def _validate_container_state_transitions(new: list[Obj], old: list[Obj], path: Path, restart_policy: str, init_spec: Obj | None = None) -> list[FieldError]:
    errs: list[FieldError] = []
    if restart_policy == "Always":
        return errs
    sidecars = {c.get("name") for c in ((init_spec or {}).get("initContainers") or ()) if podspec.is_restartable_init_container(c)}
    for i, o in enumerate(old):
        term = (o.get("state") or {}).get("terminated")
        if term is None:
            continue
        if term.get("exitCode", 0) != 0 and restart_policy == "OnFailure":
            continue
        if o.get("name") in sidecars:
            continue
        for n in new:
            if n.get("name") == o.get("name") and (n.get("state") or {}).get("terminated") is None:
                errs.append(field.forbidden(path.index(i).child("state"), "may not be transitioned to non-terminated state"))
    return errs


_SYSTEM_CONDITIONS = ("PodScheduled", "Ready", "Initialized")


def validate_pod_status_update(new: Obj, old: Obj) -> list[FieldError]:
    """ValidatePodStatusUpdate (v1.30), paths included (`metadata.conditions[i].Type` is upstream's)."""
    md = Path("metadata")
    errs = validation.validate_object_meta_update(new.get("metadata") or {}, old.get("metadata") or {})
    errs.extend(_validate_annotation_updates(new, old))
    status, old_status = new.get("status") or {}, old.get("status") or {}
    for i, cond in enumerate(status.get("conditions") or ()):
        if cond.get("type") not in _SYSTEM_CONDITIONS:
            errs.extend(field.invalid(md.child("conditions").index(i).child("Type"), cond.get("type", ""), m) for m in validation.is_qualified_name(cond.get("type") or ""))
    sp = Path("status")
    if (new.get("spec") or {}).get("nodeName") != (old.get("spec") or {}).get("nodeName"):
        errs.append(field.forbidden(sp.child("nodeName"), "may not be changed directly"))
    nominated = status.get("nominatedNodeName") or ""
    if nominated and nominated != old_status.get("nominatedNodeName"):
        errs.extend(field.invalid(sp.child("nominatedNodeName"), nominated, m) for m in validation.is_dns1123_subdomain(nominated))
    old_spec = old.get("spec") or {}
    policy = old_spec.get("restartPolicy") or ""
    errs.extend(_validate_container_state_transitions(status.get("containerStatuses") or [], old_status.get("containerStatuses") or [], sp.child("containerStatuses"), policy))
    errs.extend(
        _validate_container_state_transitions(
            status.get("initContainerStatuses") or [], old_status.get("initContainerStatuses") or [], sp.child("initContainerStatuses"), policy, old_spec
        )
    )
    errs.extend(
        _validate_container_state_transitions(
            status.get("ephemeralContainerStatuses") or [], old_status.get("ephemeralContainerStatuses") or [], sp.child("ephemeralContainerStatuses"), "Never"
        )
    )
    errs.extend(_validate_ips(effective_pod_ips(status), sp.child("podIPs"), duplicates_first=False))
    host_ips = status.get("hostIPs") or []
    if host_ips:
        if (status.get("hostIP") or "") != host_ips[0].get("ip", ""):
            errs.append(field.invalid(sp.child("hostIPs").index(0).child("ip"), host_ips[0].get("ip", ""), "must be equal to `hostIP`"))
        errs.extend(_validate_ips(host_ips, sp.child("hostIPs"), duplicates_first=True))
    return errs


# --------------------------------------------------------------------------------------------
# strategy
# --------------------------------------------------------------------------------------------


class PodStrategy(Strategy):
    # Pods have no metadata.generation in v1.30 (it arrived with 1.33's observedGeneration work).
    tracks_generation = False
    has_status = True
    validates_object_meta = True
    return_deleted_object = True

    def default(self, obj: Obj) -> None:
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            spec = obj["spec"] = {}
        try:
            podspec.default_pod_spec(spec)
        except quantity.QuantityError as e:
            raise podspec.decode_error("Pod", "v1", e) from e
        podspec.default_pod_only(spec)
        null_probe_times(obj.get("status"))

    def prepare_for_create(self, obj: Obj, ctx: Context) -> None:
        obj["status"] = {"phase": "Pending", "qosClass": get_pod_qos({"spec": obj.get("spec") or {}})}
        podspec.drop_disabled_fields(obj.setdefault("spec", {}), None, ctx.features if ctx else None)
        apply_scheduling_gated_condition(obj, meta.now_rfc3339())

    def prepare_for_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        _set_or_pop(new, "status", meta.deep_copy(old.get("status")))
        podspec.drop_disabled_fields(new.setdefault("spec", {}), old.get("spec") or {}, ctx.features if ctx else None)

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return validate_pod_create(obj, _options(ctx))

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_pod_update(new, old, _options(ctx))

    def warnings_on_create(self, obj: Obj, ctx: Context) -> list[str]:
        name = (obj.get("metadata") or {}).get("name") or ""
        msgs = validation.is_dns1123_label(name) if name else []
        if msgs:
            return [
                "metadata.name: this is used in the Pod's hostname, which can result in surprising behavior; "
                f"a DNS label is recommended: [{' '.join(msgs)}]"
            ]
        return []

    def prepare_for_status_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        # Spec and ownerReferences stay; labels and annotations may change here (upstream quirk).
        for key in list(new):
            if key not in ("status", "metadata", "apiVersion", "kind"):
                del new[key]
        if "spec" in old:
            new["spec"] = meta.deep_copy(old["spec"])
        new_md, old_md = new.setdefault("metadata", {}), old.get("metadata") or {}
        _set_or_pop(new_md, "deletionTimestamp", old_md.get("deletionTimestamp"))
        _set_or_pop(new_md, "ownerReferences", meta.deep_copy(old_md.get("ownerReferences")))
        status = new.setdefault("status", {})
        if not status.get("qosClass") and (old.get("status") or {}).get("qosClass"):
            status["qosClass"] = old["status"]["qosClass"]

    def validate_status_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_pod_status_update(new, old)

    def grace_period(self, obj: Obj, requested: int | None) -> int:
        """A user's period is honoured only for a scheduled, unfinished pod (upstream forces 0)."""
        default = self.default_grace_period(obj)
        if requested is None or default == 0:
            return default
        return requested

    def default_grace_period(self, obj: Obj) -> int:
        """CheckGracefulDelete without a user value: the pod's period, 0 when unscheduled or done."""
        spec, status = obj.get("spec") or {}, obj.get("status") or {}
        period = spec.get("terminationGracePeriodSeconds")
        period = podspec.DEFAULT_TERMINATION_GRACE_PERIOD if period is None else period
        if not spec.get("nodeName") or status.get("phase") in ("Failed", "Succeeded"):
            return 0
        return 1 if period < 0 else period


# --------------------------------------------------------------------------------------------
# field selectors
# --------------------------------------------------------------------------------------------


def _pod_ip(pod: Obj) -> str:
    ips = effective_pod_ips(pod.get("status") or {})
    return ips[0].get("ip", "") if ips else ""


FIELD_SELECTORS = {
    "spec.nodeName": lambda p: (p.get("spec") or {}).get("nodeName") or "",
    "spec.restartPolicy": lambda p: (p.get("spec") or {}).get("restartPolicy") or "",
    "spec.schedulerName": lambda p: (p.get("spec") or {}).get("schedulerName") or "",
    "spec.serviceAccountName": lambda p: (p.get("spec") or {}).get("serviceAccountName") or "",
    "spec.hostNetwork": lambda p: "true" if (p.get("spec") or {}).get("hostNetwork") else "false",
    "status.phase": lambda p: (p.get("status") or {}).get("phase") or "",
    "status.podIP": _pod_ip,
    "status.nominatedNodeName": lambda p: (p.get("status") or {}).get("nominatedNodeName") or "",
}

# --------------------------------------------------------------------------------------------
# printing (printPod)
# --------------------------------------------------------------------------------------------

COLUMNS = [
    Column(
        "Name",
        format="name",
        description="Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
    ),
    Column("Ready", description="The aggregate readiness state of this pod for accepting traffic."),
    Column("Status", description="The aggregate status of the containers in this pod."),
    Column(
        "Restarts",
        description="The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
    ),
    Column(
        "Age",
        description="CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
    ),
    Column(
        "IP",
        priority=1,
        description="podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.",
    ),
    Column(
        "Node",
        priority=1,
        description="NodeName is a request to schedule this pod onto a specific node. If it is non-empty, the scheduler simply schedules this pod onto that node, assuming that it fits resource requirements.",
    ),
    Column(
        "Nominated Node",
        priority=1,
        description="nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods. This field does not guarantee that the pod will be scheduled on this node. Scheduler may decide to place the pod elsewhere if other nodes become available sooner. Scheduler may also decide to give the resources on this node to a higher priority pod that is created after preemption. As a result, this field may be different than PodSpec.nodeName when the pod is scheduled.",
    ),
    Column(
        "Readiness Gates",
        priority=1,
        description='If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to "True" More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates',
    ),
]


def _finished_at(cs: Obj) -> datetime | None:
    ts = ((cs.get("lastState") or {}).get("terminated") or {}).get("finishedAt")
    return meta.parse_time(ts) if ts else None


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def _condition_true(status: Obj, ctype: str) -> bool:
    for c in status.get("conditions") or ():
        if c.get("type") == ctype:
            return c.get("status") == "True"
    return False


def pod_status_and_counts(pod: Obj) -> tuple[str, int, int, int, datetime | None]:
    """printPod's STATUS algorithm: (reason, ready, total, restarts, last restart time)."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    reason = status.get("reason") or status.get("phase") or ""
    for c in status.get("conditions") or ():
        if c.get("type") == "PodScheduled" and c.get("reason") == SCHEDULING_GATED:
            reason = SCHEDULING_GATED
    init_specs = {c.get("name"): c for c in spec.get("initContainers") or ()}
    total = len(spec.get("containers") or ()) + sum(1 for c in init_specs.values() if podspec.is_restartable_init_container(c))
    ready = restarts = sidecar_restarts = 0
    last: datetime | None = None
    sidecar_last: datetime | None = None
    initializing = False
    n_init = len(spec.get("initContainers") or ())
    for i, cs in enumerate(status.get("initContainerStatuses") or ()):
        restarts += cs.get("restartCount") or 0
        last = _later(last, _finished_at(cs))
        sidecar = podspec.is_restartable_init_container(init_specs.get(cs.get("name")))
        if sidecar:
            sidecar_restarts += cs.get("restartCount") or 0
            sidecar_last = _later(sidecar_last, _finished_at(cs))
        state = cs.get("state") or {}
        term, waiting = state.get("terminated"), state.get("waiting")
        if term is not None and (term.get("exitCode") or 0) == 0:
            continue
        if sidecar and cs.get("started"):
            if cs.get("ready"):
                ready += 1
            continue
        if term is not None:
            if term.get("reason"):
                reason = "Init:" + term["reason"]
            elif term.get("signal"):
                reason = f"Init:Signal:{term['signal']}"
            else:
                reason = f"Init:ExitCode:{term.get('exitCode') or 0}"
        elif waiting is not None and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{i}/{n_init}"
        initializing = True
        break
    if not initializing or _condition_true(status, "Initialized"):
        restarts, last = sidecar_restarts, sidecar_last
        has_running = False
        for cs in reversed(status.get("containerStatuses") or []):
            restarts += cs.get("restartCount") or 0
            last = _later(last, _finished_at(cs))
            state = cs.get("state") or {}
            term, waiting = state.get("terminated"), state.get("waiting")
            if waiting is not None and waiting.get("reason"):
                reason = waiting["reason"]
            elif term is not None and term.get("reason"):
                reason = term["reason"]
            elif term is not None:
                reason = f"Signal:{term['signal']}" if term.get("signal") else f"ExitCode:{term.get('exitCode') or 0}"
            elif cs.get("ready") and state.get("running") is not None:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if _condition_true(status, "Ready") else "NotReady"
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        reason = "Unknown" if status.get("reason") == NODE_LOST else "Terminating"
    return reason, ready, total, restarts, last


def pod_row(pod: Obj, now: datetime | None = None) -> list[Any]:
    """The cells `kubectl get pods -o wide` shows, for one pod."""
    now = now or datetime.now(UTC)
    spec, status, md = pod.get("spec") or {}, pod.get("status") or {}, pod.get("metadata") or {}
    reason, ready, total, restarts, last = pod_status_and_counts(pod)
    restarts_text = str(restarts)
    if restarts and last is not None:
        restarts_text = f"{restarts} ({duration.human_duration((now - last).total_seconds())} ago)"
    gates = spec.get("readinessGates") or []
    gates_text = "<none>"
    if gates:
        true = 0
        for gate in gates:
            for c in status.get("conditions") or ():
                if c.get("type") == gate.get("conditionType"):
                    true += c.get("status") == "True"
                    break
        gates_text = f"{true}/{len(gates)}"
    return [
        md.get("name", ""),
        f"{ready}/{total}",
        reason,
        restarts_text,
        duration.age(md.get("creationTimestamp"), now),
        _pod_ip(pod) or "<none>",
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        gates_text,
    ]


def pod_row_conditions(pod: Obj) -> list[dict[str, Any]]:
    phase = (pod.get("status") or {}).get("phase")
    if phase == "Succeeded":
        return [{"type": "Completed", "status": "True", "reason": "Succeeded", "message": "The pod has completed successfully."}]
    if phase == "Failed":
        return [{"type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."}]
    return []


PRINTER = Printer(columns=COLUMNS, row=pod_row, conditions=pod_row_conditions)

# --------------------------------------------------------------------------------------------
# the resource
# --------------------------------------------------------------------------------------------

PODS = ResourceType(
    group="",
    version="v1",
    kind="Pod",
    plural="pods",
    namespaced=True,
    short_names=("po",),
    categories=("all",),
    subresources=(
        Subresource("attach", ("create", "get"), kind="PodAttachOptions"),
        Subresource("binding", ("create",), kind="Binding"),
        Subresource("ephemeralcontainers", ("get", "patch", "update")),
        Subresource("eviction", ("create",), group="policy", version="v1", kind="Eviction"),
        Subresource("exec", ("create", "get"), kind="PodExecOptions"),
        Subresource("log", ("get",)),
        Subresource("portforward", ("create", "get"), kind="PodPortForwardOptions"),
        Subresource("proxy", ("create", "delete", "get", "patch", "update"), kind="PodProxyOptions"),
        Subresource("status", ("get", "patch", "update")),
    ),
    strategy=PodStrategy(),
    printer=PRINTER,
    field_selectors=FIELD_SELECTORS,
)
