"""PV, PVC, RC, Endpoints, LimitRange, ResourceQuota, PodTemplate, ComponentStatus: validation
messages and paths as upstream v1.30 words them, defaulting, strategies and printer rows."""

import copy
from datetime import UTC, datetime

import pytest

from uwernetes.apiserver.resources import (
    componentstatuses,
    endpoints,
    limitranges,
    persistentvolumeclaims,
    persistentvolumes,
    podtemplates,
    replicationcontrollers,
    resourcequotas,
)
from uwernetes.apiserver.resources.base import Context
from uwernetes.machinery.errors import StatusError

CTX = Context()
NOW = datetime(2024, 1, 1, 0, 10, tzinfo=UTC)
CREATED = "2024-01-01T00:00:00Z"


def msgs(errs):
    return [str(e) for e in errs]


def created(strategy, obj):
    obj = copy.deepcopy(obj)
    obj.setdefault("metadata", {}).setdefault("name", "x")
    strategy.default(obj)
    strategy.prepare_for_create(obj, CTX)
    return obj


# --------------------------------------------------------------------------------------------
# PersistentVolume
# --------------------------------------------------------------------------------------------

PV = persistentvolumes.PERSISTENTVOLUMES.strategy


def pv(**spec):
    base = {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"], "hostPath": {"path": "/data"}}
    base.update(spec)
    return {"metadata": {"name": "pv1"}, "spec": {k: v for k, v in base.items() if v is not None}}


def test_pv_defaults_and_pending_phase():
    obj = created(PV, pv())
    assert obj["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    assert obj["spec"]["volumeMode"] == "Filesystem"
    assert obj["spec"]["hostPath"]["type"] == ""
    assert obj["status"]["phase"] == "Pending"
    assert "lastPhaseTransitionTime" in obj["status"]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param({}, [], id="valid"),
        pytest.param({"accessModes": None}, ["spec.accessModes: Required value"], id="no access modes"),
        pytest.param(
            {"accessModes": ["ReadWriteOnce", "Foo"]},
            ['spec.accessModes: Unsupported value: "Foo": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"'],
            id="unsupported access mode",
        ),
        pytest.param(
            {"accessModes": ["ReadWriteOncePod", "ReadOnlyMany"]},
            ["spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes"],
            id="ReadWriteOncePod with others",
        ),
        pytest.param(
            {"capacity": None},
            ["spec.capacity: Required value", 'spec.capacity: Unsupported value: core.ResourceList(nil): supported values: "storage"'],
            id="no capacity",
        ),
        pytest.param(
            {"capacity": {"storage": "0"}},
            ['spec.capacity[storage]: Invalid value: "0": must be greater than zero'],
            id="zero capacity",
        ),
        pytest.param(
            {"capacity": {"storage": "-1Gi"}},
            ["spec.capacity[storage]: Invalid value: -1073741824: must be a valid resource quantity",
             'spec.capacity[storage]: Invalid value: "-1Gi": must be greater than zero'],
            id="negative capacity",
        ),
        pytest.param({"hostPath": None}, ["spec: Required value: must specify a volume type"], id="no source"),
        pytest.param(
            {"nfs": {"server": "s", "path": "/p"}},
            ["spec.nfs: Forbidden: may not specify more than 1 volume type"],
            id="two sources",
        ),
        pytest.param(
            {"hostPath": None, "nfs": {"server": "s", "path": "rel"}},
            ['spec.nfs.path: Invalid value: "rel": must be an absolute path'],
            id="nfs relative path",
        ),
        pytest.param(
            {"hostPath": None, "local": {"path": "/mnt/disk"}},
            ["spec.nodeAffinity: Required value: Local volume requires node affinity"],
            id="local without node affinity",
        ),
        pytest.param(
            {"nodeAffinity": {}},
            ["spec.nodeAffinity.required: Required value: must specify required node constraints"],
            id="node affinity without required",
        ),
        pytest.param(
            {"nodeAffinity": {"required": {"nodeSelectorTerms": []}}},
            ["spec.nodeAffinity.required.nodeSelectorTerms: Required value: must have at least one node selector term"],
            id="node affinity without terms",
        ),
        pytest.param(
            {"nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [{"key": "k", "operator": "In"}]}]}}},
            ["spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"],
            id="node affinity term without values",
        ),
        pytest.param(
            {"persistentVolumeReclaimPolicy": "Keep"},
            ['spec.persistentVolumeReclaimPolicy: Unsupported value: "Keep": supported values: "Delete", "Recycle", "Retain"'],
            id="bad reclaim policy",
        ),
        pytest.param(
            {"hostPath": {"path": "/"}, "persistentVolumeReclaimPolicy": "Recycle"},
            ["spec.persistentVolumeReclaimPolicy: Forbidden: may not be 'recycle' for a hostPath mount of '/'"],
            id="recycle hostPath root",
        ),
        pytest.param(
            {"hostPath": None, "csi": {"driver": "csi.example.com", "nodePublishSecretRef": {"name": "s"}}},
            ["spec.csi.volumeHandle: Required value", "spec.csi.nodePublishSecretRef.namespace: Required value"],
            id="csi required fields",
        ),
        pytest.param(
            {"volumeMode": "Raw"},
            ['spec.volumeMode: Unsupported value: "Raw": supported values: "Block", "Filesystem"'],
            id="bad volume mode",
        ),
    ],
)
def test_pv_validate(spec, expected):
    obj = pv(**spec)
    PV.default(obj)
    if spec.get("volumeMode"):
        obj["spec"]["volumeMode"] = spec["volumeMode"]
    assert msgs(PV.validate(obj, CTX)) == expected


def test_pv_mount_options_need_a_supporting_plugin():
    obj = pv()
    obj["metadata"]["annotations"] = {"volume.beta.kubernetes.io/mount-options": "ro"}
    PV.default(obj)
    assert msgs(PV.validate(obj, CTX)) == [
        "metadata.annotations.volume.beta.kubernetes.io/mount-options: Forbidden: may not specify mount options for this volume type"
    ]


def test_pv_source_is_immutable_and_status_kept():
    old = created(PV, pv())
    new = copy.deepcopy(old)
    new["spec"]["hostPath"]["path"] = "/other"
    new["status"] = {"phase": "Bound"}
    PV.prepare_for_update(new, old, CTX)
    assert new["status"]["phase"] == "Pending"
    errs = PV.validate_update(new, old, CTX)
    assert [e.field for e in errs] == ["spec.persistentvolumesource"]
    assert str(errs[0]).startswith("spec.persistentvolumesource: Forbidden: spec.persistentvolumesource is immutable after creation\n")


def test_pv_status_update_keeps_spec_and_stamps_phase_change():
    old = created(PV, pv())
    old["status"]["lastPhaseTransitionTime"] = "2000-01-01T00:00:00Z"
    new = copy.deepcopy(old)
    new["spec"]["capacity"] = {"storage": "9Gi"}
    new["status"]["phase"] = "Available"
    PV.prepare_for_status_update(new, old, CTX)
    assert new["spec"]["capacity"] == {"storage": "1Gi"}
    assert new["status"]["lastPhaseTransitionTime"] != "2000-01-01T00:00:00Z"


def test_pv_recycle_and_storage_class_annotation_warnings():
    obj = pv(persistentVolumeReclaimPolicy="Recycle")
    obj["metadata"]["annotations"] = {"volume.beta.kubernetes.io/storage-class": "slow"}
    assert PV.warnings_on_create(obj, CTX) == [
        'metadata.annotations[volume.beta.kubernetes.io/storage-class]: deprecated since v1.8; use "storageClassName" attribute instead',
        "spec.persistentVolumeReclaimPolicy: The Recycle reclaim policy is deprecated. Instead, the recommended approach is to use dynamic provisioning.",
    ]


def test_bad_quantity_is_a_decode_error():
    with pytest.raises(StatusError) as exc:
        PV.default(pv(capacity={"storage": "lots"}))
    assert exc.value.code == 400
    assert exc.value.message.startswith('PersistentVolume in version "v1" cannot be handled as a PersistentVolume: quantities must match')


@pytest.mark.parametrize(
    ("obj", "row"),
    [
        pytest.param(
            {"metadata": {"name": "a", "creationTimestamp": CREATED},
             "spec": {"capacity": {"storage": "5Gi"}, "accessModes": ["ReadWriteMany", "ReadWriteOnce"],
                      "persistentVolumeReclaimPolicy": "Delete", "claimRef": {"namespace": "ns", "name": "c"},
                      "storageClassName": "fast", "volumeMode": "Block"},
             "status": {"phase": "Bound"}},
            ["a", "5Gi", "RWO,RWX", "Delete", "Bound", "ns/c", "fast", "<unset>", "", "10m", "Block"],
            id="bound",
        ),
        pytest.param(
            {"metadata": {"name": "b", "deletionTimestamp": CREATED, "annotations": {"volume.beta.kubernetes.io/storage-class": "old"}},
             "spec": {"volumeAttributesClassName": "gold"}, "status": {"phase": "Released", "reason": "why"}},
            ["b", "0", "", "", "Terminating", "", "old", "gold", "why", "<unknown>", "<unset>"],
            id="terminating, annotation class",
        ),
    ],
)
def test_pv_row(obj, row):
    assert persistentvolumes.PRINTER.row(obj, NOW) == row
    assert len(row) == len(persistentvolumes.PRINTER.columns)


# --------------------------------------------------------------------------------------------
# PersistentVolumeClaim
# --------------------------------------------------------------------------------------------

PVC = persistentvolumeclaims.PERSISTENTVOLUMECLAIMS.strategy


def pvc(**spec):
    base = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
    base.update(spec)
    return {"metadata": {"name": "c", "namespace": "ns"}, "spec": {k: v for k, v in base.items() if v is not None}}


def test_pvc_defaults_and_pending_phase():
    obj = created(PVC, pvc())
    assert obj["spec"]["volumeMode"] == "Filesystem"
    assert obj["status"] == {"phase": "Pending"}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param({}, [], id="valid"),
        pytest.param({"accessModes": []}, ["spec.accessModes: Required value: at least 1 access mode is required"], id="no access modes"),
        pytest.param({"resources": {}}, ["spec.resources[storage]: Required value"], id="no storage request"),
        pytest.param(
            {"resources": {"requests": {"storage": "0"}}},
            ['spec.resources[storage]: Invalid value: "0": must be greater than zero'],
            id="zero storage",
        ),
        pytest.param(
            {"storageClassName": "Bad_Name"},
            ["spec.storageClassName: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
             "characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
             "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"],
            id="bad class name",
        ),
        pytest.param(
            {"dataSource": {"kind": "PersistentVolumeClaim", "name": "a"},
             "dataSourceRef": {"kind": "PersistentVolumeClaim", "name": "b"}},
            ['spec: Invalid value: field.Path{name:"dataSource", index:"", parent:(*field.Path)(0xc000000000)}: must match dataSourceRef'],
            id="dataSource and dataSourceRef differ",
        ),
        pytest.param(
            {"dataSourceRef": {"kind": "Thing", "name": "a"}},
            # dataSourceRef is mirrored into dataSource first, so both are reported.
            ['spec.dataSource: Invalid value: "Thing": must be \'PersistentVolumeClaim\' when referencing the default apiGroup',
             'spec.dataSourceRef: Invalid value: "Thing": must be \'PersistentVolumeClaim\' when referencing the default apiGroup'],
            id="core kind other than PVC",
        ),
    ],
)
def test_pvc_validate(spec, expected):
    obj = created(PVC, pvc(**spec))
    assert msgs(PVC.validate(obj, CTX)) == expected


