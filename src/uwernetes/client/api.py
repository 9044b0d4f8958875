"""An async Kubernetes client over either transport: typed by resource, objects as dicts.

Errors come back as `APIError` carrying the server's metav1.Status.
"""

from __future__ import annotations

import collections
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson

from uwernetes.apiserver.http import OMIT_MANAGED_FIELDS
from uwernetes.client.transport import StreamError, Transport

PATCH_TYPES = {
    "json": "application/json-patch+json",
    "merge": "application/merge-patch+json",
    "strategic": "application/strategic-merge-patch+json",
    "apply": "application/apply-patch+yaml",
}


class SharedDecoder:
    """Decodes a watch line once for all the in-process watchers that receive it.

    Components running in one process (scheduler, node agents, controller manager) each keep an
    informer over the same pods; decoded separately, every pod would be held once per component,
    and a decoded pod costs seven times its JSON. The API server writes the same bytes for one
    event to every watcher, so the last few thousand lines are remembered with their decoded
    event, and every informer stores the same object. Shared objects are read-only by contract
    (as client-go's informer caches are), and carry no managedFields (informers drop them).
    """

    def __init__(self, window: int = 8192, max_bytes: int = 32 << 20) -> None:
        self.window = window
        # The remembered lines are kept as keys; big objects must not make that gigabytes.
        self.max_bytes = max_bytes
        self._bytes = 0
        self._recent: collections.OrderedDict[bytes, dict[str, Any]] = collections.OrderedDict()

    def decode(self, line: bytes) -> dict[str, Any]:
        hit = self._recent.get(line)
        if hit is not None:
            return hit
        ev = orjson.loads(line)
        obj = ev.get("object")
        meta = obj.get("metadata") if isinstance(obj, dict) else None
        if isinstance(meta, dict):
            meta.pop("managedFields", None)
        if isinstance(obj, dict):
            _intern_values(obj)
        self._recent[line] = ev
        self._bytes += len(line)
        while len(self._recent) > 1 and (len(self._recent) > self.window or self._bytes > self.max_bytes):
            old, _ = self._recent.popitem(last=False)
            self._bytes -= len(old)
        return ev


_intern = sys.intern


def _intern_values(node: dict[str, Any]) -> None:
    """Make equal short strings one object: thousands of cached pods repeat the same images,
    phases, condition types, node names and timestamps (keys are shared by orjson already)."""
    for key, value in node.items():
        if type(value) is str:
            if len(value) <= 64:
                node[key] = _intern(value)
        elif type(value) is dict:
            _intern_values(value)
        elif type(value) is list:
            for i, item in enumerate(value):
                if type(item) is str:
                    if len(item) <= 64:
                        value[i] = _intern(item)
                elif type(item) is dict:
                    _intern_values(item)


SHARED_DECODER = SharedDecoder()


@dataclass(frozen=True)
class Resource:
    group: str
    version: str
    plural: str
    namespaced: bool
    kind: str = ""

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str | None = None, name: str | None = None, subresource: str | None = None) -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{namespace}"
        base += f"/{self.plural}"
        if name:
            base += f"/{name}"
            if subresource:
                base += f"/{subresource}"
        return base


PODS = Resource("", "v1", "pods", True, "Pod")
NODES = Resource("", "v1", "nodes", False, "Node")
NAMESPACES = Resource("", "v1", "namespaces", False, "Namespace")
SERVICES = Resource("", "v1", "services", True, "Service")
CONFIGMAPS = Resource("", "v1", "configmaps", True, "ConfigMap")
SECRETS = Resource("", "v1", "secrets", True, "Secret")
EVENTS = Resource("", "v1", "events", True, "Event")
SERVICEACCOUNTS = Resource("", "v1", "serviceaccounts", True, "ServiceAccount")
LEASES = Resource("coordination.k8s.io", "v1", "leases", True, "Lease")
DEPLOYMENTS = Resource("apps", "v1", "deployments", True, "Deployment")
REPLICASETS = Resource("apps", "v1", "replicasets", True, "ReplicaSet")
JOBS = Resource("batch", "v1", "jobs", True, "Job")
PRIORITY_CLASSES = Resource("scheduling.k8s.io", "v1", "priorityclasses", False, "PriorityClass")


class APIError(Exception):
    def __init__(self, code: int, status: dict[str, Any]) -> None:
        self.code = code
        self.status = status
        self.reason = status.get("reason", "")
        super().__init__(f"{code} {self.reason}: {status.get('message', '')}")

    @property
    def not_found(self) -> bool:
        return self.code == 404

    @property
    def conflict(self) -> bool:
        return self.code == 409


def _error(code: int, body: bytes) -> APIError:
    try:
        status = orjson.loads(body)
        if not isinstance(status, dict):
            raise ValueError
    except ValueError:
        status = {"message": body.decode("utf-8", "replace"), "code": code}
    return APIError(code, status)


@dataclass(slots=True)
class WatchEvent:
    type: str
    object: dict[str, Any]


