"""Filter and score plugins as tables: pod + node in, status/score out (upstream plugin tests)."""

from __future__ import annotations

import pytest
from test_scheduler_builders import make_node, make_pod, node_info, pod_info

from uwernetes.scheduler import framework, resources
from uwernetes.scheduler.plugins import (
    balanced_allocation,
    inter_pod_affinity,
    node_affinity,
    node_name,
    node_ports,
    node_resources_fit,
    node_unschedulable,
    pod_topology_spread,
    scheduling_gates,
    taint_toleration,
)

STATE = framework.CycleState()


def reasons(st: framework.Status | None) -> tuple:
    return () if st is None else (st.code, st.reasons)


@pytest.mark.parametrize(("gates", "want"), [
    pytest.param([], None, id="pod does not carry scheduling gates"),
    pytest.param(["foo"], "waiting for scheduling gates: [foo]", id="pod carries one gate"),
    pytest.param(["foo", "bar"], "waiting for scheduling gates: [foo bar]", id="pod carries scheduling gates"),
])
def test_scheduling_gates(gates, want):
    st = scheduling_gates.pre_enqueue(make_pod(gates=gates))
    assert (st and (st.code, st.message)) == (want and (framework.UNRESOLVABLE, want))


@pytest.mark.parametrize(("pod_node", "want"), [
    pytest.param("", (), id="no host specified"),
    pytest.param("n", (), id="host matches"),
    pytest.param("other", (framework.UNRESOLVABLE, ("node(s) didn't match the requested node name",)), id="host doesn't match"),
])
def test_node_name(pod_node, want):
    assert reasons(node_name.filter(STATE, pod_info(make_pod(node_name=pod_node)), node_info(make_node("n")))) == want


@pytest.mark.parametrize(("unschedulable", "tolerations", "want"), [
    pytest.param(False, None, (), id="schedulable node"),
    pytest.param(True, None, (framework.UNRESOLVABLE, ("node(s) were unschedulable",)), id="cordoned node"),
    pytest.param(True, [{"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"}], (),
                 id="cordoned node, pod tolerates the unschedulable taint"),
    pytest.param(True, [{"operator": "Exists"}], (), id="cordoned node, pod tolerates everything"),
])
def test_node_unschedulable(unschedulable, tolerations, want):
    ni = node_info(make_node(unschedulable=unschedulable))
    assert reasons(node_unschedulable.filter(STATE, pod_info(make_pod(tolerations=tolerations)), ni)) == want


T_NOSCHED = {"key": "dedicated", "value": "user1", "effect": "NoSchedule"}


@pytest.mark.parametrize(("taints", "tolerations", "want"), [
    pytest.param([], None, (), id="node with no taints"),
    pytest.param([T_NOSCHED], None, (framework.UNRESOLVABLE, ("node(s) had untolerated taint {dedicated: user1}",)),
                 id="untolerated NoSchedule taint"),
    pytest.param([T_NOSCHED], [{"key": "dedicated", "operator": "Equal", "value": "user1", "effect": "NoSchedule"}], (),
                 id="toleration with the same key, value and effect"),
    pytest.param([T_NOSCHED], [{"key": "dedicated", "operator": "Equal", "value": "user2", "effect": "NoSchedule"}],
                 (framework.UNRESOLVABLE, ("node(s) had untolerated taint {dedicated: user1}",)), id="other value"),
    pytest.param([T_NOSCHED], [{"key": "dedicated", "operator": "Exists"}], (), id="Exists with no effect"),
    pytest.param([{"key": "foo", "effect": "PreferNoSchedule"}], None, (), id="PreferNoSchedule never filters"),
    pytest.param([{"key": "k", "effect": "NoExecute"}], None, (framework.UNRESOLVABLE, ("node(s) had untolerated taint {k: }",)),
                 id="NoExecute without value"),
])
def test_taint_toleration_filter(taints, tolerations, want):
    ni = node_info(make_node(taints=taints))
    assert reasons(taint_toleration.filter(STATE, pod_info(make_pod(tolerations=tolerations)), ni)) == want


def test_taint_toleration_score_normalized_reverse():
    pod = pod_info(make_pod(tolerations=[{"key": "cpu-type", "operator": "Equal", "value": "arm64", "effect": "PreferNoSchedule"}]))
    nodes = [
        node_info(make_node("a", taints=[{"key": "cpu-type", "value": "arm64", "effect": "PreferNoSchedule"}])),
        node_info(make_node("b", taints=[{"key": "cpu-type", "value": "arm64", "effect": "PreferNoSchedule"},
                                         {"key": "disk", "value": "hdd", "effect": "PreferNoSchedule"}])),
        node_info(make_node("c", taints=[{"key": "x", "value": "1", "effect": "PreferNoSchedule"},
                                         {"key": "y", "value": "2", "effect": "PreferNoSchedule"}])),
    ]
    raw = [taint_toleration.score(STATE, pod, n) for n in nodes]
    assert raw == [0, 1, 2]
    taint_toleration.normalize(STATE, pod, raw)
    assert raw == [100, 50, 0]


