"""OpenAPI v2 at `/openapi/v2`: the built-in definitions, as JSON or as gnostic's protobuf.

kubectl (1.27 and later) reads v3 for almost everything, but its client-side validation still
loads this document, in protobuf only, whenever the server cannot validate for it: every
`kind: List` file (what `kubectl get -o yaml` writes) and create-only kinds (Binding, the reviews).
Without the document `kubectl apply -f list.yaml` fails outright.

kubectl's parser (kube-openapi `util/proto`) is strict: a `$ref` carries no type, an array has one
item schema, a node has at most one type. The definitions are converted for it: single types, no
`null`, IntOrString and Quantity as the formatted strings upstream publishes. Custom resources are
published too, converted as upstream's `ToStructuralOpenAPIV2` does (`apiextensions/v2_schema`);
one whose result the parser would still refuse is left out (kubectl then skips validating it),
since one bad definition makes kubectl refuse the whole document. Paths are not served: kubectl
looks them up in v3, and without them its v2 check falls through to validating by definition, as
it does for these kinds on a real cluster.
"""

from __future__ import annotations

import hashlib
import logging
import struct
import threading
from collections.abc import Iterable
from typing import Any

import orjson

from uwernetes.apiextensions import v2_schema
from uwernetes.apiserver.openapi import KUBE_VERSION, ONE_OF_DEFINITIONS, closure, crd_definition_name
from uwernetes.apiserver.resources.base import ResourceType
from uwernetes.machinery import schemas

log = logging.getLogger(__name__)

PROTOBUF = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
# What older clients ask for, and what every answer says it is: Go's mime parser rejects the "@".
PROTOBUF_LEGACY = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"

_REF = "#/definitions/"
_META = "io.k8s.apimachinery.pkg.apis.meta.v1."
# Kinds the API serves whatever the resources (errors, options, discovery, watch events), and the
# metadata custom resources refer to.
_ALWAYS = (_META + "DeleteOptions", _META + "Status", _META + "WatchEvent", _META + "APIGroup",
           _META + "APIGroupList", _META + "APIResourceList", _META + "APIVersions", _META + "Patch",
           _META + "ObjectMeta", _META + "ListMeta")

# Upstream's v2 writes IntOrString and Quantity as strings (kubectl's parser takes one type only).
_SPECIAL: dict[str, dict[str, Any]] = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {"format": "int-or-string", "type": "string"},
    "io.k8s.apimachinery.pkg.api.resource.Quantity": {"type": "string"},
}


# --- definitions (JSON-Schema-ised -> Swagger 2.0) ---


def convert(node: dict[str, Any], *, type_meta: bool = False) -> dict[str, Any]:
    """One schema node as upstream's v2 writes it: `$ref` beside its description only, one type."""
    ref = node.get("$ref")
    if ref is not None:
        out: dict[str, Any] = {"$ref": _REF + ref.rsplit("/", 1)[-1]}
        if "description" in node:
            out["description"] = node["description"]
        return out
    out = {}
    for key, value in node.items():
        if key == "type":
            kinds = [t for t in value if t != "null"] if isinstance(value, list) else [value]
            if len(kinds) == 1:
                out["type"] = kinds[0]
        elif key == "enum" and type_meta:
            continue
        elif key == "properties":
            out["properties"] = {
                name: convert(sub, type_meta=name in ("apiVersion", "kind")) for name, sub in value.items()
            }
        elif key == "items" and isinstance(value, dict):
            out["items"] = convert(value)
        elif key == "additionalProperties":
            if isinstance(value, dict):
                out[key] = convert(value)
            elif value is False:
                out[key] = False
        elif key in ("allOf", "anyOf", "oneOf", "not"):
            continue  # only IntOrString and Quantity use them, and they are special-cased
        else:
            out[key] = value
    return out


def _definition(name: str) -> dict[str, Any]:
    special = _SPECIAL.get(name)
    if special is not None:
        return {"description": ONE_OF_DEFINITIONS[name]["description"], **special}
    return convert(schemas.definitions()[name])


