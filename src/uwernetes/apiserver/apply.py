"""Server-side apply (application/apply-patch+yaml) with upstream's ownership rules.

The applied configuration's field set becomes the manager's `Apply` entry; it is merged into the
live object by the schema's list and map types; fields the manager applied last time and omits now
are removed unless another manager owns them; changing a field another manager owns is a 409
conflict unless `force` takes it over. kubectl's own manager may take over fields that
client-side apply wrote while the live object still matches its last-applied annotation.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import orjson

from uwernetes.apiserver.resources.base import Obj, ResourceType
from uwernetes.machinery import errors
from uwernetes.machinery import fieldpath as fp
from uwernetes.machinery.managed_fields import sort_key
from uwernetes.machinery.meta import now_rfc3339

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
_KUBECTL = "kubectl"


class Manager:
    """One managedFields entry with its field set decoded (a frozenset: decodings are shared)."""

    __slots__ = ("entry", "fields")

    def __init__(self, entry: dict[str, Any]) -> None:
        self.entry = entry
        self.fields: frozenset[fp.Path] = fp.decoded_fields(entry.get("fieldsV1"))

    @property
    def applier(self) -> bool:
        return self.entry.get("operation") == "Apply"

    def label(self) -> str:
        """How upstream names the manager in conflict messages."""
        e = self.entry
        out = orjson.dumps(e.get("manager", "")).decode()
        if e.get("subresource"):
            out += f' with subresource "{e["subresource"]}"'
        if e.get("operation") == "Update":
            out += f" using {e.get('apiVersion', '')}"
        return out


def applier(
    rt: ResourceType, applied: Obj, manager: str, force: bool, schema: dict | None, subresource: str = ""
) -> tuple[Callable[[Obj], Obj], Callable[[], Obj]]:
    """(apply_fn(current) -> new object, create_fn() -> object for create-by-apply)."""
    _check_type(rt, applied)
    if (applied.get("metadata") or {}).get("managedFields") is not None:
        raise errors.bad_request("metadata.managedFields must be nil")
    _check_declared(rt, applied, schema)
    include_status = subresource == "status" or not getattr(rt.strategy, "has_status", False)
    config = orjson.loads(orjson.dumps(applied))
    (config.get("metadata") or {}).pop("resourceVersion", None)
    if not include_status:
        config.pop("status", None)
    applied_set = fp.to_set(_view(config, include_status, subresource), schema)

    def apply_fn(current: Obj) -> Obj:
        return apply(current, config, applied_set, manager, force, rt.api_version, schema, include_status, subresource)

    def create_fn() -> Obj:
        obj = orjson.loads(orjson.dumps(config))
        entries = [_entry(manager, rt.api_version, applied_set, subresource)] if applied_set else []
        obj.setdefault("metadata", {})["managedFields"] = entries
        return obj

    return apply_fn, create_fn


def _check_type(rt: ResourceType, applied: Obj) -> None:
    api_version = applied.get("apiVersion") or ""
    kind = applied.get("kind") or ""
    if api_version != rt.api_version or kind != rt.kind:
        group, _, version = api_version.rpartition("/")
        raise errors.bad_request(f"invalid object type: {group}/{version}, Kind={kind}")


def _check_declared(rt: ResourceType, applied: Obj, schema: dict | None) -> None:
    bad = fp.undeclared(applied, schema)
    problem = f"{fp.path_string(bad)}: field not declared in schema" if bad is not None else None
    if problem is None and schema is not None:
        wrong = fp.mistyped(applied, schema)
        if wrong is not None:
            problem = f"{fp.path_string(wrong[0])}: {wrong[1]}"
    if problem is not None:
        meta = applied.get("metadata") or {}
        group, _, version = rt.api_version.rpartition("/")
        where = f"{meta.get('namespace', '')}/{meta.get('name', '')}; {group}/{version}, Kind={rt.kind}"
        # Upstream answers 500 here (a plain error, no reason), message and all.
        raise errors.StatusError(500, "", f"failed to create typed patch object ({where}): {problem}")


def _view(obj: Obj, include_status: bool, subresource: str) -> Obj:
    """What the write may own: only status through the status subresource (upstream's reset fields)."""
    if subresource == "status":
        return {"status": obj["status"]} if "status" in obj else {}
    return fp.strip(obj, include_status)


def _entry(manager: str, api_version: str, fields: fp.FieldSet, subresource: str = "") -> dict[str, Any]:
    entry = {
        "manager": manager,
        "operation": "Apply",
        "apiVersion": api_version,
        "time": now_rfc3339(),
        "fieldsType": "FieldsV1",
        "fieldsV1": fp.to_fields_v1(fields),
    }
    if subresource:
        entry["subresource"] = subresource
    return entry


def apply(
    live: Obj,
    config: Obj,
    applied_set: fp.FieldSet,
    manager: str,
    force: bool,
    api_version: str,
    schema: dict | None,
    include_status: bool = False,
    subresource: str = "",
) -> Obj:
    """The live object after `manager` applies `config` (raises 409 on conflicts unless force)."""
    managers = [Manager(e) for e in (live.get("metadata") or {}).get("managedFields") or []]
    me = next((m for m in managers if m.applier and m.entry.get("manager") == manager
               and m.entry.get("subresource", "") == subresource), None)
    others = [m for m in managers if m is not me]
    merged = fp.merge(live, orjson.loads(orjson.dumps(config)), schema)
    same_fields = me is not None and me.fields == applied_set
    if me is not None and not same_fields:
        # What this manager applied before and nobody holds now; usually nothing.
        gone = me.fields - applied_set
        for m in others:
            if not gone:
                break
            gone = gone - m.fields
        if gone:
            owned = set(applied_set)
            for m in others:
                owned |= m.fields
            merged = fp.remove(merged, gone, owned, schema)
    old_view = _view(live, include_status, subresource)
    changed, removed = fp.compare(old_view, _view(merged, include_status, subresource), schema)
    conflicts = [(m, p) for m in others for p in sorted(m.fields & changed)]
    if conflicts and not force and not _allowed_by_last_applied(manager, live, conflicts, old_view, schema):
        raise conflict_error(conflicts)
    taken = {p for _, p in conflicts}
    kept: list[dict[str, Any]] = []
    for m in others:
        lost = m.fields & (taken | removed)
        if lost:
            m.fields -= lost
            if not m.fields:
                continue
            m.entry = {**m.entry, "fieldsV1": fp.to_fields_v1(m.fields)}
        kept.append(m.entry)
    if applied_set:
        if same_fields and not changed and not removed:
            entry = me.entry  # a no-op apply keeps its time
        elif same_fields:
            entry = {**me.entry, "apiVersion": api_version, "time": now_rfc3339()}  # no need to re-render
        else:
            entry = _entry(manager, api_version, applied_set, subresource)
        kept.append(entry)
    merged.setdefault("metadata", {})["managedFields"] = sort_entries(kept)
    _refresh_last_applied(manager, merged, config)
    return merged


def conflict_error(conflicts: list[tuple[Manager, fp.Path]]) -> errors.StatusError:
    """409 with one FieldManagerConflict cause per conflicting field, worded as upstream."""
    causes = [
        {"reason": "FieldManagerConflict", "message": f"conflict with {m.label()}", "field": fp.path_string(p)}
        for m, p in conflicts
    ]
    if len(conflicts) == 1:
        m, p = conflicts[0]
        message = f"Apply failed with 1 conflict: conflict with {m.label()}: {fp.path_string(p)}"
    else:
        by_manager: dict[str, list[str]] = {}
        for m, p in conflicts:
            by_manager.setdefault(m.label(), []).append(fp.path_string(p))
        lines = []
        for label in sorted(by_manager):
            lines.append(f"conflicts with {label}:")
            lines.extend(f"- {p}" for p in by_manager[label])
        message = f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)
    return errors.StatusError(409, "Conflict", message, {"causes": causes})


