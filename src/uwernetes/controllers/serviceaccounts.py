"""Ensures every active namespace has its `default` ServiceAccount (upstream's serviceaccounts-controller)."""

from __future__ import annotations

import asyncio
import logging

from uwernetes.machinery import errors

log = logging.getLogger(__name__)

DEFAULT_NAME = "default"


async def run(registry) -> None:
    ns_rt = registry.resource("", "v1", "namespaces")
    sa_rt = registry.resource("", "v1", "serviceaccounts")
    if ns_rt is None or sa_rt is None:
        return
    ns_cache, ns_watch = await registry.watch(ns_rt, None, None)
    sa_cache, sa_watch = await registry.watch(sa_rt, None, None)
    ctx = registry.context(user="system:serviceaccount:kube-system:service-account-controller")

    async def ensure(namespace: str) -> None:
        entry = ns_cache.get(ns_rt.key(None, namespace))
        if entry is None or (entry.obj.get("metadata") or {}).get("deletionTimestamp"):
            return
        if sa_cache.get(sa_rt.key(namespace, DEFAULT_NAME)) is not None:
            return
        body = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": DEFAULT_NAME, "namespace": namespace}}
        try:
            await registry.create(sa_rt, namespace, body, ctx, "kube-controller-manager")
        except errors.StatusError as e:
            if e.code not in (404, 403, 409):
                log.warning("creating default service account in %s: %s", namespace, e.message)

    try:
        while True:
            wake_ns = asyncio.ensure_future(ns_watch.wake.wait())
            wake_sa = asyncio.ensure_future(sa_watch.wake.wait())
            namespaces = {(ev.obj.get("metadata") or {}).get("name") for ev in ns_watch.drain()}
            for ev in sa_watch.drain():
                m = ev.obj.get("metadata") or {}
                if ev.type == "DELETED" and m.get("name") == DEFAULT_NAME:
                    namespaces.add(m.get("namespace"))
            for ns in namespaces:
                if ns:
                    await ensure(ns)
            await asyncio.wait([wake_ns, wake_sa], return_when=asyncio.FIRST_COMPLETED)
            wake_ns.cancel()
            wake_sa.cancel()
    finally:
        ns_cache.unwatch(ns_watch)
        sa_cache.unwatch(sa_watch)
