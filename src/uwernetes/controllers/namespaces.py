"""Namespace controller: empties a Terminating namespace, then releases its `kubernetes` finalizer.

First cut of upstream's namespaced-resources deleter: deletes every namespaced kind's objects,
reports progress in the NamespaceDeletion*/NamespaceContentRemaining conditions, and finalizes
once nothing is left. Objects that wait on their own finalizers or grace periods keep the
namespace Terminating until they go, as upstream.
"""

from __future__ import annotations

import asyncio
import logging

from uwernetes.apiserver.registry import DeleteOptions, Registry
from uwernetes.machinery import errors, meta

log = logging.getLogger(__name__)

RETRY_SECONDS = 1.0
FINALIZER = "kubernetes"


def _condition(ctype: str, status: str, reason: str, message: str) -> dict:
    return {"type": ctype, "status": status, "lastTransitionTime": meta.now_rfc3339(), "reason": reason, "message": message}


def deletion_conditions(remaining: dict[str, int], finalizers: dict[str, int]) -> list[dict]:
    """Upstream's five namespace deletion conditions for the given leftovers (pure)."""
    conds = [
        _condition("NamespaceDeletionDiscoveryFailure", "False", "ResourcesDiscovered", "All resources successfully discovered"),
        _condition("NamespaceDeletionGroupVersionParsingFailure", "False", "ParsedGroupVersions", "All legacy kube types successfully parsed"),
        _condition("NamespaceDeletionContentFailure", "False", "ContentDeleted", "All content successfully deleted, may be waiting on finalization"),
    ]
    if remaining:
        text = ", ".join(f"{k} has {v} resource instances" for k, v in sorted(remaining.items()))
        conds.append(_condition("NamespaceContentRemaining", "True", "SomeResourcesRemain", f"Some resources are remaining: {text}"))
    else:
        conds.append(_condition("NamespaceContentRemaining", "False", "ContentRemoved", "All content successfully removed"))
    if finalizers:
        text = ", ".join(f"{k} in {v} resource instances" for k, v in sorted(finalizers.items()))
        conds.append(_condition("NamespaceFinalizersRemaining", "True", "SomeFinalizersRemain", f"Some content in the namespace has finalizers remaining: {text}"))
    else:
        conds.append(_condition("NamespaceFinalizersRemaining", "False", "ContentHasNoFinalizers", "All content-preserving finalizers finished"))
    return conds


def _same_conditions(a: list[dict], b: list[dict]) -> bool:
    def strip(cs: list[dict]) -> list[tuple]:
        return [(c.get("type"), c.get("status"), c.get("reason"), c.get("message")) for c in cs]

    return strip(a) == strip(b)


class NamespaceController:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.ns_rt = registry.resource("", "v1", "namespaces")
        self.ctx = registry.context(user="system:serviceaccount:kube-system:namespace-controller")

    def _namespaced_kinds(self):
        seen = set()
        for rt in self.registry.resources:
            if rt.namespaced and rt.storage_prefix not in seen and "delete" in rt.verbs:
                seen.add(rt.storage_prefix)
                yield rt

    async def sync(self, name: str) -> bool:
        """One pass for a namespace; True when it is finished (gone or not terminating)."""
        try:
            ns = await self.registry.get(self.ns_rt, None, name)
        except errors.StatusError as e:
            if e.code == 404:
                return True
            raise
        if not (ns.get("metadata") or {}).get("deletionTimestamp"):
            return True
        remaining: dict[str, int] = {}
        finalizers: dict[str, int] = {}
        for rt in self._namespaced_kinds():
            items, _, _, _ = await self.registry.list(rt, name)
            if not items:
                continue
            label = f"{rt.plural}.{rt.group}" if rt.group else rt.plural
            remaining[label] = len(items)
            for item in items:
                m = item.get("metadata") or {}
                for f in m.get("finalizers") or ():
                    finalizers[f] = finalizers.get(f, 0) + 1
                if m.get("deletionTimestamp"):
                    continue
                try:
                    await self.registry.delete(rt, name, m["name"], DeleteOptions(propagation_policy="Background"), self.ctx)
                except errors.StatusError as e:
                    if e.code not in (404, 409):
                        log.warning("deleting %s %s/%s: %s", rt.plural, name, m.get("name"), e.message)
        conditions = deletion_conditions(remaining, finalizers)
        if not _same_conditions((ns.get("status") or {}).get("conditions") or [], conditions):
            def set_status(current: dict) -> dict:
                current.setdefault("status", {})["conditions"] = conditions
                current["status"]["phase"] = "Terminating"
                return current

            try:
                await self.registry.patch(self.ns_rt, None, name, set_status, self.ctx, "namespace-controller", "status")
            except errors.StatusError as e:
                if e.code == 404:
                    return True
        if remaining:
            return False

        def drop_finalizer(current: dict) -> dict:
            spec = current.setdefault("spec", {})
            spec["finalizers"] = [f for f in spec.get("finalizers") or () if f != FINALIZER]
            return current

        try:
            await self.registry.patch(self.ns_rt, None, name, drop_finalizer, self.ctx, "namespace-controller", "finalize")
        except errors.StatusError as e:
            if e.code != 404:
                raise
        return True

    async def run(self) -> None:
        cache, watcher = await self.registry.watch(self.ns_rt, None, None)
        pending: set[str] = set()
        try:
            while True:
                for ev in watcher.drain():
                    m = ev.obj.get("metadata") or {}
                    if ev.type != "DELETED" and m.get("deletionTimestamp"):
                        pending.add(m["name"])
                for name in list(pending):
                    try:
                        if await self.sync(name):
                            pending.discard(name)
                    except Exception:
                        log.exception("namespace %s", name)
                if pending:
                    try:
                        await asyncio.wait_for(watcher.wake.wait(), RETRY_SECONDS)
                    except TimeoutError:
                        pass
                else:
                    await watcher.wake.wait()
        finally:
            cache.unwatch(watcher)


async def run(registry: Registry) -> None:
    await NamespaceController(registry).run()
