"""ReplicaSets (apps/v1): upstream's `pkg/registry/apps/replicaset/strategy.go`,
`ValidateReplicaSet*` in `pkg/apis/apps/validation`, `SetDefaults_ReplicaSet` and `printReplicaSet`.

Also the pieces Deployment shares with it: the pod-template checks of
`ValidatePodTemplateSpecForReplicaSet`, template defaulting, and the `scale` subresource's
conversion to and from an autoscaling/v1 Scale.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from uwernetes.apiserver.resources import core_common as common
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
from uwernetes.machinery import errors, field, quantity, validation
from uwernetes.machinery.field import FieldError, Path

SCALE_VERBS = ("get", "patch", "update")
STATUS_VERBS = ("get", "patch", "update")


# --------------------------------------------------------------------------------------------
# shared by workload kinds
# --------------------------------------------------------------------------------------------


def default_template(obj: Obj, kind: str, api_version: str) -> None:
    """Pod-template defaults; an unparsable quantity is upstream's 400 decode error."""
    template = (obj.get("spec") or {}).get("template")
    if not isinstance(template, dict):
        return
    try:
        podspec.default_pod_template(template)
    except quantity.QuantityError as e:
        raise podspec.decode_error(kind, api_version, e) from None


def drop_disabled_template_fields(new: Obj, old: Obj | None, ctx: Context | None) -> None:
    spec = ((new.get("spec") or {}).get("template") or {}).get("spec")
    old_spec = ((old.get("spec") or {}).get("template") or {}).get("spec") if old is not None else None
    if isinstance(spec, dict):
        podspec.drop_disabled_fields(spec, old_spec if isinstance(old_spec, dict) else None, common.gates(ctx))


def pod_options(ctx: Context | None, old: Obj | None = None) -> podspec.PodValidationOptions:
    allow_invalid = False
    if old is not None:
        sel = (old.get("spec") or {}).get("selector") or {}
        allow_invalid = any(validation.is_valid_label_value(v) for v in (sel.get("matchLabels") or {}).values())
    return podspec.PodValidationOptions(allow_invalid_label_value_in_selector=allow_invalid, features=common.gates(ctx))


def validate_selector(sel: Any, path: Path) -> list[FieldError]:
    """Required, valid, and not empty ("for deployment" in both kinds' messages, as upstream)."""
    if sel is None:
        return [field.required(path, "")]
    errs = validation.validate_label_selector(sel, path)
    if not sel.get("matchLabels") and not sel.get("matchExpressions"):
        errs.append(field.invalid(path, common.go_label_selector(sel), "empty selector is invalid for deployment"))
    return errs


def validate_template_for_replica_set(
    template: Any, selector: Any, replicas: int, path: Path, opts: podspec.PodValidationOptions
) -> list[FieldError]:
    """ValidatePodTemplateSpecForReplicaSet."""
    if not isinstance(template, dict):
        return [field.required(path, "")]
    errs: list[FieldError] = []
    labels = (template.get("metadata") or {}).get("labels")
    # A nil selector selects nothing (so it never matches); an empty one is not checked.
    if not common.selector_is_empty(selector) and not common.selector_matches(selector, labels):
        errs.append(field.invalid(path.child("metadata", "labels"), common.go_string_map(labels), "`selector` does not match template `labels`"))
    errs.extend(podspec.validate_pod_template_spec(template, path, opts))
    spec = template.get("spec") if isinstance(template.get("spec"), dict) else {}
    restart = spec.get("restartPolicy") or "Always"
    if restart != "Always":
        errs.append(field.not_supported(path.child("spec", "restartPolicy"), restart, ("Always",)))
    if spec.get("activeDeadlineSeconds") is not None:
        errs.append(field.forbidden(path.child("spec", "activeDeadlineSeconds"), "activeDeadlineSeconds in ReplicaSet is not Supported"))
    return errs


def selector_immutable(new: Obj, old: Obj) -> list[FieldError]:
    """apps/v1 forbids changing spec.selector."""
    sel, old_sel = (new.get("spec") or {}).get("selector"), (old.get("spec") or {}).get("selector")
    if sel != old_sel:
        return [field.invalid("spec.selector", common.go_label_selector(sel), "field is immutable")]
    return []


def nonneg(obj: Any, key: str, path: Path) -> list[FieldError]:
    return validation.validate_nonnegative((obj or {}).get(key), path.child(key))


