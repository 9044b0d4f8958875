"""Helpers the workload controllers (ReplicaSet, Deployment, GC, pod GC) share.

Upstream keeps these in `pkg/controller/controller_utils.go` (expectations, active-pod ranking,
pod-from-template), `pkg/api/v1/pod/util.go` (readiness, availability) and client-go's event
recorder with its spam filter. Everything on objects is pure; the worker loop and the event
recorder are the only parts that touch the client.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import logging
import math
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from uwernetes.client.api import EVENTS, APIError, Client
from uwernetes.client.workqueue import WorkQueue
from uwernetes.machinery import meta

log = logging.getLogger(__name__)

Obj = dict[str, Any]
Clock = Callable[[], datetime]

POD_DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"
EXPECTATIONS_TIMEOUT = 300.0  # ExpectationsTimeout: 5 minutes
_PHASE_ORDINAL = {"Pending": 0, "Unknown": 1, "Running": 2}


def utcnow() -> datetime:
    return datetime.now(UTC)


def key_of(obj: Obj) -> str:
    m = obj.get("metadata") or {}
    ns = m.get("namespace")
    return f"{ns}/{m.get('name')}" if ns else m.get("name", "")


def split_key(key: str) -> tuple[str | None, str]:
    ns, _, name = key.rpartition("/")
    return (ns or None), name


def uid_of(obj: Obj) -> str:
    return (obj.get("metadata") or {}).get("uid", "")


# --- owner references ---


def controller_ref(obj: Obj) -> Obj | None:
    """The ownerReference with controller: true, if any (metav1.GetControllerOf)."""
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or ():
        if ref.get("controller"):
            return ref
    return None


def owner_ref_for(owner: Obj, api_version: str, kind: str) -> Obj:
    """metav1.NewControllerRef: controller and blockOwnerDeletion both true."""
    m = owner.get("metadata") or {}
    return {"apiVersion": api_version, "kind": kind, "name": m.get("name"), "uid": m.get("uid"),
            "controller": True, "blockOwnerDeletion": True}


def is_deleting(obj: Obj) -> bool:
    return bool((obj.get("metadata") or {}).get("deletionTimestamp"))


# --- pods ---


def pod_condition(pod: Obj, ctype: str) -> Obj | None:
    for c in (pod.get("status") or {}).get("conditions") or ():
        if c.get("type") == ctype:
            return c
    return None


def is_pod_ready(pod: Obj) -> bool:
    c = pod_condition(pod, "Ready")
    return c is not None and c.get("status") == "True"


def is_pod_available(pod: Obj, min_ready_seconds: int, now: datetime) -> bool:
    """Ready, and (with minReadySeconds) ready for at least that long (podutil.IsPodAvailable)."""
    if not is_pod_ready(pod):
        return False
    if min_ready_seconds <= 0:
        return True
    c = pod_condition(pod, "Ready") or {}
    since = c.get("lastTransitionTime")
    if not since:
        return False
    return (now - meta.parse_time(since)).total_seconds() >= min_ready_seconds


def is_pod_active(pod: Obj) -> bool:
    """controller.IsPodActive: not finished and not being deleted."""
    phase = (pod.get("status") or {}).get("phase")
    return phase not in ("Succeeded", "Failed") and not is_deleting(pod)


def pod_from_template(template: Obj, owner: Obj, owner_ref: Obj) -> Obj:
    """controller.GetPodFromTemplate: labels, annotations, finalizers and spec of the template."""
    tm = template.get("metadata") or {}
    om = owner.get("metadata") or {}
    md: Obj = {"generateName": f"{om.get('name')}-", "namespace": om.get("namespace"),
               "ownerReferences": [owner_ref]}
    for k in ("labels", "annotations", "finalizers"):
        if tm.get(k):
            md[k] = copy.deepcopy(tm[k])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": md, "spec": copy.deepcopy(template.get("spec") or {})}


def deletion_cost(pod: Obj) -> int:
    raw = ((pod.get("metadata") or {}).get("annotations") or {}).get(POD_DELETION_COST)
    try:
        return int(raw) if raw is not None else 0
    except ValueError:
        return 0


def _max_restarts(pod: Obj) -> int:
    return max((int(c.get("restartCount") or 0) for c in (pod.get("status") or {}).get("containerStatuses") or ()), default=0)


def _log_rank_diff(t1: datetime, t2: datetime, now: datetime) -> int:
    """logarithmicRankDiff: compare ages by their power-of-two bucket (in nanoseconds)."""

    def rank(t: datetime) -> int:
        d = (now - t).total_seconds() * 1e9
        return int(math.log2(d)) if d > 0 else -1

    return rank(t1) - rank(t2)


def _ready_time(pod: Obj) -> datetime | None:
    c = pod_condition(pod, "Ready")
    if c is None or c.get("status") != "True" or not c.get("lastTransitionTime"):
        return None
    return meta.parse_time(c["lastTransitionTime"])


def _created(pod: Obj) -> datetime | None:
    ts = (pod.get("metadata") or {}).get("creationTimestamp")
    return meta.parse_time(ts) if ts else None


def _time_order(t1: datetime | None, t2: datetime | None, uid1: str, uid2: str, now: datetime) -> int:
    """-1 when the first goes first: younger first, in log2 buckets, same bucket by uid."""
    if t1 is None or t2 is None:
        # afterOrZero: a zero time counts as the latest.
        if t1 is None and t2 is None:
            return 0
        return -1 if t1 is None else 1
    diff = _log_rank_diff(t1, t2, now)
    if diff == 0:
        return -1 if uid1 < uid2 else (1 if uid1 > uid2 else 0)
    return -1 if diff < 0 else 1


def compare_for_deletion(a: Obj, b: Obj, rank_a: int, rank_b: int, now: datetime) -> int:
    """ActivePodsWithRanks.Less (LogarithmicScaleDown and PodDeletionCost on): negative = a first.

    1. unassigned before assigned; 2. Pending < Unknown < Running; 3. not ready before ready;
    4. lower pod-deletion-cost first; 5. more replicas on the same node first; 6. ready for less
    time first (log2 buckets); 7. more restarts first; 8. newer first (log2 buckets).
    """
    na, nb = (a.get("spec") or {}).get("nodeName") or "", (b.get("spec") or {}).get("nodeName") or ""
    if na != nb and (not na or not nb):
        return -1 if not na else 1
    pa = _PHASE_ORDINAL.get((a.get("status") or {}).get("phase") or "", 0)
    pb = _PHASE_ORDINAL.get((b.get("status") or {}).get("phase") or "", 0)
    if pa != pb:
        return -1 if pa < pb else 1
    ra, rb = is_pod_ready(a), is_pod_ready(b)
    if ra != rb:
        return -1 if not ra else 1
    ca, cb = deletion_cost(a), deletion_cost(b)
    if ca != cb:
        return -1 if ca < cb else 1
    if rank_a != rank_b:
        return -1 if rank_a > rank_b else 1
    if ra and rb:
        ta, tb = _ready_time(a), _ready_time(b)
        if ta != tb:
            order = _time_order(ta, tb, uid_of(a), uid_of(b), now)
            if order:
                return order
    xa, xb = _max_restarts(a), _max_restarts(b)
    if xa != xb:
        return -1 if xa > xb else 1
    ta, tb = _created(a), _created(b)
    if ta != tb:
        return _time_order(ta, tb, uid_of(a), uid_of(b), now)
    return 0


def pods_to_delete(pods: list[Obj], related: list[Obj], count: int, now: datetime) -> list[Obj]:
    """getPodsToDelete: the `count` pods to remove on scale-down, best candidates first."""
    if count >= len(pods):
        return list(pods)
    per_node: dict[str, int] = {}
    for p in related:
        node = (p.get("spec") or {}).get("nodeName")
        if node and is_pod_active(p):
            per_node[node] = per_node.get(node, 0) + 1

    def rank(p: Obj) -> int:
        node = (p.get("spec") or {}).get("nodeName")
        return per_node.get(node, 0) if node else 0

    ranked = sorted(pods, key=functools.cmp_to_key(lambda a, b: compare_for_deletion(a, b, rank(a), rank(b), now)))
    return ranked[:count]


# --- expectations ---


@dataclass
class _Expectation:
    adds: int = 0
    dels: set[str] = field(default_factory=set)
    stamp: float = 0.0


class Expectations:
    """UIDTrackingControllerExpectations: creates by count, deletes by pod key."""

    def __init__(self, timeout: float = EXPECTATIONS_TIMEOUT) -> None:
        self._items: dict[str, _Expectation] = {}
        self.timeout = timeout

    def satisfied(self, key: str) -> bool:
        e = self._items.get(key)
        if e is None:
            return True
        return (e.adds <= 0 and not e.dels) or time.monotonic() - e.stamp > self.timeout

    def expect_creations(self, key: str, n: int) -> None:
        self._items[key] = _Expectation(adds=n, stamp=time.monotonic())

    def expect_deletions(self, key: str, pod_keys: list[str]) -> None:
        self._items[key] = _Expectation(dels=set(pod_keys), stamp=time.monotonic())

    def creation_observed(self, key: str) -> None:
        e = self._items.get(key)
        if e is not None:
            e.adds -= 1

    def deletion_observed(self, key: str, pod_key: str) -> None:
        e = self._items.get(key)
        if e is not None:
            e.dels.discard(pod_key)

    def delete(self, key: str) -> None:
        self._items.pop(key, None)


async def slow_start_batch(count: int, initial: int, fn: Callable[[], Awaitable[None]]) -> tuple[int, Exception | None]:
    """Run fn `count` times in batches 1, 2, 4, ...; stop at the first batch with an error."""
    done = 0
    batch = min(count, initial)
    while batch > 0:
        results = await asyncio.gather(*(fn() for _ in range(batch)), return_exceptions=True)
        errs = [r for r in results if isinstance(r, Exception)]
        done += batch - len(errs)
        if errs:
            return done, errs[0]
        remaining = count - done
        batch = min(2 * batch, remaining)
    return done, None


# --- worker loop ---


async def run_workers(queue: WorkQueue, sync: Callable[[str], Awaitable[None]], workers: int, name: str) -> None:
    """client-go's processNextWorkItem loop on `workers` tasks: Forget on success, retry with backoff."""

    async def worker() -> None:
        while True:
            key = await queue.get()
            try:
                await sync(str(key))
                queue.forget(key)
            except asyncio.CancelledError:
                raise
            except APIError as e:
                if not e.conflict:
                    log.info("%s: syncing %s: %s", name, key, e)
                queue.add_rate_limited(key)
            except Exception:
                log.exception("%s: syncing %s", name, key)
                queue.add_rate_limited(key)
            finally:
                queue.done(key)

    tasks = [asyncio.create_task(worker(), name=f"{name}-worker-{i}") for i in range(workers)]
    try:
        await asyncio.gather(*tasks)
    finally:
        queue.shutdown()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


