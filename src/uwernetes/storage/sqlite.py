"""Embedded storage on SQLite: WAL, synchronous=FULL, one writer thread with group commit.

Tables:
- `objects`: the current value of every live key (point reads and current lists).
- `revisions`: every version of every key (MVCC history, like etcd's): watches resume from it and
  paginated lists read a consistent snapshot from it. Compaction drops versions that a newer one
  at or below the compacted revision supersedes.
- `meta`: the revision counter and the compacted revision.

Writes are queued to one thread that runs everything queued in one transaction and commits it
once: a client is answered only after its commit is durable, yet many writes share each fsync.
Reads run on the event loop's own connection: short point reads are faster called directly than
handed to a thread.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from uwernetes.storage.interface import (
    ADDED,
    DELETED,
    MODIFIED,
    Compacted,
    Entry,
    Event,
    FutureRevision,
    KeyExists,
    KeyNotFound,
    Obj,
    RevisionConflict,
)

log = logging.getLogger(__name__)

_OP_PUT, _OP_DELETE = 0, 1
_BATCH_MAX = 2000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    key TEXT PRIMARY KEY,
    value BLOB NOT NULL,
    mod_rev INTEGER NOT NULL,
    create_rev INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS revisions (
    rev INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    op INTEGER NOT NULL,
    value BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS revisions_key_rev ON revisions (key, rev);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta VALUES ('revision', 0), ('compacted', 0);
"""


