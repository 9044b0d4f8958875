"""Malformed patches, apply without a field manager and non-structural CRDs: upstream's metav1.Status
(code, reason, message, details) and nothing written.

Upstream references (k8s.io/apiserver v0.30 `pkg/endpoints/handlers/patch.go`):
- the patch type is checked first (415 `NewUnsupportedMediaTypeError`, CRDs take no strategic
  merge patch), then the body size, then `ValidatePatchOptions` (422 on `PatchOptions.meta.k8s.io`);
- the body is decoded only once the object is found (a missing object is a 404 whatever the body);
- JSON and merge patch bodies are decoded strictly first: 400 `error decoding patch: <Go error>`;
  strategic merge patch bodies: 400 `<Go error>`;
- any failure while applying a JSON patch (a failed `test`, a missing path, a bad index, an unknown
  op) is `NewGenericServerResponse(422, ...)`: reason Invalid, a fixed message, empty details,
  which kubectl prints as `The request is invalid: <message>`.
"""

from __future__ import annotations

import json
from contextlib import contextmanager

import pytest
from kubeutil import configmap, ensure_namespace, names, wait_for

pytestmark = pytest.mark.e2e

NS = "bad-patches"
CM = f"/api/v1/namespaces/{NS}/configmaps"
TARGET = f"{CM}/target"
CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
GROUP = "bad.example.com"
WIDGETS = f"/apis/{GROUP}/v1/namespaces/{NS}/widgets"
WIDGET = f"{WIDGETS}/w1"

JSON_PATCH = {"content-type": "application/json-patch+json"}
MERGE_PATCH = {"content-type": "application/merge-patch+json"}
SMP = {"content-type": "application/strategic-merge-patch+json"}
APPLY = {"content-type": "application/apply-patch+yaml"}

REJECTED = "the server rejected our request due to an error in our request"
BUILTIN_TYPES = ("application/json-patch+json, application/merge-patch+json, "
                 "application/strategic-merge-patch+json, application/apply-patch+yaml")
CUSTOM_TYPES = "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"

CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": f"widgets.{GROUP}"},
    "spec": {
        "group": GROUP,
        "scope": "Namespaced",
        "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
        "versions": [{
            "name": "v1", "served": True, "storage": True,
            "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                "spec": {"type": "object", "properties": {"size": {"type": "integer"}}}}}},
        }],
    },
}


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


def patch_options_invalid(*causes: tuple[str, str, str]) -> dict:
    """The 422 of ValidatePatchOptions: (field, reason, message) per cause."""
    lines = [f"{f}: {m}" for f, _, m in causes]
    shown = lines[0] if len(lines) == 1 else "[" + ", ".join(lines) + "]"
    return status(422, "Invalid", f'PatchOptions.meta.k8s.io "" is invalid: {shown}', {
        "group": "meta.k8s.io", "kind": "PatchOptions",
        "causes": [{"reason": r, "message": m, "field": f} for f, r, m in causes],
    })


@pytest.fixture(scope="module")
def api(cluster):
    c = cluster.client()
    ensure_namespace(c, NS)
    r = c.post(CM, json=configmap("target", {"k": "v"}, labels={"app": "x"}))
    assert r.status_code == 201, r.text
    assert c.post(CRDS, json=CRD).status_code == 201
    wait_for(lambda: c.get(WIDGETS).status_code == 200, what="the widgets CRD to be served")
    r = c.post(WIDGETS, json={"apiVersion": f"{GROUP}/v1", "kind": "Widget", "metadata": {"name": "w1"},
                              "spec": {"size": 1}})
    assert r.status_code == 201, r.text
    return c


@contextmanager
def unchanged(api, *paths: str):
    """Each object at `paths` is byte-for-byte the same (resourceVersion included) afterwards,
    and the namespace holds the same ConfigMaps."""
    before = [api.get(p).json() for p in paths]
    listed = names(api, CM)
    yield
    assert [api.get(p).json() for p in paths] == before
    assert names(api, CM) == listed


def absent(api, path: str) -> None:
    assert api.get(path).status_code == 404


# --- JSON patch: failures while applying are 422 with empty details ---


