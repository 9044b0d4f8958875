"""The core/v1 kinds beyond the first set: persistentvolumes, persistentvolumeclaims, endpoints, limitranges, resourcequotas, replicationcontrollers, podtemplates, componentstatuses, gathered for the catalogue (each kind lives in its own module)."""

from __future__ import annotations

from uwernetes.apiserver.resources.base import ResourceType
from uwernetes.apiserver.resources.limitranges import LIMITRANGES
from uwernetes.apiserver.resources.persistentvolumeclaims import PERSISTENTVOLUMECLAIMS
from uwernetes.apiserver.resources.persistentvolumes import PERSISTENTVOLUMES

RESOURCES: list[ResourceType] = [
    PERSISTENTVOLUMES,
    PERSISTENTVOLUMECLAIMS,
    LIMITRANGES,
]
