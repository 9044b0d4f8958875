"""Pure DaemonSet decisions: eligibility, the daemon pod, rolling updates, status counters."""

from datetime import UTC, datetime

import pytest

from uwernetes.controllers import daemonset_util as dsu

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def node(name="n1", labels=None, taints=None):
    return {"metadata": {"name": name, "labels": labels or {}}, "spec": {"taints": taints or []}}


def ds(pod_spec=None, strategy=None, generation="2"):
    return {"metadata": {"name": "agent", "namespace": "default", "uid": "u1", "generation": 3,
                         "annotations": {"deprecated.daemonset.template.generation": generation}},
            "spec": {"selector": {"matchLabels": {"app": "a"}},
                     "updateStrategy": strategy or {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}},
                     "template": {"metadata": {"labels": {"app": "a"}},
                                  "spec": {"containers": [{"name": "c", "image": "i"}], **(pod_spec or {})}}}}


def pod(name, node_name, hash_="new", ready=True, created="2024-05-01T11:00:00Z", deleting=False):
    p = {"metadata": {"name": name, "namespace": "default", "uid": name, "creationTimestamp": created,
                      "labels": {"app": "a", "controller-revision-hash": hash_}},
         "spec": {"nodeName": node_name},
         "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True" if ready else "False",
                                                          "lastTransitionTime": "2024-05-01T11:00:00Z"}]}}
    if deleting:
        p["metadata"]["deletionTimestamp"] = "2024-05-01T11:59:00Z"
    return p


@pytest.mark.parametrize(
    ("pod_spec", "the_node", "expected"),
    [
        pytest.param({}, node(), (True, True), id="plain node"),
        pytest.param({"nodeSelector": {"disk": "ssd"}}, node(labels={"disk": "hdd"}), (False, False), id="node selector mismatch"),
        pytest.param({"nodeSelector": {"disk": "ssd"}}, node(labels={"disk": "ssd"}), (True, True), id="node selector match"),
        pytest.param({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}]}}}},
            node(labels={"zone": "b"}), (False, False), id="required affinity mismatch"),
        pytest.param({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]}]}}}},
            node(), (True, True), id="matchFields on the node name"),
        pytest.param({"nodeName": "other"}, node(), (False, False), id="template nodeName elsewhere"),
        pytest.param({}, node(taints=[{"key": "k", "effect": "NoSchedule"}]), (False, True), id="untolerated NoSchedule keeps running pods"),
        pytest.param({}, node(taints=[{"key": "k", "effect": "NoExecute"}]), (False, False), id="untolerated NoExecute evicts"),
        pytest.param({}, node(taints=[{"key": "k", "effect": "PreferNoSchedule"}]), (True, True), id="PreferNoSchedule ignored"),
        pytest.param({"tolerations": [{"key": "k", "operator": "Exists"}]}, node(taints=[{"key": "k", "effect": "NoExecute"}]),
                     (True, True), id="tolerated taint"),
        pytest.param({}, node(taints=[{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"},
                                      {"key": "node.kubernetes.io/not-ready", "effect": "NoExecute"}]),
                     (True, True), id="automatic daemon tolerations"),
        pytest.param({}, node(taints=[{"key": "node.kubernetes.io/network-unavailable", "effect": "NoSchedule"}]),
                     (False, True), id="network-unavailable needs hostNetwork"),
        pytest.param({"hostNetwork": True}, node(taints=[{"key": "node.kubernetes.io/network-unavailable", "effect": "NoSchedule"}]),
                     (True, True), id="hostNetwork tolerates network-unavailable"),
    ],
)
def test_should_run(pod_spec, the_node, expected):
    assert dsu.should_run(ds(pod_spec), the_node) == expected


def test_daemon_pod_is_pinned_and_labelled():
    d = ds({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}]}}}})
    p = dsu.daemon_pod(d, "n2", "abc")
    assert p["metadata"]["generateName"] == "agent-"
    assert p["metadata"]["labels"] == {"app": "a", "pod-template-generation": "2", "controller-revision-hash": "abc"}
    assert p["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] == {
        "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n2"]}]}]}
    assert [t["key"] for t in p["spec"]["tolerations"]] == [t["key"] for t in dsu.DAEMON_TOLERATIONS]
    assert dsu.target_node(p) == "n2"
    assert d["spec"]["template"]["spec"].get("tolerations") is None


@pytest.mark.parametrize(
    ("node_pods", "expected_deletes"),
    [
        pytest.param({"n1": [pod("a", "n1", "old")], "n2": [pod("b", "n2", "old")], "n3": [pod("c", "n3", "old")]},
                     ["a"], id="one at a time"),
        pytest.param({"n1": [pod("a", "n1", "new", ready=False)], "n2": [pod("b", "n2", "old")]},
                     [], id="an unavailable new pod uses the budget"),
        pytest.param({"n1": [pod("a", "n1", "old", ready=False)], "n2": [pod("b", "n2", "old")]},
                     ["a", "b"], id="unavailable old pods always go"),
        pytest.param({"n1": [pod("a", "n1", "new")], "n2": [pod("b", "n2", "new")]}, [], id="done"),
    ],
)
def test_rolling_update_max_unavailable(node_pods, expected_deletes):
    delete, create = dsu.rolling_update(ds(), node_pods, set(node_pods), "new", NOW)
    assert ([p["metadata"]["name"] for p in delete], create) == (expected_deletes, [])


def test_rolling_update_surge():
    d = ds(strategy={"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}})
    node_pods = {"n1": [pod("a", "n1", "old")], "n2": [pod("b", "n2", "old")]}
    assert dsu.rolling_update(d, node_pods, {"n1", "n2"}, "new", NOW) == ([], ["n1"])
    node_pods["n1"].append(pod("a2", "n1", "new", ready=False))
    assert dsu.rolling_update(d, node_pods, {"n1", "n2"}, "new", NOW) == ([], [])
    node_pods["n1"][1] = pod("a2", "n1", "new")
    delete, create = dsu.rolling_update(d, node_pods, {"n1", "n2"}, "new", NOW)
    assert ([p["metadata"]["name"] for p in delete], create) == (["a"], ["n2"])


def test_pods_to_prune_keeps_oldest():
    pods = [pod("young", "n1", created="2024-05-01T11:30:00Z"), pod("old", "n1", created="2024-05-01T10:00:00Z")]
    assert [p["metadata"]["name"] for p in dsu.pods_to_prune(ds(), pods, "new", NOW)] == ["young"]


@pytest.mark.parametrize(
    ("max_surge", "max_unavailable", "desired", "expected"),
    [(0, "10%", 25, (0, 3)), (0, 0, 5, (0, 1)), ("20%", 0, 7, (2, 0)), (0, 2, 3, (0, 2))],
)
def test_max_surge_unavailable(max_surge, max_unavailable, desired, expected):
    d = ds(strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": max_surge, "maxUnavailable": max_unavailable}})
    assert dsu.max_surge_unavailable(d, desired) == expected


def test_compute_status():
    nodes = [node("n1"), node("n2"), node("n3", taints=[{"key": "k", "effect": "NoSchedule"}])]
    node_pods = {"n1": [pod("a", "n1", "new")], "n2": [pod("b", "n2", "old", ready=False)], "n3": [pod("c", "n3")]}
    assert dsu.compute_status(ds(), nodes, node_pods, "new", NOW) == {
        "currentNumberScheduled": 2, "numberMisscheduled": 1, "desiredNumberScheduled": 2, "numberReady": 1,
        "updatedNumberScheduled": 1, "numberAvailable": 1, "numberUnavailable": 1, "observedGeneration": 3}
