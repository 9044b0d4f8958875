"""Is a CRD version's schema structural? Upstream's `ValidateStructural` plus the spec-level schema
checks of `validateCustomResourceDefinitionValidation` that decide what a schema may contain.

Every error is reported under the schema's own path (`spec.versions[0].schema.openAPIV3Schema`),
and the structural ones are sorted by their text, as upstream sorts them (its maps iterate randomly).
"""

from __future__ import annotations

import contextvars
import copy
import re
from typing import Any

from uwernetes.apiextensions.schema import apply_defaults, prune, validate_node
from uwernetes.apiserver.resources.core_common import GoLiteral
from uwernetes.machinery import field
from uwernetes.machinery.field import FieldError, Path

Schema = dict[str, Any]

_TYPES = ("array", "boolean", "integer", "number", "object", "string")
_ROOT, _FIELD, _ITEM = "root", "field", "item"
_INT_OR_STRING_ANY_OF = [{"type": "integer"}, {"type": "string"}]
# Keys allowed inside anyOf/allOf/oneOf/not (value validations only).
_FORBIDDEN_NESTED = (
    ("type", "must be empty to be structural"),
    ("additionalProperties", "must be undefined to be structural"),
    ("default", "must be undefined to be structural"),
    ("title", "must be empty to be structural"),
    ("description", "must be empty to be structural"),
    ("x-kubernetes-list-map-keys", "must be empty to be structural"),
    ("x-kubernetes-list-type", "must be undefined to be structural"),
)
_FORBIDDEN_NESTED_TRUE = (
    ("nullable", "must be false to be structural"),
    ("x-kubernetes-preserve-unknown-fields", "must be false to be structural"),
    ("x-kubernetes-embedded-resource", "must be false to be structural"),
    ("x-kubernetes-int-or-string", "must be false to be structural"),
)


def validate_schema(schema: Any, path: Path, status_enabled: bool) -> list[FieldError]:
    """All errors for one version's `openAPIV3Schema` (empty when it is a usable structural schema)."""
    if not isinstance(schema, dict):
        return [field.required(path, "schemas are required")]
    errs = _spec_checks(schema, path, _ROOT)
    if status_enabled:
        extra = sorted(k for k in schema if k not in ("properties", "required", "description", "type",
                                                      "x-kubernetes-validations"))
        if extra:
            errs.append(field.invalid(path, "", 'must only have "properties", "required" or "description" at the root if the status subresource is enabled'))
    structural = _invariants(schema, _ROOT, path) + _completeness(schema, path)
    errs.extend(sorted(structural, key=str))
    if not errs:
        errs.extend(_default_errors(schema, path, schema))
    return errs


# --- what a schema may contain at all (specStandardValidator) ---


