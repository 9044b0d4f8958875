"""Field sets and schema-aware merging for server-side apply (structured-merge-diff semantics).

A field set is a Python set of paths; a path is a tuple of FieldsV1 path elements (`f:name`,
`k:{"name":"x"}`, `v:"a"`). The schema decides how lists and maps are walked: list-type `map`
(items keyed by `x-kubernetes-list-map-keys`), `set` (items keyed by value), `atomic` (one leaf);
maps are granular unless `x-kubernetes-map-type: atomic`. Without a schema, maps are granular and
lists atomic, as upstream deduces for schemaless types.
"""

from __future__ import annotations

from typing import Any

import orjson

from uwernetes.machinery import schemas

Path = tuple[str, ...]
FieldSet = set[Path]

# Identity and server-owned metadata never show in field sets (upstream strips them).
STRIPPED_META = frozenset({
    "name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "managedFields",
    "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds", "generateName",
})
# Keys upstream's schemas default when an applied list item omits them.
_KEY_DEFAULTS = {"protocol": "TCP"}

_ATOMIC = "atomic"
_MAP = "map"
_SET = "set"


class _Type:
    """What the walks need to know about one schema node, looked up once instead of per value.

    `none` stands for "no schema" (node None). Children are compiled lazily because schemas are
    recursive (JSONSchemaProps)."""

    __slots__ = ("atomic_map", "extra", "json_types", "kids", "kind", "keys", "node", "none", "open", "props",
                 "resolved", "_extra_t", "_items_t")

    def __init__(self, node: dict | None) -> None:
        self.node = node
        self.none = node is None
        self.kids: dict[str, _Type] = {}
        self._extra_t: _Type | None = None
        self._items_t: _Type | None = None
        if node is None:
            self.resolved = None
            self.props = None
            self.extra = None
            self.kind, self.keys = _ATOMIC, ()
            self.atomic_map = False
            self.open = True
            self.json_types: frozenset[str] = frozenset()
            return
        r = schemas.resolve(node)
        self.resolved = r
        props = r.get("properties")
        self.props = props or None
        extra = r.get("additionalProperties")
        self.extra = extra if isinstance(extra, dict) else None
        self.kind, self.keys = _list_kind(node, r)
        self.atomic_map = node.get("x-kubernetes-map-type") == _ATOMIC or r.get("x-kubernetes-map-type") == _ATOMIC
        # Objects whose unknown keys upstream's typed conversion accepts.
        self.open = not props or bool(r.get("x-kubernetes-preserve-unknown-fields")) or self.extra is not None
        self.json_types = frozenset(schemas.types_of(r))

    def child(self, name: str) -> tuple[_Type, bool]:
        """(type of field `name`, whether it is a declared struct field)."""
        props = self.props
        if props is not None and name in props:
            t = self.kids.get(name)
            if t is None:
                t = self.kids[name] = _compile(props[name])
            return t, True
        return self.extra_t, False

    @property
    def extra_t(self) -> _Type:
        t = self._extra_t
        if t is None:
            t = self._extra_t = _compile(self.extra)
        return t

    @property
    def items_t(self) -> _Type:
        t = self._items_t
        if t is None:
            it = self.resolved.get("items") if self.resolved is not None else None
            t = self._items_t = _compile(it if isinstance(it, dict) else None)
        return t


_NONE = _Type(None)
_COMPILED: dict[int, _Type] = {}


def schema_type(node: dict | None) -> _Type:
    """The compiled form of a schema node (list kinds, map keys, children), shared and cached."""
    return _compile(node)


def _compile(node: dict | None) -> _Type:
    # Memoized by identity (checked, so a recycled id never returns a stale node): applies walk
    # the same schema nodes thousands of times.
    if node is None:
        return _NONE
    t = _COMPILED.get(id(node))
    if t is not None and t.node is node:
        return t
    t = _Type(node)
    if len(_COMPILED) > 50_000:
        _COMPILED.clear()
    _COMPILED[id(node)] = t
    return t


# Results for whole list items, keyed by (item type, what, item JSON): the items of a big
# object's lists (a pod's containers) come back unchanged on nearly every apply, and a dict
# lookup of their JSON is far cheaper than walking them again. First in, first out.
_ITEM_MEMO: dict[tuple[_Type, str, bytes], Any] = {}
_ITEM_MEMO_MAX = 2048
_MISS = object()