AFF_IN = {"nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a", "b"]}]}]}


@pytest.mark.parametrize(("pod_kw", "labels", "fits"), [
    pytest.param({}, {}, True, id="no selector"),
    pytest.param({"node_selector": {"foo": "bar"}}, {"foo": "bar"}, True, id="nodeSelector matches"),
    pytest.param({"node_selector": {"foo": "bar"}}, {"foo": "baz"}, False, id="nodeSelector differs"),
    pytest.param({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": AFF_IN}}},
                 {"zone": "b"}, True, id="In matches"),
    pytest.param({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": AFF_IN}}},
                 {"zone": "c"}, False, id="In does not match"),
    pytest.param({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [{"key": "gpu", "operator": "Gt", "values": ["2"]}]}]}}}},
        {"gpu": "4"}, True, id="Gt"),
    pytest.param({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [{"key": "gpu", "operator": "Lt", "values": ["2"]}]}]}}}},
        {"gpu": "4"}, False, id="Lt"),
    pytest.param({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "DoesNotExist"}]},
                              {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n"]}]}]}}}},
        {"zone": "a"}, True, id="terms are ORed; matchFields on metadata.name"),
    pytest.param({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{}]}}}}, {}, False, id="an empty term matches nothing"),
    pytest.param({"node_selector": {"foo": "bar"},
                  "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": AFF_IN}}},
                 {"zone": "a"}, False, id="nodeSelector and affinity are ANDed"),
])
def test_node_affinity_filter(pod_kw, labels, fits):
    st = node_affinity.filter(STATE, pod_info(make_pod(**pod_kw)), node_info(make_node("n", labels=labels)))
    assert reasons(st) == (() if fits else (framework.UNRESOLVABLE, ("node(s) didn't match Pod's node affinity/selector",)))


def test_node_affinity_score_preferred_weights():
    pref = [{"weight": 2, "preference": {"matchExpressions": [{"key": "foo", "operator": "In", "values": ["bar"]}]}},
            {"weight": 5, "preference": {"matchExpressions": [{"key": "key", "operator": "In", "values": ["value"]}]}}]
    pod = pod_info(make_pod(affinity={"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": pref}}))
    nodes = [node_info(make_node("a", labels={"foo": "bar"})), node_info(make_node("b", labels={"foo": "bar", "key": "value"})),
             node_info(make_node("c"))]
    raw = [node_affinity.score(STATE, pod, n) for n in nodes]
    assert raw == [2, 7, 0]
    node_affinity.normalize(STATE, pod, raw)
    assert raw == [28, 100, 0]


@pytest.mark.parametrize(("wanted", "existing", "conflict"), [
    pytest.param([8080], [], False, id="nothing running"),
    pytest.param([8080], [8080], True, id="same port"),
    pytest.param([8080], [9090], False, id="other port"),
])
def test_node_ports(wanted, existing, conflict):
    ni = node_info(make_node(), *([make_pod("old", host_ports=existing)] if existing else []))
    st = node_ports.filter(STATE, pod_info(make_pod(host_ports=wanted)), ni)
    assert reasons(st) == ((framework.UNSCHEDULABLE, ("node(s) didn't have free ports for the requested pod ports",)) if conflict else ())


@pytest.mark.parametrize(("wanted", "used", "conflict"), [
    pytest.param([("127.0.0.1", "TCP", 80)], {("127.0.0.2", "TCP", 80): 1}, False, id="different host IPs"),
    pytest.param([("0.0.0.0", "TCP", 80)], {("127.0.0.2", "TCP", 80): 1}, True, id="wildcard against a specific IP"),
    pytest.param([("127.0.0.1", "TCP", 80)], {("0.0.0.0", "TCP", 80): 1}, True, id="specific IP against the wildcard"),
    pytest.param([("0.0.0.0", "UDP", 80)], {("0.0.0.0", "TCP", 80): 1}, False, id="different protocols"),
])
def test_node_ports_conflicts(wanted, used, conflict):
    assert node_ports.conflicts(wanted, used) is conflict


