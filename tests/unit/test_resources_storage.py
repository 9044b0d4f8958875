"""storage.k8s.io/v1: StorageClass, CSIDriver, CSINode, VolumeAttachment validation and printing."""

from datetime import UTC, datetime

import pytest

from uwernetes.apiserver.resources import csidrivers, csinodes, storageclasses, volumeattachments
from uwernetes.apiserver.resources.base import Context

NOW = datetime(2024, 5, 1, tzinfo=UTC)
CREATED = "2024-04-30T22:00:00Z"


def msgs(errs):
    return [str(e) for e in errs]


def sc(**kw):
    obj = {"metadata": {"name": "fast", "creationTimestamp": CREATED}, "provisioner": "kubernetes.io/gce-pd", **kw}
    storageclasses.STORAGECLASSES.strategy.default(obj)
    return obj


QNAME = ("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
         "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
         "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")


@pytest.mark.parametrize(("obj", "expected"), [
    pytest.param(sc(), [], id="valid"),
    pytest.param(sc(provisioner=""), ["provisioner: Required value"], id="missing provisioner"),
    pytest.param(sc(provisioner="bad provisioner"), [f'provisioner: Invalid value: "bad provisioner": {QNAME}'],
                 id="provisioner not a qualified name"),
    pytest.param(sc(reclaimPolicy="Recycle"),
                 ['reclaimPolicy: Unsupported value: "Recycle": supported values: "Delete", "Retain"'], id="reclaim"),
    pytest.param(sc(volumeBindingMode="Later"),
                 ['volumeBindingMode: Unsupported value: "Later": supported values: "Immediate", '
                  '"WaitForFirstConsumer"'], id="binding mode"),
    pytest.param(sc(parameters={"": "x"}), ['parameters: Invalid value: "": field can not be empty.'], id="empty key"),
    pytest.param(sc(parameters={f"k{i}": "v" for i in range(513)}), ["parameters: Too long: must have at most 512 bytes"],
                 id="too many parameters"),
    pytest.param(sc(allowedTopologies=[{"matchLabelExpressions": [{"key": "zone", "values": []}]}]),
                 ["allowedTopologies[0].matchLabelExpressions[0].values: Required value"], id="topology without values"),
    pytest.param(sc(allowedTopologies=[{"matchLabelExpressions": [{"key": "zone", "values": ["a", "a"]},
                                                                  {"key": "zone", "values": ["b"]}]}]),
                 ['allowedTopologies[0].matchLabelExpressions[0].values[1]: Duplicate value: "a"',
                  'allowedTopologies[0].matchLabelExpressions[1].key: Duplicate value: "zone"'],
                 id="duplicate values and keys"),
    pytest.param(sc(allowedTopologies=[{"matchLabelExpressions": [{"key": "zone", "values": ["a"]}]},
                                       {"matchLabelExpressions": [{"key": "zone", "values": ["a"]}]}]),
                 ['allowedTopologies[1].matchLabelExpressions: Duplicate value: ""'], id="duplicate terms"),
])
def test_storage_class_validation(obj, expected):
    assert msgs(storageclasses.STORAGECLASSES.strategy.validate(obj, Context())) == expected


def test_storage_class_defaults_and_immutability():
    old = sc(parameters={"type": "pd-ssd"})
    assert (old["reclaimPolicy"], old["volumeBindingMode"]) == ("Delete", "Immediate")
    new = sc(parameters={"type": "pd-standard"}, provisioner="example.com/other", reclaimPolicy="Retain",
             volumeBindingMode="WaitForFirstConsumer", allowVolumeExpansion=True)
    assert msgs(storageclasses.STORAGECLASSES.strategy.validate_update(new, old, Context())) == [
        "parameters: Forbidden: updates to parameters are forbidden.",
        "provisioner: Forbidden: updates to provisioner are forbidden.",
        "reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden.",
        'volumeBindingMode: Invalid value: "WaitForFirstConsumer": field is immutable',
    ]
    assert storageclasses.STORAGECLASSES.strategy.validate_update(
        sc(parameters={"type": "pd-ssd"}, allowVolumeExpansion=True), old, Context()) == []


def test_storage_class_rows():
    default = sc()
    default["metadata"]["annotations"] = {"storageclass.kubernetes.io/is-default-class": "true"}
    assert storageclasses.table_row(default, NOW) == ["fast (default)", "kubernetes.io/gce-pd", "Delete", "Immediate",
                                                      False, "120m"]
    beta = sc(allowVolumeExpansion=True, reclaimPolicy="Retain")
    beta["metadata"]["annotations"] = {"storageclass.beta.kubernetes.io/is-default-class": "false"}
    assert storageclasses.table_row(beta, NOW)[:5] == ["fast", "kubernetes.io/gce-pd", "Retain", "Immediate", True]


def driver(**spec):
    obj = {"metadata": {"name": "csi.example.com", "creationTimestamp": CREATED}, "spec": dict(spec)}
    csidrivers.CSIDRIVERS.strategy.default(obj)
    return obj


def test_csi_driver_defaults():
    assert driver()["spec"] == {
        "attachRequired": True, "podInfoOnMount": False, "storageCapacity": False,
        "fsGroupPolicy": "ReadWriteOnceWithFSType", "requiresRepublish": False, "seLinuxMount": False,
        "volumeLifecycleModes": ["Persistent"],
    }


