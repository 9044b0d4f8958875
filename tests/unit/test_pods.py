"""The Pod kind: strategy hooks, update rules, binding, status, field selectors and printing (v1.30)."""

import copy
from datetime import UTC, datetime, timedelta

import pytest

from uwernetes.apiserver.resources import pods
from uwernetes.apiserver.resources.base import Context
from uwernetes.features import FeatureGates
from uwernetes.machinery import errors
from uwernetes.machinery.errors import StatusError

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
STRATEGY = pods.PODS.strategy
CTX = Context()

FORBIDDEN_PREFIX = (
    "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing "
    "tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n"
)


def make_pod(name="p", scheduling_gates=(), node_name="", resources=None, **spec):
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "creationTimestamp": "2024-05-01T11:00:00Z"},
        "spec": {"containers": [{"name": "c", "image": "nginx:1.25", **({"resources": resources} if resources else {})}], **spec},
    }
    if scheduling_gates:
        pod["spec"]["schedulingGates"] = [{"name": g} for g in scheduling_gates]
    if node_name:
        pod["spec"]["nodeName"] = node_name
    return pod


def created(pod, ctx=CTX):
    STRATEGY.default(pod)
    STRATEGY.prepare_for_create(pod, ctx)
    return pod


def update_errors(old, mutate):
    new = copy.deepcopy(old)
    mutate(new)
    STRATEGY.default(new)
    STRATEGY.prepare_for_update(new, old, CTX)
    return [str(e) for e in STRATEGY.validate_update(new, old, CTX)]


# --- resource type ---


def test_resource_type_names():
    assert (pods.PODS.plural, pods.PODS.kind, pods.PODS.namespaced) == ("pods", "Pod", True)
    assert pods.PODS.short_names == ("po",) and pods.PODS.categories == ("all",)
    assert pods.PODS.subresource("status").verbs == ("get", "patch", "update")
    assert pods.PODS.subresource("eviction").group == "policy"
    assert pods.PODS.subresource("binding").verbs == ("create",)
    assert pods.PODS.strategy.has_status and not pods.PODS.strategy.tracks_generation


# --- create ---


def test_gated_pod_gets_scheduling_gated_condition():
    pod = created(make_pod(scheduling_gates=["foo"]))
    status = pod["status"]
    assert status["phase"] == "Pending" and status["qosClass"] == "BestEffort"
    cond = status["conditions"][0]
    assert {k: v for k, v in cond.items() if k != "lastTransitionTime"} == {
        "type": "PodScheduled",
        "status": "False",
        "lastProbeTime": None,
        "reason": "SchedulingGated",
        "message": "Scheduling is blocked due to non-empty scheduling gates",
    }
    assert cond["lastTransitionTime"].endswith("Z")
    assert STRATEGY.validate(pod, CTX) == []


def test_create_resets_status_and_ungated_pod_has_no_condition():
    pod = make_pod()
    pod["status"] = {"phase": "Running", "podIP": "1.2.3.4"}
    created(pod)
    assert pod["status"] == {"phase": "Pending", "qosClass": "BestEffort"}
    assert pod["spec"]["enableServiceLinks"] is True