@pytest.mark.parametrize(
    ("spec", "data_source", "data_source_ref"),
    [
        pytest.param(
            {"dataSource": {"kind": "PersistentVolumeClaim", "name": "a"}},
            {"kind": "PersistentVolumeClaim", "name": "a"},
            {"kind": "PersistentVolumeClaim", "name": "a"},
            id="dataSource copied to dataSourceRef",
        ),
        pytest.param(
            {"dataSourceRef": {"apiGroup": "snapshot.storage.k8s.io", "kind": "VolumeSnapshot", "name": "s"}},
            {"apiGroup": "snapshot.storage.k8s.io", "kind": "VolumeSnapshot", "name": "s"},
            {"apiGroup": "snapshot.storage.k8s.io", "kind": "VolumeSnapshot", "name": "s"},
            id="dataSourceRef copied to dataSource",
        ),
        pytest.param(
            {"dataSource": {"apiGroup": "example.com", "kind": "Widget", "name": "w"}},
            None,
            None,
            id="unsupported dataSource dropped",
        ),
        pytest.param(
            {"dataSourceRef": {"apiGroup": "example.com", "kind": "Widget", "name": "w"}},
            {"apiGroup": "example.com", "kind": "Widget", "name": "w"},
            {"apiGroup": "example.com", "kind": "Widget", "name": "w"},
            id="any dataSourceRef kept and mirrored",
        ),
    ],
)
def test_pvc_data_source_normalization(spec, data_source, data_source_ref):
    obj = created(PVC, pvc(**spec))
    assert obj["spec"].get("dataSource") == data_source
    assert obj["spec"].get("dataSourceRef") == data_source_ref


