"""metadata.managedFields for Update operations (FieldsV1 sets of the fields a manager wrote).

Server-side apply (ownership, conflicts) builds on these sets; for plain create/update/patch the
server records which fields each manager's write touched, as upstream's field manager does.
"""

from __future__ import annotations

from typing import Any

import orjson

from uwernetes.machinery.meta import now_rfc3339

# Identity and system-owned metadata never show in field sets.
_SKIPPED_META = {
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "managedFields",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "generateName",
}
_ASSOC_KEYS = ("name", "containerPort", "port", "type", "key", "ip", "mountPath", "devicePath", "topologyKey")


def _list_item_key(item: Any) -> str | None:
    if not isinstance(item, dict):
        return None
    for k in _ASSOC_KEYS:
        if k in item and not isinstance(item[k], dict | list):
            key = {k: item[k]}
            if k == "containerPort" and "protocol" in item:
                key["protocol"] = item["protocol"]
            return "k:" + orjson.dumps(key, option=orjson.OPT_SORT_KEYS).decode()
    return None


def fields_of(value: Any) -> dict[str, Any]:
    """FieldsV1 for every leaf under value."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out[f"f:{k}"] = fields_of(v) if isinstance(v, dict | list) else {}
        return out
    if isinstance(value, list):
        out = {}
        for item in value:
            key = _list_item_key(item)
            if key is None:
                return {}  # atomic list: the list itself is the leaf
            sub = fields_of(item)
            sub["."] = {}
            out[key] = sub
        return out
    return {}


def object_fields(obj: dict[str, Any], include_status: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in obj.items():
        if k in ("apiVersion", "kind") or (k == "status" and not include_status):
            continue
        if k == "metadata":
            meta = {mk: mv for mk, mv in (v or {}).items() if mk not in _SKIPPED_META}
            if meta:
                out["f:metadata"] = fields_of(meta)
            continue
        out[f"f:{k}"] = fields_of(v) if isinstance(v, dict | list) else {}
    return out


def _diff(new: Any, old: Any) -> Any:
    """The part of `new`'s field set that differs from `old` (None when nothing changed)."""
    if new == old:
        return None
    if isinstance(new, dict) and isinstance(old, dict):
        out = {}
        for k, v in new.items():
            if k not in old:
                out[k] = v if isinstance(v, dict) else {}
            elif isinstance(v, dict) and isinstance(old[k], dict):
                d = _diff(v, old[k])
                if d is not None:
                    out[k] = d
        return out or None
    return new


def record_update(
    obj: dict[str, Any],
    old: dict[str, Any] | None,
    manager: str,
    api_version: str,
    subresource: str = "",
    include_status: bool = False,
) -> None:
    """Add or merge the manager's Update entry for the fields this write set or changed."""
    meta = obj.setdefault("metadata", {})
    entries = [dict(e) for e in (meta.get("managedFields") or [])]
    if old is None:
        changed = object_fields(obj, include_status or subresource == "status")
    else:
        if subresource == "status":
            changed = _diff(fields_of(obj.get("status") or {}), fields_of(old.get("status") or {}))
            changed = {"f:status": changed} if changed else None
        else:
            # Compare values, not just field presence: a changed leaf is owned by its writer.
            changed = _changed_fields(obj, old, include_status)
    if not changed:
        if entries:
            meta["managedFields"] = entries
        return
    for e in entries:
        if e.get("manager") == manager and e.get("operation") == "Update" and e.get("subresource", "") == subresource:
            e["fieldsV1"] = _merge(e.get("fieldsV1") or {}, changed)
            e["time"] = now_rfc3339()
            e["apiVersion"] = api_version
            break
    else:
        entry = {
            "manager": manager,
            "operation": "Update",
            "apiVersion": api_version,
            "time": now_rfc3339(),
            "fieldsType": "FieldsV1",
            "fieldsV1": changed,
        }
        if subresource:
            entry["subresource"] = subresource
        entries.append(entry)
    meta["managedFields"] = entries


def _changed_fields(new: dict, old: dict, include_status: bool) -> dict | None:
    def walk(n: Any, o: Any) -> Any:
        if n == o:
            return None
        if isinstance(n, dict) and isinstance(o, dict):
            out = {}
            for k, v in n.items():
                if k in o:
                    d = walk(v, o[k])
                    if d is not None:
                        out[f"f:{k}"] = d
                else:
                    out[f"f:{k}"] = fields_of(v) if isinstance(v, dict | list) else {}
            return out or None
        return fields_of(n) if isinstance(n, dict | list) else {}

    trimmed_new = {k: v for k, v in new.items() if k not in ("apiVersion", "kind") and (include_status or k != "status")}
    trimmed_old = {k: v for k, v in old.items() if k not in ("apiVersion", "kind") and (include_status or k != "status")}
    for t in (trimmed_new, trimmed_old):
        if "metadata" in t:
            t["metadata"] = {k: v for k, v in (t["metadata"] or {}).items() if k not in _SKIPPED_META}
    return walk(trimmed_new, trimmed_old)


def _merge(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, v in b.items():
        out[k] = _merge(out[k], v) if k in out and isinstance(out[k], dict) and isinstance(v, dict) else v
    return out
