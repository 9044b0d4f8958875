"""exec, attach-less streams and port-forward against process-runtime pods: kubectl (WebSocket
v5) and the official Python client (v4 channel protocol)."""

from __future__ import annotations

import importlib.util
import socket
import subprocess

import pytest
from conftest import kubectl_binary, start_thread_cluster
from kubeutil import free_port, http_get, serve_nginx

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(importlib.util.find_spec("uwernetes.node.agent") is None
                       or importlib.util.find_spec("uwernetes.scheduler.main") is None,
                       reason="needs the node agent and the scheduler"),
]


@pytest.fixture(scope="module")
def ec(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("exec")
    c, ts = start_thread_cluster(tmp, scheduler=True, nodes=1, runtime="process")
    c.api = c.python_client()  # one pool, closed before the server stops (open connections delay it)
    try:
        c.kubectl("run", "sleeper", "--image=busybox", "--", "sleep", "3600")
        c.kubectl("wait", "--for=condition=Ready", "pod/sleeper", "--timeout=30s")
        yield c
    finally:
        c.api.close()
        ts.stop()


@pytest.mark.parametrize("version", ["1.30", "1.32"])
def test_kubectl_exec_exit_codes(ec, version):
    ok = ec.kubectl("exec", "sleeper", "--", "sh", "-c", "echo out; echo err >&2", version=version)
    assert (ok.stdout, ok.stderr) == ("out\n", "err\n")
    bad = ec.kubectl("exec", "sleeper", "--", "sh", "-c", "exit 3", version=version, check=False)
    assert bad.returncode == 3
    assert "command terminated with exit code 3" in bad.stderr


def test_kubectl_exec_stdin(ec):
    r = ec.kubectl("exec", "-i", "sleeper", "--", "sh", "-c", "tr a-z A-Z", input="hello stdin\n")
    assert r.stdout == "HELLO STDIN\n"


@pytest.mark.parametrize("version", ["1.30", "1.32"])
def test_kubectl_run_rm_interactive_returns_when_the_container_exits(ec, version):
    # attach follows the container's output to its end, on both streams, then kubectl deletes the pod.
    # (Output written before kubectl attaches is not replayed, upstream either: hence the first sleep.)
    name = f"once-{version.replace('.', '')}"
    r = ec.kubectl("run", name, "--rm", "-i", "--restart=Never", "--image=busybox", "--",
                   "sh", "-c", "sleep 2; echo inside; echo oops >&2; sleep 1; echo bye", version=version, input="",
                   timeout=30)
    assert "inside" in r.stdout and "bye" in r.stdout and "oops" in r.stdout + r.stderr
    assert f'pod "{name}" deleted' in r.stdout


def test_exec_errors(ec):
    r = ec.kubectl("exec", "sleeper", "-c", "nope", "--", "true", check=False)
    assert r.returncode != 0 and "container nope is not valid for pod sleeper" in r.stderr
    r = ec.kubectl("exec", "missing", "--", "true", check=False)
    assert r.returncode != 0 and 'pods "missing" not found' in r.stderr


def test_python_client_exec(ec):
    from kubernetes import client as k8s
    from kubernetes.stream import stream

    api = k8s.CoreV1Api(ec.api)
    out = stream(api.connect_get_namespaced_pod_exec, "sleeper", "default",
                 command=["sh", "-c", "echo from python"], stderr=True, stdin=False, stdout=True, tty=False)
    assert out == "from python\n"
    resp = stream(api.connect_get_namespaced_pod_exec, "sleeper", "default", command=["sh", "-c", "echo e >&2; exit 5"],
                  stderr=True, stdin=False, stdout=True, tty=False, _preload_content=False)
    resp.run_forever(timeout=10)
    assert resp.returncode == 5
    assert resp.read_stderr() == "e\n"


@pytest.fixture(scope="module")
def web_port(ec) -> int:
    return serve_nginx(ec, "web")


def test_python_client_port_forward(ec, web_port):
    from kubernetes import client as k8s
    from kubernetes.stream import portforward

    port = web_port
    api = k8s.CoreV1Api(ec.api)
    pf = portforward(api.connect_get_namespaced_pod_portforward, "web", "default", ports=str(port))
    sock = pf.socket(port)
    sock.setblocking(True)
    sock.sendall(b"GET / HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    sock.close()
    assert data.startswith(b"HTTP/1.")
    assert b"Welcome to nginx!" in data
    assert pf.error(port) is None


@pytest.mark.parametrize("version", ["1.30", "1.32"])
def test_kubectl_port_forward_over_spdy(ec, web_port, version):
    # kubectl 1.30 speaks SPDY/3.1; 1.32 tries SPDY tunnelled in a WebSocket first (a v1.30 server
    # has that off) and falls back to SPDY.
    local = free_port()
    cmd = [kubectl_binary(version), f"--kubeconfig={ec.kubeconfig}", f"--cache-dir={ec.tmp}/kubectl-cache-{version}",
           "port-forward", "pod/web", f"{local}:{web_port}"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().startswith(f"Forwarding from 127.0.0.1:{local} -> {web_port}")
        for _ in range(2):  # each local connection gets its own pair of streams
            data = http_get(local)
            assert data.startswith(b"HTTP/1.") and b"Welcome to nginx!" in data
    finally:
        proc.terminate()
        proc.wait(10)


def test_kubectl_port_forward_reports_an_unreachable_port(ec, web_port):
    local = free_port()
    cmd = [kubectl_binary("1.30"), f"--kubeconfig={ec.kubeconfig}", f"--cache-dir={ec.tmp}/kubectl-cache-1.30",
           "port-forward", "pod/web", f"{local}:1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().startswith(f"Forwarding from 127.0.0.1:{local} -> 1")
        with socket.create_connection(("127.0.0.1", local), timeout=10) as sock:
            sock.recv(1)
        _, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    uid = ec.kubectl("get", "pod", "web", "-o", "jsonpath={.metadata.uid}").stdout
    assert f"error forwarding port 1 to pod web_default, uid {uid}: " in err
