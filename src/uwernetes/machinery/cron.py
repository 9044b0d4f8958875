"""Cron schedules as CronJobs read them: robfig/cron v3 `ParseStandard` and `Schedule.Next`.

Five fields (minute, hour, day of month, month, day of week) with `*`/`?`, lists, ranges,
steps and three-letter names, or a descriptor (`@hourly`, `@daily`/`@midnight`, `@weekly`,
`@monthly`, `@yearly`/`@annually`, `@every <duration>`), optionally prefixed by `TZ=`/`CRON_TZ=`.
Error strings are robfig's, since the API server returns them in validation messages.
Shared by the CronJob kind (validation) and the CronJob controller (scheduling).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

STAR = 1 << 63

# name, min, max, names
_FIELDS = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("dom", 1, 31, {}),
    ("month", 1, 12, {m: i + 1 for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}),
    ("dow", 0, 6, {d: i for i, d in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}),
)
_DESCRIPTORS = {
    "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
}
_DURATION_RE = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


class CronError(ValueError):
    pass


def _go_list(items: list[str]) -> str:
    return "[" + " ".join(items) + "]"


def parse_go_duration(text: str) -> float:
    """time.ParseDuration for the units robfig accepts after `@every`."""
    orig = text
    if text in ("0", "+0", "-0"):
        return 0.0
    sign = -1.0 if text.startswith("-") else 1.0
    text = text.lstrip("+-")
    pos, total = 0, 0.0
    if not text:
        raise CronError(f'time: invalid duration "{orig}"')
    while pos < len(text):
        m = _DURATION_RE.match(text, pos)
        if m is None:
            raise CronError(f'time: invalid duration "{orig}"')
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    return sign * total


def _parse_int(text: str) -> int:
    if not re.fullmatch(r"[+-]?\d+", text):
        raise CronError(f"failed to parse int from {text}: strconv.Atoi: parsing {_quote(text)}: invalid syntax")
    value = int(text)
    if value < 0:
        raise CronError(f"negative number ({value}) not allowed: {text}")
    return value


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _value(text: str, names: dict[str, int]) -> int:
    if names and text.lower() in names:
        return names[text.lower()]
    return _parse_int(text)


def _parse_range(expr: str, lo: int, hi: int, names: dict[str, int]) -> int:
    range_and_step = expr.split("/")
    low_high = range_and_step[0].split("-")
    single = len(low_high) == 1
    extra = 0
    if low_high[0] in ("*", "?"):
        start, end, extra = lo, hi, STAR
    else:
        start = _value(low_high[0], names)
        if len(low_high) == 1:
            end = start
        elif len(low_high) == 2:
            end = _value(low_high[1], names)
        else:
            raise CronError(f"too many hyphens: {expr}")
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step = _parse_int(range_and_step[1])
        if single:
            end = hi  # "N/step" means "N-max/step"
        if step > 1:
            extra = 0
    else:
        raise CronError(f"too many slashes: {expr}")
    if start < lo:
        raise CronError(f"beginning of range ({start}) below minimum ({lo}): {expr}")
    if end > hi:
        raise CronError(f"end of range ({end}) above maximum ({hi}): {expr}")
    if start > end:
        raise CronError(f"beginning of range ({start}) beyond end of range ({end}): {expr}")
    if step == 0:
        raise CronError(f"step of range should be a positive number: {expr}")
    bits = 0
    for v in range(start, end + 1, step):
        bits |= 1 << v
    return bits | extra


@dataclass(frozen=True)
class Schedule:
    minute: int = 0
    hour: int = 0
    dom: int = 0
    month: int = 0
    dow: int = 0
    every: float | None = None  # @every: a constant delay in seconds
    location: tzinfo | None = None

    def _day_matches(self, t: datetime) -> bool:
        dom_match = bool(1 << t.day & self.dom)
        dow_match = bool(1 << ((t.weekday() + 1) % 7) & self.dow)
        if self.dom & STAR or self.dow & STAR:
            return dom_match and dow_match
        return dom_match or dow_match

    def next(self, after: datetime) -> datetime | None:
        """The first activation strictly after `after` (an aware datetime); None if none within
        five years, as robfig returns the zero time."""
        if self.every is not None:
            delay = max(1.0, float(int(self.every)))
            return after.replace(microsecond=0) + timedelta(seconds=delay)
        zone = self.location or after.tzinfo
        local = after.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0) + timedelta(minutes=1)
        limit = local.year + 5
        t = local
        while t.year <= limit:
            if not 1 << t.month & self.month:
                t = (t.replace(day=1, hour=0, minute=0) + timedelta(days=32)).replace(day=1)
                continue
            if not self._day_matches(t):
                t = t.replace(hour=0, minute=0) + timedelta(days=1)
                continue
            if not 1 << t.hour & self.hour:
                t = t.replace(minute=0) + timedelta(hours=1)
                continue
            if not 1 << t.minute & self.minute:
                t += timedelta(minutes=1)
                continue
            return t.replace(tzinfo=zone).astimezone(after.tzinfo)
        return None


def load_location(name: str) -> tzinfo:
    """time.LoadLocation: "unknown time zone X" for names the tz database does not know."""
    if name in ("", "UTC"):
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CronError(f"unknown time zone {name}") from None


def parse_standard(spec: str) -> Schedule:
    """cron.ParseStandard."""
    if not spec:
        raise CronError("empty spec string")
    location: tzinfo | None = None
    if spec.startswith("TZ=") or spec.startswith("CRON_TZ="):
        i = spec.find(" ")
        eq = spec.find("=")
        name = spec[eq + 1 : i if i >= 0 else len(spec)]
        try:
            location = load_location(name)
        except CronError as e:
            raise CronError(f"provided bad location {name}: {e}") from None
        spec = spec[i:].strip() if i >= 0 else ""
    if spec.startswith("@"):
        if spec.startswith("@every "):
            try:
                delay = parse_go_duration(spec[len("@every "):])
            except CronError as e:
                raise CronError(f"failed to parse duration {spec}: {e}") from None
            return Schedule(every=delay, location=location)
        expanded = _DESCRIPTORS.get(spec)
        if expanded is None:
            raise CronError(f"unrecognized descriptor: {spec}")
        spec = expanded
    fields = spec.split()
    if len(fields) != 5:
        raise CronError(f"expected exactly 5 fields, found {len(fields)}: {_go_list(fields)}")
    values = []
    for text, (_, lo, hi, names) in zip(fields, _FIELDS, strict=True):
        bits = 0
        for expr in text.split(","):
            bits |= _parse_range(expr, lo, hi, names)
        values.append(bits)
    return Schedule(*values, location=location)
