"""Strategic merge patch: upstream's raw test cases (apimachinery strategicpatch/patch_test.go,
applied with a schema shaped like its `MergeItem`), then built-in kinds with the real v1.30 schemas."""

from __future__ import annotations

import copy

import pytest

from uwernetes.machinery import schemas
from uwernetes.machinery.errors import StatusError
from uwernetes.machinery.patch.strategic import apply_strategic_merge_patch


def merge_item_schema() -> dict:
    """The OpenAPI twin of upstream's test type `MergeItem` (struct tags -> x-kubernetes-* keys)."""
    item: dict = {"type": "object", "properties": {}}
    retain: dict = {"type": "object", "properties": {}}

    def merging(by: str | None = None, strategy: str = "merge", of: dict | None = None) -> dict:
        node = {
            "type": "array",
            "items": of if of is not None else item,
            "x-kubernetes-patch-strategy": strategy,
        }
        if by:
            node["x-kubernetes-patch-merge-key"] = by
        return node

    scalars = {"name": {"type": "string"}, "value": {"type": "string"}, "other": {"type": "string"}}
    simple_map = {"type": "object", "additionalProperties": {"type": "string"}}
    ints = {"type": "integer"}
    item["properties"].update(
        scalars,
        mergingList=merging("name"),
        nonMergingList={"type": "array", "items": item},
        mergingIntList=merging(of=ints),
        nonMergingIntList={"type": "array", "items": ints},
        mergeItemPtr=merging("name"),
        simpleMap=simple_map,
        replacingItem={"x-kubernetes-patch-strategy": "replace"},
        retainKeysMap={**retain, "x-kubernetes-patch-strategy": "retainKeys"},
        retainKeysMergingList=merging("name", "merge,retainKeys"),
    )
    retain["properties"].update(
        scalars, simpleMap=simple_map, mergingIntList=merging(of=ints), mergingList=merging("name")
    )
    return item


MERGE_ITEM = merge_item_schema()


