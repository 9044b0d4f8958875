"""The storage interface every backend implements (SQLite embedded, etcd, memory).

Semantics follow etcd as the API server uses it: one revision counter for the whole store, every
write bumps it, each key carries the revision of its last change (its resourceVersion),
compare-and-swap on that revision, and a change feed replayable from any revision newer than the
last compaction.

Values are API objects as dicts; a backend stamps `metadata.resourceVersion` with the revision of
the write, so readers always see the version they would CAS against. `raw` is the same object as
JSON bytes, handed out so the hot read paths need not serialise again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

Obj = dict[str, Any]

ADDED, MODIFIED, DELETED = "ADDED", "MODIFIED", "DELETED"


@dataclass(slots=True)
class Entry:
    key: str
    obj: Obj
    raw: bytes
    rev: int


class Event:
    """One change. `prev` is the state before it (None for ADDED); a backend may give it as JSON
    (`prev_raw`) instead, decoded only if someone reads `prev` (watchers with selectors do)."""

    __slots__ = ("type", "key", "rev", "obj", "raw", "_prev", "prev_raw", "_lean", "_lines")

    def __init__(self, type: str, key: str, rev: int, obj: Obj, raw: bytes, prev: Obj | None = None,
                 prev_raw: bytes | None = None) -> None:
        self.type = type  # ADDED / MODIFIED / DELETED
        self.key = key
        self.rev = rev
        self.obj = obj  # for DELETED: the last state, stamped with the deletion revision
        self.raw = raw
        self._prev = prev
        self.prev_raw = prev_raw
        self._lean: bytes | None = None
        self._lines: dict[bool, bytes] | None = None

    @property
    def prev(self) -> Obj | None:
        if self._prev is None and self.prev_raw is not None:
            self._prev = orjson.loads(self.prev_raw)
        return self._prev

    @property
    def has_prev(self) -> bool:
        return self._prev is not None or self.prev_raw is not None

    def watch_line(self, lean: bool = False) -> bytes:
        """The event as one JSON watch line, built once and shared by every watcher it goes to
        (in-process readers then hash and compare one bytes object, not a copy per watcher)."""
        lines = self._lines
        if lines is None:
            lines = self._lines = {}
        line = lines.get(lean)
        if line is None:
            raw = self.raw_without_managed_fields() if lean else self.raw
            line = lines[lean] = b'{"type":"' + self.type.encode() + b'","object":' + raw + b"}\n"
        return line

    def raw_without_managed_fields(self) -> bytes:
        """The object's JSON without metadata.managedFields (for watchers that drop them anyway:
        a pod's managedFields are often half its JSON). Cut out of `raw`, computed once."""
        lean = self._lean
        if lean is None:
            lean = self._lean = _without_managed_fields(self.raw, self.obj)
        return lean

    def __repr__(self) -> str:
        return f"Event({self.type}, {self.key!r}, {self.rev})"


class StorageError(Exception):
    pass


class KeyExists(StorageError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class KeyNotFound(StorageError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class RevisionConflict(StorageError):
    """The key's current revision is not the one the caller expected."""

    def __init__(self, key: str, current: Entry | None) -> None:
        super().__init__(key)
        self.key = key
        self.current = current


class Compacted(StorageError):
    """The requested revision is older than the oldest kept one."""

    def __init__(self, requested: int, compacted: int) -> None:
        super().__init__(f"required revision {requested} has been compacted (oldest {compacted})")
        self.requested = requested
        self.compacted = compacted


class FutureRevision(StorageError):
    def __init__(self, requested: int, current: int) -> None:
        super().__init__(f"revision {requested} is newer than the current {current}")
        self.requested = requested
        self.current = current


class Store(Protocol):
    @property
    def revision(self) -> int: ...

    @property
    def compacted_revision(self) -> int: ...

    async def get(self, key: str) -> Entry | None: ...

    async def list(
        self, prefix: str, revision: int = 0, start_after: str = "", limit: int = 0
    ) -> tuple[list[Entry], int, bool]:
        """Entries under prefix at `revision` (0 = now), keys > start_after, at most `limit` (0 = all).

        Returns (entries, the revision read at, whether more remain)."""
        ...

    async def create(self, key: str, obj: Obj) -> Entry: ...

    async def update(self, key: str, obj: Obj, expected_rev: int) -> Entry:
        """Replace key's value if its revision is still `expected_rev` (0 = unconditional)."""
        ...

    async def delete(self, key: str, expected_rev: int = 0) -> Entry:
        """Remove key; returns the deleted entry stamped with the deletion revision."""
        ...

    def watch(self, prefix: str, after_rev: int) -> AsyncIterator[Event]:
        """Every change under prefix with revision > after_rev, in order, forever."""
        ...

    async def compact(self, revision: int) -> None: ...

    async def close(self) -> None: ...


def _without_managed_fields(raw: bytes, obj: Obj) -> bytes:
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    fields = meta.get("managedFields") if isinstance(meta, dict) else None
    if fields is None:
        return raw
    # `raw` is orjson's encoding of `obj`, so the member's bytes are found verbatim; anything
    # else (a store writing differently) falls back to encoding the object again.
    member = b'"managedFields":' + orjson.dumps(fields)
    at = raw.find(member)
    if at < 0 or raw.find(member, at + 1) >= 0:
        lean_meta = {k: v for k, v in meta.items() if k != "managedFields"}
        return orjson.dumps({**obj, "metadata": lean_meta})
    end = at + len(member)
    if raw[at - 1:at] == b",":
        at -= 1
    elif raw[end:end + 1] == b",":
        end += 1
    return raw[:at] + raw[end:]