class Client:
    def __init__(self, transport: Transport, field_manager: str = "") -> None:
        self.transport = transport
        self.field_manager = field_manager

    async def _call(self, method: str, path: str, query: dict | None = None, body: Any = None,
                    content_type: str = "application/json") -> dict[str, Any]:
        data = None
        headers = None
        if body is not None:
            data = body if isinstance(body, bytes) else orjson.dumps(body)
            headers = {"content-type": content_type}
        resp = await self.transport.request(method, path, query, data, headers)
        if resp.status >= 400:
            raise _error(resp.status, resp.body)
        return orjson.loads(resp.body) if resp.body else {}

    def _fm(self, query: dict, field_manager: str | None) -> dict:
        fm = field_manager or self.field_manager
        if fm:
            query["fieldManager"] = fm
        return query

    async def get(self, res: Resource, name: str, namespace: str | None = None, subresource: str | None = None) -> dict:
        return await self._call("GET", res.path(namespace, name, subresource))

    async def list(self, res: Resource, namespace: str | None = None, *, label_selector: str | None = None,
                   field_selector: str | None = None, limit: int | None = None, continue_: str | None = None,
                   resource_version: str | None = None) -> dict:
        query = {"labelSelector": label_selector, "fieldSelector": field_selector, "limit": limit,
                 "continue": continue_, "resourceVersion": resource_version}
        return await self._call("GET", res.path(namespace), query)

    async def create(self, res: Resource, obj: dict, namespace: str | None = None, *, subresource: str | None = None,
                     name: str | None = None, field_manager: str | None = None, dry_run: bool = False) -> dict:
        namespace = namespace or (obj.get("metadata") or {}).get("namespace")
        query = self._fm({}, field_manager)
        if dry_run:
            query["dryRun"] = "All"
        path = res.path(namespace, name, subresource) if subresource else res.path(namespace)
        return await self._call("POST", path, query, obj)

    async def update(self, res: Resource, obj: dict, namespace: str | None = None, *, subresource: str | None = None,
                     field_manager: str | None = None) -> dict:
        m = obj.get("metadata") or {}
        namespace = namespace or m.get("namespace")
        return await self._call("PUT", res.path(namespace, m["name"], subresource), self._fm({}, field_manager), obj)

    async def update_status(self, res: Resource, obj: dict, field_manager: str | None = None) -> dict:
        return await self.update(res, obj, subresource="status", field_manager=field_manager)

    async def patch(self, res: Resource, name: str, patch: Any, namespace: str | None = None, *,
                    patch_type: str = "merge", subresource: str | None = None, field_manager: str | None = None,
                    force: bool | None = None) -> dict:
        query = self._fm({}, field_manager)
        if force is not None:
            query["force"] = force
        return await self._call("PATCH", res.path(namespace, name, subresource), query, patch, PATCH_TYPES[patch_type])

    async def delete(self, res: Resource, name: str, namespace: str | None = None, *,
                     grace_period_seconds: int | None = None, propagation_policy: str | None = None,
                     preconditions: dict | None = None) -> dict:
        body: dict[str, Any] = {}
        if grace_period_seconds is not None:
            body["gracePeriodSeconds"] = grace_period_seconds
        if propagation_policy:
            body["propagationPolicy"] = propagation_policy
        if preconditions:
            body["preconditions"] = preconditions
        return await self._call("DELETE", res.path(namespace, name), None, body or None)

    async def delete_collection(self, res: Resource, namespace: str | None = None, *,
                                label_selector: str | None = None) -> dict:
        return await self._call("DELETE", res.path(namespace), {"labelSelector": label_selector})

    async def watch(self, res: Resource, namespace: str | None = None, *, resource_version: str | None = None,
                    label_selector: str | None = None, field_selector: str | None = None,
                    timeout_seconds: int | None = None, allow_bookmarks: bool = True,
                    shared: bool = False) -> AsyncIterator[WatchEvent]:
        """Watch events. With `shared`, objects are decoded once per process for every shared
        watcher that receives the same event (see SharedDecoder): read-only, managedFields gone."""
        query = {"watch": "true", "resourceVersion": resource_version, "labelSelector": label_selector,
                 "fieldSelector": field_selector, "timeoutSeconds": timeout_seconds,
                 "allowWatchBookmarks": "true" if allow_bookmarks else None}
        buf = b""
        # Shared objects lose managedFields anyway: an in-process server leaves them out of the lines.
        extensions = {OMIT_MANAGED_FIELDS: True} if shared else None
        try:
            async for chunk in self.transport.stream("GET", res.path(namespace), query, extensions=extensions):
                buf += chunk
                while True:
                    nl = buf.find(b"\n")
                    if nl < 0:
                        break
                    # Lines keep their newline, so a whole-line chunk (the usual case) is the very
                    # bytes object the server wrote, shared with its other in-process watchers.
                    if nl == len(buf) - 1:
                        line, buf = buf, b""
                    else:
                        line, buf = buf[: nl + 1], buf[nl + 1 :]
                    if line and not line.isspace():
                        ev = SHARED_DECODER.decode(line) if shared else orjson.loads(line)
                        yield WatchEvent(ev["type"], ev["object"])
        except StreamError as e:
            raise _error(e.status, e.body) from None

    async def raw(self, method: str, path: str, query: dict | None = None) -> bytes:
        resp = await self.transport.request(method, path, query)
        if resp.status >= 400:
            raise _error(resp.status, resp.body)
        return resp.body

    async def close(self) -> None:
        await self.transport.close()
