"""URL paths -> request attributes, as upstream's RequestInfoFactory resolves them."""

import pytest

from uwernetes.apiserver.request_info import parse


@pytest.mark.parametrize(
    "method, path, watch, expected",
    [
        ("GET", "/api/v1/namespaces/ns/pods", False, ("", "v1", "ns", "pods", "", "", "list")),
        ("GET", "/api/v1/namespaces/ns/pods", True, ("", "v1", "ns", "pods", "", "", "watch")),
        ("GET", "/api/v1/pods", False, ("", "v1", "", "pods", "", "", "list")),
        ("GET", "/api/v1/namespaces/ns/pods/p/log", False, ("", "v1", "ns", "pods", "p", "log", "get")),
        ("POST", "/api/v1/namespaces/ns/pods/p/binding", False, ("", "v1", "ns", "pods", "p", "binding", "create")),
        ("GET", "/api/v1/namespaces/foo", False, ("", "v1", "foo", "namespaces", "foo", "", "get")),
        ("PUT", "/api/v1/namespaces/foo/finalize", False, ("", "v1", "foo", "namespaces", "foo", "finalize", "update")),
        ("PATCH", "/apis/apps/v1/namespaces/d/deployments/x/scale", False, ("apps", "v1", "d", "deployments", "x", "scale", "patch")),
        ("DELETE", "/apis/apps/v1/namespaces/d/deployments", False, ("apps", "v1", "d", "deployments", "", "", "deletecollection")),
        ("GET", "/api/v1/watch/namespaces/ns/pods", False, ("", "v1", "ns", "pods", "", "", "watch")),
        ("GET", "/api/v1/nodes/n1/proxy/logs/", False, ("", "v1", "", "nodes", "n1", "proxy", "get")),
    ],
)
def test_resource_paths(method, path, watch, expected):
    info = parse(method, path, watch)
    assert info.is_resource
    assert (info.group, info.version, info.namespace, info.resource, info.name, info.subresource, info.verb) == expected


@pytest.mark.parametrize("path", ["/api", "/api/v1", "/apis", "/apis/apps", "/apis/apps/v1", "/version", "/healthz"])
def test_non_resource_paths(path):
    assert not parse("GET", path, False).is_resource


def test_proxy_rest_path_keeps_trailing_slash():
    info = parse("GET", "/api/v1/nodes/n1/proxy/logs/", False)
    assert info.rest == "logs/"
