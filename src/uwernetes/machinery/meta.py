"""Small helpers on object metadata: timestamps, uids, names. Objects are plain JSON dicts."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson

_ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"  # upstream's generateName alphabet (no vowels, no confusables)


def now_rfc3339() -> str:
    """metav1.Time: second precision, `Z` suffix."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_micro() -> str:
    """metav1.MicroTime (events, leases)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    """Parse RFC 3339 with `Z` or a numeric offset, with or without fractions."""
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt


def format_time(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_rng = random.Random()


def new_uid() -> str:
    """A random (version 4) UUID. Uniqueness, not secrecy, is what uids need, so a fast PRNG does."""
    return str(uuid.UUID(int=_rng.getrandbits(128), version=4))


def generate_name(prefix: str) -> str:
    """`generateName` + 5 random characters, like upstream's SimpleNameGenerator."""
    suffix = "".join(_rng.choices(_ALPHANUMS, k=5))
    base = prefix[: 253 - 5]
    return base + suffix


def meta(obj: dict[str, Any]) -> dict[str, Any]:
    m = obj.get("metadata")
    if not isinstance(m, dict):
        m = {}
        obj["metadata"] = m
    return m


def condition(obj: dict[str, Any], ctype: str) -> dict[str, Any] | None:
    for c in (obj.get("status") or {}).get("conditions") or ():
        if c.get("type") == ctype:
            return c
    return None


def deep_copy(obj: Any) -> Any:
    """JSON-shaped deep copy; several times faster than copy.deepcopy for API objects."""
    return orjson.loads(orjson.dumps(obj))
