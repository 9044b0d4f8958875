"""Serving core/v1 `bindings`: a create-only resource that is never stored under its own name.

Upstream's LegacyBindingREST hands the Binding to the pods/binding storage with the Binding's own
name, so `handle` checks what that path checks first (namespace, ValidatePodBinding, a name) and
then calls the registered pods/binding handler for the named pod. Other verbs answer 405, named
paths 404 (no route exists for them upstream). `install(app, registry)` registers it in
`app.virtual_resources` as componentstatuses_handler does.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from uwernetes.apiserver import negotiation
from uwernetes.apiserver.http import Request, Response, Send
from uwernetes.apiserver.request_info import RequestInfo
from uwernetes.apiserver.resources import bindings
from uwernetes.apiserver.resources.base import ResourceType
from uwernetes.machinery import errors, field

METHOD_NOT_ALLOWED = errors.StatusError(
    405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {}
)
NOT_FOUND = errors.StatusError(404, "NotFound", "the server could not find the requested resource", {})


def make_handler(app: Any, registry: Any):
    async def handle(req: Request, info: RequestInfo, rt: ResourceType, send: Send | None = None) -> Response | None:
        if info.name or info.subresource:
            raise NOT_FOUND
        if info.verb != "create":
            raise METHOD_NOT_ALLOWED
        pods = registry.resource("", "v1", "pods")
        bind = app.subresources.get(("", "pods", "binding"))
        if pods is None or bind is None:
            raise NOT_FOUND
        body = negotiation.decode_object(req.body, req.headers.get("content-type"))
        if not isinstance(body, dict):
            raise errors.bad_request("Binding must be an object")
        md = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
        if md.get("namespace") and md["namespace"] != info.namespace:
            raise errors.bad_request("the namespace of the provided object does not match the namespace sent on the request")
        errs = bindings.validate_pod_binding(body)
        if errs:
            # Upstream returns a plain aggregate here, which the handler turns into a bare 500.
            raise errors.StatusError(500, "", field.aggregate(errs))
        if not md.get("name"):
            raise errors.bad_request("Name parameter required.")
        pod_info = dataclasses.replace(info, resource="pods", name=md["name"], subresource="binding")
        return await bind(req, pod_info, pods, send)

    return handle


def install(app: Any, registry: Any) -> None:
    """Register the bindings handler when the registry serves that resource."""
    if registry.resource("", "v1", "bindings") is None:
        return
    app.virtual_resources[("", "bindings")] = make_handler(app, registry)
