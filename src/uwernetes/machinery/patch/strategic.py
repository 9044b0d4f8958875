"""Strategic merge patch, as the v1.30 apiserver applies it to built-in kinds.

Mirrors apimachinery `pkg/util/strategicpatch/patch.go` (`StrategicMergeMapPatch` with
MergeParallelList and IgnoreUnmatchedNulls, i.e. `mergeMap`, `mergePatchIntoOriginal`,
`mergeSliceHandler`, `normalizeElementOrder`), with patch metadata read from the OpenAPI node
(`x-kubernetes-patch-strategy`, `x-kubernetes-patch-merge-key`) instead of Go struct tags, and the
error mapping of `interpretStrategicMergePatchError` (k8s.io/apiserver `handlers/patch.go`):

- malformed directives (`$retainKeys`, `$setElementOrder/`, `$deleteFromPrimitiveList/`): 400;
- a list of lists: 422 with the generic Invalid text;
- everything else upstream returns as a plain Go error, which the apiserver answers as a 500 with
  no reason and the error text as message (`map: map[image:x] does not contain declared merge
  key: name`, `unknown patch type: merge in map: map[$patch:merge]`).

Directive order inside one map follows upstream: `$patch`, then `$retainKeys`, then every
`$setElementOrder/<list>` (merging that list), then the remaining keys in patch order.

Departures, all about values upstream hands raw to its typed decoder (list elements appended or
replaced from the patch, `replace` strategies and `$patch: replace` maps): null object members are
dropped from them, as decoding into a Go struct would. Directive keys inside such raw values are
kept, as upstream keeps them (its decoder then reports them as unknown fields).
Fields the schema does not know (or `schema=None`) get metadata-free handling: maps merge, lists
are replaced, `$setElementOrder` is ignored.

The input document is never mutated: maps on the path of a change are copied, untouched subtrees
are shared with `doc`, values taken from the patch are copied.
"""

from __future__ import annotations

from typing import Any

from uwernetes.machinery import errors, schemas
from uwernetes.machinery.patch import json_patch
from uwernetes.machinery.patch.gofmt import go_s, go_type, go_v
from uwernetes.machinery.patch.gosort import stable_sort

DIRECTIVE = "$patch"
RETAIN_KEYS = "$retainKeys"
DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList"
SET_ELEMENT_ORDER = "$setElementOrder"

ERR_BAD_PRIMITIVE_LIST = "invalid patch format of primitive list"
ERR_BAD_RETAIN_KEYS = "invalid patch format of retainKeys"
ERR_BAD_SET_ELEMENT_ORDER = "invalid patch format of setElementOrder list"

_MAP = "map[string]interface {}"
_SLICE = "[]interface {}"
_NO_META: tuple[Any, list[str], str] = (None, [], "")


def apply_strategic_merge_patch(doc: dict, patch: Any, schema: dict | None) -> dict:
    """Apply the decoded `application/strategic-merge-patch+json` body to `doc`; returns a new doc.

    `schema` is the kind's definition node (`schemas.schema_for(...)`), or None to merge without
    patch metadata.
    """
    if patch is None:  # a `null` body decodes to a nil map: nothing to do
        return dict(doc)
    if not isinstance(patch, dict):
        kind = {list: "array", str: "string", bool: "bool", int: "number", float: "number"}[type(patch)]
        raise errors.bad_request(f"json: cannot unmarshal {kind} into Go value of type map[string]interface {{}}")
    return _merge_map(doc, patch, schema)


# --- errors -------------------------------------------------------------------------------------


def _internal(message: str) -> errors.StatusError:
    """A plain Go error reaching `ErrorToAPIStatus`: 500, StatusReasonUnknown."""
    return errors.StatusError(500, "", message)


def _bad_arg_type(expected: str, actual: Any) -> errors.StatusError:
    return _internal(f"expected a {expected}, but received a {go_type(actual)}")


def _no_merge_key(m: Any, key: str) -> errors.StatusError:
    return _internal(f"map: {go_v(m)} does not contain declared merge key: {key}")


def _bad_patch_type(directive: Any, m: dict) -> errors.StatusError:
    return _internal(f"unknown patch type: {go_s(directive)} in map: {go_v(m)}")


