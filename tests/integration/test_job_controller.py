"""The Job controller against a real API server, pod phases driven through the status subresource.

Each test runs its own JobController instance on the server loop, in its own namespace. For the
seed's race (spec controllers-node.md §1.12) the pods and their phases are written *before* the
controller starts, so its first sync sees exactly the order the test wants, on both sides.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
from collections import Counter
from pathlib import Path

import pytest
from conftest import start_thread_cluster

from uwernetes.client.api import EVENTS, JOBS, NAMESPACES, PODS
from uwernetes.components import ComponentContext
from uwernetes.controllers.job import JobController
from uwernetes.controllers.manager import SharedInformers
from uwernetes.features import FeatureGates

GATES = FeatureGates({"JobSuccessPolicy": True, "JobManagedBy": True})
OPTIONS = {"job_backoff_base": 0.05, "job_sync_batch_period": 0.01}
_names = itertools.count()


@pytest.fixture(scope="module")
def jobs_cluster(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("jobs")
    c, ts = start_thread_cluster(tmp, features=GATES)
    try:
        yield c
    finally:
        ts.stop()


class Harness:
    """A namespace, a client and (once started) a Job controller on the cluster's loop."""

    def __init__(self, server, ns: str) -> None:
        self.server = server
        self.ns = ns
        self.client = server.client("test")
        self.informers = None
        self.task = None

    async def setup(self) -> Harness:
        await self.client.create(NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": self.ns}})
        return self

    async def start(self, **options) -> None:
        ctx = ComponentContext(lambda name: self.server.client(field_manager=name, user_agent=name), GATES,
                               Path("/nonexistent"), {**OPTIONS, **options})
        self.informers = SharedInformers(ctx.client("kube-controller-manager"))
        self.controller = JobController(ctx, self.informers)
        self.informers.start()
        await self.informers.wait_synced(10)
        self.task = asyncio.create_task(self.controller.run())

    async def stop(self) -> None:
        if self.task is not None:
            await self.controller.recorder.flush()
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
            await self.informers.stop()

    async def create_job(self, job: dict) -> dict:
        return await self.client.create(JOBS, job, self.ns)

    async def job(self, name: str) -> dict:
        return await self.client.get(JOBS, name, self.ns)

    async def pods(self) -> list[dict]:
        return (await self.client.list(PODS, self.ns))["items"]

    async def wait(self, what, predicate, timeout: float = 10.0):
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            value = await what()
            if predicate(value):
                return value
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"timed out; last value: {value}")
            await asyncio.sleep(0.02)

    async def wait_pods(self, n: int, predicate=lambda p: True) -> list[dict]:
        """Wait until exactly `n` pods match, and return those."""
        pods = await self.wait(self.pods, lambda ps: len([p for p in ps if predicate(p)]) == n)
        return [p for p in pods if predicate(p)]

    async def wait_condition(self, name: str, ctype: str) -> dict:
        return await self.wait(lambda: self.job(name), lambda j: any(
            c["type"] == ctype and c["status"] == "True" for c in (j.get("status") or {}).get("conditions") or ()))

    async def set_phase(self, pod: dict, phase: str, exit_code: int | None = None, conditions=None) -> None:
        status: dict = {"phase": phase}
        if exit_code is not None:
            status["containerStatuses"] = [{
                "name": "main", "image": "python", "imageID": "", "ready": False, "restartCount": 0,
                "state": {"terminated": {"exitCode": exit_code, "reason": "Error" if exit_code else "Completed",
                                         "finishedAt": "2024-04-17T12:00:00Z", "startedAt": "2024-04-17T11:59:00Z"}}}]
        if conditions:
            status["conditions"] = conditions
        await self.client.patch(PODS, pod["metadata"]["name"], {"status": status}, self.ns, subresource="status")

    async def events(self) -> Counter:
        items = (await self.client.list(EVENTS, self.ns))["items"]
        return Counter((e["type"], e["reason"], e["message"]) for e in items)

    async def seed_pod(self, job: dict, index: int | None, phase: str, exit_code: int | None = None) -> dict:
        """A pod as the controller would have made it, already in `phase`."""
        m = job["metadata"]
        labels = dict(job["spec"]["template"]["metadata"]["labels"])
        annotations = {}
        name = f"{m['name']}-"
        if index is not None:
            labels["batch.kubernetes.io/job-completion-index"] = str(index)
            annotations["batch.kubernetes.io/job-completion-index"] = str(index)
            name = f"{m['name']}-{index}-"
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {
            "generateName": name, "labels": labels, "annotations": annotations,
            "finalizers": ["batch.kubernetes.io/job-tracking"],
            "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": m["name"], "uid": m["uid"],
                                 "controller": True, "blockOwnerDeletion": True}]},
            "spec": copy.deepcopy(job["spec"]["template"]["spec"])}
        created = await self.client.create(PODS, pod, self.ns)
        if phase != "Pending":
            await self.set_phase(created, phase, exit_code)
        return created


