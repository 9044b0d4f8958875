"""Publishes the cluster CA as ConfigMap `kube-root-ca.crt` in every namespace
(upstream's root-ca-cert-publisher), so pods can verify the API server."""

from __future__ import annotations

from uwernetes.apiserver.registry import Registry
from uwernetes.controllers.per_namespace import ensure_in_every_namespace

NAME = "kube-root-ca.crt"


async def run(registry: Registry, ca_pem: str) -> None:
    await ensure_in_every_namespace(
        registry,
        "configmaps",
        NAME,
        lambda ns: {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": NAME, "namespace": ns, "annotations": {"kubernetes.io/description": (
                "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints "
                "such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across "
                "distributions of Kubernetes clusters.")}},
            "data": {"ca.crt": ca_pem},
        },
        "system:serviceaccount:kube-system:root-ca-cert-publisher",
        matches=lambda obj: (obj.get("data") or {}).get("ca.crt") == ca_pem,
    )
