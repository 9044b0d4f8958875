"""Services (core/v1): upstream's `pkg/registry/core/service/strategy.go`, the allocation parts of
`pkg/registry/core/service/storage/alloc.go`, `SetDefaults_Service`, `ValidateService`,
`ValidateServiceUpdate` and `printService`.

The ClusterIP and NodePort allocators are pure functions over the set of values already in use;
the generic layer gathers that set and calls them before storing. Dynamic allocation prefers the
upper band of each range (upstream's static/dynamic split), so the lower band stays free for
users who pick their own values, and never hands out the first address (the `kubernetes` service).
"""

from __future__ import annotations

import ipaddress
import itertools
from datetime import datetime
from typing import Any

from uwernetes.apiserver.resources import core_common as common
from uwernetes.apiserver.resources.base import (
    Column,
    Context,
    Obj,
    Printer,
    ResourceType,
    Strategy,
    Subresource,
)
from uwernetes.machinery import errors, field, validation
from uwernetes.machinery.field import FieldError, Path

CLUSTER_IP, NODE_PORT, LOAD_BALANCER, EXTERNAL_NAME = "ClusterIP", "NodePort", "LoadBalancer", "ExternalName"
SERVICE_TYPES = (CLUSTER_IP, EXTERNAL_NAME, LOAD_BALANCER, NODE_PORT)
PROTOCOLS = ("SCTP", "TCP", "UDP")
AFFINITIES = ("ClientIP", "None")
TRAFFIC_POLICIES = ("Cluster", "Local")
IP_FAMILY_POLICIES = ("SingleStack", "PreferDualStack", "RequireDualStack")
IP_FAMILIES = ("IPv4", "IPv6")
PREFER_CLOSE = "PreferClose"
DEFAULT_CLIENT_IP_TIMEOUT = 10800
MAX_CLIENT_IP_TIMEOUT = 86400
DEFAULT_SERVICE_CIDR = "10.96.0.0/12"
DEFAULT_NODE_PORT_RANGE = (30000, 32767)
CLUSTER_IP_DETAIL = "must be empty, 'None', or a valid IP address"
HEADLESS = "None"


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def is_externally_accessible(spec: Obj) -> bool:
    t = spec.get("type")
    return t in (LOAD_BALANCER, NODE_PORT) or (t == CLUSTER_IP and bool(spec.get("externalIPs")))


def is_headless(spec: Obj) -> bool:
    return spec.get("clusterIP") == HEADLESS


def needs_node_ports(spec: Obj) -> bool:
    t = spec.get("type")
    return t == NODE_PORT or (t == LOAD_BALANCER and spec.get("allocateLoadBalancerNodePorts", True) is not False)


def needs_health_check_node_port(spec: Obj) -> bool:
    return spec.get("type") == LOAD_BALANCER and spec.get("externalTrafficPolicy") == "Local"


def _ip(value: Any) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value) if isinstance(value, str) else None
    except ValueError:
        return None


# --------------------------------------------------------------------------------------------
# defaulting and preparation
# --------------------------------------------------------------------------------------------


