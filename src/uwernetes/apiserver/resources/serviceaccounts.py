"""ServiceAccounts (core/v1): upstream's `pkg/registry/core/serviceaccount/strategy.go` and
`ValidateServiceAccount` (metadata only: the generic layer checks it). The `token` subresource
(TokenRequest) is served by the auth code; it is declared here for discovery.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from uwernetes.apiserver.resources import core_common as common
from uwernetes.apiserver.resources.base import Column, Obj, Printer, ResourceType, Strategy, Subresource


class ServiceAccountStrategy(Strategy):
    tracks_generation = False


def table_row(sa: Obj, now: datetime | None = None) -> list[Any]:
    return [common.name_of(sa), len(sa.get("secrets") or ()), common.age(sa, now)]


PRINTER = Printer(
    columns=[
        common.name_column(),
        Column(
            "Secrets",
            "integer",
            description="Secrets is a list of the secrets in the same namespace that pods running using this "
            "ServiceAccount are allowed to use. Pods are only limited to this list if this service account has a "
            '"kubernetes.io/enforce-mountable-secrets" annotation set to "true". This field should not be used to '
            "find auto-generated service account token secrets for use outside of pods. Instead, tokens can be "
            "requested directly using the TokenRequest API, or service account token secrets can be manually "
            "created. More info: https://kubernetes.io/docs/concepts/configuration/secret",
        ),
        common.age_column(),
    ],
    row=table_row,
)

SERVICEACCOUNTS = ResourceType(
    group="",
    version="v1",
    kind="ServiceAccount",
    plural="serviceaccounts",
    namespaced=True,
    short_names=("sa",),
    subresources=(
        Subresource("token", ("create",), group="authentication.k8s.io", version="v1", kind="TokenRequest"),
    ),
    strategy=ServiceAccountStrategy(),
    printer=PRINTER,
)
