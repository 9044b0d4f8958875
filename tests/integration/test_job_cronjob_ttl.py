"""CronJob and TTL-after-finished controllers against a real API server (time injected for CronJob)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import start_thread_cluster

from uwernetes.client.api import EVENTS, JOBS, NAMESPACES
from uwernetes.components import ComponentContext
from uwernetes.controllers.cronjob import CRONJOBS, CronJobController
from uwernetes.controllers.manager import SharedInformers
from uwernetes.controllers.ttl_after_finished import TTLAfterFinishedController
from uwernetes.features import FeatureGates
from uwernetes.machinery import meta


@pytest.fixture(scope="module")
def cj_cluster(tmp_path_factory):
    c, ts = start_thread_cluster(tmp_path_factory.mktemp("cronjobs"))
    try:
        yield c
    finally:
        ts.stop()


async def start(server, cls, **kw):
    ctx = ComponentContext(lambda name: server.client(field_manager=name, user_agent=name), FeatureGates(), Path("/nonexistent"), {})
    informers = SharedInformers(ctx.client("kube-controller-manager"))
    ctrl = cls(ctx, informers, **kw)
    informers.start()
    await informers.wait_synced(10)
    task = asyncio.create_task(ctrl.run())

    async def stop():
        await ctrl.recorder.flush() if hasattr(ctrl, "recorder") else None
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await informers.stop()

    return ctrl, stop


async def wait(what, predicate, timeout=10.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await what()
        if predicate(value):
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out; last value: {value}")
        await asyncio.sleep(0.02)


CRONJOB = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "hello"},
           "spec": {"schedule": "* * * * *", "concurrencyPolicy": "Forbid",
                    "jobTemplate": {"metadata": {"labels": {"app": "hello"}},
                                    "spec": {"template": {"spec": {"restartPolicy": "OnFailure",
                                                                   "containers": [{"name": "c", "image": "busybox"}]}}}}}}


def test_cronjob_creates_a_job_per_schedule_and_tracks_it(cj_cluster):
    async def main():
        c = cj_cluster.server.client("test")
        ns = "cron-1"
        await c.create(NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        cj = await c.create(CRONJOBS, CRONJOB, ns)
        created = meta.parse_time(cj["metadata"]["creationTimestamp"])
        clock = {"now": created + timedelta(seconds=70)}
        ctrl, stop = await start(cj_cluster.server, CronJobController, now=lambda: clock["now"])
        try:
            cur = await wait(lambda: c.get(CRONJOBS, "hello", ns), lambda o: o["status"].get("active"))
            scheduled = clock["now"].replace(second=0, microsecond=0)  # the latest minute boundary passed
            name = f"hello-{int(scheduled.timestamp()) // 60}"
            assert cur["status"]["active"][0]["name"] == name
            assert cur["status"]["lastScheduleTime"] == meta.format_time(scheduled)
            job = await c.get(JOBS, name, ns)
            assert job["metadata"]["labels"]["app"] == "hello"
            assert job["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"] == meta.format_time(scheduled)
            ref = job["metadata"]["ownerReferences"][0]
            assert (ref["kind"], ref["name"], ref["controller"]) == ("CronJob", "hello", True)
            # Forbid: the next period is skipped while the Job runs.
            clock["now"] += timedelta(minutes=1)
            ctrl.queue.add(f"{ns}/hello")
            await wait(lambda: c.list(EVENTS, ns), lambda evs: any(e["reason"] == "JobAlreadyActive" for e in evs["items"]))
            assert len((await c.list(JOBS, ns))["items"]) == 1
            # The Job completes: it leaves the active list and sets lastSuccessfulTime.
            done = meta.format_time(clock["now"])
            await c.patch(JOBS, name, {"status": {"startTime": done, "completionTime": done, "conditions": [
                {"type": "Complete", "status": "True", "lastTransitionTime": done}]}}, ns, subresource="status")
            cur = await wait(lambda: c.get(CRONJOBS, "hello", ns), lambda o: o["status"].get("lastSuccessfulTime"))
            assert cur["status"]["lastSuccessfulTime"] == done
            await wait(lambda: c.list(JOBS, ns), lambda jobs: len(jobs["items"]) == 2)
            await ctrl.recorder.flush()
            reasons = {e["reason"] for e in (await c.list(EVENTS, ns))["items"]}
            assert {"SuccessfulCreate", "JobAlreadyActive", "SawCompletedJob"} <= reasons
            # Its own Jobs are never "unexpected", however the two informers interleave.
            assert not {"UnexpectedJob", "MissingJob"} & reasons
        finally:
            await stop()

    cj_cluster.run(main())


def test_cronjob_printer_and_kubectl(cj_cluster):
    cj_cluster.kubectl("create", "namespace", "cron-2")
    cj_cluster.kubectl("-n", "cron-2", "create", "cronjob", "tick", "--image=busybox", "--schedule=*/5 * * * *")
    out = cj_cluster.kubectl("-n", "cron-2", "get", "cronjob").stdout.splitlines()
    assert out[0].split() == ["NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST", "SCHEDULE", "AGE"]
    assert out[1].split()[:7] == ["tick", "*/5", "*", "*", "*", "*", "<none>"]
    bad = cj_cluster.kubectl("-n", "cron-2", "create", "cronjob", "bad", "--image=busybox", "--schedule=61 * * * *", check=False)
    assert 'spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61' in bad.stderr


def test_ttl_after_finished_deletes_finished_jobs(cj_cluster):
    async def main():
        c = cj_cluster.server.client("test")
        ns = "ttl-1"
        await c.create(NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "short"},
               "spec": {"ttlSecondsAfterFinished": 0,
                        "template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}}}}
        await c.create(JOBS, job, ns)
        await c.create(JOBS, {**job, "metadata": {"name": "keep"}, "spec": {**job["spec"], "ttlSecondsAfterFinished": 3600}}, ns)
        _, stop = await start(cj_cluster.server, TTLAfterFinishedController)
        try:
            now = meta.now_rfc3339()
            for name in ("short", "keep"):
                await c.patch(JOBS, name, {"status": {"startTime": now, "completionTime": now, "conditions": [
                    {"type": "Complete", "status": "True", "lastTransitionTime": now}]}}, ns, subresource="status")

            async def short_state():
                items = (await c.list(JOBS, ns))["items"]
                return {j["metadata"]["name"]: bool(j["metadata"].get("deletionTimestamp")) for j in items}

            # Foreground deletion: gone, or marked while a garbage collector (if any) works.
            state = await wait(short_state, lambda s: s.get("short", True))
            assert state.get("keep") is False
        finally:
            await stop()

    cj_cluster.run(main())
