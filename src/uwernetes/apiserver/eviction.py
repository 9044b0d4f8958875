"""The `pods/eviction` subresource: delete a pod only if its PodDisruptionBudget allows it.

Mirrors upstream's `pkg/registry/core/pod/storage/eviction.go` (v1.30): a pod that already
caused its disruption (Pending, Succeeded, Failed or terminating) is deleted without looking at
budgets; otherwise the one matching budget must allow a disruption, which is taken by
decrementing `status.disruptionsAllowed` and recording the pod in `status.disruptedPods` before
the delete (so the disruption controller does not count it healthy meanwhile). More than one
matching budget is a 500; an exhausted budget is a 429 with a `DisruptionBudget` cause, which is
what makes `kubectl drain` wait and retry. Unready pods may go without spending budget when the
budget is already met (`IfHealthyBudget`) or always (`AlwaysAllow`), guarded by a
resourceVersion precondition so the pod cannot turn ready in between. The delete first marks the
pod `DisruptionTarget=True` (reason `EvictionByEvictionAPI`) through the status strategy.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import orjson

from uwernetes.apiserver import negotiation
from uwernetes.apiserver.http import Request, Response
from uwernetes.apiserver.registry import DeleteOptions, Registry
from uwernetes.apiserver.request_info import RequestInfo
from uwernetes.apiserver.resources import core_common as common
from uwernetes.apiserver.resources.base import Obj, ResourceType
from uwernetes.machinery import errors, meta

ACCEPTED_VERSIONS = ("policy/v1", "policy/v1beta1")
MAX_DISRUPTED_POD_SIZE = 2000
EVICTION_RETRIES = 20
RETRY_DELAY = 0.05  # upstream waits 500 ms; our store is local, so conflicts clear fast
FIELD_MANAGER = "kube-apiserver"
DISRUPTION_BUDGET_CAUSE = "DisruptionBudget"
TOO_MANY_MESSAGE = "Cannot evict pod as it would violate the pod's disruption budget."
MULTIPLE_PDBS_MESSAGE = "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."
ALWAYS_ALLOW = "AlwaysAllow"

SUCCESS = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}


# --------------------------------------------------------------------------------------------
# pure decisions
# --------------------------------------------------------------------------------------------


def can_ignore_pdb(pod: Obj) -> bool:
    """canIgnorePDB: the pod already disrupted its workload, or never joined it."""
    phase = (pod.get("status") or {}).get("phase")
    return phase in ("Succeeded", "Failed", "Pending") or bool((pod.get("metadata") or {}).get("deletionTimestamp"))


def should_enforce_resource_version(pod: Obj) -> bool:
    """shouldEnforceResourceVersion: only a live pod could turn ready (and count) in between."""
    phase = (pod.get("status") or {}).get("phase")
    return phase not in ("Succeeded", "Failed") and not (pod.get("metadata") or {}).get("deletionTimestamp")


def is_pod_ready(pod: Obj) -> bool:
    for c in (pod.get("status") or {}).get("conditions") or ():
        if c.get("type") == "Ready":
            return c.get("status") == "True"
    return False


def matching_pdbs(pod: Obj, pdbs: list[Obj]) -> list[Obj]:
    """getPodDisruptionBudgets: same namespace; a nil or empty selector matches nothing."""
    ns = (pod.get("metadata") or {}).get("namespace")
    labels = (pod.get("metadata") or {}).get("labels") or {}
    out = []
    for pdb in pdbs:
        if (pdb.get("metadata") or {}).get("namespace") != ns:
            continue
        selector = (pdb.get("spec") or {}).get("selector")
        if not isinstance(selector, dict) or common.selector_is_empty(selector):
            continue
        if common.selector_matches(selector, labels):
            out.append(pdb)
    return out


def too_many_requests(cause: str, retry_after: int) -> errors.StatusError:
    """errors.NewTooManyRequests plus the DisruptionBudget cause (details always present)."""
    details: dict[str, Any] = {"causes": [{"reason": DISRUPTION_BUDGET_CAUSE, "message": cause}]}
    headers = {}
    if retry_after:
        details["retryAfterSeconds"] = retry_after
        headers["Retry-After"] = str(retry_after)
    return errors.StatusError(429, "TooManyRequests", TOO_MANY_MESSAGE, details, headers)


def still_processing(pdb_name: str) -> errors.StatusError:
    """createTooManyRequestsError: the controller has not caught up with this budget."""
    return too_many_requests(f"The disruption budget {pdb_name} is still being processed by the server.", 10)


def _forbidden(pdb_name: str, message: str) -> errors.StatusError:
    return errors.forbidden("poddisruptionbudget", pdb_name, message, "policy")


def update_disruption_allowed_condition(status: Obj, now: str) -> None:
    """pdbhelper.UpdateDisruptionAllowedCondition with apimeta.SetStatusCondition semantics."""
    allowed = (status.get("disruptionsAllowed") or 0) > 0
    wanted = {
        "type": "DisruptionAllowed",
        "status": "True" if allowed else "False",
        "observedGeneration": status.get("observedGeneration") or 0,
        "reason": "SufficientPods" if allowed else "InsufficientPods",
        "message": "",
    }
    set_status_condition(status, wanted, now)


def set_status_condition(status: Obj, wanted: Obj, now: str) -> None:
    """apimeta.SetStatusCondition: the transition time moves only when the status flips."""
    conditions = status.setdefault("conditions", [])
    for c in conditions:
        if c.get("type") == wanted["type"]:
            if c.get("status") != wanted["status"]:
                c["status"] = wanted["status"]
                c["lastTransitionTime"] = now
            c["reason"] = wanted["reason"]
            c["message"] = wanted["message"]
            if wanted["observedGeneration"]:
                c["observedGeneration"] = wanted["observedGeneration"]
            else:
                c.pop("observedGeneration", None)
            return
    cond: Obj = {"type": wanted["type"], "status": wanted["status"]}
    if wanted["observedGeneration"]:
        cond["observedGeneration"] = wanted["observedGeneration"]  # omitempty in metav1.Condition
    cond.update({"lastTransitionTime": now, "reason": wanted["reason"], "message": wanted["message"]})
    conditions.append(cond)


def check_and_decrement(pdb: Obj, pod_name: str, now: str, dry_run: bool) -> Obj | None:
    """checkAndDecrement: the budget's new status to write, None for a dry run; raises when refused."""
    name = (pdb.get("metadata") or {}).get("name") or ""
    status = copy.deepcopy(pdb.get("status") or {})
    generation = (pdb.get("metadata") or {}).get("generation") or 0
    if (status.get("observedGeneration") or 0) < generation:
        raise still_processing(name)
    allowed = status.get("disruptionsAllowed") or 0
    if allowed < 0:
        raise _forbidden(name, "pdb disruptions allowed is negative")
    if len(status.get("disruptedPods") or {}) > MAX_DISRUPTED_POD_SIZE:
        raise _forbidden(name, "DisruptedPods map too big - too many evictions not confirmed by PDB controller")
    if allowed == 0:
        desired, current = status.get("desiredHealthy") or 0, status.get("currentHealthy") or 0
        raise too_many_requests(f"The disruption budget {name} needs {desired} healthy pods and has {current} currently", 0)
    status["disruptionsAllowed"] = allowed - 1
    if status["disruptionsAllowed"] == 0:
        update_disruption_allowed_condition(status, now)
    if dry_run:
        return None
    disrupted = status.get("disruptedPods") or {}
    disrupted[pod_name] = now
    status["disruptedPods"] = disrupted
    return status


