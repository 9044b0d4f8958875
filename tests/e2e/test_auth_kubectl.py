"""kubectl's auth commands against the server: `auth whoami`, `auth can-i` (yes, no, `--as`, `--list`),
`create token` and using that token. kubectl 1.30 sends JSON bodies; 1.32 and 1.33 send protobuf
(wire.md section 11)."""

from __future__ import annotations

import pytest
from kubeutil import ensure_namespace

pytestmark = pytest.mark.e2e

RBAC = "rbac.authorization.k8s.io"
ISSUER = "https://kubernetes.default.svc.cluster.local"


@pytest.fixture(scope="module")
def api(cluster):
    return cluster.client()


@pytest.fixture(params=("1.30", "1.32", "1.33"))
def ns(request, api) -> tuple[str, str]:
    version = request.param
    name = f"auth-{version.replace('.', '-')}"
    ensure_namespace(api, name)
    r = api.post(f"/api/v1/namespaces/{name}/serviceaccounts",
                 json={"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "robot"}})
    assert r.status_code in (201, 409), r.text
    return version, name


def test_whoami_admin(cluster, ns):
    version, _ = ns
    out = cluster.kubectl("auth", "whoami", version=version).stdout
    assert out == ("ATTRIBUTE   VALUE\nUsername    admin\nUID         admin-uid\n"
                   "Groups      [system:masters system:authenticated]\n")


def test_can_i_yes_no_and_after_a_role_binding(cluster, api, ns):
    version, n = ns
    k = lambda *a, **kw: cluster.kubectl(*a, "-n", n, version=version, check=False, **kw)  # noqa: E731
    assert (k("auth", "can-i", "create", "pods").stdout, k("auth", "can-i", "create", "pods").returncode) == ("yes\n", 0)
    as_robot = f"--as=system:serviceaccount:{n}:robot"
    denied = k("auth", "can-i", "create", "pods", as_robot)
    assert (denied.stdout, denied.returncode) == ("no\n", 1)

    role = {"apiVersion": f"{RBAC}/v1", "kind": "Role", "metadata": {"name": "pod-maker"},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["create", "get"]}]}
    binding = {"apiVersion": f"{RBAC}/v1", "kind": "RoleBinding", "metadata": {"name": "robot-pods"},
               "roleRef": {"apiGroup": RBAC, "kind": "Role", "name": "pod-maker"},
               "subjects": [{"kind": "ServiceAccount", "name": "robot"}]}
    for plural, obj in (("roles", role), ("rolebindings", binding)):
        r = api.post(f"/apis/{RBAC}/v1/namespaces/{n}/{plural}", json=obj)
        assert r.status_code in (201, 409), r.text
    assert k("auth", "can-i", "create", "pods", as_robot).stdout == "yes\n"
    assert k("auth", "can-i", "delete", "pods", as_robot).stdout == "no\n"
    # the binding is namespaced: nothing granted in default
    assert cluster.kubectl("auth", "can-i", "create", "pods", as_robot, "-n", "default", version=version,
                           check=False).stdout == "no\n"
    listed = k("auth", "can-i", "--list", as_robot).stdout
    assert listed.splitlines()[0].split() == ["Resources", "Non-Resource", "URLs", "Resource", "Names", "Verbs"]
    assert any(line.split() == ["pods", "[]", "[]", "[create", "get]"] for line in listed.splitlines())


def test_can_i_list_as_admin(cluster, ns):
    version, _ = ns
    lines = cluster.kubectl("auth", "can-i", "--list", version=version).stdout.splitlines()
    assert lines[1].split() == ["*.*", "[]", "[]", "[*]"]
    assert lines[2].split() == ["[*]", "[]", "[*]"]


def test_create_token_and_use_it(cluster, api, ns):
    version, n = ns
    token = cluster.kubectl("create", "token", "robot", "-n", n, version=version).stdout.strip()
    assert token.count(".") == 2
    raw = cluster.kubectl("--token", token, "get", "--raw", "/api", version=version).stdout
    assert raw.startswith('{"kind":"APIVersions"')
    who = cluster.kubectl("--token", token, "auth", "whoami", version=version).stdout.splitlines()
    assert who[1].split() == ["Username", f"system:serviceaccount:{n}:robot"]
    sa_uid = api.get(f"/api/v1/namespaces/{n}/serviceaccounts/robot").json()["metadata"]["uid"]
    assert who[2].split() == ["UID", sa_uid]
    assert who[3].split(None, 1) == ["Groups", f"[system:serviceaccounts system:serviceaccounts:{n} system:authenticated]"]
    assert who[4].startswith("Extra: authentication.kubernetes.io/credential-id")

    # the service account may not impersonate anyone
    out = cluster.kubectl("--token", token, "get", "pods", "-n", n, "--as=jane", version=version, check=False)
    assert out.returncode == 1
    assert ('users "jane" is forbidden: User "system:serviceaccount:' + n + ':robot" cannot impersonate resource '
            '"users" in API group "" at the cluster scope') in out.stderr


