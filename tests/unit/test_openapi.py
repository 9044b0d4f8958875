"""OpenAPI v3 index and documents: the parts kubectl relies on (wire.md §4)."""

import orjson
import pytest

from uwernetes.apiserver.openapi import OpenAPIV3, convert, crd_definition_name, group_friendly
from uwernetes.apiserver.resources.base import ResourceType, Subresource

STATUS = Subresource("status", ("get", "update", "patch"))
SCALE = Subresource("scale", ("get", "update", "patch"), "autoscaling", "v1", "Scale")
EVICTION = Subresource("eviction", ("create",), "policy", "v1", "Eviction")
LOG = Subresource("log", ("get",))

POD = ResourceType(
    group="", version="v1", kind="Pod", plural="pods", namespaced=True, subresources=(STATUS, EVICTION, LOG)
)
NAMESPACE = ResourceType(
    group="", version="v1", kind="Namespace", plural="namespaces", namespaced=False, subresources=(STATUS,)
)
CONFIGMAP = ResourceType(group="", version="v1", kind="ConfigMap", plural="configmaps", namespaced=True)
DEPLOYMENT = ResourceType(
    group="apps",
    version="v1",
    kind="Deployment",
    plural="deployments",
    namespaced=True,
    subresources=(STATUS, SCALE),
)
ROLE = ResourceType(
    group="rbac.authorization.k8s.io", version="v1", kind="Role", plural="roles", namespaced=True
)


@pytest.fixture(scope="module")
def api():
    return OpenAPIV3([POD, NAMESPACE, CONFIGMAP, DEPLOYMENT, ROLE])


@pytest.fixture(scope="module")
def core(api):
    body, _ = api.document("api/v1")
    return orjson.loads(body)


@pytest.fixture(scope="module")
def apps(api):
    body, _ = api.document("apis/apps/v1")
    return orjson.loads(body)


def test_index_shape(api):
    index = api.index()
    assert sorted(index["paths"]) == ["api/v1", "apis/apps/v1", "apis/rbac.authorization.k8s.io/v1"]
    url = index["paths"]["api/v1"]["serverRelativeURL"]
    prefix = "/openapi/v3/api/v1?hash="
    assert url.startswith(prefix)
    digest = url[len(prefix) :]
    assert len(digest) == 128 and digest == digest.upper()
    assert api.document("api/v1")[1] == digest
    assert api.document("/api/v1")[1] == digest


def test_unknown_group_version(api):
    assert api.document("apis/batch/v1") is None


def test_hash_is_stable_and_follows_content():
    a = OpenAPIV3([POD, CONFIGMAP]).index()["paths"]["api/v1"]
    b = OpenAPIV3([CONFIGMAP, POD]).index()["paths"]["api/v1"]
    c = OpenAPIV3([POD]).index()["paths"]["api/v1"]
    assert a == b
    assert a != c


def test_document_header(core):
    assert core["openapi"] == "3.0.0"
    assert core["info"]["title"] == "Kubernetes"
    assert core["info"]["version"].startswith("v1.30.")


def test_pod_patch_operation_is_what_kubectl_looks_for(core):
    op = core["paths"]["/api/v1/namespaces/{namespace}/pods/{name}"]["patch"]
    assert op["operationId"] == "patchCoreV1NamespacedPod"
    assert op["x-kubernetes-action"] == "patch"
    assert op["x-kubernetes-group-version-kind"] == {"group": "", "kind": "Pod", "version": "v1"}
    assert [p["name"] for p in op["parameters"]] == ["dryRun", "fieldManager", "fieldValidation", "force"]
    assert sorted(op["requestBody"]["content"]) == [
        "application/apply-patch+yaml",
        "application/json-patch+json",
        "application/merge-patch+json",
        "application/strategic-merge-patch+json",
    ]
    ok = op["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/io.k8s.api.core.v1.Pod"}


OPERATION_IDS = {
    ("/api/v1/namespaces/{namespace}/pods", "post"): ("createCoreV1NamespacedPod", "post"),
    ("/api/v1/namespaces/{namespace}/pods", "get"): ("listCoreV1NamespacedPod", "list"),
    ("/api/v1/namespaces/{namespace}/pods", "delete"): (
        "deleteCoreV1CollectionNamespacedPod",
        "deletecollection",
    ),
    ("/api/v1/namespaces/{namespace}/pods/{name}", "get"): ("readCoreV1NamespacedPod", "get"),
    ("/api/v1/namespaces/{namespace}/pods/{name}", "put"): ("replaceCoreV1NamespacedPod", "put"),
    ("/api/v1/namespaces/{namespace}/pods/{name}", "delete"): ("deleteCoreV1NamespacedPod", "delete"),
    ("/api/v1/namespaces/{namespace}/pods/{name}/status", "patch"): (
        "patchCoreV1NamespacedPodStatus",
        "patch",
    ),
    ("/api/v1/namespaces/{namespace}/pods/{name}/eviction", "post"): (
        "createCoreV1NamespacedPodEviction",
        "post",
    ),
    ("/api/v1/pods", "get"): ("listCoreV1PodForAllNamespaces", "list"),
    ("/api/v1/namespaces", "post"): ("createCoreV1Namespace", "post"),
    ("/api/v1/namespaces/{name}/status", "put"): ("replaceCoreV1NamespaceStatus", "put"),
}