def bound(obj, capacity="1Gi"):
    obj = copy.deepcopy(obj)
    obj["spec"]["volumeName"] = "pv1"
    obj["status"] = {"phase": "Bound", "capacity": {"storage": capacity}}
    return obj


def update(old, mutate):
    new = copy.deepcopy(old)
    mutate(new)
    PVC.default(new)
    PVC.prepare_for_update(new, old, CTX)
    return msgs(PVC.validate_update(new, old, CTX))


def test_pvc_bound_claim_may_expand():
    old = bound(created(PVC, pvc()))
    assert update(old, lambda n: n["spec"]["resources"]["requests"].update(storage="2Gi")) == []


def test_pvc_may_not_shrink():
    old = bound(created(PVC, pvc(resources={"requests": {"storage": "2Gi"}})), capacity="2Gi")
    assert update(old, lambda n: n["spec"]["resources"]["requests"].update(storage="1Gi")) == [
        "spec.resources.requests.storage: Forbidden: field can not be less than previous value"
    ]


def test_pvc_spec_otherwise_immutable():
    old = bound(created(PVC, pvc()))
    errs = update(old, lambda n: n["spec"].update(accessModes=["ReadOnlyMany"]))
    assert len(errs) == 1
    assert errs[0].startswith(
        "spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n"
    )


