"""The API server as one ASGI application: authentication, non-resource endpoints, discovery,
OpenAPI, and resource requests dispatched to the generic handlers."""

from __future__ import annotations

import logging
import platform
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from uwernetes import __version__
from uwernetes.apiserver import negotiation
from uwernetes.apiserver.discovery import AGGREGATED_V2, AGGREGATED_V2BETA1, Discovery
from uwernetes.apiserver.handlers import ResourceHandlers
from uwernetes.apiserver.http import Receive, Request, Response, Send, status_response, warning_header
from uwernetes.apiserver.registry import Registry
from uwernetes.apiserver.request_info import RequestInfo, parse
from uwernetes.apiserver.resources.base import ResourceType
from uwernetes.auth.tokens import ANONYMOUS, TokenAuthenticator, UserInfo
from uwernetes.machinery import errors

log = logging.getLogger(__name__)

KUBE_VERSION = "v1.30.0"
GIT_VERSION = f"{KUBE_VERSION}+uwernetes.{__version__}"

PUBLIC_PATHS = ("/version", "/healthz", "/livez", "/readyz")

NOT_FOUND = errors.StatusError(404, "NotFound", "the server could not find the requested resource", {})

SubresourceHandler = Callable[[Request, RequestInfo, Any, Send], Awaitable[Response | None]]