@pytest.mark.parametrize(
    ("resources", "qos"),
    [
        pytest.param(None, "BestEffort", id="nothing set"),
        pytest.param({"limits": {"cpu": "1", "memory": "1Gi"}}, "Guaranteed", id="limits only become requests"),
        pytest.param({"requests": {"cpu": "1"}}, "Burstable", id="requests only"),
        pytest.param({"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}}, "Burstable", id="requests below limits"),
        pytest.param({"limits": {"example.com/gpu": "1"}}, "BestEffort", id="only extended resources"),
    ],
)
def test_qos_class(resources, qos):
    assert created(make_pod(resources=resources))["status"]["qosClass"] == qos


def test_create_with_node_name_and_gates_is_forbidden():
    pod = created(make_pod(scheduling_gates=["foo"], node_name="n1"))
    assert [str(e) for e in STRATEGY.validate(pod, CTX)] == ["spec.nodeName: Forbidden: cannot be set until all schedulingGates have been cleared"]


def test_create_with_ephemeral_containers_is_forbidden():
    pod = make_pod(ephemeralContainers=[{"name": "debug", "image": "busybox"}])
    created(pod)
    assert [str(e) for e in STRATEGY.validate(pod, CTX)] == ["spec.ephemeralContainers: Forbidden: cannot be set on create"]


def test_invalid_pod_error_message():
    pod = created(make_pod())
    pod["spec"]["containers"][0]["image"] = ""
    err = errors.invalid("Pod", "p", STRATEGY.validate(pod, CTX))
    assert err.code == 422
    assert err.message == 'Pod "p" is invalid: spec.containers[0].image: Required value'


def test_bad_quantity_is_a_decode_error():
    pod = make_pod(resources={"limits": {"cpu": "1x"}})
    with pytest.raises(StatusError) as exc:
        STRATEGY.default(pod)
    assert exc.value.code == 400
    assert exc.value.message.startswith('Pod in version "v1" cannot be handled as a Pod: quantities must match')


@pytest.mark.parametrize(
    ("gates", "kept"),
    [pytest.param(None, False, id="UserNamespacesSupport off"), pytest.param(FeatureGates({"UserNamespacesSupport": True}), True, id="on")],
)
def test_host_users_dropped_on_create_when_gate_off(gates, kept):
    pod = created(make_pod(hostUsers=False), Context(features=gates))
    assert ("hostUsers" in pod["spec"]) is kept


def test_warning_for_non_dns_label_name():
    pod = created(make_pod(name="a.b"))
    assert STRATEGY.warnings_on_create(pod, CTX) == [
        "metadata.name: this is used in the Pod's hostname, which can result in surprising behavior; a DNS label is "
        "recommended: [a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
        "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')]"
    ]


# --- update ---


def _add_gate(name):
    return lambda p: p["spec"].setdefault("schedulingGates", []).append({"name": name})


def _set(path, value):
    def mutate(p):
        target = p
        for key in path[:-1]:
            target = target.setdefault(key, {}) if isinstance(key, str) else target[key]
        target[path[-1]] = value

    return mutate


REQUIRED_TERMS = {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": [{"key": "a", "operator": "In", "values": ["x"]}]}]}}
TERMS_PATH = "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms"


@pytest.mark.parametrize(
    ("gates", "spec", "mutate", "expected"),
    [
        pytest.param(["bar"], {}, _add_gate("foo"), ["spec.schedulingGates[1].name: Forbidden: only deletion is allowed, but found new scheduling gate 'foo'"], id="add a gate"),
        pytest.param([], {}, _add_gate("foo"), ["spec.schedulingGates[0].name: Forbidden: only deletion is allowed, but found new scheduling gate 'foo'"], id="ungated pod never gets gates"),
        pytest.param(["a", "b"], {}, lambda p: p["spec"].__setitem__("schedulingGates", [{"name": "b"}]), [], id="remove one gate"),
        pytest.param(["a", "b"], {}, lambda p: p["spec"]["schedulingGates"].reverse(), [], id="reorder gates"),
        pytest.param(["a"], {}, lambda p: p["spec"].pop("schedulingGates"), [], id="clear gates"),
        pytest.param(["a"], {}, _set(("spec", "nodeSelector"), {"k": "v"}), [], id="gated: add nodeSelector"),
        pytest.param(
            ["a"], {"nodeSelector": {"k": "v"}}, _set(("spec", "nodeSelector"), {"k": "w"}),
            ['spec.nodeSelector: Invalid value: map[string]string{"k":"w"}: only additions to spec.nodeSelector are allowed (no mutations or deletions)'],
            id="gated: mutate nodeSelector",
        ),
        pytest.param(
            ["a"], {"nodeSelector": {"k": "v"}}, lambda p: p["spec"].pop("nodeSelector"),
            ["spec.nodeSelector: Invalid value: null: only additions to spec.nodeSelector are allowed (no mutations or deletions)"],
            id="gated: delete nodeSelector",
        ),
        pytest.param(
            ["a"], {}, lambda p: (p["spec"].pop("schedulingGates"), p["spec"].__setitem__("nodeSelector", {"k": "v"})), [],
            id="remove last gate and add selector",
        ),
        pytest.param(["a"], {}, _set(("spec", "affinity"), {"nodeAffinity": copy.deepcopy(REQUIRED_TERMS)}), [], id="gated: set node affinity"),
        pytest.param(
            ["a"], {"affinity": {"nodeAffinity": copy.deepcopy(REQUIRED_TERMS)}},
            lambda p: p["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0]["matchExpressions"].append(
                {"key": "b", "operator": "Exists"}
            ),
            [], id="gated: add an expression to a term",
        ),
        pytest.param(
            ["a"], {"affinity": {"nodeAffinity": copy.deepcopy(REQUIRED_TERMS)}},
            lambda p: p["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"].append({"matchExpressions": []}),
            [TERMS_PATH + ': Invalid value: [{"matchExpressions":[{"key":"a", "operator":"In", "values":[]string{"x"}}]} {"matchExpressions":[]string{}}]: no additions/deletions to non-empty NodeSelectorTerms list are allowed'],
            id="gated: add a term",
        ),
        pytest.param(
            ["a"], {"affinity": {"nodeAffinity": copy.deepcopy(REQUIRED_TERMS)}},
            lambda p: p["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0]["matchExpressions"][0].__setitem__("key", "z"),
            [TERMS_PATH + '[0]: Invalid value: {"matchExpressions":[{"key":"z", "operator":"In", "values":[]string{"x"}}]}: only additions are allowed (no mutations or deletions)'],
            id="gated: mutate an expression",
        ),
        pytest.param(
            ["a"], {}, _set(("spec", "affinity"), {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 1, "preference": {"matchExpressions": [{"key": "a", "operator": "Exists"}]}}]}}),
            [], id="gated: preferred terms are free",
        ),
        pytest.param(
            [], {}, lambda p: p["spec"].__setitem__("tolerations", [{"key": "k", "operator": "Exists"}]), [], id="add toleration",
        ),
        pytest.param(
            [], {"tolerations": [{"key": "k", "operator": "Equal", "value": "v"}]},
            lambda p: p["spec"]["tolerations"][0].__setitem__("value", "w"),
            ["spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds"],
            id="modify toleration",
        ),
        pytest.param(
            [], {"tolerations": [{"key": "k", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 10}]},
            lambda p: p["spec"]["tolerations"][0].__setitem__("tolerationSeconds", 5), [], id="change tolerationSeconds",
        ),
        pytest.param([], {}, _set(("spec", "containers", 0, "image"), "nginx:1.26"), [], id="change image"),
        pytest.param([], {}, _set(("spec", "containers", 0, "image"), ""), ["spec.containers[0].image: Required value"] * 2, id="clear image (reported twice, as upstream)"),
        pytest.param(
            [], {}, lambda p: p["spec"]["containers"].append({"name": "d", "image": "x"}),
            ["spec.containers: Forbidden: pod updates may not add or remove containers"], id="add a container",
        ),
        pytest.param([], {"activeDeadlineSeconds": 100}, _set(("spec", "activeDeadlineSeconds"), 50), [], id="lower activeDeadlineSeconds"),
        pytest.param(
            [], {"activeDeadlineSeconds": 100}, _set(("spec", "activeDeadlineSeconds"), 200),
            ["spec.activeDeadlineSeconds: Invalid value: 200: must be less than or equal to previous value"], id="raise activeDeadlineSeconds",
        ),
        pytest.param(
            [], {"activeDeadlineSeconds": 100}, lambda p: p["spec"].pop("activeDeadlineSeconds"),
            ["spec.activeDeadlineSeconds: Invalid value: null: must not update from a positive integer to nil value"], id="unset activeDeadlineSeconds",
        ),
    ],
)
def test_validate_update(gates, spec, mutate, expected):
    old = created(make_pod(scheduling_gates=gates, **spec))
    assert update_errors(old, mutate) == expected


@pytest.mark.parametrize(
    ("gates", "spec", "mutate"),
    [
        pytest.param([], {}, _set(("spec", "nodeSelector"), {"k": "v"}), id="ungated: nodeSelector"),
        pytest.param([], {}, _set(("spec", "dnsPolicy"), "Default"), id="dnsPolicy"),
        pytest.param(["a"], {"affinity": {"podAffinity": {}}}, _set(("spec", "affinity", "podAffinity"), {"requiredDuringSchedulingIgnoredDuringExecution": [{"topologyKey": "zone"}]}), id="gated: podAffinity stays immutable"),
    ],
)
def test_other_spec_changes_are_forbidden(gates, spec, mutate):
    old = created(make_pod(scheduling_gates=gates, **spec))
    errs = update_errors(old, mutate)
    assert len(errs) == 1 and errs[0].startswith(FORBIDDEN_PREFIX)


def test_update_keeps_old_status():
    old = created(make_pod())
    old["status"]["phase"] = "Running"
    new = copy.deepcopy(old)
    new["status"] = {"phase": "Failed"}
    STRATEGY.prepare_for_update(new, old, CTX)
    assert new["status"]["phase"] == "Running"


def test_update_keeps_gated_field_the_old_pod_used():
    old = created(make_pod(), Context(features=FeatureGates({"UserNamespacesSupport": True})))
    old["spec"]["hostUsers"] = False
    new = copy.deepcopy(old)
    STRATEGY.prepare_for_update(new, old, CTX)
    assert new["spec"]["hostUsers"] is False


# --- status ---


def status_errors(old, status, spec_node=None):
    new = copy.deepcopy(old)
    new["status"].update(status)
    if spec_node is not None:
        new["spec"]["nodeName"] = spec_node
    STRATEGY.prepare_for_status_update(new, old, CTX)
    return [str(e) for e in STRATEGY.validate_status_update(new, old, CTX)]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        pytest.param({"hostIP": "10.0.0.1", "hostIPs": [{"ip": "10.0.0.1"}, {"ip": "fd00::1"}]}, [], id="dual-stack hostIPs"),
        pytest.param({"hostIP": "10.0.0.2", "hostIPs": [{"ip": "10.0.0.1"}]}, ['status.hostIPs[0].ip: Invalid value: "10.0.0.1": must be equal to `hostIP`'], id="hostIP mismatch"),
        pytest.param(
            {"hostIP": "10.0.0.1", "hostIPs": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}]},
            ['status.hostIPs: Invalid value: [map[string]string{"ip":"10.0.0.1"} map[string]string{"ip":"10.0.0.2"}]: may specify no more than one IP for each IP family'],
            id="two IPv4 host IPs",
        ),
        pytest.param(
            {"hostIP": "10.0.0.1", "hostIPs": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.1"}]},
            [
                'status.hostIPs[1]: Duplicate value: map[string]string{"ip":"10.0.0.1"}',
                'status.hostIPs: Invalid value: [map[string]string{"ip":"10.0.0.1"} map[string]string{"ip":"10.0.0.1"}]: may specify no more than one IP for each IP family',
            ],
            id="duplicate host IPs",
        ),
        pytest.param({"podIP": "nope"}, ['status.podIPs[0]: Invalid value: "nope": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'], id="bad podIP"),
        pytest.param({"podIP": "10.1.0.5", "podIPs": [{"ip": "10.1.0.6"}, {"ip": "10.1.0.7"}]}, [], id="podIP wins over podIPs"),
    ],
)
def test_validate_status_update(status, expected):
    old = created(make_pod(node_name="n1"))
    assert status_errors(old, status) == expected


