"""lightkube, unchanged, against `uwe up`: server-side apply, every patch type, a CRD waited on until
Established and then used through generic resources, watch and deletecollection."""

from __future__ import annotations

import pytest
from python_ecosystem import crd_manifest, uwe  # noqa: F401  (module-scoped `uwe up` fixture)

pytest.importorskip("lightkube")
from lightkube import ApiError, Client, KubeConfig, codecs  # noqa: E402
from lightkube.generic_resource import (  # noqa: E402
    create_namespaced_resource,
    get_generic_resource,
    load_in_cluster_generic_resources,
)
from lightkube.models.apps_v1 import DeploymentSpec  # noqa: E402
from lightkube.models.core_v1 import Container, PodSpec, PodTemplateSpec  # noqa: E402
from lightkube.models.meta_v1 import LabelSelector, ObjectMeta  # noqa: E402
from lightkube.resources.apiextensions_v1 import CustomResourceDefinition  # noqa: E402
from lightkube.resources.apps_v1 import Deployment  # noqa: E402
from lightkube.resources.core_v1 import ConfigMap, Namespace  # noqa: E402
from lightkube.types import PatchType  # noqa: E402

pytestmark = pytest.mark.e2e

NS = "eco-lk"


@pytest.fixture(scope="module")
def lk(uwe):  # noqa: F811
    c = Client(config=KubeConfig.from_file(str(uwe.kubeconfig)), field_manager="lk-test")
    c.create(Namespace(metadata=ObjectMeta(name=NS)))
    yield c
    c._client._client.close()


def _deployment(name: str) -> Deployment:
    labels = {"app": name}
    return Deployment(
        metadata=ObjectMeta(name=name, namespace=NS, labels=labels),
        spec=DeploymentSpec(
            replicas=1,
            selector=LabelSelector(matchLabels=labels),
            template=PodTemplateSpec(metadata=ObjectMeta(labels=labels), spec=PodSpec(containers=[
                Container(name="app", image="nginx:1.25"), Container(name="log", image="busybox:1.36")])),
        ),
    )


def test_create_records_the_client_field_manager(lk):
    cm = lk.create(ConfigMap(metadata=ObjectMeta(name="created"), data={"a": "1"}), namespace=NS)
    assert [(m.manager, m.operation) for m in cm.metadata.managedFields] == [("lk-test", "Update")]


def test_server_side_apply(lk):
    cm = ConfigMap(metadata=ObjectMeta(name="applied", namespace=NS, labels={"v": "1"}), data={"k": "v1"})
    out = lk.apply(cm, field_manager="lk-apply")
    assert (out.data, out.metadata.labels) == ({"k": "v1"}, {"v": "1"})
    assert [(m.manager, m.operation) for m in out.metadata.managedFields] == [("lk-apply", "Apply")]
    # Re-applying changes what the manager owns and drops what it no longer sets.
    out = lk.apply(ConfigMap(metadata=ObjectMeta(name="applied", namespace=NS), data={"k": "v2"}),
                   field_manager="lk-apply")
    assert (out.data, out.metadata.labels) == ({"k": "v2"}, None)
    # Another manager conflicts until it forces.
    other = ConfigMap(metadata=ObjectMeta(name="applied", namespace=NS), data={"k": "other"})
    with pytest.raises(ApiError) as exc:
        lk.apply(other, field_manager="lk-other")
    assert exc.value.status.code == 409
    assert exc.value.status.message == 'Apply failed with 1 conflict: conflict with "lk-apply": .data.k'
    out = lk.apply(other, field_manager="lk-other", force=True)
    assert out.data == {"k": "other"}
    assert {m.manager for m in out.metadata.managedFields} == {"lk-other"}