@pytest.mark.parametrize(("obj", "expected"), [
    pytest.param(driver(), [], id="defaults are valid"),
    pytest.param(driver(fsGroupPolicy="Sometimes"),
                 ['spec.fsGroupPolicy: Unsupported value: "Sometimes": supported values: "File", "None", '
                  '"ReadWriteOnceWithFSType"'], id="fsGroupPolicy"),
    pytest.param(driver(volumeLifecycleModes=["Persistent", "Forever"]),
                 ['spec.volumeLifecycleModes: Unsupported value: "Forever": supported values: "Persistent", '
                  '"Ephemeral"'], id="modes"),
    pytest.param(driver(tokenRequests=[{"audience": "a", "expirationSeconds": 10}, {"audience": "a"}]),
                 ["spec.tokenRequests[0].expirationSeconds: Invalid value: 10: may not specify a duration less than "
                  "10 minutes", 'spec.tokenRequests[1].audience: Duplicate value: "a"'], id="token requests"),
])
def test_csi_driver_validation(obj, expected):
    assert msgs(csidrivers.CSIDRIVERS.strategy.validate(obj, Context())) == expected


def test_csi_driver_update():
    s = csidrivers.CSIDRIVERS.strategy
    old = driver()
    old["metadata"]["generation"] = 1
    assert msgs(s.validate_update(driver(attachRequired=False, volumeLifecycleModes=["Ephemeral"]), old, Context())) == [
        "spec.attachedRequired: Invalid value: false: field is immutable",
        'spec.volumeLifecycleModes: Invalid value: []string{"Ephemeral"}: field is immutable',
    ]
    new = driver(podInfoOnMount=True)
    assert s.validate_update(new, old, Context()) == []
    s.prepare_for_update(new, old, Context())
    assert new["metadata"]["generation"] == 2


def test_csi_driver_row():
    assert csidrivers.table_row(driver(), NOW) == ["csi.example.com", True, False, False, "<unset>", False,
                                                   "Persistent", "120m"]
    row = csidrivers.table_row(driver(tokenRequests=[{"audience": "a"}, {"audience": "b"}], volumeLifecycleModes=[
        "Persistent", "Ephemeral"]), NOW)
    assert row[4] == "a,b" and row[6] == "Persistent,Ephemeral"


def test_csi_node_validation_and_update():
    node = {"metadata": {"name": "n1"}, "spec": {"drivers": [
        {"name": "csi.example.com", "nodeID": "n1", "topologyKeys": ["zone", "zone"]},
        {"name": "csi.example.com", "nodeID": "", "allocatable": {"count": -1}},
    ]}}
    assert msgs(csinodes.CSINODES.strategy.validate(node, Context())) == [
        'spec.drivers[0]: Duplicate value: "zone"',
        "spec.drivers[1].nodeID: Required value",
        "spec.drivers[1].allocatable.count: Invalid value: -1: must be greater than or equal to 0",
        'spec.drivers[1].name: Duplicate value: "csi.example.com"',
    ]
    old = {"metadata": {"name": "n1"}, "spec": {"drivers": [{"name": "a.example.com", "nodeID": "x"}]}}
    changed = {"metadata": {"name": "n1"}, "spec": {"drivers": [{"name": "a.example.com", "nodeID": "y"}]}}
    assert [e.field for e in csinodes.CSINODES.strategy.validate_update(changed, old, Context())] == ["CSINodeDriver"]
    added = {"metadata": {"name": "n1"}, "spec": {"drivers": [{"name": "a.example.com", "nodeID": "x"},
                                                              {"name": "b.example.com", "nodeID": "x"}]}}
    assert csinodes.CSINODES.strategy.validate_update(added, old, Context()) == []
    assert csinodes.table_row(added, NOW) == ["n1", 2, "<unknown>"]


def va(**spec):
    base = {"attacher": "csi.example.com", "nodeName": "node-1", "source": {"persistentVolumeName": "pv-1"}}
    return {"metadata": {"name": "csi-123", "creationTimestamp": CREATED}, "spec": {**base, **spec}}


@pytest.mark.parametrize(("obj", "expected"), [
    pytest.param(va(), [], id="valid"),
    pytest.param(va(source={}), ["spec.source: Required value: must specify exactly one of inlineVolumeSpec and "
                                 "persistentVolumeName"], id="no source"),
    pytest.param(va(source={"persistentVolumeName": "pv", "inlineVolumeSpec": {}}),
                 ["spec.source: Forbidden: must specify exactly one of inlineVolumeSpec and persistentVolumeName"],
                 id="two sources"),
    pytest.param(va(attacher="Bad_Attacher"),
                 ['spec.attacher: Invalid value: "Bad_Attacher": a lowercase RFC 1123 subdomain must consist of lower '
                  "case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character "
                  "(e.g. 'example.com', regex used for validation is "
                  "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"], id="attacher"),
])
def test_volume_attachment_validation(obj, expected):
    assert msgs(volumeattachments.VOLUMEATTACHMENTS.strategy.validate(obj, Context())) == expected


def test_volume_attachment_spec_immutable_and_status():
    s = volumeattachments.VOLUMEATTACHMENTS.strategy
    old = va()
    assert [e.field for e in s.validate_update(va(nodeName="node-2"), old, Context())] == ["spec"]
    new = va(nodeName="node-2")
    new["status"] = {"attached": True}
    s.prepare_for_status_update(new, old, Context())
    assert new["spec"]["nodeName"] == "node-1" and s.validate_status_update(new, old, Context()) == []
    assert volumeattachments.table_row(new, NOW) == ["csi-123", "csi.example.com", "pv-1", "node-1", True, "120m"]
