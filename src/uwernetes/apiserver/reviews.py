"""Serving the review kinds and serviceaccounts/token, and the server's authorizer and token
authenticators behind them.

- authentication.k8s.io/v1 `selfsubjectreviews` (who am I) and `tokenreviews` (is this token good),
- authorization.k8s.io/v1 `selfsubjectaccessreviews`, `subjectaccessreviews`,
  `localsubjectaccessreviews`, `selfsubjectrulesreviews`,
- `serviceaccounts/token` (TokenRequest), answered with a JWT the bearer authenticator accepts.

Nothing is stored; each is upstream v1.30's create-only REST (`pkg/registry/authorization/*`,
`pkg/registry/authentication/*`, `pkg/registry/core/serviceaccount/storage/token.go`).
Decisions come from `ServerAuthorizer`: system:masters first (upstream's privileged-group
authorizer, which gives no reason), then RBAC over the stored roles and bindings. It reads the
watch caches synchronously, because authentication (impersonation, token checks) is synchronous
on the request path, as upstream's informer-backed listers are.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from uwernetes.apiserver import negotiation
from uwernetes.apiserver.http import Request, Response, Send
from uwernetes.apiserver.request_info import RequestInfo
from uwernetes.apiserver.resources import authreviews
from uwernetes.apiserver.resources.base import ResourceType
from uwernetes.auth import rbac, sa_tokens, tokens
from uwernetes.auth.tokens import UserInfo
from uwernetes.machinery import errors

PRIVILEGED_GROUP = "system:masters"
USER_SCOPE_KEY = "uwernetes.user"
API_AUDIENCES = (sa_tokens.ISSUER,)

METHOD_NOT_ALLOWED = errors.StatusError(
    405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {}
)


# ---- synchronous reads from the watch caches ----


class CachedReader:
    """Objects as the API server's watch caches hold them, decoded once per stored revision."""

    def __init__(self, registry: Any) -> None:
        self.registry = registry
        self._decoded: dict[str, tuple[int, dict]] = {}

    def _cache(self, group: str, plural: str) -> tuple[Any, ResourceType | None]:
        rt = next((r for r in self.registry.resources if r.group == group and r.plural == plural), None)
        if rt is None:
            return None, None
        # Registry.start() made a cache per served resource; the allocators read them the same way.
        return self.registry._caches.get(rt.storage_prefix), rt

    def _obj(self, entry: Any) -> dict:
        hit = self._decoded.get(entry.key)
        if hit is not None and hit[0] == entry.rev:
            return hit[1]
        obj = entry.obj
        self._decoded[entry.key] = (entry.rev, obj)
        return obj

    def get(self, group: str, plural: str, namespace: str, name: str) -> dict | None:
        cache, rt = self._cache(group, plural)
        if cache is None or rt is None:
            return None
        entry = cache.get(rt.key(namespace or None, name))
        return self._obj(entry) if entry is not None else None

    def list(self, group: str, plural: str) -> list[dict]:
        cache, _ = self._cache(group, plural)
        if cache is None:
            return []
        entries = list(cache.objects.values())
        live = {e.key for e in entries}
        for key in [k for k in self._decoded if k.startswith(cache.prefix) and k not in live]:
            del self._decoded[key]
        return [self._obj(e) for e in entries]


# ---- the authorizer ----


class ServerAuthorizer:
    """The union upstream builds: privileged groups, then RBAC."""

    def __init__(self, reader: CachedReader) -> None:
        self.reader = reader

    def _policy(self) -> tuple[list[dict], list[dict], list[dict], list[dict]]:
        g = "rbac.authorization.k8s.io"
        r = self.reader
        return r.list(g, "roles"), r.list(g, "clusterroles"), r.list(g, "rolebindings"), r.list(g, "clusterrolebindings")

    def authorize(self, user: UserInfo, attrs: rbac.Attributes) -> tuple[str, str]:
        if PRIVILEGED_GROUP in user.groups:
            return rbac.ALLOW, ""
        return rbac.authorize(user.name, user.groups, attrs, *self._policy())

    def rules_for(self, user: UserInfo, namespace: str) -> tuple[list[dict], list[dict], str]:
        return rbac.rules_for(user.name, user.groups, namespace, *self._policy())


def request_user(req: Request) -> UserInfo:
    """The authenticated (or impersonated) user of a request, with uid and extra when known."""
    user = req.scope.get(USER_SCOPE_KEY)
    if isinstance(user, UserInfo):
        return user
    return UserInfo(req.user, "", tuple(req.groups))