def test_patch_types(lk):
    lk.create(_deployment("patched"))
    # Strategic (lightkube's default): containers merge by name.
    d = lk.patch(Deployment, "patched", {"spec": {"template": {"spec": {"containers": [
        {"name": "app", "image": "nginx:1.26"}]}}}}, namespace=NS)
    assert [(c.name, c.image) for c in d.spec.template.spec.containers] == [
        ("app", "nginx:1.26"), ("log", "busybox:1.36")]
    # Merge: the list is replaced.
    d = lk.patch(Deployment, "patched", {"spec": {"template": {"spec": {"containers": [
        {"name": "app", "image": "nginx:1.27"}]}}}}, namespace=NS, patch_type=PatchType.MERGE)
    assert [(c.name, c.image) for c in d.spec.template.spec.containers] == [("app", "nginx:1.27")]
    # JSON patch.
    d = lk.patch(Deployment, "patched", [{"op": "replace", "path": "/spec/replicas", "value": 2},
                                         {"op": "add", "path": "/metadata/annotations", "value": {"x": "y"}}],
                 namespace=NS, patch_type=PatchType.JSON)
    assert (d.spec.replicas, d.metadata.annotations) == (2, {"x": "y"})
    # Apply through patch: the body is a full object, the field manager is required.
    d = lk.patch(Deployment, "patched", {"apiVersion": "apps/v1", "kind": "Deployment",
                                         "metadata": {"name": "patched", "labels": {"team": "a"}}},
                 namespace=NS, patch_type=PatchType.APPLY, field_manager="lk-apply")
    assert d.metadata.labels == {"app": "patched", "team": "a"}
    assert ("lk-apply", "Apply") in [(m.manager, m.operation) for m in d.metadata.managedFields]
    # The scale subresource, read through its own model.
    scale = lk.get(Deployment.Scale, "patched", namespace=NS)
    assert (scale.spec.replicas, scale.status.selector) == (2, "app=patched")


def test_crd_established_then_generic_resources(lk):
    crd = codecs.from_dict(crd_manifest("lk.example.com", "Gadget", "gadgets"))
    lk.create(crd)
    established = lk.wait(CustomResourceDefinition, "gadgets.lk.example.com", for_conditions=["Established"])
    assert {c.type: c.status for c in established.status.conditions} == {
        "NamesAccepted": "True", "Established": "True"}

    Gadget = create_namespaced_resource("lk.example.com", "v1", "Gadget", "gadgets")
    g = lk.create(Gadget(metadata=ObjectMeta(name="g1", namespace=NS), spec={"size": 3}))
    assert g.spec == {"size": 3} and g.metadata.uid
    g = lk.patch(Gadget, "g1", {"spec": {"size": 4}}, namespace=NS, patch_type=PatchType.MERGE)
    assert g.spec == {"size": 4}
    g = lk.patch(Gadget.Status, "g1", {"status": {"ready": True}}, namespace=NS, patch_type=PatchType.MERGE)
    assert (g.spec, g.status) == ({"size": 4}, {"ready": True})
    # Custom resources take no strategic merge patch.
    with pytest.raises(ApiError) as exc:
        lk.patch(Gadget, "g1", {"spec": {"size": 5}}, namespace=NS)
    assert exc.value.status.code == 415

    # Loading generic resources lists the CRDs and registers their kinds.
    load_in_cluster_generic_resources(lk)
    loaded = get_generic_resource("lk.example.com/v1", "Gadget")
    assert [x.metadata.name for x in lk.list(loaded, namespace=NS)] == ["g1"]
    applied = lk.apply(codecs.from_dict({"apiVersion": "lk.example.com/v1", "kind": "Gadget",
                                         "metadata": {"name": "g2", "namespace": NS}, "spec": {"size": 1}}))
    assert applied.spec == {"size": 1}
    assert sorted(x.metadata.name for x in lk.list(Gadget, namespace=NS)) == ["g1", "g2"]
    lk.deletecollection(Gadget, namespace=NS)
    assert list(lk.list(Gadget, namespace=NS)) == []


def test_watch_and_deletecollection(lk):
    ns = "eco-lk-dc"
    lk.create(Namespace(metadata=ObjectMeta(name=ns)))
    keep = "eco-lk-keep"
    lk.create(Namespace(metadata=ObjectMeta(name=keep)))
    for i in range(3):
        lk.create(ConfigMap(metadata=ObjectMeta(name=f"cm{i}", labels={"batch": "x"})), namespace=ns)
    lk.create(ConfigMap(metadata=ObjectMeta(name="kept")), namespace=keep)
    rv = lk.get(ConfigMap, "cm2", namespace=ns).metadata.resourceVersion

    lk.deletecollection(ConfigMap, namespace=ns)
    assert [c.metadata.name for c in lk.list(ConfigMap, namespace=ns, labels={"batch": "x"})] == []
    assert [c.metadata.name for c in lk.list(ConfigMap, namespace=keep)] == ["kept", "kube-root-ca.crt"]

    events = []
    for op, obj in lk.watch(ConfigMap, namespace=ns, labels={"batch": "x"}, resource_version=rv, server_timeout=1):
        events.append((op, obj.metadata.name))
        if len(events) == 3:
            break
    assert sorted(events) == [("DELETED", "cm0"), ("DELETED", "cm1"), ("DELETED", "cm2")]