# Ported from strategicMergePatchRawTestCases (patch_test.go): the three-way patch applied to
# `current` must give `result`, list order included.
@pytest.mark.parametrize(
    "current,patch,result",
    [
        pytest.param(
            {"mergingIntList": [1, 2, 3, 4]},
            {"$setElementOrder/mergingIntList": [1, 2], "$deleteFromPrimitiveList/mergingIntList": [3]},
            {"mergingIntList": [1, 2, 4]},
            id="delete items in lists of scalars",
        ),
        pytest.param(
            {"mergingIntList": [1, 2, 3, 4]},
            {"$setElementOrder/mergingIntList": [1, 2, 4], "$deleteFromPrimitiveList/mergingIntList": [3]},
            {"mergingIntList": [1, 2, 4]},
            id="add and delete items in lists of scalars",
        ),
        pytest.param(
            {"mergingList": [{"name": 1, "other": "a"}, {"name": 2, "value": 2, "other": "b"}]},
            {
                "$setElementOrder/mergingList": [{"name": 4}, {"name": 1}, {"name": 2}, {"name": 3}],
                "mergingList": [{"name": 4, "value": 4}, {"name": 3, "value": 3}],
            },
            {
                "mergingList": [
                    {"name": 4, "value": 4},
                    {"name": 1, "other": "a"},
                    {"name": 2, "value": 2, "other": "b"},
                    {"name": 3, "value": 3},
                ]
            },
            id="merge lists of maps",
        ),
        pytest.param(
            {"mergingList": [{"name": 1}, {"name": 2, "other": "b"}, {"name": 4, "other": "c"}]},
            {
                "$setElementOrder/mergingList": [{"name": 2}, {"name": 3}],
                "mergingList": [{"name": 3}, {"name": 1, "$patch": "delete"}],
            },
            {"mergingList": [{"name": 2, "other": "b"}, {"name": 4, "other": "c"}, {"name": 3}]},
            id="add map and delete map from merging list",
        ),
        pytest.param(
            {"mergingList": [{"name": 2, "other": "b"}]},
            {"$setElementOrder/mergingList": [{"name": 2}], "mergingList": [{"name": 1, "$patch": "delete"}]},
            {"mergingList": [{"name": 2, "other": "b"}]},
            id="delete missing map from merging list",
        ),
        pytest.param(
            {
                "mergingList": [
                    {"name": 1, "other": "a", "nonMergingList": [{"name": 1}, {"name": 2, "value": 2}]},
                    {"name": 2, "other": "b"},
                ]
            },
            {
                "$setElementOrder/mergingList": [{"name": 1}, {"name": 2}],
                "mergingList": [{"name": 1, "nonMergingList": [{"name": 1, "value": 1}]}],
            },
            {
                "mergingList": [
                    {"name": 1, "other": "a", "nonMergingList": [{"name": 1, "value": 1}]},
                    {"name": 2, "other": "b"},
                ]
            },
            id="replace non merging list nested in merging list",
        ),
        pytest.param(
            {"mergingIntList": [1, 4, 2]},
            {"$setElementOrder/mergingIntList": [3, 1, 2], "mergingIntList": [3]},
            {"mergingIntList": [3, 1, 4, 2]},
            id="add an item in a list of primitives and preserve order",
        ),
        pytest.param(
            {"mergingList": [{"name": 1, "other": "a"}, {"name": 2, "value": 2, "other": "b"}]},
            {
                "$setElementOrder/mergingList": [{"name": 3}, {"name": 1}, {"name": 2}],
                "mergingList": [{"name": 3, "value": 3}],
            },
            {
                "mergingList": [
                    {"name": 3, "value": 3},
                    {"name": 1, "other": "a"},
                    {"name": 2, "value": 2, "other": "b"},
                ]
            },
            id="add an item in a list and preserve order",
        ),
        pytest.param(
            {"mergingList": [{"name": 1, "other": "a"}, {"name": 2, "value": 2, "other": "b"}]},
            {
                "$setElementOrder/mergingList": [{"name": 1}, {"name": 4}, {"name": 2}, {"name": 3}],
                "mergingList": [{"name": 4, "value": 4}, {"name": 3, "value": 3}],
            },
            {
                "mergingList": [
                    {"name": 1, "other": "a"},
                    {"name": 4, "value": 4},
                    {"name": 2, "value": 2, "other": "b"},
                    {"name": 3, "value": 3},
                ]
            },
            id="add multiple items in a list and preserve order",
        ),
        pytest.param(
            {
                "mergingList": [
                    {"name": 1, "other": "a"},
                    {"name": 2, "value": 2, "other": "b"},
                    {"name": 3, "value": 3},
                ]
            },
            {
                "$setElementOrder/mergingList": [{"name": 2}, {"name": 1}],
                "mergingList": [{"name": 3, "$patch": "delete"}],
            },
            {"mergingList": [{"name": 2, "value": 2, "other": "b"}, {"name": 1, "other": "a"}]},
            id="delete an item in a list and preserve order",
        ),
        pytest.param(
            {
                "mergingList": [
                    {"name": 1, "other": "a"},
                    {"name": 2, "value": 2, "other": "b"},
                    {"name": 3, "value": 3},
                ]
            },
            {
                "$setElementOrder/mergingList": [{"name": 4}, {"name": 2}, {"name": 1}],
                "mergingList": [{"name": 4, "value": 4}, {"name": 3, "$patch": "delete"}],
            },
            {
                "mergingList": [
                    {"name": 4, "value": 4},
                    {"name": 2, "value": 2, "other": "b"},
                    {"name": 1, "other": "a"},
                ]
            },
            id="add and delete an item in a list and preserve order",
        ),
        pytest.param(
            {
                "mergingList": [
                    {"name": 1, "other": "a"},
                    {"name": 2, "value": 2},
                    {"name": 9},
                    {"name": 3, "value": 3},
                    {"name": 4, "value": 4},
                ]
            },
            {"$setElementOrder/mergingList": [{"name": 2}, {"name": 1}, {"name": 4}, {"name": 3}]},
            {
                "mergingList": [
                    {"name": 2, "value": 2},
                    {"name": 1, "other": "a"},
                    {"name": 9},
                    {"name": 4, "value": 4},
                    {"name": 3, "value": 3},
                ]
            },
            id="set elements order in a list with server-only items 2",
        ),
        pytest.param(
            {
                "mergingList": [
                    {"name": 1, "other": "a"},
                    {"name": 2, "value": 2},
                    {"name": 7},
                    {"name": 9},
                    {"name": 8},
                    {"name": 3, "value": 3},
                    {"name": 4, "value": 4},
                ]
            },
            {"$setElementOrder/mergingList": [{"name": 2}, {"name": 1}, {"name": 4}, {"name": 3}]},
            {
                "mergingList": [
                    {"name": 2, "value": 2},
                    {"name": 1, "other": "a"},
                    {"name": 7},
                    {"name": 9},
                    {"name": 8},
                    {"name": 4, "value": 4},
                    {"name": 3, "value": 3},
                ]
            },
            id="set elements order in a list with server-only items 3",
        ),
        pytest.param(
            {"mergingIntList": [1, 2, 3, 2, 4]},
            {"$setElementOrder/mergingIntList": [2, 1, 4, 3, 2]},
            {"mergingIntList": [2, 2, 1, 4, 3]},
            id="set elements order in a int list with server-only items 3",
        ),
        pytest.param(
            {"retainKeysMap": {"name": "foo", "other": "a"}},
            {"retainKeysMap": {"$retainKeys": ["name", "value"], "value": "bar"}},
            {"retainKeysMap": {"name": "foo", "value": "bar"}},
            id="retainKeys map adds a field and clear a field",
        ),
        pytest.param(
            {
                "retainKeysMap": {
                    "name": "foo",
                    "value": "bar",
                    "simpleMap": {"key1": "a", "key2": "b", "key3": "c"},
                }
            },
            {"retainKeysMap": {"$retainKeys": ["name", "simpleMap", "value"], "simpleMap": {"key2": None}}},
            {"retainKeysMap": {"name": "foo", "value": "bar", "simpleMap": {"key1": "a", "key3": "c"}}},
            id="retainKeys map deletes a field in a nested map",
        ),
        pytest.param(
            {"retainKeysMergingList": [{"name": "bar"}, {"name": "foo", "value": "old", "other": "x"}]},
            {
                "$setElementOrder/retainKeysMergingList": [{"name": "bar"}, {"name": "foo"}],
                "retainKeysMergingList": [{"$retainKeys": ["name", "value"], "name": "foo", "value": "new"}],
            },
            {"retainKeysMergingList": [{"name": "bar"}, {"name": "foo", "value": "new"}]},
            id="retainKeys list of maps changes a field and clear a field",
        ),
    ],
)
def test_upstream_raw_cases(current: dict, patch: dict, result: dict) -> None:
    before = copy.deepcopy(current)
    assert apply_strategic_merge_patch(current, patch, MERGE_ITEM) == result
    assert current == before


