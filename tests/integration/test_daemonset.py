"""DaemonSet controller against an in-thread cluster with the scheduler and simulated nodes."""

from __future__ import annotations

import asyncio
import time

import pytest
from conftest import start_thread_cluster

from uwernetes.client.api import NODES, PODS
from uwernetes.controllers.daemonset import DAEMONSETS
from uwernetes.controllers.daemonset_util import DAEMON_TOLERATIONS
from uwernetes.controllers.history import CONTROLLERREVISIONS

NS = "default"
OPTIONS = {"simulated_start_delay": 0.02, "backoff_base": 0.2}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    c, ts = start_thread_cluster(tmp_path_factory.mktemp("ds"), scheduler=True, controllers=True, nodes=3,
                                 runtime="simulated", component_options=OPTIONS)
    client = c.server.client("ds-test")
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


def ds_body(name, image="nginx:1.25", pod_spec=None, **spec):
    return {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": name},
            "spec": {"selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"terminationGracePeriodSeconds": 0,
                                           "containers": [{"name": "c", "image": image}], **(pod_spec or {})}},
                     **spec}}


def pods_of(c, client, name):
    out = c.run(client.list(PODS, NS, label_selector=f"app={name}"))["items"]
    return [p for p in out if not p["metadata"].get("deletionTimestamp")]


def node_names(c, client):
    return sorted(n["metadata"]["name"] for n in c.run(client.list(NODES))["items"])


def get_ds(c, client, name):
    return c.run(client.get(DAEMONSETS, name, NS))


def settled(c, client, name, desired):
    def check():
        ds = get_ds(c, client, name)
        st = ds.get("status", {})
        ok = (st.get("observedGeneration") == ds["metadata"]["generation"] and st.get("desiredNumberScheduled") == desired
              and st.get("updatedNumberScheduled", 0) == desired and st.get("numberAvailable", 0) == desired
              and st.get("currentNumberScheduled") == desired and len(pods_of(c, client, name)) == desired)
        return ok and ds
    return wait_for(check, f"{name} settled at {desired}")


class Recorder:
    def __init__(self, c, client, app):
        self.events: list[tuple[str, dict]] = []
        rv = c.run(client.list(PODS, NS))["metadata"]["resourceVersion"]
        self.task = asyncio.run_coroutine_threadsafe(self._run(client, app, rv), c.loop)

    async def _run(self, client, app, rv):
        async for ev in client.watch(PODS, NS, resource_version=rv, label_selector=f"app={app}"):
            self.events.append((ev.type, ev.object))

    def stop(self):
        self.task.cancel()

    def adds_and_deletes(self):
        return [t[0] for t, _ in self.events if t in ("ADDED", "DELETED")]