@pytest.fixture
def h(jobs_cluster):
    harness = Harness(jobs_cluster.server, f"job-{next(_names)}")
    jobs_cluster.run(harness.setup())
    yield harness
    jobs_cluster.run(harness.stop())


def make_job(name: str = "j", *, indexed: bool = False, completions: int | None = 1, parallelism: int = 1, **spec) -> dict:
    body = {"parallelism": parallelism,
            "template": {"spec": {"restartPolicy": "Never",
                                  "containers": [{"name": "main", "image": "python", "command": ["python3", "-c", "pass"]}]}},
            **spec}
    if completions is not None:
        body["completions"] = completions
    if indexed:
        body["completionMode"] = "Indexed"
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name}, "spec": body}


SEED_POLICY = {"rules": [{"succeededIndexes": "0,2-3", "succeededCount": 1}]}


def conds(job: dict) -> list[tuple]:
    return [(c["type"], c["status"], c.get("reason", ""), c.get("message", "")) for c in job["status"].get("conditions") or ()]


# --------------------------------------------------------------------------------------------
# the seed's Job: success policy against the backoff limit, both orders
# --------------------------------------------------------------------------------------------


def test_seed_case_a_index_2_succeeds_first(jobs_cluster, h):
    """Case A: the success is seen while the other nine are still running."""
    async def main():
        job = await h.create_job(make_job("job-success", indexed=True, completions=10, parallelism=10, successPolicy=SEED_POLICY))
        for i in range(10):
            await h.seed_pod(job, i, "Succeeded" if i == 2 else "Running")
        await h.start()
        done = await h.wait_condition("job-success", "Complete")
        assert conds(done) == [
            ("SuccessCriteriaMet", "True", "SuccessPolicy", "Matched rules at index 0"),
            ("Complete", "True", "SuccessPolicy", "Matched rules at index 0"),
        ]
        st = done["status"]
        assert st["completedIndexes"] == "2" and st["succeeded"] == 1
        assert "failed" not in st and "active" not in st and st["ready"] == 0 and st["terminating"] == 9
        assert st["uncountedTerminatedPods"] == {}
        assert st["completionTime"] == done["status"]["conditions"][1]["lastTransitionTime"]
        left = await h.wait_pods(1)
        assert left[0]["status"]["phase"] == "Succeeded" and not left[0]["metadata"].get("finalizers")
        await h.controller.recorder.flush()
        ev = await h.events()
        assert ev[("Normal", "Completed", "Job completed")] == 1
        assert sum(n for (t, r, _), n in ev.items() if r == "SuccessfulDelete") == 9

    jobs_cluster.run(main())


def test_seed_case_b_failures_seen_first_hit_backoff_limit(jobs_cluster, h):
    """Case B: all ten finished before one sync: 9 failures > backoffLimit 6 win over the policy."""
    async def main():
        job = await h.create_job(make_job("job-success", indexed=True, completions=10, parallelism=10, successPolicy=SEED_POLICY))
        for i in range(10):
            await h.seed_pod(job, i, "Succeeded" if i == 2 else "Failed", 0 if i == 2 else 1)
        await h.start()
        done = await h.wait_condition("job-success", "Failed")
        assert conds(done) == [("Failed", "True", "BackoffLimitExceeded", "Job has reached the specified backoff limit")]
        st = done["status"]
        assert (st["failed"], st["succeeded"], st["completedIndexes"]) == (9, 1, "2")
        assert "completionTime" not in st
        await h.controller.recorder.flush()
        ev = await h.events()
        assert ev[("Warning", "BackoffLimitExceeded", "Job has reached the specified backoff limit")] == 1

    jobs_cluster.run(main())


