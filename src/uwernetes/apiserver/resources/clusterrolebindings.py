"""ClusterRoleBindings (rbac.authorization.k8s.io/v1): upstream's
`pkg/registry/rbac/clusterrolebinding` with `ValidateClusterRoleBinding`. The roleRef names a
ClusterRole and never changes; ServiceAccount subjects must say their namespace.
"""

from __future__ import annotations

from uwernetes.apiserver.resources import rbac_common as rbac
from uwernetes.apiserver.resources.base import ResourceType


class ClusterRoleBindingStrategy(rbac.BindingStrategy):
    namespaced = False
    role_kinds = ("ClusterRole",)


CLUSTERROLEBINDINGS = ResourceType(
    group=rbac.GROUP,
    version="v1",
    kind="ClusterRoleBinding",
    plural="clusterrolebindings",
    namespaced=False,
    strategy=ClusterRoleBindingStrategy(),
    printer=rbac.binding_printer("clusterRoleBinding"),
)
