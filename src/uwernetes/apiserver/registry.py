"""The generic store: every kind's create/update/patch/delete/get/list/watch in one fixed order.

Upstream's `pkg/registry/generic/registry/store.go` plus `rest.BeforeCreate/BeforeUpdate`:
defaulting, system metadata, the kind's strategy hooks, validation (422), admission, then a
compare-and-swap write. Nothing here knows about HTTP; the HTTP handlers and the in-process
client both call it, so every writer gets the same checks.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from uwernetes.apiserver.resources.base import Context, Obj, ResourceType
from uwernetes.features import DEFAULT as DEFAULT_FEATURES
from uwernetes.features import FeatureGates
from uwernetes.machinery import errors, meta
from uwernetes.machinery import field as fielderr
from uwernetes.machinery.managed_fields import record_update
from uwernetes.machinery.meta import deep_copy
from uwernetes.machinery.selectors import FieldSelector, LabelSelector
from uwernetes.machinery.validation import validate_object_meta, validate_object_meta_update
from uwernetes.storage.interface import Entry, KeyExists, KeyNotFound, RevisionConflict
from uwernetes.storage.watch_cache import CachedEntry, CacheWatcher, WatchCache

log = logging.getLogger(__name__)

_UPDATE_RETRIES = 16

# Admission hooks: (resource type, operation, new object, old object, ctx) -> None or raise.
AdmissionHook = Callable[[ResourceType, str, Obj | None, Obj | None, Context], Awaitable[None]]


@dataclass
class DeleteOptions:
    grace_period_seconds: int | None = None
    propagation_policy: str | None = None
    orphan_dependents: bool | None = None
    preconditions: dict[str, Any] = field(default_factory=dict)
    dry_run: bool = False

    @classmethod
    def from_body(cls, body: dict[str, Any] | None, query_grace: str | None = None) -> DeleteOptions:
        body = body or {}
        grace = body.get("gracePeriodSeconds")
        if grace is None and query_grace not in (None, ""):
            grace = int(query_grace)
        return cls(
            grace_period_seconds=grace,
            propagation_policy=body.get("propagationPolicy"),
            orphan_dependents=body.get("orphanDependents"),
            preconditions=body.get("preconditions") or {},
            dry_run="All" in (body.get("dryRun") or []),
        )


# (operation, new, old) -> an optional release, which the registry calls once the write has
# finished, stored or not (dry runs too).
BeforeStore = Callable[[str, Obj, Obj | None], Awaitable[Callable[[], None] | None]]


def _spec_part(obj: Obj) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


def _same_ignoring_version(a: Obj, b: Obj) -> bool:
    """Whether an update would store exactly what is there (so it can be skipped)."""
    if a.keys() != b.keys():
        return False
    for k in a:
        if k == "metadata":
            ma, mb = dict(a[k] or {}), dict(b[k] or {})
            for drop in ("resourceVersion", "managedFields"):
                ma.pop(drop, None)
                mb.pop(drop, None)
            if ma != mb:
                return False
        elif a[k] != b[k]:
            return False
    return True


def _check_patched_types(rt: ResourceType, patched: Obj) -> None:
    """A patched object that would not decode into the Go struct: upstream's patch handler answers
    422 Invalid on field `patch`, with an empty kind and name and the patched object as the value.
    (Server-side apply reports type errors its own way.)"""
    from uwernetes.machinery import typecheck

    text = typecheck.first_type_error(patched, rt.group, rt.version, rt.kind)
    if text is not None:
        # The patch libraries re-marshal the patched document from Go maps: keys come out sorted.
        value = orjson.dumps(patched, option=orjson.OPT_SORT_KEYS).decode()
        raise errors.invalid("", "", [fielderr.invalid("patch", value, text)])


class Registry:
    def __init__(
        self,
        store: Any,
        resources: list[ResourceType],
        features: FeatureGates | None = None,
        gc_enabled: bool = False,
    ) -> None:
        self.store = store
        self.features = features or DEFAULT_FEATURES
        self.gc_enabled = gc_enabled
        self.resources: list[ResourceType] = [
            r for r in resources if r.feature_gate is None or self.features.enabled(r.feature_gate)
        ]
        self._by_gvr = {(r.group, r.version, r.plural): r for r in self.resources}
        self._caches: dict[str, WatchCache] = {}
        # Upstream's order: mutating admission runs on the defaulted object before the strategy,
        # validating admission on the final object just before it is stored.
        self.mutating: list[AdmissionHook] = []
        self.validating: list[AdmissionHook] = []
        # Stateful allocators (service IPs, node ports) hook in per resource.
        # Last steps before a write is stored (Service address allocation), per resource.
        self.before_store: dict[tuple[str, str], BeforeStore] = {}
        self._key_locks: dict[str, _KeyLock] = {}

    # --- the served set (custom resources come and go) ---

    def add_resources(self, rts: list[ResourceType]) -> None:
        """Serve more resource types, replacing any served under the same group/version/plural."""
        keys = {(r.group, r.version, r.plural) for r in rts}
        self.resources = [r for r in self.resources if (r.group, r.version, r.plural) not in keys] + list(rts)
        self._by_gvr = {(r.group, r.version, r.plural): r for r in self.resources}

    def remove_resources(self, group: str, plural: str) -> None:
        """Stop serving every version of group/plural (the stored objects stay where they are)."""
        self.resources = [r for r in self.resources if not (r.group == group and r.plural == plural)]
        self._by_gvr = {(r.group, r.version, r.plural): r for r in self.resources}

    # --- lookups ---

    def resource(self, group: str, version: str, plural: str) -> ResourceType | None:
        return self._by_gvr.get((group, version, plural))

    def resource_for_kind(self, api_version: str, kind: str) -> ResourceType | None:
        group, _, version = api_version.rpartition("/")
        for r in self.resources:
            if r.group == group and r.version == version and r.kind == kind:
                return r
        return None

    async def start(self) -> None:
        for r in self.resources:
            await self.cache(r)

    async def stop(self) -> None:
        for c in self._caches.values():
            await c.stop()

    async def cache(self, rt: ResourceType) -> WatchCache:
        c = self._caches.get(rt.storage_prefix)
        if c is None:
            c = WatchCache(self.store, rt.storage_prefix)
            self._caches[rt.storage_prefix] = c
            await c.start()
        await c.ready()
        return c

    def context(self, **kw: Any) -> Context:
        return Context(features=self.features, **kw)

    # --- conversion between served and stored forms ---

    @staticmethod
    def _out(rt: ResourceType, obj: Obj) -> Obj:
        if rt.from_storage is not None:
            obj = rt.from_storage(obj)
        return obj

    @staticmethod
    def _in(rt: ResourceType, obj: Obj) -> Obj:
        if rt.to_storage is not None:
            obj = rt.to_storage(obj)
        return obj

    def _with_type(self, rt: ResourceType, obj: Obj) -> Obj:
        if obj.get("apiVersion") != rt.api_version or obj.get("kind") != rt.kind:
            obj = dict(obj)
            obj["apiVersion"] = rt.api_version
            obj["kind"] = rt.kind
            # Keep the conventional key order: apiVersion, kind first.
            obj = {"apiVersion": rt.api_version, "kind": rt.kind, **{k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}}
        return obj

    # --- reads ---

    async def _current(self, rt: ResourceType, key: str) -> Entry | None:
        """The object as stored now: from the watch cache when it is in-process (exactly as fresh
        as the store), otherwise from the store."""
        cache = self._caches.get(rt.storage_prefix)
        if cache is not None and cache.in_process:
            return cache.get(key)
        return await self.store.get(key)

    async def get(self, rt: ResourceType, namespace: str | None, name: str) -> Obj:
        entry = await self._current(rt, rt.key(namespace, name))
        if entry is None:
            raise errors.not_found(rt.plural, name, rt.group)
        return self._out(rt, entry.obj)

    def get_raw(self, rt: ResourceType, namespace: str | None, name: str) -> bytes | None:
        """Stored JSON bytes for the fast GET path (only for kinds stored as served)."""
        if rt.from_storage is not None:
            return None
        key = rt.key(namespace, name)
        cache = self._caches.get(rt.storage_prefix)
        if cache is not None and cache.in_process:
            entry = cache.get(key)
            return entry.raw if entry is not None else None
        if not hasattr(self.store, "get_raw"):
            return None
        return self.store.get_raw(key)

    def get_raw_at(self, rt: ResourceType, namespace: str | None, name: str, resource_version: str) -> bytes | None:
        """The stored JSON of an object if the cache holds exactly that version (answers to writes
        reuse it instead of encoding the object again)."""
        if rt.from_storage is not None or not resource_version:
            return None
        cache = self._caches.get(rt.storage_prefix)
        if cache is None or not cache.in_process:
            return None
        entry = cache.get(rt.key(namespace, name))
        if entry is None or str(entry.rev) != resource_version:
            return None
        return entry.raw

    def matcher(
        self,
        rt: ResourceType,
        namespace: str | None,
        labels: LabelSelector | None,
        fields: FieldSelector | None,
    ) -> Callable[[Obj], bool]:
        """A predicate on stored objects for namespace + label + field selectors."""
        label_sel = labels if labels is not None and not labels.empty() else None
        field_sel = fields if fields is not None and not fields.empty() else None

        def getter(obj: Obj) -> Callable[[str], str | None]:
            def get(fname: str) -> str | None:
                m = obj.get("metadata") or {}
                if fname == "metadata.name":
                    return m.get("name", "")
                if fname == "metadata.namespace":
                    return m.get("namespace", "")
                fn = rt.field_selectors.get(fname)
                if fn is None:
                    return None
                return fn(self._out(rt, obj) if rt.from_storage else obj)

            return get

        def matches(obj: Obj) -> bool:
            m = obj.get("metadata") or {}
            if namespace and m.get("namespace") != namespace:
                return False
            if label_sel is not None and not label_sel.matches(m.get("labels")):
                return False
            if field_sel is not None and not field_sel.matches(getter(obj)):
                return False
            return True

        # Only the namespace is checked: an object's earlier states match exactly when it does.
        matches.static = label_sel is None and field_sel is None  # type: ignore[attr-defined]
        return matches

    def check_field_selector(self, rt: ResourceType, fields: FieldSelector | None) -> None:
        if fields is None:
            return
        for f in fields.fields():
            if f not in ("metadata.name", "metadata.namespace") and f not in rt.field_selectors:
                raise errors.bad_request(f'field label not supported: {f}')

    async def list(
        self,
        rt: ResourceType,
        namespace: str | None,
        labels: LabelSelector | None = None,
        fields: FieldSelector | None = None,
        limit: int = 0,
        continue_key: str = "",
        revision: int = 0,
        from_cache: bool = True,
    ) -> tuple[list[Obj], int, str, int | None]:
        """(items, list revision, continue key (last key returned, "" when done), remaining count)."""
        self.check_field_selector(rt, fields)
        matches = self.matcher(rt, namespace, labels, fields)
        prefix = rt.storage_prefix + (f"{namespace}/" if rt.namespaced and namespace else "")
        cache = await self.cache(rt)
        if from_cache and not continue_key and (revision == 0 or revision <= cache.revision):
            await cache.fresh()
            # A matcher that checks only the namespace has nothing left to do: the prefix holds it.
            found, rev = cache.list_decoded(prefix, None if matches.static and (rt.namespaced or not namespace) else matches)  # type: ignore[attr-defined]
            if limit and len(found) > limit:
                remaining = len(found) - limit
                found = found[:limit]
                return [self._out(rt, obj) for _, obj in found], rev, found[-1][0], remaining
            return [self._out(rt, obj) for _, obj in found], rev, "", None
        # Snapshot read from the store: pages of one consistent revision.
        out: list[Obj] = []
        start_after = continue_key
        at = revision
        while True:
            batch = max(limit * 2, 500) if limit else 0
            entries, at, more = await self.store.list(prefix, revision=at, start_after=start_after, limit=batch)
            for e in entries:
                if matches(e.obj):
                    out.append(e)
                    if limit and len(out) > limit:
                        break
            if limit and len(out) > limit:
                items = out[:limit]
                return [self._out(rt, e.obj) for e in items], at, items[-1].key, None
            if not more:
                return [self._out(rt, e.obj) for e in out], at, "", None
            start_after = entries[-1].key

    async def watch(
        self,
        rt: ResourceType,
        namespace: str | None,
        after_rev: int | None,
        labels: LabelSelector | None = None,
        fields: FieldSelector | None = None,
    ) -> tuple[WatchCache, CacheWatcher]:
        self.check_field_selector(rt, fields)
        cache = await self.cache(rt)
        await cache.fresh()
        return cache, cache.watch(after_rev, self.matcher(rt, namespace, labels, fields))

    # --- writes ---

    async def _mutate(self, rt: ResourceType, op: str, new: Obj | None, old: Obj | None, ctx: Context) -> None:
        for hook in self.mutating:
            await hook(rt, op, new, old, ctx)

    async def _admit(self, rt: ResourceType, op: str, new: Obj | None, old: Obj | None, ctx: Context) -> None:
        for hook in self.validating:
            await hook(rt, op, new, old, ctx)

    async def _check_namespace(self, rt: ResourceType, namespace: str | None, name: str) -> None:
        """NamespaceLifecycle: no new objects in a missing or terminating namespace."""
        if not rt.namespaced:
            return
        ns_rt = self.resource("", "v1", "namespaces")
        if ns_rt is None:
            return
        cache = await self.cache(ns_rt)
        entry = cache.get(ns_rt.key(None, namespace))
        if entry is None:
            entry = await self.store.get(ns_rt.key(None, namespace))
        if entry is None:
            raise errors.not_found("namespaces", namespace or "")
        if (entry.obj.get("metadata") or {}).get("deletionTimestamp"):
            raise errors.StatusError(
                403,
                "Forbidden",
                f'{rt.plural}{"." + rt.group if rt.group else ""} "{name}" is forbidden: unable to create new content in namespace {namespace} because it is being terminated',
                {"name": name, "group": rt.group, "kind": rt.plural, "causes": [{"reason": "NamespaceTerminating", "message": f"namespace {namespace} is being terminated", "field": "metadata.namespace"}]} if rt.group else {"name": name, "kind": rt.plural, "causes": [{"reason": "NamespaceTerminating", "message": f"namespace {namespace} is being terminated", "field": "metadata.namespace"}]},
            )

    def _validate(self, rt: ResourceType, obj: Obj, errs: list[fielderr.FieldError]) -> None:
        if errs:
            name = (obj.get("metadata") or {}).get("name") or ""
            raise errors.invalid(rt.kind, name, errs, rt.group)

    async def create(
        self,
        rt: ResourceType,
        namespace: str | None,
        obj: Obj,
        ctx: Context | None = None,
        field_manager: str = "",
        owned: bool = False,
    ) -> Obj:
        """Create; `owned` says the caller hands over `obj` (a freshly decoded body) to be changed
        in place instead of copied."""
        ctx = ctx or self.context()
        if not owned:
            obj = deep_copy(obj)
        m = meta.meta(obj)
        if rt.namespaced:
            if m.get("namespace") and namespace and m["namespace"] != namespace:
                raise errors.bad_request("the namespace of the provided object does not match the namespace sent on the request")
            if namespace:
                m["namespace"] = namespace
        else:
            m.pop("namespace", None)
        if m.get("resourceVersion"):
            raise errors.internal("resourceVersion should not be set on objects to be created")
        if not m.get("name") and m.get("generateName"):
            m["name"] = meta.generate_name(m["generateName"])
        # System fields are the server's, whatever the client sent.
        m["uid"] = meta.new_uid()
        m["creationTimestamp"] = meta.now_rfc3339()
        for k in ("deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"):
            m.pop(k, None)
        if rt.strategy.tracks_generation:
            m["generation"] = 1
        else:
            m.pop("generation", None)
        obj = self._with_type(rt, obj)
        rt.strategy.default(obj)
        # The writer owns what it sent (after defaulting), not what admission adds: upstream's
        # field manager runs in the handler, before admission and the strategy.
        if not ctx.apply:
            record_update(obj, None, field_manager or _default_manager(ctx), rt.api_version, schema=_schema_of(rt))
        await self._check_namespace(rt, m.get("namespace"), m.get("name", ""))
        await self._mutate(rt, "CREATE", obj, None, ctx)
        rt.strategy.prepare_for_create(obj, ctx)
        errs = [] if rt.strategy.validates_object_meta else validate_object_meta(
            obj.get("metadata"), rt.namespaced, name_check=_name_check(rt)
        )
        errs += rt.strategy.validate(obj, ctx)
        self._validate(rt, obj, errs)
        await self._admit(rt, "CREATE", obj, None, ctx)
        release = await self._before_store(rt, "CREATE", obj, None)
        try:
            if ctx.dry_run:
                return obj
            try:
                entry = await self.store.create(rt.key(m.get("namespace"), m["name"]), self._in(rt, obj))
            except KeyExists:
                raise errors.already_exists(rt.plural, m["name"], rt.group) from None
        finally:
            if release is not None:
                release()
        return self._out(rt, entry.obj)

    async def _before_store(self, rt: ResourceType, op: str, new: Obj, old: Obj | None) -> Callable[[], None] | None:
        hook = self.before_store.get((rt.group, rt.plural))
        return None if hook is None else await hook(op, new, old)

    async def update(
        self,
        rt: ResourceType,
        namespace: str | None,
        name: str,
        obj: Obj,
        ctx: Context | None = None,
        field_manager: str = "",
        subresource: str = "",
    ) -> tuple[Obj, bool]:
        """PUT: replace with a full object. Returns (stored object, created)."""
        ctx = ctx or self.context(subresource=subresource)
        body_rv = (obj.get("metadata") or {}).get("resourceVersion") or ""

        async def mutate(current: Obj, fresh: Callable[[], Obj]) -> Obj:
            new = deep_copy(obj)
            if not body_rv and not rt.strategy.allow_unconditional_update:
                raise errors.invalid(
                    rt.kind, name, [fielderr.invalid("metadata.resourceVersion", 0, "must be specified for an update")], rt.group
                )
            if body_rv and body_rv != (current.get("metadata") or {}).get("resourceVersion"):
                raise errors.conflict(rt.plural, name, errors.OBJECT_MODIFIED, rt.group)
            return new

        return await self._guarded_update(rt, namespace, name, mutate, ctx, field_manager, subresource, body_obj=obj)

    async def patch(
        self,
        rt: ResourceType,
        namespace: str | None,
        name: str,
        apply_patch: Callable[[Obj], Obj],
        ctx: Context | None = None,
        field_manager: str = "",
        subresource: str = "",
        create_missing: Callable[[], Obj] | None = None,
    ) -> tuple[Obj, bool]:
        """PATCH: apply_patch(current) -> desired, retried on conflicts unless the patch pins a version."""
        ctx = ctx or self.context(subresource=subresource)

        async def mutate(current: Obj, fresh: Callable[[], Obj]) -> Obj:
            cur_rv = (current.get("metadata") or {}).get("resourceVersion")
            # The patch works on its own copy: `current` is compared with the result later.
            new = apply_patch(fresh())
            if rt.builtin and not ctx.apply:
                _check_patched_types(rt, new)
            new_rv = (new.get("metadata") or {}).get("resourceVersion")
            if new_rv and new_rv != cur_rv:
                raise errors.conflict(rt.plural, name, errors.OBJECT_MODIFIED, rt.group)
            return new

        return await self._guarded_update(
            rt, namespace, name, mutate, ctx, field_manager, subresource, create_missing=create_missing
        )

    async def _guarded_update(
        self,
        rt: ResourceType,
        namespace: str | None,
        name: str,
        mutate: Callable[[Obj, Callable[[], Obj]], Awaitable[Obj]],
        ctx: Context,
        field_manager: str,
        subresource: str,
        body_obj: Obj | None = None,
        create_missing: Callable[[], Obj] | None = None,
    ) -> tuple[Obj, bool]:
        key = rt.key(namespace, name)
        # Writers of one object take turns here: concurrent patches of a hot object would
        # otherwise all compute from the same version and all but one retry, over and over.
        lock = self._key_locks.get(key)
        if lock is None:
            lock = self._key_locks[key] = _KeyLock()
        lock.users += 1
        try:
            async with lock.lock:
                return await self._guarded_update_locked(
                    rt, namespace, name, key, mutate, ctx, field_manager, subresource, body_obj, create_missing
                )
        finally:
            lock.users -= 1
            if not lock.users:
                self._key_locks.pop(key, None)

    async def _guarded_update_locked(
        self,
        rt: ResourceType,
        namespace: str | None,
        name: str,
        key: str,
        mutate: Callable[[Obj, Callable[[], Obj]], Awaitable[Obj]],
        ctx: Context,
        field_manager: str,
        subresource: str,
        body_obj: Obj | None,
        create_missing: Callable[[], Obj] | None,
    ) -> tuple[Obj, bool]:
        for _attempt in range(_UPDATE_RETRIES):
            entry = await self._current(rt, key)
            if entry is None:
                if body_obj is not None and rt.strategy.allow_create_on_update and not subresource:
                    created = await self.create(rt, namespace, _without_rv(body_obj), ctx, field_manager)
                    return created, True
                if create_missing is not None and not subresource:
                    created = await self.create(rt, namespace, create_missing(), ctx, field_manager)
                    return created, True
                raise errors.not_found(rt.plural, name, rt.group)
            old = self._out(rt, entry.obj)
            new = await mutate(old, self._fresh_copy(rt, entry, old))
            new = self._with_type(rt, new)
            stored = await self._prepare_update(rt, namespace, name, new, old, ctx, field_manager, subresource)
            if stored is old:
                return old, False
            release = await self._before_store(rt, "UPDATE", stored, old)
            try:
                if ctx.dry_run:
                    return stored, False
                nm = stored.get("metadata") or {}
                if (nm.get("deletionTimestamp") and not nm.get("finalizers") and not _grace_pending(stored)
                        and not rt.strategy.graceful_hold(stored)):
                    # The last finalizer is gone from an object being deleted: it goes now.
                    try:
                        gone = await self.store.delete(key, entry.rev)
                    except RevisionConflict:
                        continue
                    except KeyNotFound:
                        raise errors.not_found(rt.plural, name, rt.group) from None
                    return self._out(rt, gone.obj), False
                try:
                    written = await self.store.update(key, self._in(rt, stored), entry.rev)
                except RevisionConflict:
                    if (body_obj is not None and (body_obj.get("metadata") or {}).get("resourceVersion")):
                        raise errors.conflict(rt.plural, name, errors.OBJECT_MODIFIED, rt.group) from None
                    continue
                except KeyNotFound:
                    continue
            finally:
                if release is not None:
                    release()
            return self._out(rt, written.obj), False
        raise errors.conflict(rt.plural, name, errors.OBJECT_MODIFIED, rt.group)

    def _fresh_copy(self, rt: ResourceType, entry: Any, old: Obj) -> Callable[[], Obj]:
        """Another private copy of the current object: decoded again from the watch cache's JSON
        (cheaper than copying the decoded one), or a deep copy when the store handed out a dict."""
        if isinstance(entry, CachedEntry):
            return lambda: self._out(rt, entry.obj)
        return lambda: deep_copy(old)

    async def _prepare_update(
        self,
        rt: ResourceType,
        namespace: str | None,
        name: str,
        new: Obj,
        old: Obj,
        ctx: Context,
        field_manager: str,
        subresource: str,
    ) -> Obj:
        nm = meta.meta(new)
        om = old.get("metadata") or {}
        if nm.get("name") and nm["name"] != name:
            raise errors.bad_request(f"the name of the object ({nm['name']}) does not match the name on the URL ({name})")
        if rt.namespaced and nm.get("namespace") and nm["namespace"] != namespace:
            raise errors.bad_request("the namespace of the provided object does not match the namespace sent on the request")
        nm["name"] = name
        if rt.namespaced:
            nm["namespace"] = namespace
        if not nm.get("uid"):
            nm["uid"] = om.get("uid")
        for k in ("creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"):
            if om.get(k) is not None:
                nm[k] = om[k]
            else:
                nm.pop(k, None)
        if "generation" in om:
            nm["generation"] = om["generation"]
        if "managedFields" not in nm and om.get("managedFields"):
            nm["managedFields"] = om["managedFields"]
        nm["resourceVersion"] = om.get("resourceVersion")
        strategy = rt.strategy
        if subresource == "binding":
            # Binding writes spec.nodeName and the PodScheduled condition directly, as upstream's
            # binding storage does, outside the pod strategy's spec/status split.
            errs = []
        elif subresource == "finalize":
            new["metadata"] = dict(om)
            strategy.prepare_for_finalize_update(new, old, ctx)
            errs = strategy.validate_finalize_update(new, old, ctx)
        elif subresource == "status":
            strategy.default(new)
            strategy.prepare_for_status_update(new, old, ctx)
            # Status writes may not change metadata other than what upstream allows.
            keep = dict(om)
            for k in ("labels", "annotations", "ownerReferences", "finalizers"):
                if k in nm:
                    keep[k] = nm[k]
                else:
                    keep.pop(k, None)
            new["metadata"] = keep
            errs = [] if strategy.validates_object_meta else validate_object_meta_update(new["metadata"], om)
            errs += strategy.validate_status_update(new, old, ctx)
        else:
            strategy.default(new)
            await self._mutate(rt, "UPDATE", new, old, ctx)
            strategy.prepare_for_update(new, old, ctx)
            if strategy.tracks_generation and _spec_part(new) != _spec_part(old):
                nm["generation"] = int(om.get("generation") or 0) + 1
            errs = [] if strategy.validates_object_meta else validate_object_meta_update(nm, om)
            errs += strategy.validate_update(new, old, ctx)
        self._validate(rt, new, errs)
        # A write that changes only managedFields (an apply taking shared ownership, kubectl's
        # managed-fields migration) is still a write, as upstream stores it.
        if _same_ignoring_version(new, old) and (nm.get("managedFields") or om.get("managedFields")) == om.get("managedFields"):
            return old
        await self._admit(rt, "UPDATE", new, old, ctx)
        if not ctx.apply:
            record_update(new, old, field_manager or _default_manager(ctx), rt.api_version, subresource,
                          schema=_schema_of(rt))
        return new

    async def delete(
        self,
        rt: ResourceType,
        namespace: str | None,
        name: str,
        options: DeleteOptions | None = None,
        ctx: Context | None = None,
    ) -> tuple[Obj, bool]:
        """Returns (object, deleted now). Graceful or finalized objects come back with a deletionTimestamp."""
        options = options or DeleteOptions()
        ctx = ctx or self.context(dry_run=options.dry_run)
        key = rt.key(namespace, name)
        for _attempt in range(_UPDATE_RETRIES):
            entry = await self._current(rt, key)
            if entry is None:
                raise errors.not_found(rt.plural, name, rt.group)
            obj = self._out(rt, entry.obj)
            om = obj.get("metadata") or {}
            pre = options.preconditions
            if pre.get("uid") and pre["uid"] != om.get("uid"):
                raise errors.conflict(
                    rt.plural, name,
                    f"Precondition failed: UID in precondition: {pre['uid']}, UID in object meta: {om.get('uid')}",
                    rt.group,
                )
            if pre.get("resourceVersion") and pre["resourceVersion"] != om.get("resourceVersion"):
                raise errors.conflict(
                    rt.plural, name,
                    f"Precondition failed: ResourceVersion in precondition: {pre['resourceVersion']}, ResourceVersion in object meta: {om.get('resourceVersion')}",
                    rt.group,
                )
            await self._admit(rt, "DELETE", None, obj, ctx)
            grace = max(0, rt.strategy.grace_period(obj, options.grace_period_seconds))
            new = self._fresh_copy(rt, entry, obj)()
            nm = meta.meta(new)
            finalizers = list(nm.get("finalizers") or [])
            if self.gc_enabled:
                policy = options.propagation_policy
                if policy is None and options.orphan_dependents is not None:
                    policy = "Orphan" if options.orphan_dependents else "Background"
                if policy == "Foreground" and "foregroundDeletion" not in finalizers:
                    finalizers.append("foregroundDeletion")
                elif policy == "Orphan" and "orphan" not in finalizers:
                    finalizers.append("orphan")
            pending = bool(om.get("deletionTimestamp"))
            if not finalizers and grace == 0 and not rt.strategy.graceful_hold(obj):
                if ctx.dry_run:
                    return obj, True
                try:
                    gone = await self.store.delete(key, entry.rev)
                except (RevisionConflict, KeyNotFound):
                    continue
                return self._out(rt, gone.obj), True
            # Graceful / finalized: mark, and let whoever owns the finalizers or grace finish.
            if pending:
                current_grace = om.get("deletionGracePeriodSeconds")
                if current_grace is not None and grace >= current_grace and finalizers == list(om.get("finalizers") or []):
                    return obj, False
            now = datetime.now(UTC)
            if not pending or (om.get("deletionGracePeriodSeconds") or 0) > grace:
                nm["deletionTimestamp"] = meta.format_time(now + timedelta(seconds=grace))
                nm["deletionGracePeriodSeconds"] = grace
            if finalizers:
                nm["finalizers"] = finalizers
            rt.strategy.prepare_for_delete(new)
            if ctx.dry_run:
                return new, False
            try:
                written = await self.store.update(key, self._in(rt, new), entry.rev)
            except (RevisionConflict, KeyNotFound):
                continue
            return self._out(rt, written.obj), False
        raise errors.conflict(rt.plural, name, errors.OBJECT_MODIFIED, rt.group)

    async def delete_collection(
        self,
        rt: ResourceType,
        namespace: str | None,
        labels: LabelSelector | None,
        fields: FieldSelector | None,
        options: DeleteOptions,
        ctx: Context | None = None,
    ) -> list[Obj]:
        items, _, _, _ = await self.list(rt, namespace, labels, fields)
        out: list[Obj] = []

        async def one(item: Obj) -> None:
            m = item["metadata"]
            try:
                obj, _ = await self.delete(rt, m.get("namespace"), m["name"], options, ctx)
                out.append(obj)
            except errors.StatusError as e:
                if e.code != 404:
                    raise

        await asyncio.gather(*(one(i) for i in items))
        return out


class _KeyLock:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


def _schema_of(rt: ResourceType) -> dict | None:
    """The schema managed fields are typed with (the one server-side apply uses)."""
    from uwernetes.apiserver.patching import schema_of

    return schema_of(rt)


def _without_rv(obj: Obj) -> Obj:
    obj = deep_copy(obj)
    (obj.get("metadata") or {}).pop("resourceVersion", None)
    return obj


def _grace_pending(obj: Obj) -> bool:
    """Objects still inside a grace period stay until their owner (the kubelet) removes them."""
    return bool((obj.get("metadata") or {}).get("deletionGracePeriodSeconds"))


def _default_manager(ctx: Context) -> str:
    return ctx.user or "unknown"


def _name_check(rt: ResourceType):
    name_check = getattr(rt.strategy, "name_check", None)
    if name_check is not None:
        return name_check
    from uwernetes.machinery.validation import is_dns1123_subdomain

    return is_dns1123_subdomain


__all__ = ["Registry", "DeleteOptions", "Entry"]
