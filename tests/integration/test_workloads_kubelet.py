"""A stand-in for the scheduler and node agents while workload controllers are tested: it binds
new pods to its nodes round-robin, reports them Running and Ready through pods/status, and
finishes graceful deletes with a grace period of 0, all through the API as the real ones will.

Also home of `test_fake_kubelet_runs_a_pod`, which checks the stand-in itself.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from uwernetes.client.api import NODES, PODS, APIError, Client
from uwernetes.client.informer import Informer
from uwernetes.client.workqueue import WorkQueue
from uwernetes.machinery import meta


def node_body(name: str) -> dict[str, Any]:
    now = meta.now_rfc3339()
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
            "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                       "message": "kubelet is posting ready status", "lastHeartbeatTime": now,
                                       "lastTransitionTime": now}],
                       "capacity": {"cpu": "64", "memory": "256Gi", "pods": "1000"},
                       "allocatable": {"cpu": "64", "memory": "256Gi", "pods": "1000"}}}


def running_status(pod: dict[str, Any], ready: bool = True) -> dict[str, Any]:
    now = meta.now_rfc3339()
    flag = "True" if ready else "False"
    containers = ((pod.get("spec") or {}).get("containers")) or []
    return {"status": {
        "phase": "Running", "startTime": now, "hostIP": "10.0.0.1", "podIP": "10.244.0.10",
        "conditions": [
            {"type": "PodScheduled", "status": "True", "lastTransitionTime": now},
            {"type": "Initialized", "status": "True", "lastTransitionTime": now},
            {"type": "ContainersReady", "status": flag, "lastTransitionTime": now},
            {"type": "Ready", "status": flag, "lastTransitionTime": now},
        ],
        "containerStatuses": [{"name": c["name"], "image": c.get("image", ""), "imageID": "", "ready": ready,
                               "restartCount": 0, "started": True, "state": {"running": {"startedAt": now}}}
                              for c in containers],
    }}


class FakeKubelet:
    def __init__(self, client: Client, nodes: int = 3, *, prefix: str = "fake-node", workers: int = 16,
                 make_ready: bool = True) -> None:
        self.client = client
        self.node_names = [f"{prefix}-{i}" for i in range(nodes)]
        self._next = itertools.cycle(self.node_names)
        self.queue = WorkQueue()
        self.informer = Informer(client, PODS)
        self.workers = workers
        self.make_ready = make_ready
        self.hold: set[str] = set()  # pod name prefixes left Pending (for stuck-rollout tests)
        self._tasks: list[asyncio.Task] = []

    async def start(self) -> None:
        for name in self.node_names:
            try:
                await self.client.create(NODES, node_body(name))
            except APIError as e:
                if e.code != 409:
                    raise
        self.informer.add_handlers(self._enqueue, lambda old, new: self._enqueue(new), None)
        self._tasks.append(self.informer.start())
        await self.informer.wait_synced(30)
        self._tasks += [asyncio.create_task(self._worker()) for _ in range(self.workers)]

    async def stop(self) -> None:
        self.queue.shutdown()
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _enqueue(self, pod: dict[str, Any]) -> None:
        m = pod.get("metadata") or {}
        self.queue.add(f"{m.get('namespace')}/{m.get('name')}")

    async def _worker(self) -> None:
        while True:
            key = await self.queue.get()
            try:
                await self._sync(str(key))
            except APIError as e:
                if e.code not in (404, 409):
                    self.queue.add_rate_limited(key)
            finally:
                self.queue.done(key)

    async def _sync(self, key: str) -> None:
        pod = self.informer.get(key)
        if pod is None:
            return
        m = pod["metadata"]
        ns, name = m["namespace"], m["name"]
        if m.get("deletionTimestamp"):
            await self.client.delete(PODS, name, ns, grace_period_seconds=0, preconditions={"uid": m["uid"]})
            return
        if any(name.startswith(h) for h in self.hold):
            return
        if not (pod.get("spec") or {}).get("nodeName"):
            binding = {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": name, "namespace": ns},
                       "target": {"apiVersion": "v1", "kind": "Node", "name": next(self._next)}}
            await self.client.create(PODS, binding, ns, subresource="binding", name=name)
            return
        if self.make_ready and (pod.get("status") or {}).get("phase") != "Running":
            await self.client.patch(PODS, name, running_status(pod), ns, subresource="status")


def test_fake_kubelet_runs_a_pod(tmp_path):
    from conftest import start_thread_cluster

    cluster, ts = start_thread_cluster(tmp_path)
    try:
        client = cluster.server.client("test")
        kubelet = FakeKubelet(client, nodes=1)
        cluster.run(kubelet.start())
        body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]}}
        cluster.run(client.create(PODS, body, "default"))

        async def wait_running() -> dict:
            for _ in range(500):
                pod = await client.get(PODS, "p", "default")
                if (pod.get("status") or {}).get("phase") == "Running":
                    return pod
                await asyncio.sleep(0.02)
            raise AssertionError("pod never ran")

        pod = cluster.run(wait_running())
        assert pod["spec"]["nodeName"] == "fake-node-0"
        assert [c["status"] for c in pod["status"]["conditions"] if c["type"] == "Ready"] == ["True"]
        cluster.run(kubelet.stop())
    finally:
        ts.stop()
