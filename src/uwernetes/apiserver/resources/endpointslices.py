"""EndpointSlices (discovery.k8s.io/v1): upstream's `pkg/registry/discovery/endpointslice`,
`pkg/apis/discovery/validation` and `printEndpointSlice`.

Addresses are checked by the slice's addressType (IPv4, IPv6, FQDN), with Go's IP parsing rules:
an IPv4-mapped IPv6 address counts as IPv4, and the special ranges Endpoints also refuse
(unspecified, loopback, link-local) are refused here too (core's ValidateNonSpecialIP).
"""

from __future__ import annotations

import ipaddress
from datetime import datetime
from typing import Any

from uwernetes.apiserver.resources import core_common as common
from uwernetes.apiserver.resources.base import (
    Column,
    Context,
    LazyText,
    Obj,
    Printer,
    ResourceType,
    Strategy,
    field_doc,
)
from uwernetes.machinery import field, validation
from uwernetes.machinery.field import FieldError, Path

ADDRESS_TYPES = ("FQDN", "IPv4", "IPv6")  # sorted, as sets.List() prints them
PROTOCOLS = ("SCTP", "TCP", "UDP")
MAX_TOPOLOGY_LABELS = 16
MAX_ADDRESSES = 100
MAX_PORTS = 20000
MAX_ENDPOINTS = 1000
MAX_ZONE_HINTS = 8


def _doc(prop: str) -> LazyText:
    return field_doc("io.k8s.api.discovery.v1.EndpointSlice", prop)


