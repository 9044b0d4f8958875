"""The scheduler: informers feed the cache and the queue; one loop schedules, tasks bind.

Mirrors upstream v1.30 `pkg/scheduler/scheduler.go`, `eventhandlers.go` and `schedule_one.go`:
- assigned pods go to the cache, unassigned pods of this scheduler to the queue;
- a cycle runs the algorithm synchronously, *assumes* the pod on the chosen node, and hands the
  binding (POST pods/<name>/binding) to a task, so the next cycle already sees the reservation;
- a failed cycle runs preemption, patches `PodScheduled=False/Unschedulable` with the FitError
  message (only when it changed), records `FailedScheduling`, and requeues the pod.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from pathlib import Path

from uwernetes.client import api
from uwernetes.client.informer import Informer
from uwernetes.scheduler import algorithm, framework, preemption
from uwernetes.scheduler.cache import TERMINAL_PHASES, Cache
from uwernetes.scheduler.events import EventRecorder
from uwernetes.scheduler.framework import PodInfo
from uwernetes.scheduler.metrics import Metrics
from uwernetes.scheduler.queue import QueuedPodInfo, SchedulingQueue

log = logging.getLogger(__name__)

DEFAULT_SCHEDULER_NAME = "default-scheduler"
MAX_BINDS_IN_FLIGHT = 256
EVENTS_YIELD_BINDS = 16  # event writes wait while this many binds are in flight
LEFTOVER_FLUSH_INTERVAL = 30.0
METRICS_WRITE_INTERVAL = 1.0


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def unschedulable_status_patch(pod: dict, message: str, nominated_node: str | None, now: str) -> dict | None:
    """The strategic-merge patch for pods/status after a failed attempt, or None if nothing changes.

    updatePod + UpdatePodCondition: lastTransitionTime moves only when the status flips.
    """
    status = pod.get("status") or {}
    old = next((c for c in status.get("conditions") or () if c.get("type") == "PodScheduled"), None)
    cond = {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": message,
            "lastProbeTime": None, "lastTransitionTime": now}
    if old is not None and old.get("status") == "False":
        cond["lastTransitionTime"] = old.get("lastTransitionTime")
    same = old is not None and all(old.get(k) == cond[k] for k in ("status", "reason", "message")) \
        and old.get("lastProbeTime") is None and old.get("lastTransitionTime") == cond["lastTransitionTime"]
    nnn_changed = nominated_node is not None and (status.get("nominatedNodeName") or "") != nominated_node
    if same and not nnn_changed:
        return None
    patch: dict = {"status": {"conditions": [cond]}}
    if nnn_changed:
        patch["status"]["nominatedNodeName"] = nominated_node or None
    return patch


class Scheduler:
    def __init__(self, client: api.Client, *, scheduler_name: str = DEFAULT_SCHEDULER_NAME,
                 algo: algorithm.Algorithm | None = None, metrics_file: Path | None = None) -> None:
        self.client = client
        self.scheduler_name = scheduler_name
        self.cache = Cache()
        self.queue = SchedulingQueue()
        self.algorithm = algo or algorithm.Algorithm()
        self.metrics = Metrics(self.queue.pending, lambda: self.queue.incoming, scheduler_name)
        self.events = EventRecorder(client, scheduler_name, busy=lambda: self._binds >= EVENTS_YIELD_BINDS)
        self.metrics_file = metrics_file
        self.pods = Informer(client, api.PODS, field_selector="status.phase!=Succeeded,status.phase!=Failed",
                             share_objects=True)
        self.nodes = Informer(client, api.NODES, share_objects=True)
        self.pods.add_handlers(self._on_pod_add, self._on_pod_update, self._on_pod_delete)
        self.nodes.add_handlers(self._on_node_add, self._on_node_update, self._on_node_delete)
        self._binds = 0
        self._bind_done = asyncio.Event()
        self._tasks: set[asyncio.Task] = set()
        self.bound = 0

    def render_metrics(self) -> str:
        return self.metrics.render()

    # --- event handlers (informer callbacks: cheap, no I/O) -------------------------------------
    def _responsible(self, pod: dict) -> bool:
        return (pod.get("spec") or {}).get("schedulerName", DEFAULT_SCHEDULER_NAME) == self.scheduler_name

    def _on_pod_add(self, pod: dict) -> None:
        spec = pod.get("spec") or {}
        if spec.get("nodeName"):
            self.cache.set_pod(PodInfo(pod))
        elif self._responsible(pod) and not (pod.get("metadata") or {}).get("deletionTimestamp"):
            self.queue.add(PodInfo(pod))

    def _on_pod_update(self, old: dict, new: dict) -> None:
        if (new.get("spec") or {}).get("nodeName"):
            pi = PodInfo(new)
            self.cache.set_pod(pi)
            if not (old.get("spec") or {}).get("nodeName"):
                self.queue.done(pi.key)
            elif ((new.get("status") or {}).get("phase") in TERMINAL_PHASES
                  and (old.get("status") or {}).get("phase") not in TERMINAL_PHASES):
                # A finished pod frees its node like a deleted one (if the watch did not drop it).
                self.queue.move_all_to_active_or_backoff("AssignedPodDelete")
            return
        key = framework.pod_key(new)
        if not self._responsible(new) or (new.get("metadata") or {}).get("deletionTimestamp"):
            self.queue.delete(key)
            return
        self.queue.update(old, PodInfo(new))

    def _on_pod_delete(self, pod: dict) -> None:
        key = framework.pod_key(pod)
        if self.cache.node_of(key) is not None and not self.cache.is_assumed(key):
            self.cache.remove_pod(key)
            self.queue.move_all_to_active_or_backoff("AssignedPodDelete")
        elif self.cache.is_assumed(key):
            self.cache.forget(key)
        self.queue.delete(key)

    def _on_node_add(self, node: dict) -> None:
        self.cache.add_node(node)
        self.queue.move_all_to_active_or_backoff("NodeAdd")

    def _on_node_update(self, old: dict, new: dict) -> None:
        if self.cache.update_node(old, new):
            self.queue.move_all_to_active_or_backoff("NodeUpdate")

    def _on_node_delete(self, node: dict) -> None:
        self.cache.remove_node((node.get("metadata") or {}).get("name", ""))

    # --- the loop -----------------------------------------------------------------------------
    async def run(self) -> None:
        self.nodes.start()
        self.pods.start()
        await self.nodes.wait_synced()
        await self.pods.wait_synced()
        self.events.start()
        housekeeping = asyncio.create_task(self._housekeeping())
        try:
            while True:
                qp = await self.queue.pop()
                while self._binds >= MAX_BINDS_IN_FLIGHT:
                    self._bind_done.clear()
                    await self._bind_done.wait()
                self.schedule_one(qp)
                await asyncio.sleep(0)  # the API server shares this loop: let it and the binders run
        finally:
            housekeeping.cancel()
            for t in list(self._tasks):
                t.cancel()
            await asyncio.gather(housekeeping, *self._tasks, return_exceptions=True)
            await self.events.stop()
            await self.pods.stop()
            await self.nodes.stop()

    async def _housekeeping(self) -> None:
        last_flush = time.monotonic()
        last_text = ""
        while True:
            await asyncio.sleep(METRICS_WRITE_INTERVAL)
            if time.monotonic() - last_flush > LEFTOVER_FLUSH_INTERVAL:
                self.queue.flush_unschedulable_leftover()
                last_flush = time.monotonic()
            if self.metrics_file is not None:
                text = self.render_metrics()
                if text != last_text:
                    try:
                        tmp = self.metrics_file.with_suffix(".tmp")
                        tmp.write_text(text)
                        tmp.replace(self.metrics_file)
                        last_text = text
                    except OSError as e:
                        log.debug("metrics file: %s", e)

    def _spawn(self, coro) -> None:
        t = asyncio.create_task(coro)
        self._tasks.add(t)
        t.add_done_callback(self._tasks.discard)

    def schedule_one(self, qp: QueuedPodInfo) -> None:
        pi = qp.pi
        current = self.pods.get(pi.key)
        if current is None or (current.get("spec") or {}).get("nodeName") or pi.deleting:
            self.queue.done(pi.key)
            return
        start = time.perf_counter()
        nodes = self.cache.node_list
        anti = self.cache.anti_affinity_nodes()
        nominated_name = (pi.pod.get("status") or {}).get("nominatedNodeName")
        nominated = self.cache.nodes.get(nominated_name) if nominated_name else None
        try:
            result = self.algorithm.schedule(pi, nodes, anti, nominated if nominated and nominated.node else None,
                                             self.cache.keys, self.cache.owner_nodes(pi), self.cache.owner_zones(pi),
                                             self.cache.positions)
        except algorithm.FitError as fe:
            self._handle_fit_error(qp, fe, anti, start)
            return
        except Exception:
            log.exception("scheduling %s failed", pi.key)
            self.metrics.observe_attempt("error", time.perf_counter() - start)
            self.queue.requeue_error(qp)
            return
        self.cache.assume(pi, result.node)
        self._binds += 1
        self._spawn(self._bind(qp, result.node, start))

    def _handle_fit_error(self, qp: QueuedPodInfo, fe: algorithm.FitError, anti: list, start: float) -> None:
        pi = qp.pi
        nominated: str | None = None
        if self.cache.node_list:
            self.metrics.preemption_attempts += 1
            res = preemption.preempt(pi, self.cache.node_list, fe.diagnosis, anti, self.algorithm.rng.randrange(1 << 30))
            if res.node:
                nominated = res.node
                self.metrics.preemption_victims += len(res.victims)
                self._spawn(self._evict(pi, res.victims, res.node))
            else:
                fe.diagnosis.post_filter_msg = res.message
                if (pi.pod.get("status") or {}).get("nominatedNodeName"):
                    nominated = ""
        self.metrics.observe_attempt("unschedulable", time.perf_counter() - start)
        message = fe.message
        self.queue.requeue_unschedulable(qp)
        current = self.pods.get(pi.key) or pi.pod
        self.events.record(current, "Warning", "FailedScheduling", "Scheduling", message)
        patch = unschedulable_status_patch(current, message, nominated, _now())
        if patch is not None:
            self._spawn(self._patch_status(pi, patch))

    async def _patch_status(self, pi: PodInfo, patch: dict) -> None:
        try:
            await self.client.patch(api.PODS, pi.name, patch, pi.namespace, patch_type="strategic", subresource="status")
        except api.APIError as e:
            if not e.not_found:
                log.warning("updating status of %s: %s", pi.key, e)

    async def _bind(self, qp: QueuedPodInfo, node: str, start: float) -> None:
        pi = qp.pi
        binding = {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": pi.name, "namespace": pi.namespace},
                   "target": {"apiVersion": "v1", "kind": "Node", "name": node}}
        try:
            await self.client.create(api.PODS, binding, pi.namespace, subresource="binding", name=pi.name)
        except Exception as e:
            self.cache.forget(pi.key)
            self.metrics.observe_attempt("error", time.perf_counter() - start)
            if isinstance(e, api.APIError) and e.not_found:
                self.queue.done(pi.key)
            else:
                log.info("binding %s to %s failed: %s", pi.key, node, e)
                self.events.record(pi.pod, "Warning", "FailedScheduling", "Scheduling", f"Binding rejected: {e}")
                self.queue.requeue_error(qp)
            return
        finally:
            self._binds -= 1
            self._bind_done.set()
        self.bound += 1
        self.queue.done(pi.key)
        self.metrics.observe_attempt("scheduled", time.perf_counter() - start)
        self.events.record(pi.pod, "Normal", "Scheduled", "Binding",
                           f"Successfully assigned {pi.namespace}/{pi.name} to {node}")

    async def _evict(self, preemptor: PodInfo, victims: list[PodInfo], node: str) -> None:
        """prepareCandidate: mark each victim DisruptionTarget, delete it, tell it why."""
        async def one(v: PodInfo) -> None:
            cond = {"type": "DisruptionTarget", "status": "True", "reason": "PreemptionByScheduler",
                    "message": f"{self.scheduler_name}: preempting to accommodate a higher priority pod",
                    "lastTransitionTime": _now()}
            try:
                await self.client.patch(api.PODS, v.name, {"status": {"conditions": [cond]}}, v.namespace,
                                        patch_type="strategic", subresource="status")
                await self.client.delete(api.PODS, v.name, v.namespace)
            except api.APIError as e:
                if not e.not_found:
                    log.warning("preempting %s: %s", v.key, e)
                return
            self.events.record(v.pod, "Normal", "Preempted", "Preempting",
                               f"Preempted by pod {preemptor.uid} on node {node}")
        await asyncio.gather(*(one(v) for v in victims))
