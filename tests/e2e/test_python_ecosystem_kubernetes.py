"""The official `kubernetes` client, unchanged, against `uwe up`: create_from_yaml with a `kind: List`,
patches of every type on a Deployment and a ConfigMap (strategic, merge, JSON, server-side apply),
and a typed watch of Deployments that sees each patch.

tests/e2e/test_python_client.py covers the core CRUD, 404/409 bodies and configmap/pod watches.
"""

from __future__ import annotations

import gc
import json
import textwrap

import pytest
from kubeutil import wait_for
from python_ecosystem import uwe  # noqa: F401  (module-scoped `uwe up` fixture)

pytest.importorskip("kubernetes")
from kubernetes import client, config, utils, watch  # noqa: E402
from kubernetes.client.rest import ApiException  # noqa: E402

pytestmark = pytest.mark.e2e

NS = "eco-k8s"

MANIFEST = textwrap.dedent("""\
    apiVersion: v1
    kind: List
    items:
    - apiVersion: v1
      kind: ConfigMap
      metadata: {name: web-config, labels: {app: web}}
      data: {greeting: hello}
    - apiVersion: v1
      kind: Service
      metadata: {name: web, labels: {app: web}}
      spec:
        selector: {app: web}
        ports: [{name: http, port: 80, targetPort: 8080}]
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web, labels: {app: web}}
    spec:
      replicas: 1
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web}}
        spec:
          containers:
          - name: web
            image: nginx:1.25
            env: [{name: MODE, value: one}]
          - name: sidecar
            image: busybox:1.36
    ---
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: second}
    data: {b: "2"}
    """)


@pytest.fixture(scope="module")
def api(uwe):  # noqa: F811
    api_client = config.new_client_from_config(str(uwe.kubeconfig))
    client.CoreV1Api(api_client).create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=NS)))
    yield api_client
    api_client.close()
    # Idle keep-alive sockets would hold up the server's graceful shutdown.
    api_client.last_response = None
    api_client.rest_client.pool_manager.clear()
    gc.collect()


@pytest.fixture(scope="module")
def created(api, tmp_path_factory):
    path = tmp_path_factory.mktemp("manifests") / "web.yaml"
    path.write_text(MANIFEST)
    return utils.create_from_yaml(api, str(path), namespace=NS)


def test_create_from_yaml_multi_document_with_a_list(api, created):
    # One list of results per document; the `kind: List` document gives one result per item.
    kinds = [[type(o).__name__ for o in doc] for doc in created]
    assert kinds == [["V1ConfigMap", "V1Service"], ["V1Deployment"], ["V1ConfigMap"]]
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    assert sorted(c.metadata.name for c in core.list_namespaced_config_map(NS, label_selector="app=web").items) == ["web-config"]
    assert core.read_namespaced_config_map("second", NS).data == {"b": "2"}
    svc = core.read_namespaced_service("web", NS)
    assert svc.spec.type == "ClusterIP" and svc.spec.cluster_ip
    assert [(p.name, p.port, p.target_port, p.protocol) for p in svc.spec.ports] == [("http", 80, 8080, "TCP")]
    dep = apps.read_namespaced_deployment("web", NS)
    assert dep.spec.strategy.type == "RollingUpdate"
    assert dep.spec.template.spec.containers[0].termination_message_path == "/dev/termination-log"


def test_create_from_yaml_existing_objects_fail_with_409(api, created, tmp_path):
    path = tmp_path / "again.yaml"
    path.write_text(MANIFEST)
    with pytest.raises(utils.FailToCreateError) as exc:
        utils.create_from_yaml(api, str(path), namespace=NS)
    assert [e.status for e in exc.value.api_exceptions] == [409, 409, 409, 409]


CRD = textwrap.dedent("""\
    apiVersion: apiextensions.k8s.io/v1
    kind: CustomResourceDefinition
    metadata: {name: gizmos.k8s.example.com}
    spec:
      group: k8s.example.com
      scope: Namespaced
      names: {plural: gizmos, singular: gizmo, kind: Gizmo}
      versions:
      - name: v1
        served: true
        storage: true
        schema:
          openAPIV3Schema:
            type: object
            properties:
              spec:
                type: object
                properties:
                  size: {type: integer, default: 1}
    """)

