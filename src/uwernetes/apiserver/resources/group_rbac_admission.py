"""The rbac.authorization.k8s.io/v1 and admissionregistration.k8s.io/v1 kinds, gathered for the catalogue (each kind lives in its own module)."""

from __future__ import annotations

from uwernetes.apiserver.resources.base import ResourceType

RESOURCES: list[ResourceType] = []
