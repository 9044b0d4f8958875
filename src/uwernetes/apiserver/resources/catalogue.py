"""The built-in core kinds, gathered for the registry and discovery.

`CORE_RESOURCES` holds every kind defined next to this module except Pod, whose module is
imported lazily by `all_resources()` so this one imports even while pods.py is being written.
"""

from __future__ import annotations

from uwernetes.apiserver.resources.base import ResourceType
from uwernetes.apiserver.resources.configmaps import CONFIGMAPS
from uwernetes.apiserver.resources.controllerrevisions import CONTROLLERREVISIONS
from uwernetes.apiserver.resources.cronjobs import CRONJOBS
from uwernetes.apiserver.resources.customresourcedefinitions import CUSTOMRESOURCEDEFINITIONS
from uwernetes.apiserver.resources.daemonsets import DAEMONSETS
from uwernetes.apiserver.resources.deployments import DEPLOYMENTS
from uwernetes.apiserver.resources.events import EVENTS, EVENTS_V1
from uwernetes.apiserver.resources.group_cluster import RESOURCES as CLUSTER_GROUPS
from uwernetes.apiserver.resources.group_core import RESOURCES as MORE_CORE
from uwernetes.apiserver.resources.group_policy_autoscaling import RESOURCES as POLICY_AUTOSCALING
from uwernetes.apiserver.resources.group_rbac_admission import RESOURCES as RBAC_ADMISSION
from uwernetes.apiserver.resources.jobs import JOBS
from uwernetes.apiserver.resources.leases import LEASES
from uwernetes.apiserver.resources.namespaces import NAMESPACES
from uwernetes.apiserver.resources.nodes import NODES
from uwernetes.apiserver.resources.replicasets import REPLICASETS
from uwernetes.apiserver.resources.secrets import SECRETS
from uwernetes.apiserver.resources.serviceaccounts import SERVICEACCOUNTS
from uwernetes.apiserver.resources.services import SERVICES
from uwernetes.apiserver.resources.statefulsets import STATEFULSETS

CORE_RESOURCES: list[ResourceType] = [
    NAMESPACES,
    NODES,
    SERVICES,
    CONFIGMAPS,
    SECRETS,
    SERVICEACCOUNTS,
    EVENTS,
    EVENTS_V1,
    LEASES,
    DEPLOYMENTS,
    REPLICASETS,
    STATEFULSETS,
    DAEMONSETS,
    CONTROLLERREVISIONS,
    JOBS,
    CRONJOBS,
    CUSTOMRESOURCEDEFINITIONS,
    *MORE_CORE,
    *POLICY_AUTOSCALING,
    *RBAC_ADMISSION,
    *CLUSTER_GROUPS,
]


def all_resources() -> list[ResourceType]:
    """CORE_RESOURCES plus Pod (imported here, late, on purpose)."""
    from uwernetes.apiserver.resources.pods import PODS

    return [PODS, *CORE_RESOURCES]
