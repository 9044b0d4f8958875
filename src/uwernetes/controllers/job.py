"""The Job controller (batch/v1), v1.30: upstream's `pkg/controller/job/job_controller.go`.

Informers in, Job keys through a rate-limited queue, `sync(key)` out, following `syncJob`:
early returns (gone, finished, managed by someone else), a copy, facts gathered into a
`SyncContext`, decisions from the pure helpers in `job_policy`/`job_indexes`, then the side
effects: pod deletes and creates (with expectations, so a pod the informer has not seen yet is
never created twice), and status tracking through the `batch.kubernetes.io/job-tracking`
finalizer and `status.uncountedTerminatedPods`.

v1.30 timing, on purpose: a terminal condition is added as soon as termination is decided and
every pod finalizer is gone, without waiting for pods to terminate; only a FailJob policy match
goes through `FailureTarget` and only a success policy match through `SuccessCriteriaMet`.

Options (`ctx.options`): `job_backoff_base` (seconds, default 10), `job_backoff_max` (600),
`job_sync_batch_period` (pod-event batching, default 1s), `job_workers` (32: upstream runs 5
syncs at once, but ours are coroutines that mostly wait on the API server, whose group commit
rewards concurrent writes).
"""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from uwernetes import features as features_mod
from uwernetes.client.api import EVENTS, JOBS, PODS, APIError, Client
from uwernetes.client.informer import object_key
from uwernetes.client.workqueue import WorkQueue
from uwernetes.controllers import job_indexes as ix
from uwernetes.controllers import job_policy as pol
from uwernetes.controllers.workload_common import run_workers
from uwernetes.machinery import meta, selectors

log = logging.getLogger(__name__)

Obj = dict[str, Any]

CONTROLLER_NAME = "job-controller"
MAX_UNCOUNTED_PODS = 500
MAX_POD_CREATE_DELETE_PER_SYNC = 500
EXPECTATIONS_TTL = 300.0
REMOVE_FINALIZER_PATCH = {"metadata": {"$deleteFromPrimitiveList/finalizers": [pol.TRACKING_FINALIZER]}}


# --------------------------------------------------------------------------------------------
# events
# --------------------------------------------------------------------------------------------


class EventRecorder:
    """core/v1 Events about objects, posted in the background so a sync never waits on them."""

    def __init__(self, client: Client, component: str, max_pending: int = 10_000) -> None:
        self.client = client
        self.component = component
        self._queue: asyncio.Queue[Obj] = asyncio.Queue(max_pending)
        self._task: asyncio.Task | None = None

    def event(self, obj: Obj, etype: str, reason: str, message: str) -> None:
        m = obj.get("metadata") or {}
        now = meta.now_rfc3339()
        ev = {
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": f"{m.get('name')}.{time.time_ns():x}", "namespace": m.get("namespace") or "default"},
            "involvedObject": {"apiVersion": obj.get("apiVersion") or "", "kind": obj.get("kind") or "",
                               "namespace": m.get("namespace"), "name": m.get("name"), "uid": m.get("uid"),
                               "resourceVersion": m.get("resourceVersion")},
            "reason": reason, "message": message, "type": etype, "count": 1,
            "firstTimestamp": now, "lastTimestamp": now,
            "source": {"component": self.component}, "reportingComponent": self.component,
        }
        try:
            self._queue.put_nowait(ev)
        except asyncio.QueueFull:
            log.debug("event queue full; dropping %s %s", reason, message)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._post())

    async def _post(self) -> None:
        while not self._queue.empty():
            ev = self._queue.get_nowait()
            try:
                await self.client.create(EVENTS, ev)
            except APIError as e:
                log.debug("event %s not recorded: %s", ev["reason"], e)
            except Exception:  # the recorder must never take a controller down
                log.exception("event %s not recorded", ev["reason"])

    async def flush(self) -> None:
        if self._task is not None:
            await asyncio.shield(self._task)


# --------------------------------------------------------------------------------------------
# expectations
# --------------------------------------------------------------------------------------------


class Expectations:
    """ControllerExpectations: creates/deletes issued but not yet seen by the informer."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._pending: dict[str, list[float]] = {}  # key -> [adds, dels, timestamp]
        self._clock = clock

    def satisfied(self, key: str) -> bool:
        e = self._pending.get(key)
        if e is None:
            return True
        if e[0] <= 0 and e[1] <= 0:
            return True
        return self._clock() - e[2] > EXPECTATIONS_TTL

    def expect(self, key: str, adds: int = 0, dels: int = 0) -> None:
        self._pending[key] = [adds, dels, self._clock()]

    def lower(self, key: str, adds: int = 0, dels: int = 0) -> None:
        e = self._pending.get(key)
        if e is not None:
            e[0] -= adds
            e[1] -= dels

    def delete(self, key: str) -> None:
        self._pending.pop(key, None)


# --------------------------------------------------------------------------------------------
# the controller
# --------------------------------------------------------------------------------------------


@dataclass
class SyncContext:
    """syncJobCtx: what one sync knows about a Job and decides for it."""

    job: Obj
    pods: list[Obj]
    active_pods: list[Obj]
    ready: int
    terminating: int | None
    uncounted_succeeded: set[str]
    uncounted_failed: set[str]
    expected_rm_finalizers: set[str]
    succeeded: int = 0
    failed: int = 0
    finished_condition: Obj | None = None
    prev_succeeded_indexes: ix.Intervals = field(default_factory=list)
    succeeded_indexes: ix.Intervals = field(default_factory=list)
    failed_indexes: ix.Intervals | None = None
    delayed_deletion: dict[int, Obj] = field(default_factory=dict)
    new_backoff: pol.BackoffRecord = field(default_factory=pol.BackoffRecord)


def _uid(obj: Obj) -> str:
    return (obj.get("metadata") or {}).get("uid") or ""


def _controller_ref(obj: Obj) -> Obj | None:
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or ():
        if ref.get("controller"):
            return ref
    return None


def _is_job_ref(ref: Obj | None) -> bool:
    return ref is not None and ref.get("kind") == "Job" and ref.get("apiVersion") == "batch/v1"


def _rv(obj: Obj | None) -> int:
    try:
        return int((obj or {}).get("metadata", {}).get("resourceVersion") or 0)
    except ValueError:
        return 0


def clean_status(status: Obj) -> Obj:
    """JSON as Go's omitempty writes JobStatus: zero counters and empty strings/lists vanish."""
    out = {k: v for k, v in status.items() if v is not None}
    for key in ("active", "succeeded", "failed"):
        if not out.get(key):
            out.pop(key, None)
    if not out.get("completedIndexes"):
        out.pop("completedIndexes", None)
    if not out.get("conditions"):
        out.pop("conditions", None)
    uncounted = out.get("uncountedTerminatedPods")
    if uncounted is not None:
        out["uncountedTerminatedPods"] = {k: v for k, v in uncounted.items() if v}
    return out