def test_pvc_unbound_claim_may_not_change_requests_but_may_get_a_volume_name():
    old = created(PVC, pvc())
    assert update(old, lambda n: n["spec"].update(volumeName="pv9")) == []
    assert len(update(old, lambda n: n["spec"]["resources"]["requests"].update(storage="2Gi"))) == 1


def test_pvc_warnings():
    obj = created(PVC, pvc(resources={"requests": {"storage": "1.5"}}))
    assert PVC.warnings_on_create(obj, CTX) == [
        'spec.resources.requests[storage]: fractional byte value "1500m" is invalid, must be an integer'
    ]


def test_pvc_status_update_keeps_spec():
    old = created(PVC, pvc())
    new = copy.deepcopy(old)
    new["spec"]["accessModes"] = ["ReadOnlyMany"]
    new["status"] = {"phase": "Bound", "capacity": {"storage": "1Gi"}, "allocatedResources": {"storage": "1Gi"}}
    PVC.prepare_for_status_update(new, old, CTX)
    assert new["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert "allocatedResources" not in new["status"]  # RecoverVolumeExpansionFailure is off
    assert PVC.validate_status_update(new, old, CTX) == []


@pytest.mark.parametrize(
    ("obj", "row"),
    [
        pytest.param(
            {"metadata": {"name": "c", "creationTimestamp": CREATED}, "spec": {"storageClassName": "fast", "volumeMode": "Filesystem"},
             "status": {"phase": "Pending"}},
            ["c", "Pending", "", "", "", "fast", "<unset>", "10m", "Filesystem"],
            id="pending",
        ),
        pytest.param(
            {"metadata": {"name": "d"}, "spec": {"volumeName": "pv1", "resources": {"requests": {"storage": "1Gi"}}},
             "status": {"phase": "Bound", "capacity": {"storage": "2Gi"}, "accessModes": ["ReadWriteOncePod"]}},
            ["d", "Bound", "pv1", "2Gi", "RWOP", "", "<unset>", "<unknown>", "<unset>"],
            id="bound shows status capacity",
        ),
    ],
)
def test_pvc_row(obj, row):
    assert persistentvolumeclaims.PRINTER.row(obj, NOW) == row


# --------------------------------------------------------------------------------------------
# ReplicationController
# --------------------------------------------------------------------------------------------

RC = replicationcontrollers.REPLICATIONCONTROLLERS.strategy


def rc(**spec):
    base = {"template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}
    base.update(spec)
    return {"metadata": {"name": "web", "namespace": "ns"}, "spec": base}


def test_rc_defaults_selector_labels_and_replicas():
    obj = created(RC, rc())
    assert obj["spec"]["selector"] == {"app": "web"}
    assert obj["metadata"]["labels"] == {"app": "web"}
    assert obj["spec"]["replicas"] == 1
    assert obj["status"] == {"replicas": 0}
    assert obj["metadata"]["generation"] == 1
    assert obj["spec"]["template"]["spec"]["restartPolicy"] == "Always"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param({}, [], id="valid"),
        pytest.param(
            {"selector": {"app": "other"}},
            ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`'],
            id="selector mismatch",
        ),
        pytest.param({"replicas": -1}, ["spec.replicas: Invalid value: -1: must be greater than or equal to 0"], id="negative replicas"),
        pytest.param(
            {"template": {"metadata": {"labels": {"app": "web"}}, "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "i"}]}}},
            ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"'],
            id="restart policy",
        ),
        pytest.param(
            {"template": {"metadata": {"labels": {"app": "web"}}, "spec": {"activeDeadlineSeconds": 5, "containers": [{"name": "c", "image": "i"}]}}},
            ["spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicationController is not Supported"],
            id="active deadline",
        ),
        pytest.param(
            {"template": {"spec": {"containers": [{"name": "c", "image": "i"}]}}},
            ["spec.selector: Required value"],
            id="no selector and no labels",
        ),
    ],
)
def test_rc_validate(spec, expected):
    assert msgs(RC.validate(created(RC, rc(**spec)), CTX)) == expected


def test_rc_status_validation():
    obj = created(RC, rc())
    obj["status"] = {"replicas": 1, "readyReplicas": 2, "availableReplicas": 2}
    assert msgs(RC.validate_status_update(obj, obj, CTX)) == [
        "status.readyReplicas: Invalid value: 2: cannot be greater than status.replicas",
        "status.availableReplicas: Invalid value: 2: cannot be greater than status.replicas",
    ]


def test_rc_scale_round_trip():
    obj = created(RC, rc(replicas=2))
    obj["metadata"].update(uid="u1", resourceVersion="7", creationTimestamp=CREATED)
    scale = replicationcontrollers.to_scale(obj)
    assert scale == {
        "kind": "Scale", "apiVersion": "autoscaling/v1",
        "metadata": {"name": "web", "namespace": "ns", "uid": "u1", "resourceVersion": "7", "creationTimestamp": CREATED},
        "spec": {"replicas": 2}, "status": {"replicas": 0, "selector": "app=web"},
    }
    out = replicationcontrollers.apply_scale(obj, {"spec": {"replicas": 5}})
    assert out["spec"]["replicas"] == 5 and obj["spec"]["replicas"] == 2


def test_rc_row():
    obj = created(RC, rc(replicas=3, selector={"b": "2", "app": "web"}))
    obj["metadata"]["creationTimestamp"] = CREATED
    obj["spec"]["template"]["metadata"]["labels"]["b"] = "2"
    obj["status"] = {"replicas": 2, "readyReplicas": 1}
    assert replicationcontrollers.PRINTER.row(obj, NOW) == ["web", 3, 2, 1, "10m", "c", "nginx", "app=web,b=2"]


# --------------------------------------------------------------------------------------------
# Endpoints
# --------------------------------------------------------------------------------------------

EP = endpoints.ENDPOINTS.strategy


@pytest.mark.parametrize(
    ("subsets", "expected"),
    [
        pytest.param([{"addresses": [{"ip": "10.1.1.1"}], "ports": [{"port": 80}]}], [], id="valid"),
        pytest.param([{"ports": [{"port": 80}]}], ["subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`"], id="no addresses"),
        pytest.param(
            [{"addresses": [{"ip": "nope"}]}],
            ['subsets[0].addresses[0].ip: Invalid value: "nope": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
             'subsets[0].addresses[0].ip: Invalid value: "nope": must be a valid IP address'],
            id="bad ip",
        ),
        pytest.param(
            [{"notReadyAddresses": [{"ip": "127.0.0.1"}, {"ip": "169.254.1.1"}, {"ip": "0.0.0.0"}, {"ip": "224.0.0.5"}]}],
            ['subsets[0].notReadyAddresses[0].ip: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
             'subsets[0].notReadyAddresses[1].ip: Invalid value: "169.254.1.1": may not be in the link-local range (169.254.0.0/16, fe80::/10)',
             'subsets[0].notReadyAddresses[2].ip: Invalid value: "0.0.0.0": may not be unspecified (0.0.0.0)',
             'subsets[0].notReadyAddresses[3].ip: Invalid value: "224.0.0.5": may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)'],
            id="special ips",
        ),
        pytest.param(
            [{"addresses": [{"ip": "10.1.1.1"}], "ports": [{"port": 80, "protocol": "TCP"}, {"name": "b", "port": 0, "protocol": "HTTP"}]}],
            ["subsets[0].ports[0].name: Required value",
             "subsets[0].ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive",
             'subsets[0].ports[1].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"'],
            id="ports",
        ),
    ],
)
def test_endpoints_validate(subsets, expected):
    obj = {"metadata": {"name": "e"}, "subsets": subsets}
    EP.default(obj)
    assert msgs(EP.validate(obj, CTX)) == expected


def test_endpoints_repacked_on_create():
    obj = created(EP, {"subsets": [
        {"addresses": [{"ip": "10.0.0.2"}], "notReadyAddresses": [{"ip": "10.0.0.9"}], "ports": [{"port": 80}]},
        {"addresses": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.9"}], "ports": [{"port": 80, "protocol": "TCP"}]},
    ]})
    assert obj["subsets"] == [{"addresses": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}, {"ip": "10.0.0.9"}],
                               "ports": [{"port": 80, "protocol": "TCP"}]}]


