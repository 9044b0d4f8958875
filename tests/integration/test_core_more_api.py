"""The remaining core/v1 kinds over HTTP and through kubectl 1.30: create/get/list, 422s with
upstream's messages, status and scale subresources, Table columns and short names."""

import pytest

NS = "/api/v1/namespaces/default"
MERGE = {"content-type": "application/merge-patch+json"}


@pytest.fixture(scope="module")
def api(cluster):
    return cluster


def pv_body(name, **spec):
    return {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": name},
            "spec": {"capacity": {"storage": "5Gi"}, "accessModes": ["ReadWriteOnce"], "hostPath": {"path": "/tmp/" + name}, **spec}}


def pvc_body(name, **spec):
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}, **spec}}


def rc_body(name, **spec):
    return {"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": name},
            "spec": {"template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]}}, **spec}}


def kubectl_rows(cluster, *args):
    return [line.split() for line in cluster.kubectl("get", *args).stdout.splitlines()]


def test_persistent_volume_create_status_and_columns(api):
    c = api.client()
    r = c.post("/api/v1/persistentvolumes", json=pv_body("it-pv"))
    assert r.status_code == 201, r.text
    pv = r.json()
    assert pv["spec"]["persistentVolumeReclaimPolicy"] == "Retain" and pv["spec"]["volumeMode"] == "Filesystem"
    assert pv["status"]["phase"] == "Pending"
    pv["status"] = {"phase": "Available"}
    r = c.put("/api/v1/persistentvolumes/it-pv/status", json=pv)
    assert r.status_code == 200 and r.json()["status"]["phase"] == "Available"
    bad = c.post("/api/v1/persistentvolumes", json=pv_body("it-bad", accessModes=["ReadWriteOncePod", "ReadWriteOnce"]))
    assert bad.status_code == 422
    assert bad.json()["message"] == ('PersistentVolume "it-bad" is invalid: spec.accessModes: Forbidden: '
                                     "may not use ReadWriteOncePod with other access modes")
    rows = kubectl_rows(api, "pv", "it-pv", "-o", "wide")
    assert rows[0] == ["NAME", "CAPACITY", "ACCESS", "MODES", "RECLAIM", "POLICY", "STATUS", "CLAIM", "STORAGECLASS",
                       "VOLUMEATTRIBUTESCLASS", "REASON", "AGE", "VOLUMEMODE"]
    assert rows[1][:5] + rows[1][-1:] == ["it-pv", "5Gi", "RWO", "Retain", "Available", "Filesystem"]


def test_persistent_volume_claim_lifecycle(api):
    c = api.client()
    r = c.post(f"{NS}/persistentvolumeclaims", json=pvc_body("it-claim", dataSource={"kind": "PersistentVolumeClaim", "name": "src"}))
    assert r.status_code == 201, r.text
    claim = r.json()
    assert claim["status"] == {"phase": "Pending"}
    assert claim["spec"]["dataSourceRef"] == {"kind": "PersistentVolumeClaim", "name": "src"}
    r = c.patch(f"{NS}/persistentvolumeclaims/it-claim", json={"spec": {"accessModes": ["ReadOnlyMany"]}}, headers=MERGE)
    assert r.status_code == 422
    assert r.json()["message"].startswith(
        'PersistentVolumeClaim "it-claim" is invalid: spec: Forbidden: spec is immutable after creation except '
        "resources.requests and volumeAttributesClassName for bound claims")
    r = c.post(f"{NS}/persistentvolumeclaims", json=pvc_body("it-nosize", resources={}))
    assert r.status_code == 422
    assert r.json()["message"] == 'PersistentVolumeClaim "it-nosize" is invalid: spec.resources[storage]: Required value'
    assert r.json()["details"]["causes"] == [{"reason": "FieldValueRequired", "message": "Required value", "field": "spec.resources[storage]"}]
    rows = kubectl_rows(api, "pvc", "it-claim", "-o", "wide")
    assert rows[0] == ["NAME", "STATUS", "VOLUME", "CAPACITY", "ACCESS", "MODES", "STORAGECLASS", "VOLUMEATTRIBUTESCLASS", "AGE", "VOLUMEMODE"]
    assert rows[1][:2] + rows[1][-1:] == ["it-claim", "Pending", "Filesystem"]


def test_replication_controller_defaults_scale_and_columns(api):
    c = api.client()
    r = c.post(f"{NS}/replicationcontrollers", json=rc_body("it-rc"))
    assert r.status_code == 201, r.text
    rc = r.json()
    assert rc["spec"]["selector"] == {"app": "it-rc"} and rc["spec"]["replicas"] == 1
    scale = c.get(f"{NS}/replicationcontrollers/it-rc/scale").json()
    assert (scale["kind"], scale["spec"], scale["status"]) == ("Scale", {"replicas": 1}, {"replicas": 0, "selector": "app=it-rc"})
    r = c.patch(f"{NS}/replicationcontrollers/it-rc/scale", json={"spec": {"replicas": 4}}, headers=MERGE)
    assert r.status_code == 200 and r.json()["spec"]["replicas"] == 4
    assert c.get(f"{NS}/replicationcontrollers/it-rc").json()["spec"]["replicas"] == 4
    api.kubectl("scale", "rc", "it-rc", "--replicas=2")
    assert c.get(f"{NS}/replicationcontrollers/it-rc").json()["spec"]["replicas"] == 2
    bad = c.post(f"{NS}/replicationcontrollers", json=rc_body("it-rc-bad", selector={"app": "other"}))
    assert bad.status_code == 422
    assert bad.json()["message"] == ('ReplicationController "it-rc-bad" is invalid: spec.template.metadata.labels: Invalid value: '
                                     'map[string]string{"app":"it-rc-bad"}: `selector` does not match template `labels`')
    rows = kubectl_rows(api, "rc", "it-rc", "-o", "wide")
    assert rows[0] == ["NAME", "DESIRED", "CURRENT", "READY", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"]
    assert rows[1][:4] + rows[1][5:] == ["it-rc", "2", "0", "0", "c", "nginx:1.25", "app=it-rc"]
    assert "replicationcontroller/it-rc" in api.kubectl("get", "all", "-o", "name").stdout


def test_endpoints_repacked_and_formatted(api):
    c = api.client()
    subsets = [{"addresses": [{"ip": f"10.0.0.{i}"} for i in (3, 1, 2)], "ports": [{"port": 80}]},
               {"addresses": [{"ip": "10.0.0.4"}], "ports": [{"port": 80}]}]
    r = c.post(f"{NS}/endpoints", json={"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "it-ep"}, "subsets": subsets})
    assert r.status_code == 201, r.text
    assert r.json()["subsets"] == [{"addresses": [{"ip": f"10.0.0.{i}"} for i in (1, 2, 3, 4)], "ports": [{"port": 80, "protocol": "TCP"}]}]
    rows = kubectl_rows(api, "ep", "it-ep")
    assert rows[0] == ["NAME", "ENDPOINTS", "AGE"]
    assert rows[1][:5] == ["it-ep", "10.0.0.1:80,10.0.0.2:80,10.0.0.3:80", "+", "1", "more..."]
    bad = c.post(f"{NS}/endpoints", json={"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "it-ep-bad"},
                                          "subsets": [{"addresses": [{"ip": "127.0.0.1"}]}]})
    assert bad.status_code == 422
    assert bad.json()["message"] == ('Endpoints "it-ep-bad" is invalid: subsets[0].addresses[0].ip: Invalid value: "127.0.0.1": '
                                     "may not be in the loopback range (127.0.0.0/8, ::1/128)")


def test_limitranges_and_quotas(api):
    c = api.client()
    lr = {"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "it-lr"},
          "spec": {"limits": [{"type": "Container", "max": {"cpu": "2"}, "min": {"cpu": "100m"}}]}}
    r = c.post(f"{NS}/limitranges", json=lr)
    assert r.status_code == 201, r.text
    assert r.json()["spec"]["limits"][0]["defaultRequest"] == {"cpu": "2"}
    lr["metadata"]["name"] = "it-lr-bad"
    lr["spec"]["limits"][0] = {"type": "Pod", "max": {"cpu": "100m"}, "min": {"cpu": "200m"}}
    bad = c.post(f"{NS}/limitranges", json=lr)
    assert bad.status_code == 422
    assert bad.json()["message"].endswith(": min value 200m is greater than max value 100m")
    rows = kubectl_rows(api, "limits", "it-lr")
    assert rows[0] == ["NAME", "CREATED", "AT"] and rows[1][1].endswith("Z")
    quota = {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "it-quota"},
             "spec": {"hard": {"pods": "10", "limits.cpu": "2"}}}
    r = c.post(f"{NS}/resourcequotas", json=quota)
    assert r.status_code == 201, r.text
    q = r.json()
    q["status"] = {"hard": {"pods": "10", "limits.cpu": "2"}, "used": {"pods": "1", "limits.cpu": "0"}}
    assert c.put(f"{NS}/resourcequotas/it-quota/status", json=q).status_code == 200
    rows = kubectl_rows(api, "quota", "it-quota")
    assert rows[0] == ["NAME", "AGE", "REQUEST", "LIMIT"]
    assert rows[1][2:] == ["pods:", "1/10", "limits.cpu:", "0/2"]


def test_pod_templates(api):
    c = api.client()
    body = {"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": "it-pt"},
            "template": {"metadata": {"labels": {"tier": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}
    r = c.post(f"{NS}/podtemplates", json=body)
    assert r.status_code == 201, r.text
    assert r.json()["template"]["spec"]["restartPolicy"] == "Always"
    rows = kubectl_rows(api, "podtemplates", "it-pt")
    assert rows == [["NAME", "CONTAINERS", "IMAGES", "POD", "LABELS"], ["it-pt", "c", "nginx", "tier=web"]]


def test_component_statuses_read_only(api):
    c = api.client()
    listed = c.get("/api/v1/componentstatuses")
    assert listed.headers.get_list("warning") == ['299 - "v1 ComponentStatus is deprecated in v1.19+"']
    items = listed.json()
    assert items["kind"] == "ComponentStatusList"
    assert [i["metadata"]["name"] for i in items["items"]] == ["controller-manager", "etcd-0", "scheduler"]
    one = c.get("/api/v1/componentstatuses/scheduler").json()
    assert one["conditions"] == [{"type": "Healthy", "status": "True", "message": "ok"}]
    missing = c.get("/api/v1/componentstatuses/nope")
    assert missing.status_code == 404 and missing.json()["message"] == 'componentstatuses "nope" not found'
    assert c.delete("/api/v1/componentstatuses/scheduler").status_code == 405
    rows = kubectl_rows(api, "cs")
    assert rows[0] == ["NAME", "STATUS", "MESSAGE", "ERROR"]
    assert rows[1:] == [["controller-manager", "Healthy", "ok"], ["etcd-0", "Healthy", "ok"], ["scheduler", "Healthy", "ok"]]