def parse_ip(text: Any) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """netutils.ParseIPSloppy: like Go's net.ParseIP, plus leading zeros in IPv4 parts."""
    if not isinstance(text, str) or not text or "%" in text:
        return None
    if ":" not in text:
        parts = text.split(".")
        if len(parts) != 4 or not all(p.isdigit() and p.isascii() for p in parts):
            return None
        text = ".".join(str(int(p)) for p in parts)
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _as_v4(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """Go's To4(): IPv4 addresses and IPv4-mapped IPv6 ones."""
    if isinstance(ip, ipaddress.IPv4Address):
        return ip
    return ip.ipv4_mapped


def validate_non_special_ip(address: str, path: Path) -> list[FieldError]:
    ip = parse_ip(address)
    if ip is None:
        return [field.invalid(path, address, "must be a valid IP address")]
    v4 = _as_v4(ip)
    view = v4 if v4 is not None else ip
    errs: list[FieldError] = []
    if view.is_unspecified:
        errs.append(field.invalid(path, address, f"may not be unspecified ({address})"))
    if view.is_loopback:
        errs.append(field.invalid(path, address, "may not be in the loopback range (127.0.0.0/8, ::1/128)"))
    if view in ipaddress.ip_network("169.254.0.0/16") or view in ipaddress.ip_network("fe80::/10"):
        errs.append(field.invalid(path, address, "may not be in the link-local range (169.254.0.0/16, fe80::/10)"))
    packed = view.packed
    if (v4 is not None and view in ipaddress.ip_network("224.0.0.0/24")) or (
        v4 is None and packed[0] == 0xFF and packed[1] & 0x0F == 0x02
    ):
        errs.append(field.invalid(
            path, address, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"
        ))
    return errs


def validate_fqdn(name: str, path: Path) -> list[FieldError]:
    """apimachinery's IsFullyQualifiedDomainName."""
    if not name:
        return [field.required(path, "")]
    name = name[:-1] if name.endswith(".") else name
    errs = validation.is_dns1123_subdomain(name)
    if errs:
        return [field.invalid(path, name, ",".join(errs))]
    labels = name.split(".")
    if len(labels) < 2:
        return [field.invalid(path, name, "should be a domain with at least two segments separated by dots")]
    for label in labels:
        errs = validation.is_dns1123_label(label)
        if errs:
            return [field.invalid(path, label, ",".join(errs))]
    return []


def validate_address(address: Any, address_type: Any, path: Path) -> list[FieldError]:
    address = address if isinstance(address, str) else ""
    if address_type in ("IPv4", "IPv6"):
        ip = parse_ip(address)
        is_v4 = ip is not None and _as_v4(ip) is not None
        if address_type == "IPv4" and not is_v4:
            errs = [field.invalid(path, address, "must be a valid IPv4 address")]
        elif address_type == "IPv6" and (ip is None or is_v4):
            errs = [field.invalid(path, address, "must be a valid IPv6 address")]
        else:
            errs = []
        return errs + validate_non_special_ip(address, path)
    if address_type == "FQDN":
        return validate_fqdn(address, path)
    # Unknown types were already reported; their addresses are not checked.
    return []


def validate_hints(hints: Any, path: Path) -> list[FieldError]:
    zones = (hints or {}).get("forZones") or []
    zpath = path.child("forZones")
    if len(zones) > MAX_ZONE_HINTS:
        return [field.too_many(zpath, len(zones), MAX_ZONE_HINTS)]
    errs: list[FieldError] = []
    seen: set[str] = set()
    for i, zone in enumerate(zones):
        name = (zone or {}).get("name") or ""
        p = zpath.index(i).child("name")
        if name in seen:
            errs.append(field.duplicate(p, name))
        seen.add(name)
        errs.extend(field.invalid(p, name, m) for m in validation.is_valid_label_value(name))
    return errs


def validate_endpoints(endpoints: Any, address_type: Any, path: Path) -> list[FieldError]:
    endpoints = endpoints or []
    if len(endpoints) > MAX_ENDPOINTS:
        return [field.too_many(path, len(endpoints), MAX_ENDPOINTS)]
    errs: list[FieldError] = []
    for i, ep in enumerate(endpoints):
        ep = ep if isinstance(ep, dict) else {}
        p = path.index(i)
        apath = p.child("addresses")
        addresses = ep.get("addresses") or []
        if not addresses:
            errs.append(field.required(apath, "must contain at least 1 address"))
        elif len(addresses) > MAX_ADDRESSES:
            errs.append(field.too_many(apath, len(addresses), MAX_ADDRESSES))
        for j, address in enumerate(addresses):
            errs += validate_address(address, address_type, apath.index(j))
        node = ep.get("nodeName")
        if node is not None:
            errs.extend(field.invalid(p.child("nodeName"), node, m) for m in validation.is_dns1123_subdomain(node))
        topology = ep.get("deprecatedTopology") or {}
        if len(topology) > MAX_TOPOLOGY_LABELS:
            errs.append(field.too_many(p.child("deprecatedTopology"), len(topology), MAX_TOPOLOGY_LABELS))
        errs += validation.validate_labels(ep.get("deprecatedTopology"), p.child("deprecatedTopology"))
        hostname = ep.get("hostname")
        if hostname is not None:
            errs.extend(field.invalid(p.child("hostname"), hostname, m) for m in validation.is_dns1123_label(hostname))
        if ep.get("hints") is not None:
            errs += validate_hints(ep["hints"], p.child("hints"))
    return errs


def validate_ports(ports: Any, path: Path) -> list[FieldError]:
    ports = ports or []
    if len(ports) > MAX_PORTS:
        return [field.too_many(path, len(ports), MAX_PORTS)]
    errs: list[FieldError] = []
    names: set[str] = set()
    for i, port in enumerate(ports):
        port = port if isinstance(port, dict) else {}
        p = path.index(i)
        name = port.get("name") or ""
        if name:
            errs.extend(field.invalid(p.child("name"), name, m) for m in validation.is_dns1123_label(name))
        if name in names:
            errs.append(field.duplicate(p.child("name"), name))
        names.add(name)
        protocol = port.get("protocol")
        if protocol is None:
            errs.append(field.required(p.child("protocol"), ""))
        elif protocol not in PROTOCOLS:
            errs.append(field.not_supported(p.child("protocol"), protocol, PROTOCOLS))
        app = port.get("appProtocol")
        if app is not None:
            errs.extend(field.invalid(p.child("appProtocol"), app, m) for m in validation.is_qualified_name(app))
    return errs


def validate_endpoint_slice(eps: Obj) -> list[FieldError]:
    address_type = eps.get("addressType") or ""
    errs: list[FieldError] = []
    if not address_type:
        errs.append(field.required("addressType", ""))
    elif address_type not in ADDRESS_TYPES:
        errs.append(field.not_supported("addressType", address_type, ADDRESS_TYPES))
    errs += validate_endpoints(eps.get("endpoints"), address_type, Path("endpoints"))
    errs += validate_ports(eps.get("ports"), Path("ports"))
    return errs


def default_endpoint_slice(eps: Obj) -> None:
    """SetDefaults_EndpointPort: name "" and protocol TCP."""
    for port in eps.get("ports") or ():
        if isinstance(port, dict):
            if port.get("name") is None:
                port["name"] = ""
            if port.get("protocol") is None:
                port["protocol"] = "TCP"


class EndpointSliceStrategy(Strategy):
    # Generation starts at 1 and moves with any change outside metadata (there is no status).
    tracks_generation = True

    def default(self, obj: Obj) -> None:
        default_endpoint_slice(obj)

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return validate_endpoint_slice(obj)

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_endpoint_slice(new) + validation.validate_immutable(
            new.get("addressType") or "", old.get("addressType") or "", "addressType"
        )


def _with_more(items: list[str], more: bool, count: int, limit: int) -> str:
    """listWithMoreString."""
    text = ",".join(items)
    if more:
        return f"{text} + {count - limit} more..."
    return text or "<unset>"


def format_ports(ports: Any, limit: int = 3) -> str:
    items: list[str] = []
    more = False
    for port in ports or ():
        if len(items) < limit:
            if port.get("port") is not None:
                items.append(str(port["port"]))
            elif port.get("name") is not None:
                items.append(port["name"])
            else:
                items.append("*")
        else:
            more = True
    return _with_more(items, more, len(ports or ()), limit)


def format_endpoints(endpoints: Any, limit: int = 3) -> str:
    items: list[str] = []
    more = False
    count = 0
    for ep in endpoints or ():
        for address in ep.get("addresses") or ():
            if len(items) < limit:
                items.append(address)
            else:
                more = True
            count += 1
    return _with_more(items, more, count, limit)


def table_row(eps: Obj, now: datetime | None = None) -> list[Any]:
    return [
        common.name_of(eps),
        eps.get("addressType") or "",
        format_ports(eps.get("ports")),
        format_endpoints(eps.get("endpoints")),
        common.age(eps, now),
    ]


PRINTER = Printer(
    columns=[
        common.name_column(),
        Column("AddressType", description=_doc("addressType")),
        Column("Ports", description=_doc("ports")),
        Column("Endpoints", description=_doc("endpoints")),
        common.age_column(),
    ],
    row=table_row,
)

ENDPOINTSLICES = ResourceType(
    group="discovery.k8s.io",
    version="v1",
    kind="EndpointSlice",
    plural="endpointslices",
    namespaced=True,
    strategy=EndpointSliceStrategy(),
    printer=PRINTER,
)
