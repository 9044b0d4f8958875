"""Verbs over HTTP that clients rely on: dry run, generateName, deletecollection, finalizers,
generation and managedFields, Table output forms, YAML in and out, scale subresource."""

import yaml

NS = "default"
CM = f"/api/v1/namespaces/{NS}/configmaps"
DEPLOY = f"/apis/apps/v1/namespaces/{NS}/deployments"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"
MERGE = {"content-type": "application/merge-patch+json"}


def cm(name, **labels):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels}, "data": {"k": "v"}}


def deployment(name, image="nginx:1.25"):
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": "c", "image": image}]}}},
    }


def test_dry_run_create_validates_but_stores_nothing(cluster):
    api = cluster.client()
    r = api.post(CM, params={"dryRun": "All"}, json=cm("dry"))
    assert r.status_code == 201 and r.json()["metadata"]["uid"]
    assert api.get(f"{CM}/dry").status_code == 404
    bad = api.post(CM, params={"dryRun": "All"}, json=cm("Dry"))
    assert bad.status_code == 422


def test_generate_name(cluster):
    api = cluster.client()
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "gen-"}}
    names = {api.post(CM, json=body).json()["metadata"]["name"] for _ in range(3)}
    assert len(names) == 3 and all(n.startswith("gen-") and len(n) == 9 for n in names)


def test_deletecollection_by_label(cluster):
    api = cluster.client()
    for i in range(3):
        api.post(CM, json=cm(f"dc-{i}", batch="dc" if i < 2 else "keep"))
    r = api.delete(CM, params={"labelSelector": "batch=dc"})
    assert r.status_code == 200 and r.json()["kind"] == "ConfigMapList"
    left = api.get(CM, params={"labelSelector": "batch"}).json()["items"]
    assert [i["metadata"]["name"] for i in left] == ["dc-2"]


def test_finalizers_hold_an_object_until_removed(cluster):
    api = cluster.client()
    body = cm("held")
    body["metadata"]["finalizers"] = ["example.com/hold"]
    api.post(CM, json=body)
    r = api.delete(f"{CM}/held")
    assert r.status_code == 200
    held = api.get(f"{CM}/held").json()
    assert held["metadata"]["deletionTimestamp"] and held["metadata"]["finalizers"] == ["example.com/hold"]
    api.patch(f"{CM}/held", json={"metadata": {"finalizers": None}}, headers=MERGE)
    assert api.get(f"{CM}/held").status_code == 404


def test_generation_tracks_spec_only_and_managed_fields_record_writers(cluster):
    api = cluster.client()
    created = api.post(DEPLOY, params={"fieldManager": "creator"}, json=deployment("gen")).json()
    assert created["metadata"]["generation"] == 1
    assert [(m["manager"], m["operation"]) for m in created["metadata"]["managedFields"]] == [("creator", "Update")]
    labelled = api.patch(f"{DEPLOY}/gen", params={"fieldManager": "labeller"},
                         json={"metadata": {"labels": {"x": "y"}}}, headers=MERGE).json()
    assert labelled["metadata"]["generation"] == 1
    managers = {m["manager"]: m for m in labelled["metadata"]["managedFields"]}
    assert managers["labeller"]["fieldsV1"] == {"f:metadata": {"f:labels": {"f:x": {}}}}
    changed = api.patch(f"{DEPLOY}/gen", params={"fieldManager": "labeller"},
                        json={"spec": {"replicas": 3}}, headers=MERGE).json()
    assert changed["metadata"]["generation"] == 2
    same = api.patch(f"{DEPLOY}/gen", json={"spec": {"replicas": 3}}, headers=MERGE).json()
    assert same["metadata"]["resourceVersion"] == changed["metadata"]["resourceVersion"]  # no-op: no write


def test_scale_subresource(cluster):
    api = cluster.client()
    api.post(DEPLOY, json=deployment("scaled"))
    scale = api.get(f"{DEPLOY}/scaled/scale").json()
    assert scale["kind"] == "Scale" and scale["apiVersion"] == "autoscaling/v1" and scale["spec"]["replicas"] == 1
    assert scale["status"]["selector"] == "app=scaled"
    r = api.patch(f"{DEPLOY}/scaled/scale", json={"spec": {"replicas": 4}}, headers=MERGE)
    assert r.status_code == 200 and r.json()["spec"]["replicas"] == 4
    assert api.get(f"{DEPLOY}/scaled").json()["spec"]["replicas"] == 4
    bad = api.patch(f"{DEPLOY}/scaled/scale", json={"spec": {"replicas": -1}}, headers=MERGE)
    assert bad.status_code == 422