def _spec_checks(s: Schema, path: Path, level: str) -> list[FieldError]:
    errs: list[FieldError] = []
    if "$ref" in s:
        errs.append(field.forbidden(path.child("$ref"), "$ref is not supported"))
    if "definitions" in s:
        errs.append(field.forbidden(path.child("definitions"), "definitions are not supported"))
    if "dependencies" in s:
        errs.append(field.forbidden(path.child("dependencies"), "dependencies are not supported"))
    if "additionalItems" in s:
        errs.append(field.forbidden(path.child("additionalItems"), "additionalItems cannot be set to false"))
    if "patternProperties" in s:
        errs.append(field.forbidden(path.child("patternProperties"), "patternProperties is not supported"))
    if s.get("uniqueItems") is True:
        errs.append(field.forbidden(path.child("uniqueItems"), "uniqueItems cannot be set to true since the runtime complexity becomes quadratic"))
    if "additionalProperties" in s and "properties" in s:
        errs.append(field.forbidden(path.child("additionalProperties"), "additionalProperties and properties are mutual exclusive"))
    if s.get("additionalProperties") is False:
        errs.append(field.forbidden(path.child("additionalProperties"), "additionalProperties cannot be set to false"))
    type_ = s.get("type")
    if type_ not in (None, "") and type_ not in _TYPES:
        errs.append(field.not_supported(path.child("type"), type_, list(_TYPES)))
    if s.get("x-kubernetes-preserve-unknown-fields") is False:
        errs.append(field.invalid(path.child("x-kubernetes-preserve-unknown-fields"), False, "must be true or undefined"))
    list_type = s.get("x-kubernetes-list-type")
    if list_type is not None:
        if list_type not in ("atomic", "set", "map"):
            errs.append(field.not_supported(path.child("x-kubernetes-list-type"), list_type, ["atomic", "set", "map"]))
        elif type_ != "array":
            errs.append(field.invalid(path.child("x-kubernetes-list-type"), list_type, "must only be used if type is array"))
        elif list_type == "map":
            keys = s.get("x-kubernetes-list-map-keys") or []
            if not keys:
                errs.append(field.required(path.child("x-kubernetes-list-map-keys"), "must not be empty if x-kubernetes-list-type is map"))
            items = s.get("items") if isinstance(s.get("items"), dict) else {}
            if items.get("type") != "object":
                errs.append(field.invalid(path.child("items").child("type"), items.get("type", ""), "must be object for an array of list-type map"))
            else:
                props = items.get("properties") or {}
                for key in keys:
                    if key not in props:
                        errs.append(field.invalid(path.child("x-kubernetes-list-map-keys"), keys, "entries must all be names of item properties"))
                        break
    pattern = s.get("pattern")
    if isinstance(pattern, str):
        try:
            re.compile(pattern)
        except re.error as e:
            errs.append(field.invalid(path.child("pattern"), pattern, f"must be a valid regular expression, but isn't: {e}"))
    errs.extend(_validation_rules(s, path))
    for key, child in (s.get("properties") or {}).items():
        if isinstance(child, dict):
            errs.extend(_spec_checks(child, path.child("properties").key(key), _FIELD))
    items = s.get("items")
    if isinstance(items, dict):
        errs.extend(_spec_checks(items, path.child("items"), _ITEM))
    elif isinstance(items, list):
        errs.append(field.forbidden(path.child("items"), "items must be a schema object and not an array"))
    extra = s.get("additionalProperties")
    if isinstance(extra, dict):
        errs.extend(_spec_checks(extra, path.child("additionalProperties"), _FIELD))
    for junctor in ("allOf", "anyOf", "oneOf"):
        for i, sub in enumerate(s.get(junctor) or ()):
            if isinstance(sub, dict):
                errs.extend(_spec_checks(sub, path.child(junctor).index(i), level))
    return errs


# --- x-kubernetes-validations: stored and compiled now, evaluated with the CEL admission work ---

_RULE_REASONS = ("FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired")

# Set while the API server installs CRDs it ships (their rules are compiled by a unit test): the
# CEL engine then loads on the first rule a user writes, not at every server start.
BUNDLED_RULES: contextvars.ContextVar[bool] = contextvars.ContextVar("bundled_rules", default=False)
_RULE_VARIABLES = {"self": "dyn", "oldSelf": "dyn"}


def _rule_value(rule: dict[str, Any]) -> GoLiteral:
    """The ValidationRule struct as Go's %#v prints it in upstream's compile errors."""
    reason = rule.get("reason")
    optional = rule.get("optionalOldSelf")
    text = (
        "apiextensions.ValidationRule{"
        f"Rule:{field.go_quote(rule.get('rule', ''))}, Message:{field.go_quote(rule.get('message', ''))}, "
        f"MessageExpression:{field.go_quote(rule.get('messageExpression', ''))}, "
        f"Reason:{'(*apiextensions.FieldValueErrorReason)(nil)' if reason is None else '(*apiextensions.FieldValueErrorReason)(0xc000000000)'}, "
        f"FieldPath:{field.go_quote(rule.get('fieldPath', ''))}, "
        f"OptionalOldSelf:{'(*bool)(nil)' if optional is None else '(*bool)(0xc000000000)'}}}"
    )
    return GoLiteral(text)


def _validation_rules(s: Schema, path: Path) -> list[FieldError]:
    rules = s.get("x-kubernetes-validations")
    if rules is None:
        return []
    from uwernetes import cel  # the engine itself loads on the first compile

    compile_error = None if BUNDLED_RULES.get() else cel.compile_error
    errs: list[FieldError] = []
    base = path.child("x-kubernetes-validations")
    for i, rule in enumerate(rules if isinstance(rules, list) else []):
        rp = base.index(i)
        if not isinstance(rule, dict):
            continue
        text = rule.get("rule") or ""
        if not text.strip():
            errs.append(field.required(rp.child("rule"), ""))
        elif compile_error is not None:
            problem = compile_error(text, _RULE_VARIABLES)
            if problem:
                errs.append(field.invalid(rp.child("rule"), _rule_value(rule), problem))
        message = rule.get("message")
        if message is not None and "\n" in message:
            errs.append(field.invalid(rp.child("message"), message, "message must not contain line breaks"))
        expression = rule.get("messageExpression")
        if expression is not None:
            if not expression.strip():
                errs.append(field.required(rp.child("messageExpression"), "messageExpression must be non-empty if specified"))
            elif compile_error is not None:
                problem = compile_error(expression, _RULE_VARIABLES)
                if problem:
                    errs.append(field.invalid(rp.child("messageExpression"), _rule_value(rule), f"messageExpression {problem}"))
        reason = rule.get("reason")
        if reason is not None and reason not in _RULE_REASONS:
            errs.append(field.not_supported(rp.child("reason"), reason, list(_RULE_REASONS)))
    return errs


