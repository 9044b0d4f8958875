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
from uwernetes.machinery.selectors import LabelSelector

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


# --- selectors ---


def label_matcher(selector: LabelSelector) -> Callable[[dict[str, str] | None], bool]:
    """`selector.matches`, as one dict-items subset test when every requirement is `key=value`
    (every matchLabels selector): a ReplicaSet sync checks thousands of pods."""
    reqs = selector.requirements
    if all(r.op == "=" or (r.op == "in" and len(r.values) == 1) for r in reqs):
        want = {r.key: r.values[0] for r in reqs}
        if len(want) == len(reqs):
            items = want.items()
            return lambda labels: items <= (labels or {}).items()
    return selector.matches


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


def _log_rank(t: datetime, now: datetime) -> int:
    """The power-of-two bucket of a time's age in nanoseconds (logarithmicRankDiff's unit)."""
    d = (now - t).total_seconds() * 1e9
    return int(math.log2(d)) if d > 0 else -1


def _ready_time(pod: Obj) -> datetime | None:
    c = pod_condition(pod, "Ready")
    if c is None or c.get("status") != "True" or not c.get("lastTransitionTime"):
        return None
    return meta.parse_time(c["lastTransitionTime"])


def _created(pod: Obj) -> datetime | None:
    ts = (pod.get("metadata") or {}).get("creationTimestamp")
    return meta.parse_time(ts) if ts else None


class _DeletionFacts:
    """What compare_for_deletion looks at, read from a pod once (a 10,000-pod scale-down makes
    about a million comparisons)."""

    __slots__ = ("assigned", "phase", "ready", "cost", "rank", "ready_time", "ready_bucket", "restarts",
                 "created", "created_bucket", "uid")

    def __init__(self, pod: Obj, rank: int, now: datetime) -> None:
        self.assigned = bool((pod.get("spec") or {}).get("nodeName"))
        self.phase = _PHASE_ORDINAL.get((pod.get("status") or {}).get("phase") or "", 0)
        self.ready = is_pod_ready(pod)
        self.cost = deletion_cost(pod)
        self.rank = rank
        self.ready_time = _ready_time(pod) if self.ready else None
        self.ready_bucket = _log_rank(self.ready_time, now) if self.ready_time is not None else 0
        self.restarts = _max_restarts(pod)
        self.created = _created(pod)
        self.created_bucket = _log_rank(self.created, now) if self.created is not None else 0
        self.uid = uid_of(pod)


def _time_order(t1: datetime | None, t2: datetime | None, b1: int, b2: int, uid1: str, uid2: str) -> int:
    """-1 when the first goes first: younger first, in log2 buckets (b1, b2), same bucket by uid."""
    if t1 is None or t2 is None:
        # afterOrZero: a zero time counts as the latest.
        if t1 is None and t2 is None:
            return 0
        return -1 if t1 is None else 1
    diff = b1 - b2
    if diff == 0:
        return -1 if uid1 < uid2 else (1 if uid1 > uid2 else 0)
    return -1 if diff < 0 else 1


def _compare_facts(a: _DeletionFacts, b: _DeletionFacts) -> int:
    if a.assigned != b.assigned:
        return -1 if not a.assigned else 1
    if a.phase != b.phase:
        return -1 if a.phase < b.phase else 1
    if a.ready != b.ready:
        return -1 if not a.ready else 1
    if a.cost != b.cost:
        return -1 if a.cost < b.cost else 1
    if a.rank != b.rank:
        return -1 if a.rank > b.rank else 1
    if a.ready and b.ready and a.ready_time != b.ready_time:
        order = _time_order(a.ready_time, b.ready_time, a.ready_bucket, b.ready_bucket, a.uid, b.uid)
        if order:
            return order
    if a.restarts != b.restarts:
        return -1 if a.restarts > b.restarts else 1
    if a.created != b.created:
        return _time_order(a.created, b.created, a.created_bucket, b.created_bucket, a.uid, b.uid)
    return 0


def compare_for_deletion(a: Obj, b: Obj, rank_a: int, rank_b: int, now: datetime) -> int:
    """ActivePodsWithRanks.Less (LogarithmicScaleDown and PodDeletionCost on): negative = a first.

    1. unassigned before assigned; 2. Pending < Unknown < Running; 3. not ready before ready;
    4. lower pod-deletion-cost first; 5. more replicas on the same node first; 6. ready for less
    time first (log2 buckets); 7. more restarts first; 8. newer first (log2 buckets).
    """
    return _compare_facts(_DeletionFacts(a, rank_a, now), _DeletionFacts(b, rank_b, now))


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

    facts = [(_DeletionFacts(p, rank(p), now), p) for p in pods]
    facts.sort(key=functools.cmp_to_key(lambda x, y: _compare_facts(x[0], y[0])))
    return [p for _, p in facts[:count]]


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
            # client-go's recorder names events <object>.<nanoseconds in hex>.
            "metadata": {"name": f"{m.get('name')}.{time.time_ns():x}", "namespace": ns},
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
