"""The pure RBAC authorizer: rule matching, subjects, binding scoping and upstream's reason strings."""

from __future__ import annotations

import pytest

from uwernetes.auth import rbac
from uwernetes.auth.rbac import ALLOW, NO_OPINION, Attributes

RBAC = "rbac.authorization.k8s.io"


def rule(verbs, groups=None, resources=None, names=None, urls=None) -> dict:
    r: dict = {"verbs": verbs}
    if groups is not None:
        r["apiGroups"] = groups
    if resources is not None:
        r["resources"] = resources
    if names is not None:
        r["resourceNames"] = names
    if urls is not None:
        r["nonResourceURLs"] = urls
    return r


def role(name: str, rules: list, namespace: str = "") -> dict:
    meta = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {"kind": "Role" if namespace else "ClusterRole", "metadata": meta, "rules": rules}


def binding(name: str, ref_kind: str, ref_name: str, subjects: list, namespace: str = "") -> dict:
    meta = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {"metadata": meta, "roleRef": {"apiGroup": RBAC, "kind": ref_kind, "name": ref_name}, "subjects": subjects}


def user(name: str) -> dict:
    return {"kind": "User", "apiGroup": RBAC, "name": name}


def group(name: str) -> dict:
    return {"kind": "Group", "apiGroup": RBAC, "name": name}


def sa(name: str, namespace: str = "") -> dict:
    return {"kind": "ServiceAccount", "name": name, **({"namespace": namespace} if namespace else {})}


# Cases in the spirit of upstream plugin/pkg/auth/authorizer/rbac/rbac_test.go::TestRuleMatches
@pytest.mark.parametrize(("r", "attrs", "want"), [
    pytest.param(rule(["*"], ["*"], ["*"]), Attributes("delete", "ns", "apps", resource="deployments"), True,
                 id="star verbs, groups and resources"),
    pytest.param(rule(["get"], [""], ["pods"]), Attributes("get", "ns", resource="pods"), True, id="exact match"),
    pytest.param(rule(["get"], [""], ["pods"]), Attributes("list", "ns", resource="pods"), False, id="verb mismatch"),
    pytest.param(rule(["get"], [""], ["pods"]), Attributes("get", "ns", "apps", resource="pods"), False,
                 id="group mismatch"),
    pytest.param(rule(["get"], [""], ["pods"]), Attributes("get", resource="pods", subresource="status"), False,
                 id="a resource does not grant its subresources"),
    pytest.param(rule(["get"], [""], ["pods/status"]), Attributes("get", resource="pods", subresource="status"), True,
                 id="resource/subresource"),
    pytest.param(rule(["update"], ["*"], ["*/scale"]),
                 Attributes("update", "ns", "apps", resource="deployments", subresource="scale"), True,
                 id="*/subresource matches every resource's subresource"),
    pytest.param(rule(["update"], ["*"], ["*/scale"]), Attributes("update", "ns", "apps", resource="deployments"),
                 False, id="*/subresource does not match the resource itself"),
    pytest.param(rule(["update"], ["*"], ["*/scale"]),
                 Attributes("update", "ns", "apps", resource="deployments", subresource="status"), False,
                 id="*/subresource needs the same subresource"),
    pytest.param(rule(["get"], [""], ["configmaps"], names=["a"]), Attributes("get", "ns", resource="configmaps", name="a"),
                 True, id="resourceNames match"),
    pytest.param(rule(["get"], [""], ["configmaps"], names=["a"]), Attributes("get", "ns", resource="configmaps", name="b"),
                 False, id="resourceNames mismatch"),
    pytest.param(rule(["list"], [""], ["configmaps"], names=["a"]), Attributes("list", "ns", resource="configmaps"),
                 False, id="resourceNames never match a request without a name"),
    pytest.param(rule(["get"], urls=["/apis/*"]), Attributes("get", path="/apis/apps/v1", resource_request=False), True,
                 id="nonResourceURL with trailing star"),
    pytest.param(rule(["get"], urls=["/apis/*"]), Attributes("get", path="/apis", resource_request=False), False,
                 id="trailing star needs the prefix including the slash"),
    pytest.param(rule(["get"], urls=["/healthz"]), Attributes("get", path="/healthz", resource_request=False), True,
                 id="exact nonResourceURL"),
    pytest.param(rule(["*"], urls=["*"]), Attributes("post", path="/anything", resource_request=False), True,
                 id="star nonResourceURL"),
    pytest.param(rule(["get"], ["*"], ["*"]), Attributes("get", path="/healthz", resource_request=False), False,
                 id="resource rules never grant non-resource requests"),
    pytest.param(rule(["get"], urls=["*"]), Attributes("get", resource="pods"), False,
                 id="URL rules never grant resource requests"),
])
def test_rule_allows(r, attrs, want):
    assert rbac.rule_allows(attrs, r) is want


