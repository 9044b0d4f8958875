"""The in-process client, informers and work queue against a real API server."""

import asyncio

import pytest

from uwernetes.client.api import CONFIGMAPS, PODS, APIError
from uwernetes.client.informer import Informer
from uwernetes.client.workqueue import WorkQueue


def cm(name, **data):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


def test_crud_and_errors_through_in_process_transport(cluster):
    async def main():
        c = cluster.server.client("test")
        created = await c.create(CONFIGMAPS, cm("c1", a="1"), "default")
        assert created["metadata"]["resourceVersion"]
        got = await c.get(CONFIGMAPS, "c1", "default")
        assert got["data"] == {"a": "1"}
        patched = await c.patch(CONFIGMAPS, "c1", {"data": {"b": "2"}}, "default")
        assert patched["data"] == {"a": "1", "b": "2"}
        with pytest.raises(APIError) as dup:
            await c.create(CONFIGMAPS, cm("c1"), "default")
        assert dup.value.code == 409 and dup.value.reason == "AlreadyExists"
        await c.delete(CONFIGMAPS, "c1", "default")
        with pytest.raises(APIError) as missing:
            await c.get(CONFIGMAPS, "c1", "default")
        assert missing.value.not_found
        # Validation holds for in-process writers too.
        with pytest.raises(APIError) as bad:
            await c.create(PODS, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "Bad"}, "spec": {}}, "default")
        assert bad.value.code == 422

    cluster.run(main())


def test_informer_sees_adds_updates_deletes_in_order(cluster):
    async def main():
        c = cluster.server.client("test")
        seen = []
        inf = Informer(c, CONFIGMAPS, "inf-ns")
        await c.create(
            __import__("uwernetes.client.api", fromlist=["NAMESPACES"]).NAMESPACES,
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "inf-ns"}},
        )
        await c.create(CONFIGMAPS, cm("before"), "inf-ns")
        inf.add_handlers(
            on_add=lambda o: seen.append(("add", o["metadata"]["name"])),
            on_update=lambda old, new: seen.append(("update", new["metadata"]["name"])),
            on_delete=lambda o: seen.append(("delete", o["metadata"]["name"])),
        )
        inf.start()
        await inf.wait_synced(5)
        await c.create(CONFIGMAPS, cm("after"), "inf-ns")
        await c.patch(CONFIGMAPS, "after", {"data": {"x": "y"}}, "inf-ns")
        await c.delete(CONFIGMAPS, "before", "inf-ns")
        for _ in range(200):
            if len(seen) >= 5:
                break
            await asyncio.sleep(0.01)
        await inf.stop()
        names = [s for s in seen if s[1] in ("before", "after")]
        assert names == [("add", "before"), ("add", "after"), ("update", "after"), ("delete", "before")]
        assert set(inf.store) >= {"inf-ns/after"}

    cluster.run(main())


def test_work_queue_dedupes_and_never_hands_one_key_to_two_workers():
    async def main():
        q = WorkQueue()
        q.add("a")
        q.add("a")
        q.add("b")
        assert len(q) == 2
        k = await q.get()
        assert k == "a"
        q.add("a")  # re-added while processing: queued again only after done()
        assert len(q) == 1
        k2 = await q.get()
        assert k2 == "b"
        q.done("a")
        assert len(q) == 1 and await q.get() == "a"
        q.add_after("later", 0.02)
        assert len(q) == 0
        await asyncio.sleep(0.05)
        assert await q.get() == "later"

    asyncio.run(main())
