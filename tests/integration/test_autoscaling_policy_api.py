"""HorizontalPodAutoscalers (autoscaling/v2 and v1 over one storage), PodDisruptionBudgets and the
pods/eviction subresource through the HTTP API and real kubectl 1.30 (no controllers running:
budget status is written through /status by the test)."""

from __future__ import annotations

import pytest

NS = "default"
HPAS_V2 = f"/apis/autoscaling/v2/namespaces/{NS}/horizontalpodautoscalers"
HPAS_V1 = f"/apis/autoscaling/v1/namespaces/{NS}/horizontalpodautoscalers"
PDBS = f"/apis/policy/v1/namespaces/{NS}/poddisruptionbudgets"
PODS = f"/api/v1/namespaces/{NS}/pods"
REF = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}


@pytest.fixture(scope="module")
def api(cluster):
    return cluster.client()


def hpa_v2(name: str, **spec) -> dict:
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": name},
            "spec": {"scaleTargetRef": REF, "maxReplicas": 4, **spec}}


def test_hpa_v2_create_is_readable_as_v1(api):
    metrics = [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}}},
               {"type": "Pods", "pods": {"metric": {"name": "qps"}, "target": {"type": "AverageValue", "averageValue": "1k"}}}]
    r = api.post(HPAS_V2, json=hpa_v2("both", metrics=metrics))
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["spec"]["minReplicas"] == 1
    assert created["status"] == {"currentMetrics": None, "desiredReplicas": 0}
    assert "generation" not in created["metadata"]
    v1 = api.get(f"{HPAS_V1}/both").json()
    assert v1["apiVersion"] == "autoscaling/v1"
    assert v1["spec"] == {"scaleTargetRef": {"kind": "Deployment", "name": "web", "apiVersion": "apps/v1"},
                          "minReplicas": 1, "maxReplicas": 4, "targetCPUUtilizationPercentage": 60}
    assert v1["status"] == {"currentReplicas": 0, "desiredReplicas": 0}
    assert v1["metadata"]["annotations"]["autoscaling.alpha.kubernetes.io/metrics"] == (
        '[{"type":"Pods","pods":{"metricName":"qps","targetAverageValue":"1k"}}]')
    # A v1 read-modify-write keeps the Pods metric.
    v1["spec"]["maxReplicas"] = 6
    r = api.put(f"{HPAS_V1}/both", json=v1)
    assert r.status_code == 200, r.text
    again = api.get(f"{HPAS_V2}/both").json()
    assert again["spec"]["maxReplicas"] == 6
    assert [m["type"] for m in again["spec"]["metrics"]] == ["Pods", "Resource"]
    assert "annotations" not in again["metadata"]
    names = [i["metadata"]["name"] for i in api.get(HPAS_V1).json()["items"]]
    assert "both" in names


def test_hpa_v1_create_defaults_cpu_target(api):
    body = {"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "plain"},
            "spec": {"scaleTargetRef": REF, "maxReplicas": 3}}
    r = api.post(HPAS_V1, json=body)
    assert r.status_code == 201, r.text
    assert r.json()["spec"]["targetCPUUtilizationPercentage"] == 80
    v2 = api.get(f"{HPAS_V2}/plain").json()
    assert v2["spec"]["metrics"] == [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]


def test_hpa_status_subresource_keeps_spec(api):
    current = api.get(f"{HPAS_V2}/plain").json()
    current["spec"]["maxReplicas"] = 99
    current["status"] = {"currentReplicas": 2, "desiredReplicas": 2, "currentMetrics": [
        {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 35, "averageValue": "70m"}}}]}
    r = api.put(f"{HPAS_V2}/plain/status", json=current)
    assert r.status_code == 200, r.text
    assert r.json()["spec"]["maxReplicas"] == 3
    v1 = api.get(f"{HPAS_V1}/plain").json()
    assert v1["status"] == {"currentReplicas": 2, "desiredReplicas": 2, "currentCPUUtilizationPercentage": 35}