@pytest.mark.parametrize(
    ("subsets", "text"),
    [
        pytest.param(None, "<none>", id="no subsets"),
        pytest.param([{"notReadyAddresses": [{"ip": "1.1.1.1"}], "ports": [{"port": 80}]}], "", id="only not ready"),
        pytest.param([{"addresses": [{"ip": "1.1.1.1"}, {"ip": "2.2.2.2"}]}], "1.1.1.1,2.2.2.2", id="headless without ports"),
        pytest.param(
            [{"addresses": [{"ip": "1.1.1.1"}, {"ip": "2.2.2.2"}], "ports": [{"port": 80}, {"port": 443}]}],
            "1.1.1.1:80,2.2.2.2:80,1.1.1.1:443 + 1 more...",
            id="more than three",
        ),
        pytest.param([{"addresses": [{"ip": "fd00::1"}], "ports": [{"port": 8080}]}], "[fd00::1]:8080", id="ipv6"),
    ],
)
def test_format_endpoints(subsets, text):
    assert endpoints.format_endpoints({"subsets": subsets}) == text


# --------------------------------------------------------------------------------------------
# LimitRange
# --------------------------------------------------------------------------------------------

LR = limitranges.LIMITRANGES.strategy


def lr(*items):
    return {"metadata": {"name": "l", "namespace": "ns"}, "spec": {"limits": list(items)}}


