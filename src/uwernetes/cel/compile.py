"""Write-time compilation of CEL expressions: does an expression parse and type-check in the
environment Kubernetes v1.30 gives it, and what type does it produce?

Mirrors upstream's `apiserver/pkg/admission/plugin/cel/compile.go` (CompileCELExpression) over the
1.29-compatible "NewExpressions" base environment (`pkg/cel/environment/base.go`): optionals,
strings v2, cross-type numeric comparisons and the Kubernetes libraries (lists, regex, urls,
authz, quantity, sets) as declarations only. Evaluation and the libraries' behaviour come later.

Variables are named with cel-go's type spellings (`dyn`, `bool`, `list(string)`,
`map(string, dyn)`, `kubernetes.authorization.Authorizer`), so callers and messages speak
upstream's words; `request` and `namespaceObject` are declared as maps rather than upstream's
object types, which accepts a few field names upstream would refuse.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from cel_expr_python import cel
from cel_expr_python.ext import ext_optional, ext_strings

AUTHORIZER = "kubernetes.authorization.Authorizer"
GROUP_CHECK = "kubernetes.authorization.GroupCheck"
RESOURCE_CHECK = "kubernetes.authorization.ResourceCheck"
PATH_CHECK = "kubernetes.authorization.PathCheck"
DECISION = "kubernetes.authorization.Decision"
QUANTITY = "kubernetes.Quantity"
URL = "kubernetes.URL"

_SCALARS = {
    "dyn": cel.Type.DYN,
    "bool": cel.Type.BOOL,
    "int": cel.Type.INT,
    "uint": cel.Type.UINT,
    "double": cel.Type.DOUBLE,
    "string": cel.Type.STRING,
    "bytes": cel.Type.BYTES,
    "null_type": cel.Type.NULL,
    "google.protobuf.Timestamp": cel.Type.TIMESTAMP,
    "google.protobuf.Duration": cel.Type.DURATION,
}
# cel-cpp's names for the types whose cel-go spelling is not just the lower-cased name.
_GO_NAMES = {"NULL": "null_type", "TIMESTAMP": "google.protobuf.Timestamp", "DURATION": "google.protobuf.Duration"}


def parse_type(text: str) -> cel.Type:
    """A cel-go type spelling as a cel-expr-python Type (unknown names become opaque types)."""
    text = text.strip()
    if text in _SCALARS:
        return _SCALARS[text]
    m = re.fullmatch(r"(list|map)\((.*)\)", text)
    if m and m.group(1) == "list":
        return cel.Type.List(parse_type(m.group(2)))
    if m:
        key, value = _split_pair(m.group(2))
        return cel.Type.Map(parse_type(key), parse_type(value))
    return cel.Type.AbstractType(text)


def _split_pair(text: str) -> tuple[str, str]:
    depth = 0
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            return text[:i], text[i + 1 :]
    raise ValueError(f"not a map type: map({text})")


def type_name(t: cel.Type) -> str:
    """cel-go's spelling of a type cel-cpp reports (`LIST<INT>` -> `list(int)`)."""
    return _go_name(t.name())


def _go_name(name: str) -> str:
    m = re.fullmatch(r"([A-Za-z_]+)<(.*)>", name)
    if m:
        args = _split_top(m.group(2))
        return f"{m.group(1).lower()}({', '.join(_go_name(a) for a in args)})"
    if name in _GO_NAMES:
        return _GO_NAMES[name]
    return name.lower() if name.isupper() else name


