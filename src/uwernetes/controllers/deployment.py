"""Deployment controller (upstream's `pkg/controller/deployment`: deployment_controller.go,
sync.go, rolling.go, recreate.go, progress.go).

A Deployment owns ReplicaSets named `<deployment>-<pod-template-hash>`; the one whose template
equals the Deployment's is "new", the rest are "old". RollingUpdate grows the new set within
maxSurge and shrinks old ones while keeping `replicas - maxUnavailable` available; Recreate
scales old sets to zero, waits for their pods to go, then scales up the new one. The arithmetic
lives in `deployment_util`; this module reads the caches and makes the writes.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from uwernetes.client.api import DEPLOYMENTS, PODS, REPLICASETS, APIError
from uwernetes.client.workqueue import WorkQueue
from uwernetes.controllers import deployment_util as du
from uwernetes.controllers import workload_common as wc
from uwernetes.controllers.replicaset import PodIndex
from uwernetes.machinery.selectors import LabelSelector, selector_from_label_selector

log = logging.getLogger(__name__)

NAME = "deployment-controller"
WORKERS = 5

Obj = dict[str, Any]


def _normalized(status: Obj) -> Obj:
    return {k: v for k, v in status.items() if v not in (0, None, [], {})}


def replica_failure(new_rs: Obj | None, old_rss: list[Obj]) -> Obj | None:
    """getReplicaFailures: a ReplicaFailure condition of the new set first, else of an old one."""
    for rs in [new_rs, *old_rss]:
        if rs is None:
            continue
        for c in du.status(rs).get("conditions") or ():
            if c.get("type") == "ReplicaFailure":
                t = c.get("lastTransitionTime")
                return {"type": "ReplicaFailure", "status": c.get("status"), "lastUpdateTime": t,
                        "lastTransitionTime": t, "reason": c.get("reason"), "message": c.get("message")}
    return None


class DeploymentController:
    def __init__(self, ctx: Any, informers: Any, *, clock: wc.Clock = wc.utcnow) -> None:
        self.client = ctx.client(NAME)
        self.clock = clock
        self.d_informer = informers.get(DEPLOYMENTS)
        self.rs_informer = informers.get(REPLICASETS)
        self.pod_informer = informers.get(PODS)
        self.queue = WorkQueue()
        self.events = wc.EventRecorder(self.client, NAME)
        self.pods = PodIndex()
        self.workers = int(ctx.options.get("deployment_workers", WORKERS))
        enqueue = self.enqueue
        self.d_informer.add_handlers(enqueue, lambda old, new: enqueue(new), enqueue)
        self.rs_informer.add_handlers(self.on_rs_add, self.on_rs_update, self.on_rs_delete)
        self.pod_informer.add_handlers(self.pods.add, self.on_pod_update, self.on_pod_delete)

    # --- handlers ---

    def enqueue(self, d: Obj) -> None:
        self.queue.add(wc.key_of(d))

    def _owner_key(self, obj: Obj, ref: Obj | None) -> str | None:
        if ref is None or ref.get("kind") != "Deployment":
            return None
        key = f"{(obj.get('metadata') or {}).get('namespace')}/{ref.get('name')}"
        d = self.d_informer.get(key)
        if d is None or wc.uid_of(d) != ref.get("uid"):
            return None
        return key

    def _enqueue_matching(self, rs: Obj) -> None:
        m = rs.get("metadata") or {}
        labels = m.get("labels") or {}
        for d in self.d_informer.list():
            if (d.get("metadata") or {}).get("namespace") != m.get("namespace"):
                continue
            try:
                sel = selector_from_label_selector(du.spec(d).get("selector"))
            except ValueError:
                continue
            if sel is not None and not sel.empty() and sel.matches(labels):
                self.enqueue(d)

    def on_rs_add(self, rs: Obj) -> None:
        key = self._owner_key(rs, wc.controller_ref(rs))
        if key is not None:
            self.queue.add(key)
        elif wc.controller_ref(rs) is None and not wc.is_deleting(rs):
            self._enqueue_matching(rs)

    def on_rs_update(self, old: Obj, new: Obj) -> None:
        if (old.get("metadata") or {}).get("resourceVersion") == (new.get("metadata") or {}).get("resourceVersion"):
            return
        old_ref, new_ref = wc.controller_ref(old), wc.controller_ref(new)
        if old_ref is not None and (new_ref is None or old_ref.get("uid") != new_ref.get("uid")):
            key = self._owner_key(old, old_ref)
            if key is not None:
                self.queue.add(key)
        if new_ref is not None:
            key = self._owner_key(new, new_ref)
            if key is not None:
                self.queue.add(key)
        elif (old.get("metadata") or {}).get("labels") != (new.get("metadata") or {}).get("labels") or old_ref is not None:
            self._enqueue_matching(new)

    def on_rs_delete(self, rs: Obj) -> None:
        key = self._owner_key(rs, wc.controller_ref(rs))
        if key is not None:
            self.queue.add(key)

    def on_pod_update(self, old: Obj, new: Obj) -> None:
        self.pods.remove(old)
        self.pods.add(new)

    def on_pod_delete(self, pod: Obj) -> None:
        self.pods.remove(pod)
        # Recreate waits for the old pods to be gone; wake the Deployment when one goes.
        ref = wc.controller_ref(pod)
        if ref is None or ref.get("kind") != "ReplicaSet":
            return
        rs = self.rs_informer.get(f"{(pod.get('metadata') or {}).get('namespace')}/{ref.get('name')}")
        if rs is None:
            return
        key = self._owner_key(rs, wc.controller_ref(rs))
        if key is not None:
            d = self.d_informer.get(key) or {}
            if not du.is_rolling(d):
                self.queue.add(key)

    async def run(self) -> None:
        await wc.run_workers(self.queue, self.sync, self.workers, NAME)

    # --- sync ---

    async def sync(self, key: str) -> None:
        cached = self.d_informer.get(key)
        if cached is None:
            return
        d = copy.deepcopy(cached)
        try:
            selector = selector_from_label_selector(du.spec(d).get("selector"))
        except ValueError as e:
            log.info("deployment %s has an invalid selector: %s", key, e)
            return
        if selector is None or selector.empty():
            self.events.event(d, "Warning", "SelectingAll", "This deployment is selecting all pods. A non-empty selector is required.")
            gen = (d.get("metadata") or {}).get("generation", 0)
            if int(du.status(d).get("observedGeneration") or 0) < gen:
                d.setdefault("status", {})["observedGeneration"] = gen
                await self._write_status(d)
            return
        rs_list = await self._claim_replica_sets(d, selector)
        if wc.is_deleting(d):
            new, olds = await self._all_replica_sets(d, rs_list, create=False)
            await self._sync_status(d, new, olds)
            return
        await self._check_paused(d)
        if du.spec(d).get("paused"):
            await self._sync_scale(d, rs_list)
            return
        new = du.find_new_replica_set(d, rs_list)
        if du.is_scaling_event(d, new, du.find_old_replica_sets(d, rs_list)):
            await self._sync_scale(d, rs_list)
            return
        if du.is_rolling(d):
            await self._rollout_rolling(d, rs_list)
        else:
            await self._rollout_recreate(d, rs_list)

    async def _claim_replica_sets(self, d: Obj, selector: LabelSelector) -> list[Obj]:
        """ClaimReplicaSets: owned and matching kept, owned and not matching released, matching
        orphans adopted (not while the Deployment is being deleted)."""
        ns = (d.get("metadata") or {}).get("namespace")
        uid = wc.uid_of(d)
        ref = wc.owner_ref_for(d, "apps/v1", "Deployment")
        out: list[Obj] = []
        for cached in self.rs_informer.list():
            m = cached.get("metadata") or {}
            if m.get("namespace") != ns:
                continue
            owner = wc.controller_ref(cached)
            matches = selector.matches(m.get("labels") or {})
            if owner is not None:
                if owner.get("uid") != uid:
                    continue
                if matches:
                    out.append(copy.deepcopy(cached))
                elif not wc.is_deleting(d):
                    await self._patch_rs_refs(cached, [r for r in m.get("ownerReferences") or () if r.get("uid") != uid])
                continue
            if matches and not wc.is_deleting(d) and not wc.is_deleting(cached):
                adopted = await self._patch_rs_refs(cached, [*(m.get("ownerReferences") or ()), ref])
                if adopted is not None:
                    out.append(adopted)
        return out

    async def _patch_rs_refs(self, rs: Obj, refs: list[Obj]) -> Obj | None:
        m = rs["metadata"]
        patch = {"metadata": {"ownerReferences": refs or None, "resourceVersion": m.get("resourceVersion"), "uid": m.get("uid")}}
        try:
            return await self.client.patch(REPLICASETS, m["name"], patch, m.get("namespace"))
        except APIError as e:
            if e.not_found or e.conflict or e.code == 422:
                return None
            raise

    async def _write_status(self, d: Obj) -> None:
        out = await self.client.update_status(DEPLOYMENTS, d)
        d.clear()
        d.update(out)

    async def _check_paused(self, d: Obj) -> None:
        cond = du.paused_condition(d, self.clock())
        if cond is None:
            return
        du.set_condition(d.setdefault("status", {}), cond)
        await self._write_status(d)

    async def _all_replica_sets(self, d: Obj, rs_list: list[Obj], create: bool) -> tuple[Obj | None, list[Obj]]:
        """getAllReplicaSetsAndSyncRevision."""
        olds = du.find_old_replica_sets(d, rs_list)
        new = await self._new_replica_set(d, rs_list, olds, create)
        return new, olds

    async def _new_replica_set(self, d: Obj, rs_list: list[Obj], olds: list[Obj], create: bool) -> Obj | None:
        """getNewReplicaSet: bring the existing new set's annotations up to date, or create it."""
        existing = du.find_new_replica_set(d, rs_list)
        new_revision = str(du.max_revision(olds) + 1)
        now = self.clock()
        if existing is not None:
            rs_copy = copy.deepcopy(existing)
            changed = du.set_new_rs_annotations(d, rs_copy, new_revision, True)
            mrs = int(du.spec(d).get("minReadySeconds") or 0)
            if changed or int(du.spec(rs_copy).get("minReadySeconds") or 0) != mrs:
                rs_copy["spec"]["minReadySeconds"] = mrs
                out = await self.client.update(REPLICASETS, rs_copy)
                existing.clear()
                existing.update(out)
                return existing
            needs = self._set_revision(d, du.annotations(rs_copy).get(du.REVISION, ""))
            if du.has_progress_deadline(d) and du.get_condition(du.status(d), du.PROGRESSING) is None:
                du.set_condition(d.setdefault("status", {}), du.new_condition(
                    du.PROGRESSING, "True", du.FOUND_NEW_RS, f'Found new replica set "{du.name(existing)}"', now))
                needs = True
            if needs:
                await self._write_status(d)
            return existing
        if not create:
            return None
        return await self._create_new_replica_set(d, rs_list, olds, new_revision)

    def _set_revision(self, d: Obj, revision: str) -> bool:
        ann = d.setdefault("metadata", {}).setdefault("annotations", {})
        if ann.get(du.REVISION) == revision:
            return False
        ann[du.REVISION] = revision
        return True

    async def _create_new_replica_set(self, d: Obj, rs_list: list[Obj], olds: list[Obj], new_revision: str) -> Obj:
        m = d["metadata"]
        hash_ = du.compute_hash(du.spec(d).get("template") or {}, du.status(d).get("collisionCount"))
        template = du.new_rs_template(d, hash_)
        rs: Obj = {
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": f"{m['name']}-{hash_}", "namespace": m.get("namespace"),
                         "ownerReferences": [wc.owner_ref_for(d, "apps/v1", "Deployment")],
                         "labels": dict((template.get("metadata") or {}).get("labels") or {})},
            "spec": {"replicas": 0, "minReadySeconds": int(du.spec(d).get("minReadySeconds") or 0),
                     "selector": du.new_rs_selector(d, hash_), "template": template},
        }
        all_rss: list[Obj | None] = [*olds, rs]
        size = du.new_rs_new_replicas(d, all_rss, rs)
        rs["spec"]["replicas"] = size
        du.set_new_rs_annotations(d, rs, new_revision, False)
        now = self.clock()
        already = False
        try:
            created = await self.client.create(REPLICASETS, rs, m.get("namespace"))
        except APIError as e:
            if e.code != 409:
                if du.has_progress_deadline(d):
                    msg = f'Failed to create new replica set "{rs["metadata"]["name"]}": {e.status.get("message", e)}'
                    du.set_condition(d.setdefault("status", {}),
                                     du.new_condition(du.PROGRESSING, "False", du.FAILED_RS_CREATE, msg, now))
                    await self._write_status(d)
                self.events.event(d, "Warning", "FailedCreate", f"Failed to create new replica set {rs['metadata']['name']!r}: {e}")
                raise
            current = await self.client.get(REPLICASETS, rs["metadata"]["name"], m.get("namespace"))
            owner = wc.controller_ref(current)
            if (owner is not None and owner.get("uid") == m.get("uid")
                    and du.equal_ignore_hash(du.spec(current).get("template") or {}, du.spec(d).get("template") or {})):
                created, already = current, True
            else:
                # A hash collision: bump collisionCount so the next sync picks another name.
                st = d.setdefault("status", {})
                st["collisionCount"] = int(st.get("collisionCount") or 0) + 1
                await self._write_status(d)
                raise RuntimeError(f"hash collision for replica set {rs['metadata']['name']}") from None
        if not already and size > 0:
            self.events.event(d, "Normal", "ScalingReplicaSet", f"Scaled up replica set {created['metadata']['name']} to {size}")
        needs = self._set_revision(d, new_revision)
        if not already and du.has_progress_deadline(d):
            du.set_condition(d.setdefault("status", {}), du.new_condition(
                du.PROGRESSING, "True", du.NEW_RS_CREATED, f'Created new replica set "{created["metadata"]["name"]}"', now))
            needs = True
        if needs:
            await self._write_status(d)
        return created

    async def _scale_rs(self, rs: Obj, size: int, d: Obj, op: str) -> bool:
        """scaleReplicaSet: write the size and the replica annotations; True when the size changed."""
        want_desired, want_max = du.replicas(d), du.replicas(d) + du.max_surge(d)
        old_size = int(du.spec(rs).get("replicas") or 0)
        size_change = old_size != size
        if not size_change and not du.replicas_annotations_need_update(rs, want_desired, want_max):
            return False
        body = copy.deepcopy(rs)
        body["spec"]["replicas"] = size
        du.set_replicas_annotations(body, want_desired, want_max)
        out = await self.client.update(REPLICASETS, body)
        rs.clear()
        rs.update(out)
        if size_change:
            self.events.event(d, "Normal", "ScalingReplicaSet", f"Scaled {op} replica set {du.name(rs)} to {size} from {old_size}")
        return size_change

    async def _scale_rs_event(self, rs: Obj, size: int, d: Obj) -> bool:
        """scaleReplicaSetAndRecordEvent: nothing when the size is already right."""
        current = int(du.spec(rs).get("replicas") or 0)
        if current == size:
            return False
        return await self._scale_rs(rs, size, d, "up" if current < size else "down")

    async def _sync_scale(self, d: Obj, rs_list: list[Obj]) -> None:
        """sync(): a resize or a paused Deployment: scale proportionally, no new rollout step."""
        new, olds = await self._all_replica_sets(d, rs_list, create=False)
        await self._scale(d, new, olds)
        if du.spec(d).get("paused"):
            await self._cleanup(d, olds)
        await self._sync_status(d, new, olds)

    async def _scale(self, d: Obj, new: Obj | None, olds: list[Obj]) -> None:
        target = du.find_active_or_latest(new, olds)
        if target is not None:
            if int(du.spec(target).get("replicas") or 0) != du.replicas(d):
                await self._scale_rs_event(target, du.replicas(d), d)
            return
        if du.is_saturated(d, new):
            for rs in du.filter_active(olds):
                await self._scale_rs_event(rs, 0, d)
            return
        if not du.is_rolling(d):
            return
        sizes = du.proportional_sizes(d, new, olds) or {}
        for rs in du.filter_active([*olds, new]):
            size = sizes.get(du.name(rs), int(du.spec(rs).get("replicas") or 0))
            op = "up" if size > int(du.spec(rs).get("replicas") or 0) else "down"
            await self._scale_rs(rs, size, d, op)

    async def _sync_status(self, d: Obj, new: Obj | None, olds: list[Obj]) -> None:
        st = du.calculate_status([*olds, new], new, d, self.clock())
        if not st.get("conditions"):
            st.pop("conditions", None)
        if _normalized(st) != _normalized(du.status(d)):
            d["status"] = st
            await self._write_status(d)

    async def _sync_rollout_status(self, d: Obj, new: Obj | None, olds: list[Obj]) -> None:
        now = self.clock()
        st = du.rollout_status([*olds, new], new, d, now, replica_failure(new, olds))
        if _normalized(st) == _normalized(du.status(d)):
            after = du.requeue_after(d, st, now)
            if after is not None:
                self.queue.add_after(wc.key_of(d), after)
            return
        d["status"] = st
        await self._write_status(d)

    async def _cleanup(self, d: Obj, olds: list[Obj]) -> None:
        """cleanupDeployment: delete old sets beyond revisionHistoryLimit."""
        for rs in du.replica_sets_to_clean(olds, d):
            m = rs["metadata"]
            try:
                await self.client.delete(REPLICASETS, m["name"], m.get("namespace"), preconditions={"uid": m.get("uid")})
            except APIError as e:
                if not (e.not_found or e.conflict):
                    raise

    async def _rollout_rolling(self, d: Obj, rs_list: list[Obj]) -> None:
        new, olds = await self._all_replica_sets(d, rs_list, create=True)
        all_rss: list[Obj | None] = [*olds, new]
        if new is not None:
            size = int(du.spec(new).get("replicas") or 0)
            if size != du.replicas(d):
                target = du.replicas(d) if size > du.replicas(d) else du.new_rs_new_replicas(d, all_rss, new)
                if await self._scale_rs_event(new, target, d):
                    await self._sync_rollout_status(d, new, olds)
                    return
        if await self._reconcile_old(d, all_rss, du.filter_active(olds), new):
            await self._sync_rollout_status(d, new, olds)
            return
        if du.deployment_complete(d, du.status(d)):
            await self._cleanup(d, olds)
        await self._sync_rollout_status(d, new, olds)

    async def _reconcile_old(self, d: Obj, all_rss: list[Obj | None], olds: list[Obj], new: Obj | None) -> bool:
        budget = du.old_rs_scale_down_budget(all_rss, olds, new, d)
        if budget <= 0:
            return False
        changed = 0
        for rs, size in du.cleanup_unhealthy(olds, d, budget):
            before = int(du.spec(rs).get("replicas") or 0)
            await self._scale_rs_event(rs, size, d)
            changed += before - size
        for rs, size in du.scale_down_old_for_rolling(all_rss, olds, d):
            before = int(du.spec(rs).get("replicas") or 0)
            await self._scale_rs_event(rs, size, d)
            changed += before - size
        return changed > 0

    def _old_pods_running(self, new: Obj | None, olds: list[Obj]) -> bool:
        if du.actual_replicas(olds) > 0:
            return True
        store = self.pod_informer.store
        for rs in olds:
            for k in self.pods.owned.get(wc.uid_of(rs), ()):
                pod = store.get(k)
                if pod is not None and (pod.get("status") or {}).get("phase") not in ("Failed", "Succeeded"):
                    return True
        return False

    async def _rollout_recreate(self, d: Obj, rs_list: list[Obj]) -> None:
        new, olds = await self._all_replica_sets(d, rs_list, create=False)
        scaled = False
        for rs in du.filter_active(olds):
            if await self._scale_rs_event(rs, 0, d):
                scaled = True
        if scaled or self._old_pods_running(new, olds):
            await self._sync_rollout_status(d, new, olds)
            return
        if new is None:
            new, olds = await self._all_replica_sets(d, rs_list, create=True)
        if new is not None:
            await self._scale_rs_event(new, du.replicas(d), d)
        if du.deployment_complete(d, du.status(d)):
            await self._cleanup(d, olds)
        await self._sync_rollout_status(d, new, olds)
