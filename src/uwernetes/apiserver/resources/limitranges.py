"""LimitRanges (core/v1): upstream v1.30's `pkg/registry/core/limitrange/strategy.go`,
`ValidateLimitRange`, `SetDefaults_LimitRangeItem` and `printLimitRange`.

Upstream passes `resource.Quantity` values as the bad value of these errors; `Quantity.String`
has a pointer receiver, so the field error prints the struct with `%#v`. `go_quantity` renders
that struct the way ParseQuantity leaves it (integer amount, scale, cached canonical text).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from uwernetes.apiserver.resources import core_common as common
from uwernetes.apiserver.resources import persistentvolumes as pvs
from uwernetes.apiserver.resources import podspec
from uwernetes.apiserver.resources.base import Column, Context, Obj, Printer, ResourceType, Strategy
from uwernetes.machinery import field, quantity, validation
from uwernetes.machinery.field import FieldError, Path
from uwernetes.machinery.meta import parse_time

LIMIT_TYPES = ("Pod", "Container", "PersistentVolumeClaim")
_QTY = re.compile(r"^([+-]?)(0*)([0-9]*)(?:\.([0-9]*))?([eEinumkKMGTP]*[-+]?[0-9]*)$")
_DEC = {"": 0, "n": -9, "u": -6, "m": -3, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BIN = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_INT64_MAX = 2**63 - 1


def _go_amount(text: str) -> tuple[int, int, str, str] | None:
    """ParseQuantity's int64 fast path: (value, scale, cached text, format), None when it is not taken."""
    m = _QTY.match(text.strip())
    if not m:
        return None
    sign, _zeros, num, denom, suffix = m.groups()
    num, denom = num or "0", denom or ""
    if suffix in _BIN:
        fmt, exponent = quantity.BINARY_SI, _BIN[suffix]
    elif suffix in _DEC:
        fmt, exponent = quantity.DECIMAL_SI, _DEC[suffix]
    elif suffix[:1] in ("e", "E") and re.fullmatch(r"[+-]?[0-9]+", suffix[1:]):
        fmt, exponent = quantity.DECIMAL_EXPONENT, int(suffix[1:])
    else:
        return None
    mantissa = 1
    if fmt == quantity.BINARY_SI:
        scale = 0
        if exponent >= 0 and not denom:
            mantissa = 1 << exponent
            precision = 15 - len(num) - int(exponent * 3 / 10) - 1
        else:
            precision = -1
    else:
        scale = exponent
        precision = 18 - (len(num) + len(denom))
    if precision < 0:
        return None
    scale -= len(denom)
    if scale < -9:
        return None
    shifted = num + denom
    value = int(shifted) * mantissa
    if value > _INT64_MAX:
        return None
    if fmt == quantity.BINARY_SI:
        cached = exponent % 10 == 0 and int(shifted) & 0x07 != 0
    else:
        cached = scale % 3 == 0 and not shifted.endswith("000") and shifted[0] != "0"
    return (-value if sign == "-" else value), scale, (text.strip() if cached else ""), fmt


def go_quantity(text: Any) -> common.GoLiteral:
    """`%#v` of a decoded and defaulted (rounded up to milli) resource.Quantity."""
    amount = _go_amount(str(text))
    if amount is None:
        # The big-number path keeps an *inf.Dec whose address Go prints; a fixed one stands in.
        fmt = quantity.parse(text).format
        return common.GoLiteral(
            "resource.Quantity{i:resource.int64Amount{value:0, scale:0}, "
            f'd:resource.infDecAmount{{Dec:(*inf.Dec)(0xc000000000)}}, s:"", Format:"{fmt}"}}'
        )
    value, scale, cached, fmt = amount
    if scale < -3:
        # SetDefaults_ResourceList: RoundUp(milli) drops the cached text when it rescales.
        div = 10 ** (-3 - scale)
        q, r = abs(value) // div, abs(value) % div
        value = (q + (1 if r else 0)) * (1 if value >= 0 else -1)
        scale, cached = -3, ""
    return common.GoLiteral(
        f"resource.Quantity{{i:resource.int64Amount{{value:{value}, scale:{scale}}}, "
        f'd:resource.infDecAmount{{Dec:(*inf.Dec)(nil)}}, s:{field.go_quote(cached)}, Format:"{fmt}"}}'
    )


