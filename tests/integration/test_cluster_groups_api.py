"""The infrastructure groups over HTTP and through kubectl 1.30: scheduling, storage, discovery,
networking, node, certificates, apiregistration (create/get/list, 422s, Table columns, short names)."""

import pytest

from uwernetes.apiserver.resources import priorityclasses

PC = "/apis/scheduling.k8s.io/v1/priorityclasses"
PODS = "/api/v1/namespaces/default/pods"


@pytest.fixture(scope="module")
def boot(cluster):
    """The bootstrap objects the server will create at startup once wired in."""
    cluster.run(priorityclasses.bootstrap_priority_classes(cluster.server.registry))
    return cluster


def pod(name, **spec):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "c", "image": "busybox"}], **spec}}


def test_system_priority_classes_exist_and_resist_deletion(boot):
    api = boot.client()
    names = {i["metadata"]["name"]: i["value"] for i in api.get(PC).json()["items"]}
    assert names["system-node-critical"] == 2000001000 and names["system-cluster-critical"] == 2000000000
    r = api.delete(f"{PC}/system-node-critical")
    assert r.status_code == 403
    assert r.json()["message"].endswith("this is a system priority class and cannot be deleted")


def test_priority_class_validation_and_admission(boot):
    api = boot.client()
    r = api.post(PC, json={"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                           "metadata": {"name": "too-high"}, "value": 1_000_000_001})
    assert r.status_code == 422
    assert r.json()["message"] == ('PriorityClass.scheduling.k8s.io "too-high" is invalid: value: Forbidden: '
                                   "maximum allowed value of a user defined priority is 1000000000")
    ok = api.post(PC, json={"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                            "metadata": {"name": "it-default"}, "value": 7, "globalDefault": True})
    assert ok.status_code == 201 and ok.json()["preemptionPolicy"] == "PreemptLowerPriority"
    second = api.post(PC, json={"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                                "metadata": {"name": "it-default-2"}, "value": 8, "globalDefault": True})
    assert second.status_code == 403
    assert second.json()["message"] == ('priorityclasses.scheduling.k8s.io "it-default-2" is forbidden: PriorityClass '
                                        "it-default is already marked as default. Only one default can exist")
    created = api.post(PODS, json=pod("pc-default")).json()
    assert (created["spec"]["priorityClassName"], created["spec"]["priority"]) == ("it-default", 7)
    missing = api.post(PODS, json=pod("pc-missing", priorityClassName="nope"))
    assert missing.status_code == 403
    assert missing.json()["message"] == 'pods "pc-missing" is forbidden: no PriorityClass with name nope was found'
    critical = api.post(PODS, json=pod("pc-critical", priorityClassName="system-cluster-critical")).json()
    assert critical["spec"]["priority"] == 2000000000
    api.delete(f"{PC}/it-default")


def test_priority_class_kubectl_columns(boot):
    out = boot.kubectl("get", "pc").stdout.splitlines()
    assert out[0].split() == ["NAME", "VALUE", "GLOBAL-DEFAULT", "AGE"]
    row = next(line.split() for line in out if line.startswith("system-node-critical"))
    assert row[:3] == ["system-node-critical", "2000001000", "false"]