def default_service(svc: Obj) -> None:
    """SetDefaults_Service (v1.30)."""
    spec = common.spec_of(svc)
    if not spec.get("sessionAffinity"):
        spec["sessionAffinity"] = "None"
    if spec["sessionAffinity"] == "None":
        spec.pop("sessionAffinityConfig", None)
    elif spec["sessionAffinity"] == "ClientIP":
        cfg = spec.get("sessionAffinityConfig")
        if not isinstance(cfg, dict) or not isinstance(cfg.get("clientIP"), dict) or cfg["clientIP"].get("timeoutSeconds") is None:
            spec["sessionAffinityConfig"] = {"clientIP": {"timeoutSeconds": DEFAULT_CLIENT_IP_TIMEOUT}}
    if not spec.get("type"):
        spec["type"] = CLUSTER_IP
    for port in spec.get("ports") or ():
        if not isinstance(port, dict):
            continue
        if not port.get("protocol"):
            port["protocol"] = "TCP"
        if port.get("targetPort") in (None, 0, ""):
            port["targetPort"] = port.get("port")
    if is_externally_accessible(spec) and not spec.get("externalTrafficPolicy"):
        spec["externalTrafficPolicy"] = "Cluster"
    if spec.get("internalTrafficPolicy") is None and spec["type"] in (NODE_PORT, LOAD_BALANCER, CLUSTER_IP):
        spec["internalTrafficPolicy"] = "Cluster"
    if spec["type"] == LOAD_BALANCER and spec.get("allocateLoadBalancerNodePorts") is None:
        spec["allocateLoadBalancerNodePorts"] = True
    for ing in ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or ():
        if ing.get("ip") and ing.get("ipMode") is None:
            ing["ipMode"] = "VIP"


def drop_disabled_fields(svc: Obj, old: Obj | None, ctx: Context | None) -> None:
    """dropServiceDisabledFields: trafficDistribution needs its gate unless already in use."""
    spec = common.spec_of(svc)
    old_used = old is not None and (old.get("spec") or {}).get("trafficDistribution") is not None
    if not common.gates(ctx).enabled("ServiceTrafficDistribution") and not old_used:
        spec.pop("trafficDistribution", None)


def normalize_cluster_ips(new: Obj, old: Obj | None) -> None:
    """NormalizeClusterIPs: reconcile the singular and plural fields the way old clients expect."""
    spec = common.spec_of(new)
    ip, ips = spec.get("clusterIP") or "", spec.get("clusterIPs") or []
    if old is None:
        if ip and not ips:
            spec["clusterIPs"] = [ip]
        return
    old_spec = old.get("spec") or {}
    old_ip, old_ips = old_spec.get("clusterIP") or "", old_spec.get("clusterIPs") or []
    if old_ips and not ips and old_ip == ip:
        spec["clusterIPs"] = ips = list(old_ips)
    if old_ip != ip:
        same = list(ips) == list(old_ips)
        if old_ip and not ip:
            if same:
                spec.pop("clusterIPs", None)
        elif same:
            spec["clusterIPs"] = [ip]


def patch_allocated_values(new: Obj, old: Obj) -> None:
    """Carry allocated IPs and node ports over when an update (kubectl replace/apply) omits them."""
    spec, old_spec = common.spec_of(new), old.get("spec") or {}
    if spec.get("type") != EXTERNAL_NAME and old_spec.get("type") != EXTERNAL_NAME:
        if not spec.get("clusterIP") and old_spec.get("clusterIP"):
            spec["clusterIP"] = old_spec["clusterIP"]
        if not spec.get("clusterIPs") and old_spec.get("clusterIPs"):
            spec["clusterIPs"] = list(old_spec["clusterIPs"])
    if needs_node_ports(old_spec) and needs_node_ports(spec):
        old_used = {p.get("nodePort") for p in old_spec.get("ports") or () if p.get("nodePort")}
        new_used = {p.get("nodePort") for p in spec.get("ports") or () if p.get("nodePort")}
        used = old_used & new_used
        by_name = {p.get("name") or "": p.get("nodePort") or 0 for p in old_spec.get("ports") or ()}
        for p in spec.get("ports") or ():
            if not p.get("nodePort"):
                value = by_name.get(p.get("name") or "", 0)
                if value and value not in used:
                    p["nodePort"] = value
    if needs_health_check_node_port(old_spec) and needs_health_check_node_port(spec):
        if not spec.get("healthCheckNodePort") and old_spec.get("healthCheckNodePort"):
            spec["healthCheckNodePort"] = old_spec["healthCheckNodePort"]