def _prefix_end(prefix: str) -> str:
    """The smallest string greater than every string starting with prefix."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _stamp(obj: Obj, rev: int) -> bytes:
    meta = obj.get("metadata")
    if meta is None:
        meta = obj["metadata"] = {}
    meta["resourceVersion"] = str(rev)
    return orjson.dumps(obj)


@dataclass(slots=True)
class _Write:
    op: str  # create / update / delete
    key: str
    obj: Obj | None
    expected_rev: int
    future: asyncio.Future
    result: Any = None
    error: Exception | None = None
    event: Event | None = None


@dataclass
class _Watcher:
    prefix: str
    queue: asyncio.Queue = field(default_factory=asyncio.Queue)


class SQLiteStore:
    def __init__(self, path: str, *, synchronous: str = "FULL") -> None:
        self.path = path
        self._synchronous = synchronous
        self._reader = self._connect()
        self._reader.executescript(_SCHEMA)
        self._reader.commit()
        row = dict(self._reader.execute("SELECT name, value FROM meta").fetchall())
        self._revision: int = row["revision"]
        self._compacted: int = row["compacted"]
        self._watchers: list[_Watcher] = []
        self._subscribers: list[tuple[str, Any, Any]] = []
        self._queue: queue.SimpleQueue[_Write | None] = queue.SimpleQueue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._closed = False

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={self._synchronous}")
        conn.execute("PRAGMA busy_timeout=10000")
        return conn

    # --- lifecycle ---

    def _ensure_writer(self) -> None:
        if self._thread is None:
            self._loop = asyncio.get_running_loop()
            self._thread = threading.Thread(target=self._writer_main, name="sqlite-writer", daemon=True)
            self._thread.start()

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._thread is not None:
            self._queue.put(None)
            await asyncio.get_running_loop().run_in_executor(None, self._thread.join)
        self._reader.close()
        for w in self._watchers:
            w.queue.put_nowait(None)

    @property
    def revision(self) -> int:
        return self._revision

    @property
    def compacted_revision(self) -> int:
        return self._compacted

    # --- reads (event loop thread) ---

    async def get(self, key: str) -> Entry | None:
        return self.get_now(key)

    def get_now(self, key: str) -> Entry | None:
        row = self._reader.execute("SELECT value, mod_rev FROM objects WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        return Entry(key, orjson.loads(row[0]), row[0], row[1])

    def get_raw(self, key: str) -> bytes | None:
        row = self._reader.execute("SELECT value FROM objects WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    async def list(
        self, prefix: str, revision: int = 0, start_after: str = "", limit: int = 0
    ) -> tuple[list[Entry], int, bool]:
        lo = start_after + "\x00" if start_after else prefix
        hi = _prefix_end(prefix)
        fetch = limit + 1 if limit else -1
        if revision == 0 or revision == self._revision:
            rows = self._reader.execute(
                "SELECT key, value, mod_rev FROM objects WHERE key >= ? AND key < ? ORDER BY key LIMIT ?",
                (lo, hi, fetch),
            ).fetchall()
            at = self._revision
        else:
            if revision < self._compacted:
                raise Compacted(revision, self._compacted)
            if revision > self._revision:
                raise FutureRevision(revision, self._revision)
            rows = self._reader.execute(
                """SELECT r.key, r.value, r.rev FROM revisions r
                   WHERE r.key >= ? AND r.key < ? AND r.rev <= ? AND r.op = 0
                     AND r.rev = (SELECT MAX(rev) FROM revisions WHERE key = r.key AND rev <= ?)
                   ORDER BY r.key LIMIT ?""",
                (lo, hi, revision, revision, fetch),
            ).fetchall()
            at = revision
        more = bool(limit) and len(rows) > limit
        if more:
            rows = rows[:limit]
        return [Entry(k, orjson.loads(v), v, r) for k, v, r in rows], at, more

    def count(self, prefix: str) -> int:
        return self._reader.execute(
            "SELECT COUNT(*) FROM objects WHERE key >= ? AND key < ?", (prefix, _prefix_end(prefix))
        ).fetchone()[0]

    # --- writes (queued to the writer thread) ---

    def _submit(self, op: str, key: str, obj: Obj | None, expected_rev: int) -> asyncio.Future:
        if self._closed:
            raise RuntimeError("store is closed")
        self._ensure_writer()
        fut = asyncio.get_running_loop().create_future()
        self._queue.put(_Write(op, key, obj, expected_rev, fut))
        return fut

    async def create(self, key: str, obj: Obj) -> Entry:
        return await self._submit("create", key, obj, 0)

    async def update(self, key: str, obj: Obj, expected_rev: int) -> Entry:
        return await self._submit("update", key, obj, expected_rev)

    async def delete(self, key: str, expected_rev: int = 0) -> Entry:
        return await self._submit("delete", key, None, expected_rev)

    def _writer_main(self) -> None:
        conn = self._connect()
        revision = self._revision
        while True:
            first = self._queue.get()
            if first is None:
                break
            batch = [first]
            stop = False
            while len(batch) < _BATCH_MAX:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                batch.append(nxt)
            start_rev = revision
            try:
                conn.execute("BEGIN IMMEDIATE")
                for w in batch:
                    revision = self._apply(conn, w, revision)
                if revision != start_rev:
                    conn.execute("UPDATE meta SET value = ? WHERE name = 'revision'", (revision,))
                conn.execute("COMMIT")
            except Exception as exc:  # the whole batch failed: nobody's write is durable
                log.exception("sqlite commit failed")
                conn.execute("ROLLBACK") if conn.in_transaction else None
                revision = start_rev
                for w in batch:
                    w.error, w.event, w.result = exc, None, None
            assert self._loop is not None
            self._loop.call_soon_threadsafe(self._complete, batch, revision)
            if stop:
                break
        conn.close()

    def _apply(self, conn: sqlite3.Connection, w: _Write, revision: int) -> int:
        row = conn.execute("SELECT value, mod_rev, create_rev FROM objects WHERE key = ?", (w.key,)).fetchone()
        if w.op == "create":
            if row is not None:
                w.error = KeyExists(w.key)
                return revision
            rev = revision + 1
            raw = _stamp(w.obj, rev)
            conn.execute("INSERT INTO objects VALUES (?, ?, ?, ?)", (w.key, raw, rev, rev))
            conn.execute("INSERT INTO revisions VALUES (?, ?, ?, ?)", (rev, w.key, _OP_PUT, raw))
            w.result = Entry(w.key, w.obj, raw, rev)
            w.event = Event(ADDED, w.key, rev, w.obj, raw, None)
            return rev
        if row is None:
            w.error = KeyNotFound(w.key)
            return revision
        current = Entry(w.key, None, row[0], row[1])  # obj parsed lazily by the caller if needed
        if w.expected_rev and row[1] != w.expected_rev:
            w.error = RevisionConflict(w.key, current)
            return revision
        rev = revision + 1
        # The previous state travels as JSON: decoded only if a selector needs it (most watchers
        # have none), never here on the writer thread.
        prev_raw = row[0]
        if w.op == "update":
            raw = _stamp(w.obj, rev)
            conn.execute("UPDATE objects SET value = ?, mod_rev = ? WHERE key = ?", (raw, rev, w.key))
            conn.execute("INSERT INTO revisions VALUES (?, ?, ?, ?)", (rev, w.key, _OP_PUT, raw))
            w.result = Entry(w.key, w.obj, raw, rev)
            w.event = Event(MODIFIED, w.key, rev, w.obj, raw, prev_raw=prev_raw)
        else:
            last = orjson.loads(prev_raw)
            raw = _stamp(last, rev)
            conn.execute("DELETE FROM objects WHERE key = ?", (w.key,))
            conn.execute("INSERT INTO revisions VALUES (?, ?, ?, ?)", (rev, w.key, _OP_DELETE, raw))
            w.result = Entry(w.key, last, raw, rev)
            w.event = Event(DELETED, w.key, rev, last, raw, prev_raw=prev_raw)
        return rev

    def subscribe(self, prefix: str, on_event, on_revision) -> Any:
        """Call on_event(ev) for each change under prefix and on_revision(rev) after each commit,
        synchronously on the loop before any writer hears back. Returns the unsubscribe function."""
        sub = (prefix, on_event, on_revision)
        self._subscribers.append(sub)
        return lambda: self._subscribers.remove(sub) if sub in self._subscribers else None

    def _complete(self, batch: list[_Write], revision: int) -> None:
        """On the loop: publish the batch's events in order, then answer the writers."""
        self._revision = revision
        watchers = self._watchers
        subscribers = self._subscribers
        for w in batch:
            ev = w.event
            if ev is None:
                continue
            for prefix, on_event, _ in subscribers:
                if ev.key.startswith(prefix):
                    try:
                        on_event(ev)
                    except Exception:
                        log.exception("subscriber failed on %s", ev.key)
            for watcher in watchers:
                if ev.key.startswith(watcher.prefix):
                    watcher.queue.put_nowait(ev)
        for _, _, on_revision in subscribers:
            on_revision(revision)
        for w in batch:
            if w.future.done():
                continue
            if w.error is not None:
                if isinstance(w.error, RevisionConflict) and w.error.current is not None:
                    cur = w.error.current
                    cur.obj = orjson.loads(cur.raw)
                w.future.set_exception(w.error)
            else:
                w.future.set_result(w.result)

    # --- watch ---

    async def watch(self, prefix: str, after_rev: int) -> AsyncIterator[Event]:
        if after_rev < self._compacted:
            raise Compacted(after_rev, self._compacted)
        watcher = _Watcher(prefix)
        self._watchers.append(watcher)
        try:
            # Registered before reading history, so nothing committed from here on is missed;
            # history covers (after_rev, now], the queue everything later.
            upto = self._revision
            last = after_rev
            if after_rev < upto:
                for ev in self._history(prefix, after_rev, upto):
                    last = ev.rev
                    yield ev
            last = max(last, upto)
            while True:
                ev = await watcher.queue.get()
                if ev is None:
                    return
                if ev.rev > last:
                    last = ev.rev
                    yield ev
        finally:
            self._watchers.remove(watcher)

    def _history(self, prefix: str, after_rev: int, upto: int) -> list[Event]:
        rows = self._reader.execute(
            """SELECT r.rev, r.key, r.op, r.value, p.op, p.value FROM revisions r
               LEFT JOIN revisions p
                 ON p.rev = (SELECT MAX(rev) FROM revisions WHERE key = r.key AND rev < r.rev)
               WHERE r.rev > ? AND r.rev <= ? AND r.key >= ? AND r.key < ? ORDER BY r.rev""",
            (after_rev, upto, prefix, _prefix_end(prefix)),
        ).fetchall()
        events = []
        for rev, key, op, value, prev_op, prev_raw in rows:
            had = prev_raw is not None and prev_op == _OP_PUT
            if op == _OP_DELETE:
                etype = DELETED
            else:
                etype = MODIFIED if had else ADDED
            events.append(Event(etype, key, rev, orjson.loads(value), value, prev_raw=prev_raw if had else None))
        return events

    # --- compaction ---

    async def compact(self, revision: int) -> None:
        """Forget versions superseded at or below `revision` (etcd's compaction)."""
        revision = min(revision, self._revision)
        if revision <= self._compacted:
            return
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self._compact_sync, revision)
        self._compacted = revision

    def _compact_sync(self, revision: int) -> None:
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                """DELETE FROM revisions WHERE rev <= ? AND (
                       op = 1 OR EXISTS (SELECT 1 FROM revisions n WHERE n.key = revisions.key
                                         AND n.rev > revisions.rev AND n.rev <= ?))""",
                (revision, revision),
            )
            conn.execute("UPDATE meta SET value = ? WHERE name = 'compacted'", (revision,))
            conn.execute("COMMIT")
        finally:
            conn.close()
