"""Garbage collector: the ownerReferences graph and cascading deletion (upstream's
`pkg/controller/garbagecollector`: graph_builder.go, garbagecollector.go).

Every deletable resource the server serves (discovered from /api/v1 and /apis, events excluded,
as upstream's ignored resources) is watched into one graph keyed by uid. Owners seen only as
references are "virtual" nodes, checked against the API. Three workflows:

- background: when an owner disappears, each dependent is checked; one whose owners are all
  absent (by uid: a same-named new owner does not count) is deleted, one with a live owner only
  loses the dangling references;
- foreground: an owner with `deletionTimestamp` and the `foregroundDeletion` finalizer has its
  dependents deleted (dependents with dependents of their own in foreground too); once no
  dependent with `blockOwnerDeletion: true` remains the finalizer is removed;
- orphan: an owner with the `orphan` finalizer has its reference stripped from every
  dependent, then the finalizer removed.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from dataclasses import dataclass, field
from typing import Any

import orjson

from uwernetes.client.api import APIError, Resource
from uwernetes.client.workqueue import WorkQueue
from uwernetes.controllers import workload_common as wc

log = logging.getLogger(__name__)

NAME = "generic-garbage-collector"
DELETE_WORKERS = 20
ORPHAN_WORKERS = 5
REDISCOVERY_SECONDS = 30.0
ABSENT_CACHE_SIZE = 500
FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"
IGNORED = {("", "events"), ("events.k8s.io", "events")}

Obj = dict[str, Any]


@dataclass
class Node:
    uid: str
    api_version: str
    kind: str
    name: str
    namespace: str | None
    owners: list[Obj] = field(default_factory=list)
    dependents: set[str] = field(default_factory=set)
    virtual: bool = False
    being_deleted: bool = False
    deleting_dependents: bool = False


def deletable_resources(api_v1: Obj, groups: list[tuple[str, Obj]]) -> list[Resource]:
    """Resources supporting delete, list and watch from discovery documents (pure, for tests).

    `api_v1` is the /api/v1 APIResourceList; `groups` pairs each preferred group version
    ("apps/v1") with its APIResourceList.
    """
    out: list[Resource] = []
    for gv, doc in [("v1", api_v1), *groups]:
        group, _, version = gv.rpartition("/")
        for r in doc.get("resources") or ():
            name = r.get("name", "")
            if "/" in name or (group, name) in IGNORED:
                continue
            if not {"delete", "list", "watch"} <= set(r.get("verbs") or ()):
                continue
            out.append(Resource(group, version, name, bool(r.get("namespaced")), r.get("kind", "")))
    return out


def owner_refs_without(refs: list[Obj], uids: set[str]) -> list[Obj]:
    return [r for r in refs if r.get("uid") not in uids]


class GarbageCollector:
    def __init__(self, ctx: Any, informers: Any) -> None:
        self.client = ctx.client(NAME)
        self.informers = informers
        self.nodes: dict[str, Node] = {}
        self.absent: collections.OrderedDict[str, None] = collections.OrderedDict()
        self.resources: dict[tuple[str, str], Resource] = {}  # (group, kind) -> resource
        self.watched: set[Resource] = set()
        self.attempt_to_delete = WorkQueue()
        self.attempt_to_orphan = WorkQueue()

    # --- discovery and informers ---

    async def discover(self) -> list[Resource]:
        api_v1 = orjson.loads(await self.client.raw("GET", "/api/v1"))
        groups_doc = orjson.loads(await self.client.raw("GET", "/apis"))
        groups: list[tuple[str, Obj]] = []
        for g in groups_doc.get("groups") or ():
            gv = (g.get("preferredVersion") or {}).get("groupVersion")
            if not gv:
                continue
            try:
                groups.append((gv, orjson.loads(await self.client.raw("GET", f"/apis/{gv}"))))
            except APIError as e:
                log.info("discovery of %s failed: %s", gv, e)
        return deletable_resources(api_v1, groups)

    async def _sync_monitors(self) -> None:
        resources = await self.discover()
        new = []
        for res in resources:
            group = res.group
            self.resources[(group, res.kind)] = res
            if res in self.watched:
                continue
            self.watched.add(res)
            inf = self.informers.get(res)
            inf.add_handlers(self._handler_add(res), self._handler_update(res), self.on_delete)
            # Objects already cached (a shared informer started earlier) enter the graph now.
            for obj in list(inf.store.values()):
                self.on_add(res, obj)
            inf.start()
            new.append(inf)
        await asyncio.gather(*(inf.wait_synced() for inf in new))

    def _handler_add(self, res: Resource):
        return lambda obj: self.on_add(res, obj)

    def _handler_update(self, res: Resource):
        return lambda old, new: self.on_add(res, new, old)

    def resource_for(self, api_version: str, kind: str) -> Resource | None:
        group = api_version.rpartition("/")[0]
        return self.resources.get((group, kind))

    # --- graph ---

    def _mark_absent(self, uid: str) -> None:
        self.absent[uid] = None
        self.absent.move_to_end(uid)
        while len(self.absent) > ABSENT_CACHE_SIZE:
            self.absent.popitem(last=False)

    def on_add(self, res: Resource, obj: Obj, old: Obj | None = None) -> None:
        m = obj.get("metadata") or {}
        uid = m.get("uid")
        if not uid:
            return
        if old is not None and (old.get("metadata") or {}).get("resourceVersion") == m.get("resourceVersion"):
            return
        owners = list(m.get("ownerReferences") or ())
        node = self.nodes.get(uid)
        if node is None:
            node = Node(uid, res.api_version, res.kind, m.get("name", ""), m.get("namespace"))
            self.nodes[uid] = node
            self._add_to_owners(node, owners)
            node.owners = owners
        else:
            node.virtual = False
            node.api_version, node.kind, node.name, node.namespace = res.api_version, res.kind, m.get("name", ""), m.get("namespace")
            old_uids = {o.get("uid") for o in node.owners}
            new_uids = {o.get("uid") for o in owners}
            for o in node.owners:
                if o.get("uid") not in new_uids:
                    owner = self.nodes.get(o.get("uid"))
                    if owner is not None:
                        owner.dependents.discard(uid)
                        if owner.deleting_dependents:
                            self.attempt_to_delete.add(owner.uid)
            self._add_to_owners(node, [o for o in owners if o.get("uid") not in old_uids])
            blocking_changed = [o for o in node.owners if o.get("blockOwnerDeletion")] != [
                o for o in owners if o.get("blockOwnerDeletion")]
            node.owners = owners
            if blocking_changed:
                for o in owners:
                    owner = self.nodes.get(o.get("uid"))
                    if owner is not None and owner.deleting_dependents:
                        self.attempt_to_delete.add(owner.uid)
        finalizers = m.get("finalizers") or ()
        node.being_deleted = bool(m.get("deletionTimestamp"))
        if node.being_deleted and ORPHAN in finalizers:
            self.attempt_to_orphan.add(uid)
        if node.being_deleted and FOREGROUND in finalizers:
            if not node.deleting_dependents:
                node.deleting_dependents = True
                for dep in node.dependents:
                    self.attempt_to_delete.add(dep)
            self.attempt_to_delete.add(uid)
        else:
            node.deleting_dependents = False

    def _add_to_owners(self, node: Node, owners: list[Obj]) -> None:
        for o in owners:
            ouid = o.get("uid")
            if not ouid:
                continue
            owner = self.nodes.get(ouid)
            if owner is None:
                owner = Node(ouid, o.get("apiVersion", ""), o.get("kind", ""), o.get("name", ""), node.namespace, virtual=True)
                self.nodes[ouid] = owner
                owner.dependents.add(node.uid)
                self.attempt_to_delete.add(ouid)
                continue
            owner.dependents.add(node.uid)
            if owner.deleting_dependents or ouid in self.absent:
                self.attempt_to_delete.add(node.uid)

    def on_delete(self, obj: Obj) -> None:
        uid = (obj.get("metadata") or {}).get("uid")
        if uid:
            self._remove(uid)

    def _remove(self, uid: str) -> None:
        node = self.nodes.pop(uid, None)
        if node is None:
            return
        if node.dependents:
            self._mark_absent(uid)
        for dep in node.dependents:
            self.attempt_to_delete.add(dep)
        for o in node.owners:
            owner = self.nodes.get(o.get("uid"))
            if owner is not None:
                owner.dependents.discard(uid)
                if owner.deleting_dependents:
                    self.attempt_to_delete.add(owner.uid)

    # --- API helpers ---

    async def _get(self, node: Node) -> Obj | None:
        res = self.resource_for(node.api_version, node.kind)
        if res is None:
            raise LookupError(f"unknown kind {node.kind} in {node.api_version}")
        try:
            return await self.client.get(res, node.name, node.namespace if res.namespaced else None)
        except APIError as e:
            if e.not_found:
                return None
            raise

    async def _owner_state(self, ref: Obj, item: Node) -> Obj | None:
        """isDangling: the live owner, or None when absent (missing, or another uid)."""
        uid = ref.get("uid", "")
        if uid in self.absent:
            return None
        res = self.resource_for(ref.get("apiVersion", ""), ref.get("kind", ""))
        if res is None:
            raise LookupError(f"unknown owner kind {ref.get('kind')} in {ref.get('apiVersion')}")
        try:
            owner = await self.client.get(res, ref.get("name", ""), item.namespace if res.namespaced else None)
        except APIError as e:
            if e.not_found:
                self._mark_absent(uid)
                return None
            raise
        if wc.uid_of(owner) != uid:
            self._mark_absent(uid)
            return None
        return owner

    async def _patch_owner_refs(self, node: Node, latest: Obj, refs: list[Obj]) -> None:
        res = self.resource_for(node.api_version, node.kind)
        if res is None:
            return
        m = latest["metadata"]
        patch = {"metadata": {"ownerReferences": refs or None, "resourceVersion": m.get("resourceVersion"), "uid": node.uid}}
        await self.client.patch(res, node.name, patch, node.namespace if res.namespaced else None)

    async def _remove_finalizer(self, node: Node, finalizer: str) -> None:
        res = self.resource_for(node.api_version, node.kind)
        if res is None:
            return
        for _ in range(5):
            latest = await self._get(node)
            if latest is None or wc.uid_of(latest) != node.uid:
                return
            m = latest["metadata"]
            finalizers = list(m.get("finalizers") or ())
            if finalizer not in finalizers:
                return
            finalizers.remove(finalizer)
            patch = {"metadata": {"finalizers": finalizers or None, "resourceVersion": m.get("resourceVersion")}}
            try:
                await self.client.patch(res, node.name, patch, node.namespace if res.namespaced else None)
                return
            except APIError as e:
                if e.not_found:
                    return
                if not e.conflict:
                    raise

    async def _delete(self, node: Node, policy: str) -> None:
        res = self.resource_for(node.api_version, node.kind)
        if res is None:
            return
        try:
            await self.client.delete(res, node.name, node.namespace if res.namespaced else None,
                                     propagation_policy=policy, preconditions={"uid": node.uid})
        except APIError as e:
            if e.not_found:
                self._remove(node.uid)
                return
            if not e.conflict:
                raise

    # --- workers ---

    async def attempt_to_delete_item(self, uid: str) -> None:
        node = self.nodes.get(uid)
        if node is None:
            return
        if node.being_deleted and not node.deleting_dependents:
            return
        latest = await self._get(node)
        if latest is None or wc.uid_of(latest) != uid:
            # A virtual delete: the object (or an owner only ever seen as a reference) is gone.
            self._mark_absent(uid)
            self._remove(uid)
            return
        if node.virtual:
            # It exists; the informer will bring it in properly. Nothing to collect.
            return
        if node.deleting_dependents:
            await self._process_deleting_dependents(node)
            return
        refs = list((latest.get("metadata") or {}).get("ownerReferences") or ())
        if not refs:
            return
        solid, dangling, waiting = [], [], []
        for ref in refs:
            owner = await self._owner_state(ref, node)
            if owner is None:
                dangling.append(ref)
            elif wc.is_deleting(owner) and FOREGROUND in ((owner.get("metadata") or {}).get("finalizers") or ()):
                waiting.append(ref)
            else:
                solid.append(ref)
        if solid:
            if dangling or waiting:
                drop = {r.get("uid") for r in dangling + waiting}
                await self._patch_owner_refs(node, latest, owner_refs_without(refs, drop))
            return
        finalizers = (latest.get("metadata") or {}).get("finalizers") or ()
        if waiting and node.dependents:
            if any((d := self.nodes.get(dep)) is not None and d.deleting_dependents for dep in node.dependents):
                # Cycle guard: stop blocking the waiting owners, then go in foreground.
                unblocked = [{**r, "blockOwnerDeletion": False} if r.get("blockOwnerDeletion") else r for r in refs]
                await self._patch_owner_refs(node, latest, unblocked)
            policy = "Foreground"
        elif ORPHAN in finalizers:
            policy = "Orphan"
        elif FOREGROUND in finalizers:
            policy = "Foreground"
        else:
            policy = "Background"
        await self._delete(node, policy)

    async def _process_deleting_dependents(self, node: Node) -> None:
        blocking = []
        for dep_uid in node.dependents:
            dep = self.nodes.get(dep_uid)
            if dep is None:
                continue
            if any(o.get("uid") == node.uid and o.get("blockOwnerDeletion") for o in dep.owners):
                blocking.append(dep)
        if not blocking:
            await self._remove_finalizer(node, FOREGROUND)
            return
        for dep in blocking:
            if not dep.deleting_dependents:
                self.attempt_to_delete.add(dep.uid)

    async def attempt_to_orphan_item(self, uid: str) -> None:
        node = self.nodes.get(uid)
        if node is None:
            return

        async def orphan(dep_uid: str) -> None:
            dep = self.nodes.get(dep_uid)
            if dep is None:
                return
            latest = await self._get(dep)
            if latest is None or wc.uid_of(latest) != dep_uid:
                return
            refs = list((latest.get("metadata") or {}).get("ownerReferences") or ())
            if any(r.get("uid") == uid for r in refs):
                try:
                    await self._patch_owner_refs(dep, latest, owner_refs_without(refs, {uid}))
                except APIError as e:
                    if not e.not_found:
                        raise

        results = await asyncio.gather(*(orphan(d) for d in list(node.dependents)), return_exceptions=True)
        errors = [r for r in results if isinstance(r, Exception)]
        if errors:
            raise errors[0]
        await self._remove_finalizer(node, ORPHAN)

    async def _rediscover(self) -> None:
        while True:
            await asyncio.sleep(REDISCOVERY_SECONDS)
            try:
                await self._sync_monitors()
            except Exception as e:
                log.info("garbage collector rediscovery failed: %s", e)

    async def run(self) -> None:
        while True:
            try:
                await self._sync_monitors()
                break
            except APIError as e:
                log.info("garbage collector discovery failed: %s", e)
                await asyncio.sleep(1.0)
        await asyncio.gather(
            wc.run_workers(self.attempt_to_delete, self.attempt_to_delete_item, DELETE_WORKERS, "gc-delete"),
            wc.run_workers(self.attempt_to_orphan, self.attempt_to_orphan_item, ORPHAN_WORKERS, "gc-orphan"),
            self._rediscover(),
        )
