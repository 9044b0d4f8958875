"""Roles (rbac.authorization.k8s.io/v1): upstream's `pkg/registry/rbac/role/strategy.go` with
`ValidateRole`. A Role's rules are namespaced, so they may not name non-resource URLs.
"""

from __future__ import annotations

from uwernetes.apiserver.resources import rbac_common as rbac
from uwernetes.apiserver.resources.base import Context, Obj, ResourceType
from uwernetes.machinery.field import FieldError


class RoleStrategy(rbac.RBACStrategy):
    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return rbac.validate_rules(obj, namespaced=True)

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return rbac.validate_rules(new, namespaced=True)


ROLES = ResourceType(
    group=rbac.GROUP,
    version="v1",
    kind="Role",
    plural="roles",
    namespaced=True,
    strategy=RoleStrategy(),
    printer=rbac.ROLE_PRINTER,
)