def test_status_update_keeps_spec_and_backfills_qos():
    old = created(make_pod(node_name="n1"))
    new = copy.deepcopy(old)
    new["spec"]["nodeName"] = "other"
    new["status"] = {"phase": "Running"}
    STRATEGY.prepare_for_status_update(new, old, CTX)
    assert new["spec"]["nodeName"] == "n1"
    assert new["status"] == {"phase": "Running", "qosClass": "BestEffort"}


def test_status_update_condition_type_must_be_qualified():
    old = created(make_pod())
    errs = status_errors(old, {"conditions": [{"type": "bad type", "status": "True"}]})
    assert errs[0].startswith('metadata.conditions[0].Type: Invalid value: "bad type": name part must consist of')


# --- binding ---


def test_binding_sets_node_and_condition():
    pod = created(make_pod())
    bound = pods.apply_binding(pod, {"metadata": {"name": "p", "annotations": {"a": "b"}}, "target": {"kind": "Node", "name": "n1"}}, now="2024-05-01T12:00:00Z")
    assert bound["spec"]["nodeName"] == "n1"
    assert bound["metadata"]["annotations"] == {"a": "b"}
    assert bound["status"]["conditions"] == [{"type": "PodScheduled", "status": "True", "lastProbeTime": None, "lastTransitionTime": "2024-05-01T12:00:00Z"}]
    assert bound is pod  # updated in place: the registry passes its own copy


