"""Eviction end to end: the disruption controller fills PDB status from real pods, the eviction
subresource spends the budget (201) or refuses (429), and `kubectl drain` (1.30) evicts a node's
pods through it, waiting for replacements while the budget is exhausted."""

from __future__ import annotations

import json
import re

import pytest
from conftest import start_thread_cluster
from kubeutil import wait_for

pytestmark = pytest.mark.e2e

NS = "drain"

MANIFESTS = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 0
      containers: [{name: web, image: "nginx:1.25"}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: web}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web-pct}
spec:
  maxUnavailable: "50%"
  selector: {matchLabels: {app: web-pct}}
"""


@pytest.fixture(scope="module")
def kc(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("drain")
    cluster, ts = start_thread_cluster(tmp, scheduler=True, controllers=True, nodes=2, runtime="simulated")
    try:
        cluster.kubectl("create", "namespace", NS)
        cluster.kubectl("apply", "-n", NS, "-f", "-", input=MANIFESTS)
        yield cluster
    finally:
        ts.stop()


def get(kc, *args: str) -> dict:
    return json.loads(kc.kubectl("get", "-n", NS, *args, "-o", "json").stdout)


def pdb_status(kc, name: str = "web") -> dict:
    pdb = get(kc, "pdb", name)
    return {"generation": pdb["metadata"].get("generation"), **(pdb.get("status") or {})}


def settled(kc, allowed: int) -> dict | None:
    s = pdb_status(kc)
    ok = s.get("observedGeneration") == s["generation"] and s.get("disruptionsAllowed") == allowed \
        and s.get("currentHealthy") == 2 and not s.get("disruptedPods")
    return s if ok else None


def ready_pods(kc) -> list[dict]:
    pods = get(kc, "pods", "-l", "app=web")["items"]
    return [p for p in pods if not p["metadata"].get("deletionTimestamp")
            and any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions") or ())]


def evict(kc, name: str):
    api = kc.client()
    body = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name, "namespace": NS}}
    return api.post(f"/api/v1/namespaces/{NS}/pods/{name}/eviction", json=body)


def test_controller_fills_status_from_pods(kc):
    s = wait_for(lambda: settled(kc, 1), timeout=60, what="PDB status with 2 healthy pods")
    assert (s["expectedPods"], s["desiredHealthy"], s["currentHealthy"], s["disruptionsAllowed"]) == (2, 1, 2, 1)
    cond = next(c for c in s["conditions"] if c["type"] == "DisruptionAllowed")
    assert (cond["status"], cond["reason"]) == ("True", "SufficientPods")
    out = kc.kubectl("get", "pdb", "-n", NS).stdout.splitlines()
    assert out[0].split() == ["NAME", "MIN", "AVAILABLE", "MAX", "UNAVAILABLE", "ALLOWED", "DISRUPTIONS", "AGE"]
    assert out[1].split()[:4] == ["web", "1", "N/A", "1"]
    # maxUnavailable with no pods: nothing expected, nothing allowed.
    s2 = wait_for(lambda: (st := pdb_status(kc, "web-pct")).get("observedGeneration") == 1 and st, timeout=30)
    assert (s2["expectedPods"], s2["desiredHealthy"], s2["disruptionsAllowed"]) == (0, 0, 0)


def test_second_eviction_is_refused_with_429(kc):
    wait_for(lambda: settled(kc, 1), timeout=60, what="PDB allowing one disruption")
    first, second = sorted(p["metadata"]["name"] for p in ready_pods(kc))[:2]
    r = evict(kc, first)
    assert r.status_code == 201, r.text
    assert r.json() == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}
    r = evict(kc, second)
    assert r.status_code == 429, r.text
    body = r.json()
    assert body["message"] == "Cannot evict pod as it would violate the pod's disruption budget."
    assert body["reason"] == "TooManyRequests"
    assert body["details"]["causes"][0]["reason"] == "DisruptionBudget"
    # The controller may or may not have counted the first pod out yet: 2 or 1 healthy.
    assert re.fullmatch(r"The disruption budget web needs 1 healthy pods and has [12] currently",
                        body["details"]["causes"][0]["message"])
    assert "retryAfterSeconds" not in body["details"]
    # The replacement comes up and the budget is available again.
    wait_for(lambda: settled(kc, 1), timeout=60, what="budget restored after the replacement pod")


def test_kubectl_drain_evicts_through_the_budget(kc):
    wait_for(lambda: settled(kc, 1), timeout=60, what="PDB allowing one disruption")
    nodes = {p["spec"]["nodeName"] for p in ready_pods(kc)}
    node = sorted(nodes)[0]
    proc = kc.kubectl("drain", node, "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=90s", timeout=120)
    assert f"node/{node} drained" in proc.stdout
    # Every web pod now runs elsewhere, and the node is cordoned.
    def moved() -> bool:
        pods = ready_pods(kc)
        return len(pods) == 2 and all(p["spec"]["nodeName"] != node for p in pods)

    wait_for(moved, timeout=60, what="web pods off the drained node")
    assert json.loads(kc.kubectl("get", "node", node, "-o", "json").stdout)["spec"].get("unschedulable") is True
    kc.kubectl("uncordon", node)
