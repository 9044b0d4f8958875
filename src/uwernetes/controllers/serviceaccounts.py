"""Every active namespace gets its `default` ServiceAccount (upstream's serviceaccounts-controller)."""

from __future__ import annotations

from uwernetes.apiserver.registry import Registry
from uwernetes.controllers.per_namespace import ensure_in_every_namespace


async def run(registry: Registry) -> None:
    await ensure_in_every_namespace(
        registry,
        "serviceaccounts",
        "default",
        lambda ns: {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": ns}},
        "system:serviceaccount:kube-system:service-account-controller",
    )
