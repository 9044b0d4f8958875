"""JSON patch as the v1.30 apiserver applies it (evanphx/json-patch v4.12.0 + handlers/patch.go)."""

from __future__ import annotations

import copy

import pytest

from uwernetes.machinery.errors import StatusError
from uwernetes.machinery.patch.json_patch import apply_json_patch

REJECTED = "the server rejected our request due to an error in our request"


def make_widget() -> dict:
    return {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w", "namespace": "default", "resourceVersion": "1036", "labels": {"a": "1"}},
        "spec": {"size": 3, "items": ["x", "y", "z"], "ratio": 1.5, "flag": True, "gone": None},
    }


KOPF = [
    {"op": "test", "path": "/metadata/resourceVersion", "value": "1036"},
    {"op": "add", "path": "/metadata/finalizers", "value": ["kopf.zalando.org/KopfFinalizerMarker"]},
]


def test_kopf_finalizer_with_resource_version_test() -> None:
    doc = make_widget()
    before = copy.deepcopy(doc)
    out = apply_json_patch(doc, KOPF)
    assert out["metadata"]["finalizers"] == ["kopf.zalando.org/KopfFinalizerMarker"]
    assert doc == before
    assert out["spec"] is doc["spec"]  # untouched subtrees are shared


def test_kopf_stale_resource_version_is_rejected() -> None:
    doc = make_widget()
    doc["metadata"]["resourceVersion"] = "1037"
    with pytest.raises(StatusError) as e:
        apply_json_patch(doc, KOPF)
    assert (e.value.code, e.value.reason, e.value.message) == (422, "Invalid", REJECTED)
    assert str(e.value.__cause__) == "testing value /metadata/resourceVersion failed: test failed"
    assert "finalizers" not in doc["metadata"]


@pytest.mark.parametrize(
    "ops,path,expected",
    [
        pytest.param(
            [{"op": "add", "path": "/spec/items/1", "value": "new"}],
            ("spec", "items"),
            ["x", "new", "y", "z"],
            id="add inserts",
        ),
        pytest.param(
            [{"op": "add", "path": "/spec/items/-", "value": "w"}],
            ("spec", "items"),
            ["x", "y", "z", "w"],
            id="add - appends",
        ),
        pytest.param(
            [{"op": "add", "path": "/spec/items/3", "value": "w"}],
            ("spec", "items"),
            ["x", "y", "z", "w"],
            id="add at len",
        ),
        pytest.param(
            [{"op": "add", "path": "/spec/items/-1", "value": "w"}],
            ("spec", "items"),
            ["x", "y", "z", "w"],
            id="add negative index counts from len+1",
        ),
        pytest.param(
            [{"op": "remove", "path": "/spec/items/0"}], ("spec", "items"), ["y", "z"], id="remove index"
        ),
        pytest.param(
            [{"op": "remove", "path": "/spec/items/-1"}],
            ("spec", "items"),
            ["x", "y"],
            id="remove negative index",
        ),
        pytest.param(
            [{"op": "replace", "path": "/spec/items/1", "value": "Y"}],
            ("spec", "items"),
            ["x", "Y", "z"],
            id="replace index",
        ),
        pytest.param(
            [{"op": "replace", "path": "/spec/size", "value": 5}], ("spec", "size"), 5, id="replace key"
        ),
        pytest.param(
            [{"op": "replace", "path": "/spec/new", "value": 1}],
            ("spec", "new"),
            1,
            id="replace of a missing key adds it",
        ),
        pytest.param(
            [{"op": "add", "path": "/spec/nothing"}],
            ("spec", "nothing"),
            None,
            id="add without value adds null",
        ),
        pytest.param(
            [{"op": "move", "from": "/spec/items/0", "path": "/spec/items/-"}],
            ("spec", "items"),
            ["y", "z", "x"],
            id="move",
        ),
        pytest.param(
            [{"op": "move", "from": "/spec/size", "path": "/metadata/size"}],
            ("metadata", "size"),
            3,
            id="move across objects",
        ),
        pytest.param(
            [{"op": "copy", "from": "/metadata/labels", "path": "/spec/labels"}],
            ("spec", "labels"),
            {"a": "1"},
            id="copy",
        ),
        pytest.param(
            [{"op": "copy", "from": "/spec/missing", "path": "/spec/copy"}],
            ("spec", "copy"),
            None,
            id="copy of a missing key copies null",
        ),
        pytest.param(
            [
                {"op": "add", "path": "/metadata/annotations", "value": {"a~b/c": "1"}},
                {"op": "replace", "path": "/metadata/annotations/a~0b~1c", "value": "2"},
            ],
            ("metadata", "annotations"),
            {"a~b/c": "2"},
            id="~0 and ~1 escapes",
        ),
        pytest.param(
            [
                {"op": "test", "path": "/spec/missing", "value": None},
                {"op": "test", "path": "/spec/gone", "value": None},
            ],
            ("spec", "size"),
            3,
            id="test null passes on missing and null",
        ),
        pytest.param(
            [
                {
                    "op": "test",
                    "path": "/spec",
                    "value": {"size": 3, "items": ["x", "y", "z"], "ratio": 1.5, "flag": True, "gone": None},
                }
            ],
            ("spec", "size"),
            3,
            id="test a whole object",
        ),
        pytest.param(
            [{"op": "replace", "path": "metadata/size", "value": 1}],
            ("size",),
            1,
            id="first path segment is ignored",
        ),
        pytest.param(None, ("spec", "size"), 3, id="null body is no patch"),
    ],
)
def test_operations(ops: list, path: tuple, expected: object) -> None:
    doc = make_widget()
    before = copy.deepcopy(doc)
    out = apply_json_patch(doc, ops)
    node = out
    for p in path:
        node = node[p]
    assert node == expected
    assert doc == before