# Ported from customStrategicMergePatchRawTestCases (patch_test.go): two-way patch on `original`.
@pytest.mark.parametrize(
    "original,patch,expected",
    [
        pytest.param(
            {"mergingList": [{"name": 1}, {"name": 3}]},
            {
                "$setElementOrder/mergingList": [{"name": 3}, {"name": 2}, {"name": 1}],
                "mergingList": [{"name": 3, "value": 3}, {"name": 1, "value": 1}],
            },
            {"mergingList": [{"name": 3, "value": 3}, {"name": 1, "value": 1}]},
            id="$setElementOrder contains item that is not present in the list to be merged",
        ),
        pytest.param(
            {"mergingIntList": [1, 3]},
            {"$setElementOrder/mergingIntList": [3, 2, 1]},
            {"mergingIntList": [3, 1]},
            id="$setElementOrder contains item that is not present in the int list to be merged",
        ),
        pytest.param(
            {"mergingList": [{"name": 1}, {"name": 3}, {"name": 2}]},
            {
                "$setElementOrder/mergingList": [{"name": 1}, {"name": 2}, {"name": 3}],
                "mergingList": [{"name": 3, "value": 3}, {"name": 1, "value": 1}],
            },
            "doesn't match",
            id="should check if order in $setElementOrder and patch list match",
        ),
        pytest.param(
            {"mergingIntList": [1, 3, 2]},
            {"$setElementOrder/mergingIntList": [1, 2, 3], "mergingIntList": [3, 1]},
            "doesn't match",
            id="$setElementOrder contains item that is not present in the int list to be merged",
        ),
        pytest.param(
            {"mergingList": [{"name": 1, "value": "a"}]},
            {"mergingList": [{"value": "b"}]},
            "does not contain declared merge key",
            id="missing merge key should error out",
        ),
        pytest.param(
            {"mergingIntList": [1, 2]},
            {"$deleteFromPrimitiveList/mergingIntList": [3]},
            {"mergingIntList": [1, 2]},
            id="$deleteFromPrimitiveList of nonexistent item in primitive list should not add the item to the list",
        ),
        pytest.param(
            {"mergingIntList": None},
            {"$deleteFromPrimitiveList/mergingIntList": [3]},
            {"mergingIntList": None},
            id="$deleteFromPrimitiveList on empty primitive list should not add the item to the list",
        ),
        pytest.param(
            {"foo": ["bar"]},
            {"$deleteFromPrimitiveList/mergingIntList": [3]},
            {"foo": ["bar"]},
            id="$deleteFromPrimitiveList on nonexistent primitive list should not add the primitive list",
        ),
        pytest.param(
            {"mergingIntList": [1, 2, 3]},
            {"$deleteFromPrimitiveList/mergingIntList": [2]},
            {"mergingIntList": [1, 3]},
            id="$deleteFromPrimitiveList should delete item from a list with merge patch strategy",
        ),
        pytest.param(
            {"nonMergingIntList": [1, 2, 3]},
            {"$deleteFromPrimitiveList/nonMergingIntList": [2]},
            {"nonMergingIntList": [1, 3]},
            id="$deleteFromPrimitiveList should delete item from a list without merge patch strategy",
        ),
    ],
)
def test_upstream_custom_cases(original: dict, patch: dict, expected: dict | str) -> None:
    if isinstance(expected, str):
        with pytest.raises(StatusError) as e:
            apply_strategic_merge_patch(original, patch, MERGE_ITEM)
        assert (e.value.code, e.value.reason) == (500, "")
        assert expected in e.value.message
    else:
        assert apply_strategic_merge_patch(original, patch, MERGE_ITEM) == expected


