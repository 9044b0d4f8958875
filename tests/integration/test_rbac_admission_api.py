"""rbac.authorization.k8s.io/v1 and admissionregistration.k8s.io/v1 over HTTP: create/get/list,
upstream's 422 messages, Table columns through kubectl 1.30, the bootstrap policy and the
clusterrole-aggregation controller."""

import copy
import time

import pytest
from conftest import start_thread_cluster

from uwernetes.apiserver.resources.rbac_bootstrap import bootstrap_rbac

RBAC = "/apis/rbac.authorization.k8s.io/v1"
ADM = "/apis/admissionregistration.k8s.io/v1"
MERGE = {"content-type": "application/merge-patch+json"}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    c, ts = start_thread_cluster(tmp_path_factory.mktemp("rbac"), controllers=True)
    c.run(bootstrap_rbac(c.server.registry))
    try:
        yield c
    finally:
        for client in c._clients:
            client.close()
        ts.stop()


def wait_for(fn, timeout=20.0):
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def test_role_create_get_list(cluster):
    api = cluster.client()
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "pod-reader"},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]}
    r = api.post(f"{RBAC}/namespaces/default/roles", json=role)
    assert r.status_code == 201, r.text
    assert "generation" not in r.json()["metadata"]
    assert api.get(f"{RBAC}/namespaces/default/roles/pod-reader").json()["rules"] == role["rules"]
    names = [i["metadata"]["name"] for i in api.get(f"{RBAC}/namespaces/default/roles").json()["items"]]
    assert names == ["pod-reader"]


def test_role_with_non_resource_urls_is_422(cluster):
    api = cluster.client()
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "urls"},
            "rules": [{"nonResourceURLs": ["/healthz"], "verbs": ["get"]}]}
    r = api.post(f"{RBAC}/namespaces/default/roles", json=role)
    assert r.status_code == 422
    assert r.json()["message"] == (
        'Role.rbac.authorization.k8s.io "urls" is invalid: rules[0].nonResourceURLs: Invalid value: []string{"/healthz"}: '
        "namespaced rules cannot apply to non-resource URLs"
    )


def test_rolebinding_defaults_and_immutable_role_ref(cluster):
    api = cluster.client()
    rb = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "read-pods"},
          "roleRef": {"kind": "Role", "name": "pod-reader"},
          "subjects": [{"kind": "User", "name": "jane"}, {"kind": "ServiceAccount", "name": "default", "namespace": "default"}]}
    r = api.post(f"{RBAC}/namespaces/default/rolebindings", json=rb)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["roleRef"]["apiGroup"] == "rbac.authorization.k8s.io"
    assert body["subjects"][0]["apiGroup"] == "rbac.authorization.k8s.io"
    r = api.patch(f"{RBAC}/namespaces/default/rolebindings/read-pods", json={"roleRef": {"name": "other"}}, headers=MERGE)
    assert r.status_code == 422
    assert r.json()["message"].endswith(
        'roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"Role", Name:"other"}: cannot change roleRef')
    out = cluster.kubectl("get", "rolebindings", "-n", "default", "-o", "wide").stdout.splitlines()
    assert out[0].split() == ["NAME", "ROLE", "AGE", "USERS", "GROUPS", "SERVICEACCOUNTS"]
    assert out[1].split()[:2] == ["read-pods", "Role/pod-reader"]
    assert out[1].split()[3:] == ["jane", "default/default"]


def test_bootstrap_roles_listed_by_kubectl(cluster):
    out = cluster.kubectl("get", "clusterroles").stdout.splitlines()
    assert out[0].split() == ["NAME", "CREATED", "AT"]
    names = {line.split()[0] for line in out[1:]}
    assert {"cluster-admin", "admin", "edit", "view", "system:basic-user", "system:discovery",
            "system:public-info-viewer"} <= names
    out = cluster.kubectl("get", "clusterrolebinding", "cluster-admin", "-o", "wide").stdout.splitlines()
    assert out[0].split() == ["NAME", "ROLE", "AGE", "USERS", "GROUPS", "SERVICEACCOUNTS"]
    assert out[1].split()[1] == "ClusterRole/cluster-admin" and out[1].split()[3] == "system:masters"


