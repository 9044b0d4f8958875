"""StatefulSet controller against an in-thread cluster with the scheduler and simulated nodes."""

from __future__ import annotations

import asyncio
import time

import pytest
from conftest import start_thread_cluster

from uwernetes.client.api import PODS, APIError
from uwernetes.controllers.history import CONTROLLERREVISIONS
from uwernetes.controllers.statefulset import STATEFULSETS

NS = "default"
OPTIONS = {"simulated_start_delay": 0.02, "backoff_base": 0.2}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    c, ts = start_thread_cluster(tmp_path_factory.mktemp("sts"), scheduler=True, controllers=True, nodes=3,
                                 runtime="simulated", component_options=OPTIONS)
    client = c.server.client("sts-test")
    try:
        yield c, client
    finally:
        ts.stop()


def wait_for(fn, what, timeout=30.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


def sts_body(name, replicas=3, image="nginx:1.25", **spec):
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": name},
            "spec": {"replicas": replicas, "serviceName": name, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"terminationGracePeriodSeconds": 0,
                                           "containers": [{"name": "c", "image": image}]}},
                     **spec}}


def pods_of(c, client, name):
    out = c.run(client.list(PODS, NS, label_selector=f"app={name}"))["items"]
    return {p["metadata"]["name"]: p for p in out if not p["metadata"].get("deletionTimestamp")}


def get_sts(c, client, name):
    return c.run(client.get(STATEFULSETS, name, NS))


def ready(p):
    return p.get("status", {}).get("phase") == "Running" and any(
        x["type"] == "Ready" and x["status"] == "True" for x in p["status"].get("conditions", ()))


def rolled_out(c, client, name, replicas):
    def check():
        s = get_sts(c, client, name)
        st = s.get("status", {})
        return (st.get("observedGeneration") == s["metadata"]["generation"] and st.get("readyReplicas") == replicas
                and st.get("updatedReplicas") == replicas and st.get("currentRevision") == st.get("updateRevision")
                and len(pods_of(c, client, name)) == replicas and s)
    return wait_for(check, f"{name} rolled out")


class Recorder:
    """Pod watch events for one app label, in order."""

    def __init__(self, c, client, app):
        self.events: list[tuple[str, dict]] = []
        self.c, self.client, self.app = c, client, app
        rv = c.run(client.list(PODS, NS))["metadata"]["resourceVersion"]
        self.task = asyncio.run_coroutine_threadsafe(self._run(rv), c.loop)

    async def _run(self, rv):
        async for ev in self.client.watch(PODS, NS, resource_version=rv, label_selector=f"app={self.app}"):
            self.events.append((ev.type, ev.object))

    def stop(self):
        self.task.cancel()


def test_ordered_ready_creation_identity_and_status(env):
    c, client = env
    rec = Recorder(c, client, "web")
    c.run(client.create(STATEFULSETS, sts_body("web", volumeClaimTemplates=[
        {"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"],
                                               "resources": {"requests": {"storage": "1Gi"}}}}]), NS))
    s = rolled_out(c, client, "web", 3)
    rec.stop()
    # Each pod is created only after its predecessor was seen Running and Ready.
    state: dict[str, dict] = {}
    order = []
    for etype, pod in rec.events:
        name = pod["metadata"]["name"]
        if etype == "ADDED":
            order.append(name)
            ordinal = int(name.rsplit("-", 1)[1])
            if ordinal > 0:
                assert ready(state[f"web-{ordinal - 1}"]), f"{name} created before web-{ordinal - 1} was ready"
        state[name] = pod
    assert order == ["web-0", "web-1", "web-2"]
    pods = pods_of(c, client, "web")
    p1 = pods["web-1"]
    st = s["status"]
    assert p1["spec"]["hostname"] == "web-1" and p1["spec"]["subdomain"] == "web"
    assert p1["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"] == "web-1"
    assert p1["metadata"]["labels"]["apps.kubernetes.io/pod-index"] == "1"
    assert p1["metadata"]["labels"]["controller-revision-hash"] == st["updateRevision"]
    assert {"name": "data", "persistentVolumeClaim": {"claimName": "data-web-1"}} in p1["spec"]["volumes"]
    assert p1["metadata"]["ownerReferences"][0]["kind"] == "StatefulSet"
    assert {k: st[k] for k in ("replicas", "readyReplicas", "currentReplicas", "updatedReplicas", "availableReplicas")} == {
        "replicas": 3, "readyReplicas": 3, "currentReplicas": 3, "updatedReplicas": 3, "availableReplicas": 3}
    revs = c.run(client.list(CONTROLLERREVISIONS, NS))["items"]
    mine = [r for r in revs if r["metadata"]["ownerReferences"][0]["name"] == "web"]
    assert [(r["metadata"]["name"], r["revision"]) for r in mine] == [(st["updateRevision"], 1)]
    assert mine[0]["metadata"]["labels"]["app"] == "web"


