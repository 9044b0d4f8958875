"""CertificateSigningRequest strategy tables: upstream's validation messages and paths
(pkg/apis/certificates/validation), the three write paths, and the printer."""

from __future__ import annotations

import base64
import copy
import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from uwernetes.apiserver.resources import certificatesigningrequests as csrs
from uwernetes.apiserver.resources.base import Context
from uwernetes.machinery import errors

KEY = ec.generate_private_key(ec.SECP256R1())
NAME = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "alice")])
REQUEST_PEM = x509.CertificateSigningRequestBuilder().subject_name(NAME).sign(KEY, hashes.SHA256()).public_bytes(
    serialization.Encoding.PEM)
_NOW = datetime.datetime(2024, 5, 1, tzinfo=datetime.UTC)
CERT_PEM = (x509.CertificateBuilder().subject_name(NAME).issuer_name(NAME).public_key(KEY.public_key())
            .serial_number(1).not_valid_before(_NOW).not_valid_after(_NOW + datetime.timedelta(days=1))
            .sign(KEY, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))
STRATEGY = csrs.CERTIFICATESIGNINGREQUESTS.strategy
LABEL_MSG = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
             "and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
             "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def make_csr(conditions=None, certificate: bytes | None = None, **spec) -> dict:
    obj = {"metadata": {"name": "c"},
           "spec": {"request": b64(REQUEST_PEM), "signerName": "kubernetes.io/kube-apiserver-client",
                    "usages": ["client auth"], **spec}}
    status: dict = {}
    if conditions is not None:
        status["conditions"] = [{"type": t, "status": s} for t, s in conditions]
    if certificate is not None:
        status["certificate"] = b64(certificate)
    if status:
        obj["status"] = status
    return obj


def messages(errs) -> list[str]:
    return [str(e) for e in errs]


@pytest.mark.parametrize(("signer", "want"), [
    pytest.param("kubernetes.io/kube-apiserver-client", [], id="valid"),
    pytest.param("example.com/a.b-c", [], id="dotted path"),
    pytest.param("", ["spec.signerName: Required value"], id="empty"),
    pytest.param("example", ["spec.signerName: Invalid value: \"example\": must be a fully qualified domain and path "
                             "of the form 'example.com/signer-name'"], id="no slash"),
    pytest.param("a.io/b/c", ["spec.signerName: Invalid value: \"a.io/b/c\": must be a fully qualified domain and path "
                              "of the form 'example.com/signer-name'"], id="two slashes"),
    pytest.param("example/x", ['spec.signerName: Invalid value: "example": should be a domain with at least two '
                               "segments separated by dots"], id="one domain label"),
    pytest.param("Example.com/x", [f'spec.signerName: Invalid value: "Example.com": validating label "Example": '
                                   f"{LABEL_MSG}"], id="uppercase domain label"),
    pytest.param("example.com/" + "a" * 254, ['spec.signerName: Invalid value: "' + "a" * 254 + '": validating label "'
                                              + "a" * 254 + '": must be no more than 253 characters'],
                 id="path label too long"),
])
def test_validate_signer_name(signer, want):
    assert messages(csrs.validate_signer_name("spec.signerName", signer)) == want


USAGES = ", ".join(f'"{u}"' for u in csrs.VALID_USAGES)


@pytest.mark.parametrize(("obj", "want"), [
    pytest.param(make_csr(), [], id="valid"),
    pytest.param(make_csr(usages=[]), ["spec.usages: Required value"], id="no usages"),
    pytest.param(make_csr(usages=["client auth", "bogus", "client auth"]), [
        f'spec.usages[1]: Unsupported value: "bogus": supported values: {USAGES}',
        'spec.usages[2]: Duplicate value: "client auth"'], id="unknown and duplicate usages"),
    pytest.param(make_csr(signerName="kubernetes.io/legacy-unknown"), [
        'spec.signerName: Invalid value: "kubernetes.io/legacy-unknown": the legacy signerName is not allowed via '
        "this API version"], id="legacy signer"),
    pytest.param(make_csr(expirationSeconds=599), [
        "spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 600 seconds (10 minutes)"],
        id="short expiration"),
    pytest.param(make_csr(expirationSeconds=600), [], id="ten minutes"),
    pytest.param(make_csr(request=b64(b"hi")), [
        "spec.request: Invalid value: []byte{0x68, 0x69}: PEM block type must be CERTIFICATE REQUEST"], id="not PEM"),
    pytest.param(make_csr(request=b64(CERT_PEM)), [
        "spec.request: Invalid value: []byte{" + ", ".join(f"0x{b:x}" for b in CERT_PEM)
        + "}: PEM block type must be CERTIFICATE REQUEST"], id="certificate instead of request"),
    pytest.param(make_csr(conditions=[("Approved", "False"), ("Custom", "Maybe"), ("", "True")]), [
        'status.conditions[0].status: Unsupported value: "False": supported values: "True"',
        'status.conditions[1].status: Unsupported value: "Maybe": supported values: "False", "True", "Unknown"',
        "status.conditions[2].type: Required value"], id="condition statuses"),
    pytest.param(make_csr(conditions=[("Denied", "True"), ("Approved", "True"), ("Denied", "True")]), [
        'status.conditions[1].type: Invalid value: "Approved": Approved and Denied conditions are mutually exclusive',
        'status.conditions[2].type: Invalid value: "Denied": Approved and Denied conditions are mutually exclusive',
        'status.conditions[2].type: Duplicate value: "Denied"'], id="approved and denied"),
])
def test_validate_create(obj, want):
    assert messages(STRATEGY.validate(obj, Context())) == want