# --- structural invariants ---


def _invariants(s: Schema, level: str, path: Path) -> list[FieldError]:
    errs: list[FieldError] = []
    type_ = s.get("type") or ""
    if type_ == "array" and not isinstance(s.get("items"), dict):
        errs.append(field.required(path.child("items"), "must be specified"))
    if isinstance(s.get("items"), dict):
        errs.extend(_invariants(s["items"], _ITEM, path.child("items")))
    for key, child in (s.get("properties") or {}).items():
        if isinstance(child, dict):
            errs.extend(_invariants(child, _FIELD, path.child("properties").key(key)))
    extra = s.get("additionalProperties")
    if extra is not None and extra is not False:
        if level == _ROOT:
            errs.append(field.forbidden(path.child("additionalProperties"), "must not be used at the root"))
        if isinstance(extra, dict):
            errs.extend(_invariants(extra, _FIELD, path.child("additionalProperties")))
    int_or_string = bool(s.get("x-kubernetes-int-or-string"))
    preserve = bool(s.get("x-kubernetes-preserve-unknown-fields"))
    embedded = bool(s.get("x-kubernetes-embedded-resource"))
    if int_or_string and preserve:
        errs.append(field.invalid(path.child("x-kubernetes-preserve-unknown-fields"), True, "must be false if x-kubernetes-int-or-string is true"))
    if int_or_string and embedded:
        errs.append(field.invalid(path.child("x-kubernetes-embedded-resource"), True, "must be false if x-kubernetes-int-or-string is true"))
    errs.extend(_value_validation(s, level, path))
    if embedded and type_ != "object":
        detail = "must be object if x-kubernetes-embedded-resource is true"
        errs.append(field.required(path.child("type"), detail) if not type_ else field.invalid(path.child("type"), type_, detail))
    elif not type_ and not int_or_string and not preserve:
        detail = {
            _ROOT: "must not be empty at the root",
            _ITEM: "must not be empty for specified array items",
            _FIELD: "must not be empty for specified object fields",
        }[level]
        errs.append(field.required(path.child("type"), detail))
    if embedded and extra is not None:
        errs.append(field.forbidden(path.child("additionalProperties"), "must not be used if x-kubernetes-embedded-resource is set"))
    if level == _ROOT and type_ and type_ != "object":
        errs.append(field.invalid(path.child("type"), type_, "must be object at the root"))
    props = s.get("properties") or {}
    check_meta = level == _ROOT or embedded
    if check_meta:
        for key, want in (("kind", "string"), ("apiVersion", "string"), ("metadata", "object")):
            child = props.get(key)
            if isinstance(child, dict) and child.get("type", "") != want:
                errs.append(field.invalid(path.child("properties").key(key).child("type"), child.get("type", ""), f"must be {want}"))
    metadata = props.get("metadata")
    if level == _ROOT and isinstance(metadata, dict):
        rest = {k: v for k, v in metadata.items() if k not in ("type", "default")}
        inner = rest.pop("properties", None) or {}
        if rest or any(k not in ("name", "generateName") for k in inner):
            errs.append(field.forbidden(path.child("properties").key("metadata"), "must not specify anything other than name and generateName, but metadata is implicitly specified"))
    if embedded and not preserve and not props:
        errs.append(field.required(path.child("properties"), "must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields"))
    return errs


def _value_validation(s: Schema, level: str, path: Path) -> list[FieldError]:
    errs: list[FieldError] = []
    any_of = s.get("anyOf") or []
    skip_any_of = any_of == _INT_OR_STRING_ANY_OF
    all_of = s.get("allOf") or []
    skip_first = bool(all_of) and isinstance(all_of[0], dict) and all_of[0].get("anyOf") == _INT_OR_STRING_ANY_OF
    if not skip_any_of:
        for i, sub in enumerate(any_of):
            errs.extend(_nested(sub, False, level, path.child("anyOf").index(i)))
    for i, sub in enumerate(all_of):
        errs.extend(_nested(sub, skip_first and i == 0, level, path.child("allOf").index(i)))
    for i, sub in enumerate(s.get("oneOf") or []):
        errs.extend(_nested(sub, False, level, path.child("oneOf").index(i)))
    if isinstance(s.get("not"), dict):
        errs.extend(_nested(s["not"], False, level, path.child("not")))
    return errs