# ---- request plumbing ----


def _decode(req: Request, kind: str, api_version: str) -> dict:
    data = negotiation.decode_object(req.body, req.headers.get("content-type"))
    if not isinstance(data, dict):
        raise errors.bad_request(f"the object provided is unrecognized (must be of type {kind})")
    av, k = data.get("apiVersion") or api_version, data.get("kind") or kind
    if k != kind or av != api_version:
        version = av.rpartition("/")[2]
        raise errors.bad_request(f'{k} in version "{version}" cannot be handled as a {kind}: '
                                 f"converting ({version}.{k}) to ({api_version.partition('/')[0]}.{kind}): unknown conversion")
    data["apiVersion"], data["kind"] = api_version, kind
    return data


def _respond(req: Request, obj: dict, code: int = 201) -> Response:
    accept = negotiation.parse_accept(req.headers.get("accept"))
    ordered = {"kind": obj["kind"], "apiVersion": obj["apiVersion"], **{k: v for k, v in obj.items()
                                                                          if k not in ("kind", "apiVersion")}}
    return Response(code, negotiation.encode(ordered, accept.media), accept.media)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _user_info(user: UserInfo) -> dict[str, Any]:
    out: dict[str, Any] = {"username": user.name}
    if user.uid:
        out["uid"] = user.uid
    if user.groups:
        out["groups"] = list(user.groups)
    if user.extra:
        out["extra"] = {k: list(v) for k, v in user.extra.items()}
    return out


def _meta(obj: dict) -> dict:
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        meta = {}
    meta.setdefault("creationTimestamp", None)
    obj["metadata"] = meta
    return meta


def resource_attributes(spec: dict) -> rbac.Attributes:
    """ResourceAttributesFrom / NonResourceAttributesFrom."""
    res = spec.get("resourceAttributes")
    if res is not None:
        return rbac.Attributes(verb=res.get("verb") or "", namespace=res.get("namespace") or "",
                               api_group=res.get("group") or "", api_version=res.get("version") or "*",
                               resource=res.get("resource") or "", subresource=res.get("subresource") or "",
                               name=res.get("name") or "")
    non = spec.get("nonResourceAttributes") or {}
    return rbac.Attributes(verb=non.get("verb") or "", path=non.get("path") or "", resource_request=False)


def access_status(decision: str, reason: str) -> dict[str, Any]:
    status: dict[str, Any] = {"allowed": decision == rbac.ALLOW}
    if reason:
        status["reason"] = reason
    return status


# ---- the handlers ----