def test_binding_replaces_gated_condition():
    pod = created(make_pod(scheduling_gates=["a"]))
    pod["spec"].pop("schedulingGates")
    bound = pods.apply_binding(pod, {"target": {"name": "n1"}}, now="2024-05-01T12:00:00Z")
    assert bound["status"]["conditions"] == [{"type": "PodScheduled", "status": "True", "lastProbeTime": None, "lastTransitionTime": "2024-05-01T12:00:00Z"}]


@pytest.mark.parametrize(
    ("pod", "message"),
    [
        pytest.param(
            {**make_pod(node_name="n0", scheduling_gates=["g"]), "metadata": {"name": "p", "deletionTimestamp": "2024-05-01T11:00:00Z"}},
            'Operation cannot be fulfilled on pods/binding "p": pod p is being deleted, cannot be assigned to a host',
            id="being deleted first",
        ),
        pytest.param(make_pod(node_name="n0", scheduling_gates=["g"]), 'Operation cannot be fulfilled on pods/binding "p": pod p is already assigned to node "n0"', id="already assigned"),
        pytest.param(make_pod(scheduling_gates=["g"]), 'Operation cannot be fulfilled on pods/binding "p": pod p has non-empty .spec.schedulingGates', id="gated"),
    ],
)
def test_binding_conflicts(pod, message):
    with pytest.raises(StatusError) as exc:
        pods.apply_binding(pod, {"target": {"name": "n1"}})
    assert (exc.value.code, exc.value.reason, exc.value.message) == (409, "Conflict", message)