def q(value, scale, s, fmt="DecimalSI"):
    return (f"resource.Quantity{{i:resource.int64Amount{{value:{value}, scale:{scale}}}, "
            f'd:resource.infDecAmount{{Dec:(*inf.Dec)(nil)}}, s:"{s}", Format:"{fmt}"}}')


def test_limitrange_container_defaults():
    obj = created(LR, lr({"type": "Container", "max": {"cpu": "2"}, "min": {"memory": "64Mi"}}))
    item = obj["spec"]["limits"][0]
    assert item["default"] == {"cpu": "2"}
    assert item["defaultRequest"] == {"cpu": "2", "memory": "64Mi"}


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        pytest.param([{"type": "Container", "min": {"cpu": "100m"}, "max": {"cpu": "1"}}], [], id="valid"),
        pytest.param(
            [{"type": "Pod", "min": {"cpu": "200m"}, "max": {"cpu": "100m"}}],
            [f"spec.limits[0].min[cpu]: Invalid value: {q(200, -3, '200m')}: min value 200m is greater than max value 100m"],
            id="min above max",
        ),
        pytest.param(
            [{"type": "Container", "default": {"memory": "1Gi"}, "defaultRequest": {"memory": "2Gi"}}],
            [f"spec.limits[0].defaultRequest[memory]: Invalid value: {q(2147483648, 0, '2Gi', 'BinarySI')}: "
             "default request value 2Gi is greater than default limit value 1Gi"],
            id="request above default",
        ),
        pytest.param(
            [{"type": "Pod", "default": {"cpu": "1"}}],
            ["spec.limits[0].default: Forbidden: may not be specified when `type` is 'Pod'"],
            id="pod default",
        ),
        pytest.param(
            [{"type": "PersistentVolumeClaim", "max": {"cpu": "1"}}],
            ["spec.limits[0].limits: Required value: either minimum or maximum storage value is required, but neither was provided"],
            id="pvc without storage",
        ),
        pytest.param(
            [{"type": "Pod", "min": {"cpu": "1"}}, {"type": "Pod", "max": {"cpu": "1"}}],
            ['spec.limits[1].type: Duplicate value: "Pod"'],
            id="duplicate type",
        ),
        pytest.param(
            [{"type": "Thing"}],
            ['spec.limits[0].type: Invalid value: "Thing": must be a standard limit type or fully qualified'],
            id="unknown type",
        ),
        pytest.param(
            [{"type": "Pod", "maxLimitRequestRatio": {"cpu": "500m"}}],
            [f"spec.limits[0].maxLimitRequestRatio[cpu]: Invalid value: {q(500, -3, '500m')}: ratio 500m is less than 1"],
            id="ratio below one",
        ),
        pytest.param(
            [{"type": "Pod", "min": {"cpu": "1"}, "max": {"cpu": "2"}, "maxLimitRequestRatio": {"cpu": "3"}}],
            [f"spec.limits[0].maxLimitRequestRatio[cpu]: Invalid value: {q(3, 0, '3')}: ratio 3 is greater than max/min = 2.000000"],
            id="ratio above max over min",
        ),
    ],
)
def test_limitrange_validate(items, expected):
    assert msgs(LR.validate(created(LR, lr(*items)), CTX)) == expected