# --- built-in kinds, real v1.30 schemas ---------------------------------------------------------

DEPLOYMENT = schemas.schema_for("apps", "v1", "Deployment")
POD = schemas.schema_for("", "v1", "Pod")


def make_deployment(containers: list[dict] | None = None, **spec: object) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "finalizers": ["a", "b"]},
        "spec": {
            "replicas": 1,
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
            },
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": containers or [{"name": "main", "image": "nginx:1"}], **spec},
            },
        },
    }


def pod_spec_patch(**spec: object) -> dict:
    return {"spec": {"template": {"spec": spec}}}


def pod_spec(obj: dict) -> dict:
    return obj["spec"]["template"]["spec"]


def test_kubectl_client_side_apply_body() -> None:
    """spec/wire.md §5.5: the PATCH kubectl apply sends for an image change."""
    live = make_deployment()
    patch = {
        "metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}\n"}},
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "main"}],
                    "containers": [{"image": "nginx:2", "name": "main"}],
                }
            }
        },
    }
    before = copy.deepcopy(live)
    out = apply_strategic_merge_patch(live, patch, DEPLOYMENT)
    assert live == before
    assert pod_spec(out)["containers"] == [{"name": "main", "image": "nginx:2"}]
    assert out["metadata"]["annotations"] == {"kubectl.kubernetes.io/last-applied-configuration": "{}\n"}
    assert out["metadata"]["finalizers"] == ["a", "b"]
    assert out["spec"]["strategy"] == live["spec"]["strategy"]


