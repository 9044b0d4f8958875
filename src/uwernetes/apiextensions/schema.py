"""What a structural schema does to a custom resource: prune, default, validate.

Upstream runs these in apiextensions-apiserver's crdHandler, in this order: drop nulls that are
neither nullable nor defaulted, prune unknown fields (reporting their paths for fieldValidation),
apply defaults, then validate with kube-openapi's validator. Validation messages are kube-openapi's
("spec.replicas in body must be of type integer: \"string\"") wrapped in field errors the way
`kubeOpenAPIResultToFieldErrors` wraps them, so clients see upstream's text and field paths.

Schemas are the CRD's `openAPIV3Schema` dicts, used as they are; everything here is pure.
"""

from __future__ import annotations

import base64
import binascii
import copy
import ipaddress
import re
import uuid
from datetime import datetime
from typing import Any

import orjson

from uwernetes.machinery import field
from uwernetes.machinery.field import FieldError
from uwernetes.machinery.patch.gofmt import go_float

Schema = dict[str, Any]
_IMPLICIT_ROOT = ("apiVersion", "kind", "metadata")


# --- pruning ---


def prune(obj: Any, schema: Schema | None, *, root: bool = True) -> list[str]:
    """Remove fields the schema does not declare, in place; return their paths (`spec.foo`)."""
    pruned: list[str] = []
    if schema is None:
        return pruned
    _prune(obj, schema, "", root, pruned)
    return pruned


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _prune(value: Any, schema: Schema, path: str, embedded_root: bool, pruned: list[str]) -> None:
    if isinstance(value, dict):
        if schema.get("x-kubernetes-int-or-string"):
            return
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        preserve = bool(schema.get("x-kubernetes-preserve-unknown-fields"))
        for key in list(value):
            if embedded_root and key in _IMPLICIT_ROOT:
                if key == "metadata" and isinstance(value[key], dict):
                    _prune_metadata(value[key], _join(path, key), pruned)
                continue
            child: Schema | None = None
            if props is not None and key in props:
                child = props[key]
            elif isinstance(extra, dict):
                child = extra
            elif extra is True or preserve:
                continue
            if child is None:
                del value[key]
                pruned.append(_join(path, key))
                continue
            _prune(value[key], child, _join(path, key), bool(child.get("x-kubernetes-embedded-resource")), pruned)
    elif isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, dict):
            for i, item in enumerate(value):
                _prune(item, items, f"{path}[{i}]", bool(items.get("x-kubernetes-embedded-resource")), pruned)


# ObjectMeta's JSON fields: anything else under an embedded metadata is dropped by decoding.
_OBJECT_META_FIELDS = frozenset(
    {
        "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
        "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations",
        "ownerReferences", "finalizers", "managedFields",
    }
)


def _prune_metadata(meta: dict[str, Any], path: str, pruned: list[str]) -> None:
    for key in list(meta):
        if key not in _OBJECT_META_FIELDS:
            del meta[key]
            pruned.append(_join(path, key))


# --- nulls and defaults ---


def drop_nulls(value: Any, schema: Schema | None) -> None:
    """Remove `null` values of fields that are neither nullable nor defaulted (upstream prunes
    these before defaulting, so a null never reaches validation as a type error)."""
    if schema is None:
        return
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        for key in list(value):
            child = props.get(key) if key in props else (extra if isinstance(extra, dict) else None)
            if child is None:
                continue
            if value[key] is None:
                if not child.get("nullable") and "default" not in child:
                    del value[key]
                continue
            drop_nulls(value[key], child)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            drop_nulls(item, schema["items"])


def apply_defaults(value: Any, schema: Schema | None) -> None:
    """Fill `default`s of missing (or null, non-nullable) properties, recursively, in place."""
    if schema is None:
        return
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        for key, child in props.items():
            if "default" not in child:
                continue
            if key not in value or (value[key] is None and not child.get("nullable")):
                value[key] = copy.deepcopy(child["default"])
        for key, item in value.items():
            child = props.get(key)
            if child is None:
                extra = schema.get("additionalProperties")
                child = extra if isinstance(extra, dict) else None
            if child is not None:
                apply_defaults(item, child)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            apply_defaults(item, schema["items"])


# --- validation ---


def type_name(value: Any) -> str:
    """The JSON type of a decoded value, as kube-openapi names it in type errors."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _bound(bound: Any, data: Any) -> str:
    """kube-openapi prints a bound as an integer when the data is one, else as Go's %v float."""
    if isinstance(data, int) and not isinstance(data, bool):
        return str(int(bound))
    return go_float(float(bound))


def _type_ok(value: Any, expected: str) -> bool:
    if expected == "object":
        return isinstance(value, dict)
    if expected == "array":
        return isinstance(value, list)
    if expected == "string":
        return isinstance(value, str)
    if expected == "boolean":
        return isinstance(value, bool)
    if expected == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
    if expected == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return True


