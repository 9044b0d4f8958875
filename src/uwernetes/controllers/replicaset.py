"""ReplicaSet controller: keep `spec.replicas` pods from the template (upstream's
`pkg/controller/replicaset/replica_set.go` and `replica_set_utils.go`).

Pods are created from the template with a controller ownerReference, in slow-start batches of at
most 500 per sync, behind expectations so a sync never acts twice on what the informer has not
yet seen. Scale-down removes the pods ranked first by `compare_for_deletion`. Orphans matching
the selector are adopted; owned pods that stop matching are released.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from datetime import datetime
from typing import Any

from uwernetes.client.api import PODS, REPLICASETS, APIError
from uwernetes.client.workqueue import WorkQueue
from uwernetes.controllers import workload_common as wc
from uwernetes.machinery import meta
from uwernetes.machinery.selectors import LabelSelector, Requirement, selector_from_label_selector

log = logging.getLogger(__name__)

NAME = "replicaset-controller"
BURST_REPLICAS = 500
SLOW_START_INITIAL_BATCH = 1
WORKERS = 5

Obj = dict[str, Any]


def template_selector(rs: Obj) -> LabelSelector:
    labels = (((rs.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}
    return LabelSelector([Requirement(k, "=", (v,)) for k, v in sorted(labels.items())])


def calculate_status(rs: Obj, pods: list[Obj], manage_error: str | None, diff: int, now: datetime) -> Obj:
    """calculateStatus: counts over the claimed active pods plus the ReplicaFailure condition."""
    spec, old = rs.get("spec") or {}, rs.get("status") or {}
    min_ready = int(spec.get("minReadySeconds") or 0)
    fully_labeled = wc.label_matcher(template_selector(rs))
    fully = ready = available = 0
    for p in pods:
        if fully_labeled((p.get("metadata") or {}).get("labels")):
            fully += 1
        if wc.is_pod_ready(p):
            ready += 1
            if min_ready <= 0 or wc.is_pod_available(p, min_ready, now):
                available += 1
    status: Obj = {"replicas": len(pods), "fullyLabeledReplicas": fully, "readyReplicas": ready,
                   "availableReplicas": available,
                   "observedGeneration": (rs.get("metadata") or {}).get("generation", old.get("observedGeneration"))}
    conditions = [c for c in old.get("conditions") or () if c.get("type") != "ReplicaFailure"]
    failure = next((c for c in old.get("conditions") or () if c.get("type") == "ReplicaFailure"), None)
    if manage_error is not None:
        if failure is None:
            reason = "FailedCreate" if diff < 0 else "FailedDelete"
            failure = {"type": "ReplicaFailure", "status": "True", "lastTransitionTime": meta.format_time(now),
                       "reason": reason, "message": manage_error}
        conditions.append(failure)
    if conditions:
        status["conditions"] = conditions
    return status


def status_changed(old: Obj, new: Obj) -> bool:
    keys = ("replicas", "fullyLabeledReplicas", "readyReplicas", "availableReplicas", "observedGeneration")
    return any(int(old.get(k) or 0) != int(new.get(k) or 0) for k in keys) or (old.get("conditions") or []) != (
        new.get("conditions") or [])


def _status_for_write(status: Obj) -> Obj:
    # Upstream's omitempty: zero counters are not sent.
    return {k: v for k, v in status.items() if v or k == "replicas"}


class PodIndex:
    """Pods of one informer grouped by controller owner uid, and the orphans by namespace."""

    def __init__(self) -> None:
        self.owned: dict[str, set[str]] = {}
        self.orphans: dict[str, set[str]] = {}

    def _slot(self, pod: Obj) -> tuple[dict[str, set[str]], str]:
        ref = wc.controller_ref(pod)
        if ref is not None:
            return self.owned, ref.get("uid", "")
        return self.orphans, (pod.get("metadata") or {}).get("namespace", "")

    def add(self, pod: Obj) -> None:
        table, k = self._slot(pod)
        table.setdefault(k, set()).add(wc.key_of(pod))

    def remove(self, pod: Obj) -> None:
        table, k = self._slot(pod)
        keys = table.get(k)
        if keys is not None:
            keys.discard(wc.key_of(pod))
            if not keys:
                del table[k]


class ReplicaSetController:
    def __init__(self, ctx: Any, informers: Any, *, clock: wc.Clock = wc.utcnow) -> None:
        self.client = ctx.client(NAME)
        self.clock = clock
        self.rs_informer = informers.get(REPLICASETS)
        self.pod_informer = informers.get(PODS)
        self.queue = WorkQueue()
        self.expectations = wc.Expectations()
        self.index = PodIndex()
        self.events = wc.EventRecorder(self.client, NAME)
        self.workers = int(ctx.options.get("replicaset_workers", WORKERS))
        self.rs_informer.add_handlers(self.on_rs_add, self.on_rs_update, self.on_rs_delete)
        self.pod_informer.add_handlers(self.on_pod_add, self.on_pod_update, self.on_pod_delete)

    # --- event handlers: objects to keys ---

    def on_rs_add(self, rs: Obj) -> None:
        self.queue.add(wc.key_of(rs))

    def on_rs_update(self, old: Obj, new: Obj) -> None:
        self.queue.add(wc.key_of(new))

    def on_rs_delete(self, rs: Obj) -> None:
        key = wc.key_of(rs)
        self.expectations.delete(key)
        self.queue.add(key)

    def _rs_key_for_ref(self, pod: Obj, ref: Obj) -> str | None:
        if ref.get("kind") != "ReplicaSet" or not str(ref.get("apiVersion", "")).startswith("apps/"):
            return None
        key = f"{(pod.get('metadata') or {}).get('namespace')}/{ref.get('name')}"
        rs = self.rs_informer.get(key)
        if rs is None or wc.uid_of(rs) != ref.get("uid"):
            return None
        return key

    def _enqueue_matching(self, pod: Obj) -> None:
        """An orphan: every ReplicaSet in its namespace whose selector matches may adopt it."""
        m = pod.get("metadata") or {}
        labels = m.get("labels") or {}
        if not labels:
            return
        ns = m.get("namespace")
        for rs in self.rs_informer.list():
            rm = rs.get("metadata") or {}
            if rm.get("namespace") != ns:
                continue
            try:
                sel = selector_from_label_selector((rs.get("spec") or {}).get("selector"))
            except ValueError:
                continue
            if sel is not None and not sel.empty() and sel.matches(labels):
                self.queue.add(wc.key_of(rs))

    def on_pod_add(self, pod: Obj) -> None:
        self.index.add(pod)
        if wc.is_deleting(pod):
            self.on_pod_delete(pod, from_add=True)
            return
        ref = wc.controller_ref(pod)
        if ref is not None:
            key = self._rs_key_for_ref(pod, ref)
            if key is not None:
                self.expectations.creation_observed(key)
                self.queue.add(key)
            return
        self._enqueue_matching(pod)

    def on_pod_update(self, old: Obj, new: Obj) -> None:
        if (old.get("metadata") or {}).get("resourceVersion") == (new.get("metadata") or {}).get("resourceVersion"):
            return
        self.index.remove(old)
        self.index.add(new)
        if wc.is_deleting(new) and not wc.is_deleting(old):
            # A graceful delete: the informer sees the update long before the delete.
            self._observe_deletion(new)
        old_ref, new_ref = wc.controller_ref(old), wc.controller_ref(new)
        if old_ref is not None and (new_ref is None or old_ref.get("uid") != new_ref.get("uid")):
            key = self._rs_key_for_ref(old, old_ref)
            if key is not None:
                self.queue.add(key)
        if new_ref is not None:
            key = self._rs_key_for_ref(new, new_ref)
            if key is not None:
                self.queue.add(key)
                rs = self.rs_informer.get(key) or {}
                min_ready = int((rs.get("spec") or {}).get("minReadySeconds") or 0)
                if min_ready > 0 and not wc.is_pod_ready(old) and wc.is_pod_ready(new):
                    # Check availability again once minReadySeconds have passed.
                    self.queue.add_after(key, min_ready + 1)
            return
        if (old.get("metadata") or {}).get("labels") != (new.get("metadata") or {}).get("labels") or old_ref is not None:
            self._enqueue_matching(new)

    def _observe_deletion(self, pod: Obj) -> str | None:
        ref = wc.controller_ref(pod)
        if ref is None:
            return None
        key = self._rs_key_for_ref(pod, ref)
        if key is not None:
            self.expectations.deletion_observed(key, wc.key_of(pod))
            self.queue.add(key)
        return key

    def on_pod_delete(self, pod: Obj, from_add: bool = False) -> None:
        if not from_add:
            self.index.remove(pod)
        self._observe_deletion(pod)

    # --- sync ---

    async def run(self) -> None:
        await wc.run_workers(self.queue, self.sync, self.workers, NAME)

    def _pods_for(self, rs: Obj) -> tuple[list[Obj], list[Obj]]:
        """(owned pods, orphans in the namespace), from the cache."""
        store = self.pod_informer.store
        owned = [p for k in self.index.owned.get(wc.uid_of(rs), ()) if (p := store.get(k)) is not None]
        ns = (rs.get("metadata") or {}).get("namespace", "")
        orphans = [p for k in self.index.orphans.get(ns, ()) if (p := store.get(k)) is not None]
        return owned, orphans

    async def sync(self, key: str) -> None:
        rs = self.rs_informer.get(key)
        if rs is None:
            self.expectations.delete(key)
            return
        needs_sync = self.expectations.satisfied(key)
        try:
            selector = selector_from_label_selector((rs.get("spec") or {}).get("selector"))
        except ValueError as e:
            log.info("replicaset %s has an invalid selector: %s", key, e)
            return
        if selector is None:
            return
        owned, orphans = self._pods_for(rs)
        pods = await self._claim(rs, selector, owned, orphans)
        active = [p for p in pods if wc.is_pod_active(p)]
        diff = len(active) - int((rs.get("spec") or {}).get("replicas", 1))
        manage_error: str | None = None
        if needs_sync and not wc.is_deleting(rs):
            manage_error = await self.manage_replicas(key, rs, active)
        now = self.clock()
        status = calculate_status(rs, active, manage_error, diff, now)
        if status_changed(rs.get("status") or {}, status):
            await self._write_status(rs, status)
        min_ready = int((rs.get("spec") or {}).get("minReadySeconds") or 0)
        if manage_error is None and min_ready > 0 and status["readyReplicas"] != status["availableReplicas"]:
            self.queue.add_after(key, min_ready)
        if manage_error is not None:
            raise RuntimeError(manage_error)

    async def _write_status(self, rs: Obj, status: Obj) -> None:
        body = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": copy.deepcopy(rs["metadata"]),
                "spec": rs.get("spec"), "status": _status_for_write(status)}
        try:
            await self.client.update_status(REPLICASETS, body)
        except APIError as e:
            if e.not_found:
                return
            raise

    async def _claim(self, rs: Obj, selector: LabelSelector, owned: list[Obj], orphans: list[Obj]) -> list[Obj]:
        """ClaimPods: keep matching owned pods, release the others, adopt matching orphans."""
        out: list[Obj] = []
        ref = wc.owner_ref_for(rs, "apps/v1", "ReplicaSet")
        deleting = wc.is_deleting(rs)
        matches = wc.label_matcher(selector)
        for p in owned:
            labels = (p.get("metadata") or {}).get("labels") or {}
            if matches(labels):
                out.append(p)
            elif not deleting:
                await self._patch_refs(p, [r for r in (p["metadata"].get("ownerReferences") or ()) if r.get("uid") != ref["uid"]])
        if deleting or selector.empty():
            return out
        for p in orphans:
            labels = (p.get("metadata") or {}).get("labels") or {}
            if wc.is_deleting(p) or not matches(labels):
                continue
            refs = list(p["metadata"].get("ownerReferences") or ()) + [ref]
            adopted = await self._patch_refs(p, refs)
            if adopted is not None:
                out.append(adopted)
        return out

    async def _patch_refs(self, pod: Obj, refs: list[Obj]) -> Obj | None:
        m = pod["metadata"]
        patch = {"metadata": {"ownerReferences": refs or None, "resourceVersion": m.get("resourceVersion"),
                              "uid": m.get("uid")}}
        try:
            return await self.client.patch(PODS, m["name"], patch, m.get("namespace"))
        except APIError as e:
            if e.not_found or e.conflict or e.code == 422:
                return None
            raise

    async def manage_replicas(self, key: str, rs: Obj, active: list[Obj]) -> str | None:
        """Create or delete pods toward spec.replicas; returns an error message or None."""
        want = int((rs.get("spec") or {}).get("replicas", 1))
        diff = len(active) - want
        if diff < 0:
            return await self._create_pods(key, rs, min(-diff, BURST_REPLICAS))
        if diff > 0:
            return await self._delete_pods(key, rs, active, min(diff, BURST_REPLICAS))
        return None

    async def _create_pods(self, key: str, rs: Obj, count: int) -> str | None:
        self.expectations.expect_creations(key, count)
        template = (rs.get("spec") or {}).get("template") or {}
        body = wc.pod_from_template(template, rs, wc.owner_ref_for(rs, "apps/v1", "ReplicaSet"))
        namespace = (rs.get("metadata") or {}).get("namespace")

        async def create() -> None:
            try:
                pod = await self.client.create(PODS, body, namespace)
            except APIError as e:
                if e.code == 403 and _namespace_terminating(e):
                    return
                self.events.event(rs, "Warning", "FailedCreate", f"Error creating: {e.status.get('message', e)}")
                raise
            self.events.event(rs, "Normal", "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}")

        done, err = await wc.slow_start_batch(count, SLOW_START_INITIAL_BATCH, create)
        for _ in range(count - done):
            self.expectations.creation_observed(key)
        if err is not None:
            return _message(err)
        return None

    def _related_pods(self, rs: Obj) -> list[Obj]:
        """Pods of every ReplicaSet with the same controller (a Deployment's old and new sets)."""
        owner = wc.controller_ref(rs)
        store = self.pod_informer.store
        if owner is None:
            sets = [rs]
        else:
            ns = (rs.get("metadata") or {}).get("namespace")
            sets = [r for r in self.rs_informer.list() if (r.get("metadata") or {}).get("namespace") == ns
                    and (wc.controller_ref(r) or {}).get("uid") == owner.get("uid")]
        return [p for r in sets for k in self.index.owned.get(wc.uid_of(r), ()) if (p := store.get(k)) is not None]

    async def _delete_pods(self, key: str, rs: Obj, active: list[Obj], count: int) -> str | None:
        victims = wc.pods_to_delete(active, self._related_pods(rs), count, self.clock())
        self.expectations.expect_deletions(key, [wc.key_of(p) for p in victims])
        errors: list[str] = []

        async def delete(pod: Obj) -> None:
            m = pod["metadata"]
            try:
                await self.client.delete(PODS, m["name"], m.get("namespace"), preconditions={"uid": m.get("uid")})
            except APIError as e:
                self.expectations.deletion_observed(key, wc.key_of(pod))
                if e.not_found or e.conflict:
                    return
                self.events.event(rs, "Warning", "FailedDelete", f"Error deleting: {e.status.get('message', e)}")
                errors.append(_message(e))
                return
            self.events.event(rs, "Normal", "SuccessfulDelete", f"Deleted pod: {m['name']}")

        await asyncio.gather(*(delete(p) for p in victims))
        return errors[0] if errors else None


def _namespace_terminating(e: APIError) -> bool:
    causes = ((e.status.get("details") or {}).get("causes")) or ()
    return any(c.get("reason") == "NamespaceTerminating" for c in causes)


def _message(e: Exception) -> str:
    if isinstance(e, APIError):
        return str(e.status.get("message") or e)
    return str(e)
