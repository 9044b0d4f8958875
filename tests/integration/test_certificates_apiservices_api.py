"""certificates.k8s.io CSRs (approval and status subresources, kubectl certificate approve/deny),
apiregistration.k8s.io APIServices (local ones bootstrapped) and storagemigration.k8s.io
StorageVersionMigrations (served only behind their feature gate), over HTTP and kubectl 1.30."""

from __future__ import annotations

import base64

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

CSRS = "/apis/certificates.k8s.io/v1/certificatesigningrequests"
CLIENT_SIGNER = "kubernetes.io/kube-apiserver-client"


def pem_request(cn: str = "alice") -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    req = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
           .sign(key, hashes.SHA256()))
    return base64.b64encode(req.public_bytes(serialization.Encoding.PEM)).decode()


def csr(name: str, **spec) -> dict:
    body = {"request": pem_request(), "signerName": CLIENT_SIGNER, "usages": ["client auth"], **spec}
    return {"apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest",
            "metadata": {"name": name}, "spec": body}


def test_csr_create_stamps_requester_and_clears_status(cluster):
    api = cluster.client()
    body = csr("it-stamp", expirationSeconds=3600, username="mallory", groups=["system:masters"])
    body["status"] = {"conditions": [{"type": "Approved", "status": "True"}]}
    r = api.post(CSRS, json=body)
    assert r.status_code == 201, r.text
    got = r.json()
    assert got["spec"]["username"] == "admin"
    assert got["spec"]["groups"] == ["system:masters", "system:authenticated"]
    assert got["status"] == {}
    # The spec cannot change afterwards: upstream silently keeps the stored one.
    got["spec"]["usages"] = ["server auth"]
    r = api.put(f"{CSRS}/it-stamp", json=got)
    assert r.status_code == 200 and r.json()["spec"]["usages"] == ["client auth"]


def test_csr_validation_422(cluster):
    api = cluster.client()
    r = api.post(CSRS, json=csr("it-bad", signerName="example", expirationSeconds=60))
    assert r.status_code == 422
    assert r.json()["message"] == (
        'CertificateSigningRequest.certificates.k8s.io "it-bad" is invalid: [spec.signerName: Invalid value: '
        "\"example\": must be a fully qualified domain and path of the form 'example.com/signer-name', "
        "spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 600 seconds (10 minutes)]"
    )
    bad = csr("it-bad-pem")
    bad["spec"]["request"] = base64.b64encode(b"hi").decode()
    r = api.post(CSRS, json=bad)
    assert r.status_code == 422
    assert r.json()["details"]["causes"] == [{
        "reason": "FieldValueInvalid", "field": "spec.request",
        "message": "Invalid value: []byte{0x68, 0x69}: PEM block type must be CERTIFICATE REQUEST",
    }]


def test_kubectl_certificate_approve_and_columns(cluster):
    api = cluster.client()
    assert api.post(CSRS, json=csr("it-approve", expirationSeconds=86400)).status_code == 201
    out = cluster.kubectl("get", "csr", "it-approve").stdout.splitlines()
    assert out[0].split() == ["NAME", "AGE", "SIGNERNAME", "REQUESTOR", "REQUESTEDDURATION", "CONDITION"]
    assert out[1].split()[2:] == [CLIENT_SIGNER, "admin", "24h", "Pending"]
    done = cluster.kubectl("certificate", "approve", "it-approve")
    assert done.stdout.strip() == "certificatesigningrequest.certificates.k8s.io/it-approve approved"
    got = api.get(f"{CSRS}/it-approve").json()
    [cond] = got["status"]["conditions"]
    assert (cond["type"], cond["status"], cond["reason"]) == ("Approved", "True", "KubectlApprove")
    assert cond["lastUpdateTime"] and cond["lastTransitionTime"]
    assert cluster.kubectl("get", "csr", "it-approve").stdout.splitlines()[1].split()[-1] == "Approved"
    # kubectl refuses on its own (even with --force); the server rejects it too.
    refused = cluster.kubectl("certificate", "deny", "it-approve", check=False)
    assert refused.stderr.strip() == 'error: certificate signing request "it-approve" is already Approved'
    got["status"]["conditions"].append({"type": "Denied", "status": "True", "reason": "R"})
    r = api.put(f"{CSRS}/it-approve/approval", json=got)
    assert r.status_code == 422
    assert r.json()["message"] == (
        'CertificateSigningRequest.certificates.k8s.io "it-approve" is invalid: status.conditions[1].type: '
        'Invalid value: "Denied": Approved and Denied conditions are mutually exclusive')