def definition_names(resource_types: Iterable[ResourceType]) -> list[str]:
    """Every built-in definition the served kinds (and their lists) reach."""
    roots: set[str] = set(_ALWAYS)
    for rt in resource_types:
        if not rt.builtin:
            continue  # a CRD version: custom_definitions
        for kind in (rt.kind, rt.list_kind):
            name = schemas.by_gvk().get((rt.group, rt.version, kind))
            if name is not None:
                roots.add(name)
        for sub in rt.subresources:
            if sub.kind:
                group = sub.group if sub.group is not None else rt.group
                name = schemas.by_gvk().get((group, sub.version or rt.version, sub.kind))
                if name is not None:
                    roots.add(name)
    return closure(roots)


def custom_definitions(resource_types: Iterable[ResourceType], known: set[str]) -> dict[str, dict[str, Any]]:
    """Definitions of the served custom resource versions that kubectl's parser will take."""
    out: dict[str, dict[str, Any]] = {}
    for rt in resource_types:
        if rt.builtin:
            continue
        name = crd_definition_name(rt.group, rt.version, rt.kind)
        list_name = crd_definition_name(rt.group, rt.version, rt.list_kind)
        schema = getattr(rt, "schema", None)
        defs = v2_schema.definitions(rt.group, rt.version, rt.kind, rt.list_kind,
                                     schema if isinstance(schema, dict) else None, name, list_name)
        problems = [p for n, d in defs.items() for p in parse_problems(d, n, known | set(defs))]
        if problems:
            log.warning("%s left out of /openapi/v2: %s", name, "; ".join(problems[:3]))
            continue
        out.update(defs)
    return out


def parse_problems(node: dict[str, Any], where: str, names: set[str]) -> list[str]:
    """What kube-openapi's proto parser would refuse in a definition (any refusal fails them all)."""
    if "$ref" in node:
        target = node["$ref"].removeprefix(_REF)
        if set(node) - {"$ref", "description"} or not node["$ref"].startswith(_REF) or target not in names:
            return [f"{where}: bad reference"]
        return []
    t = node.get("type")
    problems = []
    if t is not None and t not in ("string", "number", "integer", "boolean", "object", "array"):
        problems.append(f"{where}: type {t!r}")
    items = node.get("items")
    if t == "array" and not isinstance(items, dict):
        problems.append(f"{where}: an array without one item schema")
    for name, sub in (node.get("properties") or {}).items():
        problems += parse_problems(sub, f"{where}.{name}", names) if isinstance(sub, dict) else [f"{where}.{name}"]
    if isinstance(items, dict):
        problems += parse_problems(items, f"{where}[]", names)
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        problems += parse_problems(extra, f"{where}{{}}", names)
    return problems


def build_document(resource_types: Iterable[ResourceType]) -> dict[str, Any]:
    resource_types = list(resource_types)
    builtin = {name: _definition(name) for name in definition_names(resource_types)}
    return {
        "swagger": "2.0",
        "info": {"title": "Kubernetes", "version": KUBE_VERSION},
        "paths": {},
        "definitions": {**builtin, **custom_definitions(resource_types, set(builtin))},
        "securityDefinitions": {
            "BearerToken": {"description": "Bearer Token authentication", "in": "header",
                            "name": "authorization", "type": "apiKey"},
        },
        "security": [{"BearerToken": []}],
    }


# --- protobuf (gnostic's openapi_v2.Document) ---


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        low = n & 0x7F
        n >>= 7
        if n:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _message(field: int, body: bytes) -> bytes:
    return _varint(field << 3 | 2) + _varint(len(body)) + body


def _string(field: int, text: str) -> bytes:
    return _message(field, text.encode())


def _bool(field: int, value: bool) -> bytes:
    return _varint(field << 3) + (b"\x01" if value else b"\x00")


def _int(field: int, value: int) -> bytes:
    return _varint(field << 3) + _varint(value)


def _double(field: int, value: float) -> bytes:
    return _varint(field << 3 | 1) + struct.pack("<d", float(value))


def _any(field: int, value: Any) -> bytes:
    # openapi_v2.Any keeps a value as YAML text (field 2); JSON is YAML, and Go's yaml reads it.
    return _message(field, _string(2, orjson.dumps(value).decode()))


def _named(field: int, name: str, value_body: bytes) -> bytes:
    return _message(field, _string(1, name) + _message(2, value_body))


