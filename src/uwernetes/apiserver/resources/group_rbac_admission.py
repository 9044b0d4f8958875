"""The rbac.authorization.k8s.io/v1 and admissionregistration.k8s.io/v1 kinds, gathered for the catalogue (each kind lives in its own module)."""

from __future__ import annotations

from uwernetes.apiserver.resources.authreviews import RESOURCES as AUTH_REVIEWS
from uwernetes.apiserver.resources.base import ResourceType
from uwernetes.apiserver.resources.clusterrolebindings import CLUSTERROLEBINDINGS
from uwernetes.apiserver.resources.clusterroles import CLUSTERROLES
from uwernetes.apiserver.resources.rolebindings import ROLEBINDINGS
from uwernetes.apiserver.resources.roles import ROLES
from uwernetes.apiserver.resources.validatingadmissionpolicies import (
    VALIDATINGADMISSIONPOLICIES,
    VALIDATINGADMISSIONPOLICYBINDINGS,
)
from uwernetes.apiserver.resources.webhookconfigurations import (
    MUTATINGWEBHOOKCONFIGURATIONS,
    VALIDATINGWEBHOOKCONFIGURATIONS,
)

RESOURCES: list[ResourceType] = [
    CLUSTERROLEBINDINGS,
    CLUSTERROLES,
    ROLEBINDINGS,
    ROLES,
    MUTATINGWEBHOOKCONFIGURATIONS,
    VALIDATINGWEBHOOKCONFIGURATIONS,
    VALIDATINGADMISSIONPOLICIES,
    VALIDATINGADMISSIONPOLICYBINDINGS,
    *AUTH_REVIEWS,
]