class Reviews:
    def __init__(self, authorizer: ServerAuthorizer, authenticator: Any, registry: Any,
                 issuer: sa_tokens.TokenIssuer) -> None:
        self.authorizer = authorizer
        self.authenticator = authenticator
        self.registry = registry
        self.issuer = issuer

    async def handle(self, req: Request, info: RequestInfo, rt: ResourceType, send: Send | None = None) -> Response:
        if info.verb != "create" or info.subresource:
            raise METHOD_NOT_ALLOWED
        obj = _decode(req, rt.kind, rt.api_version)
        handler = getattr(self, "_" + rt.plural)
        return _respond(req, handler(req, info, obj))

    def _selfsubjectreviews(self, req: Request, info: RequestInfo, obj: dict) -> dict:
        return {"kind": obj["kind"], "apiVersion": obj["apiVersion"], "metadata": {"creationTimestamp": _now()},
                "status": {"userInfo": _user_info(request_user(req))}}

    def _tokenreviews(self, req: Request, info: RequestInfo, obj: dict) -> dict:
        spec = obj.get("spec") or {}
        if not spec.get("token"):
            raise errors.bad_request("token is required for TokenReview in authentication")
        _meta(obj)
        wanted = list(spec.get("audiences") or API_AUDIENCES)
        result = self.authenticator.authenticate_token(spec["token"], wanted)
        # status.user is a struct, not a pointer, upstream: an unauthenticated review shows `user: {}`.
        status: dict[str, Any] = {"authenticated": result.user is not None, "user": {}}
        if result.user is not None:
            if not tokens.intersect(wanted, result.audiences):
                raise errors.internal("error validating audiences")
            status["user"] = _user_info(result.user)
            status["audiences"] = list(result.audiences)
        elif result.error:
            status["error"] = result.error
        obj["status"] = status
        return obj

    def _validated(self, obj: dict, errs: list) -> None:
        if errs:
            raise errors.invalid(obj["kind"], "", errs, obj["apiVersion"].partition("/")[0])

    def _selfsubjectaccessreviews(self, req: Request, info: RequestInfo, obj: dict) -> dict:
        self._validated(obj, authreviews.validate_self_subject_access_review(obj))
        _meta(obj)
        obj["status"] = access_status(*self.authorizer.authorize(request_user(req), resource_attributes(obj["spec"])))
        return obj

    def _subjectaccessreviews(self, req: Request, info: RequestInfo, obj: dict) -> dict:
        self._validated(obj, authreviews.validate_subject_access_review(obj))
        _meta(obj)
        obj["status"] = access_status(*self.authorizer.authorize(_spec_user(obj["spec"]), resource_attributes(obj["spec"])))
        return obj

    def _localsubjectaccessreviews(self, req: Request, info: RequestInfo, obj: dict) -> dict:
        meta = _meta(obj)
        if meta.get("namespace") and meta["namespace"] != info.namespace:
            raise errors.bad_request("the namespace of the provided object does not match the namespace sent on the request")
        meta["namespace"] = info.namespace
        self._validated(obj, authreviews.validate_local_subject_access_review(obj))
        obj["status"] = access_status(*self.authorizer.authorize(_spec_user(obj["spec"]), resource_attributes(obj["spec"])))
        return obj

    def _selfsubjectrulesreviews(self, req: Request, info: RequestInfo, obj: dict) -> dict:
        namespace = (obj.get("spec") or {}).get("namespace") or ""
        if not namespace:
            raise errors.bad_request("no namespace on request")
        resource_rules, url_rules, err = self.authorizer.rules_for(request_user(req), namespace)
        status: dict[str, Any] = {"resourceRules": resource_rules, "nonResourceRules": url_rules, "incomplete": False}
        if err:
            status["evaluationError"] = err
        return {"kind": obj["kind"], "apiVersion": obj["apiVersion"], "metadata": {"creationTimestamp": None},
                "spec": {}, "status": status}

    # ---- serviceaccounts/token ----

    async def token(self, req: Request, info: RequestInfo, rt: ResourceType, send: Send | None = None) -> Response:
        if info.verb != "create" or not info.name:
            raise METHOD_NOT_ALLOWED
        tr = _decode(req, "TokenRequest", "authentication.k8s.io/v1")
        return _respond(req, await self.token_request(tr, info.namespace, info.name))

    async def token_request(self, tr: dict, namespace: str, name: str, now: float | None = None) -> dict:
        """TokenREST.Create: the TokenRequest with status.token and status.expirationTimestamp."""
        gk = ("TokenRequest", "authentication.k8s.io")
        meta = _meta(tr)
        from uwernetes.machinery import field

        if meta.get("name") and meta["name"] != name:
            bad = field.invalid("metadata.name", meta["name"], "must match the service account name if specified")
            raise errors.invalid(gk[0], name, [bad], gk[1])
        if meta.get("namespace") and meta["namespace"] != namespace:
            bad = field.invalid("metadata.namespace", meta["namespace"], "must match the service account namespace if specified")
            raise errors.invalid(gk[0], name, [bad], gk[1])
        sa = await self._get("", "serviceaccounts", namespace, name)
        authreviews.default_token_request(tr)
        spec = tr["spec"]
        if not spec.get("audiences"):
            spec["audiences"] = list(API_AUDIENCES)
        meta["name"], meta["namespace"] = name, namespace
        issued = int(now if now is not None else time.time())
        meta["creationTimestamp"] = _rfc3339(issued)
        tr.pop("status", None)
        self._validated(tr, authreviews.validate_token_request(tr))
        pod = secret = node = None
        ref = spec.get("boundObjectRef")
        if ref:
            pod, secret, node = await self._bound_objects(ref, namespace, name)
        exp = int(spec["expirationSeconds"])
        warn_after = 0
        if (pod is not None and exp == sa_tokens.WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS
                and all(a in API_AUDIENCES for a in spec["audiences"])):
            warn_after, exp = exp, sa_tokens.EXPIRATION_EXTENSION_SECONDS
        claims = sa_tokens.make_claims(sa, spec["audiences"], exp, issued, pod=pod, secret=secret, node=node,
                                       warn_after=warn_after)
        tr["status"] = {"token": self.issuer.generate(claims),
                        "expirationTimestamp": _rfc3339(issued + int(spec["expirationSeconds"]))}
        return tr

    async def _get(self, group: str, plural: str, namespace: str | None, name: str) -> dict:
        rt = next((r for r in self.registry.resources if r.group == group and r.plural == plural), None)
        if rt is None:
            raise errors.not_found(plural, name, group)
        return await self.registry.get(rt, namespace, name)

    async def _bound_objects(self, ref: dict, namespace: str, name: str) -> tuple[Any, Any, Any]:
        api_version, kind, ref_name = ref.get("apiVersion") or "", ref.get("kind") or "", ref.get("name") or ""
        group = api_version.rpartition("/")[0] if "/" in api_version else ""
        pod = secret = node = None
        if group == "" and kind == "Pod":
            pod = await self._get("", "pods", namespace, ref_name)
            if name != ((pod.get("spec") or {}).get("serviceAccountName") or "default"):
                raise errors.bad_request(f'cannot bind token for serviceaccount "{name}" to pod running with '
                                         "different serviceaccount name.")
            obj = pod
            node_name = (pod.get("spec") or {}).get("nodeName")
            if node_name:
                try:
                    node = await self._get("", "nodes", None, node_name)
                except errors.StatusError:
                    node = None  # consider it unbound, as upstream does
        elif group == "" and kind == "Secret":
            secret = obj = await self._get("", "secrets", namespace, ref_name)
        elif group == "" and kind == "Node":
            raise errors.bad_request('cannot bind token to a Node object as the "ServiceAccountTokenNodeBinding" '
                                     "feature-gate is disabled")
        else:
            gvk = f"{api_version}, Kind={kind}" if "/" in api_version else f"/{api_version}, Kind={kind}"
            raise errors.bad_request(f'cannot bind token for serviceaccount "{name}" to object of type "{gvk}"')
        uid = (obj.get("metadata") or {}).get("uid") or ""
        if ref.get("uid") and ref["uid"] != uid:
            raise errors.conflict(kind, ref_name, f"the UID in the bound object reference ({ref['uid']}) does not "
                                  "match the UID in record. The object might have been deleted and then recreated")
        return pod, secret, node


