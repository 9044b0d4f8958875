"""typecheck: the first JSON value of the wrong type, worded as Go's decoder (sigs.k8s.io/json) and
the types with their own UnmarshalJSON (Quantity, Time, MicroTime, IntOrString) word it."""

import pytest

from uwernetes.machinery import typecheck
from uwernetes.machinery.quantity import ERR_FORMAT_WRONG, ERR_SUFFIX

CM = ("", "v1", "ConfigMap")
POD = ("", "v1", "Pod")
SVC = ("", "v1", "Service")
SECRET = ("", "v1", "Secret")
DEPLOY = ("apps", "v1", "Deployment")
LEASE = ("coordination.k8s.io", "v1", "Lease")


def unmarshal(what: str, where: str, go: str) -> str:
    return f"json: cannot unmarshal {what} into Go struct field {where} of type {go}"


def containers(*items):
    return {"spec": {"containers": list(items)}}


def template(*items):
    return {"spec": {"template": {"spec": {"containers": list(items)}}}}


@pytest.mark.parametrize(
    "gvk, obj, want",
    [
        pytest.param(CM, {"data": 5}, unmarshal("number", "ConfigMap.data", "map[string]string"), id="number into map"),
        pytest.param(CM, {"data": "x"}, unmarshal("string", "ConfigMap.data", "map[string]string"), id="string into map"),
        pytest.param(CM, {"data": {"a": 1}}, unmarshal("number", "ConfigMap.data", "string"), id="map value"),
        pytest.param(CM, {"data": {"a": True}}, unmarshal("bool", "ConfigMap.data", "string"), id="bool map value"),
        pytest.param(CM, {"immutable": "yes"}, unmarshal("string", "ConfigMap.immutable", "bool"), id="string into bool"),
        pytest.param(CM, {"metadata": 5}, unmarshal("number", "ConfigMap.metadata", "v1.ObjectMeta"), id="number into struct"),
        pytest.param(CM, {"metadata": {"labels": []}},
                     unmarshal("array", "ObjectMeta.metadata.labels", "map[string]string"), id="array into labels"),
        pytest.param(CM, {"metadata": {"labels": {"a": {"b": "c"}}}},
                     unmarshal("object", "ObjectMeta.metadata.labels", "string"), id="object label value"),
        pytest.param(CM, {"metadata": {"name": ["x"]}}, unmarshal("array", "ObjectMeta.metadata.name", "string"), id="array into string"),
        pytest.param(CM, {"metadata": {"uid": 5}}, unmarshal("number", "ObjectMeta.metadata.uid", "types.UID"), id="named type from another package"),
        pytest.param(CM, {"metadata": {"generation": "1"}}, unmarshal("string", "ObjectMeta.metadata.generation", "int64"), id="int64"),
        pytest.param(CM, {"metadata": {"finalizers": "a"}}, unmarshal("string", "ObjectMeta.metadata.finalizers", "[]string"), id="string into []string"),
        pytest.param(CM, {"metadata": {"finalizers": ["a", 1]}}, unmarshal("number", "ObjectMeta.metadata.finalizers", "string"), id="[]string element"),
        pytest.param(CM, {"metadata": {"ownerReferences": [{"controller": "true"}]}},
                     unmarshal("string", "OwnerReference.metadata.ownerReferences.controller", "bool"), id="struct in list"),
        pytest.param(DEPLOY, {"spec": {"replicas": "x"}}, unmarshal("string", "DeploymentSpec.spec.replicas", "int32"), id="string into int32"),
        pytest.param(DEPLOY, {"spec": {"replicas": 3000000000}},
                     unmarshal("number 3000000000", "DeploymentSpec.spec.replicas", "int32"), id="int32 overflow"),
        pytest.param(DEPLOY, {"spec": {"replicas": -2147483649}},
                     unmarshal("number -2147483649", "DeploymentSpec.spec.replicas", "int32"), id="int32 underflow"),
        pytest.param(DEPLOY, {"spec": {"replicas": 1.5}}, unmarshal("number 1.5", "DeploymentSpec.spec.replicas", "int32"), id="float into int"),
        pytest.param(DEPLOY, {"spec": {"replicas": True}}, unmarshal("bool", "DeploymentSpec.spec.replicas", "int32"), id="bool into int"),
        pytest.param(DEPLOY, {"spec": {"strategy": {"type": 1}}},
                     unmarshal("number", "DeploymentStrategy.spec.strategy.type", "v1.DeploymentStrategyType"), id="enum type"),
        pytest.param(DEPLOY, template({"name": "c", "image": 5}),
                     unmarshal("number", "Container.spec.template.spec.containers.image", "string"), id="deep path without indexes"),
        pytest.param(DEPLOY, template({"name": "c"}, {"name": "d", "imagePullPolicy": False}),
                     unmarshal("bool", "Container.spec.template.spec.containers.imagePullPolicy", "v1.PullPolicy"), id="second item"),
        pytest.param(POD, {"spec": {"containers": 5}}, unmarshal("number", "PodSpec.spec.containers", "[]v1.Container"), id="number into []struct"),
        pytest.param(POD, {"spec": {"containers": [5]}}, unmarshal("number", "PodSpec.spec.containers", "v1.Container"), id="number as struct item"),
        pytest.param(POD, {"spec": {"restartPolicy": 5}}, unmarshal("number", "PodSpec.spec.restartPolicy", "v1.RestartPolicy"), id="enum"),
        pytest.param(POD, containers({"ports": [{"containerPort": "80"}]}),
                     unmarshal("string", "ContainerPort.spec.containers.ports.containerPort", "int32"), id="int in nested list"),
        pytest.param(POD, containers({"securityContext": {"capabilities": {"add": [1]}}}),
                     unmarshal("number", "Capabilities.spec.containers.securityContext.capabilities.add", "v1.Capability"), id="named list element"),
        pytest.param(POD, {"spec": {"volumes": [{"name": "v", "hostPath": "x"}]}},
                     unmarshal("string", "Volume.spec.volumes.hostPath", "v1.HostPathVolumeSource"), id="inline embedded struct field"),
        pytest.param(POD, {"spec": {"nodeSelector": {"a": 1}}}, unmarshal("number", "PodSpec.spec.nodeSelector", "string"), id="nodeSelector"),
        pytest.param(POD, containers({"resources": {"limits": []}}),
                     unmarshal("array", "ResourceRequirements.spec.containers.resources.limits", "v1.ResourceList"), id="named map type"),
        pytest.param(SECRET, {"data": {"a": "!!"}}, "illegal base64 data at input byte 0", id="base64"),
        pytest.param(SECRET, {"data": {"a": "YQ="}}, "illegal base64 data at input byte 3", id="base64 short padding"),
        pytest.param(SECRET, {"data": {"a": 5}}, unmarshal("number", "Secret.data", "[]uint8"), id="number into []byte"),
        pytest.param(SECRET, {"data": {"a": [1, 300]}}, unmarshal("number 300", "Secret.data", "uint8"), id="[]byte from array"),
        pytest.param(SVC, {"spec": {"ports": [{"port": "80"}]}}, unmarshal("string", "ServicePort.spec.ports.port", "int32"), id="service port"),
        pytest.param(SVC, {"spec": {"ports": [{"port": 80, "protocol": 6}]}},
                     unmarshal("number", "ServicePort.spec.ports.protocol", "v1.Protocol"), id="protocol"),
        pytest.param(SVC, {"spec": {"type": ["x"]}}, unmarshal("array", "ServiceSpec.spec.type", "v1.ServiceType"), id="service type"),
        pytest.param(SVC, {"spec": {"clusterIPs": "10.0.0.1"}}, unmarshal("string", "ServiceSpec.spec.clusterIPs", "[]string"), id="clusterIPs"),
    ],
)
def test_type_errors(gvk, obj, want):
    assert typecheck.first_type_error(obj, *gvk) == want


