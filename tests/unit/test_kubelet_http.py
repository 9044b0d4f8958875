"""The kubelet API's wire helpers: where the API server dials, what travels in the query, how
the agent's errors come back."""

from __future__ import annotations

import base64

import pytest

from uwernetes.machinery.errors import StatusError
from uwernetes.node import kubelet_http as kh
from uwernetes.node.logs import LogOptions
from uwernetes.node.server import ContainerTarget


def node(addresses, port=10250):
    status = {"addresses": [{"type": t, "address": a} for t, a in addresses]}
    if port is not None:
        status["daemonEndpoints"] = {"kubeletEndpoint": {"Port": port}}
    return {"status": status}


@pytest.mark.parametrize("case, obj, want", [
    ("InternalIP first", node([("Hostname", "n1"), ("InternalIP", "10.0.0.7")], 4321), ("10.0.0.7", 4321)),
    ("ExternalIP when there is no InternalIP", node([("Hostname", "n1"), ("ExternalIP", "1.2.3.4")]),
     ("1.2.3.4", 10250)),
    ("Hostname last", node([("Hostname", "n1")]), ("n1", 10250)),
    ("first address of the preferred type", node([("InternalIP", "10.0.0.7"), ("InternalIP", "fd00::7")]),
     ("10.0.0.7", 10250)),
    ("no port: not reachable", node([("InternalIP", "10.0.0.7")], port=None), None),
    ("port 0: not reachable", node([("InternalIP", "10.0.0.7")], port=0), None),
    ("no addresses", node([]), None),
    ("no status", {}, None),
])
def test_kubelet_address(case, obj, want):
    assert kh.kubelet_address(obj) == want, case


@pytest.mark.parametrize("host, port, url", [
    ("127.0.0.1", 10250, "https://127.0.0.1:10250"),
    ("fd00::7", 443, "https://[fd00::7]:443"),
    ("node-a", 1, "https://node-a:1"),
])
def test_base_url(host, port, url):
    assert kh.base_url(host, port) == url


@pytest.mark.parametrize("opts, query", [
    (LogOptions(), {"follow": "false", "timestamps": "false"}),
    (LogOptions(follow=True, tail_lines=0, since_ns=1714564800123456789, timestamps=True, limit_bytes=10),
     {"follow": "true", "timestamps": "true", "tailLines": "0", "sinceNanos": "1714564800123456789",
      "limitBytes": "10"}),
])
def test_log_options_round_trip(opts, query):
    assert kh.log_options_query(opts) == query
    assert kh.log_options_from({k: [v] for k, v in query.items()}) == opts


def test_log_options_bad_number():
    with pytest.raises(StatusError) as e:
        kh.log_options_from({"tailLines": ["x"]})
    assert (e.value.code, e.value.message) == (400, 'invalid value for "tailLines": x')


def test_target_round_trip_and_paths():
    t = ContainerTarget("ns 1", "pod/x", "u-1", "c", "abc123", 2)
    path = kh.container_path("exec", t)
    assert path == "/exec/ns%201/pod%2Fx/c"
    kind, ns, pod, container = kh.split_path(path)
    assert kind == "exec"
    assert kh.target_from(ns, pod, container, {k: [v] for k, v in kh.target_query(t).items()}) == t


def test_target_bad_restart_count():
    with pytest.raises(StatusError) as e:
        kh.target_from("ns", "p", "c", {"restartCount": ["two"]})
    assert e.value.message == 'invalid restartCount "two"'


@pytest.mark.parametrize("headers, token", [
    ({"authorization": "Bearer abc"}, "abc"),
    ({"authorization": "bearer  abc "}, "abc"),
    ({"authorization": "Basic abc"}, ""),
    ({}, ""),
])
def test_bearer(headers, token):
    assert kh.bearer(headers) == token


@pytest.mark.parametrize("code, body, want", [
    (400, b'{"kind":"Status","code":400,"reason":"BadRequest","message":"unable to upgrade connection: nope"}',
     (400, "BadRequest", "unable to upgrade connection: nope")),
    (404, b'{"kind":"Status","reason":"NotFound","message":"nodes \\"x\\" not found"}',
     (404, "NotFound", 'nodes "x" not found')),
    (502, b"bad gateway\n", (502, "InternalError", "bad gateway")),
    (400, b"", (400, "BadRequest", "the node agent answered 400")),
])
def test_status_error_from(code, body, want):
    e = kh.status_error_from(code, body)
    assert (e.code, e.reason, e.message) == want


@pytest.mark.parametrize("bind, want", [("127.0.0.1", "127.0.0.1"), ("10.1.2.3", "10.1.2.3"), ("node-a", "node-a")])
def test_reachable_ip(bind, want):
    assert kh.reachable_ip(bind) == want


def test_token_secret():
    secret = kh.new_token_secret()
    assert (secret["metadata"]["namespace"], secret["metadata"]["name"]) == ("kube-system", "uwernetes-kubelet-client")
    token = kh.token_of(secret)
    assert len(token) == 64 and token != kh.token_of(kh.new_token_secret())
    assert kh.token_of({"data": {}}) == ""


class FakeInformer:
    def __init__(self, secret):
        self.secret = secret

    def get(self, key):
        assert key == "kube-system/uwernetes-kubelet-client"
        return self.secret


@pytest.mark.parametrize("secret, presented, ok", [
    (None, "abc", False),
    (None, "", False),
    ("same", "same", True),
    ("same", "other", False),
    ("same", "", False),
])
def test_token_check(secret, presented, ok):
    check = kh.TokenCheck.__new__(kh.TokenCheck)
    stored = kh.new_token_secret()
    stored["data"]["token"] = base64.b64encode(secret.encode()).decode() if secret else ""
    check.informer = FakeInformer(stored if secret else None)
    assert check.allowed(presented) is ok
