"""Server-side apply: field sets, merging by list type, conflicts, force, pruning, Update transfers."""

from __future__ import annotations

import copy

import pytest

from uwernetes.apiserver import apply
from uwernetes.machinery import errors, schemas
from uwernetes.machinery import fieldpath as fp
from uwernetes.machinery.managed_fields import record_update

DEPLOY_SCHEMA = schemas.schema_for("apps", "v1", "Deployment")


class _Strategy:
    has_status = True


class _RT:
    api_version = "apps/v1"
    kind = "Deployment"
    strategy = _Strategy()


def deployment(replicas: int | None = 2, image: str = "nginx", **extra_container) -> dict:
    spec: dict = {
        "selector": {"matchLabels": {"app": "x"}},
        "template": {
            "metadata": {"labels": {"app": "x"}},
            "spec": {"containers": [{"name": "c", "image": image, **extra_container}]},
        },
    }
    if replicas is not None:
        spec["replicas"] = replicas
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": spec}


def run_apply(live: dict | None, applied: dict, manager: str, force: bool = False) -> dict:
    apply_fn, create_fn = apply.applier(_RT, applied, manager, force, DEPLOY_SCHEMA)
    return create_fn() if live is None else apply_fn(copy.deepcopy(live))


def fields(obj: dict, manager: str, operation: str = "Apply") -> dict:
    for e in obj["metadata"]["managedFields"]:
        if e["manager"] == manager and e["operation"] == operation:
            return e["fieldsV1"]
    raise AssertionError(f"no {operation} entry for {manager}")


def managers(obj: dict) -> list[tuple[str, str]]:
    return [(e["manager"], e["operation"]) for e in obj["metadata"].get("managedFields") or []]


CONTAINER_KEY = 'k:{"name":"c"}'


def test_field_set_of_a_deployment_uses_schema_list_types():
    live = run_apply(None, deployment(ports=[{"containerPort": 80}], args=["a"]), "a")
    assert fields(live, "a") == {
        "f:spec": {
            "f:replicas": {},
            "f:selector": {},  # LabelSelector is an atomic map
            "f:template": {
                "f:metadata": {"f:labels": {"f:app": {}}},
                "f:spec": {"f:containers": {CONTAINER_KEY: {
                    ".": {}, "f:args": {}, "f:image": {}, "f:name": {},
                    "f:ports": {'k:{"containerPort":80,"protocol":"TCP"}': {".": {}, "f:containerPort": {}}},
                }}},
            },
        },
    }


