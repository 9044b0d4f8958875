"""ClusterRole aggregation: an aggregated ClusterRole's rules are the rules of every other
ClusterRole its `aggregationRule.clusterRoleSelectors` pick.

Mirrors upstream's `pkg/controller/clusterroleaggregation/clusterroleaggregation_controller.go`
(v1.30): any ClusterRole change requeues every aggregated ClusterRole; selectors are taken in
order, the picked roles in name order, and a rule is added once (first occurrence wins); the
rules are written with server-side apply under the controller's field manager, forced, and only
when they differ.
"""

from __future__ import annotations

import logging
from typing import Any

from uwernetes.client.api import APIError, Client, Resource
from uwernetes.client.workqueue import WorkQueue
from uwernetes.controllers.workload_common import run_workers

log = logging.getLogger(__name__)

Obj = dict[str, Any]
CONTROLLER_NAME = "clusterrole-aggregation-controller"
CLUSTERROLES = Resource("rbac.authorization.k8s.io", "v1", "clusterroles", False, "ClusterRole")


def selector_matches(selector: Any, labels: dict[str, str]) -> bool:
    """metav1.LabelSelectorAsSelector(selector).Matches(labels); an invalid selector matches nothing."""
    if not isinstance(selector, dict):
        return False
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for req in selector.get("matchExpressions") or ():
        key, op, values = req.get("key"), req.get("operator"), req.get("values") or []
        if op == "In":
            ok = key in labels and labels[key] in values
        elif op == "NotIn":
            ok = key not in labels or labels[key] not in values
        elif op == "Exists":
            ok = key in labels
        elif op == "DoesNotExist":
            ok = key not in labels
        else:
            return False
        if not ok:
            return False
    return True


def aggregated_rules(role: Obj, all_roles: list[Obj]) -> list[Obj]:
    """The rules `role` should hold: picked roles' rules, de-duplicated, in upstream's order."""
    name = role["metadata"]["name"]
    by_name = sorted(all_roles, key=lambda r: r["metadata"]["name"])
    rules: list[Obj] = []
    for selector in (role.get("aggregationRule") or {}).get("clusterRoleSelectors") or ():
        for other in by_name:
            if other["metadata"]["name"] == name:
                continue
            if not selector_matches(selector, other["metadata"].get("labels") or {}):
                continue
            for rule in other.get("rules") or ():
                if rule not in rules:
                    rules.append(rule)
    return rules


def is_aggregated(role: Obj | None) -> bool:
    return bool(role and role.get("aggregationRule"))


class ClusterRoleAggregationController:
    def __init__(self, ctx: Any, informers: Any) -> None:
        self.client: Client = ctx.client(CONTROLLER_NAME)
        self.queue = WorkQueue(base_delay=0.005, max_delay=1000.0)
        self.roles = informers.get(CLUSTERROLES)
        self.roles.add_handlers(
            lambda role: self._enqueue_all(),
            lambda old, new: self._enqueue_all(),
            lambda role: self._enqueue_all(),
        )

    def _enqueue_all(self) -> None:
        # Any role may now be picked or dropped by any selector, so every aggregated role is due.
        for role in self.roles.list():
            if is_aggregated(role):
                self.queue.add(role["metadata"]["name"])

    async def run(self) -> None:
        await run_workers(self.queue, self.sync, 5, CONTROLLER_NAME)

    async def sync(self, key: str) -> None:
        role = self.roles.get(key)
        if not is_aggregated(role):
            return
        assert role is not None
        rules = aggregated_rules(role, list(self.roles.list()))
        if rules == (role.get("rules") or []):
            return
        apply = {"apiVersion": CLUSTERROLES.api_version, "kind": "ClusterRole", "metadata": {"name": key}, "rules": rules}
        try:
            await self.client.patch(CLUSTERROLES, key, apply, patch_type="apply", field_manager=CONTROLLER_NAME, force=True)
        except APIError as e:
            if e.not_found:
                return
            raise
