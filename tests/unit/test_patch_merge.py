"""JSON merge patch as the v1.30 apiserver applies it (evanphx/json-patch v4.12.0 + handlers/patch.go)."""

from __future__ import annotations

import copy

import pytest

from uwernetes.machinery.errors import StatusError
from uwernetes.machinery.patch.merge_patch import apply_merge_patch


# RFC 7386 appendix A, restricted to object targets and object patches (what the handler accepts).
@pytest.mark.parametrize(
    "doc,patch,expected",
    [
        pytest.param({"a": "b"}, {"a": "c"}, {"a": "c"}, id="replace"),
        pytest.param({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}, id="add"),
        pytest.param({"a": "b"}, {"a": None}, {}, id="null deletes"),
        pytest.param({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}, id="null deletes one"),
        pytest.param({"a": ["b"]}, {"a": "c"}, {"a": "c"}, id="array replaced by scalar"),
        pytest.param({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}, id="scalar replaced by array"),
        pytest.param({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}, id="nested"),
        pytest.param({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}, id="arrays are replaced"),
        pytest.param({"e": None}, {"a": 1}, {"e": None, "a": 1}, id="existing nulls stay"),
        pytest.param({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}, id="nulls pruned from new objects"),
        pytest.param(
            {"a": "x"}, {"a": {"b": None, "c": 1}}, {"a": {"c": 1}}, id="nulls pruned when replacing a scalar"
        ),
        pytest.param({"a": None}, {"a": {"b": None}}, {"a": {}}, id="a null target counts as missing"),
        pytest.param(
            {"a": []},
            {"a": [{"b": None}, None]},
            {"a": [{}, None]},
            id="pruned inside arrays, null elements stay",
        ),
        pytest.param(
            {"a": {"x": 1}},
            {"a": [{"b": None}]},
            {"a": [{"b": None}]},
            id="value replacing an object is not pruned",
        ),
        pytest.param({"a": 1}, {}, {"a": 1}, id="empty patch"),
    ],
)
def test_merge(doc: dict, patch: dict, expected: dict) -> None:
    before = copy.deepcopy(doc)
    assert apply_merge_patch(doc, patch) == expected
    assert doc == before


def test_kopf_keepalive_and_label_patch() -> None:
    doc = {"metadata": {"name": "default", "labels": {"a": "1"}}, "status": {"peer-a": {"priority": 0}}}
    out = apply_merge_patch(
        doc, {"metadata": {"labels": {"b": "2"}}, "status": {"peer-a": None, "peer-b": {"lifetime": 60}}}
    )
    assert out == {
        "metadata": {"name": "default", "labels": {"a": "1", "b": "2"}},
        "status": {"peer-b": {"lifetime": 60}},
    }
    assert out["metadata"]["name"] == "default" and doc["status"] == {"peer-a": {"priority": 0}}


@pytest.mark.parametrize(
    "body,message",
    [
        pytest.param(None, "Invalid JSON Patch", id="null"),
        pytest.param(
            [{"a": 1}],
            "error decoding patch: json: cannot unmarshal array into Go value of type map[string]interface {}",
            id="array",
        ),
        pytest.param(
            "x",
            "error decoding patch: json: cannot unmarshal string into Go value of type map[string]interface {}",
            id="string",
        ),
        pytest.param(
            3,
            "error decoding patch: json: cannot unmarshal number into Go value of type map[string]interface {}",
            id="number",
        ),
        pytest.param(
            True,
            "error decoding patch: json: cannot unmarshal bool into Go value of type map[string]interface {}",
            id="bool",
        ),
    ],
)
def test_non_object_bodies_are_400(body: object, message: str) -> None:
    with pytest.raises(StatusError) as e:
        apply_merge_patch({"a": 1}, body)
    assert (e.value.code, e.value.reason, e.value.message) == (400, "BadRequest", message)


def test_patch_values_are_copied() -> None:
    patch = {"spec": {"list": [{"k": "v"}]}}
    out = apply_merge_patch({}, patch)
    out["spec"]["list"][0]["k"] = "changed"
    assert patch == {"spec": {"list": [{"k": "v"}]}}