def test_kubectl_certificate_deny(cluster):
    assert cluster.client().post(CSRS, json=csr("it-deny")).status_code == 201
    out = cluster.kubectl("certificate", "deny", "it-deny").stdout.strip()
    assert out == "certificatesigningrequest.certificates.k8s.io/it-deny denied"
    row = cluster.kubectl("get", "csr").stdout.splitlines()
    assert next(line for line in row if line.startswith("it-deny")).split()[-1] == "Denied"


def test_csr_conditions_only_through_approval_and_certificate_only_through_status(cluster):
    api = cluster.client()
    created = api.post(CSRS, json=csr("it-paths")).json()
    approved = dict(created, status={"conditions": [{"type": "Approved", "status": "True", "reason": "R"}]})
    r = api.put(f"{CSRS}/it-paths/status", json=approved)
    assert r.status_code == 422
    assert r.json()["message"].endswith('status.conditions: Forbidden: updates may not add a condition of type "Approved"')
    r = api.put(f"{CSRS}/it-paths/approval", json=approved)
    assert r.status_code == 200, r.text
    assert api.get(f"{CSRS}/it-paths/approval").json()["status"]["conditions"][0]["type"] == "Approved"
    # Certificates travel through /status only, and only as CERTIFICATE blocks.
    current = r.json()
    junk = base64.b64encode(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n").decode()
    r = api.put(f"{CSRS}/it-paths/status", json=dict(current, status={**current["status"], "certificate": junk}))
    assert r.status_code == 422
    assert r.json()["details"]["causes"][0] == {
        "reason": "FieldValueInvalid", "field": "status.certificate",
        "message": 'Invalid value: "<certificate data>": only CERTIFICATE PEM blocks are allowed, found "PRIVATE KEY"',
    }
    # Conditions once set cannot be dropped through /approval.
    r = api.put(f"{CSRS}/it-paths/approval", json=dict(current, status={}))
    assert r.status_code == 422
    assert r.json()["message"].endswith('status.conditions: Forbidden: updates may not remove a condition of type "Approved"')


def test_csr_short_name_and_field_selector(cluster):
    api = cluster.client()
    api.post(CSRS, json=csr("it-other-signer", signerName="example.com/custom"))
    names = cluster.kubectl("get", "csr", "--field-selector=spec.signerName=example.com/custom", "-o", "name").stdout.split()
    assert names == ["certificatesigningrequest.certificates.k8s.io/it-other-signer"]


APISVC = "/apis/apiregistration.k8s.io/v1/apiservices"


@pytest.fixture(scope="module")
def with_apiservices(cluster):
    """The local APIServices the server will create at startup once wired in."""
    from uwernetes.apiserver.resources import apiservices

    cluster.run(apiservices.bootstrap_apiservices(cluster.server.registry))
    return cluster


def test_local_apiservices_listed_available(with_apiservices):
    api = with_apiservices.client()
    items = {i["metadata"]["name"]: i for i in api.get(APISVC).json()["items"]}
    core, apps = items["v1."], items["v1.apps"]
    assert (core["spec"]["groupPriorityMinimum"], core["spec"]["versionPriority"]) == (18000, 1)
    assert "service" not in apps["spec"] and apps["spec"]["groupPriorityMinimum"] == 17800
    [cond] = apps["status"]["conditions"]
    assert (cond["type"], cond["status"], cond["reason"], cond["message"]) == (
        "Available", "True", "Local", "Local APIServices are always available")
    assert "v1.apiextensions.k8s.io" in items and "v1.certificates.k8s.io" in items
    # Gated groups are not served, so they get no APIService.
    assert "v1alpha1.storagemigration.k8s.io" not in items
    out = with_apiservices.kubectl("get", "apiservices").stdout.splitlines()
    assert out[0].split() == ["NAME", "SERVICE", "AVAILABLE", "AGE"]
    assert next(line for line in out if line.startswith("v1.apps ")).split()[1:3] == ["Local", "True"]


def test_apiservice_validation_and_columns(with_apiservices):
    api = with_apiservices.client()
    body = {"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService", "metadata": {"name": "v1.wrong.io"},
            "spec": {"group": "metrics.example.io", "version": "v1", "groupPriorityMinimum": 100,
                     "versionPriority": 10, "service": {"namespace": "kube-system", "name": "metrics"}}}
    r = api.post(APISVC, json=body)
    assert r.status_code == 422
    assert r.json()["message"] == (
        'APIService.apiregistration.k8s.io "v1.wrong.io" is invalid: metadata.name: Invalid value: "v1.wrong.io": '
        'must be `spec.version+"."+spec.group`: "v1.metrics.example.io"')
    body["metadata"]["name"] = "v1.metrics.example.io"
    created = api.post(APISVC, json=body)
    assert created.status_code == 201, created.text
    assert created.json()["spec"]["service"]["port"] == 443
    row = next(line for line in with_apiservices.kubectl("get", "apiservice").stdout.splitlines()
               if line.startswith("v1.metrics.example.io"))
    assert row.split()[1:3] == ["kube-system/metrics", "Unknown"]
    status = dict(created.json(), status={"conditions": [
        {"type": "Available", "status": "False", "reason": "MissingEndpoints", "message": "no endpoints"}]})
    assert api.put(f"{APISVC}/v1.metrics.example.io/status", json=status).status_code == 200
    row = next(line for line in with_apiservices.kubectl("get", "apiservice").stdout.splitlines()
               if line.startswith("v1.metrics.example.io"))
    assert row.split()[1:4] == ["kube-system/metrics", "False", "(MissingEndpoints)"]


SVMS = "/apis/storagemigration.k8s.io/v1alpha1/storageversionmigrations"


@pytest.fixture(scope="module")
def svm_cluster(tmp_path_factory):
    from conftest import start_thread_cluster

    from uwernetes.features import FeatureGates

    c, ts = start_thread_cluster(tmp_path_factory.mktemp("svm"), features=FeatureGates({"StorageVersionMigrator": True}))
    try:
        yield c
    finally:
        for client in c._clients:
            client.close()
        ts.stop()


def svm(name: str, **resource) -> dict:
    return {"apiVersion": "storagemigration.k8s.io/v1alpha1", "kind": "StorageVersionMigration",
            "metadata": {"name": name}, "spec": {"resource": resource}}


def test_storage_version_migrations_not_served_without_gate(cluster):
    assert cluster.client().get(SVMS).status_code == 404


def test_storage_version_migration_lifecycle(svm_cluster):
    api = svm_cluster.client()
    r = api.post(SVMS, json=svm("it-missing", group="apps"))
    assert r.status_code == 422
    assert r.json()["message"] == (
        'StorageVersionMigration.storagemigration.k8s.io "it-missing" is invalid: [spec.resource.resource: '
        "Required value: resource is required, spec.resource.version: Required value: version is required]")
    created = api.post(SVMS, json=svm("it-cm", version="v1", resource="configmaps"))
    assert created.status_code == 201, created.text
    obj = created.json()
    obj["spec"]["resource"]["resource"] = "secrets"
    r = api.put(f"{SVMS}/it-cm", json=obj)
    assert r.status_code == 422
    assert r.json()["message"].endswith('resource: Invalid value: "secrets": field is immutable')
    running = dict(created.json(), status={"resourceVersion": "12", "conditions": [
        {"type": "Running", "status": "True", "lastUpdateTime": "2024-05-01T00:00:00Z", "reason": "StorageVersionMigrationInProgress"}]})
    r = api.put(f"{SVMS}/it-cm/status", json=running)
    assert r.status_code == 200, r.text
    done = dict(r.json(), status={"resourceVersion": "13", "conditions": [
        {"type": "Running", "status": "True", "lastUpdateTime": "2024-05-01T00:00:00Z", "reason": "R"},
        {"type": "Succeeded", "status": "True", "lastUpdateTime": "2024-05-01T00:00:00Z", "reason": "S"}]})
    r = api.put(f"{SVMS}/it-cm/status", json=done)
    assert r.status_code == 422
    assert [c["message"] for c in r.json()["details"]["causes"]] == [
        'Invalid value: "13": resourceVersion cannot be updated',
        "Invalid value: []storagemigration.MigrationCondition{...}: Running condition cannot be true when success "
        "condition is true",
    ]
    out = svm_cluster.kubectl("get", "storageversionmigrations").stdout.splitlines()
    assert [line.split() for line in out] == [["NAME", "RESOURCE"], ["it-cm", "configmaps.v1."]]


def test_api_resources_short_names_and_subresources(cluster):
    rows = [line.split() for line in cluster.kubectl("api-resources", "--api-group=certificates.k8s.io").stdout.splitlines()]
    assert rows[1] == ["certificatesigningrequests", "csr", "certificates.k8s.io/v1", "false", "CertificateSigningRequest"]
    rows = [line.split() for line in cluster.kubectl("api-resources", "--api-group=apiregistration.k8s.io").stdout.splitlines()]
    assert rows[1] == ["apiservices", "apiregistration.k8s.io/v1", "false", "APIService"]
    names = [r["name"] for r in cluster.client().get("/apis/certificates.k8s.io/v1").json()["resources"]]
    assert names == ["certificatesigningrequests", "certificatesigningrequests/approval",
                     "certificatesigningrequests/status"]
