"""Field errors: the data behind every 422 (apimachinery's `util/validation/field`).

Validation functions return lists of `FieldError`; `errors.invalid()` folds such a list into a
metav1.Status. Messages follow upstream byte for byte because kubectl rebuilds its output from them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

_OMIT = object()

# type -> (printed type, Status cause reason)
_TYPES = {
    "NotFound": ("Not found", "FieldValueNotFound"),
    "Required": ("Required value", "FieldValueRequired"),
    "Duplicate": ("Duplicate value", "FieldValueDuplicate"),
    "Invalid": ("Invalid value", "FieldValueInvalid"),
    "NotSupported": ("Unsupported value", "FieldValueNotSupported"),
    "Forbidden": ("Forbidden", "FieldValueForbidden"),
    "TooLong": ("Too long", "FieldValueTooLong"),
    "TooMany": ("Too many", "FieldValueTooMany"),
    "Internal": ("Internal error", "InternalError"),
    "TypeInvalid": ("Invalid value", "FieldValueTypeInvalid"),
}
# These never print the offending value.
_VALUELESS = {"Required", "Forbidden", "TooLong", "Internal"}


class Path:
    """An immutable field path: `Path("spec").child("containers").index(0).key("k")`."""

    __slots__ = ("_text",)

    def __init__(self, *names: str) -> None:
        self._text = ".".join(names)

    @classmethod
    def _raw(cls, text: str) -> Path:
        p = cls.__new__(cls)
        p._text = text
        return p

    def child(self, name: str, *more: str) -> Path:
        text = f"{self._text}.{name}" if self._text else name
        for m in more:
            text = f"{text}.{m}"
        return Path._raw(text)

    def index(self, i: int) -> Path:
        return Path._raw(f"{self._text}[{i}]")

    def key(self, k: str) -> Path:
        return Path._raw(f"{self._text}[{k}]")

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"Path({self._text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Path) and other._text == self._text

    def __hash__(self) -> int:
        return hash(self._text)


def go_quote(s: str) -> str:
    """Go's %q for a string (close enough: JSON escaping matches for printable text)."""
    return json.dumps(s, ensure_ascii=False)


def format_value(value: Any) -> str:
    """Render a bad value as Go's `%v`/`%q` would for the common cases."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return go_quote(value)
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict):
        inner = ", ".join(f"{go_quote(str(k))}:{format_value(v)}" for k, v in value.items())
        return "map[string]string{" + inner + "}" if all(isinstance(v, str) for v in value.values()) else "{" + inner + "}"
    if isinstance(value, list):
        if all(isinstance(v, str) for v in value):
            return "[]string{" + ", ".join(go_quote(v) for v in value) + "}"
        return "[" + " ".join(format_value(v) for v in value) + "]"
    return str(value)


@dataclass(frozen=True)
class FieldError:
    type: str
    field: str
    bad_value: Any = None
    detail: str = ""

    @property
    def reason(self) -> str:
        return _TYPES[self.type][1]

    def body(self) -> str:
        printed = _TYPES[self.type][0]
        if self.type in _VALUELESS or self.bad_value is _OMIT:
            text = printed
        else:
            text = f"{printed}: {format_value(self.bad_value)}"
        if self.detail:
            text += f": {self.detail}"
        return text

    def __str__(self) -> str:
        return f"{self.field}: {self.body()}" if self.field else self.body()

    def cause(self) -> dict:
        return {"reason": self.reason, "message": self.body(), "field": self.field}


def _p(path: Path | str) -> str:
    return str(path)


def required(path: Path | str, detail: str = "") -> FieldError:
    return FieldError("Required", _p(path), None, detail)


def invalid(path: Path | str, value: Any, detail: str) -> FieldError:
    return FieldError("Invalid", _p(path), value, detail)


def duplicate(path: Path | str, value: Any) -> FieldError:
    return FieldError("Duplicate", _p(path), value, "")


def not_found(path: Path | str, value: Any) -> FieldError:
    return FieldError("NotFound", _p(path), value, "")


def not_supported(path: Path | str, value: Any, supported: list[str] | tuple[str, ...]) -> FieldError:
    detail = "supported values: " + ", ".join(go_quote(s) for s in supported) if supported else ""
    return FieldError("NotSupported", _p(path), value, detail)


def forbidden(path: Path | str, detail: str) -> FieldError:
    return FieldError("Forbidden", _p(path), None, detail)


def too_long(path: Path | str, value: Any, max_length: int) -> FieldError:
    return FieldError("TooLong", _p(path), value, f"must have at most {max_length} bytes")


def too_long_max_length(path: Path | str, value: Any, max_length: int) -> FieldError:
    return FieldError("TooLong", _p(path), value, f"may not be longer than {max_length}")


def too_many(path: Path | str, actual: int, max_items: int) -> FieldError:
    return FieldError("TooMany", _p(path), actual, f"must have at most {max_items} items")


def internal(path: Path | str, err: str) -> FieldError:
    return FieldError("Internal", _p(path), None, err)


def type_invalid(path: Path | str, value: Any, detail: str) -> FieldError:
    return FieldError("TypeInvalid", _p(path), value, detail)


OMIT_VALUE = _OMIT


def aggregate(errs: list[FieldError] | list[str]) -> str:
    """apimachinery's aggregate: one distinct message bare, several as `[a, b]`."""
    seen: list[str] = []
    for e in errs:
        msg = str(e)
        if msg not in seen:
            seen.append(msg)
    if len(seen) == 1:
        return seen[0]
    return "[" + ", ".join(seen) + "]"