def test_table_forms(cluster):
    api = cluster.client()
    api.post(CM, json=cm("tbl", t="1"))
    full = api.get(CM, params={"labelSelector": "t=1"}, headers={"accept": TABLE}).json()
    assert full["kind"] == "Table" and [c["name"] for c in full["columnDefinitions"]] == ["Name", "Data", "Age"]
    assert full["rows"][0]["cells"][:2] == ["tbl", 1]
    assert full["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
    none = api.get(CM, params={"labelSelector": "t=1", "includeObject": "None"}, headers={"accept": TABLE}).json()
    assert "object" not in none["rows"][0]
    obj = api.get(CM, params={"labelSelector": "t=1", "includeObject": "Object"}, headers={"accept": TABLE}).json()
    assert obj["rows"][0]["object"]["data"] == {"k": "v"}


def test_yaml_in_and_out(cluster):
    api = cluster.client()
    body = yaml.safe_dump(cm("from-yaml"))
    r = api.post(CM, content=body, headers={"content-type": "application/yaml"})
    assert r.status_code == 201
    out = api.get(f"{CM}/from-yaml", headers={"accept": "application/yaml"})
    assert out.headers["content-type"].startswith("application/yaml")
    assert yaml.safe_load(out.text)["metadata"]["name"] == "from-yaml"


def test_not_acceptable_and_unsupported_media(cluster):
    api = cluster.client()
    assert api.get(CM, headers={"accept": "text/html"}).status_code == 406
    r = api.post(CM, content=b"\x00", headers={"content-type": "text/plain"})
    assert r.status_code == 415 and r.json()["reason"] == "UnsupportedMediaType"


def test_invalid_create_and_update_options_are_422(cluster):
    api = cluster.client()
    r = api.post(CM, params={"dryRun": "Foo"}, json=cm("opts"))
    assert r.status_code == 422
    assert r.json()["message"] == ('CreateOptions.meta.k8s.io "" is invalid: '
                                   'dryRun: Unsupported value: []string{"Foo"}: supported values: "All"')
    r = api.post(CM, params={"fieldManager": "x" * 129}, json=cm("opts"))
    assert r.status_code == 422
    assert r.json()["details"]["causes"][0] == {"reason": "FieldValueTooLong", "message": "Too long: may not be longer than 128",
                                                "field": "fieldManager"}
    r = api.post(CM, params={"fieldValidation": "Loose"}, json=cm("opts"))
    assert r.json()["message"] == ('CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "Loose": '
                                   'supported values: "", "Ignore", "Strict", "Warn"')
    assert api.get(f"{CM}/opts").status_code == 404
    assert api.post(CM, json=cm("opts")).status_code == 201
    r = api.put(f"{CM}/opts", params={"dryRun": "Foo"}, json=cm("opts"))
    assert r.status_code == 422 and r.json()["message"].startswith('UpdateOptions.meta.k8s.io "" is invalid: dryRun')


def test_malformed_scale_patch_is_400_and_changes_nothing(cluster):
    api = cluster.client()
    assert api.post(DEPLOY, json=deployment("scaly")).status_code == 201
    before = api.get(f"{DEPLOY}/scaly").json()["metadata"]["resourceVersion"]
    r = api.patch(f"{DEPLOY}/scaly/scale", content=b'{"spec":', headers=MERGE)
    assert (r.status_code, r.json()["message"]) == (400, "error decoding patch: unexpected end of JSON input")
    r = api.patch(f"{DEPLOY}/scaly/scale", content=b'{"spec":{"replicas":2}}', headers=MERGE)
    assert r.status_code == 200 and r.json()["spec"]["replicas"] == 2
    assert api.get(f"{DEPLOY}/scaly").json()["metadata"]["resourceVersion"] != before


def test_service_ip_and_node_port_are_taken_by_other_services(cluster):
    api = cluster.client()
    svcs = f"/api/v1/namespaces/{NS}/services"

    def svc(name, ip, node_port):
        return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
                "spec": {"type": "NodePort", "clusterIP": ip,
                         "ports": [{"port": 80, "nodePort": node_port}]}}

    assert api.post(svcs, json=svc("first", "10.96.7.7", 30707)).status_code == 201
    taken = api.post(svcs, json=svc("second", "10.96.7.7", 30708))
    assert taken.status_code == 422 and "provided IP is already allocated" in taken.json()["message"]
    port_taken = api.post(svcs, json=svc("second", "10.96.7.8", 30707))
    assert port_taken.status_code == 422 and "provided port is already allocated" in port_taken.json()["message"]
    assert api.get(f"{svcs}/second").status_code == 404


