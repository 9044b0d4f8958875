"""Node lifecycle controller: silent nodes go Unknown, get tainted, and lose their pods.

Upstream's shape (pkg/controller/nodelifecycle), in three parts:

- **Health.** Every `node_monitor_period` (5 s) each node's probe time is the last moment this
  controller saw its Lease renewTime or Ready heartbeat change. A node silent for longer than
  `node_monitor_grace_period` (40 s) gets every kubelet condition set to Unknown with reason
  `NodeStatusUnknown`, message `Kubelet stopped posting node status.` (`NodeStatusNeverUpdated`
  / `Kubelet never posted node status.` for a condition it never posted), and its pods' Ready
  condition set to False.
- **Taints.** Ready=Unknown -> `node.kubernetes.io/unreachable` NoExecute (with timeAdded) and
  NoSchedule; Ready=False -> `node.kubernetes.io/not-ready` likewise; Ready=True -> neither.
- **Eviction** (the NoExecute taint manager): a pod on a node with NoExecute taints is deleted
  at once if it does not tolerate one of them, else when the shortest matching
  `tolerationSeconds` has passed since the taint was added (no seconds: never). Before the
  delete it gets `DisruptionTarget=True` (reason `DeletionByTaintManager`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import Any

from uwernetes.client.api import LEASES, NODES, PODS, APIError
from uwernetes.machinery.meta import now_rfc3339, parse_time

log = logging.getLogger(__name__)

NAME = "node-lifecycle-controller"
Obj = dict[str, Any]

UNREACHABLE = "node.kubernetes.io/unreachable"
NOT_READY = "node.kubernetes.io/not-ready"
KUBELET_CONDITIONS = ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")


def condition(node: Mapping[str, Any], ctype: str) -> Obj | None:
    for c in (node.get("status") or {}).get("conditions") or []:
        if c.get("type") == ctype:
            return c
    return None


def unknown_conditions(conditions: list[Obj], now: str) -> list[Obj]:
    """The node's conditions after the grace period passed without a word from its kubelet."""
    out = []
    seen = set()
    for c in conditions:
        c = dict(c)
        if c.get("type") in KUBELET_CONDITIONS:
            seen.add(c["type"])
            if c.get("status") != "Unknown":
                c.update(status="Unknown", reason="NodeStatusUnknown", message="Kubelet stopped posting node status.",
                         lastTransitionTime=now)
        out.append(c)
    for ctype in KUBELET_CONDITIONS:
        if ctype not in seen:
            out.append({"type": ctype, "status": "Unknown", "reason": "NodeStatusNeverUpdated",
                        "message": "Kubelet never posted node status.", "lastHeartbeatTime": None,
                        "lastTransitionTime": now})
    return out


def desired_taints(taints: list[Obj], ready_status: str | None, now: str) -> list[Obj]:
    """The node's taints with the unreachable/not-ready ones made to match its Ready status."""
    want: set[tuple[str, str]] = set()
    if ready_status == "Unknown":
        want = {(UNREACHABLE, "NoExecute"), (UNREACHABLE, "NoSchedule")}
    elif ready_status == "False":
        want = {(NOT_READY, "NoExecute"), (NOT_READY, "NoSchedule")}
    out = []
    have = set()
    for t in taints:
        k = (t.get("key"), t.get("effect"))
        if k[0] in (UNREACHABLE, NOT_READY) and k not in want:
            continue
        have.add(k)
        out.append(t)
    for key, effect in sorted(want - have, key=lambda x: (x[0], x[1] != "NoSchedule")):
        t: Obj = {"key": key, "effect": effect}
        if effect == "NoExecute":
            t["timeAdded"] = now
        out.append(t)
    return out


def tolerates(toleration: Mapping[str, Any], taint: Mapping[str, Any]) -> bool:
    """v1.Toleration.ToleratesTaint."""
    if toleration.get("effect") and toleration["effect"] != taint.get("effect"):
        return False
    if toleration.get("key") and toleration["key"] != taint.get("key"):
        return False
    op = toleration.get("operator") or "Equal"
    if op == "Exists":
        return True
    if op == "Equal":
        return (toleration.get("value") or "") == (taint.get("value") or "")
    return False


