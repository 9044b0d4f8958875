"""A CRD version's structural schema in the OpenAPI v2 form kubectl's client-side validation reads.

Upstream publishes custom resources in `/openapi/v2` after `ToStructuralOpenAPIV2` strips what v2
and kube-openapi's strict parser cannot take: the value-validation combinators (allOf, anyOf,
oneOf, not); a type on nullable fields (with their properties and items, and their place in the
parent's `required`); properties and items under `x-kubernetes-preserve-unknown-fields`; an array
type left without items; additionalProperties beside properties. What is left is plain v2.
"""

from __future__ import annotations

from typing import Any

_COMBINATORS = ("allOf", "anyOf", "oneOf", "not")
_OBJECT_META = "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
_LIST_META = "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"


def to_v2(node: dict[str, Any]) -> dict[str, Any]:
    """One JSONSchemaProps node (and everything under it) in v2 form."""
    out = {k: v for k, v in node.items() if k not in _COMBINATORS and k != "nullable"}
    props = node.get("properties")
    if isinstance(props, dict):
        out["properties"] = {name: to_v2(sub) for name, sub in props.items()}
        nullable = {name for name, sub in props.items() if isinstance(sub, dict) and sub.get("nullable")}
        if nullable and out.get("required"):
            out["required"] = [r for r in out["required"] if r not in nullable]
            if not out["required"]:
                del out["required"]
        out.pop("additionalProperties", None)
    elif isinstance(node.get("additionalProperties"), dict):
        out["additionalProperties"] = to_v2(node["additionalProperties"])
    if isinstance(node.get("items"), dict):
        out["items"] = to_v2(node["items"])
    if node.get("nullable"):
        for key in ("type", "items", "properties"):
            out.pop(key, None)
    if node.get("x-kubernetes-preserve-unknown-fields"):
        out.pop("items", None)
        out.pop("properties", None)
    if out.get("type") == "array" and "items" not in out:
        del out["type"]
    return out


def definitions(group: str, version: str, kind: str, list_kind: str, schema: dict[str, Any] | None,
                name: str, list_name: str) -> dict[str, dict[str, Any]]:
    """The kind's and its list's v2 definitions, as upstream names and shapes them."""
    from uwernetes.apiserver.openapi import type_meta_docs

    docs = type_meta_docs()
    body = to_v2(schema or {"type": "object", "x-kubernetes-preserve-unknown-fields": True})
    if "properties" in body or not body.get("x-kubernetes-preserve-unknown-fields"):
        props = dict(body.get("properties") or {})
        props["apiVersion"] = {"description": docs["apiVersion"], "type": "string"}
        props["kind"] = {"description": docs["kind"], "type": "string"}
        props["metadata"] = {"$ref": _OBJECT_META, "description": docs["metadata"]}
        body["properties"] = props
    body["type"] = "object"
    body["x-kubernetes-group-version-kind"] = [{"group": group, "kind": kind, "version": version}]
    listing = {
        "description": f"{list_kind} is a list of {kind}",
        "properties": {
            "apiVersion": {"description": docs["apiVersion"], "type": "string"},
            "items": {"items": {"$ref": f"#/definitions/{name}"}, "type": "array"},
            "kind": {"description": docs["kind"], "type": "string"},
            "metadata": {"$ref": _LIST_META, "description": docs["listMetadata"]},
        },
        "required": ["items"],
        "type": "object",
        "x-kubernetes-group-version-kind": [{"group": group, "kind": list_kind, "version": version}],
    }
    return {name: body, list_name: listing}
