"""Pure Deployment arithmetic, ReplicaSet deletion ranking and GC discovery filtering (tables)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from uwernetes.controllers import deployment_util as du
from uwernetes.controllers import workload_common as wc
from uwernetes.controllers.garbage_collector import deletable_resources
from uwernetes.controllers.pod_gc import terminated_to_delete
from uwernetes.machinery import meta

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def dep(replicas: int = 10, surge: object = "25%", unavailable: object = "25%", strategy: str = "RollingUpdate",
        generation: int = 1, **extra: object) -> dict:
    s: dict = {"type": strategy}
    if strategy == "RollingUpdate":
        s["rollingUpdate"] = {"maxSurge": surge, "maxUnavailable": unavailable}
    return {"metadata": {"name": "d", "generation": generation},
            "spec": {"replicas": replicas, "strategy": s, "progressDeadlineSeconds": 600, "revisionHistoryLimit": 10, **extra},
            "status": {}}


def rs(name: str, size: int, available: int | None = None, created: str = "2024-05-01T00:00:00Z",
       revision: str | None = None, max_replicas: int | None = None, actual: int | None = None) -> dict:
    ann = {}
    if revision is not None:
        ann[du.REVISION] = revision
    if max_replicas is not None:
        ann[du.MAX_REPLICAS] = str(max_replicas)
    return {"metadata": {"name": name, "creationTimestamp": created, "annotations": ann, "uid": name},
            "spec": {"replicas": size},
            "status": {"replicas": size if actual is None else actual,
                       "availableReplicas": size if available is None else available,
                       "readyReplicas": size if available is None else available}}


@pytest.mark.parametrize(("surge", "unavailable", "desired", "want"), [
    pytest.param("25%", "25%", 10, (3, 2), id="replicas 10: surge rounds up, unavailable down"),
    pytest.param("25%", "25%", 1, (1, 0), id="replicas 1"),
    pytest.param("25%", "25%", 4, (1, 1), id="replicas 4"),
    pytest.param(0, 0, 5, (0, 1), id="both zero: unavailable becomes 1"),
    pytest.param("0%", "10%", 5, (0, 1), id="percent zero surge, unavailable floors to 0 then 1"),
    pytest.param(2, "50%", 3, (2, 1), id="integers taken as is"),
])
def test_resolve_fenceposts(surge, unavailable, desired, want):
    assert du.resolve_fenceposts(surge, unavailable, desired) == want


def test_max_unavailable_is_capped_and_zero_for_recreate():
    assert du.max_unavailable(dep(replicas=2, surge=0, unavailable=5)) == 2
    assert du.max_unavailable(dep(strategy="Recreate")) == 0
    assert du.max_surge(dep(strategy="Recreate")) == 0
    assert du.max_unavailable(dep(replicas=0)) == 0


@pytest.mark.parametrize(("d", "rss", "new_index", "want"), [
    pytest.param(dep(10), [rs("old", 10), rs("new", 0)], 1, 3, id="surge of 3 above 10"),
    pytest.param(dep(10), [rs("old", 10), rs("new", 3)], 1, 3, id="at max total: no growth"),
    pytest.param(dep(10), [rs("old", 5), rs("new", 3)], 1, 8, id="room for 5 more, capped by replicas"),
    pytest.param(dep(10), [rs("old", 0), rs("new", 9)], 1, 10, id="never above replicas"),
    pytest.param(dep(10, strategy="Recreate"), [rs("old", 0), rs("new", 0)], 1, 10, id="recreate jumps to replicas"),
])
def test_new_rs_new_replicas(d, rss, new_index, want):
    assert du.new_rs_new_replicas(d, rss, rss[new_index]) == want


def test_rolling_scale_down_keeps_min_available():
    d = dep(10)  # surge 3, unavailable 2: keep 8 available
    old, new = rs("old", 10, created="2024-05-01T00:00:00Z"), rs("new", 3, available=0, created="2024-05-01T00:01:00Z")
    all_rss = [old, new]
    assert du.old_rs_scale_down_budget(all_rss, [old], new, d) == 13 - 8 - 3
    assert du.scale_down_old_for_rolling(all_rss, [old], d) == [(old, 8)]
    new["status"]["availableReplicas"] = 3
    assert du.scale_down_old_for_rolling(all_rss, [old], d) == [(old, 5)]


def test_cleanup_unhealthy_shrinks_unavailable_old_sets_first():
    d = dep(10)
    a = rs("a", 4, available=1, created="2024-05-01T00:00:00Z")
    b = rs("b", 4, available=4, created="2024-05-01T00:01:00Z")
    c = rs("c", 3, available=0, created="2024-05-01T00:02:00Z")
    assert du.cleanup_unhealthy([c, b, a], d, 4) == [(a, 1), (c, 2)]


def test_compute_hash_is_stable_and_uses_collision_count():
    t = {"metadata": {"labels": {"app": "x"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}
    h0 = du.compute_hash(t, None)
    assert h0 == du.compute_hash({"spec": t["spec"], "metadata": t["metadata"]}, None)
    assert h0 != du.compute_hash(t, 1)
    assert set(h0) <= set("bcdfghjklmnpqrstvwxz2456789")


def test_fnv32a_matches_reference_vectors():
    assert du.fnv32a(b"") == 0x811C9DC5
    assert du.fnv32a(b"a") == 0xE40C292C
    assert du.fnv32a(b"foobar") == 0xBF9CF968


def test_equal_ignore_hash():
    a = {"metadata": {"labels": {"app": "x", "pod-template-hash": "abc"}}, "spec": {"x": 1}}
    b = {"metadata": {"labels": {"app": "x"}}, "spec": {"x": 1}}
    assert du.equal_ignore_hash(a, b)
    assert not du.equal_ignore_hash(a, {"metadata": {"labels": {"app": "y"}}, "spec": {"x": 1}})


def test_new_rs_annotations_on_create_and_rollback():
    d = dep(4)
    d["metadata"]["annotations"] = {"team": "a", du.LAST_APPLIED: "{}", du.REVISION: "7"}
    new: dict = {"metadata": {}}
    assert du.set_new_rs_annotations(d, new, "1", exists=False)
    assert new["metadata"]["annotations"] == {"team": "a", du.REVISION: "1", du.DESIRED_REPLICAS: "4", du.MAX_REPLICAS: "5"}
    # An old set brought back (rollback) records its previous revision.
    assert du.set_new_rs_annotations(d, new, "3", exists=True)
    assert new["metadata"]["annotations"][du.REVISION] == "3"
    assert new["metadata"]["annotations"][du.REVISION_HISTORY] == "1"
    assert du.set_new_rs_annotations(d, new, "5", exists=True)
    assert new["metadata"]["annotations"][du.REVISION_HISTORY] == "1,3"
    assert not du.set_new_rs_annotations(d, new, "5", exists=True)


def test_calculate_status_available_condition_messages():
    d = dep(4)  # maxUnavailable 1
    st = du.calculate_status([rs("a", 4, available=3)], None, d, NOW)
    c = du.get_condition(st, "Available")
    assert (c["status"], c["reason"], c["message"]) == ("True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
    st = du.calculate_status([rs("a", 4, available=2)], None, d, NOW)
    c = du.get_condition(st, "Available")
    assert (c["status"], c["reason"], c["message"]) == ("False", "MinimumReplicasUnavailable",
                                                        "Deployment does not have minimum availability.")
    assert st["unavailableReplicas"] == 2


@pytest.mark.parametrize(("old_status", "rss", "want"), [
    pytest.param({"replicas": 2, "updatedReplicas": 2, "availableReplicas": 2, "observedGeneration": 1},
                 [rs("d-new", 2)], ("True", "NewReplicaSetAvailable", 'ReplicaSet "d-new" has successfully progressed.'),
                 id="complete"),
    pytest.param({"replicas": 2, "updatedReplicas": 0}, [rs("d-new", 1, available=0, actual=1), rs("d-old", 2)],
                 ("True", "ReplicaSetUpdated", 'ReplicaSet "d-new" is progressing.'), id="progressing"),
])
def test_rollout_status_progressing_condition(old_status, rss, want):
    d = dep(2)
    d["status"] = old_status
    st = du.rollout_status(rss, rss[0], d, NOW)
    c = du.get_condition(st, "Progressing")
    assert (c["status"], c["reason"], c["message"]) == want


def test_rollout_status_times_out_after_deadline():
    d = dep(2, progressDeadlineSeconds=10)
    d["spec"]["progressDeadlineSeconds"] = 10
    since = meta.format_time(NOW - timedelta(seconds=11))
    d["status"] = {"replicas": 1, "updatedReplicas": 1, "availableReplicas": 0,
                   "conditions": [{"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated",
                                   "message": "", "lastUpdateTime": since, "lastTransitionTime": since}]}
    new = rs("d-new", 1, available=0)
    st = du.rollout_status([new], new, d, NOW)
    c = du.get_condition(st, "Progressing")
    assert (c["status"], c["reason"], c["message"]) == ("False", "ProgressDeadlineExceeded",
                                                        'ReplicaSet "d-new" has timed out progressing.')
    assert du.requeue_after(d, st, NOW) is None


def test_paused_and_resumed_conditions():
    d = dep(2, paused=True)
    c = du.paused_condition(d, NOW)
    assert (c["status"], c["reason"], c["message"]) == ("Unknown", "DeploymentPaused", "Deployment is paused")
    d["status"] = {"conditions": [c]}
    assert du.paused_condition(d, NOW) is None
    d["spec"]["paused"] = False
    c = du.paused_condition(d, NOW)
    assert (c["reason"], c["message"]) == ("DeploymentResumed", "Deployment is resumed")


def test_proportional_scaling_mid_rollout():
    # 10 -> 15 replicas while old has 8 and new 5 (max-replicas annotation 13 = 10 + surge 3).
    d = dep(15)
    old = rs("old", 8, created="2024-05-01T00:00:00Z", max_replicas=13)
    new = rs("new", 5, created="2024-05-01T00:01:00Z", max_replicas=13)
    sizes = du.proportional_sizes(d, new, [old])
    # allowed = 15 + 4 = 19; to add 6: old gets round(8*19/13)-8 = 4, new the remaining 2.
    assert sizes == {"old": 12, "new": 7}
    assert sum(sizes.values()) == 19


def test_scaling_event_and_saturation():
    d = dep(5)
    new = rs("new", 3)
    new["metadata"]["annotations"][du.DESIRED_REPLICAS] = "3"
    assert du.is_scaling_event(d, new, [])
    new["metadata"]["annotations"][du.DESIRED_REPLICAS] = "5"
    assert not du.is_scaling_event(d, new, [])
    assert not du.is_saturated(d, new)
    new["spec"]["replicas"] = 5
    new["status"]["availableReplicas"] = 5
    assert du.is_saturated(d, new)


def test_replica_sets_to_clean_respects_history_limit():
    d = dep(2)
    r1, r2, r3 = rs("r1", 0, revision="1"), rs("r2", 0, revision="2"), rs("r3", 1, revision="3")
    d["spec"]["revisionHistoryLimit"] = 2
    assert du.replica_sets_to_clean([r3, r2, r1], d) == [r1]  # lowest revision first
    d["spec"]["revisionHistoryLimit"] = 0
    assert du.replica_sets_to_clean([r3, r2, r1], d) == [r1, r2]  # r3 still has pods
    r2["metadata"]["deletionTimestamp"] = "2024-05-01T00:00:00Z"
    d["spec"]["revisionHistoryLimit"] = 1
    assert du.replica_sets_to_clean([r3, r2, r1], d) == [r1]  # one already going is not counted


# --- ReplicaSet scale-down ranking ---


def pod(name: str, node: str = "n1", phase: str = "Running", ready: bool = True, cost: int | None = None,
        restarts: int = 0, created: datetime = NOW - timedelta(hours=1), ready_since: datetime = NOW - timedelta(minutes=30)) -> dict:
    p: dict = {"metadata": {"name": name, "uid": name, "creationTimestamp": meta.format_time(created)},
               "spec": {"nodeName": node}, "status": {"phase": phase, "containerStatuses": [{"restartCount": restarts}]}}
    if ready:
        p["status"]["conditions"] = [{"type": "Ready", "status": "True", "lastTransitionTime": meta.format_time(ready_since)}]
    if cost is not None:
        p["metadata"]["annotations"] = {wc.POD_DELETION_COST: str(cost)}
    return p


@pytest.mark.parametrize(("first", "second"), [
    pytest.param(pod("a", node=""), pod("b"), id="unassigned before assigned"),
    pytest.param(pod("a", phase="Pending", ready=False), pod("b", phase="Running", ready=False), id="pending before running"),
    pytest.param(pod("a", phase="Unknown"), pod("b"), id="unknown before running"),
    pytest.param(pod("a", ready=False), pod("b"), id="not ready before ready"),
    pytest.param(pod("a", cost=-5), pod("b", cost=10), id="lower deletion cost first"),
    pytest.param(pod("a", ready_since=NOW - timedelta(seconds=10)), pod("b", ready_since=NOW - timedelta(hours=5)),
                 id="ready for less time first"),
    pytest.param(pod("a", restarts=3), pod("b", restarts=1), id="more restarts first"),
    pytest.param(pod("a", created=NOW - timedelta(minutes=1)), pod("b", created=NOW - timedelta(days=2)), id="newer first"),
])
def test_compare_for_deletion(first, second):
    assert wc.compare_for_deletion(first, second, 0, 0, NOW) < 0
    assert wc.compare_for_deletion(second, first, 0, 0, NOW) > 0
    assert [p["metadata"]["name"] for p in wc.pods_to_delete([second, first], [], 1, NOW)] == ["a"]


def test_pods_doubled_up_on_a_node_go_first():
    a, b, c = pod("a", node="n1"), pod("b", node="n2"), pod("c", node="n2")
    assert [p["metadata"]["name"] for p in wc.pods_to_delete([a, b, c], [a, b, c], 1, NOW)] == ["b"]


def test_ready_times_in_one_log_bucket_fall_back_to_uid():
    a = pod("a", ready_since=NOW - timedelta(seconds=40))
    b = pod("b", ready_since=NOW - timedelta(seconds=50))  # same power-of-two bucket of nanoseconds
    assert wc.compare_for_deletion(a, b, 0, 0, NOW) < 0
    assert wc.compare_for_deletion(b, a, 0, 0, NOW) > 0


def test_is_pod_available_needs_min_ready_seconds():
    p = pod("a", ready_since=NOW - timedelta(seconds=5))
    assert wc.is_pod_available(p, 0, NOW)
    assert wc.is_pod_available(p, 5, NOW)
    assert not wc.is_pod_available(p, 6, NOW)
    assert not wc.is_pod_available(pod("b", ready=False), 0, NOW)


def test_expectations_track_creates_and_deletes():
    e = wc.Expectations()
    assert e.satisfied("ns/rs")
    e.expect_creations("ns/rs", 2)
    e.creation_observed("ns/rs")
    assert not e.satisfied("ns/rs")
    e.creation_observed("ns/rs")
    assert e.satisfied("ns/rs")
    e.expect_deletions("ns/rs", ["ns/p1"])
    e.deletion_observed("ns/rs", "ns/other")
    assert not e.satisfied("ns/rs")
    e.deletion_observed("ns/rs", "ns/p1")
    assert e.satisfied("ns/rs")


# --- GC discovery and pod GC choices ---


def test_deletable_resources_skip_subresources_events_and_undeletable():
    api_v1 = {"resources": [
        {"name": "pods", "kind": "Pod", "namespaced": True, "verbs": ["create", "delete", "get", "list", "watch"]},
        {"name": "pods/status", "kind": "Pod", "namespaced": True, "verbs": ["get", "patch"]},
        {"name": "events", "kind": "Event", "namespaced": True, "verbs": ["delete", "list", "watch"]},
        {"name": "bindings", "kind": "Binding", "namespaced": True, "verbs": ["create"]},
        {"name": "nodes", "kind": "Node", "namespaced": False, "verbs": ["delete", "list", "watch"]},
    ]}
    apps = {"resources": [{"name": "deployments", "kind": "Deployment", "namespaced": True, "verbs": ["delete", "list", "watch"]}]}
    got = [(r.group, r.version, r.plural, r.namespaced, r.kind) for r in deletable_resources(api_v1, [("apps/v1", apps)])]
    assert got == [("", "v1", "pods", True, "Pod"), ("", "v1", "nodes", False, "Node"),
                   ("apps", "v1", "deployments", True, "Deployment")]


def test_terminated_to_delete_takes_evicted_then_oldest():
    def tp(name: str, created: str, phase: str = "Succeeded", reason: str = "") -> dict:
        return {"metadata": {"name": name, "creationTimestamp": created}, "status": {"phase": phase, "reason": reason}}

    pods = [tp("new", "2024-05-03T00:00:00Z"), tp("old", "2024-05-01T00:00:00Z"),
            tp("evicted", "2024-05-04T00:00:00Z", "Failed", "Evicted"), tp("mid", "2024-05-02T00:00:00Z"),
            tp("running", "2024-04-01T00:00:00Z", "Running")]
    assert [p["metadata"]["name"] for p in terminated_to_delete(pods, 2)] == ["evicted", "old"]
    assert terminated_to_delete(pods, 0) == []
    assert terminated_to_delete(pods, 4) == []
