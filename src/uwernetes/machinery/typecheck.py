"""JSON value types of built-in kinds, checked as upstream's decoder checks them.

Upstream decodes a body into the kind's Go struct with sigs.k8s.io/json (a fork of encoding/json);
a value of the wrong JSON type is an `UnmarshalTypeError`:
`json: cannot unmarshal <number|string|bool|array|object> into Go struct field
<innermost struct>.<dotted field path from the root> of type <Go type>` (list indexes and map keys
are not part of the path). The decoder keeps going after such an error and reports the first one;
`null` is never one (it zeroes pointers, slices and maps and is ignored for the rest). Integers that
do not fit, or are not integers, name the literal (`number 3000000000`, `number 1.5`); undecodable
base64 of a []byte is `illegal base64 data at input byte N`.

Types with their own UnmarshalJSON answer with their own words, and such an error ends decoding at
once, winning over any error saved before it: Quantity (`quantities must match ...`), Time and
MicroTime (Go's `time.Parse` errors), IntOrString (a plain int32 decode); RawExtension, FieldsV1
and the apiextensions JSON types take anything. (metav1.Duration is in no v1.30 built-in kind.)

We walk the same v1.30 schemas we serve, compiled once per definition into small nodes so the walk
costs a dict lookup per key. Go type names come from the definition names (`io.k8s.api.core.v1.
Container` -> `v1.Container`) and the schema types; the fields whose Go type is a named type the
schemas cannot tell (`v1.RestartPolicy`, `types.UID`, `v1.ResourceList`, ...) come from
`_GO_TYPES` at the end, a table read off the v1.30 Go types (k8s.io/api, apimachinery,
apiextensions-apiserver, kube-aggregator at v0.30.9).
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from uwernetes.machinery import quantity, schemas

# Node kinds.
_ANY, _STRUCT, _MAP, _LIST, _STRING, _BOOL, _INT, _FLOAT, _BYTES = range(9)
_INT_OR_STRING, _QUANTITY, _TIME, _MICRO_TIME = range(9, 13)

_CUSTOM = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": _INT_OR_STRING,
    "io.k8s.apimachinery.pkg.api.resource.Quantity": _QUANTITY,
    "io.k8s.apimachinery.pkg.apis.meta.v1.Time": _TIME,
    "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime": _MICRO_TIME,
    # Own UnmarshalJSON that keeps any JSON as it is.
    "io.k8s.apimachinery.pkg.runtime.RawExtension": _ANY,
    "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1": _ANY,
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON": _ANY,
    # These decide between a schema and a bool/list themselves; not modelled.
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrArray": _ANY,
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrBool": _ANY,
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrStringArray": _ANY,
}

_INT_RANGE = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


class _Node:
    """One Go type: `kind`, its printed name `go`, and for structs their name and fields."""

    __slots__ = ("kind", "go", "name", "fields", "elem", "lo", "hi")

    def __init__(self, kind: int, go: str = "") -> None:
        self.kind = kind
        self.go = go
        self.name = ""
        self.fields: dict[str, _Node] = {}
        self.elem: _Node | None = None
        self.lo = self.hi = 0


_ANY_NODE = _Node(_ANY)


def _go_name(definition: str) -> str:
    """`io.k8s.api.apps.v1.DeploymentSpec` -> `v1.DeploymentSpec` (package, then type)."""
    parts = definition.rsplit(".", 2)
    return f"{parts[-2]}.{parts[-1]}"


def _elem_type(go: str) -> str | None:
    """The element type of a printed slice or map type (`[]v1.Capability` -> `v1.Capability`)."""
    if go.startswith("[]"):
        return go[2:]
    if go.startswith("map["):
        depth = 0
        for i, ch in enumerate(go):
            if ch == "[":
                depth += 1
            elif ch == "]":
                depth -= 1
                if depth == 0:
                    return go[i + 1 :]
    return None


class _Compiler:
    def __init__(self, defs: dict[str, dict[str, Any]]) -> None:
        self.defs = defs
        self.by_name: dict[str, _Node] = {}

    def definition(self, name: str) -> _Node:
        node = self.by_name.get(name)
        if node is not None:
            return node
        custom = _CUSTOM.get(name)
        if custom is not None or name not in self.defs:
            node = _ANY_NODE if custom in (None, _ANY) else _Node(custom)
            if node.kind == _INT_OR_STRING:
                node.go, node.lo, node.hi = "int32", *_INT_RANGE["int32"]
            self.by_name[name] = node
            return node
        schema = self.defs[name]
        if "properties" not in schema and "object" not in schemas.types_of(schema):
            # A named scalar definition: compile it as the scalar it is.
            node = self.compile(schema, None)
            self.by_name[name] = node
            return node
        # Register before filling so recursive definitions (JSONSchemaProps) close the loop.
        node = _Node(_STRUCT, _go_name(name))
        node.name = name.rsplit(".", 1)[-1]
        self.by_name[name] = node
        for key, sub in (schema.get("properties") or {}).items():
            node.fields[key] = self.compile(sub, _go_types().get((name, key)))
        return node

    def compile(self, schema: dict[str, Any], go: str | None) -> _Node:
        """A property's node; `go` is its Go type when the table knows better than the schema."""
        name = schemas.ref_name(schema)
        if name is not None:
            return self.definition(name)
        if schema.get("x-kubernetes-int-or-string"):
            return self.definition("io.k8s.apimachinery.pkg.util.intstr.IntOrString")
        types = schemas.types_of(schema)
        if "array" in types:
            items = schema.get("items")
            elem = self.compile(items, _elem_type(go) if go else None) if isinstance(items, dict) else _ANY_NODE
            node = _Node(_LIST, go or "[]" + (elem.go or "interface {}"))
            node.elem = elem
            return node
        if "object" in types:
            extra = schema.get("additionalProperties")
            if not isinstance(extra, dict):
                return _ANY_NODE  # map[string]interface{} and the like take anything
            elem = self.compile(extra, _elem_type(go) if go else None)
            node = _Node(_MAP, go or "map[string]" + (elem.go or "interface {}"))
            node.elem = elem
            return node
        if "string" in types:
            if schema.get("format") == "byte":
                return _Node(_BYTES, go or "[]uint8")
            return _Node(_STRING, go or "string")
        if "boolean" in types:
            return _Node(_BOOL, go or "bool")
        if "integer" in types:
            fmt = schema.get("format") if schema.get("format") in _INT_RANGE else "int64"
            node = _Node(_INT, go or fmt)
            node.lo, node.hi = _INT_RANGE[fmt]
            return node
        if "number" in types:
            return _Node(_FLOAT, go or "float64")
        return _ANY_NODE