def test_seed_case_a_prime_few_failures_then_success(jobs_cluster, h):
    """Case A': k <= 6 failures before the success: Complete, failed k, running pods not counted."""
    async def main():
        job = await h.create_job(make_job("job-success", indexed=True, completions=10, parallelism=10, successPolicy=SEED_POLICY))
        for i in range(10):
            phase = "Succeeded" if i == 2 else ("Failed" if i in (0, 5, 7) else "Running")
            await h.seed_pod(job, i, phase, {"Succeeded": 0, "Failed": 1}.get(phase))
        await h.start()
        done = await h.wait_condition("job-success", "Complete")
        assert conds(done)[0] == ("SuccessCriteriaMet", "True", "SuccessPolicy", "Matched rules at index 0")
        assert (done["status"]["failed"], done["status"]["succeeded"]) == (3, 1)

    jobs_cluster.run(main())


def test_seed_live_index_2_success_deletes_the_rest(jobs_cluster, h):
    """Created by the controller: names, hostname, env, labels, ownerRef; then index 2 succeeds."""
    async def main():
        await h.start()
        await h.create_job(make_job("job-success", indexed=True, completions=10, parallelism=10, successPolicy=SEED_POLICY))
        pods = await h.wait_pods(10)
        by_index = {p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"]: p for p in pods}
        assert sorted(by_index, key=int) == [str(i) for i in range(10)]
        p2 = by_index["2"]
        m = p2["metadata"]
        assert m["name"].startswith("job-success-2-") and len(m["name"]) == len("job-success-2-") + 5
        assert m["generateName"] == "job-success-2-"
        assert p2["spec"]["hostname"] == "job-success-2"
        assert m["labels"]["batch.kubernetes.io/job-completion-index"] == "2"
        assert m["labels"]["batch.kubernetes.io/job-name"] == m["labels"]["job-name"] == "job-success"
        assert m["finalizers"] == ["batch.kubernetes.io/job-tracking"]
        ref = m["ownerReferences"][0]
        assert (ref["kind"], ref["controller"], ref["blockOwnerDeletion"]) == ("Job", True, True)
        assert p2["spec"]["containers"][0]["env"] == [{"name": "JOB_COMPLETION_INDEX", "valueFrom": {"fieldRef": {
            "apiVersion": "v1", "fieldPath": "metadata.labels['batch.kubernetes.io/job-completion-index']"}}}]
        running = await h.wait(lambda: h.job("job-success"), lambda j: j["status"].get("active") == 10)
        assert running["status"]["startTime"] and running["status"]["ready"] == 0
        await h.set_phase(p2, "Succeeded", 0)
        done = await h.wait_condition("job-success", "Complete")
        assert [c[0] for c in conds(done)] == ["SuccessCriteriaMet", "Complete"]
        assert done["status"]["completedIndexes"] == "2"
        await h.wait_pods(1)

    jobs_cluster.run(main())


# --------------------------------------------------------------------------------------------
# worked examples (spec §1.13)
# --------------------------------------------------------------------------------------------


def test_non_indexed_completions_3_parallelism_2(jobs_cluster, h):
    async def main():
        await h.start()
        await h.create_job(make_job("nonidx", completions=3, parallelism=2))
        first = await h.wait_pods(2)
        assert all(p["metadata"]["generateName"] == "nonidx-" for p in first)
        assert "hostname" not in first[0]["spec"]
        await h.set_phase(first[0], "Succeeded", 0)
        pods = await h.wait_pods(2, lambda p: p["status"].get("phase") != "Succeeded")
        for p in pods:
            await h.set_phase(p, "Succeeded", 0)
        done = await h.wait_condition("nonidx", "Complete")
        assert conds(done) == [("Complete", "True", "", "")]
        assert done["status"]["succeeded"] == 3 and done["status"]["completionTime"]

    jobs_cluster.run(main())


def test_work_queue_job_completes_when_all_exit_after_a_success(jobs_cluster, h):
    async def main():
        await h.start()
        await h.create_job(make_job("wq", completions=None, parallelism=3))
        pods = await h.wait_pods(3)
        await h.set_phase(pods[0], "Succeeded", 0)
        await h.wait(lambda: h.job("wq"), lambda j: j["status"].get("succeeded") == 1)
        assert len(await h.pods()) == 3  # no replacement after a success
        await h.set_phase(pods[1], "Succeeded", 0)
        await h.set_phase(pods[2], "Failed", 1)
        done = await h.wait_condition("wq", "Complete")
        assert (done["status"]["succeeded"], done["status"]["failed"]) == (2, 1)

    jobs_cluster.run(main())


def test_backoff_limit_0_one_failure_fails_the_job_and_counts_running_pods(jobs_cluster, h):
    async def main():
        await h.start()
        await h.create_job(make_job("bl0", completions=2, parallelism=2, backoffLimit=0))
        pods = await h.wait_pods(2)
        await h.set_phase(pods[0], "Failed", 1)
        done = await h.wait_condition("bl0", "Failed")
        assert conds(done) == [("Failed", "True", "BackoffLimitExceeded", "Job has reached the specified backoff limit")]
        # The running pod deleted because of the failure counts as failed too.
        assert done["status"]["failed"] == 2
        await h.wait_pods(1)

    jobs_cluster.run(main())


def test_failed_pod_replaced_after_backoff(jobs_cluster, h):
    async def main():
        await h.start(job_backoff_base=0.3)
        await h.create_job(make_job("retry", completions=1, parallelism=1))
        (pod,) = await h.wait_pods(1)
        await h.set_phase(pod, "Failed", 1)
        await h.wait_pods(1, lambda p: p["metadata"]["name"] != pod["metadata"]["name"])
        job = await h.wait(lambda: h.job("retry"), lambda j: j["status"].get("failed") == 1 and j["status"].get("active") == 1)
        assert "conditions" not in job["status"]

    jobs_cluster.run(main())


POLICY_EXAMPLE = {"rules": [
    {"action": "FailJob", "onExitCodes": {"containerName": "main", "operator": "In", "values": [42]}},
    {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]},
]}