def test_aggregation_controller_fills_admin_edit_view(cluster):
    api = cluster.client()

    def rules(name):
        return api.get(f"{RBAC}/clusterroles/{name}").json().get("rules") or []

    view = wait_for(lambda: rules("view"))
    assert {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get", "list", "watch"]} in view
    # edit picks up view (labelled aggregate-to-edit) and admin picks up edit.
    assert wait_for(lambda: all(r in rules("admin") for r in view))
    extra = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
             "metadata": {"name": "widgets-view", "labels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}},
             "rules": [{"apiGroups": ["example.com"], "resources": ["widgets"], "verbs": ["get"]}]}
    assert api.post(f"{RBAC}/clusterroles", json=extra).status_code == 201
    assert wait_for(lambda: extra["rules"][0] in rules("view"))
    api.delete(f"{RBAC}/clusterroles/widgets-view")
    assert wait_for(lambda: extra["rules"][0] not in rules("view"))


def test_clusterrole_aggregation_rule_needs_selectors(cluster):
    api = cluster.client()
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "empty-agg"},
            "aggregationRule": {"clusterRoleSelectors": []}}
    r = api.post(f"{RBAC}/clusterroles", json=role)
    assert r.status_code == 422
    assert r.json()["details"]["causes"] == [{
        "reason": "FieldValueRequired", "field": "aggregationRule.clusterRoleSelectors",
        "message": "Required value: at least one clusterRoleSelector required if aggregationRule is non-nil"}]


def webhook_config(kind="ValidatingWebhookConfiguration", **hook):
    base = {"name": "check.example.com", "clientConfig": {"service": {"namespace": "default", "name": "hook"}},
            "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}],
            "sideEffects": "None", "admissionReviewVersions": ["v1"]}
    base.update(hook)
    return {"apiVersion": "admissionregistration.k8s.io/v1", "kind": kind, "metadata": {"name": "cfg"}, "webhooks": [base]}


def test_webhook_configuration_defaults_and_table(cluster):
    api = cluster.client()
    r = api.post(f"{ADM}/mutatingwebhookconfigurations", json=webhook_config(
        "MutatingWebhookConfiguration", matchConditions=[{"name": "not-system", "expression": "!request.userInfo.username.startsWith('system:')"}]))
    assert r.status_code == 201, r.text
    hook = r.json()["webhooks"][0]
    assert (hook["failurePolicy"], hook["matchPolicy"], hook["timeoutSeconds"], hook["reinvocationPolicy"]) == ("Fail", "Equivalent", 10, "Never")
    assert hook["namespaceSelector"] == {} and hook["objectSelector"] == {}
    assert hook["clientConfig"]["service"]["port"] == 443 and hook["rules"][0]["scope"] == "*"
    assert r.json()["metadata"]["generation"] == 1
    out = cluster.kubectl("get", "mutatingwebhookconfigurations").stdout.splitlines()
    assert out[0].split() == ["NAME", "WEBHOOKS", "AGE"] and out[1].split()[:2] == ["cfg", "1"]


def test_webhook_match_condition_that_does_not_compile_is_422(cluster):
    api = cluster.client()
    r = api.post(f"{ADM}/validatingwebhookconfigurations", json=webhook_config(
        matchConditions=[{"name": "bad", "expression": "object.metadata.name =="}]))
    assert r.status_code == 422
    (cause,) = r.json()["details"]["causes"]
    assert cause["field"] == "webhooks[0].matchConditions[0].expression"
    assert cause["message"].startswith(
        'Invalid value: "object.metadata.name ==": compilation failed: ERROR: <input>:1:24: Syntax error:')


def test_webhook_side_effects_required(cluster):
    api = cluster.client()
    cfg = webhook_config(sideEffects=None)
    del cfg["webhooks"][0]["sideEffects"]
    r = api.post(f"{ADM}/validatingwebhookconfigurations", json=cfg)
    assert r.status_code == 422
    assert r.json()["message"] == (
        'ValidatingWebhookConfiguration.admissionregistration.k8s.io "cfg" is invalid: '
        "webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun")


