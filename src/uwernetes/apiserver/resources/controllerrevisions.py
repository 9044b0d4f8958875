"""ControllerRevisions (apps/v1): upstream's `pkg/registry/apps/controllerrevision/strategy.go`,
`ValidateControllerRevision*` and `printControllerRevision`.

An immutable snapshot of a StatefulSet's or DaemonSet's template (`data`) with a revision
number; `kubectl rollout history/undo` reads them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from uwernetes.apiserver.resources import core_common as common
from uwernetes.apiserver.resources.base import Column, Context, Obj, Printer, ResourceType, Strategy
from uwernetes.machinery import field, validation
from uwernetes.machinery.field import FieldError, Path


def validate_revision(cr: Obj) -> list[FieldError]:
    errs: list[FieldError] = []
    if cr.get("data") is None:
        errs.append(field.required(Path("data"), "data is mandatory"))
    errs.extend(validation.validate_nonnegative(cr.get("revision"), Path("revision")))
    return errs


def validate_revision_update(new: Obj, old: Obj) -> list[FieldError]:
    return validate_revision(new) + validation.validate_immutable(new.get("data"), old.get("data"), Path("data"))


class ControllerRevisionStrategy(Strategy):
    # No spec: the revision and data never bump metadata.generation.
    tracks_generation = False

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return validate_revision(obj)

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_revision_update(new, old)


def controller_name(cr: Obj) -> str:
    """formatResourceName of the controller ref: `statefulset.apps/web`, `<none>` without one."""
    for ref in (cr.get("metadata") or {}).get("ownerReferences") or ():
        if ref.get("controller"):
            api_version = ref.get("apiVersion") or ""
            group = api_version.split("/", 1)[0] if "/" in api_version else ""
            kind = ref.get("kind") or ""
            if not kind and not group:
                return ref.get("name") or ""
            group_kind = f"{kind}.{group}" if group else kind
            return f"{group_kind.lower()}/{ref.get('name') or ''}"
    return "<none>"


def table_row(cr: Obj, now: datetime | None = None) -> list[Any]:
    revision = cr.get("revision")
    return [common.name_of(cr), controller_name(cr), revision if isinstance(revision, int) else 0, common.age(cr, now)]


PRINTER = Printer(
    columns=[
        common.name_column(),
        Column("Controller", description="Controller of the object"),
        Column("Revision", description="Revision indicates the revision of the state represented by Data."),
        common.age_column(),
    ],
    row=table_row,
)

CONTROLLERREVISIONS = ResourceType(
    group="apps",
    version="v1",
    kind="ControllerRevision",
    plural="controllerrevisions",
    namespaced=True,
    strategy=ControllerRevisionStrategy(),
    printer=PRINTER,
)
