"""TTL-after-finished: deletes finished Jobs `ttlSecondsAfterFinished` after they finished.

Mirrors upstream's `pkg/controller/ttlafterfinished/ttlafterfinished_controller.go` (v1.30):
only Jobs with a TTL, a True Complete/Failed condition and no deletionTimestamp; the finish time
is that condition's lastTransitionTime; an unexpired Job is requeued for the remaining time; the
Job is read fresh from the API server before the (Foreground, uid-preconditioned) delete.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from uwernetes.client.api import JOBS, APIError, Client
from uwernetes.client.informer import object_key
from uwernetes.client.workqueue import WorkQueue
from uwernetes.controllers.workload_common import run_workers
from uwernetes.machinery import meta

log = logging.getLogger(__name__)

Obj = dict[str, Any]
CONTROLLER_NAME = "ttl-after-finished-controller"


def needs_cleanup(job: Obj) -> bool:
    """needsCleanup: a TTL is set, the Job finished, and it is not being deleted yet."""
    if (job.get("spec") or {}).get("ttlSecondsAfterFinished") is None:
        return False
    if (job.get("metadata") or {}).get("deletionTimestamp"):
        return False
    return finish_time(job) is not None


def finish_time(job: Obj) -> str | None:
    for c in (job.get("status") or {}).get("conditions") or ():
        if c.get("type") in ("Complete", "Failed") and c.get("status") == "True":
            return c.get("lastTransitionTime") or ""
    return None


def time_left(job: Obj, now: datetime) -> float:
    """Seconds until the Job expires (<= 0: expired). ValueError as upstream words it when the
    finish time cannot be found."""
    m = job.get("metadata") or {}
    finished = finish_time(job)
    if finished is None:
        raise ValueError(f"unable to find the status of the finished Job {m.get('namespace')}/{m.get('name')}")
    if not finished:
        raise ValueError(f"unable to find the time when the Job {m.get('namespace')}/{m.get('name')} finished")
    ttl = job["spec"]["ttlSecondsAfterFinished"]
    return (meta.parse_time(finished) - now).total_seconds() + ttl


class TTLAfterFinishedController:
    def __init__(self, ctx: Any, informers: Any, *, now: Callable[[], datetime] | None = None) -> None:
        self.client: Client = ctx.client(CONTROLLER_NAME)
        self.now = now or (lambda: datetime.now(UTC))
        self.queue = WorkQueue(base_delay=0.005, max_delay=1000.0)
        self.jobs = informers.get(JOBS)
        self.jobs.add_handlers(self._maybe_enqueue, lambda old, new: self._maybe_enqueue(new))

    def _maybe_enqueue(self, job: Obj) -> None:
        if needs_cleanup(job):
            self.queue.add(object_key(job))

    async def run(self) -> None:
        await run_workers(self.queue, self.sync, 5, CONTROLLER_NAME)

    async def sync(self, key: str) -> None:
        job = self.jobs.get(key)
        if job is None or not needs_cleanup(job):
            return
        if (left := time_left(job, self.now())) > 0:
            self.queue.add_after(key, left)
            return
        m = job["metadata"]
        try:
            fresh = await self.client.get(JOBS, m["name"], m.get("namespace"))
        except APIError as e:
            if e.not_found:
                return
            raise
        if not needs_cleanup(fresh):
            return
        if (left := time_left(fresh, self.now())) > 0:
            self.queue.add_after(key, left)
            return
        try:
            await self.client.delete(JOBS, m["name"], m.get("namespace"), propagation_policy="Foreground",
                                     preconditions={"uid": fresh["metadata"]["uid"]})
        except APIError as e:
            if not e.not_found:
                raise