def _split_top(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch == "<"
        depth -= ch == ">"
        if ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return parts


def admission_variables(*, params: bool, authorizer: bool) -> dict[str, str]:
    """The variables upstream's admission compiler declares (OptionalVariableDeclarations)."""
    variables = {
        "object": "dyn",
        "oldObject": "dyn",
        "request": "map(string, dyn)",
        "namespaceObject": "map(string, dyn)",
    }
    if params:
        variables["params"] = "dyn"
    if authorizer:
        variables["authorizer"] = AUTHORIZER
        variables["authorizer.requestResource"] = RESOURCE_CHECK
    return variables


# --- the Kubernetes library declarations: (name, member?, parameter types, result type) ---

_NUMERIC = ("int", "uint", "double")
_LIBRARY: list[tuple[str, bool, tuple[str, ...], str]] = [
    # lists
    ("isSorted", True, ("list(dyn)",), "bool"),
    ("sum", True, ("list(dyn)",), "dyn"),
    ("min", True, ("list(dyn)",), "dyn"),
    ("max", True, ("list(dyn)",), "dyn"),
    ("indexOf", True, ("list(dyn)", "dyn"), "int"),
    ("lastIndexOf", True, ("list(dyn)", "dyn"), "int"),
    # regex
    ("find", True, ("string", "string"), "string"),
    ("findAll", True, ("string", "string"), "list(string)"),
    ("findAll", True, ("string", "string", "int"), "list(string)"),
    # urls
    ("url", False, ("string",), URL),
    ("isURL", False, ("string",), "bool"),
    ("getScheme", True, (URL,), "string"),
    ("getHost", True, (URL,), "string"),
    ("getHostname", True, (URL,), "string"),
    ("getPort", True, (URL,), "string"),
    ("getEscapedPath", True, (URL,), "string"),
    ("getQuery", True, (URL,), "map(string, list(string))"),
    # authz; PathCheck and ResourceCheck share one `check` (cel-cpp dispatches on the kind of
    # value, and both are opaque), so it is declared on dyn.
    ("path", True, (AUTHORIZER, "string"), PATH_CHECK),
    ("group", True, (AUTHORIZER, "string"), GROUP_CHECK),
    ("serviceAccount", True, (AUTHORIZER, "string", "string"), AUTHORIZER),
    ("resource", True, (GROUP_CHECK, "string"), RESOURCE_CHECK),
    ("subresource", True, (RESOURCE_CHECK, "string"), RESOURCE_CHECK),
    ("namespace", True, (RESOURCE_CHECK, "string"), RESOURCE_CHECK),
    ("name", True, (RESOURCE_CHECK, "string"), RESOURCE_CHECK),
    ("check", True, ("dyn", "string"), DECISION),
    ("allowed", True, (DECISION,), "bool"),
    ("reason", True, (DECISION,), "string"),
    ("errored", True, (DECISION,), "bool"),
    ("error", True, (DECISION,), "string"),
    # quantity
    ("quantity", False, ("string",), QUANTITY),
    ("isQuantity", False, ("string",), "bool"),
    ("sign", True, (QUANTITY,), "int"),
    ("isGreaterThan", True, (QUANTITY, QUANTITY), "bool"),
    ("isLessThan", True, (QUANTITY, QUANTITY), "bool"),
    ("compareTo", True, (QUANTITY, QUANTITY), "int"),
    # add/sub take a Quantity or an int; two overloads on one opaque receiver collide in
    # cel-cpp, so the argument is dyn.
    ("add", True, (QUANTITY, "dyn"), QUANTITY),
    ("sub", True, (QUANTITY, "dyn"), QUANTITY),
    ("asInteger", True, (QUANTITY,), "int"),
    ("asApproximateFloat", True, (QUANTITY,), "double"),
    ("isInteger", True, (QUANTITY,), "bool"),
    # sets (cel-go ext.Sets)
    ("sets.contains", False, ("list(dyn)", "list(dyn)"), "bool"),
    ("sets.equivalent", False, ("list(dyn)", "list(dyn)"), "bool"),
    ("sets.intersects", False, ("list(dyn)", "list(dyn)"), "bool"),
    # CrossTypeNumericComparisons (1.28): the checker otherwise refuses `1 < 2.0`
    *[
        (op, False, (a, b), "bool")
        for op in ("_<_", "_<=_", "_>_", "_>=_")
        for a in _NUMERIC
        for b in _NUMERIC
        if a != b
    ],
]


def _library() -> cel.CelExtension:
    by_name: dict[str, list[cel.Overload]] = {}
    for name, member, params, result in _LIBRARY:
        overloads = by_name.setdefault(name, [])
        overloads.append(
            cel.Overload(f"k8s_{name}_{len(overloads)}", parse_type(result), [parse_type(p) for p in params], is_member=member)
        )
    # An extension (not plain functions) so list `indexOf` can sit beside the strings one.
    return cel.CelExtension("kubernetes", [cel.FunctionDecl(n, o) for n, o in by_name.items()])


@functools.lru_cache(maxsize=64)
def _env(variables: frozenset[tuple[str, str]]) -> cel.Env:
    return cel.NewEnv(
        variables={name: parse_type(t) for name, t in variables},
        extensions=[ext_strings.ExtStrings(), ext_optional.ExtOptional(), _library()],
    )


@dataclass(frozen=True)
class Compiled:
    """The outcome of a compile: an error text (None when it compiled) and the output type."""

    error: str | None
    output_type: str = ""


_STATUS_PREFIX = re.compile(r"^[A-Z_]+: ")
_STATUS_SUFFIX = re.compile(r" \[[A-Z_]+\]$")


def _issues_text(message: str) -> str:
    """cel-cpp's status text as cel-go's `issues.String()` (drop `INVALID_ARGUMENT: ` and its tag)."""
    return _STATUS_SUFFIX.sub("", _STATUS_PREFIX.sub("", message, count=1))


def compile_expression(expression: str, variables: dict[str, str]) -> Compiled:
    """Parse and type-check `expression` with `variables` (name -> cel-go type spelling)."""
    try:
        program = _env(frozenset(variables.items())).compile(expression)
    except RuntimeError as e:
        return Compiled("compilation failed: " + _issues_text(str(e)))
    return Compiled(None, type_name(program.return_type()))


def compile_error(expression: str, variables: dict[str, str]) -> str | None:
    """None if `expression` compiles with `variables`, else upstream's
    `compilation failed: ERROR: <input>:L:C: ...` text."""
    return compile_expression(expression, variables).error
