from datetime import UTC, datetime

import pytest

from uwernetes.apiserver.resources import nodes
from uwernetes.apiserver.resources.base import Context

S = nodes.NODES.strategy
NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def msgs(errs):
    return [str(e) for e in errs]


def test_type_and_field_selector():
    rt = nodes.NODES
    assert (rt.kind, rt.plural, rt.namespaced, rt.short_names) == ("Node", "nodes", False, ("no",))
    assert rt.field_selectors["spec.unschedulable"]({"spec": {"unschedulable": True}}) == "true"
    assert rt.field_selectors["spec.unschedulable"]({}) == "false"


def test_create_keeps_status_and_defaults_allocatable():
    node = {"metadata": {"name": "n1"}, "spec": {"podCIDR": "10.244.0.0/24"}, "status": {"capacity": {"cpu": "4"}}}
    S.default(node)
    S.prepare_for_create(node, Context())
    assert node["status"] == {"capacity": {"cpu": "4"}, "allocatable": {"cpu": "4"}}
    assert node["spec"]["podCIDRs"] == ["10.244.0.0/24"]


def test_update_keeps_status_status_update_keeps_spec():
    old = {"metadata": {"name": "n1"}, "spec": {"unschedulable": True}, "status": {"phase": "Running"}}
    new = {"metadata": {"name": "n1"}, "spec": {}, "status": {"phase": "x"}}
    S.prepare_for_update(new, old, Context())
    assert new["status"] == {"phase": "Running"}
    new2 = {"metadata": {"name": "n1"}, "spec": {}, "status": {"phase": "x"}}
    S.prepare_for_status_update(new2, old, Context())
    assert new2["spec"] == {"unschedulable": True} and new2["status"] == {"phase": "x"}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param({"taints": [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]}, [], id="valid taint"),
        pytest.param(
            {"taints": [{"key": "k", "effect": "NoRun"}]},
            ['metadata.taints[0].effect: Unsupported value: "NoRun": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"'],
            id="bad effect",
        ),
        pytest.param({"taints": [{"key": "k"}]}, ["metadata.taints[0].effect: Required value"], id="missing effect"),
        pytest.param(
            {"taints": [{"key": "k", "effect": "NoSchedule"}, {"key": "k", "value": "v", "effect": "NoSchedule"}]},
            ['metadata.taints[1]: Duplicate value: core.Taint{Key:"k", Value:"v", Effect:"NoSchedule", TimeAdded:<nil>}: taints must be unique by key and effect pair'],
            id="duplicate taint",
        ),
        pytest.param({"taints": [{"key": "k", "effect": "NoSchedule"}, {"key": "k", "effect": "NoExecute"}]}, [], id="same key other effect"),
        pytest.param({"podCIDRs": ["10.244.0.0/24", "fd00::/64"]}, [], id="dual stack"),
        pytest.param({"podCIDRs": ["10.244.0.0"]}, ['spec.podCIDRs[0]: Invalid value: []string{"10.244.0.0"}: must be valid CIDR'], id="bad cidr"),
        pytest.param(
            {"podCIDRs": ["10.244.0.0/24", "10.245.0.0/24"]},
            ['spec.podCIDRs: Invalid value: []string{"10.244.0.0/24", "10.245.0.0/24"}: may specify no more than one CIDR for each IP family'],
            id="two v4",
        ),
    ],
)
def test_validate(spec, expected):
    assert msgs(S.validate({"metadata": {"name": "n"}, "spec": spec}, Context())) == expected


def test_pod_cidr_may_only_be_set_once():
    old = {"spec": {"podCIDRs": ["10.244.0.0/24"]}}
    assert msgs(S.validate_update({"spec": {"podCIDRs": ["10.244.1.0/24"]}}, old, Context())) == [
        'spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid'
    ]
    assert S.validate_update({"spec": {"podCIDRs": ["10.244.0.0/24"]}}, {"spec": {}}, Context()) == []


def ready(status: str) -> dict:
    return {"type": "Ready", "status": status}


@pytest.mark.parametrize(
    ("node", "cells"),
    [
        pytest.param(
            {"metadata": {"name": "n1", "creationTimestamp": "2024-04-30T12:00:00Z", "labels": {"node-role.kubernetes.io/control-plane": "", "node-role.kubernetes.io/master": "", "kubernetes.io/role": "infra"}},
             "status": {"conditions": [ready("True")], "nodeInfo": {"kubeletVersion": "v1.30.0", "osImage": "Debian", "kernelVersion": "6.1", "containerRuntimeVersion": "uwe://1"},
                        "addresses": [{"type": "InternalIP", "address": "10.0.0.1"}, {"type": "Hostname", "address": "n1"}]}},
            ["n1", "Ready", "control-plane,infra,master", "24h", "v1.30.0", "10.0.0.1", "<none>", "Debian", "6.1", "uwe://1"],
            id="ready control plane",
        ),
        pytest.param(
            {"metadata": {"name": "n2"}, "spec": {"unschedulable": True}, "status": {"conditions": [ready("Unknown")]}},
            ["n2", "NotReady,SchedulingDisabled", "<none>", "<unknown>", "", "<none>", "<none>", "<unknown>", "<unknown>", "<unknown>"],
            id="not ready cordoned",
        ),
        pytest.param(
            {"metadata": {"name": "n3"}, "spec": {"unschedulable": True}},
            ["n3", "Unknown,SchedulingDisabled", "<none>", "<unknown>", "", "<none>", "<none>", "<unknown>", "<unknown>", "<unknown>"],
            id="no conditions",
        ),
    ],
)
def test_printer(node, cells):
    assert nodes.table_row(node, NOW) == cells
    assert [c.name for c in nodes.PRINTER.columns if c.priority == 0] == ["Name", "Status", "Roles", "Age", "Version"]