def _hk(v: Any) -> tuple[Any, Any]:
    """A dict key with Go's `==` on interface values: same dynamic type and value.

    Go panics comparing two maps; here containers simply never match anything.
    """
    if isinstance(v, (dict, list)):
        return ("uncomparable", id(v))
    return (type(v), v)


# --- schema metadata ----------------------------------------------------------------------------


def _meta(schema: dict | None, key: str) -> tuple[dict | None, list[str], str]:
    """(field node, patch strategies, merge key) of `key`, like `LookupPatchMetadataForStruct`."""
    if schema is None:
        return _NO_META
    node = schemas.child(schema, key)
    if node is None:
        return _NO_META
    strategy = node.get("x-kubernetes-patch-strategy")
    return node, strategy.split(",") if strategy else [], node.get("x-kubernetes-patch-merge-key", "")


def _strategy(strategies: list[str]) -> str:
    """`extractRetainKeysPatchStrategy`: the strategy other than retainKeys."""
    if len(strategies) <= 1:
        s = strategies[0] if strategies else ""
        return "" if s == "retainKeys" else s
    if len(strategies) == 2 and "retainKeys" in strategies:
        return strategies[1] if strategies[0] == "retainKeys" else strategies[0]
    raise _internal(f"unexpected patch strategy: {go_v(strategies)}")


def _items(node: dict | None) -> dict | None:
    return schemas.items(node) if node is not None else None


# --- values taken from the patch ----------------------------------------------------------------


def _clean(v: Any) -> Any:
    """A copy of a raw patch value without null object members (what typed decoding leaves)."""
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items() if x is not None}
    if isinstance(v, list):
        return [_clean(x) for x in v]
    return v


_DROP = object()


def _strip(v: Any) -> Any:
    """`discardNullValuesFromPatch` then `removeDirectives`, on a copy; `_DROP` if v is a directive."""
    if isinstance(v, dict):
        if v.get(DIRECTIVE) is not None:
            return _DROP
        out = {}
        for k, x in v.items():
            if x is None:
                continue
            x = _strip(x)
            if x is not _DROP:
                out[k] = x
        return out
    if isinstance(v, list):
        return [y for y in map(_strip, v) if y is not _DROP]
    return v


def _remove_directives(v: list) -> list:
    """`removeDirectives` of a list (nulls dropped from objects too, see module doc)."""
    return [y for y in map(_drop_directive_maps, v) if y is not _DROP]


def _drop_directive_maps(v: Any) -> Any:
    if isinstance(v, dict):
        if DIRECTIVE in v:
            return _DROP
        out = {}
        for k, x in v.items():
            x = _drop_directive_maps(x)
            if x is not _DROP and x is not None:
                out[k] = x
        return out
    if isinstance(v, list):
        return [y for y in map(_drop_directive_maps, v) if y is not _DROP]
    return v


def _set_from_patch(out: dict, k: str, pv: Any) -> None:
    v = _strip(pv)
    if v is _DROP:
        out.pop(k, None)
    else:
        out[k] = v


# --- maps ---------------------------------------------------------------------------------------


def _merge_map(original: dict | None, patch: dict, schema: dict | None) -> dict:
    if DIRECTIVE in patch:
        directive = patch[DIRECTIVE]
        if directive == "replace":
            return _clean({k: v for k, v in patch.items() if k != DIRECTIVE})
        if directive == "delete":
            return {}
        raise _bad_patch_type(directive, patch)

    out = dict(original) if original else {}
    pending = dict(patch)  # keys still to process; directives consume theirs
    if RETAIN_KEYS in pending:
        _apply_retain_keys(out, pending)
    for key in [k for k in pending if k.startswith(SET_ELEMENT_ORDER)]:
        _merge_ordered_list(out, pending, key, schema)

    for k, pv in pending.items():
        is_delete_list = False
        if k.startswith(DELETE_FROM_PRIMITIVE_LIST):
            sub = _extract_key(k, DELETE_FROM_PRIMITIVE_LIST)
            is_delete_list = True
            if sub:
                k = sub
        if pv is None:
            out.pop(k, None)
            continue
        if k not in out:
            if not is_delete_list:
                _set_from_patch(out, k, pv)
            continue
        ov = out[k]
        if isinstance(ov, dict) and isinstance(pv, dict):
            node, strategies, _ = _meta(schema, k)
            if _strategy(strategies) == "replace":
                out[k] = _clean(pv)
            else:
                out[k] = _merge_map(ov, pv, node)
        elif isinstance(ov, list) and isinstance(pv, list):
            node, strategies, merge_key = _meta(schema, k)
            out[k] = _slice_handler(ov, pv, _items(node), _strategy(strategies), merge_key, is_delete_list)
        elif type(ov) is type(pv):
            out[k] = pv  # same scalar type: the patch value wins, even for a delete list
        elif not is_delete_list:
            _set_from_patch(out, k, pv)
    return out


