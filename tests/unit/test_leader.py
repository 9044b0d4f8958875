"""Leader election: when a Lease may be taken (client-go's isLeaseValid), and two electors over
one Lease with an injected clock."""

from __future__ import annotations

import asyncio
import copy
from datetime import UTC, datetime, timedelta

import pytest

from uwernetes.client.api import APIError
from uwernetes.controllers.leader import LeaderElector, LeaseConflict, lease_expired

T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def lease(holder="a", renew="2024-05-01T12:00:00.000000Z", duration=15, acquire=None):
    spec = {}
    if holder is not None:
        spec["holderIdentity"] = holder
    if renew is not None:
        spec["renewTime"] = renew
    if duration is not None:
        spec["leaseDurationSeconds"] = duration
    if acquire is not None:
        spec["acquireTime"] = acquire
    return {"spec": spec}


@pytest.mark.parametrize("case, obj, now, observed, want", [
    ("no spec at all: free", {}, T0, None, True),
    ("no holder: free", lease(holder=None), T0, None, True),
    ("empty holder (released): free", lease(holder=""), T0, None, True),
    ("just renewed: held", lease(), T0, None, False),
    ("renewed 14.999999s ago: held", lease(), T0 + timedelta(seconds=14, microseconds=999999), None, False),
    ("exactly the duration later: expired", lease(), T0 + timedelta(seconds=15), None, True),
    ("past the duration: expired", lease(), T0 + timedelta(seconds=16), None, True),
    ("no renewTime: acquireTime counts", lease(renew=None, acquire="2024-05-01T12:00:00Z"),
     T0 + timedelta(seconds=10), None, False),
    ("neither renewTime nor acquireTime: expired", lease(renew=None), T0, None, True),
    ("no duration reads as 0: expired at once", lease(duration=None), T0, None, True),
    ("numeric offset in renewTime", lease(renew="2024-05-01T14:00:00+02:00"), T0 + timedelta(seconds=5), None, False),
    ("observation wins over an old renewTime (skewed holder clock)", lease(renew="2024-05-01T11:00:00Z"),
     T0 + timedelta(seconds=5), T0, False),
    ("observation wins over a future renewTime", lease(renew="2024-05-01T13:00:00Z"),
     T0 + timedelta(seconds=15), T0, True),
])
def test_lease_expired(case, obj, now, observed, want):
    assert lease_expired(obj, now, observed) is want, case


class FakeLeases:
    """get/create/update of one Lease with resourceVersion compare-and-swap."""

    def __init__(self) -> None:
        self.obj: dict | None = None
        self.rv = 0
        self.fail = False

    async def get(self, resource, name, namespace=None):
        if self.fail:
            raise APIError(503, {"reason": "ServiceUnavailable"})
        if self.obj is None:
            raise APIError(404, {"reason": "NotFound"})
        return copy.deepcopy(self.obj)

    async def create(self, resource, body, namespace=None):
        if self.obj is not None:
            raise APIError(409, {"reason": "AlreadyExists"})
        self.rv += 1
        self.obj = copy.deepcopy(body)
        self.obj["metadata"]["resourceVersion"] = str(self.rv)
        return copy.deepcopy(self.obj)

    async def update(self, resource, body, namespace=None):
        if body["metadata"].get("resourceVersion") != self.obj["metadata"]["resourceVersion"]:
            raise APIError(409, {"reason": "Conflict"})
        self.rv += 1
        self.obj = copy.deepcopy(body)
        self.obj["metadata"]["resourceVersion"] = str(self.rv)
        return copy.deepcopy(self.obj)


class Clock:
    def __init__(self) -> None:
        self.t = T0.timestamp()

    def __call__(self) -> float:
        return self.t


def electors(store, clock):
    def make(identity):
        return LeaderElector(store, "kube-system", "kube-controller-manager", identity,
                             lease_seconds=15, renew_seconds=10, retry_seconds=2, clock=clock)
    return make("a"), make("b")


def run(coro):
    return asyncio.run(coro)


def test_first_candidate_creates_the_lease_and_the_second_waits_a_full_observed_duration():
    store, clock = FakeLeases(), Clock()
    a, b = electors(store, clock)
    assert run(a.try_acquire_or_renew()) is True
    spec = store.obj["spec"]
    assert (spec["holderIdentity"], spec["leaseDurationSeconds"], spec["leaseTransitions"]) == ("a", 15, 0)
    assert spec["acquireTime"] == spec["renewTime"]
    assert run(b.try_acquire_or_renew()) is False  # b observes the record now
    clock.t += 14
    assert run(b.try_acquire_or_renew()) is False
    clock.t += 1
    assert run(b.try_acquire_or_renew()) is True
    spec = store.obj["spec"]
    assert (spec["holderIdentity"], spec["leaseTransitions"]) == ("b", 1)
    # a sees another holder with a fresh claim: it is no longer leader.
    assert run(a.try_acquire_or_renew()) is False


def test_renewals_keep_a_standby_out():
    store, clock = FakeLeases(), Clock()
    a, b = electors(store, clock)
    run(a.try_acquire_or_renew())
    run(b.try_acquire_or_renew())
    for _ in range(10):
        clock.t += 10
        assert run(a.try_acquire_or_renew()) is True  # renews: the record changes
        assert run(b.try_acquire_or_renew()) is False
    assert store.obj["spec"]["leaseTransitions"] == 0


def test_a_concurrent_write_is_a_conflict_not_a_loss():
    store, clock = FakeLeases(), Clock()
    a, _ = electors(store, clock)
    run(a.try_acquire_or_renew())
    real_get = store.get

    async def stale_get(resource, name, namespace=None):
        obj = await real_get(resource, name, namespace)
        store.rv += 1
        store.obj["metadata"]["resourceVersion"] = str(store.rv)
        return obj

    store.get = stale_get
    with pytest.raises(LeaseConflict):
        run(a.try_acquire_or_renew())


def test_release_frees_the_lease_for_the_standby_at_once():
    store, clock = FakeLeases(), Clock()
    a, b = electors(store, clock)
    run(a.try_acquire_or_renew())
    run(a.release())
    assert store.obj["spec"]["holderIdentity"] == ""
    assert run(b.try_acquire_or_renew()) is True
    assert store.obj["spec"]["leaseTransitions"] == 1


def test_hold_gives_up_after_the_renew_deadline_when_the_api_is_unreachable():
    store = FakeLeases()
    elector = LeaderElector(store, "kube-system", "l", "a", lease_seconds=0.6, renew_seconds=0.3, retry_seconds=0.05)

    async def scenario():
        await elector.acquire()
        store.fail = True
        await asyncio.wait_for(elector.hold(), 5)  # returns: leadership lost
        return store.obj["spec"]["holderIdentity"]

    assert run(scenario()) == "a"


def test_renew_deadline_must_be_shorter_than_the_lease():
    with pytest.raises(ValueError):
        LeaderElector(FakeLeases(), "kube-system", "l", "a", lease_seconds=10, renew_seconds=10)
