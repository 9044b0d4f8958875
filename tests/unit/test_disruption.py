"""The disruption controller's arithmetic (pkg/controller/disruption) and its sync against a
seeded cache and a recording client."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from uwernetes.controllers import disruption as d

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
NOW_S = "2024-05-01T12:00:00Z"


def pod(name: str, ready: bool = True, deleting: bool = False, owner: dict | None = None, labels: dict | None = None) -> dict:
    meta: dict = {"name": name, "namespace": "ns", "uid": f"uid-{name}", "labels": labels or {"app": "a"}}
    if deleting:
        meta["deletionTimestamp"] = NOW_S
    if owner:
        meta["ownerReferences"] = [{**owner, "controller": True}]
    return {"metadata": meta, "status": {"phase": "Running",
                                         "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}


@pytest.mark.parametrize(("value", "total", "round_up", "want"), [
    pytest.param(3, 10, True, 3, id="integer as is"),
    pytest.param("50%", 5, True, 3, id="percent rounds up"),
    pytest.param("50%", 5, False, 2, id="percent rounds down"),
    pytest.param("100%", 0, True, 0, id="percent of nothing"),
    pytest.param("34%", 3, True, 2, id="1.02 up to 2"),
])
def test_scaled_value(value, total, round_up, want):
    assert d.scaled_value(value, total, round_up) == want


def test_scaled_value_rejects_non_percent_strings():
    with pytest.raises(ValueError, match="string is not a percentage"):
        d.scaled_value("5", 10)


# Cases from getExpectedPodCount (pkg/controller/disruption/disruption.go).
@pytest.mark.parametrize(("spec", "pods", "scale", "want"), [
    pytest.param({"minAvailable": 2}, 3, 99, (3, 2), id="integer minAvailable counts pods, not scale"),
    pytest.param({"minAvailable": "50%"}, 3, 5, (5, 3), id="percent minAvailable of the controllers' scale, rounded up"),
    pytest.param({"maxUnavailable": 1}, 3, 4, (4, 3), id="maxUnavailable integer"),
    pytest.param({"maxUnavailable": "25%"}, 3, 5, (5, 3), id="maxUnavailable percent rounds up the unavailable share"),
    pytest.param({"maxUnavailable": 10}, 3, 4, (4, 0), id="desired never negative"),
    pytest.param({}, 3, 4, (0, 0), id="neither set"),
])
def test_expected_and_desired(spec, pods, scale, want):
    assert d.expected_and_desired(spec, pods, scale) == want


@pytest.mark.parametrize(("spec", "want"), [
    ({"minAvailable": 1}, False), ({"minAvailable": "10%"}, True), ({"maxUnavailable": 0}, True), ({}, False),
])
def test_needs_controller_scale(spec, want):
    assert d.needs_controller_scale(spec) is want


@pytest.mark.parametrize(("current", "desired", "expected", "want"), [
    (3, 1, 3, 2), (1, 1, 3, 0), (0, 2, 3, 0), (3, 0, 0, 0),
])
def test_disruptions_allowed(current, desired, expected, want):
    assert d.disruptions_allowed(current, desired, expected) == want


def test_healthy_count_skips_unready_terminating_and_recently_evicted():
    pods = [pod("a"), pod("b", ready=False), pod("c", deleting=True), pod("d"), pod("e")]
    recent = (NOW - timedelta(seconds=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    old = (NOW - timedelta(minutes=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert d.count_healthy(pods, {"d": recent, "e": old}, NOW) == 2  # a and e


def test_disrupted_pod_map_keeps_live_pending_entries_and_schedules_a_recheck():
    recent = (NOW - timedelta(seconds=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    old = (NOW - timedelta(minutes=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    pods = [pod("a"), pod("b"), pod("c", deleting=True)]
    kept, recheck = d.build_disrupted_pod_map(pods, {"a": recent, "b": old, "c": recent, "gone": recent}, NOW)
    assert kept == {"a": recent}
    assert recheck == NOW - timedelta(seconds=30) + timedelta(minutes=2)
    assert d.build_disrupted_pod_map(pods, None, NOW) == ({}, None)


def pdb(spec: dict, status: dict | None = None, generation: int = 1) -> dict:
    return {"metadata": {"name": "web", "namespace": "ns", "generation": generation, "resourceVersion": "5"},
            "spec": {"selector": {"matchLabels": {"app": "a"}}, **spec}, "status": status or {}}


def test_compute_status_sets_counts_generation_and_condition():
    status = d.compute_status(pdb({"minAvailable": 1}), 3, 1, 3, {}, NOW_S)
    assert status == {
        "observedGeneration": 1, "disruptionsAllowed": 2, "currentHealthy": 3, "desiredHealthy": 1, "expectedPods": 3,
        "conditions": [{"type": "DisruptionAllowed", "status": "True", "observedGeneration": 1,
                        "lastTransitionTime": NOW_S, "reason": "SufficientPods", "message": ""}],
    }
    # Up to date: nothing to write.
    assert d.compute_status(pdb({"minAvailable": 1}, status), 3, 1, 3, {}, "2024-05-01T13:00:00Z") is None


def test_compute_status_flips_condition_and_moves_its_time_only_on_a_flip():
    first = d.compute_status(pdb({"minAvailable": 1}), 3, 1, 3, {}, NOW_S)
    later = "2024-05-01T12:05:00Z"
    second = d.compute_status(pdb({"minAvailable": 1}, first), 1, 1, 3, {}, later)
    cond = second["conditions"][0]
    assert (cond["status"], cond["reason"], cond["lastTransitionTime"]) == ("False", "InsufficientPods", later)
    third = d.compute_status(pdb({"minAvailable": 1}, first, generation=2), 3, 1, 3, {}, later)
    assert third["observedGeneration"] == 2
    assert third["conditions"][0]["lastTransitionTime"] == NOW_S


def test_fail_safe_status():
    status = d.fail_safe_status(pdb({"minAvailable": 1}, {"disruptionsAllowed": 2, "observedGeneration": 1}), 'found no controllers for pod "x"', NOW_S)
    assert status["disruptionsAllowed"] == 0
    assert status["conditions"] == [{"type": "DisruptionAllowed", "status": "False", "observedGeneration": 1,
                                     "lastTransitionTime": NOW_S, "reason": "SyncFailed",
                                     "message": 'found no controllers for pod "x"'}]


# --- the controller against a seeded cache and a recording client ---


class FakeInformer:
    def __init__(self, objs: list[dict]) -> None:
        self.store = {f"{o['metadata'].get('namespace')}/{o['metadata']['name']}": o for o in objs}

    def add_handlers(self, *handlers) -> None:
        pass

    def get(self, key: str):
        return self.store.get(key)

    def list(self) -> list[dict]:
        return list(self.store.values())


class FakeClient:
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    async def update_status(self, res, obj, field_manager=None):
        self.calls.append(("update_status", res.plural, obj["metadata"]["name"], obj["status"]))
        return obj

    async def get(self, res, name, namespace=None, subresource=None):
        self.calls.append(("get", res.plural, name, subresource))
        from uwernetes.client.api import APIError

        raise APIError(404, {"reason": "NotFound"})

    async def raw(self, method, path, query=None):
        return b'{"resources":[{"name":"widgets","kind":"Widget"},{"name":"widgets/scale","kind":"Scale"}]}'


class FakeCtx:
    def __init__(self, client: FakeClient) -> None:
        self._client = client

    def client(self, name: str) -> FakeClient:
        return self._client


class FakeInformers:
    def __init__(self, by_plural: dict[str, list[dict]]) -> None:
        self.by_plural = by_plural

    def get(self, res, namespace=None, **kw) -> FakeInformer:
        return FakeInformer(self.by_plural.get(res.plural, []))


def run_sync(budget: dict, pods: list[dict], **others) -> list[tuple]:
    client = FakeClient()
    informers = FakeInformers({"poddisruptionbudgets": [budget], "pods": pods, **others})

    async def go() -> None:
        ctrl = d.DisruptionController(FakeCtx(client), informers, now=lambda: NOW)
        ctrl.events.event = lambda *a, **k: None  # no event posts in unit tests
        await ctrl.sync("ns/web")

    asyncio.run(go())
    return client.calls


def test_sync_percent_budget_uses_the_deployment_scale_through_its_replicaset():
    d_ref = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": "d1"}
    rs = {"metadata": {"name": "web-1", "namespace": "ns", "uid": "rs1", "ownerReferences": [{**d_ref, "controller": True}]},
          "spec": {"replicas": 3}}
    dep = {"metadata": {"name": "web", "namespace": "ns", "uid": "d1"}, "spec": {"replicas": 4}}
    rs_ref = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-1", "uid": "rs1"}
    pods = [pod("a", owner=rs_ref), pod("b", owner=rs_ref), pod("c", ready=False, owner=rs_ref), pod("x", labels={"app": "other"})]
    calls = run_sync(pdb({"minAvailable": "50%"}), pods, replicasets=[rs], deployments=[dep])
    assert [c[:3] for c in calls] == [("update_status", "poddisruptionbudgets", "web")]
    s = calls[0][3]
    assert (s["expectedPods"], s["desiredHealthy"], s["currentHealthy"], s["disruptionsAllowed"]) == (4, 2, 2, 0)


def test_sync_unknown_controller_fails_safe():
    ref = {"apiVersion": "example.com/v1", "kind": "Widget", "name": "w", "uid": "w1"}
    calls = run_sync(pdb({"maxUnavailable": 1}, {"disruptionsAllowed": 1, "observedGeneration": 1}), [pod("a", owner=ref)])
    assert [c[:4] for c in calls[:1]] == [("get", "widgets", "w", "scale")]
    status = calls[-1][3]
    assert status["disruptionsAllowed"] == 0
    assert (status["conditions"][0]["reason"], status["conditions"][0]["message"]) == ("SyncFailed", 'found no controllers for pod "a"')


def test_sync_nil_selector_selects_nothing():
    budget = pdb({"minAvailable": 1})
    del budget["spec"]["selector"]
    s = run_sync(budget, [pod("a")])[0][3]
    assert (s["expectedPods"], s["currentHealthy"], s["disruptionsAllowed"]) == (0, 0, 0)
