"""CustomResourceDefinitions over HTTP: served live, validated, defaulted, pruned, with status and
scale subresources, printer columns, several versions over one storage version, and deletion."""

import time

import pytest

CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"
MERGE = {"content-type": "application/merge-patch+json"}


def widget_crd(name="widgets", group="example.com", **extra):
    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "required": ["size"],
                "properties": {
                    "size": {"type": "integer", "minimum": 1, "maximum": 10},
                    "color": {"type": "string", "default": "blue", "enum": ["blue", "red"]},
                    "replicas": {"type": "integer"},
                    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                    "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                    "port": {"x-kubernetes-int-or-string": True},
                    "template": {"type": "object", "x-kubernetes-embedded-resource": True,
                                 "x-kubernetes-preserve-unknown-fields": True},
                },
            },
            "status": {"type": "object", "properties": {"replicas": {"type": "integer"}, "phase": {"type": "string"}}},
        },
    }
    version = {
        "name": "v1", "served": True, "storage": True,
        "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.replicas",
                                                 "statusReplicasPath": ".status.replicas"}},
        "additionalPrinterColumns": [
            {"name": "Size", "type": "integer", "jsonPath": ".spec.size"},
            {"name": "Color", "type": "string", "jsonPath": ".spec.color"},
            {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
        ],
        "schema": {"openAPIV3Schema": schema},
    }
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{name}.{group}"},
        "spec": {"group": group, "scope": "Namespaced",
                 "names": {"plural": name, "kind": name[:-1].capitalize(), "shortNames": [name[:2]],
                           "categories": ["all"]},
                 "versions": [version]},
    }
    crd["spec"].update(extra)
    return crd


