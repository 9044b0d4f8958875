"""Keep one object present in every active namespace (the `default` ServiceAccount, the
`kube-root-ca.crt` ConfigMap): upstream's serviceaccounts and root-ca-cert-publisher controllers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from uwernetes.apiserver.registry import Registry
from uwernetes.machinery import errors

log = logging.getLogger(__name__)


async def ensure_in_every_namespace(
    registry: Registry,
    plural: str,
    name: str,
    body: Callable[[str], dict],
    user: str,
    matches: Callable[[dict], bool] | None = None,
) -> None:
    """Create `name` (a core/v1 `plural`) in each active namespace; recreate it if deleted, and
    put it back if changed so that `matches` no longer holds."""
    ns_rt = registry.resource("", "v1", "namespaces")
    rt = registry.resource("", "v1", plural)
    if ns_rt is None or rt is None:
        return
    ns_cache, ns_watch = await registry.watch(ns_rt, None, None)
    cache, watch = await registry.watch(rt, None, None)
    ctx = registry.context(user=user)

    async def ensure(namespace: str) -> None:
        entry = ns_cache.get(ns_rt.key(None, namespace))
        if entry is None or (entry.obj.get("metadata") or {}).get("deletionTimestamp"):
            return
        current = cache.get(rt.key(namespace, name))
        try:
            if current is None:
                await registry.create(rt, namespace, body(namespace), ctx, "kube-controller-manager")
            elif matches is not None and not matches(current.obj):
                desired = body(namespace)
                await registry.patch(rt, namespace, name, lambda obj: {**obj, **{k: v for k, v in desired.items() if k != "metadata"}}, ctx, "kube-controller-manager")
        except errors.StatusError as e:
            if e.code not in (404, 403, 409):
                log.warning("ensuring %s/%s in %s: %s", plural, name, namespace, e.message)

    try:
        while True:
            wake_ns = asyncio.ensure_future(ns_watch.wake.wait())
            wake = asyncio.ensure_future(watch.wake.wait())
            namespaces = {(ev.obj.get("metadata") or {}).get("name") for ev in ns_watch.drain()}
            for ev in watch.drain():
                m = ev.obj.get("metadata") or {}
                if m.get("name") == name and (ev.type == "DELETED" or matches is not None):
                    namespaces.add(m.get("namespace"))
            for ns in namespaces:
                if ns:
                    await ensure(ns)
            await asyncio.wait([wake_ns, wake], return_when=asyncio.FIRST_COMPLETED)
            wake_ns.cancel()
            wake.cancel()
    finally:
        ns_cache.unwatch(ns_watch)
        cache.unwatch(watch)
