"""The default ClusterRoles and ClusterRoleBindings every cluster starts with: upstream's
`plugin/pkg/auth/authorizer/rbac/bootstrappolicy` (the subset users and our components rely on),
as its `testdata/cluster-roles.yaml` shows them for v1.30.

`bootstrap_rbac(registry)` creates the missing ones at server start (upstream's
`rbac/bootstrap-roles` post-start hook). Objects that exist are left alone; upstream would also
reconcile those carrying `rbac.authorization.kubernetes.io/autoupdate: "true"`.
admin/edit/view get their rules from the clusterrole-aggregation controller.
"""

from __future__ import annotations

import copy
from typing import Any

from uwernetes.apiserver.resources.rbac_common import GROUP
from uwernetes.machinery import errors

BOOTSTRAP_LABEL = {"kubernetes.io/bootstrapping": "rbac-defaults"}
AUTOUPDATE = {"rbac.authorization.kubernetes.io/autoupdate": "true"}
AGGREGATE_TO = "rbac.authorization.k8s.io/aggregate-to-"
READ = ["get", "list", "watch"]
WRITE = ["create", "delete", "deletecollection", "patch", "update"]
READ_WRITE = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


def rule(verbs: list[str], groups: list[str], resources: list[str], names: list[str] | None = None) -> dict[str, Any]:
    r: dict[str, Any] = {"apiGroups": groups}
    if names:
        r["resourceNames"] = names
    r["resources"] = resources
    r["verbs"] = verbs
    return r


def url_rule(verbs: list[str], urls: list[str]) -> dict[str, Any]:
    return {"nonResourceURLs": urls, "verbs": verbs}


def cluster_role(name: str, rules: list[dict] | None = None, *, aggregate_from: str = "", aggregate_to: str = "") -> dict[str, Any]:
    labels = dict(BOOTSTRAP_LABEL)
    if aggregate_to:
        labels[AGGREGATE_TO + aggregate_to] = "true"
    role: dict[str, Any] = {
        "apiVersion": f"{GROUP}/v1",
        "kind": "ClusterRole",
        "metadata": {"name": name, "labels": labels, "annotations": dict(AUTOUPDATE)},
    }
    if aggregate_from:
        role["aggregationRule"] = {"clusterRoleSelectors": [{"matchLabels": {AGGREGATE_TO + aggregate_from: "true"}}]}
    if rules is not None:
        role["rules"] = rules
    return role


def cluster_role_binding(role: str, *, groups: tuple[str, ...] = (), users: tuple[str, ...] = ()) -> dict[str, Any]:
    subjects = [{"apiGroup": GROUP, "kind": "Group", "name": g} for g in groups]
    subjects += [{"apiGroup": GROUP, "kind": "User", "name": u} for u in users]
    return {
        "apiVersion": f"{GROUP}/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": role, "labels": dict(BOOTSTRAP_LABEL), "annotations": dict(AUTOUPDATE)},
        "roleRef": {"apiGroup": GROUP, "kind": "ClusterRole", "name": role},
        "subjects": subjects,
    }


AGGREGATE_TO_ADMIN = [
    rule(["create"], ["authorization.k8s.io"], ["localsubjectaccessreviews"]),
    rule(READ_WRITE, [GROUP], ["rolebindings", "roles"]),
]

AGGREGATE_TO_EDIT = [
    rule(READ, [""], ["pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets", "services/proxy"]),
    rule(["impersonate"], [""], ["serviceaccounts"]),
    rule(WRITE, [""], ["pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"]),
    rule(["create"], [""], ["pods/eviction"]),
    rule(WRITE, [""], ["configmaps", "events", "persistentvolumeclaims", "replicationcontrollers",
                       "replicationcontrollers/scale", "secrets", "serviceaccounts", "services", "services/proxy"]),
    rule(["create"], [""], ["serviceaccounts/token"]),
    rule(WRITE, ["apps"], ["daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets",
                           "replicasets/scale", "statefulsets", "statefulsets/scale"]),
    rule(WRITE, ["autoscaling"], ["horizontalpodautoscalers"]),
    rule(WRITE, ["batch"], ["cronjobs", "jobs"]),
    rule(WRITE, ["extensions"], ["daemonsets", "deployments", "deployments/rollback", "deployments/scale", "ingresses",
                                 "networkpolicies", "replicasets", "replicasets/scale", "replicationcontrollers/scale"]),
    rule(WRITE, ["policy"], ["poddisruptionbudgets"]),
    rule(WRITE, ["networking.k8s.io"], ["ingresses", "networkpolicies"]),
    rule(READ_WRITE, ["coordination.k8s.io"], ["leases"]),
]

