"""Caches behind server-side apply: they must give exactly what an uncached computation gives."""

from __future__ import annotations

import copy

import pytest

from uwernetes.apiserver import apply
from uwernetes.machinery import fieldpath as fp
from uwernetes.machinery import schemas

POD = schemas.schema_for("", "v1", "Pod")


def pod(*containers: dict) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": list(containers)}}


def container(name: str, **extra) -> dict:
    return {"name": name, "image": "busybox", "env": [{"name": "A", "value": "1"}],
            "ports": [{"containerPort": 80}], **extra}


def big_fields(n: int) -> dict:
    return fp.to_fields_v1(fp.to_set(fp.strip(pod(*(container(f"c{i}") for i in range(n))), False), POD))


@pytest.fixture(autouse=True)
def _fresh_caches(monkeypatch):
    monkeypatch.setattr(fp, "_ITEM_MEMO", {})
    monkeypatch.setattr(fp, "_DECODED", {})
    monkeypatch.setattr(fp, "_decoded_bytes", 0)


def test_decoded_fields_equals_from_fields_v1_and_is_shared_for_equal_json():
    fields = big_fields(5)
    first = fp.decoded_fields(fields)
    assert first == frozenset(fp.from_fields_v1(fields))
    again = fp.decoded_fields(copy.deepcopy(fields))
    assert again is first
    assert len(fp._DECODED) == 1


@pytest.mark.parametrize("fields, expected", [
    (None, frozenset()),
    ({}, frozenset()),
    ({"f:spec": {"f:replicas": {}}}, frozenset({("f:spec", "f:replicas")})),
])
def test_decoded_fields_of_small_sets_are_not_kept(fields, expected):
    assert fp.decoded_fields(fields) == expected
    assert fp._DECODED == {}


def test_decoded_fields_evicts_oldest_within_budget(monkeypatch):
    a, b = big_fields(4), big_fields(6)
    size_a = len(__import__("orjson").dumps(a))
    monkeypatch.setattr(fp, "_DECODED_BUDGET", size_a + 10)
    fp.decoded_fields(a)
    fp.decoded_fields(b)
    assert len(fp._DECODED) == 1
    assert fp.decoded_fields(a) == frozenset(fp.from_fields_v1(a))


def test_manager_losing_fields_does_not_change_the_cached_set():
    fields = big_fields(5)
    m = apply.Manager({"manager": "x", "operation": "Apply", "fieldsV1": fields})
    whole = m.fields
    m.fields -= {p for p in whole if "f:image" in p}
    assert fp.decoded_fields(fields) == whole
    assert len(m.fields) < len(whole)


def test_item_memo_gives_the_same_set_as_a_cold_walk():
    obj = fp.strip(pod(container("a"), container("b", args=["x"]), container("a")), False)
    cold = fp.to_set(obj, POD)
    assert fp._ITEM_MEMO  # items were memoized
    warm = fp.to_set(obj, POD)
    assert warm == cold
    assert ("f:spec", "f:containers", 'k:{"name":"b"}', "f:args") in warm
    assert ("f:spec", "f:containers", 'k:{"name":"a"}', "f:ports", 'k:{"containerPort":80,"protocol":"TCP"}',
            "f:containerPort") in warm


def test_item_memo_keeps_the_first_undeclared_field_with_its_full_path():
    body = pod(container("a"), container("b", bogus=1), container("c", other=2))
    expected = ("f:spec", "f:containers", 'k:{"name":"b"}', "f:bogus")
    assert fp.undeclared(body, POD) == expected
    assert fp.undeclared(body, POD) == expected  # from the memo
    # The same item under another list reports that list's path.
    moved = pod(container("a"))
    moved["spec"]["initContainers"] = [container("b", bogus=1)]
    assert fp.undeclared(moved, POD) == ("f:spec", "f:initContainers", 'k:{"name":"b"}', "f:bogus")


def test_item_memo_keeps_the_first_mistyped_value_with_its_full_path():
    body = pod(container("a"), container("b", ports=[{"containerPort": "80"}]), container("c", image=5))
    expected = (("f:spec", "f:containers", 'k:{"name":"b"}', "f:ports", 'k:{"containerPort":"80","protocol":"TCP"}',
                 "f:containerPort"), "expected numeric (int or float), got string")
    assert fp.mistyped(body, POD) == expected
    assert fp.mistyped(body, POD) == expected  # from the memo
    moved = pod(container("a"))
    moved["spec"]["initContainers"] = [container("c", image=5)]
    assert fp.mistyped(moved, POD) == (("f:spec", "f:initContainers", 'k:{"name":"c"}', "f:image"),
                                       "expected string, got int64")
    assert fp.mistyped(pod(container("a"), container("b")), POD) is None


def test_item_memo_is_bounded(monkeypatch):
    monkeypatch.setattr(fp, "_ITEM_MEMO_MAX", 3)
    fp.to_set(fp.strip(pod(*(container(f"c{i}") for i in range(10))), False), POD)
    assert len(fp._ITEM_MEMO) == 3


