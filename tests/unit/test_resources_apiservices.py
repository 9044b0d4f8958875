"""APIService tables: kube-aggregator's validation messages and paths, the status strategy, the
table convertor, and the local APIServices built from the served resources."""

from __future__ import annotations

import base64
import datetime

import pytest

from uwernetes.apiserver.resources import apiservices
from uwernetes.apiserver.resources.base import Context, ResourceType

STRATEGY = apiservices.APISERVICES.strategy


def make(name: str = "v1.metrics.example.io", **spec) -> dict:
    base = {"group": "metrics.example.io", "version": "v1", "groupPriorityMinimum": 100, "versionPriority": 10,
            "service": {"namespace": "kube-system", "name": "metrics", "port": 443}}
    base.update(spec)
    return {"metadata": {"name": name}, "spec": {k: v for k, v in base.items() if v is not None}}


def messages(obj: dict) -> list[str]:
    return [str(e) for e in STRATEGY.validate(obj, Context())]


SUBDOMAIN = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and "
             "must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
             "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")


@pytest.mark.parametrize(("obj", "want"), [
    pytest.param(make(), [], id="valid aggregated"),
    pytest.param(make("v1.", group="", service=None, groupPriorityMinimum=18000, versionPriority=1), [],
                 id="valid local core"),
    pytest.param(make("v1.wrong"), ['metadata.name: Invalid value: "v1.wrong": must be `spec.version+"."+spec.group`: '
                                    '"v1.metrics.example.io"'], id="name not version.group"),
    pytest.param(make("a/b"), ["metadata.name: Invalid value: \"a/b\": may not contain '/'"], id="slash in name"),
    pytest.param(make("..", group="", version="."), ["metadata.name: Invalid value: \"..\": may not be '..'",
                                                     "spec.group: Required value: only v1 may have an empty group and "
                                                     "it better be legacy kube",
                                                     'spec.version: Invalid value: ".": a DNS-1035 label must consist of '
                                                     "lower case alphanumeric characters or '-', start with an alphabetic "
                                                     "character, and end with an alphanumeric character (e.g. 'my-name',"
                                                     "  or 'abc-123', regex used for validation is "
                                                     "'[a-z]([-a-z0-9]*[a-z0-9])?')"], id="dotdot"),
    pytest.param(make("v1.Bad", group="Bad"), [f'spec.group: Invalid value: "Bad": {SUBDOMAIN}'], id="bad group"),
    pytest.param(make(groupPriorityMinimum=0, versionPriority=1001), [
        "spec.groupPriorityMinimum: Invalid value: 0: must be positive and less than 20000",
        "spec.versionPriority: Invalid value: 1001: must be positive and less than 1000"], id="priorities"),
    pytest.param(make(service=None, caBundle=base64.b64encode(b"x" * 12).decode(), insecureSkipTLSVerify=True), [
        'spec.caBundle: Invalid value: "12 bytes": local APIServices may not have a caBundle',
        "spec.insecureSkipTLSVerify: Invalid value: true: local APIServices may not have insecureSkipTLSVerify"],
        id="local with TLS settings"),
    pytest.param(make(service={"port": 70000}), [
        "spec.service.namespace: Required value", "spec.service.name: Required value",
        "spec.service.port: Invalid value: 70000: port is not valid: must be between 1 and 65535, inclusive"],
        id="service"),
    pytest.param(make(caBundle=base64.b64encode(b"ca").decode(), insecureSkipTLSVerify=True), [
        "spec.insecureSkipTLSVerify: Invalid value: true: may not be true if caBundle is present"], id="insecure and ca"),
])
def test_validate(obj, want):
    assert messages(obj) == want


def test_service_port_defaults_to_443():
    obj = make(service={"namespace": "ns", "name": "svc"})
    STRATEGY.default(obj)
    assert obj["spec"]["service"]["port"] == 443


def test_status_update_keeps_spec_and_metadata_and_checks_statuses():
    old = make()
    old["metadata"]["labels"] = {"a": "b"}
    new = make(versionPriority=99)
    new["metadata"]["labels"] = {"a": "c"}
    new["status"] = {"conditions": [{"type": "Available", "status": "Maybe"}]}
    STRATEGY.prepare_for_status_update(new, old, Context())
    assert new["spec"] == old["spec"] and new["metadata"]["labels"] == {"a": "b"}
    assert [str(e) for e in STRATEGY.validate_status_update(new, old, Context())] == [
        'status.conditions[0].status: Unsupported value: "Maybe": supported values: "True", "False", "Unknown"']


@pytest.mark.parametrize(("obj", "want"), [
    pytest.param(make("v1.", group="", service=None), ["v1.", "Local", "Unknown"], id="local without status"),
    pytest.param({**make(), "status": {"conditions": [{"type": "Available", "status": "True", "reason": "Passed"}]}},
                 ["v1.metrics.example.io", "kube-system/metrics", "True"], id="available"),
    pytest.param({**make(), "status": {"conditions": [{"type": "Available", "status": "False",
                                                       "reason": "FailedDiscoveryCheck"}]}},
                 ["v1.metrics.example.io", "kube-system/metrics", "False (FailedDiscoveryCheck)"], id="unavailable"),
    pytest.param({**make(), "status": {"conditions": [{"type": "Available", "status": "False"}]}},
                 ["v1.metrics.example.io", "kube-system/metrics", "False"], id="no reason"),
])
def test_table_row(obj, want):
    assert apiservices.table_row(obj)[:3] == want


def rt(group: str, version: str, plural: str, builtin: bool = True) -> ResourceType:
    return ResourceType(group=group, version=version, kind="K", plural=plural, namespaced=False, builtin=builtin)


def test_local_apiservices():
    resources = [rt("", "v1", "pods"), rt("", "v1", "nodes"), rt("apps", "v1", "deployments"),
                 rt("autoscaling", "v2", "horizontalpodautoscalers"), rt("example.io", "v1", "things"),
                 rt("snapshot.storage.k8s.io", "v1", "volumesnapshots", builtin=False)]
    got = apiservices.local_apiservices(resources, now="2024-05-01T00:00:00Z")
    summary = [(o["metadata"]["name"], o["spec"]["groupPriorityMinimum"], o["spec"]["versionPriority"],
                o["metadata"]["labels"][apiservices.AUTOMANAGED_LABEL]) for o in got]
    assert summary == [("v1.", 18000, 1, "onstart"), ("v1.apps", 17800, 15, "onstart"),
                       ("v1.snapshot.storage.k8s.io", 1000, 100, "true"), ("v2.autoscaling", 17500, 30, "onstart")]
    assert got[0]["spec"] == {"group": "", "version": "v1", "groupPriorityMinimum": 18000, "versionPriority": 1}
    assert got[0]["status"]["conditions"] == [{
        "type": "Available", "status": "True", "lastTransitionTime": "2024-05-01T00:00:00Z",
        "reason": "Local", "message": "Local APIServices are always available"}]
    for obj in got:
        assert messages(obj) == []


def test_age_column():
    obj = make()
    obj["metadata"]["creationTimestamp"] = "2024-05-01T00:00:00Z"
    assert apiservices.table_row(obj, datetime.datetime(2024, 5, 1, 0, 0, 30, tzinfo=datetime.UTC))[3] == "30s"