def version_info() -> dict[str, str]:
    return {
        "major": "1",
        "minor": "30",
        "gitVersion": GIT_VERSION,
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2024-04-17T00:00:00Z",
        "goVersion": f"python{platform.python_version()}",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


def _json(obj: Any, content_type: str = "application/json") -> Response:
    return Response(200, orjson.dumps(obj), content_type)


class APIServer:
    def __init__(
        self,
        registry: Registry,
        authenticator: TokenAuthenticator,
        *,
        openapi: Any = None,
        strict: Any = None,
        server_address: str = "127.0.0.1:6443",
        allow_anonymous_admin: bool = False,
    ) -> None:
        self.registry = registry
        self.authenticator = authenticator
        self.openapi = openapi
        self.discovery = Discovery(registry.resources, server_address)
        self.handlers = ResourceHandlers(registry, strict)
        # (group, plural, subresource) -> handler for subresources beyond status.
        self.subresources: dict[tuple[str, str, str], SubresourceHandler] = {}
        # (group, plural) -> handler for resources not kept in storage (componentstatuses).
        self.virtual_resources: dict[tuple[str, str], SubresourceHandler] = {}
        self.allow_anonymous_admin = allow_anonymous_admin
        # Set by reviews.install: RBAC for impersonation and the review endpoints; the token key.
        self.authorizer: Any = None
        self.service_account_key: Any = None
        self.ready = False
        self.on_startup: list[Callable[[], Awaitable[None]]] = []
        self.on_shutdown: list[Callable[[], Awaitable[None]]] = []

    def refresh_discovery(self) -> None:
        self.discovery = Discovery(self.registry.resources, self.discovery.server_address)

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        elif kind == "websocket":
            handler = getattr(self, "websocket_handler", None)
            if handler is None:
                await send({"type": "websocket.close", "code": 1003})
            else:
                await handler(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    for fn in self.on_startup:
                        await fn()
                    self.ready = True
                    await send({"type": "lifespan.startup.complete"})
                except Exception as e:
                    log.exception("startup failed")
                    await send({"type": "lifespan.startup.failed", "message": str(e)})
                    return
            elif message["type"] == "lifespan.shutdown":
                for fn in self.on_shutdown:
                    try:
                        await fn()
                    except Exception:
                        log.exception("shutdown hook failed")
                await send({"type": "lifespan.shutdown.complete"})
                return

    def authenticate(self, req: Request) -> bool:
        header = req.headers.get("authorization", "")
        if header[:7].lower() == "bearer ":
            user = self.authenticator.authenticate(header[7:].strip())
            if user is None:
                return False
        elif self.allow_anonymous_admin:
            user = UserInfo("admin", "", ("system:masters", "system:authenticated"))
        else:
            user = ANONYMOUS
        if any(k.startswith("impersonate-") for k in req.headers):
            user = self._impersonate(req, user)
        req.user, req.groups = user.name, user.groups
        req.scope["uwernetes.user"] = user  # uid and extra, for SelfSubjectReview
        return True

    def _impersonate(self, req: Request, user: UserInfo) -> UserInfo:
        """Act as the Impersonate-* headers ask, when the authorizer lets this user do so."""
        from uwernetes.auth import impersonation

        headers: dict[str, list[str]] = {}
        for k, v in req.scope.get("headers") or ():  # repeated headers stay separate values here
            key = k.decode("latin-1").lower()
            if key.startswith("impersonate-"):
                headers.setdefault(key, []).append(v.decode("latin-1"))
        requests = impersonation.requests_from_headers(headers)
        if not requests:
            return user
        if self.authorizer is None:
            raise errors.internal("impersonation needs an authorizer")
        return impersonation.impersonate(user, requests, self.authorizer.authorize)

    async def _http(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        req = Request.from_scope(scope, receive)
        try:
            if not self.authenticate(req):
                raise errors.unauthorized()
            if req.method in ("POST", "PUT", "PATCH", "DELETE"):
                await req.read_body(negotiation.MAX_BODY)
            response = await self.dispatch(req, send)
            if response is not None:
                await response.send(send)
        except errors.StatusError as e:
            await status_response(e).send(send)
        except OSError:
            pass
        except Exception as e:  # an unexpected failure must still answer in Kubernetes' form
            log.exception("%s %s failed", req.method, req.path)
            await status_response(errors.internal(str(e) or e.__class__.__name__)).send(send)

    def _public(self, path: str) -> bool:
        return any(path == p or path.startswith(p + "/") for p in PUBLIC_PATHS)

    async def dispatch(self, req: Request, send: Send) -> Response | None:
        path = req.path
        if self._public(path):
            return self._public_endpoint(req)
        if req.user == ANONYMOUS.name:
            raise errors.unauthorized()
        info = parse(req.method, path, req.q_bool("watch") if req.q("watch") is not None else False)
        if info.is_resource:
            return await self._resource(req, info, send)
        return self._non_resource(req, info)

    def _public_endpoint(self, req: Request) -> Response:
        path = req.path.rstrip("/")
        if path == "/version":
            return _json(version_info())
        if not self.ready and path.startswith("/readyz"):
            return Response(500, b"[-]informer-sync failed: not ready\nreadyz check failed\n", "text/plain; charset=utf-8")
        if req.q("verbose") is not None:
            name = path.strip("/")
            return Response(200, f"[+]ping ok\n[+]etcd ok\n{name} check passed\n".encode(), "text/plain; charset=utf-8")
        return Response(200, b"ok", "text/plain; charset=utf-8")

    def _non_resource(self, req: Request, info: RequestInfo) -> Response:
        if req.method not in ("GET", "HEAD"):
            raise errors.StatusError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {})
        path = req.path.rstrip("/") or "/"
        accept = req.headers.get("accept", "")
        if path == "/api":
            return self._aggregated_or(accept, True, self.discovery.api_versions)
        if path == "/apis":
            return self._aggregated_or(accept, False, self.discovery.api_group_list)
        if path == "/api/v1":
            return _json(self.discovery.resource_list("", "v1"))
        if path.startswith("/apis/"):
            parts = path.split("/")[2:]
            if len(parts) == 1:
                doc = self.discovery.api_group(parts[0])
                if doc is None:
                    raise NOT_FOUND
                return _json(doc)
            if len(parts) == 2:
                doc = self.discovery.resource_list(parts[0], parts[1])
                if doc is None:
                    raise NOT_FOUND
                return _json(doc)
        if path.startswith("/openapi/v3") and self.openapi is not None:
            return self._openapi(req, path)
        if path == "/openapi/v2" and self.openapi is not None:
            return self._openapi_v2(req)
        if path == "/":
            paths = ["/api", "/api/v1", "/apis", "/healthz", "/livez", "/readyz", "/openapi/v2", "/openapi/v3", "/version"]
            paths += [f"/apis/{g}" for g in self.discovery.groups()]
            paths += [f"/apis/{g}/{v}" for g in self.discovery.groups() for v in self.discovery.versions(g)]
            return _json({"paths": sorted(paths)})
        raise NOT_FOUND

    def _aggregated_or(self, accept: str, legacy: bool, plain: Callable[[], dict]) -> Response:
        for part in accept.split(","):
            media = part.replace(" ", "")
            if "as=APIGroupDiscoveryList" in media and "g=apidiscovery.k8s.io" in media:
                if "v=v2beta1" in media:
                    return _json(self.discovery.aggregated(legacy, "apidiscovery.k8s.io/v2beta1"), AGGREGATED_V2BETA1)
                if "v=v2" in media:
                    return _json(self.discovery.aggregated(legacy), AGGREGATED_V2)
            elif media.startswith("application/json") or media.startswith("*/*"):
                break
        return _json(plain())

    def _openapi(self, req: Request, path: str) -> Response:
        if path == "/openapi/v3":
            return _json(self.openapi.v3.index())
        gv = path[len("/openapi/v3/") :]
        found = self.openapi.v3.document(gv)
        if found is None:
            raise NOT_FOUND
        body, etag = found
        headers = [(b"etag", f'"{etag}"'.encode())]
        if req.q("hash"):
            headers.append((b"cache-control", b"public, immutable"))
            headers.append((b"expires", b"Thu, 31 Dec 2099 00:00:00 GMT"))
        resp = Response(200, body, "application/json", headers)
        return resp

    def _openapi_v2(self, req: Request) -> Response:
        from uwernetes.apiserver import openapi_v2

        accept = req.headers.get("accept") or ""
        if openapi_v2.PROTOBUF in accept or openapi_v2.PROTOBUF_LEGACY in accept:
            body, etag = self.openapi.v2.protobuf()
            content_type = openapi_v2.PROTOBUF_LEGACY
        else:
            body, etag = self.openapi.v2.json()
            content_type = "application/json"
        return Response(200, body, content_type, [(b"etag", f'"{etag}"'.encode()), (b"vary", b"Accept")])

    async def _resource(self, req: Request, info: RequestInfo, send: Send) -> Response | None:
        rt = self.registry.resource(info.group, info.version, info.resource)
        if rt is None:
            raise NOT_FOUND
        if rt.deprecation_warning is None:
            return await self._serve(req, info, rt, send)
        header = (b"warning", warning_header(rt.deprecation_warning))

        async def send_warned(message: dict) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), header]}
            await send(message)

        resp = await self._serve(req, info, rt, send_warned)
        if resp is not None:
            resp.headers.append(header)
        return resp

    async def _serve(self, req: Request, info: RequestInfo, rt: ResourceType, send: Send) -> Response | None:
        if rt.namespaced and not info.namespace and (info.name or info.verb in ("create", "deletecollection")):
            raise NOT_FOUND
        if not rt.namespaced and info.namespace and info.resource != "namespaces":
            raise NOT_FOUND
        virtual = self.virtual_resources.get((rt.group, rt.plural))
        if virtual is not None:
            return await virtual(req, info, rt, send)
        h = self.handlers
        sub = info.subresource
        if sub and sub != "status":
            handler = self.subresources.get((rt.group, rt.plural, sub))
            if handler is None or rt.subresource(sub) is None:
                raise NOT_FOUND
            return await handler(req, info, rt, send)
        if sub == "status" and rt.subresource("status") is None:
            raise NOT_FOUND
        verb = info.verb
        # No route exists for these method/path pairs upstream: go-restful answers 405.
        if (verb in ("update", "patch") and not info.name) or (verb == "create" and info.name and not sub):
            raise errors.StatusError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {})
        if verb not in rt.verbs and not (sub == "status" and verb in ("get", "update", "patch")):
            raise errors.StatusError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {})
        if verb == "get":
            return await h.get(req, info, rt)
        if verb == "list":
            return await h.list(req, info, rt)
        if verb == "watch":
            await h.watch(req, info, rt, send)
            return None
        if verb == "create":
            return await h.create(req, info, rt)
        if verb == "update":
            return await h.update(req, info, rt)
        if verb == "patch":
            return await h.patch(req, info, rt)
        if verb == "delete":
            return await h.delete(req, info, rt)
        if verb == "deletecollection":
            return await h.delete_collection(req, info, rt)
        raise errors.StatusError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {})
