"""User impersonation (`kubectl --as`, `--as-group`, `--as-uid`): upstream v1.30
`staging/src/k8s.io/apiserver/pkg/endpoints/filters/impersonation.go`.

`requests_from_headers` turns the Impersonate-* headers into what must each be authorized (verb
"impersonate" on users, groups, serviceaccounts, userextras/<key>, uids); `impersonate` checks each
with the given authorizer and builds the user the request then runs as. Failures raise StatusError:
403 worded as `responsewriters.Forbidden` words it, or 500 for malformed combinations.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import unquote

from uwernetes.auth import sa_tokens
from uwernetes.auth.rbac import ALLOW, Attributes
from uwernetes.auth.tokens import AUTHENTICATED, UserInfo
from uwernetes.machinery import errors

USER_HEADER = "impersonate-user"
GROUP_HEADER = "impersonate-group"
UID_HEADER = "impersonate-uid"
EXTRA_PREFIX = "impersonate-extra-"
AUTHENTICATION_GROUP = "authentication.k8s.io"
ANONYMOUS = "system:anonymous"
UNAUTHENTICATED = "system:unauthenticated"


@dataclass(frozen=True)
class Request:
    """One thing to impersonate (upstream abuses ObjectReference for it)."""

    kind: str  # ServiceAccount, User, Group, UserExtra, UID
    name: str
    namespace: str = ""
    extra_key: str = ""


def _values(headers: Mapping[str, str | list[str]], name: str) -> list[str]:
    v = headers.get(name)
    if v is None:
        return []
    return list(v) if isinstance(v, list) else [v]


def requests_from_headers(headers: Mapping[str, str | list[str]]) -> list[Request]:
    """buildImpersonationRequests; headers keyed in lower case, each value a string or list of strings."""
    out: list[Request] = []
    users = _values(headers, USER_HEADER)
    user = users[0] if users else ""
    if user:
        sa = sa_tokens.split_username(user)
        out.append(Request("ServiceAccount", sa[1], sa[0]) if sa else Request("User", user))
    groups = _values(headers, GROUP_HEADER)
    out += [Request("Group", g) for g in groups]
    extras = False
    for header in sorted(headers):
        if header.startswith(EXTRA_PREFIX):
            extras = True
            key = unquote(header[len(EXTRA_PREFIX):].lower())
            out += [Request("UserExtra", v, extra_key=key) for v in _values(headers, header)]
    uids = _values(headers, UID_HEADER)
    uid = uids[0] if uids else ""
    if uid:
        out.append(Request("UID", uid))
    if (groups or extras or uid) and not user:
        raise errors.internal(f"requested {_describe(out)} without impersonating a user")
    return out


def _describe(reqs: list[Request]) -> str:
    # Go prints the []ObjectReference with %v; an approximation that names the kinds is enough here.
    return "[" + " ".join("{" + f"{r.kind} {r.namespace} {r.name}" + "}" for r in reqs) + "]"


def attributes_for(req: Request) -> Attributes:
    """The authorization check for one impersonation request."""
    if req.kind == "ServiceAccount":
        return Attributes("impersonate", namespace=req.namespace, resource="serviceaccounts", name=req.name)
    if req.kind == "User":
        return Attributes("impersonate", resource="users", name=req.name)
    if req.kind == "Group":
        return Attributes("impersonate", resource="groups", name=req.name)
    if req.kind == "UserExtra":
        return Attributes("impersonate", api_group=AUTHENTICATION_GROUP, api_version="v1", resource="userextras",
                          subresource=req.extra_key, name=req.name)
    return Attributes("impersonate", api_group=AUTHENTICATION_GROUP, api_version="v1", resource="uids", name=req.name)


def forbidden_message(user: str, attrs: Attributes) -> str:
    """responsewriters.forbiddenMessage."""
    if not attrs.resource_request:
        return f'User "{user}" cannot {attrs.verb} path "{attrs.path}"'
    resource = f"{attrs.resource}/{attrs.subresource}" if attrs.subresource else attrs.resource
    if attrs.namespace:
        return (f'User "{user}" cannot {attrs.verb} resource "{resource}" in API group "{attrs.api_group}" '
                f'in the namespace "{attrs.namespace}"')
    return f'User "{user}" cannot {attrs.verb} resource "{resource}" in API group "{attrs.api_group}" at the cluster scope'


def forbidden(user: str, attrs: Attributes, reason: str) -> errors.StatusError:
    message = forbidden_message(user, attrs)
    if reason:
        message = f"{message}: {reason}"
    return errors.forbidden(attrs.resource, attrs.name, message, attrs.api_group)


Authorize = Callable[[UserInfo, Attributes], tuple[str, str]]


def impersonate(requestor: UserInfo, reqs: list[Request], authorize: Authorize) -> UserInfo:
    """The user the request runs as, once the requestor may impersonate each part of it."""
    username, uid = "", ""
    groups: list[str] = []
    extra: dict[str, list[str]] = {}
    groups_specified = any(r.kind == "Group" for r in reqs)
    for r in reqs:
        if r.kind == "ServiceAccount":
            username = sa_tokens.make_username(r.namespace, r.name)
            if not groups_specified:
                groups = list(sa_tokens.make_group_names(r.namespace))
        elif r.kind == "User":
            username = r.name
        elif r.kind == "Group":
            groups.append(r.name)
        elif r.kind == "UserExtra":
            extra.setdefault(r.extra_key, []).append(r.name)
        else:
            uid = r.name
        attrs = attributes_for(r)
        decision, reason = authorize(requestor, attrs)
        if decision != ALLOW:
            raise forbidden(requestor.name, attrs, reason)
    if username != ANONYMOUS:
        if not any(g in (AUTHENTICATED, UNAUTHENTICATED) for g in groups):
            groups.append(AUTHENTICATED)
    elif UNAUTHENTICATED not in groups:
        groups.append(UNAUTHENTICATED)
    return UserInfo(username, uid, tuple(groups), {k: tuple(v) for k, v in extra.items()})