@functools.cache
def _compiler() -> _Compiler:
    return _Compiler(schemas.definitions())


def _node_for(group: str, version: str, kind: str) -> _Node | None:
    name = schemas.by_gvk().get((group, version, kind))
    return _compiler().definition(name) if name is not None else None


# --- the walk ---


def _json_kind(value: Any) -> str:
    cls = type(value)
    if cls is str:
        return "string"
    if cls is bool:
        return "bool"
    if cls is dict:
        return "object"
    if cls is list:
        return "array"
    return "number"


class _Literal(float):
    """A float that remembers its JSON text, so errors can quote the literal as Go does."""

    __slots__ = ("text",)

    def __new__(cls, text: str) -> _Literal:
        obj = super().__new__(cls, text)
        obj.text = text
        return obj


def _number_text(value: Any) -> str:
    if type(value) is _Literal:
        return value.text
    return repr(value) if isinstance(value, float) else str(value)


class _Abort(Exception):
    """An error from a type's own UnmarshalJSON: decoding stops there."""


class _Walk:
    __slots__ = ("first", "path", "struct", "saw_float")

    def __init__(self) -> None:
        self.first: str | None = None
        self.path: list[str] = []
        self.struct = ""
        self.saw_float = False

    def type_error(self, what: str, go: str) -> str:
        if self.struct or self.path:
            return f"json: cannot unmarshal {what} into Go struct field {self.struct}.{'.'.join(self.path)} of type {go}"
        return f"json: cannot unmarshal {what} into Go value of type {go}"

    def save(self, text: str) -> None:
        if self.first is None:
            self.first = text

    def value(self, value: Any, node: _Node) -> None:
        if value is None:
            return
        kind = node.kind
        cls = type(value)
        if kind == _STRUCT:
            if cls is not dict:
                self.save(self.type_error(_json_kind(value), node.go))
                return
            fields = node.fields
            outer = self.struct
            path = self.path
            for key, child_value in value.items():
                child = fields.get(key)
                if child is None or child_value is None or child.kind == _ANY:
                    continue
                ck = child.kind
                # The common leaves inline: no frame for a string that is a string.
                if ck == _STRING and type(child_value) is str:
                    continue
                path.append(key)
                self.struct = node.name
                self.value(child_value, child)
                path.pop()
            self.struct = outer
        elif kind == _STRING:
            if cls is not str:
                self.save(self.type_error(_json_kind(value), node.go))
        elif kind == _INT:
            if cls is int:
                if not node.lo <= value <= node.hi:
                    self.save(self.type_error(f"number {value}", node.go))
            elif cls is float or cls is _Literal:
                self.saw_float = True
                self.save(self.type_error(f"number {_number_text(value)}", node.go))
            else:
                self.save(self.type_error(_json_kind(value), node.go))
        elif kind == _BOOL:
            if cls is not bool:
                self.save(self.type_error(_json_kind(value), node.go))
        elif kind == _MAP or kind == _LIST:
            if cls is not (dict if kind == _MAP else list):
                self.save(self.type_error(_json_kind(value), node.go))
                return
            elem = node.elem
            if elem is None or elem.kind == _ANY:
                return
            items = value.values() if kind == _MAP else value
            if elem.kind == _STRING:
                for item in items:
                    if type(item) is not str and item is not None:
                        self.save(self.type_error(_json_kind(item), elem.go))
                        return
                return
            for item in items:
                self.value(item, elem)
        elif kind == _FLOAT:
            if cls is not int and cls is not float and cls is not _Literal:
                self.save(self.type_error(_json_kind(value), node.go))
        elif kind == _BYTES:
            self.bytes_value(value, node)
        elif kind == _QUANTITY:
            self.quantity(value)
        elif kind == _INT_OR_STRING:
            if cls is str:
                return
            if cls is int:
                if not node.lo <= value <= node.hi:
                    raise _Abort(self.type_error(f"number {value}", "int32"))
                return
            if cls is float or cls is _Literal:
                self.saw_float = True
                raise _Abort(self.type_error(f"number {_number_text(value)}", "int32"))
            raise _Abort(self.type_error(_json_kind(value), "int32"))
        elif kind == _TIME or kind == _MICRO_TIME:
            if cls is not str:
                # The inner json.Unmarshal into a string; the outer decoder adds the field context.
                raise _Abort(self.type_error(_json_kind(value), "string"))
            problem = time_parse_error(value, micro=kind == _MICRO_TIME)
            if problem is not None:
                raise _Abort(problem)

    def bytes_value(self, value: Any, node: _Node) -> None:
        cls = type(value)
        if cls is str:
            at = base64_error_at(value)
            if at is not None:
                self.save(f"illegal base64 data at input byte {at}")
        elif cls is list:
            # A []byte also decodes from an array of small numbers.
            for item in value:
                if item is None:
                    continue
                if type(item) is int:
                    if not 0 <= item <= 255:
                        self.save(self.type_error(f"number {item}", "uint8"))
                elif type(item) in (float, _Literal):
                    self.saw_float = True
                    self.save(self.type_error(f"number {_number_text(item)}", "uint8"))
                else:
                    self.save(self.type_error(_json_kind(item), "uint8"))
        else:
            self.save(self.type_error(_json_kind(value), node.go))

    @staticmethod
    def quantity(value: Any) -> None:
        cls = type(value)
        if cls is str:
            text = value
        elif cls is bool:
            text = "true" if value else "false"
        elif cls is int or cls is float or cls is _Literal:
            text = _number_text(value)
        else:
            raise _Abort(quantity.ERR_FORMAT_WRONG)
        try:
            quantity.parse(text)
        except quantity.QuantityError as e:
            raise _Abort(str(e)) from None


