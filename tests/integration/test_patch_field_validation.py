"""fieldValidation on JSON, merge and strategic merge patches: unknown fields never reach storage.

`kubectl patch` sends no fieldValidation, so it gets the default, Warn: one warning per unknown
field and the field dropped, as Go's typed decode drops it upstream.
"""

from __future__ import annotations

import json

import pytest

NS = "default"
DEPLOY = f"/apis/apps/v1/namespaces/{NS}/deployments"
SMP = "application/strategic-merge-patch+json"
MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"


def deployment(name: str) -> dict:
    containers = [{"name": n, "image": "nginx:1.25"} for n in ("a", "b", "c")]
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": containers}}}}


@pytest.fixture
def api(cluster):
    return cluster.client()


@pytest.fixture
def created(api, request):
    name = "pfv-" + request.node.name.split("[")[-1].rstrip("]").lower().replace("_", "-")[:40]
    r = api.post(DEPLOY, json=deployment(name))
    assert r.status_code == 201, r.text
    yield name, r.json()
    api.delete(f"{DEPLOY}/{name}")


def _warnings(r) -> list[str]:
    return r.headers.get_list("warning")


def _patch(api, name, media, body, **params):
    return api.patch(f"{DEPLOY}/{name}", content=json.dumps(body).encode(),
                     headers={"content-type": media}, params=params)


@pytest.mark.parametrize("media,body", [
    (SMP, {"spec": {"bogus": 1}}),
    (MERGE, {"spec": {"bogus": 1}}),
    (JSON_PATCH, [{"op": "add", "path": "/spec/bogus", "value": 1}]),
], ids=["strategic", "merge", "json"])
def test_default_warns_and_drops_unknown_fields(api, created, media, body):
    name, before = created
    r = _patch(api, name, media, body)
    assert r.status_code == 200, r.text
    assert _warnings(r) == ['299 - "unknown field \\"spec.bogus\\""']
    stored = api.get(f"{DEPLOY}/{name}").json()
    assert "bogus" not in stored["spec"]
    # Nothing else changed, so nothing was written (kubectl prints "patched (no change)").
    assert stored["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]


def test_unknown_fields_in_list_items_are_named_by_their_place_in_the_object(api, created):
    name, _ = created
    body = {"spec": {"zzz": 1, "template": {"spec": {"containers": [{"name": "c", "image": "nginx:2", "junk": 1}]}}}}
    r = _patch(api, name, SMP, body)
    assert r.status_code == 200, r.text
    # Key order, as Go's sorted JSON gives it: spec.template before spec.zzz; "c" is the third container.
    assert _warnings(r) == ['299 - "unknown field \\"spec.template.spec.containers[2].junk\\""',
                            '299 - "unknown field \\"spec.zzz\\""']
    stored = api.get(f"{DEPLOY}/{name}").json()
    assert stored["spec"]["template"]["spec"]["containers"][2] == {
        "name": "c", "image": "nginx:2", "resources": {}, "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File", "imagePullPolicy": "IfNotPresent"}
    assert "zzz" not in stored["spec"]


def test_strict_refuses_the_patch_and_writes_nothing(api, created):
    name, before = created
    r = _patch(api, name, SMP, {"spec": {"replicas": 3, "bogus": 1}}, fieldValidation="Strict")
    assert r.status_code == 422
    assert r.json()["message"] == (' "" is invalid: patch: Invalid value: "map[spec:map[bogus:1 replicas:3]]": '
                                   'strict decoding error: unknown field "spec.bogus"')
    assert r.json()["details"]["causes"][0]["field"] == "patch"
    merge = _patch(api, name, MERGE, {"spec": {"replicas": 3, "bogus": 1}}, fieldValidation="Strict")
    assert merge.status_code == 422
    message = merge.json()["message"]
    assert message.startswith(' "" is invalid: patch: Invalid value: "{')
    assert message.endswith('": strict decoding error: unknown field "spec.bogus"')
    stored = api.get(f"{DEPLOY}/{name}").json()
    assert stored["spec"]["replicas"] == 1
    assert stored["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]


def test_strict_reports_duplicate_keys_of_the_body_first(api, created):
    name, _ = created
    raw = b'{"spec":{"replicas":2,"replicas":3,"bogus":1}}'
    r = api.patch(f"{DEPLOY}/{name}", content=raw, headers={"content-type": MERGE}, params={"fieldValidation": "Strict"})
    assert r.status_code == 422
    assert r.json()["message"].endswith(
        'strict decoding error: duplicate field "spec.replicas", unknown field "spec.bogus"')


def test_ignore_drops_silently_and_applies_the_rest(api, created):
    name, _ = created
    r = _patch(api, name, MERGE, {"spec": {"replicas": 2, "bogus": 1}}, fieldValidation="Ignore")
    assert r.status_code == 200 and _warnings(r) == []
    stored = api.get(f"{DEPLOY}/{name}").json()
    assert stored["spec"]["replicas"] == 2 and "bogus" not in stored["spec"]


def test_patch_directives_are_not_unknown_fields(api, created):
    name, _ = created
    body = {"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "c"}, {"name": "b"}, {"name": "a"}],
        "containers": [{"name": "b", "$patch": "delete"}]}}}}
    r = _patch(api, name, SMP, body, fieldValidation="Strict")
    assert r.status_code == 200, r.text
    assert _warnings(r) == []
    got = [c["name"] for c in r.json()["spec"]["template"]["spec"]["containers"]]
    assert got == ["c", "a"]
