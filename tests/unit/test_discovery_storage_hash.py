"""storageVersionHash in legacy discovery: upstream's values, and which resources carry one."""

from __future__ import annotations

import pytest

from uwernetes.apiserver.discovery import Discovery, storage_version_hash
from uwernetes.apiserver.resources import catalogue


@pytest.mark.parametrize("gvk,expected", [
    (("", "v1", "Pod"), "xPOwRZ+Yhw8="),
    (("apps", "v1", "Deployment"), "8aSe+NMegvE="),
    (("", "v1", "ConfigMap"), "qFsyl6wFWjQ="),
])
def test_hash_is_upstreams(gvk, expected):
    # The values a v1.30 cluster's /api/v1 and /apis/apps/v1 show.
    assert storage_version_hash(*gvk) == expected


def _entries(discovery: Discovery, group: str, version: str) -> dict[str, dict]:
    return {r["name"]: r for r in discovery.resource_list(group, version)["resources"]}


def test_stored_resources_carry_the_hash_of_what_they_are_stored_as():
    discovery = Discovery(catalogue.all_resources())
    core = _entries(discovery, "", "v1")
    assert core["pods"]["storageVersionHash"] == "xPOwRZ+Yhw8="
    for virtual in ("bindings", "componentstatuses", "pods/status"):
        assert "storageVersionHash" not in core[virtual]
    v1 = _entries(discovery, "autoscaling", "v1")["horizontalpodautoscalers"]
    v2 = _entries(discovery, "autoscaling", "v2")["horizontalpodautoscalers"]
    assert v1["storageVersionHash"] == v2["storageVersionHash"] == storage_version_hash(
        "autoscaling", "v2", "HorizontalPodAutoscaler")
    assert "storageVersionHash" not in _entries(discovery, "authentication.k8s.io", "v1")["tokenreviews"]
