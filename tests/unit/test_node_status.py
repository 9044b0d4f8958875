"""Pod status as the kubelet computes it: phase, conditions, host/pod IPs (node/status.py)."""

from __future__ import annotations

import pytest

from uwernetes.node import status as st
from uwernetes.node.status import ContainerRecord as R


def pod(containers=("main",), init=(), sidecars=(), restart="Always", gates=(), status=None):
    inits = [{"name": n, "image": "busybox"} for n in init] + [
        {"name": n, "image": "busybox", "restartPolicy": "Always"} for n in sidecars]
    spec = {"containers": [{"name": n, "image": "busybox"} for n in containers], "restartPolicy": restart}
    if inits:
        spec["initContainers"] = inits
    if gates:
        spec["readinessGates"] = [{"conditionType": g} for g in gates]
    return {"metadata": {"name": "p", "namespace": "default", "uid": "u"}, "spec": spec, "status": status or {}}


def running(name, ready=True):
    return R(name, "busybox", state="running", reason="", container_id="simulated://1", started_at=100,
             ready=ready, started=True)


def exited(name, code, restarts=0):
    return R(name, "busybox", state="terminated", reason="Completed" if code == 0 else "Error", exit_code=code,
             container_id="simulated://2", started_at=100, finished_at=110, restart_count=restarts,
             ready=False)


def waiting(name, reason="ContainerCreating", last=None, restarts=0):
    return R(name, "busybox", reason=reason, last_terminated=last, restart_count=restarts)


def statuses(recs):
    return [st.container_status(r) for r in recs]


@pytest.mark.parametrize("name,p,init,regular,terminal,want", [
    ("all running", pod(), [], [running("main")], False, "Running"),
    ("creating", pod(), [], [waiting("main")], False, "Pending"),
    ("no status yet", pod(), [], [], False, "Pending"),
    ("Never, exit 0", pod(restart="Never"), [], [exited("main", 0)], False, "Succeeded"),
    ("Never, exit 1", pod(restart="Never"), [], [exited("main", 1)], False, "Failed"),
    ("OnFailure, exit 1 restarting", pod(restart="OnFailure"), [], [exited("main", 1)], False, "Running"),
    ("OnFailure, exit 0", pod(restart="OnFailure"), [], [exited("main", 0)], False, "Succeeded"),
    ("Always, exited: restarting", pod(), [], [exited("main", 0)], False, "Running"),
    ("Always, exited, terminal", pod(), [], [exited("main", 0)], True, "Succeeded"),
    ("Always, failed, terminal", pod(), [], [exited("main", 137)], True, "Failed"),
    ("crash loop counts as stopped", pod(), [],
     [waiting("main", "CrashLoopBackOff", last={"exitCode": 1}, restarts=1)], False, "Running"),
    ("one of two running", pod(containers=("a", "b"), restart="Never"), [],
     [running("a"), exited("b", 1)], False, "Running"),
    ("init running", pod(init=("i",)), [running("i", ready=False)], [waiting("main", "PodInitializing")], False,
     "Pending"),
    ("init failed, Never", pod(init=("i",), restart="Never"), [exited("i", 1)], [waiting("main", "PodInitializing")],
     False, "Failed"),
    ("init failed, Always: pending retry", pod(init=("i",)),
     [waiting("i", "CrashLoopBackOff", last={"exitCode": 1})], [waiting("main", "PodInitializing")], False, "Pending"),
    ("sidecar not started", pod(sidecars=("s",)), [waiting("s", "PodInitializing")], [waiting("main")], False,
     "Pending"),
    ("sidecar running, main running", pod(sidecars=("s",)), [running("s")], [running("main")], False, "Running"),
    ("sidecar running, main done, Never", pod(sidecars=("s",), restart="Never"), [running("s")],
     [exited("main", 0)], False, "Running"),
    ("sidecar stopped, main done, Never", pod(sidecars=("s",), restart="Never"), [exited("s", 0)],
     [exited("main", 0)], False, "Succeeded"),
])
def test_pod_phase(name, p, init, regular, terminal, want):
    assert st.pod_phase(p["spec"], statuses(init), statuses(regular), terminal) == want


