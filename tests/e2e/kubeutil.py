"""Small helpers shared by the end-to-end tests: manifests, polling, API shortcuts."""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Callable
from typing import Any

import httpx

VERSIONS = ("1.30", "1.32")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def wait_for(check: Callable[[], Any], timeout: float = 15.0, interval: float = 0.02, what: str = "condition") -> Any:
    """Poll `check` until it returns something truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)


def ensure_namespace(api: httpx.Client, name: str) -> None:
    r = api.post("/api/v1/namespaces", json={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    assert r.status_code in (201, 409), r.text


def pod(name: str, image: str = "nginx:1.25", labels: dict | None = None, **spec: Any) -> dict:
    meta: dict[str, Any] = {"name": name}
    if labels:
        meta["labels"] = labels
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
            "spec": {"containers": [{"name": "main", "image": image}], **spec}}


def configmap(name: str, data: dict | None = None, labels: dict | None = None, **meta: Any) -> dict:
    m: dict[str, Any] = {"name": name, **meta}
    if labels:
        m["labels"] = labels
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": m, "data": data or {}}


def node(name: str, ready: bool = True, labels: dict | None = None) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
        "spec": {},
        "status": {
            "capacity": {"cpu": "4", "memory": "8Gi", "pods": "110"},
            "allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"},
            "conditions": [{
                "type": "Ready", "status": "True" if ready else "False", "reason": "KubeletReady",
                "message": "kubelet is posting ready status",
                "lastHeartbeatTime": "2024-05-01T12:00:00Z", "lastTransitionTime": "2024-05-01T12:00:00Z",
            }],
            "addresses": [{"type": "InternalIP", "address": "10.0.0.7"}, {"type": "Hostname", "address": name}],
            "nodeInfo": {
                "machineID": "m", "systemUUID": "s", "bootID": "b", "kernelVersion": "6.1.0",
                "osImage": "Debian GNU/Linux 12 (bookworm)", "containerRuntimeVersion": "uwernetes://0.1.0",
                "kubeletVersion": "v1.30.0", "kubeProxyVersion": "v1.30.0",
                "operatingSystem": "linux", "architecture": "amd64",
            },
        },
    }


def deployment(name: str, replicas: int = 2, image: str = "nginx:1.25") -> dict:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels},
                         "spec": {"containers": [{"name": "main", "image": image}]}},
        },
    }


def names(api: httpx.Client, path: str) -> list[str]:
    r = api.get(path)
    assert r.status_code == 200, r.text
    return sorted(i["metadata"]["name"] for i in r.json()["items"])


def table_rows(text: str) -> list[list[str]]:
    """kubectl's column output split on runs of two or more spaces (cells may hold single spaces)."""
    return [re.split(r"\s{2,}", line.strip()) for line in ANSI.sub("", text).splitlines() if line.strip()]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_nginx(c: Any, name: str) -> int:
    """Create a pod running the process runtime's nginx stand-in on a free port; its port, once listening."""
    port = free_port()
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
           "spec": {"containers": [{"name": "web", "image": "nginx", "ports": [{"containerPort": port}]}]}}
    c.kubectl("create", "-f", "-", input=json.dumps(pod))
    c.kubectl("wait", "--for=condition=Ready", f"pod/{name}", "--timeout=30s")

    def listening() -> bool:
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", port)) == 0

    wait_for(listening, 15, 0.05, "nginx stand-in listening")
    return port


def http_get(port: int) -> bytes:
    """GET / on 127.0.0.1:port over a fresh connection, the whole response."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(4096):
            data += chunk
    return data