@pytest.mark.parametrize(
    "ops",
    [
        [{"op": "test", "path": "/data/k", "value": "other"}],
        # kopf's optimistic lock with a stale resourceVersion, then a write that must not happen.
        [{"op": "test", "path": "/metadata/resourceVersion", "value": "1"},
         {"op": "add", "path": "/metadata/finalizers", "value": ["kopf.zalando.org/KopfFinalizerMarker"]}],
        [{"op": "replace", "path": "/data/k", "value": "w"}, {"op": "test", "path": "/data/k", "value": "v"}],
        [{"op": "test", "path": "/data/missing", "value": "v"}],
        [{"op": "add", "path": "/metadata/annotations/a", "value": "x"}],  # no annotations map to add to
        [{"op": "add", "path": "data", "value": {}}],  # a pointer without its leading slash
        [{"op": "add", "path": "/metadata/labels/app/b", "value": "x"}],  # through a string
        [{"op": "remove", "path": "/data/missing"}],
        # managedFields is the one list a ConfigMap has (a single entry here).
        [{"op": "replace", "path": "/metadata/managedFields/1", "value": {}}],  # index past the end
        [{"op": "add", "path": "/metadata/managedFields/7", "value": {}}],
        [{"op": "add", "path": "/metadata/managedFields/one", "value": {}}],  # not an index
        [{"op": "move", "from": "/data/missing/deeper", "path": "/data/b"}],
        [{"op": "frob", "path": "/data/k"}],
        [{"path": "/data/k", "value": "x"}],  # no op at all
        [{"op": "add", "value": "x"}],  # no path
    ],
    ids=["test-value", "test-stale-resource-version", "test-after-replace", "test-missing-path",
         "add-missing-parent", "no-leading-slash", "add-through-scalar", "remove-missing",
         "replace-index-out-of-range", "add-index-out-of-range", "add-non-numeric-index", "move-missing-from",
         "unknown-op", "missing-op", "missing-path"],
)
def test_json_patch_apply_failure_is_422(api, ops):
    with unchanged(api, TARGET):
        r = api.patch(TARGET, content=json.dumps(ops), headers=JSON_PATCH)
        assert r.content == json.dumps(status(422, "Invalid", REJECTED, {}), separators=(",", ":")).encode() + b"\n"


def test_json_patch_test_failure_on_custom_resource(api):
    with unchanged(api, WIDGET):
        r = api.patch(WIDGET, content=json.dumps([{"op": "test", "path": "/spec/size", "value": 2},
                                                  {"op": "replace", "path": "/spec/size", "value": 3}]),
                      headers=JSON_PATCH)
        assert_status(r, 422, "Invalid", REJECTED, {})


def test_json_patch_test_success_then_write(api):
    # The passing form of the same kopf lock writes, so the failures above are not vacuous.
    cur = api.get(TARGET).json()
    rv = cur["metadata"]["resourceVersion"]
    ops = [{"op": "test", "path": "/metadata/resourceVersion", "value": rv},
           {"op": "add", "path": "/metadata/annotations", "value": {"locked": "yes"}}]
    r = api.patch(TARGET, content=json.dumps(ops), headers=JSON_PATCH)
    assert r.status_code == 200, r.text
    assert r.json()["metadata"]["annotations"] == {"locked": "yes"}
    assert r.json()["metadata"]["resourceVersion"] != rv
    undo = [{"op": "remove", "path": "/metadata/annotations"}]
    assert api.patch(TARGET, content=json.dumps(undo), headers=JSON_PATCH).status_code == 200


@pytest.mark.parametrize("version", ["1.30", "1.32"])
def test_kubectl_patch_json_test_failure(cluster, api, version):
    with unchanged(api, TARGET):
        proc = cluster.kubectl("patch", "configmap", "target", "-n", NS, "--type=json",
                               "-p", '[{"op":"test","path":"/data/k","value":"nope"}]', check=False, version=version)
    # Details without kind, name or causes: kubectl shows the server's message after its prefix.
    assert (proc.returncode, proc.stdout, proc.stderr) == (1, "", f"The request is invalid: {REJECTED}\n")


# --- bodies that do not decode: 400 with Go's decoder text ---


