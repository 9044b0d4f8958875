"""Path -> (group, version, namespace, resource, name, subresource, verb), like upstream's RequestInfoFactory."""

from __future__ import annotations

from dataclasses import dataclass

_NAMESPACE_SUBRESOURCES = {"status", "finalize"}


@dataclass(slots=True)
class RequestInfo:
    is_resource: bool
    path: str
    verb: str = ""
    api_prefix: str = ""
    group: str = ""
    version: str = ""
    namespace: str = ""
    resource: str = ""
    name: str = ""
    subresource: str = ""
    # What follows the subresource (`nodes/n/proxy/<rest>`).
    rest: str = ""


def parse(method: str, path: str, query_watch: bool) -> RequestInfo:
    parts = [p for p in path.split("/") if p]
    info = RequestInfo(is_resource=False, path=path, verb=method.lower())
    if not parts or parts[0] not in ("api", "apis"):
        return info
    if parts[0] == "api":
        if len(parts) < 2:
            return info
        info.api_prefix, info.group, info.version = "api", "", parts[1]
        rest = parts[2:]
    else:
        if len(parts) < 3:
            info.api_prefix = "apis"
            info.group = parts[1] if len(parts) > 1 else ""
            return info
        info.api_prefix, info.group, info.version = "apis", parts[1], parts[2]
        rest = parts[3:]
    if not rest:
        return info
    info.is_resource = True
    # Legacy `/watch/` prefix.
    legacy_watch = rest[0] == "watch"
    if legacy_watch:
        rest = rest[1:]
    if rest and rest[0] == "namespaces" and len(rest) > 1:
        info.namespace = rest[1]
        if len(rest) > 2 and rest[2] not in _NAMESPACE_SUBRESOURCES:
            rest = rest[2:]
    if not rest:
        info.is_resource = False
        return info
    info.resource = rest[0]
    if len(rest) > 1:
        info.name = rest[1]
    if len(rest) > 2:
        info.subresource = rest[2]
    if len(rest) > 3:
        info.rest = "/".join(rest[3:]) + ("/" if path.endswith("/") else "")
    m = method.upper()
    if m in ("GET", "HEAD"):
        if legacy_watch or (query_watch and not info.subresource):
            info.verb = "watch"
        elif info.name:
            info.verb = "get"
        else:
            info.verb = "list"
    elif m == "POST":
        info.verb = "create"
    elif m == "PUT":
        info.verb = "update"
    elif m == "PATCH":
        info.verb = "patch"
    elif m == "DELETE":
        info.verb = "delete" if info.name else "deletecollection"
    else:
        info.verb = m.lower()
    return info