def may_skip_budget(pod: Obj, pdb: Obj) -> bool:
    """An unready pod leaves without spending budget: always under AlwaysAllow, and under
    IfHealthyBudget (the default) when the budget is already met."""
    if is_pod_ready(pod):
        return False
    if (pdb.get("spec") or {}).get("unhealthyPodEvictionPolicy") == ALWAYS_ALLOW:
        return True
    status = pdb.get("status") or {}
    desired = status.get("desiredHealthy") or 0
    return (status.get("currentHealthy") or 0) >= desired and desired > 0


def propagate_dry_run(eviction: Obj, query_dry_run: list[str]) -> dict[str, Any]:
    """propagateDryRun: the request's dryRun and the body's must agree when both are given."""
    options = dict(eviction.get("deleteOptions") or {})
    body_dry_run = list(options.get("dryRun") or [])
    if not body_dry_run:
        options["dryRun"] = list(query_dry_run)
    elif query_dry_run and query_dry_run != body_dry_run:
        raise errors.internal(
            f"Non-matching dry-run options in request and content: [{' '.join(query_dry_run)}] and [{' '.join(body_dry_run)}]"
        )
    return options


# --------------------------------------------------------------------------------------------
# the handler
# --------------------------------------------------------------------------------------------


def _now() -> str:
    return meta.format_time(datetime.now(UTC))


