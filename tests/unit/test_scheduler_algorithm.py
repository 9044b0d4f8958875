"""One scheduling cycle: FitError messages, sampling, the counted fast path, preemption choices."""

from __future__ import annotations

import random

import pytest
from test_scheduler_builders import make_node, make_pod, node_info, pod_info

from uwernetes.scheduler import algorithm, framework, preemption
from uwernetes.scheduler.cache import Cache


@pytest.mark.parametrize(("n", "want"), [
    (1, 1), (99, 99), (100, 100), (1000, 420), (5000, 500), (10000, 500), (20000, 1000),
])
def test_num_feasible_nodes_to_find(n, want):
    # 1000 nodes: 50 - 1000/125 = 42%; 5000: 10%; 20000: floor at 5%.
    assert algorithm.num_feasible_nodes_to_find(n) == want


@pytest.mark.parametrize(("statuses", "post", "want"), [
    pytest.param({"a": framework.unresolvable("node(s) had untolerated taint {key: value}"),
                  "b": framework.unschedulable("Insufficient cpu"), "c": framework.unschedulable("Insufficient cpu")},
                 "preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.",
                 "0/3 nodes are available: 1 node(s) had untolerated taint {key: value}, 2 Insufficient cpu. "
                 "preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod..",
                 id="issue example, with upstream's double period after the PostFilter message"),
    pytest.param({"a": framework.unschedulable("Insufficient cpu", "Insufficient memory")}, "",
                 "0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory.", id="one node, two reasons"),
    pytest.param({f"n{i}": framework.unschedulable("x") for i in range(10)} | {"z": framework.unschedulable("y"),
                 "w": framework.unschedulable("y")}, "",
                 "0/12 nodes are available: 10 x, 2 y.", id="histogram sorted as strings"),
])
def test_fit_error_message(statuses, post, want):
    d = framework.Diagnosis(node_statuses=statuses, post_filter_msg=post)
    assert framework.fit_error_message(len(statuses), d) == want


def test_schedule_picks_least_allocated_and_reports_fit_error():
    nodes = [node_info(make_node("busy"), make_pod("e", cpu="3")), node_info(make_node("idle"))]
    algo = algorithm.Algorithm(random.Random(1))
    assert algo.schedule(pod_info(make_pod(cpu="500m")), nodes).node == "idle"
    with pytest.raises(algorithm.FitError) as e:
        algo.schedule(pod_info(make_pod(cpu="5")), nodes)
    assert e.value.message == "0/2 nodes are available: 2 Insufficient cpu."


def test_sampling_visits_a_rotating_window():
    cache = Cache()
    for i in range(1000):
        cache.add_node(make_node(f"n{i:04d}"))
    algo = algorithm.Algorithm(random.Random(0))
    first = algo.schedule(pod_info(make_pod(cpu="1")), cache.node_list, keys=cache.keys)
    assert first.evaluated == 420 and first.feasible == 420
    assert algo.next_start_node_index == 420
    assert "n0000" <= first.node < "n0420"
    second = algo.schedule(pod_info(make_pod(cpu="1")), cache.node_list, keys=cache.keys)
    assert "n0420" <= second.node < "n0840"


def _cluster(seed: int) -> Cache:
    rng = random.Random(seed)
    cache = Cache()
    for i in range(300):
        taints = [{"key": "t", "value": "v", "effect": rng.choice(["NoSchedule", "PreferNoSchedule"])}] if i % 7 == 0 else None
        cache.add_node(make_node(f"n{i:03d}", cpu=rng.choice(["2", "4"]), unschedulable=i % 11 == 0, taints=taints))
    for j in range(400):
        cache.set_pod(pod_info(make_pod(f"e{j}", cpu=rng.choice(["100m", "500m", "1"]), node_name=f"n{rng.randrange(300):03d}")))
    return cache


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_counted_path_makes_the_same_choice_as_the_node_by_node_path(seed):
    """Same sample and the same winner set: with equal random draws both pick the same node."""
    cache = _cluster(seed)
    for k, cpu in enumerate(["200m", "1", "1500m", "3"]):
        pod = pod_info(make_pod(f"p{k}", cpu=cpu))
        counted = algorithm.Algorithm(random.Random(seed))
        slow = algorithm.Algorithm(random.Random(seed))
        counted.next_start_node_index = slow.next_start_node_index = 37 * k
        try:
            a = counted.schedule(pod, cache.node_list, keys=cache.keys)
        except algorithm.FitError as e:
            with pytest.raises(algorithm.FitError) as e2:
                slow.schedule(pod, cache.node_list)
            assert e.message == e2.value.message
            continue
        state = framework.CycleState()
        feasible, diagnosis, memo = slow._find_feasible(state, pod, cache.node_list, True)
        totals = slow._prioritize(state, pod, feasible, cache.node_list, [memo[n.state_key] for n in feasible])
        best = max(totals)
        winners = {n.name for n, t in zip(feasible, totals, strict=True) if t == best}
        assert a.node in winners
        assert (a.evaluated, a.feasible) == (len(feasible) + len(diagnosis.node_statuses), len(feasible))
        assert counted.next_start_node_index == slow.next_start_node_index


