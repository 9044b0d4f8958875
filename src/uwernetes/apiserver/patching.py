"""PATCH bodies -> a function from the current object to the desired one, per patch type.

In upstream's order (k8s.io/apiserver `handlers/patch.go`): the patch type must be one the
resource accepts (415), the body within the size limit (413), the PatchOptions valid (422
`PatchOptions.meta.k8s.io "" is invalid`); the body itself is decoded only once the object is
found, so patching a missing object is a 404 whatever the body holds.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson

from uwernetes.apiserver import negotiation
from uwernetes.apiserver.http import Request
from uwernetes.apiserver.resources.base import Obj, ResourceType
from uwernetes.machinery import errors, field, gojson, schemas

FIELD_MANAGER_MAX_LENGTH = 128
FIELD_VALIDATION_VALUES = ("", "Ignore", "Strict", "Warn")  # sets.NewString(...).List(): sorted

_BUILTIN_PATCH_TYPES = [negotiation.JSON_PATCH, negotiation.MERGE_PATCH, negotiation.STRATEGIC_PATCH, negotiation.APPLY_PATCH]
_CUSTOM_PATCH_TYPES = [negotiation.JSON_PATCH, negotiation.MERGE_PATCH, negotiation.APPLY_PATCH]


def _unsupported(media: str, rt: ResourceType) -> errors.StatusError:
    accepted = _BUILTIN_PATCH_TYPES if rt.builtin else _CUSTOM_PATCH_TYPES
    return errors.StatusError(
        415,
        "UnsupportedMediaType",
        f"the body of the request was in an unknown format - accepted media types include: {', '.join(accepted)}",
    )


def schema_of(rt: ResourceType) -> dict | None:
    schema = getattr(rt, "apply_schema", None) or getattr(rt, "schema", None)
    if schema is not None:
        return schema
    return schemas.schema_for(rt.group, rt.version, rt.kind)


def validate_patch_options(query: dict[str, list[str]], media: str) -> list[field.FieldError]:
    """apimachinery `ValidatePatchOptions` on the request's query parameters."""
    errs: list[field.FieldError] = []
    manager = (query.get("fieldManager") or [""])[0]
    if media != negotiation.APPLY_PATCH:
        if "force" in query:  # any value, even "false", sets PatchOptions.Force
            errs.append(field.forbidden("force", "may not be specified for non-apply patch"))
    elif not manager:
        # kubectl defaults it to "kubectl"; controllers must set it.
        errs.append(field.required("fieldManager", "is required for apply patch"))
    return errs + validate_write_options(query)


def validate_write_options(query: dict[str, list[str]]) -> list[field.FieldError]:
    """What Create-, Update- and PatchOptions share: fieldManager, dryRun, fieldValidation."""
    errs = validate_field_manager((query.get("fieldManager") or [""])[0])
    dry_run = query.get("dryRun") or []
    if any(v != "All" for v in dry_run):
        errs.append(field.not_supported("dryRun", list(dry_run), ["All"]))
    validation = (query.get("fieldValidation") or [""])[0]
    if validation not in FIELD_VALIDATION_VALUES:
        errs.append(field.not_supported("fieldValidation", validation, FIELD_VALIDATION_VALUES))
    return errs


def validate_field_manager(manager: str, path: str = "fieldManager") -> list[field.FieldError]:
    """`ValidateFieldManager`: at most 128 bytes, printable characters only."""
    errs: list[field.FieldError] = []
    if len(manager.encode()) > FIELD_MANAGER_MAX_LENGTH:
        errs.append(field.too_long_max_length(path, manager, FIELD_MANAGER_MAX_LENGTH))
    at = 0
    for ch in manager:
        if not ch.isprintable():
            errs.append(field.invalid(path, manager, f"invalid character U+{ord(ch):04X} (at position {at})"))
        at += len(ch.encode())
    return errs


def decode_patch(body: bytes, prefix: str) -> Any:
    """JSON-decode a patch body; a syntax error is a 400 worded as Go's decoder words it."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        problem = gojson.syntax_error(body)
    if problem is None:
        # Valid for Go, refused by orjson (invalid UTF-8, integers past 64 bits): Go replaces
        # bad bytes with U+FFFD, and so does this.
        return json.loads(body.decode("utf-8", "replace"))
    raise errors.bad_request(prefix + problem)


def _lazy(body: bytes, prefix: str) -> Callable[[], Any]:
    """Decode on first use (after the object was found), once, whatever the retries."""
    memo: list[Any] = []

    def get() -> Any:
        if not memo:
            memo.append(decode_patch(body, prefix))
        return memo[0]

    return get


def patcher(
    req: Request, rt: ResourceType, media: str, field_manager: str
) -> tuple[Callable[[Obj], Obj], Callable[[], Obj] | None]:
    """(apply(current) -> new, create() -> object for create-on-apply or None)."""
    if media not in (_BUILTIN_PATCH_TYPES if rt.builtin else _CUSTOM_PATCH_TYPES):
        raise _unsupported(media, rt)
    body = req.body
    if len(body) > negotiation.MAX_BODY:
        raise errors.request_entity_too_large(f"limit is {negotiation.MAX_BODY}")
    problems = validate_patch_options(req.query, media)
    if problems:
        raise errors.invalid("PatchOptions", "", problems, "meta.k8s.io")
    if media == negotiation.JSON_PATCH:
        from uwernetes.machinery.patch.json_patch import apply_json_patch

        ops = _lazy(body, "error decoding patch: ")
        return (lambda current: apply_json_patch(current, ops())), None
    if media == negotiation.MERGE_PATCH:
        from uwernetes.machinery.patch.merge_patch import apply_merge_patch

        patch = _lazy(body, "error decoding patch: ")
        return (lambda current: apply_merge_patch(current, patch())), None
    if media == negotiation.STRATEGIC_PATCH:
        from uwernetes.machinery.patch.strategic import apply_strategic_merge_patch

        # strategicPatchObject wraps the decode error without a prefix.
        smp = _lazy(body, "")
        schema = schema_of(rt)
        return (lambda current: apply_strategic_merge_patch(current, smp(), schema)), None
    if media == negotiation.APPLY_PATCH:
        from uwernetes.apiserver import apply

        applied = negotiation.decode_object(body, media)
        if not isinstance(applied, dict):
            raise errors.bad_request("error decoding YAML: the apply body must be an object")
        # Go's query decoding takes any value but "0"/"false" as true; the Python client sends "True".
        force = (req.q("force") or "false").lower() not in ("0", "false")
        manager = req.q("fieldManager") or field_manager
        return apply.applier(rt, applied, manager, force, schema_of(rt), _subresource(req, rt))
    raise _unsupported(media, rt)


def _subresource(req: Request, rt: ResourceType) -> str:
    """The subresource segment of the request path (after the resource plural and object name)."""
    parts = req.path.strip("/").split("/")
    at = (2 if parts[:1] == ["api"] else 3) + (2 if rt.namespaced else 0) + 2
    return parts[at] if len(parts) > at else ""
