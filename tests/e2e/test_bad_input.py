"""Bad requests get upstream's metav1.Status (code, reason, message, exact bytes) and write nothing."""

from __future__ import annotations

import json

import pytest
from kubeutil import configmap, ensure_namespace, names, pod, wait_for

pytestmark = pytest.mark.e2e

NS = "bad-input"
CM = f"/api/v1/namespaces/{NS}/configmaps"
PODS = f"/api/v1/namespaces/{NS}/pods"
LEGACY_SCHEME = "pkg/api/legacyscheme/scheme.go:30"


@pytest.fixture(scope="module")
def api(cluster):
    c = cluster.client()
    ensure_namespace(c, NS)
    # The root CA publisher adds a ConfigMap to every new namespace; let it land before counting.
    wait_for(lambda: "kube-root-ca.crt" in names(c, CM), what="kube-root-ca.crt in the namespace")
    return c


@pytest.fixture
def nothing_written(api):
    """The configmaps and pods in the namespace are the same after the test as before it."""
    before = (names(api, CM), names(api, PODS))
    yield
    assert (names(api, CM), names(api, PODS)) == before


def status(code: int, reason: str, message: str, details: dict | None = None) -> dict:
    s = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message, "reason": reason}
    if details is not None:
        s["details"] = details
    s["code"] = code
    return s


def assert_status(r, code: int, reason: str, message: str, details: dict | None = None) -> None:
    assert r.status_code == code, r.text
    assert r.headers["content-type"] == "application/json"
    assert r.json() == status(code, reason, message, details)


MALFORMED_JSON = b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"bad-json"'
MALFORMED_YAML = b'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "bad-yaml\n'


def test_malformed_json(api, nothing_written):
    r = api.post(CM, content=MALFORMED_JSON, headers={"content-type": "application/json"})
    # Upstream's transformDecodeError: no kind could be read, so the body is summarized (30 bytes).
    assert r.status_code == 400
    assert r.content == json.dumps(status(
        400, "BadRequest",
        "the object provided is unrecognized (must be of type ConfigMap): couldn't get version/kind; "
        'json parse error: unexpected end of JSON input ({"apiVersion":"v1","kind":"Con ...)',
    ), separators=(",", ":")).encode() + b"\n"


def test_malformed_yaml(api, nothing_written):
    r = api.post(CM, content=MALFORMED_YAML, headers={"content-type": "application/yaml"})
    # A body that does not start with "{" is summarized as hex of its first 30 bytes.
    assert_status(
        r, 400, "BadRequest",
        "the object provided is unrecognized (must be of type ConfigMap): yaml: line 5: found unexpected end of stream "
        "(61706956657273696f6e3a2076310a6b696e643a20436f6e6669674d6170 ...)",
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"apiVersion": "v1", "kind": "Foo", "metadata": {"name": "wrong-kind"}},
            f'Foo in version "v1" cannot be handled as a ConfigMap: no kind "Foo" is registered for version "v1" '
            f'in scheme "{LEGACY_SCHEME}"',
        ),
        (
            {"apiVersion": "v2", "kind": "ConfigMap", "metadata": {"name": "wrong-version"}},
            f'ConfigMap in version "v2" cannot be handled as a ConfigMap: no kind "ConfigMap" is registered for '
            f'version "v2" in scheme "{LEGACY_SCHEME}"',
        ),
        (
            {"apiVersion": "example.com/v1", "kind": "ConfigMap", "metadata": {"name": "wrong-group"}},
            f'ConfigMap in version "v1" cannot be handled as a ConfigMap: no kind "ConfigMap" is registered for '
            f'version "example.com/v1" in scheme "{LEGACY_SCHEME}"',
        ),
    ],
    ids=["unknown-kind", "unknown-version", "unknown-group"],
)
def test_wrong_apiversion_or_kind_for_url(api, nothing_written, body, message):
    assert_status(api.post(CM, json=body), 400, "BadRequest", message)


