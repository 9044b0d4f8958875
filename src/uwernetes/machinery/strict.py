"""Server-side field validation (`fieldValidation=Strict|Warn|Ignore`): unknown and duplicate fields.

Upstream gets these from strict JSON decoding into the Go structs (sigs.k8s.io/json): each unknown
key is reported as `unknown field "<path>"`, each repeated key as `duplicate field "<path>"`, where
the path joins struct fields and map keys with `.` and list indexes as `[i]` (`spec.containers[0].x`).
Errors come in document order, deduplicated, at most 100. We walk the same schemas we serve as
OpenAPI, compiled once per definition into small nodes so the walk costs a dict lookup per key.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from uwernetes.machinery import errors, field, schemas

MAX_ERRORS = 100  # sigs.k8s.io/json stops collecting strict errors here

# Types whose Go form has its own UnmarshalJSON that takes anything: nothing inside is checked.
_OPAQUE = frozenset(
    {
        "io.k8s.apimachinery.pkg.runtime.RawExtension",
        "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1",
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON",
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrArray",
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrBool",
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrStringArray",
    }
)
_OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"


class SchemaNode:
    """What the walk needs from one schema node.

    `props`: known fields of a struct; `extra`: the value schema of a map; `items`: list elements;
    `open`: unknown keys are kept silently (preserve-unknown-fields, free-form objects);
    `leaf`: nothing below is checked (scalars, int-or-string, quantities, opaque types).
    """

    __slots__ = ("props", "extra", "items", "open", "leaf")

    def __init__(self) -> None:
        self.props: dict[str, SchemaNode] | None = None
        self.extra: SchemaNode | None = None
        self.items: SchemaNode | None = None
        self.open = False
        self.leaf = False


def _leaf() -> SchemaNode:
    n = SchemaNode()
    n.leaf = True
    return n


_LEAF = _leaf()


class _Compiler:
    """Turns (JSON-Schema-ised or OpenAPI v3) schema nodes into SchemaNodes, definitions once each."""

    def __init__(self, defs: dict[str, dict[str, Any]]) -> None:
        self.defs = defs
        self.by_name: dict[str, SchemaNode] = {}

    def definition(self, name: str) -> SchemaNode:
        node = self.by_name.get(name)
        if node is not None:
            return node
        if name in _OPAQUE or name not in self.defs:
            self.by_name[name] = _LEAF
            return _LEAF
        # Register before filling so recursive definitions (JSONSchemaProps) close the loop.
        node = SchemaNode()
        self.by_name[name] = node
        self._fill(node, self.defs[name])
        return node

    def compile(self, schema: dict[str, Any]) -> SchemaNode:
        name = _ref_name(schema)
        if name is not None:
            return self.definition(name)
        node = SchemaNode()
        self._fill(node, schema)
        if node.leaf:
            return _LEAF
        return node

    def _fill(self, node: SchemaNode, schema: dict[str, Any]) -> None:
        name = _ref_name(schema)
        if name is not None:
            target = self.definition(name)
            node.props, node.extra, node.items = target.props, target.extra, target.items
            node.open, node.leaf = target.open, target.leaf
            return
        if schema.get("x-kubernetes-int-or-string") or "oneOf" in schema or "anyOf" in schema:
            node.leaf = True
            return
        types = schemas.types_of(schema)
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        preserve = bool(schema.get("x-kubernetes-preserve-unknown-fields"))
        embedded = bool(schema.get("x-kubernetes-embedded-resource"))
        if "array" in types:
            items = schema.get("items")
            node.items = self.compile(items) if isinstance(items, dict) else _LEAF
            return
        if "object" not in types and not (props or extra or preserve or embedded):
            node.leaf = True
            return
        if props is not None or embedded:
            node.props = {k: self.compile(v) for k, v in (props or {}).items()}
        if embedded:
            # An embedded object always may carry its own type and metadata.
            node.props.setdefault("apiVersion", _LEAF)
            node.props.setdefault("kind", _LEAF)
            node.props.setdefault("metadata", self.definition(_OBJECT_META))
        if isinstance(extra, dict):
            node.extra = self.compile(extra)
        elif extra is True or preserve:
            node.open = True
        elif node.props is None and extra is None:
            # `type: object` with nothing declared: a free-form object in Go (map or RawExtension).
            node.open = True


def _ref_name(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref")
    if ref is None:
        all_of = schema.get("allOf")
        if all_of and len(all_of) == 1:
            ref = all_of[0].get("$ref")
    if not ref:
        return None
    return ref.rsplit("/", 1)[-1]


@functools.cache
def _builtin() -> _Compiler:
    return _Compiler(schemas.definitions())


def node_for(group: str, version: str, kind: str) -> SchemaNode | None:
    """The compiled schema of a built-in kind, or None when we have no schema for it."""
    name = schemas.by_gvk().get((group, version, kind))
    if name is None:
        return None
    return _builtin().definition(name)


def compile_schema(schema: dict[str, Any], defs: dict[str, dict[str, Any]] | None = None) -> SchemaNode:
    """Compile a schema that is not a built-in kind (a CRD version's), refs resolved against `defs`."""
    return _Compiler(defs if defs is not None else schemas.definitions()).compile(schema)


# --- the walk ---


class _Pairs(list):
    """A JSON object as its (key, value) pairs in document order, duplicates kept."""


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _walk(value: Any, node: SchemaNode, path: str, out: list[tuple[str, str]]) -> None:
    """Append ("unknown"|"duplicate", path) in the order the Go decoder meets them."""
    if node.leaf or value is None:
        return
    cls = type(value)
    if cls is dict or cls is _Pairs:
        props, extra, is_open = node.props, node.extra, node.open
        pairs = value.items() if cls is dict else value
        seen: set[str] | None = set() if cls is _Pairs else None
        for key, child_value in pairs:
            if seen is not None:
                if key in seen:
                    out.append(("duplicate", _join(path, key)))
                else:
                    seen.add(key)
            child = props.get(key) if props is not None else None
            if child is None:
                if extra is not None:
                    child = extra
                elif is_open:
                    if seen is not None and type(child_value) in (_Pairs, list):
                        _walk(child_value, _ANY, _join(path, key), out)
                    continue
                else:
                    out.append(("unknown", _join(path, key)))
                    continue
            if child.leaf or child_value is None:
                continue
            _walk(child_value, child, _join(path, key), out)
    elif cls is list:
        items = node.items
        if items is None or items.leaf:
            return
        for i, item in enumerate(value):
            _walk(item, items, f"{path}[{i}]", out)


def _any() -> SchemaNode:
    """Free-form JSON (maps of interface{}): no unknown fields, but duplicates still count."""
    n = SchemaNode()
    n.open = True
    n.props = None
    return n


_ANY = _any()
_ANY.items = _ANY


def _dedupe(found: list[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: set[tuple[str, str]] = set()
    out = []
    for f in found:
        if f not in seen:
            seen.add(f)
            out.append(f)
            if len(out) >= MAX_ERRORS:
                break
    return out


# Steps of a strict-decoding path: `spec.containers[0].bogus` -> spec, containers, 0, bogus.
_PATH_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def unknown_fields_in(obj: dict[str, Any], node: SchemaNode) -> list[str]:
    found: list[tuple[str, str]] = []
    _walk(obj, node, "", found)
    return [p for _, p in _dedupe(found)]


def unknown_fields(obj: dict[str, Any], group: str, version: str, kind: str) -> list[str]:
    """Paths of fields the kind's schema does not declare (`spec.foo`, `spec.containers[0].bogus`)."""
    node = node_for(group, version, kind)
    if node is None:
        return []
    return unknown_fields_in(obj, node)


def _pairs(raw: bytes | str) -> Any:
    return json.loads(raw, object_pairs_hook=_Pairs)


def duplicate_fields(raw: bytes | str) -> list[str]:
    """Paths of keys that appear twice in one JSON object of the body (`metadata.name`)."""
    found: list[tuple[str, str]] = []
    _walk(_pairs(raw), _ANY, "", found)
    return [p for _, p in _dedupe(found)]


def strict_problems(raw: bytes | str, group: str, version: str, kind: str) -> list[str]:
    """Every strict-decoding problem of a JSON body, worded and ordered as upstream reports them.

    Both kinds of problem come from one pass in document order, as the Go decoder finds them.
    Raises ValueError on malformed JSON (the caller has already parsed the body, so it will not).
    """
    node = node_for(group, version, kind) or _ANY
    found: list[tuple[str, str]] = []
    _walk(_pairs(raw), node, "", found)
    return [f'{what} field "{path}"' for what, path in _dedupe(found)]


def problems(unknown: list[str], duplicates: list[str] | None = None) -> list[str]:
    """Messages for paths found separately (`unknown field "spec.foo"`); duplicates first."""
    return [f'duplicate field "{p}"' for p in duplicates or ()] + [f'unknown field "{p}"' for p in unknown]


def decoding_message(problems: list[str]) -> str:
    """runtime.StrictDecodingError's text."""
    return "strict decoding error: " + ", ".join(problems)


def strict_error(kind: str, api_version: str, problems: list[str]) -> errors.StatusError:
    """The 400 a create/update with `fieldValidation=Strict` gets (handlers' transformDecodeError).

    The version printed is the bare version, as upstream prints `gvk.Version` (`apps/v1` -> `v1`).
    """
    version = api_version.rsplit("/", 1)[-1]
    return errors.bad_request(
        f'{kind} in version "{version}" cannot be handled as a {kind}: {decoding_message(problems)}'
    )


def strict_patch_error(patched: str, problems: list[str]) -> errors.StatusError:
    """The 422 a JSON/merge/strategic patch gets when the patched object has unknown fields.

    Upstream reports them as an Invalid error on field `patch` with an empty kind and name; the
    value is the patched object's JSON (JSON and merge patches) or the Go-printed patch map (SMP).
    """
    err = field.invalid("patch", patched, decoding_message(problems))
    return errors.invalid("", "", [err])


def path_order(path: str) -> tuple[tuple[int, Any], ...]:
    """Sort key comparing paths step by step, as a walk in key order meets them (one level of a
    path holds names or list indexes, never both, so the tuples always compare)."""
    return tuple((0, name) if not index else (1, int(index)) for name, index in _PATH_TOKEN.findall(path))


def remove_field(obj: Any, path: str) -> None:
    """Delete the field at a strict-decoding path such as `spec.containers[0].bogus`."""
    steps: list[str | int] = []
    for name, index in _PATH_TOKEN.findall(path):
        steps.append(int(index) if index else name)
    cur = obj
    for step in steps[:-1]:
        try:
            cur = cur[step]
        except (KeyError, IndexError, TypeError):
            return
    last = steps[-1] if steps else None
    if isinstance(cur, dict) and isinstance(last, str):
        cur.pop(last, None)


def warnings(problems: list[str]) -> list[str]:
    """With `fieldValidation=Warn` each problem becomes one Warning header text, as worded."""
    return list(problems)
