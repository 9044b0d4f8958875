"""Go's `fmt` rendering of decoded JSON values, for error messages that quote them.

Upstream builds several patch errors with `%v`/`%s` on `map[string]interface{}` values
(`map: map[image:nginx] does not contain declared merge key: name`); clients see those strings.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def go_v(v: Any) -> str:
    """`fmt.Sprintf("%v", v)` for a value decoded from JSON (maps print with sorted keys)."""
    if v is None:
        return "<nil>"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, str):
        return v
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return go_float(v)
    if isinstance(v, dict):
        return "map[" + " ".join(f"{k}:{go_v(v[k])}" for k in sorted(v)) + "]"
    if isinstance(v, (list, tuple)):
        return "[" + " ".join(go_v(x) for x in v) + "]"
    return str(v)


def go_s(v: Any) -> str:
    """`fmt.Sprintf("%s", v)`: strings bare, other scalars as `%!s(int64=1)`."""
    if isinstance(v, str):
        return v
    if v is None:
        return "%!s(<nil>)"
    if isinstance(v, dict):
        return "map[" + " ".join(f"{k}:{go_s(v[k])}" for k in sorted(v)) + "]"
    if isinstance(v, list):
        return "[" + " ".join(go_s(x) for x in v) + "]"
    return f"%!s({go_type(v)}={go_v(v)})"


def go_type(v: Any) -> str:
    """`reflect.TypeOf(v)` printed with `%s`, for JSON values as Go decodes them."""
    if v is None:
        return "%!s(<nil>)"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int64"
    if isinstance(v, float):
        return "float64"
    if isinstance(v, str):
        return "string"
    if isinstance(v, dict):
        return "map[string]interface {}"
    if isinstance(v, list):
        return "[]interface {}"
    return type(v).__name__


def go_float(f: float) -> str:
    """strconv.FormatFloat(f, 'g', -1, 64): shortest digits, exponent form when exp < -4 or >= 6."""
    if f != f:
        return "NaN"
    if f in (float("inf"), float("-inf")):
        return "+Inf" if f > 0 else "-Inf"
    if f == 0:
        return "-0" if str(f).startswith("-") else "0"
    sign, digits_t, exp = Decimal(repr(f)).as_tuple()
    digits = "".join(map(str, digits_t)).rstrip("0")
    exp = int(exp) + (len(digits_t) - len(digits))
    nd = len(digits)
    dp = nd + exp  # position of the decimal point relative to the digits
    x = dp - 1
    s = "-" if sign else ""
    # strconv decides with precision 6 when asked for the shortest form.
    if x < -4 or x >= 6:
        mant = digits[0] + ("." + digits[1:] if nd > 1 else "")
        return f"{s}{mant}e{'-' if x < 0 else '+'}{abs(x):02d}"
    if dp <= 0:
        return f"{s}0.{'0' * -dp}{digits}"
    if dp >= nd:
        return f"{s}{digits}{'0' * (dp - nd)}"
    return f"{s}{digits[:dp]}.{digits[dp:]}"