def _extract_key(key: str, prefix: str) -> str:
    head, sep, rest = key.partition("/")
    if not sep or head != prefix:
        raise errors.bad_request(
            ERR_BAD_PRIMITIVE_LIST if prefix == DELETE_FROM_PRIMITIVE_LIST else ERR_BAD_SET_ELEMENT_ORDER
        )
    return rest


def _apply_retain_keys(out: dict, pending: dict) -> None:
    """`applyRetainKeysDirective`: drop from `out` the keys the directive does not list."""
    retain = pending.pop(RETAIN_KEYS)
    if not isinstance(retain, list):
        raise errors.bad_request(ERR_BAD_RETAIN_KEYS)
    keep = {_hk(v) for v in retain}
    for k, v in pending.items():
        if v is None or k.startswith(DELETE_FROM_PRIMITIVE_LIST) or k.startswith(SET_ELEMENT_ORDER):
            continue
        if (str, k) not in keep:
            raise errors.bad_request(ERR_BAD_RETAIN_KEYS)
    for k in [k for k in out if (str, k) not in keep]:
        del out[k]


def _merge_ordered_list(out: dict, pending: dict, key: str, schema: dict | None) -> None:
    """`mergePatchIntoOriginal` for one `$setElementOrder/<list>`."""
    order = pending.pop(key)
    if not isinstance(order, list):
        raise _bad_arg_type(_SLICE, order)
    list_key = _extract_key(key, SET_ELEMENT_ORDER)
    found_orig, found_patch = list_key in out, list_key in pending
    orig_list = out.get(list_key) if found_orig else []
    patch_list = pending.get(list_key) if found_patch else []
    if not isinstance(orig_list, list):
        raise _bad_arg_type(_SLICE, orig_list)
    if not isinstance(patch_list, list):
        raise _bad_arg_type(_SLICE, patch_list)
    node, strategies, merge_key = _meta(schema, list_key)
    if node is None:
        return  # unknown field: no order to enforce, the list (if any) is handled as a plain value
    strategy = _strategy(strategies)
    _validate_patch_with_order(patch_list, order, merge_key)

    # Upstream's merge edits the live list's backing array in place (deletions shift it, appends
    # fill the freed tail); the order below is read from that edited array, so track it.
    server_order = list(orig_list)
    if found_orig and found_patch:
        merged = _slice_handler(orig_list, patch_list, _items(node), strategy, merge_key, False, server_order)
    elif found_orig:
        merged = orig_list
    elif found_patch:
        merged = _remove_directives(patch_list)
    else:
        return

    if merge_key:
        patch_items, server_only = _partition_maps(merged, order, merge_key)
    else:
        patch_items, server_only = _partition_primitives(merged, order)
    kind = _slice_element_type(orig_list, patch_list)
    out[list_key] = _normalize_element_order(patch_items, server_only, order, server_order, merge_key, kind)
    pending.pop(list_key, None)


def _validate_patch_with_order(patch_list: list, order: list, merge_key: str) -> None:
    """`validatePatchWithSetOrderList`: the patch list must follow the order list."""
    if not order or not patch_list:
        return
    items = _extract_to_delete(patch_list)[0] if merge_key else patch_list
    pi = si = 0
    while pi < len(items) and si < len(order):
        item = items[pi]
        if isinstance(item, dict) and DIRECTIVE in item:
            pi += 1
            continue
        if _merge_key_value_equal(item, order[si], merge_key):
            pi += 1
        si += 1
    if pi < len(items) and si >= len(order):
        raise _internal(
            f"The order in patch list:\n{go_v(patch_list)}\n doesn't match {SET_ELEMENT_ORDER} list:\n{go_v(order)}\n"
        )


