"""OpenAPI v2: definitions kubectl's strict parser accepts, and the protobuf it reads them from."""

from __future__ import annotations

import struct

import orjson
import pytest
import yaml

from uwernetes.apiserver import openapi_v2
from uwernetes.apiserver.resources import catalogue
from uwernetes.apiserver.resources.base import ResourceType

PRIMITIVES = {"string", "number", "integer", "boolean"}


@pytest.fixture(scope="module")
def served() -> openapi_v2.OpenAPIV2:
    return openapi_v2.OpenAPIV2(catalogue.all_resources())


@pytest.fixture(scope="module")
def doc(served) -> dict:
    return orjson.loads(served.json()[0])


def _nodes(node: dict, where: str):
    yield where, node
    for name, sub in (node.get("properties") or {}).items():
        yield from _nodes(sub, f"{where}.{name}")
    if isinstance(node.get("items"), dict):
        yield from _nodes(node["items"], f"{where}[]")
    if isinstance(node.get("additionalProperties"), dict):
        yield from _nodes(node["additionalProperties"], f"{where}{{}}")


def test_every_node_is_one_kube_openapi_parses(doc):
    # kube-openapi util/proto rejects the whole document (and so all validation) for any of these.
    problems = []
    for name, definition in doc["definitions"].items():
        for where, node in _nodes(definition, name):
            if "$ref" in node:
                target = node["$ref"].removeprefix("#/definitions/")
                if set(node) - {"$ref", "description"} or target not in doc["definitions"]:
                    problems.append(f"{where}: bad reference {node}")
                continue
            t = node.get("type")
            if t is not None and not isinstance(t, str):
                problems.append(f"{where}: several types {t}")
            if t == "array" and not isinstance(node.get("items"), dict):
                problems.append(f"{where}: array without one item schema")
            if t is not None and t not in PRIMITIVES | {"object", "array"}:
                problems.append(f"{where}: unknown type {t}")
            if {"oneOf", "anyOf", "allOf"} & set(node):
                problems.append(f"{where}: combinators")
    assert problems == []


def test_served_kinds_and_their_schemas(doc):
    defs = doc["definitions"]
    assert doc["swagger"] == "2.0" and doc["info"] == {"title": "Kubernetes", "version": "v1.30.0"}
    for name in ("io.k8s.api.core.v1.ConfigMap", "io.k8s.api.apps.v1.Deployment", "io.k8s.api.core.v1.Binding",
                 "io.k8s.api.authentication.v1.TokenReview", "io.k8s.apimachinery.pkg.apis.meta.v1.Status"):
        assert name in defs
    assert defs["io.k8s.api.core.v1.ConfigMap"]["x-kubernetes-group-version-kind"] == [
        {"group": "", "kind": "ConfigMap", "version": "v1"}]
    assert defs["io.k8s.api.core.v1.Pod"]["properties"]["spec"] == {
        "$ref": "#/definitions/io.k8s.api.core.v1.PodSpec",
        "description": "Specification of the desired behavior of the pod. More info: "
                       "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status"}
    assert defs["io.k8s.api.core.v1.Container"]["required"] == ["name"]
    assert defs["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["format"] == "int-or-string"
    assert defs["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["type"] == "string"
    assert defs["io.k8s.api.core.v1.ConfigMap"]["properties"]["data"] == {
        "additionalProperties": {"type": "string"}, "type": "object",
        "description": defs["io.k8s.api.core.v1.ConfigMap"]["properties"]["data"]["description"]}


def _custom(schema: dict) -> ResourceType:
    rt = ResourceType(group="example.com", version="v1", kind="Widget", plural="widgets", namespaced=True,
                      builtin=False)
    rt.schema = schema
    return rt


WIDGET = {"type": "object", "properties": {
    "spec": {"type": "object", "required": ["size", "note"], "properties": {
        "size": {"type": "integer", "minimum": 1},
        "note": {"type": "string", "nullable": True},
        "port": {"x-kubernetes-int-or-string": True, "anyOf": [{"type": "integer"}, {"type": "string"}]},
        "tags": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"},
        "blob": {"type": "object", "x-kubernetes-preserve-unknown-fields": True,
                 "properties": {"a": {"type": "string"}}},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}}}},
    "status": {"type": "object", "properties": {"ready": {"type": "boolean"}}}}}


