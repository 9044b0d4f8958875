"""Simulated node agents in an in-thread cluster: registration, pod lifecycle, status, eviction."""

from __future__ import annotations

import time

import pytest
from conftest import start_thread_cluster

from uwernetes.client.api import LEASES, NODES, PODS, APIError
from uwernetes.node import agent

OPTIONS = {"name_prefix": "sim-", "dual_stack": True, "backoff_base": 0.2, "simulated_start_delay": 0.05,
           "node_monitor_grace_period": 2, "node_monitor_period": 0.3, "lease_renew_seconds": 0.5}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    c, ts = start_thread_cluster(tmp_path_factory.mktemp("nodes"), controllers=True, nodes=3, runtime="simulated",
                                 component_options=OPTIONS)
    client = c.server.client("test")
    try:
        yield c, client
    finally:
        ts.stop()


def wait_for(fn, timeout=20.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(0.05)
    raise AssertionError(f"condition not met in {timeout}s; last value {last!r}")


def get_pod(c, client, name):
    try:
        return c.run(client.get(PODS, name, "default"))
    except APIError as e:
        if e.code == 404:
            return None
        raise


def make_pod(c, client, name, node="sim-0", annotations=None, restart="Always", bind=False, **spec):
    body = {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "annotations": annotations or {}},
            "spec": {"restartPolicy": restart, "containers": [{"name": "main", "image": "busybox"}], **spec}}
    if not bind:
        body["spec"]["nodeName"] = node
    c.run(client.create(PODS, body))
    if bind:
        c.run(client.create(PODS, {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": name},
                                   "target": {"kind": "Node", "name": node}}, "default", subresource="binding",
                            name=name))


def phase_is(c, client, name, phase):
    return lambda: (p := get_pod(c, client, name)) and (p.get("status") or {}).get("phase") == phase and p


def nodes_ready(c, client):
    nodes = c.run(client.list(NODES))["items"]
    return len(nodes) == 3 and all(n["status"]["conditions"][-1]["status"] == "True" for n in nodes) and nodes


def test_nodes_register_with_leases(env):
    c, client = env
    nodes = wait_for(lambda: nodes_ready(c, client))
    n0 = next(n for n in nodes if n["metadata"]["name"] == "sim-0")
    assert n0["spec"]["podCIDRs"] == ["10.244.0.0/24", "fd00:10:244:0::/64"]
    assert [a["type"] for a in n0["status"]["addresses"]] == ["InternalIP", "InternalIP", "Hostname"]
    assert n0["status"]["capacity"]["pods"] == "110"
    assert n0["status"]["runtimeHandlers"][0]["features"]["recursiveReadOnlyMounts"] is False
    def lease():
        # The agent creates its Lease right after its Node, so the Node can be seen first.
        try:
            return c.run(client.get(LEASES, "sim-0", "kube-node-lease"))
        except APIError as e:
            if e.not_found:
                return None
            raise

    lease = wait_for(lease)
    assert lease["spec"]["holderIdentity"] == "sim-0"
    assert lease["metadata"]["ownerReferences"][0]["uid"] == n0["metadata"]["uid"]


def test_bound_pod_runs_with_full_status(env):
    c, client = env
    wait_for(lambda: nodes_ready(c, client))
    make_pod(c, client, "web", node="sim-1", bind=True)
    p = wait_for(phase_is(c, client, "web", "Running"))
    s = p["status"]
    conds = {x["type"]: x["status"] for x in s["conditions"]}
    assert conds == {"PodReadyToStartContainers": "True", "Initialized": "True", "Ready": "True",
                     "ContainersReady": "True", "PodScheduled": "True"}
    assert s["hostIP"] == "172.18.0.3"
    assert s["hostIPs"] == [{"ip": "172.18.0.3"}, {"ip": "fc00:f853:ccd:e793::3"}]
    assert s["podIPs"][0]["ip"].startswith("10.244.1.") and s["podIPs"][1]["ip"].startswith("fd00:10:244:1::")
    assert s["podIP"] == s["podIPs"][0]["ip"]
    assert s["qosClass"] == "BestEffort" and s["startTime"]
    cs = s["containerStatuses"][0]
    assert cs["ready"] is True and cs["started"] is True and cs["restartCount"] == 0
    assert cs["containerID"].startswith("simulated://")


def test_init_and_sidecar_order(env):
    c, client = env
    wait_for(lambda: nodes_ready(c, client))
    make_pod(c, client, "inits", annotations={"uwernetes.io/simulate": '{"container": "init", "after": "0.2s"}'},
             initContainers=[{"name": "init", "image": "busybox"},
                             {"name": "side", "image": "busybox", "restartPolicy": "Always"}])
    p = wait_for(phase_is(c, client, "inits", "Running"))
    init = {x["name"]: x for x in p["status"]["initContainerStatuses"]}
    assert init["init"]["state"]["terminated"]["reason"] == "Completed" and init["init"]["ready"] is True
    assert "running" in init["side"]["state"] and init["side"]["started"] is True


