"""Disruption controller: keeps each PodDisruptionBudget's status true to the pods it selects.

Mirrors upstream's `pkg/controller/disruption/disruption.go` (v1.30) and the condition helper in
`component-helpers/apps/poddisruptionbudget`. For each budget: the selected pods (a nil selector
selects nothing, an empty one every pod of the namespace); the expected count (the pod count for
an integer minAvailable, otherwise the summed `spec.replicas` of the pods' controllers, through
the Deployment owning a ReplicaSet, or the scale subresource for other kinds); the desired
healthy count (percentages rounded up); the healthy count (Ready, not terminating, not recently
evicted); and `disruptionsAllowed = max(0, current - desired)`, 0 while nothing is expected.
Pods the eviction subresource recorded in `disruptedPods` stay unhealthy for two minutes, then
the entry is dropped (a recheck is scheduled for that moment). A sync that fails sets
`disruptionsAllowed` to 0 with `DisruptionAllowed=False, reason SyncFailed` (fail safe).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from uwernetes.client.api import DEPLOYMENTS, PODS, REPLICASETS, APIError, Client, Resource
from uwernetes.client.informer import object_key
from uwernetes.client.workqueue import WorkQueue
from uwernetes.controllers import workload_common as wc
from uwernetes.machinery import meta
from uwernetes.machinery.selectors import LabelSelector, selector_from_label_selector

log = logging.getLogger(__name__)

Obj = dict[str, Any]
NAME = "disruption-controller"
PDBS = Resource("policy", "v1", "poddisruptionbudgets", True, "PodDisruptionBudget")
STATEFULSETS = Resource("apps", "v1", "statefulsets", True, "StatefulSet")
DELETION_TIMEOUT = timedelta(minutes=2)

DISRUPTION_ALLOWED = "DisruptionAllowed"
SUFFICIENT_PODS, INSUFFICIENT_PODS, SYNC_FAILED = "SufficientPods", "InsufficientPods", "SyncFailed"


class ControllerNotFound(Exception):
    """A selected pod's controller is unknown (upstream: `found no controllers for pod "x"`)."""


# --------------------------------------------------------------------------------------------
# pure arithmetic
# --------------------------------------------------------------------------------------------


def scaled_value(value: int | str, total: int, round_up: bool = True) -> int:
    """intstr.GetScaledValueFromIntOrPercent: integers as they are, `N%` of total rounded."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if not isinstance(value, str) or not value.endswith("%"):
        raise ValueError("invalid value for IntOrString: invalid type: string is not a percentage")
    try:
        percent = int(value[:-1])
    except ValueError:
        raise ValueError(f"invalid value for IntOrString: invalid value {value!r}") from None
    product = percent * total
    return -(-product // 100) if round_up else math.floor(product / 100)


def needs_controller_scale(spec: Obj) -> bool:
    """Whether the expected count comes from the controllers' scale (not the pod count)."""
    if spec.get("maxUnavailable") is not None:
        return True
    return isinstance(spec.get("minAvailable"), str)


def expected_and_desired(spec: Obj, pod_count: int, controller_scale: int) -> tuple[int, int]:
    """getExpectedPodCount: (expectedPods, desiredHealthy)."""
    max_unavailable, min_available = spec.get("maxUnavailable"), spec.get("minAvailable")
    if max_unavailable is not None:
        return controller_scale, max(0, controller_scale - scaled_value(max_unavailable, controller_scale))
    if isinstance(min_available, int) and not isinstance(min_available, bool):
        return pod_count, min_available
    if isinstance(min_available, str):
        return controller_scale, scaled_value(min_available, controller_scale)
    return 0, 0


def disruptions_allowed(current_healthy: int, desired_healthy: int, expected: int) -> int:
    """No disruption while nothing is expected, so a budget whose first pods just appeared is safe."""
    allowed = current_healthy - desired_healthy
    return 0 if expected <= 0 or allowed <= 0 else allowed


def _time(value: Any) -> datetime | None:
    try:
        return meta.parse_time(value) if value else None
    except ValueError:
        return None


