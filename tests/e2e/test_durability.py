"""`uwe up` as a separate process: a restart on the same data dir keeps every object, and every write
acknowledged before a SIGKILL is there after the restart."""

from __future__ import annotations

import ssl
import threading
import time

import httpx
import pytest
from kubeutil import configmap, deployment, ensure_namespace, node, pod, wait_for

pytestmark = pytest.mark.e2e


def _client(c) -> httpx.Client:
    return httpx.Client(base_url=c.url, verify=ssl.create_default_context(cafile=str(c.ca)), headers={"Authorization": f"Bearer {c.token}"}, timeout=10)


PATHS = {
    "ns": "/api/v1/namespaces/durable",
    "cm": "/api/v1/namespaces/durable/configmaps/settings",
    "secret": "/api/v1/namespaces/durable/secrets/creds",
    "pod": "/api/v1/namespaces/durable/pods/gated",
    "deploy": "/apis/apps/v1/namespaces/durable/deployments/web",
    "node": "/api/v1/nodes/durable-node",
}

# Objects no controller writes to: they must come back byte for byte, resourceVersion included.
UNTOUCHED = ("ns", "cm", "secret", "pod")


def test_restart_keeps_every_object(process_cluster):
    first = process_cluster.start()
    with _client(first) as api:
        ensure_namespace(api, "durable")
        assert api.post("/api/v1/namespaces/durable/configmaps",
                        json=configmap("settings", {"a": "1"}, {"keep": "me"})).status_code == 201
        assert api.post("/api/v1/namespaces/durable/secrets",
                        json={"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds"},
                              "stringData": {"p": "q"}}).status_code == 201
        assert api.post("/api/v1/namespaces/durable/pods",
                        json=pod("gated", schedulingGates=[{"name": "example.com/wait"}])).status_code == 201
        assert api.post("/apis/apps/v1/namespaces/durable/deployments", json=deployment("web")).status_code == 201
        assert api.post("/api/v1/nodes", json=node("durable-node")).status_code == 201
        # An update and a delete must survive too.
        cm = api.get(PATHS["cm"]).json()
        cm["data"]["a"] = "2"
        assert api.put(PATHS["cm"], json=cm).status_code == 200
        assert api.post("/api/v1/namespaces/durable/configmaps", json=configmap("gone")).status_code == 201
        assert api.delete("/api/v1/namespaces/durable/configmaps/gone").status_code == 200
        before = {k: api.get(p).json() for k, p in PATHS.items()}
        sa = wait_for(lambda: api.get("/api/v1/namespaces/durable/serviceaccounts/default").status_code == 200,
                      what="the default ServiceAccount")
        assert sa
        revision = int(api.get("/api/v1/namespaces/durable/configmaps").json()["metadata"]["resourceVersion"])
    assert process_cluster.stop() == 0

    second = process_cluster.start()
    with _client(second) as api:
        for key, path in PATHS.items():
            after = api.get(path).json()
            assert after["metadata"]["uid"] == before[key]["metadata"]["uid"], key
            assert after["metadata"]["creationTimestamp"] == before[key]["metadata"]["creationTimestamp"], key
            if key in UNTOUCHED:
                assert after == before[key], key
        # Controllers in `uwe up` may write status (and node taints), but not these fields.
        assert api.get(PATHS["deploy"]).json()["spec"] == before["deploy"]["spec"]
        assert api.get(PATHS["node"]).json()["metadata"]["labels"] == before["node"]["metadata"]["labels"]
        assert api.get(PATHS["cm"]).json()["data"] == {"a": "2"}
        assert api.get("/api/v1/namespaces/durable/configmaps/gone").status_code == 404
        assert api.get(PATHS["pod"]).json()["status"]["conditions"][0]["reason"] == "SchedulingGated"
        # The revision counter continues from where it was: new writes get higher resourceVersions.
        created = api.post("/api/v1/namespaces/durable/configmaps", json=configmap("after-restart")).json()
        assert int(created["metadata"]["resourceVersion"]) > revision
    assert process_cluster.stop() == 0


def _writer(c, prefix: str, acked: list[str], stop: threading.Event) -> None:
    with _client(c) as api:
        i = 0
        while not stop.is_set():
            name = f"{prefix}-{i}"
            try:
                r = api.post("/api/v1/namespaces/crash/configmaps", json=configmap(name, {"i": str(i)}))
            except httpx.HTTPError:
                return
            if r.status_code == 201:
                acked.append(name)
            i += 1


def test_sigkill_during_writes_loses_no_acknowledged_write(process_cluster):
    first = process_cluster.start()
    with _client(first) as api:
        ensure_namespace(api, "crash")
    acked: list[str] = []
    stop = threading.Event()
    writers = [threading.Thread(target=_writer, args=(first, f"w{n}", acked, stop), daemon=True) for n in range(3)]
    for t in writers:
        t.start()
    deadline = time.monotonic() + 20
    while len(acked) < 300 and time.monotonic() < deadline:
        time.sleep(0.01)
    process_cluster.kill()  # SIGKILL, mid-write
    stop.set()
    for t in writers:
        t.join(10)
    snapshot = list(acked)
    assert len(snapshot) >= 300, "the writers did not get going"

    second = process_cluster.start()
    with _client(second) as api:
        items = api.get("/api/v1/namespaces/crash/configmaps").json()["items"]
        stored = {i["metadata"]["name"]: i for i in items}
        missing = [n for n in snapshot if n not in stored]
        assert missing == []
        assert all(stored[n]["data"] == {"i": n.rsplit("-", 1)[1]} for n in snapshot)
        revisions = [int(i["metadata"]["resourceVersion"]) for i in items]
        assert len(set(revisions)) == len(revisions)
    process_cluster.stop()
