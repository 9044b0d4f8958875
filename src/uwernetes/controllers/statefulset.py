"""StatefulSet controller (upstream's `pkg/controller/statefulset`: stateful_set.go,
stateful_set_control.go, stateful_set_utils.go).

Pods have stable names `<set>-<ordinal>`, hostname = pod name, subdomain = serviceName, and a
volume per volumeClaimTemplate pointing at the claim `<template>-<set>-<ordinal>`.
OrderedReady creates one pod at a time, each waiting for its predecessors to be Running and
Ready, and removes pods from the highest ordinal down; Parallel acts on all at once. A
RollingUpdate replaces pods not at the update revision from the highest ordinal down to the
partition, one at a time; OnDelete waits for users to delete pods. Templates are recorded as
ControllerRevisions (`controller-revision-hash` on pods, currentRevision/updateRevision in status).

PersistentVolumeClaims are created only when the API server serves them; otherwise the pods
still name their claims and nothing else is created for them.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import re
import time
from datetime import datetime
from typing import Any

import orjson

from uwernetes.client.api import PODS, APIError, Resource
from uwernetes.client.workqueue import WorkQueue
from uwernetes.controllers import history
from uwernetes.controllers import workload_common as wc
from uwernetes.controllers.replicaset import PodIndex
from uwernetes.machinery.selectors import LabelSelector, selector_from_label_selector

log = logging.getLogger(__name__)

NAME = "statefulset-controller"
WORKERS = 5
STATEFULSETS = Resource("apps", "v1", "statefulsets", True, "StatefulSet")
PVCS = Resource("", "v1", "persistentvolumeclaims", True, "PersistentVolumeClaim")
REVISION_LABEL = "controller-revision-hash"
POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"
_ORDINAL_RE = re.compile(r"^(.*)-([0-9]+)$")
_PVC_RECHECK_SECONDS = 30.0

Obj = dict[str, Any]


# --- pure helpers on objects ---


def spec(sts: Obj) -> Obj:
    return sts.get("spec") or {}


def parent_and_ordinal(pod: Obj) -> tuple[str, int]:
    m = _ORDINAL_RE.match((pod.get("metadata") or {}).get("name") or "")
    return (m.group(1), int(m.group(2))) if m else ("", -1)


def start_ordinal(sts: Obj) -> int:
    start = (spec(sts).get("ordinals") or {}).get("start")
    return start if isinstance(start, int) else 0


def replicas_of(sts: Obj) -> int:
    value = spec(sts).get("replicas")
    return value if isinstance(value, int) else 1


def is_member(sts: Obj, pod: Obj) -> bool:
    return parent_and_ordinal(pod)[0] == (sts.get("metadata") or {}).get("name")


def pod_name(sts: Obj, ordinal: int) -> str:
    return f"{sts['metadata']['name']}-{ordinal}"


def claim_name(template_name: str, sts: Obj, ordinal: int) -> str:
    return f"{template_name}-{sts['metadata']['name']}-{ordinal}"


def revision_of(pod: Obj) -> str:
    return ((pod.get("metadata") or {}).get("labels") or {}).get(REVISION_LABEL, "")


def phase(pod: Obj) -> str:
    return (pod.get("status") or {}).get("phase") or ""


def is_created(pod: Obj) -> bool:
    return phase(pod) != ""


def is_failed_or_done(pod: Obj) -> bool:
    return phase(pod) in ("Failed", "Succeeded")


def is_running_and_ready(pod: Obj) -> bool:
    return phase(pod) == "Running" and wc.is_pod_ready(pod)


def is_running_and_available(pod: Obj, min_ready: int, now: datetime) -> bool:
    return phase(pod) == "Running" and wc.is_pod_available(pod, min_ready, now)


def is_healthy(pod: Obj) -> bool:
    return is_running_and_ready(pod) and not wc.is_deleting(pod)


def identity_patch(sts: Obj, pod: Obj, index_label: bool) -> Obj | None:
    """What updateIdentity would change on an existing pod, as a merge patch (None: nothing)."""
    m = pod.get("metadata") or {}
    labels = m.get("labels") or {}
    want = {POD_NAME_LABEL: m.get("name")}
    if index_label:
        want[POD_INDEX_LABEL] = str(parent_and_ordinal(pod)[1])
    fix = {k: v for k, v in want.items() if labels.get(k) != v}
    if not fix:
        return None
    return {"metadata": {"labels": fix}}


def new_pod(sts: Obj, template: Obj, revision: str, ordinal: int, index_label: bool) -> Obj:
    """newVersionedStatefulSetPod: identity, storage and the revision label."""
    pod = wc.pod_from_template(template, sts, wc.owner_ref_for(sts, "apps/v1", "StatefulSet"))
    m = pod["metadata"]
    m.pop("generateName", None)
    m["name"] = pod_name(sts, ordinal)
    labels = m.setdefault("labels", {})
    labels[POD_NAME_LABEL] = m["name"]
    if index_label:
        labels[POD_INDEX_LABEL] = str(ordinal)
    labels[REVISION_LABEL] = revision
    ps = pod["spec"]
    ps["hostname"] = m["name"]
    if spec(sts).get("serviceName"):
        ps["subdomain"] = spec(sts)["serviceName"]
    claims = [c for c in spec(sts).get("volumeClaimTemplates") or () if isinstance(c, dict)]
    if claims:
        names = {(c.get("metadata") or {}).get("name") for c in claims}
        volumes = [v for v in ps.get("volumes") or () if v.get("name") not in names]
        for c in claims:
            cname = (c.get("metadata") or {}).get("name")
            volumes.append({"name": cname, "persistentVolumeClaim": {"claimName": claim_name(cname, sts, ordinal)}})
        ps["volumes"] = volumes
    return pod


def new_claims(sts: Obj, ordinal: int) -> list[Obj]:
    """getPersistentVolumeClaims: one claim per template, labelled with the set's selector labels."""
    out = []
    match_labels = (spec(sts).get("selector") or {}).get("matchLabels") or {}
    policy = spec(sts).get("persistentVolumeClaimRetentionPolicy") or {}
    for c in spec(sts).get("volumeClaimTemplates") or ():
        cm = c.get("metadata") or {}
        md: Obj = {"name": claim_name(cm.get("name", ""), sts, ordinal), "namespace": sts["metadata"].get("namespace"),
                   "labels": {**(cm.get("labels") or {}), **match_labels}}
        if cm.get("annotations"):
            md["annotations"] = dict(cm["annotations"])
        if policy.get("whenDeleted") == "Delete":
            ref = wc.owner_ref_for(sts, "apps/v1", "StatefulSet")
            ref["controller"] = False
            md["ownerReferences"] = [ref]
        out.append({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": md,
                    "spec": copy.deepcopy(c.get("spec") or {})})
    return out