def to_scale(obj: Obj) -> Obj:
    """The autoscaling/v1 Scale view of a scalable object."""
    m = obj.get("metadata") or {}
    scale_meta = {k: m[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp") if m.get(k)}
    replicas = common.int_field(obj.get("spec"), "replicas")
    status: Obj = {"replicas": common.int_field(obj.get("status"), "replicas")}
    selector = common.selector_string((obj.get("spec") or {}).get("selector"))
    if selector:
        status["selector"] = selector
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": scale_meta,
        "spec": {"replicas": replicas} if replicas else {},
        "status": status,
    }


def apply_scale(obj: Obj, scale: Obj, resource: str = "replicasets", group: str = "apps") -> Obj:
    """Write a Scale's spec.replicas into a copy of obj (scaleUpdatedObjectInfo)."""
    name = (obj.get("metadata") or {}).get("name") or ""
    replicas = (scale.get("spec") or {}).get("replicas") or 0
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        err = field.invalid("spec.replicas", replicas, "must be greater than or equal to 0")
        raise errors.invalid("Scale", name, [err], "autoscaling")
    rv = (scale.get("metadata") or {}).get("resourceVersion")
    if rv and rv != (obj.get("metadata") or {}).get("resourceVersion"):
        raise errors.conflict(resource, name, errors.OBJECT_MODIFIED, group)
    out = copy.deepcopy(obj)
    common.spec_of(out)["replicas"] = replicas
    return out


# --------------------------------------------------------------------------------------------
# ReplicaSet
# --------------------------------------------------------------------------------------------


def validate_replica_set_spec(rs: Obj, opts: podspec.PodValidationOptions) -> list[FieldError]:
    spec = rs.get("spec") or {}
    sp = Path("spec")
    errs = nonneg(spec, "replicas", sp) + nonneg(spec, "minReadySeconds", sp)
    errs.extend(validate_selector(spec.get("selector"), sp.child("selector")))
    errs.extend(
        validate_template_for_replica_set(
            spec.get("template"), spec.get("selector"), common.int_field(spec, "replicas"), sp.child("template"), opts
        )
    )
    return errs


def validate_replica_set_status(rs: Obj) -> list[FieldError]:
    status = rs.get("status") or {}
    p = Path("status")
    errs: list[FieldError] = []
    for key in ("replicas", "fullyLabeledReplicas", "readyReplicas", "availableReplicas", "observedGeneration"):
        errs.extend(nonneg(status, key, p))
    replicas = common.int_field(status, "replicas")
    msg = "cannot be greater than the number of replicas"
    for key in ("fullyLabeledReplicas", "readyReplicas", "availableReplicas"):
        if common.int_field(status, key) > replicas:
            errs.append(field.invalid(p.child(key), status.get(key), msg))
    if common.int_field(status, "availableReplicas") > common.int_field(status, "readyReplicas"):
        errs.append(field.invalid(p.child("availableReplicas"), status.get("availableReplicas"), "cannot be greater than readyReplicas"))
    return errs


class ReplicaSetStrategy(Strategy):
    has_status = True

    def default(self, obj: Obj) -> None:
        spec = common.spec_of(obj)
        if spec.get("replicas") is None:
            spec["replicas"] = 1
        default_template(obj, "ReplicaSet", "apps/v1")

    def prepare_for_create(self, obj: Obj, ctx: Context) -> None:
        obj.pop("status", None)
        obj["status"] = {"replicas": 0}
        obj.setdefault("metadata", {})["generation"] = 1
        drop_disabled_template_fields(obj, None, ctx)

    def prepare_for_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        common.keep_status(new, old)
        drop_disabled_template_fields(new, old, ctx)
        common.bump_generation_if(new, old, new.get("spec") != old.get("spec"))

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return validate_replica_set_spec(obj, pod_options(ctx))

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_replica_set_spec(new, pod_options(ctx, old)) + selector_immutable(new, old)

    def prepare_for_status_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        common.keep_spec(new, old)

    def validate_status_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_replica_set_status(new)


def table_row(rs: Obj, now: datetime | None = None) -> list[Any]:
    spec, status = rs.get("spec") or {}, rs.get("status") or {}
    names, images = common.layout_container_cells(common.template_containers(rs))
    return [
        common.name_of(rs),
        common.int_field(spec, "replicas"),
        common.int_field(status, "replicas"),
        common.int_field(status, "readyReplicas"),
        common.age(rs, now),
        names,
        images,
        common.format_label_selector(spec.get("selector")),
    ]


PRINTER = Printer(
    columns=[
        common.name_column(),
        Column("Desired", "integer", description="Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller/#what-is-a-replicationcontroller"),
        Column("Current", "integer", description="Replicas is the most recently observed number of replicas. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller/#what-is-a-replicationcontroller"),
        Column("Ready", "integer", description="The number of ready replicas for this replica set. A pod is counted as ready when it has the Ready condition set to true."),
        common.age_column(),
        common.wide("Containers", common.CONTAINERS_DESCRIPTION),
        common.wide("Images", common.IMAGES_DESCRIPTION),
        common.wide("Selector", "Selector is a label query over pods that should match the replica count. Label keys and values that must match in order to be controlled by this replica set. It must match the pod template's labels. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors"),
    ],
    row=table_row,
)

REPLICASETS = ResourceType(
    group="apps",
    version="v1",
    kind="ReplicaSet",
    plural="replicasets",
    namespaced=True,
    short_names=("rs",),
    categories=("all",),
    subresources=(
        Subresource("scale", SCALE_VERBS, group="autoscaling", version="v1", kind="Scale"),
        Subresource("status", STATUS_VERBS),
    ),
    strategy=ReplicaSetStrategy(),
    printer=PRINTER,
    field_selectors={"status.replicas": lambda rs: str(common.int_field(rs.get("status"), "replicas"))},
)
