"""The controller manager: shared informers, leader election on a Lease, and the controllers.

Each controller is a class `XController(ctx, informers)` with `async run()`; the manager starts
the ones present in this build, only while it holds the `kube-controller-manager` Lease in
kube-system, so two managers against one API server never both act.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
import socket
import uuid
from typing import Any

from uwernetes.client.api import Client, Resource
from uwernetes.client.informer import Informer
from uwernetes.components import ComponentContext
from uwernetes.controllers.leader import LeaderElector

log = logging.getLogger(__name__)

LEASE_NAME = "kube-controller-manager"

# name -> "module:Class". Missing modules are skipped, so controllers can land one at a time.
CONTROLLERS = {
    "job": "uwernetes.controllers.job:JobController",
    "ttl-after-finished": "uwernetes.controllers.ttl_after_finished:TTLAfterFinishedController",
    "cronjob": "uwernetes.controllers.cronjob:CronJobController",
    "replicaset": "uwernetes.controllers.replicaset:ReplicaSetController",
    "deployment": "uwernetes.controllers.deployment:DeploymentController",
    "statefulset": "uwernetes.controllers.statefulset:StatefulSetController",
    "daemonset": "uwernetes.controllers.daemonset:DaemonSetController",
    "garbage-collector": "uwernetes.controllers.garbage_collector:GarbageCollector",
    "pod-gc": "uwernetes.controllers.pod_gc:PodGCController",
    "node-lifecycle": "uwernetes.controllers.node_lifecycle:NodeLifecycleController",
    "endpointslice": "uwernetes.controllers.endpointslice:EndpointSliceController",
    "horizontal-pod-autoscaler": "uwernetes.controllers.hpa:HPAController",
    "disruption": "uwernetes.controllers.disruption:DisruptionController",
    "clusterrole-aggregation": "uwernetes.controllers.clusterrole_aggregation:ClusterRoleAggregationController",
}


class SharedInformers:
    """One informer per resource (and namespace/selector), shared by every controller."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self._informers: dict[tuple, Informer] = {}

    def get(self, resource: Resource, namespace: str | None = None, *, label_selector: str | None = None,
            field_selector: str | None = None) -> Informer:
        key = (resource, namespace, label_selector, field_selector)
        inf = self._informers.get(key)
        if inf is None:
            inf = Informer(self.client, resource, namespace, label_selector=label_selector, field_selector=field_selector,
                           share_objects=True)
            self._informers[key] = inf
        return inf

    def start(self) -> None:
        for inf in self._informers.values():
            inf.start()

    async def wait_synced(self, timeout: float | None = None) -> None:
        await asyncio.gather(*(inf.wait_synced(timeout) for inf in self._informers.values()))

    async def stop(self) -> None:
        await asyncio.gather(*(inf.stop() for inf in self._informers.values()))


def load_controller(path: str) -> Any | None:
    module_name, cls_name = path.split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name and module_name.startswith(e.name):
            return None
        raise
    return getattr(module, cls_name)


async def run_controllers(ctx: ComponentContext, enabled: set[str] | None = None) -> None:
    """Start every available controller on shared informers and run until cancelled."""
    client = ctx.client("kube-controller-manager")
    informers = SharedInformers(client)
    instances = []
    for name, path in CONTROLLERS.items():
        if enabled is not None and name not in enabled:
            continue
        cls = load_controller(path)
        if cls is None:
            continue
        instances.append((name, cls(ctx, informers)))
    informers.start()
    await informers.wait_synced()
    log.info("starting %d controllers: %s", len(instances), ", ".join(name for name, _ in instances))
    tasks = [asyncio.create_task(inst.run(), name=f"controller-{name}") for name, inst in instances]
    try:
        await asyncio.gather(*tasks)
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await informers.stop()


async def run(ctx: ComponentContext) -> None:
    """Entry point: lead, then control; step down (stop everything) if the lease is lost.

    Options: `lease_seconds` (15), `renew_seconds` (10), `retry_seconds` (2), as upstream's
    --leader-elect-lease-duration, --leader-elect-renew-deadline, --leader-elect-retry-period;
    `leader_elect` (True): False runs the controllers at once, without a Lease.
    """
    enabled = ctx.options.get("controllers")
    if not ctx.options.get("leader_elect", True):
        await run_controllers(ctx, enabled)
        return
    identity = f"{socket.gethostname()}_{uuid.uuid4()}"
    elector = LeaderElector(ctx.client("kube-controller-manager"), "kube-system", LEASE_NAME, identity,
                            lease_seconds=float(ctx.options.get("lease_seconds", 15)),
                            renew_seconds=float(ctx.options.get("renew_seconds", 10)),
                            retry_seconds=float(ctx.options.get("retry_seconds", 2)))
    log.info("controller manager %s (pid %d) is waiting for the lease kube-system/%s", identity, os.getpid(), LEASE_NAME)
    leading = False
    try:
        while True:
            await elector.acquire()
            leading = True
            log.info("controller manager %s is leading (pid %d)", identity, os.getpid())
            work = asyncio.create_task(run_controllers(ctx, enabled))
            lost = asyncio.create_task(elector.hold())
            try:
                done, _ = await asyncio.wait([work, lost], return_when=asyncio.FIRST_COMPLETED)
            finally:
                work.cancel()
                lost.cancel()
                await asyncio.gather(work, lost, return_exceptions=True)
            if work in done and not work.cancelled() and work.exception() is None:
                return
            if work in done:
                log.error("controller manager %s: controllers failed: %r", identity,
                          None if work.cancelled() else work.exception())
            leading = False
            log.warning("controller manager %s lost its lease; standing by", identity)
    finally:
        if leading:
            # Shutting down cleanly: let a standby take over now, not a lease duration later.
            with contextlib.suppress(Exception):
                await asyncio.shield(asyncio.wait_for(elector.release(), 2))
