"""Pod garbage collector (upstream's `pkg/controller/podgc/gc_controller.go`).

Every period (20 s) it:
- deletes the oldest terminated pods beyond `terminated_pod_gc_threshold` (12500; 0 disables);
- fails and deletes terminating pods on not-ready nodes tainted `node.kubernetes.io/out-of-service`;
- fails (condition DisruptionTarget, reason DeletionByPodGC) and deletes pods bound to nodes that
  have been missing for a quarantine (40 s) and are confirmed gone by a live GET;
- deletes terminating pods that were never scheduled.
Deletes use a grace period of 0, as upstream's `markFailedAndDeletePod`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from uwernetes.client.api import NODES, PODS, APIError
from uwernetes.controllers import workload_common as wc
from uwernetes.machinery import meta

log = logging.getLogger(__name__)

NAME = "pod-garbage-collector"
FIELD_MANAGER = "PodGC"
DEFAULT_THRESHOLD = 12500
GC_PERIOD = 20.0
QUARANTINE = 40.0
OUT_OF_SERVICE = "node.kubernetes.io/out-of-service"
PARALLELISM = 500

Obj = dict[str, Any]


def is_terminated(pod: Obj) -> bool:
    return (pod.get("status") or {}).get("phase") not in ("Pending", "Running", "Unknown", None, "")


def terminated_to_delete(pods: list[Obj], threshold: int) -> list[Obj]:
    """gcTerminated's choice: evicted first, then oldest first (then by name)."""
    if threshold <= 0:
        return []
    terminated = [p for p in pods if is_terminated(p)]
    excess = len(terminated) - threshold
    if excess <= 0:
        return []

    def order(p: Obj) -> tuple:
        m = p.get("metadata") or {}
        evicted = (p.get("status") or {}).get("reason") == "Evicted"
        return (0 if evicted else 1, m.get("creationTimestamp") or "", m.get("name", ""))

    return sorted(terminated, key=order)[:excess]


def node_out_of_service(node: Obj) -> bool:
    ready = next((c for c in (node.get("status") or {}).get("conditions") or () if c.get("type") == "Ready"), None)
    tainted = any(t.get("key") == OUT_OF_SERVICE for t in (node.get("spec") or {}).get("taints") or ())
    return tainted and (ready is None or ready.get("status") != "True")


class PodGCController:
    def __init__(self, ctx: Any, informers: Any) -> None:
        self.client = ctx.client(NAME)
        self.pods = informers.get(PODS)
        self.nodes = informers.get(NODES)
        self.threshold = int(ctx.options.get("terminated_pod_gc_threshold", DEFAULT_THRESHOLD))
        self.period = float(ctx.options.get("pod_gc_period", GC_PERIOD))
        self.quarantine = float(ctx.options.get("pod_gc_quarantine", QUARANTINE))
        self._missing_since: dict[str, float] = {}

    async def run(self) -> None:
        while True:
            try:
                await self.gc()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("pod garbage collection failed")
            await asyncio.sleep(self.period)

    async def gc(self) -> None:
        pods = self.pods.list()
        nodes = {n["metadata"]["name"]: n for n in self.nodes.list()}
        await self._all(terminated_to_delete(pods, self.threshold), None)
        terminating_oos = [p for p in pods if wc.is_deleting(p) and (n := nodes.get((p.get("spec") or {}).get("nodeName") or "")) is not None
                           and node_out_of_service(n)]
        await self._all(terminating_oos, None)
        gone = await self._deleted_nodes(pods, nodes)
        orphaned = [p for p in pods if (p.get("spec") or {}).get("nodeName") in gone]
        cond = {"type": "DisruptionTarget", "status": "True", "reason": "DeletionByPodGC",
                "message": "PodGC: node no longer exists"}
        await self._all(orphaned, cond)
        unscheduled = [p for p in pods if wc.is_deleting(p) and not (p.get("spec") or {}).get("nodeName")]
        await self._all(unscheduled, None)

    async def _deleted_nodes(self, pods: list[Obj], nodes: dict[str, Obj]) -> set[str]:
        """Nodes pods are bound to that stayed missing through the quarantine and a live GET."""
        now = time.monotonic()
        wanted = {(p.get("spec") or {}).get("nodeName") for p in pods} - {None, ""}
        missing = {n for n in wanted if n not in nodes}
        for name in list(self._missing_since):
            if name not in missing:
                del self._missing_since[name]
        gone: set[str] = set()
        for name in missing:
            since = self._missing_since.setdefault(name, now)
            if now - since < self.quarantine:
                continue
            try:
                await self.client.get(NODES, name)
            except APIError as e:
                if e.not_found:
                    gone.add(name)
                    self._missing_since.pop(name, None)
        return gone

    async def _all(self, pods: list[Obj], condition: Obj | None) -> None:
        sem = asyncio.Semaphore(PARALLELISM)

        async def one(pod: Obj) -> None:
            async with sem:
                try:
                    await self.mark_failed_and_delete(pod, condition)
                except APIError as e:
                    if not e.not_found:
                        log.info("pod gc: %s: %s", wc.key_of(pod), e)

        await asyncio.gather(*(one(p) for p in pods))

    async def mark_failed_and_delete(self, pod: Obj, condition: Obj | None) -> None:
        m = pod["metadata"]
        phase = (pod.get("status") or {}).get("phase")
        if phase not in ("Succeeded", "Failed"):
            status: Obj = {"phase": "Failed"}
            if condition is not None:
                conds = [c for c in (pod.get("status") or {}).get("conditions") or () if c.get("type") != condition["type"]]
                status["conditions"] = [*conds, {**condition, "lastTransitionTime": meta.now_rfc3339()}]
            await self.client.patch(PODS, m["name"], {"status": status}, m.get("namespace"), subresource="status",
                                    field_manager=FIELD_MANAGER)
        await self.client.delete(PODS, m["name"], m.get("namespace"), grace_period_seconds=0)
