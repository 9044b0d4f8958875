"""Endpoints (core/v1): upstream v1.30's `pkg/registry/core/endpoint/strategy.go`,
`ValidateEndpoints*`, `pkg/api/v1/endpoints` (RepackSubsets) and `printEndpoints`.

Upstream canonicalizes after validation: subsets are repacked so that addresses sharing the same
ports form one subset, addresses sorted by IP. There is no hook after validation here, so the
repacking happens while preparing, and only when the subsets are valid (errors keep the paths of
what the client sent). Upstream orders ports and subsets by a hash of their Go values; here they
keep the order in which they first appear.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime
from typing import Any

from uwernetes.apiserver.resources import core_common as common
from uwernetes.apiserver.resources import persistentvolumes as pvs
from uwernetes.apiserver.resources import podspec
from uwernetes.apiserver.resources.base import Column, Context, Obj, Printer, ResourceType, Strategy
from uwernetes.machinery import field, validation
from uwernetes.machinery.field import FieldError, Path

PROTOCOLS = ("SCTP", "TCP", "UDP")
MAX_SHOWN = 3
SUBSETS = Path("subsets")


def validate_non_special_ip(ip: Any, path: Path) -> list[FieldError]:
    """ValidateNonSpecialIP."""
    try:
        addr = ipaddress.ip_address(ip)
    except (TypeError, ValueError):
        return [field.invalid(path, ip, "must be a valid IP address")]
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    errs: list[FieldError] = []
    if addr.is_unspecified:
        errs.append(field.invalid(path, ip, f"may not be unspecified ({ip})"))
    if addr.is_loopback:
        errs.append(field.invalid(path, ip, "may not be in the loopback range (127.0.0.0/8, ::1/128)"))
    if addr.is_link_local:
        errs.append(field.invalid(path, ip, "may not be in the link-local range (169.254.0.0/16, fe80::/10)"))
    if _is_link_local_multicast(addr):
        errs.append(field.invalid(path, ip, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"))
    return errs


def _is_link_local_multicast(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(addr, ipaddress.IPv4Address):
        return addr in ipaddress.ip_network("224.0.0.0/24")
    return addr.is_multicast and (addr.packed[1] & 0x0F) == 0x02


def _validate_address(addr: Obj, path: Path) -> list[FieldError]:
    ip = addr.get("ip") or ""
    errs = podspec.ip_errors(path.child("ip"), ip)
    hostname = addr.get("hostname") or ""
    if hostname:
        errs.extend(field.invalid(path.child("hostname"), hostname, m) for m in validation.is_dns1123_label(hostname))
    if addr.get("nodeName") is not None:
        node = addr["nodeName"]
        errs.extend(field.invalid(path.child("nodeName"), node, m) for m in validation.is_dns1123_subdomain(node))
    errs.extend(validate_non_special_ip(ip, path.child("ip")))
    return errs


def _validate_port(port: Obj, require_name: bool, path: Path) -> list[FieldError]:
    errs: list[FieldError] = []
    name = port.get("name") or ""
    if require_name and not name:
        errs.append(field.required(path.child("name"), ""))
    elif name:
        errs.extend(field.invalid(path.child("name"), name, m) for m in validation.is_dns1123_label(name))
    num = port.get("port") or 0
    errs.extend(field.invalid(path.child("port"), num, m) for m in validation.is_valid_port_num(num))
    protocol = port.get("protocol") or ""
    if not protocol:
        errs.append(field.required(path.child("protocol"), ""))
    elif protocol not in PROTOCOLS:
        errs.append(field.not_supported(path.child("protocol"), protocol, PROTOCOLS))
    if port.get("appProtocol") is not None:
        app = port["appProtocol"]
        errs.extend(field.invalid(path.child("appProtocol"), app, m) for m in validation.is_qualified_name(app))
    return errs


def validate_subsets(subsets: Any, path: Path = SUBSETS) -> list[FieldError]:
    """validateEndpointSubsets."""
    errs: list[FieldError] = []
    for i, ss in enumerate(subsets or ()):
        ss = ss if isinstance(ss, dict) else {}
        p = path.index(i)
        addresses, not_ready, ports = ss.get("addresses") or [], ss.get("notReadyAddresses") or [], ss.get("ports") or []
        if not addresses and not not_ready:
            errs.append(field.required(p, "must specify `addresses` or `notReadyAddresses`"))
        for j, addr in enumerate(addresses):
            errs.extend(_validate_address(addr or {}, p.child("addresses").index(j)))
        for j, addr in enumerate(not_ready):
            errs.extend(_validate_address(addr or {}, p.child("notReadyAddresses").index(j)))
        for j, port in enumerate(ports):
            errs.extend(_validate_port(port or {}, len(ports) > 1, p.child("ports").index(j)))
    return errs


def _address_key(addr: Obj) -> tuple[str, str]:
    return addr.get("ip") or "", ((addr.get("targetRef") or {}).get("uid")) or ""


def repack_subsets(subsets: list[Obj]) -> list[Obj]:
    """RepackSubsets: one subset per distinct set of addresses, each with all its ports."""
    by_port: dict[str, tuple[Obj | None, dict[tuple[str, str], bool]]] = {}
    addrs: dict[tuple[str, str], Obj] = {}
    for ss in subsets:
        ports = ss.get("ports") or [None]  # a port-less subset keeps its addresses (headless)
        for port in ports:
            pkey = repr(sorted(port.items())) if port else ""
            _, ready_by_addr = by_port.setdefault(pkey, (port, {}))
            for addr in ss.get("addresses") or ():
                addrs.setdefault(_address_key(addr), addr)
                ready_by_addr[_address_key(addr)] = True
            for addr in ss.get("notReadyAddresses") or ():
                addrs.setdefault(_address_key(addr), addr)
                ready_by_addr.setdefault(_address_key(addr), False)
    grouped: dict[tuple, tuple[dict[tuple[str, str], bool], list[Obj]]] = {}
    for port, ready_by_addr in by_port.values():
        key = tuple(sorted(ready_by_addr.items()))
        _, ports = grouped.setdefault(key, (ready_by_addr, []))
        if port:
            ports.append(port)
    out: list[Obj] = []
    for ready_by_addr, ports in grouped.values():
        ordered = sorted(ready_by_addr.items(), key=lambda kv: kv[0])
        ss: Obj = {}
        ready = [addrs[k] for k, r in ordered if r]
        not_ready = [addrs[k] for k, r in ordered if not r]
        if ready:
            ss["addresses"] = ready
        if not_ready:
            ss["notReadyAddresses"] = not_ready
        if ports:
            ss["ports"] = ports
        out.append(ss)
    return out


def format_endpoints(ep: Obj) -> str:
    """formatEndpoints(endpoints, nil): up to three host:port pairs, then `+ N more...`."""
    subsets = ep.get("subsets") or []
    if not subsets:
        return "<none>"
    shown: list[str] = []
    more = False
    count = 0
    for ss in subsets:
        addresses = ss.get("addresses") or []
        ports = ss.get("ports") or []
        if not ports:
            # Headless services may have endpoints without ports.
            count += len(addresses)
            for addr in addresses:
                if len(shown) == MAX_SHOWN:
                    more = True
                    break
                shown.append(addr.get("ip") or "")
            continue
        for port in ports:
            count += len(addresses)
            for addr in addresses:
                if len(shown) == MAX_SHOWN:
                    more = True
                    break
                shown.append(_join_host_port(addr.get("ip") or "", port.get("port") or 0))
    text = ",".join(shown)
    return f"{text} + {count - MAX_SHOWN} more..." if more else text


def _join_host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def default_endpoints(ep: Obj) -> None:
    """SetDefaults_EndpointPort: protocol TCP."""
    for ss in ep.get("subsets") or ():
        for port in (ss or {}).get("ports") or ():
            if isinstance(port, dict) and not port.get("protocol"):
                port["protocol"] = "TCP"


class EndpointsStrategy(Strategy):
    tracks_generation = False

    def default(self, obj: Obj) -> None:
        default_endpoints(obj)

    def _canonicalize(self, obj: Obj) -> None:
        if obj.get("subsets") and not validate_subsets(obj["subsets"]):
            obj["subsets"] = repack_subsets(obj["subsets"])

    def prepare_for_create(self, obj: Obj, ctx: Context) -> None:
        self._canonicalize(obj)

    def prepare_for_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        self._canonicalize(new)

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return validate_subsets(obj.get("subsets"))

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_subsets(new.get("subsets"))


def table_row(ep: Obj, now: datetime | None = None) -> list[Any]:
    return [common.name_of(ep), format_endpoints(ep), common.age(ep, now)]


PRINTER = Printer(
    columns=[
        common.name_column(),
        Column("Endpoints", description=pvs.schema_doc("Endpoints", "subsets")),
        common.age_column(),
    ],
    row=table_row,
)

ENDPOINTS = ResourceType(
    group="",
    version="v1",
    kind="Endpoints",
    plural="endpoints",
    namespaced=True,
    singular="endpoints",
    short_names=("ep",),
    strategy=EndpointsStrategy(),
    printer=PRINTER,
)
