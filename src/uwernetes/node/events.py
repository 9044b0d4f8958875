"""Events the node agent records about pods (core/v1, source component `kubelet`).

Only what the prober needs so far: `Unhealthy`, `ProbeWarning` and `Killing`, on a container
(`involvedObject.fieldPath: spec.containers{name}`, or `spec.initContainers{name}` for sidecars),
as `kubectl describe pod` shows them. Writes are fire-and-forget with a cap on writes in flight
(extra events are dropped and counted, as client-go's broadcaster drops them when full). A
repeat of the same event (same pod, container, type, reason and message) within ten minutes
bumps `count` and `lastTimestamp` of the first one instead of creating another, like the event
correlator's aggregation.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from uwernetes.client.api import EVENTS, APIError, Client

log = logging.getLogger(__name__)

MAX_IN_FLIGHT = 64
DEDUPE_SECONDS = 600.0
MAX_REMEMBERED = 4096


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def field_path(pod: Mapping[str, Any], container: str) -> str:
    for c in (pod.get("spec") or {}).get("initContainers") or []:
        if c.get("name") == container:
            return f"spec.initContainers{{{container}}}"
    return f"spec.containers{{{container}}}"


def make_event(pod: Mapping[str, Any], container: str, event_type: str, reason: str, message: str, *,
               node: str, now: str, name_suffix: int) -> dict[str, Any]:
    meta = pod.get("metadata") or {}
    ns = meta.get("namespace") or "default"
    involved: dict[str, Any] = {"kind": "Pod", "namespace": ns, "name": meta.get("name", ""), "uid": meta.get("uid", ""),
                                "apiVersion": "v1", "resourceVersion": meta.get("resourceVersion", "")}
    if container:
        involved["fieldPath"] = field_path(pod, container)
    return {"apiVersion": "v1", "kind": "Event",
            "metadata": {"name": f"{meta.get('name', '')}.{name_suffix:x}", "namespace": ns},
            "involvedObject": involved, "reason": reason, "message": message[:1024], "type": event_type,
            "source": {"component": "kubelet", "host": node}, "reportingComponent": "kubelet",
            "reportingInstance": node, "firstTimestamp": now, "lastTimestamp": now, "count": 1}


class EventRecorder:
    def __init__(self, client: Client) -> None:
        self.client = client
        self.in_flight = 0
        self.dropped = 0
        self.written = 0
        self._seen: dict[tuple, list[Any]] = {}  # key -> [ns, name, count, first seen, created]
        self._tasks: set[asyncio.Task] = set()

    def record(self, pod: Mapping[str, Any], container: str, event_type: str, reason: str, message: str, *,
               node: str) -> None:
        if self.in_flight >= MAX_IN_FLIGHT:
            self.dropped += 1
            return
        meta = pod.get("metadata") or {}
        key = (meta.get("uid", ""), container, event_type, reason, message)
        now = time.time()
        seen = self._seen.get(key)
        if seen is not None and now - seen[3] < DEDUPE_SECONDS:
            seen[2] += 1
            if seen[4]:  # else the create is still in flight: the next repeat carries the count
                body = {"count": seen[2], "lastTimestamp": _now()}
                self._spawn(self.client.patch(EVENTS, seen[1], body, seen[0], patch_type="merge"))
            return
        if len(self._seen) >= MAX_REMEMBERED:
            self._seen.clear()
        ev = make_event(pod, container, event_type, reason, message, node=node, now=_now(), name_suffix=time.time_ns())
        entry = [ev["metadata"]["namespace"], ev["metadata"]["name"], 1, now, False]
        self._seen[key] = entry
        self._spawn(self.client.create(EVENTS, ev, ev["metadata"]["namespace"]), entry)

    def _spawn(self, coro: Any, entry: list[Any] | None = None) -> None:
        self.in_flight += 1
        task = asyncio.get_running_loop().create_task(self._write(coro, entry))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _write(self, coro: Any, entry: list[Any] | None) -> None:
        try:
            await coro
            self.written += 1
            if entry is not None:
                entry[4] = True
        except APIError as e:
            log.debug("event not recorded: %s", e)
        except Exception:
            log.debug("event not recorded", exc_info=True)
        finally:
            self.in_flight -= 1

    async def stop(self) -> None:
        for t in list(self._tasks):
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
