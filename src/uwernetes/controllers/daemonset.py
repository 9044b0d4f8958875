"""DaemonSet controller (upstream's `pkg/controller/daemon`: daemon_controller.go, update.go).

One pod per eligible node: each is created pinned to its node through a required node-affinity
`matchFields metadata.name` term and bound by the scheduler, as upstream does since 1.12.
Pods on nodes that no longer qualify are removed (NoExecute taints they do not tolerate; other
changes stop new pods but leave running ones), failed pods are replaced with a per-node
back-off, and a RollingUpdate replaces old pods within maxUnavailable (or surges within
maxSurge). Templates are recorded as ControllerRevisions named `<ds>-<hash>`; pods carry
`controller-revision-hash` and `pod-template-generation`. The decisions are pure functions in
`daemonset_util`.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from typing import Any

from uwernetes.client.api import NODES, PODS, APIError, Resource
from uwernetes.client.workqueue import WorkQueue
from uwernetes.controllers import daemonset_util as dsu
from uwernetes.controllers import deployment_util as du
from uwernetes.controllers import history
from uwernetes.controllers import workload_common as wc
from uwernetes.controllers.replicaset import PodIndex
from uwernetes.machinery.selectors import LabelSelector, selector_from_label_selector

log = logging.getLogger(__name__)

NAME = "daemonset-controller"
WORKERS = 2
BURST_REPLICAS = 250
DAEMONSETS = Resource("apps", "v1", "daemonsets", True, "DaemonSet")
BACKOFF_INITIAL, BACKOFF_MAX = 1.0, 900.0

Obj = dict[str, Any]


def status_for_write(st: Obj) -> Obj:
    required = ("currentNumberScheduled", "numberMisscheduled", "desiredNumberScheduled", "numberReady")
    return {k: v for k, v in st.items() if v or k in required}


def _node_changed(old: Obj, new: Obj) -> bool:
    """Only changes that can alter eligibility wake the DaemonSets."""
    om, nm = old.get("metadata") or {}, new.get("metadata") or {}
    os_, ns_ = old.get("spec") or {}, new.get("spec") or {}
    return (om.get("labels") != nm.get("labels") or os_.get("taints") != ns_.get("taints")
            or os_.get("unschedulable") != ns_.get("unschedulable"))


class DaemonSetController:
    def __init__(self, ctx: Any, informers: Any, *, clock: wc.Clock = wc.utcnow) -> None:
        self.client = ctx.client(NAME)
        self.clock = clock
        self.sets = informers.get(DAEMONSETS)
        self.pods = informers.get(PODS)
        self.nodes = informers.get(NODES)
        self.revisions = informers.get(history.CONTROLLERREVISIONS)
        self.index = PodIndex()
        self.queue = WorkQueue()
        self.expect_adds = wc.Expectations()
        self.expect_dels = wc.Expectations()
        self.events = wc.EventRecorder(self.client, NAME)
        self.workers = int(ctx.options.get("daemonset_workers", WORKERS))
        # (daemonset uid, node) -> (not before, current delay) for replacing failed pods.
        self._backoff: dict[tuple[str, str], tuple[float, float]] = {}
        self.sets.add_handlers(self.enqueue, lambda old, new: self.enqueue(new), self.on_set_delete)
        self.pods.add_handlers(self.on_pod_add, self.on_pod_update, self.on_pod_delete)
        self.nodes.add_handlers(lambda n: self.enqueue_all(), self.on_node_update, lambda n: self.enqueue_all())

    # --- handlers ---

    def enqueue(self, ds: Obj) -> None:
        self.queue.add(wc.key_of(ds))

    def enqueue_all(self) -> None:
        for ds in self.sets.list():
            self.enqueue(ds)

    def on_node_update(self, old: Obj, new: Obj) -> None:
        if _node_changed(old, new):
            self.enqueue_all()

    def on_set_delete(self, ds: Obj) -> None:
        key = wc.key_of(ds)
        self.expect_adds.delete(key)
        self.expect_dels.delete(key)

    def _owner_key(self, pod: Obj) -> str | None:
        ref = wc.controller_ref(pod)
        if ref is None or ref.get("kind") != "DaemonSet":
            return None
        key = f"{(pod.get('metadata') or {}).get('namespace')}/{ref.get('name')}"
        ds = self.sets.get(key)
        return key if ds is not None and wc.uid_of(ds) == ref.get("uid") else None

    def _enqueue_matching(self, pod: Obj) -> None:
        m = pod.get("metadata") or {}
        for ds in self.sets.list():
            if (ds.get("metadata") or {}).get("namespace") != m.get("namespace"):
                continue
            sel = _selector(ds)
            if sel is not None and not sel.empty() and sel.matches(m.get("labels") or {}):
                self.enqueue(ds)

    def on_pod_add(self, pod: Obj) -> None:
        self.index.add(pod)
        key = self._owner_key(pod)
        if key is None:
            if wc.controller_ref(pod) is None:
                self._enqueue_matching(pod)
            return
        self.expect_adds.creation_observed(key)
        if wc.is_deleting(pod):
            self.expect_dels.deletion_observed(key, wc.key_of(pod))
        self.queue.add(key)

    def on_pod_update(self, old: Obj, new: Obj) -> None:
        if (old.get("metadata") or {}).get("resourceVersion") == (new.get("metadata") or {}).get("resourceVersion"):
            return
        self.index.remove(old)
        self.index.add(new)
        key = self._owner_key(new) or self._owner_key(old)
        if key is not None:
            if wc.is_deleting(new):
                self.expect_dels.deletion_observed(key, wc.key_of(new))
            self.queue.add(key)
            ds = self.sets.get(key) or {}
            min_ready = int(dsu.spec(ds).get("minReadySeconds") or 0)
            if min_ready > 0 and not wc.is_pod_ready(old) and wc.is_pod_ready(new):
                self.queue.add_after(key, min_ready + 1)
        elif wc.controller_ref(new) is None:
            self._enqueue_matching(new)

    def on_pod_delete(self, pod: Obj) -> None:
        self.index.remove(pod)
        key = self._owner_key(pod)
        if key is not None:
            self.expect_dels.deletion_observed(key, wc.key_of(pod))
            self.queue.add(key)

    async def run(self) -> None:
        await wc.run_workers(self.queue, self.sync, self.workers, NAME)

    # --- sync ---

    async def sync(self, key: str) -> None:
        ds = self.sets.get(key)
        if ds is None:
            self.expect_adds.delete(key)
            self.expect_dels.delete(key)
            return
        selector = _selector(ds)
        if selector is None or selector.empty():
            if selector is not None:
                self.events.event(ds, "Warning", "SelectingAll",
                                  "This daemon set is selecting all pods. A non-empty selector is required.")
            return
        if wc.is_deleting(ds):
            # Its history may already be gone, so its status cannot be computed reliably.
            return
        nodes = self.nodes.list()
        hash_, revisions, current = await self._construct_history(ds)
        if not (self.expect_adds.satisfied(key) and self.expect_dels.satisfied(key)):
            await self._update_status(ds, nodes, await self._node_pods(ds, selector), hash_)
            return
        node_pods = await self._node_pods(ds, selector)
        busy = await self._manage(key, ds, nodes, node_pods, hash_)
        if not busy and (dsu.spec(ds).get("updateStrategy") or {}).get("type") == "RollingUpdate":
            run_nodes = {(n.get("metadata") or {}).get("name") for n in nodes if dsu.should_run(ds, n)[0]}
            delete, create = dsu.rolling_update(ds, node_pods, run_nodes, hash_, self.clock())
            await self._sync_nodes(key, ds, delete, create, hash_)
        await self._cleanup_history(ds, node_pods, revisions, current)
        await self._update_status(ds, nodes, node_pods, hash_)

    async def _node_pods(self, ds: Obj, selector: LabelSelector) -> dict[str, list[Obj]]:
        """Claimed pods grouped by the node they run on or are pinned to."""
        store = self.pods.store
        out: dict[str, list[Obj]] = {}
        owned = [p for k in self.index.owned.get(wc.uid_of(ds), ()) if (p := store.get(k)) is not None]
        ns = (ds.get("metadata") or {}).get("namespace", "")
        for k in list(self.index.orphans.get(ns, ())):
            p = store.get(k)
            if p is None or wc.is_deleting(p) or not selector.matches((p.get("metadata") or {}).get("labels") or {}):
                continue
            refs = list(p["metadata"].get("ownerReferences") or ()) + [wc.owner_ref_for(ds, "apps/v1", "DaemonSet")]
            adopted = await self._patch_pod(p, {"metadata": {"ownerReferences": refs}})
            if adopted is not None:
                owned.append(adopted)
        for p in owned:
            if not selector.matches((p.get("metadata") or {}).get("labels") or {}):
                refs = [r for r in p["metadata"].get("ownerReferences") or () if r.get("uid") != wc.uid_of(ds)]
                await self._patch_pod(p, {"metadata": {"ownerReferences": refs or None}})
                continue
            node = dsu.target_node(p)
            if node:
                out.setdefault(node, []).append(p)
        return out

    async def _patch_pod(self, pod: Obj, patch: Obj) -> Obj | None:
        m = pod["metadata"]
        patch["metadata"].update({"resourceVersion": m.get("resourceVersion"), "uid": m.get("uid")})
        try:
            return await self.client.patch(PODS, m["name"], patch, m.get("namespace"))
        except APIError as e:
            if e.not_found or e.conflict or e.code == 422:
                return None
            raise

    async def _manage(self, key: str, ds: Obj, nodes: list[Obj], node_pods: dict[str, list[Obj]], hash_: str) -> bool:
        """Create missing daemon pods and delete the ones that must go; True if it acted."""
        now = self.clock()
        create: list[str] = []
        delete: list[Obj] = []
        names = set()
        for node in nodes:
            name = (node.get("metadata") or {}).get("name")
            names.add(name)
            run, keep = dsu.should_run(ds, node)
            pods = node_pods.get(name) or []
            if run and not pods:
                create.append(name)
            elif keep:
                alive = []
                for p in pods:
                    if wc.is_deleting(p):
                        continue
                    phase = (p.get("status") or {}).get("phase")
                    if phase == "Failed" or phase == "Succeeded":
                        if self._may_replace(key, ds, name, p):
                            delete.append(p)
                        continue
                    alive.append(p)
                delete.extend(dsu.pods_to_prune(ds, alive, hash_, now))
            else:
                delete.extend(p for p in pods if not wc.is_deleting(p))
        # Unscheduled pods pinned to nodes that are gone will never run.
        for name, pods in node_pods.items():
            if name not in names:
                delete.extend(p for p in pods if not (p.get("spec") or {}).get("nodeName") and not wc.is_deleting(p))
        await self._sync_nodes(key, ds, delete, create, hash_)
        return bool(create or delete)

    def _may_replace(self, key: str, ds: Obj, node: str, pod: Obj) -> bool:
        """Failed pods are replaced with a per-node back-off (1s doubling to 15 minutes)."""
        bkey = (wc.uid_of(ds), node)
        now = time.monotonic()
        until, delay = self._backoff.get(bkey, (0.0, 0.0))
        if now < until:
            self.queue.add_after(key, until - now)
            return False
        delay = min(BACKOFF_MAX, delay * 2 if delay else BACKOFF_INITIAL)
        self._backoff[bkey] = (now + delay, delay)
        m = pod["metadata"]
        self.events.event(ds, "Warning", "FailedDaemonPod",
                          f"Found failed daemon pod {m.get('namespace')}/{m.get('name')} on node {node}, will try to kill it")
        return True

    async def _sync_nodes(self, key: str, ds: Obj, delete: list[Obj], create: list[str], hash_: str) -> None:
        create, delete = create[:BURST_REPLICAS], delete[:BURST_REPLICAS]
        if not create and not delete:
            return
        self.expect_adds.expect_creations(key, len(create))
        self.expect_dels.expect_deletions(key, [wc.key_of(p) for p in delete])
        errors: list[Exception] = []
        ns = (ds.get("metadata") or {}).get("namespace")
        todo = list(create)

        async def create_one() -> None:
            node = todo.pop()  # nodes never attempted stay in `todo`
            try:
                pod = await self.client.create(PODS, dsu.daemon_pod(ds, node, hash_), ns)
            except APIError as e:
                self.expect_adds.creation_observed(key)
                self.events.event(ds, "Warning", "FailedCreate", f"Error creating: {e.status.get('message', e)}")
                raise
            self.events.event(ds, "Normal", "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}")

        async def delete_one(pod: Obj) -> None:
            m = pod["metadata"]
            try:
                await self.client.delete(PODS, m["name"], m.get("namespace"), preconditions={"uid": m.get("uid")})
            except APIError as e:
                self.expect_dels.deletion_observed(key, wc.key_of(pod))
                if e.not_found or e.conflict:
                    return
                self.events.event(ds, "Warning", "FailedDelete", f"Error deleting: {e.status.get('message', e)}")
                errors.append(e)
                return
            self.events.event(ds, "Normal", "SuccessfulDelete", f"Deleted pod: {m['name']}")

        _, err = await wc.slow_start_batch(len(create), 1, create_one)
        for _ in todo:
            self.expect_adds.creation_observed(key)
        await asyncio.gather(*(delete_one(p) for p in delete))
        if err is not None:
            raise err
        if errors:
            raise errors[0]

    async def _construct_history(self, ds: Obj) -> tuple[str, list[Obj], Obj]:
        """constructHistory: (hash of the current revision, all revisions, the current revision)."""
        revisions = history.sort_revisions(history.owned_revisions(self.revisions, ds))
        template = dsu.spec(ds).get("template") or {}
        data = history.revision_data(template)
        current = [r for r in revisions if (r.get("data") or {}) == data]
        old = [r for r in revisions if (r.get("data") or {}) != data]
        next_number = max((history.number(r) for r in old), default=0) + 1
        if current:
            cur = current[-1]
            for dup in current[:-1]:
                await history.delete_revisions(self.client, [dup])
            if history.number(cur) < next_number:
                cur = await history.set_revision_number(self.client, cur, next_number)
            revisions = [*old, cur]
        else:
            cur = await self._snapshot(ds, template, data, next_number)
            revisions = [*old, cur]
        return (cur.get("metadata") or {}).get("labels", {}).get(dsu.REVISION_HASH_LABEL, ""), revisions, cur

    async def _snapshot(self, ds: Obj, template: Obj, data: Obj, number: int) -> Obj:
        collisions = (ds.get("status") or {}).get("collisionCount")
        hash_ = du.compute_hash(template, collisions)
        m = ds.get("metadata") or {}
        labels = {**((template.get("metadata") or {}).get("labels") or {}), dsu.REVISION_HASH_LABEL: hash_}
        body = {"apiVersion": "apps/v1", "kind": "ControllerRevision",
                "metadata": {"name": history.revision_name(m.get("name", ""), hash_), "namespace": m.get("namespace"),
                             "labels": labels, "ownerReferences": [wc.owner_ref_for(ds, "apps/v1", "DaemonSet")]},
                "data": data, "revision": number}
        if m.get("annotations"):
            body["metadata"]["annotations"] = dict(m["annotations"])
        try:
            return await self.client.create(history.CONTROLLERREVISIONS, body)
        except APIError as e:
            if e.code != 409:
                raise
        existing = await self.client.get(history.CONTROLLERREVISIONS, body["metadata"]["name"], m.get("namespace"))
        if (existing.get("data") or {}) == data and (wc.controller_ref(existing) or {}).get("uid") == wc.uid_of(ds):
            return existing
        # A different template hashed to the same name: bump collisionCount and retry.
        status = dict(ds.get("status") or {})
        status["collisionCount"] = int(collisions or 0) + 1
        await self._write_status(ds, status)
        raise RuntimeError(f"hash collision for DaemonSet {wc.key_of(ds)}; retrying with a new collisionCount")

    async def _cleanup_history(self, ds: Obj, node_pods: dict[str, list[Obj]], revisions: list[Obj], current: Obj) -> None:
        live_hashes = {((p.get("metadata") or {}).get("labels") or {}).get(dsu.REVISION_HASH_LABEL)
                       for pods in node_pods.values() for p in pods}
        live = {r["metadata"]["name"] for r in revisions
                if ((r.get("metadata") or {}).get("labels") or {}).get(dsu.REVISION_HASH_LABEL) in live_hashes}
        live.add(current["metadata"]["name"])
        limit = dsu.spec(ds).get("revisionHistoryLimit")
        drop = history.history_to_drop(revisions, live, limit if isinstance(limit, int) else 10)
        if drop:
            await history.delete_revisions(self.client, drop)

    async def _update_status(self, ds: Obj, nodes: list[Obj], node_pods: dict[str, list[Obj]], hash_: str) -> None:
        st = dsu.compute_status(ds, nodes, node_pods, hash_, self.clock())
        old = ds.get("status") or {}
        for k in ("collisionCount", "conditions"):
            if old.get(k) is not None:
                st[k] = old[k]
        if status_for_write(st) != old:
            await self._write_status(ds, st)
        min_ready = int(dsu.spec(ds).get("minReadySeconds") or 0)
        if min_ready > 0 and st["numberAvailable"] != st["desiredNumberScheduled"]:
            self.queue.add_after(wc.key_of(ds), min_ready)

    async def _write_status(self, ds: Obj, st: Obj) -> None:
        body = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": copy.deepcopy(ds["metadata"]),
                "spec": ds.get("spec"), "status": status_for_write(st)}
        try:
            await self.client.update_status(DAEMONSETS, body)
        except APIError as e:
            if not e.not_found:
                raise


def _selector(ds: Obj) -> LabelSelector | None:
    try:
        return selector_from_label_selector(dsu.spec(ds).get("selector"))
    except ValueError:
        return None