def eviction_delay(tolerations: list[Obj], taints: list[Obj]) -> float | None:
    """Seconds after the taints were added when the pod must go: 0 now, None never.

    Upstream's getMinTolerationTime over the tolerations used for the NoExecute taints."""
    noexec = [t for t in taints if t.get("effect") == "NoExecute"]
    if not noexec:
        return None
    used: list[Obj] = []
    for taint in noexec:
        matching = [t for t in tolerations if tolerates(t, taint)]
        if not matching:
            return 0.0
        used.extend(matching)
    seconds = [t["tolerationSeconds"] for t in used if t.get("tolerationSeconds") is not None]
    if not seconds:
        return None
    return float(max(0, min(seconds)))


def _ts(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return parse_time(value).timestamp()
    except ValueError:
        return None


class NodeLifecycleController:
    def __init__(self, ctx: Any, informers: Any) -> None:
        self.client = ctx.client(NAME)
        opts = ctx.options
        self.period = float(opts.get("node_monitor_period", 5.0))
        self.grace = float(opts.get("node_monitor_grace_period", 40.0))
        self.nodes = informers.get(NODES)
        self.leases = informers.get(LEASES, "kube-node-lease")
        self.pods = informers.get(PODS)
        # node name -> (last seen heartbeat/renew value, local time it was first seen)
        self.probes: dict[str, tuple[tuple, float]] = {}
        self.pods_by_node: dict[str, set[str]] = {}
        self.timers: dict[str, asyncio.TimerHandle] = {}
        self.evicting: set[str] = set()
        self.nodes.add_handlers(self._node_changed, lambda old, new: self._node_changed(new), self._node_deleted)
        self.pods.add_handlers(self._pod_added, self._pod_updated, self._pod_deleted)

    # --- indexes and eviction triggers ---

    @staticmethod
    def _key(pod: Obj) -> str:
        m = pod.get("metadata") or {}
        return f"{m.get('namespace')}/{m.get('name')}"

    def _pod_added(self, pod: Obj) -> None:
        node = (pod.get("spec") or {}).get("nodeName")
        if node:
            self.pods_by_node.setdefault(node, set()).add(self._key(pod))
            self._check_pod(pod)

    def _pod_updated(self, old: Obj, pod: Obj) -> None:
        old_node = (old.get("spec") or {}).get("nodeName")
        if old_node and old_node != (pod.get("spec") or {}).get("nodeName"):
            self.pods_by_node.get(old_node, set()).discard(self._key(pod))
        self._pod_added(pod)

    def _pod_deleted(self, pod: Obj) -> None:
        key = self._key(pod)
        node = (pod.get("spec") or {}).get("nodeName")
        if node:
            self.pods_by_node.get(node, set()).discard(key)
        self._cancel(key)

    def _node_changed(self, node: Obj) -> None:
        for key in list(self.pods_by_node.get(node["metadata"]["name"], ())):
            pod = self.pods.get(key)
            if pod is not None:
                self._check_pod(pod, node)

    def _node_deleted(self, node: Obj) -> None:
        self.probes.pop(node["metadata"]["name"], None)

    def _cancel(self, key: str) -> None:
        t = self.timers.pop(key, None)
        if t is not None:
            t.cancel()

    def _check_pod(self, pod: Obj, node: Obj | None = None) -> None:
        key = self._key(pod)
        if (pod.get("metadata") or {}).get("deletionTimestamp") or (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            self._cancel(key)
            return
        node = node or self.nodes.get((pod.get("spec") or {}).get("nodeName", ""))
        taints = ((node or {}).get("spec") or {}).get("taints") or []
        delay = eviction_delay((pod.get("spec") or {}).get("tolerations") or [], taints)
        if delay is None:
            self._cancel(key)
            return
        added = max((_ts(t.get("timeAdded")) or time.time() for t in taints if t.get("effect") == "NoExecute"),
                    default=time.time())
        when = added + delay
        self._cancel(key)
        loop = asyncio.get_running_loop()
        self.timers[key] = loop.call_later(max(0.0, when - time.time()), self._evict_soon, key)

    def _evict_soon(self, key: str) -> None:
        self.timers.pop(key, None)
        if key not in self.evicting:
            self.evicting.add(key)
            asyncio.get_running_loop().create_task(self._evict(key))

    async def _evict(self, key: str) -> None:
        try:
            pod = self.pods.get(key)
            if pod is None or (pod.get("metadata") or {}).get("deletionTimestamp"):
                return
            ns, name = key.split("/", 1)
            uid = pod["metadata"].get("uid")
            cond = {"type": "DisruptionTarget", "status": "True", "reason": "DeletionByTaintManager",
                    "message": "Taint manager: deleting due to NoExecute taint", "lastTransitionTime": now_rfc3339()}
            try:
                await self.client.patch(PODS, name, {"metadata": {"uid": uid}, "status": {"conditions": [cond]}}, ns,
                                        subresource="status", patch_type="strategic")
            except APIError as e:
                if e.code == 404:
                    return
                log.info("taint manager: condition on %s: %s", key, e)
            log.info("taint manager: deleting pod %s", key)
            await self.client.delete(PODS, name, ns, preconditions={"uid": uid})
        except APIError as e:
            if e.code not in (404, 409):
                log.warning("taint manager: deleting %s: %s", key, e)
        finally:
            self.evicting.discard(key)

    # --- health ---

    def _heartbeat(self, name: str, node: Obj) -> tuple:
        lease = self.leases.get(f"kube-node-lease/{name}")
        renew = ((lease or {}).get("spec") or {}).get("renewTime")
        ready = condition(node, "Ready") or {}
        return (renew, ready.get("lastHeartbeatTime"))

    async def monitor_once(self) -> None:
        now = time.monotonic()
        for node in self.nodes.list():
            name = node["metadata"]["name"]
            beat = self._heartbeat(name, node)
            prev = self.probes.get(name)
            if prev is None or prev[0] != beat:
                self.probes[name] = (beat, now)
                prev = self.probes[name]
            ready = condition(node, "Ready")
            if now - prev[1] > self.grace and (ready is None or ready.get("status") != "Unknown"):
                await self._mark_unknown(node)
                continue
            await self._sync_taints(node)

    async def _mark_unknown(self, node: Obj) -> None:
        name = node["metadata"]["name"]
        nowstr = now_rfc3339()
        conds = unknown_conditions((node.get("status") or {}).get("conditions") or [], nowstr)
        log.info("node %s: Kubelet stopped posting node status", name)
        try:
            await self.client.patch(NODES, name, {"status": {"conditions": conds}}, subresource="status",
                                    patch_type="merge")
        except APIError as e:
            log.warning("node %s: marking Unknown: %s", name, e)
            return
        await self._mark_pods_not_ready(name, nowstr)

    async def _mark_pods_not_ready(self, node: str, now: str) -> None:
        for key in list(self.pods_by_node.get(node, ())):
            pod = self.pods.get(key)
            if pod is None:
                continue
            conds = (pod.get("status") or {}).get("conditions") or []
            ready = next((c for c in conds if c.get("type") == "Ready"), None)
            if ready is None or ready.get("status") == "False":
                continue
            patch = {"metadata": {"uid": pod["metadata"].get("uid")},
                     "status": {"conditions": [{"type": "Ready", "status": "False", "lastTransitionTime": now}]}}
            ns, name = key.split("/", 1)
            try:
                await self.client.patch(PODS, name, patch, ns, subresource="status", patch_type="strategic")
            except APIError as e:
                if e.code != 404:
                    log.info("pod %s: marking not ready: %s", key, e)

    async def _sync_taints(self, node: Obj) -> None:
        ready = condition(node, "Ready")
        status = ready.get("status") if ready else None
        taints = (node.get("spec") or {}).get("taints") or []
        want = desired_taints(taints, status, now_rfc3339())
        if want == taints:
            return
        body = {**node, "spec": {**(node.get("spec") or {}), "taints": want}}
        if not want:
            body["spec"].pop("taints", None)
        try:
            await self.client.update(NODES, body)
        except APIError as e:
            if e.code not in (404, 409):
                log.warning("node %s: taints: %s", node["metadata"]["name"], e)

    async def run(self) -> None:
        while True:
            try:
                await self.monitor_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("node lifecycle: monitor pass failed")
            await asyncio.sleep(self.period)