def _item_key(t: _Type, what: str, item: dict) -> tuple[_Type, str, bytes] | None:
    try:
        return (t, what, orjson.dumps(item))
    except TypeError:  # not JSON (orjson's encode error is a TypeError): no memo
        return None


def _memo_put(key: tuple[_Type, str, bytes], value: Any) -> None:
    if len(_ITEM_MEMO) >= _ITEM_MEMO_MAX:
        evict_oldest(_ITEM_MEMO)
    _ITEM_MEMO[key] = value


def evict_oldest(memo: dict) -> Any:
    """Drop a FIFO memo's oldest key and return it (None if another thread emptied it first)."""
    try:
        key = next(iter(memo))
        del memo[key]
    except (StopIteration, KeyError, RuntimeError):  # raced with another thread: nothing to do
        return None
    return key


def _item_fields(item: dict, t: _Type) -> tuple[Path, ...]:
    """to_set of one map-list item, relative to the item."""
    key = _item_key(t, "set", item)
    hit = _ITEM_MEMO.get(key, _MISS) if key is not None else _MISS
    if hit is not _MISS:
        return hit
    rel: FieldSet = set()
    _to_set(item, t, (), rel, False)
    out = tuple(rel)
    if key is not None:
        _memo_put(key, out)
    return out


def _list_kind(node: dict, resolved: dict) -> tuple[str, tuple[str, ...]]:
    for n in (node, resolved):
        lt = n.get("x-kubernetes-list-type")
        if lt == "map":
            return _MAP, tuple(n.get("x-kubernetes-list-map-keys") or ())
        if lt in (_SET, _ATOMIC):
            return lt, ()
    strategy = node.get("x-kubernetes-patch-strategy") or ""
    if "merge" in strategy.split(","):
        key = node.get("x-kubernetes-patch-merge-key")
        return (_MAP, (key,)) if key else (_SET, ())
    return _ATOMIC, ()


def list_kind(node: dict | None) -> tuple[str, tuple[str, ...]]:
    """(relationship, map keys) of a list schema node; atomic when nothing says otherwise."""
    t = _compile(node)
    return t.kind, t.keys


def map_atomic(node: dict | None) -> bool:
    return _compile(node).atomic_map


# Elements of items keyed by one string (a container's or env var's name): (key, value) -> element.
_NAME_ELEMENTS: dict[tuple[str, str], str] = {}


def item_element(item: Any, kind: str, keys: tuple[str, ...]) -> str:
    """The path element naming one item of a map- or set-typed list."""
    if kind == _SET:
        return "v:" + orjson.dumps(item).decode()
    if len(keys) == 1 and type(item) is dict:
        value = item.get(keys[0])
        if type(value) is str:
            hit = _NAME_ELEMENTS.get((keys[0], value))
            if hit is None:
                if len(_NAME_ELEMENTS) > 50_000:
                    _NAME_ELEMENTS.clear()
                hit = _NAME_ELEMENTS[(keys[0], value)] = "k:" + orjson.dumps({keys[0]: value}).decode()
            return hit
    key: dict[str, Any] = {}
    if isinstance(item, dict):
        for k in keys:
            if k in item:
                key[k] = item[k]
            elif k in _KEY_DEFAULTS:
                key[k] = _KEY_DEFAULTS[k]
    return "k:" + orjson.dumps(key, option=orjson.OPT_SORT_KEYS).decode()


def to_set(value: Any, node: dict | None, prefix: Path = (), out: FieldSet | None = None) -> FieldSet:
    """The fields of value (upstream's ToFieldSet): leaves, list items, atomic values, empty maps."""
    out = set() if out is None else out
    _to_set(value, _compile(node), prefix, out, True)
    return out