ENV = [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]


@pytest.mark.parametrize(
    "container_patch,env",
    [
        pytest.param(
            {
                "$setElementOrder/env": [{"name": "A"}, {"name": "B"}, {"name": "C"}],
                "env": [{"name": "B", "value": "3"}, {"name": "C", "value": "4"}],
                "name": "main",
            },
            [{"name": "A", "value": "1"}, {"name": "B", "value": "3"}, {"name": "C", "value": "4"}],
            id="kubectl apply changes B and appends C",
        ),
        pytest.param(
            {
                "$setElementOrder/env": [{"name": "C"}, {"name": "A"}],
                "env": [{"name": "C", "value": "4"}, {"$patch": "delete", "name": "B"}],
                "name": "main",
            },
            [{"name": "C", "value": "4"}, {"name": "A", "value": "1"}],
            id="kubectl apply deletes B and puts C first",
        ),
        pytest.param(
            {
                "env": [
                    {"name": "B", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}, "value": None}
                ],
                "name": "main",
            },
            [
                {"name": "A", "value": "1"},
                {"name": "B", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            ],
            id="env merged by name, null deletes a field",
        ),
        pytest.param(
            {"env": [{"$patch": "replace"}, {"name": "Z", "value": "9"}], "name": "main"},
            [{"name": "Z", "value": "9"}],
            id="$patch replace in a list",
        ),
    ],
)
def test_env_merged_by_name(container_patch: dict, env: list) -> None:
    live = make_deployment([{"name": "main", "image": "nginx:1", "env": ENV}])
    out = apply_strategic_merge_patch(live, pod_spec_patch(containers=[container_patch]), DEPLOYMENT)
    assert pod_spec(out)["containers"] == [{"name": "main", "image": "nginx:1", "env": env}]


@pytest.mark.parametrize(
    "spec,patch,expected",
    [
        pytest.param(
            {"containers": [{"name": "a", "image": "1"}, {"name": "b", "image": "2"}]},
            {"containers": [{"name": "c", "image": "3"}, {"name": "a", "image": "9"}]},
            {
                "containers": [
                    {"name": "c", "image": "3"},
                    {"name": "a", "image": "9"},
                    {"name": "b", "image": "2"},
                ]
            },
            id="containers by name: patch order first, server-only items after their live predecessor",
        ),
        pytest.param(
            {"containers": [{"name": "a", "image": "1"}, {"name": "b", "image": "2"}]},
            {"containers": [{"name": "b", "$patch": "delete"}]},
            {"containers": [{"name": "a", "image": "1"}]},
            id="$patch delete in a list",
        ),
        pytest.param(
            {
                "containers": [
                    {
                        "name": "a",
                        "image": "1",
                        "ports": [{"containerPort": 80, "name": "http"}, {"containerPort": 443}],
                    }
                ]
            },
            {
                "containers": [
                    {"name": "a", "ports": [{"containerPort": 80, "name": "web", "protocol": "TCP"}]}
                ]
            },
            {
                "containers": [
                    {
                        "name": "a",
                        "image": "1",
                        "ports": [
                            {"containerPort": 80, "name": "web", "protocol": "TCP"},
                            {"containerPort": 443},
                        ],
                    }
                ]
            },
            id="ports merged by containerPort",
        ),
        pytest.param(
            {"volumes": [{"name": "data", "emptyDir": {}}, {"name": "cfg", "configMap": {"name": "c1"}}]},
            {"volumes": [{"name": "cfg", "configMap": {"name": "c2"}}]},
            {"volumes": [{"name": "data", "emptyDir": {}}, {"name": "cfg", "configMap": {"name": "c2"}}]},
            id="volumes merged by name",
        ),
        pytest.param(
            {"tolerations": [{"key": "a", "operator": "Exists"}]},
            {"tolerations": [{"key": "b", "operator": "Exists"}]},
            {"tolerations": [{"key": "b", "operator": "Exists"}]},
            id="tolerations have no patch strategy: replaced",
        ),
        pytest.param(
            {"securityContext": {"runAsUser": 1}},
            {"securityContext": {"$patch": "delete"}},
            {"securityContext": {}},
            id="$patch delete in a map leaves it empty",
        ),
        pytest.param(
            {"nodeSelector": {"a": "1", "b": "2"}},
            {"nodeSelector": {"$patch": "replace", "c": "3"}},
            {"nodeSelector": {"c": "3"}},
            id="$patch replace in a map",
        ),
        pytest.param(
            {},
            {"affinity": {"$patch": "replace", "nodeAffinity": {}}},
            {},
            id="a directive map absent from the live object is not added",
        ),
        pytest.param(
            {"nodeSelector": {"a": "1"}},
            {"nodeSelector": {"a": None}, "hostname": "h", "subdomain": None},
            {"nodeSelector": {}, "hostname": "h"},
            id="null deletes a key",
        ),
        pytest.param(
            {},
            {"dnsConfig": {"nameservers": ["1.1.1.1"], "searches": None}},
            {"dnsConfig": {"nameservers": ["1.1.1.1"]}},
            id="nulls are dropped from new values",
        ),
    ],
)
def test_pod_spec_lists(spec: dict, patch: dict, expected: dict) -> None:
    live = make_deployment(**spec)
    if "containers" not in spec:
        expected = {"containers": [{"name": "main", "image": "nginx:1"}], **expected}
    out = apply_strategic_merge_patch(live, pod_spec_patch(**patch), DEPLOYMENT)
    assert pod_spec(out) == expected


