"""ClusterRoles (rbac.authorization.k8s.io/v1): upstream's `pkg/registry/rbac/clusterrole` with
`ValidateClusterRole`. An aggregated ClusterRole (`aggregationRule`) has its rules written by the
clusterrole-aggregation controller from the ClusterRoles its selectors pick.
"""

from __future__ import annotations

from typing import Any

from uwernetes.apiserver.resources import admissionregistration_common as selectors
from uwernetes.apiserver.resources import rbac_common as rbac
from uwernetes.apiserver.resources.base import Context, Obj, ResourceType
from uwernetes.machinery import field
from uwernetes.machinery.field import FieldError, Path

SELECTORS_PATH = Path("aggregationRule", "clusterRoleSelectors")


def validate_aggregation_rule(rule: Any, strict_values: bool = True) -> list[FieldError]:
    if rule is None:
        return []
    chosen = (rule if isinstance(rule, dict) else {}).get("clusterRoleSelectors") or []
    errs: list[FieldError] = []
    if not chosen:
        errs.append(field.required(SELECTORS_PATH, "at least one clusterRoleSelector required if aggregationRule is non-nil"))
    for i, selector in enumerate(chosen):
        errs.extend(selectors.validate_label_selector(selector, SELECTORS_PATH.index(i), strict_values=strict_values))
    return errs


def has_invalid_label_values(rule: Any) -> bool:
    """Whether an old object already carried selector values that strict checks refuse
    (upstream then keeps accepting them on update: AllowInvalidLabelValueInSelector)."""
    return bool(validate_aggregation_rule(rule)) and not validate_aggregation_rule(rule, strict_values=False)


class ClusterRoleStrategy(rbac.RBACStrategy):
    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return rbac.validate_rules(obj, namespaced=False) + validate_aggregation_rule(obj.get("aggregationRule"))

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        strict = not has_invalid_label_values(old.get("aggregationRule"))
        return rbac.validate_rules(new, namespaced=False) + validate_aggregation_rule(new.get("aggregationRule"), strict)


CLUSTERROLES = ResourceType(
    group=rbac.GROUP,
    version="v1",
    kind="ClusterRole",
    plural="clusterroles",
    namespaced=False,
    strategy=ClusterRoleStrategy(),
    printer=rbac.ROLE_PRINTER,
)