@pytest.mark.parametrize(
    ("headers", "body", "message"),
    [
        (JSON_PATCH, b'[{"op":', "error decoding patch: unexpected end of JSON input"),
        (JSON_PATCH, b"", "error decoding patch: unexpected end of JSON input"),
        (JSON_PATCH, b'[{"op":"add",}]',
         "error decoding patch: invalid character '}' looking for beginning of object key string"),
        (JSON_PATCH, b'[{"op" "add"}]', "error decoding patch: invalid character '\"' after object key"),
        (JSON_PATCH, b'{"op":"add","path":"/data/a","value":"x"}',
         "error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp"),
        (JSON_PATCH, b'["add"]',
         "error decoding patch: json: cannot unmarshal string into Go value of type handlers.jsonPatchOp"),
        (JSON_PATCH, b'[{"op":"add","path":1,"value":"x"}]',
         "error decoding patch: json: cannot unmarshal number into Go struct field jsonPatchOp.path of type string"),
        (MERGE_PATCH, b'{"data":', "error decoding patch: unexpected end of JSON input"),
        (MERGE_PATCH, b'{"data":{"k":x}}', "error decoding patch: invalid character 'x' looking for beginning of value"),
        (MERGE_PATCH, b'[{"data":{}}]',
         "error decoding patch: json: cannot unmarshal array into Go value of type map[string]interface {}"),
        (SMP, b'{"data":', "unexpected end of JSON input"),
        (SMP, b'{"data":{"k":"v"}} x', "invalid character 'x' after top-level value"),
        (SMP, b'["data"]', "json: cannot unmarshal array into Go value of type map[string]interface {}"),
    ],
    ids=["json-truncated", "json-empty", "json-trailing-comma", "json-missing-colon", "json-not-a-list",
         "json-op-not-object", "json-path-not-string", "merge-truncated", "merge-bad-value", "merge-array",
         "smp-truncated", "smp-trailing-garbage", "smp-array"],
)
def test_undecodable_patch_body_is_400(api, headers, body, message):
    with unchanged(api, TARGET):
        assert_status(api.patch(TARGET, content=body, headers=headers), 400, "BadRequest", message)


@pytest.mark.parametrize("headers", [JSON_PATCH, MERGE_PATCH, SMP])
def test_undecodable_patch_of_missing_object_is_404(api, headers):
    # The body is only decoded once the object is found.
    with unchanged(api):
        assert_status(api.patch(f"{CM}/ghost", content=b"{[", headers=headers), 404, "NotFound",
                      'configmaps "ghost" not found', {"name": "ghost", "kind": "configmaps"})
    absent(api, f"{CM}/ghost")


# --- patch types: 415 before anything else ---


@pytest.mark.parametrize("path", [WIDGET, f"{WIDGETS}/ghost"], ids=["existing", "missing"])
def test_strategic_merge_patch_on_custom_resource_is_415(api, path):
    with unchanged(api, WIDGET):
        r = api.patch(path, content=b'{"spec":{"size":5}}', headers=SMP)
        assert_status(r, 415, "UnsupportedMediaType",
                      f"the body of the request was in an unknown format - accepted media types include: {CUSTOM_TYPES}")
    absent(api, f"{WIDGETS}/ghost")


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", "application/yaml"])
def test_unknown_patch_type_is_415(api, content_type):
    with unchanged(api, TARGET):
        r = api.patch(TARGET, content=b'{"data":{"k":"w"}}', headers={"content-type": content_type})
        assert_status(r, 415, "UnsupportedMediaType",
                      f"the body of the request was in an unknown format - accepted media types include: {BUILTIN_TYPES}")


@pytest.mark.parametrize("version", ["1.30", "1.32"])
def test_kubectl_strategic_patch_on_custom_resource(cluster, api, version):
    with unchanged(api, WIDGET):
        proc = cluster.kubectl("patch", "widget", "w1", "-n", NS, "-p", '{"spec":{"size":5}}', check=False,
                               version=version)
    # kubectl recognises the 415 and names the patch type and the kind it tried.
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == (
        f"error: application/strategic-merge-patch+json is not supported by {GROUP}/v1, Kind=Widget: "
        f"the body of the request was in an unknown format - accepted media types include: {CUSTOM_TYPES}\n")
    # The merge patch kubectl is told to use instead goes through.
    cluster.kubectl("patch", "widget", "w1", "-n", NS, "--type=merge", "-p", '{"spec":{"size":1}}', version=version)