def test_removed_and_moved_keys_are_gone() -> None:
    out = apply_json_patch(
        make_widget(),
        [{"op": "remove", "path": "/spec/gone"}, {"op": "move", "from": "/spec/size", "path": "/size"}],
    )
    assert "gone" not in out["spec"] and "size" not in out["spec"] and out["size"] == 3


@pytest.mark.parametrize(
    "ops,cause",
    [
        pytest.param(
            [{"op": "test", "path": "/spec/size", "value": 3.0}],
            "testing value /spec/size failed: test failed",
            id="test 3 vs 3.0",
        ),
        pytest.param(
            [{"op": "test", "path": "/spec/flag", "value": 1}],
            "testing value /spec/flag failed: test failed",
            id="test true vs 1",
        ),
        pytest.param(
            [{"op": "test", "path": "/spec/size", "value": None}],
            "testing value /spec/size failed: test failed",
            id="test null on a value",
        ),
        pytest.param(
            [{"op": "test", "path": "/spec/size"}],
            "testing value /spec/size failed: test failed",
            id="test without value",
        ),
        pytest.param(
            [{"op": "add", "path": "/nope/x", "value": 1}],
            'add operation does not apply: doc is missing path: "/nope/x": missing value',
            id="add under a missing parent",
        ),
        pytest.param(
            [{"op": "add", "path": "", "value": {}}],
            'add operation does not apply: doc is missing path: "": missing value',
            id="add at the root",
        ),
        pytest.param(
            [{"op": "add", "path": "/spec/items/5", "value": 1}],
            "error in add for path: '/spec/items/5': Unable to access invalid index: 5",
            id="add past the end",
        ),
        pytest.param(
            [{"op": "add", "path": "/spec/items/x", "value": 1}],
            "error in add for path: '/spec/items/x': value was not a proper array index: 'x'",
            id="add with a bad index",
        ),
        pytest.param(
            [{"op": "remove", "path": "/spec/missing"}],
            "error in remove for path: '/spec/missing': Unable to remove nonexistent key: missing: missing value",
            id="remove a missing key",
        ),
        pytest.param(
            [{"op": "remove", "path": "/spec/items/3"}],
            "error in remove for path: '/spec/items/3': Unable to access invalid index: 3",
            id="remove past the end",
        ),
        pytest.param(
            [{"op": "replace", "path": "/spec/items/3", "value": 1}],
            "replace operation does not apply: doc is missing key: /spec/items/3",
            id="replace past the end",
        ),
        pytest.param(
            [{"op": "add", "path": "/spec/size/x", "value": 1}],
            'add operation does not apply: doc is missing path: "/spec/size/x": missing value',
            id="path through a scalar",
        ),
        pytest.param(
            [{"op": "move", "from": "/spec/missing", "path": "/x"}],
            "error in remove for path: '/spec/missing': Unable to remove nonexistent key: missing: missing value",
            id="move a missing key",
        ),
        pytest.param([{"op": "frobnicate", "path": "/x"}], "Unexpected kind: frobnicate", id="unknown op"),
        pytest.param([{"path": "/x"}], "Unexpected kind: unknown", id="no op"),
        pytest.param([None], "Unexpected kind: unknown", id="null op"),
        pytest.param([{"op": "add", "value": 1}], "add operation failed to decode path", id="no path"),
    ],
)
def test_apply_failures_are_422(ops: list, cause: str) -> None:
    with pytest.raises(StatusError) as e:
        apply_json_patch(make_widget(), ops)
    assert (e.value.code, e.value.reason, e.value.message) == (422, "Invalid", REJECTED)
    assert str(e.value.__cause__) == cause


@pytest.mark.parametrize(
    "body,message",
    [
        pytest.param(
            {"op": "add"},
            "error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp",
            id="object",
        ),
        pytest.param(
            "x",
            "error decoding patch: json: cannot unmarshal string into Go value of type []handlers.jsonPatchOp",
            id="string",
        ),
        pytest.param(
            [1],
            "error decoding patch: json: cannot unmarshal number into Go value of type handlers.jsonPatchOp",
            id="number element",
        ),
        pytest.param(
            [{"op": 1, "path": "/a"}],
            "error decoding patch: json: cannot unmarshal number into Go struct field jsonPatchOp.op of type string",
            id="numeric op",
        ),
        pytest.param(
            [{"op": "add", "path": ["a"]}],
            "error decoding patch: json: cannot unmarshal array into Go struct field jsonPatchOp.path of type string",
            id="array path",
        ),
    ],
)
def test_undecodable_bodies_are_400(body: object, message: str) -> None:
    with pytest.raises(StatusError) as e:
        apply_json_patch(make_widget(), body)
    assert (e.value.code, e.value.reason, e.value.message) == (400, "BadRequest", message)


def test_too_many_operations_is_413() -> None:
    ops = [{"op": "test", "path": "/kind", "value": "Widget"}] * 10001
    with pytest.raises(StatusError) as e:
        apply_json_patch(make_widget(), ops)
    assert (e.value.code, e.value.reason, e.value.message) == (
        413,
        "RequestEntityTooLarge",
        "Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001",
    )
    assert apply_json_patch(make_widget(), ops[:10000]) == make_widget()


def test_patch_values_are_copied() -> None:
    value = {"k": ["v"]}
    out = apply_json_patch(
        make_widget(),
        [
            {"op": "add", "path": "/spec/v", "value": value},
            {"op": "add", "path": "/spec/v/k/-", "value": "w"},
        ],
    )
    assert out["spec"]["v"] == {"k": ["v", "w"]}
    assert value == {"k": ["v"]}