@pytest.mark.parametrize(
    "meta_patch,finalizers",
    [
        pytest.param(
            {"finalizers": ["c", "a"]}, ["c", "a", "b"], id="primitive merge list: union in patch order"
        ),
        pytest.param({"$deleteFromPrimitiveList/finalizers": ["a"]}, ["b"], id="$deleteFromPrimitiveList"),
        pytest.param(
            {
                "$setElementOrder/finalizers": ["b", "c"],
                "$deleteFromPrimitiveList/finalizers": ["a"],
                "finalizers": ["c"],
            },
            ["b", "c"],
            id="kubectl apply: add c, drop a",
        ),
        pytest.param({"finalizers": None}, None, id="null removes the list"),
    ],
)
def test_finalizers(meta_patch: dict, finalizers: list | None) -> None:
    out = apply_strategic_merge_patch(make_deployment(), {"metadata": meta_patch}, DEPLOYMENT)
    assert out["metadata"].get("finalizers") == finalizers


def test_retain_keys_switches_rolling_update_to_recreate() -> None:
    patch = {"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": None, "type": "Recreate"}}}
    out = apply_strategic_merge_patch(make_deployment(), patch, DEPLOYMENT)
    assert out["spec"]["strategy"] == {"type": "Recreate"}
    # Without the null, retainKeys alone clears the field too.
    patch = {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}}
    assert apply_strategic_merge_patch(make_deployment(), patch, DEPLOYMENT)["spec"]["strategy"] == {
        "type": "Recreate"
    }


def test_unknown_schema_uses_merge_semantics() -> None:
    doc = {"spec": {"list": [{"name": "a"}], "map": {"a": 1, "b": 2}}}
    patch = {"spec": {"list": [{"name": "b"}], "map": {"a": None, "c": 3}}}
    assert apply_strategic_merge_patch(doc, patch, None) == {
        "spec": {"list": [{"name": "b"}], "map": {"b": 2, "c": 3}}
    }
    assert apply_strategic_merge_patch(doc, None, DEPLOYMENT) == doc


