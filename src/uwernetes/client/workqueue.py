"""A rate-limited work queue with client-go's guarantees: a key is queued at most once, and never
handed to two workers at the same time (a key re-added while processing is queued again after)."""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Hashable


class WorkQueue:
    def __init__(self, base_delay: float = 0.005, max_delay: float = 1000.0) -> None:
        self._queue: collections.deque[Hashable] = collections.deque()
        self._dirty: set[Hashable] = set()
        self._processing: set[Hashable] = set()
        self._failures: dict[Hashable, int] = {}
        self._wake = asyncio.Event()
        self._timers: dict[Hashable, asyncio.TimerHandle] = {}
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.shutting_down = False

    def __len__(self) -> int:
        return len(self._queue)

    def add(self, key: Hashable) -> None:
        if self.shutting_down or key in self._dirty:
            return
        self._dirty.add(key)
        if key in self._processing:
            return
        self._queue.append(key)
        self._wake.set()

    def add_after(self, key: Hashable, delay: float) -> None:
        if delay <= 0:
            self.add(key)
            return
        loop = asyncio.get_running_loop()
        existing = self._timers.get(key)
        when = loop.time() + delay
        if existing is not None:
            if existing.when() <= when:
                return  # an earlier wake-up is already scheduled
            existing.cancel()
        self._timers[key] = loop.call_at(when, self._fire_timer, key)

    def _fire_timer(self, key: Hashable) -> None:
        self._timers.pop(key, None)
        self.add(key)

    def add_rate_limited(self, key: Hashable) -> None:
        n = self._failures.get(key, 0)
        self._failures[key] = n + 1
        self.add_after(key, min(self.base_delay * (2**n), self.max_delay))

    def forget(self, key: Hashable) -> None:
        self._failures.pop(key, None)

    def num_requeues(self, key: Hashable) -> int:
        return self._failures.get(key, 0)

    async def get(self) -> Hashable:
        while not self._queue:
            if self.shutting_down:
                raise asyncio.CancelledError
            self._wake.clear()
            await self._wake.wait()
        key = self._queue.popleft()
        self._processing.add(key)
        self._dirty.discard(key)
        return key

    def done(self, key: Hashable) -> None:
        self._processing.discard(key)
        if key in self._dirty:
            self._queue.append(key)
            self._wake.set()

    def shutdown(self) -> None:
        self.shutting_down = True
        for t in self._timers.values():
            t.cancel()
        self._wake.set()
