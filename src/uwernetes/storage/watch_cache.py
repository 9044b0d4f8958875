"""The API server's watch cache: one per resource, current objects plus a bounded event history.

It serves watches (replayed from any revision still in its history) and lists from memory, and
filters events per watcher: an object that stops matching a watcher's selector reaches it as
DELETED, one that starts matching as ADDED, as upstream's cacher does.

With an in-process store it subscribes synchronously, so it is exactly as fresh as the store the
moment any write is acknowledged; with a remote store it follows the store's watch.
"""

from __future__ import annotations

import asyncio
import collections
import copy
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from uwernetes.storage.interface import ADDED, DELETED, MODIFIED, Entry, Event, Obj

log = logging.getLogger(__name__)

DEFAULT_HISTORY = 20000
HISTORY_BYTES = 256 << 20  # per resource: 20,000 pods of ~4 KB fit many times over
WATCHER_BUFFER = 100000

Filter = Callable[[Obj], bool]


class TooOld(Exception):
    def __init__(self, requested: int, oldest: int) -> None:
        super().__init__(f"too old resource version: {requested} ({oldest})")
        self.requested = requested
        self.oldest = oldest


@dataclass(eq=False)
class CacheWatcher:
    """One watch stream's mailbox; the HTTP side drains it in batches."""

    matches: Filter
    pending: collections.deque = field(default_factory=collections.deque)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    # Keys whose last state this watcher saw matched its selector: for them the state before a
    # change is known to match without decoding it (see WatchCache._deliver).
    matched: set = field(default_factory=set)
    closed: bool = False
    overflowed: bool = False

    def offer(self, ev: Event) -> None:
        if self.closed:
            return
        if len(self.pending) >= WATCHER_BUFFER:
            # A consumer this far behind is cut off, as upstream does; the client re-lists.
            self.overflowed = True
            self.closed = True
        else:
            self.pending.append(ev)
        self.wake.set()

    def close(self) -> None:
        self.closed = True
        self.wake.set()

    def drain(self) -> list[Event]:
        items = list(self.pending)
        self.pending.clear()
        self.wake.clear()
        return items


class CachedEntry:
    """A current object as the cache keeps it: its JSON only, decoded on each read.

    A decoded object costs about seven times its JSON in memory; at 100,000 pods that is
    gigabytes, while a read decodes one object in microseconds. Every read gets its own
    fresh dict, so no caller can change what the cache holds.
    """

    __slots__ = ("key", "raw", "rev")

    def __init__(self, key: str, raw: bytes, rev: int) -> None:
        self.key = key
        self.raw = raw
        self.rev = rev

    @property
    def obj(self) -> Obj:
        return orjson.loads(self.raw)


@dataclass(slots=True)
class _Past:
    """A history entry: the event as bytes, decoded again only when a watch replays it."""

    type: str
    key: str
    rev: int
    raw: bytes
    prev_raw: bytes | None

    def event(self) -> Event:
        return Event(self.type, self.key, self.rev, orjson.loads(self.raw), self.raw, prev_raw=self.prev_raw)


def _restamp(obj: Obj, rev: int) -> tuple[Obj, bytes]:
    out = copy.copy(obj)
    out["metadata"] = dict(obj.get("metadata") or {}, resourceVersion=str(rev))
    return out, orjson.dumps(out)