def test_hpa_invalid_is_422_with_upstream_message(api):
    r = api.post(HPAS_V2, json=hpa_v2("bad", minReplicas=5, maxReplicas=2))
    assert r.status_code == 422
    assert r.json()["message"] == (
        'HorizontalPodAutoscaler.autoscaling "bad" is invalid: spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`')
    r = api.post(HPAS_V1, json={"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "bad1"},
                                "spec": {"scaleTargetRef": REF, "maxReplicas": 2, "targetCPUUtilizationPercentage": 0}})
    assert r.status_code == 422
    assert r.json()["details"]["causes"] == [{"reason": "FieldValueInvalid", "message": "Invalid value: 0: must be greater than 0",
                                             "field": "spec.metrics[0].resource.target.averageUtilization"}]


def test_kubectl_get_hpa_columns(cluster):
    out = cluster.kubectl("get", "hpa", "-n", NS).stdout.splitlines()
    assert out[0].split() == ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"]
    rows = {line.split()[0]: line for line in out[1:]}
    assert "cpu: 35%/80%" in rows["plain"]
    assert "Deployment/web" in rows["both"]
    assert "<unknown>/1k" in rows["both"]
    v1 = cluster.kubectl("get", "horizontalpodautoscalers.v1.autoscaling", "plain", "-n", NS, "-o", "name").stdout
    assert v1.strip() == "horizontalpodautoscaler.autoscaling/plain"
    resources = cluster.kubectl("api-resources", "--api-group=autoscaling").stdout
    assert "hpa" in resources and "autoscaling/v2" in resources


# --- PodDisruptionBudgets and eviction ---


def make_pod(api, name: str, labels: dict, ready: bool = True, phase: str = "Running") -> dict:
    r = api.post(PODS, json={"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels},
                             "spec": {"containers": [{"name": "c", "image": "nginx"}]}})
    assert r.status_code == 201, r.text
    pod = r.json()
    pod["status"] = {"phase": phase, "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}
    r = api.put(f"{PODS}/{name}/status", json=pod)
    assert r.status_code == 200, r.text
    return r.json()


def make_pdb(api, name: str, labels: dict, status: dict | None = None, **spec) -> dict:
    r = api.post(PDBS, json={"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": name},
                             "spec": {"selector": {"matchLabels": labels}, **spec}})
    assert r.status_code == 201, r.text
    pdb = r.json()
    if status is not None:
        pdb["status"] = {"observedGeneration": 1, "currentHealthy": 0, "desiredHealthy": 0, "expectedPods": 0, **status}
        r = api.put(f"{PDBS}/{name}/status", json=pdb)
        assert r.status_code == 200, r.text
        pdb = r.json()
    return pdb


def evict(api, name: str, **extra):
    body = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name, "namespace": NS}, **extra}
    return api.post(f"{PODS}/{name}/eviction", json=body)


def gone_or_terminating(api, name: str) -> bool:
    r = api.get(f"{PODS}/{name}")
    return r.status_code == 404 or bool(r.json()["metadata"].get("deletionTimestamp"))


def test_pdb_create_invalid_and_columns(cluster, api):
    pdb = make_pdb(api, "cols", {"app": "cols"}, maxUnavailable="25%")
    assert pdb["status"] == {"disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 0, "expectedPods": 0}
    assert pdb["metadata"]["generation"] == 1
    r = api.post(PDBS, json={"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "bad"},
                             "spec": {"minAvailable": "101%"}})
    assert r.status_code == 422
    assert r.json()["message"] == ('PodDisruptionBudget.policy "bad" is invalid: spec.minAvailable: Invalid value: '
                                   'intstr.IntOrString{Type:1, IntVal:0, StrVal:"101%"}: must not be greater than 100%')
    out = cluster.kubectl("get", "pdb", "cols", "-n", NS).stdout.splitlines()
    assert out[0].split() == ["NAME", "MIN", "AVAILABLE", "MAX", "UNAVAILABLE", "ALLOWED", "DISRUPTIONS", "AGE"]
    assert out[1].split()[:4] == ["cols", "N/A", "25%", "0"]


def test_eviction_without_budget_deletes(api):
    make_pod(api, "free", {"app": "free"})
    r = evict(api, "free")
    assert r.status_code == 201, r.text
    assert r.json() == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}
    assert gone_or_terminating(api, "free")