def init_ip_families(svc: Obj) -> None:
    """The single-stack (IPv4) cluster's family defaults, set before allocation."""
    spec = common.spec_of(svc)
    if spec.get("type") == EXTERNAL_NAME:
        return
    if is_headless(spec) and not spec.get("selector"):
        spec.setdefault("ipFamilyPolicy", "RequireDualStack")
        if not spec.get("ipFamilies"):
            spec["ipFamilies"] = ["IPv4"]
        return
    if not spec.get("ipFamilyPolicy"):
        spec["ipFamilyPolicy"] = "SingleStack"
    if not spec.get("ipFamilies"):
        first = _ip((spec.get("clusterIPs") or [None])[0])
        spec["ipFamilies"] = ["IPv6" if first is not None and first.version == 6 else "IPv4"]


# --------------------------------------------------------------------------------------------
# allocators
# --------------------------------------------------------------------------------------------


def _static_band(size: int, lo: int, hi: int, step: int) -> int:
    return min(max(lo, size // step), hi)


def allocate_cluster_ip(
    used: set[str],
    cidr: str = DEFAULT_SERVICE_CIDR,
    requested: str | None = None,
    *,
    name: str = "",
) -> str:
    """Allocate (or reserve the requested) service IP in `cidr`; raise upstream's errors.

    The network's first host address belongs to the `kubernetes` service: it is never handed out
    dynamically, but may be requested explicitly.
    """
    net = ipaddress.ip_network(cidr, strict=False)
    if requested == HEADLESS:
        return HEADLESS
    if requested:
        ip = _ip(requested)
        if ip is None:
            raise errors.internal(f'failed to parse service IP "{requested}"')
        first, last = net.network_address + 1, net.broadcast_address - (1 if net.version == 4 else 0)
        if not (first <= ip <= last) or ip.version != net.version:
            detail = f"the provided IP ({requested}) is not in the valid range. The range of valid IPs is {cidr}"
            raise _invalid_ip(name, requested, detail)
        if str(ip) in used:
            raise _invalid_ip(name, requested, "provided IP is already allocated")
        return str(ip)
    size = net.num_addresses - (2 if net.version == 4 else 1)
    size = min(size, 2**20) if net.version == 6 else size
    base = int(net.network_address) + 1
    static = _static_band(size, 16, 256, 16)
    # Upper band first, then the lower one; offset 0 (the kubernetes service) is skipped.
    for offset in itertools.chain(range(static, size), range(1, min(static, size))):
        candidate = str(ipaddress.ip_address(base + offset))
        if candidate not in used:
            return candidate
    raise errors.internal("failed to allocate a serviceIP: range is full")


def _invalid_ip(name: str, requested: str, detail: str) -> errors.StatusError:
    err = field.invalid(Path("spec", "clusterIPs"), [requested], f"failed to allocate IP {requested}: {detail}")
    return errors.invalid("Service", name, [err])


def allocate_node_ports(
    service: Obj,
    used: set[int],
    port_range: tuple[int, int] = DEFAULT_NODE_PORT_RANGE,
) -> None:
    """Check requested node ports and fill the missing ones (initNodePorts, NodePort/LoadBalancer).

    Ports with the same number (another protocol) share one node port, as upstream does. `used`
    holds node ports of *other* services (on update, leave this service's old ports out); it is
    not modified.
    """
    spec = service.get("spec") or {}
    if spec.get("type") not in (NODE_PORT, LOAD_BALANCER):
        return
    name = (service.get("metadata") or {}).get("name") or ""
    lo, hi = port_range
    taken = set(used)
    allocate = needs_node_ports(spec)
    ports = [p for p in spec.get("ports") or () if isinstance(p, dict)]
    by_port: dict[Any, int] = {}
    for i, p in enumerate(ports):
        path = Path("spec", "ports").index(i).child("nodePort")
        if not p.get("nodePort") and not allocate:
            continue  # respect explicit requests only
        shared = by_port.get(p.get("port"), 0)
        if not shared:
            requested = next((q["nodePort"] for q in ports if q.get("port") == p.get("port") and q.get("nodePort")), 0)
            if requested:
                _check_node_port(name, path, requested, taken, lo, hi)
                np = requested
            else:
                np = _next_node_port(taken, lo, hi)
            taken.add(np)
            p["nodePort"] = by_port[p.get("port")] = np
        elif p.get("nodePort") != shared:
            if not p.get("nodePort"):
                p["nodePort"] = shared
            else:
                _check_node_port(name, path, p["nodePort"], taken, lo, hi)
                taken.add(p["nodePort"])
    if needs_health_check_node_port(spec):
        hc = spec.get("healthCheckNodePort")
        if hc:
            _check_node_port(name, Path("spec", "healthCheckNodePort"), hc, taken, lo, hi)
        else:
            spec["healthCheckNodePort"] = _next_node_port(taken, lo, hi)


def _check_node_port(name: str, path: Path, port: int, taken: set[int], lo: int, hi: int) -> None:
    if not lo <= port <= hi:
        detail = f"provided port is not in the valid range. The range of valid ports is {lo}-{hi}"
    elif port in taken:
        detail = "provided port is already allocated"
    else:
        return
    raise errors.invalid("Service", name, [field.invalid(path, port, detail)])


def _next_node_port(taken: set[int], lo: int, hi: int) -> int:
    size = hi - lo + 1
    static = _static_band(size, 16, 128, 32)
    for offset in (*range(static, size), *range(0, min(static, size))):
        if lo + offset not in taken:
            return lo + offset
    raise errors.internal("failed to allocate a nodePort: range is full")


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------


def _validate_port(port: Obj, require_name: bool, names: set[str], path: Path) -> list[FieldError]:
    errs: list[FieldError] = []
    name = port.get("name") or ""
    if require_name and not name:
        errs.append(field.required(path.child("name"), ""))
    elif name:
        errs.extend(field.invalid(path.child("name"), name, m) for m in validation.is_dns1123_label(name))
        if name in names:
            errs.append(field.duplicate(path.child("name"), name))
        names.add(name)
    errs.extend(field.invalid(path.child("port"), port.get("port"), m) for m in validation.is_valid_port_num(port.get("port")))
    protocol = port.get("protocol") or ""
    if not protocol:
        errs.append(field.required(path.child("protocol"), ""))
    elif protocol not in PROTOCOLS:
        errs.append(field.not_supported(path.child("protocol"), protocol, PROTOCOLS))
    errs.extend(_validate_port_num_or_name(port.get("targetPort"), path.child("targetPort")))
    app_protocol = port.get("appProtocol")
    if app_protocol:
        errs.extend(field.invalid(path.child("appProtocol"), app_protocol, m) for m in validation.is_qualified_name(app_protocol))
    return errs


def _validate_port_num_or_name(value: Any, path: Path) -> list[FieldError]:
    if isinstance(value, int) and not isinstance(value, bool):
        return [field.invalid(path, value, m) for m in validation.is_valid_port_num(value)]
    if isinstance(value, str):
        if not value:
            return [field.required(path, "")]
        from uwernetes.apiserver.resources import podspec  # shared IANA port-name check

        return [field.invalid(path, value, m) for m in podspec.is_valid_port_name(value)]
    return [field.required(path, "")]


def _validate_cluster_ips(spec: Obj) -> list[FieldError]:
    errs: list[FieldError] = []
    path = Path("spec", "clusterIPs")
    ip, ips = spec.get("clusterIP") or "", spec.get("clusterIPs") or []
    if ips and ip != ips[0]:
        errs.append(field.invalid(path, ips, "first value must match `clusterIP`"))
    if len(ips) > 2:
        errs.append(field.invalid(path, ips, "may only hold up to 2 values"))
    for i, value in enumerate(ips):
        if value == HEADLESS:
            if len(ips) > 1:
                errs.append(field.invalid(path.index(i), value, "'None' must be the first and only value"))
            continue
        if _ip(value) is None:
            errs.append(field.invalid(path.index(i), value, CLUSTER_IP_DETAIL))
    if ip == HEADLESS and spec.get("type") in (NODE_PORT, LOAD_BALANCER):
        errs.append(field.invalid(path.index(0), ip, f"may not be set to 'None' for {spec['type']} services"))
    if len(ips) == 2 and all(_ip(v) for v in ips) and _ip(ips[0]).version == _ip(ips[1]).version:  # type: ignore[union-attr]
        errs.append(field.invalid(path, ips, "may specify no more than one IP for each IP family"))
    return errs


def _validate_ip_families(spec: Obj) -> list[FieldError]:
    errs: list[FieldError] = []
    policy = spec.get("ipFamilyPolicy")
    if policy is not None and policy not in IP_FAMILY_POLICIES:
        errs.append(field.not_supported("spec.ipFamilyPolicy", policy, IP_FAMILY_POLICIES))
    families = spec.get("ipFamilies") or []
    seen: set[str] = set()
    for i, fam in enumerate(families):
        p = Path("spec", "ipFamilies").index(i)
        if fam not in IP_FAMILIES:
            errs.append(field.not_supported(p, fam, IP_FAMILIES))
        if fam in seen:
            errs.append(field.duplicate(p, fam))
        seen.add(fam)
    if len(families) > 2:
        errs.append(field.invalid("spec.ipFamilies", families, "may specify no more than one IP for each IP family, i.e 2 IPs"))
    if policy == "SingleStack" and len(spec.get("clusterIPs") or []) > 1:
        errs.append(field.invalid("spec.clusterIPs", spec.get("clusterIPs"), "must have at most 1 value when `ipFamilyPolicy` is 'SingleStack'"))
    return errs


def validate_service(svc: Obj) -> list[FieldError]:
    """ValidateService (v1.30), in upstream's order."""
    spec = svc.get("spec") or {}
    sp = Path("spec")
    errs: list[FieldError] = []
    stype = spec.get("type")
    ports = [p for p in spec.get("ports") or () if isinstance(p, dict)]

    if stype == EXTERNAL_NAME:
        if spec.get("clusterIP") or spec.get("clusterIPs"):
            errs.append(field.forbidden(sp.child("clusterIPs"), "may not be set for ExternalName services"))
        if spec.get("ipFamilyPolicy"):
            errs.append(field.forbidden(sp.child("ipFamilyPolicy"), "may not be set for ExternalName services"))
        if spec.get("ipFamilies"):
            errs.append(field.forbidden(sp.child("ipFamilies"), "may not be set for ExternalName services"))
        cname = (spec.get("externalName") or "").removesuffix(".")
        if cname:
            errs.extend(field.invalid(sp.child("externalName"), cname, m) for m in validation.is_dns1123_subdomain(cname))
        else:
            errs.append(field.required(sp.child("externalName"), ""))

    if not ports and not is_headless(spec) and stype != EXTERNAL_NAME:
        errs.append(field.required(sp.child("ports"), ""))
    names: set[str] = set()
    for i, port in enumerate(ports):
        errs.extend(_validate_port(port, len(ports) > 1, names, sp.child("ports").index(i)))

    if spec.get("selector") is not None:
        errs.extend(validation.validate_labels(spec.get("selector"), sp.child("selector")))

    affinity = spec.get("sessionAffinity") or ""
    if not affinity:
        errs.append(field.required(sp.child("sessionAffinity"), ""))
    elif affinity not in AFFINITIES:
        errs.append(field.not_supported(sp.child("sessionAffinity"), affinity, AFFINITIES))
    elif affinity == "ClientIP":
        timeout = ((spec.get("sessionAffinityConfig") or {}).get("clientIP") or {}).get("timeoutSeconds")
        if not isinstance(timeout, int) or not 0 < timeout <= MAX_CLIENT_IP_TIMEOUT:
            errs.append(
                field.invalid(
                    sp.child("sessionAffinityConfig", "clientIP", "timeoutSeconds"),
                    timeout,
                    f"must be greater than 0 and less than {MAX_CLIENT_IP_TIMEOUT}",
                )
            )
    elif spec.get("sessionAffinityConfig") is not None:
        errs.append(field.invalid(sp.child("sessionAffinityConfig"), common.GoLiteral("core.SessionAffinityConfig{...}"), "must not be set when session affinity is None"))

    errs.extend(_validate_cluster_ips(spec))

    for i, ip in enumerate(spec.get("externalIPs") or ()):
        p = sp.child("externalIPs").index(i)
        parsed = _ip(ip)
        if parsed is None:
            errs.append(field.invalid(p, ip, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"))
        elif parsed.is_unspecified:
            errs.append(field.invalid(p, ip, f"may not be unspecified ({ip})"))
        elif parsed.is_loopback:
            errs.append(field.invalid(p, ip, "may not be in the loopback range (127.0.0.0/8, ::1/128)"))
        elif parsed.is_link_local:
            errs.append(field.invalid(p, ip, "may not be in the link-local range (169.254.0.0/16, fe80::/10)"))
        elif parsed.is_multicast:
            errs.append(field.invalid(p, ip, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"))

    if stype is None or stype == "":
        errs.append(field.required(sp.child("type"), ""))
    elif stype not in SERVICE_TYPES:
        errs.append(field.not_supported(sp.child("type"), stype, SERVICE_TYPES))

    if stype == CLUSTER_IP:
        for i, port in enumerate(ports):
            if port.get("nodePort"):
                errs.append(field.forbidden(sp.child("ports").index(i).child("nodePort"), "may not be used when `type` is 'ClusterIP'"))

    seen_ports: set[tuple[Any, Any]] = set()
    for i, port in enumerate(ports):
        key = (port.get("protocol"), port.get("port"))
        if key in seen_ports:
            errs.append(field.duplicate(sp.child("ports").index(i), {"protocol": key[0], "port": key[1]}))
        seen_ports.add(key)
    seen_node_ports: set[tuple[Any, Any]] = set()
    for i, port in enumerate(ports):
        if not port.get("nodePort"):
            continue
        key = (port.get("protocol"), port.get("nodePort"))
        if key in seen_node_ports:
            errs.append(field.duplicate(sp.child("ports").index(i).child("nodePort"), port.get("nodePort")))
        seen_node_ports.add(key)

    errs.extend(_validate_traffic_policies(spec))
    errs.extend(_validate_ip_families(spec))

    td = spec.get("trafficDistribution")
    if td is not None and td != PREFER_CLOSE:
        errs.append(field.not_supported(sp.child("trafficDistribution"), td, (PREFER_CLOSE,)))
    return errs


def _validate_traffic_policies(spec: Obj) -> list[FieldError]:
    errs: list[FieldError] = []
    sp = Path("spec")
    etp = spec.get("externalTrafficPolicy") or ""
    if not is_externally_accessible(spec):
        if etp:
            errs.append(field.invalid(sp.child("externalTrafficPolicy"), etp, "may only be set for externally-accessible services"))
    elif not etp:
        errs.append(field.required(sp.child("externalTrafficPolicy"), ""))
    elif etp not in TRAFFIC_POLICIES:
        errs.append(field.not_supported(sp.child("externalTrafficPolicy"), etp, TRAFFIC_POLICIES))
    hc = spec.get("healthCheckNodePort")
    if hc:
        if not needs_health_check_node_port(spec):
            errs.append(field.invalid(sp.child("healthCheckNodePort"), hc, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"))
        else:
            errs.extend(field.invalid(sp.child("healthCheckNodePort"), hc, m) for m in validation.is_valid_port_num(hc))
    itp = spec.get("internalTrafficPolicy")
    if itp is None:
        # Only these types ever had it defaulted; stored objects of others stay valid.
        if spec.get("type") in (NODE_PORT, LOAD_BALANCER, CLUSTER_IP):
            errs.append(field.required(sp.child("internalTrafficPolicy"), ""))
    elif itp not in TRAFFIC_POLICIES:
        errs.append(field.not_supported(sp.child("internalTrafficPolicy"), itp, TRAFFIC_POLICIES))
    return errs


def validate_cluster_ips_update(new: Obj, old: Obj) -> list[FieldError]:
    """validateUpgradeDowngradeClusterIPs: the primary cluster IP never changes once set."""
    spec, old_spec = new.get("spec") or {}, old.get("spec") or {}
    if EXTERNAL_NAME in (spec.get("type"), old_spec.get("type")):
        return []
    if is_headless(spec) and is_headless(old_spec):
        return []
    ips, old_ips = spec.get("clusterIPs") or [], old_spec.get("clusterIPs") or []
    first = Path("spec", "clusterIPs").index(0)
    errs: list[FieldError] = []
    if len(old_ips) == len(ips):
        for i, ip in enumerate(old_ips):
            if ip != ips[i]:
                errs.append(field.invalid(Path("spec", "clusterIPs").index(i), ips, "may not change once set"))
    elif len(old_ips) > len(ips):
        if not ips:
            errs.append(field.invalid(first, ips, "primary clusterIP can not be unset"))
        elif ips[0] != old_ips[0]:
            errs.append(field.invalid(first, ips, "may not change once set"))
        if len(ips) == 1 and spec.get("ipFamilyPolicy") != "SingleStack":
            errs.append(field.invalid(first, ips, "`ipFamilyPolicy` must be set to 'SingleStack' when releasing the secondary clusterIP"))
    elif old_ips and ips[0] != old_ips[0]:
        errs.append(field.invalid(first, ips, "may not change once set"))
    return errs


def _drop_type_dependent_fields(new: Obj, old: Obj) -> None:
    """dropTypeDependentFields: leaving NodePort/LoadBalancer releases what only they use."""
    spec, old_spec = common.spec_of(new), old.get("spec") or {}
    if needs_node_ports(old_spec) and not needs_node_ports(spec):
        for p, op in zip(spec.get("ports") or (), old_spec.get("ports") or (), strict=False):
            if p.get("nodePort") == op.get("nodePort"):
                p.pop("nodePort", None)
    if needs_health_check_node_port(old_spec) and not needs_health_check_node_port(spec):
        if spec.get("healthCheckNodePort") == old_spec.get("healthCheckNodePort"):
            spec.pop("healthCheckNodePort", None)
    if not is_externally_accessible(spec) and spec.get("externalTrafficPolicy") == old_spec.get("externalTrafficPolicy"):
        spec.pop("externalTrafficPolicy", None)
    if spec.get("type") != LOAD_BALANCER and old_spec.get("type") == LOAD_BALANCER:
        if spec.get("allocateLoadBalancerNodePorts") == old_spec.get("allocateLoadBalancerNodePorts"):
            spec.pop("allocateLoadBalancerNodePorts", None)
        if spec.get("loadBalancerClass") == old_spec.get("loadBalancerClass"):
            spec.pop("loadBalancerClass", None)


class ServiceStrategy(Strategy):
    tracks_generation = False
    has_status = True
    name_check = staticmethod(validation.is_dns1035_label)

    def default(self, obj: Obj) -> None:
        default_service(obj)

    def prepare_for_create(self, obj: Obj, ctx: Context) -> None:
        obj.pop("status", None)
        obj["status"] = {"loadBalancer": {}}
        drop_disabled_fields(obj, None, ctx)
        normalize_cluster_ips(obj, None)
        init_ip_families(obj)

    def prepare_for_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        common.keep_status(new, old)
        drop_disabled_fields(new, old, ctx)
        patch_allocated_values(new, old)
        normalize_cluster_ips(new, old)
        _drop_type_dependent_fields(new, old)
        init_ip_families(new)

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return validate_service(obj)

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_cluster_ips_update(new, old) + validate_service(new)

    def prepare_for_status_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        common.keep_spec(new, old)

    def validate_status_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        errs: list[FieldError] = []
        ingress = ((new.get("status") or {}).get("loadBalancer") or {}).get("ingress") or ()
        for i, ing in enumerate(ingress):
            p = Path("status", "loadBalancer", "ingress").index(i)
            if ing.get("ip") and _ip(ing["ip"]) is None:
                errs.append(field.invalid(p.child("ip"), ing["ip"], "must be a valid IP address"))
            if ing.get("ipMode") is not None and ing["ipMode"] not in ("Proxy", "VIP"):
                errs.append(field.not_supported(p.child("ipMode"), ing["ipMode"], ("Proxy", "VIP")))
            if ing.get("ipMode") is not None and not ing.get("ip"):
                errs.append(field.forbidden(p.child("ipMode"), "may not be specified when `ip` is not set"))
            if ing.get("hostname"):
                errs.extend(field.invalid(p.child("hostname"), ing["hostname"], m) for m in validation.is_dns1123_subdomain(ing["hostname"]))
        return errs


# --------------------------------------------------------------------------------------------
# printing
# --------------------------------------------------------------------------------------------


def make_port_string(ports: Any) -> str:
    pieces = []
    for p in ports or ():
        if p.get("nodePort"):
            pieces.append(f"{p.get('port')}:{p['nodePort']}/{p.get('protocol') or ''}")
        else:
            pieces.append(f"{p.get('port')}/{p.get('protocol') or ''}")
    return ",".join(pieces)


def external_ip(svc: Obj) -> str:
    spec = svc.get("spec") or {}
    external = list(spec.get("externalIPs") or ())
    stype = spec.get("type")
    if stype in (CLUSTER_IP, NODE_PORT):
        return ",".join(external) if external else "<none>"
    if stype == LOAD_BALANCER:
        ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or ()
        lb = [i.get("ip") or i.get("hostname") for i in ingress if i.get("ip") or i.get("hostname")]
        if external:
            return ",".join(lb + external)
        return ",".join(lb) if lb else "<pending>"
    if stype == EXTERNAL_NAME:
        return spec.get("externalName") or ""
    return "<unknown>"


def table_row(svc: Obj, now: datetime | None = None) -> list[Any]:
    spec = svc.get("spec") or {}
    ips = spec.get("clusterIPs") or []
    return [
        common.name_of(svc),
        spec.get("type") or "",
        ips[0] if ips else "<none>",
        external_ip(svc),
        make_port_string(spec.get("ports")) or "<none>",
        common.age(svc, now),
        common.format_labels(spec.get("selector")),
    ]


PRINTER = Printer(
    columns=[
        common.name_column(),
        Column("Type", description="type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer."),
        Column("Cluster-IP", description="clusterIP is the IP address of the service and is usually assigned randomly."),
        Column("External-IP", description="externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service."),
        Column("Port(s)", description="The list of ports that are exposed by this service."),
        common.age_column(),
        common.wide("Selector", "Route service traffic to pods with label keys and values matching this selector."),
    ],
    row=table_row,
)

SERVICES = ResourceType(
    group="",
    version="v1",
    kind="Service",
    plural="services",
    namespaced=True,
    short_names=("svc",),
    categories=("all",),
    subresources=(
        Subresource("proxy", ("create", "delete", "get", "patch", "update")),
        Subresource("status", ("get", "patch", "update")),
    ),
    strategy=ServiceStrategy(),
    printer=PRINTER,
    field_selectors={
        "spec.clusterIP": lambda s: (s.get("spec") or {}).get("clusterIP") or "",
        "spec.type": lambda s: (s.get("spec") or {}).get("type") or "",
    },
)