def validate(obj: Any, schema: Schema | None) -> list[FieldError]:
    """Validate a whole custom resource against its version's schema (root: the object)."""
    if schema is None:
        return []
    errs: list[FieldError] = []
    _validate(obj, schema, "", errs)
    return errs


def _path(path: str) -> str:
    return path


def _name(path: str) -> str:
    return path or "."


def _validate(value: Any, schema: Schema, path: str, errs: list[FieldError]) -> None:
    if value is None:
        if schema.get("nullable"):
            return
        expected = schema.get("type")
        if expected:
            errs.append(field.type_invalid(_path(path), "null", f"{_name(path)} in body must be of type {expected}: \"null\""))
        return
    if schema.get("x-kubernetes-int-or-string"):
        if not (isinstance(value, str) or _type_ok(value, "integer")):
            errs.append(
                field.type_invalid(
                    _path(path), type_name(value),
                    f"{_name(path)} in body must be of type integer,string: {orjson.dumps(type_name(value)).decode()}",
                )
            )
            return
    else:
        expected = schema.get("type")
        if expected and not _type_ok(value, expected):
            errs.append(
                field.type_invalid(
                    _path(path), type_name(value),
                    f"{_name(path)} in body must be of type {expected}: {orjson.dumps(type_name(value)).decode()}",
                )
            )
            return
    enum = schema.get("enum")
    if enum is not None and not any(_json_equal(value, e) for e in enum):
        errs.append(field.not_supported(_path(path), value, [e if isinstance(e, str) else orjson.dumps(e).decode() for e in enum]))
    for sub in schema.get("allOf") or ():
        _validate(value, sub, path, errs)
    _combinators(value, schema, path, errs)
    if isinstance(value, str):
        _validate_string(value, schema, path, errs)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        _validate_number(value, schema, path, errs)
    elif isinstance(value, list):
        _validate_array(value, schema, path, errs)
    elif isinstance(value, dict):
        _validate_object(value, schema, path, errs)


def _combinators(value: Any, schema: Schema, path: str, errs: list[FieldError]) -> None:
    any_of = schema.get("anyOf")
    if any_of:
        if not any(not validate_node(value, s, path) for s in any_of):
            errs.append(field.invalid(_path(path), value, f"{_name(path)} in body must validate at least one schema (anyOf)"))
    one_of = schema.get("oneOf")
    if one_of:
        passing = sum(1 for s in one_of if not validate_node(value, s, path))
        if passing != 1:
            errs.append(field.invalid(_path(path), value, f"{_name(path)} in body must validate one and only one schema (oneOf)"))
    not_schema = schema.get("not")
    if isinstance(not_schema, dict) and not validate_node(value, not_schema, path):
        errs.append(field.invalid(_path(path), value, f"{_name(path)} in body should not validate the schema (not)"))


def validate_node(value: Any, schema: Schema, path: str = "") -> list[FieldError]:
    errs: list[FieldError] = []
    _validate(value, schema, path, errs)
    return errs


def _json_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return a == b


def _validate_string(value: str, schema: Schema, path: str, errs: list[FieldError]) -> None:
    max_length = schema.get("maxLength")
    if max_length is not None and len(value) > max_length:
        errs.append(field.too_long_max_length(_path(path), value, max_length))
    min_length = schema.get("minLength")
    if min_length is not None and len(value) < min_length:
        errs.append(field.invalid(_path(path), value, f"{_name(path)} in body should be at least {min_length} chars long"))
    pattern = schema.get("pattern")
    if pattern is not None and _compiled(pattern).search(value) is None:
        errs.append(field.invalid(_path(path), value, f"{_name(path)} in body should match '{pattern}'"))
    fmt = schema.get("format")
    if fmt and not format_ok(fmt, value):
        errs.append(field.type_invalid(_path(path), value, f"{_name(path)} in body must be of type {fmt}: {orjson.dumps(value).decode()}"))


def _validate_number(value: int | float, schema: Schema, path: str, errs: list[FieldError]) -> None:
    name = _name(path)
    multiple = schema.get("multipleOf")
    if multiple:
        quotient = value / multiple
        if not float(quotient).is_integer():
            errs.append(field.invalid(_path(path), value, f"{name} in body should be a multiple of {_bound(multiple, value)}"))
    maximum = schema.get("maximum")
    if maximum is not None:
        exclusive = bool(schema.get("exclusiveMaximum"))
        if value > maximum or (exclusive and value == maximum):
            word = "less than" if exclusive else "less than or equal to"
            errs.append(field.invalid(_path(path), value, f"{name} in body should be {word} {_bound(maximum, value)}"))
    minimum = schema.get("minimum")
    if minimum is not None:
        exclusive = bool(schema.get("exclusiveMinimum"))
        if value < minimum or (exclusive and value == minimum):
            word = "greater than" if exclusive else "greater than or equal to"
            errs.append(field.invalid(_path(path), value, f"{name} in body should be {word} {_bound(minimum, value)}"))


