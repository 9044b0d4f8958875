"""Human-readable ages as kubectl prints them (apimachinery `util/duration.HumanDuration`)."""

from __future__ import annotations

from datetime import UTC, datetime

from uwernetes.machinery.meta import parse_time


def human_duration(seconds: float) -> str:
    """`5s`, `3m2s`, `2d4h`, `1y2d`, ... following upstream's thresholds."""
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    s = int(seconds)
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        rem = s % 60
        return f"{minutes}m{rem}s" if rem else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        rem = minutes % 60
        return f"{hours}h{rem}m" if rem else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rem = hours % 24
        return f"{hours // 24}d{rem}h" if rem else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y{days}d" if days else f"{hours // 24 // 365}y"
    return f"{hours // 24 // 365}y"


def age(timestamp: str | None, now: datetime | None = None) -> str:
    """Age column text for an RFC 3339 timestamp; `<unknown>` when unset, as upstream."""
    if not timestamp:
        return "<unknown>"
    now = now or datetime.now(UTC)
    return human_duration((now - parse_time(timestamp)).total_seconds())