def _allowed_by_last_applied(
    manager: str, live: Obj, conflicts: list[tuple[Manager, fp.Path]], live_view: Obj, schema: dict | None
) -> bool:
    """kubectl switching from client-side to server-side apply may take what its annotation shows."""
    if manager != _KUBECTL:
        return False
    raw = ((live.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
    if not raw:
        return False
    try:
        last = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return False
    if not isinstance(last, dict):
        return False
    last_view = fp.strip(last, False)
    # The annotation only counts while the live object still holds what it says.
    if fp.compare(live_view, fp.merge(live_view, orjson.loads(orjson.dumps(last_view)), schema), schema)[0]:
        return False
    allowed = fp.to_set(last_view, schema)
    return all(p in allowed for _, p in conflicts)


def _refresh_last_applied(manager: str, merged: Obj, config: Obj) -> None:
    """kubectl's server-side apply keeps an existing last-applied annotation current."""
    annotations = (merged.get("metadata") or {}).get("annotations") or {}
    if manager != _KUBECTL or LAST_APPLIED not in annotations:
        return
    body = copy.deepcopy(config)
    meta = body.get("metadata") or {}
    ann = dict(meta.get("annotations") or {})
    ann.pop(LAST_APPLIED, None)
    if ann:
        meta["annotations"] = ann
    else:
        meta.pop("annotations", None)
    annotations = dict(annotations)
    annotations[LAST_APPLIED] = orjson.dumps(body).decode() + "\n"
    merged["metadata"]["annotations"] = annotations


def sort_entries(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Upstream's order: operation, then time, manager, apiVersion, subresource."""
    return sorted(entries, key=sort_key)