# --- events ---


class EventRecorder:
    """Posts core/v1 Events without blocking the caller, with client-go's per-object spam filter
    (a burst of 25, then one every 5 minutes), so a 10,000-pod scale-up writes 25 events, not 10,000."""

    BURST = 25
    REFILL_SECONDS = 300.0

    def __init__(self, client: Client, component: str) -> None:
        self.client = client
        self.component = component
        self._buckets: dict[Hashable, tuple[float, float]] = {}
        self._tasks: set[asyncio.Task] = set()

    def _allow(self, key: Hashable) -> bool:
        now = time.monotonic()
        tokens, last = self._buckets.get(key, (float(self.BURST), now))
        tokens = min(float(self.BURST), tokens + (now - last) / self.REFILL_SECONDS)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            return False
        self._buckets[key] = (tokens - 1, now)
        return True

    def event(self, obj: Obj, etype: str, reason: str, message: str) -> None:
        m = obj.get("metadata") or {}
        if not self._allow((obj.get("kind"), m.get("namespace"), m.get("name"), m.get("uid"))):
            return
        now = meta.now_rfc3339()
        ns = m.get("namespace") or "default"
        body = {
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": meta.generate_name(f"{m.get('name')}."), "namespace": ns},
            "involvedObject": {"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"), "name": m.get("name"),
                               "namespace": m.get("namespace"), "uid": m.get("uid"),
                               "resourceVersion": m.get("resourceVersion")},
            "reason": reason, "message": message, "type": etype,
            "source": {"component": self.component}, "firstTimestamp": now, "lastTimestamp": now, "count": 1,
            "reportingComponent": self.component, "reportingInstance": "",
        }
        try:
            task = asyncio.get_running_loop().create_task(self._post(body, ns))
        except RuntimeError:
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _post(self, body: Obj, ns: str) -> None:
        try:
            await self.client.create(EVENTS, body, ns)
        except APIError as e:
            log.debug("event not recorded: %s", e)
        except Exception:
            log.debug("event not recorded", exc_info=True)