@pytest.mark.parametrize(
    ("text", "literal"),
    [
        pytest.param("1", q(1, 0, "1"), id="integer"),
        pytest.param("8Gi", q(8589934592, 0, "", "BinarySI"), id="binary not cached"),
        pytest.param("1500m", q(1500, -3, "1500m"), id="canonical text cached"),
        pytest.param("2000m", q(2000, -3, ""), id="trailing zeros not cached"),
        pytest.param("1.5", q(15, -1, ""), id="fraction"),
        pytest.param("1n", q(1, -3, ""), id="rounded up to milli"),
    ],
)
def test_go_quantity(text, literal):
    assert str(limitranges.go_quantity(text)) == literal


def test_limitrange_row_created_at():
    obj = {"metadata": {"name": "l", "creationTimestamp": "2024-01-01T01:00:00+01:00"}}
    assert limitranges.PRINTER.row(obj, NOW) == ["l", "2024-01-01T00:00:00Z"]
    assert [c.name for c in limitranges.PRINTER.columns] == ["Name", "Created At"]


# --------------------------------------------------------------------------------------------
# ResourceQuota
# --------------------------------------------------------------------------------------------

RQ = resourcequotas.RESOURCEQUOTAS.strategy


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param({"hard": {"pods": "10", "requests.cpu": "1", "count/deployments.apps": "2"}}, [], id="valid"),
        pytest.param(
            {"hard": {"pods": "1500m"}},
            [f"spec.hard[pods]: Invalid value: {q(1500, -3, '1500m')}: must be an integer"],
            id="fractional count",
        ),
        pytest.param(
            {"hard": {"foo": "1"}},
            ['spec.hard[foo]: Invalid value: "foo": must be a standard resource type or fully qualified',
             'spec.hard[foo]: Invalid value: "foo": must be a standard resource for quota'],
            id="unknown resource",
        ),
        pytest.param(
            {"hard": {"cpu": "-1"}},
            ['spec.hard[cpu]: Invalid value: "-1": must be greater than or equal to 0'],
            id="negative",
        ),
        pytest.param(
            {"hard": {"pods": "1"}, "scopes": ["BestEffort", "NotBestEffort"]},
            ['spec.scopes: Invalid value: []core.ResourceQuotaScope{"BestEffort", "NotBestEffort"}: conflicting scopes'],
            id="conflicting scopes",
        ),
        pytest.param(
            {"hard": {"cpu": "1"}, "scopes": ["BestEffort"]},
            ['spec.scopes: Invalid value: []core.ResourceQuotaScope{"BestEffort"}: unsupported scope applied to resource'],
            id="scope not valid for resource",
        ),
        pytest.param(
            {"hard": {"pods": "1"}, "scopeSelector": {"matchExpressions": [{"scopeName": "Terminating", "operator": "In", "values": ["x"]}]}},
            ["spec.scopeSelector.matchExpressions.operator: Invalid value: \"In\": must be 'Exists' when scope is any of "
             "ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, "
             "ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity"],
            id="scope selector operator",
        ),
    ],
)
def test_resourcequota_validate(spec, expected):
    obj = created(RQ, {"metadata": {"name": "q", "namespace": "ns"}, "spec": spec})
    assert msgs(RQ.validate(obj, CTX)) == expected