@pytest.mark.parametrize("where,expected", OPERATION_IDS.items(), ids=[f"{p} {m}" for p, m in OPERATION_IDS])
def test_operation_ids(core, where, expected):
    path, method = where
    op = core["paths"][path][method]
    assert (op["operationId"], op["x-kubernetes-action"]) == expected


def test_paths_present_and_absent(core):
    paths = set(core["paths"])
    assert "/api/v1/namespaces/{namespace}/pods/{name}/log" not in paths  # no schema to describe it
    assert "/api/v1/namespaces" in paths and "/api/v1/namespaces/{name}" in paths
    assert "/api/v1/namespaces/{namespace}/namespaces" not in paths


def test_write_operations_carry_field_validation(core):
    for path, item in core["paths"].items():
        for method in ("post", "put", "patch"):
            if method in item:
                names = [p["name"] for p in item[method]["parameters"]]
                assert "fieldValidation" in names and "dryRun" in names, (path, method)


def test_path_parameters(core):
    item = core["paths"]["/api/v1/namespaces/{namespace}/pods/{name}"]
    assert [(p["name"], p["in"], p.get("required")) for p in item["parameters"]] == [
        ("name", "path", True),
        ("namespace", "path", True),
        ("pretty", "query", None),
    ]


def test_deployment_scale_and_status(apps):
    scale = apps["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"]
    assert scale["patch"]["operationId"] == "patchAppsV1NamespacedDeploymentScale"
    assert scale["get"]["x-kubernetes-group-version-kind"] == {
        "group": "autoscaling",
        "kind": "Scale",
        "version": "v1",
    }
    assert "io.k8s.api.autoscaling.v1.Scale" in apps["components"]["schemas"]
    status = apps["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status"]
    assert status["patch"]["x-kubernetes-group-version-kind"]["kind"] == "Deployment"
    main = apps["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
    assert main["operationId"] == "patchAppsV1NamespacedDeployment"


def test_group_names_in_operation_ids(api):
    doc = orjson.loads(api.document("apis/rbac.authorization.k8s.io/v1")[0])
    op = doc["paths"]["/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/roles"]["post"]
    assert op["operationId"] == "createRbacAuthorizationV1NamespacedRole"
    assert op["tags"] == ["rbacAuthorization_v1"]


def _walk(node, visit):
    if isinstance(node, dict):
        visit(node)
        for key, value in node.items():
            if key == "properties":
                for sub in value.values():
                    _walk(sub, visit)
            else:
                _walk(value, visit)
    elif isinstance(node, list):
        for value in node:
            _walk(value, visit)


@pytest.mark.parametrize("which", ["core", "apps"])
def test_refs_resolve_and_schemas_are_plain_openapi(which, request):
    doc = request.getfixturevalue(which)
    schemas = doc["components"]["schemas"]
    problems = []

    def visit(node):
        ref = node.get("$ref")
        if ref is not None:
            if not ref.startswith("#/components/schemas/") or ref.split("/")[-1] not in schemas:
                problems.append(("unresolved", ref))
            if len(node) > 1:
                problems.append(("ref with siblings", node))
        if node.get("additionalProperties") is True:
            problems.append(("additionalProperties: true", node))
        if isinstance(node.get("type"), list):
            problems.append(("type list", node["type"]))

    _walk(doc, visit)
    assert problems == []


def test_only_reachable_schemas(core, apps):
    assert "io.k8s.api.apps.v1.Deployment" not in core["components"]["schemas"]
    assert "io.k8s.api.core.v1.Pod" not in apps["components"]["schemas"]
    assert "io.k8s.api.core.v1.PodSpec" in apps["components"]["schemas"]  # via the pod template
    for name in ("DeleteOptions", "Status", "Patch", "ObjectMeta"):
        assert "io.k8s.apimachinery.pkg.apis.meta.v1." + name in core["components"]["schemas"]


def test_pod_schema(core):
    pod = core["components"]["schemas"]["io.k8s.api.core.v1.Pod"]
    assert pod["x-kubernetes-group-version-kind"] == [{"group": "", "kind": "Pod", "version": "v1"}]
    assert pod["type"] == "object"
    assert pod["properties"]["kind"]["type"] == "string"
    assert "enum" not in pod["properties"]["kind"] and "enum" not in pod["properties"]["apiVersion"]
    assert pod["properties"]["spec"]["allOf"] == [{"$ref": "#/components/schemas/io.k8s.api.core.v1.PodSpec"}]
    assert pod["properties"]["spec"]["description"].startswith("Specification of the desired behavior")


def test_scheduling_gates_schema(core):
    gates = core["components"]["schemas"]["io.k8s.api.core.v1.PodSpec"]["properties"]["schedulingGates"]
    assert gates["type"] == "array"
    assert gates["items"] == {"$ref": "#/components/schemas/io.k8s.api.core.v1.PodSchedulingGate"}
    assert gates["x-kubernetes-patch-merge-key"] == "name"
    assert gates["x-kubernetes-patch-strategy"] == "merge"
    assert gates["x-kubernetes-list-type"] == "map"
    assert gates["x-kubernetes-list-map-keys"] == ["name"]
    gate = core["components"]["schemas"]["io.k8s.api.core.v1.PodSchedulingGate"]
    assert gate["required"] == ["name"]


def test_int_or_string_and_quantity_as_upstream(apps):
    schemas = apps["components"]["schemas"]
    ios = schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]
    assert ios["format"] == "int-or-string"
    assert ios["oneOf"] == [{"type": "integer"}, {"type": "string"}]
    assert schemas["io.k8s.apimachinery.pkg.api.resource.Quantity"]["oneOf"] == [
        {"type": "string"},
        {"type": "number"},
    ]