def test_rolling_update_in_reverse_order_then_scale_down(env):
    c, client = env
    before = get_sts(c, client, "web")["status"]["updateRevision"]
    rec = Recorder(c, client, "web")
    c.run(client.patch(STATEFULSETS, "web", {"spec": {"template": {"spec": {"containers": [
        {"name": "c", "image": "nginx:1.26"}]}}}}, NS, patch_type="strategic"))
    s = rolled_out(c, client, "web", 3)
    st = s["status"]
    assert st["updateRevision"] != before and st["currentRevision"] == st["updateRevision"]
    deleted = [p["metadata"]["name"] for t, p in rec.events if t == "DELETED"]
    assert deleted == ["web-2", "web-1", "web-0"]
    assert {p["spec"]["containers"][0]["image"] for p in pods_of(c, client, "web").values()} == {"nginx:1.26"}
    revs = [r for r in c.run(client.list(CONTROLLERREVISIONS, NS))["items"] if r["metadata"]["name"].startswith("web-")]
    assert sorted(r["revision"] for r in revs) == [1, 2]
    rec.stop()

    rec = Recorder(c, client, "web")
    c.run(client.patch(STATEFULSETS, "web", {"spec": {"replicas": 1}}, NS))
    wait_for(lambda: list(pods_of(c, client, "web")) == ["web-0"] and get_sts(c, client, "web")["status"]["replicas"] == 1,
             "scale down to 1")
    rec.stop()
    assert [p["metadata"]["name"] for t, p in rec.events if t == "DELETED"] == ["web-2", "web-1"]


def test_partition_updates_only_high_ordinals(env):
    c, client = env
    c.run(client.create(STATEFULSETS, sts_body("part", updateStrategy={
        "type": "RollingUpdate", "rollingUpdate": {"partition": 2}}), NS))
    rolled_out(c, client, "part", 3)
    c.run(client.patch(STATEFULSETS, "part", {"spec": {"template": {"spec": {"containers": [
        {"name": "c", "image": "nginx:1.26"}]}}}}, NS, patch_type="strategic"))

    def partial():
        st = get_sts(c, client, "part")["status"]
        pods = pods_of(c, client, "part")
        images = {n: p["spec"]["containers"][0]["image"] for n, p in pods.items()}
        return (st.get("updatedReplicas") == 1 and st.get("currentReplicas") == 2 and st.get("readyReplicas") == 3
                and images == {"part-0": "nginx:1.25", "part-1": "nginx:1.25", "part-2": "nginx:1.26"} and st)
    st = wait_for(partial, "partitioned update")
    assert st["currentRevision"] != st["updateRevision"]


def test_parallel_creates_all_while_ordered_waits(env):
    c, client = env
    # No node matches, so pods stay Pending: OrderedReady stops after the first one.
    selector = {"nodeSelector": {"no-such-node": "true"}}
    for name, policy in (("par", "Parallel"), ("ord", "OrderedReady")):
        body = sts_body(name, podManagementPolicy=policy)
        body["spec"]["template"]["spec"].update(selector)
        c.run(client.create(STATEFULSETS, body, NS))
    wait_for(lambda: sorted(pods_of(c, client, "par")) == ["par-0", "par-1", "par-2"], "parallel pods")
    wait_for(lambda: get_sts(c, client, "ord").get("status", {}).get("replicas") == 1, "ordered status")
    time.sleep(0.5)  # give a wrong controller the chance to create more
    assert sorted(pods_of(c, client, "ord")) == ["ord-0"]


def test_on_delete_waits_for_manual_deletion(env):
    c, client = env
    c.run(client.create(STATEFULSETS, sts_body("ondel", replicas=2, updateStrategy={"type": "OnDelete"}), NS))
    rolled_out(c, client, "ondel", 2)
    c.run(client.patch(STATEFULSETS, "ondel", {"spec": {"template": {"spec": {"containers": [
        {"name": "c", "image": "nginx:1.26"}]}}}}, NS, patch_type="strategic"))
    wait_for(lambda: get_sts(c, client, "ondel")["status"].get("observedGeneration") == 2, "observed")
    time.sleep(0.3)
    assert {p["spec"]["containers"][0]["image"] for p in pods_of(c, client, "ondel").values()} == {"nginx:1.25"}
    uid = pods_of(c, client, "ondel")["ondel-1"]["metadata"]["uid"]
    c.run(client.delete(PODS, "ondel-1", NS))

    def replaced():
        p = pods_of(c, client, "ondel").get("ondel-1")
        return p is not None and p["metadata"]["uid"] != uid and p["spec"]["containers"][0]["image"] == "nginx:1.26"
    wait_for(replaced, "ondel-1 recreated at the update revision")
    assert pods_of(c, client, "ondel")["ondel-0"]["spec"]["containers"][0]["image"] == "nginx:1.25"


def test_invalid_update_is_rejected(env):
    c, client = env
    with pytest.raises(APIError) as e:
        c.run(client.patch(STATEFULSETS, "web", {"spec": {"serviceName": "other"}}, NS))
    assert e.value.code == 422
    assert "updates to statefulset spec for fields other than" in e.value.status["message"]
