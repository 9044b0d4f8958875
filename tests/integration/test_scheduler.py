"""The scheduler against a real in-thread API server: gates, binding, unschedulable status, taints,
preemption. Nodes are plain Node objects created through the API (no node agents)."""

from __future__ import annotations

import asyncio
import time

import pytest

from uwernetes.client import api
from uwernetes.scheduler import main as scheduler_main

DEADLINE = 10.0


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    from conftest import start_thread_cluster

    c, ts = start_thread_cluster(tmp_path_factory.mktemp("sched"), scheduler=True, controllers=False, nodes=0)
    client = c.server.client("test", "test")

    async def setup():
        for name, cpu, taints in (("n1", "2", None), ("n2", "2", None),
                                  ("tainted", "8", [{"key": "key", "value": "value", "effect": "NoSchedule"}])):
            await create_node(client, name, cpu, taints)
    c.run(setup())
    try:
        yield c, client
    finally:
        ts.stop()


async def create_node(client: api.Client, name: str, cpu: str, taints=None) -> None:
    status = {"allocatable": {"cpu": cpu, "memory": "8Gi", "pods": "110"},
              "capacity": {"cpu": cpu, "memory": "8Gi", "pods": "110"},
              "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}]}
    obj = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
           "spec": {"taints": taints} if taints else {}, "status": status}
    created = await client.create(api.NODES, obj)
    if (created.get("status") or {}).get("allocatable") != status["allocatable"]:
        created["status"] = status
        await client.update_status(api.NODES, created)


def pod(name: str, cpu: str = "100m", **spec) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"},
            "spec": {"containers": [{"name": "c", "image": "busybox", "resources": {"requests": {"cpu": cpu}}}], **spec}}


def scheduler():
    assert scheduler_main.RUNNING, "the scheduler is not running"
    return scheduler_main.RUNNING[-1]


async def wait_for(fn, deadline: float = DEADLINE):
    end = time.monotonic() + deadline
    while True:
        result = await fn()
        if result:
            return result
        if time.monotonic() > end:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.02)


async def get_pod(client, name):
    return await client.get(api.PODS, name, "default")


async def events_for(client, name):
    evs = await client.list(api.EVENTS, "default", field_selector=f"involvedObject.name={name}")
    return [(e["type"], e["reason"], e["message"]) for e in evs["items"]]


def scheduled_condition(p: dict) -> dict:
    return next((c for c in p["status"].get("conditions") or () if c["type"] == "PodScheduled"), {})


def test_pod_is_bound_and_gets_a_scheduled_event(env):
    c, client = env

    async def go():
        await client.create(api.PODS, pod("plain"))
        p = await wait_for(lambda: _bound(client, "plain"))
        assert p["spec"]["nodeName"] in ("n1", "n2")  # the tainted node is not tolerated
        assert scheduled_condition(p)["status"] == "True"
        evs = await wait_for(lambda: events_for(client, "plain"))
        assert evs == [("Normal", "Scheduled", f"Successfully assigned default/plain to {p['spec']['nodeName']}")]
    c.run(go())


async def _bound(client, name):
    p = await get_pod(client, name)
    return p if p["spec"].get("nodeName") else None


def test_gated_pod_is_never_attempted_until_the_last_gate_goes(env):
    c, client = env
    s = scheduler()

    async def go():
        attempts_before = dict(s.metrics.attempts)
        await client.create(api.PODS, pod("gated", schedulingGates=[{"name": "moelove.info/disk"}, {"name": "foo.bar/xyz"}]))
        await wait_for(lambda: _pending_gated(s, 1))
        assert 'scheduler_pending_pods{queue="gated"} 1' in s.render_metrics()
        p = await client.patch(api.PODS, "gated", [{"op": "remove", "path": "/spec/schedulingGates/0"}], "default",
                               patch_type="json")
        assert p["spec"]["schedulingGates"] == [{"name": "foo.bar/xyz"}]
        await asyncio.sleep(0.3)  # give a wrong scheduler every chance to act
        p = await get_pod(client, "gated")
        assert not p["spec"].get("nodeName")
        cond = scheduled_condition(p)
        assert (cond["reason"], cond["message"]) == ("SchedulingGated", "Scheduling is blocked due to non-empty scheduling gates")
        assert await events_for(client, "gated") == []
        assert s.metrics.attempts == attempts_before
        assert s.queue.gated["default/gated"].gated_by.message == "waiting for scheduling gates: [foo.bar/xyz]"
        await client.patch(api.PODS, "gated", {"spec": {"schedulingGates": None}}, "default", patch_type="strategic")
        removed = time.monotonic()
        p = await wait_for(lambda: _bound(client, "gated"), deadline=1.0)
        assert time.monotonic() - removed < 1.0
        assert scheduled_condition(p)["status"] == "True"
        assert 'scheduler_pending_pods{queue="gated"} 0' in s.render_metrics()
    c.run(go())


