"""Stateful allocation for Services: cluster IPs and node ports, checked against every Service.

Upstream keeps allocation bitmaps in etcd; here the Service watch cache is the source of what is
taken, plus reservations covering writes in flight, so two concurrent creates never receive the same
address. A reservation ends when its write does (the registry calls the release the hook returns):
a stored write is in the cache by then (the in-process store updates it before answering), and a
dry run or a failed write frees its addresses at once, as upstream's allocators do.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from uwernetes.apiserver.registry import Registry
from uwernetes.apiserver.resources import services as svc
from uwernetes.apiserver.resources.base import Obj

# A safety net only: every reservation is released when its write finishes.
RESERVATION_SECONDS = 30.0


class ServiceAllocator:
    def __init__(self, registry: Registry, cidr: str = svc.DEFAULT_SERVICE_CIDR) -> None:
        self.registry = registry
        self.cidr = cidr
        self.rt = registry.resource("", "v1", "services")
        self._reserved_ips: dict[str, float] = {}
        self._reserved_ports: dict[int, float] = {}
        # key -> (revision, what that version uses): the cache keeps JSON, so decode each once.
        self._seen: dict[str, tuple[int, tuple[str, tuple[str, ...], tuple[int, ...]]]] = {}

    def _taken(self, exclude_uid: str | None) -> tuple[set[str], set[int]]:
        now = time.monotonic()
        for table in (self._reserved_ips, self._reserved_ports):
            for k in [k for k, t in table.items() if now - t > RESERVATION_SECONDS]:
                del table[k]
        ips: set[str] = set(self._reserved_ips)
        ports: set[int] = set(self._reserved_ports)
        cache = self.registry._caches.get(self.rt.storage_prefix)
        entries = cache.objects if cache else {}
        for key, entry in entries.items():
            uid, used_ips, used_ports = self._used_by(key, entry)
            if exclude_uid and uid == exclude_uid:
                continue
            ips.update(used_ips)
            ports.update(used_ports)
        for key in [k for k in self._seen if k not in entries]:
            del self._seen[key]
        return ips, ports

    def _used_by(self, key: str, entry: Any) -> tuple[str, tuple[str, ...], tuple[int, ...]]:
        """(uid, cluster IPs, node ports) of one cached Service, decoded once per version."""
        seen = self._seen.get(key)
        if seen is not None and seen[0] == entry.rev:
            return seen[1]
        obj = entry.obj
        spec = obj.get("spec") or {}
        used = (
            (obj.get("metadata") or {}).get("uid") or "",
            tuple(ip for ip in spec.get("clusterIPs") or [spec.get("clusterIP")] if ip and ip != svc.HEADLESS),
            tuple(p["nodePort"] for p in spec.get("ports") or () if p.get("nodePort")),
        )
        self._seen[key] = (entry.rev, used)
        return used

    async def __call__(self, op: str, new: Obj, old: Obj | None) -> Callable[[], None]:
        spec = new.setdefault("spec", {})
        name = (new.get("metadata") or {}).get("name") or ""
        uid = (new.get("metadata") or {}).get("uid")
        used_ips, used_ports = self._taken(uid if op == "UPDATE" else None)
        old_spec = (old or {}).get("spec") or {}
        ips: list[str] = []
        if spec.get("type") != svc.EXTERNAL_NAME:
            requested = spec.get("clusterIP") or None
            if op == "CREATE" or (requested != old_spec.get("clusterIP")) or not requested:
                ip = svc.allocate_cluster_ip(used_ips, self.cidr, requested, name=name)
                spec["clusterIP"] = ip
                spec["clusterIPs"] = [ip]
                if ip != svc.HEADLESS:
                    ips.append(ip)
        svc.allocate_node_ports(new, used_ports)
        ports = [p["nodePort"] for p in spec.get("ports") or () if p.get("nodePort")]
        return self._reserve(ips, ports)

    def _reserve(self, ips: list[str], ports: list[int]) -> Callable[[], None]:
        now = time.monotonic()
        mine_ips = {ip: now for ip in ips if ip not in self._reserved_ips}
        mine_ports = {port: now for port in ports if port not in self._reserved_ports}
        self._reserved_ips.update(mine_ips)
        self._reserved_ports.update(mine_ports)

        def release() -> None:
            for table, mine in ((self._reserved_ips, mine_ips), (self._reserved_ports, mine_ports)):
                for k, t in mine.items():
                    if table.get(k) == t:
                        del table[k]

        return release
