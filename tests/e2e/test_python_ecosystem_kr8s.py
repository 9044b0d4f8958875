"""kr8s (async API), unchanged, against `uwe up`: discovery, create, get, label, patch, scale (whose
pods the controllers and the simulated node bring up), watch and delete."""

from __future__ import annotations

import asyncio

import pytest
from python_ecosystem import uwe  # noqa: F401  (module-scoped `uwe up` fixture)

pytest.importorskip("kr8s")
import kr8s.asyncio  # noqa: E402
from kr8s.asyncio.objects import ConfigMap, Deployment, Namespace  # noqa: E402

pytestmark = pytest.mark.e2e

NS = "eco-kr8s"


@pytest.fixture(scope="module")
def kubeconfig(uwe):  # noqa: F811
    async def setup() -> None:
        api = await kr8s.asyncio.api(kubeconfig=str(uwe.kubeconfig))
        await Namespace({"metadata": {"name": NS}}, api=api).create()
    asyncio.run(setup())
    return str(uwe.kubeconfig)


def run(coro_fn, kubeconfig: str, timeout: float = 20):
    async def main():
        api = await kr8s.asyncio.api(kubeconfig=kubeconfig)
        try:
            return await asyncio.wait_for(coro_fn(api), timeout)
        finally:
            # kr8s keeps its HTTP session for the loop's lifetime; an open watch connection would
            # otherwise hold up the server's graceful shutdown.
            if api._session is not None:
                await api._session.aclose()
    return asyncio.run(main())


def test_discovery_and_version(kubeconfig):
    async def body(api):
        version = await api.version()
        resources = {r["name"]: r for r in await api.api_resources()}
        return version, resources
    version, resources = run(body, kubeconfig)
    assert (version["major"], version["minor"]) == ("1", "30")
    assert resources["deployments"]["kind"] == "Deployment"
    assert resources["deployments"]["shortNames"] == ["deploy"]
    assert resources["configmaps"]["namespaced"] is True


def test_create_get_label_patch_delete_configmap(kubeconfig):
    async def body(api):
        cm = ConfigMap({"metadata": {"name": "kr", "namespace": NS}, "data": {"a": "1"}}, api=api)
        await cm.create()
        assert cm.metadata.uid and cm.metadata.resourceVersion
        # kr8s.get sends a duplicated metadata.name field selector with a name.
        [got] = [o async for o in kr8s.asyncio.get("configmaps", "kr", namespace=NS, api=api)]
        assert (got.name, got.raw["data"]) == ("kr", {"a": "1"})
        by_name = await ConfigMap.get("kr", namespace=NS, api=api)
        assert by_name.metadata.uid == cm.metadata.uid
        await cm.label({"tier": "db"})
        await cm.patch({"data": {"a": None, "b": "2"}})
        fresh = await ConfigMap.get("kr", namespace=NS, api=api)
        assert (fresh.labels, fresh.raw["data"]) == ({"tier": "db"}, {"b": "2"})
        # A JSON patch through kr8s.
        await cm.patch([{"op": "add", "path": "/data/c", "value": "3"}], type="json")
        assert (await ConfigMap.get("kr", namespace=NS, api=api)).raw["data"] == {"b": "2", "c": "3"}
        selected = [o.name async for o in api.async_get("configmaps", namespace=NS, label_selector={"tier": "db"})]
        assert selected == ["kr"]
        await cm.delete()
        assert not await cm.exists()
    run(body, kubeconfig)


def test_deployment_create_patch_and_scale(kubeconfig):
    async def body(api):
        dep = Deployment({
            "metadata": {"name": "kr-web", "namespace": NS},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "kr-web"}},
                "template": {"metadata": {"labels": {"app": "kr-web"}},
                             "spec": {"containers": [{"name": "web", "image": "nginx:1.25"}]}},
            },
        }, api=api)
        await dep.create()
        await dep.patch({"spec": {"template": {"metadata": {"annotations": {"rev": "2"}}}}})
        assert dep.raw["spec"]["template"]["metadata"]["annotations"] == {"rev": "2"}
        await dep.scale(3)
        assert dep.replicas == 3
        # The deployment and replicaset controllers and the simulated node roll out three pods of
        # the patched template (the first revision's pod goes away).
        async def pods():
            return [p async for p in api.async_get("pods", namespace=NS, label_selector={"app": "kr-web"})]
        while not (await dep.ready() and dep.raw["status"].get("updatedReplicas") == 3 and len(await pods()) == 3):
            await asyncio.sleep(0.1)
            await dep.refresh()
        running = await pods()
        assert all(p.status.phase == "Running" for p in running)
        assert {p.metadata.annotations.get("rev") for p in running} == {"2"}
        assert len({p.metadata.ownerReferences[0]["name"] for p in running}) == 1
        await dep.scale(1)
        while len(await pods()) != 1:
            await asyncio.sleep(0.1)
    run(body, kubeconfig, timeout=30)


def test_watch_replays_then_follows(kubeconfig):
    async def body(api):
        ns = "eco-kr8s-watch"
        await Namespace({"metadata": {"name": ns}}, api=api).create()
        await ConfigMap({"metadata": {"name": "before", "namespace": ns}}, api=api).create()
        seen = []
        async for event, obj in kr8s.asyncio.watch("configmaps", namespace=ns, api=api):
            if obj.name == "kube-root-ca.crt":
                continue
            seen.append((event, obj.name, obj.raw.get("data")))
            if seen == [("ADDED", "before", None)]:
                cm = ConfigMap({"metadata": {"name": "after", "namespace": ns}, "data": {"x": "1"}}, api=api)
                await cm.create()
                await cm.patch({"data": {"x": "2"}})
                await cm.delete()
            if len(seen) == 4:
                break
        return seen
    assert run(body, kubeconfig) == [
        ("ADDED", "before", None),
        ("ADDED", "after", {"x": "1"}),
        ("MODIFIED", "after", {"x": "2"}),
        ("DELETED", "after", {"x": "2"}),
    ]