def test_items_that_are_not_json_are_walked_without_the_memo():
    huge = 1 << 70  # orjson cannot encode it
    obj = fp.strip(pod(container("a", terminationGracePeriodSeconds=huge)), False)
    assert ("f:spec", "f:containers", 'k:{"name":"a"}', "f:image") in fp.to_set(obj, POD)
    assert fp.undeclared(pod(container("a", x=huge)), POD) == ("f:spec", "f:containers", 'k:{"name":"a"}', "f:x")


@pytest.mark.parametrize("live, config, expected", [
    # Same keys, same order: items merge pairwise.
    ([{"name": "a", "image": "x", "tty": True}, {"name": "b"}], [{"name": "a", "image": "y"}, {"name": "b", "image": "z"}],
     [{"name": "a", "image": "y", "tty": True}, {"name": "b", "image": "z"}]),
    # Duplicate keys take the general path (which keeps one item per key).
    ([{"name": "a", "image": "x"}, {"name": "a", "image": "w"}], [{"name": "a", "image": "y"}, {"name": "a", "image": "v"}],
     [{"name": "a", "image": "v"}]),
    # Reordered keys follow the config's order.
    ([{"name": "a"}, {"name": "b"}], [{"name": "b", "image": "1"}, {"name": "a", "image": "2"}],
     [{"name": "b", "image": "1"}, {"name": "a", "image": "2"}]),
])
def test_merge_of_map_lists(live, config, expected):
    out = fp.merge({"spec": {"containers": live}}, {"spec": {"containers": config}}, POD)
    assert out == {"spec": {"containers": expected}}


def test_update_transfer_uses_the_shared_decoding_without_changing_it():
    from uwernetes.machinery.managed_fields import record_update

    old = pod(*(container(f"c{i}") for i in range(5)))
    fields = big_fields(5)
    old["metadata"]["managedFields"] = [{"manager": "a", "operation": "Apply", "apiVersion": "v1",
                                         "time": "2024-01-01T00:00:00Z", "fieldsType": "FieldsV1", "fieldsV1": fields}]
    whole = fp.decoded_fields(fields)
    new = copy.deepcopy(old)
    new["spec"]["containers"][2]["image"] = "nginx"
    record_update(new, old, "b", "v1")
    a, b = new["metadata"]["managedFields"]
    image = ("f:spec", "f:containers", 'k:{"name":"c2"}', "f:image")
    assert image not in fp.from_fields_v1(a["fieldsV1"])
    assert fp.from_fields_v1(b["fieldsV1"]) == {image}
    assert fp.decoded_fields(fields) is whole and image in whole


def test_merged_items_come_from_the_memo_as_fresh_equal_objects():
    live = {"spec": {"containers": [dict(container("a"), terminationMessagePath="/dev/termination-log"),
                                    container("b")]}}
    config = {"spec": {"containers": [{"name": "a", "image": "nginx"}, {"name": "b", "env": [{"name": "B", "value": "2"}]}]}}
    cold = fp.merge(copy.deepcopy(live), copy.deepcopy(config), POD)
    assert [k for k in fp._ITEM_MEMO if k[1] == "merge"]
    warm = fp.merge(copy.deepcopy(live), copy.deepcopy(config), POD)
    assert warm == cold
    assert cold["spec"]["containers"][0] == {**container("a"), "terminationMessagePath": "/dev/termination-log",
                                             "image": "nginx"}
    assert cold["spec"]["containers"][1]["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]
    # Callers change merged objects (defaulting); the memo must not see that.
    warm["spec"]["containers"][0]["image"] = "changed"
    again = fp.merge(copy.deepcopy(live), copy.deepcopy(config), POD)
    assert again["spec"]["containers"][0]["image"] == "nginx"


def test_single_string_key_elements_match_the_generic_encoding():
    assert fp.item_element({"name": "a\"b"}, "map", ("name",)) == 'k:{"name":"a\\"b"}'
    assert fp.item_element({"name": 1}, "map", ("name",)) == 'k:{"name":1}'
    assert fp.item_element({}, "map", ("protocol",)) == 'k:{"protocol":"TCP"}'
    assert fp.item_element({"containerPort": 80}, "map", ("containerPort", "protocol")) == \
        'k:{"containerPort":80,"protocol":"TCP"}'


def test_reapplied_unchanged_items_are_the_live_items_themselves():
    live = {"spec": {"containers": [dict(container("a"), terminationMessagePath="/dev/termination-log")]}}
    config = {"spec": {"containers": [{"name": "a", "image": "busybox"}]}}
    cold = fp.merge(live, copy.deepcopy(config), POD)
    assert cold == live
    warm = fp.merge(live, copy.deepcopy(config), POD)
    assert warm == live
    assert warm["spec"]["containers"][0] is live["spec"]["containers"][0]
    # A live item that differs is merged, not reused.
    changed = copy.deepcopy(live)
    changed["spec"]["containers"][0]["image"] = "old"
    assert fp.merge(changed, copy.deepcopy(config), POD)["spec"]["containers"][0]["image"] == "busybox"


def test_evict_oldest_drops_the_first_inserted_key():
    memo = {"a": 1, "b": 2}
    assert fp.evict_oldest(memo) == "a"
    assert memo == {"b": 2}
    assert fp.evict_oldest({}) is None