def test_one_pod_per_node_pinned_by_affinity(env):
    c, client = env
    c.run(client.create(DAEMONSETS, ds_body("agent"), NS))
    ds = settled(c, client, "agent", 3)
    pods = pods_of(c, client, "agent")
    assert sorted(p["spec"]["nodeName"] for p in pods) == node_names(c, client)
    for p in pods:
        terms = p["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
        assert terms == [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": [p["spec"]["nodeName"]]}]}]
        assert all(t in p["spec"]["tolerations"] for t in DAEMON_TOLERATIONS)
        assert p["metadata"]["labels"]["pod-template-generation"] == "1"
        assert p["metadata"]["ownerReferences"][0]["kind"] == "DaemonSet"
    st = ds["status"]
    assert {k: st.get(k) for k in ("desiredNumberScheduled", "currentNumberScheduled", "numberReady",
                                   "updatedNumberScheduled", "numberAvailable", "numberMisscheduled")} == {
        "desiredNumberScheduled": 3, "currentNumberScheduled": 3, "numberReady": 3, "updatedNumberScheduled": 3,
        "numberAvailable": 3, "numberMisscheduled": 0}
    revs = [r for r in c.run(client.list(CONTROLLERREVISIONS, NS))["items"]
            if r["metadata"]["ownerReferences"][0]["name"] == "agent"]
    assert len(revs) == 1 and revs[0]["revision"] == 1
    assert {p["metadata"]["labels"]["controller-revision-hash"] for p in pods} == {
        revs[0]["metadata"]["labels"]["controller-revision-hash"]}


def test_node_selector_follows_node_labels(env):
    c, client = env
    first = node_names(c, client)[0]
    c.run(client.create(DAEMONSETS, ds_body("picky", pod_spec={"nodeSelector": {"role": "special"}}), NS))
    wait_for(lambda: get_ds(c, client, "picky").get("status", {}).get("observedGeneration") == 1, "observed")
    assert pods_of(c, client, "picky") == []
    c.run(client.patch(NODES, first, {"metadata": {"labels": {"role": "special"}}}))
    settled(c, client, "picky", 1)
    assert [p["spec"]["nodeName"] for p in pods_of(c, client, "picky")] == [first]
    c.run(client.patch(NODES, first, {"metadata": {"labels": {"role": None}}}))
    wait_for(lambda: pods_of(c, client, "picky") == [] and
             get_ds(c, client, "picky")["status"]["desiredNumberScheduled"] == 0, "pod removed from unlabelled node")


def test_taints_and_tolerations(env):
    c, client = env
    last = node_names(c, client)[-1]
    taint = {"key": "dedicated", "value": "db", "effect": "NoSchedule"}
    c.run(client.patch(NODES, last, {"spec": {"taints": [taint]}}))
    try:
        c.run(client.create(DAEMONSETS, ds_body("plain"), NS))
        c.run(client.create(DAEMONSETS, ds_body("tolerant", pod_spec={"tolerations": [
            {"key": "dedicated", "operator": "Equal", "value": "db", "effect": "NoSchedule"}]}), NS))
        settled(c, client, "plain", 2)
        assert last not in {p["spec"]["nodeName"] for p in pods_of(c, client, "plain")}
        settled(c, client, "tolerant", 3)
        # A NoSchedule taint added later leaves the running pod alone, counted as misscheduled.
        st = wait_for(lambda: (s := get_ds(c, client, "agent")["status"])["desiredNumberScheduled"] == 2 and s, "agent")
        assert (st["currentNumberScheduled"], st["numberMisscheduled"]) == (2, 1)
        assert len(pods_of(c, client, "agent")) == 3
    finally:
        c.run(client.patch(NODES, last, {"spec": {"taints": None}}))
    settled(c, client, "plain", 3)


def test_rolling_update_max_unavailable_one(env):
    c, client = env
    c.run(client.create(DAEMONSETS, ds_body("roll"), NS))
    settled(c, client, "roll", 3)
    rec = Recorder(c, client, "roll")
    c.run(client.patch(DAEMONSETS, "roll", {"spec": {"template": {"spec": {"containers": [
        {"name": "c", "image": "nginx:1.26"}]}}}}, NS, patch_type="strategic"))
    ds = settled(c, client, "roll", 3)
    rec.stop()
    # maxUnavailable 1, maxSurge 0: each old pod goes before its replacement comes.
    assert rec.adds_and_deletes() == ["D", "A"] * 3
    pods = pods_of(c, client, "roll")
    assert {p["spec"]["containers"][0]["image"] for p in pods} == {"nginx:1.26"}
    assert {p["metadata"]["labels"]["pod-template-generation"] for p in pods} == {"2"}
    assert ds["metadata"]["annotations"]["deprecated.daemonset.template.generation"] == "2"
    revs = [r for r in c.run(client.list(CONTROLLERREVISIONS, NS))["items"]
            if r["metadata"]["ownerReferences"][0]["name"] == "roll"]
    assert sorted(r["revision"] for r in revs) == [1, 2]


def test_rolling_update_with_surge(env):
    c, client = env
    c.run(client.create(DAEMONSETS, ds_body("surge", updateStrategy={
        "type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}), NS))
    settled(c, client, "surge", 3)
    rec = Recorder(c, client, "surge")
    c.run(client.patch(DAEMONSETS, "surge", {"spec": {"template": {"spec": {"containers": [
        {"name": "c", "image": "nginx:1.26"}]}}}}, NS, patch_type="strategic"))
    settled(c, client, "surge", 3)
    wait_for(lambda: len(rec.adds_and_deletes()) == 6, "all replaced")
    rec.stop()
    # maxSurge 1: the new pod comes (and turns available) before the old one on that node goes.
    assert rec.adds_and_deletes() == ["A", "D"] * 3
