"""PATCH bodies -> a function from the current object to the desired one, per patch type."""

from __future__ import annotations

from collections.abc import Callable

from uwernetes.apiserver import negotiation
from uwernetes.apiserver.http import Request
from uwernetes.apiserver.resources.base import Obj, ResourceType
from uwernetes.machinery import errors, schemas

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


def patcher(
    req: Request, rt: ResourceType, media: str, field_manager: str
) -> tuple[Callable[[Obj], Obj], Callable[[], Obj] | None]:
    """(apply(current) -> new, create() -> object for create-on-apply or None)."""
    body = req.body
    if len(body) > negotiation.MAX_BODY:
        raise errors.request_entity_too_large(f"limit is {negotiation.MAX_BODY}")
    if media == negotiation.JSON_PATCH:
        from uwernetes.machinery.patch.json_patch import apply_json_patch

        ops = negotiation.decode_object(body, media)
        return (lambda current: apply_json_patch(current, ops)), None
    if media == negotiation.MERGE_PATCH:
        from uwernetes.machinery.patch.merge_patch import apply_merge_patch

        patch = negotiation.decode_object(body, media)
        return (lambda current: apply_merge_patch(current, patch)), None
    if media == negotiation.STRATEGIC_PATCH:
        if not rt.builtin:
            raise _unsupported(media, rt)
        from uwernetes.machinery.patch.strategic import apply_strategic_merge_patch

        patch = negotiation.decode_object(body, media)
        schema = schema_of(rt)
        return (lambda current: apply_strategic_merge_patch(current, patch, schema)), None
    if media == negotiation.APPLY_PATCH:
        if not req.q("fieldManager"):
            from uwernetes.machinery import field

            required = field.required("fieldManager", "is required for apply patch")
            raise errors.invalid("PatchOptions", "", [required], "meta.k8s.io")
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
