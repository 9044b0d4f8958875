"""A node agent in its own process: `uwe up --nodes 0` and `uwe node --kubeconfig`. Logs, exec and
nodes/proxy go through the API server to the agent's kubelet API over HTTPS; a dead agent's node
goes Unknown."""

from __future__ import annotations

import importlib.util
import signal
import subprocess
import sys
import threading

import httpx
import pytest
from conftest import ROOT, ProcessCluster, kubectl_binary
from kubeutil import free_port, http_get, serve_nginx, wait_for

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(importlib.util.find_spec("uwernetes.node.agent") is None
                       or importlib.util.find_spec("uwernetes.controllers.node_lifecycle") is None,
                       reason="needs the node agent and the node lifecycle controller"),
]

NODE = "remote-0"
TALKER = 'i=0; while true; do echo "line $i"; i=$((i+1)); sleep 0.2; done'


class NodeProcess:
    def __init__(self, kubeconfig, data_dir) -> None:
        uwe = ROOT / ".venv" / "bin" / "uwe"
        cmd = [str(uwe)] if uwe.exists() else [sys.executable, "-m", "uwernetes.cli.main"]
        self.proc = subprocess.Popen(
            [*cmd, "node", f"--kubeconfig={kubeconfig}", "--runtime=process", "--name-prefix=remote-",
             f"--data-dir={data_dir}", "--node-lease-renew-interval=500ms"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)


@pytest.fixture(scope="module")
def rc(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("remote")
    pc = ProcessCluster(tmp / "data", "--nodes", "0", "--node-monitor-grace-period", "3s",
                        "--node-monitor-period", "500ms")
    c = pc.start()
    agent = NodeProcess(c.kubeconfig, tmp / "node")
    c.agent = agent
    c.api = c.client()
    try:
        wait_for(lambda: ready(c.api) == "True", 30, what=f"node {NODE} Ready")
        c.kubectl("run", "talker", "--image=busybox", "--", "sh", "-c", TALKER)
        c.kubectl("wait", "--for=condition=Ready", "pod/talker", "--timeout=30s")
        yield c
    finally:
        agent.kill()
        for client in c._clients:
            client.close()
        pc.kill()
        if sys.exc_info()[0] is not None:
            print("node agent output:\n" + "".join(agent.lines))


def node(api) -> dict:
    r = api.get(f"/api/v1/nodes/{NODE}")
    return r.json() if r.status_code == 200 else {}


def ready(api) -> str | None:
    for cond in (node(api).get("status") or {}).get("conditions") or ():
        if cond["type"] == "Ready":
            return cond["status"]
    return None


def kubelet_url(api) -> str:
    status = node(api)["status"]
    ip = next(a["address"] for a in status["addresses"] if a["type"] == "InternalIP")
    return f"https://{ip}:{status['daemonEndpoints']['kubeletEndpoint']['Port']}"


def test_node_advertises_its_kubelet_endpoint(rc):
    status = node(rc.api)["status"]
    port = status["daemonEndpoints"]["kubeletEndpoint"]["Port"]
    assert 0 < port < 65536 and port != 10250
    assert {"type": "InternalIP", "address": "127.0.0.1"} in status["addresses"]
    assert {"type": "Hostname", "address": NODE} in status["addresses"]
    assert rc.kubectl("get", "pod", "talker", "-o", "jsonpath={.spec.nodeName}").stdout == NODE


def test_kubelet_api_refuses_requests_without_the_token(rc):
    with httpx.Client(verify=False, timeout=10) as h:
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            r = h.get(kubelet_url(rc.api) + "/healthz", headers=headers)
            assert r.status_code == 401, r.text
            assert r.json()["reason"] == "Unauthorized"


def test_logs(rc):
    wait_for(lambda: "line 2" in rc.kubectl("logs", "talker").stdout, 15, what="three log lines")
    out = rc.kubectl("logs", "talker", "--tail=1").stdout
    assert out.startswith("line ") and out.count("\n") == 1
    stamped = rc.kubectl("logs", "talker", "--tail=1", "--timestamps").stdout
    assert stamped.split(" ", 1)[1].startswith("line ") and "T" in stamped.split(" ", 1)[0]


def test_logs_follow_streams_new_lines(rc):
    start = int(rc.kubectl("logs", "talker", "--tail=1").stdout.split()[1])
    proc = subprocess.Popen(
        [kubectl_binary("1.30"), f"--kubeconfig={rc.kubeconfig}", "logs", "-f", "--tail=1", "talker"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen: list[int] = []
    try:
        def later_lines():
            line = proc.stdout.readline()
            if line.startswith("line "):
                seen.append(int(line.split()[1]))
            return len(seen) >= 4
        wait_for(later_lines, 20, interval=0, what="followed lines")
    finally:
        proc.kill()
        proc.wait(10)
    assert seen == list(range(seen[0], seen[0] + 4)) and seen[-1] > start


def test_exec(rc):
    r = rc.kubectl("exec", "talker", "--", "sh", "-c", "echo out; echo err >&2")
    assert (r.stdout, r.stderr) == ("out\n", "err\n")
    bad = rc.kubectl("exec", "talker", "--", "sh", "-c", "exit 3", check=False)
    assert bad.returncode == 3 and "command terminated with exit code 3" in bad.stderr
    piped = rc.kubectl("exec", "-i", "talker", "--", "tr", "a-z", "A-Z", input="through the relay\n")
    assert piped.stdout == "THROUGH THE RELAY\n"
    missing = rc.kubectl("exec", "talker", "--", "/no/such/binary", check=False)
    assert missing.returncode != 0


def test_node_proxy_serves_the_nodes_log_directory(rc):
    assert rc.kubectl("get", "--raw", f"/api/v1/nodes/{NODE}/proxy/healthz").stdout == "ok"
    listing = rc.kubectl("get", "--raw", f"/api/v1/nodes/{NODE}/proxy/logs/").stdout
    uid = rc.kubectl("get", "pod", "talker", "-o", "jsonpath={.metadata.uid}").stdout
    assert f"default_talker_{uid}/" in listing
    log = rc.kubectl("get", "--raw", f"/api/v1/nodes/{NODE}/proxy/logs/default_talker_{uid}/talker/0.log").stdout
    assert " stdout F line 0\n" in log
    r = rc.kubectl("get", "--raw", f"/api/v1/nodes/{NODE}/proxy/logs/../../etc/passwd", check=False)
    assert r.returncode != 0


def test_python_client_port_forward(rc):
    from kubernetes import client as k8s
    from kubernetes.stream import portforward

    port = serve_nginx(rc, "web")
    api_client = rc.python_client()
    try:
        pf = portforward(k8s.CoreV1Api(api_client).connect_get_namespaced_pod_portforward, "web", "default",
                         ports=str(port))
        sock = pf.socket(port)
        sock.setblocking(True)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(4096):
            data += chunk
        sock.close()
        assert data.startswith(b"HTTP/1.") and b"Welcome to nginx!" in data
        assert pf.error(port) is None
    finally:
        api_client.close()


def test_kubectl_port_forward_reaches_a_pod_on_the_remote_node(rc):
    port = serve_nginx(rc, "web-spdy")
    local = free_port()
    proc = subprocess.Popen([kubectl_binary("1.30"), f"--kubeconfig={rc.kubeconfig}", "port-forward",
                             "pod/web-spdy", f"{local}:{port}"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout.readline().startswith(f"Forwarding from 127.0.0.1:{local}")
        data = http_get(local)
        assert data.startswith(b"HTTP/1.") and b"Welcome to nginx!" in data
    finally:
        proc.terminate()
        proc.wait(10)


def test_zz_a_dead_agent_goes_unknown_and_is_unreachable(rc):
    rc.agent.kill()
    wait_for(lambda: ready(rc.api) == "Unknown", 20, interval=0.1, what=f"node {NODE} Unknown")
    cond = next(c for c in node(rc.api)["status"]["conditions"] if c["type"] == "Ready")
    assert cond["reason"] == "NodeStatusUnknown"
    r = rc.kubectl("logs", "talker", check=False)
    assert r.returncode != 0 and f'no connection to the node agent of node "{NODE}"' in r.stderr