def build_disrupted_pod_map(pods: list[Obj], disrupted: dict[str, str] | None, now: datetime) -> tuple[dict[str, str], datetime | None]:
    """buildDisruptedPodMap: keep entries of live pods whose deletion is still expected; the
    earliest expiry is when to look again."""
    result: dict[str, str] = {}
    recheck: datetime | None = None
    if not disrupted:
        return result, recheck
    for pod in pods:
        m = pod.get("metadata") or {}
        if m.get("deletionTimestamp"):
            continue
        name = m.get("name") or ""
        when = _time(disrupted.get(name))
        if when is None:
            continue
        expected_deletion = when + DELETION_TIMEOUT
        if expected_deletion < now:
            continue
        if recheck is None or expected_deletion < recheck:
            recheck = expected_deletion
        result[name] = disrupted[name]
    return result, recheck


def count_healthy(pods: list[Obj], disrupted: dict[str, str], now: datetime) -> int:
    """countHealthyPods: Ready pods that are neither terminating nor about to be evicted."""
    healthy = 0
    for pod in pods:
        m = pod.get("metadata") or {}
        if m.get("deletionTimestamp"):
            continue
        when = _time(disrupted.get(m.get("name") or ""))
        if when is not None and when + DELETION_TIMEOUT > now:
            continue
        if wc.is_pod_ready(pod):
            healthy += 1
    return healthy


def set_status_condition(status: Obj, wanted: Obj, now: str) -> None:
    """apimeta.SetStatusCondition: lastTransitionTime moves only when the status flips."""
    conditions = status.setdefault("conditions", [])
    for c in conditions:
        if c.get("type") == wanted["type"]:
            if c.get("status") != wanted["status"]:
                c["lastTransitionTime"] = now
            c.update({k: v for k, v in wanted.items() if k != "observedGeneration"})
            if wanted.get("observedGeneration"):
                c["observedGeneration"] = wanted["observedGeneration"]
            else:
                c.pop("observedGeneration", None)
            return
    cond: Obj = {"type": wanted["type"], "status": wanted["status"]}
    if wanted.get("observedGeneration"):
        cond["observedGeneration"] = wanted["observedGeneration"]
    cond.update({"lastTransitionTime": now, "reason": wanted["reason"], "message": wanted.get("message", "")})
    conditions.append(cond)


def update_disruption_allowed_condition(status: Obj, now: str) -> None:
    """UpdateDisruptionAllowedCondition: True/SufficientPods while a disruption is allowed."""
    allowed = (status.get("disruptionsAllowed") or 0) > 0
    set_status_condition(status, {
        "type": DISRUPTION_ALLOWED,
        "status": "True" if allowed else "False",
        "observedGeneration": status.get("observedGeneration") or 0,
        "reason": SUFFICIENT_PODS if allowed else INSUFFICIENT_PODS,
        "message": "",
    }, now)


def conditions_up_to_date(pdb: Obj) -> bool:
    """ConditionsAreUpToDate."""
    status = pdb.get("status") or {}
    cond = next((c for c in status.get("conditions") or () if c.get("type") == DISRUPTION_ALLOWED), None)
    if cond is None or (status.get("observedGeneration") or 0) != ((pdb.get("metadata") or {}).get("generation") or 0):
        return False
    if (status.get("disruptionsAllowed") or 0) > 0:
        return cond.get("status") == "True" and cond.get("reason") == SUFFICIENT_PODS
    return cond.get("status") == "False" and cond.get("reason") == INSUFFICIENT_PODS


def compute_status(pdb: Obj, current: int, desired: int, expected: int, disrupted: dict[str, str], now: str) -> Obj | None:
    """updatePdbStatus: the new status, or None when the stored one is already right."""
    status = pdb.get("status") or {}
    allowed = disruptions_allowed(current, desired, expected)
    generation = (pdb.get("metadata") or {}).get("generation") or 0
    if (status.get("currentHealthy") or 0) == current and (status.get("desiredHealthy") or 0) == desired \
            and (status.get("expectedPods") or 0) == expected and (status.get("disruptionsAllowed") or 0) == allowed \
            and (status.get("disruptedPods") or {}) == disrupted \
            and (status.get("observedGeneration") or 0) == generation and conditions_up_to_date(pdb):
        return None
    new: Obj = {"observedGeneration": generation}
    if disrupted:
        new["disruptedPods"] = dict(disrupted)
    new.update({"disruptionsAllowed": allowed, "currentHealthy": current, "desiredHealthy": desired, "expectedPods": expected})
    new["conditions"] = [dict(c) for c in status.get("conditions") or ()]
    update_disruption_allowed_condition(new, now)
    return new


