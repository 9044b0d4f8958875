"""Pod worker pure parts: back-off, Go durations, restart decisions, env and mount resolution;
the simulated runtime's annotation; node lifecycle taint/toleration rules; node objects."""

from __future__ import annotations

import asyncio

import pytest

from uwernetes.controllers import node_lifecycle as nl
from uwernetes.node import agent
from uwernetes.node.pod_workers import (
    BackoffEntry,
    backoff_next,
    backoff_remaining,
    go_duration,
    resolve_env,
    resolve_mounts,
    should_restart,
)
from uwernetes.node.runtimes.base import ContainerError, expand_vars
from uwernetes.node.runtimes.simulated import Behaviour, SimulatedRuntime, parse_behaviour, parse_duration


def test_backoff_sequence_doubles_to_five_minutes():
    entry = None
    t = 0.0
    seen = []
    for _ in range(8):
        entry = backoff_next(entry, t, 10.0)
        seen.append(entry.backoff)
        t += 1
    assert seen == [10, 20, 40, 80, 160, 300, 300, 300]


@pytest.mark.parametrize("entry,event,now,want", [
    (None, 100, 100, 0.0),  # first crash restarts at once
    (BackoffEntry(10, 90), 100, 103, 7.0),
    (BackoffEntry(10, 90), 100, 111, 0.0),
    (BackoffEntry(300, 0), 601, 601, 0.0),  # forgotten after 2x the maximum
])
def test_backoff_remaining(entry, event, now, want):
    assert backoff_remaining(entry, event, now) == want


def test_backoff_resets_after_quiet_period():
    assert backoff_next(BackoffEntry(160, 0), 601, 10).backoff == 10
    assert backoff_next(BackoffEntry(160, 0), 599, 10).backoff == 300


@pytest.mark.parametrize("seconds,want", [(10, "10s"), (20, "20s"), (80, "1m20s"), (160, "2m40s"), (300, "5m0s"),
                                          (0.1, "100ms"), (0.2, "200ms"), (1.5, "1.5s"), (3600, "1h0m0s")])
def test_go_duration(seconds, want):
    assert go_duration(seconds) == want


@pytest.mark.parametrize("policy,code,want", [("Always", 0, True), ("Always", 1, True), ("OnFailure", 0, False),
                                              ("OnFailure", 2, True), ("Never", 1, False), ("Never", 0, False)])
def test_should_restart(policy, code, want):
    assert should_restart(policy, code) is want


@pytest.mark.parametrize("value,env,want", [
    ("$(A)-$(B)", {"A": "1"}, "1-$(B)"),
    ("$$(A)", {"A": "1"}, "$(A)"),
    ("$(A", {"A": "1"}, "$(A"),
    ("a$b", {}, "a$b"),
    ("$", {}, "$"),
    ("$(A)$(A)", {"A": "x"}, "xx"),
])
def test_expand_vars(value, env, want):
    assert expand_vars(value, env) == want


def run(coro):
    return asyncio.new_event_loop().run_until_complete(coro)


POD = {"metadata": {"name": "web", "namespace": "ns", "uid": "U", "labels": {"app": "a"}},
       "spec": {"nodeName": "n0", "serviceAccountName": "default"}}


async def _lookup(kind, ns, name):
    return {"cm": {"k": "v", "other": "o"}}.get(name) if kind == "configmap" else None