def _validate_array(value: list, schema: Schema, path: str, errs: list[FieldError]) -> None:
    items = schema.get("items")
    if isinstance(items, dict):
        for i, item in enumerate(value):
            _validate(item, items, f"{path}[{i}]", errs)
    min_items = schema.get("minItems")
    if min_items is not None and len(value) < min_items:
        errs.append(field.invalid(_path(path), len(value), f"{_name(path)} in body should have at least {min_items} items"))
    max_items = schema.get("maxItems")
    if max_items is not None and len(value) > max_items:
        errs.append(field.too_many(_path(path), len(value), max_items))
    if schema.get("uniqueItems"):
        seen: list[Any] = []
        for item in value:
            if any(item == s for s in seen):
                errs.append(field.invalid(_path(path), "", f"{_name(path)} in body shouldn't contain duplicates"))
                break
            seen.append(item)
    errs.extend(_list_type_errors(value, schema, path))


def _list_type_errors(value: list, schema: Schema, path: str) -> list[FieldError]:
    """x-kubernetes-list-type set/map: no two items (or map keys) alike."""
    list_type = schema.get("x-kubernetes-list-type")
    out: list[FieldError] = []
    if list_type == "set":
        seen: list[Any] = []
        for i, item in enumerate(value):
            if any(item == s for s in seen):
                out.append(field.duplicate(f"{path}[{i}]", item))
            else:
                seen.append(item)
    elif list_type == "map":
        keys = schema.get("x-kubernetes-list-map-keys") or []
        seen_keys: list[tuple] = []
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                continue
            key = tuple(item.get(k) for k in keys)
            if key in seen_keys:
                out.append(field.duplicate(f"{path}[{i}]", {k: item.get(k) for k in keys if k in item}))
            else:
                seen_keys.append(key)
    return out


def _validate_object(value: dict, schema: Schema, path: str, errs: list[FieldError]) -> None:
    for key in schema.get("required") or ():
        if key not in value:
            errs.append(field.required(_join(path, key), ""))
    props = schema.get("properties") or {}
    extra = schema.get("additionalProperties")
    for key, item in value.items():
        child = props.get(key)
        if child is None and isinstance(extra, dict):
            child = extra
        if child is not None:
            _validate(item, child, _join(path, key), errs)
    min_props = schema.get("minProperties")
    if min_props is not None and len(value) < min_props:
        errs.append(field.invalid(_path(path), len(value), f"{_name(path)} in body should have at least {min_props} properties"))
    max_props = schema.get("maxProperties")
    if max_props is not None and len(value) > max_props:
        errs.append(field.too_many(_path(path), len(value), max_props))
    if schema.get("x-kubernetes-embedded-resource"):
        errs.extend(_embedded_errors(value, path))


def _embedded_errors(value: dict, path: str) -> list[FieldError]:
    out: list[FieldError] = []
    if not value.get("apiVersion"):
        out.append(field.required(_join(path, "apiVersion"), "must not be empty"))
    if not value.get("kind"):
        out.append(field.required(_join(path, "kind"), "must not be empty"))
    return out


_PATTERNS: dict[str, re.Pattern] = {}


def _compiled(pattern: str) -> re.Pattern:
    found = _PATTERNS.get(pattern)
    if found is None:
        try:
            found = re.compile(pattern)
        except re.error:
            found = re.compile(re.escape(pattern))
        _PATTERNS[pattern] = found
    return found


# --- formats (kube-openapi's strfmt registry, the ones Kubernetes keeps) ---

_HOSTNAME = re.compile(r"^[a-zA-Z0-9]([-a-zA-Z0-9]{0,62})?(\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,62})?)*\.?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DURATION = re.compile(r"^(-?\d+(\.\d+)?(ns|us|µs|ms|s|m|h|d|w))+$")
_MAC = re.compile(r"^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$")


def format_ok(fmt: str, value: str) -> bool:  # noqa: C901 - one branch per format, flat on purpose
    try:
        if fmt in ("date-time", "datetime"):
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        elif fmt == "date":
            if not _DATE.match(value):
                return False
            datetime.strptime(value, "%Y-%m-%d")
        elif fmt in ("uuid", "uuid3", "uuid4", "uuid5"):
            parsed = uuid.UUID(value)
            if fmt != "uuid" and parsed.version != int(fmt[-1]):
                return False
        elif fmt == "ipv4":
            ipaddress.IPv4Address(value)
        elif fmt == "ipv6":
            ipaddress.IPv6Address(value)
        elif fmt == "cidr":
            ipaddress.ip_network(value, strict=False)
        elif fmt == "hostname":
            return bool(_HOSTNAME.match(value)) and len(value) <= 255
        elif fmt == "email":
            return bool(_EMAIL.match(value))
        elif fmt == "byte":
            base64.b64decode(value, validate=True)
        elif fmt == "duration":
            return bool(_DURATION.match(value))
        elif fmt == "mac":
            return bool(_MAC.match(value))
    except (ValueError, binascii.Error):
        return False
    return True