def wait_established(api, name, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        crd = api.get(f"{CRDS}/{name}").json()
        conds = {c["type"]: c for c in (crd.get("status") or {}).get("conditions") or []}
        if conds.get("Established", {}).get("status") == "True":
            return crd
        time.sleep(0.05)
    raise AssertionError(f"{name} not established: {crd.get('status')}")


@pytest.fixture(scope="module")
def widgets(cluster):
    api = cluster.client()
    r = api.post(CRDS, json=widget_crd())
    assert r.status_code == 201, r.text
    crd = wait_established(api, "widgets.example.com")
    return crd


W = "/apis/example.com/v1/namespaces/default/widgets"


def test_crd_conditions_and_names(cluster, widgets):
    conds = {c["type"]: c for c in widgets["status"]["conditions"]}
    assert conds["NamesAccepted"]["reason"] == "NoConflicts"
    assert conds["NamesAccepted"]["message"] == "no conflicts found"
    assert conds["Established"]["reason"] == "InitialNamesAccepted"
    assert widgets["status"]["acceptedNames"]["listKind"] == "WidgetList"
    assert widgets["status"]["acceptedNames"]["singular"] == "widget"
    assert widgets["status"]["storedVersions"] == ["v1"]
    assert widgets["spec"]["conversion"] == {"strategy": "None"}


def test_discovery_lists_custom_resource(cluster, widgets):
    api = cluster.client()
    doc = api.get("/apis/example.com/v1").json()
    names = {r["name"]: r for r in doc["resources"]}
    assert names["widgets"]["kind"] == "Widget"
    assert names["widgets"]["shortNames"] == ["wi"]
    assert names["widgets"]["categories"] == ["all"]
    assert "widgets/status" in names and "widgets/scale" in names
    groups = [g["name"] for g in api.get("/apis").json()["groups"]]
    assert "example.com" in groups
    index = api.get("/openapi/v3").json()["paths"]
    assert "apis/example.com/v1" in index
    doc = api.get("/openapi/v3/apis/example.com/v1").json()
    patch = doc["paths"]["/apis/example.com/v1/namespaces/{namespace}/widgets/{name}"]["patch"]
    types = list(patch["requestBody"]["content"])
    assert "application/merge-patch+json" in types and "application/strategic-merge-patch+json" not in types


def test_create_defaults_prunes_and_validates(cluster, widgets):
    api = cluster.client()
    body = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w1"},
            "spec": {"size": 3, "bogus": 1, "free": {"anything": {"goes": True}}, "port": "http",
                     "template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x", "junk": 1}}}}
    r = api.post(W, json=body)
    assert r.status_code == 201, r.text
    w = r.json()
    assert w["spec"]["color"] == "blue"
    assert "bogus" not in w["spec"]
    assert w["spec"]["free"] == {"anything": {"goes": True}}
    assert w["spec"]["port"] == "http"
    assert "junk" not in w["spec"]["template"]["metadata"]
    assert r.headers.get_list("warning") == ['299 - "unknown field \\"spec.bogus\\""',
                                             '299 - "unknown field \\"spec.template.metadata.junk\\""']
    assert w["metadata"]["generation"] == 1

    bad = api.post(W, json={"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "bad"},
                            "spec": {"size": "big", "color": "green"}})
    assert bad.status_code == 422
    status = bad.json()
    assert status["reason"] == "Invalid"
    msg = status["message"]
    assert msg.startswith('Widget.example.com "bad" is invalid: ')
    assert 'spec.size: Invalid value: "string": spec.size in body must be of type integer: "string"' in msg
    assert 'spec.color: Unsupported value: "green": supported values: "blue", "red"' in msg
    fields = {c["field"] for c in status["details"]["causes"]}
    assert fields == {"spec.size", "spec.color"}
    assert api.get(f"{W}/bad").status_code == 404

    missing = api.post(W, json={"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "bad"},
                                "spec": {"size": 11}})
    assert missing.status_code == 422
    assert "spec.size: Invalid value: 11: spec.size in body should be less than or equal to 10" in missing.json()["message"]
    required = api.post(W, json={"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "bad"},
                                 "spec": {}})
    assert "spec.size: Required value" in required.json()["message"]

    strict = api.post(W, params={"fieldValidation": "Strict"}, json={
        "apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "strict"}, "spec": {"size": 1, "nope": 2}})
    assert strict.status_code == 400
    assert 'unknown field "spec.nope"' in strict.json()["message"]


def test_list_items_keep_kind_and_smp_refused(cluster, widgets):
    api = cluster.client()
    api.post(W, json={"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w2"}, "spec": {"size": 2}})
    items = api.get(W).json()["items"]
    assert all(i["kind"] == "Widget" and i["apiVersion"] == "example.com/v1" for i in items)
    r = api.patch(f"{W}/w2", content=b'{"spec":{"size":4}}', headers={"content-type": "application/strategic-merge-patch+json"})
    assert r.status_code == 415
    r = api.patch(f"{W}/w2", content=b'{"spec":{"size":4}}', headers=MERGE)
    assert r.status_code == 200 and r.json()["spec"]["size"] == 4 and r.json()["metadata"]["generation"] == 2


def test_status_and_scale_subresources(cluster, widgets):
    api = cluster.client()
    api.post(W, json={"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w3"},
                      "spec": {"size": 2, "replicas": 1}, "status": {"phase": "ignored"}})
    w = api.get(f"{W}/w3").json()
    assert "status" not in w
    r = api.patch(f"{W}/w3/status", content=b'{"status":{"phase":"Ready","replicas":1},"spec":{"size":9}}', headers=MERGE)
    assert r.status_code == 200, r.text
    assert r.json()["status"]["phase"] == "Ready" and r.json()["spec"]["size"] == 2
    scale = api.get(f"{W}/w3/scale").json()
    assert scale["kind"] == "Scale" and scale["spec"]["replicas"] == 1 and scale["status"]["replicas"] == 1
    r = api.patch(f"{W}/w3/scale", content=b'{"spec":{"replicas":5}}', headers=MERGE)
    assert r.status_code == 200, r.text
    assert api.get(f"{W}/w3").json()["spec"]["replicas"] == 5