def _ratio_text(v: float) -> str:
    """Go's %f."""
    return f"{v:f}"


def _resource_name_errors(limit_type: str, name: str, path: Path) -> list[FieldError]:
    """validateLimitRangeResourceName: container names for Pod/Container, plain names otherwise."""
    if limit_type in ("Pod", "Container"):
        return podspec._resource_name_errors(name, path)
    errs = [field.invalid(path, name, m) for m in validation.is_qualified_name(name)]
    if not errs and "/" not in name and name not in podspec._STANDARD_RESOURCES and not name.startswith("hugepages-"):
        errs.append(field.invalid(path, name, "must be a standard resource type or fully qualified"))
    return errs


def _validate_type(value: str, path: Path) -> list[FieldError]:
    errs = [field.invalid(path, value, m) for m in validation.is_qualified_name(value)]
    if not errs and "/" not in value and value not in LIMIT_TYPES:
        errs.append(field.invalid(path, value, "must be a standard limit type or fully qualified"))
    return errs


def _milli(text: Any) -> int:
    return quantity.parse(text).milli_value()


def validate_limit_range(lr: Obj) -> list[FieldError]:
    errs: list[FieldError] = []
    seen: set[str] = set()
    lp = Path("spec", "limits")
    for i, item in enumerate(((lr.get("spec") or {}).get("limits")) or ()):
        item = item if isinstance(item, dict) else {}
        ip = lp.index(i)
        ltype = item.get("type") or ""
        errs.extend(_validate_type(ltype, ip.child("type")))
        if ltype in seen:
            errs.append(field.duplicate(ip.child("type"), ltype))
        seen.add(ltype)
        groups: dict[str, dict[str, Any]] = {}
        keys: list[str] = []
        order = ["max", "min"] + ([] if ltype == "Pod" else ["default", "defaultRequest"])
        if ltype == "Pod":
            for key in ("default", "defaultRequest"):
                if item.get(key):
                    errs.append(field.forbidden(ip.child(key), "may not be specified when `type` is 'Pod'"))
        for key in order:
            groups[key] = dict(item.get(key) or {})
            for res in groups[key]:
                errs.extend(_resource_name_errors(ltype, res, ip.child(key).key(res)))
                if res not in keys:
                    keys.append(res)
        if ltype == "PersistentVolumeClaim" and "storage" not in (item.get("min") or {}) and "storage" not in (item.get("max") or {}):
            errs.append(field.required(ip.child("limits"), "either minimum or maximum storage value is required, but neither was provided"))
        groups["maxLimitRequestRatio"] = dict(item.get("maxLimitRequestRatio") or {})
        for res in groups["maxLimitRequestRatio"]:
            errs.extend(_resource_name_errors(ltype, res, ip.child("maxLimitRequestRatio").key(res)))
            if res not in keys:
                keys.append(res)
        for k in sorted(keys):
            errs.extend(_check_bounds(groups, k, ip))
    return errs