APPLIED = textwrap.dedent("""\
    apiVersion: k8s.example.com/v1
    kind: Gizmo
    metadata: {name: g1}
    spec: {}
    ---
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: second}
    data: {b: "2", c: "3"}
    """)


def test_create_from_yaml_with_apply_takes_custom_resources_and_existing_objects(api, created, tmp_path):
    (tmp_path / "crd.yaml").write_text(CRD)
    [[crd]] = utils.create_from_yaml(api, str(tmp_path / "crd.yaml"))
    assert type(crd).__name__ == "V1CustomResourceDefinition"
    ext = client.ApiextensionsV1Api(api)
    wait_for(lambda: any(c.type == "Established" and c.status == "True"
                         for c in ext.read_custom_resource_definition("gizmos.k8s.example.com").status.conditions or []),
             what="the gizmos CRD to be established")
    # apply=True goes through the DynamicClient (discovery) and server-side apply.
    (tmp_path / "applied.yaml").write_text(APPLIED)
    [[gizmo], [cm]] = utils.create_from_yaml(api, str(tmp_path / "applied.yaml"), namespace=NS, apply=True)
    assert (gizmo.metadata.namespace, gizmo.spec.size) == (NS, 1), "the CRD's schema default applies"
    assert cm.data.to_dict() == {"b": "2", "c": "3"}  # dynamic ResourceFields, not models
    assert ("python-client", "Apply") in [(m.manager, m.operation) for m in cm.metadata.managedFields]
    custom = client.CustomObjectsApi(api)
    assert custom.get_namespaced_custom_object("k8s.example.com", "v1", NS, "gizmos", "g1")["spec"] == {"size": 1}


def test_delete_collection_by_label(api, created):
    core = client.CoreV1Api(api)
    for i, group in enumerate("aab"):
        core.create_namespaced_config_map(NS, client.V1ConfigMap(
            metadata=client.V1ObjectMeta(name=f"dc{i}", labels={"grp": group})))
    core.delete_collection_namespaced_config_map(NS, label_selector="grp=a")
    assert [c.metadata.name for c in core.list_namespaced_config_map(NS, label_selector="grp").items] == ["dc2"]


def test_patch_types_on_a_deployment_seen_by_a_typed_watch(api, created):
    apps = client.AppsV1Api(api)
    rv = apps.read_namespaced_deployment("web", NS).metadata.resource_version

    # A dict body is a strategic merge patch: containers merge by name, env by name.
    d = apps.patch_namespaced_deployment("web", NS, {"spec": {"replicas": 2, "template": {"spec": {"containers": [
        {"name": "web", "env": [{"name": "EXTRA", "value": "x"}]}]}}}})
    web, sidecar = d.spec.template.spec.containers
    assert (web.image, [(e.name, e.value) for e in web.env], sidecar.name) == (
        "nginx:1.25", [("EXTRA", "x"), ("MODE", "one")], "sidecar")

    # $patch: delete removes one list element by its merge key.
    d = apps.patch_namespaced_deployment("web", NS, {"spec": {"template": {"spec": {"containers": [
        {"name": "sidecar", "$patch": "delete"}]}}}})
    assert [c.name for c in d.spec.template.spec.containers] == ["web"]

    # A merge patch replaces lists wholesale.
    d = apps.patch_namespaced_deployment("web", NS, {"spec": {"template": {"spec": {"containers": [
        {"name": "web", "image": "nginx:1.26"}]}}}}, _content_type="application/merge-patch+json")
    assert [(c.name, c.image, c.env) for c in d.spec.template.spec.containers] == [("web", "nginx:1.26", None)]

    # A list body is a JSON patch; `test` guards it.
    d = apps.patch_namespaced_deployment("web", NS, [
        {"op": "test", "path": "/spec/replicas", "value": 2},
        {"op": "replace", "path": "/spec/replicas", "value": 3},
        {"op": "add", "path": "/metadata/labels/tier", "value": "front"},
    ])
    assert (d.spec.replicas, d.metadata.labels) == (3, {"app": "web", "tier": "front"})
    with pytest.raises(ApiException) as exc:
        apps.patch_namespaced_deployment("web", NS, [{"op": "test", "path": "/spec/replicas", "value": 2},
                                                     {"op": "replace", "path": "/spec/replicas", "value": 9}])
    assert exc.value.status == 422
    assert apps.read_namespaced_deployment("web", NS).spec.replicas == 3

    seen = []
    for event in watch.Watch().stream(apps.list_namespaced_deployment, NS, resource_version=rv, timeout_seconds=1):
        obj = event["object"]
        assert isinstance(obj, client.V1Deployment)
        key = (event["type"], obj.spec.replicas, [c.image for c in obj.spec.template.spec.containers],
               obj.metadata.generation)
        if not seen or seen[-1] != key:  # status updates from the controller repeat the spec
            seen.append(key)
    spec_events = [s for s in seen if s[0] == "MODIFIED"]
    assert [(r, imgs, g) for _, r, imgs, g in spec_events] == [
        (2, ["nginx:1.25", "busybox:1.36"], 2),
        (2, ["nginx:1.25"], 3),
        (2, ["nginx:1.26"], 4),
        (3, ["nginx:1.26"], 5),
    ]