def test_default_spreading_for_controller_pods_same_with_the_owner_index():
    """Pods of a ReplicaSet spread by zone and host; the owner index gives the node-by-node answer."""
    owner = {"kind": "ReplicaSet", "name": "rs", "uid": "rs-1", "apiVersion": "apps/v1"}
    cache = Cache()
    for i in range(150):
        cache.add_node(make_node(f"n{i:03d}", labels={"topology.kubernetes.io/zone": f"z{i % 3}"}))
    # Zone z0 already runs 6 replicas (hosts 0 and 3 only), z1 runs 1.
    for j, host in enumerate(["n000", "n000", "n000", "n003", "n003", "n003", "n001"]):
        cache.set_pod(pod_info(make_pod(f"r{j}", cpu="100m", node_name=host, owner=owner)))
    pod = pod_info(make_pod("new", cpu="100m", owner=owner))
    counted = algorithm.Algorithm(random.Random(5))
    result = counted.schedule(pod, cache.node_list, keys=cache.keys, owner_nodes=cache.owner_nodes(pod),
                              owner_zones=cache.owner_zones(pod), positions=cache.positions)
    slow = algorithm.Algorithm(random.Random(5))
    state = framework.CycleState()
    feasible, _, memo = slow._find_feasible(state, pod, cache.node_list, True)
    totals = slow._prioritize(state, pod, feasible, cache.node_list, [memo[n.state_key] for n in feasible])
    best = max(totals)
    winners = {n.name for n, t in zip(feasible, totals, strict=True) if t == best}
    assert result.node in winners
    assert all(int(name[1:]) % 3 == 2 for name in winners)  # the empty zone z2 wins


def test_nominated_node_is_tried_first():
    nodes = [node_info(make_node("a")), node_info(make_node("b"), make_pod("e", cpu="3"))]
    result = algorithm.Algorithm().schedule(pod_info(make_pod(cpu="1")), nodes, nominated=nodes[1])
    assert result.node == "b"


def _fit_error(pod, nodes):
    with pytest.raises(algorithm.FitError) as e:
        algorithm.Algorithm().schedule(pod, nodes)
    return e.value


def test_preemption_picks_the_node_with_the_least_important_victims():
    nodes = [node_info(make_node("a", cpu="2"), make_pod("a-low", cpu="2", priority=10)),
             node_info(make_node("b", cpu="2"), make_pod("b-lower", cpu="1", priority=1),
                       make_pod("b-low", cpu="1", priority=5)),
             node_info(make_node("c", cpu="2"), make_pod("c-high", cpu="2", priority=1000))]
    pod = pod_info(make_pod("vip", cpu="2", priority=100))
    fe = _fit_error(pod, nodes)
    res = preemption.preempt(pod, nodes, fe.diagnosis)
    assert res.node == "b"
    assert sorted(v.name for v in res.victims) == ["b-low", "b-lower"]


def test_preemption_reprieves_victims_that_can_stay():
    nodes = [node_info(make_node("a", cpu="4"), make_pod("keep", cpu="1", priority=5), make_pod("go", cpu="3", priority=1))]
    pod = pod_info(make_pod("vip", cpu="3", priority=100))
    res = preemption.preempt(pod, nodes, _fit_error(pod, nodes).diagnosis)
    assert (res.node, [v.name for v in res.victims]) == ("a", ["go"])


