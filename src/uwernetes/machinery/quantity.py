"""resource.Quantity: parse, compare and print quantities as apimachinery does (`api/resource`).

A quantity is an exact number plus the *format* its suffix implied (`DecimalSI` for `m`/`k`/`M`,
`BinarySI` for `Ki`/`Mi`, `DecimalExponent` for `e3`). The format matters only for printing:
the API server answers with the canonical form (`0.5` -> `500m`, `2048Ki` -> `2Mi`,
`1000m` -> `1`), which is why `canonicalize` exists. Values are kept as `Fraction`s so that
comparisons (`requests <= limits`) are exact, like upstream's inf.Dec arithmetic.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

SPLIT_RE = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
ERR_FORMAT_WRONG = f"quantities must match the regular expression '{SPLIT_RE}'"
ERR_NUMERIC = "unable to parse numeric part of quantity"
ERR_SUFFIX = "unable to parse quantity's suffix"

DECIMAL_SI, BINARY_SI, DECIMAL_EXPONENT = "DecimalSI", "BinarySI", "DecimalExponent"

_DEC_SUFFIXES = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DEC_BY_EXP = {v: k for k, v in _DEC_SUFFIXES.items()}
_BIN_SUFFIXES = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_BIN_BY_EXP = {v: k for k, v in _BIN_SUFFIXES.items()}
_SUFFIX_CHARS = set("eEinumkKMGTP")
_DIGITS = set("0123456789")
_NANO = Fraction(1, 10**9)
_MAX_INT64 = 2**63 - 1


class QuantityError(ValueError):
    """A string that is not a quantity; the message is upstream's."""


@dataclass(frozen=True)
class Quantity:
    value: Fraction
    format: str = DECIMAL_SI

    def __str__(self) -> str:
        return _canonical(self.value, self.format)

    def cmp(self, other: Quantity) -> int:
        return (self.value > other.value) - (self.value < other.value)

    def milli_value(self) -> int:
        """MilliValue(): rounded up, as upstream's ScaledValue does."""
        return math.ceil(self.value * 1000)


def _split(text: str) -> tuple[bool, str, str, str, str]:
    """parseQuantityString: sign, the numeric text, integer digits, fraction digits, suffix."""
    positive, pos, end = True, 0, len(text)
    if text[0] in "+-":
        positive = text[0] == "+"
        pos = 1
    while pos < end and text[pos] == "0":
        pos += 1
    if pos >= end:
        return positive, "0", "0", "", ""
    start = pos
    while pos < end and text[pos] in _DIGITS:
        pos += 1
    num = text[start:pos] or "0"
    denom = ""
    if pos < end and text[pos] == ".":
        pos += 1
        start = pos
        while pos < end and text[pos] in _DIGITS:
            pos += 1
        denom = text[start:pos]
    value = text[:pos]
    suffix_start = pos
    while pos < end and text[pos] in _SUFFIX_CHARS:
        pos += 1
    if pos < end and text[pos] in "+-":
        pos += 1
    while pos < end and text[pos] in _DIGITS:
        pos += 1
    if pos < end:
        raise QuantityError(ERR_FORMAT_WRONG)
    return positive, value, num, denom, text[suffix_start:]


def _interpret(suffix: str) -> tuple[int, int, str]:
    """suffix -> (base, exponent, format)."""
    if suffix in _DEC_SUFFIXES:
        return 10, _DEC_SUFFIXES[suffix], DECIMAL_SI
    if suffix in _BIN_SUFFIXES:
        return 2, _BIN_SUFFIXES[suffix], BINARY_SI
    if len(suffix) > 1 and suffix[0] in "eE":
        try:
            return 10, int(suffix[1:]), DECIMAL_EXPONENT
        except ValueError:
            pass
    raise QuantityError(ERR_SUFFIX)


def parse(text: Any) -> Quantity:
    """ParseQuantity; JSON numbers are accepted as Quantity.UnmarshalJSON accepts them."""
    if isinstance(text, bool) or not isinstance(text, str | int | float):
        raise QuantityError(ERR_FORMAT_WRONG)
    if not isinstance(text, str):
        text = repr(text) if isinstance(text, float) else str(text)
    return _parse_text(text)


# Pods repeat the same few quantity strings in every container; Quantity is immutable, so parsed
# values are shared.
@functools.lru_cache(maxsize=8192)
def _parse_text(text: str) -> Quantity:
    text = text.strip()
    if not text:
        raise QuantityError(ERR_FORMAT_WRONG)
    positive, _value, num, denom, suffix = _split(text)
    base, exponent, fmt = _interpret(suffix)
    try:
        amount = Fraction(int(num + denom), 10 ** len(denom))
    except ValueError as e:
        raise QuantityError(ERR_NUMERIC) from e
    amount *= Fraction(base) ** exponent
    # Non-zero values round up (away from zero) to the nano scale: asking for a sliver of a
    # resource should get some, not none.
    if amount:
        amount = Fraction(math.ceil(amount / _NANO)) * _NANO
    if fmt == BINARY_SI and amount > _MAX_INT64:
        amount = Fraction(_MAX_INT64)
    if fmt == BINARY_SI and 0 < amount < 1:
        fmt = DECIMAL_SI
    return Quantity(amount if positive else -amount, fmt)


def parse_quantity(text: Any) -> Fraction:
    """The exact value of a quantity string; raises QuantityError with upstream's message."""
    return parse(text).value


def _canonical(value: Fraction, fmt: str) -> str:
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    mag = abs(value)
    if fmt == BINARY_SI and (mag < 1024 or mag.denominator != 1):
        fmt = DECIMAL_SI
    if fmt == BINARY_SI:
        n, exp = int(mag), 0
        while n % 1024 == 0 and exp < 60:
            n //= 1024
            exp += 10
        return f"{sign}{n}{_BIN_BY_EXP.get(exp, '')}"
    # Decimal: an integer mantissa with all factors of ten moved into the exponent, then the
    # exponent lowered to a multiple of three.
    exp = 0
    while mag.denominator != 1:
        mag *= 10
        exp -= 1
    n = int(mag)
    while n % 10 == 0:
        n //= 10
        exp += 1
    while exp % 3:
        n *= 10
        exp -= 1
    if fmt == DECIMAL_EXPONENT:
        return f"{sign}{n}" + (f"e{exp}" if exp else "")
    return f"{sign}{n}{_DEC_BY_EXP.get(exp, '')}"


def canonicalize(text: Any) -> str:
    """The string the API server stores and returns for a quantity (`0.5` -> `500m`)."""
    if isinstance(text, str):
        return _canonical_text(text)
    return str(parse(text))


@functools.lru_cache(maxsize=8192)
def _canonical_text(text: str) -> str:
    return str(parse(text))


def round_up_milli(text: Any) -> str:
    """SetDefaults_ResourceList: round up to milli scale (`1n` cpu -> `1m`), then canonicalize."""
    if isinstance(text, str):
        return _round_up_milli_text(text)
    return _round_up_milli(parse(text))


@functools.lru_cache(maxsize=8192)
def _round_up_milli_text(text: str) -> str:
    return _round_up_milli(parse(text))


def _round_up_milli(q: Quantity) -> str:
    v = q.value
    if v:
        v = Fraction(math.ceil(abs(v) * 1000), 1000) * (1 if v > 0 else -1)
    return str(Quantity(v, q.format))
