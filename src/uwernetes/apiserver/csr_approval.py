"""The certificatesigningrequests/approval subresource (upstream's ApprovalREST).

GET returns the request; PUT and PATCH go through the generic update path with the subresource
name set, where the CSR strategy lets only the conditions change and validates them with the
approval rules. `kubectl certificate approve|deny` PUTs here.
"""

from __future__ import annotations

from typing import Any

import orjson

from uwernetes.apiserver.http import Request, Response
from uwernetes.apiserver.registry import Registry
from uwernetes.apiserver.request_info import RequestInfo
from uwernetes.apiserver.resources.base import ResourceType
from uwernetes.machinery import errors

GROUP, PLURAL, SUBRESOURCE = "certificates.k8s.io", "certificatesigningrequests", "approval"


def install(app: Any, registry: Registry) -> None:
    """Route /approval to the generic update and patch handlers, when CSRs are served."""
    if not any(rt.group == GROUP and rt.plural == PLURAL for rt in registry.resources):
        return

    async def approval(req: Request, info: RequestInfo, rt: ResourceType, send: Any) -> Response:
        if info.verb == "get":
            obj = await registry.get(rt, None, info.name)
            return Response(200, orjson.dumps(obj))
        if info.verb == "update":
            return await app.handlers.update(req, info, rt)
        if info.verb == "patch":
            return await app.handlers.patch(req, info, rt)
        raise errors.StatusError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {})

    app.subresources[(GROUP, PLURAL, SUBRESOURCE)] = approval