@pytest.mark.parametrize(
    "gvk, obj",
    [
        pytest.param(CM, {"data": None, "binaryData": None, "immutable": None, "metadata": None}, id="null everywhere"),
        pytest.param(CM, {"data": {"a": None}}, id="null map value"),
        pytest.param(DEPLOY, {"spec": {"replicas": None, "paused": None, "template": None}}, id="null pointers and structs"),
        pytest.param(DEPLOY, {"spec": {"replicas": 2147483647, "revisionHistoryLimit": -2147483648}}, id="int32 bounds"),
        pytest.param(CM, {"metadata": {"generation": 2**63 - 1}}, id="int64 bound"),
        pytest.param(CM, {"bogus": 5, "metadata": {"bogus": []}}, id="unknown fields are not typed"),
        pytest.param(CM, {"metadata": {"managedFields": [{"fieldsV1": {"f:data": 5}, "time": None}]}}, id="FieldsV1 takes anything"),
        pytest.param(SECRET, {"data": {"a": "YWJj", "b": "YQ==", "c": "YW\nJj", "d": ""}}, id="base64 with newline"),
        pytest.param(SVC, {"spec": {"ports": [{"port": 80, "targetPort": "http"}, {"port": 81, "targetPort": 8080}]}}, id="int-or-string"),
        pytest.param(SVC, {"spec": {"ports": [{"port": 80, "targetPort": None}]}}, id="null int-or-string"),
        pytest.param(POD, containers({"resources": {"limits": {"cpu": 1, "memory": "1Gi", "x": 0.5, "y": None}}}),
                     id="quantities from numbers and strings"),
        pytest.param(CM, {"metadata": {"creationTimestamp": None}}, id="null time"),
        pytest.param(CM, {"metadata": {"creationTimestamp": "2024-02-29T10:00:00.5+02:00"}}, id="time with fraction and offset"),
        pytest.param(LEASE, {"spec": {"renewTime": "2024-01-01T00:00:00.000000Z"}}, id="micro time"),
        pytest.param(("apps", "v1", "ControllerRevision"), {"data": {"anything": [1, "x"]}}, id="RawExtension takes anything"),
        pytest.param(("", "v1", "NoSuchKind"), {"data": 5}, id="no schema"),
    ],
)
def test_values_that_decode(gvk, obj):
    assert typecheck.first_type_error(obj, *gvk) is None


