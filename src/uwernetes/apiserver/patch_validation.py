"""fieldValidation for JSON, merge and strategic merge patches, as upstream's patcher applies it.

The patched object is decoded into the Go type, which drops fields its schema does not declare:
`Ignore` drops them silently, `Warn` (the default, and what `kubectl patch` gets) drops them with
one `unknown field "spec.foo"` warning each, `Strict` refuses the patch with a 422 on field `patch`.
Duplicate keys in a merge or strategic patch body count too, ahead of unknown fields. Unknown fields
come in key order: upstream decodes the patched object from JSON that Go wrote with sorted keys.

A stored object has no unknown fields, so for merge and strategic patches they can only come from
the body: the (small) body is checked first and the patched object is walked only when the body
has some, which keeps a patch of a big object from paying for a walk of all of it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from uwernetes.apiserver import negotiation
from uwernetes.apiserver.resources.base import Obj, ResourceType
from uwernetes.machinery import strict
from uwernetes.machinery.patch.gofmt import go_v


def validating(
    apply_fn: Callable[[Obj], Obj], rt: ResourceType, media: str, body: bytes, mode: str, warnings: list[str]
) -> Callable[[Obj], Obj]:
    """apply_fn followed by fieldValidation; `warnings` holds the last attempt's warning texts."""
    own_unknown = getattr(rt.strategy, "unknown_fields", None)
    group, version, kind = rt.group, rt.version, rt.kind

    def unknown(obj: Obj) -> list[str]:
        if own_unknown is not None:
            return own_unknown(obj)
        return strict.unknown_fields(obj, group, version, kind)

    duplicates: list[str] = []
    # A JSON patch's operations can add anything anywhere: its result is always walked.
    walk_result = True
    if media != negotiation.JSON_PATCH:
        patch = _decoded(body)
        if mode != "Ignore":
            duplicates = strict.duplicate_fields(body) if isinstance(patch, dict) else []
        walk_result = isinstance(patch, dict) and bool(unknown(_without_directives(patch)))

    def run(current: Obj) -> Obj:
        new = apply_fn(current)
        warnings.clear()
        found = sorted(unknown(new), key=strict.path_order) if walk_result else []
        for path in found:
            strict.remove_field(new, path)
        if mode == "Ignore":
            return new
        problems = strict.problems(found, duplicates)
        if problems and mode == "Strict":
            raise strict.strict_patch_error(_quoted(media, body, new), problems)
        warnings.extend(strict.warnings(problems))
        return new

    return run


def _decoded(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return None  # the patcher reports malformed bodies itself


def _without_directives(patch: Any) -> Any:
    """A strategic patch without its `$patch`, `$retainKeys`, `$setElementOrder/...` keys."""
    if isinstance(patch, dict):
        return {k: _without_directives(v) for k, v in patch.items() if not k.startswith("$")}
    if isinstance(patch, list):
        return [_without_directives(v) for v in patch]
    return patch


def _quoted(media: str, body: bytes, patched: Obj) -> str:
    # Upstream quotes the patched object's JSON for JSON and merge patches, the Go-printed patch
    # map (`map[spec:map[bogus:1]]`) for strategic ones.
    if media == negotiation.STRATEGIC_PATCH:
        return go_v(_decoded(body))
    return orjson.dumps(patched).decode()
