"""JSON values of the wrong type in built-in kinds, over HTTP: a create or update is a 400 worded as
upstream's decoder words it (`<Kind> in version "v1" cannot be handled as a <Kind>: json: cannot
unmarshal ...`); a patch whose result does not decode is a 422 on field `patch`. Nothing is written."""

import json

import pytest
import yaml

from uwernetes.client import api as client_api

NS = "default"
CM = f"/api/v1/namespaces/{NS}/configmaps"
PODS = f"/api/v1/namespaces/{NS}/pods"
SVC = f"/api/v1/namespaces/{NS}/services"
DEPLOY = f"/apis/apps/v1/namespaces/{NS}/deployments"
MERGE = {"content-type": "application/merge-patch+json"}
JSON_PATCH = {"content-type": "application/json-patch+json"}
SMP = {"content-type": "application/strategic-merge-patch+json"}


def bad_request(message):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": "BadRequest", "code": 400}


def cannot(kind, version, what, where, go):
    return (f'{kind} in version "{version}" cannot be handled as a {kind}: '
            f"json: cannot unmarshal {what} into Go struct field {where} of type {go}")


def configmap(name, **extra):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"k": "v"}, **extra}


def deployment(name, **spec):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}}, **spec}}


def pod(name, **container):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "c", "image": "nginx", **container}]}}


def service(name, **port):
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"ports": [{"port": 80, **port}]}}


@pytest.mark.parametrize(
    "path, body, message",
    [
        pytest.param(CM, configmap("t-cm", data=5),
                     cannot("ConfigMap", "v1", "number", "ConfigMap.data", "map[string]string"), id="configmap data"),
        pytest.param(CM, {**configmap("t-cm2"), "metadata": {"name": "t-cm2", "labels": {"a": 1}}},
                     cannot("ConfigMap", "v1", "number", "ObjectMeta.metadata.labels", "string"), id="label value"),
        pytest.param(DEPLOY, deployment("t-d", replicas="x"),
                     cannot("Deployment", "v1", "string", "DeploymentSpec.spec.replicas", "int32"), id="replicas string"),
        pytest.param(DEPLOY, deployment("t-d2", replicas=3000000000),
                     cannot("Deployment", "v1", "number 3000000000", "DeploymentSpec.spec.replicas", "int32"), id="int32 overflow"),
        pytest.param(PODS, pod("t-p", image=5),
                     cannot("Pod", "v1", "number", "Container.spec.containers.image", "string"), id="pod image"),
        pytest.param(PODS, {**pod("t-p2"), "spec": {"containers": {"name": "c"}}},
                     cannot("Pod", "v1", "object", "PodSpec.spec.containers", "[]v1.Container"), id="containers object"),
        pytest.param(PODS, pod("t-p3", resources={"limits": {"cpu": "lots"}}),
                     'Pod in version "v1" cannot be handled as a Pod: quantities must match the regular expression '
                     "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'", id="quantity"),
        pytest.param(SVC, service("t-s", port="80"),
                     cannot("Service", "v1", "string", "ServicePort.spec.ports.port", "int32"), id="service port"),
        pytest.param(SVC, service("t-s2", targetPort=True),
                     cannot("Service", "v1", "bool", "ServicePort.spec.ports.targetPort", "int32"), id="targetPort bool"),
        pytest.param(SVC, service("t-s3", protocol=6),
                     cannot("Service", "v1", "number", "ServicePort.spec.ports.protocol", "v1.Protocol"), id="protocol"),
    ],
)
def test_create_with_wrong_type_is_400_and_stores_nothing(cluster, path, body, message):
    api = cluster.client()
    r = api.post(path, json=body)
    assert (r.status_code, r.json()) == (400, bad_request(message))
    assert api.get(f"{path}/{body['metadata']['name']}").status_code == 404


def test_float_literal_is_quoted_as_sent(cluster):
    body = json.dumps(deployment("t-float")).replace('"replicas": 1', '"replicas": 1.50').encode()
    r = cluster.client().post(DEPLOY, content=body, headers={"content-type": "application/json"})
    assert r.json()["message"] == cannot("Deployment", "v1", "number 1.50", "DeploymentSpec.spec.replicas", "int32")


def test_yaml_body(cluster):
    body = yaml.safe_dump(configmap("t-yaml", data={"a": ["x"]}))
    r = cluster.client().post(CM, content=body, headers={"content-type": "application/yaml"})
    assert (r.status_code, r.json()) == (400, bad_request(cannot("ConfigMap", "v1", "array", "ConfigMap.data", "string")))


def test_type_error_wins_over_strict_field_validation(cluster):
    body = {**configmap("t-strict", data=5), "bogus": 1}
    r = cluster.client().post(CM, params={"fieldValidation": "Strict"}, json=body)
    assert (r.status_code, r.json()) == (
        400, bad_request(cannot("ConfigMap", "v1", "number", "ConfigMap.data", "map[string]string")))


def test_kind_that_is_no_string(cluster):
    r = cluster.client().post(CM, json={"apiVersion": "v1", "kind": 5, "metadata": {"name": "t-kind"}})
    assert (r.status_code, r.json()) == (400, bad_request(
        "the object provided is unrecognized (must be of type ConfigMap): couldn't get version/kind; json parse error: "
        'json: cannot unmarshal number into Go struct field .kind of type string ({"apiVersion":"v1","kind":5,"m ...)'))