def _to_set(value: Any, t: _Type, prefix: Path, out: FieldSet, memo: bool) -> None:
    if isinstance(value, dict):
        if t.atomic_map:
            out.add(prefix)
            return
        for k, v in value.items():
            sub, declared = t.child(k)
            p = (*prefix, "f:" + k)
            if isinstance(v, dict):
                if not v or not declared:
                    out.add(p)
                _to_set(v, sub, p, out, memo)
            elif isinstance(v, list):
                if not declared:
                    out.add(p)
                _to_set(v, sub, p, out, memo)
            else:
                out.add(p)  # a leaf (null included)
        return
    if isinstance(value, list):
        kind = t.kind
        if kind == _ATOMIC:
            out.add(prefix)
            return
        keys = t.keys
        if kind == _MAP:
            elem = t.items_t
            for item in value:
                p = (*prefix, item_element(item, kind, keys))
                if memo and isinstance(item, dict):
                    out.update([p + r for r in _item_fields(item, elem)])
                else:
                    _to_set(item, elem, p, out, memo)
                out.add(p)
        else:
            for item in value:
                out.add((*prefix, item_element(item, kind, keys)))
        return
    if prefix:
        out.add(prefix)


def strip(obj: dict, include_status: bool) -> dict:
    """The object as field sets see it: no apiVersion/kind, no identity metadata."""
    out = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind") and (include_status or k != "status")}
    if "metadata" in out:
        meta = {k: v for k, v in (out["metadata"] or {}).items() if k not in STRIPPED_META}
        if meta:
            out["metadata"] = meta
        else:
            del out["metadata"]
    return out


def _subtree(value: Any, t: _Type, prefix: Path, out: FieldSet) -> None:
    """Every path in a value, intermediate maps included (what an added or removed subtree covers)."""
    out.add(prefix)
    _to_set(value, t, prefix, out, False)
    if isinstance(value, dict) and not t.atomic_map:
        for k, v in value.items():
            if isinstance(v, dict | list):
                _subtree(v, t.child(k)[0], (*prefix, "f:" + k), out)


