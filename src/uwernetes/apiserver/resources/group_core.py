"""The core/v1 kinds beyond the first set: persistentvolumes, persistentvolumeclaims, endpoints, limitranges, resourcequotas, replicationcontrollers, podtemplates, componentstatuses, bindings, gathered for the catalogue (each kind lives in its own module)."""

from __future__ import annotations

from uwernetes.apiserver.resources.base import ResourceType
from uwernetes.apiserver.resources.bindings import BINDINGS
from uwernetes.apiserver.resources.componentstatuses import COMPONENTSTATUSES
from uwernetes.apiserver.resources.endpoints import ENDPOINTS
from uwernetes.apiserver.resources.limitranges import LIMITRANGES
from uwernetes.apiserver.resources.persistentvolumeclaims import PERSISTENTVOLUMECLAIMS
from uwernetes.apiserver.resources.persistentvolumes import PERSISTENTVOLUMES
from uwernetes.apiserver.resources.podtemplates import PODTEMPLATES
from uwernetes.apiserver.resources.replicationcontrollers import REPLICATIONCONTROLLERS
from uwernetes.apiserver.resources.resourcequotas import RESOURCEQUOTAS

RESOURCES: list[ResourceType] = [
    PERSISTENTVOLUMES,
    PERSISTENTVOLUMECLAIMS,
    REPLICATIONCONTROLLERS,
    ENDPOINTS,
    LIMITRANGES,
    RESOURCEQUOTAS,
    PODTEMPLATES,
    COMPONENTSTATUSES,
    BINDINGS,
]
