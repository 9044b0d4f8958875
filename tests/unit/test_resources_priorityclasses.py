"""PriorityClass validation, printing and the Priority admission plugin (pods and classes)."""

import asyncio
from datetime import UTC, datetime

import pytest

from uwernetes.admission import builtin
from uwernetes.apiserver.resources import priorityclasses as pcs
from uwernetes.apiserver.resources.base import Context
from uwernetes.machinery.errors import StatusError
from uwernetes.storage.interface import Entry

S = pcs.PRIORITYCLASSES.strategy


def pc(name="high", value=1000, **kw):
    obj = {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": name}, "value": value, **kw}
    S.default(obj)
    return obj


def msgs(errs):
    return [str(e) for e in errs]


@pytest.mark.parametrize(("obj", "expected"), [
    pytest.param(pc(), [], id="user class"),
    pytest.param(pc(value=1_000_000_000), [], id="highest user value"),
    pytest.param(pc(value=1_000_000_001),
                 ["value: Forbidden: maximum allowed value of a user defined priority is 1000000000"], id="too high"),
    pytest.param(pc("system-node-critical", 2000001000), [], id="known system class"),
    pytest.param(pc("system-foo", 10), ["metadata.name: Forbidden: priority class names with 'system-' prefix are reserved "
                                        "for system use only. error: system-foo is not a known system priority class"],
                 id="unknown system name"),
    pytest.param(pc("system-cluster-critical", 5), ["metadata.name: Forbidden: priority class names with 'system-' prefix "
                                                    "are reserved for system use only. error: value of "
                                                    "system-cluster-critical PriorityClass must be 2000000000"],
                 id="system class with the wrong value"),
    pytest.param(pc("system-cluster-critical", 2000000000, globalDefault=True),
                 ["metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use "
                  "only. error: globalDefault of system-cluster-critical PriorityClass must be false"],
                 id="system class as global default"),
    pytest.param(pc(preemptionPolicy="Sometimes"),
                 ['preemptionPolicy: Unsupported value: "Sometimes": supported values: "PreemptLowerPriority", "Never"'],
                 id="bad preemption policy"),
    pytest.param(pc(preemptionPolicy=""), ["preemptionPolicy: Required value"], id="empty preemption policy"),
])
def test_validate(obj, expected):
    assert msgs(S.validate(obj, Context())) == expected


def test_defaults():
    obj = {"metadata": {"name": "x"}}
    S.default(obj)
    assert obj["value"] == 0 and obj["preemptionPolicy"] == "PreemptLowerPriority"
    kept = {"metadata": {"name": "x"}, "value": 3, "preemptionPolicy": "Never"}
    S.default(kept)
    assert kept["preemptionPolicy"] == "Never"


def test_update_value_and_policy_are_immutable():
    old = pc(value=10)
    new = pc(value=11, preemptionPolicy="Never")
    assert msgs(S.validate_update(new, old, Context())) == [
        "value: Forbidden: may not be changed in an update.",
        'preemptionPolicy: Invalid value: "Never": field is immutable',
    ]
    assert S.validate_update(pc(value=10, description="now described"), old, Context()) == []


def test_system_classes_cannot_be_deleted():
    with pytest.raises(StatusError) as e:
        S.grace_period(pc("system-node-critical", 2000001000), None)
    assert e.value.code == 403
    assert str(e.value.status["message"]) == ('priorityclasses.scheduling.k8s.io "system-node-critical" is forbidden: '
                                              "this is a system priority class and cannot be deleted")
    assert S.grace_period(pc(), None) == 0


def test_table_row():
    now = datetime(2024, 5, 1, tzinfo=UTC)
    obj = pc(globalDefault=True)
    obj["metadata"]["creationTimestamp"] = "2024-04-30T23:00:00Z"
    assert pcs.PRINTER.row(obj)[:3] == ["high", 1000, True]
    assert pcs.table_row(obj, now) == ["high", 1000, True, "60m"]
    assert [c.name for c in pcs.PRINTER.columns] == ["Name", "Value", "Global-Default", "Age"]


def test_system_objects():
    objs = {o["metadata"]["name"]: o["value"] for o in pcs.system_priority_class_objects()}
    assert objs == {"system-node-critical": 2000001000, "system-cluster-critical": 2000000000}


# --- the Priority admission plugin ---


class _Cache:
    def __init__(self, objs):
        self.objs = objs

    def list(self, matches=None):
        return [Entry(key=f"k/{i}", obj=o, raw=b"", rev=1) for i, o in enumerate(self.objs)], 1

    def get(self, key):
        return None


class _Registry:
    def __init__(self, classes, served=True):
        self.classes = classes
        self.served = served

    def resource(self, group, version, plural):
        if plural == "priorityclasses":
            return pcs.PRIORITYCLASSES if self.served else None
        return None

    async def cache(self, rt):
        return _Cache(self.classes)


def admit_pod(classes, spec, served=True):
    pod = {"metadata": {"name": "p", "namespace": "default"}, "spec": dict(spec)}
    plugin = builtin.PodAdmission(_Registry(classes, served))
    asyncio.run(plugin._priority(pod["spec"], pod))
    return pod["spec"]


def test_pod_gets_priority_from_its_class():
    spec = admit_pod([pc("high", 1000, preemptionPolicy="Never")], {"priorityClassName": "high"})
    assert (spec["priority"], spec["preemptionPolicy"]) == (1000, "Never")


def test_pod_gets_the_global_default():
    classes = [pc("a", 50, globalDefault=True), pc("b", 20, globalDefault=True), pc("c", 1)]
    spec = admit_pod(classes, {})
    assert (spec["priorityClassName"], spec["priority"], spec["preemptionPolicy"]) == ("b", 20, "PreemptLowerPriority")


def test_pod_without_classes_gets_zero():
    assert admit_pod([], {}) == {"priority": 0, "preemptionPolicy": "PreemptLowerPriority"}


@pytest.mark.parametrize(("spec", "message"), [
    pytest.param({"priorityClassName": "nope"},
                 'pods "p" is forbidden: no PriorityClass with name nope was found', id="missing class"),
    pytest.param({"priorityClassName": "high", "priority": 7},
                 'pods "p" is forbidden: the integer value of priority (7) must not be provided in pod spec; priority '
                 "admission controller computed 1000 from the given PriorityClass name", id="own priority"),
    pytest.param({"priorityClassName": "high", "preemptionPolicy": "Never"},
                 'pods "p" is forbidden: the string value of PreemptionPolicy (Never) must not be provided in pod spec; '
                 "priority admission controller computed PreemptLowerPriority from the given PriorityClass name",
                 id="own preemption policy"),
])
def test_pod_refused(spec, message):
    with pytest.raises(StatusError) as e:
        admit_pod([pc("high", 1000)], spec)
    assert e.value.code == 403 and e.value.status["reason"] == "Forbidden"
    assert e.value.status["message"] == message


def test_system_class_resolves_before_it_is_stored():
    assert admit_pod([], {"priorityClassName": "system-node-critical"})["priority"] == 2000001000


def test_pod_update_keeps_priority():
    new = {"spec": {"containers": []}}
    builtin._keep_pod_priority(new, {"spec": {"priority": 5, "preemptionPolicy": "Never"}})
    assert new["spec"] == {"containers": [], "priority": 5, "preemptionPolicy": "Never"}


@pytest.mark.parametrize(("op", "name", "refused"), [
    pytest.param("CREATE", "second", True, id="second default on create"),
    pytest.param("UPDATE", "other", True, id="another class turned default"),
    pytest.param("UPDATE", "first", False, id="the default itself updated"),
])
def test_only_one_global_default(op, name, refused):
    plugin = builtin.PodAdmission(_Registry([pc("first", 10, globalDefault=True)]))
    obj = pc(name, 5, globalDefault=True)
    coro = plugin(pcs.PRIORITYCLASSES, op, obj, obj, Context())
    if not refused:
        asyncio.run(coro)
        return
    with pytest.raises(StatusError) as e:
        asyncio.run(coro)
    assert e.value.status["message"] == (f'priorityclasses.scheduling.k8s.io "{name}" is forbidden: PriorityClass first '
                                         "is already marked as default. Only one default can exist")
