"""Probes against real processes (process runtime): an httpGet readiness probe on
`python3 -m http.server`, an exec liveness probe that starts failing, and a startup probe that
holds back started/ready while liveness waits for it."""

from __future__ import annotations

import importlib.util
import json
import socket

import pytest
from conftest import start_thread_cluster
from kubeutil import wait_for

from uwernetes.client.api import EVENTS, PODS

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(importlib.util.find_spec("uwernetes.node.agent") is None, reason="needs the node agent"),
]


@pytest.fixture(scope="module")
def pc(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("probes-process")
    c, ts = start_thread_cluster(tmp, nodes=1, runtime="process",
                                 component_options={"backoff_base": 0.5, "name_prefix": "pnode-"})
    client = c.server.client("test")
    try:
        yield c, client, tmp
    finally:
        for cl in c._clients:
            cl.close()
        ts.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def create(c, client, name, container):
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"},
            "spec": {"nodeName": "pnode-0", "terminationGracePeriodSeconds": 2,
                     "containers": [{"name": "c", "image": "busybox", **container}]}}
    c.run(client.create(PODS, body))


def status(c, client, name):
    return c.run(client.get(PODS, name, "default")).get("status") or {}


def cstatus(st):
    return (st.get("containerStatuses") or [{}])[0]


def cond(st, ctype):
    return next((x for x in st.get("conditions") or [] if x["type"] == ctype), {})


def events(c, client, name):
    items = c.run(client.list(EVENTS, "default"))["items"]
    return [(e["reason"], e["message"]) for e in items if e["involvedObject"]["name"] == name]


def delete(c, client, name):
    c.run(client.delete(PODS, name, "default", grace_period_seconds=0))


def test_http_readiness_probe_ready_once_serving(pc):
    c, client, _ = pc
    port = free_port()
    create(c, client, "web", {
        "image": "python",
        "command": ["sh", "-c", f"sleep 1.5; exec python3 -m http.server {port} --bind 127.0.0.1"],
        "ports": [{"name": "http", "containerPort": port}],
        "readinessProbe": {"httpGet": {"path": "/", "port": "http"}, "periodSeconds": 1, "failureThreshold": 1}})
    st = wait_for(lambda: (s := status(c, client, "web")).get("phase") == "Running" and s, 20, 0.05, "web running")
    assert cstatus(st)["ready"] is False
    assert (cond(st, "Ready")["status"], cond(st, "Ready")["reason"]) == ("False", "ContainersNotReady")
    st = wait_for(lambda: (s := status(c, client, "web")) and cond(s, "Ready").get("status") == "True" and s,
                  20, 0.05, "web ready")
    assert cstatus(st)["ready"] is True and cond(st, "ContainersReady")["status"] == "True"
    refused = [m for r, m in events(c, client, "web") if r == "Unhealthy"]
    assert refused and refused[0] == (f'Readiness probe failed: Get "http://127.0.0.1:{port}/": '
                                      f"dial tcp 127.0.0.1:{port}: connect: connection refused")
    delete(c, client, "web")


def test_exec_liveness_failure_restarts_container(pc):
    c, client, tmp = pc
    flag = tmp / "healthy"
    create(c, client, "live", {
        "command": ["sh", "-c", f"touch {flag}; sleep 1; rm -f {flag}; sleep 600"],
        "livenessProbe": {"exec": {"command": ["cat", str(flag)]}, "periodSeconds": 1, "failureThreshold": 1}})
    st = wait_for(lambda: (s := status(c, client, "live")) and cstatus(s).get("restartCount", 0) >= 1 and s,
                  30, 0.1, "a liveness restart")
    last = cstatus(st)["lastState"]["terminated"]
    assert (last["exitCode"], last["reason"]) == (143, "Error")  # sh ended by SIGTERM
    evs = events(c, client, "live")
    assert ("Killing", "Container c failed liveness probe, will be restarted") in evs
    # The process runtime runs `cat` by its host path, so cat names itself /usr/bin/cat or so.
    assert any(r == "Unhealthy" and m.startswith("Liveness probe failed: ")
               and m.endswith(f"cat: {flag}: No such file or directory\n") for r, m in evs), evs
    delete(c, client, "live")


def test_startup_probe_delays_readiness(pc):
    c, client, tmp = pc
    flag = tmp / "started"
    create(c, client, "slow", {
        "command": ["sh", "-c", f"sleep 1.5; touch {flag}; sleep 600"],
        "startupProbe": {"exec": {"command": ["test", "-e", str(flag)]}, "periodSeconds": 1, "failureThreshold": 30},
        "livenessProbe": {"exec": {"command": ["test", "-e", str(flag)]}, "periodSeconds": 1, "failureThreshold": 1}})
    st = wait_for(lambda: (s := status(c, client, "slow")).get("phase") == "Running" and s, 20, 0.05, "slow running")
    assert (cstatus(st)["started"], cstatus(st)["ready"]) == (False, False)
    st = wait_for(lambda: (s := status(c, client, "slow")) and cstatus(s).get("started") and s, 20, 0.05, "started")
    assert cstatus(st)["ready"] is True and cond(st, "Ready")["status"] == "True"
    assert cstatus(st)["restartCount"] == 0
    delete(c, client, "slow")


def test_probe_spec_survives_kubectl(pc):
    """The same pod through kubectl: describe shows the probe and its events."""
    c, client, _ = pc
    port = free_port()
    manifest = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "tcp"},
                "spec": {"nodeName": "pnode-0", "containers": [{
                    "name": "c", "image": "python", "command": ["python3", "-m", "http.server", str(port)],
                    "readinessProbe": {"tcpSocket": {"port": port}, "periodSeconds": 1}}]}}
    c.kubectl("create", "-f", "-", input=json.dumps(manifest))
    wait_for(lambda: c.kubectl("get", "pod", "tcp", "-o", "jsonpath={.status.containerStatuses[0].ready}").stdout
             == "true", 20, 0.1, "tcp probe ready")
    out = c.kubectl("describe", "pod", "tcp").stdout
    assert f"Readiness:      tcp-socket :{port} delay=0s timeout=1s period=1s #success=1 #failure=3" in out
    c.kubectl("delete", "pod", "tcp", "--grace-period=0", "--force")
