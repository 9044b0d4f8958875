"""Server-side printing: objects -> metav1.Table, as `kubectl get` asks for it."""

from __future__ import annotations

from typing import Any

from uwernetes.apiserver.resources.base import Column, Obj, Printer, ResourceType

_NAME_DESC = (
    "Name must be unique within a namespace. Is required when creating resources, although some resources may "
    "allow a client to request the generation of an appropriate name automatically. Name is primarily intended "
    "for creation idempotence and configuration definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
)
_CREATED_DESC = (
    "CreationTimestamp is a timestamp representing the server time when this object was created. It is not "
    "guaranteed to be set in happens-before order across separate operations. Clients may not set this value. "
    "It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. "
    "More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
)

DEFAULT_PRINTER = Printer(
    columns=[
        Column("Name", "string", "name", _NAME_DESC),
        Column("Created At", "date", "", _CREATED_DESC),
    ],
    row=lambda obj: [
        (obj.get("metadata") or {}).get("name", ""),
        (obj.get("metadata") or {}).get("creationTimestamp"),
    ],
)


def printer_for(rt: ResourceType) -> Printer:
    return rt.printer or DEFAULT_PRINTER


def _row_object(obj: Obj, include: str, table_version: str) -> dict[str, Any] | None:
    if include == "None":
        return None
    if include == "Object":
        return obj
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": table_version,
        "metadata": obj.get("metadata") or {},
    }


def table(
    rt: ResourceType,
    objs: list[Obj],
    include_object: str = "Metadata",
    table_version: str = "meta.k8s.io/v1",
    list_meta: dict[str, Any] | None = None,
    with_columns: bool = True,
) -> dict[str, Any]:
    printer = printer_for(rt)
    if printer.sort_key is not None and len(objs) > 1:
        objs = sorted(objs, key=printer.sort_key)
    rows = []
    for obj in objs:
        row: dict[str, Any] = {"cells": printer.row(obj)}
        if printer.conditions is not None:
            conds = printer.conditions(obj)
            if conds:
                row["conditions"] = conds
        ro = _row_object(obj, include_object, table_version)
        if ro is not None:
            row["object"] = ro
        rows.append(row)
    out: dict[str, Any] = {"kind": "Table", "apiVersion": table_version, "metadata": list_meta or {}}
    out["columnDefinitions"] = [c.definition() for c in printer.columns] if with_columns else None
    out["rows"] = rows
    return out