@pytest.mark.parametrize("name,p,recs,phase,want", [
    ("no init containers", pod(), [running("main")], "Running", {"type": "Initialized", "status": "True"}),
    ("init incomplete", pod(init=("a", "b")), [running("a", ready=False), waiting("b", "PodInitializing")], "Pending",
     {"type": "Initialized", "status": "False", "reason": "ContainersNotInitialized",
      "message": "containers with incomplete status: [a b]"}),
    ("init unknown and incomplete", pod(init=("a", "b")), [running("a", ready=False)], "Pending",
     {"type": "Initialized", "status": "False", "reason": "ContainersNotInitialized",
      "message": "containers with unknown status: [b], containers with incomplete status: [a]"}),
    ("init done", pod(init=("a",)), [R("a", "x", state="terminated", exit_code=0, reason="Completed", ready=True)],
     "Pending", {"type": "Initialized", "status": "True"}),
    ("succeeded pod", pod(init=("a",)), [R("a", "x", state="terminated", exit_code=0, reason="Completed", ready=True)],
     "Succeeded", {"type": "Initialized", "status": "True", "reason": "PodCompleted"}),
    ("sidecar started", pod(sidecars=("s",)), [running("s")], "Pending", {"type": "Initialized", "status": "True"}),
])
def test_initialized_condition(name, p, recs, phase, want):
    assert st.initialized_condition(p["spec"], statuses(recs), phase) == want


@pytest.mark.parametrize("name,p,recs,phase,want", [
    ("ready", pod(), [running("main")], "Running", {"type": "ContainersReady", "status": "True"}),
    ("unready", pod(containers=("web", "db")), [running("web", ready=False), running("db")], "Running",
     {"type": "ContainersReady", "status": "False", "reason": "ContainersNotReady",
      "message": "containers with unready status: [web]"}),
    ("unknown and unready", pod(containers=("a", "b")), [waiting("a")], "Pending",
     {"type": "ContainersReady", "status": "False", "reason": "ContainersNotReady",
      "message": "containers with unknown status: [b], containers with unready status: [a]"}),
    ("sidecar counts", pod(sidecars=("s",)), [running("s", ready=False), running("main")], "Running",
     {"type": "ContainersReady", "status": "False", "reason": "ContainersNotReady",
      "message": "containers with unready status: [s]"}),
    ("succeeded", pod(restart="Never"), [exited("main", 0)], "Succeeded",
     {"type": "ContainersReady", "status": "False", "reason": "PodCompleted"}),
    ("failed", pod(restart="Never"), [exited("main", 1)], "Failed",
     {"type": "ContainersReady", "status": "False", "reason": "PodFailed"}),
])
def test_containers_ready_condition(name, p, recs, phase, want):
    assert st.containers_ready_condition(p["spec"], statuses(recs), phase) == want


def test_containers_ready_without_statuses():
    assert st.containers_ready_condition(pod()["spec"], None, "Pending") == {
        "type": "ContainersReady", "status": "False", "reason": "UnknownContainerStatuses"}


@pytest.mark.parametrize("conditions,want", [
    ([], {"type": "Ready", "status": "False", "reason": "ReadinessGatesNotReady",
          "message": 'corresponding condition of pod readiness gate "x" does not exist.'}),
    ([{"type": "x", "status": "False"}], {"type": "Ready", "status": "False", "reason": "ReadinessGatesNotReady",
                                         "message": 'the status of pod readiness gate "x" is not "True", but False'}),
    ([{"type": "x", "status": "True"}], {"type": "Ready", "status": "True"}),
])
def test_ready_condition_readiness_gates(conditions, want):
    spec = pod(gates=("x",))["spec"]
    assert st.ready_condition(spec, conditions, {"type": "ContainersReady", "status": "True"}) == want


def test_ready_copies_containers_ready_when_not_true():
    cr = {"type": "ContainersReady", "status": "False", "reason": "ContainersNotReady", "message": "m"}
    assert st.ready_condition(pod()["spec"], [], cr) == {"type": "Ready", "status": "False",
                                                          "reason": "ContainersNotReady", "message": "m"}


@pytest.mark.parametrize("addresses,want", [
    ([{"type": "Hostname", "address": "n1"}, {"type": "ExternalIP", "address": "203.0.113.5"},
      {"type": "InternalIP", "address": "10.0.0.5"}, {"type": "InternalIP", "address": "fd00::5"}],
     ["10.0.0.5", "fd00::5"]),
    ([{"type": "InternalIP", "address": "10.0.0.5"}, {"type": "InternalIP", "address": "10.0.0.6"}], ["10.0.0.5"]),
    ([{"type": "InternalIP", "address": "fd00::5"}, {"type": "ExternalIP", "address": "203.0.113.5"}],
     ["fd00::5", "203.0.113.5"]),
    ([{"type": "InternalIP", "address": "bogus"}, {"type": "ExternalIP", "address": "203.0.113.5"}], ["203.0.113.5"]),
    ([{"type": "Hostname", "address": "n1"}], []),
])
def test_node_host_ips(addresses, want):
    assert st.node_host_ips(addresses) == want