def type_error_in(obj: dict[str, Any], group: str, version: str, kind: str) -> tuple[str | None, bool]:
    node = _node_for(group, version, kind)
    if node is None:
        return None, False
    walk = _Walk()
    try:
        walk.value(obj, node)
    except _Abort as e:
        return str(e), walk.saw_float
    return walk.first, walk.saw_float


def first_type_error(
    obj: dict[str, Any], group: str, version: str, kind: str, raw: bytes | str | None = None
) -> str | None:
    """Go's decode error for the first value of the wrong type in `obj`, or None.

    `raw` is the JSON body `obj` came from, if at hand: only used, on the error path, to quote
    a float literal as written (`1.50`, `1e3`) rather than as Python prints it.
    """
    text, saw_float = type_error_in(obj, group, version, kind)
    if text is None or not saw_float or raw is None:
        return text
    try:
        again = json.loads(raw, parse_float=_Literal)
    except ValueError:
        return text
    if not isinstance(again, dict):
        return text
    return type_error_in(again, group, version, kind)[0] or text


def interpret_error(obj: dict[str, Any]) -> str | None:
    """The error of reading `apiVersion`/`kind` (runtime's SimpleMetaFactory) when one is no string."""
    for key in obj:
        if key in ("apiVersion", "kind"):
            value = obj[key]
            if value is not None and type(value) is not str:
                return (
                    "couldn't get version/kind; json parse error: "
                    f"json: cannot unmarshal {_json_kind(value)} into Go struct field .{key} of type string"
                )
    return None


def base64_error_at(text: str) -> int | None:
    """Where Go's base64.StdEncoding.Decode reports corrupt input, or None when it decodes."""
    src = text.encode("utf-8", "replace")
    n = len(src)
    si = 0
    while True:
        j = 0
        while j < 4:
            if si == n:
                return None if j == 0 else si - j
            c = src[si]
            si += 1
            if c in _B64:
                j += 1
                continue
            if c in (10, 13):  # newlines are skipped anywhere
                continue
            if c != 61 or j < 2:  # not '=', or padding too early
                return si - 1
            if j == 2:  # "==" expected; the first is consumed
                while si < n and src[si] in (10, 13):
                    si += 1
                if si == n:
                    return n
                if src[si] != 61:
                    return si - 1
                si += 1
            while si < n and src[si] in (10, 13):
                si += 1
            return si if si < n else None


_B64 = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")



# --- Go's time.Parse, for its error messages only ---