def test_server_side_apply_on_a_configmap(api, created):
    core = client.CoreV1Api(api)
    apply = "application/apply-patch+yaml"
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa", "labels": {"owner": "a"}},
            "data": {"one": "1", "shared": "a"}}
    cm = core.patch_namespaced_config_map("ssa", NS, body, field_manager="mgr-a", _content_type=apply)
    assert cm.data == {"one": "1", "shared": "a"}
    assert [(m.manager, m.operation) for m in cm.metadata.managed_fields] == [("mgr-a", "Apply")]
    assert cm.metadata.managed_fields[0].fields_v1 == {
        "f:data": {"f:one": {}, "f:shared": {}}, "f:metadata": {"f:labels": {"f:owner": {}}}}

    # Another manager setting the same field to another value conflicts...
    other = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa"}, "data": {"shared": "b", "two": "2"}}
    with pytest.raises(ApiException) as exc:
        core.patch_namespaced_config_map("ssa", NS, other, field_manager="mgr-b", _content_type=apply)
    assert exc.value.status == 409
    status = json.loads(exc.value.body)
    assert status["message"] == 'Apply failed with 1 conflict: conflict with "mgr-a": .data.shared'
    assert status["details"]["causes"] == [
        {"reason": "FieldManagerConflict", "message": 'conflict with "mgr-a"', "field": ".data.shared"}]

    # ...until it forces, and takes the field over.
    cm = core.patch_namespaced_config_map("ssa", NS, other, field_manager="mgr-b", force=True, _content_type=apply)
    assert cm.data == {"one": "1", "shared": "b", "two": "2"}
    owners = {m.manager: m.fields_v1 for m in cm.metadata.managed_fields}
    assert owners == {"mgr-a": {"f:data": {"f:one": {}}, "f:metadata": {"f:labels": {"f:owner": {}}}},
                      "mgr-b": {"f:data": {"f:shared": {}, "f:two": {}}}}

    # Re-applying without a field removes it: mgr-a drops "one" and the label.
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa"}, "data": {}}
    cm = core.patch_namespaced_config_map("ssa", NS, body, field_manager="mgr-a", _content_type=apply)
    assert (cm.data, cm.metadata.labels) == ({"shared": "b", "two": "2"}, None)

    # Apply without a field manager is refused, as upstream.
    with pytest.raises(ApiException) as exc:
        core.patch_namespaced_config_map("ssa", NS, other, _content_type=apply)
    assert exc.value.status == 422
    assert json.loads(exc.value.body)["message"] == (
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch')