def _nested(v: Any, skip_any_of: bool, level: str, path: Path) -> list[FieldError]:
    if not isinstance(v, dict):
        return []
    errs: list[FieldError] = []
    inner = dict(v)
    if skip_any_of:
        inner.pop("anyOf", None)
    errs.extend(_value_validation(inner, level, path))
    if isinstance(v.get("items"), dict):
        errs.extend(_nested(v["items"], False, level, path.child("items")))
    for key, child in (v.get("properties") or {}).items():
        errs.extend(_nested(child, False, _FIELD, path.child("properties").key(key)))
    for key, detail in _FORBIDDEN_NESTED:
        if v.get(key) not in (None, "", []):
            errs.append(field.forbidden(path.child(key), detail))
    for key, detail in _FORBIDDEN_NESTED_TRUE:
        if v.get(key):
            errs.append(field.forbidden(path.child(key), detail))
    if "metadata" in (v.get("properties") or {}):
        errs.append(field.forbidden(path.child("properties").key("metadata"), "must not be specified in a nested context"))
    return errs


def _completeness(s: Schema, path: Path) -> list[FieldError]:
    """Every field a value validation mentions must also be specified outside it."""
    errs: list[FieldError] = []

    def check(v: Any, shape: Schema, at: Path) -> None:
        if not isinstance(v, dict):
            return
        for key, child in (v.get("properties") or {}).items():
            known = (shape.get("properties") or {}).get(key)
            if known is None:
                errs.append(field.required(at.child("properties").key(key), "must be specified outside of the value validation"))
                continue
            check(child, known, at.child("properties").key(key))
        if isinstance(v.get("items"), dict):
            known_items = shape.get("items")
            if not isinstance(known_items, dict):
                errs.append(field.required(at.child("items"), "must be specified outside of the value validation"))
            else:
                check(v["items"], known_items, at.child("items"))
        for junctor in ("allOf", "anyOf", "oneOf"):
            for i, sub in enumerate(v.get(junctor) or ()):
                check(sub, shape, at.child(junctor).index(i))
        if isinstance(v.get("not"), dict):
            check(v["not"], shape, at.child("not"))

    def walk(node: Schema, at: Path) -> None:
        for junctor in ("allOf", "anyOf", "oneOf"):
            for i, sub in enumerate(node.get(junctor) or ()):
                check(sub, node, at.child(junctor).index(i))
        if isinstance(node.get("not"), dict):
            check(node["not"], node, at.child("not"))
        for key, child in (node.get("properties") or {}).items():
            if isinstance(child, dict):
                walk(child, at.child("properties").key(key))
        if isinstance(node.get("items"), dict):
            walk(node["items"], at.child("items"))
        if isinstance(node.get("additionalProperties"), dict):
            walk(node["additionalProperties"], at.child("additionalProperties"))

    walk(s, path)
    return errs


# --- defaults must survive pruning and validate ---


def _default_errors(s: Schema, path: Path, root: Schema) -> list[FieldError]:
    errs: list[FieldError] = []

    def walk(node: Schema, at: Path, level: str) -> None:
        if "default" in node:
            if _under_metadata(at):
                errs.append(field.forbidden(at.child("default"), "must not be set for metadata"))
            value = node["default"]
            candidate = {"v": _copy(value)}
            wrapper = {"type": "object", "properties": {"v": node}}
            pruned = prune(candidate, wrapper, root=False)
            if pruned:
                errs.append(field.invalid(at.child("default"), value, f"must not have unknown fields, got: {', '.join(p.removeprefix('v.') for p in pruned)}"))
            apply_defaults(candidate, wrapper)
            for e in validate_node(candidate["v"], node, ""):
                errs.append(field.invalid(at.child("default"), value, e.body() if not e.field else f"{e.field}: {e.body()}"))
        for key, child in (node.get("properties") or {}).items():
            if isinstance(child, dict):
                walk(child, at.child("properties").key(key), _FIELD)
        if isinstance(node.get("items"), dict):
            walk(node["items"], at.child("items"), _ITEM)
        if isinstance(node.get("additionalProperties"), dict):
            walk(node["additionalProperties"], at.child("additionalProperties"), _FIELD)

    walk(s, path, _ROOT)
    return errs


def _under_metadata(at: Path) -> bool:
    return str(at).endswith("properties[metadata]")


def _copy(value: Any) -> Any:
    return copy.deepcopy(value)
