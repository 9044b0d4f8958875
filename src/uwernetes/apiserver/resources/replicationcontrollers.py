"""ReplicationControllers (core/v1): upstream v1.30's
`pkg/registry/core/replicationcontroller/strategy.go` (+ its scale storage),
`ValidateReplicationController*`, `SetDefaults_ReplicationController` and
`printReplicationController`.

Unlike ReplicaSets, the selector is a plain label map, defaulted from the template's labels (as
are the object's own labels), and it may change after creation. The `scale` subresource is
served by the generic handler in `apiserver/subresources.py` through `to_scale`/`apply_scale`.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from uwernetes.apiserver.resources import core_common as common
from uwernetes.apiserver.resources import persistentvolumes as pvs
from uwernetes.apiserver.resources import podspec, replicasets
from uwernetes.apiserver.resources.base import (
    Column,
    Context,
    Obj,
    Printer,
    ResourceType,
    Strategy,
    Subresource,
)
from uwernetes.machinery import field, validation
from uwernetes.machinery.field import FieldError, Path


def validate_template_for_rc(template: Any, selector: Any, path: Path, opts: podspec.PodValidationOptions) -> list[FieldError]:
    """ValidatePodTemplateSpecForRC."""
    if not isinstance(template, dict):
        return [field.required(path, "")]
    errs: list[FieldError] = []
    labels = (template.get("metadata") or {}).get("labels")
    if selector and not all((labels or {}).get(k) == v and k in (labels or {}) for k, v in selector.items()):
        errs.append(field.invalid(path.child("metadata", "labels"), common.go_string_map(labels), "`selector` does not match template `labels`"))
    errs.extend(podspec.validate_pod_template_spec(template, path, opts))
    spec = template.get("spec") if isinstance(template.get("spec"), dict) else {}
    restart = spec.get("restartPolicy") or "Always"
    if restart != "Always":
        errs.append(field.not_supported(path.child("spec", "restartPolicy"), restart, ("Always",)))
    if spec.get("activeDeadlineSeconds") is not None:
        errs.append(field.forbidden(path.child("spec", "activeDeadlineSeconds"), "activeDeadlineSeconds in ReplicationController is not Supported"))
    return errs


def validate_rc_spec(rc: Obj, opts: podspec.PodValidationOptions) -> list[FieldError]:
    """ValidateReplicationControllerSpec: minReadySeconds, selector, replicas, template."""
    spec = rc.get("spec") if isinstance(rc.get("spec"), dict) else {}
    sp = Path("spec")
    errs = replicasets.nonneg(spec, "minReadySeconds", sp)
    selector = spec.get("selector") or {}
    if not selector:
        errs.append(field.required(sp.child("selector"), ""))
    errs.extend(replicasets.nonneg(spec, "replicas", sp))
    errs.extend(validate_template_for_rc(spec.get("template"), selector, sp.child("template"), opts))
    return errs


def validate_rc_status(rc: Obj) -> list[FieldError]:
    """ValidateReplicationControllerStatus."""
    status = rc.get("status") or {}
    p = Path("status")
    errs: list[FieldError] = []
    for key in ("replicas", "fullyLabeledReplicas", "readyReplicas", "availableReplicas", "observedGeneration"):
        errs.extend(replicasets.nonneg(status, key, p))
    replicas = common.int_field(status, "replicas")
    for key in ("fullyLabeledReplicas", "readyReplicas", "availableReplicas"):
        if common.int_field(status, key) > replicas:
            errs.append(field.invalid(p.child(key), status.get(key), "cannot be greater than status.replicas"))
    if common.int_field(status, "availableReplicas") > common.int_field(status, "readyReplicas"):
        errs.append(field.invalid(p.child("availableReplicas"), status.get("availableReplicas"), "cannot be greater than readyReplicas"))
    return errs


def default_rc(rc: Obj) -> None:
    """SetDefaults_ReplicationController, then the pod template's own defaults."""
    spec = common.spec_of(rc)
    template = spec.get("template")
    labels = (template.get("metadata") or {}).get("labels") if isinstance(template, dict) else None
    if labels is not None:
        if not spec.get("selector"):
            spec["selector"] = dict(labels)
        m = rc.setdefault("metadata", {})
        if not m.get("labels"):
            m["labels"] = dict(labels)
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    replicasets.default_template(rc, "ReplicationController", "v1")


