"""StatefulSets and DaemonSets end to end with real kubectl: get (server-side columns),
rollout status, scale through the scale subresource, rollout history and undo."""

from __future__ import annotations

import json

import pytest
from conftest import start_thread_cluster
from kubeutil import wait_for

pytestmark = pytest.mark.e2e

NS = "apps"

STS = """
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      terminationGracePeriodSeconds: 0
      containers: [{name: db, image: "postgres:16"}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: logs}
spec:
  selector: {matchLabels: {app: logs}}
  template:
    metadata: {labels: {app: logs}}
    spec:
      terminationGracePeriodSeconds: 0
      containers: [{name: fluent, image: "fluent-bit:3.0"}]
"""


@pytest.fixture(scope="module")
def kc(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("apps")
    cluster, ts = start_thread_cluster(tmp, scheduler=True, controllers=True, nodes=3, runtime="simulated")
    try:
        cluster.kubectl("create", "namespace", NS)
        yield cluster
    finally:
        ts.stop()


def get(kc, *args: str) -> dict:
    return json.loads(kc.kubectl("get", "-n", NS, *args, "-o", "json").stdout)


def rollout_status(kc, what: str) -> str:
    return kc.kubectl("rollout", "status", what, "-n", NS, "--timeout=60s", timeout=90).stdout


def test_get_rollout_scale_undo(kc):
    kc.kubectl("apply", "-n", NS, "-f", "-", input=STS)
    # The defaulted rollingUpdate carries partition 0, so kubectl reports a partitioned roll out, as upstream.
    assert rollout_status(kc, "sts/db") == "partitioned roll out complete: 2 new pods have been updated...\n"
    assert rollout_status(kc, "ds/logs").strip().endswith('daemon set "logs" successfully rolled out')

    out = kc.kubectl("get", "sts,ds", "-n", NS).stdout.splitlines()
    assert out[0].split() == ["NAME", "READY", "AGE"]
    assert out[1].split()[:2] == ["statefulset.apps/db", "2/2"]
    ds_header = [line for line in out if line.startswith("NAME") and "DESIRED" in line][0]
    assert ds_header.split() == ["NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE", "SELECTOR", "AGE"]
    assert [line for line in out if line.startswith("daemonset.apps/logs")][0].split()[1:7] == ["3", "3", "3", "3", "3", "<none>"]
    wide = kc.kubectl("get", "sts", "db", "-n", NS, "-o", "wide").stdout.splitlines()
    assert wide[0].split() == ["NAME", "READY", "AGE", "CONTAINERS", "IMAGES"]
    assert wide[1].split()[3:] == ["db", "postgres:16"]

    kc.kubectl("scale", "sts/db", "--replicas=3", "-n", NS)
    rollout_status(kc, "sts/db")
    wait_for(lambda: sorted(p["metadata"]["name"] for p in get(kc, "pods", "-l", "app=db")["items"]) == ["db-0", "db-1", "db-2"],
             what="three stateful pods", timeout=30)

    kc.kubectl("set", "image", "sts/db", "db=postgres:16.1", "-n", NS)
    assert rollout_status(kc, "sts/db").endswith("partitioned roll out complete: 3 new pods have been updated...\n")
    history = kc.kubectl("rollout", "history", "sts/db", "-n", NS).stdout
    assert [line.split()[0] for line in history.splitlines()[2:] if line.strip()] == ["1", "2"]
    kc.kubectl("rollout", "undo", "sts/db", "-n", NS)
    rollout_status(kc, "sts/db")
    sts = get(kc, "sts", "db")
    assert sts["spec"]["template"]["spec"]["containers"][0]["image"] == "postgres:16"
    wait_for(lambda: {p["spec"]["containers"][0]["image"] for p in get(kc, "pods", "-l", "app=db")["items"]} == {"postgres:16"},
             what="pods back on the old image", timeout=30)

    kc.kubectl("set", "image", "ds/logs", "fluent=fluent-bit:3.1", "-n", NS)
    assert 'daemon set "logs" successfully rolled out' in rollout_status(kc, "ds/logs")
    revs = kc.kubectl("get", "controllerrevisions", "-n", NS).stdout.splitlines()
    assert revs[0].split() == ["NAME", "CONTROLLER", "REVISION", "AGE"]
    assert sorted(line.split()[1] for line in revs[1:]) == ["daemonset.apps/logs"] * 2 + ["statefulset.apps/db"] * 2