# --- PatchOptions ---

FM_REQUIRED = ("fieldManager", "FieldValueRequired", "Required value: is required for apply patch")
FORCE = ("force", "FieldValueForbidden", "Forbidden: may not be specified for non-apply patch")
FIELD_VALIDATION = ("fieldValidation", "FieldValueNotSupported",
                    'Unsupported value: "Loose": supported values: "", "Ignore", "Strict", "Warn"')


@pytest.mark.parametrize("params", [{}, {"fieldManager": ""}], ids=["absent", "empty"])
@pytest.mark.parametrize(
    ("path", "body"),
    [
        (TARGET, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "target"}, "data": {"k": "applied"}}),
        (f"{CM}/born-by-apply", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "born-by-apply"}}),
        (WIDGET, {"apiVersion": f"{GROUP}/v1", "kind": "Widget", "metadata": {"name": "w1"}, "spec": {"size": 9}}),
        (f"{WIDGETS}/w2", {"apiVersion": f"{GROUP}/v1", "kind": "Widget", "metadata": {"name": "w2"}}),
    ],
    ids=["existing-configmap", "missing-configmap", "existing-widget", "missing-widget"],
)
def test_apply_without_field_manager_is_422(api, params, path, body):
    with unchanged(api, TARGET, WIDGET):
        r = api.patch(path, params=params, content=json.dumps(body), headers=APPLY)
        assert r.status_code == 422
        assert r.json() == patch_options_invalid(FM_REQUIRED)
    if path.endswith(("born-by-apply", "w2")):
        absent(api, path)


@pytest.mark.parametrize(
    ("headers", "params", "causes"),
    [
        (MERGE_PATCH, {"force": "true"}, [FORCE]),
        (MERGE_PATCH, {"force": "false"}, [FORCE]),  # any value sets PatchOptions.Force
        (SMP, {"force": "true", "fieldManager": "me"}, [FORCE]),
        (JSON_PATCH, {"fieldValidation": "Loose"}, [FIELD_VALIDATION]),
        (MERGE_PATCH, {"force": "true", "fieldValidation": "Loose"}, [FORCE, FIELD_VALIDATION]),
        (APPLY, {"fieldValidation": "Loose"}, [FM_REQUIRED, FIELD_VALIDATION]),
    ],
    ids=["force-on-merge", "force-false-on-merge", "force-on-smp", "bad-field-validation", "two-errors",
         "apply-two-errors"],
)
def test_invalid_patch_options_are_422(api, headers, params, causes):
    body = (json.dumps([{"op": "replace", "path": "/data/k", "value": "w"}]) if headers is JSON_PATCH
            else json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "target"},
                             "data": {"k": "w"}}))
    with unchanged(api, TARGET):
        r = api.patch(TARGET, params=params, content=body, headers=headers)
        assert r.status_code == 422
        assert r.json() == patch_options_invalid(*causes)


def test_apply_with_field_manager_and_force_is_accepted(api):
    # The same request with a field manager goes through, so the 422s above are about the options.
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "applied-ok"}, "data": {"a": "1"}}
    r = api.patch(f"{CM}/applied-ok", params={"fieldManager": "tester", "force": "true"},
                  content=json.dumps(body), headers=APPLY)
    assert r.status_code == 201, r.text
    assert api.delete(f"{CM}/applied-ok").status_code == 200


# --- CustomResourceDefinitions with schemas that are not structural ---

ROOT = "spec.versions[0].schema.openAPIV3Schema"


def gadget_crd(schema: dict | None) -> dict:
    crd = json.loads(json.dumps(CRD))
    crd["metadata"]["name"] = f"gadgets.{GROUP}"
    crd["spec"]["names"] = {"plural": "gadgets", "singular": "gadget", "kind": "Gadget"}
    if schema is None:
        del crd["spec"]["versions"][0]["schema"]
    else:
        crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"] = schema
    return crd


