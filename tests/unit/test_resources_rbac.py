"""rbac.authorization.k8s.io/v1 kinds: validation tables after upstream's
pkg/apis/rbac/validation/validation_test.go, defaulting, printers and the bootstrap policy."""

import pytest

from uwernetes.apiserver.resources import rbac_bootstrap, rbac_common
from uwernetes.apiserver.resources.base import Context
from uwernetes.apiserver.resources.clusterrolebindings import CLUSTERROLEBINDINGS
from uwernetes.apiserver.resources.clusterroles import CLUSTERROLES
from uwernetes.apiserver.resources.rolebindings import ROLEBINDINGS
from uwernetes.apiserver.resources.roles import ROLES
from uwernetes.machinery.validation import validate_object_meta

G = "rbac.authorization.k8s.io"


def msgs(errs):
    return [str(e) for e in errs]


def binding(kind="ClusterRole", name="view", api_group=G, subjects=None):
    return {"roleRef": {"apiGroup": api_group, "kind": kind, "name": name}, "subjects": subjects or []}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("system:node", [], id="colons allowed"),
        pytest.param("UPPER_case", [], id="any case"),
        pytest.param(".", ["may not be '.'"], id="dot"),
        pytest.param("..", ["may not be '..'"], id="dotdot"),
        pytest.param("a/b%c", ["may not contain '/'", "may not contain '%'"], id="slash and percent"),
    ],
)
def test_validate_rbac_name(name, expected):
    assert rbac_common.validate_rbac_name(name) == expected


def test_generic_meta_check_uses_path_segment_names():
    errs = validate_object_meta({"name": "a/b"}, False, name_check=CLUSTERROLES.strategy.name_check)
    assert msgs(errs) == ["metadata.name: Invalid value: \"a/b\": may not contain '/'"]