@pytest.mark.parametrize(
    ("node", "value", "expected"),
    [
        # set-typed list (finalizers): one v: element per item
        ({"x-kubernetes-list-type": "set", "items": {"type": "string"}}, ["a", "b"], {("v:\"a\"",), ("v:\"b\"",)}),
        # no list type and no schema: atomic
        ({"items": {"type": "string"}}, ["a"], {()}),
        (None, [1, 2], {()}),
        # map list with two keys
        ({"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["k", "n"], "items": {"type": "object"}},
         [{"k": "a", "n": 1, "v": 2}], {('k:{"k":"a","n":1}',), ('k:{"k":"a","n":1}', "f:k"),
                                        ('k:{"k":"a","n":1}', "f:n"), ('k:{"k":"a","n":1}', "f:v")}),
        # atomic map
        ({"type": "object", "x-kubernetes-map-type": "atomic", "properties": {"a": {}}}, {"a": 1}, {()}),
        # schemaless map: granular
        (None, {"a": {"b": 1}}, {("f:a",), ("f:a", "f:b")}),
    ],
)
def test_to_set_by_list_and_map_type(node, value, expected):
    assert fp.to_set(value, node) == expected


@pytest.mark.parametrize(
    ("path", "printed"),
    [
        (("f:spec", "f:replicas"), ".spec.replicas"),
        (("f:spec", 'k:{"name":"c"}', "f:image"), '.spec[name="c"].image'),
        (('k:{"containerPort":80,"protocol":"TCP"}',), '[containerPort=80,protocol="TCP"]'),
        (('v:"x"',), '[="x"]'),
    ],
)
def test_path_strings_as_upstream_prints_them(path, printed):
    assert fp.path_string(path) == printed


def test_second_manager_changing_a_field_conflicts_with_upstream_status():
    live = run_apply(None, deployment(2), "a")
    with pytest.raises(errors.StatusError) as err:
        run_apply(live, deployment(3), "b")
    e = err.value
    assert e.code == 409 and e.reason == "Conflict"
    assert str(e) == 'Apply failed with 1 conflict: conflict with "a": .spec.replicas'
    assert e.details == {"causes": [
        {"reason": "FieldManagerConflict", "message": 'conflict with "a"', "field": ".spec.replicas"},
    ]}


def test_conflict_with_an_update_manager_names_its_api_version():
    live = deployment(2)
    record_update(live, None, "kubectl-client-side-apply", "apps/v1")
    with pytest.raises(errors.StatusError) as err:
        run_apply(live, deployment(3, image="nginx:2"), "b")
    assert str(err.value) == (
        'Apply failed with 2 conflicts: conflicts with "kubectl-client-side-apply" using apps/v1:\n'
        "- .spec.replicas\n"
        '- .spec.template.spec.containers[name="c"].image'
    )
    assert [c["message"] for c in err.value.details["causes"]] == [
        'conflict with "kubectl-client-side-apply" using apps/v1'] * 2


def test_same_value_is_shared_without_conflict():
    live = run_apply(None, deployment(2), "a")
    shared = run_apply(live, deployment(2), "b")
    assert managers(shared) == [("a", "Apply"), ("b", "Apply")]
    assert "f:replicas" in fields(shared, "a")["f:spec"] and "f:replicas" in fields(shared, "b")["f:spec"]


def test_force_takes_ownership_from_the_other_manager():
    live = run_apply(None, deployment(2), "a")
    forced = run_apply(live, deployment(3), "b", force=True)
    assert forced["spec"]["replicas"] == 3
    assert "f:replicas" not in fields(forced, "a")["f:spec"]
    assert "f:replicas" in fields(forced, "b")["f:spec"]


def test_fields_a_manager_stops_applying_are_removed_unless_someone_else_owns_them():
    live = run_apply(None, deployment(2, env=[{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]), "a")
    live = run_apply(live, deployment(None, env=[{"name": "B", "value": "2"}]), "b")
    dropped = run_apply(live, deployment(None), "a")
    assert "replicas" not in dropped["spec"]  # a owned it alone
    # env B stays: b applies it; env A goes.
    assert dropped["spec"]["template"]["spec"]["containers"][0]["env"] == [{"name": "B", "value": "2"}]


def test_map_lists_merge_by_key_keeping_other_items():
    live = deployment(2)
    live["spec"]["template"]["spec"]["containers"].append({"name": "side", "image": "busybox"})
    record_update(live, None, "creator", "apps/v1")
    applied = deployment(None, image="nginx")  # only container c, same image
    applied["spec"]["template"]["spec"]["containers"][0]["env"] = [{"name": "X", "value": "1"}]
    out = run_apply(live, applied, "a")
    assert [c["name"] for c in out["spec"]["template"]["spec"]["containers"]] == ["c", "side"]
    assert out["spec"]["template"]["spec"]["containers"][0]["env"] == [{"name": "X", "value": "1"}]


@pytest.mark.parametrize(
    ("live", "config", "merged"),
    [
        (["a", "b"], ["c", "a"], ["c", "a", "b"]),
        (["a", "b", "c"], ["c", "a"], ["b", "c", "a"]),  # as upstream's two-pointer walk orders it
        (["x", "a"], ["a", "y"], ["x", "a", "y"]),
    ],
)
def test_set_list_merge_order(live, config, merged):
    node = {"x-kubernetes-list-type": "set", "items": {"type": "string"}}
    assert fp.merge(live, config, node) == merged


def test_atomic_list_is_replaced_whole():
    assert fp.merge(["a", "b"], ["c"], {"items": {"type": "string"}}) == ["c"]


def test_noop_reapply_keeps_the_entry():
    live = run_apply(None, deployment(2), "a")
    again = run_apply(live, deployment(2), "a")
    assert again["metadata"]["managedFields"] == live["metadata"]["managedFields"]


def test_update_that_changes_an_applied_field_takes_it_over_and_same_value_does_not():
    live = run_apply(None, deployment(2), "a")
    same = copy.deepcopy(live)
    same["metadata"]["labels"] = {"new": "label"}
    record_update(same, live, "editor", "apps/v1")
    assert "f:replicas" in fields(same, "a")["f:spec"]
    changed = copy.deepcopy(live)
    changed["spec"]["replicas"] = 5
    record_update(changed, live, "scaler", "apps/v1")
    assert "f:replicas" not in fields(changed, "a")["f:spec"]
    assert fields(changed, "scaler", "Update") == {"f:spec": {"f:replicas": {}}}


def test_update_of_one_container_claims_only_that_field():
    live = deployment(2)
    live["spec"]["template"]["spec"]["containers"].append({"name": "side", "image": "busybox"})
    record_update(live, None, "creator", "apps/v1")
    new = copy.deepcopy(live)
    new["spec"]["template"]["spec"]["containers"][1]["image"] = "busybox:2"
    record_update(new, live, "editor", "apps/v1")
    assert fields(new, "editor", "Update") == {
        "f:spec": {"f:template": {"f:spec": {"f:containers": {'k:{"name":"side"}': {"f:image": {}}}}}}}
    assert "f:image" not in fields(new, "creator", "Update")["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"side"}']


def test_apply_rejects_wrong_type_and_managed_fields():
    with pytest.raises(errors.StatusError) as err:
        apply.applier(_RT, {"apiVersion": "v1", "kind": "Pod"}, "a", False, None)
    assert (err.value.code, str(err.value)) == (400, "invalid object type: /v1, Kind=Pod")
    body = deployment()
    body["metadata"]["managedFields"] = []
    with pytest.raises(errors.StatusError) as err:
        apply.applier(_RT, body, "a", False, None)
    assert str(err.value) == "metadata.managedFields must be nil"


def test_kubectl_takes_over_client_side_apply_fields_matching_last_applied():
    import orjson

    live = deployment(2)
    live["metadata"]["annotations"] = {apply.LAST_APPLIED: orjson.dumps(deployment(2)).decode()}
    record_update(live, None, "kubectl-client-side-apply", "apps/v1")
    out = run_apply(live, deployment(3), "kubectl")
    assert out["spec"]["replicas"] == 3
    assert orjson.loads(out["metadata"]["annotations"][apply.LAST_APPLIED])["spec"]["replicas"] == 3
    # Another manager gets no such pass.
    with pytest.raises(errors.StatusError):
        run_apply(live, deployment(3), "other")


def test_entries_sorted_apply_before_update():
    live = deployment(2)
    record_update(live, None, "creator", "apps/v1")
    out = run_apply(live, deployment(2, image="nginx"), "z")
    assert managers(out) == [("z", "Apply"), ("creator", "Update")]


def test_update_entries_are_per_api_version_and_sorted_by_time():
    obj = {"apiVersion": "autoscaling/v2", "kind": "X", "metadata": {"name": "h"}, "spec": {"a": 1, "b": 1}}
    record_update(obj, None, "m", "autoscaling/v2")
    obj["metadata"]["managedFields"][0]["time"] = "2020-01-01T00:00:00Z"
    new = copy.deepcopy(obj)
    new["spec"]["a"] = 2
    record_update(new, obj, "m", "autoscaling/v1")
    assert [(e["apiVersion"], e["fieldsV1"]) for e in new["metadata"]["managedFields"]] == [
        ("autoscaling/v2", {"f:spec": {"f:b": {}}}),  # older first; a moved to the v1 entry
        ("autoscaling/v1", {"f:spec": {"f:a": {}}}),
    ]


@pytest.mark.parametrize(
    ("path", "namespaced", "subresource"),
    [
        ("/apis/apps/v1/namespaces/ns/deployments/web/status", True, "status"),
        ("/apis/apps/v1/namespaces/ns/deployments/status", True, ""),  # a Deployment named "status"
        ("/api/v1/namespaces/ns/pods/p", True, ""),
        ("/api/v1/nodes/n/status", False, "status"),
        ("/apis/storage.k8s.io/v1/volumeattachments/status", False, ""),
    ],
)
def test_subresource_from_path(path, namespaced, subresource):
    from types import SimpleNamespace

    from uwernetes.apiserver import patching

    assert patching._subresource(SimpleNamespace(path=path), SimpleNamespace(namespaced=namespaced)) == subresource


def test_status_apply_owns_only_status_in_its_own_entry():
    live = run_apply(None, deployment(2), "a")
    body = {**deployment(9), "status": {"replicas": 2}}
    apply_fn, _ = apply.applier(_RT, body, "a", False, DEPLOY_SCHEMA, "status")
    out = apply_fn(copy.deepcopy(live))
    status_entry = [e for e in out["metadata"]["managedFields"] if e.get("subresource") == "status"]
    assert [(e["manager"], e["fieldsV1"]) for e in status_entry] == [("a", {"f:status": {"f:replicas": {}}})]
    assert "f:replicas" in fields(out, "a")["f:spec"]  # the main entry is untouched


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["spec"].update(bogus=1), ".spec.bogus"),
        (lambda d: d["spec"]["template"]["spec"]["containers"][0].update(bogus=1),
         '.spec.template.spec.containers[name="c"].bogus'),
        (lambda d: d["spec"]["template"]["spec"].update(tolerations=[{"key": "k", "zzz": 1}]),
         ".spec.template.spec.tolerations[0].zzz"),
    ],
)
def test_undeclared_fields_fail_as_upstream(change, field):
    body = deployment()
    body["metadata"]["namespace"] = "ns"
    change(body)
    with pytest.raises(errors.StatusError) as err:
        apply.applier(_RT, body, "a", False, DEPLOY_SCHEMA)
    assert (err.value.code, err.value.reason) == (500, "")
    assert str(err.value) == (
        f"failed to create typed patch object (ns/d; apps/v1, Kind=Deployment): {field}: field not declared in schema")


def test_schemaless_kinds_take_any_field():
    assert fp.undeclared({"spec": {"anything": [1]}}, None) is None
