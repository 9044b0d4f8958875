"""Deployments end to end with real kubectl: rollout status/history/undo/pause/resume/restart,
scale, and cascading deletion (background, foreground, orphan), plus namespace deletion. The
cluster runs the scheduler, the controller manager and three simulated nodes in-process."""

from __future__ import annotations

import json

import pytest
from conftest import start_thread_cluster
from kubeutil import wait_for

pytestmark = pytest.mark.e2e

NS = "rollout"


@pytest.fixture(scope="module")
def kc(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rollout")
    cluster, ts = start_thread_cluster(tmp, scheduler=True, controllers=True, nodes=3, runtime="simulated")
    try:
        cluster.kubectl("create", "namespace", NS)
        yield cluster
    finally:
        ts.stop()


def get(kc, *args: str) -> dict:
    return json.loads(kc.kubectl("get", "-n", NS, *args, "-o", "json").stdout)


def rollout_status(kc, name: str) -> str:
    return kc.kubectl("rollout", "status", f"deployment/{name}", "-n", NS, "--timeout=60s", timeout=90).stdout


def images(kc, app: str) -> set[str]:
    pods = get(kc, "pods", "-l", f"app={app}")["items"]
    return {p["spec"]["containers"][0]["image"] for p in pods if not p["metadata"].get("deletionTimestamp")}


def test_rollout_update_undo_scale(kc):
    kc.kubectl("create", "deployment", "web", "--image=nginx:1.25", "--replicas=3", "-n", NS)
    assert rollout_status(kc, "web").strip().endswith('deployment "web" successfully rolled out')

    kc.kubectl("set", "image", "deployment/web", "nginx=nginx:1.26", "-n", NS)
    out = rollout_status(kc, "web")
    assert 'deployment "web" successfully rolled out' in out
    wait_for(lambda: images(kc, "web") == {"nginx:1.26"}, what="only new pods left", timeout=30)

    history = kc.kubectl("rollout", "history", "deployment/web", "-n", NS).stdout
    assert [line.split()[0] for line in history.splitlines()[2:] if line.strip()] == ["1", "2"]

    kc.kubectl("rollout", "undo", "deployment/web", "-n", NS)
    rollout_status(kc, "web")
    d = get(kc, "deployment", "web")
    assert d["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.25"
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    wait_for(lambda: images(kc, "web") == {"nginx:1.25"}, what="pods back on the old image", timeout=30)
    rss = get(kc, "replicasets", "-l", "app=web")["items"]
    assert sorted(r["metadata"]["annotations"]["deployment.kubernetes.io/revision"] for r in rss) == ["2", "3"]

    kc.kubectl("scale", "deployment/web", "--replicas=5", "-n", NS)
    rollout_status(kc, "web")
    wait_for(lambda: get(kc, "deployment", "web")["status"].get("availableReplicas") == 5, what="5 available", timeout=30)


def test_pause_resume_restart(kc):
    kc.kubectl("create", "deployment", "pz", "--image=nginx:1.25", "--replicas=2", "-n", NS)
    rollout_status(kc, "pz")
    kc.kubectl("rollout", "pause", "deployment/pz", "-n", NS)
    kc.kubectl("set", "image", "deployment/pz", "nginx=nginx:1.26", "-n", NS)

    def paused_condition():
        c = [c for c in get(kc, "deployment", "pz")["status"].get("conditions", []) if c["type"] == "Progressing"]
        return c and c[0]["reason"] == "DeploymentPaused"

    wait_for(paused_condition, what="DeploymentPaused", timeout=20)
    assert len(get(kc, "replicasets", "-l", "app=pz")["items"]) == 1
    kc.kubectl("rollout", "resume", "deployment/pz", "-n", NS)
    rollout_status(kc, "pz")
    assert len(get(kc, "replicasets", "-l", "app=pz")["items"]) == 2

    kc.kubectl("rollout", "restart", "deployment/pz", "-n", NS)
    rollout_status(kc, "pz")
    d = get(kc, "deployment", "pz")
    assert "kubectl.kubernetes.io/restartedAt" in d["spec"]["template"]["metadata"]["annotations"]
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"


def test_cascading_deletes(kc):
    for name in ("bg", "fg", "orph"):
        kc.kubectl("create", "deployment", name, "--image=nginx:1.25", "--replicas=2", "-n", NS)
    for name in ("bg", "fg", "orph"):
        rollout_status(kc, name)

    kc.kubectl("delete", "deployment", "bg", "-n", NS)
    wait_for(lambda: not get(kc, "replicasets", "-l", "app=bg")["items"] and not get(kc, "pods", "-l", "app=bg")["items"],
             what="background deletion of ReplicaSets and pods", timeout=30)

    # A finalizer of our own keeps one pod (and so, in foreground, its owners) around until released.
    held = get(kc, "pods", "-l", "app=fg")["items"][0]["metadata"]["name"]
    kc.kubectl("patch", "pod", held, "-n", NS, "--type=merge", "-p", '{"metadata":{"finalizers":["example.com/hold"]}}')
    kc.kubectl("delete", "deployment", "fg", "-n", NS, "--cascade=foreground", "--wait=false")
    d = get(kc, "deployment", "fg")
    assert d["metadata"]["finalizers"] == ["foregroundDeletion"]
    assert d["metadata"]["deletionTimestamp"]
    wait_for(lambda: [p["metadata"]["name"] for p in get(kc, "pods", "-l", "app=fg")["items"]] == [held],
             what="the other pod gone", timeout=30)
    assert get(kc, "deployment", "fg")["metadata"]["finalizers"] == ["foregroundDeletion"]
    rs = get(kc, "replicasets", "-l", "app=fg")["items"]
    assert [r["metadata"]["finalizers"] for r in rs] == [["foregroundDeletion"]]
    kc.kubectl("patch", "pod", held, "-n", NS, "--type=merge", "-p", '{"metadata":{"finalizers":null}}')

    def fg_done() -> bool:
        left = get(kc, "deployments")["items"]
        deps = get(kc, "replicasets", "-l", "app=fg")["items"] + get(kc, "pods", "-l", "app=fg")["items"]
        still = any(x["metadata"]["name"] == "fg" for x in left)
        assert still or not deps, "the Deployment went before its dependents"
        return not still

    wait_for(fg_done, what="foreground deletion", timeout=40)

    kc.kubectl("delete", "deployment", "orph", "-n", NS, "--cascade=orphan")
    rss = get(kc, "replicasets", "-l", "app=orph")["items"]
    assert len(rss) == 1
    assert not rss[0]["metadata"].get("ownerReferences")
    assert len([p for p in get(kc, "pods", "-l", "app=orph")["items"] if not p["metadata"].get("deletionTimestamp")]) == 2


GIZMO_CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gizmos.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: gizmos, kind: Gizmo}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
"""
GIZMO = "apiVersion: example.com/v1\nkind: Gizmo\nmetadata: {name: g1}\nspec: {size: 1}\n"


def test_namespace_deletion_empties_and_removes_it(kc):
    ns = "doomed-ns"
    kc.kubectl("create", "namespace", ns)
    kc.kubectl("create", "deployment", "app", "--image=nginx:1.25", "--replicas=2", "-n", ns)
    kc.kubectl("create", "job", "once", "--image=busybox", "-n", ns, "--", "true")
    kc.kubectl("create", "configmap", "one", "--from-literal=a=b", "-n", ns)
    kc.kubectl("create", "configmap", "two", "--from-literal=c=d", "-n", ns)
    kc.kubectl("apply", "-f", "-", input=GIZMO_CRD)
    kc.kubectl("wait", "--for=condition=Established", "crd/gizmos.example.com", "--timeout=20s")
    kc.kubectl("apply", "-n", ns, "-f", "-", input=GIZMO)
    kc.kubectl("rollout", "status", "deployment/app", "-n", ns, "--timeout=60s", timeout=90)
    kc.kubectl("delete", "namespace", ns, "--wait=false")

    def gone() -> bool:
        return kc.kubectl("get", "namespace", ns, check=False).returncode != 0

    wait_for(gone, what="namespace removed", timeout=60, interval=0.2)
    # Its custom resource went with it.
    assert kc.kubectl("get", "gizmos", "-A", "-o", "name").stdout.strip() == ""
