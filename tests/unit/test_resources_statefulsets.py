"""StatefulSet, DaemonSet and ControllerRevision kinds: defaults, validation, strategies, printers."""

import copy
from datetime import UTC, datetime

import pytest

from uwernetes.apiserver.resources import controllerrevisions, daemonsets, statefulsets
from uwernetes.apiserver.resources.base import Context
from uwernetes.apiserver.resources.catalogue import CORE_RESOURCES

STS = statefulsets.STATEFULSETS.strategy
DS = daemonsets.DAEMONSETS.strategy
CR = controllerrevisions.CONTROLLERREVISIONS.strategy
NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def msgs(errs):
    return [str(e) for e in errs]


def make(strategy, labels=None, selector=None, meta=None, **spec):
    obj = {
        "metadata": {"name": "web", "namespace": "default", "uid": "u1", "creationTimestamp": "2024-05-01T11:00:00Z",
                     **(meta or {})},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}} if selector is None else selector,
            "template": {"metadata": {"labels": {"app": "web"} if labels is None else labels},
                         "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}},
            **spec,
        },
    }
    strategy.default(obj)
    return obj


def test_registered_in_catalogue():
    by_plural = {rt.plural: rt for rt in CORE_RESOURCES if rt.group == "apps"}
    assert by_plural["statefulsets"].short_names == ("sts",)
    assert by_plural["statefulsets"].categories == ("all",)
    assert [s.name for s in by_plural["statefulsets"].subresources] == ["scale", "status"]
    assert by_plural["daemonsets"].short_names == ("ds",)
    assert [s.name for s in by_plural["daemonsets"].subresources] == ["status"]
    assert by_plural["controllerrevisions"].kind == "ControllerRevision"


# --- StatefulSet ---


def test_statefulset_defaults():
    spec = make(STS, serviceName="web")["spec"]
    assert spec["podManagementPolicy"] == "OrderedReady"
    assert spec["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
    assert spec["replicas"] == 1
    assert spec["revisionHistoryLimit"] == 10
    assert spec["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}
    assert spec["template"]["spec"]["restartPolicy"] == "Always"


def test_statefulset_defaults_keep_given_values_and_claim_templates():
    obj = make(STS, replicas=0, podManagementPolicy="Parallel", updateStrategy={"type": "OnDelete"},
               volumeClaimTemplates=[{"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"]}}])
    spec = obj["spec"]
    assert spec["replicas"] == 0
    assert spec["podManagementPolicy"] == "Parallel"
    assert spec["updateStrategy"] == {"type": "OnDelete"}
    assert spec["volumeClaimTemplates"][0]["spec"]["volumeMode"] == "Filesystem"
    assert spec["volumeClaimTemplates"][0]["status"] == {"phase": "Pending"}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param({}, [], id="valid"),
        pytest.param({"podManagementPolicy": "Bogus"},
                     ["spec.podManagementPolicy: Invalid value: \"Bogus\": must be 'OrderedReady' or 'Parallel'"],
                     id="bad pod management policy"),
        pytest.param({"updateStrategy": {"type": "Bogus"}},
                     ['spec.updateStrategy: Invalid value: apps.StatefulSetUpdateStrategy{Type:"Bogus", '
                      "RollingUpdate:(*apps.RollingUpdateStatefulSetStrategy)(nil)}: must be 'RollingUpdate' or 'OnDelete'"],
                     id="bad update strategy"),
        pytest.param({"updateStrategy": {"type": "OnDelete", "rollingUpdate": {"partition": 1}}},
                     ["spec.updateStrategy.rollingUpdate: Invalid value: apps.RollingUpdateStatefulSetStrategy{Partition:1, "
                      "MaxUnavailable:(*intstr.IntOrString)(nil)}: only allowed for updateStrategy 'RollingUpdate'"],
                     id="rollingUpdate with OnDelete"),
        pytest.param({"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": -1}}},
                     ["spec.updateStrategy.rollingUpdate.partition: Invalid value: -1: must be greater than or equal to 0"],
                     id="negative partition"),
        pytest.param({"replicas": -1}, ["spec.replicas: Invalid value: -1: must be greater than or equal to 0"], id="negative replicas"),
        pytest.param({"persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Keep", "whenScaled": "Retain"}},
                     ['spec.persistentVolumeClaimRetentionPolicy.whenDeleted: Unsupported value: "Keep": supported values: "Retain", "Delete"'],
                     id="bad retention policy"),
        pytest.param({"ordinals": {"start": -2}}, ["spec.ordinals.start: Invalid value: -2: must be greater than or equal to 0"],
                     id="negative start ordinal"),
    ],
)
def test_statefulset_validation(spec, expected):
    obj = make(STS, serviceName="web")
    obj["spec"].update(spec)
    assert msgs(STS.validate(obj, Context())) == expected


