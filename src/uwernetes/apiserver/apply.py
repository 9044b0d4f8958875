"""Server-side apply (application/apply-patch+yaml), first cut.

What it does now: create-by-apply, merging the applied configuration into the live object with
strategic-merge semantics, and an `Apply` managedFields entry holding exactly the applied fields.
What it does not yet do (the API machinery issue): conflict detection between managers, removal
of fields a manager stopped applying, and listType/mapType-aware merging for custom resources.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from uwernetes.apiserver.resources.base import Obj, ResourceType
from uwernetes.machinery.managed_fields import object_fields


def applier(
    rt: ResourceType, applied: Obj, manager: str, force: bool, schema: dict | None
) -> tuple[Callable[[Obj], Obj], Callable[[], Obj]]:
    fields = object_fields(applied, include_status=False)

    def apply_fn(current: Obj) -> Obj:
        from uwernetes.machinery.patch.strategic import apply_strategic_merge_patch

        patch = copy.deepcopy(applied)
        (patch.get("metadata") or {}).pop("resourceVersion", None)
        if rt.builtin and schema is not None:
            merged = apply_strategic_merge_patch(current, patch, schema)
        else:
            from uwernetes.machinery.patch.merge_patch import apply_merge_patch

            merged = apply_merge_patch(current, patch)
        _set_apply_entry(merged, manager, rt.api_version, fields)
        return merged

    def create_fn() -> Obj:
        obj = copy.deepcopy(applied)
        _set_apply_entry(obj, manager, rt.api_version, fields)
        return obj

    return apply_fn, create_fn


def _set_apply_entry(obj: Obj, manager: str, api_version: str, fields: dict) -> None:
    from uwernetes.machinery.meta import now_rfc3339

    meta = obj.setdefault("metadata", {})
    entries = [e for e in meta.get("managedFields") or [] if not (e.get("manager") == manager and e.get("operation") == "Apply")]
    entries.append({
        "manager": manager,
        "operation": "Apply",
        "apiVersion": api_version,
        "time": now_rfc3339(),
        "fieldsType": "FieldsV1",
        "fieldsV1": fields,
    })
    meta["managedFields"] = entries
