"""The core/v1 kinds beyond the first set: persistentvolumes, persistentvolumeclaims, endpoints, limitranges, resourcequotas, replicationcontrollers, podtemplates, componentstatuses, gathered for the catalogue (each kind lives in its own module)."""

from __future__ import annotations

from uwernetes.apiserver.resources.base import ResourceType

RESOURCES: list[ResourceType] = []