def test_discovery_lists_the_kinds(cluster):
    out = cluster.kubectl("api-resources", "--api-group=admissionregistration.k8s.io", "-o", "name").stdout.split()
    assert {"mutatingwebhookconfigurations.admissionregistration.k8s.io",
            "validatingwebhookconfigurations.admissionregistration.k8s.io"} <= set(out)
    out = cluster.kubectl("api-resources", "--api-group=rbac.authorization.k8s.io", "-o", "name").stdout.split()
    assert set(out) == {"clusterrolebindings.rbac.authorization.k8s.io", "clusterroles.rbac.authorization.k8s.io",
                        "rolebindings.rbac.authorization.k8s.io", "roles.rbac.authorization.k8s.io"}


POLICY = {
    "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicy", "metadata": {"name": "max-replicas"},
    "spec": {"paramKind": {"apiVersion": "v1", "kind": "ConfigMap"},
             "matchConstraints": {"resourceRules": [{"operations": ["CREATE", "UPDATE"], "apiGroups": ["apps"],
                                                     "apiVersions": ["v1"], "resources": ["deployments"]}]},
             "validations": [{"expression": "object.spec.replicas <= int(params.data.max)"}]},
}


def test_validating_admission_policy_and_binding(cluster):
    api = cluster.client()
    r = api.post(f"{ADM}/validatingadmissionpolicies", json=POLICY)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["spec"]["failurePolicy"] == "Fail" and body["spec"]["matchConstraints"]["matchPolicy"] == "Equivalent"
    assert body["metadata"]["generation"] == 1 and body["status"] == {}
    status = {"status": {"observedGeneration": 1, "typeChecking": {"expressionWarnings": []}}}
    r = api.patch(f"{ADM}/validatingadmissionpolicies/max-replicas/status", json=status, headers=MERGE)
    assert r.status_code == 200 and r.json()["status"]["observedGeneration"] == 1
    binding = {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicyBinding",
               "metadata": {"name": "max-replicas-prod"},
               "spec": {"policyName": "max-replicas", "validationActions": ["Deny"],
                        "paramRef": {"name": "limits", "namespace": "default", "parameterNotFoundAction": "Deny"}}}
    assert api.post(f"{ADM}/validatingadmissionpolicybindings", json=binding).status_code == 201
    out = cluster.kubectl("get", "validatingadmissionpolicies").stdout.splitlines()
    assert out[0].split() == ["NAME", "VALIDATIONS", "PARAMKIND", "AGE"]
    assert out[1].split()[:3] == ["max-replicas", "1", "v1/ConfigMap"]
    out = cluster.kubectl("get", "validatingadmissionpolicybindings").stdout.splitlines()
    assert out[0].split() == ["NAME", "POLICYNAME", "PARAMREF", "AGE"]
    assert out[1].split()[:3] == ["max-replicas-prod", "max-replicas", "default/limits"]


def test_policy_validation_must_be_bool_is_422(cluster):
    api = cluster.client()
    bad = copy.deepcopy(POLICY)
    bad["metadata"]["name"] = "not-bool"
    bad["spec"]["validations"] = [{"expression": "object.spec.paused"}]
    r = api.post(f"{ADM}/validatingadmissionpolicies", json=bad)
    assert r.status_code == 422
    assert r.json()["message"] == (
        'ValidatingAdmissionPolicy.admissionregistration.k8s.io "not-bool" is invalid: '
        'spec.validations[0].expression: Invalid value: "object.spec.paused": must evaluate to bool')


def test_binding_with_deny_and_warn_is_422(cluster):
    api = cluster.client()
    binding = {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicyBinding",
               "metadata": {"name": "both"}, "spec": {"policyName": "p", "validationActions": ["Deny", "Warn"]}}
    r = api.post(f"{ADM}/validatingadmissionpolicybindings", json=binding)
    assert r.status_code == 422
    assert r.json()["details"]["causes"][0]["field"] == "spec.validationActions"
    out = cluster.kubectl("get", "api-extensions", "-o", "name").stdout.split()
    assert "validatingadmissionpolicy.admissionregistration.k8s.io/max-replicas" in out