def test_validate_binding():
    assert [str(e) for e in pods.validate_binding({"target": {"kind": "Pod"}})] == [
        'target.kind: Unsupported value: "Pod": supported values: "Node", "<empty>"',
        "target.name: Required value",
    ]


# --- grace period and field selectors ---


@pytest.mark.parametrize(
    ("pod", "grace"),
    [
        pytest.param(make_pod(node_name="n1"), 30, id="scheduled pod: its period"),
        pytest.param(make_pod(node_name="n1", terminationGracePeriodSeconds=5), 5, id="custom period"),
        pytest.param(make_pod(), 0, id="unscheduled: immediate"),
        pytest.param({**make_pod(node_name="n1"), "status": {"phase": "Succeeded"}}, 0, id="succeeded: immediate"),
        pytest.param(make_pod(node_name="n1", terminationGracePeriodSeconds=-5), 1, id="negative becomes 1"),
    ],
)
def test_default_grace_period(pod, grace):
    assert STRATEGY.default_grace_period(pod) == grace


def test_field_selectors():
    pod = created(make_pod(node_name="n1", serviceAccountName="sa"))
    pod["status"]["podIPs"] = [{"ip": "10.0.0.5"}]
    values = {k: f(pod) for k, f in pods.PODS.field_selectors.items()}
    assert values == {
        "spec.nodeName": "n1",
        "spec.restartPolicy": "Always",
        "spec.schedulerName": "default-scheduler",
        "spec.serviceAccountName": "sa",
        "spec.hostNetwork": "false",
        "status.phase": "Pending",
        "status.podIP": "10.0.0.5",
        "status.nominatedNodeName": "",
    }


