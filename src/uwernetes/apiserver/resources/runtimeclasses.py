"""RuntimeClasses (node.k8s.io/v1): upstream's `pkg/registry/node/runtimeclass`,
`pkg/apis/node/validation` and `printRuntimeClass`. The handler names a CRI runtime handler
and cannot change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from uwernetes.apiserver.resources import core_common as common
from uwernetes.apiserver.resources import podspec
from uwernetes.apiserver.resources.base import Column, Context, Obj, Printer, ResourceType, Strategy
from uwernetes.machinery import field, validation
from uwernetes.machinery.field import FieldError, Path


def _toleration_key(t: Obj) -> tuple[str, str, str, str]:
    return (t.get("key") or "", t.get("operator") or "", t.get("value") or "", t.get("effect") or "")


def _go_toleration(t: Obj) -> common.GoLiteral:
    """`%#v` of a core.Toleration, as the duplicate error prints it."""
    seconds = t.get("tolerationSeconds")
    ts = "(*int64)(nil)" if seconds is None else f"(*int64)({seconds})"
    key, op, value, effect = (field.go_quote(part) for part in _toleration_key(t))
    return common.GoLiteral(
        f"core.Toleration{{Key:{key}, Operator:{op}, Value:{value}, Effect:{effect}, TolerationSeconds:{ts}}}"
    )


def validate_scheduling(scheduling: Obj, path: Path) -> list[FieldError]:
    errs: list[FieldError] = []
    if scheduling.get("nodeSelector") is not None:
        errs += validation.validate_labels(scheduling["nodeSelector"], path.child("nodeSelector"))
    tolerations = scheduling.get("tolerations") or []
    tpath = path.child("tolerations")
    errs += podspec.validate_tolerations(tolerations, tpath)
    # Tolerations are a map keyed by (key, operator, value, effect).
    seen: set[tuple[str, str, str, str]] = set()
    for i, t in enumerate(tolerations):
        k = _toleration_key(t or {})
        if k in seen:
            errs.append(field.duplicate(tpath.index(i), _go_toleration(t or {})))
        seen.add(k)
    return errs


def validate_runtime_class(rc: Obj) -> list[FieldError]:
    handler = rc.get("handler") or ""
    errs = [field.invalid("handler", handler, m) for m in validation.is_dns1123_label(handler)]
    overhead = rc.get("overhead")
    if overhead is not None:
        # Upstream reuses the container limits check on podFixed.
        errs += podspec.validate_resource_requirements({"limits": overhead.get("podFixed") or {}}, Path("overhead"))
    if rc.get("scheduling") is not None:
        errs += validate_scheduling(rc["scheduling"], Path("scheduling"))
    return errs


class RuntimeClassStrategy(Strategy):
    tracks_generation = False

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return validate_runtime_class(obj)

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validation.validate_immutable(new.get("handler") or "", old.get("handler") or "", "handler")


def table_row(rc: Obj, now: datetime | None = None) -> list[Any]:
    return [common.name_of(rc), rc.get("handler") or "", common.age(rc, now)]


PRINTER = Printer(
    # Upstream takes the Handler description from ObjectMeta's docs, which have none.
    columns=[common.name_column(), Column("Handler"), common.age_column()],
    row=table_row,
)

RUNTIMECLASSES = ResourceType(
    group="node.k8s.io",
    version="v1",
    kind="RuntimeClass",
    plural="runtimeclasses",
    namespaced=False,
    strategy=RuntimeClassStrategy(),
    printer=PRINTER,
)