class WatchCache:
    def __init__(self, store: Any, prefix: str, history: int = DEFAULT_HISTORY) -> None:
        self.store = store
        self.prefix = prefix
        self.objects: dict[str, CachedEntry] = {}
        # History keeps bytes, not dicts: a decoded object costs ~7x its JSON, and replays are rare.
        self.history: collections.deque[_Past] = collections.deque(maxlen=history)
        self._history_bytes = 0
        self.revision = 0  # the store revision this cache reflects
        self.oldest = 0  # watches from before this revision cannot be replayed
        self.watchers: set[CacheWatcher] = set()
        self._ready = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self.in_process = hasattr(store, "subscribe")

    async def start(self) -> None:
        if self.in_process:
            # Subscribe first, then list: both happen without yielding, so nothing falls between.
            self._unsubscribe = self.store.subscribe(self.prefix, self._on_event, self._on_revision)
            entries, rev, _ = await self.store.list(self.prefix)
            self._load(entries, rev)
        else:
            entries, rev, _ = await self.store.list(self.prefix)
            self._load(entries, rev)
            self._task = asyncio.create_task(self._follow(rev))

    def _load(self, entries: list[Entry], rev: int) -> None:
        self.objects = {e.key: CachedEntry(e.key, e.raw, e.rev) for e in entries}
        self.revision = rev
        self.oldest = rev
        self._ready.set()

    async def _follow(self, rev: int) -> None:
        try:
            async for ev in self.store.watch(self.prefix, rev):
                self._on_event(ev)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("watch cache for %s stopped", self.prefix)

    async def stop(self) -> None:
        if self._unsubscribe:
            self._unsubscribe()
        if self._task:
            self._task.cancel()
        for w in list(self.watchers):
            w.close()

    async def ready(self) -> None:
        await self._ready.wait()

    async def fresh(self) -> None:
        """Wait until the cache reflects every write the store has acknowledged."""
        await self._ready.wait()
        if self.in_process:
            return
        target = self.store.revision
        while self.revision < target:
            await asyncio.sleep(0.001)

    def _on_revision(self, rev: int) -> None:
        if rev > self.revision:
            self.revision = rev

    def _on_event(self, ev: Event) -> None:
        before = self.objects.get(ev.key)
        if ev.type == DELETED:
            self.objects.pop(ev.key, None)
        else:
            self.objects[ev.key] = CachedEntry(ev.key, ev.raw, ev.rev)
        if len(self.history) == self.history.maxlen:
            self.oldest = self.history[0].rev
            self._history_bytes -= len(self.history[0].raw)
        # The previous state is the bytes the cache already holds (shared with the previous
        # event's history entry), not another copy of them.
        prev_raw = None
        if ev.has_prev:
            prev_raw = before.raw if before is not None else (ev.prev_raw or orjson.dumps(ev.prev))
        self.history.append(_Past(ev.type, ev.key, ev.rev, ev.raw, prev_raw))
        self._history_bytes += len(ev.raw)
        while self._history_bytes > HISTORY_BYTES and len(self.history) > 1:
            # Big objects: keep the history to a memory budget; older watches get 410 and re-list.
            gone = self.history.popleft()
            self._history_bytes -= len(gone.raw)
            self.oldest = gone.rev
        if ev.rev > self.revision:
            self.revision = ev.rev
        for w in self.watchers:
            self._deliver(w, ev)

    @staticmethod
    def _deliver(w: CacheWatcher, ev: Event) -> None:
        now = w.matches(ev.obj)
        if getattr(w.matches, "static", False):
            # Namespace and name never change: the old state matched exactly when the new does.
            before = ev.has_prev and now
        else:
            # Every change of a key passes here in order, so if the last state this watcher saw
            # matched, the state just before this change did; otherwise decode it and look.
            before = ev.has_prev and (ev.key in w.matched or w.matches(ev.prev))
            if now and ev.type != DELETED:
                w.matched.add(ev.key)
            else:
                w.matched.discard(ev.key)
        if ev.type == DELETED:
            if now or before:
                w.offer(ev)
        elif ev.type == ADDED:
            if now:
                w.offer(ev)
        elif now and before:
            w.offer(ev)
        elif now:
            w.offer(Event(ADDED, ev.key, ev.rev, ev.obj, ev.raw, ev.prev, ev.prev_raw))
        elif before:
            obj, raw = _restamp(ev.prev, ev.rev)
            w.offer(Event(DELETED, ev.key, ev.rev, obj, raw, ev.prev, ev.prev_raw))

    # --- reads ---

    def list(self, matches: Filter | None = None) -> tuple[list[CachedEntry], int]:
        entries = sorted(self.objects.values(), key=lambda e: e.key) if matches is None else sorted(
            (e for e in self.objects.values() if matches(e.obj)), key=lambda e: e.key
        )
        return entries, self.revision

    def list_prefix(self, prefix: str, matches: Filter | None = None) -> tuple[list[CachedEntry], int]:
        """Entries whose key starts with prefix (a namespace's objects)."""
        out = [e for k, e in self.objects.items() if k.startswith(prefix) and (matches is None or matches(e.obj))]
        out.sort(key=lambda e: e.key)
        return out, self.revision

    def list_decoded(self, prefix: str, matches: Filter | None = None) -> tuple[list[tuple[str, Obj]], int]:
        """(key, object) pairs under prefix that match, in key order; each object decoded once."""
        whole = prefix == self.prefix
        keys = sorted(k for k in self.objects if whole or k.startswith(prefix))
        out: list[tuple[str, Obj]] = []
        for k in keys:
            obj = self.objects[k].obj
            if matches is None or matches(obj):
                out.append((k, obj))
        return out, self.revision

    def get(self, key: str) -> CachedEntry | None:
        return self.objects.get(key)

    def watch(self, after_rev: int | None, matches: Filter) -> CacheWatcher:
        """A watcher primed with what it missed: everything current when after_rev is None."""
        w = CacheWatcher(matches)
        if after_rev is None:
            for e in sorted(self.objects.values(), key=lambda e: e.rev):
                if matches(e.obj):
                    w.offer(Event(ADDED, e.key, e.rev, e.obj, e.raw, None))
        else:
            # Revisions the store has compacted away are expired here too, as they would be for a
            # watch served by the store itself.
            oldest = max(self.oldest, getattr(self.store, "compacted_revision", 0))
            if after_rev < oldest:
                raise TooOld(after_rev, oldest)
            for past in self.history:
                if past.rev > after_rev:
                    self._deliver(w, past.event())
        self.watchers.add(w)
        return w

    def unwatch(self, w: CacheWatcher) -> None:
        self.watchers.discard(w)
        w.close()


__all__ = ["WatchCache", "CacheWatcher", "TooOld", "ADDED", "MODIFIED", "DELETED"]