def test_statefulset_selector_and_template_checks():
    obj = make(STS, labels={"app": "other"})
    assert msgs(STS.validate(obj, Context())) == [
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"other"}: `selector` does not match template `labels`'
    ]
    obj = make(STS, selector={})
    assert msgs(STS.validate(obj, Context())) == [
        "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), "
        "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for statefulset"
    ]
    obj = make(STS)
    obj["spec"]["template"]["spec"]["restartPolicy"] = "Never"
    obj["spec"]["template"]["spec"]["activeDeadlineSeconds"] = 5
    assert msgs(STS.validate(obj, Context())) == [
        'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
        "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in StatefulSet is not Supported",
    ]


def test_statefulset_names_are_dns_labels():
    assert STS.name_check("web.v1") != []
    assert STS.name_check("web-1") == []


def test_statefulset_update_forbids_other_fields():
    old = make(STS, serviceName="web")
    new = copy.deepcopy(old)
    new["spec"]["replicas"] = 5
    new["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.26"
    new["spec"]["updateStrategy"] = {"type": "OnDelete"}
    new["spec"]["minReadySeconds"] = 3
    assert STS.validate_update(new, old, Context()) == []
    new["spec"]["serviceName"] = "other"
    assert msgs(STS.validate_update(new, old, Context())) == [
        "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
        "'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"
    ]


def test_statefulset_generation_and_status_strategy():
    old = make(STS)
    STS.prepare_for_create(old, Context())
    assert old["metadata"]["generation"] == 1 and old["status"] == {}
    old["status"] = {"replicas": 1}
    new = copy.deepcopy(old)
    new["status"] = {"replicas": 9}
    STS.prepare_for_update(new, old, Context())
    assert new["status"] == {"replicas": 1} and new["metadata"]["generation"] == 1
    new["spec"]["replicas"] = 3
    STS.prepare_for_update(new, old, Context())
    assert new["metadata"]["generation"] == 2
    status_new = copy.deepcopy(old)
    status_new["spec"]["replicas"] = 7
    status_new["status"] = {"replicas": 2, "readyReplicas": 3, "availableReplicas": 1}
    STS.prepare_for_status_update(status_new, old, Context())
    assert status_new["spec"]["replicas"] == 1
    assert msgs(STS.validate_status_update(status_new, old, Context())) == [
        "status.readyReplicas: Invalid value: 3: cannot be greater than status.replicas"
    ]


def test_statefulset_scale_and_printer():
    obj = make(STS, replicas=3)
    obj["metadata"]["resourceVersion"] = "5"
    obj["status"] = {"replicas": 2, "readyReplicas": 1}
    assert statefulsets.to_scale(obj)["spec"] == {"replicas": 3}
    assert statefulsets.to_scale(obj)["status"] == {"replicas": 2, "selector": "app=web"}
    assert statefulsets.apply_scale(obj, {"spec": {"replicas": 5}})["spec"]["replicas"] == 5
    assert [c.name for c in statefulsets.PRINTER.columns] == ["Name", "Ready", "Age", "Containers", "Images"]
    assert statefulsets.table_row(obj, NOW) == ["web", "1/3", "60m", "nginx", "nginx:1.25"]


# --- DaemonSet ---


def test_daemonset_defaults():
    spec = make(DS)["spec"]
    assert spec["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}
    assert spec["revisionHistoryLimit"] == 10
    assert make(DS, updateStrategy={"type": "OnDelete"})["spec"]["updateStrategy"] == {"type": "OnDelete"}


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        pytest.param({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}}, [], id="surge only"),
        pytest.param({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 1}},
                     ['spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:0, IntVal:1, StrVal:""}: '
                      "may not be set when maxUnavailable is non-zero"], id="both non-zero"),
        pytest.param({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 0}},
                     ["spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0"],
                     id="both zero"),
        pytest.param({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "120%", "maxSurge": 0}},
                     ['spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"120%"}: '
                      "must not be greater than 100%"], id="over 100 percent"),
        pytest.param({"type": "Bogus"},
                     ['spec.updateStrategy: Unsupported value: apps.DaemonSetUpdateStrategy{Type:"Bogus", '
                      'RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}: supported values: "RollingUpdate", "OnDelete"'],
                     id="bad type"),
    ],
)
def test_daemonset_update_strategy_validation(strategy, expected):
    obj = make(DS, updateStrategy=strategy)
    assert msgs(DS.validate(obj, Context())) == expected