def test_update_with_wrong_type_is_400_and_changes_nothing(cluster):
    api = cluster.client()
    created = api.post(CM, json=configmap("t-upd")).json()
    body = {**created, "data": {"k": 1}}
    r = api.put(f"{CM}/t-upd", json=body)
    assert (r.status_code, r.json()) == (400, bad_request(cannot("ConfigMap", "v1", "number", "ConfigMap.data", "string")))
    assert api.get(f"{CM}/t-upd").json() == created


def assert_patch_invalid(r, current, patched_part, message):
    """Upstream's patch handler: 422 Invalid on field `patch`, empty kind and name, the patched object as the value."""
    assert r.status_code == 422
    status = r.json()
    assert (status["reason"], status["code"], set(status["details"])) == ("Invalid", 422, {"causes"})
    [cause] = status["details"]["causes"]
    assert (cause["reason"], cause["field"]) == ("FieldValueInvalid", "patch")
    prefix, suffix = 'Invalid value: "', f'": {message}'
    assert cause["message"].startswith(prefix) and cause["message"].endswith(suffix)
    assert status["message"] == ' "" is invalid: patch: ' + cause["message"]
    value = json.loads(json.loads('"' + cause["message"][len(prefix) : -len(suffix)] + '"'))
    want = json.loads(json.dumps(current))
    for key, sub in patched_part.items():
        want[key] = {**want[key], **sub} if isinstance(sub, dict) and isinstance(want.get(key), dict) else sub
    assert value == want
    assert list(value) == sorted(value)


def test_json_patch_to_a_wrong_type_is_422_and_changes_nothing(cluster):
    api = cluster.client()
    created = api.post(CM, json=configmap("t-jp")).json()
    r = api.patch(f"{CM}/t-jp", content=b'[{"op": "replace", "path": "/data", "value": 5}]', headers=JSON_PATCH)
    assert_patch_invalid(r, created, {"data": 5},
                         "json: cannot unmarshal number into Go struct field ConfigMap.data of type map[string]string")
    assert api.get(f"{CM}/t-jp").json() == created


def test_merge_patch_to_a_wrong_type_is_422(cluster):
    api = cluster.client()
    created = api.post(DEPLOY, json=deployment("t-mp")).json()
    r = api.patch(f"{DEPLOY}/t-mp", json={"spec": {"replicas": "x"}}, headers=MERGE)
    assert_patch_invalid(r, created, {"spec": {"replicas": "x"}},
                         "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32")
    assert api.get(f"{DEPLOY}/t-mp").json()["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


def test_strategic_patch_to_a_wrong_type_is_422(cluster):
    api = cluster.client()
    created = api.post(SVC, json=service("t-smp")).json()
    r = api.patch(f"{SVC}/t-smp", json={"spec": {"sessionAffinity": 1}}, headers=SMP)
    # Code, reason and field as upstream; upstream words the detail through its unstructured
    # converter (`cannot convert int64 to v1.ServiceAffinity`), which is not modelled.
    assert (r.status_code, r.json()["reason"]) == (422, "Invalid")
    assert r.json()["details"]["causes"][0]["field"] == "patch"
    assert api.get(f"{SVC}/t-smp").json()["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


def test_well_typed_patch_still_applies(cluster):
    api = cluster.client()
    api.post(DEPLOY, json=deployment("t-ok"))
    r = api.patch(f"{DEPLOY}/t-ok", json={"spec": {"replicas": 3}}, headers=MERGE)
    assert r.status_code == 200 and r.json()["spec"]["replicas"] == 3


def test_in_process_client_gets_the_same_answer(cluster):
    client = cluster.server.client("type-errors-test")
    with pytest.raises(client_api.APIError) as e:
        cluster.run(client.create(client_api.CONFIGMAPS, configmap("t-inproc", data=[1]), NS))
    assert e.value.code == 400
    assert e.value.status["message"] == cannot("ConfigMap", "v1", "array", "ConfigMap.data", "map[string]string")
    cluster.run(client.create(client_api.CONFIGMAPS, configmap("t-inproc2"), NS))
    with pytest.raises(client_api.APIError) as e:
        cluster.run(client.patch(client_api.CONFIGMAPS, "t-inproc2", {"data": {"k": False}}, NS))
    assert (e.value.code, e.value.status["details"]["causes"][0]["field"]) == (422, "patch")
    assert e.value.status["message"].endswith(
        ": json: cannot unmarshal bool into Go struct field ConfigMap.data of type string")


APPLY = {"content-type": "application/apply-patch+yaml"}


# The namespace in the message is the applied body's own (empty here), as upstream prints it.
@pytest.mark.parametrize(
    "path,name,body,message",
    [
        (CM, "applied-cm", configmap("applied-cm", data=5), "(/applied-cm; /v1, Kind=ConfigMap): .data: expected map, got int64"),
        (DEPLOY, "applied-deploy", deployment("applied-deploy", replicas="x"),
         "(/applied-deploy; apps/v1, Kind=Deployment): .spec.replicas: expected numeric (int or float), got string"),
    ],
)
def test_apply_with_wrong_type_is_500_typed_patch_error(cluster, path, name, body, message):
    api = cluster.client()
    r = api.patch(f"{path}/{name}", params={"fieldManager": "m"}, content=json.dumps(body).encode(), headers=APPLY)
    assert r.status_code == 500
    assert r.json()["message"] == "failed to create typed patch object " + message
    assert api.get(f"{path}/{name}").status_code == 404