def test_first_error_in_document_order_wins():
    obj = {"metadata": {"labels": {"a": 1}}, "data": 5}
    assert typecheck.first_type_error(obj, *CM) == unmarshal("number", "ObjectMeta.metadata.labels", "string")
    obj = {"data": 5, "metadata": {"labels": {"a": 1}}}
    assert typecheck.first_type_error(obj, *CM) == unmarshal("number", "ConfigMap.data", "map[string]string")


def test_custom_unmarshal_error_ends_decoding_and_wins_over_saved_ones():
    # Go saves plain type errors and keeps going, but an UnmarshalJSON error returns at once.
    obj = {"spec": {"replicas": "x", **template({"name": "c", "resources": {"limits": {"cpu": "abc"}}})["spec"]}}
    assert typecheck.first_type_error(obj, *DEPLOY) == ERR_FORMAT_WRONG
    obj = {"spec": {"ports": [{"targetPort": 1.5, "port": "x"}]}}
    assert typecheck.first_type_error(obj, *SVC) == unmarshal("number 1.5", "ServicePort.spec.ports.targetPort", "int32")


@pytest.mark.parametrize(
    "value, want",
    [
        pytest.param(True, unmarshal("bool", "ServicePort.spec.ports.targetPort", "int32"), id="bool"),
        pytest.param({}, unmarshal("object", "ServicePort.spec.ports.targetPort", "int32"), id="object"),
        pytest.param([], unmarshal("array", "ServicePort.spec.ports.targetPort", "int32"), id="array"),
        pytest.param(2**31, unmarshal("number 2147483648", "ServicePort.spec.ports.targetPort", "int32"), id="overflow"),
        pytest.param(1.5, unmarshal("number 1.5", "ServicePort.spec.ports.targetPort", "int32"), id="float"),
    ],
)
def test_int_or_string(value, want):
    assert typecheck.first_type_error({"spec": {"ports": [{"port": 80, "targetPort": value}]}}, *SVC) == want


@pytest.mark.parametrize(
    "value, want",
    [
        pytest.param("abc", ERR_FORMAT_WRONG, id="letters"),
        pytest.param("", ERR_FORMAT_WRONG, id="empty"),
        pytest.param(True, ERR_FORMAT_WRONG, id="bool"),
        pytest.param({"a": 1}, ERR_FORMAT_WRONG, id="object"),
        pytest.param("1Zi", ERR_FORMAT_WRONG, id="bad suffix letters"),
        pytest.param("1e", ERR_SUFFIX, id="exponent without digits"),
    ],
)
def test_quantity(value, want):
    assert typecheck.first_type_error(containers({"resources": {"requests": {"cpu": value}}}), *POD) == want


