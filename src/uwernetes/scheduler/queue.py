"""The scheduling queue: activeQ (priority order), backoffQ, the unschedulable pool and gated pods.

Mirrors upstream v1.30 `pkg/scheduler/internal/queue/scheduling_queue.go` (PriorityQueue):
- PreEnqueue plugins (SchedulingGates) run when a pod is added or updated; a pod they reject is
  kept aside as *gated*: it is never popped, so never attempted (no status patch, no event).
- A pod that fails goes to the unschedulable pool, or to backoffQ if a cluster event arrived while
  it was being scheduled. Cluster events (node added/changed, assigned pod deleted) move the pool
  to backoffQ or activeQ depending on whether the pod's backoff (1s doubling to 10s) is over.
- Pods left unschedulable for 5 minutes are retried anyway.
Ordering in activeQ is PrioritySort: higher `spec.priority` first, then earlier enqueue time.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable

from uwernetes.scheduler import framework
from uwernetes.scheduler.framework import PodInfo
from uwernetes.scheduler.plugins import PRE_ENQUEUE

INITIAL_BACKOFF = 1.0
MAX_BACKOFF = 10.0
MAX_IN_UNSCHEDULABLE = 300.0

ACTIVE, BACKOFF, UNSCHEDULABLE, GATED = "active", "backoff", "unschedulable", "gated"


class QueuedPodInfo:
    __slots__ = ("pi", "timestamp", "attempts", "backoff_until", "where", "unschedulable_since",
                 "gated_by", "initial_attempt", "seq")

    def __init__(self, pi: PodInfo, now: float) -> None:
        self.pi = pi
        self.timestamp = now
        self.attempts = 0
        self.backoff_until = 0.0
        self.where = ""
        self.unschedulable_since = 0.0
        self.gated_by: framework.Status | None = None
        self.initial_attempt: float | None = None
        self.seq = 0


def backoff_duration(attempts: int, initial: float = INITIAL_BACKOFF, maximum: float = MAX_BACKOFF) -> float:
    """calculateBackoffDuration: 1s, 2s, 4s, 8s, 10s, 10s, ..."""
    d = initial
    for _ in range(1, attempts):
        d *= 2
        if d > maximum:
            return maximum
    return d


def run_pre_enqueue(pod: dict) -> framework.Status | None:
    for plugin in PRE_ENQUEUE:
        st = plugin.pre_enqueue(pod)
        if st is not None:
            return st
    return None


def is_pod_updated(old: dict, new: dict) -> bool:
    """isPodUpdated: anything but status and bookkeeping metadata changed."""
    om, nm = old.get("metadata") or {}, new.get("metadata") or {}
    return (old.get("spec") != new.get("spec") or om.get("labels") != nm.get("labels")
            or om.get("annotations") != nm.get("annotations") or om.get("deletionTimestamp") != nm.get("deletionTimestamp"))


class SchedulingQueue:
    def __init__(self, clock: Callable[[], float] = time.monotonic, initial_backoff: float = INITIAL_BACKOFF,
                 max_backoff: float = MAX_BACKOFF) -> None:
        self.clock = clock
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.pods: dict[str, QueuedPodInfo] = {}  # every pod the queue knows, wherever it sits
        self._active: list[tuple[int, float, int, str]] = []
        self._backoff: list[tuple[float, int, str]] = []
        self.unschedulable: dict[str, QueuedPodInfo] = {}
        self.gated: dict[str, QueuedPodInfo] = {}
        self.in_flight: dict[str, int] = {}  # key -> scheduling cycle it was popped in
        self._counts = {ACTIVE: 0, BACKOFF: 0}
        self._seq = itertools.count()
        self.scheduling_cycle = 0
        self.move_request_cycle = -1
        self._wake = asyncio.Event()
        self.incoming: dict[tuple[str, str], int] = {}  # (event, queue) -> count, for metrics

    # --- sizes -------------------------------------------------------------------------------
    def pending(self) -> dict[str, int]:
        return {ACTIVE: self._counts[ACTIVE], BACKOFF: self._counts[BACKOFF],
                UNSCHEDULABLE: len(self.unschedulable), GATED: len(self.gated)}

    def _count(self, event: str, queue: str) -> None:
        self.incoming[(event, queue)] = self.incoming.get((event, queue), 0) + 1

    # --- placing pods ------------------------------------------------------------------------
    def _leave(self, qp: QueuedPodInfo) -> None:
        where = qp.where
        if where in (ACTIVE, BACKOFF):
            self._counts[where] -= 1  # heap entries go stale; their seq no longer matches
        elif where == UNSCHEDULABLE:
            self.unschedulable.pop(qp.pi.key, None)
        elif where == GATED:
            self.gated.pop(qp.pi.key, None)
        qp.where = ""
        qp.seq = -1

    def _to_active(self, qp: QueuedPodInfo, event: str) -> None:
        self._leave(qp)
        qp.seq = next(self._seq)
        qp.where = ACTIVE
        self._counts[ACTIVE] += 1
        heapq.heappush(self._active, (-qp.pi.priority, qp.timestamp, qp.seq, qp.pi.key))
        self._count(event, ACTIVE)
        self._wake.set()

    def _to_backoff(self, qp: QueuedPodInfo, event: str) -> None:
        self._leave(qp)
        qp.seq = next(self._seq)
        qp.where = BACKOFF
        self._counts[BACKOFF] += 1
        heapq.heappush(self._backoff, (qp.backoff_until, qp.seq, qp.pi.key))
        self._count(event, BACKOFF)
        self._wake.set()  # a waiting pop must recompute when the next backoff ends

    def _to_unschedulable(self, qp: QueuedPodInfo, event: str) -> None:
        self._leave(qp)
        qp.where = UNSCHEDULABLE
        qp.unschedulable_since = self.clock()
        self.unschedulable[qp.pi.key] = qp
        self._count(event, UNSCHEDULABLE)

    def _to_gated(self, qp: QueuedPodInfo, status: framework.Status, event: str) -> None:
        self._leave(qp)
        qp.where = GATED
        qp.gated_by = status
        self.gated[qp.pi.key] = qp
        self._count(event, GATED)

    def _enqueue(self, qp: QueuedPodInfo, event: str) -> None:
        """moveToActiveQ: PreEnqueue first; a rejected pod waits, gated."""
        st = run_pre_enqueue(qp.pi.pod)
        if st is not None:
            self._to_gated(qp, st, event)
            return
        qp.gated_by = None
        self._to_active(qp, event)

    # --- informer-facing API -----------------------------------------------------------------
    def add(self, pi: PodInfo) -> None:
        qp = self.pods.get(pi.key)
        if qp is not None:
            self.update(qp.pi.pod, pi)
            return
        qp = QueuedPodInfo(pi, self.clock())
        self.pods[pi.key] = qp
        self._enqueue(qp, "PodAdd")

    def update(self, old: dict, pi: PodInfo) -> None:
        qp = self.pods.get(pi.key)
        if qp is None:
            self.add(pi)
            return
        qp.pi = pi
        if pi.key in self.in_flight or qp.where == "":
            return
        if qp.where == GATED:
            self._enqueue(qp, "PodUpdate")
        elif qp.where == UNSCHEDULABLE and is_pod_updated(old, pi.pod):
            if qp.backoff_until > self.clock():
                self._to_backoff(qp, "PodUpdate")
            else:
                self._to_active(qp, "PodUpdate")
        elif qp.where in (ACTIVE, BACKOFF):
            # Priority may have changed; re-push so the heap orders by the new one.
            if qp.where == ACTIVE:
                self._to_active(qp, "PodUpdate")

    def delete(self, key: str) -> None:
        qp = self.pods.pop(key, None)
        if qp is not None:
            self._leave(qp)

    # --- scheduler-facing API ----------------------------------------------------------------
    def _flush_backoff(self) -> None:
        now = self.clock()
        heap = self._backoff
        while heap and heap[0][0] <= now:
            _, seq, key = heapq.heappop(heap)
            qp = self.pods.get(key)
            if qp is not None and qp.seq == seq and qp.where == BACKOFF:
                self._to_active(qp, "BackoffComplete")

    def flush_unschedulable_leftover(self) -> None:
        now = self.clock()
        stale = [qp for qp in self.unschedulable.values() if now - qp.unschedulable_since > MAX_IN_UNSCHEDULABLE]
        for qp in stale:
            self._move(qp, "UnschedulableTimeout")

    def next_backoff_deadline(self) -> float | None:
        while self._backoff:
            until, seq, key = self._backoff[0]
            qp = self.pods.get(key)
            if qp is not None and qp.seq == seq and qp.where == BACKOFF:
                return until
            heapq.heappop(self._backoff)
        return None

    def pop_nowait(self) -> QueuedPodInfo | None:
        self._flush_backoff()
        heap = self._active
        while heap:
            _, _, seq, key = heapq.heappop(heap)
            qp = self.pods.get(key)
            if qp is None or qp.seq != seq or qp.where != ACTIVE:
                continue
            self._leave(qp)
            self.scheduling_cycle += 1
            self.in_flight[key] = self.scheduling_cycle
            qp.attempts += 1
            if qp.initial_attempt is None:
                qp.initial_attempt = self.clock()
            return qp
        return None

    async def pop(self) -> QueuedPodInfo:
        while True:
            qp = self.pop_nowait()
            if qp is not None:
                return qp
            self._wake.clear()
            deadline = self.next_backoff_deadline()
            timeout = None if deadline is None else max(0.0, deadline - self.clock()) + 0.001
            try:
                await asyncio.wait_for(self._wake.wait(), timeout)
            except TimeoutError:
                pass

    def done(self, key: str) -> None:
        """The pod left the cycle bound (or deleted): forget it."""
        self.in_flight.pop(key, None)
        self.pods.pop(key, None)

    def requeue_unschedulable(self, qp: QueuedPodInfo) -> None:
        """AddUnschedulableIfNotPresent after a failed attempt."""
        cycle = self.in_flight.pop(qp.pi.key, None)
        if self.pods.get(qp.pi.key) is not qp:
            return  # deleted while in flight
        qp.backoff_until = self.clock() + backoff_duration(qp.attempts, self.initial_backoff, self.max_backoff)
        if run_pre_enqueue(qp.pi.pod) is not None:
            self._enqueue(qp, "ScheduleAttemptFailure")
        elif cycle is not None and self.move_request_cycle >= cycle:
            self._to_backoff(qp, "ScheduleAttemptFailure")
        else:
            self._to_unschedulable(qp, "ScheduleAttemptFailure")

    def requeue_error(self, qp: QueuedPodInfo) -> None:
        """An error (not a verdict): straight to backoff."""
        self.in_flight.pop(qp.pi.key, None)
        if self.pods.get(qp.pi.key) is not qp:
            return
        qp.backoff_until = self.clock() + backoff_duration(qp.attempts, self.initial_backoff, self.max_backoff)
        self._to_backoff(qp, "ScheduleAttemptFailure")

    def _move(self, qp: QueuedPodInfo, event: str) -> None:
        if qp.backoff_until > self.clock():
            self._to_backoff(qp, event)
        else:
            self._to_active(qp, event)

    def move_all_to_active_or_backoff(self, event: str) -> None:
        """MoveAllToActiveOrBackoffQueue on a cluster event that may make pods schedulable."""
        for qp in list(self.unschedulable.values()):
            self._move(qp, event)
        self.move_request_cycle = self.scheduling_cycle
