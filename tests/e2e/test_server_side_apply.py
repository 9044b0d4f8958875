"""kubectl 1.30 and 1.32 `apply --server-side`: create-by-apply, field managers, conflicts, force,
managedFields, `diff --server-side`, and the switch from client-side apply."""

from __future__ import annotations

import json

import pytest
import yaml
from kubeutil import VERSIONS, ensure_namespace

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def api(cluster):
    return cluster.client()


@pytest.fixture(params=VERSIONS)
def version(request) -> str:
    return request.param


@pytest.fixture
def ns(api, version) -> str:
    name = f"ssa-{version.replace('.', '-')}"
    ensure_namespace(api, name)
    return name


def manifest(name: str, replicas: int, image: str = "web:1") -> str:
    return yaml.safe_dump({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{"name": "main", "image": image}]}}},
    })


def entries(obj: dict) -> dict[tuple[str, str], dict]:
    return {(e["manager"], e["operation"]): e["fieldsV1"] for e in obj["metadata"]["managedFields"]}


def test_two_managers_conflict_and_force(cluster, api, version, ns):
    path = f"/apis/apps/v1/namespaces/{ns}/deployments/web"
    out = cluster.kubectl("apply", "--server-side", "--field-manager=a", "-n", ns, "-f", "-",
                          input=manifest("web", 2), version=version)
    assert out.stdout == "deployment.apps/web serverside-applied\n"
    created = api.get(path).json()
    assert [(e["manager"], e["operation"], e["apiVersion"]) for e in created["metadata"]["managedFields"]] == [
        ("a", "Apply", "apps/v1")]
    assert entries(created)[("a", "Apply")]["f:spec"]["f:replicas"] == {}

    # Same manager, same manifest: nothing changes.
    again = cluster.kubectl("apply", "--server-side", "--field-manager=a", "-n", ns, "-f", "-",
                            input=manifest("web", 2), version=version)
    assert again.stdout == "deployment.apps/web serverside-applied\n"
    assert api.get(path).json()["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]

    clash = cluster.kubectl("apply", "--server-side", "--field-manager=b", "-n", ns, "-f", "-",
                            input=manifest("web", 5), version=version, check=False)
    assert clash.returncode == 1
    assert clash.stderr.startswith('error: Apply failed with 1 conflict: conflict with "a": .spec.replicas\n')
    assert "--force-conflicts" in clash.stderr
    assert api.get(path).json()["spec"]["replicas"] == 2

    forced = cluster.kubectl("apply", "--server-side", "--force-conflicts", "--field-manager=b", "-n", ns, "-f", "-",
                             input=manifest("web", 5), version=version)
    assert forced.stdout == "deployment.apps/web serverside-applied\n"
    dep = api.get(path).json()
    assert dep["spec"]["replicas"] == 5
    owned = entries(dep)
    assert set(owned) == {("a", "Apply"), ("b", "Apply")}
    assert "f:replicas" not in owned[("a", "Apply")]["f:spec"]
    assert "f:replicas" in owned[("b", "Apply")]["f:spec"]
    # The image both apply with one value: shared.
    key = 'k:{"name":"main"}'
    for who in ("a", "b"):
        assert "f:image" in owned[(who, "Apply")]["f:spec"]["f:template"]["f:spec"]["f:containers"][key]

    # a drops its labels; b still applies them, so they stay.
    r = api.patch(path, params={"fieldManager": "a"}, content=json.dumps({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"selector": {"matchLabels": {"app": "web"}}},
    }), headers={"Content-Type": "application/apply-patch+yaml"})
    assert r.status_code == 200, r.text
    assert r.json()["metadata"]["labels"] == {"app": "web"}
    assert r.json()["spec"]["template"]["spec"]["containers"][0]["image"] == "web:1"


def test_diff_server_side_shows_the_change(cluster, api, version, ns):
    cluster.kubectl("apply", "--server-side", "-n", ns, "-f", "-", input=manifest("diffed", 1), version=version)
    same = cluster.kubectl("diff", "--server-side", "-n", ns, "-f", "-", input=manifest("diffed", 1),
                           version=version, check=False)
    assert (same.returncode, same.stdout) == (0, "")
    diff = cluster.kubectl("diff", "--server-side", "-n", ns, "-f", "-", input=manifest("diffed", 1, image="web:2"),
                           version=version, check=False)
    assert diff.returncode == 1, diff.stderr
    changed = [line for line in diff.stdout.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert changed == ["-  generation: 1", "+  generation: 2", "-      - image: web:1", "+      - image: web:2"]
    path = f"/apis/apps/v1/namespaces/{ns}/deployments/diffed"
    assert api.get(path).json()["spec"]["template"]["spec"]["containers"][0]["image"] == "web:1"  # dry run only


def test_client_side_apply_then_server_side(cluster, api, version, ns):
    path = f"/apis/apps/v1/namespaces/{ns}/deployments/moved"
    cluster.kubectl("apply", "-n", ns, "-f", "-", input=manifest("moved", 1), version=version)
    out = cluster.kubectl("apply", "--server-side", "-n", ns, "-f", "-", input=manifest("moved", 3), version=version)
    assert out.stdout == "deployment.apps/moved serverside-applied\n"
    dep = api.get(path).json()
    assert dep["spec"]["replicas"] == 3
    owned = entries(dep)
    # kubectl migrated client-side apply's Update entry into its own Apply entry.
    assert set(owned) == {("kubectl", "Apply"), ("kubectl-last-applied", "Apply")}
    assert "f:replicas" in owned[("kubectl", "Apply")]["f:spec"]
    last = json.loads(dep["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"])
    assert last["spec"]["replicas"] == 3


def test_apply_without_field_manager_is_invalid(api, ns):
    r = api.patch(f"/api/v1/namespaces/{ns}/configmaps/none", content=b"{}",
                  headers={"Content-Type": "application/apply-patch+yaml"})
    assert r.status_code == 422
    body = r.json()
    assert body["message"] == 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch'
    assert body["details"]["causes"] == [
        {"reason": "FieldValueRequired", "message": "Required value: is required for apply patch", "field": "fieldManager"}]
