"""Resource arithmetic for scheduling: quantities as integers and a pod's effective requests.

Mirrors upstream v1.30 `pkg/api/v1/resource/helpers.go` (`PodRequests`) and
`pkg/scheduler/framework/types.go` (`calculateResource`). CPU is counted in millicores, everything
else in whole units, as the scheduler's `Resource` struct does. Parsing is cached per string: pods
and nodes repeat the same few quantity strings, and the scheduler reads them on every event.
"""

from __future__ import annotations

import functools
import math
from typing import Any

from uwernetes.machinery import quantity

CPU, MEMORY, EPHEMERAL, PODS = "cpu", "memory", "ephemeral-storage", "pods"
# schedutil.DefaultMilliCPURequest / DefaultMemoryRequest: what a container without requests
# is assumed to use when spreading by score (never when filtering).
DEFAULT_MILLI_CPU_REQUEST = 100
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024

Requests = dict[str, int]


@functools.lru_cache(maxsize=8192)
def _parse(text: str, milli: bool) -> int:
    try:
        value = quantity.parse_quantity(text)
    except (quantity.QuantityError, ValueError):
        return 0
    return math.ceil(value * 1000) if milli else math.ceil(value)


def to_int(name: str, value: Any) -> int:
    """A quantity as the scheduler counts it: millicores for cpu, whole units otherwise."""
    return _parse(str(value), name == CPU)


def resource_list(resources: dict[str, Any] | None) -> Requests:
    if not resources:
        return {}
    return {name: to_int(name, v) for name, v in resources.items()}


def _add(into: Requests, other: Requests) -> None:
    for k, v in other.items():
        into[k] = into.get(k, 0) + v


def _max(into: Requests, other: Requests) -> None:
    for k, v in other.items():
        if v > into.get(k, 0):
            into[k] = v


def _container_requests(c: dict, non_missing: Requests | None) -> Requests:
    reqs = resource_list((c.get("resources") or {}).get("requests"))
    if non_missing:
        for k, v in non_missing.items():
            if k not in reqs:
                reqs[k] = v
    return reqs


def pod_requests(pod: dict, non_missing: Requests | None = None) -> Requests:
    """PodRequests: app containers plus sidecars, at least the largest init step, plus overhead.

    An init container runs next to the sidecars started before it, so each init step costs its
    own requests plus theirs; `non_missing` fills in requests a container leaves out.
    """
    spec = pod.get("spec") or {}
    reqs: Requests = {}
    for c in spec.get("containers") or ():
        _add(reqs, _container_requests(c, non_missing))
    sidecars: Requests = {}
    init_max: Requests = {}
    for c in spec.get("initContainers") or ():
        creqs = _container_requests(c, non_missing)
        if c.get("restartPolicy") == "Always":
            _add(reqs, creqs)
            _add(sidecars, creqs)
            step = dict(sidecars)
        else:
            step = dict(creqs)
            _add(step, sidecars)
        _max(init_max, step)
    _max(reqs, init_max)
    overhead = spec.get("overhead")
    if overhead:
        _add(reqs, resource_list(overhead))
    return reqs


NON_ZERO_DEFAULTS: Requests = {CPU: DEFAULT_MILLI_CPU_REQUEST, MEMORY: DEFAULT_MEMORY_REQUEST}


def non_zero_requests(pod: dict) -> tuple[int, int]:
    """(milli cpu, memory) with defaults for containers that leave them out (scoring only)."""
    r = pod_requests(pod, NON_ZERO_DEFAULTS)
    return r.get(CPU, 0), r.get(MEMORY, 0)