async def _pending_gated(s, n):
    return s.queue.pending()["gated"] == n


def test_unschedulable_pod_gets_condition_and_event_with_upstream_message(env):
    c, client = env

    async def go():
        await client.create(api.PODS, pod("huge", cpu="3"))
        want = ("0/3 nodes are available: 1 node(s) had untolerated taint {key: value}, 2 Insufficient cpu. "
                "preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, "
                "2 No preemption victims found for incoming pod..")

        async def condition():
            p = await get_pod(client, "huge")
            cond = scheduled_condition(p)
            return cond if cond.get("reason") == "Unschedulable" else None
        cond = await wait_for(condition)
        assert (cond["status"], cond["message"]) == ("False", want)
        evs = await wait_for(lambda: events_for(client, "huge"))
        assert evs[0] == ("Warning", "FailedScheduling", want)
        # A bigger node arriving is a cluster event: the pod is retried and fits there.
        await create_node(client, "big", "4")
        p = await wait_for(lambda: _bound(client, "huge"), deadline=15)
        assert p["spec"]["nodeName"] == "big"
    c.run(go())


def test_toleration_lets_a_pod_onto_the_tainted_node(env):
    c, client = env

    async def go():
        spec = {"tolerations": [{"key": "key", "operator": "Equal", "value": "value", "effect": "NoSchedule"}],
                "nodeSelector": {"kubernetes.io/hostname": "tainted"}}
        await client.create(api.PODS, pod("tolerant", **spec))
        p = await wait_for(lambda: _bound(client, "tolerant"))
        assert p["spec"]["nodeName"] == "tainted"
    c.run(go())


def test_preemption_evicts_a_lower_priority_pod(env):
    c, client = env

    async def go():
        await create_node(client, "solo", "1", [{"key": "solo", "value": "x", "effect": "NoSchedule"}])
        for name, value in (("low", 1), ("high", 1000)):
            await client.create(api.PRIORITY_CLASSES, {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                                                        "metadata": {"name": name}, "value": value})
        tol = [{"key": "solo", "operator": "Exists"}]
        sel = {"kubernetes.io/hostname": "solo"}
        await client.create(api.PODS, pod("victim", cpu="1", priorityClassName="low", tolerations=tol, nodeSelector=sel))
        await wait_for(lambda: _bound(client, "victim"))
        await client.create(api.PODS, pod("vip", cpu="1", priorityClassName="high", tolerations=tol, nodeSelector=sel))

        async def victim_terminating():
            try:
                v = await get_pod(client, "victim")
            except api.APIError as e:
                return e.not_found
            return bool(v["metadata"].get("deletionTimestamp"))
        await wait_for(victim_terminating)
        vip = await wait_for(lambda: _nominated(client, "vip"))
        assert vip["status"]["nominatedNodeName"] == "solo"
        # No kubelet here: finish the victim's termination as a node agent would.
        try:
            await client.delete(api.PODS, "victim", "default", grace_period_seconds=0)
        except api.APIError as e:
            assert e.not_found
        p = await wait_for(lambda: _bound(client, "vip"), deadline=15)
        assert p["spec"]["nodeName"] == "solo"
        evs = await wait_for(lambda: events_for(client, "victim"))
        vip_uid = p["metadata"]["uid"]
        assert ("Normal", "Preempted", f"Preempted by pod {vip_uid} on node solo") in evs
    c.run(go(), timeout=40)


async def _nominated(client, name):
    p = await get_pod(client, name)
    return p if (p.get("status") or {}).get("nominatedNodeName") else None
