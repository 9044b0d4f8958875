"""StorageVersionMigration tables: v1alpha1 validation messages and paths
(pkg/apis/storagemigration/validation), the status strategy, the printer and the feature gate."""

from __future__ import annotations

import pytest

from uwernetes.apiserver.registry import Registry
from uwernetes.apiserver.resources import storageversionmigrations as svms
from uwernetes.apiserver.resources.base import Context
from uwernetes.features import FeatureGates

STRATEGY = svms.STORAGEVERSIONMIGRATIONS.strategy
TIME = "2024-05-01T00:00:00Z"
LIST = "[]storagemigration.MigrationCondition{...}"


def make(rv: str = "", conditions=(), **resource) -> dict:
    obj = {"metadata": {"name": "m"}, "spec": {"resource": resource or {"version": "v1", "resource": "configmaps"}}}
    status: dict = {}
    if rv:
        status["resourceVersion"] = rv
    if conditions:
        status["conditions"] = [
            {"type": t, "status": s, "lastUpdateTime": TIME, "reason": "Reason"} for t, s in conditions
        ]
    if status:
        obj["status"] = status
    return obj


@pytest.mark.parametrize(("obj", "want"), [
    pytest.param(make(), [], id="core resource"),
    pytest.param(make(group="apps", version="v1", resource="deployments"), [], id="grouped"),
    pytest.param(make(group="apps"), ["spec.resource.resource: Required value: resource is required",
                                      "spec.resource.version: Required value: version is required"], id="missing"),
])
def test_validate(obj, want):
    assert [str(e) for e in STRATEGY.validate(obj, Context())] == want


def test_target_is_immutable_at_top_level_paths():
    old = make(group="apps", version="v1", resource="deployments")
    new = make(group="batch", version="v2", resource="jobs")
    assert [str(e) for e in STRATEGY.validate_update(new, old, Context())] == [
        'group: Invalid value: "batch": field is immutable',
        'version: Invalid value: "v2": field is immutable',
        'resource: Invalid value: "jobs": field is immutable',
    ]


def status_errors(new: dict, old: dict) -> list[str]:
    STRATEGY.prepare_for_status_update(new, old, Context())
    return [str(e) for e in STRATEGY.validate_status_update(new, old, Context())]


@pytest.mark.parametrize(("old", "new", "want"), [
    pytest.param(make(), make(rv="10", conditions=[("Running", "True")]), [], id="start"),
    pytest.param(make(), make(rv="abc"), [
        'status.resourceVersion: Invalid value: "abc": failed to parse resource version "abc": strconv.ParseInt: '
        'parsing "abc": invalid syntax'], id="not a number"),
    pytest.param(make(), make(rv="-5"), ["status.resourceVersion: Invalid value: -5: must be greater than or equal to 0"],
                 id="negative"),
    pytest.param(make(rv="10"), make(rv="11"), ['status.resourceVersion: Invalid value: "11": resourceVersion cannot be '
                                                "updated"], id="rv changed"),
    pytest.param(make(), make(conditions=[("Running", "True"), ("Running", "False")]), [
        'status.conditions[1].type: Duplicate value: "Running"'], id="duplicate type"),
    pytest.param(make(), make(conditions=[("Succeeded", "True"), ("Failed", "True")]), [
        f"status.conditions: Invalid value: {LIST}: Both success and failed conditions cannot be true at the same time"],
        id="succeeded and failed"),
    pytest.param(make(), make(conditions=[("Running", "True"), ("Failed", "True")]), [
        f"status.conditions: Invalid value: {LIST}: Running condition cannot be true when failed condition is true"],
        id="running and failed"),
    pytest.param(make(conditions=[("Succeeded", "True")]), make(conditions=[("Succeeded", "False")]), [
        f"status.conditions: Invalid value: {LIST}: Success condition cannot be set to false once it is true"],
        id="un-succeed"),
    pytest.param(make(conditions=[("Failed", "True")]), make(), [
        f"status.conditions: Invalid value: {LIST}: Failed condition cannot be set to false once it is true"],
        id="drop failed"),
])
def test_status_update(old, new, want):
    assert status_errors(new, old) == want


def test_condition_fields():
    new = make()
    new["status"] = {"conditions": [{"type": "bad type", "status": "Maybe", "reason": "1bad", "message": "x" * 32769}]}
    errs = status_errors(new, make())
    assert errs[0].startswith('status.conditions[0].type: Invalid value: "bad type": name part must consist of')
    assert errs[1:] == [
        'status.conditions[0].status: Unsupported value: "Maybe": supported values: "False", "True", "Unknown"',
        "status.conditions[0].lastTransitionTime: Required value: must be set",
        'status.conditions[0].reason: Invalid value: "1bad": a condition reason must start with alphabetic character, '
        "optionally followed by a string of alphanumeric characters or '_,:', and must end with an alphanumeric "
        "character or '_' (e.g. 'my_name',  or 'MY_NAME',  or 'MyName',  or 'ReasonA,ReasonB',  or 'ReasonA:ReasonB', "
        "regex used for validation is '[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?')",
        "status.conditions[0].message: Too long: must have at most 32768 bytes",
    ]


def test_status_write_keeps_spec_and_labels():
    old = make()
    old["metadata"]["labels"] = {"a": "b"}
    new = make(group="apps", version="v1", resource="deployments")
    new["metadata"]["labels"] = {"a": "c"}
    STRATEGY.prepare_for_status_update(new, old, Context())
    assert new["spec"] == old["spec"] and new["metadata"]["labels"] == {"a": "b"}


@pytest.mark.parametrize(("resource", "want"), [
    pytest.param({"group": "apps", "version": "v1", "resource": "deployments"}, "deployments.v1.apps", id="grouped"),
    pytest.param({"version": "v1", "resource": "configmaps"}, "configmaps.v1.", id="core"),
])
def test_table_row(resource, want):
    assert svms.table_row(make(**resource)) == ["m", want]


@pytest.mark.parametrize(("gates", "served"), [
    pytest.param({}, False, id="gate off by default"),
    pytest.param({"StorageVersionMigrator": True}, True, id="gate on"),
])
def test_served_only_with_feature_gate(gates, served):
    registry = Registry(store=None, resources=[svms.STORAGEVERSIONMIGRATIONS], features=FeatureGates(gates))
    assert (registry.resource("storagemigration.k8s.io", "v1alpha1", "storageversionmigrations") is not None) is served