def test_printer_columns(cluster, widgets):
    api = cluster.client()
    api.post(W, json={"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w4"}, "spec": {"size": 7, "color": "red"}})
    table = api.get(f"{W}/w4", headers={"accept": TABLE}).json()
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Size", "Color", "Age"]
    assert table["rows"][0]["cells"][:3] == ["w4", 7, "red"]
    out = cluster.kubectl("get", "widgets", "-n", "default").stdout
    assert out.splitlines()[0].split() == ["NAME", "SIZE", "COLOR", "AGE"]
    assert any(line.split()[:3] == ["w4", "7", "red"] for line in out.splitlines())
    short = cluster.kubectl("get", "wi", "w4", "-n", "default", "-o", "jsonpath={.spec.size}").stdout
    assert short == "7"


def test_names_conflict(cluster, widgets):
    api = cluster.client()
    other = widget_crd(name="gadgets")
    other["spec"]["names"]["shortNames"] = ["wi"]
    assert api.post(CRDS, json=other).status_code == 201
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        conds = {c["type"]: c for c in (api.get(f"{CRDS}/gadgets.example.com").json().get("status") or {}).get("conditions") or []}
        if "NamesAccepted" in conds:
            break
        time.sleep(0.05)
    assert conds["NamesAccepted"]["status"] == "False"
    assert conds["NamesAccepted"]["reason"] == "ShortNamesConflict"
    assert conds["NamesAccepted"]["message"] == '"wi" is already in use'
    assert conds["Established"] == {**conds["Established"], "status": "False", "reason": "NotAccepted",
                                    "message": "not all names are accepted"}
    assert api.get("/apis/example.com/v1/namespaces/default/gadgets").status_code == 404


