"""PodSpec defaulting and validation (pkg/apis/core/v1/defaults_test.go, validation_test.go, v1.30)."""

import copy

import pytest

from uwernetes.apiserver.resources import podspec
from uwernetes.features import FeatureGates
from uwernetes.machinery import quantity
from uwernetes.machinery.field import Path


def make_spec(**extra):
    spec = {"containers": [{"name": "c", "image": "nginx:1.25"}]}
    spec.update(extra)
    podspec.default_pod_spec(spec)
    return spec


def messages(spec, opts=None):
    return [str(e) for e in podspec.validate_pod_spec(spec, Path("spec"), opts)]


# --- defaulting ---


def test_default_pod_spec_fills_upstream_defaults():
    spec = {
        "containers": [
            {
                "name": "c",
                "image": "nginx",
                "ports": [{"containerPort": 80}],
                "env": [{"name": "N", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
                "livenessProbe": {"httpGet": {"port": 80}},
                "resources": {"limits": {"cpu": "0.5", "memory": "1024Mi"}},
            }
        ],
        "volumes": [
            {"name": "a"},
            {"name": "b", "secret": {"secretName": "s"}},
            {"name": "c", "configMap": {"name": "cm"}},
            {"name": "d", "hostPath": {"path": "/x"}},
        ],
    }
    podspec.default_pod_spec(spec)
    c = spec["containers"][0]
    assert spec["dnsPolicy"] == "ClusterFirst"
    assert spec["restartPolicy"] == "Always"
    assert spec["schedulerName"] == "default-scheduler"
    assert spec["terminationGracePeriodSeconds"] == 30
    assert spec["securityContext"] == {}
    assert "enableServiceLinks" not in spec  # pod-only default
    assert c["imagePullPolicy"] == "Always"
    assert c["terminationMessagePath"] == "/dev/termination-log"
    assert c["terminationMessagePolicy"] == "File"
    assert c["ports"][0]["protocol"] == "TCP"
    assert c["env"][0]["valueFrom"]["fieldRef"]["apiVersion"] == "v1"
    assert c["livenessProbe"] == {
        "httpGet": {"port": 80, "path": "/", "scheme": "HTTP"},
        "timeoutSeconds": 1,
        "periodSeconds": 10,
        "successThreshold": 1,
        "failureThreshold": 3,
    }
    assert c["resources"] == {"limits": {"cpu": "500m", "memory": "1Gi"}}
    assert spec["volumes"][0]["emptyDir"] == {}
    assert spec["volumes"][1]["secret"]["defaultMode"] == 420
    assert spec["volumes"][2]["configMap"]["defaultMode"] == 420
    assert spec["volumes"][3]["hostPath"]["type"] == ""
    again = copy.deepcopy(spec)
    podspec.default_pod_spec(again)
    assert again == spec  # idempotent


@pytest.mark.parametrize(
    ("image", "policy"),
    [
        ("nginx", "Always"),
        ("nginx:latest", "Always"),
        ("nginx:1.25", "IfNotPresent"),
        ("registry.local:5000/team/app", "Always"),
        ("registry.local:5000/team/app:v1", "IfNotPresent"),
        ("nginx@sha256:" + "a" * 64, "IfNotPresent"),
        ("Nginx", "IfNotPresent"),
        ("", "IfNotPresent"),
    ],
)
def test_image_pull_policy_default(image, policy):
    c = {"name": "c", "image": image}
    podspec.default_container(c)
    assert c["imagePullPolicy"] == policy


def test_default_container_resources_empty_object():
    c = {"name": "c", "image": "x"}
    podspec.default_container(c)
    assert c["resources"] == {}


def test_default_pod_spec_bad_quantity_raises():
    spec = {"containers": [{"name": "c", "image": "x", "resources": {"requests": {"cpu": "lots"}}}]}
    with pytest.raises(quantity.QuantityError):
        podspec.default_pod_spec(spec)
    err = podspec.decode_error("Pod", "v1", quantity.QuantityError(quantity.ERR_FORMAT_WRONG))
    assert err.code == 400
    assert err.message == (
        'Pod in version "v1" cannot be handled as a Pod: quantities must match the regular expression '
        "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    )


def test_default_pod_only():
    spec = make_spec(hostNetwork=True)
    spec["containers"][0]["ports"] = [{"containerPort": 8080, "protocol": "TCP"}]
    spec["containers"][0]["resources"] = {"limits": {"cpu": "1"}, "requests": {"memory": "1Gi"}}
    podspec.default_pod_only(spec)
    assert spec["enableServiceLinks"] is True
    assert spec["containers"][0]["ports"][0]["hostPort"] == 8080
    assert spec["containers"][0]["resources"]["requests"] == {"memory": "1Gi", "cpu": "1"}


# --- gated fields ---


@pytest.mark.parametrize(
    ("gates", "old", "kept"),
    [
        pytest.param(None, None, False, id="gate off, create: dropped"),
        pytest.param(None, {"hostUsers": True}, True, id="gate off, old used it: kept"),
        pytest.param(None, {}, False, id="gate off, old did not use it: dropped"),
        pytest.param(FeatureGates({"UserNamespacesSupport": True}), None, True, id="gate on: kept"),
    ],
)
def test_drop_host_users(gates, old, kept):
    spec = make_spec(hostUsers=False)
    podspec.drop_disabled_fields(spec, old, gates)
    assert ("hostUsers" in spec) is kept


def test_drop_recursive_read_only():
    spec = make_spec(volumes=[{"name": "v", "emptyDir": {}}])
    spec["containers"][0]["volumeMounts"] = [{"name": "v", "mountPath": "/v", "readOnly": True, "recursiveReadOnly": "Enabled"}]
    off = copy.deepcopy(spec)
    podspec.drop_disabled_fields(off, None)
    assert "recursiveReadOnly" not in off["containers"][0]["volumeMounts"][0]
    in_use = copy.deepcopy(spec)
    podspec.drop_disabled_fields(in_use, spec)
    assert in_use["containers"][0]["volumeMounts"][0]["recursiveReadOnly"] == "Enabled"
    on = copy.deepcopy(spec)
    podspec.drop_disabled_fields(on, None, FeatureGates({"RecursiveReadOnlyMounts": True}))
    assert on["containers"][0]["volumeMounts"][0]["recursiveReadOnly"] == "Enabled"


# --- validation ---


def test_valid_spec_has_no_errors():
    assert messages(make_spec()) == []


def _with_container(**fields):
    spec = make_spec()
    spec["containers"][0].update(fields)
    return spec


LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end "
    "with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param(make_spec(containers=[]), ["spec.containers: Required value"], id="no containers"),
        pytest.param(
            _with_container(name="Bad_Name"),
            ['spec.containers[0].name: Invalid value: "Bad_Name": ' + LABEL_MSG],
            id="container name not a DNS label",
        ),
        pytest.param(_with_container(name=""), ["spec.containers[0].name: Required value"], id="container name required"),
        pytest.param(_with_container(image=""), ["spec.containers[0].image: Required value"], id="image required"),
        pytest.param(
            _with_container(volumeMounts=[{"name": "x", "mountPath": "/x"}]),
            ['spec.containers[0].volumeMounts[0].name: Not found: "x"'],
            id="mount of unknown volume",
        ),
        pytest.param(
            _with_container(ports=[{"containerPort": 70000, "protocol": "TCP"}]),
            ["spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive"],
            id="port out of range",
        ),
        pytest.param(
            _with_container(ports=[{"containerPort": 80, "protocol": "HTTP"}]),
            ['spec.containers[0].ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"'],
            id="bad protocol",
        ),
        pytest.param(
            _with_container(ports=[{"name": "80", "containerPort": 80, "protocol": "TCP"}]),
            ['spec.containers[0].ports[0].name: Invalid value: "80": must contain at least one letter (a-z)'],
            id="port name without letter",
        ),
        pytest.param(
            _with_container(ports=[{"name": "web", "containerPort": 80, "protocol": "TCP"}, {"name": "web", "containerPort": 81, "protocol": "TCP"}]),
            ['spec.containers[0].ports[1].name: Duplicate value: "web"'],
            id="duplicate port name",
        ),
        pytest.param(
            _with_container(env=[{"name": "A", "value": "x", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]),
            ['spec.containers[0].env[0].valueFrom: Invalid value: "": may not be specified when `value` is not empty'],
            id="env value and valueFrom",
        ),
        pytest.param(
            _with_container(env=[{"name": "A", "valueFrom": {}}]),
            ['spec.containers[0].env[0].valueFrom: Invalid value: "": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'],
            id="env valueFrom without source",
        ),
        pytest.param(
            _with_container(env=[{"name": "A", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "k"}, "secretKeyRef": {"name": "s", "key": "k"}}}]),
            ['spec.containers[0].env[0].valueFrom: Invalid value: "": may not have more than one field specified at a time'],
            id="env valueFrom two sources",
        ),
        pytest.param(
            _with_container(env=[{"name": "A", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.foo"}}}]),
            [
                'spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Unsupported value: "spec.foo": supported values: '
                '"metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", '
                '"status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"'
            ],
            id="env fieldRef unsupported",
        ),
        pytest.param(
            _with_container(envFrom=[{}]),
            ['spec.containers[0].envFrom: Invalid value: "": must specify one of: `configMapRef` or `secretRef`'],
            id="envFrom without source",
        ),
        pytest.param(
            _with_container(resources={"requests": {"cpu": "2"}, "limits": {"cpu": "1"}}),
            ['spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1'],
            id="requests above limits",
        ),
        pytest.param(
            _with_container(resources={"requests": {"memory": "-1"}}),
            ['spec.containers[0].resources.requests[memory]: Invalid value: "-1": must be greater than or equal to 0'],
            id="negative request",
        ),
        pytest.param(
            _with_container(resources={"limits": {"foo": "1"}}),
            [
                'spec.containers[0].resources.limits[foo]: Invalid value: "foo": must be a standard resource type or fully qualified',
                'spec.containers[0].resources.limits[foo]: Invalid value: "foo": must be a standard resource for containers',
            ],
            id="unknown resource name",
        ),
        pytest.param(
            _with_container(resources={"requests": {"example.com/gpu": "1"}}),
            ["spec.containers[0].resources.limits: Required value: Limit must be set for non overcommitable resources"],
            id="extended resource without limit",
        ),
        pytest.param(
            _with_container(restartPolicy="Always"),
            ["spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers"],
            id="restartPolicy on regular container",
        ),
        pytest.param(
            _with_container(livenessProbe={"exec": {"command": ["true"]}, "successThreshold": 2, "timeoutSeconds": 1, "periodSeconds": 10, "failureThreshold": 3}),
            ["spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1"],
            id="liveness successThreshold",
        ),
        pytest.param(
            _with_container(readinessProbe={"timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3}),
            ["spec.containers[0].readinessProbe: Required value: must specify a handler type"],
            id="probe without handler",
        ),
        pytest.param(
            make_spec(restartPolicy="Sometimes"),
            ['spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'],
            id="bad restartPolicy",
        ),
        pytest.param(
            make_spec(dnsPolicy="Custom"),
            ['spec.dnsPolicy: Unsupported value: "Custom": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"'],
            id="bad dnsPolicy",
        ),
        pytest.param(
            make_spec(volumes=[{"name": "v", "emptyDir": {}, "hostPath": {"path": "/x", "type": ""}}]),
            ["spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type"],
            id="two volume sources",
        ),
        pytest.param(
            make_spec(volumes=[{"name": "v", "emptyDir": {}}, {"name": "v", "emptyDir": {}}]),
            ['spec.volumes[1].name: Duplicate value: "v"'],
            id="duplicate volume",
        ),
        pytest.param(
            make_spec(volumes=[{"name": "v", "secret": {"defaultMode": 1000}}]),
            ["spec.volumes[0].secret.secretName: Required value", "spec.volumes[0].secret.defaultMode: Invalid value: 1000: must be a number between 0 and 0777 (octal), both inclusive"],
            id="secret volume",
        ),
        pytest.param(
            make_spec(schedulingGates=[{"name": "foo"}, {"name": "foo"}]),
            ['spec.schedulingGates[1]: Duplicate value: "foo"'],
            id="duplicate scheduling gates",
        ),
        pytest.param(
            make_spec(activeDeadlineSeconds=0),
            ["spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive"],
            id="activeDeadlineSeconds zero",
        ),
        pytest.param(
            make_spec(tolerations=[{"operator": "Equal", "value": "x"}]),
            ['spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"'],
            id="toleration without key",
        ),
        pytest.param(
            make_spec(tolerations=[{"key": "k", "operator": "Exists", "effect": "NoSchedule", "tolerationSeconds": 5}]),
            ["spec.tolerations[0].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set"],
            id="tolerationSeconds without NoExecute",
        ),
        pytest.param(
            make_spec(affinity={"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": []}}}),
            ["spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: Required value: must have at least one node selector term"],
            id="empty node selector terms",
        ),
        pytest.param(
            make_spec(hostUsers=False, hostNetwork=True, hostPID=True, hostIPC=True),
            [
                "spec.hostNetwork: Forbidden: when `pod.Spec.HostUsers` is false",
                "spec.HostPID: Forbidden: when `pod.Spec.HostUsers` is false",
                "spec.HostIPC: Forbidden: when `pod.Spec.HostUsers` is false",
            ],
            id="hostUsers false with host namespaces",
        ),
        pytest.param(
            make_spec(nodeName="Bad_Node"),
            [
                'spec.nodeName: Invalid value: "Bad_Node": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric '
                "characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
                "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
            ],
            id="bad nodeName",
        ),
    ],
)
def test_validate_pod_spec(spec, expected):
    assert messages(spec) == expected


@pytest.mark.parametrize(
    ("mount", "expected"),
    [
        pytest.param({"recursiveReadOnly": "Enabled"}, ["spec.containers[0].volumeMounts.recursiveReadOnly: Forbidden: may only be specified when readOnly is true"], id="Enabled without readOnly"),
        pytest.param({"recursiveReadOnly": "IfPossible"}, ["spec.containers[0].volumeMounts.recursiveReadOnly: Forbidden: may only be specified when readOnly is true"], id="IfPossible without readOnly"),
        pytest.param({"recursiveReadOnly": "Enabled", "readOnly": True}, [], id="Enabled with readOnly"),
        pytest.param({"recursiveReadOnly": "Disabled"}, [], id="Disabled"),
        pytest.param(
            {"recursiveReadOnly": "Enabled", "readOnly": True, "mountPropagation": "HostToContainer"},
            ["spec.containers[0].volumeMounts.recursiveReadOnly: Forbidden: may only be specified when mountPropagation is None or not specified"],
            id="with propagation",
        ),
        pytest.param(
            {"recursiveReadOnly": "Always", "readOnly": True},
            ['spec.containers[0].volumeMounts.recursiveReadOnly: Unsupported value: "Always": supported values: "Disabled", "Enabled", "IfPossible"'],
            id="unknown value",
        ),
    ],
)
def test_recursive_read_only(mount, expected):
    spec = make_spec(volumes=[{"name": "v", "emptyDir": {}}])
    spec["containers"][0]["volumeMounts"] = [{"name": "v", "mountPath": "/v", **mount}]
    assert messages(spec) == expected


@pytest.mark.parametrize(
    ("init", "expected"),
    [
        pytest.param({"name": "i", "image": "x"}, [], id="plain init container"),
        pytest.param({"name": "c", "image": "x"}, ['spec.initContainers[0].name: Duplicate value: "c"'], id="name shared with a container"),
        pytest.param(
            {"name": "i", "image": "x", "readinessProbe": {"exec": {"command": ["true"]}}},
            ["spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always"],
            id="probe on plain init container",
        ),
        pytest.param(
            {"name": "i", "image": "x", "restartPolicy": "Always", "readinessProbe": {"exec": {"command": ["true"]}}},
            [],
            id="sidecar may have probes",
        ),
        pytest.param(
            {"name": "i", "image": "x", "restartPolicy": "OnFailure"},
            ['spec.initContainers[0].restartPolicy: Unsupported value: "OnFailure": supported values: "Always"'],
            id="bad init restartPolicy",
        ),
    ],
)
def test_init_containers(init, expected):
    spec = make_spec(initContainers=[init])
    assert messages(spec) == expected


def test_host_network_ports_must_match_on_pods_only():
    spec = make_spec(hostNetwork=True)
    spec["containers"][0]["ports"] = [{"containerPort": 80, "protocol": "TCP"}]
    assert messages(spec) == []
    assert messages(spec, podspec.PodValidationOptions(resource_is_pod=True)) == [
        "spec.containers[0].ports[0].hostPort: Invalid value: 0: must match `containerPort` when `hostNetwork` is true"
    ]


def test_pod_template_paths_skip_metadata():
    template = {"metadata": {"labels": {"a": "-bad-"}}, "spec": make_spec()}
    errs = [str(e) for e in podspec.validate_pod_template_spec(template, Path("spec", "template"))]
    assert len(errs) == 1 and errs[0].startswith('spec.template.labels: Invalid value: "-bad-": a valid label must')


def test_pod_deletion_cost_annotation():
    errs = podspec.validate_pod_specific_annotations({"controller.kubernetes.io/pod-deletion-cost": "x"}, {}, Path("metadata", "annotations"))
    assert [str(e) for e in errs] == ['metadata.annotations[controller.kubernetes.io/pod-deletion-cost]: Invalid value: "x": must be a 32bit integer']