AGGREGATE_TO_VIEW = [
    rule(READ, [""], ["configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "pods",
                      "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services",
                      "services/status"]),
    rule(READ, [""], ["bindings", "events", "limitranges", "namespaces/status", "pods/log", "pods/status",
                      "replicationcontrollers/status", "resourcequotas", "resourcequotas/status"]),
    rule(READ, [""], ["namespaces"]),
    rule(READ, ["discovery.k8s.io"], ["endpointslices"]),
    rule(READ, ["apps"], ["controllerrevisions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale",
                          "deployments/status", "replicasets", "replicasets/scale", "replicasets/status",
                          "statefulsets", "statefulsets/scale", "statefulsets/status"]),
    rule(READ, ["autoscaling"], ["horizontalpodautoscalers", "horizontalpodautoscalers/status"]),
    rule(READ, ["batch"], ["cronjobs", "cronjobs/status", "jobs", "jobs/status"]),
    rule(READ, ["extensions"], ["daemonsets", "daemonsets/status", "deployments", "deployments/scale",
                                "deployments/status", "ingresses", "ingresses/status", "networkpolicies", "replicasets",
                                "replicasets/scale", "replicasets/status", "replicationcontrollers/scale"]),
    rule(READ, ["policy"], ["poddisruptionbudgets", "poddisruptionbudgets/status"]),
    rule(READ, ["networking.k8s.io"], ["ingresses", "ingresses/status", "networkpolicies"]),
]

CLUSTER_ROLES: list[dict[str, Any]] = [
    cluster_role("admin", aggregate_from="admin"),
    cluster_role("cluster-admin", [rule(["*"], ["*"], ["*"]), url_rule(["*"], ["*"])]),
    cluster_role("edit", aggregate_from="edit", aggregate_to="admin"),
    cluster_role("system:aggregate-to-admin", AGGREGATE_TO_ADMIN, aggregate_to="admin"),
    cluster_role("system:aggregate-to-edit", AGGREGATE_TO_EDIT, aggregate_to="edit"),
    cluster_role("system:aggregate-to-view", AGGREGATE_TO_VIEW, aggregate_to="view"),
    cluster_role("system:auth-delegator", [
        rule(["create"], ["authentication.k8s.io"], ["tokenreviews"]),
        rule(["create"], ["authorization.k8s.io"], ["subjectaccessreviews"]),
    ]),
    cluster_role("system:basic-user", [
        rule(["create"], ["authorization.k8s.io"], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]),
        rule(["create"], ["authentication.k8s.io"], ["selfsubjectreviews"]),
    ]),
    cluster_role("system:discovery", [url_rule(["get"], [
        "/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz",
        "/version", "/version/",
    ])]),
    cluster_role("system:monitoring", [url_rule(["get"], [
        "/healthz", "/healthz/*", "/livez", "/livez/*", "/metrics", "/metrics/slis", "/readyz", "/readyz/*",
    ])]),
    cluster_role("system:public-info-viewer", [url_rule(["get"], ["/healthz", "/livez", "/readyz", "/version", "/version/"])]),
    cluster_role("system:service-account-issuer-discovery", [
        url_rule(["get"], ["/.well-known/openid-configuration", "/openid/v1/jwks"]),
    ]),
    cluster_role("view", aggregate_from="view", aggregate_to="edit"),
]

CLUSTER_ROLE_BINDINGS: list[dict[str, Any]] = [
    cluster_role_binding("cluster-admin", groups=("system:masters",)),
    cluster_role_binding("system:basic-user", groups=("system:authenticated",)),
    cluster_role_binding("system:discovery", groups=("system:authenticated",)),
    cluster_role_binding("system:monitoring", groups=("system:monitoring",)),
    cluster_role_binding("system:public-info-viewer", groups=("system:authenticated", "system:unauthenticated")),
    cluster_role_binding("system:service-account-issuer-discovery", groups=("system:serviceaccounts",)),
]


async def bootstrap_rbac(registry: Any) -> None:
    """Create the default ClusterRoles and ClusterRoleBindings that are missing."""
    ctx = registry.context(user="system:apiserver")
    for plural, objects in (("clusterroles", CLUSTER_ROLES), ("clusterrolebindings", CLUSTER_ROLE_BINDINGS)):
        rt = registry.resource(GROUP, "v1", plural)
        if rt is None:
            continue
        for obj in objects:
            try:
                await registry.get(rt, None, obj["metadata"]["name"])
                continue
            except errors.StatusError as e:
                if e.code != 404:
                    raise
            try:
                await registry.create(rt, None, copy.deepcopy(obj), ctx, "kube-apiserver")
            except errors.StatusError as e:
                if e.code != 409:  # another API server got there first
                    raise