def test_pod_failure_policy_fail_job_goes_through_failure_target(jobs_cluster, h):
    async def main():
        await h.start()
        await h.create_job(make_job("pfp", completions=2, parallelism=2, podFailurePolicy=POLICY_EXAMPLE))
        pods = await h.wait_pods(2)
        await h.set_phase(pods[0], "Failed", 42)
        done = await h.wait_condition("pfp", "Failed")
        msg = f"Container main for pod {h.ns}/{pods[0]['metadata']['name']} failed with exit code 42 matching FailJob rule at index 0"
        assert conds(done) == [("FailureTarget", "True", "PodFailurePolicy", msg), ("Failed", "True", "PodFailurePolicy", msg)]
        await h.controller.recorder.flush()
        assert (await h.events())[("Warning", "PodFailurePolicy", msg)] == 1

    jobs_cluster.run(main())


def test_pod_failure_policy_ignore_does_not_count_and_replaces(jobs_cluster, h):
    async def main():
        await h.start()
        await h.create_job(make_job("pfi", completions=1, parallelism=1, backoffLimit=0, podFailurePolicy=POLICY_EXAMPLE))
        (pod,) = await h.wait_pods(1)
        await h.set_phase(pod, "Failed", 137, conditions=[{"type": "DisruptionTarget", "status": "True", "reason": "EvictionByEvictionAPI"}])
        (new,) = await h.wait_pods(1, lambda p: p["metadata"]["name"] != pod["metadata"]["name"])
        job = await h.job("pfi")
        assert "failed" not in job["status"] and "conditions" not in job["status"]
        await h.set_phase(new, "Succeeded", 0)
        done = await h.wait_condition("pfi", "Complete")
        assert "failed" not in done["status"]

    jobs_cluster.run(main())


def test_suspend_and_resume(jobs_cluster, h):
    async def main():
        await h.start()
        await h.create_job(make_job("sus", completions=4, parallelism=2))
        await h.wait_pods(2)
        first = await h.job("sus")
        await h.client.patch(JOBS, "sus", {"spec": {"suspend": True}}, h.ns)
        suspended = await h.wait_condition("sus", "Suspended")
        assert conds(suspended) == [("Suspended", "True", "JobSuspended", "Job suspended")]
        await h.wait_pods(0)
        assert "failed" not in suspended["status"]
        await asyncio.sleep(1.1)  # startTime has second precision: let the resume time differ
        await h.client.patch(JOBS, "sus", {"spec": {"suspend": False}}, h.ns)
        resumed = await h.wait(lambda: h.job("sus"), lambda j: conds(j) == [("Suspended", "False", "JobResumed", "Job resumed")])
        assert resumed["status"]["startTime"] > first["status"]["startTime"]
        await h.wait_pods(2)
        await h.controller.recorder.flush()
        ev = await h.events()
        assert ev[("Normal", "Suspended", "Job suspended")] == 1 and ev[("Normal", "Resumed", "Job resumed")] == 1

    jobs_cluster.run(main())


