"""RoleBindings (rbac.authorization.k8s.io/v1): upstream's `pkg/registry/rbac/rolebinding` with
`ValidateRoleBinding`. The roleRef may name a Role or a ClusterRole and never changes.
"""

from __future__ import annotations

from uwernetes.apiserver.resources import rbac_common as rbac
from uwernetes.apiserver.resources.base import ResourceType


class RoleBindingStrategy(rbac.BindingStrategy):
    namespaced = True
    role_kinds = ("Role", "ClusterRole")


ROLEBINDINGS = ResourceType(
    group=rbac.GROUP,
    version="v1",
    kind="RoleBinding",
    plural="rolebindings",
    namespaced=True,
    strategy=RoleBindingStrategy(),
    printer=rbac.binding_printer("roleBinding"),
)