@pytest.mark.parametrize(("pod_kw", "want"), [
    pytest.param({"priority": 100, "preemption_policy": "Never"}, "preemption: not eligible due to preemptionPolicy=Never.",
                 id="preemptionPolicy Never"),
    pytest.param({"priority": 0}, "preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, "
                                  "1 Preemption is not helpful for scheduling.", id="no lower-priority pods"),
])
def test_preemption_messages(pod_kw, want):
    nodes = [node_info(make_node("a", cpu="1"), make_pod("e", cpu="1", priority=0)),
             node_info(make_node("t", taints=[{"key": "k", "value": "v", "effect": "NoSchedule"}]))]
    pod = pod_info(make_pod("p", cpu="2", **pod_kw))
    res = preemption.preempt(pod, nodes, _fit_error(pod, nodes).diagnosis)
    assert (res.node, res.message) == ("", want)


def test_cache_assume_forget_and_confirm():
    cache = Cache()
    cache.add_node(make_node("n"))
    pi = pod_info(make_pod("p", cpu="1"))
    cache.assume(pi, "n")
    assert cache.nodes["n"].requested["cpu"] == 1000 and cache.is_assumed("default/p")
    cache.forget("default/p")
    assert cache.nodes["n"].requested.get("cpu") == 0 and not cache.is_assumed("default/p")
    cache.assume(pi, "n")
    cache.set_pod(pod_info(make_pod("p", cpu="1", node_name="n")))  # the informer shows it bound
    assert not cache.is_assumed("default/p") and len(cache.nodes["n"].pods) == 1
    done = make_pod("p", cpu="1", node_name="n")
    done["status"] = {"phase": "Succeeded"}
    cache.set_pod(pod_info(done))
    assert len(cache.nodes["n"].pods) == 0


@pytest.mark.parametrize("seed", range(6))
def test_default_spreading_keeps_off_nodes_that_already_run_a_replica(seed):
    owner = {"kind": "ReplicaSet", "name": "rs", "uid": "rs-2", "apiVersion": "apps/v1"}
    cache = Cache()
    for i in range(120):
        cache.add_node(make_node(f"n{i:03d}", labels={"topology.kubernetes.io/zone": f"z{i % 3}"}))
    for i in range(3):  # one replica per zone, on the first three nodes
        cache.set_pod(pod_info(make_pod(f"r{i}", cpu="100m", node_name=f"n{i:03d}", owner=owner)))
    pod = pod_info(make_pod("new", cpu="100m", owner=owner))
    algo = algorithm.Algorithm(random.Random(seed))
    algo.next_start_node_index = 118  # the sample wraps around and includes the replica nodes
    result = algo.schedule(pod, cache.node_list, keys=cache.keys, owner_nodes=cache.owner_nodes(pod),
                           owner_zones=cache.owner_zones(pod), positions=cache.positions)
    assert result.node not in ("n000", "n001", "n002")
    assert result.feasible == 100  # at least 100 nodes are sampled
    slow = algorithm.Algorithm()
    state = framework.CycleState()
    slow.next_start_node_index = 118
    feasible, _, memo = slow._find_feasible(state, pod, cache.node_list, True)
    totals = slow._prioritize(state, pod, feasible, cache.node_list, [memo[n.state_key] for n in feasible])
    winners = {n.name for n, t in zip(feasible, totals, strict=True) if t == max(totals)}
    assert result.node in winners and "n000" not in winners


def test_cache_counts_controller_pods_per_node_and_zone():
    owner = {"kind": "ReplicaSet", "name": "rs", "uid": "rs-3", "apiVersion": "apps/v1"}
    cache = Cache()
    cache.add_node(make_node("a", labels={"topology.kubernetes.io/zone": "z0"}))
    for i in range(2):
        cache.set_pod(pod_info(make_pod(f"r{i}", node_name="a", owner=owner)))
    probe = pod_info(make_pod("x", owner=owner))
    assert (cache.owner_nodes(probe), cache.owner_zones(probe)) == ({"a": 2}, {"z0": 2})
    cache.update_node(None, make_node("a", labels={"topology.kubernetes.io/zone": "z1"}))
    assert cache.owner_zones(probe) == {"z1": 2}
    cache.remove_pod("default/r0")
    assert (cache.owner_nodes(probe), cache.owner_zones(probe)) == ({"a": 1}, {"z1": 1})
    cache.remove_node("a")
    assert cache.owner_zones(probe) == {}
