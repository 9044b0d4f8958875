"""List and watch semantics over HTTP: resourceVersion forms, pagination snapshots, bookmarks,
expired revisions (410) after compaction, and the per-namespace default ServiceAccount."""

import json
import time

import orjson
import pytest

from uwernetes.apiserver import handlers

NS = "default"
CM = f"/api/v1/namespaces/{NS}/configmaps"


def cm(name, **labels):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels}, "data": {"k": name}}


def events_of(lines):
    return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture(scope="module")
def api(cluster):
    return cluster.client()


def test_watch_from_a_revision_replays_exactly_what_followed(api):
    rv = api.post(CM, json=cm("w0", grp="w")).json()["metadata"]["resourceVersion"]
    api.post(CM, json=cm("w1", grp="w"))
    api.patch(f"{CM}/w1", json={"data": {"k": "changed"}}, headers={"content-type": "application/merge-patch+json"})
    api.delete(f"{CM}/w0")
    with api.stream("GET", CM, params={"watch": "true", "resourceVersion": rv, "labelSelector": "grp=w",
                                       "timeoutSeconds": "1"}) as r:
        got = events_of(r.iter_lines())
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in got] == [
        ("ADDED", "w1"), ("MODIFIED", "w1"), ("DELETED", "w0")]
    revs = [int(e["object"]["metadata"]["resourceVersion"]) for e in got]
    assert revs == sorted(revs) and revs[0] > int(rv)


def test_watch_without_revision_starts_with_current_objects(api):
    api.post(CM, json=cm("z0", grp="z"))
    with api.stream("GET", CM, params={"watch": "1", "labelSelector": "grp=z", "timeoutSeconds": "1"}) as r:
        got = events_of(r.iter_lines())
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in got] == [("ADDED", "z0")]


def test_label_change_moves_objects_in_and_out_of_a_selector_watch(api):
    rv = api.post(CM, json=cm("sel", grp="a")).json()["metadata"]["resourceVersion"]
    merge = {"content-type": "application/merge-patch+json"}
    api.patch(f"{CM}/sel", json={"metadata": {"labels": {"grp": "b"}}}, headers=merge)
    api.patch(f"{CM}/sel", json={"metadata": {"labels": {"grp": "a"}}}, headers=merge)
    with api.stream("GET", CM, params={"watch": "true", "resourceVersion": rv, "labelSelector": "grp=a",
                                       "timeoutSeconds": "1"}) as r:
        got = events_of(r.iter_lines())
    assert [e["type"] for e in got] == ["DELETED", "ADDED"]


def test_bookmarks_carry_the_current_revision(api, monkeypatch):
    monkeypatch.setattr(handlers, "BOOKMARK_INTERVAL", 0.2)
    rv = api.get(CM).json()["metadata"]["resourceVersion"]
    with api.stream("GET", CM, params={"watch": "true", "resourceVersion": rv, "allowWatchBookmarks": "true",
                                       "timeoutSeconds": "1"}) as r:
        got = events_of(r.iter_lines())
    marks = [e for e in got if e["type"] == "BOOKMARK"]
    assert marks, got
    assert marks[0]["object"]["kind"] == "ConfigMap" and int(marks[0]["object"]["metadata"]["resourceVersion"]) >= int(rv)