def _options(ctx: Context | None) -> podspec.PodValidationOptions:
    return podspec.PodValidationOptions(features=common.gates(ctx))


class ReplicationControllerStrategy(Strategy):
    has_status = True

    def default(self, obj: Obj) -> None:
        default_rc(obj)

    def prepare_for_create(self, obj: Obj, ctx: Context) -> None:
        obj["status"] = {"replicas": 0}
        obj.setdefault("metadata", {})["generation"] = 1
        replicasets.drop_disabled_template_fields(obj, None, ctx)

    def prepare_for_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        common.keep_status(new, old)
        replicasets.drop_disabled_template_fields(new, old, ctx)
        common.bump_generation_if(new, old, new.get("spec") != old.get("spec"))

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return validate_rc_spec(obj, _options(ctx))

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_rc_spec(new, _options(ctx))

    def warnings_on_create(self, obj: Obj, ctx: Context) -> list[str]:
        name = common.name_of(obj)
        msgs = validation.is_dns1123_label(name) if name else []
        if msgs:
            return ["metadata.name: this is used in Pod names and hostnames, which can result in surprising behavior; "
                    f"a DNS label is recommended: [{' '.join(msgs)}]"]
        return []

    def prepare_for_status_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        common.keep_spec(new, old)

    def validate_status_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_rc_status(new)


# --------------------------------------------------------------------------------------------
# scale subresource
# --------------------------------------------------------------------------------------------


def to_scale(obj: Obj) -> Obj:
    """scaleFromRC: the selector is the label map as a selector string."""
    view = copy.copy(obj)
    view["spec"] = dict(obj.get("spec") or {})
    view["spec"]["selector"] = {"matchLabels": (obj.get("spec") or {}).get("selector") or {}}
    return replicasets.to_scale(view)


def apply_scale(obj: Obj, scale: Obj) -> Obj:
    return replicasets.apply_scale(obj, scale, resource="replicationcontrollers", group="")


# --------------------------------------------------------------------------------------------
# printing
# --------------------------------------------------------------------------------------------


def table_row(rc: Obj, now: datetime | None = None) -> list[Any]:
    spec, status = rc.get("spec") or {}, rc.get("status") or {}
    names, images = common.layout_container_cells(common.template_containers(rc))
    return [
        common.name_of(rc),
        common.int_field(spec, "replicas"),
        common.int_field(status, "replicas"),
        common.int_field(status, "readyReplicas"),
        common.age(rc, now),
        names,
        images,
        common.format_labels(spec.get("selector")),
    ]


PRINTER = Printer(
    columns=[
        common.name_column(),
        Column("Desired", "integer", description=pvs.schema_doc("ReplicationControllerSpec", "replicas")),
        Column("Current", "integer", description=pvs.schema_doc("ReplicationControllerStatus", "replicas")),
        Column("Ready", "integer", description=pvs.schema_doc("ReplicationControllerStatus", "readyReplicas")),
        common.age_column(),
        common.wide("Containers", common.CONTAINERS_DESCRIPTION),
        common.wide("Images", common.IMAGES_DESCRIPTION),
        common.wide("Selector", pvs.schema_doc("ReplicationControllerSpec", "selector")),
    ],
    row=table_row,
)

REPLICATIONCONTROLLERS = ResourceType(
    group="",
    version="v1",
    kind="ReplicationController",
    plural="replicationcontrollers",
    namespaced=True,
    short_names=("rc",),
    categories=("all",),
    subresources=(
        Subresource("scale", ("get", "patch", "update"), group="autoscaling", version="v1", kind="Scale"),
        Subresource("status", ("get", "patch", "update")),
    ),
    strategy=ReplicationControllerStrategy(),
    printer=PRINTER,
    field_selectors={"status.replicas": lambda rc: str(common.int_field(rc.get("status"), "replicas"))},
)