# --- printing ---


def cs(name="c", ready=False, restarts=0, state=None, last_finished=None, started=None):
    s = {"name": name, "ready": ready, "restartCount": restarts, "state": state or {}}
    if last_finished:
        s["lastState"] = {"terminated": {"exitCode": 1, "finishedAt": last_finished}}
    if started is not None:
        s["started"] = started
    return s


def printed(spec=None, status=None, meta=None):
    pod = {"metadata": {"name": "p", "creationTimestamp": "2024-05-01T11:00:00Z", **(meta or {})}, "spec": spec or {"containers": [{"name": "c"}]}, "status": status or {}}
    return pods.pod_row(pod, now=NOW)


def test_columns():
    assert [c.name for c in pods.PRINTER.columns] == ["Name", "Ready", "Status", "Restarts", "Age", "IP", "Node", "Nominated Node", "Readiness Gates"]
    assert [c.priority for c in pods.PRINTER.columns] == [0, 0, 0, 0, 0, 1, 1, 1, 1]
    assert pods.PRINTER.columns[0].format == "name"
    assert pods.PRINTER.columns[1].description == "The aggregate readiness state of this pod for accepting traffic."


SIDECAR_SPEC = {"initContainers": [{"name": "init"}, {"name": "side", "restartPolicy": "Always"}], "containers": [{"name": "c"}]}