def test_host_ip_error_message():
    assert st.host_ip_error([{"type": "Hostname", "address": "n1"}]) == "host IP unknown; known addresses: [{Hostname n1}]"


def test_pod_status_running_dual_stack():
    p = pod(status={"qosClass": "BestEffort", "phase": "Pending"})
    s = st.pod_status(p, init=[], containers=[running("main")], host_ips=["172.18.0.2", "fc00::2"],
                      pod_ips=["10.244.0.2", "fd00:10:244::2"], sandbox_ready=True, now=200)
    assert s["phase"] == "Running"
    assert s["hostIP"] == "172.18.0.2"
    assert s["hostIPs"] == [{"ip": "172.18.0.2"}, {"ip": "fc00::2"}]
    assert s["podIP"] == "10.244.0.2" and s["podIPs"] == [{"ip": "10.244.0.2"}, {"ip": "fd00:10:244::2"}]
    assert [(c["type"], c["status"]) for c in s["conditions"]] == [
        ("PodReadyToStartContainers", "True"), ("Initialized", "True"), ("Ready", "True"),
        ("ContainersReady", "True"), ("PodScheduled", "True")]
    assert s["qosClass"] == "BestEffort"
    assert s["startTime"] == "1970-01-01T00:03:20Z"
    assert s["containerStatuses"][0]["state"] == {"running": {"startedAt": "1970-01-01T00:01:40Z"}}
    assert "initContainerStatuses" not in s


def test_pod_status_keeps_foreign_conditions_and_transition_times():
    old = {"phase": "Running", "startTime": "2024-01-01T00:00:00Z", "conditions": [
        {"type": "DisruptionTarget", "status": "True", "reason": "DeletionByTaintManager"},
        {"type": "Ready", "status": "True", "lastTransitionTime": "2024-01-01T00:00:05Z"},
        {"type": "PodScheduled", "status": "True", "lastTransitionTime": "2024-01-01T00:00:00Z"}]}
    s = st.pod_status(pod(status=old), init=[], containers=[running("main", ready=False)], host_ips=["10.0.0.1"],
                      pod_ips=["10.244.0.3"], sandbox_ready=True, now=300)
    assert [c["type"] for c in s["conditions"]] == ["DisruptionTarget", "PodReadyToStartContainers", "Initialized",
                                                    "Ready", "ContainersReady", "PodScheduled"]
    by = {c["type"]: c for c in s["conditions"]}
    assert by["PodScheduled"]["lastTransitionTime"] == "2024-01-01T00:00:00Z"
    assert by["Ready"]["lastTransitionTime"] == "1970-01-01T00:05:00Z"  # True -> False is a transition
    assert s["startTime"] == "2024-01-01T00:00:00Z"


def test_terminal_phase_sticks():
    s = st.pod_status(pod(status={"phase": "Failed"}), init=[], containers=[running("main")], host_ips=[],
                      pod_ips=[], sandbox_ready=False, now=1)
    assert s["phase"] == "Failed"
    assert "hostIP" not in s


def test_host_network_pod_uses_host_ips():
    p = pod()
    p["spec"]["hostNetwork"] = True
    s = st.pod_status(p, init=[], containers=[running("main")], host_ips=["10.0.0.1", "fd00::1"], pod_ips=[],
                      sandbox_ready=True, now=1)
    assert s["podIPs"] == [{"ip": "10.0.0.1"}, {"ip": "fd00::1"}]


def test_container_status_shapes():
    rec = R("main", "busybox", reason="CrashLoopBackOff", message="back-off 10s", container_id="simulated://5",
            restart_count=2, last_terminated={"exitCode": 1, "reason": "Error"})
    out = st.container_status(rec)
    assert out["state"] == {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 10s"}}
    assert out["lastState"] == {"terminated": {"exitCode": 1, "reason": "Error"}}
    assert out["restartCount"] == 2 and out["ready"] is False and out["started"] is False
    assert out["containerID"] == "simulated://5"
    fresh = st.container_status(R("main", "busybox"))
    assert fresh["state"] == {"waiting": {"reason": "ContainerCreating"}} and fresh["imageID"] == ""
    assert "containerID" not in fresh
