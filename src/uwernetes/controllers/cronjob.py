"""The CronJob controller (batch/v1), v1.30: upstream's `pkg/controller/cronjob/cronjob_controllerv2.go`.

One sync per CronJob key: reconcile `status.active` with the Jobs it owns (events for completed,
missing and unexpected Jobs), delete finished Jobs beyond the history limits, then, unless
suspended, find the most recent unmet schedule time and honour `startingDeadlineSeconds` and
`concurrencyPolicy` before creating `<name>-<minutes since epoch>`. The key is requeued for the
next schedule time, so no polling loop is needed.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

from uwernetes import features as features_mod
from uwernetes.client.api import JOBS, APIError, Client, Resource
from uwernetes.client.informer import object_key
from uwernetes.client.workqueue import WorkQueue
from uwernetes.controllers.job import EventRecorder
from uwernetes.controllers.workload_common import run_workers
from uwernetes.machinery import cron, meta

log = logging.getLogger(__name__)

Obj = dict[str, Any]
CRONJOBS = Resource("batch", "v1", "cronjobs", True, "CronJob")
CONTROLLER_NAME = "cronjob-controller"
SCHEDULED_TIMESTAMP_ANNOTATION = "batch.kubernetes.io/cronjob-scheduled-timestamp"
NEXT_SYNC_SLACK = 0.1  # upstream requeues 100ms after the next schedule time
MANY_MISSED = 100


def job_name(cronjob_name: str, scheduled: datetime) -> str:
    """getJobName: `<cronjob>-<minutes since the epoch>`."""
    return f"{cronjob_name}-{int(scheduled.timestamp()) // 60}"


def most_recent_schedule_time(cj: Obj, now: datetime, schedule: cron.Schedule) -> tuple[datetime | None, int]:
    """mostRecentScheduleTime: (the latest unmet activation <= now or None, missed count)."""
    m, spec, status = cj.get("metadata") or {}, cj.get("spec") or {}, cj.get("status") or {}
    earliest = meta.parse_time(status.get("lastScheduleTime") or m.get("creationTimestamp"))
    deadline = spec.get("startingDeadlineSeconds")
    if deadline is not None:
        earliest = max(earliest, now - timedelta(seconds=deadline))
    t1 = schedule.next(earliest)
    if t1 is None or now < t1:
        return None, 0
    t2 = schedule.next(t1)
    if t2 is None or now < t2:
        return t1, 1
    between = round((t2 - t1).total_seconds())
    if between < 1:
        raise ValueError("time difference between two schedules is less than 1 second")
    missed = int((now - t1).total_seconds()) // between + 1
    t: datetime | None = schedule.next(t1 + timedelta(seconds=(missed - 2) * between))
    latest = None
    while t is not None and t <= now:
        latest = t
        t = schedule.next(t)
    return latest, missed


def is_finished(job: Obj) -> tuple[bool, str]:
    for c in (job.get("status") or {}).get("conditions") or ():
        if c.get("type") in ("Complete", "Failed") and c.get("status") == "True":
            return True, c["type"]
    return False, ""


def jobs_to_delete(jobs: list[Obj], limit: int | None) -> list[Obj]:
    """removeOldestJobs: the oldest finished Jobs (by startTime, then name) beyond `limit`."""
    if limit is None or len(jobs) <= limit:
        return []

    def key(j: Obj) -> tuple:
        start = (j.get("status") or {}).get("startTime")
        return (start is not None, start or "", (j.get("metadata") or {}).get("name") or "")

    return sorted(jobs, key=key)[: len(jobs) - limit]


class CronJobController:
    def __init__(self, ctx: Any, informers: Any, *, now: Callable[[], datetime] | None = None) -> None:
        self.client: Client = ctx.client(CONTROLLER_NAME)
        self.features = ctx.features or features_mod.DEFAULT
        self.now = now or (lambda: datetime.now(UTC))
        self.queue = WorkQueue(base_delay=0.005, max_delay=1000.0)
        self.recorder = EventRecorder(self.client, CONTROLLER_NAME)
        self.cronjobs = informers.get(CRONJOBS)
        self.jobs = informers.get(JOBS)
        self.cronjobs.add_handlers(self._enqueue, self._on_cronjob_update, None)
        self.jobs.add_handlers(self._on_job, lambda old, new: self._on_job(new), self._on_job)

    def _enqueue(self, cj: Obj) -> None:
        self.queue.add(object_key(cj))

    def _on_cronjob_update(self, old: Obj, cur: Obj) -> None:
        self.queue.add(object_key(cur))

    def _on_job(self, job: Obj) -> None:
        m = job.get("metadata") or {}
        for ref in m.get("ownerReferences") or ():
            if ref.get("controller") and ref.get("kind") == "CronJob":
                self.queue.add(f"{m.get('namespace')}/{ref.get('name')}")

    async def run(self) -> None:
        await run_workers(self.queue, self.sync, 5, CONTROLLER_NAME)

    def _owned_jobs(self, cj: Obj) -> list[Obj]:
        m = cj["metadata"]
        out = []
        for job in self.jobs.list():
            jm = job.get("metadata") or {}
            if jm.get("namespace") != m.get("namespace"):
                continue
            if any(r.get("controller") and r.get("uid") == m.get("uid") for r in jm.get("ownerReferences") or ()):
                out.append(job)
        return out

    async def sync(self, key: str) -> None:
        cached = self.cronjobs.get(key)
        if cached is None:
            return
        cj = copy.deepcopy(cached)
        cj.setdefault("apiVersion", "batch/v1")
        cj.setdefault("kind", "CronJob")
        jobs = self._owned_jobs(cj)
        now = self.now()
        changed = await self._reconcile_active(cj, jobs)
        requeue = await self._schedule(cj, now)
        if requeue is not None:
            changed = True if requeue[1] else changed
        if changed:
            await self.client.update_status(CRONJOBS, cj, field_manager=CONTROLLER_NAME)
        await self._cleanup_finished(cj, self._owned_jobs(cj))
        if requeue is not None and requeue[0] is not None:
            self.queue.add_after(key, requeue[0])

    async def _reconcile_active(self, cj: Obj, jobs: list[Obj]) -> bool:
        """Active list vs owned Jobs; lastSuccessfulTime from completed ones.

        The two informers lag each other (a Job this controller just created can arrive before
        the status listing it): before calling a Job unexpected or an active one missing, the
        API server is asked, as upstream's controller does."""
        status = cj.setdefault("status", {})
        active = list(status.get("active") or [])
        active_uids = {a.get("uid") for a in active}
        changed = False
        child_uids = set()
        for job in jobs:
            jm = job["metadata"]
            child_uids.add(jm.get("uid"))
            finished, ctype = is_finished(job)
            if not finished and jm.get("uid") not in active_uids and await self._live_active(cj, jm.get("uid")):
                status = cj["status"]
                active = list(status.get("active") or [])
                active_uids = {a.get("uid") for a in active}
            if not finished and jm.get("uid") not in active_uids:
                self.recorder.event(cj, "Warning", "UnexpectedJob", f"Saw a job that the controller did not create or forgot: {jm['name']}")
                active.append(self._reference(job))
                active_uids.add(jm.get("uid"))
                changed = True
            elif finished and jm.get("uid") in active_uids:
                self.recorder.event(cj, "Normal", "SawCompletedJob", f"Saw completed job: {jm['name']}, status: {ctype}")
                active = [a for a in active if a.get("uid") != jm.get("uid")]
                active_uids.discard(jm.get("uid"))
                changed = True
            if finished and ctype == "Complete":
                done = (job.get("status") or {}).get("completionTime")
                if done and (not status.get("lastSuccessfulTime") or done > status["lastSuccessfulTime"]):
                    status["lastSuccessfulTime"] = done
                    changed = True
        for ref in list(active):
            if ref.get("uid") not in child_uids and not await self._job_exists(ref):
                self.recorder.event(cj, "Normal", "MissingJob", f"Active job went missing: {ref.get('name')}")
                active = [a for a in active if a.get("uid") != ref.get("uid")]
                changed = True
        if active:
            status["active"] = active
        else:
            status.pop("active", None)
        return changed

    async def _live_active(self, cj: Obj, uid: str | None) -> bool:
        """Whether the API server's copy lists the Job as active; if so `cj` becomes that copy."""
        m = cj["metadata"]
        try:
            live = await self.client.get(CRONJOBS, m["name"], m.get("namespace"))
        except APIError:
            return False
        if not any(a.get("uid") == uid for a in (live.get("status") or {}).get("active") or ()):
            return False
        live.setdefault("apiVersion", "batch/v1")
        live.setdefault("kind", "CronJob")
        cj.clear()
        cj.update(live)
        return True

    async def _job_exists(self, ref: Obj) -> bool:
        try:
            await self.client.get(JOBS, ref.get("name", ""), ref.get("namespace"))
        except APIError as e:
            if e.not_found:
                return False
            raise
        return True

    @staticmethod
    def _reference(job: Obj) -> Obj:
        m = job["metadata"]
        return {"kind": "Job", "namespace": m.get("namespace"), "name": m["name"], "uid": m.get("uid"),
                "apiVersion": "batch/v1", "resourceVersion": m.get("resourceVersion")}

    async def _schedule(self, cj: Obj, now: datetime) -> tuple[float | None, bool] | None:
        """Decide and maybe create this period's Job: (requeue after, status changed), or None."""
        m, spec = cj["metadata"], cj.get("spec") or {}
        if m.get("deletionTimestamp"):
            return None
        tz = spec.get("timeZone")
        try:
            location = cron.load_location(tz or "UTC")
        except cron.CronError as e:
            self.recorder.event(cj, "Warning", "UnknownTimeZone", f"invalid timeZone: {tz!r}: {e}".replace("'", '"'))
            return None
        if spec.get("suspend"):
            return None
        try:
            schedule = cron.parse_standard(spec.get("schedule") or "")
        except cron.CronError as e:
            self.recorder.event(cj, "Warning", "UnparseableSchedule", f'unparseable schedule: "{spec.get("schedule")}" : {e}')
            return None
        if schedule.location is None:
            schedule = cron.Schedule(schedule.minute, schedule.hour, schedule.dom, schedule.month, schedule.dow,
                                     schedule.every, location)
        try:
            scheduled, missed = most_recent_schedule_time(cj, now, schedule)
        except ValueError as e:
            self.recorder.event(cj, "Warning", "InvalidSchedule", f"invalid schedule: {spec.get('schedule')} : {e}")
            return None
        if missed > MANY_MISSED:
            self.recorder.event(cj, "Warning", "TooManyMissedTimes", f"too many missed start times: {missed}. Set or decrease .spec.startingDeadlineSeconds or check clock skew")
        next_in = self._next_in(schedule, now)
        if scheduled is None:
            return next_in, False
        deadline = spec.get("startingDeadlineSeconds")
        if deadline is not None and scheduled + timedelta(seconds=deadline) < now:
            self.recorder.event(cj, "Warning", "MissSchedule", f"Missed scheduled time to start a job: {format_datetime(scheduled.astimezone(location))}")
            return next_in, False
        name = job_name(m["name"], scheduled)
        status = cj["status"]
        active = status.get("active") or []
        if any(a.get("name") == name for a in active):
            return next_in, False
        policy = spec.get("concurrencyPolicy") or "Allow"
        if policy == "Forbid" and active:
            self.recorder.event(cj, "Normal", "JobAlreadyActive", "Not starting job because prior execution is running and concurrency policy is Forbid")
            return next_in, False
        if policy == "Replace":
            for ref in list(active):
                try:
                    await self.client.delete(JOBS, ref["name"], m.get("namespace"), propagation_policy="Background")
                except APIError as e:
                    if not e.not_found:
                        raise
                self.recorder.event(cj, "Normal", "SuccessfulDelete", f"Deleted job {ref['name']}")
            active = []
            status.pop("active", None)
        body = self._job_from_template(cj, scheduled, name, location)
        try:
            created = await self.client.create(JOBS, body, m.get("namespace"))
        except APIError as e:
            if e.code == 409:
                existing = await self.client.get(JOBS, name, m.get("namespace"))
                if any(r.get("uid") == m.get("uid") for r in (existing.get("metadata") or {}).get("ownerReferences") or ()):
                    return next_in, False
            self.recorder.event(cj, "Warning", "FailedCreate", f"Error creating job: {e.status.get('message', e)}")
            raise
        self.recorder.event(cj, "Normal", "SuccessfulCreate", f"Created job {name}")
        status["active"] = [*active, self._reference(created)]
        status["lastScheduleTime"] = meta.format_time(scheduled)
        return next_in, True

    def _next_in(self, schedule: cron.Schedule, now: datetime) -> float | None:
        t = schedule.next(now)
        return None if t is None else (t - now).total_seconds() + NEXT_SYNC_SLACK

    def _job_from_template(self, cj: Obj, scheduled: datetime, name: str, location: Any) -> Obj:
        m = cj["metadata"]
        template = (cj.get("spec") or {}).get("jobTemplate") or {}
        tmeta = template.get("metadata") or {}
        annotations = dict(tmeta.get("annotations") or {})
        if self.features.enabled("CronJobsScheduledAnnotation"):
            local = scheduled.astimezone(location)
            text = local.isoformat()
            annotations[SCHEDULED_TIMESTAMP_ANNOTATION] = text[:-6] + "Z" if text.endswith("+00:00") else text
        job_meta: Obj = {"name": name, "namespace": m.get("namespace"),
                         "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob", "name": m["name"], "uid": m["uid"],
                                              "controller": True, "blockOwnerDeletion": True}]}
        if tmeta.get("labels"):
            job_meta["labels"] = dict(tmeta["labels"])
        if annotations:
            job_meta["annotations"] = annotations
        return {"apiVersion": "batch/v1", "kind": "Job", "metadata": job_meta, "spec": copy.deepcopy(template.get("spec") or {})}

    async def _cleanup_finished(self, cj: Obj, jobs: list[Obj]) -> None:
        spec = cj.get("spec") or {}
        succeeded = [j for j in jobs if is_finished(j) == (True, "Complete")]
        failed = [j for j in jobs if is_finished(j) == (True, "Failed")]
        doomed = (jobs_to_delete(succeeded, spec.get("successfulJobsHistoryLimit"))
                  + jobs_to_delete(failed, spec.get("failedJobsHistoryLimit")))
        for job in doomed:
            jm = job["metadata"]
            try:
                await self.client.delete(JOBS, jm["name"], jm.get("namespace"), propagation_policy="Background")
            except APIError as e:
                if not e.not_found:
                    raise
                continue
            self.recorder.event(cj, "Normal", "SuccessfulDelete", f"Deleted job {jm['name']}")
