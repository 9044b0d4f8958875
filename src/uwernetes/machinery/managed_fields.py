"""metadata.managedFields for Update operations (FieldsV1 sets of the fields a manager wrote).

Server-side apply (ownership, conflicts) builds on these sets; for plain create/update/patch the
server records which fields each manager's write touched, as upstream's field manager does.
"""

from __future__ import annotations

from typing import Any

import orjson

from uwernetes.machinery import fieldpath as fp
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


# The kind's schema decides list and map semantics (atomic, set, map keys) as upstream's typed
# field sets do; without one (a field the schema does not declare) the common association keys
# are guessed from the items.
Type = Any  # fieldpath's compiled schema node, or None


def _child(t: Type, name: str) -> Type:
    if t is None:
        return None
    ct, _ = t.child(name)
    return None if ct.none else ct


def _items(t: Type) -> Type:
    if t is None:
        return None
    it = t.items_t
    return None if it.none else it


def _element(item: Any, t: Type) -> str | None:
    """The path element of one list item; None when the list is atomic."""
    if t is None:
        return _list_item_key(item)
    if t.kind == "atomic":
        return None
    return fp.item_element(item, t.kind, t.keys)


def fields_of(value: Any, t: Type = None) -> dict[str, Any]:
    """FieldsV1 for every leaf under value."""
    if isinstance(value, dict):
        if t is not None and t.atomic_map:
            return {}  # an atomic map is itself the leaf
        out: dict[str, Any] = {}
        for k, v in value.items():
            out[f"f:{k}"] = fields_of(v, _child(t, k)) if isinstance(v, dict | list) else {}
        return out
    if isinstance(value, list):
        out = {}
        it = _items(t)
        for item in value:
            key = _element(item, t)
            if key is None:
                return {}  # atomic list: the list itself is the leaf
            if t is not None and t.kind == "set":
                out[key] = {}
                continue
            sub = fields_of(item, it)
            sub["."] = {}
            out[key] = sub
        return out
    return {}


def object_fields(obj: dict[str, Any], include_status: bool, t: Type = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in obj.items():
        if k in ("apiVersion", "kind") or (k == "status" and not include_status):
            continue
        if k == "metadata":
            meta = {mk: mv for mk, mv in (v or {}).items() if mk not in _SKIPPED_META}
            if meta:
                out["f:metadata"] = fields_of(meta, _child(t, k))
            continue
        out[f"f:{k}"] = fields_of(v, _child(t, k)) if isinstance(v, dict | list) else {}
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
    schema: dict[str, Any] | None = None,
) -> None:
    """Add or merge the manager's Update entry for the fields this write set or changed."""
    meta = obj.setdefault("metadata", {})
    entries = [dict(e) for e in (meta.get("managedFields") or [])]
    t = fp.schema_type(schema) if schema is not None else None
    if old is None:
        changed = object_fields(obj, include_status or subresource == "status", t)
    else:
        if subresource == "status":
            st = _child(t, "status")
            changed = _diff(fields_of(obj.get("status") or {}, st), fields_of(old.get("status") or {}, st))
            changed = {"f:status": changed} if changed else None
        else:
            # Compare values, not just field presence: a changed leaf is owned by its writer.
            changed = _changed_fields(obj, old, include_status, t)
    if entries and old is not None:
        entries = _transfer(entries, obj, old, changed, manager, api_version, subresource, include_status, t)
    if not changed:
        if entries:
            meta["managedFields"] = entries
        else:
            meta.pop("managedFields", None)
        return
    for e in entries:
        # One Update entry per manager, subresource and apiVersion, as upstream keys them.
        if (e.get("manager") == manager and e.get("operation") == "Update" and e.get("subresource", "") == subresource
                and e.get("apiVersion") == api_version):
            e["fieldsV1"] = _merge(e.get("fieldsV1") or {}, changed)
            e["time"] = now_rfc3339()
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
    if len(entries) > 1:
        entries.sort(key=sort_key)
    meta["managedFields"] = entries


def sort_key(e: dict[str, Any]) -> tuple:
    """Upstream's order: operation (Apply first), time, manager, apiVersion, subresource."""
    return (e.get("operation", ""), e.get("time") or "", e.get("manager", ""), e.get("apiVersion", ""), e.get("subresource", ""))