NON_STRUCTURAL = [
    (
        {"properties": {"spec": {"properties": {"size": {"type": "integer"}}}}},
        [(f"{ROOT}.properties[spec].type", "FieldValueRequired", "Required value: must not be empty for specified object fields"),
         (f"{ROOT}.type", "FieldValueRequired", "Required value: must not be empty at the root")],
    ),
    (
        {"type": "object", "properties": {"spec": {"type": "object", "anyOf": [
            {"type": "object", "properties": {"a": {"type": "string"}}}]}}},
        [(f"{ROOT}.properties[spec].anyOf[0].properties[a].type", "FieldValueForbidden",
          "Forbidden: must be empty to be structural"),
         (f"{ROOT}.properties[spec].anyOf[0].properties[a]", "FieldValueRequired",
          "Required value: must be specified outside of the value validation"),
         (f"{ROOT}.properties[spec].anyOf[0].type", "FieldValueForbidden", "Forbidden: must be empty to be structural")],
    ),
    (
        {"type": "object", "properties": {"items": {"type": "array"}}},
        [(f"{ROOT}.properties[items].items", "FieldValueRequired", "Required value: must be specified")],
    ),
    (None, [(ROOT, "FieldValueRequired", "Required value: schemas are required")]),
]


def crd_invalid(causes: list[tuple[str, str, str]]) -> dict:
    lines = [f"{f}: {m}" for f, _, m in causes]
    shown = lines[0] if len(lines) == 1 else "[" + ", ".join(lines) + "]"
    return status(422, "Invalid", f'CustomResourceDefinition.apiextensions.k8s.io "gadgets.{GROUP}" is invalid: {shown}', {
        "name": f"gadgets.{GROUP}", "group": "apiextensions.k8s.io", "kind": "CustomResourceDefinition",
        "causes": [{"reason": r, "message": m, "field": f} for f, r, m in causes],
    })


@pytest.mark.parametrize(("schema", "causes"), NON_STRUCTURAL,
                         ids=["untyped", "types-inside-anyof", "array-without-items", "no-schema"])
def test_non_structural_crd_is_422_and_not_created(api, schema, causes):
    r = api.post(CRDS, json=gadget_crd(schema))
    assert r.status_code == 422
    assert r.json() == crd_invalid(causes)
    absent(api, f"{CRDS}/gadgets.{GROUP}")
    assert [r["name"] for r in api.get(f"/apis/{GROUP}/v1").json()["resources"]] == ["widgets"]


def test_non_structural_crd_update_is_422_and_not_written(api):
    crd = api.get(f"{CRDS}/widgets.{GROUP}").json()
    crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"] = {
        "properties": {"size": {"type": "integer"}}}
    before = api.get(f"{CRDS}/widgets.{GROUP}").json()
    r = api.put(f"{CRDS}/widgets.{GROUP}", json=crd)
    cause = (f"{ROOT}.properties[spec].type", "FieldValueRequired",
             "Required value: must not be empty for specified object fields")
    assert r.status_code == 422
    assert r.json() == status(
        422, "Invalid",
        f'CustomResourceDefinition.apiextensions.k8s.io "widgets.{GROUP}" is invalid: {cause[0]}: {cause[2]}',
        {"name": f"widgets.{GROUP}", "group": "apiextensions.k8s.io", "kind": "CustomResourceDefinition",
         "causes": [{"reason": cause[1], "message": cause[2], "field": cause[0]}]})
    assert api.get(f"{CRDS}/widgets.{GROUP}").json() == before


@pytest.mark.parametrize("version", ["1.30", "1.32"])
def test_kubectl_create_non_structural_crd(cluster, api, version):
    schema, causes = NON_STRUCTURAL[0]
    proc = cluster.kubectl("create", "-f", "-", input=json.dumps(gadget_crd(schema)), check=False, version=version)
    assert proc.returncode == 1
    assert proc.stderr == (f'The CustomResourceDefinition "gadgets.{GROUP}" is invalid: \n'
                           + "".join(f"* {f}: {m}\n" for f, _, m in causes))
    absent(api, f"{CRDS}/gadgets.{GROUP}")
    assert "gadgets" not in cluster.kubectl("api-resources", f"--api-group={GROUP}", "-o", "name",
                                            version=version).stdout