def test_pages_of_one_list_come_from_one_snapshot(api):
    for i in range(5):
        api.post(CM, json=cm(f"page-{i}", grp="page"))
    first = api.get(CM, params={"labelSelector": "grp=page", "limit": 2}).json()
    assert [i["metadata"]["name"] for i in first["items"]] == ["page-0", "page-1"]
    assert first["metadata"]["remainingItemCount"] == 3
    api.delete(f"{CM}/page-3")
    api.post(CM, json=cm("page-9", grp="page"))
    rest = api.get(CM, params={"labelSelector": "grp=page", "limit": 10, "continue": first["metadata"]["continue"]}).json()
    assert [i["metadata"]["name"] for i in rest["items"]] == ["page-2", "page-3", "page-4"]
    assert rest["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    assert "continue" not in rest["metadata"]


def test_resource_version_zero_lists_everything_whatever_the_limit(api):
    # v1.30 serves resourceVersion=0 from the watch cache, which has no pagination.
    for i in range(3):
        api.post(CM, json=cm(f"rv0-{i}", grp="rv0"))
    whole = api.get(CM, params={"labelSelector": "grp=rv0", "limit": 1, "resourceVersion": "0"}).json()
    assert [i["metadata"]["name"] for i in whole["items"]] == ["rv0-0", "rv0-1", "rv0-2"]
    assert "continue" not in whole["metadata"]
    paged = api.get(CM, params={"labelSelector": "grp=rv0", "limit": 1}).json()
    assert len(paged["items"]) == 1 and paged["metadata"]["continue"]


def test_compacted_revisions_are_gone(cluster, api):
    old = api.post(CM, json=cm("old", grp="compact")).json()["metadata"]["resourceVersion"]
    first = api.get(CM, params={"labelSelector": "grp=page", "limit": 1}).json()
    api.patch(f"{CM}/old", json={"data": {"k": "new"}}, headers={"content-type": "application/merge-patch+json"})
    store = cluster.server.store
    cluster.run(store.compact(store.revision))
    exact = api.get(CM, params={"resourceVersion": old, "resourceVersionMatch": "Exact"})
    assert exact.status_code == 410 and exact.json()["reason"] == "Expired"
    cont = api.get(CM, params={"labelSelector": "grp=page", "limit": 1, "continue": first["metadata"]["continue"]})
    assert cont.status_code == 410
    assert cont.json()["message"].startswith("The provided continue parameter is too old")
    # A watch from before what the cache holds is an in-stream ERROR with a 410 Status.
    with api.stream("GET", CM, params={"watch": "true", "resourceVersion": "1", "timeoutSeconds": "1"}) as r:
        assert r.status_code == 200
        got = events_of(r.iter_lines())
    assert got[0]["type"] == "ERROR"
    assert got[0]["object"]["code"] == 410 and got[0]["object"]["reason"] == "Expired"
    assert got[0]["object"]["message"].startswith("too old resource version: 1 (")


def test_future_revision_list_is_a_timeout(api):
    r = api.get(CM, params={"resourceVersion": "999999999"})
    assert r.status_code == 504 and r.json()["message"].startswith("Too large resource version: 999999999")


def test_new_namespace_gets_default_service_account_within_a_second(api):
    api.post("/api/v1/namespaces", json={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "sa-check"}})
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        if api.get("/api/v1/namespaces/sa-check/serviceaccounts/default").status_code == 200:
            break
        time.sleep(0.02)
    else:
        pytest.fail("no default ServiceAccount within 1 s")
    ca = api.get("/api/v1/namespaces/sa-check/configmaps/kube-root-ca.crt")
    assert ca.status_code == 200 and "BEGIN CERTIFICATE" in ca.json()["data"]["ca.crt"]


def test_in_process_shared_watches_leave_managed_fields_out(cluster):
    # In-process informers drop managedFields; the server spares them (and their decoding).
    from uwernetes.apiserver.http import OMIT_MANAGED_FIELDS

    api = cluster.client()
    path = "/api/v1/namespaces/default/configmaps"
    rv = api.get(path).json()["metadata"]["resourceVersion"]
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "lean-watch"}, "data": {"a": "1"}}
    assert api.post(path, json=body, params={"fieldManager": "tester"}).status_code == 201

    async def first_line(extensions):
        client = cluster.server.client("lean-test")
        query = {"watch": "true", "resourceVersion": rv, "fieldSelector": "metadata.name=lean-watch"}
        async for chunk in client.transport.stream("GET", path, query, extensions=extensions):
            return orjson.loads(chunk.split(b"\n")[0])

    lean = cluster.run(first_line({OMIT_MANAGED_FIELDS: True}))["object"]
    full = cluster.run(first_line(None))["object"]
    assert "managedFields" not in lean["metadata"]
    assert full["metadata"]["managedFields"][0]["manager"] == "tester"
    del full["metadata"]["managedFields"]
    assert lean == full
    # Over HTTP the extension cannot be asked for: watches carry everything.
    with api.stream("GET", path, params={"watch": "true", "resourceVersion": rv,
                                         "fieldSelector": "metadata.name=lean-watch"}) as r:
        line = next(r.iter_lines())
    assert orjson.loads(line)["object"]["metadata"]["managedFields"][0]["manager"] == "tester"