@pytest.mark.parametrize(
    ("spec", "status", "meta", "ready", "reason", "restarts"),
    [
        pytest.param(None, {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]}, None, "0/1", "SchedulingGated", "0", id="gated"),
        pytest.param(None, {"phase": "Pending"}, None, "0/1", "Pending", "0", id="pending"),
        pytest.param(None, {"phase": "Failed", "reason": "Evicted"}, None, "0/1", "Evicted", "0", id="status reason wins"),
        pytest.param(None, {"phase": "Running", "containerStatuses": [cs(ready=True, state={"running": {}})]}, None, "1/1", "Running", "0", id="running"),
        pytest.param(None, {"phase": "Pending", "containerStatuses": [cs(state={"waiting": {"reason": "ContainerCreating"}})]}, None, "0/1", "ContainerCreating", "0", id="creating"),
        pytest.param(
            None, {"phase": "Running", "containerStatuses": [cs(restarts=3, state={"waiting": {"reason": "CrashLoopBackOff"}}, last_finished="2024-05-01T11:55:00Z")]}, None,
            "0/1", "CrashLoopBackOff", "3 (5m ago)", id="crash loop with restarts",
        ),
        pytest.param(None, {"phase": "Failed", "containerStatuses": [cs(state={"terminated": {"exitCode": 2}})]}, None, "0/1", "ExitCode:2", "0", id="exit code"),
        pytest.param(None, {"phase": "Failed", "containerStatuses": [cs(state={"terminated": {"exitCode": 137, "signal": 9}})]}, None, "0/1", "Signal:9", "0", id="signal"),
        pytest.param(None, {"phase": "Succeeded", "containerStatuses": [cs(state={"terminated": {"exitCode": 0, "reason": "Completed"}})]}, None, "0/1", "Completed", "0", id="completed"),
        pytest.param(
            {"containers": [{"name": "a"}, {"name": "b"}]},
            {"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}], "containerStatuses": [cs("a", state={"terminated": {"exitCode": 0, "reason": "Completed"}}), cs("b", ready=True, state={"running": {}})]},
            None, "1/2", "NotReady", "0", id="completed with one running, not ready",
        ),
        pytest.param(
            {"containers": [{"name": "a"}, {"name": "b"}]},
            {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}], "containerStatuses": [cs("a", state={"terminated": {"exitCode": 0, "reason": "Completed"}}), cs("b", ready=True, state={"running": {}})]},
            None, "1/2", "Running", "0", id="completed with one running, ready",
        ),
        pytest.param(
            {"initContainers": [{"name": "i1"}, {"name": "i2"}], "containers": [{"name": "c"}]},
            {"phase": "Pending", "initContainerStatuses": [cs("i1", state={"terminated": {"exitCode": 0}}), cs("i2", state={"running": {}})]},
            None, "0/1", "Init:1/2", "0", id="init progress",
        ),
        pytest.param(
            {"initContainers": [{"name": "i1"}], "containers": [{"name": "c"}]},
            {"phase": "Pending", "initContainerStatuses": [cs("i1", restarts=2, state={"waiting": {"reason": "CrashLoopBackOff"}})]},
            None, "0/1", "Init:CrashLoopBackOff", "2", id="init crash loop",
        ),
        pytest.param(
            {"initContainers": [{"name": "i1"}], "containers": [{"name": "c"}]},
            {"phase": "Failed", "initContainerStatuses": [cs("i1", state={"terminated": {"exitCode": 3}})]},
            None, "0/1", "Init:ExitCode:3", "0", id="init failed",
        ),
        pytest.param(
            {"initContainers": [{"name": "i1"}], "containers": [{"name": "c"}]},
            {"phase": "Pending", "initContainerStatuses": [cs("i1", state={"waiting": {"reason": "PodInitializing"}})]},
            None, "0/1", "Init:0/1", "0", id="PodInitializing waiting reason is not shown",
        ),
        pytest.param(
            SIDECAR_SPEC,
            {"phase": "Running", "initContainerStatuses": [cs("init", state={"terminated": {"exitCode": 0}}), cs("side", ready=True, restarts=1, started=True, state={"running": {}}, last_finished="2024-05-01T11:00:00Z")],
             "containerStatuses": [cs("c", ready=True, state={"running": {}})]},
            None, "2/2", "Running", "1 (60m ago)", id="sidecar counted and its restarts kept",
        ),
        pytest.param(None, {"phase": "Running"}, {"deletionTimestamp": "2024-05-01T11:59:00Z"}, "0/1", "Terminating", "0", id="terminating"),
        pytest.param(None, {"phase": "Running", "reason": "NodeLost"}, {"deletionTimestamp": "2024-05-01T11:59:00Z"}, "0/1", "Unknown", "0", id="node lost"),
        pytest.param(None, {"phase": "Succeeded"}, {"deletionTimestamp": "2024-05-01T11:59:00Z"}, "0/1", "Terminating", "0", id="1.30 terminating even when done"),
    ],
)
def test_pod_status_column(spec, status, meta, ready, reason, restarts):
    row = printed(spec, status, meta)
    assert row[1:4] == [ready, reason, restarts]


def test_wide_cells_and_age():
    spec = {"containers": [{"name": "c"}], "nodeName": "n1", "readinessGates": [{"conditionType": "x/ready"}, {"conditionType": "y"}]}
    status = {"podIP": "10.0.0.9", "nominatedNodeName": "n2", "conditions": [{"type": "x/ready", "status": "True"}]}
    assert printed(spec, status) == ["p", "0/1", "", "0", "60m", "10.0.0.9", "n1", "n2", "1/2"]
    assert printed()[5:] == ["<none>", "<none>", "<none>", "<none>"]


def test_row_conditions():
    assert pods.pod_row_conditions({"status": {"phase": "Succeeded"}}) == [{"type": "Completed", "status": "True", "reason": "Succeeded", "message": "The pod has completed successfully."}]
    assert pods.pod_row_conditions({"status": {"phase": "Failed"}}) == [{"type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."}]
    assert pods.pod_row_conditions({"status": {"phase": "Running"}}) == []


def test_restart_age_uses_now():
    status = {"phase": "Running", "containerStatuses": [cs(restarts=1, state={"running": {}}, last_finished=(NOW - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ"))]}
    assert printed(None, status)[3] == "1 (3h ago)"