@pytest.mark.parametrize("name,restart,annotation,phase,reason,restarts", [
    ("never-fail", "Never", '{"after": "0.1s", "exitCode": 2}', "Failed", "Error", 0),
    ("never-ok", "Never", '{"after": "0.1s"}', "Succeeded", "Completed", 0),
    ("onfailure", "OnFailure", '{"after": "0.1s", "exitCode": [1, 1, 0]}', "Succeeded", "Completed", 2),
])
def test_simulated_exit_drives_phase(env, name, restart, annotation, phase, reason, restarts):
    c, client = env
    wait_for(lambda: nodes_ready(c, client))
    make_pod(c, client, name, restart=restart, annotations={"uwernetes.io/simulate": annotation})
    p = wait_for(phase_is(c, client, name, phase))
    cs = p["status"]["containerStatuses"][0]
    assert cs["state"]["terminated"]["reason"] == reason
    assert cs["restartCount"] == restarts
    conds = {x["type"]: (x["status"], x.get("reason")) for x in p["status"]["conditions"]}
    assert conds["Ready"] == ("False", "PodCompleted" if phase == "Succeeded" else "PodFailed")
    if restarts:
        assert cs["lastState"]["terminated"]["exitCode"] == 1


def test_crash_loop_back_off(env):
    c, client = env
    wait_for(lambda: nodes_ready(c, client))
    make_pod(c, client, "crash", annotations={"uwernetes.io/simulate": '{"after": "0.05s", "exitCode": 1}'})

    def backing_off():
        p = get_pod(c, client, "crash")
        cs = ((p or {}).get("status") or {}).get("containerStatuses") or [{}]
        w = (cs[0].get("state") or {}).get("waiting") or {}
        return w.get("reason") == "CrashLoopBackOff" and cs[0]["restartCount"] >= 2 and (p, w)

    p, w = wait_for(backing_off)
    uid = p["metadata"]["uid"]
    assert w["message"].startswith("back-off ") and w["message"].endswith(
        f" restarting failed container=main pod=crash_default({uid})")
    assert p["status"]["phase"] == "Running"


def test_graceful_delete_removes_pod(env):
    c, client = env
    wait_for(lambda: nodes_ready(c, client))
    make_pod(c, client, "bye")
    wait_for(phase_is(c, client, "bye", "Running"))
    c.run(client.delete(PODS, "bye", "default"))
    wait_for(lambda: get_pod(c, client, "bye") is None)


def test_stopped_node_goes_unknown_and_evicts(env):
    c, client = env
    wait_for(lambda: nodes_ready(c, client))
    tol = [{"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
            "tolerationSeconds": 1}]
    make_pod(c, client, "victim", node="sim-2", tolerations=tol)
    make_pod(c, client, "stayer", node="sim-2", tolerations=[{"operator": "Exists"}])
    wait_for(phase_is(c, client, "victim", "Running"))

    async def stop():
        agent.pools()[0].stop_node("sim-2")

    c.run(stop())

    def tainted():
        n = c.run(client.get(NODES, "sim-2"))
        ready = next(x for x in n["status"]["conditions"] if x["type"] == "Ready")
        return ready["status"] == "Unknown" and n["spec"].get("taints") and (n, ready)

    n, ready = wait_for(tainted)
    assert (ready["reason"], ready["message"]) == ("NodeStatusUnknown", "Kubelet stopped posting node status.")
    assert {(t["key"], t["effect"]) for t in n["spec"]["taints"]} == {
        ("node.kubernetes.io/unreachable", "NoExecute"), ("node.kubernetes.io/unreachable", "NoSchedule")}
    victim = wait_for(lambda: (p := get_pod(c, client, "victim")) and p["metadata"].get("deletionTimestamp") and p)
    target = next(x for x in victim["status"]["conditions"] if x["type"] == "DisruptionTarget")
    assert (target["reason"], target["message"]) == ("DeletionByTaintManager",
                                                     "Taint manager: deleting due to NoExecute taint")
    stayer = get_pod(c, client, "stayer")
    assert not stayer["metadata"].get("deletionTimestamp")
    assert next(x for x in stayer["status"]["conditions"] if x["type"] == "Ready")["status"] == "False"
    # The other nodes keep renewing and stay Ready.
    others = [x for x in c.run(client.list(NODES))["items"] if x["metadata"]["name"] != "sim-2"]
    assert all(x["status"]["conditions"][-1]["status"] == "True" for x in others)
