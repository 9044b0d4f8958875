"""storage.k8s.io/v1 CSIStorageCapacity: defaulting (canonical quantities), validation on create and
update (upstream's ValidateCSIStorageCapacity*), and the printer row; plus core/v1 Binding validation."""

import pytest

from uwernetes.apiserver.resources import bindings
from uwernetes.apiserver.resources import csistoragecapacities as csc
from uwernetes.machinery import errors

SUBDOMAIN = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
             "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
             "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
LABEL_VALUE = ("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
               "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used "
               "for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")


def msgs(errs):
    return [str(e) for e in errs]


def cap(**kw):
    obj = {"metadata": {"name": "c1", "namespace": "default"}, "storageClassName": "fast", **kw}
    csc.default_csi_storage_capacity(obj)
    return obj


def test_quantities_are_canonical_and_bad_ones_fail_decoding():
    obj = cap(capacity="1024Mi", maximumVolumeSize="0.5Gi")
    assert (obj["capacity"], obj["maximumVolumeSize"]) == ("1Gi", "512Mi")
    with pytest.raises(errors.StatusError) as e:
        cap(capacity="lots")
    assert e.value.code == 400
    assert e.value.message.startswith('CSIStorageCapacity in version "storage.k8s.io/v1" cannot be handled as a '
                                      "CSIStorageCapacity: ")


@pytest.mark.parametrize(("obj", "expected"), [
    pytest.param(cap(capacity="1Gi", nodeTopology={"matchLabels": {"zone": "a"}}), [], id="valid"),
    pytest.param(cap(), [], id="capacity is optional"),
    pytest.param(cap(storageClassName=""), [f'storageClassName: Invalid value: "": {SUBDOMAIN}'],
                 id="empty storage class name"),
    pytest.param(cap(storageClassName="Fast_Class"), [f'storageClassName: Invalid value: "Fast_Class": {SUBDOMAIN}'],
                 id="storage class name not a subdomain"),
    pytest.param(cap(capacity="-1Gi"), ['capacity: Invalid value: "-1Gi": must be greater than or equal to 0'],
                 id="negative capacity"),
    pytest.param(cap(maximumVolumeSize="-1Gi"), [], id="maximumVolumeSize is not validated"),
    pytest.param(cap(nodeTopology={"matchExpressions": [{"key": "zone", "operator": "In"}]}),
                 ["nodeTopology.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' "
                  "or 'NotIn'"], id="In without values"),
    pytest.param(cap(nodeTopology={"matchExpressions": [{"key": "zone", "operator": "In", "values": ["-x"]}]}),
                 [f'nodeTopology.matchExpressions[0].values[0]: Invalid value: "-x": {LABEL_VALUE}'],
                 id="invalid label value in selector"),
    pytest.param(cap(nodeTopology={"matchExpressions": [{"key": "zone", "operator": "Near"}]}),
                 ['nodeTopology.matchExpressions[0].operator: Invalid value: "Near": not a valid selector operator'],
                 id="bad operator"),
])
def test_validate(obj, expected):
    assert msgs(csc.validate_csi_storage_capacity(obj)) == expected


def test_update_freezes_class_and_topology():
    old = cap(capacity="1Gi", nodeTopology={"matchLabels": {"zone": "a"}})
    assert csc.validate_csi_storage_capacity_update(cap(capacity="2Gi", nodeTopology={"matchLabels": {"zone": "a"}}),
                                                    old) == []
    # Absent and empty lists compare equal, as Semantic.DeepEqual has them.
    assert csc.validate_csi_storage_capacity_update(
        cap(nodeTopology={"matchLabels": {"zone": "a"}, "matchExpressions": []}), old) == []
    new = cap(storageClassName="slow", nodeTopology={"matchLabels": {"zone": "b"},
                                                     "matchExpressions": [{"key": "k", "operator": "Exists"}]})
    assert msgs(csc.validate_csi_storage_capacity_update(new, old)) == [
        'nodeTopology: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"zone":"b"}, '
        'MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:"k", Operator:"Exists", '
        "Values:[]string(nil)}}}: field is immutable",
        'storageClassName: Invalid value: "slow": field is immutable',
    ]
    assert msgs(csc.validate_csi_storage_capacity_update(cap(), old)) == ["nodeTopology: Invalid value: null: field is immutable"]


def test_update_tolerates_invalid_label_values_already_stored():
    topology = {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["-x"]}]}
    assert csc.validate_csi_storage_capacity_update(cap(nodeTopology=topology), cap(nodeTopology=topology)) == []


def test_printer_row_has_upstreams_three_columns():
    assert [c.name for c in csc.PRINTER.columns] == ["Name", "StorageClassName", "Capacity"]
    assert csc.table_row(cap(capacity="2048Mi")) == ["c1", "fast", "2Gi"]
    assert csc.table_row(cap()) == ["c1", "fast", "<unset>"]


@pytest.mark.parametrize(("binding", "expected"), [
    pytest.param({"target": {"name": "node-1"}}, [], id="kind may be empty"),
    pytest.param({"target": {"kind": "Node", "name": "node-1"}}, [], id="node target"),
    pytest.param({"target": {"kind": "Pod"}}, ['target.kind: Unsupported value: "Pod": supported values: "Node", '
                                               '"<empty>"', "target.name: Required value"], id="bad kind, no name"),
    pytest.param({}, ["target.name: Required value"], id="no target"),
])
def test_validate_pod_binding(binding, expected):
    assert msgs(bindings.validate_pod_binding(binding)) == expected