def test_resourcequota_scopes_immutable_and_status_cleared():
    old = created(RQ, {"spec": {"hard": {"pods": "1"}, "scopes": ["Terminating"]}, "status": {"used": {"pods": "1"}}})
    assert "status" not in old
    new = copy.deepcopy(old)
    new["spec"]["scopes"] = ["NotTerminating"]
    assert msgs(RQ.validate_update(new, old, CTX)) == [
        'spec.scopes: Invalid value: []core.ResourceQuotaScope{"NotTerminating"}: field is immutable'
    ]


def test_resourcequota_row():
    obj = {"metadata": {"name": "q", "creationTimestamp": CREATED},
           "status": {"hard": {"pods": "10", "limits.cpu": "2", "cpu": "1", "limits.memory": "1Gi"},
                      "used": {"pods": "3", "limits.cpu": "500m"}}}
    assert resourcequotas.PRINTER.row(obj, NOW) == [
        "q", "10m", "cpu: 0/1, pods: 3/10", "limits.cpu: 500m/2, limits.memory: 0/1Gi"
    ]


# --------------------------------------------------------------------------------------------
# PodTemplate and ComponentStatus
# --------------------------------------------------------------------------------------------

PT = podtemplates.PODTEMPLATES.strategy


def test_podtemplate_validates_template_at_template_path():
    obj = created(PT, {"metadata": {"name": "t", "namespace": "ns"},
                       "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c"}]}}})
    assert msgs(PT.validate(obj, CTX)) == ["template.spec.containers[0].image: Required value"]
    assert obj["metadata"]["generation"] == 1


def test_podtemplate_row():
    obj = {"metadata": {"name": "t"}, "template": {"metadata": {"labels": {"b": "2", "a": "1"}},
                                                   "spec": {"containers": [{"name": "c1", "image": "i1"}, {"name": "c2", "image": "i2"}]}}}
    assert podtemplates.PRINTER.row(obj, NOW) == ["t", "c1,c2", "i1,i2", "a=1,b=2"]


def test_component_statuses_and_rows():
    items = componentstatuses.component_statuses()
    assert [i["metadata"]["name"] for i in items] == ["controller-manager", "etcd-0", "scheduler"]
    assert [componentstatuses.PRINTER.row(i) for i in items][0] == ["controller-manager", "Healthy", "ok", ""]
    bad = componentstatuses.component_status("etcd-1", healthy=False, message="", error="dial failed")
    assert componentstatuses.PRINTER.row(bad) == ["etcd-1", "Unhealthy", "", "dial failed"]
    assert componentstatuses.PRINTER.row({"metadata": {"name": "x"}}) == ["x", "Unknown", "", ""]
    assert componentstatuses.COMPONENTSTATUSES.verbs == ("get", "list")