def test_kind_of_another_resource_is_refused(api, nothing_written):
    r = api.post(CM, json={"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "a-secret"}})
    assert r.status_code == 400
    assert r.json()["reason"] == "BadRequest"
    assert r.json()["message"].startswith('Secret in version "v1" cannot be handled as a ConfigMap: ')


def test_name_mismatch_between_url_and_body_on_put(api):
    created = api.post(CM, json=configmap("put-target", {"a": "1"}))
    assert created.status_code == 201
    body = created.json()
    body["metadata"]["name"] = "other-name"
    body["data"] = {"a": "2"}
    assert_status(api.put(f"{CM}/put-target", json=body), 400, "BadRequest",
                  "the name of the object (other-name) does not match the name on the URL (put-target)")
    assert api.get(f"{CM}/put-target").json()["data"] == {"a": "1"}
    assert api.get(f"{CM}/other-name").status_code == 404


def test_namespace_mismatch_between_url_and_body(api, nothing_written):
    body = configmap("ns-mismatch", namespace="default")
    assert_status(api.post(CM, json=body), 400, "BadRequest",
                  "the namespace of the provided object does not match the namespace sent on the request")


RFC1123 = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL_VALUE = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used "
    "for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)


def test_invalid_name(api, nothing_written):
    r = api.post(CM, json=configmap("Bad_Name"))
    cause = f'Invalid value: "Bad_Name": {RFC1123}'
    assert_status(r, 422, "Invalid", f'ConfigMap "Bad_Name" is invalid: metadata.name: {cause}',
                  {"name": "Bad_Name", "kind": "ConfigMap",
                   "causes": [{"reason": "FieldValueInvalid", "message": cause, "field": "metadata.name"}]})


def test_invalid_label_value(api, nothing_written):
    r = api.post(CM, json=configmap("bad-label", labels={"app": "bad value!"}))
    cause = f'Invalid value: "bad value!": {LABEL_VALUE}'
    assert_status(r, 422, "Invalid", f'ConfigMap "bad-label" is invalid: metadata.labels: {cause}',
                  {"name": "bad-label", "kind": "ConfigMap",
                   "causes": [{"reason": "FieldValueInvalid", "message": cause, "field": "metadata.labels"}]})


def test_invalid_name_through_kubectl(cluster, api, nothing_written):
    manifest = json.dumps(configmap("Bad_Name"))
    proc = cluster.kubectl("create", "-n", NS, "-f", "-", input=manifest, check=False)
    assert proc.returncode == 1
    assert proc.stderr == f'The ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": {RFC1123}\n'


def test_body_over_3_mib_is_413(api, nothing_written):
    big = b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"big"},"data":{"a":"' + b"x" * (4 << 20) + b'"}}'
    r = api.post(CM, content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.content == (
        b'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",'
        b'"message":"Request entity too large: limit is 3145728","reason":"RequestEntityTooLarge","code":413}\n'
    )
    # The connection stays usable after the refusal.
    assert api.get(CM).status_code == 200


def test_unknown_field_strict(api, nothing_written):
    body = pod("strict-pod")
    body["spec"]["foo"] = 1
    r = api.post(PODS, params={"fieldValidation": "Strict"}, json=body)
    assert_status(r, 400, "BadRequest",
                  'Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.foo"')


def test_unknown_fields_strict_lists_all(api, nothing_written):
    body = pod("strict-pod2")
    body["spec"]["foo"] = 1
    body["spec"]["containers"][0]["bar"] = "x"
    r = api.post(PODS, params={"fieldValidation": "Strict"}, json=body)
    assert_status(r, 400, "BadRequest",
                  'Pod in version "v1" cannot be handled as a Pod: strict decoding error: '
                  'unknown field "spec.containers[0].bar", unknown field "spec.foo"')


def test_unknown_field_warn_creates_without_it(api):
    body = pod("warn-pod")
    body["spec"]["foo"] = 1
    r = api.post(PODS, params={"fieldValidation": "Warn"}, json=body)
    assert r.status_code == 201, r.text
    assert r.headers.get_list("warning") == ['299 - "unknown field \\"spec.foo\\""']
    stored = api.get(f"{PODS}/warn-pod").json()
    assert "foo" not in stored["spec"]
    assert "foo" not in r.json()["spec"]


def test_unknown_field_ignore_is_silent(api):
    body = configmap("ignore-cm", {"a": "1"})
    body["extra"] = True
    r = api.post(CM, params={"fieldValidation": "Ignore"}, json=body)
    assert r.status_code == 201
    assert "warning" not in r.headers
    assert "extra" not in api.get(f"{CM}/ignore-cm").json()


def test_stale_resource_version_on_put(api):
    first = api.post(CM, json=configmap("stale", {"v": "1"})).json()
    second = dict(first, data={"v": "2"})
    assert api.put(f"{CM}/stale", json=second).status_code == 200
    stale = dict(first, data={"v": "3"})
    r = api.put(f"{CM}/stale", json=stale)
    assert r.status_code == 409
    assert r.content == (
        b'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Operation cannot be '
        b'fulfilled on configmaps \\"stale\\": the object has been modified; please apply your changes to the latest '
        b'version and try again","reason":"Conflict","details":{"name":"stale","kind":"configmaps"},"code":409}\n'
    )
    assert api.get(f"{CM}/stale").json()["data"] == {"v": "2"}


def test_not_found_forms(api):
    r = api.get(f"{CM}/nope")
    assert r.status_code == 404
    assert r.content == (
        b'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps \\"nope\\" '
        b'not found","reason":"NotFound","details":{"name":"nope","kind":"configmaps"},"code":404}\n'
    )
    assert_status(api.get(f"/apis/apps/v1/namespaces/{NS}/deployments/nope"), 404, "NotFound",
                  'deployments.apps "nope" not found', {"name": "nope", "group": "apps", "kind": "deployments"})
    assert_status(api.delete(f"{CM}/nope"), 404, "NotFound", 'configmaps "nope" not found',
                  {"name": "nope", "kind": "configmaps"})
    assert api.get(f"/api/v1/namespaces/{NS}/widgets").status_code == 404
    assert api.get("/apis/example.com/v1").status_code == 404


METHOD_NOT_ALLOWED = (
    b'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server does not allow '
    b'this method on the requested resource","reason":"MethodNotAllowed","details":{},"code":405}\n'
)


def test_method_not_allowed_on_collection(api, nothing_written):
    r = api.put(CM, json=configmap("put-on-collection"))
    assert r.status_code == 405
    assert r.content == METHOD_NOT_ALLOWED


def test_method_not_allowed_post_to_named_object(api, nothing_written):
    r = api.post(f"{CM}/post-to-name", json=configmap("post-to-name"))
    assert r.status_code == 405
    assert r.content == METHOD_NOT_ALLOWED


def test_method_not_allowed_on_discovery(api):
    r = api.post("/api/v1", json={})
    assert r.status_code == 405
    assert r.content == METHOD_NOT_ALLOWED


@pytest.mark.parametrize("selector", ["app in (", "app=a b", "!!"])
def test_list_with_invalid_label_selector(api, selector):
    r = api.get(CM, params={"labelSelector": selector})
    assert r.status_code == 400
    body = r.json()
    assert (body["kind"], body["status"], body["reason"], body["code"]) == ("Status", "Failure", "BadRequest", 400)
    assert body["message"]


def test_list_with_unsupported_field_selector(api):
    assert_status(api.get(CM, params={"fieldSelector": "spec.foo=bar"}), 400, "BadRequest",
                  'field label not supported: spec.foo')