def _index(items: list, kind: str, keys: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        out.setdefault(item_element(item, kind, keys), item)
    return out


def compare(old: Any, new: Any, node: dict | None, prefix: Path = ()) -> tuple[FieldSet, FieldSet]:
    """(modified or added paths, removed paths) going from old to new."""
    changed: FieldSet = set()
    removed: FieldSet = set()
    _compare(old, new, _compile(node), prefix, changed, removed)
    return changed, removed


def _compare(old: Any, new: Any, t: _Type, prefix: Path, changed: FieldSet, removed: FieldSet) -> None:
    if old == new:
        return
    if isinstance(old, dict) and isinstance(new, dict) and not t.atomic_map:
        for k, v in new.items():
            sub = t.child(k)[0]
            p = (*prefix, "f:" + k)
            if k in old:
                _compare(old[k], v, sub, p, changed, removed)
            else:
                _subtree(v, sub, p, changed)
        for k, v in old.items():
            if k not in new:
                _subtree(v, t.child(k)[0], (*prefix, "f:" + k), removed)
        return
    if isinstance(old, list) and isinstance(new, list):
        kind = t.kind
        if kind != _ATOMIC:
            keys = t.keys
            elem = t.items_t if kind == _MAP else _NONE
            oi, ni = _index(old, kind, keys), _index(new, kind, keys)
            for pe, item in ni.items():
                p = (*prefix, pe)
                if pe in oi:
                    _compare(oi[pe], item, elem, p, changed, removed)
                else:
                    _subtree(item, elem, p, changed)
            for pe, item in oi.items():
                if pe not in ni:
                    _subtree(item, elem, (*prefix, pe), removed)
            return
    changed.add(prefix)
    if isinstance(new, dict | list):
        _to_set(new, t, prefix, changed, False)


def merge(live: Any, config: Any, node: dict | None) -> Any:
    """The applied configuration merged into the live value (config wins on leaves).

    The result shares structure with `config`: pass a copy the caller will not reuse."""
    return _merge(live, config, _compile(node), True)


def _merge(live: Any, config: Any, t: _Type, memo: bool) -> Any:
    if isinstance(config, dict):
        if isinstance(live, dict) and not t.atomic_map:
            out = dict(live)
            for k, v in config.items():
                # Only containers merge; a config leaf replaces whatever is live.
                if k in live and isinstance(v, dict | list):
                    out[k] = _merge(live[k], v, t.child(k)[0], memo)
                else:
                    out[k] = v
            return out
        return config
    if isinstance(config, list) and isinstance(live, list):
        kind = t.kind
        if kind != _ATOMIC:
            return _merge_list(live, config, kind, t.keys, t.items_t if kind == _MAP else _NONE, memo)
    return config


_SAME_AS_LIVE = b""  # never valid JSON: marks a merge whose result is the live item unchanged


def _merged_item(live: dict, config: dict, t: _Type) -> Any:
    """_merge of one pair of map-list items, memoized by both items' JSON.

    A hit whose result was exactly the live item (the usual re-apply of an unchanged item) returns
    `live` itself, as merging shares live's structure anyway; other hits decode fresh objects, so
    callers that change the merged object (defaulting) never touch the memo."""
    try:
        live_json = orjson.dumps(live)
        key = (t, "merge", live_json + b"\n" + orjson.dumps(config))  # orjson never writes a newline
    except TypeError:
        return _merge(live, config, t, False)
    hit = _ITEM_MEMO.get(key)
    if hit is not None:
        return live if hit is _SAME_AS_LIVE else orjson.loads(hit)
    out = _merge(live, config, t, False)
    try:
        out_json = orjson.dumps(out)
    except TypeError:
        return out
    _memo_put(key, _SAME_AS_LIVE if out_json == live_json else out_json)
    return out


def _merge_list(live: list, config: list, kind: str, keys: tuple[str, ...], elem: _Type, memo: bool) -> list:
    # Order as upstream: items only in live keep their place, shared items follow the config's
    # order, new items come where the config puts them.
    lkeys = [item_element(i, kind, keys) for i in live]
    ckeys = [item_element(i, kind, keys) for i in config]
    lmap = dict(zip(lkeys, live, strict=True))
    if lkeys == ckeys and len(lmap) == len(lkeys):
        # The same distinct keys in the same order (a re-apply): the walk below pairs them up.
        if memo and kind == _MAP:
            return [_merged_item(li_, ci_, elem) if type(li_) is dict and type(ci_) is dict else _merge(li_, ci_, elem, memo)
                    for li_, ci_ in zip(live, config, strict=True)]
        return [_merge(li_, ci_, elem, memo) for li_, ci_ in zip(live, config, strict=True)]
    cmap = dict(zip(ckeys, config, strict=True))
    shared = [k for k in ckeys if k in lmap]
    shared.reverse()  # consumed from the end: the next shared key is shared[-1]
    out: list = []
    done: set[str] = set()
    li = ci = 0
    nl, nc = len(lkeys), len(ckeys)

    def take(k: str) -> None:
        done.add(k)
        out.append(_merge(lmap[k], cmap[k], elem, memo) if k in lmap else cmap[k])
        if shared and shared[-1] == k:
            shared.pop()

    while li < nl or ci < nc:
        if li < nl and ci < nc and lkeys[li] == ckeys[ci]:
            if lkeys[li] not in done:
                take(lkeys[li])
            li += 1
            ci += 1
            continue
        if li < nl:
            k = lkeys[li]
            if k not in cmap:
                out.append(live[li])
                li += 1
                continue
            if k in done or (shared and shared[-1] != k):
                li += 1
                continue
        if ci < nc:
            if ckeys[ci] not in done:
                take(ckeys[ci])
            ci += 1
        else:
            li += 1
    return out


def remove(obj: Any, paths: FieldSet, keep: FieldSet, node: dict | None) -> Any:
    """obj without the given paths; a path stays while `keep` holds it or anything under it."""
    if not paths:
        return obj
    kept_prefixes = {p[:i] for p in keep for i in range(len(p) + 1)}
    todo_prefixes = {p[:i] for p in paths for i in range(len(p))}
    return _remove(obj, paths, todo_prefixes, kept_prefixes, _compile(node), (), ())


def _remove(value: Any, paths: FieldSet, todo: FieldSet, kept: FieldSet, t: _Type,
            prefix: Path, protect: tuple[str, ...]) -> Any:
    if isinstance(value, dict) and not t.atomic_map:
        out = {}
        for k, v in value.items():
            p = (*prefix, "f:" + k)
            if k in protect:
                out[k] = v
            elif p in paths and p not in kept:
                continue
            elif p in todo:
                sub = _remove(v, paths, todo, kept, t.child(k)[0], p, ())
                if isinstance(sub, dict) and not sub and v and p not in kept:
                    continue  # emptied by pruning and nobody owns it
                out[k] = sub
            else:
                out[k] = v
        return out
    if isinstance(value, list):
        kind = t.kind
        if kind == _ATOMIC:
            return value
        keys = t.keys
        elem = t.items_t if kind == _MAP else _NONE
        out_list = []
        for item in value:
            p = (*prefix, item_element(item, kind, keys))
            if p in paths and p not in kept:
                continue
            if p in todo:
                item = _remove(item, paths, todo, kept, elem, p, keys)
            out_list.append(item)
        return out_list
    return value


def from_fields_v1(fields: dict | None, prefix: Path = (), out: FieldSet | None = None) -> FieldSet:
    out = set() if out is None else out
    for k, v in (fields or {}).items():
        if k == ".":
            continue
        p = (*prefix, k)
        if not v or "." in v:
            out.add(p)
        if v:
            from_fields_v1(v, p, out)
    return out


# Decoded fieldsV1 by their JSON: every write to an object decodes its managers' sets, which
# rarely change between writes. First in, first out, bounded by the JSON's total size.
_DECODED: dict[bytes, frozenset[Path]] = {}
_DECODED_BUDGET = 8 << 20
_decoded_bytes = 0
_SMALL = 512  # smaller sets decode about as fast as they hash


def decoded_fields(fields: dict | None) -> frozenset[Path]:
    """from_fields_v1 as a frozenset (shared between callers), memoized for sets worth it."""
    global _decoded_bytes
    if not fields:
        return frozenset()
    try:
        key = orjson.dumps(fields)
    except TypeError:
        return frozenset(from_fields_v1(fields))
    if len(key) < _SMALL:
        return frozenset(from_fields_v1(fields))
    hit = _DECODED.get(key)
    if hit is not None:
        return hit
    out = frozenset(from_fields_v1(fields))
    while _DECODED and _decoded_bytes + len(key) > _DECODED_BUDGET:
        oldest = evict_oldest(_DECODED)
        _decoded_bytes -= len(oldest) if oldest is not None else 0
    _DECODED[key] = out
    _decoded_bytes += len(key)
    return out


def _element_order(pe: str) -> tuple[int, str]:
    return ({"f": 0, "k": 1, "v": 2, "i": 3}.get(pe[:1], 4), pe)


def to_fields_v1(fields: FieldSet | frozenset[Path]) -> dict:
    """FieldsV1 JSON for a set, children sorted as upstream serializes them."""
    root: dict = {}
    members: set[int] = set()
    for p in fields:
        node = root
        for pe in p:
            node = node.setdefault(pe, {})
        members.add(id(node))

    def render(node: dict) -> dict:
        out: dict = {}
        if node and id(node) in members:
            out["."] = {}
        for pe in sorted(node, key=_element_order):
            out[pe] = render(node[pe])
        return out

    return render(root)


def path_string(path: Path) -> str:
    """A path as upstream prints it in conflicts: `.spec.containers[name="app"].image`."""
    parts = []
    for pe in path:
        kind, body = pe[:1], pe[2:]
        if kind == "f":
            parts.append("." + body)
        elif kind == "k":
            key = orjson.loads(body)
            parts.append("[" + ",".join(f"{k}={_go_value(v)}" for k, v in key.items()) + "]")
        elif kind == "v":
            parts.append("[=" + _go_value(orjson.loads(body)) + "]")
        else:
            parts.append("[" + body + "]")
    return "".join(parts)


def _go_value(v: Any) -> str:
    if isinstance(v, str):
        return orjson.dumps(v).decode()
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, dict | list):
        return orjson.dumps(v).decode()
    return str(v)