def test_invalid_crds_rejected(cluster):
    api = cluster.client()
    wrong_name = widget_crd(name="things")
    wrong_name["metadata"]["name"] = "stuff.example.com"
    r = api.post(CRDS, json=wrong_name)
    assert r.status_code == 422
    assert 'metadata.name: Invalid value: "stuff.example.com": must be spec.names.plural+"."+spec.group' in r.json()["message"]
    nonstructural = widget_crd(name="things")
    del nonstructural["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["size"]["type"]
    r = api.post(CRDS, json=nonstructural)
    assert r.status_code == 422
    assert ("spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[size].type: "
            "Required value: must not be empty for specified object fields") in r.json()["message"]
    no_dot = widget_crd(name="things", group="example")
    no_dot["metadata"]["name"] = "things.example"
    r = api.post(CRDS, json=no_dot)
    assert 'spec.group: Invalid value: "example": should be a domain with at least one dot' in r.json()["message"]
    assert api.get(f"{CRDS}/things.example.com").status_code == 404


def test_two_versions_one_storage(cluster):
    api = cluster.client()
    crd = widget_crd(name="sprockets")
    v1 = crd["spec"]["versions"][0]
    v2 = {**v1, "name": "v2", "storage": False}
    crd["spec"]["versions"] = [v1, v2]
    assert api.post(CRDS, json=crd).status_code == 201
    wait_established(api, "sprockets.example.com")
    r = api.post("/apis/example.com/v2/namespaces/default/sprockets",
                 json={"apiVersion": "example.com/v2", "kind": "Sprocket", "metadata": {"name": "s"}, "spec": {"size": 1}})
    assert r.status_code == 201, r.text
    assert r.json()["apiVersion"] == "example.com/v2"
    assert api.get("/apis/example.com/v1/namespaces/default/sprockets/s").json()["apiVersion"] == "example.com/v1"
    assert api.get("/apis/example.com").json()["preferredVersion"]["version"] == "v2"
    # Both versions are kept as the storage version (v1): one storageVersionHash.
    from uwernetes.apiserver.discovery import storage_version_hash

    hashes = {v: next(r["storageVersionHash"] for r in api.get(f"/apis/example.com/{v}").json()["resources"]
                      if r["name"] == "sprockets") for v in ("v1", "v2")}
    assert hashes == {"v1": storage_version_hash("example.com", "v1", "Sprocket")} | {
        "v2": storage_version_hash("example.com", "v1", "Sprocket")}


def test_deprecated_versions_warn_on_every_request(cluster):
    api = cluster.client()
    crd = widget_crd(name="gizmos")
    v1 = crd["spec"]["versions"][0]
    v2 = {**v1, "name": "v2", "storage": False, "deprecated": True}
    v3 = {**v1, "name": "v3", "storage": False, "deprecated": True, "deprecationWarning": "use example.com/v1 gizmos"}
    crd["spec"]["versions"] = [v1, v2, v3]
    assert api.post(CRDS, json=crd).status_code == 201
    wait_established(api, "gizmos.example.com")
    body = {"apiVersion": "example.com/v2", "kind": "Gizmo", "metadata": {"name": "g"}, "spec": {"size": 1}}
    created = api.post("/apis/example.com/v2/namespaces/default/gizmos", json=body)
    assert created.status_code == 201
    assert created.headers.get_list("warning") == ['299 - "example.com/v2 Gizmo is deprecated"']
    listed = api.get("/apis/example.com/v3/namespaces/default/gizmos")
    assert listed.headers.get_list("warning") == ['299 - "use example.com/v1 gizmos"']
    assert api.get("/apis/example.com/v1/namespaces/default/gizmos/g").headers.get_list("warning") == []


def test_reads_follow_the_schema_the_object_is_stored_by(cluster):
    # Upstream's storage codec prunes and defaults on every read: a default added to the CRD shows
    # on objects stored before it, and a version that keeps unknown fields cannot smuggle them
    # into the storage version's view.
    api = cluster.client()
    crd = widget_crd(name="knobs")
    v1 = crd["spec"]["versions"][0]
    loose = {"name": "v1alpha1", "served": True, "storage": False,
             "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}
    crd["spec"]["versions"] = [v1, loose]
    assert api.post(CRDS, json=crd).status_code == 201
    wait_established(api, "knobs.example.com")
    path = "/apis/example.com/v1/namespaces/default/knobs"
    assert api.post(path, json={"apiVersion": "example.com/v1", "kind": "Knob", "metadata": {"name": "k1"},
                                "spec": {"size": 2}}).status_code == 201
    loose_obj = {"apiVersion": "example.com/v1alpha1", "kind": "Knob", "metadata": {"name": "k2"},
                 "spec": {"size": 3, "anything": "goes"}}
    assert api.post("/apis/example.com/v1alpha1/namespaces/default/knobs", json=loose_obj).status_code == 201
    assert api.get(f"{path}/k2").json()["spec"] == {"size": 3, "color": "blue"}
    patch = [{"op": "add", "path": "/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/shape",
              "value": {"type": "string", "default": "round"}}]
    r = api.patch(f"{CRDS}/knobs.example.com", json=patch, headers={"content-type": "application/json-patch+json"})
    assert r.status_code == 200, r.text
    deadline = time.monotonic() + 10
    while api.get(f"{path}/k1").json()["spec"].get("shape") != "round":
        assert time.monotonic() < deadline, api.get(f"{path}/k1").json()
        time.sleep(0.05)
    listed = {i["metadata"]["name"]: i["spec"] for i in api.get(path).json()["items"]}
    assert listed["k1"] == {"size": 2, "color": "blue", "shape": "round"}


def test_deleting_crd_deletes_instances(cluster):
    api = cluster.client()
    assert api.post(CRDS, json=widget_crd(name="doohickeys")).status_code == 201
    wait_established(api, "doohickeys.example.com")
    path = "/apis/example.com/v1/namespaces/default/doohickeys"
    for i in range(3):
        assert api.post(path, json={"apiVersion": "example.com/v1", "kind": "Doohickey", "metadata": {"name": f"d{i}"},
                                    "spec": {"size": 1}}).status_code == 201
    r = api.delete(f"{CRDS}/doohickeys.example.com")
    assert r.status_code == 200
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and api.get(f"{CRDS}/doohickeys.example.com").status_code != 404:
        time.sleep(0.05)
    assert api.get(f"{CRDS}/doohickeys.example.com").status_code == 404
    assert api.get(path).status_code == 404
    # Re-created, the kind starts empty: the old objects were really deleted.
    assert api.post(CRDS, json=widget_crd(name="doohickeys")).status_code == 201
    wait_established(api, "doohickeys.example.com")
    assert api.get(path).json()["items"] == []


def test_snapshot_crds_installed_at_start(cluster):
    api = cluster.client()
    for plural in ("volumesnapshots", "volumesnapshotcontents", "volumesnapshotclasses"):
        crd = api.get(f"{CRDS}/{plural}.snapshot.storage.k8s.io").json()
        conds = {c["type"]: c["status"] for c in crd["status"]["conditions"]}
        assert conds["Established"] == "True"
    names = {r["name"]: r for r in api.get("/apis/snapshot.storage.k8s.io/v1").json()["resources"]}
    assert names["volumesnapshots"]["shortNames"] == ["vs"] and names["volumesnapshots"]["namespaced"]
    assert names["volumesnapshotcontents"]["shortNames"] == ["vsc", "vscs"]
    assert names["volumesnapshotclasses"]["shortNames"] == ["vsclass", "vsclasses"]
    vs = "/apis/snapshot.storage.k8s.io/v1/namespaces/default/volumesnapshots"
    r = api.post(vs, json={"apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshot",
                           "metadata": {"name": "snap"},
                           "spec": {"volumeSnapshotClassName": "csi", "source": {"persistentVolumeClaimName": "data"}}})
    assert r.status_code == 201, r.text
    both = api.post(vs, json={"apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshot",
                              "metadata": {"name": "both"},
                              "spec": {"source": {"persistentVolumeClaimName": "a", "volumeSnapshotContentName": "b"}}})
    assert both.status_code == 422 and both.json()["details"]["causes"][0]["field"] == "spec.source"
    header = cluster.kubectl("get", "vs", "-n", "default").stdout.splitlines()[0].split()
    assert header == ["NAME", "READYTOUSE", "SOURCEPVC", "SOURCESNAPSHOTCONTENT", "RESTORESIZE", "SNAPSHOTCLASS",
                      "SNAPSHOTCONTENT", "CREATIONTIME", "AGE"]


def test_crd_group_version_gets_local_apiservice(cluster, widgets):
    svc = cluster.client().get("/apis/apiregistration.k8s.io/v1/apiservices/v1.example.com")
    assert svc.status_code == 200
    conds = {c["type"]: c for c in svc.json()["status"]["conditions"]}
    assert conds["Available"]["status"] == "True" and conds["Available"]["reason"] == "Local"


def test_validation_rules_are_compiled(cluster):
    api = cluster.client()
    crd = widget_crd(name="rulers")
    spec_schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    spec_schema["x-kubernetes-validations"] = [{"rule": "self.size >", "message": "bad"}]
    r = api.post(CRDS, json=crd)
    assert r.status_code == 422
    msg = r.json()["message"]
    assert ("spec.versions[0].schema.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule: Invalid value: "
            'apiextensions.ValidationRule{Rule:"self.size >", Message:"bad"') in msg
    assert "compilation failed: ERROR: <input>:1:12: Syntax error" in msg
    spec_schema["x-kubernetes-validations"] = [{"rule": "self.size > 0", "reason": "Nope"}]
    r = api.post(CRDS, json=crd)
    assert 'x-kubernetes-validations[0].reason: Unsupported value: "Nope"' in r.json()["message"]
    spec_schema["x-kubernetes-validations"] = [{"rule": "self.size > 0", "message": "size must be positive"}]
    r = api.post(CRDS, json=crd)
    assert r.status_code == 201, r.text
    stored = r.json()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    assert stored["x-kubernetes-validations"] == [{"rule": "self.size > 0", "message": "size must be positive"}]