def uses_current_revision(sts: Obj, ordinal: int) -> bool:
    """Whether a missing pod is recreated at the current revision (below the partition)."""
    strategy = spec(sts).get("updateStrategy") or {}
    if strategy.get("type", "RollingUpdate") != "RollingUpdate":
        return False
    ru = strategy.get("rollingUpdate")
    partition = ru.get("partition") if isinstance(ru, dict) else None
    if partition is None:
        current = int((sts.get("status") or {}).get("currentReplicas") or 0)
        return ordinal < start_ordinal(sts) + current
    return ordinal < partition


def compute_status(sts: Obj, pods: list[Obj], current: str, update: str, min_ready: int, now: datetime) -> Obj:
    """computeReplicaStatus over the set's pods."""
    st = {"replicas": 0, "readyReplicas": 0, "availableReplicas": 0, "currentReplicas": 0, "updatedReplicas": 0}
    for p in pods:
        if is_created(p):
            st["replicas"] += 1
        if is_running_and_ready(p):
            st["readyReplicas"] += 1
            if is_running_and_available(p, min_ready, now):
                st["availableReplicas"] += 1
        if is_created(p) and not wc.is_deleting(p):
            if revision_of(p) == current:
                st["currentReplicas"] += 1
            if revision_of(p) == update:
                st["updatedReplicas"] += 1
    return st


