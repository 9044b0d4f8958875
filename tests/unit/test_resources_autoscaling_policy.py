"""HorizontalPodAutoscaler (v2 and v1) and PodDisruptionBudget: defaults, validation messages,
v1 <-> v2 conversion, printer rows; and the eviction subresource's pure decisions."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from uwernetes.apiserver import eviction
from uwernetes.apiserver.resources import horizontalpodautoscalers as hpa
from uwernetes.apiserver.resources import poddisruptionbudgets as pdb
from uwernetes.apiserver.resources.base import Context
from uwernetes.machinery.errors import StatusError

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
CTX = Context()


def messages(errs) -> list[str]:
    return [str(e) for e in errs]


# --------------------------------------------------------------------------------------------
# PodDisruptionBudget
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("spec", "want"), [
    pytest.param({"minAvailable": 1, "selector": {"matchLabels": {"a": "b"}}}, [], id="valid"),
    pytest.param({"maxUnavailable": "30%"}, [], id="percent, no selector"),
    pytest.param({"minAvailable": -1}, ["spec.minAvailable: Invalid value: -1: must be greater than or equal to 0"], id="negative"),
    pytest.param({"minAvailable": "150%"}, [
        'spec.minAvailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"150%"}: must not be greater than 100%',
    ], id="over 100%"),
    pytest.param({"maxUnavailable": "ten"}, [
        "spec.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"ten\"}: a valid percent string must be "
        "a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
    ], id="not a percent"),
    pytest.param({"minAvailable": 1, "maxUnavailable": 1}, [
        "spec: Invalid value: policy.PodDisruptionBudgetSpec{MinAvailable:(*intstr.IntOrString)(0xc000000000), "
        "Selector:(*v1.LabelSelector)(nil), MaxUnavailable:(*intstr.IntOrString)(0xc000000000), "
        "UnhealthyPodEvictionPolicy:(*policy.UnhealthyPodEvictionPolicyType)(nil)}: minAvailable and maxUnavailable cannot be both set",
    ], id="both set"),
    pytest.param({"unhealthyPodEvictionPolicy": "Sometimes"}, [
        'spec.unhealthyPodEvictionPolicy: Unsupported value: "Sometimes": supported values: "AlwaysAllow", "IfHealthyBudget"',
    ], id="unknown eviction policy"),
    pytest.param({"selector": {"matchExpressions": [{"key": "a", "operator": "In", "values": ["no spaces"]}]}}, [
        "spec.selector.matchExpressions[0].values[0]: Invalid value: \"no spaces\": a valid label must be an empty string or consist "
        "of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
        "'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
    ], id="bad selector value"),
])
def test_pdb_validation(spec, want):
    assert messages(pdb.validate_spec(spec)) == want


def test_pdb_update_keeps_tolerating_an_existing_bad_selector_value():
    bad = {"spec": {"selector": {"matchExpressions": [{"key": "a", "operator": "In", "values": ["x y"]}]}}}
    assert pdb.PodDisruptionBudgetStrategy().validate_update(bad, bad, CTX) == []


@pytest.mark.parametrize(("status", "want"), [
    pytest.param({"disruptionsAllowed": -1, "expectedPods": 1}, ["status.disruptionsAllowed: Invalid value: -1: must be greater than or equal to 0"], id="negative"),
    pytest.param({"conditions": [{"type": "DisruptionAllowed", "status": "Maybe", "reason": "1bad"}]}, [
        'status.conditions[0].status: Unsupported value: "Maybe": supported values: "False", "True", "Unknown"',
        "status.conditions[0].lastTransitionTime: Required value: must be set",
        "status.conditions[0].reason: Invalid value: \"1bad\": a condition reason must start with alphabetic character, optionally "
        "followed by a string of alphanumeric characters or '_,:', and must end with an alphanumeric character or '_' (e.g. "
        "'my_name',  or 'MY_NAME',  or 'MyName',  or 'ReasonA,ReasonB',  or 'ReasonA:ReasonB', regex used for validation is "
        "'[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?')",
    ], id="bad condition"),
])
def test_pdb_status_validation(status, want):
    assert messages(pdb.validate_status(status)) == want


def test_pdb_create_starts_with_zero_status():
    obj = {"spec": {"minAvailable": 1}, "status": {"disruptionsAllowed": 5}}
    pdb.PodDisruptionBudgetStrategy().prepare_for_create(obj, CTX)
    assert obj["status"] == {"disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 0, "expectedPods": 0}


@pytest.mark.parametrize(("spec", "allowed", "want"), [
    ({"minAvailable": 2}, 1, ["p", "2", "N/A", 1, "5m"]),
    ({"maxUnavailable": "25%"}, 0, ["p", "N/A", "25%", 0, "5m"]),
])
def test_pdb_row(spec, allowed, want):
    obj = {"metadata": {"name": "p", "creationTimestamp": "2024-05-01T11:55:00Z"}, "spec": spec,
           "status": {"disruptionsAllowed": allowed}}
    assert pdb.table_row(obj, NOW) == want
    assert [c.name for c in pdb.PRINTER.columns] == ["Name", "Min Available", "Max Unavailable", "Allowed Disruptions", "Age"]


# --------------------------------------------------------------------------------------------
# eviction decisions
# --------------------------------------------------------------------------------------------


def a_pod(phase: str = "Running", ready: bool = True, deleting: bool = False, labels: dict | None = None) -> dict:
    meta = {"name": "p", "namespace": "ns", "labels": labels if labels is not None else {"app": "a"}}
    if deleting:
        meta["deletionTimestamp"] = "2024-05-01T12:00:00Z"
    return {"metadata": meta, "status": {"phase": phase, "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}


@pytest.mark.parametrize(("pod", "ignore", "enforce_rv"), [
    pytest.param(a_pod("Running"), False, True, id="running"),
    pytest.param(a_pod("Pending"), True, True, id="pending"),
    pytest.param(a_pod("Succeeded"), True, False, id="succeeded"),
    pytest.param(a_pod("Failed"), True, False, id="failed"),
    pytest.param(a_pod("Running", deleting=True), True, False, id="terminating"),
])
def test_terminal_and_pending_pods_skip_budgets(pod, ignore, enforce_rv):
    assert eviction.can_ignore_pdb(pod) is ignore
    assert eviction.should_enforce_resource_version(pod) is enforce_rv


def budget(name: str, selector, ns: str = "ns", **status) -> dict:
    return {"metadata": {"name": name, "namespace": ns, "generation": 1}, "spec": {"selector": selector},
            "status": {"observedGeneration": 1, **status}}


def test_matching_pdbs_ignore_empty_nil_and_other_namespaces():
    pdbs = [budget("match", {"matchLabels": {"app": "a"}}), budget("empty", {}), budget("nil", None),
            budget("other-ns", {"matchLabels": {"app": "a"}}, ns="x"), budget("nope", {"matchLabels": {"app": "b"}})]
    assert [p["metadata"]["name"] for p in eviction.matching_pdbs(a_pod(), pdbs)] == ["match"]


def test_check_and_decrement_takes_one_disruption_and_records_the_pod():
    b = budget("web", {}, disruptionsAllowed=1, currentHealthy=2, desiredHealthy=1)
    status = eviction.check_and_decrement(b, "p", "2024-05-01T12:00:00Z", dry_run=False)
    assert status["disruptionsAllowed"] == 0
    assert status["disruptedPods"] == {"p": "2024-05-01T12:00:00Z"}
    assert [(c["type"], c["status"], c["reason"]) for c in status["conditions"]] == [("DisruptionAllowed", "False", "InsufficientPods")]
    assert b["status"]["disruptionsAllowed"] == 1  # the cached budget is left alone
    assert eviction.check_and_decrement(b, "p", "t", dry_run=True) is None


@pytest.mark.parametrize(("b", "code", "message", "cause", "retry"), [
    pytest.param(budget("web", {}, disruptionsAllowed=0, currentHealthy=1, desiredHealthy=1), 429,
                 "Cannot evict pod as it would violate the pod's disruption budget.",
                 "The disruption budget web needs 1 healthy pods and has 1 currently", None, id="exhausted"),
    pytest.param({**budget("web", {}, disruptionsAllowed=3), "metadata": {"name": "web", "generation": 2}}, 429,
                 "Cannot evict pod as it would violate the pod's disruption budget.",
                 "The disruption budget web is still being processed by the server.", 10, id="not observed yet"),
    pytest.param(budget("web", {}, disruptionsAllowed=-1), 403,
                 'poddisruptionbudget.policy "web" is forbidden: pdb disruptions allowed is negative', None, None, id="negative"),
])
def test_check_and_decrement_refusals(b, code, message, cause, retry):
    with pytest.raises(StatusError) as e:
        eviction.check_and_decrement(b, "p", "t", dry_run=False)
    assert (e.value.code, e.value.message) == (code, message)
    if cause:
        assert e.value.details["causes"] == [{"reason": "DisruptionBudget", "message": cause}]
        assert e.value.details.get("retryAfterSeconds") == retry


@pytest.mark.parametrize(("pod", "spec", "status", "skip"), [
    pytest.param(a_pod(ready=True), {}, {"currentHealthy": 3, "desiredHealthy": 2}, False, id="ready pods always spend budget"),
    pytest.param(a_pod(ready=False), {}, {"currentHealthy": 2, "desiredHealthy": 2}, True, id="unready, budget met"),
    pytest.param(a_pod(ready=False), {}, {"currentHealthy": 1, "desiredHealthy": 2}, False, id="unready, budget not met"),
    pytest.param(a_pod(ready=False), {"unhealthyPodEvictionPolicy": "IfHealthyBudget"}, {"currentHealthy": 0, "desiredHealthy": 0}, False, id="nothing desired"),
    pytest.param(a_pod(ready=False), {"unhealthyPodEvictionPolicy": "AlwaysAllow"}, {"currentHealthy": 0, "desiredHealthy": 2}, True, id="AlwaysAllow"),
])
def test_unhealthy_pod_eviction_policy(pod, spec, status, skip):
    assert eviction.may_skip_budget(pod, {"spec": spec, "status": status}) is skip


def test_dry_run_options_must_agree():
    assert eviction.propagate_dry_run({"deleteOptions": {"gracePeriodSeconds": 3}}, ["All"]) == {"gracePeriodSeconds": 3, "dryRun": ["All"]}
    with pytest.raises(StatusError, match=r"Non-matching dry-run options in request and content: \[All\] and \[Other\]"):
        eviction.propagate_dry_run({"deleteOptions": {"dryRun": ["Other"]}}, ["All"])


def test_disruption_target_condition():
    pod = a_pod()
    eviction.set_pod_disruption_target(pod, "2024-05-01T12:00:00Z")
    assert pod["status"]["conditions"][-1] == {"type": "DisruptionTarget", "status": "True", "lastProbeTime": None,
                                               "lastTransitionTime": "2024-05-01T12:00:00Z",
                                               "reason": "EvictionByEvictionAPI", "message": "Eviction API: evicting"}


# --------------------------------------------------------------------------------------------
# HorizontalPodAutoscaler: defaults
# --------------------------------------------------------------------------------------------

REF = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}
CPU50 = {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}
QPS = {"type": "Pods", "pods": {"metric": {"name": "qps"}, "target": {"type": "AverageValue", "averageValue": "1k"}}}
MEM = {"type": "Resource", "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "100Mi"}}}


def v2(spec: dict, status: dict | None = None, annotations: dict | None = None) -> dict:
    meta: dict = {"name": "h", "namespace": "ns"}
    if annotations:
        meta["annotations"] = annotations
    obj = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": meta,
           "spec": {"scaleTargetRef": REF, "maxReplicas": 5, **spec}}
    if status is not None:
        obj["status"] = status
    return obj


def test_v2_defaults():
    obj = v2({"behavior": {"scaleDown": {"stabilizationWindowSeconds": 60}}})
    hpa.default_v2(obj)
    spec = obj["spec"]
    assert spec["minReplicas"] == 1
    assert spec["metrics"] == [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]
    assert spec["behavior"] == {
        "scaleDown": {"selectPolicy": "Max", "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}],
                      "stabilizationWindowSeconds": 60},
        "scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Max",
                    "policies": [{"type": "Pods", "value": 4, "periodSeconds": 15}, {"type": "Percent", "value": 100, "periodSeconds": 15}]},
    }
    no_behavior = v2({})
    hpa.default_v2(no_behavior)
    assert "behavior" not in no_behavior["spec"]


# --------------------------------------------------------------------------------------------
# HorizontalPodAutoscaler: validation (upstream ValidateHorizontalPodAutoscaler cases)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("spec", "want"), [
    pytest.param({"minReplicas": 1, "metrics": [CPU50]}, [], id="valid"),
    pytest.param({"minReplicas": 0, "metrics": [CPU50]}, [
        "spec.minReplicas: Invalid value: 0: must be greater than or equal to 1",
        "spec.metrics: Forbidden: must specify at least one Object or External metric to support scaling to zero replicas",
    ], id="scale to zero without the gate"),
    pytest.param({"minReplicas": 3, "maxReplicas": 2, "metrics": [CPU50]}, [
        "spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`",
    ], id="max below min"),
    pytest.param({"scaleTargetRef": {"name": ".."}, "metrics": [CPU50]}, [
        "spec.scaleTargetRef.kind: Required value", "spec.scaleTargetRef.name: Invalid value: \"..\": may not be '..'",
    ], id="scale target ref"),
    pytest.param({"metrics": [{"type": "ContainerResource", "containerResource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}}}]}, [
        "spec.metrics[0].containerResource.container: Required value: must specify a container",
    ], id="container resource needs a container"),
    pytest.param({"metrics": [{"type": "ContainerResource", "containerResource": {"name": "cpu", "container": "App_1", "target": {"type": "Utilization", "averageUtilization": 60}}}]}, [
        "spec.metrics[0].containerResource.container: Invalid value: \"App_1\": a lowercase RFC 1123 label must consist of lower "
        "case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or "
        "'123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    ], id="container name is a DNS label"),
    pytest.param({"metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50, "averageValue": "100m"}}}]}, [
        "spec.metrics[0].resource.target.averageValue: Forbidden: may not set both a target raw value and a target utilization",
    ], id="both targets"),
    pytest.param({"metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Bogus"}}}]}, [
        'spec.metrics[0].resource.target.type: Invalid value: "Bogus": must be either Utilization, Value, or AverageValue',
        "spec.metrics[0].resource.target.averageUtilization: Required value: must set either a target raw value or a target utilization",
    ], id="bad target type"),
    pytest.param({"metrics": [{"type": "Pods", "pods": {"metric": {"name": "qps"}, "target": {"type": "AverageValue", "averageValue": "-500m"}}}]}, [
        'spec.metrics[0].pods.target.averageValue: Invalid value: resource.Quantity{i:resource.int64Amount{value:-500, scale:-3}, '
        'd:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"", Format:"DecimalSI"}: must be positive',
    ], id="negative quantity"),
    pytest.param({"metrics": [{"type": "Object", "object": {"describedObject": {"kind": "Service", "name": "s"}, "metric": {"name": "rps"}, "target": {"type": "Value"}}}]}, [
        "spec.metrics[0].object.target.averageValue: Required value: must set either a target value or averageValue",
    ], id="object without a target"),
    pytest.param({"metrics": [{"type": "External", "external": {"metric": {"name": "q"}, "target": {"type": "Value", "value": "1", "averageValue": "1"}}}]}, [
        "spec.metrics[0].external.target.value: Forbidden: may not set both a target value for metric and a per-pod target",
    ], id="external with both"),
    pytest.param({"metrics": [{"type": "Pods", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}]}, [
        "spec.metrics[0].pods: Required value: must populate information for the given metric source",
    ], id="wrong source for the type"),
    pytest.param({"metrics": [{**QPS, "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}]}, [
        "spec.metrics[0].resource: Forbidden: must populate the given metric source only",
    ], id="two sources"),
    pytest.param({"metrics": [{"type": "Magic"}]}, [
        'spec.metrics[0].type: Unsupported value: "Magic": supported values: "ContainerResource", "External", "Object", "Pods", "Resource"',
        'spec.metrics[0].type: Unsupported value: "Magic": supported values: "ContainerResource", "External", "Object", "Pods", "Resource"',
    ], id="unknown type twice, as upstream"),
    pytest.param({"metrics": [CPU50], "behavior": {"scaleUp": {"stabilizationWindowSeconds": 3601, "selectPolicy": "Avg", "policies": []},
                                                   "scaleDown": {"policies": [{"type": "Pods", "value": 0, "periodSeconds": 1801}]}}}, [
        "spec.behavior.scaleUp.stabilizationWindowSeconds: Invalid value: 3601: must be less than or equal to 3600",
        'spec.behavior.scaleUp.selectPolicy: Unsupported value: "Avg": supported values: "Disabled", "Max", "Min"',
        "spec.behavior.scaleUp.policies: Required value: must specify at least one Policy",
        "spec.behavior.scaleDown.policies[0].value: Invalid value: 0: must be greater than zero",
        "spec.behavior.scaleDown.policies[0].periodSeconds: Invalid value: 1801: must be less than or equal to 1800",
    ], id="behavior policies"),
])
def test_hpa_validation(spec, want):
    obj = v2(spec)
    obj["spec"] = {**obj["spec"], **spec}
    assert messages(hpa.HorizontalPodAutoscalerStrategy().validate(obj, CTX)) == want


def test_hpa_zero_min_replicas_stays_allowed_on_update_once_stored():
    old = v2({"minReplicas": 0, "metrics": [{"type": "External", "external": {"metric": {"name": "q"}, "target": {"type": "Value", "value": "1"}}}]})
    assert hpa.HorizontalPodAutoscalerStrategy().validate_update(old, old, CTX) == []


def test_hpa_status_validation():
    assert messages(hpa.validate_status({"currentReplicas": -1, "desiredReplicas": 0})) == [
        "status.currentReplicas: Invalid value: -1: must be greater than or equal to 0"]


# --------------------------------------------------------------------------------------------
# HorizontalPodAutoscaler: v1 <-> v2
# --------------------------------------------------------------------------------------------


def test_v2_to_v1_moves_cpu_to_the_field_and_the_rest_to_annotations():
    obj = v2({"minReplicas": 2, "metrics": [CPU50, QPS], "behavior": {"scaleUp": {"policies": [{"type": "Pods", "value": 2, "periodSeconds": 30}]}}},
             status={"currentReplicas": 3, "desiredReplicas": 4, "currentMetrics": [
                 {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 70, "averageValue": "350m"}}}],
                 "conditions": [{"type": "AbleToScale", "status": "True", "lastTransitionTime": "2024-05-01T12:00:00Z", "reason": "ReadyForNewScale"}]},
             annotations={"keep": "me", hpa.METRIC_SPECS_ANNOTATION: "stale"})
    out = hpa.to_v1(obj)
    assert out["spec"] == {"scaleTargetRef": {"kind": "Deployment", "name": "web", "apiVersion": "apps/v1"},
                           "minReplicas": 2, "maxReplicas": 5, "targetCPUUtilizationPercentage": 50}
    assert out["status"] == {"currentReplicas": 3, "desiredReplicas": 4, "currentCPUUtilizationPercentage": 70}
    ann = out["metadata"]["annotations"]
    assert ann["keep"] == "me"
    assert ann[hpa.METRIC_SPECS_ANNOTATION] == '[{"type":"Pods","pods":{"metricName":"qps","targetAverageValue":"1k"}}]'
    assert ann[hpa.METRIC_STATUSES_ANNOTATION] == (
        '[{"type":"Resource","resource":{"name":"cpu","currentAverageUtilization":70,"currentAverageValue":"350m"}}]')
    assert ann[hpa.BEHAVIOR_ANNOTATION] == (
        '{"ScaleUp":{"StabilizationWindowSeconds":null,"SelectPolicy":null,"Policies":[{"Type":"Pods","Value":2,"PeriodSeconds":30}]},'
        '"ScaleDown":null}')
    assert json.loads(ann[hpa.CONDITIONS_ANNOTATION]) == [
        {"type": "AbleToScale", "status": "True", "lastTransitionTime": "2024-05-01T12:00:00Z", "reason": "ReadyForNewScale"}]


@pytest.mark.parametrize("metrics", [
    pytest.param([QPS, MEM, CPU50], id="cpu last"),
    pytest.param([{"type": "Object", "object": {"describedObject": {"apiVersion": "v1", "kind": "Service", "name": "s"}, "metric": {"name": "rps"},
                                                "target": {"type": "AverageValue", "averageValue": "10"}}}], id="object average only"),
    pytest.param([{"type": "External", "external": {"metric": {"name": "queue", "selector": {"matchLabels": {"q": "a"}}},
                                                    "target": {"type": "Value", "value": "30"}}}], id="external value"),
    pytest.param([{"type": "ContainerResource", "containerResource": {"name": "memory", "container": "app",
                                                                      "target": {"type": "Utilization", "averageUtilization": 60}}}], id="container resource"),
])
def test_v2_survives_a_v1_round_trip(metrics):
    obj = v2({"minReplicas": 1, "metrics": metrics,
              "behavior": {"scaleDown": {"stabilizationWindowSeconds": 60, "selectPolicy": "Min",
                                         "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]}}},
             status={"desiredReplicas": 2, "currentReplicas": 2, "currentMetrics": None})
    back = hpa.to_v2(hpa.to_v1(obj))
    assert back["spec"] == obj["spec"]
    assert back["status"] == obj["status"]
    assert "annotations" not in back["metadata"]
    assert hpa.validate_spec(back["spec"], 1) == []


def test_cpu_metric_moves_after_the_others_on_a_v1_round_trip():
    back = hpa.to_v2(hpa.to_v1(v2({"metrics": [CPU50, QPS]})))
    assert back["spec"]["metrics"] == [QPS, CPU50]


def test_v1_without_target_gets_the_80_percent_default():
    v1 = {"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"},
          "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "maxReplicas": 3}}
    hpa.default_v1(v1)
    out = hpa.to_storage(v1)
    assert out["spec"]["minReplicas"] == 1
    assert out["spec"]["metrics"] == [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]


def test_v1_status_cpu_becomes_a_current_metric_unless_the_annotation_says_more():
    v1 = {"metadata": {"name": "h"}, "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "maxReplicas": 3},
          "status": {"currentReplicas": 1, "desiredReplicas": 1, "currentCPUUtilizationPercentage": 40}}
    assert hpa.to_v2(v1)["status"]["currentMetrics"] == [{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 40}}}]
    v1["metadata"]["annotations"] = {hpa.METRIC_STATUSES_ANNOTATION: "not json", hpa.BEHAVIOR_ANNOTATION: '{"scaleup":{"policies":[{"type":"Pods","value":1,"periodSeconds":5}]}}'}
    out = hpa.to_v2(v1)
    assert out["status"]["currentMetrics"] == [{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 40}}}]
    # Go decodes JSON keys case-insensitively, so lower-case keys work in the behavior annotation.
    assert out["spec"]["behavior"] == {"scaleUp": {"policies": [{"type": "Pods", "value": 1, "periodSeconds": 5}]}}
    assert "annotations" not in out["metadata"]


def test_v1_strategy_keeps_status_and_annotations_on_a_main_update():
    strategy = hpa.HorizontalPodAutoscalerV1Strategy()
    old = hpa.to_v1(v2({"metrics": [CPU50, QPS]}, status={"desiredReplicas": 2, "currentReplicas": 2, "currentMetrics": [
        {"type": "Pods", "pods": {"metric": {"name": "qps"}, "current": {"averageValue": "900"}}}]}))
    new = json.loads(json.dumps(old))
    new["spec"]["maxReplicas"] = 9
    new["status"] = {"currentReplicas": 0, "desiredReplicas": 0}
    del new["metadata"]["annotations"][hpa.METRIC_STATUSES_ANNOTATION]
    strategy.prepare_for_update(new, old, CTX)
    assert new["spec"]["maxReplicas"] == 9
    assert new["status"] == old["status"]
    assert new["metadata"]["annotations"][hpa.METRIC_STATUSES_ANNOTATION] == old["metadata"]["annotations"][hpa.METRIC_STATUSES_ANNOTATION]


# --------------------------------------------------------------------------------------------
# HorizontalPodAutoscaler: printing
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("metrics", "current", "want"), [
    pytest.param([], None, "<none>", id="no metrics"),
    pytest.param([CPU50], None, "cpu: <unknown>/50%", id="utilization unknown"),
    pytest.param([CPU50], [{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 10}}}], "cpu: 10%/50%", id="utilization"),
    pytest.param([{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization"}}}], None, "cpu: <unknown>/<auto>", id="auto target"),
    pytest.param([MEM], [{"type": "Resource", "resource": {"name": "memory", "current": {"averageValue": "50Mi"}}}], "memory: 50Mi/100Mi", id="resource value"),
    pytest.param([QPS], [{"type": "Pods", "pods": {"metric": {"name": "qps"}, "current": {"averageValue": "800"}}}], "800/1k", id="pods"),
    pytest.param([{"type": "External", "external": {"metric": {"name": "q"}, "target": {"type": "AverageValue", "averageValue": "10"}}}], None,
                 "<unknown>/10 (avg)", id="external average"),
    pytest.param([{"type": "Object", "object": {"describedObject": {"kind": "Service", "name": "s"}, "metric": {"name": "rps"}, "target": {"type": "Value", "value": "2k"}}}],
                 [{"type": "Object", "object": {"metric": {"name": "rps"}, "current": {"value": "1500"}}}], "1500/2k", id="object value"),
    pytest.param([{"type": "ContainerResource", "containerResource": {"name": "cpu", "container": "app", "target": {"type": "Utilization", "averageUtilization": 60}}}],
                 None, "cpu: <unknown>/60%", id="container resource"),
    pytest.param([CPU50, QPS, MEM, MEM], None, "cpu: <unknown>/50%, <unknown>/1k + 2 more...", id="more"),
])
def test_targets_column(metrics, current, want):
    assert hpa.format_metrics(metrics, current) == want


def test_hpa_row_for_both_versions():
    obj = v2({"minReplicas": 2, "metrics": [CPU50]}, status={"currentReplicas": 3, "desiredReplicas": 3})
    obj["metadata"]["creationTimestamp"] = "2024-05-01T11:00:00Z"
    want = ["h", "Deployment/web", "cpu: <unknown>/50%", "2", 5, 3, "60m"]
    assert hpa.table_row(obj, NOW) == want
    assert hpa.table_row(hpa.to_v1(obj), NOW) == want
    assert [c.name for c in hpa.PRINTER.columns] == ["Name", "Reference", "Targets", "MinPods", "MaxPods", "Replicas", "Age"]
