"""Serving componentstatuses, a read-only kind computed per request instead of stored.

Upstream's componentstatus REST storage implements only Get and List (no watch) over live health
probes. `handle` answers both, with Table and PartialObjectMetadata output like the generic
handlers, label and field selectors on LIST, 404 for an unknown component, and 405 for any other
verb. `install(app, registry)` registers it in `app.virtual_resources`, a
`(group, plural) -> handler` map the dispatcher consults before the generic handlers.
"""

from __future__ import annotations

from typing import Any

import orjson

from uwernetes.apiserver import negotiation, tables
from uwernetes.apiserver.http import Request, Response, Send
from uwernetes.apiserver.request_info import RequestInfo
from uwernetes.apiserver.resources import componentstatuses
from uwernetes.apiserver.resources.base import Obj, ResourceType
from uwernetes.machinery import errors
from uwernetes.machinery.selectors import parse_field_selector, parse_label_selector

METHOD_NOT_ALLOWED = errors.StatusError(
    405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {}
)


def _table_response(rt: ResourceType, objs: list[Obj], req: Request, version: str) -> Response:
    body = tables.table(rt, objs, req.q("includeObject") or "Metadata", version, {})
    return Response(200, orjson.dumps(body), "application/json;as=Table;v=" + version.split("/")[1] + ";g=meta.k8s.io")


def _select(objs: list[Obj], req: Request) -> list[Obj]:
    try:
        labels = parse_label_selector(req.q("labelSelector"))
        fields = parse_field_selector(req.q("fieldSelector"))
    except ValueError as e:
        raise errors.bad_request(str(e)) from None
    out = []
    for obj in objs:
        m = obj.get("metadata") or {}
        get = {"metadata.name": m.get("name", ""), "metadata.namespace": ""}.get
        if labels.matches(m.get("labels") or {}) and fields.matches(get):
            out.append(obj)
    return out


async def handle(req: Request, info: RequestInfo, rt: ResourceType, send: Send | None = None) -> Response:
    if info.subresource or info.verb not in ("get", "list"):
        raise METHOD_NOT_ALLOWED
    accept = negotiation.parse_accept(req.headers.get("accept"))
    statuses = componentstatuses.component_statuses()
    if info.verb == "get":
        found = [s for s in statuses if s["metadata"]["name"] == info.name]
        if not found:
            raise errors.not_found(rt.plural, info.name, rt.group)
        if accept.table:
            return _table_response(rt, found, req, accept.table)
        if accept.partial:
            body: dict[str, Any] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": found[0]["metadata"]}
            return Response(200, orjson.dumps(body))
        return Response(200, negotiation.encode(found[0], accept.media), accept.media)
    items = _select(statuses, req)
    if accept.table:
        return _table_response(rt, items, req, accept.table)
    if accept.partial:
        body = {
            "kind": "PartialObjectMetadataList",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": {},
            "items": [{"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": o["metadata"]} for o in items],
        }
        return Response(200, orjson.dumps(body))
    # Built-in lists carry no kind/apiVersion on their items.
    plain = [{k: v for k, v in o.items() if k not in ("kind", "apiVersion")} for o in items]
    body = {"kind": "ComponentStatusList", "apiVersion": "v1", "metadata": {}, "items": plain}
    return Response(200, negotiation.encode(body, accept.media), accept.media)


def install(app: Any, registry: Any) -> None:
    """Register `handle` for componentstatuses when the registry serves that resource."""
    if registry.resource("", "v1", "componentstatuses") is None:
        return
    virtual = getattr(app, "virtual_resources", None)
    if virtual is None:
        virtual = {}
        app.virtual_resources = virtual
    virtual[("", "componentstatuses")] = handle
