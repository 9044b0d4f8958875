"""Label and field selectors: parsing the query-string forms and matching objects.

Parse errors raise ValueError with upstream's wording; the HTTP layer turns them into 400s.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from uwernetes.machinery.validation import is_qualified_name, is_valid_label_value


@dataclass(frozen=True, slots=True)
class Requirement:
    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!", "gt", "lt"
    values: tuple[str, ...] = ()

    def matches(self, labels: dict[str, str]) -> bool:
        op = self.op
        if op == "=":
            return labels.get(self.key) == self.values[0] if self.key in labels else False
        if op == "!=":
            return labels.get(self.key) != self.values[0]
        if op == "in":
            return self.key in labels and labels[self.key] in self.values
        if op == "notin":
            return self.key not in labels or labels[self.key] not in self.values
        if op == "exists":
            return self.key in labels
        if op == "!":
            return self.key not in labels
        if op in ("gt", "lt"):
            if self.key not in labels:
                return False
            try:
                have, want = int(labels[self.key]), int(self.values[0])
            except ValueError:
                return False
            return have > want if op == "gt" else have < want
        return False


class LabelSelector:
    """A conjunction of requirements; the empty selector matches everything."""

    __slots__ = ("requirements",)

    def __init__(self, requirements: list[Requirement] | tuple[Requirement, ...] = ()) -> None:
        self.requirements = tuple(requirements)

    def empty(self) -> bool:
        return not self.requirements

    def matches(self, labels: dict[str, str] | None) -> bool:
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)

    def __str__(self) -> str:
        parts = []
        for r in self.requirements:
            if r.op in ("=", "!="):
                parts.append(f"{r.key}{r.op}{r.values[0]}")
            elif r.op in ("in", "notin"):
                parts.append(f"{r.key} {r.op} ({','.join(r.values)})")
            elif r.op == "exists":
                parts.append(r.key)
            elif r.op == "!":
                parts.append(f"!{r.key}")
            else:
                parts.append(f"{r.key}{'>' if r.op == 'gt' else '<'}{r.values[0]}")
        return ",".join(parts)


_TOKEN = re.compile(r"\s*(!=|==|=|!|,|\(|\)|>|<|[^\s!=,()<>]+)")


def _check_key(key: str) -> None:
    errs = is_qualified_name(key)
    if errs:
        raise ValueError(f"unable to parse requirement: invalid label key \"{key}\": {'; '.join(errs)}")


def _check_value(value: str) -> None:
    errs = is_valid_label_value(value)
    if errs:
        raise ValueError(f"unable to parse requirement: invalid label value: \"{value}\": at key: {'; '.join(errs)}")


def parse_label_selector(text: str | None) -> LabelSelector:
    """Parse `a=b,c!=d,e in (f,g),!h,i` (the labelSelector query parameter)."""
    if not text or not text.strip():
        return LabelSelector()
    tokens = [t for t in _TOKEN.findall(text)]
    reqs: list[Requirement] = []
    i = 0

    def peek() -> str | None:
        return tokens[i] if i < len(tokens) else None

    while i < len(tokens):
        tok = tokens[i]
        if tok == "!":
            i += 1
            key = peek()
            if key is None or key in ",()=!":
                raise ValueError(f"unable to parse requirement: found '{key}', expected: identifier")
            _check_key(key)
            i += 1
            reqs.append(Requirement(key, "!"))
        else:
            key = tok
            if key in ",()=!<>":
                raise ValueError(f"found '{key}', expected: !, identifier, or 'end of string'")
            _check_key(key)
            i += 1
            op = peek()
            if op is None or op == ",":
                reqs.append(Requirement(key, "exists"))
            elif op in ("=", "==", "!="):
                i += 1
                value = peek()
                if value is None or value == ",":
                    value = ""
                else:
                    i += 1
                _check_value(value)
                reqs.append(Requirement(key, "!=" if op == "!=" else "=", (value,)))
            elif op in (">", "<"):
                i += 1
                value = peek() or ""
                i += 1
                if not value.lstrip("-").isdigit():
                    raise ValueError("unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer")
                reqs.append(Requirement(key, "gt" if op == ">" else "lt", (value,)))
            elif op in ("in", "notin"):
                i += 1
                if peek() != "(":
                    raise ValueError(f"found '{peek()}', expected: '('")
                i += 1
                values: list[str] = []
                while peek() not in (")", None):
                    v = tokens[i]
                    i += 1
                    if v == ",":
                        continue
                    _check_value(v)
                    values.append(v)
                if peek() != ")":
                    raise ValueError("found 'end of string', expected: ')'")
                i += 1
                reqs.append(Requirement(key, op, tuple(sorted(set(values))) if values else ("",)))
            else:
                raise ValueError(f"found '{op}', expected: in, notin, =, ==, !=, gt, lt")
        if peek() == ",":
            i += 1
        elif peek() is not None:
            raise ValueError(f"found '{peek()}', expected: ',' or 'end of string'")
    return LabelSelector(reqs)


def selector_from_label_selector(sel: dict[str, Any] | None) -> LabelSelector | None:
    """metav1.LabelSelector (matchLabels/matchExpressions) -> LabelSelector. None matches nothing."""
    if sel is None:
        return None
    reqs = [Requirement(k, "=", (v,)) for k, v in sorted((sel.get("matchLabels") or {}).items())]
    for expr in sel.get("matchExpressions") or ():
        op = expr.get("operator")
        values = tuple(expr.get("values") or ())
        mapped = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}.get(op)
        if mapped is None:
            raise ValueError(f"{op!r} is not a valid label selector operator")
        reqs.append(Requirement(expr["key"], mapped, values))
    return LabelSelector(reqs)


# --- field selectors ---


@dataclass(frozen=True, slots=True)
class FieldRequirement:
    field: str
    op: str  # "=" or "!="
    value: str


class FieldSelector:
    __slots__ = ("requirements",)

    def __init__(self, requirements: list[FieldRequirement] | tuple[FieldRequirement, ...] = ()) -> None:
        self.requirements = tuple(requirements)

    def empty(self) -> bool:
        return not self.requirements

    def matches(self, getter: Callable[[str], str | None]) -> bool:
        for r in self.requirements:
            have = getter(r.field)
            if have is None:
                return False
            if (have == r.value) != (r.op == "="):
                return False
        return True

    def value_for(self, field: str) -> str | None:
        """The value a selector pins `field` to (`metadata.name=x` -> x), if it does."""
        for r in self.requirements:
            if r.field == field and r.op == "=":
                return r.value
        return None

    def fields(self) -> set[str]:
        return {r.field for r in self.requirements}


def _split_unescaped(text: str, sep: str) -> list[str]:
    parts, cur, esc = [], [], False
    for ch in text:
        if esc:
            cur.append("\\" + ch)
            esc = False
        elif ch == "\\":
            esc = True
        elif ch == sep:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def _unescape(v: str) -> str:
    out, esc = [], False
    for ch in v:
        if esc:
            if ch not in "\\,=":
                raise ValueError(f"invalid field selector: invalid escape sequence: \\{ch}")
            out.append(ch)
            esc = False
        elif ch == "\\":
            esc = True
        else:
            out.append(ch)
    return "".join(out)


def parse_field_selector(text: str | None) -> FieldSelector:
    if not text or not text.strip():
        return FieldSelector()
    reqs = []
    for part in _split_unescaped(text, ","):
        if not part:
            continue
        for op in ("!=", "==", "="):
            idx = part.find(op)
            if idx >= 0:
                name, value = part[:idx], part[idx + len(op) :]
                reqs.append(FieldRequirement(name.strip(), "!=" if op == "!=" else "=", _unescape(value)))
                break
        else:
            raise ValueError(f"invalid selector: '{text}'; can't understand '{part}'")
    return FieldSelector(reqs)
