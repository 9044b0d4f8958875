from datetime import UTC, datetime

import pytest

from uwernetes.apiserver.resources import namespaces
from uwernetes.apiserver.resources.base import Context

S = namespaces.NAMESPACES.strategy
NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def msgs(errs):
    return [str(e) for e in errs]


def test_resource_type_names():
    rt = namespaces.NAMESPACES
    assert (rt.group, rt.version, rt.kind, rt.plural, rt.namespaced) == ("", "v1", "Namespace", "namespaces", False)
    assert rt.short_names == ("ns",)
    assert "deletecollection" not in rt.verbs
    assert [s.name for s in rt.subresources] == ["finalize", "status"]


def test_create_defaults_finalizer_phase_and_name_label():
    ns = {"metadata": {"name": "team-a", "labels": {"kubernetes.io/metadata.name": "other"}}, "status": {"phase": "Terminating"}}
    S.default(ns)
    S.prepare_for_create(ns, Context())
    assert ns["spec"] == {"finalizers": ["kubernetes"]}
    assert ns["status"] == {"phase": "Active"}
    assert ns["metadata"]["labels"] == {"kubernetes.io/metadata.name": "team-a"}


def test_create_appends_kubernetes_finalizer_after_others():
    ns = {"metadata": {"name": "a"}, "spec": {"finalizers": ["example.com/x"]}}
    S.prepare_for_create(ns, Context())
    assert ns["spec"]["finalizers"] == ["example.com/x", "kubernetes"]


def test_update_keeps_finalizers_and_status_and_restores_label():
    old = {"metadata": {"name": "a", "labels": {"kubernetes.io/metadata.name": "a"}}, "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}
    new = {"metadata": {"name": "a", "labels": {"x": "y"}}, "spec": {"finalizers": []}, "status": {"phase": "Terminating"}}
    S.default(new)
    S.prepare_for_update(new, old, Context())
    assert new["spec"]["finalizers"] == ["kubernetes"]
    assert new["status"] == {"phase": "Active"}
    assert new["metadata"]["labels"] == {"x": "y", "kubernetes.io/metadata.name": "a"}


def test_name_must_be_dns_label():
    assert S.name_check("Team_A")
    assert S.name_check("a.b")
    assert S.name_check("team-a") == []


@pytest.mark.parametrize(
    ("finalizers", "expected"),
    [
        pytest.param(["kubernetes"], [], id="standard"),
        pytest.param(["example.com/cleanup"], [], id="qualified"),
        pytest.param(
            ["foo"],
            ['spec.finalizers[0]: Invalid value: "foo": name is neither a standard finalizer name nor is it fully qualified'],
            id="unqualified",
        ),
    ],
)
def test_finalizer_validation(finalizers, expected):
    assert msgs(S.validate({"spec": {"finalizers": finalizers}}, Context())) == expected
    assert msgs(S.validate_finalize_update({"spec": {"finalizers": finalizers}}, {}, Context())) == expected


@pytest.mark.parametrize(
    ("deleting", "phase", "expected"),
    [
        pytest.param(False, "Active", [], id="active"),
        pytest.param(False, "Terminating", ["status.Phase: Invalid value: \"Terminating\": may only be 'Active' if `deletionTimestamp` is empty"], id="terminating-not-deleted"),
        pytest.param(True, "Active", ["status.Phase: Invalid value: \"Active\": may only be 'Terminating' if `deletionTimestamp` is not empty"], id="active-deleted"),
        pytest.param(True, "Terminating", [], id="terminating"),
    ],
)
def test_status_update_phase(deleting, phase, expected):
    new = {"metadata": {"name": "a", **({"deletionTimestamp": "2024-01-01T00:00:00Z"} if deleting else {})}, "status": {"phase": phase}}
    assert msgs(S.validate_status_update(new, {}, Context())) == expected


def test_delete_holds_while_spec_finalizers_and_turns_terminating():
    ns = {"metadata": {"name": "a"}, "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}
    assert S.graceful_hold(ns)
    S.prepare_for_delete(ns)
    assert ns["status"]["phase"] == "Terminating"
    assert not S.graceful_hold({"spec": {}})


def test_printer_row():
    ns = {"metadata": {"name": "default", "creationTimestamp": "2024-05-01T11:00:00Z"}, "status": {"phase": "Active"}}
    assert namespaces.PRINTER.row(ns)[:2] == ["default", "Active"]
    assert namespaces.table_row(ns, NOW) == ["default", "Active", "60m"]
    assert [c.name for c in namespaces.PRINTER.columns] == ["Name", "Status", "Age"]