def test_daemonset_template_checks():
    obj = make(DS, labels={"app": "x"})
    obj["spec"]["template"]["spec"]["containers"][0]["image"] = ""
    assert msgs(DS.validate(obj, Context())) == [
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"x"}: `selector` does not match template `labels`',
        "spec.template.spec.containers[0].image: Required value",
    ]


def test_daemonset_template_generation_and_selector_immutable():
    old = make(DS)
    DS.prepare_for_create(old, Context())
    assert old["metadata"]["annotations"] == {"deprecated.daemonset.template.generation": "1"}
    new = copy.deepcopy(old)
    new["spec"]["minReadySeconds"] = 5
    DS.prepare_for_update(new, old, Context())
    assert (new["metadata"]["generation"], daemonsets.template_generation(new)) == (2, 1)
    newer = copy.deepcopy(new)
    newer["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.26"
    newer["metadata"]["annotations"]["deprecated.daemonset.template.generation"] = "9"
    DS.prepare_for_update(newer, new, Context())
    assert (newer["metadata"]["generation"], daemonsets.template_generation(newer)) == (3, 2)
    moved = copy.deepcopy(new)
    moved["spec"]["selector"] = {"matchLabels": {"app": "web", "x": "y"}}
    moved["spec"]["template"]["metadata"]["labels"]["x"] = "y"
    assert [e.detail for e in DS.validate_update(moved, new, Context())] == ["field is immutable"]


def test_daemonset_printer():
    obj = make(DS)
    obj["spec"]["template"]["spec"]["nodeSelector"] = {"zone": "a", "disk": "ssd"}
    obj["status"] = {"desiredNumberScheduled": 3, "currentNumberScheduled": 3, "numberReady": 2,
                     "updatedNumberScheduled": 1, "numberAvailable": 2}
    assert [c.name for c in daemonsets.PRINTER.columns] == [
        "Name", "Desired", "Current", "Ready", "Up-to-date", "Available", "Node Selector", "Age",
        "Containers", "Images", "Selector"]
    assert daemonsets.table_row(obj, NOW) == ["web", 3, 3, 2, 1, 2, "disk=ssd,zone=a", "60m", "nginx", "nginx:1.25", "app=web"]
    assert daemonsets.table_row(make(DS), NOW)[6] == "<none>"


# --- ControllerRevision ---


def revision(**over):
    return {"metadata": {"name": "web-abc", "namespace": "default", "creationTimestamp": "2024-05-01T11:59:00Z",
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "uid": "u",
                                              "controller": True}]},
            "data": {"spec": {}}, "revision": 2, **over}


def test_controllerrevision_validation():
    assert CR.validate(revision(), Context()) == []
    bad = revision(revision=-1)
    del bad["data"]
    assert msgs(CR.validate(bad, Context())) == [
        "data: Required value: data is mandatory",
        "revision: Invalid value: -1: must be greater than or equal to 0",
    ]
    changed = revision(data={"spec": {"x": 1}})
    assert [e.detail for e in CR.validate_update(changed, revision(), Context())] == ["field is immutable"]


def test_controllerrevision_printer():
    assert controllerrevisions.table_row(revision(), NOW) == ["web-abc", "statefulset.apps/web", 2, "60s"]
    orphan = revision()
    del orphan["metadata"]["ownerReferences"]
    assert controllerrevisions.table_row(orphan, NOW)[1] == "<none>"
