"""Events the scheduler records (core/v1), written in the background so binding never waits.

Mirrors what upstream's recorder produces for `Scheduled`, `FailedScheduling` and `Preempted`
(reportingComponent `default-scheduler`). Writes go through a bounded queue drained by a few
tasks that step aside while `busy()` says the scheduler is binding a burst (events wait, binds
do not); when the queue is full, new events are dropped and counted, as client-go's broadcaster
drops them when its channel is full.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime

from uwernetes.client import api

log = logging.getLogger(__name__)

MAX_QUEUED = 10000
WORKERS = 4
BUSY_PAUSE = 0.05


_HOST = socket.gethostname()
_last_second = [0, ""]


def _now() -> str:
    """RFC 3339 to the second, formatted once per second (a burst records thousands per second)."""
    sec = int(time.time())
    if sec != _last_second[0]:
        _last_second[0], _last_second[1] = sec, datetime.fromtimestamp(sec, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return _last_second[1]


def make_event(pod: dict, event_type: str, reason: str, action: str, message: str, component: str) -> dict:
    meta = pod.get("metadata") or {}
    now = _now()
    name = f"{meta.get('name', '')}.{time.time_ns():x}"
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": meta.get("namespace") or "default"},
        "involvedObject": {"apiVersion": "v1", "kind": "Pod", "namespace": meta.get("namespace", ""),
                           "name": meta.get("name", ""), "uid": meta.get("uid", ""),
                           "resourceVersion": meta.get("resourceVersion", "")},
        "reason": reason,
        "message": message[:1024],
        "type": event_type,
        "action": action,
        "source": {"component": component},
        "reportingComponent": component,
        "reportingInstance": f"{component}-{_HOST}",  # client-go's recorder: controller-hostname
        "firstTimestamp": now,
        "lastTimestamp": now,
        "count": 1,
    }


class EventRecorder:
    def __init__(self, client: api.Client, component: str = "default-scheduler",
                 busy: Callable[[], bool] | None = None) -> None:
        self.client = client
        self.busy = busy or (lambda: False)
        self.component = component
        self._queue: asyncio.Queue[dict] = asyncio.Queue(MAX_QUEUED)
        self._tasks: list[asyncio.Task] = []
        self.dropped = 0
        self.written = 0

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._worker()) for _ in range(WORKERS)]

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def record(self, pod: dict, event_type: str, reason: str, action: str, message: str) -> None:
        try:
            self._queue.put_nowait(make_event(pod, event_type, reason, action, message, self.component))
        except asyncio.QueueFull:
            self.dropped += 1

    async def _worker(self) -> None:
        while True:
            ev = await self._queue.get()
            while self.busy():
                await asyncio.sleep(BUSY_PAUSE)
            try:
                await self.client.create(api.EVENTS, ev)
                self.written += 1
            except asyncio.CancelledError:
                raise
            except Exception as e:  # events are best effort, as upstream's are
                log.debug("event %s/%s not written: %s", ev["involvedObject"]["name"], ev["reason"], e)
