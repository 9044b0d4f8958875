"""Deployments (apps/v1): upstream's `pkg/registry/apps/deployment/strategy.go`,
`ValidateDeployment*` in `pkg/apis/apps/validation`, `SetDefaults_Deployment` and
`printDeployment`. Template and scale handling are shared with ReplicaSet.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from uwernetes.apiserver.resources import core_common as common
from uwernetes.apiserver.resources import replicasets as rs_mod
from uwernetes.apiserver.resources.base import (
    Column,
    Context,
    Obj,
    Printer,
    ResourceType,
    Strategy,
    Subresource,
)
from uwernetes.machinery import field
from uwernetes.machinery.field import FieldError, Path

RECREATE, ROLLING_UPDATE = "Recreate", "RollingUpdate"
_PERCENT_RE = re.compile(r"^[0-9]+%$")
PERCENT_ERROR = (
    "a valid percent string must be a numeric string followed by an ending '%' "
    "(e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"
)


def default_deployment(d: Obj) -> None:
    spec = common.spec_of(d)
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    strategy = spec.get("strategy")
    if not isinstance(strategy, dict):
        strategy = spec["strategy"] = {}
    if not strategy.get("type"):
        strategy["type"] = ROLLING_UPDATE
    if strategy["type"] == ROLLING_UPDATE:
        ru = strategy.get("rollingUpdate")
        if not isinstance(ru, dict):
            ru = strategy["rollingUpdate"] = {}
        if ru.get("maxUnavailable") is None:
            ru["maxUnavailable"] = "25%"
        if ru.get("maxSurge") is None:
            ru["maxSurge"] = "25%"
    if spec.get("revisionHistoryLimit") is None:
        spec["revisionHistoryLimit"] = 10
    if spec.get("progressDeadlineSeconds") is None:
        spec["progressDeadlineSeconds"] = 600


def _percent(value: Any) -> int | None:
    if isinstance(value, str) and _PERCENT_RE.match(value):
        return int(value[:-1])
    return None


def _int_or_percent_value(value: Any) -> int:
    if isinstance(value, int):
        return value
    p = _percent(value)
    return p if p is not None else 0


def validate_positive_int_or_percent(value: Any, path: Path) -> list[FieldError]:
    if isinstance(value, str):
        if not _PERCENT_RE.match(value):
            return [field.invalid(path, common.go_int_or_string(value), PERCENT_ERROR)]
        return []
    if isinstance(value, int) and value < 0:
        return [field.invalid(path, value, "must be greater than or equal to 0")]
    return []


def validate_rolling_update(ru: Obj, path: Path) -> list[FieldError]:
    mu, ms = ru.get("maxUnavailable"), ru.get("maxSurge")
    errs = validate_positive_int_or_percent(mu, path.child("maxUnavailable"))
    errs += validate_positive_int_or_percent(ms, path.child("maxSurge"))
    if _int_or_percent_value(mu) == 0 and _int_or_percent_value(ms) == 0:
        errs.append(field.invalid(path.child("maxUnavailable"), common.go_int_or_string(mu if mu is not None else 0), "may not be 0 when `maxSurge` is 0"))
    p = _percent(mu)
    if p is not None and p > 100:
        errs.append(field.invalid(path.child("maxUnavailable"), common.go_int_or_string(mu), "must not be greater than 100%"))
    return errs


def validate_strategy(strategy: Any, path: Path) -> list[FieldError]:
    strategy = strategy if isinstance(strategy, dict) else {}
    stype = strategy.get("type")
    if stype == RECREATE:
        if strategy.get("rollingUpdate") is not None:
            return [field.forbidden(path.child("rollingUpdate"), "may not be specified when strategy `type` is 'Recreate'")]
        return []
    if stype == ROLLING_UPDATE:
        ru = strategy.get("rollingUpdate")
        if not isinstance(ru, dict):
            return [field.required(path.child("rollingUpdate"), "this should be defaulted and never be nil")]
        return validate_rolling_update(ru, path.child("rollingUpdate"))
    return [field.not_supported(path, common.GoLiteral(f"apps.DeploymentStrategy{{Type:{field.go_quote(stype or '')}}}"), (RECREATE, ROLLING_UPDATE))]


def validate_deployment_spec(d: Obj, ctx: Context | None, old: Obj | None = None) -> list[FieldError]:
    spec = d.get("spec") or {}
    sp = Path("spec")
    errs = rs_mod.nonneg(spec, "replicas", sp)
    errs.extend(rs_mod.validate_selector(spec.get("selector"), sp.child("selector")))
    errs.extend(
        rs_mod.validate_template_for_replica_set(
            spec.get("template"), spec.get("selector"), common.int_field(spec, "replicas"), sp.child("template"), rs_mod.pod_options(ctx, old)
        )
    )
    errs.extend(validate_strategy(spec.get("strategy"), sp.child("strategy")))
    errs.extend(rs_mod.nonneg(spec, "minReadySeconds", sp))
    errs.extend(rs_mod.nonneg(spec, "revisionHistoryLimit", sp))
    pds = spec.get("progressDeadlineSeconds")
    if isinstance(pds, int):
        errs.extend(rs_mod.nonneg(spec, "progressDeadlineSeconds", sp))
        if pds <= common.int_field(spec, "minReadySeconds"):
            errs.append(field.invalid(sp.child("progressDeadlineSeconds"), pds, "must be greater than minReadySeconds"))
    return errs


def validate_deployment_status(new: Obj, old: Obj) -> list[FieldError]:
    status = new.get("status") or {}
    p = Path("status")
    errs: list[FieldError] = []
    for key in ("observedGeneration", "replicas", "updatedReplicas", "readyReplicas", "availableReplicas", "unavailableReplicas", "collisionCount"):
        errs.extend(rs_mod.nonneg(status, key, p))
    replicas = common.int_field(status, "replicas")
    for key in ("updatedReplicas", "readyReplicas", "availableReplicas"):
        if common.int_field(status, key) > replicas:
            errs.append(field.invalid(p.child(key), status.get(key), "cannot be greater than status.replicas"))
    if common.int_field(status, "availableReplicas") > common.int_field(status, "readyReplicas"):
        errs.append(field.invalid(p.child("availableReplicas"), status.get("availableReplicas"), "cannot be greater than readyReplicas"))
    cc, old_cc = status.get("collisionCount"), (old.get("status") or {}).get("collisionCount")
    if isinstance(cc, int) and isinstance(old_cc, int) and cc < old_cc:
        errs.append(field.invalid(p.child("collisionCount"), cc, "cannot be decremented"))
    return errs


class DeploymentStrategy(Strategy):
    has_status = True

    def default(self, obj: Obj) -> None:
        default_deployment(obj)
        rs_mod.default_template(obj, "Deployment", "apps/v1")

    def prepare_for_create(self, obj: Obj, ctx: Context) -> None:
        obj["status"] = {}
        obj.setdefault("metadata", {})["generation"] = 1
        rs_mod.drop_disabled_template_fields(obj, None, ctx)

    def prepare_for_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        common.keep_status(new, old)
        rs_mod.drop_disabled_template_fields(new, old, ctx)
        # Annotations are copied to ReplicaSets, so changing them is a new generation too.
        changed = new.get("spec") != old.get("spec") or (new.get("metadata") or {}).get("annotations") != (
            old.get("metadata") or {}
        ).get("annotations")
        common.bump_generation_if(new, old, changed)

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return validate_deployment_spec(obj, ctx)

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_deployment_spec(new, ctx, old) + rs_mod.selector_immutable(new, old)

    def prepare_for_status_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        common.keep_spec(new, old)
        common.copy_labels(new, old)

    def validate_status_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_deployment_status(new, old)


def to_scale(obj: Obj) -> Obj:
    return rs_mod.to_scale(obj)


def apply_scale(obj: Obj, scale: Obj) -> Obj:
    return rs_mod.apply_scale(obj, scale, "deployments", "apps")


def table_row(d: Obj, now: datetime | None = None) -> list[Any]:
    spec, status = d.get("spec") or {}, d.get("status") or {}
    names, images = common.layout_container_cells(common.template_containers(d))
    return [
        common.name_of(d),
        f"{common.int_field(status, 'readyReplicas')}/{common.int_field(spec, 'replicas')}",
        common.int_field(status, "updatedReplicas"),
        common.int_field(status, "availableReplicas"),
        common.age(d, now),
        names,
        images,
        common.selector_string(spec.get("selector")),
    ]


PRINTER = Printer(
    columns=[
        common.name_column(),
        Column("Ready", description="Number of the pod with ready state"),
        Column("Up-to-date", "integer", description="Total number of non-terminated pods targeted by this deployment that have the desired template spec."),
        Column("Available", "integer", description="Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."),
        common.age_column(),
        common.wide("Containers", common.CONTAINERS_DESCRIPTION),
        common.wide("Images", common.IMAGES_DESCRIPTION),
        common.wide("Selector", "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment."),
    ],
    row=table_row,
)

DEPLOYMENTS = ResourceType(
    group="apps",
    version="v1",
    kind="Deployment",
    plural="deployments",
    namespaced=True,
    short_names=("deploy",),
    categories=("all",),
    subresources=(
        Subresource("scale", rs_mod.SCALE_VERBS, group="autoscaling", version="v1", kind="Scale"),
        Subresource("status", rs_mod.STATUS_VERBS),
    ),
    strategy=DeploymentStrategy(),
    printer=PRINTER,
)