CLUSTER_ADMIN = role("cluster-admin", [rule(["*"], ["*"], ["*"]), rule(["*"], urls=["*"])])
POD_CREATOR = role("pod-creator", [rule(["create"], [""], ["pods"])], "team")
EDIT = role("edit", [rule(["create", "update"], ["", "apps"], ["pods", "deployments"])])
ROLES = [POD_CREATOR]
CLUSTER_ROLES = [CLUSTER_ADMIN, EDIT]
CRBS = [binding("cluster-admin", "ClusterRole", "cluster-admin", [group("system:masters")]),
        binding("ops", "ClusterRole", "edit", [user("alice")])]
RBS = [
    binding("robot-pods", "Role", "pod-creator", [sa("robot")], "team"),
    binding("other-sa", "Role", "pod-creator", [sa("builder", "ci")], "team"),
    binding("team-edit", "ClusterRole", "edit", [group("system:serviceaccounts:team")], "team"),
    binding("bob-edit", "ClusterRole", "edit", [user("bob")], "dev"),
]
SA_GROUPS = ("system:serviceaccounts", "system:serviceaccounts:team", "system:authenticated")


# Cases in the spirit of upstream plugin/pkg/auth/authorizer/rbac/rbac_test.go::TestAuthorizer
@pytest.mark.parametrize(("name", "groups", "attrs", "want"), [
    pytest.param("admin", ("system:masters", "system:authenticated"), Attributes("create", "default", resource="pods"),
                 (ALLOW, 'RBAC: allowed by ClusterRoleBinding "cluster-admin" of ClusterRole "cluster-admin" '
                         'to Group "system:masters"'), id="cluster-admin to system:masters"),
    pytest.param("admin", ("system:masters",), Attributes("get", path="/metrics", resource_request=False),
                 (ALLOW, 'RBAC: allowed by ClusterRoleBinding "cluster-admin" of ClusterRole "cluster-admin" '
                         'to Group "system:masters"'), id="non-resource URL through cluster-admin"),
    pytest.param("alice", ("system:authenticated",), Attributes("update", "any", "apps", resource="deployments"),
                 (ALLOW, 'RBAC: allowed by ClusterRoleBinding "ops" of ClusterRole "edit" to User "alice"'),
                 id="ClusterRoleBinding holds in every namespace"),
    pytest.param("alice", ("system:authenticated",), Attributes("delete", "any", "apps", resource="deployments"),
                 (NO_OPINION, ""), id="verb not granted"),
    pytest.param("system:serviceaccount:team:robot", SA_GROUPS, Attributes("create", "team", resource="pods"),
                 (ALLOW, 'RBAC: allowed by RoleBinding "robot-pods/team" of Role "pod-creator" to '
                         'ServiceAccount "robot/team"'), id="ServiceAccount subject defaults to the binding namespace"),
    pytest.param("system:serviceaccount:ci:builder", ("system:serviceaccounts", "system:serviceaccounts:ci"),
                 Attributes("create", "team", resource="pods"),
                 (ALLOW, 'RBAC: allowed by RoleBinding "other-sa/team" of Role "pod-creator" to '
                         'ServiceAccount "builder/ci"'), id="ServiceAccount of another namespace"),
    pytest.param("system:serviceaccount:team:robot", SA_GROUPS, Attributes("create", "default", resource="pods"),
                 (NO_OPINION, ""), id="RoleBinding grants nothing outside its namespace"),
    pytest.param("system:serviceaccount:team:robot", SA_GROUPS, Attributes("create", "", resource="pods"),
                 (NO_OPINION, ""), id="RoleBinding grants nothing cluster-wide"),
    pytest.param("system:serviceaccount:team:other", SA_GROUPS, Attributes("update", "team", "apps", resource="deployments"),
                 (ALLOW, 'RBAC: allowed by RoleBinding "team-edit/team" of ClusterRole "edit" to '
                         'Group "system:serviceaccounts:team"'), id="RoleBinding to a ClusterRole, by SA group"),
    pytest.param("bob", ("system:authenticated",), Attributes("create", "dev", resource="pods"),
                 (ALLOW, 'RBAC: allowed by RoleBinding "bob-edit/dev" of ClusterRole "edit" to User "bob"'),
                 id="RoleBinding to a ClusterRole in its namespace"),
    pytest.param("bob", ("system:authenticated",), Attributes("create", "team", resource="pods"),
                 (NO_OPINION, ""), id="RoleBinding to a ClusterRole scoped to the binding namespace"),
    pytest.param("system:serviceaccount:team:robot", (), Attributes("create", "team", resource="pods"),
                 (ALLOW, 'RBAC: allowed by RoleBinding "robot-pods/team" of Role "pod-creator" to '
                         'ServiceAccount "robot/team"'), id="ServiceAccount matched by user name alone"),
    pytest.param("anonymous", (), Attributes("get", "team", resource="pods"), (NO_OPINION, ""), id="no bindings apply"),
])
def test_authorize(name, groups, attrs, want):
    assert rbac.authorize(name, groups, attrs, ROLES, CLUSTER_ROLES, RBS, CRBS) == want


