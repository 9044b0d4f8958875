"""The autoscaling/v1 and v2 horizontalpodautoscalers and policy/v1 poddisruptionbudgets, gathered for the catalogue (each kind lives in its own module)."""

from __future__ import annotations

from uwernetes.apiserver.resources.base import ResourceType
from uwernetes.apiserver.resources.horizontalpodautoscalers import (
    HORIZONTALPODAUTOSCALERS,
    HORIZONTALPODAUTOSCALERS_V1,
)
from uwernetes.apiserver.resources.poddisruptionbudgets import PODDISRUPTIONBUDGETS

RESOURCES: list[ResourceType] = [HORIZONTALPODAUTOSCALERS, HORIZONTALPODAUTOSCALERS_V1, PODDISRUPTIONBUDGETS]