def _decode(req: Request, info: RequestInfo) -> Obj:
    body = negotiation.decode_object(req.body, req.headers.get("content-type"))
    if not isinstance(body, dict):
        raise errors.bad_request("Eviction must be an object")
    api_version = body.get("apiVersion") or "policy/v1"
    if api_version not in ACCEPTED_VERSIONS:
        raise errors.bad_request(
            f"the API version in the data ({api_version}) does not match the expected API version (policy/v1)"
        )
    if (body.get("metadata") or {}).get("name") != info.name:
        raise errors.bad_request("name in URL does not match name in Eviction object")
    return body


def _rv_unset(options: dict[str, Any]) -> bool:
    return not (options.get("preconditions") or {}).get("resourceVersion")


def _with_rv(options: dict[str, Any], rv: str) -> dict[str, Any]:
    out = copy.deepcopy(options)
    out.setdefault("preconditions", {})
    out["preconditions"] = dict(out["preconditions"] or {}, resourceVersion=rv)
    return out


async def _retry(fn: Callable[[], Awaitable[Any]], retry_conflicts: bool) -> Any:
    for attempt in range(EVICTION_RETRIES):
        try:
            return await fn()
        except errors.StatusError as e:
            if e.code != 409 or not retry_conflicts or attempt == EVICTION_RETRIES - 1:
                raise
            await asyncio.sleep(RETRY_DELAY)
    return None