def test_missing_roles_give_resolution_errors_as_reason():
    rbs = [binding("a", "Role", "gone", [user("carol")], "ns"),
           binding("b", "ClusterRole", "vanished", [user("carol")], "ns")]
    got = rbac.authorize("carol", (), Attributes("get", "ns", resource="pods"), [], [], rbs, [])
    assert got == (NO_OPINION, 'RBAC: [role.rbac.authorization.k8s.io "gone" not found, '
                               'clusterrole.rbac.authorization.k8s.io "vanished" not found]')
    one = rbac.authorize("carol", (), Attributes("get", "ns", resource="pods"), [], [], rbs[:1], [])
    assert one == (NO_OPINION, 'RBAC: role.rbac.authorization.k8s.io "gone" not found')


def test_an_allowing_rule_wins_over_resolution_errors():
    rbs = [binding("a", "Role", "gone", [user("carol")], "ns"), binding("b", "Role", "pod-creator", [user("carol")], "ns")]
    roles = [role("pod-creator", [rule(["create"], [""], ["pods"])], "ns")]
    got = rbac.authorize("carol", (), Attributes("create", "ns", resource="pods"), roles, [], rbs, [])
    assert got == (ALLOW, 'RBAC: allowed by RoleBinding "b/ns" of Role "pod-creator" to User "carol"')


def test_rules_for_splits_resource_and_url_rules():
    resource_rules, url_rules, err = rbac.rules_for("system:serviceaccount:team:robot", SA_GROUPS, "team",
                                                    ROLES, CLUSTER_ROLES, RBS, CRBS)
    assert resource_rules == [
        {"verbs": ["create"], "apiGroups": [""], "resources": ["pods"]},
        {"verbs": ["create", "update"], "apiGroups": ["", "apps"], "resources": ["pods", "deployments"]},
    ]
    assert (url_rules, err) == ([], "")
    admin_rules, admin_urls, _ = rbac.rules_for("admin", ("system:masters",), "x", ROLES, CLUSTER_ROLES, RBS, CRBS)
    assert admin_rules == [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}]
    assert admin_urls == [{"verbs": ["*"], "nonResourceURLs": ["*"]}]
