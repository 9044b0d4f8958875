"""Leader election on a coordination.k8s.io/v1 Lease (client-go's leaderelection, Lease lock).

Timing follows client-go: the leader renews every `retry_seconds` (RetryPeriod) and gives up
leading when no renewal succeeded for `renew_seconds` (RenewDeadline), which is shorter than
`lease_seconds` (LeaseDuration), so a leader that cannot reach the API server has stopped acting
before any candidate may take the Lease. Candidates judge expiry by when *they* last saw the
Lease record change (client-go's `observedTime`), not by the holder's clock, so clock skew
between machines cannot make a live leader look expired.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from uwernetes.client.api import LEASES, APIError, Client
from uwernetes.machinery.meta import now_micro, parse_time

log = logging.getLogger(__name__)


class LeaseConflict(Exception):
    """Somebody wrote the Lease between our read and our write: try again next period."""


def lease_expired(lease: dict, now: datetime, observed: datetime | None = None) -> bool:
    """Whether a candidate may take the Lease at `now` (pure, for tables).

    A Lease without a holder (never held, or released) is free. Otherwise the claim lasts
    `leaseDurationSeconds` (0 when absent, as client-go reads it) from `observed`, the moment
    the candidate last saw the record change, or from the record's own renewTime (acquireTime)
    when the candidate has no observation of its own.
    """
    spec = lease.get("spec") or {}
    if not spec.get("holderIdentity"):
        return True
    start = observed
    if start is None:
        stamp = spec.get("renewTime") or spec.get("acquireTime")
        if not stamp:
            return True
        start = parse_time(stamp)
    duration = timedelta(seconds=int(spec.get("leaseDurationSeconds") or 0))
    # client-go: valid while observedTime + duration is after now.
    return not start + duration > now


class LeaderElector:
    def __init__(self, client: Client, namespace: str, name: str, identity: str, *,
                 lease_seconds: float = 15, renew_seconds: float = 10, retry_seconds: float = 2,
                 clock: Callable[[], float] = time.time) -> None:
        if not 0 < renew_seconds < lease_seconds:
            raise ValueError("the renew deadline must be positive and shorter than the lease duration")
        self.client = client
        self.namespace = namespace
        self.name = name
        self.identity = identity
        self.lease_seconds = lease_seconds
        self.renew_seconds = renew_seconds
        self.retry_seconds = retry_seconds
        self.clock = clock
        self._observed_spec: dict | None = None
        self._observed_at: datetime | None = None

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def _observe(self, spec: dict, now: datetime) -> datetime:
        """When the Lease record last changed, as seen from here."""
        if spec != self._observed_spec or self._observed_at is None:
            self._observed_spec = dict(spec)
            self._observed_at = now
        return self._observed_at

    def _spec(self, acquire: bool, transitions: int) -> dict:
        stamp = now_micro()
        spec = {"holderIdentity": self.identity, "leaseDurationSeconds": max(1, round(self.lease_seconds)),
                "renewTime": stamp, "leaseTransitions": transitions}
        if acquire:
            spec["acquireTime"] = stamp
        return spec

    async def try_acquire_or_renew(self) -> bool:
        """True when we hold the Lease after this call, False while another holder's claim is
        valid; `LeaseConflict` when a concurrent write beat ours; APIError for other failures."""
        now = self._now()
        try:
            lease = await self.client.get(LEASES, self.name, self.namespace)
        except APIError as e:
            if not e.not_found:
                raise
            body = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                    "metadata": {"name": self.name, "namespace": self.namespace},
                    "spec": self._spec(True, 0)}
            try:
                await self.client.create(LEASES, body, self.namespace)
            except APIError as e2:
                if e2.conflict:
                    raise LeaseConflict(str(e2)) from None
                raise
            return True
        spec = lease.get("spec") or {}
        mine = spec.get("holderIdentity") == self.identity
        observed = self._observe(spec, now)
        if not mine and not lease_expired(lease, now, observed):
            return False
        transitions = int(spec.get("leaseTransitions") or 0)
        new_spec = dict(spec)
        if mine:
            new_spec.update(self._spec(False, transitions))
        else:
            new_spec.update(self._spec(True, transitions + 1))
        lease["spec"] = new_spec
        try:
            await self.client.update(LEASES, lease, self.namespace)
        except APIError as e:
            if e.conflict:
                raise LeaseConflict(str(e)) from None
            raise
        self._observe(new_spec, now)
        return True

    async def acquire(self) -> None:
        """Return once we hold the Lease, trying every `retry_seconds`."""
        while True:
            try:
                if await asyncio.wait_for(self.try_acquire_or_renew(), self.renew_seconds):
                    return
            except LeaseConflict:
                pass
            except Exception as e:
                log.warning("leader election %s/%s: %s", self.namespace, self.name, e or e.__class__.__name__)
            await asyncio.sleep(self.retry_seconds)

    async def hold(self) -> None:
        """Renew every `retry_seconds`; return (leadership lost) when another holder took the
        Lease or no renewal succeeded within `renew_seconds`."""
        loop = asyncio.get_running_loop()
        last_ok = loop.time()
        while True:
            await asyncio.sleep(self.retry_seconds)
            left = self.renew_seconds - (loop.time() - last_ok)
            if left <= 0:
                return
            try:
                # A request that hangs must not keep us acting past the deadline.
                if not await asyncio.wait_for(self.try_acquire_or_renew(), left):
                    return
                last_ok = loop.time()
            except LeaseConflict:
                pass
            except Exception as e:
                log.warning("renewing lease %s/%s: %s", self.namespace, self.name, e or e.__class__.__name__)
            if loop.time() - last_ok >= self.renew_seconds:
                return

    async def release(self) -> None:
        """Give the Lease up at once (client-go's ReleaseOnCancel), so a standby need not wait
        out the lease duration after a clean shutdown."""
        try:
            lease = await self.client.get(LEASES, self.name, self.namespace)
        except APIError:
            return
        spec = lease.get("spec") or {}
        if spec.get("holderIdentity") != self.identity:
            return
        stamp = now_micro()
        lease["spec"] = dict(spec, holderIdentity="", leaseDurationSeconds=1, renewTime=stamp, acquireTime=stamp)
        try:
            await self.client.update(LEASES, lease, self.namespace)
        except APIError as e:
            log.warning("releasing lease %s/%s: %s", self.namespace, self.name, e)
