"""The SQLite store: revisions, compare-and-swap, snapshots, watch replay, compaction, restart."""

import asyncio

import pytest

from uwernetes.storage.interface import Compacted, KeyExists, KeyNotFound, RevisionConflict
from uwernetes.storage.sqlite import SQLiteStore


def run(coro):
    return asyncio.run(coro)


def obj(name, **extra):
    return {"metadata": {"name": name}, **extra}


def test_create_get_update_delete_bump_one_global_revision(tmp_path):
    async def main():
        s = SQLiteStore(str(tmp_path / "db"))
        a = await s.create("/registry/pods/ns/a", obj("a"))
        b = await s.create("/registry/configmaps/ns/b", obj("b"))
        assert (a.rev, b.rev) == (1, 2)
        got = await s.get("/registry/pods/ns/a")
        assert got.obj["metadata"]["resourceVersion"] == "1"
        with pytest.raises(KeyExists):
            await s.create("/registry/pods/ns/a", obj("a"))
        with pytest.raises(RevisionConflict) as conflict:
            await s.update("/registry/pods/ns/a", obj("a", x=1), expected_rev=2)
        assert conflict.value.current.rev == 1
        u = await s.update("/registry/pods/ns/a", obj("a", x=1), expected_rev=1)
        assert u.rev == 3 and (await s.get("/registry/pods/ns/a")).obj["x"] == 1
        d = await s.delete("/registry/pods/ns/a")
        assert d.rev == 4 and d.obj["metadata"]["resourceVersion"] == "4"
        assert await s.get("/registry/pods/ns/a") is None
        with pytest.raises(KeyNotFound):
            await s.delete("/registry/pods/ns/a")
        assert s.revision == 4
        await s.close()

    run(main())


def test_acknowledged_writes_survive_reopen(tmp_path):
    async def write():
        s = SQLiteStore(str(tmp_path / "db"))
        await asyncio.gather(*(s.create(f"/k/{i:03}", obj(str(i))) for i in range(200)))
        await s.close()

    async def read():
        s = SQLiteStore(str(tmp_path / "db"))
        entries, rev, more = await s.list("/k/")
        await s.close()
        return entries, rev, more

    run(write())
    entries, rev, more = run(read())
    assert len(entries) == 200 and rev == 200 and not more


def test_paginated_list_reads_one_snapshot(tmp_path):
    async def main():
        s = SQLiteStore(str(tmp_path / "db"))
        for i in range(5):
            await s.create(f"/k/{i}", obj(str(i)))
        page1, rev, more = await s.list("/k/", limit=2)
        assert [e.key for e in page1] == ["/k/0", "/k/1"] and more
        await s.delete("/k/3")
        await s.update("/k/2", obj("2", changed=True), 0)
        page2, rev2, more2 = await s.list("/k/", revision=rev, start_after="/k/1", limit=10)
        assert rev2 == rev and not more2
        assert [e.key for e in page2] == ["/k/2", "/k/3", "/k/4"]
        assert "changed" not in page2[0].obj
        await s.close()

    run(main())


def test_watch_replays_history_then_follows_live(tmp_path):
    async def main():
        s = SQLiteStore(str(tmp_path / "db"))
        await s.create("/k/a", obj("a"))
        await s.create("/other/x", obj("x"))
        await s.update("/k/a", obj("a", v=2), 0)
        seen = []

        async def consume():
            async for ev in s.watch("/k/", 1):
                seen.append((ev.type, ev.key, ev.rev))
                if len(seen) == 3:
                    return

        task = asyncio.create_task(consume())
        await asyncio.sleep(0.01)
        await s.delete("/k/a")
        await s.create("/k/a", obj("a"))
        await asyncio.wait_for(task, 2)
        assert seen == [("MODIFIED", "/k/a", 3), ("DELETED", "/k/a", 4), ("ADDED", "/k/a", 5)]
        await s.close()

    run(main())


def test_compaction_forgets_superseded_versions(tmp_path):
    async def main():
        s = SQLiteStore(str(tmp_path / "db"))
        await s.create("/k/a", obj("a"))
        for i in range(5):
            await s.update("/k/a", obj("a", v=i), 0)
        await s.compact(4)
        with pytest.raises(Compacted):
            await s.list("/k/", revision=2)
        with pytest.raises(Compacted):
            async for _ in s.watch("/k/", 2):
                pass
        entries, _, _ = await s.list("/k/", revision=4)
        assert entries[0].obj["v"] == 2
        await s.close()

    run(main())