@pytest.mark.parametrize(
    "patch,code,reason,message",
    [
        pytest.param(
            pod_spec_patch(containers=[{"image": "nginx"}]),
            500,
            "",
            "map: map[image:nginx] does not contain declared merge key: name",
            id="list element without its merge key",
        ),
        pytest.param(
            {"spec": {"template": {"metadata": {"labels": {"$patch": "merge"}}}}},
            500,
            "",
            "unknown patch type: merge in map: map[$patch:merge]",
            id="$patch merge in a map",
        ),
        pytest.param(
            pod_spec_patch(containers=[{"$patch": "merge", "name": "main"}]),
            500,
            "",
            "merging lists cannot yet be specified in the patch",
            id="$patch merge in a list",
        ),
        pytest.param(
            pod_spec_patch(containers=[{"$patch": "bogus", "name": "main"}]),
            500,
            "",
            "unknown patch type: bogus in map: map[$patch:bogus name:main]",
            id="unknown $patch in a list",
        ),
        pytest.param(
            pod_spec_patch(
                **{"$setElementOrder/containers": [{"name": "main"}, {"name": "b"}]},
                containers=[{"name": "b", "image": "x"}, {"name": "main"}],
            ),
            500,
            "",
            "The order in patch list:\n[map[image:x name:b] map[name:main]]\n doesn't match $setElementOrder list:\n"
            "[map[name:main] map[name:b]]\n",
            id="patch list out of $setElementOrder order",
        ),
        pytest.param(
            {
                "spec": {
                    "strategy": {
                        "$retainKeys": ["type"],
                        "type": "Recreate",
                        "rollingUpdate": {"maxSurge": 1},
                    }
                }
            },
            400,
            "BadRequest",
            "invalid patch format of retainKeys",
            id="patch key missing from $retainKeys",
        ),
        pytest.param(
            {"spec": {"strategy": {"$retainKeys": "type"}}},
            400,
            "BadRequest",
            "invalid patch format of retainKeys",
            id="$retainKeys not a list",
        ),
        pytest.param(
            {"metadata": {"$setElementOrderfinalizers": ["a"]}},
            400,
            "BadRequest",
            "invalid patch format of setElementOrder list",
            id="$setElementOrder without slash",
        ),
        pytest.param(
            {"metadata": {"$deleteFromPrimitiveList": ["a"]}},
            400,
            "BadRequest",
            "invalid patch format of primitive list",
            id="$deleteFromPrimitiveList without slash",
        ),
        pytest.param(
            {"metadata": {"$setElementOrder/finalizers": "a"}},
            500,
            "",
            "expected a []interface {}, but received a string",
            id="$setElementOrder not a list",
        ),
        pytest.param(
            {"metadata": {"finalizers": [1]}},
            500,
            "",
            "list element types are not identical: [[a b] [1]]",
            id="mixed element types",
        ),
        pytest.param(
            {"metadata": {"ownerReferences": [["x"]]}},
            422,
            "Invalid",
            "the server rejected our request due to an error in our request",
            id="list of lists",
        ),
        pytest.param(
            [{"op": "add"}],
            400,
            "BadRequest",
            "json: cannot unmarshal array into Go value of type map[string]interface {}",
            id="body not an object",
        ),
    ],
)
def test_errors(patch: object, code: int, reason: str, message: str) -> None:
    live = make_deployment()
    live["metadata"]["ownerReferences"] = []
    with pytest.raises(StatusError) as e:
        apply_strategic_merge_patch(live, patch, DEPLOYMENT)
    assert (e.value.code, e.value.reason, e.value.message) == (code, reason, message)


def test_pod_conditions_merged_by_type_and_input_untouched() -> None:
    pod = {
        "metadata": {"name": "p", "labels": {"a": "1"}},
        "spec": {"containers": [{"name": "c", "image": "i"}]},
        "status": {
            "conditions": [{"type": "Ready", "status": "False"}, {"type": "PodScheduled", "status": "True"}]
        },
    }
    before = copy.deepcopy(pod)
    patch = {
        "metadata": {"labels": {"b": "2"}},
        "status": {"conditions": [{"type": "Ready", "status": "True"}]},
    }
    out = apply_strategic_merge_patch(pod, patch, POD)
    assert pod == before
    assert out["metadata"]["labels"] == {"a": "1", "b": "2"}
    assert out["status"]["conditions"] == [
        {"type": "Ready", "status": "True"},
        {"type": "PodScheduled", "status": "True"},
    ]
    assert out["spec"] is pod["spec"]  # untouched subtrees are shared, not copied