def _check_bounds(groups: dict[str, dict[str, Any]], k: str, ip: Path) -> list[FieldError]:
    """min <= defaultRequest <= default <= max, and the ratio limits, with upstream's messages."""
    errs: list[FieldError] = []
    lo, hi = groups["min"].get(k), groups["max"].get(k)
    dflt, dreq = groups.get("default", {}).get(k), groups.get("defaultRequest", {}).get(k)
    ratio = groups["maxLimitRequestRatio"].get(k)
    q = {name: quantity.parse(v) for name, v in (("min", lo), ("max", hi), ("default", dflt), ("defaultRequest", dreq), ("ratio", ratio)) if v is not None}
    s = {name: str(v) for name, v in q.items()}

    def bad(child: str, raw: Any, detail: str) -> None:
        errs.append(field.invalid(ip.child(child).key(k), go_quantity(raw), detail))

    if lo is not None and hi is not None and q["min"].cmp(q["max"]) > 0:
        bad("min", lo, f"min value {s['min']} is greater than max value {s['max']}")
    if dreq is not None and lo is not None and q["min"].cmp(q["defaultRequest"]) > 0:
        bad("defaultRequest", dreq, f"min value {s['min']} is greater than default request value {s['defaultRequest']}")
    if dreq is not None and hi is not None and q["defaultRequest"].cmp(q["max"]) > 0:
        bad("defaultRequest", dreq, f"default request value {s['defaultRequest']} is greater than max value {s['max']}")
    if dreq is not None and dflt is not None and q["defaultRequest"].cmp(q["default"]) > 0:
        bad("defaultRequest", dreq, f"default request value {s['defaultRequest']} is greater than default limit value {s['default']}")
    if dflt is not None and lo is not None and q["min"].cmp(q["default"]) > 0:
        bad("default", lo, f"min value {s['min']} is greater than default value {s['default']}")
    if dflt is not None and hi is not None and q["default"].cmp(q["max"]) > 0:
        bad("default", hi, f"default value {s['default']} is greater than max value {s['max']}")
    if ratio is not None and q["ratio"].value < 1:
        bad("maxLimitRequestRatio", ratio, f"ratio {s['ratio']} is less than 1")
    if ratio is not None and lo is not None and hi is not None:
        limit = _milli(hi) / _milli(lo) if _milli(lo) else float("inf")
        if _milli(ratio) / 1000 > limit:
            bad("maxLimitRequestRatio", ratio, f"ratio {s['ratio']} is greater than max/min = {_ratio_text(limit)}")
    if not podspec._overcommit_allowed(k) and dflt is not None and dreq is not None and q["default"].cmp(q["defaultRequest"]) != 0:
        bad("defaultRequest", dreq, f"default value {s['default']} must equal to defaultRequest value {s['defaultRequest']} in {k}")
    return errs


def default_limit_range(lr: Obj) -> None:
    """SetDefaults_LimitRangeItem: a Container's default falls back to max, its request to default then min."""
    for item in ((lr.get("spec") or {}).get("limits")) or ():
        if not isinstance(item, dict):
            continue
        for key in ("max", "min", "default", "defaultRequest", "maxLimitRequestRatio"):
            pvs.default_resource_list(item.get(key), "LimitRange")
        if item.get("type") != "Container":
            continue
        default = dict(item.get("default") or {})
        request = dict(item.get("defaultRequest") or {})
        for k, v in (item.get("max") or {}).items():
            default.setdefault(k, v)
        for k, v in default.items():
            request.setdefault(k, v)
        for k, v in (item.get("min") or {}).items():
            request.setdefault(k, v)
        if default:
            item["default"] = default
        if request:
            item["defaultRequest"] = request


class LimitRangeStrategy(Strategy):
    tracks_generation = False

    def default(self, obj: Obj) -> None:
        default_limit_range(obj)

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return validate_limit_range(obj)

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_limit_range(new)


def created_at(obj: Obj) -> str:
    """The creation time as RFC 3339 in UTC (metav1.Time's JSON form)."""
    ts = (obj.get("metadata") or {}).get("creationTimestamp")
    if not ts:
        return "null"
    return parse_time(ts).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def table_row(lr: Obj, now: datetime | None = None) -> list[Any]:
    return [common.name_of(lr), created_at(lr)]


PRINTER = Printer(
    columns=[common.name_column(), Column("Created At", "date", description=common.AGE_DESCRIPTION)],
    row=table_row,
)

LIMITRANGES = ResourceType(
    group="",
    version="v1",
    kind="LimitRange",
    plural="limitranges",
    namespaced=True,
    short_names=("limits",),
    strategy=LimitRangeStrategy(),
    printer=PRINTER,
)