def _rfc3339(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _spec_user(spec: dict) -> UserInfo:
    """AuthorizationAttributesFrom: the user a SubjectAccessReview asks about."""
    extra = {k: tuple(v or ()) for k, v in (spec.get("extra") or {}).items()}
    return UserInfo(spec.get("user") or "", spec.get("uid") or "", tuple(spec.get("groups") or ()), extra)


# ---- wiring ----


def service_account_authenticator(reader: CachedReader, key: Any) -> sa_tokens.ServiceAccountTokenAuthenticator:
    getters = sa_tokens.ObjectGetters(
        service_account=lambda ns, n: reader.get("", "serviceaccounts", ns, n),
        pod=lambda ns, n: reader.get("", "pods", ns, n),
        secret=lambda ns, n: reader.get("", "secrets", ns, n),
    )
    return sa_tokens.ServiceAccountTokenAuthenticator(key.public_key(), getters, api_audiences=API_AUDIENCES)


def install(app: Any, registry: Any) -> None:
    """Serve the reviews and serviceaccounts/token; give the app its authorizer (impersonation) and
    a token authenticator that also accepts service account tokens."""
    reader = CachedReader(registry)
    authorizer = ServerAuthorizer(reader)
    app.authorizer = authorizer
    key = getattr(app, "service_account_key", None)
    if key is None:  # servers built without a data dir sign with a key that lives as long as they do
        from cryptography.hazmat.primitives.asymmetric import ec

        key = ec.generate_private_key(ec.SECP256R1())
        app.service_account_key = key
    static = app.authenticator
    if isinstance(static, tokens.TokenAuthenticator):
        static.api_audiences = API_AUDIENCES
    authenticator = tokens.UnionAuthenticator([static, service_account_authenticator(reader, key)])
    app.authenticator = authenticator
    reviews = Reviews(authorizer, authenticator, registry, sa_tokens.TokenIssuer(key))
    for rt in authreviews.RESOURCES:
        if registry.resource(rt.group, rt.version, rt.plural) is not None:
            app.virtual_resources[(rt.group, rt.plural)] = reviews.handle
    sa = registry.resource("", "v1", "serviceaccounts")
    if sa is not None and sa.subresource("token") is not None:
        app.subresources[("", "serviceaccounts", "token")] = reviews.token