@pytest.mark.parametrize(("pod_kw", "existing", "node_kw", "want"), [
    pytest.param({"cpu": "1"}, [], {}, [], id="fits an empty node"),
    pytest.param({"cpu": "3"}, [{"cpu": "2"}], {}, ["Insufficient cpu"], id="not enough cpu left"),
    pytest.param({"cpu": "3", "memory": "8Gi"}, [{"cpu": "2", "memory": "1Gi"}], {}, ["Insufficient cpu", "Insufficient memory"],
                 id="cpu and memory both short"),
    pytest.param({}, [{}], {"pods": "1"}, ["Too many pods"], id="pod count"),
    pytest.param({}, [{"cpu": "4"}], {}, [], id="a pod without requests fits a full node"),
    pytest.param({"init": [{"name": "i", "image": "x", "resources": {"requests": {"cpu": "5"}}}]}, [], {}, ["Insufficient cpu"],
                 id="the largest init container counts"),
    pytest.param({"cpu": "3", "overhead": {"cpu": "2"}}, [], {}, ["Insufficient cpu"], id="overhead counts"),
])
def test_node_resources_fit_filter(pod_kw, existing, node_kw, want):
    ni = node_info(make_node(**node_kw), *(make_pod(f"e{i}", **kw) for i, kw in enumerate(existing)))
    st = node_resources_fit.filter(STATE, pod_info(make_pod(**pod_kw)), ni)
    assert (st.reasons if st else ()) == tuple(want)


def test_extended_resource_insufficient():
    pod = make_pod()
    pod["spec"]["containers"][0]["resources"] = {"requests": {"example.com/gpu": "2"}}
    ni = node_info(make_node(extra={"example.com/gpu": "1"}))
    assert node_resources_fit.filter(STATE, pod_info(pod), ni).reasons == ("Insufficient example.com/gpu",)


@pytest.mark.parametrize(("containers", "init", "overhead", "want"), [
    pytest.param(["1", "2"], [], None, 3000, id="app containers add up"),
    pytest.param(["1"], [("4", None)], None, 4000, id="an init container larger than the apps"),
    pytest.param(["1"], [("1", "Always"), ("2", None)], None, 3000, id="init step runs beside earlier sidecars"),
    pytest.param(["1"], [("1", "Always")], {"cpu": "500m"}, 2500, id="sidecar adds to apps, plus overhead"),
])
def test_pod_requests(containers, init, overhead, want):
    pod = make_pod(overhead=overhead)
    pod["spec"]["containers"] = [{"name": f"c{i}", "resources": {"requests": {"cpu": c}}} for i, c in enumerate(containers)]
    pod["spec"]["initContainers"] = [{"name": f"i{i}", "restartPolicy": rp, "resources": {"requests": {"cpu": c}}}
                                     for i, (c, rp) in enumerate(init)]
    for ic in pod["spec"]["initContainers"]:
        if ic["restartPolicy"] is None:
            del ic["restartPolicy"]
    assert resources.pod_requests(pod)["cpu"] == want


def test_non_zero_requests_defaults():
    assert resources.non_zero_requests(make_pod()) == (100, 200 * 1024 * 1024)
    assert resources.non_zero_requests(make_pod(cpu="0")) == (0, 200 * 1024 * 1024)


@pytest.mark.parametrize(("pod_cpu", "pod_mem", "used", "want"), [
    # upstream least_allocated_test: "nothing scheduled, nothing requested" -> (100 + 100) / 2
    pytest.param(0, 0, (0, 0), 100, id="nothing scheduled"),
    pytest.param(3000, 5000, (0, 0), 37, id="resources requested, pods scheduled with less resources"),  # ((4-3)/4 + (10-5)/10)*100/2
    pytest.param(5000, 0, (0, 0), 50, id="requested exceeds capacity scores zero"),
])
def test_least_allocated(pod_cpu, pod_mem, used, want):
    assert node_resources_fit.score_values(pod_cpu, pod_mem, used[0], used[1], 4000, 10000) == want


@pytest.mark.parametrize(("req", "alloc", "want"), [
    pytest.param([3000, 5000], [4000, 10000], 87, id="cpu 75% memory 50%"),
    pytest.param([2000, 5000], [4000, 10000], 100, id="perfectly balanced"),
    pytest.param([6000, 0], [4000, 10000], 50, id="fractions are capped at 1"),
])
def test_balanced_allocation(req, alloc, want):
    assert balanced_allocation.score_values(req, alloc) == want


def _spread(max_skew=1, key="zone", when="DoNotSchedule"):
    return [{"maxSkew": max_skew, "topologyKey": key, "whenUnsatisfiable": when,
             "labelSelector": {"matchLabels": {"app": "web"}}}]


