"""Informers: list + watch into a local cache, with add/update/delete callbacks (client-go's shape).

On a 410 (expired resourceVersion) the informer lists again and reconciles the cache, firing
deletes for objects that vanished meanwhile, so handlers never miss a transition.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from uwernetes.client.api import APIError, Client, Resource

log = logging.getLogger(__name__)

Obj = dict[str, Any]
Handler = Callable[..., Any]

WATCH_TIMEOUT = 300
RETRY_DELAY = 1.0


def object_key(obj: Obj) -> str:
    m = obj.get("metadata") or {}
    ns = m.get("namespace")
    return f"{ns}/{m.get('name')}" if ns else m.get("name", "")


class Informer:
    def __init__(self, client: Client, resource: Resource, namespace: str | None = None, *,
                 label_selector: str | None = None, field_selector: str | None = None,
                 strip_managed_fields: bool = True, share_objects: bool = False) -> None:
        self.client = client
        self.resource = resource
        self.namespace = namespace
        self.label_selector = label_selector
        self.field_selector = field_selector
        self.store: dict[str, Obj] = {}
        self.synced = asyncio.Event()
        self.resource_version = ""
        self._on_add: list[Handler] = []
        self._on_update: list[Handler] = []
        self._on_delete: list[Handler] = []
        self._task: asyncio.Task | None = None
        # Controllers never read managedFields; dropping them (as kube-controller-manager and
        # kube-scheduler transform their informers) saves about a third of each cached object.
        self._strip = strip_managed_fields
        # Shared objects (see client.api.SharedDecoder) are the same dicts other in-process
        # informers hold: handlers must treat them as read-only.
        self._shared = share_objects and strip_managed_fields

    def add_handlers(self, on_add: Handler | None = None, on_update: Handler | None = None,
                     on_delete: Handler | None = None) -> None:
        if on_add:
            self._on_add.append(on_add)
        if on_update:
            self._on_update.append(on_update)
        if on_delete:
            self._on_delete.append(on_delete)

    def get(self, key: str) -> Obj | None:
        return self.store.get(key)

    def list(self) -> list[Obj]:
        return list(self.store.values())

    def start(self) -> asyncio.Task:
        if self._task is None:
            self._task = asyncio.create_task(self.run())
        return self._task

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass

    async def wait_synced(self, timeout: float | None = None) -> None:
        await asyncio.wait_for(self.synced.wait(), timeout)

    def _fire(self, handlers: list[Handler], *args: Any) -> None:
        for h in handlers:
            try:
                h(*args)
            except Exception:
                log.exception("informer handler for %s failed", self.resource.plural)

    async def _relist(self) -> None:
        items: list[Obj] = []
        cont = None
        while True:
            page = await self.client.list(self.resource, self.namespace, label_selector=self.label_selector,
                                          field_selector=self.field_selector, limit=500, continue_=cont)
            items.extend(page.get("items") or [])
            cont = (page.get("metadata") or {}).get("continue")
            if not cont:
                break
        self.resource_version = (page.get("metadata") or {}).get("resourceVersion", "")
        if self._strip:
            for o in items:
                (o.get("metadata") or {}).pop("managedFields", None)
        fresh = {object_key(o): o for o in items}
        old = self.store
        self.store = fresh
        for key, obj in old.items():
            if key not in fresh:
                self._fire(self._on_delete, obj)
        for key, obj in fresh.items():
            prev = old.get(key)
            if prev is None:
                self._fire(self._on_add, obj)
            elif (prev.get("metadata") or {}).get("resourceVersion") != (obj.get("metadata") or {}).get("resourceVersion"):
                self._fire(self._on_update, prev, obj)
        self.synced.set()

    async def run(self) -> None:
        need_list = True
        while True:
            try:
                if need_list:
                    await self._relist()
                    need_list = False
                async for ev in self.client.watch(self.resource, self.namespace, resource_version=self.resource_version,
                                                  label_selector=self.label_selector, field_selector=self.field_selector,
                                                  timeout_seconds=WATCH_TIMEOUT, shared=self._shared):
                    obj = ev.object
                    if ev.type == "ERROR":
                        if obj.get("code") == 410:
                            need_list = True
                            break
                        raise APIError(obj.get("code", 500), obj)
                    rv = (obj.get("metadata") or {}).get("resourceVersion")
                    if rv:
                        self.resource_version = rv
                    if ev.type == "BOOKMARK":
                        continue
                    if self._strip:
                        (obj.get("metadata") or {}).pop("managedFields", None)
                    key = object_key(obj)
                    if ev.type in ("ADDED", "MODIFIED"):
                        # Either can find the key present or absent after a relist; the store decides.
                        prev = self.store.get(key)
                        self.store[key] = obj
                        if prev is None:
                            self._fire(self._on_add, obj)
                        else:
                            self._fire(self._on_update, prev, obj)
                    elif ev.type == "DELETED":
                        prev = self.store.pop(key, None)
                        self._fire(self._on_delete, prev or obj)
            except asyncio.CancelledError:
                raise
            except APIError as e:
                if e.code == 410:
                    need_list = True
                    continue
                log.warning("informer %s: %s", self.resource.plural, e)
                need_list = True
                await asyncio.sleep(RETRY_DELAY)
            except Exception as e:
                log.warning("informer %s: %s", self.resource.plural, e)
                need_list = True
                await asyncio.sleep(RETRY_DELAY)
