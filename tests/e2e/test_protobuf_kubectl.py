"""kubectl 1.32/1.33 typed `create` commands send Kubernetes protobuf bodies; the server decodes them,
stores the same objects the JSON path would, and answers JSON (wire.md section 11)."""

from __future__ import annotations

import base64

import pytest
from kubeutil import ensure_namespace

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def api(cluster):
    return cluster.client()


@pytest.fixture(params=("1.32", "1.33"))
def ns(request, api) -> tuple[str, str]:
    version = request.param
    name = f"pb-{version.replace('.', '-')}"
    ensure_namespace(api, name)
    return version, name


def test_create_configmap_secret_serviceaccount(cluster, api, ns):
    version, n = ns
    k = lambda *a: cluster.kubectl(*a, "-n", n, version=version).stdout  # noqa: E731
    assert k("create", "configmap", "cfg", "--from-literal=a=b", "--from-literal=c=d") == "configmap/cfg created\n"
    assert k("create", "secret", "generic", "sec", "--from-literal=key=s3cr3t") == "secret/sec created\n"
    assert k("create", "serviceaccount", "robot") == "serviceaccount/robot created\n"

    cm = api.get(f"/api/v1/namespaces/{n}/configmaps/cfg").json()
    assert cm["data"] == {"a": "b", "c": "d"}
    assert cm["metadata"]["managedFields"][0]["manager"] == "kubectl-create"
    secret = api.get(f"/api/v1/namespaces/{n}/secrets/sec").json()
    assert secret["type"] == "Opaque"
    assert base64.b64decode(secret["data"]["key"]) == b"s3cr3t"
    assert api.get(f"/api/v1/namespaces/{n}/serviceaccounts/robot").status_code == 200


def test_create_namespace(cluster, api, ns):
    version, _ = ns
    name = f"pb-made-{version.replace('.', '-')}"
    assert cluster.kubectl("create", "namespace", name, version=version).stdout == f"namespace/{name} created\n"
    got = api.get(f"/api/v1/namespaces/{name}").json()
    assert got["status"]["phase"] == "Active"
    assert got["metadata"]["labels"] == {"kubernetes.io/metadata.name": name}


def test_create_deployment(cluster, api, ns):
    version, n = ns
    out = cluster.kubectl("create", "deployment", "web", "--image=nginx:1.25", "--port=80", "--replicas=3",
                          "-n", n, version=version)
    assert out.stdout == "deployment.apps/web created\n"
    d = api.get(f"/apis/apps/v1/namespaces/{n}/deployments/web").json()
    assert d["spec"]["replicas"] == 3
    assert d["spec"]["selector"] == {"matchLabels": {"app": "web"}}
    c = d["spec"]["template"]["spec"]["containers"][0]
    assert (c["name"], c["image"], c["ports"]) == ("nginx", "nginx:1.25", [{"containerPort": 80, "protocol": "TCP"}])
    assert d["spec"]["strategy"]["type"] == "RollingUpdate"  # defaulted server-side as for JSON bodies


def test_create_service(cluster, api, ns):
    version, n = ns
    out = cluster.kubectl("create", "service", "clusterip", "svc", "--tcp=80:8080", "-n", n, version=version)
    assert out.stdout == "service/svc created\n"
    out = cluster.kubectl("create", "service", "nodeport", "np", "--tcp=81:http", "-n", n, version=version)
    assert out.stdout == "service/np created\n"
    svc = api.get(f"/api/v1/namespaces/{n}/services/svc").json()
    assert svc["spec"]["ports"] == [{"name": "80-8080", "protocol": "TCP", "port": 80, "targetPort": 8080}]
    assert svc["spec"]["type"] == "ClusterIP"
    np = api.get(f"/api/v1/namespaces/{n}/services/np").json()
    assert np["spec"]["ports"][0]["targetPort"] == "http"  # IntOrString as a string
    assert np["spec"]["ports"][0]["nodePort"] > 0