def test_eviction_spends_budget_then_429(api):
    make_pod(api, "b1", {"app": "b"})
    make_pod(api, "b2", {"app": "b"})
    make_pdb(api, "b", {"app": "b"}, {"disruptionsAllowed": 1, "currentHealthy": 2, "desiredHealthy": 1, "expectedPods": 2}, minAvailable=1)
    r = evict(api, "b1")
    assert r.status_code == 201, r.text
    status = api.get(f"{PDBS}/b").json()["status"]
    assert status["disruptionsAllowed"] == 0
    assert list(status["disruptedPods"]) == ["b1"]
    assert gone_or_terminating(api, "b1")
    r = evict(api, "b2")
    assert r.status_code == 429
    body = r.json()
    assert body == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                    "message": "Cannot evict pod as it would violate the pod's disruption budget.", "reason": "TooManyRequests",
                    "details": {"causes": [{"reason": "DisruptionBudget",
                                            "message": "The disruption budget b needs 1 healthy pods and has 2 currently"}]},
                    "code": 429}
    assert api.get(f"{PODS}/b2").status_code == 200


def test_eviction_dry_run_spends_nothing(api):
    make_pod(api, "d1", {"app": "d"})
    make_pdb(api, "d", {"app": "d"}, {"disruptionsAllowed": 1, "currentHealthy": 1}, maxUnavailable=1)
    r = api.post(f"{PODS}/d1/eviction", params={"dryRun": "All"},
                 json={"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "d1"}})
    assert r.status_code == 201, r.text
    assert api.get(f"{PODS}/d1").json()["metadata"].get("deletionTimestamp") is None
    assert api.get(f"{PDBS}/d").json()["status"]["disruptionsAllowed"] == 1


def test_eviction_of_unobserved_budget_asks_to_retry(api):
    make_pod(api, "u1", {"app": "u"})
    make_pdb(api, "u", {"app": "u"}, minAvailable=0)  # no status yet: observedGeneration 0 < 1
    r = evict(api, "u1")
    assert r.status_code == 429
    assert r.headers["retry-after"] == "10"
    assert r.json()["details"] == {"causes": [{"reason": "DisruptionBudget", "message": "The disruption budget u is still being processed by the server."}],
                                   "retryAfterSeconds": 10}


def test_eviction_terminal_and_unready_pods(api):
    make_pdb(api, "t", {"app": "t"}, {"disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 2}, minAvailable=2)
    make_pod(api, "t-done", {"app": "t"}, ready=False, phase="Succeeded")
    assert evict(api, "t-done").status_code == 201  # terminal pods ignore budgets
    make_pod(api, "t-unready", {"app": "t"}, ready=False)
    assert evict(api, "t-unready").status_code == 429  # IfHealthyBudget: the budget is not met
    make_pdb(api, "aa", {"app": "aa"}, {"disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 2},
             minAvailable=2, unhealthyPodEvictionPolicy="AlwaysAllow")
    make_pod(api, "aa-unready", {"app": "aa"}, ready=False)
    assert evict(api, "aa-unready").status_code == 201
    assert api.get(f"{PDBS}/aa").json()["status"]["disruptionsAllowed"] == 0


def test_eviction_with_two_budgets_is_500(api):
    make_pod(api, "m1", {"app": "m", "tier": "x"})
    make_pdb(api, "m-a", {"app": "m"}, {"disruptionsAllowed": 1}, minAvailable=0)
    make_pdb(api, "m-b", {"tier": "x"}, {"disruptionsAllowed": 1}, minAvailable=0)
    r = evict(api, "m1")
    assert r.status_code == 500
    assert r.json() == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                        "message": "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
                        "code": 500}


def test_eviction_bad_requests(api):
    make_pod(api, "n1", {"app": "n"})
    r = api.post(f"{PODS}/n1/eviction", json={"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "other"}})
    assert (r.status_code, r.json()["message"]) == (400, "name in URL does not match name in Eviction object")
    r = evict(api, "missing")
    assert (r.status_code, r.json()["message"]) == (404, 'pods "missing" not found')
    r = evict(api, "n1", deleteOptions={"preconditions": {"uid": "not-the-uid"}})
    assert r.status_code == 409
    assert "the UID in the precondition (not-the-uid) does not match the UID in record" in r.json()["message"]
    r = api.post(f"{PODS}/n1/eviction", json={"apiVersion": "policy/v1beta1", "kind": "Eviction", "metadata": {"name": "n1"},
                                              "deleteOptions": {"gracePeriodSeconds": 0}})
    assert r.status_code == 201, r.text
    assert api.get(f"{PODS}/n1").status_code == 404