def complete_rolling_update(sts: Obj, st: Obj) -> None:
    """Once every pod is updated and ready, the update revision becomes the current one."""
    if ((spec(sts).get("updateStrategy") or {}).get("type") == "RollingUpdate"
            and st["updatedReplicas"] == st["replicas"] and st["readyReplicas"] == st["replicas"]):
        st["currentReplicas"] = st["updatedReplicas"]
        st["currentRevision"] = st["updateRevision"]


def status_for_write(st: Obj) -> Obj:
    # omitempty as upstream: replicas and availableReplicas are always present.
    return {k: v for k, v in st.items() if v or k in ("replicas", "availableReplicas")}


def status_differs(old: Obj, new: Obj) -> bool:
    return status_for_write(new) != {k: v for k, v in old.items() if k != "conditions"}


class StatefulSetController:
    def __init__(self, ctx: Any, informers: Any, *, clock: wc.Clock = wc.utcnow) -> None:
        self.client = ctx.client(NAME)
        self.clock = clock
        self.features = getattr(ctx, "features", None)
        self.sets = informers.get(STATEFULSETS)
        self.pods = informers.get(PODS)
        self.revisions = informers.get(history.CONTROLLERREVISIONS)
        self.index = PodIndex()
        self.queue = WorkQueue()
        self.expect_adds = wc.Expectations()
        self.expect_dels = wc.Expectations()
        self.events = wc.EventRecorder(self.client, NAME)
        self.workers = int(ctx.options.get("statefulset_workers", WORKERS))
        self._pvc_served: tuple[bool, float] | None = None
        self.sets.add_handlers(self.enqueue, lambda old, new: self.enqueue(new), self.on_set_delete)
        self.pods.add_handlers(self.on_pod_add, self.on_pod_update, self.on_pod_delete)

    def _index_label(self) -> bool:
        # FeatureGates' `in` means "enabled"; None (tests) means the v1.30 default, on.
        return self.features is None or "PodIndexLabel" in self.features

    # --- handlers ---

    def enqueue(self, sts: Obj) -> None:
        self.queue.add(wc.key_of(sts))

    def on_set_delete(self, sts: Obj) -> None:
        key = wc.key_of(sts)
        self.expect_adds.delete(key)
        self.expect_dels.delete(key)
        self.queue.add(key)

    def _owner_key(self, pod: Obj) -> str | None:
        ref = wc.controller_ref(pod)
        if ref is None or ref.get("kind") != "StatefulSet":
            return None
        key = f"{(pod.get('metadata') or {}).get('namespace')}/{ref.get('name')}"
        sts = self.sets.get(key)
        return key if sts is not None and wc.uid_of(sts) == ref.get("uid") else None

    def _enqueue_matching(self, pod: Obj) -> None:
        m = pod.get("metadata") or {}
        for sts in self.sets.list():
            if (sts.get("metadata") or {}).get("namespace") != m.get("namespace") or not is_member(sts, pod):
                continue
            sel = _selector(sts)
            if sel is not None and sel.matches(m.get("labels") or {}):
                self.enqueue(sts)

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
        for p in (old, new):
            key = self._owner_key(p)
            if key is not None:
                if wc.is_deleting(new):
                    self.expect_dels.deletion_observed(key, wc.key_of(new))
                self.queue.add(key)
        if wc.controller_ref(new) is None:
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
        sts = self.sets.get(key)
        if sts is None:
            self.expect_adds.delete(key)
            self.expect_dels.delete(key)
            return
        if not (self.expect_adds.satisfied(key) and self.expect_dels.satisfied(key)):
            return
        selector = _selector(sts)
        if selector is None or selector.empty():
            return
        pods = await self._claim(sts, selector)
        revisions = history.owned_revisions(self.revisions, sts)
        current, update, collisions, revisions = await self._revisions(sts, revisions)
        st = await self._update(key, sts, pods, current, update)
        st["currentRevision"] = current["metadata"]["name"]
        st["updateRevision"] = update["metadata"]["name"]
        st["observedGeneration"] = (sts.get("metadata") or {}).get("generation", 0)
        if collisions:
            st["collisionCount"] = collisions
        complete_rolling_update(sts, st)
        if status_differs(sts.get("status") or {}, st):
            await self._write_status(sts, st)
        await self._truncate_history(sts, pods, revisions, current, update)
        min_ready = int(spec(sts).get("minReadySeconds") or 0)
        if min_ready > 0 and st["readyReplicas"] != st["availableReplicas"]:
            self.queue.add_after(key, min_ready)

    async def _claim(self, sts: Obj, selector: LabelSelector) -> list[Obj]:
        """Owned pods still matching, plus adopted orphans named like this set's pods."""
        store = self.pods.store
        owned = [p for k in self.index.owned.get(wc.uid_of(sts), ()) if (p := store.get(k)) is not None]
        out = []
        for p in owned:
            if selector.matches((p.get("metadata") or {}).get("labels") or {}) and is_member(sts, p):
                out.append(p)
            elif not wc.is_deleting(sts):
                await self._patch_pod(p, {"metadata": {"ownerReferences": [
                    r for r in p["metadata"].get("ownerReferences") or () if r.get("uid") != wc.uid_of(sts)] or None}})
        if wc.is_deleting(sts):
            return out
        ns = (sts.get("metadata") or {}).get("namespace", "")
        for k in list(self.index.orphans.get(ns, ())):
            p = store.get(k)
            if p is None or wc.is_deleting(p) or not is_member(sts, p):
                continue
            if not selector.matches((p.get("metadata") or {}).get("labels") or {}):
                continue
            refs = list(p["metadata"].get("ownerReferences") or ()) + [wc.owner_ref_for(sts, "apps/v1", "StatefulSet")]
            adopted = await self._patch_pod(p, {"metadata": {"ownerReferences": refs}})
            if adopted is not None:
                out.append(adopted)
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

    async def _revisions(self, sts: Obj, revisions: list[Obj]) -> tuple[Obj, Obj, int, list[Obj]]:
        """getStatefulSetRevisions: (current, update, collisionCount, all revisions)."""
        revisions = history.sort_revisions(revisions)
        collisions = int((sts.get("status") or {}).get("collisionCount") or 0)
        template = spec(sts).get("template") or {}
        labels = (template.get("metadata") or {}).get("labels")
        candidate = history.new_revision(sts, "apps/v1", "StatefulSet", labels, history.revision_data(template),
                                         history.next_revision(revisions), collisions)
        equal = [r for r in revisions if history.equal_revision(r, candidate)]
        if equal and equal[-1] is revisions[-1]:
            update = equal[-1]
        elif equal:
            update = await history.set_revision_number(self.client, equal[-1], history.number(candidate))
            revisions = [update if r is equal[-1] else r for r in revisions]
        else:
            update, collisions = await history.create_revision(self.client, candidate, sts, "apps/v1", "StatefulSet",
                                                               collisions)
            revisions = [*revisions, update]
        want = (sts.get("status") or {}).get("currentRevision")
        current = next((r for r in revisions if r["metadata"]["name"] == want), update)
        return current, update, collisions, revisions

    async def _update(self, key: str, sts: Obj, pods: list[Obj], current: Obj, update: Obj) -> Obj:
        """updateStatefulSet: create, repair, condemn, then roll, stopping where OrderedReady must wait."""
        now = self.clock()
        min_ready = int(spec(sts).get("minReadySeconds") or 0)
        cur_name, upd_name = current["metadata"]["name"], update["metadata"]["name"]
        st = compute_status(sts, pods, cur_name, upd_name, min_ready, now)
        if wc.is_deleting(sts):
            return st
        start, count = start_ordinal(sts), replicas_of(sts)
        slots: list[Obj | None] = [None] * count
        condemned: list[Obj] = []
        for p in pods:
            ordinal = parent_and_ordinal(p)[1]
            if start <= ordinal < start + count:
                slots[ordinal - start] = p
            else:
                condemned.append(p)
        condemned.sort(key=lambda p: parent_and_ordinal(p)[1], reverse=True)
        index_label = self._index_label()
        replicas: list[Obj] = []
        for i, p in enumerate(slots):
            if p is None:
                ordinal = start + i
                rev = current if uses_current_revision(sts, ordinal) else update
                p = new_pod(sts, history.template_of(rev), rev["metadata"]["name"], ordinal, index_label)
            replicas.append(p)
        monotonic = spec(sts).get("podManagementPolicy", "OrderedReady") != "Parallel"
        first_unhealthy = next((p for p in [*replicas, *condemned] if not is_healthy(p)), None)

        to_create: list[Obj] = []
        for p in replicas:
            if is_failed_or_done(p) and not wc.is_deleting(p):
                reason = "RecreatingFailedPod" if phase(p) == "Failed" else "RecreatingTerminatedPod"
                self.events.event(sts, "Warning", reason,
                                  f"StatefulSet {key} is recreating {phase(p).lower()} Pod {p['metadata']['name']}")
                await self._delete_pod(key, sts, p)
                _count_removed(st, p, cur_name, upd_name)
                if monotonic:
                    return st
                continue
            if not is_created(p):
                to_create.append(p)
                if monotonic:
                    break
                continue
            if monotonic and (wc.is_deleting(p) or not is_running_and_available(p, min_ready, now)):
                return st
            fix = identity_patch(sts, p, index_label)
            if fix is not None:
                await self._patch_pod(p, fix)
        if to_create:
            await self._create_pods(key, sts, to_create)
            for p in to_create:
                st["replicas"] += 1
                if revision_of(p) == cur_name:
                    st["currentReplicas"] += 1
                if revision_of(p) == upd_name:
                    st["updatedReplicas"] += 1
            if monotonic:
                return st

        for p in condemned:
            if wc.is_deleting(p):
                if monotonic:
                    return st
                continue
            if monotonic and p is not first_unhealthy and not is_running_and_available(p, min_ready, now):
                return st
            await self._delete_pod(key, sts, p)
            _count_removed(st, p, cur_name, upd_name)
            if monotonic:
                return st

        strategy = spec(sts).get("updateStrategy") or {}
        if strategy.get("type") == "OnDelete":
            return st
        ru = strategy.get("rollingUpdate")
        update_min = int(ru.get("partition") or 0) if isinstance(ru, dict) else 0
        for target in range(len(replicas) - 1, update_min - 1, -1):
            p = replicas[target]
            if revision_of(p) != upd_name and not wc.is_deleting(p):
                if is_created(p):
                    await self._delete_pod(key, sts, p)
                    if revision_of(p) == cur_name:
                        st["currentReplicas"] -= 1
                return st
            if not is_healthy(p):
                return st
        return st

    async def _create_pods(self, key: str, sts: Obj, pods: list[Obj]) -> None:
        self.expect_adds.expect_creations(key, len(pods))
        errors: list[Exception] = []

        async def create(pod: Obj) -> None:
            name = pod["metadata"]["name"]
            try:
                await self._create_claims(sts, parent_and_ordinal(pod)[1])
                await self.client.create(PODS, pod, pod["metadata"].get("namespace"))
            except APIError as e:
                self.expect_adds.creation_observed(key)
                if e.code == 409:
                    return
                self.events.event(sts, "Warning", "FailedCreate",
                                  f"create Pod {name} in StatefulSet {sts['metadata']['name']} failed error: {e.status.get('message', e)}")
                errors.append(e)
                return
            self.events.event(sts, "Normal", "SuccessfulCreate",
                              f"create Pod {name} in StatefulSet {sts['metadata']['name']} successful")

        await asyncio.gather(*(create(p) for p in pods))
        if errors:
            raise errors[0]

    async def _pvcs_served(self) -> bool:
        """Whether this API server serves PersistentVolumeClaims (rechecked now and then)."""
        now = time.monotonic()
        if self._pvc_served is not None and now - self._pvc_served[1] < _PVC_RECHECK_SECONDS:
            return self._pvc_served[0]
        try:
            listing = orjson.loads(await self.client.raw("GET", "/api/v1"))
            served = any(r.get("name") == "persistentvolumeclaims" for r in listing.get("resources") or ())
        except APIError:
            served = False
        self._pvc_served = (served, now)
        return served

    async def _create_claims(self, sts: Obj, ordinal: int) -> None:
        claims = new_claims(sts, ordinal)
        if not claims or not await self._pvcs_served():
            return
        for claim in claims:
            m = claim["metadata"]
            try:
                await self.client.create(PVCS, claim, m["namespace"])
            except APIError as e:
                if e.code == 409:
                    continue
                self.events.event(sts, "Warning", "FailedCreate",
                                  f"create Claim {m['name']} for Pod {pod_name(sts, ordinal)} in StatefulSet "
                                  f"{sts['metadata']['name']} failed error: {e.status.get('message', e)}")
                raise
            self.events.event(sts, "Normal", "SuccessfulCreate",
                              f"create Claim {m['name']} Pod {pod_name(sts, ordinal)} in StatefulSet "
                              f"{sts['metadata']['name']} success")

    async def _delete_pod(self, key: str, sts: Obj, pod: Obj) -> None:
        m = pod["metadata"]
        self.expect_dels.expect_deletions(key, [wc.key_of(pod)])
        try:
            await self.client.delete(PODS, m["name"], m.get("namespace"), preconditions={"uid": m.get("uid")})
        except APIError as e:
            self.expect_dels.deletion_observed(key, wc.key_of(pod))
            if e.not_found or e.conflict:
                return
            self.events.event(sts, "Warning", "FailedDelete",
                              f"delete Pod {m['name']} in StatefulSet {sts['metadata']['name']} failed error: {e.status.get('message', e)}")
            raise
        self.events.event(sts, "Normal", "SuccessfulDelete",
                          f"delete Pod {m['name']} in StatefulSet {sts['metadata']['name']} successful")

    async def _write_status(self, sts: Obj, st: Obj) -> None:
        body = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": copy.deepcopy(sts["metadata"]),
                "spec": sts.get("spec"), "status": status_for_write(st)}
        try:
            await self.client.update_status(STATEFULSETS, body)
        except APIError as e:
            if not e.not_found:
                raise

    async def _truncate_history(self, sts: Obj, pods: list[Obj], revisions: list[Obj], current: Obj, update: Obj) -> None:
        live = {revision_of(p) for p in pods} | {current["metadata"]["name"], update["metadata"]["name"]}
        limit = spec(sts).get("revisionHistoryLimit")
        drop = history.history_to_drop(revisions, live, limit if isinstance(limit, int) else 10)
        if drop:
            await history.delete_revisions(self.client, drop)


def _count_removed(st: Obj, pod: Obj, current: str, update: str) -> None:
    st["replicas"] -= 1
    if revision_of(pod) == current:
        st["currentReplicas"] -= 1
    if revision_of(pod) == update:
        st["updatedReplicas"] -= 1


def _selector(sts: Obj) -> LabelSelector | None:
    try:
        return selector_from_label_selector(spec(sts).get("selector"))
    except ValueError:
        return None
