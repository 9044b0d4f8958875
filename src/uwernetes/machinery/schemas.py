"""The v1.30 OpenAPI definitions shipped by `kubernetes-validate`, loaded once and indexed.

The package stores them JSON-Schema-ised (`type: [T, "null"]`, `$ref: #/$defs/...`); helpers here
hide that so callers see plain OpenAPI-like nodes.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import orjson

SCHEMA_VERSION_DIR = "v1.30.0-local"
_REF_PREFIX = "#/$defs/"


@functools.cache
def definitions() -> dict[str, dict[str, Any]]:
    """All 626 definitions by their upstream name (`io.k8s.api.core.v1.Pod`)."""
    root = resources.files("kubernetes_validate") / "kubernetes-json-schema" / SCHEMA_VERSION_DIR
    data = orjson.loads((root / "_definitions.json").read_bytes())
    return data["$defs"]


@functools.cache
def by_gvk() -> dict[tuple[str, str, str], str]:
    """(group, version, kind) -> definition name, from `x-kubernetes-group-version-kind`."""
    out: dict[tuple[str, str, str], str] = {}
    for name, node in definitions().items():
        for gvk in node.get("x-kubernetes-group-version-kind", ()):
            out.setdefault((gvk["group"], gvk["version"], gvk["kind"]), name)
    return out


def ref_name(node: dict[str, Any]) -> str | None:
    ref = node.get("$ref")
    if ref is None and "allOf" in node and len(node["allOf"]) == 1:
        ref = node["allOf"][0].get("$ref")
    if ref and ref.startswith(_REF_PREFIX):
        return ref[len(_REF_PREFIX) :]
    return None


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    """Follow `$ref` chains to the definition they name."""
    name = ref_name(node)
    while name is not None:
        node = definitions()[name]
        name = ref_name(node)
    return node


def schema_for(group: str, version: str, kind: str) -> dict[str, Any] | None:
    name = by_gvk().get((group, version, kind))
    return definitions()[name] if name else None


def types_of(node: dict[str, Any]) -> set[str]:
    """The node's JSON types without the `null` the conversion added."""
    t = node.get("type")
    if t is None:
        return set()
    if isinstance(t, str):
        return {t}
    return {x for x in t if x != "null"}


def child(node: dict[str, Any], name: str) -> dict[str, Any] | None:
    """Schema of property `name` of an object node (resolving refs), or None if unknown."""
    node = resolve(node)
    props = node.get("properties")
    if props and name in props:
        return props[name]
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        return extra
    return None


def items(node: dict[str, Any]) -> dict[str, Any] | None:
    node = resolve(node)
    it = node.get("items")
    return it if isinstance(it, dict) else None
