"""RFC 7386 JSON merge patch as the v1.30 apiserver applies it.

Mirrors `jsonpatch.MergePatch` of `github.com/evanphx/json-patch` v4.12.0 and the error mapping of
`jsonPatcher.applyJSPatch` (k8s.io/apiserver `pkg/endpoints/handlers/patch.go`): the body is first
decoded strictly into a map (fieldValidation defaults to Warn), so anything but an object or null
is a 400 `error decoding patch: ...`; a `null` body is evanphx's 400 `Invalid JSON Patch`.

evanphx's pruning differs slightly from the RFC and is kept: nulls are dropped from values that are
set where nothing (or null) was, and from values replacing a non-object, recursing through arrays
(array elements that are null stay); a value replacing an object is taken as is.

The input document is never mutated; untouched subtrees are shared with it, values taken from the
patch are copied.
"""

from __future__ import annotations

from typing import Any

from uwernetes.machinery import errors

_JSON_KIND = {list: "array", str: "string", bool: "bool", int: "number", float: "number"}


def apply_merge_patch(doc: dict, patch: Any) -> dict:
    """Apply the decoded `application/merge-patch+json` body `patch` to `doc`; returns a new doc."""
    if patch is None:
        raise errors.bad_request("Invalid JSON Patch")
    if not isinstance(patch, dict):
        raise errors.bad_request(
            f"error decoding patch: json: cannot unmarshal {_JSON_KIND[type(patch)]} "
            "into Go value of type map[string]interface {}"
        )
    return merge_docs(doc, patch)


def merge_docs(doc: dict, patch: dict) -> dict:
    """evanphx `mergeDocs` on a copy of `doc`."""
    out = dict(doc)
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
            continue
        cur = out.get(k)
        if cur is None:
            out[k] = prune_nulls(v)
        elif not isinstance(cur, dict):
            out[k] = prune_nulls(v)
        elif not isinstance(v, dict):
            out[k] = _copy(v)
        else:
            out[k] = merge_docs(cur, v)
    return out


def prune_nulls(v: Any) -> Any:
    """A copy of `v` without null object members, at any depth (array nulls stay)."""
    if isinstance(v, dict):
        return {k: prune_nulls(x) for k, x in v.items() if x is not None}
    if isinstance(v, list):
        return [prune_nulls(x) for x in v]
    return v


def _copy(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _copy(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_copy(x) for x in v]
    return v