_YEAR, _MONTH, _DAY, _HOUR, _MINUTE, _SECOND, _FRAC6, _ZONE = range(8)
# (literal before the element, element, element's layout text)
_RFC3339 = (
    ("", _YEAR, "2006"), ("-", _MONTH, "01"), ("-", _DAY, "02"), ("T", _HOUR, "15"),
    (":", _MINUTE, "04"), (":", _SECOND, "05"), ("", _ZONE, "Z07:00"),
)
_RFC3339_MICRO = _RFC3339[:6] + (("", _FRAC6, ".000000"), ("", _ZONE, "Z07:00"))
_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _quote(s: str) -> str:
    """The time package's quote(): non-ASCII and control bytes as \\x escapes."""
    out = ['"']
    for ch in s:
        if ch < " " or ch >= "\x80":
            out.extend(f"\\x{b:02x}" for b in ch.encode("utf-8", "replace"))
        else:
            out.append("\\" + ch if ch in '"\\' else ch)
    out.append('"')
    return "".join(out)


def _num2(value: str, fixed: bool) -> tuple[int, str] | None:
    """getnum: one or two leading digits (two when `fixed`)."""
    if not value[:1].isdigit() or not value[:1].isascii():
        return None
    if not value[1:2].isdigit() or not value[1:2].isascii():
        return None if fixed else (int(value[0]), value[1:])
    return int(value[:2]), value[2:]


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


# What well-formed timestamps look like, to skip the careful parse for them (the hot path: every
# write carries a few). Days past the 28th go the careful way, which knows the month lengths.
_PLAIN_TIME = re.compile(
    r"\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?"
    r"(?:Z|[+-](?:[01]\d|2[0-4]):[0-5]\d)",
    re.ASCII,
)
_PLAIN_MICRO_TIME = re.compile(
    r"\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{6}"
    r"(?:Z|[+-](?:[01]\d|2[0-4]):[0-5]\d)",
    re.ASCII,
)


def time_parse_error(value: str, micro: bool = False) -> str | None:
    """The error of `time.Parse(RFC3339 or RFC3339Micro, value)`, or None when it parses."""
    if (_PLAIN_MICRO_TIME if micro else _PLAIN_TIME).fullmatch(value):
        return None
    layout_text = "2006-01-02T15:04:05.000000Z07:00" if micro else "2006-01-02T15:04:05Z07:00"
    layout = _RFC3339_MICRO if micro else _RFC3339

    def cannot(elem_value: str, elem_layout: str) -> str:
        return (
            f"parsing time {_quote(value)} as {_quote(layout_text)}: "
            f"cannot parse {_quote(elem_value)} as {_quote(elem_layout)}"
        )

    def out_of_range(what: str) -> str:
        return f"parsing time {_quote(value)}: {what} out of range"

    rest = value
    year, month, day = 0, 1, 1
    for i, (prefix, elem, text) in enumerate(layout):
        if not rest.startswith(prefix):  # the literals here are one byte each
            return cannot(rest, prefix)
        rest = rest[len(prefix) :]
        hold = rest
        if elem == _YEAR:
            if len(rest) < 4 or not rest[0].isascii() or not rest[0].isdigit():
                return cannot(hold, text)
            if not (rest[:4].isascii() and rest[:4].isdigit()):
                return cannot(hold, text)
            year, rest = int(rest[:4]), rest[4:]
            continue
        if elem == _FRAC6:
            digits = rest[1:7]
            # Go's atoi takes a sign; a negative fraction is out of range.
            unsigned = digits[1:] if digits[:1] in ("+", "-") else digits
            if len(rest) < 7 or rest[0] not in ".," or not (unsigned.isascii() and unsigned.isdigit()):
                return cannot(hold, text)
            if digits[0] == "-":
                return out_of_range("fractional second")
            rest = rest[7:]
            continue
        if elem == _ZONE:
            if rest[:1] == "Z":
                rest = rest[1:]
                continue
            if len(rest) < 6 or rest[3] != ":":
                return cannot(hold, text)
            sign, hours, minutes, rest = rest[0], rest[1:3], rest[4:6], rest[6:]
            hh, mm = _num2(hours, True), _num2(minutes, True)
            problem = ""
            if hh is not None and hh[0] > 24:
                problem = "time zone offset hour"
            if hh is not None and mm is not None and mm[0] > 60:
                problem = "time zone offset minute"
            if problem:
                return out_of_range(problem)
            if hh is None or mm is None or sign not in "+-" or not sign:
                return cannot(hold, text)
            continue
        got = _num2(rest, elem != _HOUR)
        if got is None:
            return cannot(hold, text)
        n, rest = got
        if elem == _MONTH:
            if not 1 <= n <= 12:
                return out_of_range("month")
            month = n
        elif elem == _DAY:
            day = n  # checked against the month once everything is read
        elif elem == _HOUR and n >= 24:
            return out_of_range("hour")
        elif elem == _MINUTE and n >= 60:
            return out_of_range("minute")
        elif elem == _SECOND:
            if n >= 60:
                return out_of_range("second")
            nxt = layout[i + 1][1]
            if nxt != _FRAC6 and len(rest) >= 2 and rest[0] in ".," and rest[1:2].isdigit() and rest[1].isascii():
                # A fraction the layout does not spell out is taken anyway.
                k = 2
                while k < len(rest) and rest[k].isascii() and rest[k].isdigit():
                    k += 1
                rest = rest[k:]
    if rest:
        return f"parsing time {_quote(value)}: extra text: {_quote(rest)}"
    days = 29 if month == 2 and _is_leap(year) else _DAYS[month - 1]
    if not 1 <= day <= days:
        return out_of_range("day")
    return None