def _merge_key_value_equal(left: Any, right: Any, merge_key: str) -> bool:
    if not merge_key:
        return _hk(left) == _hk(right)
    for m in (left, right):
        if not isinstance(m, dict):
            raise _bad_arg_type(_MAP, m)
    for m in (left, right):
        if merge_key not in m:
            raise _no_merge_key(m, merge_key)
    return _hk(left[merge_key]) == _hk(right[merge_key])


# --- lists --------------------------------------------------------------------------------------


def _slice_handler(
    original: list,
    patch: list,
    elem_schema: dict | None,
    strategy: str,
    merge_key: str,
    is_delete_list: bool,
    view: list | None = None,
) -> list:
    """`mergeSliceHandler`: merge lists with the merge strategy, replace the others.

    `view`, if given, is a copy of `original` rewritten as Go's in-place edits leave its array.
    """
    if strategy == "merge" or is_delete_list:
        return _merge_slice(original, patch, elem_schema, merge_key, is_delete_list, view)
    return _clean(patch)


def _slice_element_type(*lists: list) -> type:
    """`sliceElementType`: every element of every list must have one (non-list) type."""
    prev: type | None = None
    for lst in lists:
        for v in lst:
            t = type(v)
            if prev is None:
                if v is None:
                    raise _internal("runtime error: invalid memory address or nil pointer dereference")
                if t is list:
                    raise json_patch.rejected()  # ErrNoListOfLists is answered as a bare 422
                prev = t
            elif t is not prev:
                raise _internal(f"list element types are not identical: {go_v(list(lists))}")
    if prev is None:
        raise _internal("no elements in any of the given slices")
    return prev


def _merge_slice(
    original: list,
    patch: list,
    elem_schema: dict | None,
    merge_key: str,
    is_delete_list: bool,
    view: list | None = None,
) -> list:
    if not original and not patch:
        return original
    kind = _slice_element_type(original, patch)
    if kind is not dict:
        if is_delete_list:
            drop = {_hk(v) for v in patch}
            return [v for v in original if _hk(v) not in drop]
        merged = list({_hk(v): v for v in (*original, *patch)}.values())
        patch_items, server_only = _partition_primitives(merged, patch)
        return _normalize_element_order(patch_items, server_only, patch, original, "", kind)

    if not merge_key:
        raise _internal("cannot merge lists without merge key for struct")
    original, patch, replaced = _apply_special_elements(original, patch, merge_key, view)
    if replaced is not None:
        merged = replaced
    else:
        merged = _merge_maps_by_key(original, patch, merge_key, elem_schema, view)
    patch_items, server_only = _partition_maps(merged, patch, merge_key)
    return _normalize_element_order(patch_items, server_only, patch, original, merge_key, kind)


def _apply_special_elements(
    original: list, patch: list, merge_key: str, view: list | None
) -> tuple[list, list, list | None]:
    """`mergeSliceWithSpecialElements`: apply `$patch` elements; returns (original, plain patch, replaced)."""
    original = list(original)
    plain = []
    replace = False
    for v in patch:
        if DIRECTIVE not in v:
            plain.append(v)
            continue
        directive = v[DIRECTIVE]
        if directive == "delete":
            if merge_key not in v:
                raise _no_merge_key(v, merge_key)
            gone = _hk(v[merge_key])
            k = 0
            while k < len(original):
                o = original[k]
                if merge_key in o and _hk(o[merge_key]) == gone:
                    n = len(original)
                    del original[k]
                    if view is not None:  # Go's append(s[:k], s[k+1:]...) shifts the shared array
                        view[k : n - 1] = view[k + 1 : n]
                else:
                    k += 1
        elif directive == "replace":
            replace = True
        elif directive == "merge":
            raise _internal("merging lists cannot yet be specified in the patch")
        else:
            raise _bad_patch_type(directive, v)
    if replace:
        return plain, [], [_clean(v) for v in plain]
    return original, plain, None


def _merge_maps_by_key(
    original: list, patch: list, merge_key: str, elem_schema: dict | None, view: list | None
) -> list:
    """`mergeSliceWithoutSpecialElements`: merge patch maps into the original ones with the same key."""
    out = list(original)
    where: dict[Any, int] = {}
    for i, o in enumerate(out):
        if merge_key in o:
            where.setdefault(_hk(o[merge_key]), i)
    for v in patch:
        if merge_key not in v:
            raise _no_merge_key(v, merge_key)
        key = _hk(v[merge_key])
        i = where.get(key)
        if i is None:
            where[key] = len(out)
            if view is not None and len(out) < len(view):  # append reuses the array's free tail
                view[len(out)] = v
            out.append(_clean(v))
        else:
            out[i] = _merge_map(out[i], v, elem_schema)
    return out