def test_maps_keep_value_schemas(core):
    labels = core["components"]["schemas"]["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]["properties"][
        "labels"
    ]
    assert labels == {**labels, "type": "object", "additionalProperties": {"type": "string"}}


CONVERT_CASES = {
    "nullable type": (
        {"type": ["string", "null"], "format": "date-time"},
        {"type": "string", "format": "date-time"},
    ),
    "bare ref": ({"$ref": "#/$defs/a.B"}, {"$ref": "#/components/schemas/a.B"}),
    "ref with description": (
        {"$ref": "#/$defs/a.B", "description": "d"},
        {"allOf": [{"$ref": "#/components/schemas/a.B"}], "description": "d"},
    ),
    "additionalProperties true dropped": (
        {"type": "object", "additionalProperties": True},
        {"type": "object"},
    ),
    "property named like a keyword": (
        {"properties": {"oneOf": {"type": ["array", "null"], "items": {"$ref": "#/$defs/X"}}}},
        {"properties": {"oneOf": {"type": "array", "items": {"$ref": "#/components/schemas/X"}}}},
    ),
    "enum kept off type meta only": (
        {
            "properties": {
                "kind": {"type": "string", "enum": ["Pod"]},
                "mode": {"type": "string", "enum": ["A"]},
            }
        },
        {"properties": {"kind": {"type": "string"}, "mode": {"type": "string", "enum": ["A"]}}},
    ),
}


@pytest.mark.parametrize("node,expected", CONVERT_CASES.values(), ids=CONVERT_CASES.keys())
def test_convert(node, expected):
    assert convert(node) == expected


@pytest.mark.parametrize(
    "group,expected",
    [
        ("", "Core"),
        ("apps", "Apps"),
        ("rbac.authorization.k8s.io", "RbacAuthorization"),
        ("flowcontrol.apiserver.k8s.io", "FlowcontrolApiserver"),
        ("stable.example.com", "StableExampleCom"),
    ],
)
def test_group_friendly(group, expected):
    assert group_friendly(group) == expected


def test_custom_resource_document_has_no_strategic_merge_patch():
    widget = ResourceType(
        group="example.com", version="v1", kind="Widget", plural="widgets", namespaced=True, builtin=False
    )
    widget.schema = {
        "type": "object",
        "properties": {"spec": {"type": "object", "properties": {"size": {"type": "integer"}}}},
    }
    api = OpenAPIV3([widget])
    doc = orjson.loads(api.document("apis/example.com/v1")[0])
    op = doc["paths"]["/apis/example.com/v1/namespaces/{namespace}/widgets/{name}"]["patch"]
    assert "application/strategic-merge-patch+json" not in op["requestBody"]["content"]
    assert "application/merge-patch+json" in op["requestBody"]["content"]
    assert op["operationId"] == "patchExampleComV1NamespacedWidget"
    name = crd_definition_name("example.com", "v1", "Widget")
    assert name == "com.example.v1.Widget"
    schema = doc["components"]["schemas"][name]
    assert schema["x-kubernetes-group-version-kind"] == [
        {"group": "example.com", "kind": "Widget", "version": "v1"}
    ]
    assert schema["properties"]["spec"]["properties"]["size"] == {"type": "integer"}
    assert "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" in doc["components"]["schemas"]