def test_create_job_and_cronjob(cluster, api, ns):
    version, n = ns
    out = cluster.kubectl("create", "job", "once", "--image=busybox", "-n", n, "--", "echo", "hi", version=version)
    assert out.stdout == "job.batch/once created\n"
    out = cluster.kubectl("create", "cronjob", "tick", "--image=busybox", "--schedule=*/5 * * * *", "-n", n,
                          "--", "date", version=version)
    assert out.stdout == "cronjob.batch/tick created\n"
    job = api.get(f"/apis/batch/v1/namespaces/{n}/jobs/once").json()
    spec = job["spec"]["template"]["spec"]
    assert (spec["containers"][0]["command"], spec["restartPolicy"]) == (["echo", "hi"], "Never")
    cj = api.get(f"/apis/batch/v1/namespaces/{n}/cronjobs/tick").json()
    assert cj["spec"]["schedule"] == "*/5 * * * *"
    assert cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["restartPolicy"] == "OnFailure"


def test_invalid_object_rejected_with_upstream_message(cluster, ns):
    version, n = ns
    out = cluster.kubectl("create", "configmap", "Bad_Name", "--from-literal=a=b", "-n", n, version=version,
                          check=False)
    assert out.returncode == 1
    assert 'ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name"' in out.stderr


def test_dry_run_server(cluster, api, ns):
    version, n = ns
    out = cluster.kubectl("create", "configmap", "dry", "-n", n, "--dry-run=server", version=version)
    assert out.stdout == "configmap/dry created (server dry run)\n"
    assert api.get(f"/api/v1/namespaces/{n}/configmaps/dry").status_code == 404


def _ld(num: int, data: bytes) -> bytes:
    assert len(data) < 128
    return bytes([num << 3 | 2, len(data)]) + data


def _envelope(api_version: str, kind: str, raw: bytes) -> bytes:
    return b"k8s\x00" + _ld(1, _ld(1, api_version.encode()) + _ld(2, kind.encode())) + _ld(2, raw)


PB = {"content-type": "application/vnd.kubernetes.protobuf",
      "accept": "application/vnd.kubernetes.protobuf,application/json"}


def test_raw_protobuf_posts_answer_json(api):
    ensure_namespace(api, "pb-raw")
    url = "/api/v1/namespaces/pb-raw/configmaps"
    body = _envelope("v1", "ConfigMap", _ld(1, _ld(1, b"raw")) + _ld(2, _ld(1, b"k") + _ld(2, b"v")))
    r = api.post(url, content=body, headers=PB)
    assert r.status_code == 201, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert (r.json()["metadata"]["name"], r.json()["data"]) == ("raw", {"k": "v"})

    # a typed client's DELETE carries DeleteOptions in protobuf too
    dry = _envelope("v1", "DeleteOptions", _ld(5, b"All"))
    assert api.request("DELETE", f"{url}/raw", content=dry, headers=PB).status_code == 200
    assert api.get(f"{url}/raw").status_code == 200
    assert api.request("DELETE", f"{url}/raw", content=_envelope("v1", "DeleteOptions", b""), headers=PB).status_code == 200
    assert api.get(f"{url}/raw").status_code == 404

    r = api.post(url, content=_envelope("v1", "Secret", _ld(1, _ld(1, b"s"))), headers=PB)
    assert r.status_code == 400
    assert r.json()["message"] == ('Secret in version "v1" cannot be handled as a ConfigMap: converting (v1.Secret) '
                                   "to (core.ConfigMap): unknown conversion")

    r = api.post(url, content=b"k8s\x00\x0a\x05\x0a\x02v1", headers=PB)
    assert r.status_code == 400
    assert r.json()["message"] == ("the object provided is unrecognized (must be of type ConfigMap): unexpected EOF "
                                   "(6b3873000a050a027631)")

    r = api.post(url, content=_envelope("example.com/v1", "Widget", _ld(1, _ld(1, b"w"))), headers=PB)
    assert (r.status_code, r.json()["reason"]) == (415, "UnsupportedMediaType")