def test_resolve_env():
    c = {"name": "main", "resources": {"limits": {"memory": "64Mi"}},
         "envFrom": [{"configMapRef": {"name": "cm"}, "prefix": "CM_"}],
         "env": [{"name": "A", "value": "x"}, {"name": "B", "value": "$(A)-$(CM_k)-$(NOPE)"},
                 {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
                 {"name": "HOSTS", "valueFrom": {"fieldRef": {"fieldPath": "status.hostIPs"}}},
                 {"name": "APP", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}},
                 {"name": "MEM", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory", "divisor": "1Mi"}}},
                 {"name": "CPU", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu"}}},
                 {"name": "K", "valueFrom": {"configMapKeyRef": {"name": "cm", "key": "k"}}},
                 {"name": "OPT", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k", "optional": True}}}]}
    env = run(resolve_env(POD, c, host_ips=["10.0.0.1", "fd00::1"], pod_ips=[], allocatable={"cpu": "8"},
                          lookup=_lookup))
    assert env == {"CM_k": "v", "CM_other": "o", "A": "x", "B": "x-v-$(NOPE)", "NODE": "n0",
                   "HOSTS": "10.0.0.1,fd00::1", "APP": "a", "MEM": "64", "CPU": "8", "K": "v"}


@pytest.mark.parametrize("env,message", [
    ([{"name": "X", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}], 'secret "s" not found'),
    ([{"name": "X", "valueFrom": {"configMapKeyRef": {"name": "cm", "key": "nope"}}}],
     "couldn't find key nope in ConfigMap ns/cm"),
])
def test_resolve_env_errors(env, message):
    with pytest.raises(ContainerError) as e:
        run(resolve_env(POD, {"name": "m", "env": env}, host_ips=[], pod_ips=[], allocatable={}, lookup=_lookup))
    assert e.value.reason == "CreateContainerConfigError"
    assert e.value.message == message


@pytest.mark.parametrize("mount,supported,want", [
    ({"name": "mnt", "mountPath": "/m", "readOnly": True, "recursiveReadOnly": "IfPossible"}, True, True),
    ({"name": "mnt", "mountPath": "/m", "readOnly": True, "recursiveReadOnly": "IfPossible"}, False, False),
    ({"name": "mnt", "mountPath": "/m", "readOnly": True, "recursiveReadOnly": "Enabled"}, True, True),
    ({"name": "mnt", "mountPath": "/m", "readOnly": True}, True, False),
])
def test_resolve_mounts_rro(mount, supported, want):
    out = resolve_mounts({"volumeMounts": [mount]}, {"mnt": "/host/mnt"}, supported)
    assert [(m.host_path, m.container_path, m.read_only, m.recursive_read_only) for m in out] == [
        ("/host/mnt", "/m", True, want)]


@pytest.mark.parametrize("mount,message", [
    ({"name": "mnt", "mountPath": "/m", "readOnly": True, "recursiveReadOnly": "Enabled"},
     'failed to resolve recursive read-only mode: volume "mnt" requested recursive read-only mode, '
     "but it is not supported by the runtime"),
    ({"name": "mnt", "mountPath": "/m", "recursiveReadOnly": "Enabled"},
     'failed to resolve recursive read-only mode: volume "mnt" requested recursive read-only mode, '
     "but it is not read-only"),
])
def test_resolve_mounts_rro_errors(mount, message):
    with pytest.raises(ContainerError) as e:
        resolve_mounts({"volumeMounts": [mount]}, {"mnt": "/h"}, False)
    assert (e.value.reason, e.value.message) == ("CreateContainerConfigError", message)


# --- simulated runtime annotation ---

@pytest.mark.parametrize("value,want", [("2s", 2.0), ("500ms", 0.5), ("1m30s", 90.0), ("1h", 3600.0), (3, 3.0),
                                        ("0", 0.0), ("1.5s", 1.5)])
def test_parse_duration(value, want):
    assert parse_duration(value) == want


@pytest.mark.parametrize("value", ["", "2", "2x", "s", -1, True, "1s2"])
def test_parse_duration_rejects(value):
    with pytest.raises(ValueError):
        parse_duration(value)


@pytest.mark.parametrize("annotation,container,want", [
    (None, "main", Behaviour()),
    ('{"exitCode": 1, "after": "2s", "container": "main"}', "main", Behaviour(after=2.0, exit_codes=[1])),
    ('{"exitCode": 1, "after": "2s", "container": "main"}', "side", Behaviour()),
    ('[{"cpu": "250m", "memory": "64Mi"}, {"container": "main", "cpu": "1"}]', "main",
     Behaviour(cpu_nanocores=1_000_000_000, memory_bytes=64 * 1024 * 1024)),
    ('[{"container": "main", "cpu": "1"}, {"cpu": "250m"}]', "main", Behaviour(cpu_nanocores=1_000_000_000)),
    ('{"exitCode": [1, 1, 0], "after": 1}', "x", Behaviour(after=1.0, exit_codes=[1, 1, 0])),
    ('{"startError": "ErrImagePull", "startDelay": "0"}', "x", Behaviour(start_error="ErrImagePull", start_delay=0.0)),
])
def test_parse_behaviour(annotation, container, want):
    assert parse_behaviour(annotation, container) == want


@pytest.mark.parametrize("annotation,message", [
    ("{", "uwernetes.io/simulate: invalid JSON"),
    ('{"exitcode": 1}', "uwernetes.io/simulate: unknown key(s) exitcode"),
    ('{"exitCode": "1"}', "uwernetes.io/simulate: exitCode must be an integer"),
    ('{"after": "soon"}', "uwernetes.io/simulate: invalid duration 'soon'"),
    ('[1]', "uwernetes.io/simulate: each entry must be an object"),
])
def test_parse_behaviour_errors(annotation, message):
    with pytest.raises(ValueError) as e:
        parse_behaviour(annotation, "main")
    assert str(e.value).startswith(message)


def test_exit_code_per_attempt():
    b = Behaviour(exit_codes=[1, 2, 0])
    assert [b.exit_code(i) for i in range(5)] == [1, 2, 0, 0, 0]


def test_simulated_runtime_lifecycle():
    from uwernetes.node.runtimes.base import ContainerConfig, ContainerState, SandboxConfig

    async def main():
        rt = SimulatedRuntime(start_delay=0.01)
        events = []
        rt.set_exit_handler(lambda cid, s: events.append((s.state, s.exit_code, s.reason)))
        sb = await rt.run_pod_sandbox(SandboxConfig("u", "ns", "p", "p", ["10.0.0.2"], annotations={
            "uwernetes.io/simulate": '{"after": "20ms", "exitCode": 3, "cpu": "100m", "memory": "1Mi"}'}))
        cid = await rt.create_container(sb.id, ContainerConfig("main", "busybox", [], [], {}))
        await rt.start_container(cid)
        assert rt.container_status(cid).state is ContainerState.CREATED
        await asyncio.sleep(0.015)
        assert rt.usage(cid).cpu_nanocores == 100_000_000 and rt.usage(cid).memory_bytes == 1 << 20
        await asyncio.sleep(0.05)
        assert events == [(ContainerState.RUNNING, None, ""), (ContainerState.EXITED, 3, "Error")]
        assert rt.usage(cid) is None
        assert sb.pod_ips == ["10.0.0.2"]

    run(main())


# --- node lifecycle rules ---

UNREACH_NE = {"key": nl.UNREACHABLE, "effect": "NoExecute", "timeAdded": "2024-01-01T00:00:00Z"}


@pytest.mark.parametrize("tolerations,taints,want", [
    ([], [], None),
    ([], [UNREACH_NE], 0.0),
    ([{"key": nl.UNREACHABLE, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}],
     [UNREACH_NE], 300.0),
    ([{"key": nl.UNREACHABLE, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
      {"operator": "Exists", "tolerationSeconds": 5}], [UNREACH_NE], 5.0),
    ([{"key": nl.UNREACHABLE, "operator": "Exists"}], [UNREACH_NE], None),  # tolerates forever
    ([{"key": nl.NOT_READY, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}],
     [UNREACH_NE], 0.0),
    ([{"key": nl.UNREACHABLE, "operator": "Equal", "value": "x", "effect": "NoExecute"}], [UNREACH_NE], 0.0),
    ([], [{"key": nl.UNREACHABLE, "effect": "NoSchedule"}], None),
    ([{"key": nl.UNREACHABLE, "operator": "Exists", "tolerationSeconds": -5}], [UNREACH_NE], 0.0),
])
def test_eviction_delay(tolerations, taints, want):
    assert nl.eviction_delay(tolerations, taints) == want


@pytest.mark.parametrize("taints,ready,want", [
    ([], "Unknown", [(nl.UNREACHABLE, "NoSchedule"), (nl.UNREACHABLE, "NoExecute")]),
    ([], "False", [(nl.NOT_READY, "NoSchedule"), (nl.NOT_READY, "NoExecute")]),
    ([{"key": nl.UNREACHABLE, "effect": "NoSchedule"}, UNREACH_NE, {"key": "mine", "effect": "NoSchedule"}], "True",
     [("mine", "NoSchedule")]),
    ([{"key": nl.UNREACHABLE, "effect": "NoSchedule"}, UNREACH_NE], "False",
     [(nl.NOT_READY, "NoSchedule"), (nl.NOT_READY, "NoExecute")]),
])
def test_desired_taints(taints, ready, want):
    out = nl.desired_taints(taints, ready, "2024-05-05T00:00:00Z")
    assert [(t["key"], t["effect"]) for t in out] == want
    for t in out:
        assert ("timeAdded" in t) == (t["effect"] == "NoExecute")


def test_unknown_conditions():
    conds = [{"type": "Ready", "status": "True", "reason": "KubeletReady", "lastHeartbeatTime": "h"},
             {"type": "MemoryPressure", "status": "False"}]
    out = {c["type"]: c for c in nl.unknown_conditions(conds, "NOW")}
    assert out["Ready"] == {"type": "Ready", "status": "Unknown", "reason": "NodeStatusUnknown",
                            "message": "Kubelet stopped posting node status.", "lastHeartbeatTime": "h",
                            "lastTransitionTime": "NOW"}
    assert out["DiskPressure"]["reason"] == "NodeStatusNeverUpdated"
    assert out["DiskPressure"]["message"] == "Kubelet never posted node status."


# --- node objects ---

@pytest.mark.parametrize("index,count,dual,want", [
    (3, 3, False, ["10.244.3.0/24"]),
    (3, 3, True, ["10.244.3.0/24", "fd00:10:244:3::/64"]),
    (0, 5000, False, ["10.128.0.0/24"]),
    (4999, 5000, True, ["10.147.135.0/24", "fd00:10:244:1387::/64"]),
])
def test_pod_cidrs(index, count, dual, want):
    assert agent.pod_cidrs(index, count, dual) == want


def test_node_names():
    assert agent.node_names(2, "sim-", "h") == ["sim-0", "sim-1"]
    assert agent.node_names(1, "", "MyHost.example.com") == ["myhost"]
    assert agent.node_names(2, "", "host") == ["host-0", "host-1"]


def test_node_object_dual_stack():
    rt = SimulatedRuntime(recursive_read_only=True)
    node = agent.node_object("n1", index=1, count=2, capacity={"cpu": "8", "pods": "110"}, runtime=rt,
                             dual_stack=True, zone="z1", region="r1", now="T")
    labels = node["metadata"]["labels"]
    assert labels["kubernetes.io/hostname"] == "n1" and labels["kubernetes.io/os"] == "linux"
    assert labels["topology.kubernetes.io/zone"] == "z1" and labels["topology.kubernetes.io/region"] == "r1"
    assert node["status"]["addresses"] == [{"type": "InternalIP", "address": "172.18.0.3"},
                                           {"type": "InternalIP", "address": "fc00:f853:ccd:e793::3"},
                                           {"type": "Hostname", "address": "n1"}]
    assert node["spec"]["podCIDRs"] == ["10.244.1.0/24", "fd00:10:244:1::/64"]
    assert [(c["type"], c["status"], c["reason"]) for c in node["status"]["conditions"]] == [
        ("MemoryPressure", "False", "KubeletHasSufficientMemory"), ("DiskPressure", "False", "KubeletHasNoDiskPressure"),
        ("PIDPressure", "False", "KubeletHasSufficientPID"), ("Ready", "True", "KubeletReady")]
    assert node["status"]["runtimeHandlers"] == [{"name": "", "features": {"recursiveReadOnlyMounts": True,
                                                                           "userNamespaces": False}}]
    assert node["status"]["nodeInfo"]["containerRuntimeVersion"] == "simulated://0.1.0"


def test_ip_allocator_reuses_addresses():
    a = agent.IPAllocator(["10.244.1.0/24", "fd00:10:244:1::/64"])
    assert a.allocate("x") == ["10.244.1.2", "fd00:10:244:1::2"]
    assert a.allocate("y") == ["10.244.1.3", "fd00:10:244:1::3"]
    assert a.allocate("x") == ["10.244.1.2", "fd00:10:244:1::2"]
    a.release("x")
    assert a.allocate("z") == ["10.244.1.2", "fd00:10:244:1::2"]