@pytest.mark.parametrize(
    "value, want",
    [
        pytest.param("x", 'parsing time "x" as "2006-01-02T15:04:05Z07:00": cannot parse "x" as "2006"', id="garbage"),
        pytest.param("", 'parsing time "" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "2006"', id="empty"),
        pytest.param("2024-01-01", 'parsing time "2024-01-01" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "T"', id="date only"),
        pytest.param("2024-01-01 10:00:00Z",
                     'parsing time "2024-01-01 10:00:00Z" as "2006-01-02T15:04:05Z07:00": cannot parse " 10:00:00Z" as "T"', id="space"),
        pytest.param("2024-1-01T00:00:00Z",
                     'parsing time "2024-1-01T00:00:00Z" as "2006-01-02T15:04:05Z07:00": cannot parse "1-01T00:00:00Z" as "01"', id="one-digit month"),
        pytest.param("2024-01-01T00:00:00",
                     'parsing time "2024-01-01T00:00:00" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "Z07:00"', id="no zone"),
        pytest.param("2024-01-01T00:00:00+0100",
                     'parsing time "2024-01-01T00:00:00+0100" as "2006-01-02T15:04:05Z07:00": cannot parse "+0100" as "Z07:00"', id="zone without colon"),
        pytest.param("2024-13-01T00:00:00Z", 'parsing time "2024-13-01T00:00:00Z": month out of range', id="month"),
        pytest.param("2023-02-29T00:00:00Z", 'parsing time "2023-02-29T00:00:00Z": day out of range', id="day"),
        pytest.param("2024-04-31T00:00:00Z", 'parsing time "2024-04-31T00:00:00Z": day out of range', id="day 31"),
        pytest.param("2024-02-29T23:59:59Z", None, id="leap day"),
        pytest.param("2024-01-31T00:00:00-24:00", None, id="day 31 and offset 24h"),
        pytest.param("2024-01-01T24:00:00Z", 'parsing time "2024-01-01T24:00:00Z": hour out of range', id="hour"),
        pytest.param("2024-01-01T00:60:00Z", 'parsing time "2024-01-01T00:60:00Z": minute out of range', id="minute"),
        pytest.param("2024-01-01T00:00:00+25:00", 'parsing time "2024-01-01T00:00:00+25:00": time zone offset hour out of range', id="offset"),
        pytest.param("2024-01-01T00:00:00Zx", 'parsing time "2024-01-01T00:00:00Zx": extra text: "x"', id="extra text"),
        pytest.param("\u00e9", 'parsing time "\\xc3\\xa9" as "2006-01-02T15:04:05Z07:00": cannot parse "\\xc3\\xa9" as "2006"', id="non-ASCII quoted"),
        pytest.param(5, unmarshal("number", "ObjectMeta.metadata.creationTimestamp", "string"), id="number"),
    ],
)
def test_time(value, want):
    assert typecheck.first_type_error({"metadata": {"creationTimestamp": value}}, *CM) == want


@pytest.mark.parametrize(
    "value, want",
    [
        pytest.param("2024-01-01T00:00:00Z",
                     'parsing time "2024-01-01T00:00:00Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse "Z" as ".000000"', id="no fraction"),
        pytest.param("2024-01-01T00:00:00.5Z",
                     'parsing time "2024-01-01T00:00:00.5Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse ".5Z" as ".000000"', id="short fraction"),
        pytest.param("2024-01-01T00:00:00.1234567Z",
                     'parsing time "2024-01-01T00:00:00.1234567Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse "7Z" as "Z07:00"', id="long fraction"),
        pytest.param("2024-01-01T00:00:00.123456+01:00", None, id="ok"),
    ],
)
def test_micro_time(value, want):
    assert typecheck.first_type_error({"spec": {"renewTime": value}}, *LEASE) == want


def test_float_literal_quoted_from_the_body():
    raw = b'{"spec": {"replicas": 1e3}}'
    obj = {"spec": {"replicas": 1000.0}}
    assert typecheck.first_type_error(obj, *DEPLOY) == unmarshal("number 1000.0", "DeploymentSpec.spec.replicas", "int32")
    assert typecheck.first_type_error(obj, *DEPLOY, raw=raw) == unmarshal("number 1e3", "DeploymentSpec.spec.replicas", "int32")


@pytest.mark.parametrize(
    "obj, want",
    [
        pytest.param({"kind": 5}, "json: cannot unmarshal number into Go struct field .kind of type string", id="kind"),
        pytest.param({"apiVersion": ["v1"], "kind": 5}, "json: cannot unmarshal array into Go struct field .apiVersion of type string", id="first wins"),
        pytest.param({"apiVersion": None, "kind": "ConfigMap"}, None, id="null"),
    ],
)
def test_interpret_error(obj, want):
    got = typecheck.interpret_error(obj)
    assert got == (None if want is None else "couldn't get version/kind; json parse error: " + want)


@pytest.mark.parametrize(
    "text, at",
    [("", None), ("YQ==", None), ("YWJj", None), ("YW\r\nJj", None), ("Y", 0), ("YQ=", 3), ("YWJjZA", 4),
     ("YQ==x", 4), ("Y Q==", 1), ("=", 0), ("YQ=x", 2)],
)
def test_base64_error_at(text, at):
    assert typecheck.base64_error_at(text) == at