# Schema message field numbers by JSON key, with how each is written.
_SCALARS: dict[str, tuple[int, Any]] = {
    "$ref": (1, _string), "format": (2, _string), "title": (3, _string), "description": (4, _string),
    "default": (5, _any), "multipleOf": (6, _double), "maximum": (7, _double), "exclusiveMaximum": (8, _bool),
    "minimum": (9, _double), "exclusiveMinimum": (10, _bool), "maxLength": (11, _int), "minLength": (12, _int),
    "pattern": (13, _string), "maxItems": (14, _int), "minItems": (15, _int), "uniqueItems": (16, _bool),
    "maxProperties": (17, _int), "minProperties": (18, _int), "discriminator": (26, _string),
    "readOnly": (27, _bool),
}


def schema_message(node: dict[str, Any]) -> bytes:
    """A v2 schema node as an openapi_v2.Schema message, fields in number order as Go writes them."""
    parts: list[tuple[int, bytes]] = []
    extensions = b""
    for key, value in node.items():
        scalar = _SCALARS.get(key)
        if scalar is not None:
            number, write = scalar
            parts.append((number, write(number, value)))
        elif key == "required":
            parts.append((19, b"".join(_string(19, name) for name in value)))
        elif key == "enum":
            parts.append((20, b"".join(_any(20, v) for v in value)))
        elif key == "additionalProperties":
            item = _message(1, schema_message(value)) if isinstance(value, dict) else _bool(2, bool(value))
            parts.append((21, _message(21, item)))
        elif key == "type":
            parts.append((22, _message(22, _string(1, value))))
        elif key == "items":
            parts.append((23, _message(23, _message(1, schema_message(value)))))
        elif key == "allOf":
            parts.append((24, b"".join(_message(24, schema_message(v)) for v in value)))
        elif key == "properties":
            props = b"".join(_named(1, name, schema_message(sub)) for name, sub in value.items())
            parts.append((25, _message(25, props)))
        elif key.startswith("x-"):
            extensions += _message(31, _string(1, key) + _any(2, value))
    parts.sort(key=lambda p: p[0])
    return b"".join(body for _, body in parts) + extensions


def document_message(doc: dict[str, Any]) -> bytes:
    """The whole document as openapi_v2.Document (paths, when present, are left out: none are served)."""
    info = _string(1, doc["info"]["title"]) + _string(2, doc["info"]["version"])
    definitions = b"".join(_named(1, name, schema_message(node)) for name, node in doc["definitions"].items())
    security = b"".join(
        _message(1, _string(1, name) + _message(2, b"".join(_string(1, s) for s in scopes)))
        for requirement in doc["security"] for name, scopes in requirement.items()
    )
    schemes = b""
    for name, scheme in doc["securityDefinitions"].items():
        api_key = (_string(1, scheme["type"]) + _string(2, scheme["name"]) + _string(3, scheme["in"])
                   + _string(4, scheme["description"]))
        schemes += _named(1, name, _message(2, api_key))  # SecurityDefinitionsItem.api_key_security
    return (_string(1, doc["swagger"]) + _message(2, info) + _message(8, b"") + _message(9, definitions)
            + _message(12, security) + _message(13, schemes))


# --- serving ---


class OpenAPIV2:
    """The document for a set of served resources, built on first request, in both encodings."""

    def __init__(self, resource_types: Iterable[ResourceType]) -> None:
        self._resource_types = list(resource_types)
        self._built: tuple[bytes, bytes, str] | None = None
        self._lock = threading.Lock()

    def _build(self) -> tuple[bytes, bytes, str]:
        built = self._built
        if built is None:
            with self._lock:
                built = self._built
                if built is None:
                    doc = build_document(self._resource_types)
                    as_json = orjson.dumps(doc)
                    etag = hashlib.sha512(as_json).hexdigest().upper()
                    built = self._built = (as_json, document_message(doc), etag)
        return built

    def json(self) -> tuple[bytes, str]:
        as_json, _, etag = self._build()
        return as_json, etag

    def protobuf(self) -> tuple[bytes, str]:
        _, as_pb, etag = self._build()
        return as_pb, etag
