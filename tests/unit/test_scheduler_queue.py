"""The scheduling queue: priority order, gated pods, backoff, the unschedulable pool (fake clock)."""

from __future__ import annotations

import asyncio

import pytest
from test_scheduler_builders import make_pod, pod_info

from uwernetes.scheduler import queue as q


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sq(clock) -> q.SchedulingQueue:
    return q.SchedulingQueue(clock=clock)


def drain(sq: q.SchedulingQueue) -> list[str]:
    out = []
    while (qp := sq.pop_nowait()) is not None:
        out.append(qp.pi.name)
    return out


@pytest.mark.parametrize(("attempts", "want"), [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 10.0), (9, 10.0)])
def test_backoff_duration(attempts, want):
    assert q.backoff_duration(attempts) == want


def test_active_queue_orders_by_priority_then_arrival(sq, clock):
    sq.add(pod_info(make_pod("low", priority=0)))
    clock.t += 1
    sq.add(pod_info(make_pod("high", priority=100)))
    clock.t += 1
    sq.add(pod_info(make_pod("low2", priority=0)))
    assert drain(sq) == ["high", "low", "low2"]


def test_gated_pod_is_never_popped_until_last_gate_removed(sq):
    gated = make_pod("g", gates=["a", "b"])
    sq.add(pod_info(gated))
    assert sq.pending() == {"active": 0, "backoff": 0, "unschedulable": 0, "gated": 1}
    assert drain(sq) == []
    one_left = make_pod("g", gates=["b"])
    sq.update(gated, pod_info(one_left))
    assert drain(sq) == []
    assert sq.gated["default/g"].gated_by.message == "waiting for scheduling gates: [b]"
    sq.update(one_left, pod_info(make_pod("g")))
    assert sq.pending()["gated"] == 0
    assert drain(sq) == ["g"]


def test_failed_pod_waits_in_unschedulable_until_a_cluster_event(sq, clock):
    sq.add(pod_info(make_pod("p")))
    qp = sq.pop_nowait()
    sq.requeue_unschedulable(qp)
    assert sq.pending()["unschedulable"] == 1
    assert drain(sq) == []
    # An event during backoff parks it in backoffQ; after backoff (1s for attempt 1) it is active.
    sq.move_all_to_active_or_backoff("NodeAdd")
    assert sq.pending()["backoff"] == 1
    assert drain(sq) == []
    clock.t += 1.01
    assert drain(sq) == ["p"]


def test_event_during_the_attempt_sends_the_pod_to_backoff(sq, clock):
    sq.add(pod_info(make_pod("p")))
    qp = sq.pop_nowait()
    sq.move_all_to_active_or_backoff("NodeAdd")  # arrives while "p" is being scheduled
    sq.requeue_unschedulable(qp)
    assert sq.pending()["backoff"] == 1


def test_status_only_update_does_not_requeue(sq, clock):
    pod = make_pod("p")
    sq.add(pod_info(pod))
    sq.requeue_unschedulable(sq.pop_nowait())
    clock.t += 5
    with_status = {**pod, "status": {"conditions": [{"type": "PodScheduled", "status": "False"}]}}
    sq.update(pod, pod_info(with_status))
    assert sq.pending()["unschedulable"] == 1
    relabelled = {**with_status, "metadata": {**pod["metadata"], "labels": {"x": "y"}}}
    sq.update(with_status, pod_info(relabelled))
    assert drain(sq) == ["p"]


def test_leftover_unschedulable_pods_are_retried_after_five_minutes(sq, clock):
    sq.add(pod_info(make_pod("p")))
    sq.requeue_unschedulable(sq.pop_nowait())
    clock.t += 299
    sq.flush_unschedulable_leftover()
    assert sq.pending()["unschedulable"] == 1
    clock.t += 2
    sq.flush_unschedulable_leftover()
    assert drain(sq) == ["p"]


def test_deleted_pods_leave_every_pool(sq):
    sq.add(pod_info(make_pod("a")))
    sq.add(pod_info(make_pod("g", gates=["x"])))
    sq.delete("default/a")
    sq.delete("default/g")
    assert sq.pending() == {"active": 0, "backoff": 0, "unschedulable": 0, "gated": 0}
    assert drain(sq) == []


def test_waiting_pop_wakes_when_a_pod_lands_in_backoff():
    async def go():
        sq = q.SchedulingQueue(initial_backoff=0.01, max_backoff=0.01)
        sq.add(pod_info(make_pod("p")))
        sq.requeue_unschedulable(await sq.pop())
        waiter = asyncio.create_task(sq.pop())
        await asyncio.sleep(0)  # the pop is now waiting with nothing due
        sq.move_all_to_active_or_backoff("NodeAdd")
        return (await asyncio.wait_for(waiter, 5)).pi.name
    assert asyncio.run(go()) == "p"
