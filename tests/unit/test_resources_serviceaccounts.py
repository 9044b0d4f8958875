from datetime import UTC, datetime

from uwernetes.apiserver.resources import leases, serviceaccounts
from uwernetes.apiserver.resources.base import Context

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def test_serviceaccount_type_and_printer():
    rt = serviceaccounts.SERVICEACCOUNTS
    assert (rt.kind, rt.plural, rt.short_names, rt.namespaced) == ("ServiceAccount", "serviceaccounts", ("sa",), True)
    assert rt.subresource("token").kind == "TokenRequest"
    sa = {"metadata": {"name": "default", "creationTimestamp": "2024-05-01T11:59:00Z"}, "secrets": [{"name": "x"}]}
    assert serviceaccounts.table_row(sa, NOW) == ["default", 1, "60s"]
    assert serviceaccounts.table_row({"metadata": {"name": "b"}}, NOW) == ["b", 0, "<unknown>"]


def test_lease_validation_and_printer():
    s = leases.LEASES.strategy
    assert [str(e) for e in s.validate({"spec": {"leaseDurationSeconds": 0, "leaseTransitions": -1}}, Context())] == [
        "spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0",
        "spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0",
    ]
    assert s.validate({"spec": {"holderIdentity": "n1", "leaseDurationSeconds": 40}}, Context()) == []
    lease = {"metadata": {"name": "node-1", "creationTimestamp": "2024-04-30T12:00:00Z"}, "spec": {"holderIdentity": "node-1"}}
    assert leases.table_row(lease, NOW) == ["node-1", "node-1", "24h"]
    assert leases.table_row({"metadata": {"name": "x"}}, NOW)[1] == ""
    assert (leases.LEASES.group, leases.LEASES.version) == ("coordination.k8s.io", "v1")
