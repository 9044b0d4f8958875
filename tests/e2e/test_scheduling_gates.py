"""The seed's scheduling-gates pod through kubectl 1.30 and 1.32: SchedulingGated STATUS and condition,
gates may only be removed, nodeName with gates is refused."""

from __future__ import annotations

import json
import re

import pytest
import yaml
from kubeutil import VERSIONS, ensure_namespace, pod, table_rows

pytestmark = pytest.mark.e2e

SEED_POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: test-pod
spec:
  schedulingGates:
  - name: moelove.info/disk
  - name: foo.bar/xyz
  containers:
  - name: kong
    image: kong:3.6
"""

GATED_MESSAGE = "Scheduling is blocked due to non-empty scheduling gates"


@pytest.fixture(scope="module")
def api(cluster):
    return cluster.client()


@pytest.fixture(params=VERSIONS)
def version(request) -> str:
    return request.param


@pytest.fixture
def seeded(cluster, api, version) -> str:
    """A fresh namespace holding the seed pod, created with `kubectl create -f`."""
    ns = f"gates-{version.replace('.', '-')}-{seeded.counter}"
    seeded.counter += 1
    ensure_namespace(api, ns)
    out = cluster.kubectl("create", "-n", ns, "-f", "-", input=SEED_POD, version=version)
    assert out.stdout == "pod/test-pod created\n"
    return ns


seeded.counter = 0  # type: ignore[attr-defined]


def test_get_pods_shows_scheduling_gated(cluster, version, seeded):
    rows = table_rows(cluster.kubectl("get", "pods", "-n", seeded, version=version).stdout)
    assert rows[0] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert len(rows) == 2
    assert rows[1][:4] == ["test-pod", "0/1", "SchedulingGated", "0"]
    assert re.fullmatch(r"\d+s", rows[1][4])


def test_status_carries_the_gated_condition(cluster, version, seeded):
    out = cluster.kubectl("get", "pod", "test-pod", "-n", seeded, "-o", "jsonpath={.status}", version=version)
    status = json.loads(out.stdout)
    assert set(status) == {"conditions", "phase", "qosClass"}
    assert status["phase"] == "Pending"
    assert status["qosClass"] == "BestEffort"
    (cond,) = status["conditions"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", cond.pop("lastTransitionTime"))
    assert cond == {"type": "PodScheduled", "status": "False", "reason": "SchedulingGated",
                    "message": GATED_MESSAGE, "lastProbeTime": None}
    spec = yaml.safe_load(cluster.kubectl("get", "pod", "test-pod", "-n", seeded, "-o", "yaml", version=version).stdout)["spec"]
    assert spec["schedulingGates"] == [{"name": "moelove.info/disk"}, {"name": "foo.bar/xyz"}]
    assert "nodeName" not in spec


def test_describe_shows_the_condition(cluster, version, seeded):
    out = cluster.kubectl("describe", "pod", "test-pod", "-n", seeded, version=version).stdout
    assert re.search(r"^Conditions:\n  Type\s+Status\n  PodScheduled\s+False\s*$", out, re.M), out
    assert re.search(r"^Node:\s+<none>$", out, re.M)


def test_adding_a_gate_is_rejected(cluster, api, version, seeded):
    proc = cluster.kubectl("patch", "pod", "test-pod", "-n", seeded, "--type", "json",
                           "-p", '[{"op":"add","path":"/spec/schedulingGates/-","value":{"name":"x"}}]',
                           version=version, check=False)
    assert proc.returncode == 1
    assert proc.stderr == ('The Pod "test-pod" is invalid: spec.schedulingGates[2].name: Forbidden: '
                           "only deletion is allowed, but found new scheduling gate 'x'\n")
    # The index is where the new gate sits in the new list: replacing the second gate puts it at [1].
    proc = cluster.kubectl("patch", "pod", "test-pod", "-n", seeded, "--type", "merge",
                           "-p", '{"spec":{"schedulingGates":[{"name":"moelove.info/disk"},{"name":"x"}]}}',
                           version=version, check=False)
    assert proc.returncode == 1
    assert proc.stderr == ('The Pod "test-pod" is invalid: spec.schedulingGates[1].name: Forbidden: '
                           "only deletion is allowed, but found new scheduling gate 'x'\n")
    # A strategic merge patch merges by name; upstream's mergeSortedSlice puts patch-only items first.
    proc = cluster.kubectl("patch", "pod", "test-pod", "-n", seeded,
                           "-p", '{"spec":{"schedulingGates":[{"name":"x"}]}}', version=version, check=False)
    assert proc.returncode == 1
    assert proc.stderr == ('The Pod "test-pod" is invalid: spec.schedulingGates[0].name: Forbidden: '
                           "only deletion is allowed, but found new scheduling gate 'x'\n")
    gates = api.get(f"/api/v1/namespaces/{seeded}/pods/test-pod").json()["spec"]["schedulingGates"]
    assert gates == [{"name": "moelove.info/disk"}, {"name": "foo.bar/xyz"}]


def test_adding_a_gate_through_the_api_gives_the_full_status(api, seeded):
    r = api.patch(f"/api/v1/namespaces/{seeded}/pods/test-pod",
                  content=b'[{"op":"add","path":"/spec/schedulingGates/0","value":{"name":"x"}}]',
                  headers={"content-type": "application/json-patch+json"})
    assert r.status_code == 422
    message = "only deletion is allowed, but found new scheduling gate 'x'"
    assert r.json() == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": f'Pod "test-pod" is invalid: spec.schedulingGates[0].name: Forbidden: {message}',
        "reason": "Invalid",
        "details": {"name": "test-pod", "kind": "Pod",
                    "causes": [{"reason": "FieldValueForbidden", "message": f"Forbidden: {message}",
                                "field": "spec.schedulingGates[0].name"}]},
        "code": 422,
    }


def test_removing_gates_works(cluster, api, version, seeded):
    path = f"/api/v1/namespaces/{seeded}/pods/test-pod"
    out = cluster.kubectl("patch", "pod", "test-pod", "-n", seeded, "--type", "json",
                          "-p", '[{"op":"remove","path":"/spec/schedulingGates/0"}]', version=version)
    assert out.stdout == "pod/test-pod patched\n"
    assert api.get(path).json()["spec"]["schedulingGates"] == [{"name": "foo.bar/xyz"}]
    row = table_rows(cluster.kubectl("get", "pods", "-n", seeded, version=version).stdout)[1]
    assert row[2] == "SchedulingGated"
    cluster.kubectl("patch", "pod", "test-pod", "-n", seeded, "--type", "json",
                    "-p", '[{"op":"remove","path":"/spec/schedulingGates"}]', version=version)
    assert "schedulingGates" not in api.get(path).json()["spec"]


def test_gated_pod_accepts_node_selector_additions(api, seeded):
    r = api.patch(f"/api/v1/namespaces/{seeded}/pods/test-pod",
                  content=b'{"spec":{"nodeSelector":{"disk":"ssd"}}}',
                  headers={"content-type": "application/strategic-merge-patch+json"})
    assert r.status_code == 200, r.text
    assert r.json()["spec"]["nodeSelector"] == {"disk": "ssd"}


def test_node_name_with_gates_is_rejected_on_create(cluster, api, version):
    ns = f"gates-bound-{version.replace('.', '-')}"
    ensure_namespace(api, ns)
    manifest = yaml.safe_load(SEED_POD)
    manifest["spec"]["nodeName"] = "node-1"
    proc = cluster.kubectl("create", "-n", ns, "-f", "-", input=json.dumps(manifest), version=version, check=False)
    assert proc.returncode == 1
    assert proc.stderr == ('The Pod "test-pod" is invalid: spec.nodeName: Forbidden: '
                           "cannot be set until all schedulingGates have been cleared\n")
    assert api.get(f"/api/v1/namespaces/{ns}/pods").json()["items"] == []


def test_duplicate_gates_are_rejected(api):
    ensure_namespace(api, "gates-dup")
    body = pod("dup", schedulingGates=[{"name": "a.io/x"}, {"name": "a.io/x"}])
    r = api.post("/api/v1/namespaces/gates-dup/pods", json=body)
    assert r.status_code == 422
    assert r.json()["message"] == 'Pod "dup" is invalid: spec.schedulingGates[1]: Duplicate value: "a.io/x"'