def test_bad_signature_is_reported():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    der = bytearray(x509.CertificateSigningRequestBuilder().subject_name(NAME).sign(key, hashes.SHA256())
                    .public_bytes(serialization.Encoding.DER))
    der[-1] ^= 0xFF
    pem = b"-----BEGIN CERTIFICATE REQUEST-----\n" + base64.encodebytes(bytes(der)) + b"-----END CERTIFICATE REQUEST-----\n"
    assert csrs.check_csr(pem) == "crypto/rsa: verification error"


@pytest.mark.parametrize(("data", "want"), [
    pytest.param(b"", None, id="empty"),
    pytest.param(CERT_PEM, None, id="one certificate"),
    pytest.param(CERT_PEM + CERT_PEM, None, id="chain"),
    pytest.param(b"junk", "must contain at least one CERTIFICATE PEM block", id="no blocks"),
    pytest.param(REQUEST_PEM, 'only CERTIFICATE PEM blocks are allowed, found "CERTIFICATE REQUEST"', id="wrong type"),
    pytest.param(b"-----BEGIN CERTIFICATE-----\nProc-Type: 4,ENCRYPTED\n\nAAAA\n-----END CERTIFICATE-----\n",
                 "no PEM block headers are permitted", id="headers"),
])
def test_check_certificate(data, want):
    assert csrs.check_certificate(data) == want


def update(new: dict, old: dict, subresource: str = "") -> list[str]:
    ctx = Context(subresource=subresource)
    if subresource == "status":
        STRATEGY.prepare_for_status_update(new, old, ctx)
        return messages(STRATEGY.validate_status_update(new, old, ctx))
    STRATEGY.prepare_for_update(new, old, ctx)
    return messages(STRATEGY.validate_update(new, old, ctx))


def test_main_update_keeps_spec_and_status():
    old = make_csr(conditions=[("Approved", "True")])
    new = make_csr(usages=["server auth"], conditions=[("Denied", "True")], certificate=CERT_PEM)
    assert update(new, old) == []
    assert new["spec"] == old["spec"] and new["status"] == old["status"]


@pytest.mark.parametrize(("old_conditions", "new_conditions", "want"), [
    pytest.param([], [("Approved", "True")], [], id="approve"),
    pytest.param([], [("Denied", "True")], [], id="deny"),
    pytest.param([("Approved", "True")], [], ['status.conditions: Forbidden: updates may not remove a condition of '
                                               'type "Approved"'], id="remove approved"),
    pytest.param([("Failed", "True")], [("Approved", "True")], [
        'status.conditions: Forbidden: updates may not remove a condition of type "Failed"'], id="remove failed"),
    pytest.param([("Approved", "True")], [("Approved", "True"), ("Denied", "True")], [
        'status.conditions[1].type: Invalid value: "Denied": Approved and Denied conditions are mutually exclusive'],
        id="deny approved"),
    pytest.param([("Approved", "True"), ("Denied", "True")], [("Approved", "True"), ("Denied", "True")], [],
                 id="stored conflict tolerated"),
])
def test_approval_update(old_conditions, new_conditions, want):
    old, new = make_csr(conditions=old_conditions), make_csr(conditions=new_conditions, usages=["server auth"])
    assert update(new, old, "approval") == want
    assert new["spec"] == old["spec"]
    for c in new["status"].get("conditions", []):
        assert c["lastUpdateTime"] and c["lastTransitionTime"]


