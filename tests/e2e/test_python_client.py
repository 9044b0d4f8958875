"""The official `kubernetes` Python client (30.x): create, list, watch, patch and delete pods and configmaps."""

from __future__ import annotations

import gc
import time

import pytest
from kubeutil import ensure_namespace

k8s = pytest.importorskip("kubernetes")
from kubernetes import client, watch  # noqa: E402
from kubernetes.client.rest import ApiException  # noqa: E402

pytestmark = pytest.mark.e2e

NS = "pyclient"


@pytest.fixture(scope="module")
def v1(cluster):
    ensure_namespace(cluster.client(), NS)
    api_client = cluster.python_client()
    yield client.CoreV1Api(api_client)
    api_client.close()
    # ApiClient.close() leaves urllib3's keep-alive sockets open (`last_response` pins the last one),
    # and the server's graceful shutdown would wait on them.
    api_client.last_response = None
    api_client.rest_client.pool_manager.clear()
    gc.collect()


def _cm(name: str, data: dict | None = None, labels: dict | None = None) -> client.V1ConfigMap:
    return client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name, labels=labels), data=data)


def _pod(name: str, labels: dict | None = None) -> client.V1Pod:
    return client.V1Pod(
        metadata=client.V1ObjectMeta(name=name, labels=labels),
        spec=client.V1PodSpec(containers=[client.V1Container(name="main", image="nginx:1.25")]),
    )


def test_configmap_create_read_list(v1):
    created = v1.create_namespaced_config_map(NS, _cm("py-a", {"k": "v"}, {"app": "py"}))
    assert created.metadata.name == "py-a"
    assert created.metadata.namespace == NS
    assert created.metadata.uid and created.metadata.resource_version and created.metadata.creation_timestamp
    assert created.data == {"k": "v"}
    read = v1.read_namespaced_config_map("py-a", NS)
    assert read.metadata.uid == created.metadata.uid
    v1.create_namespaced_config_map(NS, _cm("py-b", {"k": "w"}, {"app": "other"}))
    listed = v1.list_namespaced_config_map(NS, label_selector="app=py")
    assert [i.metadata.name for i in listed.items] == ["py-a"]
    assert listed.metadata.resource_version
    assert listed.kind == "ConfigMapList"
    everywhere = v1.list_config_map_for_all_namespaces(field_selector="metadata.name=py-b")
    assert [(i.metadata.namespace, i.metadata.name) for i in everywhere.items] == [(NS, "py-b")]


def test_duplicate_create_returns_upstreams_exact_409(v1):
    v1.create_namespaced_config_map(NS, _cm("x"))
    with pytest.raises(ApiException) as exc:
        v1.create_namespaced_config_map(NS, _cm("x"))
    assert exc.value.status == 409
    assert exc.value.reason == "Conflict"
    assert exc.value.body == (
        '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps \\"x\\" already '
        'exists","reason":"AlreadyExists","details":{"name":"x","kind":"configmaps"},"code":409}\n'
    )


def test_read_missing_is_404(v1):
    with pytest.raises(ApiException) as exc:
        v1.read_namespaced_pod("missing", NS)
    assert exc.value.status == 404
    assert exc.value.body == (
        '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \\"missing\\" not found",'
        '"reason":"NotFound","details":{"name":"missing","kind":"pods"},"code":404}\n'
    )


def test_pod_create_list_patch_delete(v1):
    created = v1.create_namespaced_pod(NS, _pod("py-pod", {"app": "py"}))
    assert created.status.phase == "Pending"
    assert created.spec.containers[0].image_pull_policy == "IfNotPresent"
    assert created.spec.service_account_name == "default"
    pods = v1.list_namespaced_pod(NS, label_selector="app=py", field_selector="status.phase=Pending")
    assert [p.metadata.name for p in pods.items] == ["py-pod"]
    # A dict body goes as a strategic merge patch: containers merge by name.
    patched = v1.patch_namespaced_pod("py-pod", NS, {"metadata": {"labels": {"extra": "1"}},
                                                     "spec": {"containers": [{"name": "main", "image": "nginx:1.26"}]}})
    assert patched.metadata.labels == {"app": "py", "extra": "1"}
    assert patched.spec.containers[0].image == "nginx:1.26"
    assert int(patched.metadata.resource_version) > int(created.metadata.resource_version)
    # A list body goes as a JSON patch.
    patched = v1.patch_namespaced_pod("py-pod", NS, [{"op": "remove", "path": "/metadata/labels/extra"}])
    assert patched.metadata.labels == {"app": "py"}
    deleted = v1.delete_namespaced_pod("py-pod", NS)
    assert deleted.metadata.name == "py-pod"  # pods answer with the object
    with pytest.raises(ApiException) as exc:
        v1.read_namespaced_pod("py-pod", NS)
    assert exc.value.status == 404


def test_configmap_patch_and_delete(v1):
    v1.create_namespaced_config_map(NS, _cm("py-patch", {"a": "1", "b": "2"}))
    patched = v1.patch_namespaced_config_map("py-patch", NS, {"data": {"a": None, "c": "3"}})
    assert patched.data == {"b": "2", "c": "3"}
    status = v1.delete_namespaced_config_map("py-patch", NS)
    assert (status.kind, status.status) == ("Status", "Success")
    assert status.details.name == "py-patch"
    assert status.details.kind == "configmaps"
    assert [i.metadata.name for i in v1.list_namespaced_config_map(NS, field_selector="metadata.name=py-patch").items] == []


def test_watch_from_resource_version_sees_exactly_what_happened(v1):
    ensure_ns = "pywatch"
    v1.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=ensure_ns)))
    v1.create_namespaced_config_map(ensure_ns, _cm("before", {"n": "0"}))
    rv = v1.list_namespaced_config_map(ensure_ns).metadata.resource_version
    v1.create_namespaced_config_map(ensure_ns, _cm("w1", {"n": "1"}))
    v1.patch_namespaced_config_map("w1", ensure_ns, {"data": {"n": "2"}})
    v1.delete_namespaced_config_map("before", ensure_ns)
    v1.create_namespaced_pod(ensure_ns, _pod("not-a-configmap"))

    started = time.monotonic()
    events = [(e["type"], e["object"].metadata.name, (e["object"].data or {}).get("n"))
              for e in watch.Watch().stream(v1.list_namespaced_config_map, ensure_ns,
                                            resource_version=rv, timeout_seconds=1)]
    elapsed = time.monotonic() - started
    assert events == [("ADDED", "w1", "1"), ("MODIFIED", "w1", "2"), ("DELETED", "before", "0")]
    assert 0.9 <= elapsed < 5, "the stream ends when the server's timeout runs out"


def test_watch_without_resource_version_replays_then_follows(v1):
    ns = "pywatch2"
    v1.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=ns)))
    v1.create_namespaced_pod(ns, _pod("existing", {"w": "1"}))
    w = watch.Watch()
    seen = []
    for event in w.stream(v1.list_namespaced_pod, ns, label_selector="w=1", timeout_seconds=5):
        seen.append((event["type"], event["object"].metadata.name))
        if seen == [("ADDED", "existing")]:
            v1.create_namespaced_pod(ns, _pod("unlabelled"))
            v1.create_namespaced_pod(ns, _pod("later", {"w": "1"}))
        if len(seen) == 2:
            w.stop()
    assert seen == [("ADDED", "existing"), ("ADDED", "later")]
    assert isinstance(event["object"], client.V1Pod)