def test_created_suspended_has_no_start_time(jobs_cluster, h):
    async def main():
        await h.start()
        await h.create_job(make_job("cs", suspend=True))
        job = await h.wait_condition("cs", "Suspended")
        assert "startTime" not in job["status"] and await h.pods() == []

    jobs_cluster.run(main())


def test_active_deadline_exceeded(jobs_cluster, h):
    async def main():
        await h.start()
        # Long enough that both pods exist before it passes, even on a loaded machine.
        await h.create_job(make_job("dl", completions=2, parallelism=2, activeDeadlineSeconds=3))
        await h.wait_pods(2)
        done = await h.wait_condition("dl", "Failed")
        assert conds(done) == [("Failed", "True", "DeadlineExceeded", "Job was active longer than specified deadline")]
        assert done["status"]["failed"] == 2
        await h.wait_pods(0)

    jobs_cluster.run(main())


def test_backoff_limit_per_index_and_failed_indexes(jobs_cluster, h):
    """completions 4, backoffLimitPerIndex 1: index 0 fails twice, the rest succeed."""
    async def main():
        await h.start()
        await h.create_job(make_job("bpi", indexed=True, completions=4, parallelism=4, backoffLimitPerIndex=1))
        pods = await h.wait_pods(4)

        def index(p):
            return p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"]

        zero = next(p for p in pods if index(p) == "0")
        assert zero["metadata"]["annotations"]["batch.kubernetes.io/job-index-failure-count"] == "0"
        await h.set_phase(zero, "Failed", 1)
        (retry,) = await h.wait_pods(1, lambda p: index(p) == "0" and p["metadata"]["name"] != zero["metadata"]["name"])
        assert retry["metadata"]["annotations"]["batch.kubernetes.io/job-index-failure-count"] == "1"
        await h.set_phase(retry, "Failed", 1)
        await h.wait(lambda: h.job("bpi"), lambda j: j["status"].get("failedIndexes") == "0")
        for p in pods:
            if index(p) != "0":
                await h.set_phase(p, "Succeeded", 0)
        done = await h.wait_condition("bpi", "Failed")
        assert conds(done) == [("Failed", "True", "FailedIndexes", "Job has failed indexes")]
        st = done["status"]
        assert (st["completedIndexes"], st["failedIndexes"], st["succeeded"], st["failed"]) == ("1-3", "0", 3, 2)

    jobs_cluster.run(main())


def test_duplicate_index_pod_is_deleted(jobs_cluster, h):
    async def main():
        job = await h.create_job(make_job("dup", indexed=True, completions=2, parallelism=2))
        await h.seed_pod(job, 0, "Running")
        await h.seed_pod(job, 1, "Running")
        extra = await h.seed_pod(job, 1, "Pending")
        await h.start()
        pods = await h.wait_pods(2)
        assert extra["metadata"]["name"] not in {p["metadata"]["name"] for p in pods}

    jobs_cluster.run(main())


def test_managed_by_another_controller_is_left_alone(jobs_cluster, h):
    async def main():
        await h.start()
        await h.create_job(make_job("ext", managedBy="example.com/other"))
        await h.create_job(make_job("own", managedBy="kubernetes.io/job-controller"))
        await h.wait_pods(1)
        await asyncio.sleep(0.3)
        pods = await h.pods()
        assert [p["metadata"]["labels"]["job-name"] for p in pods] == ["own"]
        assert (await h.job("ext"))["status"] == {}

    jobs_cluster.run(main())


def test_orphaned_pod_finalizer_is_removed_when_job_is_deleted(jobs_cluster, h):
    async def main():
        await h.start()
        await h.create_job(make_job("orph", completions=1, parallelism=1))
        (pod,) = await h.wait_pods(1)
        await h.client.delete(JOBS, "orph", h.ns, propagation_policy="Orphan")
        await h.wait(h.pods, lambda ps: ps and not ps[0]["metadata"].get("finalizers", []).count("batch.kubernetes.io/job-tracking"))

    jobs_cluster.run(main())
