"""Leader election on a coordination.k8s.io/v1 Lease (client-go's leaderelection, Lease lock)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from uwernetes.client.api import LEASES, APIError, Client
from uwernetes.machinery.meta import now_micro, parse_time

log = logging.getLogger(__name__)


def lease_expired(lease: dict, now: datetime) -> bool:
    """Whether the current holder's claim has lapsed (pure, for tables)."""
    spec = lease.get("spec") or {}
    if not spec.get("holderIdentity"):
        return True
    renew = spec.get("renewTime") or spec.get("acquireTime")
    if not renew:
        return True
    return (now - parse_time(renew)).total_seconds() > float(spec.get("leaseDurationSeconds") or 15)


class LeaderElector:
    def __init__(self, client: Client, namespace: str, name: str, identity: str, *,
                 lease_seconds: float = 15, renew_seconds: float = 10, retry_seconds: float = 2) -> None:
        self.client = client
        self.namespace = namespace
        self.name = name
        self.identity = identity
        self.lease_seconds = lease_seconds
        self.renew_seconds = renew_seconds
        self.retry_seconds = retry_seconds

    async def _try(self) -> bool:
        now = datetime.now(UTC)
        try:
            lease = await self.client.get(LEASES, self.name, self.namespace)
        except APIError as e:
            if not e.not_found:
                raise
            body = {
                "apiVersion": "coordination.k8s.io/v1",
                "kind": "Lease",
                "metadata": {"name": self.name, "namespace": self.namespace},
                "spec": {"holderIdentity": self.identity, "leaseDurationSeconds": int(self.lease_seconds),
                         "acquireTime": now_micro(), "renewTime": now_micro(), "leaseTransitions": 0},
            }
            try:
                await self.client.create(LEASES, body, self.namespace)
                return True
            except APIError as e2:
                if e2.conflict:
                    return False
                raise
        spec = lease.get("spec") or {}
        mine = spec.get("holderIdentity") == self.identity
        if not mine and not lease_expired(lease, now):
            return False
        new_spec = dict(spec, holderIdentity=self.identity, renewTime=now_micro(),
                        leaseDurationSeconds=int(self.lease_seconds))
        if not mine:
            new_spec["acquireTime"] = now_micro()
            new_spec["leaseTransitions"] = int(spec.get("leaseTransitions") or 0) + 1
        lease["spec"] = new_spec
        try:
            await self.client.update(LEASES, lease, self.namespace)
            return True
        except APIError as e:
            if e.conflict:
                return False
            raise

    async def acquire(self) -> None:
        while True:
            try:
                if await self._try():
                    return
            except Exception as e:
                log.warning("leader election %s: %s", self.name, e)
            await asyncio.sleep(self.retry_seconds)

    async def hold(self) -> None:
        """Renew until a renewal fails for longer than the lease lasts; then return (lost)."""
        loop = asyncio.get_running_loop()
        last_ok = loop.time()
        while True:
            await asyncio.sleep(self.retry_seconds if loop.time() - last_ok > self.renew_seconds else self.renew_seconds / 2)
            try:
                if await self._try():
                    last_ok = loop.time()
                    continue
                return  # somebody else holds it now
            except Exception as e:
                log.warning("renewing lease %s: %s", self.name, e)
            if loop.time() - last_ok > self.renew_seconds:
                return