def undeclared(value: Any, node: dict | None, prefix: Path = ()) -> Path | None:
    """The first field the schema does not declare (upstream's typed conversion rejects it), or None."""
    return _undeclared(value, _compile(node), prefix, True)


def _undeclared(value: Any, t: _Type, prefix: Path, memo: bool) -> Path | None:
    if t.none:
        return None
    if isinstance(value, dict):
        if t.open:
            if t.extra is not None and t.props is None:
                extra = t.extra_t
                for k, v in value.items():
                    if isinstance(v, dict | list):
                        found = _undeclared(v, extra, (*prefix, "f:" + k), memo)
                        if found is not None:
                            return found
            return None
        props = t.props
        for k, v in value.items():
            if k not in props:
                return (*prefix, "f:" + k)
            if isinstance(v, dict | list):
                found = _undeclared(v, t.child(k)[0], (*prefix, "f:" + k), memo)
                if found is not None:
                    return found
        return None
    if isinstance(value, list):
        kind, keys = t.kind, t.keys
        elem = t.items_t
        for i, item in enumerate(value):
            if not isinstance(item, dict | list):
                continue  # a scalar declares nothing
            pe = f"i:{i}" if kind == _ATOMIC else item_element(item, kind, keys)
            if memo and kind == _MAP and isinstance(item, dict):
                rel = _item_undeclared(item, elem)
                found = None if rel is None else (*prefix, pe, *rel)
            else:
                found = _undeclared(item, elem, (*prefix, pe), memo)
            if found is not None:
                return found
    return None


