"""The clean-container memo of pod validation and the grouped QoS sums give what full checks give."""

from __future__ import annotations

import pytest

from uwernetes.apiserver.resources import podspec
from uwernetes.apiserver.resources.pods import compute_pod_qos
from uwernetes.machinery.field import Path


@pytest.fixture(autouse=True)
def _fresh_memo(monkeypatch):
    monkeypatch.setattr(podspec, "_CLEAN_CONTAINERS", {})


def container(name: str, **extra) -> dict:
    return {"name": name, "image": "busybox", "imagePullPolicy": "IfNotPresent", "terminationMessagePolicy": "File",
            **extra}


def spec(*containers: dict, **extra) -> dict:
    return {"containers": list(containers), "restartPolicy": "Always", "dnsPolicy": "ClusterFirst", **extra}


def errors(s: dict) -> list[str]:
    return [str(e) for e in podspec.validate_pod_spec(s, Path("spec"))]


def test_clean_container_is_remembered_and_stays_clean_at_any_index():
    c = container("a", ports=[{"containerPort": 80, "protocol": "TCP"}])
    assert errors(spec(c)) == []
    assert len(podspec._CLEAN_CONTAINERS) == 1
    assert errors(spec(container("b"), container("x"), c)) == []


def test_containers_with_errors_are_not_remembered_and_report_their_own_index():
    bad = container("a", ports=[{"containerPort": 0, "protocol": "TCP"}])
    assert errors(spec(bad)) == ["spec.containers[0].ports[0].containerPort: Required value"]
    assert podspec._CLEAN_CONTAINERS == {}
    assert errors(spec(container("b"), bad)) == ["spec.containers[1].ports[0].containerPort: Required value"]


def test_volume_names_are_part_of_the_key():
    c = container("a", volumeMounts=[{"name": "data", "mountPath": "/data"}])
    assert errors(spec(c, volumes=[{"name": "data", "emptyDir": {}}])) == []
    assert errors(spec(c)) == ['spec.containers[0].volumeMounts[0].name: Not found: "data"']


def test_host_users_is_part_of_the_key():
    c = container("a", securityContext={"procMount": "Unmasked"})
    assert errors(spec(c, hostUsers=False)) == []
    assert errors(spec(c)) == [
        'spec.containers[0].securityContext.procMount: Invalid value: "Unmasked": `hostUsers` must be false to use `Unmasked`'
    ]


def test_init_and_ephemeral_containers_use_the_memo_with_their_own_paths():
    c = container("i")
    assert errors(spec(container("a"), initContainers=[c])) == []
    assert errors(spec(container("a"), initContainers=[dict(c, image="")])) == ["spec.initContainers[0].image: Required value"]


def test_memo_is_bounded(monkeypatch):
    monkeypatch.setattr(podspec, "_CLEAN_MAX", 2)
    assert errors(spec(*(container(f"c{i}") for i in range(5)))) == []
    assert len(podspec._CLEAN_CONTAINERS) == 2


def res(requests: dict | None = None, limits: dict | None = None) -> dict:
    out: dict = {}
    if requests is not None:
        out["requests"] = requests
    if limits is not None:
        out["limits"] = limits
    return {"name": "c", "resources": out}


@pytest.mark.parametrize("containers, expected", [
    ([], "BestEffort"),
    ([res({"cpu": "0"})], "BestEffort"),
    ([res({"cpu": "x"})], "BestEffort"),
    ([res({"cpu": "1m", "memory": "1Mi"})] * 100, "Burstable"),
    ([res({"cpu": "1m", "memory": "1Mi"}, {"cpu": "1m", "memory": "1Mi"})] * 100, "Guaranteed"),
    # 1 (an int) plus 1000m (text) equals the 2 cpu limit summed from texts.
    ([res({"cpu": 1, "memory": "1Mi"}, {"cpu": "1", "memory": "1Mi"}),
      res({"cpu": "1000m", "memory": "1Mi"}, {"cpu": "1", "memory": "1Mi"})], "Guaranteed"),
    ([res({"cpu": "1", "memory": "1Mi"}, {"cpu": "2", "memory": "1Mi"})] * 3, "Burstable"),
    # Without defaulting (which copies limits to requests) the sums differ.
    ([res(None, {"cpu": "1", "memory": "1Mi"})], "Burstable"),
    ([res(None, {"cpu": "1"})], "Burstable"),
    ([res({"cpu": "-1"}, {"cpu": "1", "memory": "1Mi"})], "Burstable"),
    ([res({"cpu": "-1", "memory": "2"}, {"memory": "2", "cpu": "0"}), res({"cpu": "3"}, {"cpu": "3", "memory": "0"})],
     "Burstable"),
])
def test_qos(containers, expected):
    assert compute_pod_qos({"spec": {"containers": containers}}) == expected