def _partition_primitives(merged: list, by: list) -> tuple[list, list]:
    present = {_hk(v) for v in by}
    inside, outside = [], []
    for v in merged:
        (inside if _hk(v) in present else outside).append(v)
    return inside, outside


def _partition_maps(merged: list, by: list, merge_key: str) -> tuple[list, list]:
    """`partitionMapsByPresentInList`, with `findMapInSliceBasedOnKeyValue`'s scan errors."""
    first: dict[Any, int] = {}
    bad_at = len(by)
    for i, b in enumerate(by):
        if not isinstance(b, dict):
            bad_at = i
            break
        if merge_key in b:
            first.setdefault(_hk(b[merge_key]), i)
    inside, outside = [], []
    for v in merged:
        if not isinstance(v, dict):
            raise _bad_arg_type(_MAP, v)
        if merge_key not in v:
            raise _no_merge_key(v, merge_key)
        at = first.get(_hk(v[merge_key]), len(by))
        if bad_at < at:
            raise _internal(f"value for key {bad_at} is not a map")
        (inside if at < len(by) else outside).append(v)
    return inside, outside


def _extract_to_delete(items: list) -> tuple[list, list]:
    keep, delete = [], []
    for v in items:
        if not isinstance(v, dict):
            raise _bad_arg_type(_MAP, v)
        (delete if v.get(DIRECTIVE) == "delete" else keep).append(v)
    return keep, delete


def _order_key(kind: type, merge_key: str):
    """`index`'s notion of identity: the merge key's value for maps, the item otherwise."""
    if kind is dict:
        return lambda item: _hk(item.get(merge_key) if isinstance(item, dict) else None)
    return _hk


def _positions(order: list, key) -> dict[Any, int]:
    pos: dict[Any, int] = {}
    for i, v in enumerate(order):
        pos.setdefault(key(v), i)
    return pos


def _normalize_slice_order(to_sort: list, order: list, merge_key: str, kind: type) -> list:
    """`normalizeSliceOrder`: stable sort by position in `order`; deletions go last."""
    delete: list = []
    if kind is dict:
        for lst in (to_sort, order):
            for m in lst:
                if not isinstance(m, dict):
                    raise _bad_arg_type(_MAP, m)
                if merge_key not in m:
                    raise _no_merge_key(m, merge_key)
        to_sort, delete = _extract_to_delete(to_sort)
    key = _order_key(kind, merge_key)
    pos = _positions(order, key)
    ranks = [pos.get(key(v)) for v in to_sort]
    if None not in ranks:
        ordered = [v for _, v in sorted(zip(ranks, to_sort, strict=True), key=lambda p: p[0])]
    else:
        # Items missing from `order` make upstream's comparator inconsistent; replay Go's sort.
        def less(a: int | None, b: int | None) -> bool:
            return a is None or b is None or a < b

        ordered = [to_sort[i] for i in stable_sort(ranks, less)]
    return ordered + delete


def _normalize_element_order(
    patch_items: list, server_only: list, patch_order: list, server_order: list, merge_key: str, kind: type
) -> list:
    """`normalizeElementOrder` + `mergeSortedSlice`: interleave server-only items into patch items."""
    patch_items = _normalize_slice_order(patch_items, patch_order, merge_key, kind)
    server_only = _normalize_slice_order(server_only, server_order, merge_key, kind)
    key = _order_key(kind, merge_key)
    pos = _positions(server_order, key)
    left = [pos.get(key(v)) for v in server_only]
    right = [pos.get(key(v)) for v in patch_items]
    out = []
    i = j = 0
    while i < len(server_only) or j < len(patch_items):
        if j >= len(patch_items):
            out.append(server_only[i])
            i += 1
        elif i >= len(server_only):
            out.append(patch_items[j])
            j += 1
        elif left[i] is not None and right[j] is not None and left[i] < right[j]:
            out.append(server_only[i])
            i += 1
        else:
            out.append(patch_items[j])
            j += 1
    return out
