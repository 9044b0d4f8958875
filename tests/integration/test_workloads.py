"""ReplicaSet, Deployment, garbage collector and pod GC against an in-thread server with the
controller manager running and a stand-in kubelet (test_workloads_kubelet.FakeKubelet)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from conftest import start_thread_cluster
from test_workloads_kubelet import FakeKubelet

from uwernetes.client.api import CONFIGMAPS, DEPLOYMENTS, NODES, PODS, REPLICASETS, APIError, Resource

NS = "default"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("workloads")
    options = {"lease_seconds": 2, "renew_seconds": 1, "retry_seconds": 0.2,
               "terminated_pod_gc_threshold": 3, "pod_gc_period": 0.3, "pod_gc_quarantine": 0.3}
    cluster, ts = start_thread_cluster(tmp, controllers=True, component_options=options)
    client = cluster.server.client("workloads-test")
    kubelet = FakeKubelet(client, nodes=3)
    cluster.run(kubelet.start())
    try:
        yield cluster, client, kubelet
    finally:
        cluster.run(kubelet.stop())
        ts.stop()


def wait(cluster, check: Callable[[], Awaitable[Any]], what: str, timeout: float = 20.0) -> Any:
    """Poll an async check until it returns something truthy."""

    async def poll() -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        last: Any = None
        while loop.time() < deadline:
            try:
                last = await check()
            except APIError as e:
                last = e
            else:
                if last:
                    return last
            await asyncio.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}; last: {last!r}")

    return cluster.run(poll(), timeout=timeout + 5)


def template(app: str, image: str = "nginx:1.25") -> dict:
    return {"metadata": {"labels": {"app": app}},
            "spec": {"containers": [{"name": "c", "image": image}], "terminationGracePeriodSeconds": 5}}


def deployment(name: str, replicas: int = 3, image: str = "nginx:1.25", **spec: Any) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": NS},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": template(name, image), **spec}}


def replicaset(name: str, replicas: int = 2) -> dict:
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": name, "namespace": NS},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}}, "template": template(name)}}


async def pods_of(client, app: str, *, active: bool = True) -> list[dict]:
    items = (await client.list(PODS, NS, label_selector=f"app={app}"))["items"]
    if active:
        items = [p for p in items if not p["metadata"].get("deletionTimestamp")]
    return items


async def exists(client, res: Resource, name: str) -> bool:
    try:
        await client.get(res, name, NS)
        return True
    except APIError as e:
        if e.not_found:
            return False
        raise


def cond(obj: dict, ctype: str) -> dict:
    return next((c for c in (obj.get("status") or {}).get("conditions") or () if c["type"] == ctype), {})


# --- ReplicaSet ---


def test_replicaset_creates_owned_pods_and_reports_status(env):
    cluster, client, _ = env
    rs = cluster.run(client.create(REPLICASETS, replicaset("rs-basic", 3), NS))

    async def ready() -> dict | None:
        cur = await client.get(REPLICASETS, "rs-basic", NS)
        st = cur.get("status") or {}
        ok = (st.get("replicas"), st.get("readyReplicas"), st.get("availableReplicas"), st.get("fullyLabeledReplicas"),
              st.get("observedGeneration")) == (3, 3, 3, 3, 1)
        return cur if ok else None

    wait(cluster, ready, "rs-basic ready")
    pods = cluster.run(pods_of(client, "rs-basic"))
    assert len(pods) == 3
    for p in pods:
        assert p["metadata"]["generateName"] == "rs-basic-"
        assert p["metadata"]["ownerReferences"] == [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs-basic",
                                                     "uid": rs["metadata"]["uid"], "controller": True,
                                                     "blockOwnerDeletion": True}]


def test_replicaset_scale_down_honours_pod_deletion_cost(env):
    cluster, client, _ = env
    cluster.run(client.create(REPLICASETS, replicaset("rs-cost", 3), NS))
    pods = wait(cluster, lambda: _n_running(client, "rs-cost", 3), "3 running pods")
    keep = sorted(p["metadata"]["name"] for p in pods)
    cheap = keep[1]
    for p in pods:
        cost = "-100" if p["metadata"]["name"] == cheap else "100"
        cluster.run(client.patch(PODS, p["metadata"]["name"],
                                 {"metadata": {"annotations": {"controller.kubernetes.io/pod-deletion-cost": cost}}}, NS))
    cluster.run(client.patch(REPLICASETS, "rs-cost", {"spec": {"replicas": 2}}, NS))

    async def two_left() -> list | None:
        left = sorted(p["metadata"]["name"] for p in await pods_of(client, "rs-cost", active=False))
        return left if len(left) == 2 else None

    assert wait(cluster, two_left, "scale down to 2") == [n for n in keep if n != cheap]


async def _n_running(client, app: str, n: int) -> list | None:
    pods = await pods_of(client, app)
    running = [p for p in pods if (p.get("status") or {}).get("phase") == "Running"]
    return running if len(running) == n and len(pods) == n else None


def test_replicaset_adopts_orphans_and_releases_mismatches(env):
    cluster, client, _ = env
    orphan = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "adopt-me", "namespace": NS, "labels": {"app": "rs-adopt"}},
              "spec": {"containers": [{"name": "c", "image": "nginx"}]}}
    cluster.run(client.create(PODS, orphan, NS))
    rs = cluster.run(client.create(REPLICASETS, replicaset("rs-adopt", 2), NS))

    async def adopted() -> bool:
        pod = await client.get(PODS, "adopt-me", NS)
        refs = pod["metadata"].get("ownerReferences") or []
        return [r["uid"] for r in refs] == [rs["metadata"]["uid"]]

    wait(cluster, adopted, "adoption")
    wait(cluster, lambda: _n_running(client, "rs-adopt", 2), "two pods (one adopted, one new)")
    cluster.run(client.patch(PODS, "adopt-me", {"metadata": {"labels": {"app": "elsewhere"}}}, NS))

    async def released() -> bool:
        pod = await client.get(PODS, "adopt-me", NS)
        return not pod["metadata"].get("ownerReferences")

    wait(cluster, released, "release")
    wait(cluster, lambda: _n_running(client, "rs-adopt", 2), "a replacement pod")


# --- Deployment ---


def _complete(client, name: str, revision: str, replicas: int):
    async def check() -> dict | None:
        d = await client.get(DEPLOYMENTS, name, NS)
        st = d.get("status") or {}
        ok = (st.get("observedGeneration") == d["metadata"]["generation"]
              and st.get("updatedReplicas") == replicas and st.get("replicas") == replicas
              and st.get("availableReplicas") == replicas
              and cond(d, "Progressing").get("reason") == "NewReplicaSetAvailable"
              and d["metadata"].get("annotations", {}).get("deployment.kubernetes.io/revision") == revision)
        return d if ok else None

    return check


def test_deployment_rollout_and_rolling_update(env):
    cluster, client, _ = env
    cluster.run(client.create(DEPLOYMENTS, deployment("web", 4), NS))
    d = wait(cluster, _complete(client, "web", "1", 4), "first rollout")
    assert cond(d, "Available")["reason"] == "MinimumReplicasAvailable"
    assert cond(d, "Available")["message"] == "Deployment has minimum availability."
    rss = cluster.run(client.list(REPLICASETS, NS, label_selector="app=web"))["items"]
    assert len(rss) == 1
    rs = rss[0]
    h = rs["metadata"]["labels"]["pod-template-hash"]
    assert rs["metadata"]["name"] == f"web-{h}"
    assert rs["spec"]["selector"]["matchLabels"] == {"app": "web", "pod-template-hash": h}
    assert rs["metadata"]["annotations"] == {"deployment.kubernetes.io/desired-replicas": "4",
                                             "deployment.kubernetes.io/max-replicas": "5",
                                             "deployment.kubernetes.io/revision": "1"}
    assert cond(d, "Progressing")["message"] == f'ReplicaSet "web-{h}" has successfully progressed.'

    cluster.run(client.patch(DEPLOYMENTS, "web", {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "nginx:1.26"}]}}}}, NS,
                             patch_type="strategic"))
    wait(cluster, _complete(client, "web", "2", 4), "rolling update")
    rss = cluster.run(client.list(REPLICASETS, NS, label_selector="app=web"))["items"]
    by_rev = {r["metadata"]["annotations"]["deployment.kubernetes.io/revision"]: r for r in rss}
    assert sorted(by_rev) == ["1", "2"]
    assert by_rev["1"]["spec"]["replicas"] == 0
    assert by_rev["2"]["spec"]["replicas"] == 4
    images = {p["spec"]["containers"][0]["image"] for p in cluster.run(pods_of(client, "web"))}
    assert images == {"nginx:1.26"}


def test_deployment_scale_subresource(env):
    cluster, client, _ = env
    cluster.run(client.create(DEPLOYMENTS, deployment("scaled", 2), NS))
    wait(cluster, _complete(client, "scaled", "1", 2), "rollout")
    cluster.run(client.patch(DEPLOYMENTS, "scaled", {"spec": {"replicas": 5}}, NS, subresource="scale"))
    wait(cluster, _complete(client, "scaled", "1", 5), "scaled to 5")
    wait(cluster, lambda: _n_running(client, "scaled", 5), "5 pods")


def test_deployment_recreate_and_history_limit(env):
    cluster, client, _ = env
    body = deployment("recreate", 2, strategy={"type": "Recreate"}, revisionHistoryLimit=1)
    cluster.run(client.create(DEPLOYMENTS, body, NS))
    wait(cluster, _complete(client, "recreate", "1", 2), "rollout")
    for rev, image in (("2", "nginx:2"), ("3", "nginx:3")):
        cluster.run(client.patch(DEPLOYMENTS, "recreate", {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": image}]}}}}, NS,
                                 patch_type="strategic"))
        wait(cluster, _complete(client, "recreate", rev, 2), f"revision {rev}")

    async def pruned() -> list | None:
        rss = (await client.list(REPLICASETS, NS, label_selector="app=recreate"))["items"]
        revs = sorted(r["metadata"]["annotations"]["deployment.kubernetes.io/revision"] for r in rss)
        return revs if revs == ["2", "3"] else None

    wait(cluster, pruned, "only one old ReplicaSet kept")


def test_deployment_progress_deadline_exceeded(env):
    cluster, client, kubelet = env
    kubelet.hold.add("stuck-")
    try:
        cluster.run(client.create(DEPLOYMENTS, deployment("stuck", 1, progressDeadlineSeconds=1), NS))

        async def timed_out() -> dict | None:
            d = await client.get(DEPLOYMENTS, "stuck", NS)
            c = cond(d, "Progressing")
            return c if c.get("reason") == "ProgressDeadlineExceeded" else None

        c = wait(cluster, timed_out, "ProgressDeadlineExceeded")
        rs_name = cluster.run(client.list(REPLICASETS, NS, label_selector="app=stuck"))["items"][0]["metadata"]["name"]
        assert c["status"] == "False"
        assert c["message"] == f'ReplicaSet "{rs_name}" has timed out progressing.'
        d = cluster.run(client.get(DEPLOYMENTS, "stuck", NS))
        assert cond(d, "Available") | {"lastUpdateTime": None, "lastTransitionTime": None} == {
            "type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable",
            "message": "Deployment does not have minimum availability.", "lastUpdateTime": None, "lastTransitionTime": None}
    finally:
        kubelet.hold.discard("stuck-")


# --- garbage collection ---


def test_background_delete_removes_replicasets_and_pods(env):
    cluster, client, _ = env
    cluster.run(client.create(DEPLOYMENTS, deployment("bg", 2), NS))
    wait(cluster, _complete(client, "bg", "1", 2), "rollout")
    cluster.run(client.delete(DEPLOYMENTS, "bg", NS))

    async def gone() -> bool:
        rss = (await client.list(REPLICASETS, NS, label_selector="app=bg"))["items"]
        pods = (await client.list(PODS, NS, label_selector="app=bg"))["items"]
        return not rss and not pods

    wait(cluster, gone, "ReplicaSets and pods collected")


def test_foreground_delete_waits_for_dependents(env):
    cluster, client, _ = env
    cluster.run(client.create(DEPLOYMENTS, deployment("fg", 2), NS))
    wait(cluster, _complete(client, "fg", "1", 2), "rollout")
    cluster.run(client.delete(DEPLOYMENTS, "fg", NS, propagation_policy="Foreground"))
    d = cluster.run(client.get(DEPLOYMENTS, "fg", NS))
    assert d["metadata"]["finalizers"] == ["foregroundDeletion"]
    assert d["metadata"].get("deletionTimestamp")

    async def owner_gone_last() -> bool:
        still = await exists(client, DEPLOYMENTS, "fg")
        rss = (await client.list(REPLICASETS, NS, label_selector="app=fg"))["items"]
        pods = (await client.list(PODS, NS, label_selector="app=fg"))["items"]
        assert still or (not rss and not pods), "the Deployment went before its dependents"
        return not still

    wait(cluster, owner_gone_last, "foreground deletion")


def test_orphan_delete_keeps_replicaset_without_owner(env):
    cluster, client, _ = env
    cluster.run(client.create(DEPLOYMENTS, deployment("orph", 1), NS))
    wait(cluster, _complete(client, "orph", "1", 1), "rollout")
    cluster.run(client.delete(DEPLOYMENTS, "orph", NS, propagation_policy="Orphan"))

    async def orphaned() -> list | None:
        if await exists(client, DEPLOYMENTS, "orph"):
            return None
        rss = (await client.list(REPLICASETS, NS, label_selector="app=orph"))["items"]
        return rss if rss and not rss[0]["metadata"].get("ownerReferences") else None

    rss = wait(cluster, orphaned, "orphaned ReplicaSet")
    assert len(rss) == 1
    assert len(cluster.run(pods_of(client, "orph"))) == 1


def test_dependent_with_a_live_owner_loses_only_the_dangling_reference(env):
    cluster, client, _ = env
    a = cluster.run(client.create(CONFIGMAPS, {"metadata": {"name": "owner-a"}}, NS))
    b = cluster.run(client.create(CONFIGMAPS, {"metadata": {"name": "owner-b"}}, NS))
    refs = [{"apiVersion": "v1", "kind": "ConfigMap", "name": o["metadata"]["name"], "uid": o["metadata"]["uid"]} for o in (a, b)]
    cluster.run(client.create(CONFIGMAPS, {"metadata": {"name": "two-owners", "ownerReferences": refs}}, NS))
    cluster.run(client.delete(CONFIGMAPS, "owner-a", NS))

    async def trimmed() -> list | None:
        cm = await client.get(CONFIGMAPS, "two-owners", NS)
        got = cm["metadata"].get("ownerReferences")
        return got if got == [refs[1]] else None

    wait(cluster, trimmed, "dangling reference removed")
    cluster.run(client.delete(CONFIGMAPS, "owner-b", NS))
    wait(cluster, lambda: _absent(client, CONFIGMAPS, "two-owners"), "dependent collected once both owners are gone")


async def _absent(client, res: Resource, name: str) -> bool:
    return not await exists(client, res, name)


def test_owner_with_same_name_but_new_uid_counts_as_absent(env):
    cluster, client, _ = env
    cluster.run(client.create(CONFIGMAPS, {"metadata": {"name": "reborn"}}, NS))
    stale = {"apiVersion": "v1", "kind": "ConfigMap", "name": "reborn", "uid": "00000000-0000-4000-8000-000000000000"}
    cluster.run(client.create(CONFIGMAPS, {"metadata": {"name": "stale-dependent", "ownerReferences": [stale]}}, NS))
    wait(cluster, lambda: _absent(client, CONFIGMAPS, "stale-dependent"), "dependent of a vanished owner uid collected")
    assert cluster.run(exists(client, CONFIGMAPS, "reborn"))


# --- pod GC ---


def test_pod_gc_deletes_terminated_pods_over_threshold(env):
    cluster, client, kubelet = env
    kubelet.hold.add("done-")
    try:
        for i in range(5):
            body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"done-{i}", "namespace": NS, "labels": {"app": "done"}},
                    "spec": {"containers": [{"name": "c", "image": "busybox"}], "restartPolicy": "Never"}}
            cluster.run(client.create(PODS, body, NS))
            cluster.run(client.patch(PODS, f"done-{i}", {"status": {"phase": "Succeeded"}}, NS, subresource="status"))

        async def trimmed() -> list | None:
            names = sorted(p["metadata"]["name"] for p in await pods_of(client, "done", active=False))
            return names if len(names) <= 3 else None

        # Threshold 3 (set in the fixture): the two oldest go.
        assert wait(cluster, trimmed, "terminated pods trimmed") == ["done-2", "done-3", "done-4"]
    finally:
        kubelet.hold.discard("done-")


def test_pod_gc_deletes_pods_of_deleted_nodes(env):
    cluster, client, kubelet = env
    from test_workloads_kubelet import node_body

    cluster.run(client.create(NODES, node_body("doomed")))
    kubelet.hold.add("on-doomed")
    try:
        body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "on-doomed", "namespace": NS},
                "spec": {"nodeName": "doomed", "containers": [{"name": "c", "image": "nginx"}]}}
        cluster.run(client.create(PODS, body, NS))
        cluster.run(client.delete(NODES, "doomed"))
        wait(cluster, lambda: _absent(client, PODS, "on-doomed"), "pod of the deleted node collected")
    finally:
        kubelet.hold.discard("on-doomed")