def test_pod_topology_spread_filter():
    web = {"app": "web"}
    nodes = [node_info(make_node("a1", labels={"zone": "a"}), make_pod("w1", labels=web), make_pod("w2", labels=web)),
             node_info(make_node("b1", labels={"zone": "b"}), make_pod("w3", labels=web)),
             node_info(make_node("c1", labels={"zone": "c"}), make_pod("other")),
             node_info(make_node("x"))]
    pod = pod_info(make_pod("new", labels=web, spread=_spread()))
    state = framework.CycleState()
    pod_topology_spread.pre_filter(state, pod, nodes)
    got = {n.name: reasons(pod_topology_spread.filter(state, pod, n)) for n in nodes}
    assert got == {
        "a1": (framework.UNSCHEDULABLE, ("node(s) didn't match pod topology spread constraints",)),
        "b1": (framework.UNSCHEDULABLE, ("node(s) didn't match pod topology spread constraints",)),
        "c1": (),
        "x": (framework.UNRESOLVABLE, ("node(s) didn't match pod topology spread constraints (missing required label)",)),
    }


def test_pod_topology_spread_score_prefers_emptier_domain():
    web = {"app": "web"}
    nodes = [node_info(make_node("a1", labels={"zone": "a"}), make_pod("w1", labels=web), make_pod("w2", labels=web)),
             node_info(make_node("b1", labels={"zone": "b"}), make_pod("w3", labels=web)),
             node_info(make_node("c1", labels={"zone": "c"}))]
    pod = pod_info(make_pod("new", labels=web, spread=_spread(when="ScheduleAnyway")))
    state = framework.CycleState()
    assert pod_topology_spread.pre_score(state, pod, nodes, nodes)
    raw = [pod_topology_spread.score(state, pod, n) for n in nodes]
    # weight log(3 + 2) = 1.609: counts 2, 1, 0 -> 3, 2, 0 after rounding
    assert raw == [3, 2, 0]
    pod_topology_spread.normalize_with_names(state, [n.name for n in nodes], raw)
    assert raw == [0, 33, 100]


def _anti(key="zone"):
    return {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": {"app": "db"}}, "topologyKey": key}]}}


def _aff(key="zone"):
    return {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": {"app": "db"}}, "topologyKey": key}]}}


def _run_ipa(pod, nodes, anti_nodes=()):
    state = framework.CycleState()
    state[inter_pod_affinity.STATE_ANTI_AFFINITY_NODES] = list(anti_nodes)
    inter_pod_affinity.pre_filter(state, pod, nodes)
    return {n.name: reasons(inter_pod_affinity.filter(state, pod, n)) for n in nodes}


def test_inter_pod_affinity_required():
    nodes = [node_info(make_node("a", labels={"zone": "a"}), make_pod("db", labels={"app": "db"})),
             node_info(make_node("b", labels={"zone": "b"})), node_info(make_node("nolabel"))]
    got = _run_ipa(pod_info(make_pod("web", affinity=_aff())), nodes)
    bad = (framework.UNRESOLVABLE, ("node(s) didn't match pod affinity rules",))
    assert got == {"a": (), "b": bad, "nolabel": bad}


def test_inter_pod_affinity_first_pod_of_a_group_may_go_anywhere():
    nodes = [node_info(make_node("a", labels={"zone": "a"})), node_info(make_node("b", labels={"zone": "b"}))]
    got = _run_ipa(pod_info(make_pod("db0", labels={"app": "db"}, affinity=_aff())), nodes)
    assert got == {"a": (), "b": ()}


def test_inter_pod_anti_affinity_own_and_existing():
    db = make_pod("db", labels={"app": "db"}, affinity=_anti())
    nodes = [node_info(make_node("a", labels={"zone": "a"}), db), node_info(make_node("b", labels={"zone": "b"}))]
    own = _run_ipa(pod_info(make_pod("db2", labels={"app": "db"}, affinity=_anti())), nodes, [nodes[0]])
    assert own["a"] == (framework.UNSCHEDULABLE, ("node(s) didn't match pod anti-affinity rules",))
    assert own["b"] == ()
    # A pod without rules of its own is still kept away by the existing pod's anti-affinity.
    plain = _run_ipa(pod_info(make_pod("db3", labels={"app": "db"})), nodes, [nodes[0]])
    assert plain == {"a": (framework.UNSCHEDULABLE, ("node(s) didn't satisfy existing pods anti-affinity rules",)), "b": ()}