def test_create_token_rejects_short_durations(cluster, ns):
    version, n = ns
    out = cluster.kubectl("create", "token", "robot", "-n", n, "--duration=5m", version=version, check=False)
    assert out.returncode == 1
    assert "spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes" in out.stderr


def test_token_review_and_deleted_service_account(cluster, api):
    ensure_namespace(api, "auth-review")
    r = api.post("/api/v1/namespaces/auth-review/serviceaccounts",
                 json={"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "temp"}})
    assert r.status_code == 201
    tr = api.post("/api/v1/namespaces/auth-review/serviceaccounts/temp/token",
                  json={"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {"expirationSeconds": 600}})
    assert tr.status_code == 201, tr.text
    token = tr.json()["status"]["token"]
    review = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": token}}
    status = api.post("/apis/authentication.k8s.io/v1/tokenreviews", json=review).json()["status"]
    assert status["authenticated"] is True
    assert status["user"]["username"] == "system:serviceaccount:auth-review:temp"
    assert status["audiences"] == [ISSUER]
    garbage = api.post("/apis/authentication.k8s.io/v1/tokenreviews",
                       json={**review, "spec": {"token": "garbage"}}).json()["status"]
    assert garbage == {"authenticated": False, "user": {}, "error": "invalid bearer token"}

    as_sa = {"Authorization": f"Bearer {token}"}
    assert api.get("/api", headers=as_sa).status_code == 200
    assert api.delete("/api/v1/namespaces/auth-review/serviceaccounts/temp").status_code == 200
    assert api.get("/api", headers=as_sa).status_code == 401
    status = api.post("/apis/authentication.k8s.io/v1/tokenreviews", json=review).json()["status"]
    assert status == {"authenticated": False, "user": {}, "error": 'serviceaccounts "temp" not found'}


def test_subject_access_reviews(api):
    sar = {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
           "spec": {"user": "nobody", "groups": ["system:masters"],
                    "resourceAttributes": {"verb": "get", "resource": "secrets", "namespace": "default"}}}
    r = api.post("/apis/authorization.k8s.io/v1/subjectaccessreviews", json=sar)
    assert r.status_code == 201
    assert r.json()["status"] == {"allowed": True}
    sar["spec"]["groups"] = ["system:authenticated"]
    sar["spec"]["nonResourceAttributes"] = {"verb": "get", "path": "/version"}
    del sar["spec"]["resourceAttributes"]
    status = api.post("/apis/authorization.k8s.io/v1/subjectaccessreviews", json=sar).json()["status"]
    assert status == {"allowed": True, "reason": 'RBAC: allowed by ClusterRoleBinding "system:discovery" of '
                                                 'ClusterRole "system:discovery" to Group "system:authenticated"'}
    bad = api.post("/apis/authorization.k8s.io/v1/subjectaccessreviews",
                   json={"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "spec": {}})
    assert bad.status_code == 422
    assert bad.json()["message"] == (
        'SubjectAccessReview.authorization.k8s.io "" is invalid: [spec.resourceAttributes: Invalid value: "null": '
        "exactly one of nonResourceAttributes or resourceAttributes must be specified, spec.user: Invalid value: "
        '"": at least one of user or group must be specified]')
    lsar = {"apiVersion": "authorization.k8s.io/v1", "kind": "LocalSubjectAccessReview",
            "spec": {"user": "nobody", "resourceAttributes": {"verb": "get", "resource": "pods", "namespace": "default"}}}
    r = api.post("/apis/authorization.k8s.io/v1/namespaces/default/localsubjectaccessreviews", json=lsar)
    assert (r.status_code, r.json()["status"], r.json()["metadata"]["namespace"]) == (201, {"allowed": False}, "default")
    assert api.get("/apis/authorization.k8s.io/v1/subjectaccessreviews").status_code == 405