def _item_undeclared(item: dict, t: _Type) -> Path | None:
    """undeclared() of one map-list item, relative to the item."""
    key = _item_key(t, "undeclared", item)
    hit = _ITEM_MEMO.get(key, _MISS) if key is not None else _MISS
    if hit is not _MISS:
        return hit
    out = _undeclared(item, t, (), False)
    if key is not None:
        _memo_put(key, out)
    return out


# structured-merge-diff's names for what a schema wants, and Go's %T for what it got.
_WANTED = (("object", "map"), ("array", "list"), ("string", "string"), ("boolean", "boolean"),
           ("integer", "numeric (int or float)"), ("number", "numeric (int or float)"))
_GO_TYPES = {"object": "map[string]interface {}", "array": "[]interface {}", "string": "string", "boolean": "bool",
             "integer": "int64", "number": "float64"}
_JSON_KINDS = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number"}


def mistyped(value: Any, node: dict | None) -> tuple[Path, str] | None:
    """The first value whose JSON type the schema does not allow, as typed conversion finds it:
    (its path, upstream's "expected X, got Y"), or None."""
    found = _mistyped(value, _compile(node), True)
    if found is None:
        return None
    reversed_path, message = found
    return tuple(reversed(reversed_path)), message


def _mistyped(value: Any, t: _Type, memo: bool) -> tuple[list[str], str] | None:
    # The path is built only for the value found, leaf first (reversed), so the common case of a
    # well-typed object allocates no paths at all.
    if value is None or t.none:
        return None
    kind = _JSON_KINDS.get(type(value)) or ("object" if isinstance(value, dict) else "array"
                                            if isinstance(value, list) else "number")
    types = t.json_types
    if types and kind not in types and not (kind == "integer" and "number" in types):
        wanted = next(name for json_type, name in _WANTED if json_type in types)
        return [], f"expected {wanted}, got {_GO_TYPES[kind]}"
    if kind == "object":
        for k, v in value.items():
            if v is None:
                continue
            found = _mistyped(v, t.child(k)[0], memo)
            if found is not None:
                found[0].append("f:" + k)
                return found
    elif kind == "array":
        items, list_kind = t.items_t, t.kind
        if items.none:
            return None
        for i, item in enumerate(value):
            if memo and list_kind == _MAP and type(item) is dict:
                found = _item_mistyped(item, items)
                found = None if found is None else (list(found[0]), found[1])
            else:
                found = _mistyped(item, items, memo)
            if found is not None:
                found[0].append(f"i:{i}" if list_kind == _ATOMIC else item_element(item, list_kind, t.keys))
                return found
    return None


def _item_mistyped(item: dict, t: _Type) -> tuple[tuple[str, ...], str] | None:
    """_mistyped of one map-list item (reversed path relative to the item), memoized."""
    key = _item_key(t, "mistyped", item)
    hit = _ITEM_MEMO.get(key, _MISS) if key is not None else _MISS
    if hit is not _MISS:
        return hit
    found = _mistyped(item, t, False)
    out = None if found is None else (tuple(found[0]), found[1])
    if key is not None:
        _memo_put(key, out)
    return out
