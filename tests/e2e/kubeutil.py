"""Small helpers shared by the end-to-end tests: manifests, polling, API shortcuts."""

from __future__ import annotations

import re
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