@pytest.mark.parametrize(("old", "new", "want"), [
    pytest.param(make_csr(), make_csr(certificate=CERT_PEM), [], id="issue"),
    pytest.param(make_csr(), make_csr(certificate=b"junk"), [
        'status.certificate: Invalid value: "<certificate data>": must contain at least one CERTIFICATE PEM block'],
        id="issue junk"),
    pytest.param(make_csr(certificate=CERT_PEM), make_csr(certificate=CERT_PEM + CERT_PEM), [
        "status.certificate: Forbidden: updates may not modify existing certificate content"], id="reissue"),
    pytest.param(make_csr(), make_csr(conditions=[("Failed", "True")]), [], id="fail"),
])
def test_status_update(old, new, want):
    assert update(new, old, "status") == want


def test_status_cannot_approve_and_keeps_stored_approval():
    old = make_csr(conditions=[("Approved", "True")])
    old["status"]["conditions"][0].update(reason="Stored", lastUpdateTime="2024-05-01T00:00:00Z",
                                          lastTransitionTime="2024-05-01T00:00:00Z")
    new = make_csr(conditions=[("Approved", "True")], certificate=CERT_PEM)
    assert update(new, old, "status") == []
    assert new["status"]["conditions"][0]["reason"] == "Stored"
    added = make_csr(conditions=[("Denied", "True")])
    assert update(added, make_csr(), "status") == [
        'status.conditions: Forbidden: updates may not add a condition of type "Denied"']


def test_main_path_cannot_set_certificate():
    old, new = make_csr(), make_csr(certificate=CERT_PEM)
    errs = csrs.validate_csr_update(new, old, csrs.options_for(new, old))
    assert messages(errs) == ["status.certificate: Forbidden: updates may not set certificate content"]


def test_create_stamps_requester_and_clears_status():
    obj = make_csr(conditions=[("Approved", "True")], username="mallory", uid="x", extra={"a": ["b"]})
    STRATEGY.prepare_for_create(obj, Context(user="bob", groups=("dev", "system:authenticated")))
    assert obj["spec"]["username"] == "bob" and obj["spec"]["groups"] == ["dev", "system:authenticated"]
    assert "uid" not in obj["spec"] and "extra" not in obj["spec"] and obj["status"] == {}


def test_transition_time_kept_from_same_condition():
    old = make_csr(conditions=[("Approved", "True")])
    old["status"]["conditions"][0]["lastTransitionTime"] = "2020-01-01T00:00:00Z"
    new = copy.deepcopy(old)
    del new["status"]["conditions"][0]["lastTransitionTime"]
    csrs.populate_condition_timestamps(new, old, "2024-05-01T00:00:00Z")
    assert new["status"]["conditions"][0] == {"type": "Approved", "status": "True",
                                              "lastUpdateTime": "2024-05-01T00:00:00Z",
                                              "lastTransitionTime": "2020-01-01T00:00:00Z"}


def test_undecodable_request_is_a_bad_request():
    obj = make_csr(request="abc$def")
    with pytest.raises(errors.StatusError) as e:
        STRATEGY.default(obj)
    assert (e.value.code, e.value.message) == (400, 'CertificateSigningRequest in version "v1" cannot be handled as a '
                                                    "CertificateSigningRequest: illegal base64 data at input byte 3")


@pytest.mark.parametrize(("obj", "want"), [
    pytest.param(make_csr(), "Pending", id="pending"),
    pytest.param(make_csr(conditions=[("Approved", "True")]), "Approved", id="approved"),
    pytest.param(make_csr(conditions=[("Approved", "True")], certificate=CERT_PEM), "Approved,Issued", id="issued"),
    pytest.param(make_csr(conditions=[("Approved", "True"), ("Denied", "True")]), "Denied", id="denied wins"),
    pytest.param(make_csr(conditions=[("Approved", "True"), ("Failed", "True")]), "Approved,Failed", id="failed"),
])
def test_condition_column(obj, want):
    assert csrs.condition_summary(obj) == want


def test_table_row():
    obj = make_csr(expirationSeconds=3600, username="bob")
    obj["metadata"]["creationTimestamp"] = "2024-05-01T00:00:00Z"
    now = datetime.datetime(2024, 5, 1, 0, 5, tzinfo=datetime.UTC)
    assert csrs.table_row(obj, now) == ["c", "5m", "kubernetes.io/kube-apiserver-client", "bob", "60m", "Pending"]
    del obj["spec"]["expirationSeconds"], obj["spec"]["signerName"]
    assert csrs.table_row(obj, now)[2:5] == ["<none>", "bob", "<none>"]