@pytest.mark.parametrize(
    ("rt", "rules", "expected"),
    [
        pytest.param(ROLES, [{"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]}], [], id="valid role"),
        pytest.param(
            ROLES,
            [{"apiGroups": [""], "resources": ["pods"]}],
            ["rules[0].verbs: Required value: verbs must contain at least one value"],
            id="verbs required",
        ),
        pytest.param(
            ROLES,
            [{"verbs": ["get"], "resources": ["pods"]}],
            ["rules[0].apiGroups: Required value: resource rules must supply at least one api group"],
            id="apiGroups required",
        ),
        pytest.param(
            ROLES,
            [{"verbs": ["get"], "apiGroups": [""]}],
            ["rules[0].resources: Required value: resource rules must supply at least one resource"],
            id="resources required",
        ),
        pytest.param(
            ROLES,
            [{"verbs": ["get"], "nonResourceURLs": ["/healthz"]}],
            ['rules[0].nonResourceURLs: Invalid value: []string{"/healthz"}: namespaced rules cannot apply to non-resource URLs'],
            id="non-resource URLs in a Role",
        ),
        pytest.param(CLUSTERROLES, [{"verbs": ["get"], "nonResourceURLs": ["/healthz"]}], [], id="non-resource URLs in a ClusterRole"),
        pytest.param(
            CLUSTERROLES,
            [{"verbs": ["get"], "nonResourceURLs": ["/x"], "resources": ["pods"]}],
            ['rules[0].nonResourceURLs: Invalid value: []string{"/x"}: rules cannot apply to both regular resources and non-resource URLs'],
            id="mixed rule",
        ),
    ],
)
def test_rules(rt, rules, expected):
    assert msgs(rt.strategy.validate({"rules": rules}, Context())) == expected


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        pytest.param({"clusterRoleSelectors": [{"matchLabels": {"a": "b"}}]}, [], id="valid"),
        pytest.param(
            {"clusterRoleSelectors": []},
            ["aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if aggregationRule is non-nil"],
            id="no selectors",
        ),
        pytest.param(
            {"clusterRoleSelectors": [{"matchExpressions": [{"key": "a", "operator": "In", "values": ["b c"]}]}]},
            ["aggregationRule.clusterRoleSelectors[0].matchExpressions[0].values[0]: Invalid value: \"b c\": a valid label must be "
             "an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
             "character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is "
             "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"],
            id="bad selector value",
        ),
    ],
)
def test_aggregation_rule(rule, expected):
    assert msgs(CLUSTERROLES.strategy.validate({"aggregationRule": rule}, Context())) == expected


def test_bad_selector_value_kept_on_update_when_old_had_it():
    role = {"aggregationRule": {"clusterRoleSelectors": [{"matchExpressions": [{"key": "a", "operator": "In", "values": ["b c"]}]}]}}
    assert CLUSTERROLES.strategy.validate_update(role, role, Context()) == []


@pytest.mark.parametrize(
    ("rt", "obj", "expected"),
    [
        pytest.param(ROLEBINDINGS, binding("Role", "r"), [], id="rolebinding to a Role"),
        pytest.param(
            ROLEBINDINGS,
            binding("Pod", "r", api_group="apps"),
            ['roleRef.apiGroup: Unsupported value: "apps": supported values: "rbac.authorization.k8s.io"',
             'roleRef.kind: Unsupported value: "Pod": supported values: "Role", "ClusterRole"'],
            id="bad roleRef",
        ),
        pytest.param(
            CLUSTERROLEBINDINGS,
            binding("Role", ""),
            ['roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"', "roleRef.name: Required value"],
            id="clusterrolebinding needs a ClusterRole",
        ),
        pytest.param(ROLEBINDINGS, binding(name="a/b"), ["roleRef.name: Invalid value: \"a/b\": may not contain '/'"], id="roleRef name"),
        pytest.param(
            ROLEBINDINGS,
            binding(subjects=[{"kind": "ServiceAccount", "name": "default"}, {"kind": "User", "name": "u", "apiGroup": G}]),
            [],
            id="namespaced SA needs no namespace",
        ),
        pytest.param(
            CLUSTERROLEBINDINGS,
            binding(subjects=[{"kind": "ServiceAccount", "name": "Bad_Name", "apiGroup": "x"}]),
            ['subjects[0].name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric '
             "characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
             "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
             'subjects[0].apiGroup: Unsupported value: "x": supported values: ""',
             "subjects[0].namespace: Required value"],
            id="cluster SA subject",
        ),
        pytest.param(
            ROLEBINDINGS,
            binding(subjects=[{"kind": "Group", "name": "", "apiGroup": ""}, {"kind": "Robot", "name": "r"}]),
            ["subjects[0].name: Required value",
             'subjects[0].apiGroup: Unsupported value: "": supported values: "rbac.authorization.k8s.io"',
             'subjects[1].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"'],
            id="group and unknown kind",
        ),
    ],
)
def test_bindings(rt, obj, expected):
    assert msgs(rt.strategy.validate(obj, Context())) == expected


def test_role_ref_is_immutable():
    old, new = binding("ClusterRole", "view"), binding("ClusterRole", "edit")
    assert msgs(ROLEBINDINGS.strategy.validate_update(new, old, Context())) == [
        'roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"edit"}: cannot change roleRef'
    ]
    assert ROLEBINDINGS.strategy.validate_update(old, old, Context()) == []


def test_defaults_fill_api_groups():
    obj = {"roleRef": {"kind": "ClusterRole", "name": "view"},
           "subjects": [{"kind": "User", "name": "u"}, {"kind": "Group", "name": "g"}, {"kind": "ServiceAccount", "name": "s"}]}
    ROLEBINDINGS.strategy.default(obj)
    assert obj["roleRef"]["apiGroup"] == G
    assert [s.get("apiGroup") for s in obj["subjects"]] == [G, G, ""]


def test_role_printer():
    role = {"metadata": {"name": "r", "creationTimestamp": "2024-05-01T10:00:00Z"}}
    assert [c.name for c in ROLES.printer.columns] == ["Name", "Created At"]
    assert ROLES.printer.row(role) == ["r", "2024-05-01T10:00:00Z"]


def test_binding_printer():
    obj = binding(subjects=[
        {"kind": "User", "name": "alice"}, {"kind": "User", "name": "bob"}, {"kind": "Group", "name": "devs"},
        {"kind": "ServiceAccount", "name": "default", "namespace": "kube-system"},
    ])
    obj["metadata"] = {"name": "b"}
    cols = CLUSTERROLEBINDINGS.printer.columns
    assert [(c.name, c.priority) for c in cols] == [
        ("Name", 0), ("Role", 0), ("Age", 0), ("Users", 1), ("Groups", 1), ("ServiceAccounts", 1)]
    assert cols[3].description == "Users in the clusterRoleBinding"
    assert CLUSTERROLEBINDINGS.printer.row(obj) == ["b", "ClusterRole/view", "<unknown>", "alice, bob", "devs", "kube-system/default"]


def test_bootstrap_objects_are_valid_and_labelled():
    for role in rbac_bootstrap.CLUSTER_ROLES:
        assert CLUSTERROLES.strategy.validate(role, Context()) == [], role["metadata"]["name"]
        assert role["metadata"]["labels"]["kubernetes.io/bootstrapping"] == "rbac-defaults"
        assert role["metadata"]["annotations"] == {"rbac.authorization.kubernetes.io/autoupdate": "true"}
    for b in rbac_bootstrap.CLUSTER_ROLE_BINDINGS:
        assert CLUSTERROLEBINDINGS.strategy.validate(b, Context()) == [], b["metadata"]["name"]
    names = {r["metadata"]["name"] for r in rbac_bootstrap.CLUSTER_ROLES}
    assert {"cluster-admin", "admin", "edit", "view", "system:basic-user", "system:discovery", "system:public-info-viewer"} <= names


def test_bootstrap_aggregation_labels():
    by_name = {r["metadata"]["name"]: r for r in rbac_bootstrap.CLUSTER_ROLES}
    assert by_name["admin"]["aggregationRule"] == {
        "clusterRoleSelectors": [{"matchLabels": {"rbac.authorization.k8s.io/aggregate-to-admin": "true"}}]}
    assert "rules" not in by_name["admin"]
    assert by_name["edit"]["metadata"]["labels"]["rbac.authorization.k8s.io/aggregate-to-admin"] == "true"
    assert by_name["view"]["metadata"]["labels"]["rbac.authorization.k8s.io/aggregate-to-edit"] == "true"
    cab = next(b for b in rbac_bootstrap.CLUSTER_ROLE_BINDINGS if b["metadata"]["name"] == "cluster-admin")
    assert cab["subjects"] == [{"apiGroup": G, "kind": "Group", "name": "system:masters"}]


def _role(name, labels=None, rules=None, selectors=None):
    r = {"metadata": {"name": name, "labels": labels or {}}, "rules": rules or []}
    if selectors is not None:
        r["aggregationRule"] = {"clusterRoleSelectors": selectors}
    return r


def test_aggregated_rules_order_and_dedup():
    from uwernetes.controllers.clusterrole_aggregation import aggregated_rules

    r1 = {"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}
    r2 = {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get"]}
    agg = _role("agg", selectors=[{"matchLabels": {"x": "1"}}, {"matchExpressions": [{"key": "y", "operator": "Exists"}]}])
    roles = [agg, _role("b", {"x": "1"}, [r2, r1]), _role("a", {"x": "1"}, [r1]), _role("c", {"y": ""}, [r2]),
             _role("d", {"x": "2"}, [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}])]
    assert aggregated_rules(agg, roles) == [r1, r2]
    assert aggregated_rules(_role("none", selectors=[{"matchLabels": {"z": "1"}}]), roles) == []
