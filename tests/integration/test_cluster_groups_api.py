"""The infrastructure groups over HTTP and through kubectl 1.30: scheduling, storage, discovery,
networking, node, certificates, apiregistration (create/get/list, 422s, Table columns, short names)."""

import pytest

from uwernetes.apiserver.resources import priorityclasses

PC = "/apis/scheduling.k8s.io/v1/priorityclasses"
PODS = "/api/v1/namespaces/default/pods"


@pytest.fixture(scope="module")
def boot(cluster):
    """The bootstrap objects the server will create at startup once wired in."""
    cluster.run(priorityclasses.bootstrap_priority_classes(cluster.server.registry))
    return cluster


def pod(name, **spec):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "c", "image": "busybox"}], **spec}}


def test_system_priority_classes_exist_and_resist_deletion(boot):
    api = boot.client()
    names = {i["metadata"]["name"]: i["value"] for i in api.get(PC).json()["items"]}
    assert names["system-node-critical"] == 2000001000 and names["system-cluster-critical"] == 2000000000
    r = api.delete(f"{PC}/system-node-critical")
    assert r.status_code == 403
    assert r.json()["message"].endswith("this is a system priority class and cannot be deleted")


def test_priority_class_validation_and_admission(boot):
    api = boot.client()
    r = api.post(PC, json={"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                           "metadata": {"name": "too-high"}, "value": 1_000_000_001})
    assert r.status_code == 422
    assert r.json()["message"] == ('PriorityClass.scheduling.k8s.io "too-high" is invalid: value: Forbidden: '
                                   "maximum allowed value of a user defined priority is 1000000000")
    ok = api.post(PC, json={"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                            "metadata": {"name": "it-default"}, "value": 7, "globalDefault": True})
    assert ok.status_code == 201 and ok.json()["preemptionPolicy"] == "PreemptLowerPriority"
    second = api.post(PC, json={"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                                "metadata": {"name": "it-default-2"}, "value": 8, "globalDefault": True})
    assert second.status_code == 403
    assert second.json()["message"] == ('priorityclasses.scheduling.k8s.io "it-default-2" is forbidden: PriorityClass '
                                        "it-default is already marked as default. Only one default can exist")
    created = api.post(PODS, json=pod("pc-default")).json()
    assert (created["spec"]["priorityClassName"], created["spec"]["priority"]) == ("it-default", 7)
    missing = api.post(PODS, json=pod("pc-missing", priorityClassName="nope"))
    assert missing.status_code == 403
    assert missing.json()["message"] == 'pods "pc-missing" is forbidden: no PriorityClass with name nope was found'
    critical = api.post(PODS, json=pod("pc-critical", priorityClassName="system-cluster-critical")).json()
    assert critical["spec"]["priority"] == 2000000000
    api.delete(f"{PC}/it-default")


def test_priority_class_kubectl_columns(boot):
    out = boot.kubectl("get", "pc").stdout.splitlines()
    assert out[0].split() == ["NAME", "VALUE", "GLOBAL-DEFAULT", "AGE"]
    row = next(line.split() for line in out if line.startswith("system-node-critical"))
    assert row[:3] == ["system-node-critical", "2000001000", "false"]


SC = "/apis/storage.k8s.io/v1/storageclasses"


def test_storage_class_over_http_and_kubectl(boot):
    api = boot.client()
    body = {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "provisioner": "example.com/disk",
            "metadata": {"name": "std", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
            "parameters": {"type": "ssd"}}
    created = api.post(SC, json=body).json()
    assert (created["reclaimPolicy"], created["volumeBindingMode"]) == ("Delete", "Immediate")
    r = api.patch(f"{SC}/std", json={"parameters": {"type": "hdd"}},
                  headers={"content-type": "application/merge-patch+json"})
    assert r.status_code == 422
    assert r.json()["message"] == ('StorageClass.storage.k8s.io "std" is invalid: parameters: Forbidden: '
                                   "updates to parameters are forbidden.")
    out = boot.kubectl("get", "sc").stdout.splitlines()
    assert out[0].split() == ["NAME", "PROVISIONER", "RECLAIMPOLICY", "VOLUMEBINDINGMODE", "ALLOWVOLUMEEXPANSION", "AGE"]
    assert out[1].split()[:6] == ["std", "(default)", "example.com/disk", "Delete", "Immediate", "false"]


def test_csi_kinds_through_kubectl(boot):
    manifest = """
apiVersion: storage.k8s.io/v1
kind: CSIDriver
metadata: {name: csi.example.com}
spec: {}
---
apiVersion: storage.k8s.io/v1
kind: VolumeAttachment
metadata: {name: csi-abc}
spec: {attacher: csi.example.com, nodeName: node-1, source: {persistentVolumeName: pv-1}}
"""
    boot.kubectl("apply", "-f", "-", input=manifest)
    out = boot.kubectl("get", "csidrivers").stdout.splitlines()
    assert out[0].split() == ["NAME", "ATTACHREQUIRED", "PODINFOONMOUNT", "STORAGECAPACITY", "TOKENREQUESTS",
                              "REQUIRESREPUBLISH", "MODES", "AGE"]
    assert out[1].split()[:7] == ["csi.example.com", "true", "false", "false", "<unset>", "false", "Persistent"]
    api = boot.client()
    path = "/apis/storage.k8s.io/v1/volumeattachments/csi-abc"
    va = api.get(path).json()
    va["status"] = {"attached": True}
    assert api.put(f"{path}/status", json=va).status_code == 200
    out = boot.kubectl("get", "volumeattachments").stdout.splitlines()
    assert out[0].split() == ["NAME", "ATTACHER", "PV", "NODE", "ATTACHED", "AGE"]
    assert out[1].split()[:5] == ["csi-abc", "csi.example.com", "pv-1", "node-1", "true"]


EPS = "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices"


def test_endpoint_slices(boot):
    api = boot.client()
    body = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": {"name": "web-abc"},
            "addressType": "IPv4", "ports": [{"name": "http", "port": 80}],
            "endpoints": [{"addresses": [f"10.1.0.{i}"], "conditions": {"ready": True}} for i in range(1, 6)]}
    created = api.post(EPS, json=body).json()
    assert created["ports"] == [{"name": "http", "port": 80, "protocol": "TCP"}]
    assert created["metadata"]["generation"] == 1
    bad = dict(body, metadata={"name": "web-bad"}, endpoints=[{"addresses": ["2001:db8::1"]}])
    r = api.post(EPS, json=bad)
    assert r.status_code == 422
    assert r.json()["message"] == ('EndpointSlice.discovery.k8s.io "web-bad" is invalid: endpoints[0].addresses[0]: '
                                   'Invalid value: "2001:db8::1": must be a valid IPv4 address')
    out = boot.kubectl("get", "endpointslices").stdout.splitlines()
    assert out[0].split() == ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"]
    assert out[1].split()[:7] == ["web-abc", "IPv4", "80", "10.1.0.1,10.1.0.2,10.1.0.3", "+", "2", "more..."]


def test_networking_kinds(boot):
    manifest = """
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx}
spec: {controller: example.com/ingress-nginx}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: default}
spec:
  ingressClassName: nginx
  rules:
  - host: web.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: default}
spec:
  podSelector: {matchLabels: {app: web}}
  egress: [{}]
"""
    boot.kubectl("apply", "-f", "-", input=manifest)
    out = boot.kubectl("get", "ing").stdout.splitlines()
    assert out[0].split() == ["NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"]
    assert out[1].split()[:4] == ["web", "nginx", "web.example.com", "80"]
    out = boot.kubectl("get", "netpol").stdout.splitlines()
    assert out[0].split() == ["NAME", "POD-SELECTOR", "AGE"] and out[1].split()[:2] == ["deny", "app=web"]
    api = boot.client()
    np = api.get("/apis/networking.k8s.io/v1/namespaces/default/networkpolicies/deny").json()
    assert np["spec"]["policyTypes"] == ["Ingress", "Egress"]
    out = boot.kubectl("get", "ingressclasses").stdout.splitlines()
    assert out[0].split() == ["NAME", "CONTROLLER", "PARAMETERS", "AGE"]
    assert out[1].split()[:3] == ["nginx", "example.com/ingress-nginx", "<none>"]
    bad = boot.kubectl("apply", "-f", "-", check=False, input=manifest.split("---")[1].replace("pathType: Prefix, ", "").replace("name: web,", "name: web2,"))
    assert bad.returncode != 0
    assert "spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified" in bad.stderr


def test_runtime_class(boot):
    api = boot.client()
    rc = "/apis/node.k8s.io/v1/runtimeclasses"
    assert api.post(rc, json={"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": {"name": "kata"},
                              "handler": "kata"}).status_code == 201
    r = api.patch(f"{rc}/kata", json={"handler": "runc"}, headers={"content-type": "application/merge-patch+json"})
    assert r.status_code == 422
    assert r.json()["message"] == 'RuntimeClass.node.k8s.io "kata" is invalid: handler: Invalid value: "runc": field is immutable'
    out = boot.kubectl("get", "runtimeclasses").stdout.splitlines()
    assert out[0].split() == ["NAME", "HANDLER", "AGE"] and out[1].split()[:2] == ["kata", "kata"]
