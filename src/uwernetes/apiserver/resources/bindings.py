"""Bindings (core/v1): the create-only `bindings` resource, upstream's `LegacyBindingREST` in
`pkg/registry/core/pod/storage`, and `ValidatePodBinding`.

POST /api/v1/namespaces/{ns}/bindings binds the pod named by the Binding's metadata.name, exactly
as the pods/binding subresource does; nothing is stored under `bindings` itself (the handler lives
in apiserver/bindings_handler.py).
"""

from __future__ import annotations

from uwernetes.apiserver.resources.base import Obj, ResourceType
from uwernetes.machinery import field
from uwernetes.machinery.field import FieldError, Path

TARGET_KINDS = ("Node", "<empty>")


def validate_pod_binding(binding: Obj) -> list[FieldError]:
    """ValidatePodBinding: the target is a Node (or kind left empty) and has a name."""
    target = binding.get("target") if isinstance(binding.get("target"), dict) else {}
    errs: list[FieldError] = []
    kind = target.get("kind") or ""
    if kind and kind != "Node":
        # Upstream lists the empty kind as "<empty>" among the supported values.
        errs.append(field.not_supported(Path("target", "kind"), kind, TARGET_KINDS))
    if not target.get("name"):
        errs.append(field.required(Path("target", "name"), ""))
    return errs


BINDINGS = ResourceType(
    group="",
    version="v1",
    kind="Binding",
    plural="bindings",
    namespaced=True,
    verbs=("create",),
)