def fail_safe_status(pdb: Obj, message: str, now: str) -> Obj:
    """failSafe: no disruptions until a sync succeeds again."""
    status = dict(pdb.get("status") or {})
    status["conditions"] = [dict(c) for c in status.get("conditions") or ()]
    status["disruptionsAllowed"] = 0
    set_status_condition(status, {"type": DISRUPTION_ALLOWED, "status": "False", "reason": SYNC_FAILED,
                                  "message": message, "observedGeneration": status.get("observedGeneration") or 0}, now)
    return status


# --------------------------------------------------------------------------------------------
# the controller
# --------------------------------------------------------------------------------------------


def _selector(pdb: Obj) -> LabelSelector | None:
    """LabelSelectorAsSelector: nil selects nothing; a bad selector selects nothing too."""
    try:
        return selector_from_label_selector((pdb.get("spec") or {}).get("selector"))
    except (ValueError, KeyError):
        return None


class DisruptionController:
    def __init__(self, ctx: Any, informers: Any, *, now: Callable[[], datetime] | None = None) -> None:
        self.client: Client = ctx.client(NAME)
        self.now = now or (lambda: datetime.now(UTC))
        self.queue = WorkQueue(base_delay=0.005, max_delay=300.0)
        self.events = wc.EventRecorder(self.client, NAME)
        self.pdbs = informers.get(PDBS)
        self.pods = informers.get(PODS)
        self.replicasets = informers.get(REPLICASETS)
        self.deployments = informers.get(DEPLOYMENTS)
        self.statefulsets = informers.get(STATEFULSETS)
        self._kinds: dict[str, dict[str, str]] = {}  # groupVersion -> kind -> plural (discovery)
        self.pdbs.add_handlers(self._enqueue, lambda old, new: self._enqueue(new), self._enqueue)
        self.pods.add_handlers(self._on_pod, lambda old, new: self._on_pod(new), self._on_pod)

    def _enqueue(self, pdb: Obj) -> None:
        self.queue.add(object_key(pdb))

    def _on_pod(self, pod: Obj) -> None:
        m = pod.get("metadata") or {}
        for pdb in self.pdbs.list():
            if (pdb.get("metadata") or {}).get("namespace") != m.get("namespace"):
                continue
            sel = _selector(pdb)
            if sel is not None and sel.matches(m.get("labels") or {}):
                self._enqueue(pdb)

    async def run(self) -> None:
        await wc.run_workers(self.queue, self.sync, 2, NAME)

    def pods_for(self, pdb: Obj) -> list[Obj]:
        sel = _selector(pdb)
        if sel is None:
            return []
        ns = (pdb.get("metadata") or {}).get("namespace")
        return [p for p in self.pods.list()
                if (p.get("metadata") or {}).get("namespace") == ns and sel.matches((p.get("metadata") or {}).get("labels") or {})]

    async def sync(self, key: str) -> None:
        pdb = self.pdbs.get(key)
        if pdb is None:
            return
        try:
            await self.try_sync(pdb)
        except APIError as e:
            if e.conflict or e.not_found:
                raise
            await self._fail_safe(pdb, str(e))
        except (ControllerNotFound, ValueError) as e:
            await self._fail_safe(pdb, str(e))

    async def try_sync(self, pdb: Obj) -> None:
        pdb = {"apiVersion": PDBS.api_version, "kind": PDBS.kind, **pdb}
        pods = self.pods_for(pdb)
        if not pods:
            self.events.event(pdb, "Normal", "NoPods", "No matching pods found")
        spec = pdb.get("spec") or {}
        scale = 0
        if needs_controller_scale(spec):
            scale, unmanaged = await self.expected_scale(pods)
            if unmanaged:
                self.events.event(pdb, "Warning", "UnmanagedPods", (
                    f"Pods selected by this PodDisruptionBudget (selector: {spec.get('selector')}) were found to be "
                    "unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in "
                    'undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB '
                    "to an integer value."))
        expected, desired = expected_and_desired(spec, len(pods), scale)
        now = self.now()
        disrupted, recheck = build_disrupted_pod_map(pods, (pdb.get("status") or {}).get("disruptedPods"), now)
        current = count_healthy(pods, disrupted, now)
        status = compute_status(pdb, current, desired, expected, disrupted, meta.format_time(now))
        if status is not None:
            await self.client.update_status(PDBS, {**pdb, "status": status}, NAME)
        if recheck is not None:
            self.queue.add_after(object_key(pdb), (recheck - now).total_seconds())

    async def _fail_safe(self, pdb: Obj, message: str) -> None:
        log.info("%s: sync of %s failed: %s", NAME, object_key(pdb), message)
        status = fail_safe_status(pdb, message, meta.format_time(self.now()))
        await self.client.update_status(PDBS, {"apiVersion": PDBS.api_version, "kind": PDBS.kind, **pdb, "status": status}, NAME)

    # --- controllers' scale ---

    async def expected_scale(self, pods: list[Obj]) -> tuple[int, list[str]]:
        """getExpectedScale: the sum of each distinct controller's replicas, and unmanaged pods."""
        scales: dict[str, int] = {}
        unmanaged: list[str] = []
        for pod in pods:
            ref = wc.controller_ref(pod)
            if ref is None:
                unmanaged.append((pod.get("metadata") or {}).get("name") or "")
                continue
            if ref.get("uid") in scales:
                continue
            found = await self.find_controller(ref, (pod.get("metadata") or {}).get("namespace") or "")
            if found is None:
                raise ControllerNotFound(f'found no controllers for pod "{(pod.get("metadata") or {}).get("name")}"')
            scales[found[0]] = found[1]
        return sum(scales.values()), unmanaged

    def _cached(self, informer: Any, ns: str, ref: Obj) -> Obj | None:
        obj = informer.get(f"{ns}/{ref.get('name')}")
        if obj is None or (obj.get("metadata") or {}).get("uid") != ref.get("uid"):
            return None
        return obj

    async def find_controller(self, ref: Obj, ns: str) -> tuple[str, int] | None:
        """The finders in upstream's order: Deployment (through its ReplicaSet), ReplicaSet,
        StatefulSet, then any kind with a scale subresource."""
        group = (ref.get("apiVersion") or "").rpartition("/")[0]
        kind = ref.get("kind")
        if kind == "ReplicaSet" and group == "apps":
            rs = self._cached(self.replicasets, ns, ref)
            if rs is not None:
                owner = wc.controller_ref(rs)
                if owner is not None and owner.get("kind") == "Deployment":
                    d = self._cached(self.deployments, ns, owner)
                    return None if d is None else (owner["uid"], _replicas(d))
                return ref["uid"], _replicas(rs)
        if kind == "StatefulSet" and group == "apps":
            ss = self._cached(self.statefulsets, ns, ref)
            if ss is not None:
                return ref["uid"], _replicas(ss)
        return await self._scale_controller(ref, ns)

    async def _scale_controller(self, ref: Obj, ns: str) -> tuple[str, int] | None:
        """getScaleController: GET <resource>/scale; not found means no controller."""
        api_version, kind = ref.get("apiVersion") or "", ref.get("kind") or ""
        plural = await self._plural(api_version, kind)
        if plural is None:
            return None
        group, _, version = api_version.rpartition("/")
        res = Resource(group, version, plural, True, kind)
        try:
            scale = await self.client.get(res, ref.get("name") or "", ns, "scale")
        except APIError as e:
            if e.not_found:
                return None
            raise
        if (scale.get("metadata") or {}).get("uid") != ref.get("uid"):
            return None
        return ref["uid"], int((scale.get("spec") or {}).get("replicas") or 0)

    async def _plural(self, api_version: str, kind: str) -> str | None:
        if api_version not in self._kinds:
            path = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
            try:
                listing = orjson.loads(await self.client.raw("GET", path))
            except (APIError, ValueError):
                return None
            self._kinds[api_version] = {r.get("kind"): r.get("name") for r in listing.get("resources") or ()
                                        if "/" not in (r.get("name") or "")}
        return self._kinds[api_version].get(kind)


def _replicas(obj: Obj) -> int:
    replicas = (obj.get("spec") or {}).get("replicas")
    return replicas if isinstance(replicas, int) else 1