def test_custom_resources_are_published_as_upstream_converts_them():
    defs = openapi_v2.custom_definitions([_custom(WIDGET)], set(openapi_v2.definition_names([])))
    widget = defs["com.example.v1.Widget"]
    assert widget["x-kubernetes-group-version-kind"] == [{"group": "example.com", "kind": "Widget", "version": "v1"}]
    assert widget["properties"]["metadata"] == {
        "$ref": "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
        "description": "Standard object's metadata. More info: "
                       "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"}
    assert widget["properties"]["kind"]["description"].startswith("Kind is a string value representing the REST")
    spec = widget["properties"]["spec"]
    assert spec["required"] == ["size"]  # a nullable field is never required in v2
    assert spec["properties"]["note"] == {}
    assert spec["properties"]["port"] == {"x-kubernetes-int-or-string": True}
    assert spec["properties"]["tags"] == {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"}
    assert spec["properties"]["blob"] == {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    assert spec["properties"]["labels"] == {"type": "object", "additionalProperties": {"type": "string"}}
    listing = defs["com.example.v1.WidgetList"]
    assert listing["properties"]["items"]["items"] == {"$ref": "#/definitions/com.example.v1.Widget"}


def test_a_custom_resource_the_parser_would_refuse_is_left_out():
    bad = {"type": "object", "properties": {"spec": {"type": ["object", "string"]}}}
    assert openapi_v2.custom_definitions([_custom(bad)], set()) == {}


# --- the protobuf, read back with a plain wire-format reader ---


def _fields(data: bytes) -> list[tuple[int, object]]:
    out, i = [], 0
    while i < len(data):
        key, i = _varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(data, i)
        elif wire == 1:
            value, i = struct.unpack("<d", data[i:i + 8])[0], i + 8
        elif wire == 2:
            size, i = _varint(data, i)
            value, i = data[i:i + size], i + size
        else:
            raise AssertionError(f"unexpected wire type {wire}")
        out.append((number, value))
    return out


def _varint(data: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        b = data[i]
        i += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return result, i


def _one(fields: list, number: int):
    found = [v for n, v in fields if n == number]
    assert len(found) == 1, (number, found)
    return found[0]


def _named(fields: list, number: int) -> dict[str, bytes]:
    out = {}
    for n, v in fields:
        if n == number:
            pair = _fields(v)
            out[_one(pair, 1).decode()] = _one(pair, 2)
    return out


def test_protobuf_document_reads_back(served, doc):
    top = _fields(served.protobuf()[0])
    assert _one(top, 1) == b"2.0"
    info = _fields(_one(top, 2))
    assert (_one(info, 1), _one(info, 2)) == (b"Kubernetes", b"v1.30.0")
    definitions = _named(_fields(_one(top, 9)), 1)
    assert list(definitions) == list(doc["definitions"])

    configmap = _fields(definitions["io.k8s.api.core.v1.ConfigMap"])
    assert _one(configmap, 4).decode() == doc["definitions"]["io.k8s.api.core.v1.ConfigMap"]["description"]
    assert _fields(_one(configmap, 22)) == [(1, b"object")]
    extensions = {k: yaml.safe_load(_one(_fields(v), 2)) for k, v in _named(configmap, 31).items()}
    assert extensions["x-kubernetes-group-version-kind"] == [{"group": "", "kind": "ConfigMap", "version": "v1"}]
    props = _named(_fields(_one(configmap, 25)), 1)
    assert list(props) == list(doc["definitions"]["io.k8s.api.core.v1.ConfigMap"]["properties"])
    data = _fields(props["data"])
    value_schema = _fields(_one(_fields(_one(data, 21)), 1))
    assert _fields(_one(value_schema, 22)) == [(1, b"string")]
    metadata = _fields(props["metadata"])
    assert _one(metadata, 1) == b"#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
    assert not [n for n, _ in metadata if n == 22]  # a reference carries no type

    container = _fields(definitions["io.k8s.api.core.v1.Container"])
    assert [v for n, v in container if n == 19] == [b"name"]
    ports = _fields(_named(_fields(_one(container, 25)), 1)["ports"])
    items = _fields(_one(ports, 23))
    assert _one(_fields(_one(items, 1)), 1) == b"#/definitions/io.k8s.api.core.v1.ContainerPort"


def test_schema_message_scalars_and_enums():
    msg = _fields(openapi_v2.schema_message(
        {"type": "integer", "format": "int32", "minimum": -1, "uniqueItems": True, "maxLength": 300,
         "enum": ["Always", "Never"], "additionalProperties": False}))
    assert _one(msg, 2) == b"int32"
    assert _one(msg, 9) == -1.0
    assert _one(msg, 16) == 1
    assert _one(msg, 11) == 300
    assert [yaml.safe_load(_one(_fields(v), 2)) for n, v in msg if n == 20] == ["Always", "Never"]
    assert _fields(_one(msg, 21)) == [(2, 0)]
    assert [n for n, _ in msg] == sorted(n for n, _ in msg)
