"""`kubectl delete -i` answered through a pseudo-terminal: `n` cancels, `y` deletes (the seed's transcript)."""

from __future__ import annotations

import pytest
from conftest import kubectl_binary
from kubeutil import VERSIONS, ensure_namespace

pexpect = pytest.importorskip("pexpect")

pytestmark = pytest.mark.e2e

SECRET = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "my-secret2"}, "stringData": {"k": "v"}}


def _spawn(cluster, version: str, *args: str):
    cache = cluster.tmp / f"kubectl-cache-{version}"
    child = pexpect.spawn(kubectl_binary(version), [f"--kubeconfig={cluster.kubeconfig}", f"--cache-dir={cache}", *args],
                          encoding="utf-8", timeout=20, echo=False)
    return child


def _transcript(child, answer: str) -> list[str]:
    """Wait for the prompt, answer it, and return every line kubectl wrote."""
    child.expect_exact("Do you want to continue? (y/n): ")
    before = child.before + child.after
    child.sendline(answer)
    child.expect(pexpect.EOF)
    child.close()
    text = (before + child.before).replace("\r\n", "\n")
    return text.split("\n")


@pytest.mark.parametrize("version", VERSIONS)
def test_delete_interactive_no_then_yes(cluster, version):
    api = cluster.client()
    ns = f"interactive-{version.replace('.', '-')}"
    ensure_namespace(api, ns)
    path = f"/api/v1/namespaces/{ns}/secrets/my-secret2"
    assert api.post(f"/api/v1/namespaces/{ns}/secrets", json=SECRET).status_code == 201

    child = _spawn(cluster, version, "delete", "-i", "secret", "my-secret2", "-n", ns)
    lines = _transcript(child, "n")
    assert lines == [
        "You are about to delete the following 1 resource(s):",
        "secret/my-secret2",
        "Do you want to continue? (y/n): deletion is cancelled",
        "",
    ]
    assert child.exitstatus == 0
    assert api.get(path).status_code == 200

    child = _spawn(cluster, version, "delete", "-i", "secret", "my-secret2", "-n", ns)
    lines = _transcript(child, "y")
    assert lines == [
        "You are about to delete the following 1 resource(s):",
        "secret/my-secret2",
        'Do you want to continue? (y/n): secret "my-secret2" deleted',
        "",
    ]
    assert child.exitstatus == 0
    assert api.get(path).status_code == 404


@pytest.mark.parametrize("version", VERSIONS)
def test_delete_interactive_with_selector_lists_matches(cluster, version):
    api = cluster.client()
    ns = f"interactive-sel-{version.replace('.', '-')}"
    ensure_namespace(api, ns)
    for name, tier in (("a", "x"), ("b", "x"), ("c", "y")):
        cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": {"tier": tier}}}
        assert api.post(f"/api/v1/namespaces/{ns}/configmaps", json=cm).status_code == 201
    child = _spawn(cluster, version, "delete", "-i", "cm", "-l", "tier=x", "-n", ns)
    lines = _transcript(child, "y")
    assert lines[:3] == ["You are about to delete the following 2 resource(s):", "configmap/a", "configmap/b"]
    assert sorted(lines[3:5]) == ['Do you want to continue? (y/n): configmap "a" deleted', 'configmap "b" deleted']
    assert child.exitstatus == 0
    left = api.get(f"/api/v1/namespaces/{ns}/configmaps", params={"labelSelector": "tier"}).json()["items"]
    assert [i["metadata"]["name"] for i in left] == ["c"]
