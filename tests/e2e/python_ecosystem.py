"""Shared by the Python-ecosystem end-to-end tests: one `uwe up` process per test module.

Every library under test reads a kubeconfig file, as a user would point it at `uwe up`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Cluster, ProcessCluster


@pytest.fixture(scope="module")
def uwe(tmp_path_factory) -> Iterator[Cluster]:
    """`uwe up` with the scheduler, the controllers and one simulated node, on a free port."""
    tmp: Path = tmp_path_factory.mktemp("uwe-up")
    pc = ProcessCluster(tmp / "data", "--nodes", "1", "--runtime", "simulated")
    cluster = pc.start()
    try:
        yield cluster
    finally:
        # Open keep-alive connections would hold up the server's graceful shutdown.
        for client in cluster._clients:
            client.close()
        pc.stop()


def crd_manifest(group: str, kind: str, plural: str, scope: str = "Namespaced", status_subresource: bool = True) -> dict:
    """A one-version CRD with a permissive spec/status schema (and a status subresource unless told)."""
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {
            "group": group,
            "scope": scope,
            "names": {"plural": plural, "singular": kind.lower(), "kind": kind, "listKind": f"{kind}List"},
            "versions": [{
                "name": "v1", "served": True, "storage": True,
                "subresources": {"status": {}} if status_subresource else {},
                "schema": {"openAPIV3Schema": {
                    "type": "object",
                    "properties": {
                        "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                        "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                    },
                }},
            }],
        },
    }