# --- Go field types the schemas cannot tell ---

@functools.cache
def _go_types() -> dict[tuple[str, str], str]:
    """(definition, field) -> Go type, for fields of named types (`v1.PullPolicy`, `types.UID`)."""
    out: dict[tuple[str, str], str] = {}
    definition = ""
    for token in _GO_TYPES.split():
        name, eq, go = token.partition("=")
        if not eq:
            definition = name
        else:
            out[(definition, name)] = go
    return out


# Read off the v1.30 Go structs: a definition, then `field=GoType` for each of its fields whose Go
# type is a named type (enums, UIDs, resource lists) rather than what the schema's JSON type implies.
_GO_TYPES = """
io.k8s.api.admissionregistration.v1.MatchResources matchPolicy=v1.MatchPolicyType
io.k8s.api.admissionregistration.v1.MutatingWebhook failurePolicy=v1.FailurePolicyType
    matchPolicy=v1.MatchPolicyType reinvocationPolicy=v1.ReinvocationPolicyType
    sideEffects=v1.SideEffectClass
io.k8s.api.admissionregistration.v1.NamedRuleWithOperations operations=[]v1.OperationType
    scope=v1.ScopeType
io.k8s.api.admissionregistration.v1.ParamRef parameterNotFoundAction=v1.ParameterNotFoundActionType
io.k8s.api.admissionregistration.v1.RuleWithOperations operations=[]v1.OperationType scope=v1.ScopeType
io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicyBindingSpec
    validationActions=[]v1.ValidationAction
io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicySpec failurePolicy=v1.FailurePolicyType
io.k8s.api.admissionregistration.v1.ValidatingWebhook failurePolicy=v1.FailurePolicyType
    matchPolicy=v1.MatchPolicyType sideEffects=v1.SideEffectClass
io.k8s.api.admissionregistration.v1.Validation reason=v1.StatusReason
io.k8s.api.admissionregistration.v1alpha1.MatchResources matchPolicy=v1alpha1.MatchPolicyType
io.k8s.api.admissionregistration.v1alpha1.NamedRuleWithOperations operations=[]v1.OperationType
    scope=v1.ScopeType
io.k8s.api.admissionregistration.v1alpha1.ParamRef
    parameterNotFoundAction=v1alpha1.ParameterNotFoundActionType
io.k8s.api.admissionregistration.v1alpha1.ValidatingAdmissionPolicyBindingSpec
    validationActions=[]v1alpha1.ValidationAction
io.k8s.api.admissionregistration.v1alpha1.ValidatingAdmissionPolicySpec
    failurePolicy=v1alpha1.FailurePolicyType
io.k8s.api.admissionregistration.v1alpha1.Validation reason=v1.StatusReason
io.k8s.api.admissionregistration.v1beta1.MatchResources matchPolicy=v1beta1.MatchPolicyType
io.k8s.api.admissionregistration.v1beta1.NamedRuleWithOperations operations=[]v1.OperationType
    scope=v1.ScopeType
io.k8s.api.admissionregistration.v1beta1.ParamRef
    parameterNotFoundAction=v1beta1.ParameterNotFoundActionType
io.k8s.api.admissionregistration.v1beta1.ValidatingAdmissionPolicyBindingSpec
    validationActions=[]v1beta1.ValidationAction
io.k8s.api.admissionregistration.v1beta1.ValidatingAdmissionPolicySpec
    failurePolicy=v1beta1.FailurePolicyType
io.k8s.api.admissionregistration.v1beta1.Validation reason=v1.StatusReason
io.k8s.api.apiserverinternal.v1alpha1.StorageVersionCondition status=v1alpha1.ConditionStatus
    type=v1alpha1.StorageVersionConditionType
io.k8s.api.apps.v1.DaemonSetCondition status=v1.ConditionStatus type=v1.DaemonSetConditionType
io.k8s.api.apps.v1.DaemonSetUpdateStrategy type=v1.DaemonSetUpdateStrategyType
io.k8s.api.apps.v1.DeploymentCondition status=v1.ConditionStatus type=v1.DeploymentConditionType
io.k8s.api.apps.v1.DeploymentStrategy type=v1.DeploymentStrategyType
io.k8s.api.apps.v1.ReplicaSetCondition status=v1.ConditionStatus type=v1.ReplicaSetConditionType
io.k8s.api.apps.v1.StatefulSetCondition status=v1.ConditionStatus type=v1.StatefulSetConditionType
io.k8s.api.apps.v1.StatefulSetPersistentVolumeClaimRetentionPolicy
    whenDeleted=v1.PersistentVolumeClaimRetentionPolicyType
    whenScaled=v1.PersistentVolumeClaimRetentionPolicyType
io.k8s.api.apps.v1.StatefulSetSpec podManagementPolicy=v1.PodManagementPolicyType
io.k8s.api.apps.v1.StatefulSetUpdateStrategy type=v1.StatefulSetUpdateStrategyType
io.k8s.api.authentication.v1.BoundObjectReference uid=types.UID
io.k8s.api.authentication.v1.UserInfo extra=map[string]v1.ExtraValue
io.k8s.api.authorization.v1.SubjectAccessReviewSpec extra=map[string]v1.ExtraValue
io.k8s.api.autoscaling.v2.ContainerResourceMetricSource name=v1.ResourceName
io.k8s.api.autoscaling.v2.ContainerResourceMetricStatus name=v1.ResourceName
io.k8s.api.autoscaling.v2.HPAScalingPolicy type=v2.HPAScalingPolicyType
io.k8s.api.autoscaling.v2.HPAScalingRules selectPolicy=v2.ScalingPolicySelect
io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerCondition status=v1.ConditionStatus
    type=v2.HorizontalPodAutoscalerConditionType
io.k8s.api.autoscaling.v2.MetricSpec type=v2.MetricSourceType
io.k8s.api.autoscaling.v2.MetricStatus type=v2.MetricSourceType
io.k8s.api.autoscaling.v2.MetricTarget type=v2.MetricTargetType
io.k8s.api.autoscaling.v2.ResourceMetricSource name=v1.ResourceName
io.k8s.api.autoscaling.v2.ResourceMetricStatus name=v1.ResourceName
io.k8s.api.batch.v1.CronJobSpec concurrencyPolicy=v1.ConcurrencyPolicy
io.k8s.api.batch.v1.JobCondition status=v1.ConditionStatus type=v1.JobConditionType
io.k8s.api.batch.v1.JobSpec completionMode=v1.CompletionMode
    podReplacementPolicy=v1.PodReplacementPolicy
io.k8s.api.batch.v1.PodFailurePolicyOnExitCodesRequirement
    operator=v1.PodFailurePolicyOnExitCodesOperator
io.k8s.api.batch.v1.PodFailurePolicyOnPodConditionsPattern status=v1.ConditionStatus
    type=v1.PodConditionType
io.k8s.api.batch.v1.PodFailurePolicyRule action=v1.PodFailurePolicyAction
io.k8s.api.batch.v1.UncountedTerminatedPods failed=[]types.UID succeeded=[]types.UID
io.k8s.api.certificates.v1.CertificateSigningRequestCondition status=v1.ConditionStatus
    type=v1.RequestConditionType
io.k8s.api.certificates.v1.CertificateSigningRequestSpec extra=map[string]v1.ExtraValue
    usages=[]v1.KeyUsage
io.k8s.api.core.v1.AppArmorProfile type=v1.AppArmorProfileType
io.k8s.api.core.v1.AttachedVolume name=v1.UniqueVolumeName
io.k8s.api.core.v1.AzureDiskVolumeSource cachingMode=v1.AzureDataDiskCachingMode
    kind=v1.AzureDataDiskKind
io.k8s.api.core.v1.Capabilities add=[]v1.Capability drop=[]v1.Capability
io.k8s.api.core.v1.ComponentCondition status=v1.ConditionStatus type=v1.ComponentConditionType
io.k8s.api.core.v1.ConfigMapNodeConfigSource uid=types.UID
io.k8s.api.core.v1.Container imagePullPolicy=v1.PullPolicy restartPolicy=v1.ContainerRestartPolicy
    terminationMessagePolicy=v1.TerminationMessagePolicy
io.k8s.api.core.v1.ContainerPort protocol=v1.Protocol
io.k8s.api.core.v1.ContainerResizePolicy resourceName=v1.ResourceName
    restartPolicy=v1.ResourceResizeRestartPolicy
io.k8s.api.core.v1.ContainerStatus allocatedResources=v1.ResourceList
io.k8s.api.core.v1.EmptyDirVolumeSource medium=v1.StorageMedium
io.k8s.api.core.v1.EndpointPort protocol=v1.Protocol
io.k8s.api.core.v1.EphemeralContainer imagePullPolicy=v1.PullPolicy
    restartPolicy=v1.ContainerRestartPolicy terminationMessagePolicy=v1.TerminationMessagePolicy
io.k8s.api.core.v1.HTTPGetAction scheme=v1.URIScheme
io.k8s.api.core.v1.HostPathVolumeSource type=v1.HostPathType
io.k8s.api.core.v1.LimitRangeItem default=v1.ResourceList defaultRequest=v1.ResourceList
    max=v1.ResourceList maxLimitRequestRatio=v1.ResourceList min=v1.ResourceList type=v1.LimitType
io.k8s.api.core.v1.LoadBalancerIngress ipMode=v1.LoadBalancerIPMode
io.k8s.api.core.v1.ModifyVolumeStatus status=v1.PersistentVolumeClaimModifyVolumeStatus
io.k8s.api.core.v1.NamespaceCondition status=v1.ConditionStatus type=v1.NamespaceConditionType
io.k8s.api.core.v1.NamespaceSpec finalizers=[]v1.FinalizerName
io.k8s.api.core.v1.NamespaceStatus phase=v1.NamespacePhase
io.k8s.api.core.v1.NodeAddress type=v1.NodeAddressType
io.k8s.api.core.v1.NodeCondition status=v1.ConditionStatus type=v1.NodeConditionType
io.k8s.api.core.v1.NodeSelectorRequirement operator=v1.NodeSelectorOperator
io.k8s.api.core.v1.NodeStatus allocatable=v1.ResourceList capacity=v1.ResourceList phase=v1.NodePhase
    volumesInUse=[]v1.UniqueVolumeName
io.k8s.api.core.v1.ObjectReference uid=types.UID
io.k8s.api.core.v1.PersistentVolumeClaimCondition status=v1.ConditionStatus
    type=v1.PersistentVolumeClaimConditionType
io.k8s.api.core.v1.PersistentVolumeClaimSpec accessModes=[]v1.PersistentVolumeAccessMode
    volumeMode=v1.PersistentVolumeMode
io.k8s.api.core.v1.PersistentVolumeClaimStatus accessModes=[]v1.PersistentVolumeAccessMode
    allocatedResourceStatuses=map[v1.ResourceName]v1.ClaimResourceStatus
    allocatedResources=v1.ResourceList capacity=v1.ResourceList phase=v1.PersistentVolumeClaimPhase
io.k8s.api.core.v1.PersistentVolumeSpec accessModes=[]v1.PersistentVolumeAccessMode
    capacity=v1.ResourceList persistentVolumeReclaimPolicy=v1.PersistentVolumeReclaimPolicy
    volumeMode=v1.PersistentVolumeMode
io.k8s.api.core.v1.PersistentVolumeStatus phase=v1.PersistentVolumePhase
io.k8s.api.core.v1.PodCondition status=v1.ConditionStatus type=v1.PodConditionType
io.k8s.api.core.v1.PodOS name=v1.OSName
io.k8s.api.core.v1.PodReadinessGate conditionType=v1.PodConditionType
io.k8s.api.core.v1.PodSecurityContext fsGroupChangePolicy=v1.PodFSGroupChangePolicy
io.k8s.api.core.v1.PodSpec dnsPolicy=v1.DNSPolicy overhead=v1.ResourceList
    preemptionPolicy=v1.PreemptionPolicy restartPolicy=v1.RestartPolicy
io.k8s.api.core.v1.PodStatus phase=v1.PodPhase qosClass=v1.PodQOSClass resize=v1.PodResizeStatus
io.k8s.api.core.v1.PortStatus protocol=v1.Protocol
io.k8s.api.core.v1.ReplicationControllerCondition status=v1.ConditionStatus
    type=v1.ReplicationControllerConditionType
io.k8s.api.core.v1.ResourceQuotaSpec hard=v1.ResourceList scopes=[]v1.ResourceQuotaScope
io.k8s.api.core.v1.ResourceQuotaStatus hard=v1.ResourceList used=v1.ResourceList
io.k8s.api.core.v1.ResourceRequirements limits=v1.ResourceList requests=v1.ResourceList
io.k8s.api.core.v1.ScopedResourceSelectorRequirement operator=v1.ScopeSelectorOperator
    scopeName=v1.ResourceQuotaScope
io.k8s.api.core.v1.SeccompProfile type=v1.SeccompProfileType
io.k8s.api.core.v1.Secret type=v1.SecretType
io.k8s.api.core.v1.SecurityContext procMount=v1.ProcMountType
io.k8s.api.core.v1.ServicePort protocol=v1.Protocol
io.k8s.api.core.v1.ServiceSpec externalTrafficPolicy=v1.ServiceExternalTrafficPolicy
    internalTrafficPolicy=v1.ServiceInternalTrafficPolicy ipFamilies=[]v1.IPFamily
    ipFamilyPolicy=v1.IPFamilyPolicy sessionAffinity=v1.ServiceAffinity type=v1.ServiceType
io.k8s.api.core.v1.Taint effect=v1.TaintEffect
io.k8s.api.core.v1.Toleration effect=v1.TaintEffect operator=v1.TolerationOperator
io.k8s.api.core.v1.TopologySpreadConstraint nodeAffinityPolicy=v1.NodeInclusionPolicy
    nodeTaintsPolicy=v1.NodeInclusionPolicy whenUnsatisfiable=v1.UnsatisfiableConstraintAction
io.k8s.api.core.v1.VolumeMount mountPropagation=v1.MountPropagationMode
    recursiveReadOnly=v1.RecursiveReadOnlyMode
io.k8s.api.core.v1.VolumeMountStatus recursiveReadOnly=v1.RecursiveReadOnlyMode
io.k8s.api.core.v1.VolumeResourceRequirements limits=v1.ResourceList requests=v1.ResourceList
io.k8s.api.discovery.v1.EndpointPort protocol=v1.Protocol
io.k8s.api.discovery.v1.EndpointSlice addressType=v1.AddressType
io.k8s.api.flowcontrol.v1.FlowDistinguisherMethod type=v1.FlowDistinguisherMethodType
io.k8s.api.flowcontrol.v1.FlowSchemaCondition status=v1.ConditionStatus type=v1.FlowSchemaConditionType
io.k8s.api.flowcontrol.v1.LimitResponse type=v1.LimitResponseType
io.k8s.api.flowcontrol.v1.PriorityLevelConfigurationCondition status=v1.ConditionStatus
    type=v1.PriorityLevelConfigurationConditionType
io.k8s.api.flowcontrol.v1.PriorityLevelConfigurationSpec type=v1.PriorityLevelEnablement
io.k8s.api.flowcontrol.v1.Subject kind=v1.SubjectKind
io.k8s.api.flowcontrol.v1beta3.FlowDistinguisherMethod type=v1beta3.FlowDistinguisherMethodType
io.k8s.api.flowcontrol.v1beta3.FlowSchemaCondition status=v1beta3.ConditionStatus
    type=v1beta3.FlowSchemaConditionType
io.k8s.api.flowcontrol.v1beta3.LimitResponse type=v1beta3.LimitResponseType
io.k8s.api.flowcontrol.v1beta3.PriorityLevelConfigurationCondition status=v1beta3.ConditionStatus
    type=v1beta3.PriorityLevelConfigurationConditionType
io.k8s.api.flowcontrol.v1beta3.PriorityLevelConfigurationSpec type=v1beta3.PriorityLevelEnablement
io.k8s.api.flowcontrol.v1beta3.Subject kind=v1beta3.SubjectKind
io.k8s.api.networking.v1.HTTPIngressPath pathType=v1.PathType
io.k8s.api.networking.v1.IngressPortStatus protocol=v1.Protocol
io.k8s.api.networking.v1.NetworkPolicyPort protocol=v1.Protocol
io.k8s.api.networking.v1.NetworkPolicySpec policyTypes=[]v1.PolicyType
io.k8s.api.node.v1.Overhead podFixed=v1.ResourceList
io.k8s.api.policy.v1.PodDisruptionBudgetSpec
    unhealthyPodEvictionPolicy=v1.UnhealthyPodEvictionPolicyType
io.k8s.api.policy.v1.PodDisruptionBudgetStatus disruptedPods=map[string]v1.Time
io.k8s.api.resource.v1alpha2.ResourceClaimConsumerReference uid=types.UID
io.k8s.api.resource.v1alpha2.ResourceClaimSpec allocationMode=v1alpha2.AllocationMode
io.k8s.api.scheduling.v1.PriorityClass preemptionPolicy=v1.PreemptionPolicy
io.k8s.api.storage.v1.CSIDriverSpec fsGroupPolicy=v1.FSGroupPolicy
    volumeLifecycleModes=[]v1.VolumeLifecycleMode
io.k8s.api.storage.v1.StorageClass reclaimPolicy=v1.PersistentVolumeReclaimPolicy
    volumeBindingMode=v1.VolumeBindingMode
io.k8s.api.storagemigration.v1alpha1.MigrationCondition status=v1.ConditionStatus
    type=v1alpha1.MigrationConditionType
io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceConversion
    strategy=v1.ConversionStrategyType
io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinitionCondition
    status=v1.ConditionStatus type=v1.CustomResourceDefinitionConditionType
io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinitionSpec
    scope=v1.ResourceScope
io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps $schema=v1.JSONSchemaURL
    definitions=v1.JSONSchemaDefinitions dependencies=v1.JSONSchemaDependencies enum=[]v1.JSON
    x-kubernetes-validations=v1.ValidationRules
io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.ValidationRule reason=v1.FieldValueErrorReason
io.k8s.apimachinery.pkg.apis.meta.v1.APIResource verbs=v1.Verbs
io.k8s.apimachinery.pkg.apis.meta.v1.Condition status=v1.ConditionStatus
io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions propagationPolicy=v1.DeletionPropagation
io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement operator=v1.LabelSelectorOperator
io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry operation=v1.ManagedFieldsOperationType
io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta uid=types.UID
io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference uid=types.UID
io.k8s.apimachinery.pkg.apis.meta.v1.Preconditions uid=types.UID
io.k8s.apimachinery.pkg.apis.meta.v1.Status reason=v1.StatusReason
io.k8s.apimachinery.pkg.apis.meta.v1.StatusCause reason=v1.CauseType
io.k8s.apimachinery.pkg.apis.meta.v1.StatusDetails uid=types.UID
io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIServiceCondition status=v1.ConditionStatus
    type=v1.APIServiceConditionType
"""