class Evictor:
    """One eviction at a time per request; state is the registry and the two resource types."""

    def __init__(self, registry: Registry, pods: ResourceType, pdbs: ResourceType | None) -> None:
        self.registry = registry
        self.pods = pods
        self.pdbs = pdbs

    async def evict(self, req: Request, info: RequestInfo) -> Response:
        if info.verb != "create":
            raise errors.StatusError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {})
        eviction = _decode(req, info)
        options = propagate_dry_run(eviction, req.query.get("dryRun") or [])
        ns = info.namespace or None
        ctx = self.registry.context(user=req.user, groups=req.groups)

        async def delete_if_ignorable() -> Obj | None:
            pod = await self.registry.get(self.pods, ns, info.name)
            if not can_ignore_pdb(pod):
                return pod
            opts = options
            if should_enforce_resource_version(pod) and _rv_unset(options):
                opts = _with_rv(options, pod["metadata"]["resourceVersion"])
            await self._condition_and_delete(ns, info.name, opts, ctx)
            return None

        pod = await _retry(delete_if_ignorable, retry_conflicts=_rv_unset(options))
        if pod is None:
            return Response(201, orjson.dumps(SUCCESS))

        pdbs = matching_pdbs(pod, await self._budgets(ns))
        if len(pdbs) > 1:
            raise errors.StatusError(500, "", MULTIPLE_PDBS_MESSAGE, None)
        pin_version = False
        if pdbs:
            pdb = pdbs[0]
            if may_skip_budget(pod, pdb):
                pin_version = True
            else:
                await self._take_budget(pdb, info.name, "All" in (options.get("dryRun") or []), ctx)
        opts = _with_rv(options, pod["metadata"]["resourceVersion"]) if pin_version else options
        try:
            await self._condition_and_delete(ns, info.name, opts, ctx)
        except errors.StatusError as e:
            if e.code == 409 and pin_version and _rv_unset(options):
                raise still_processing(pdbs[0]["metadata"]["name"]) from None
            raise
        return Response(201, orjson.dumps(SUCCESS))

    async def _budgets(self, ns: str | None) -> list[Obj]:
        if self.pdbs is None:
            return []
        items, _, _, _ = await self.registry.list(self.pdbs, ns)
        return items

    async def _take_budget(self, pdb: Obj, pod_name: str, dry_run: bool, ctx: Any) -> None:
        assert self.pdbs is not None
        ns, name = pdb["metadata"].get("namespace"), pdb["metadata"]["name"]
        current = pdb
        for attempt in range(EVICTION_RETRIES):
            if attempt:
                current = await self.registry.get(self.pdbs, ns, name)
            status = check_and_decrement(current, pod_name, _now(), dry_run)
            if status is None:
                return
            new = copy.deepcopy(current)
            new["status"] = status
            status_ctx = self.registry.context(user=ctx.user, groups=ctx.groups, subresource="status")
            try:
                await self.registry.update(self.pdbs, ns, name, new, status_ctx, FIELD_MANAGER, "status")
                return
            except errors.StatusError as e:
                if e.code != 409:
                    raise
                await asyncio.sleep(RETRY_DELAY)
        raise errors.StatusError(
            504, "Timeout", f'couldn\'t update PodDisruptionBudget "{name}" due to conflicts', {"retryAfterSeconds": 10}
        )

    async def _condition_and_delete(self, ns: str | None, name: str, options: dict[str, Any], ctx: Any) -> None:
        """addConditionAndDeletePod: mark DisruptionTarget (status strategy), then delete."""
        dry_run = "All" in (options.get("dryRun") or [])
        if not dry_run and self.registry.features.enabled("PodDisruptionConditions"):
            pre = options.get("preconditions") or {}

            def add_condition(pod: Obj) -> Obj:
                m = pod.get("metadata") or {}
                if pre.get("uid") and pre["uid"] != m.get("uid"):
                    raise errors.conflict("Pod", name, f"the UID in the precondition ({pre['uid']}) does not match the UID in record ({m.get('uid')}). The object might have been deleted and then recreated")
                if pre.get("resourceVersion") and pre["resourceVersion"] != m.get("resourceVersion"):
                    raise errors.conflict("Pod", name, f"the ResourceVersion in the precondition ({pre['resourceVersion']}) does not match the ResourceVersion in record ({m.get('resourceVersion')}). The object might have been modified")
                set_pod_disruption_target(pod, _now())
                return pod

            status_ctx = self.registry.context(user=ctx.user, groups=ctx.groups, subresource="status")
            updated, _ = await self.registry.patch(self.pods, ns, name, add_condition, status_ctx, FIELD_MANAGER, "status")
            if not _rv_unset(options):
                options = _with_rv(options, updated["metadata"]["resourceVersion"])
        await self.registry.delete(self.pods, ns, name, DeleteOptions.from_body(options), ctx)


def set_pod_disruption_target(pod: Obj, now: str) -> None:
    """podutil.UpdatePodCondition with the eviction's DisruptionTarget=True condition."""
    status = pod.setdefault("status", {})
    conditions = status.setdefault("conditions", [])
    wanted = {"type": "DisruptionTarget", "status": "True", "reason": "EvictionByEvictionAPI", "message": "Eviction API: evicting"}
    for c in conditions:
        if c.get("type") == "DisruptionTarget":
            if c.get("status") != "True":
                c["lastTransitionTime"] = now
            c.update(wanted)
            return
    conditions.append({**{k: wanted[k] for k in ("type", "status")}, "lastProbeTime": None, "lastTransitionTime": now,
                       "reason": wanted["reason"], "message": wanted["message"]})


def install(app: Any, registry: Registry) -> None:
    """Serve POST pods/{name}/eviction when pods are served."""
    pods = registry.resource("", "v1", "pods")
    if pods is None:
        return
    evictor = Evictor(registry, pods, registry.resource("policy", "v1", "poddisruptionbudgets"))

    async def eviction(req: Request, info: RequestInfo, rt: ResourceType, send: Any) -> Response:
        return await evictor.evict(req, info)

    app.subresources[("", "pods", "eviction")] = eviction