class JobController:
    def __init__(self, ctx: Any, informers: Any, *, now: Callable[[], datetime] | None = None) -> None:
        self.ctx = ctx
        self.client: Client = ctx.client(CONTROLLER_NAME)
        self.features = ctx.features or features_mod.DEFAULT
        opts = ctx.options or {}
        self.backoff_base = float(opts.get("job_backoff_base", pol.DEFAULT_BACKOFF))
        self.backoff_max = float(opts.get("job_backoff_max", pol.MAX_BACKOFF))
        self.batch_period = float(opts.get("job_sync_batch_period", 1.0))
        self.workers = int(opts.get("job_workers", 32))
        self.now = now or (lambda: datetime.now(UTC))
        self.queue = WorkQueue(base_delay=1.0, max_delay=60.0)  # DefaultJobApiBackOff .. MaxJobApiBackOff
        self.orphan_queue = WorkQueue(base_delay=1.0, max_delay=60.0)
        self.expectations = Expectations()
        self.finalizer_expectations: dict[str, set[str]] = {}
        self.backoff: dict[str, pol.BackoffRecord] = {}
        self.recorder = EventRecorder(self.client, CONTROLLER_NAME)
        # Pod indexes kept by the handlers so a sync never scans every pod.
        self.pods_by_owner: dict[str, dict[str, Obj]] = {}
        self.orphans: dict[str, dict[str, Obj]] = {}
        self._owner_of: dict[str, str] = {}
        self._written: dict[str, Obj] = {}
        self.jobs = informers.get(JOBS)
        self.pods = informers.get(PODS)
        self.jobs.add_handlers(self.on_job_add, self.on_job_update, self.on_job_delete)
        self.pods.add_handlers(self.on_pod_add, self.on_pod_update, self.on_pod_delete)

    def gate(self, name: str) -> bool:
        return self.features.enabled(name)

    # ---------------------------------------------------------------- event handlers

    def _enqueue(self, job: Obj, delay: float = 0.0) -> None:
        self.queue.add_after(object_key(job), delay)

    def _enqueue_batched(self, job: Obj) -> None:
        self._enqueue(job, self.batch_period)

    def on_job_add(self, job: Obj) -> None:
        self._enqueue(job)

    def on_job_update(self, old: Obj, cur: Obj) -> None:
        om, cm = old.get("metadata") or {}, cur.get("metadata") or {}
        if om.get("generation") == cm.get("generation"):
            self._enqueue_batched(cur)
        else:
            self._enqueue(cur)
        if pol.is_finished(cur):
            self._cleanup_pod_finalizers(cur)
        start = (cur.get("status") or {}).get("startTime")
        ads = (cur.get("spec") or {}).get("activeDeadlineSeconds")
        if start and ads is not None and ads != (old.get("spec") or {}).get("activeDeadlineSeconds"):
            passed = (self.now() - meta.parse_time(start)).total_seconds()
            self._enqueue(cur, ads - passed)

    def on_job_delete(self, job: Obj) -> None:
        self._enqueue(job)
        self._cleanup_pod_finalizers(job)

    def _cleanup_pod_finalizers(self, job: Obj) -> None:
        for pod in list(self.pods_by_owner.get(_uid(job), {}).values()):
            if pol.has_tracking_finalizer(pod):
                self.orphan_queue.add(object_key(pod))

    def _index_pod(self, pod: Obj) -> None:
        key = object_key(pod)
        ref = _controller_ref(pod)
        owner = ref.get("uid", "") if ref else ""
        prev = self._owner_of.get(key)
        if prev is not None and prev != owner:
            self._unindex(key, prev, (pod.get("metadata") or {}).get("namespace") or "")
        self._owner_of[key] = owner
        if owner:
            self.pods_by_owner.setdefault(owner, {})[key] = pod
        else:
            self.orphans.setdefault((pod.get("metadata") or {}).get("namespace") or "", {})[key] = pod

    def _unindex(self, key: str, owner: str, namespace: str) -> None:
        bucket = self.pods_by_owner.get(owner) if owner else self.orphans.get(namespace)
        if bucket is not None:
            bucket.pop(key, None)
            if not bucket:
                (self.pods_by_owner if owner else self.orphans).pop(owner or namespace, None)

    def _resolve(self, namespace: str, ref: Obj | None) -> Obj | None:
        if not _is_job_ref(ref):
            return None
        job = self.jobs.get(f"{namespace}/{ref.get('name')}")
        if job is None or _uid(job) != ref.get("uid"):
            return None
        return job

    def _jobs_matching(self, pod: Obj) -> list[Obj]:
        m = pod.get("metadata") or {}
        labels = m.get("labels") or {}
        out = []
        for job in self.jobs.list():
            if (job.get("metadata") or {}).get("namespace") != m.get("namespace"):
                continue
            try:
                sel = selectors.selector_from_label_selector((job.get("spec") or {}).get("selector"))
            except ValueError:
                continue
            if sel is not None and not sel.empty() and sel.matches(labels):
                out.append(job)
        return out

    def on_pod_add(self, pod: Obj) -> None:
        self._index_pod(pod)
        m = pod.get("metadata") or {}
        if m.get("deletionTimestamp"):
            self._pod_deleted(pod, final=False)
            return
        ref = _controller_ref(pod)
        if ref is not None:
            job = self._resolve(m.get("namespace") or "", ref)
            if job is None:
                if pol.has_tracking_finalizer(pod) and _is_job_ref(ref):
                    self.orphan_queue.add(object_key(pod))
                return
            self.expectations.lower(object_key(job), adds=1)
            self._enqueue_batched(job)
            return
        if pol.has_tracking_finalizer(pod):
            self.orphan_queue.add(object_key(pod))
        for job in self._jobs_matching(pod):
            self._enqueue_batched(job)

    def on_pod_update(self, old: Obj, cur: Obj) -> None:
        if (old.get("metadata") or {}).get("resourceVersion") == (cur.get("metadata") or {}).get("resourceVersion"):
            return
        self._index_pod(cur)
        m = cur.get("metadata") or {}
        if m.get("deletionTimestamp"):
            self._pod_deleted(cur, final=False)
            return
        finalizer_removed = not pol.has_tracking_finalizer(cur)
        cur_ref, old_ref = _controller_ref(cur), _controller_ref(old)
        ns = m.get("namespace") or ""
        if cur_ref != old_ref and old_ref is not None:
            job = self._resolve(ns, old_ref)
            if job is not None:
                if finalizer_removed:
                    self._finalizer_removal_observed(object_key(job), _uid(cur))
                self._enqueue_batched(job)
        if cur_ref is not None:
            job = self._resolve(ns, cur_ref)
            if job is None:
                return
            if finalizer_removed:
                self._finalizer_removal_observed(object_key(job), _uid(cur))
            self._enqueue_batched(job)
            return
        if (cur.get("metadata") or {}).get("labels") != (old.get("metadata") or {}).get("labels") or cur_ref != old_ref:
            for job in self._jobs_matching(cur):
                self._enqueue_batched(job)

    def on_pod_delete(self, pod: Obj) -> None:
        key = object_key(pod)
        owner = self._owner_of.pop(key, None)
        if owner is not None:
            self._unindex(key, owner, (pod.get("metadata") or {}).get("namespace") or "")
        self._pod_deleted(pod, final=True)

    def _pod_deleted(self, pod: Obj, *, final: bool) -> None:
        ref = _controller_ref(pod)
        has_finalizer = pol.has_tracking_finalizer(pod)
        if ref is None:
            if has_finalizer:
                self.orphan_queue.add(object_key(pod))
            return
        job = self._resolve((pod.get("metadata") or {}).get("namespace") or "", ref)
        if job is None or pol.is_finished(job):
            if has_finalizer and _is_job_ref(ref):
                self.orphan_queue.add(object_key(pod))
            return
        key = object_key(job)
        self.expectations.lower(key, dels=1)
        if final or not has_finalizer:
            self._finalizer_removal_observed(key, _uid(pod))
        self._enqueue_batched(job)

    def _finalizer_removal_observed(self, key: str, uid: str) -> None:
        uids = self.finalizer_expectations.get(key)
        if uids is not None:
            uids.discard(uid)
            if not uids:
                del self.finalizer_expectations[key]

    # ---------------------------------------------------------------- workers

    async def run(self) -> None:
        await asyncio.gather(
            run_workers(self.queue, self.sync, self.workers, CONTROLLER_NAME),
            run_workers(self.orphan_queue, self.sync_orphan_pod, 1, CONTROLLER_NAME + "-orphans"),
        )

    # ---------------------------------------------------------------- orphans

    async def sync_orphan_pod(self, key: str) -> None:
        """Remove the tracking finalizer of a pod no unfinished Job of ours will count."""
        pod = self.pods.get(key)
        if pod is None or not pol.has_tracking_finalizer(pod):
            return
        ref = _controller_ref(pod)
        if ref is not None:
            if not _is_job_ref(ref):
                return  # owned by something else: not our finalizer to remove
            job = self._resolve((pod.get("metadata") or {}).get("namespace") or "", ref)
            if job is not None and not pol.is_finished(job):
                return
        elif self._jobs_matching(pod):
            return
        m = pod["metadata"]
        try:
            await self.client.patch(PODS, m["name"], REMOVE_FINALIZER_PATCH, m.get("namespace"), patch_type="strategic")
        except APIError as e:
            if not e.not_found:
                raise

    # ---------------------------------------------------------------- pods of a job

    async def _pods_for_job(self, job: Obj) -> list[Obj]:
        """getPodsForJob: owned pods that still match, plus matching orphans adopted now."""
        m = job["metadata"]
        try:
            sel = selectors.selector_from_label_selector((job.get("spec") or {}).get("selector"))
        except ValueError:
            sel = None
        pods: list[Obj] = []
        for pod in list(self.pods_by_owner.get(m.get("uid") or "", {}).values()):
            labels = (pod.get("metadata") or {}).get("labels") or {}
            if sel is not None and sel.matches(labels):
                pods.append(pod)
            elif not m.get("deletionTimestamp"):
                await self._release(job, pod)
        candidates = [p for p in self.orphans.get(m.get("namespace") or "", {}).values()
                      if sel is not None and not sel.empty() and not pol.is_deleting(p)
                      and sel.matches((p.get("metadata") or {}).get("labels") or {})]
        if candidates and not m.get("deletionTimestamp"):
            fresh = await self.client.get(JOBS, m["name"], m.get("namespace"))
            if _uid(fresh) == m.get("uid") and not (fresh.get("metadata") or {}).get("deletionTimestamp"):
                for pod in candidates:
                    adopted = await self._adopt(job, pod)
                    if adopted is not None:
                        pods.append(adopted)
        return pods

    def _owner_ref(self, job: Obj) -> Obj:
        m = job["metadata"]
        return {"apiVersion": "batch/v1", "kind": "Job", "name": m["name"], "uid": m["uid"],
                "controller": True, "blockOwnerDeletion": True}

    async def _adopt(self, job: Obj, pod: Obj) -> Obj | None:
        pm = pod["metadata"]
        patch = {"metadata": {"ownerReferences": [self._owner_ref(job)], "uid": pm.get("uid"),
                              "finalizers": [pol.TRACKING_FINALIZER]}}
        try:
            return await self.client.patch(PODS, pm["name"], patch, pm.get("namespace"), patch_type="strategic")
        except APIError as e:
            if e.not_found or e.code == 422:
                return None
            raise

    async def _release(self, job: Obj, pod: Obj) -> None:
        pm = pod["metadata"]
        patch = {"metadata": {"ownerReferences": [{"$patch": "delete", "uid": _uid(job)}], "uid": pm.get("uid")}}
        try:
            await self.client.patch(PODS, pm["name"], patch, pm.get("namespace"), patch_type="strategic")
        except APIError as e:
            if not (e.not_found or e.code == 422):
                raise

    # ---------------------------------------------------------------- sync

    def _current(self, key: str) -> Obj | None:
        """The cached Job, or the one we last wrote when the informer has not caught up yet."""
        cached = self.jobs.get(key)
        written = self._written.get(key)
        if cached is None:
            self._written.pop(key, None)
            return None
        if written is not None and _uid(written) == _uid(cached) and _rv(written) > _rv(cached):
            return written
        self._written.pop(key, None)
        return cached

    def _managed_elsewhere(self, job: Obj) -> bool:
        managed_by = (job.get("spec") or {}).get("managedBy")
        return self.gate("JobManagedBy") and managed_by is not None and managed_by != pol.JOB_CONTROLLER_NAME

    def _only_failed(self, job: Obj) -> bool:
        return pol.only_replace_failed_pods(job, replacement_gate=self.gate("JobPodReplacementPolicy"),
                                            failure_policy_gate=self.gate("JobPodFailurePolicy"))

    def _pod_failed(self, pod: Obj, job: Obj) -> bool:
        return pol.is_pod_failed(pod, job, only_failed=self._only_failed(job),
                                 disruption_conditions=self.gate("PodDisruptionConditions"),
                                 failure_policy_gate=self.gate("JobPodFailurePolicy"))

    def _policy(self, job: Obj) -> Obj | None:
        return (job.get("spec") or {}).get("podFailurePolicy") if self.gate("JobPodFailurePolicy") else None

    def _match_policy(self, job: Obj, pod: Obj) -> tuple[str | None, bool, str | None]:
        return pol.match_pod_failure_policy(self._policy(job), pod, fail_index_enabled=self.gate("JobBackoffLimitPerIndex"))

    def _per_index(self, job: Obj) -> bool:
        return pol.has_backoff_limit_per_index(job, self.gate("JobBackoffLimitPerIndex"))

    def _completions(self, job: Obj) -> int:
        return (job.get("spec") or {}).get("completions") or 0

    def _valid_index(self, job: Obj, pod: Obj) -> bool:
        i = pol.completion_index(pod)
        return i != pol.UNKNOWN_INDEX and i < self._completions(job)

    def _new_finished_pods(self, sc: SyncContext) -> tuple[list[Obj], list[Obj]]:
        """getNewFinishedPods: terminal pods not yet counted nor listed as uncounted."""
        succeeded, failed = [], []
        indexed = pol.is_indexed(sc.job)
        for p in sc.pods:
            uid = _uid(p)
            if not pol.has_tracking_finalizer(p) or uid in sc.expected_rm_finalizers:
                continue
            if indexed and not self._valid_index(sc.job, p):
                continue
            if pol.phase(p) == "Succeeded" and uid not in sc.uncounted_succeeded:
                succeeded.append(p)
            elif uid not in sc.uncounted_failed and self._pod_failed(p, sc.job):
                failed.append(p)
        return succeeded, failed

    def _fail_job_message(self, job: Obj, pods: list[Obj]) -> str | None:
        if self._policy(job) is None:
            return None
        for p in pods:
            if self._pod_failed(p, job):
                msg, _, _ = self._match_policy(job, p)
                if msg is not None:
                    return msg
        return None

    def _past_active_deadline(self, job: Obj) -> bool:
        ads = (job.get("spec") or {}).get("activeDeadlineSeconds")
        start = (job.get("status") or {}).get("startTime")
        if ads is None or not start or pol.is_suspended(job):
            return False
        return (self.now() - meta.parse_time(start)).total_seconds() >= ads

    def _succeeded_indexes(self, sc: SyncContext) -> tuple[ix.Intervals, ix.Intervals]:
        job = sc.job
        prev = ix.parse_indexes((job.get("status") or {}).get("completedIndexes"), self._completions(job))
        new = {pol.completion_index(p) for p in sc.pods
               if pol.phase(p) == "Succeeded" and self._valid_index(job, p) and pol.has_tracking_finalizer(p)}
        return prev, ix.with_indexes(prev, new)

    def _is_index_failed(self, job: Obj, pod: Obj) -> bool:
        counted = False
        if self._pod_failed(pod, job):
            if self._policy(job) is not None:
                _, counts, action = self._match_policy(job, pod)
                if action == "FailIndex":
                    return True
                counted = counts
            else:
                counted = True
        return counted and pol.index_failure_count(pod) >= (job.get("spec") or {}).get("backoffLimitPerIndex", 0)

    def _failed_indexes(self, sc: SyncContext) -> ix.Intervals:
        job = sc.job
        prev = ix.parse_indexes((job.get("status") or {}).get("failedIndexes"), self._completions(job))
        new = {pol.completion_index(p) for p in sc.pods
               if self._valid_index(job, p) and pol.has_tracking_finalizer(p) and self._is_index_failed(job, p)}
        return ix.with_indexes(prev, new)

    def _delayed_deletion(self, sc: SyncContext) -> dict[int, Obj]:
        """getPodsWithDelayedDeletionPerIndex: the last failed pod of each index still to be
        replaced keeps its finalizer until the replacement carries its failure count."""
        active = {pol.completion_index(p) for p in sc.active_pods}
        out: dict[int, Obj] = {}
        for p in sc.pods:
            if not pol.has_tracking_finalizer(p) or _uid(p) in sc.expected_rm_finalizers:
                continue
            if not self._valid_index(sc.job, p) or not self._pod_failed(p, sc.job):
                continue
            i = pol.completion_index(p)
            if ix.has(sc.succeeded_indexes, i) or ix.has(sc.failed_indexes, i) or i in active:
                continue
            last = out.get(i)
            if last is None or (pol.index_absolute_failure_count(last) <= pol.index_absolute_failure_count(p)
                                and not pol.finished_time(p) < pol.finished_time(last)):
                out[i] = p
        return out

    async def sync(self, key: str) -> None:
        shared = self._current(key)
        if shared is None:
            self.backoff.pop(key, None)
            self.expectations.delete(key)
            self.finalizer_expectations.pop(key, None)
            return
        if self._managed_elsewhere(shared):
            return
        if pol.is_finished(shared):
            self.backoff.pop(key, None)
            return
        job = copy.deepcopy(shared)
        mode = (job.get("spec") or {}).get("completionMode")
        if mode is not None and mode not in ("NonIndexed", "Indexed"):
            self.recorder.event(job, "Warning", "UnknownCompletionMode", "Skipped Job sync because completion mode is unknown")
            return
        job.setdefault("apiVersion", "batch/v1")
        job.setdefault("kind", "Job")
        spec = job.setdefault("spec", {})
        status = job.setdefault("status", {})
        uncounted = status.setdefault("uncountedTerminatedPods", {})
        satisfied = self.expectations.satisfied(key)
        pods = await self._pods_for_job(job)
        active_pods = [p for p in pods if pol.is_active(p)]
        sc = SyncContext(
            job=job, pods=pods, active_pods=active_pods,
            ready=sum(1 for p in active_pods if pol.is_ready(p)),
            terminating=sum(1 for p in pods if pol.is_terminating(p)) if self.gate("JobPodReplacementPolicy") else None,
            uncounted_succeeded=set(uncounted.get("succeeded") or ()),
            uncounted_failed=set(uncounted.get("failed") or ()),
            expected_rm_finalizers=set(self.finalizer_expectations.get(key, ())),
        )
        active = len(active_pods)
        new_succeeded, new_failed = self._new_finished_pods(sc)
        non_ignored = len(new_failed)
        if self._policy(job) is not None:
            non_ignored -= sum(1 for p in new_failed if not self._match_policy(job, p)[1])
        sc.succeeded = (status.get("succeeded") or 0) + len(new_succeeded) + len(sc.uncounted_succeeded)
        sc.failed = (status.get("failed") or 0) + non_ignored + len(sc.uncounted_failed)
        now = self.now()
        if not status.get("startTime") and not pol.is_suspended(job):
            status["startTime"] = meta.format_time(now)
        sc.new_backoff = pol.next_backoff_record(self.backoff.get(key, pol.BackoffRecord()), new_succeeded, new_failed)

        self._decide_finish(sc, key, now)
        manage_error: Exception | None = None
        suspend_changed = False
        if sc.finished_condition is not None:
            deleted_ready, deleted, manage_error = await self._delete_active_pods(job, sc.active_pods)
            if deleted != active or not satisfied:
                sc.finished_condition = None  # pods or finalizers the cache has not shown us yet
            active -= deleted
            if sc.terminating is not None:
                sc.terminating += deleted
            sc.ready -= deleted_ready
        else:
            manage_called = False
            if satisfied and not (job.get("metadata") or {}).get("deletionTimestamp"):
                active, manage_error = await self._manage_job(key, sc)
                manage_called = True
            completions = spec.get("completions")
            if completions is None:
                complete = sc.succeeded > 0 and active == 0
            else:
                complete = sc.succeeded >= completions and active == 0
            if complete:
                sc.finished_condition = pol.new_condition("Complete", "True", "", "", now)
            elif manage_called:
                suspend_changed = self._update_suspended_condition(job, now)

        needs_update = (suspend_changed or active != (status.get("active") or 0)
                        or sc.ready != status.get("ready") or sc.terminating != status.get("terminating"))
        status["active"] = active
        status["ready"] = sc.ready
        if sc.terminating is not None:
            status["terminating"] = sc.terminating
        await self._track_status_and_remove_finalizers(key, sc, needs_update)
        if manage_error is not None:
            raise manage_error

    def _decide_finish(self, sc: SyncContext, key: str, now: datetime) -> None:
        """The v1.30 order: an earlier SuccessCriteriaMet or FailureTarget, a FailJob match,
        backoffLimit, activeDeadlineSeconds, per-index limits, then the success policy."""
        job = sc.job
        spec = job["spec"]
        if self.gate("JobSuccessPolicy"):
            met = pol.find_condition(job, "SuccessCriteriaMet")
            if met is not None and met.get("status") == "True":
                sc.finished_condition = met
        if sc.finished_condition is None and self.gate("JobPodFailurePolicy"):
            target = pol.find_condition(job, "FailureTarget")
            if target is not None and target.get("status") == "True":
                sc.finished_condition = pol.new_condition("Failed", "True", target.get("reason") or "", target.get("message") or "", now)
            elif (msg := self._fail_job_message(job, sc.pods)) is not None:
                sc.finished_condition = pol.new_condition("FailureTarget", "True", pol.REASON_POD_FAILURE_POLICY, msg, now)
        if sc.finished_condition is None:
            if sc.failed > (spec.get("backoffLimit") or 0) or pol.past_backoff_limit_on_failure(job, sc.pods):
                sc.finished_condition = pol.new_condition("Failed", "True", *pol.BACKOFF_LIMIT_EXCEEDED, now)
            elif self._past_active_deadline(job):
                sc.finished_condition = pol.new_condition("Failed", "True", *pol.DEADLINE_EXCEEDED, now)
            elif spec.get("activeDeadlineSeconds") is not None and not pol.is_suspended(job):
                started = meta.parse_time(job["status"]["startTime"])
                remaining = spec["activeDeadlineSeconds"] - (now - started).total_seconds()
                self.queue.add_after(key, max(remaining, 0.0))
        if pol.is_indexed(job):
            completions = self._completions(job)
            sc.prev_succeeded_indexes, sc.succeeded_indexes = self._succeeded_indexes(sc)
            sc.succeeded = ix.total(sc.succeeded_indexes)
            if self._per_index(job):
                sc.failed_indexes = self._failed_indexes(sc)
                failed_total = ix.total(sc.failed_indexes)
                if sc.finished_condition is None:
                    max_failed = spec.get("maxFailedIndexes")
                    if max_failed is not None and failed_total > max_failed:
                        sc.finished_condition = pol.new_condition("Failed", "True", *pol.MAX_FAILED_INDEXES_EXCEEDED, now)
                    elif failed_total > 0 and failed_total + ix.total(sc.succeeded_indexes) >= completions:
                        sc.finished_condition = pol.new_condition("Failed", "True", *pol.FAILED_INDEXES, now)
                sc.delayed_deletion = self._delayed_deletion(sc)
            if sc.finished_condition is None:
                msg, met = ix.match_success_policy(spec.get("successPolicy"), completions, sc.succeeded_indexes,
                                                   enabled=self.gate("JobSuccessPolicy"))
                if met:
                    sc.finished_condition = pol.new_condition("SuccessCriteriaMet", "True", pol.REASON_SUCCESS_POLICY, msg, now)

    def _update_suspended_condition(self, job: Obj, now: datetime) -> bool:
        status = job["status"]
        conds = status.get("conditions") or []
        if pol.is_suspended(job):
            conds, changed = pol.ensure_condition(conds, "Suspended", "True", "JobSuspended", "Job suspended", now)
            if changed:
                self.recorder.event(job, "Normal", "Suspended", "Job suspended")
        else:
            conds, changed = pol.ensure_condition(conds, "Suspended", "False", "JobResumed", "Job resumed", now)
            if changed:
                self.recorder.event(job, "Normal", "Resumed", "Job resumed")
                # activeDeadlineSeconds counts continuous activity: a resume restarts the clock.
                status["startTime"] = meta.format_time(now)
        if changed:
            status["conditions"] = conds
        return changed

    # ---------------------------------------------------------------- pod management

    async def _delete_active_pods(self, job: Obj, pods: list[Obj]) -> tuple[int, int, Exception | None]:
        """deleteActivePods: DELETE keeping finalizers; tracking removes them afterwards."""
        async def one(pod: Obj) -> Exception | None:
            m = pod["metadata"]
            try:
                await self.client.delete(PODS, m["name"], m.get("namespace"))
            except APIError as e:
                if not e.not_found:
                    self.recorder.event(job, "Warning", "FailedDelete", f"Error deleting: {e.status.get('message', e)}")
                    return e
            self.recorder.event(job, "Normal", "SuccessfulDelete", f"Deleted pod: {m['name']}")
            return None

        results = await asyncio.gather(*(one(p) for p in pods))
        errs = [e for e in results if e is not None]
        deleted = len(pods) - len(errs)
        ready = sum(1 for p, e in zip(pods, results, strict=True) if e is None and pol.is_ready(p))
        return ready, deleted, errs[0] if errs else None

    async def _delete_job_pods(self, key: str, job: Obj, pods: list[Obj]) -> tuple[int, int, Exception | None]:
        """deleteJobPods: remove the finalizer (the pod is not counted), then DELETE."""
        async def one(pod: Obj) -> Exception | None:
            m = pod["metadata"]
            try:
                if pol.has_tracking_finalizer(pod):
                    await self.client.patch(PODS, m["name"], REMOVE_FINALIZER_PATCH, m.get("namespace"), patch_type="strategic")
                await self.client.delete(PODS, m["name"], m.get("namespace"))
            except APIError as e:
                if not e.not_found:
                    self.expectations.lower(key, dels=1)
                    self.recorder.event(job, "Warning", "FailedDelete", f"Error deleting: {e.status.get('message', e)}")
                    return e
            self.recorder.event(job, "Normal", "SuccessfulDelete", f"Deleted pod: {m['name']}")
            return None

        results = await asyncio.gather(*(one(p) for p in pods))
        errs = [e for e in results if e is not None]
        ready = sum(1 for p, e in zip(pods, results, strict=True) if e is None and pol.is_ready(p))
        return ready, len(pods) - len(errs), errs[0] if errs else None

    async def _manage_job(self, key: str, sc: SyncContext) -> tuple[int, Exception | None]:
        """manageJob: delete surplus or duplicate pods, or create missing ones (slow start)."""
        job = sc.job
        spec = job["spec"]
        active = len(sc.active_pods)
        parallelism = spec.get("parallelism") or 0
        if pol.is_suspended(job):
            doomed = pol.active_pods_for_removal(job, sc.active_pods, active)
            return await self._scale_down(key, sc, doomed, active)
        completions = spec.get("completions")
        if completions is None:
            want = active if sc.succeeded > 0 else parallelism
        else:
            want = max(0, min(completions - sc.succeeded, parallelism))
        doomed = pol.active_pods_for_removal(job, sc.active_pods, max(0, active - want))[:MAX_POD_CREATE_DELETE_PER_SYNC]
        if doomed:
            return await self._scale_down(key, sc, doomed, active)
        terminating = 0
        if self._only_failed(job):
            terminating = sc.terminating if sc.terminating is not None else sum(1 for p in sc.pods if pol.is_terminating(p))
        diff = want - terminating - active
        if diff <= 0:
            return active, None
        if not self._per_index(job):
            wait = pol.remaining_backoff(sc.new_backoff.failures_after_last_success, sc.new_backoff.last_failure_time,
                                         self.now(), self.backoff_base, self.backoff_max)
            if wait > 0:
                self.queue.add_after(key, wait)
                return 0, None
        diff = min(diff, MAX_POD_CREATE_DELETE_PER_SYNC)
        indexes: list[int] | None = None
        if pol.is_indexed(job):
            indexes = self._indexes_to_create(sc, diff)
            if self._per_index(job):
                indexes, wait = self._indexes_ready_now(sc, indexes)
                if wait > 0:
                    self.queue.add_after(key, wait)
                    return 0, None
            diff = len(indexes)
        if diff <= 0:
            return active, None
        created, err = await self._create_pods(key, sc, diff, indexes)
        return active + created, err

    async def _scale_down(self, key: str, sc: SyncContext, doomed: list[Obj], active: int) -> tuple[int, Exception | None]:
        self.expectations.expect(key, dels=len(doomed))
        ready, removed, err = await self._delete_job_pods(key, sc.job, doomed)
        if sc.terminating is not None:
            sc.terminating += removed
        sc.ready -= ready
        return active - removed, err

    def _indexes_to_create(self, sc: SyncContext, count: int) -> list[int]:
        non_pending = ix.with_indexes(sc.succeeded_indexes, (pol.completion_index(p) for p in sc.active_pods))
        if sc.failed_indexes:
            non_pending = ix.merge(non_pending, sc.failed_indexes)
        if self._only_failed(sc.job):
            non_pending = ix.with_indexes(non_pending, (pol.completion_index(p) for p in sc.pods if pol.is_terminating(p)))
        non_pending = [(a, b) for a, b in non_pending if b >= 0]
        return pol.first_pending_indexes(non_pending, count, self._completions(sc.job))

    def _indexes_ready_now(self, sc: SyncContext, indexes: list[int]) -> tuple[list[int], float]:
        """getPodCreationInfoForIndependentIndexes: indexes out of their per-index back-off."""
        now_list: list[int] = []
        min_wait: float | None = None
        now = self.now()
        for i in indexes:
            last = sc.delayed_deletion.get(i)
            wait = 0.0
            if last is not None:
                wait = pol.remaining_backoff(pol.index_absolute_failure_count(last) + 1, pol.finished_time(last), now,
                                             self.backoff_base, self.backoff_max)
            if wait == 0:
                now_list.append(i)
            elif min_wait is None or wait < min_wait:
                min_wait = wait
        return (now_list, 0.0) if now_list else ([], min_wait or 0.0)

    def _pod_body(self, job: Obj, base_spec: Obj, template_meta: Obj, index: int | None, sc: SyncContext) -> Obj:
        m = job["metadata"]
        labels = dict(template_meta.get("labels") or {})
        annotations = dict(template_meta.get("annotations") or {})
        pod_spec = base_spec
        generate_name = f"{m['name']}-"
        if index is not None:
            annotations[pol.COMPLETION_INDEX_ANNOTATION] = str(index)
            if self.gate("PodIndexLabel"):
                labels[pol.COMPLETION_INDEX_ANNOTATION] = str(index)
            pod_spec = dict(base_spec, hostname=f"{m['name']}-{index}")
            generate_name = pol.generate_name_with_index(m["name"], index)
            if self._per_index(job):
                failures, ignored = pol.new_index_failure_counts(job, sc.delayed_deletion.get(index),
                                                                 fail_index_enabled=self.gate("JobBackoffLimitPerIndex"))
                annotations[pol.INDEX_FAILURE_COUNT_ANNOTATION] = str(failures)
                if ignored > 0:
                    annotations[pol.INDEX_IGNORED_FAILURE_COUNT_ANNOTATION] = str(ignored)
        finalizers = list(template_meta.get("finalizers") or [])
        if pol.TRACKING_FINALIZER not in finalizers:
            finalizers.append(pol.TRACKING_FINALIZER)
        pod_meta: Obj = {"generateName": generate_name, "namespace": m.get("namespace"),
                         "finalizers": finalizers, "ownerReferences": [self._owner_ref(job)]}
        if labels:
            pod_meta["labels"] = labels
        if annotations:
            pod_meta["annotations"] = annotations
        return {"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta, "spec": pod_spec}

    async def _create_pods(self, key: str, sc: SyncContext, diff: int, indexes: list[int] | None
                           ) -> tuple[int, Exception | None]:
        """Slow-start batches of 1, 2, 4, ...; stop after a batch with errors. Returns pods created."""
        job = sc.job
        template = job["spec"].get("template") or {}
        base_spec = copy.deepcopy(template.get("spec") or {})
        if indexes is not None:
            pol.add_completion_index_env(base_spec, index_label=self.gate("PodIndexLabel"))
        template_meta = template.get("metadata") or {}
        self.expectations.expect(key, adds=diff)
        pending = list(indexes) if indexes is not None else [None] * diff
        created = 0
        batch = 1
        errors: list[Exception] = []
        while pending:
            chunk, pending = pending[:batch], pending[batch:]
            results = await asyncio.gather(*(self._create_one(key, job, self._pod_body(job, base_spec, template_meta, i, sc))
                                             for i in chunk))
            failed = [e for e in results if e is not None]
            created += len(chunk) - len(failed)
            if failed:
                errors.extend(failed)
                self.expectations.lower(key, adds=len(pending))  # never attempted
                break
            batch = min(2 * batch, len(pending)) if pending else batch
        return created, errors[0] if errors else None

    async def _create_one(self, key: str, job: Obj, body: Obj) -> Exception | None:
        try:
            pod = await self.client.create(PODS, body)
        except APIError as e:
            self.expectations.lower(key, adds=1)
            if any(c.get("reason") == "NamespaceTerminating" for c in (e.status.get("details") or {}).get("causes") or ()):
                return None
            self.recorder.event(job, "Warning", "FailedCreate", f"Error creating: {e.status.get('message', e)}")
            return e
        self.recorder.event(job, "Normal", "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}")
        return None

    # ---------------------------------------------------------------- status tracking

    def _can_remove_finalizer(self, sc: SyncContext, pod: Obj, failed: bool) -> bool:
        if (sc.job.get("metadata") or {}).get("deletionTimestamp") or sc.finished_condition is not None:
            return True
        if pol.phase(pod) == "Succeeded":
            return True
        if not failed:
            return False
        if self._per_index(sc.job):
            delayed = sc.delayed_deletion.get(pol.completion_index(pod))
            if delayed is not None and _uid(delayed) == _uid(pod):
                return False
        return True

    async def _track_status_and_remove_finalizers(self, key: str, sc: SyncContext, needs_flush: bool) -> None:
        """trackJobStatusAndRemoveFinalizers: record finished pods as uncounted, write, remove
        their finalizers, move them into the counters, then (maybe) the terminal condition."""
        job = sc.job
        indexed = pol.is_indexed(job)
        pods = sorted(sc.pods, key=pol.completion_index) if indexed else sc.pods
        uncounted = job["status"]["uncountedTerminatedPods"]
        uncounted.setdefault("succeeded", [])
        uncounted.setdefault("failed", [])
        with_finalizer = {_uid(p) for p in pods if pol.has_tracking_finalizer(p) and _uid(p) not in sc.expected_rm_finalizers}
        if self._clean_uncounted(job["status"], with_finalizer):
            needs_flush = True
        to_remove: list[Obj] = []
        new_succeeded_indexes: list[int] = []
        reached_max = False
        success_met = sc.finished_condition is not None and sc.finished_condition.get("type") == "SuccessCriteriaMet"
        for pod in pods:
            uid = _uid(pod)
            if not pol.has_tracking_finalizer(pod) or uid in sc.expected_rm_finalizers:
                continue
            failed = self._pod_failed(pod, job)
            if not self._can_remove_finalizer(sc, pod, failed):
                continue
            to_remove.append(pod)
            if pol.phase(pod) == "Succeeded" and uid not in sc.uncounted_failed:
                if indexed:
                    i = pol.completion_index(pod)
                    if self._valid_index(job, pod) and not ix.has(sc.prev_succeeded_indexes, i):
                        new_succeeded_indexes.append(i)
                        needs_flush = True
                elif uid not in sc.uncounted_succeeded:
                    uncounted["succeeded"].append(uid)
                    sc.uncounted_succeeded.add(uid)
                    needs_flush = True
            elif failed or (sc.finished_condition is not None and not success_met):
                # When the job is finishing on a failure, every pod still running counts as failed.
                if uid not in sc.uncounted_failed and (not indexed or self._valid_index(job, pod)):
                    counts = True
                    if self._policy(job) is not None:
                        counts = self._match_policy(job, pod)[1]
                    if counts:
                        uncounted["failed"].append(uid)
                        sc.uncounted_failed.add(uid)
                        needs_flush = True
            if len(new_succeeded_indexes) + len(uncounted["succeeded"]) + len(uncounted["failed"]) >= MAX_UNCOUNTED_PODS:
                reached_max = True
                break
        status = job["status"]
        if indexed:
            sc.succeeded_indexes = ix.with_indexes(sc.succeeded_indexes, new_succeeded_indexes)
            text = ix.format_indexes(sc.succeeded_indexes)
            if text != (status.get("completedIndexes") or ""):
                needs_flush = True
            status["succeeded"] = ix.total(sc.succeeded_indexes)
            status["completedIndexes"] = text
            failed_text = ix.format_indexes(sc.failed_indexes) if sc.failed_indexes is not None else None
            if failed_text != status.get("failedIndexes"):
                status["failedIndexes"] = failed_text
                needs_flush = True
        now = self.now()
        cond = sc.finished_condition
        if cond is not None and cond["type"] == "FailureTarget":
            status["conditions"] = [*(status.get("conditions") or []), cond]
            needs_flush = True
            cond = sc.finished_condition = pol.new_condition("Failed", "True", cond["reason"], cond["message"], now)
        if cond is not None and cond["type"] == "SuccessCriteriaMet":
            if not pol.has_true_condition(job, "SuccessCriteriaMet"):
                status["conditions"] = [*(status.get("conditions") or []), cond]
                needs_flush = True
            cond = sc.finished_condition = pol.new_condition("Complete", "True", cond.get("reason") or "", cond.get("message") or "", now)
        needs_flush = await self._flush_and_remove_finalizers(key, sc, to_remove, with_finalizer, needs_flush)
        finished = not reached_max and self._enact_finished(sc, now)
        if finished or needs_flush:
            sc.job = await self._update_status(key, sc.job)
            if finished:
                self._record_finished(sc.job, cond)

    async def _flush_and_remove_finalizers(self, key: str, sc: SyncContext, to_remove: list[Obj],
                                           with_finalizer: set[str], needs_flush: bool) -> bool:
        if needs_flush:
            sc.job = await self._update_status(key, sc.job)
            self.backoff[key] = sc.new_backoff
            needs_flush = False
        removed, err = await self._remove_tracking_finalizers(key, to_remove)
        with_finalizer.difference_update(removed)
        if self._clean_uncounted(sc.job["status"], with_finalizer):
            needs_flush = True
        if err is not None:
            if needs_flush:
                sc.job = await self._update_status(key, sc.job)
            raise err
        return needs_flush

    async def _remove_tracking_finalizers(self, key: str, pods: list[Obj]) -> tuple[set[str], Exception | None]:
        if not pods:
            return set(), None
        uids = {_uid(p) for p in pods}
        self.finalizer_expectations.setdefault(key, set()).update(uids)

        async def one(pod: Obj) -> Exception | None:
            m = pod["metadata"]
            try:
                await self.client.patch(PODS, m["name"], REMOVE_FINALIZER_PATCH, m.get("namespace"), patch_type="strategic")
            except APIError as e:
                if not e.not_found:
                    self._finalizer_removal_observed(key, _uid(pod))
                    return e
            return None

        results = await asyncio.gather(*(one(p) for p in pods))
        removed = {_uid(p) for p, e in zip(pods, results, strict=True) if e is None}
        errs = [e for e in results if e is not None]
        return removed, errs[0] if errs else None

    @staticmethod
    def _clean_uncounted(status: Obj, with_finalizer: set[str]) -> bool:
        """cleanUncountedPodsWithoutFinalizers: uncounted pods whose finalizer is gone move into
        the counters."""
        uncounted = status.setdefault("uncountedTerminatedPods", {})
        changed = False
        for key in ("succeeded", "failed"):
            uids = uncounted.get(key) or []
            keep = [u for u in uids if u in with_finalizer]
            if len(keep) != len(uids):
                changed = True
                status[key] = (status.get(key) or 0) + len(uids) - len(keep)
                uncounted[key] = keep
        return changed

    def _enact_finished(self, sc: SyncContext, now: datetime) -> bool:
        cond = sc.finished_condition
        if cond is None:
            return False
        uncounted = sc.job["status"].get("uncountedTerminatedPods") or {}
        if uncounted.get("succeeded") or uncounted.get("failed"):
            return False
        status = sc.job["status"]
        status["conditions"], _ = pol.ensure_condition(status.get("conditions") or [], cond["type"], cond["status"],
                                                       cond.get("reason") or "", cond.get("message") or "", now)
        if cond["type"] == "Complete":
            status["completionTime"] = next(c["lastTransitionTime"] for c in status["conditions"] if c["type"] == "Complete")
        return True

    def _record_finished(self, job: Obj, cond: Obj | None) -> None:
        if cond is None:
            return
        if cond["type"] == "Complete":
            completions = (job.get("spec") or {}).get("completions")
            if completions is not None and ((job.get("status") or {}).get("succeeded") or 0) > completions:
                self.recorder.event(job, "Warning", "TooManySucceededPods", "Too many succeeded pods running after completion count reached")
            self.recorder.event(job, "Normal", "Completed", "Job completed")
        else:
            self.recorder.event(job, "Warning", cond.get("reason") or "", cond.get("message") or "")

    async def _update_status(self, key: str, job: Obj) -> Obj:
        body = dict(job)
        body["status"] = clean_status(job.get("status") or {})
        written = await self.client.update_status(JOBS, body, field_manager=CONTROLLER_NAME)
        written.setdefault("apiVersion", "batch/v1")
        written.setdefault("kind", "Job")
        written.setdefault("status", {}).setdefault("uncountedTerminatedPods", {})
        self._written[key] = written
        return copy.deepcopy(written)