def test_service_addresses_are_free_again_as_soon_as_nothing_holds_them(cluster):
    # `kubectl diff` (a dry run) before `kubectl apply`, and delete-then-recreate, with fixed
    # addresses: upstream frees what a dry run, a failed create or a delete allocated at once.
    api = cluster.client()
    svcs = f"/api/v1/namespaces/{NS}/services"
    body = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "fixed"},
            "spec": {"type": "NodePort", "clusterIP": "10.96.8.8", "ports": [{"port": 80, "nodePort": 30808}]}}
    dry = api.post(f"{svcs}?dryRun=All", json=body)
    assert dry.status_code == 201 and dry.json()["spec"]["ports"][0]["nodePort"] == 30808
    assert api.post(svcs, json=body).status_code == 201
    # Allocation comes before the name check, as upstream's: the same Service again is refused for its IP.
    again = api.post(svcs, json=body)
    assert again.status_code == 422 and "provided IP is already allocated" in again.json()["message"]
    other = {**body, "metadata": {"name": "other"}}
    assert "provided IP is already allocated" in api.post(svcs, json=other).json()["message"]
    assert api.delete(f"{svcs}/fixed").status_code == 200
    recreated = api.post(svcs, json=other)
    assert recreated.status_code == 201, recreated.text
    assert recreated.json()["spec"]["clusterIP"] == "10.96.8.8"
    # An update that drops the node port (NodePort -> ClusterIP) frees it too.
    change = {"spec": {"type": "ClusterIP", "ports": [{"port": 80, "nodePort": None}]}}
    r = api.patch(f"{svcs}/other", json=change, headers={"Content-Type": "application/merge-patch+json"})
    assert r.status_code == 200, r.text
    assert "nodePort" not in r.json()["spec"]["ports"][0]
    third = {**body, "metadata": {"name": "third"}, "spec": {**body["spec"], "clusterIP": "10.96.8.9"}}
    assert api.post(svcs, json=third).status_code == 201


def test_a_grace_period_only_delays_pods(cluster):
    # `kubectl delete --now` / `--grace-period=30` on a ConfigMap or a Deployment: upstream deletes
    # them at once (only pods are deleted gracefully), so the name is free again immediately.
    api = cluster.client()
    assert api.post(CM, json=cm("graceful-cm")).status_code == 201
    assert api.post(DEPLOY, json=deployment("graceful-deploy")).status_code == 201
    for path, body in ((f"{CM}/graceful-cm", {"gracePeriodSeconds": 30}),
                       (f"{DEPLOY}/graceful-deploy", {"gracePeriodSeconds": 1})):
        r = api.request("DELETE", path, json=body)
        assert r.status_code == 200, r.text
        assert api.get(path).status_code == 404
    assert api.post(CM, json=cm("graceful-cm")).status_code == 201
    r = api.delete(f"{CM}/graceful-cm", params={"gracePeriodSeconds": "5"})
    assert r.status_code == 200 and api.get(f"{CM}/graceful-cm").status_code == 404


def test_scale_writes_are_owned_by_the_caller_through_the_scale_subresource(cluster):
    api = cluster.client()
    assert api.post(DEPLOY, json=deployment("scaled-owner")).status_code == 201
    r = api.patch(f"{DEPLOY}/scaled-owner/scale", json={"spec": {"replicas": 4}},
                  headers={**MERGE, "user-agent": "myagent/1.0 (linux/amd64)"})
    assert r.status_code == 200 and r.json()["spec"]["replicas"] == 4
    entries = api.get(f"{DEPLOY}/scaled-owner").json()["metadata"]["managedFields"]
    mine = [e for e in entries if e.get("subresource") == "scale"]
    assert [(e["manager"], e["operation"], e["apiVersion"], e["fieldsV1"]) for e in mine] == [
        ("myagent", "Update", "apps/v1", {"f:spec": {"f:replicas": {}}})]


def test_scale_subresource_as_a_table(cluster):
    api = cluster.client()
    assert api.post(DEPLOY, json=deployment("scale-table")).status_code == 201
    r = api.get(f"{DEPLOY}/scale-table/scale", headers={"accept": TABLE})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json;as=Table")
    table = r.json()
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Desired", "Available", "Age"]
    assert table["rows"][0]["cells"][:3] == ["scale-table", 1, 0]
    assert table["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