def _changed_fields(new: dict, old: dict, include_status: bool, root: Type = None) -> dict | None:
    def walk(n: Any, o: Any, t: Type) -> Any:
        if n == o:
            return None
        if isinstance(n, dict) and isinstance(o, dict) and not (t is not None and t.atomic_map):
            out = {}
            for k, v in n.items():
                if k in o:
                    d = walk(v, o[k], _child(t, k))
                    if d is not None:
                        out[f"f:{k}"] = d
                else:
                    out[f"f:{k}"] = fields_of(v, _child(t, k)) if isinstance(v, dict | list) else {}
            return out or None
        if isinstance(n, list) and isinstance(o, list):
            keyed = _keyed(n, t), _keyed(o, t)
            if keyed[0] is not None and keyed[1] is not None:
                # Items matched by key: a change to one item is not a change to its siblings.
                it = _items(t)
                set_list = t is not None and t.kind == "set"
                out = {}
                for key, item in keyed[0].items():
                    if key in keyed[1]:
                        d = None if set_list else walk(item, keyed[1][key], it)
                        if d is not None:
                            out[key] = d
                    else:
                        out[key] = {} if set_list else {**fields_of(item, it), ".": {}}
                return out or None
        return fields_of(n, t) if isinstance(n, dict | list) else {}

    trimmed_new = {k: v for k, v in new.items() if k not in ("apiVersion", "kind") and (include_status or k != "status")}
    trimmed_old = {k: v for k, v in old.items() if k not in ("apiVersion", "kind") and (include_status or k != "status")}
    for t in (trimmed_new, trimmed_old):
        if "metadata" in t:
            t["metadata"] = {k: v for k, v in (t["metadata"] or {}).items() if k not in _SKIPPED_META}
    return walk(trimmed_new, trimmed_old, root)


def _merge(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, v in b.items():
        out[k] = _merge(out[k], v) if k in out and isinstance(out[k], dict) and isinstance(v, dict) else v
    return out


def _keyed(items: list, t: Type = None) -> dict[str, Any] | None:
    """Items by their association key, or None when the list is atomic."""
    out: dict[str, Any] = {}
    for item in items:
        key = _element(item, t)
        if key is None or key in out:
            return None
        out[key] = item
    return out if items else None


def _removed(new: Any, old: Any, prefix: tuple[str, ...], out: set, t: Type = None) -> None:
    """Paths present in old and gone from new (with everything under them)."""
    if new == old:
        return
    if isinstance(new, dict) and isinstance(old, dict) and not (t is not None and t.atomic_map):
        for k, v in old.items():
            p = (*prefix, f"f:{k}")
            ct = _child(t, k)
            if k in new:
                _removed(new[k], v, p, out, ct)
            else:
                out.add(p)
                out.update(_paths(fields_of(v, ct) if isinstance(v, dict | list) else {}, p))
        return
    if isinstance(new, list) and isinstance(old, list):
        kn, ko = _keyed(new, t), _keyed(old, t)
        if kn is not None and ko is not None:
            it = _items(t)
            set_list = t is not None and t.kind == "set"
            for key, item in ko.items():
                p = (*prefix, key)
                if key in kn:
                    if not set_list:
                        _removed(kn[key], item, p, out, it)
                else:
                    out.add(p)
                    if not set_list:
                        out.update(_paths(fields_of(item, it), p))


def _paths(fields: dict, prefix: tuple[str, ...] = ()) -> set:
    out = set()
    for k, v in fields.items():
        if k == ".":
            continue
        p = (*prefix, k)
        if not v or "." in v:
            out.add(p)
        if v:
            out |= _paths(v, p)
    return out


def _transfer(
    entries: list[dict[str, Any]], new: dict, old: dict, changed: dict | None, manager: str, api_version: str,
    subresource: str, include_status: bool, t: Type = None,
) -> list[dict[str, Any]]:
    """Upstream's Update: fields it changed leave the other managers, fields it removed leave everyone."""
    from uwernetes.machinery.fieldpath import decoded_fields, to_fields_v1

    status = include_status or subresource == "status"
    removed: set = set()
    _removed(_view(new, status), _view(old, status), (), removed, t)
    taken = _paths(changed) if changed else set()
    if not removed and not taken:
        return entries
    tops = {p[0] for p in removed} | {p[0] for p in taken}
    out = []
    for e in entries:
        fields = e.get("fieldsV1") or {}
        if tops.isdisjoint(fields):
            out.append(e)  # cheap skip: e.g. a status write never touches a spec owner
            continue
        mine = (e.get("manager") == manager and e.get("operation") == "Update"
                and e.get("subresource", "") == subresource and e.get("apiVersion") == api_version)
        lose = removed if mine else removed | taken
        have = decoded_fields(fields)  # shared: never changed in place
        if have.isdisjoint(lose):
            out.append(e)
            continue
        have = have - lose
        if have or (mine and changed):
            e["fieldsV1"] = to_fields_v1(have)
            out.append(e)
    return out


def _view(obj: dict, include_status: bool) -> dict:
    out = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind") and (include_status or k != "status")}
    if "metadata" in out:
        out["metadata"] = {k: v for k, v in (out["metadata"] or {}).items() if k not in _SKIPPED_META}
    return out
