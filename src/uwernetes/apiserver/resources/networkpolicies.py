"""NetworkPolicies (networking.k8s.io/v1): upstream's `pkg/registry/networking/networkpolicy`,
`ValidateNetworkPolicy` and `printNetworkPolicy`.

policyTypes defaults as upstream's SetDefaults_NetworkPolicy: Ingress always, plus Egress when the
policy carries egress rules; ports default to TCP.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime
from typing import Any

from uwernetes.apiserver.resources import core_common as common
from uwernetes.apiserver.resources import podspec
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

PROTOCOLS = ("TCP", "UDP", "SCTP")
POLICY_TYPES = ("Ingress", "Egress")
PORT_RANGE = "must be between 1 and 65535, inclusive"


def _doc(prop: str) -> LazyText:
    return field_doc("io.k8s.api.networking.v1.NetworkPolicySpec", prop)


def default_network_policy(np: Obj) -> None:
    spec = common.spec_of(np)
    if not spec.get("policyTypes"):
        spec["policyTypes"] = ["Ingress"] + (["Egress"] if spec.get("egress") else [])
    for rules in (spec.get("ingress"), spec.get("egress")):
        for rule in rules or ():
            for port in (rule or {}).get("ports") or ():
                if isinstance(port, dict) and port.get("protocol") is None:
                    port["protocol"] = "TCP"


def _is_port_num(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 65535


def validate_port(port: Obj, path: Path) -> list[FieldError]:
    errs: list[FieldError] = []
    protocol = port.get("protocol")
    if protocol is not None and protocol not in PROTOCOLS:
        errs.append(field.not_supported(path.child("protocol"), protocol, PROTOCOLS))
    number, end = port.get("port"), port.get("endPort")
    if number is None:
        if end is not None:
            errs.append(field.invalid(path.child("endPort"), end, "may not be specified when `port` is not specified"))
    elif isinstance(number, int):
        if not _is_port_num(number):
            errs.append(field.invalid(path.child("port"), number, PORT_RANGE))
        if end is not None:
            if end < number:
                # Upstream reports the port, not endPort, as the bad value here.
                errs.append(field.invalid(path.child("endPort"), number, "must be greater than or equal to `port`"))
            if not _is_port_num(end):
                errs.append(field.invalid(path.child("endPort"), end, PORT_RANGE))
    else:
        if end is not None:
            errs.append(field.invalid(path.child("endPort"), end, "may not be specified when `port` is non-numeric"))
        errs.extend(field.invalid(path.child("port"), number, m) for m in podspec.is_valid_port_name(str(number)))
    return errs


def _cidr(text: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text, strict=False) if isinstance(text, str) and "/" in text else None
    except ValueError:
        return None


CIDR_DETAIL = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"


def validate_ip_block(block: Obj, path: Path) -> list[FieldError]:
    cidr = block.get("cidr") or ""
    if not cidr:
        return [field.required(path.child("cidr"), "")]
    net = _cidr(cidr)
    if net is None:
        return [field.invalid(path.child("cidr"), cidr, CIDR_DETAIL)]
    errs: list[FieldError] = []
    for i, text in enumerate(block.get("except") or ()):
        p = path.child("except").index(i)
        sub = _cidr(text)
        if sub is None:
            errs.append(field.invalid(p, text, CIDR_DETAIL))
            continue
        if sub.version != net.version or sub.network_address not in net or net.prefixlen >= sub.prefixlen:
            errs.append(field.invalid(p, text, "must be a strict subset of `cidr`"))
    return errs


def validate_peer(peer: Obj, path: Path) -> list[FieldError]:
    errs: list[FieldError] = []
    count = 0
    for key in ("podSelector", "namespaceSelector"):
        if peer.get(key) is not None:
            count += 1
            errs += validation.validate_label_selector(peer[key], path.child(key))
    if peer.get("ipBlock") is not None:
        count += 1
        errs += validate_ip_block(peer["ipBlock"], path.child("ipBlock"))
    if count == 0:
        errs.append(field.required(path, "must specify a peer"))
    elif count > 1 and peer.get("ipBlock") is not None:
        errs.append(field.forbidden(path, "may not specify both ipBlock and another peer"))
    return errs


def validate_network_policy_spec(spec: Any, path: Path) -> list[FieldError]:
    spec = spec if isinstance(spec, dict) else {}
    errs = validation.validate_label_selector(spec.get("podSelector") or {}, path.child("podSelector"))
    for direction, peers_key in (("ingress", "from"), ("egress", "to")):
        for i, rule in enumerate(spec.get(direction) or ()):
            rule = rule or {}
            rpath = path.child(direction).index(i)
            for j, port in enumerate(rule.get("ports") or ()):
                errs += validate_port(port or {}, rpath.child("ports").index(j))
            for j, peer in enumerate(rule.get(peers_key) or ()):
                errs += validate_peer(peer or {}, rpath.child(peers_key).index(j))
    types = spec.get("policyTypes") or []
    if len(types) > len(POLICY_TYPES):
        errs.append(field.invalid(path.child("policyTypes"), types, "may not specify more than two policyTypes"))
        return errs
    for i, ptype in enumerate(types):
        if ptype not in POLICY_TYPES:
            errs.append(field.not_supported(path.child("policyTypes").index(i), ptype, POLICY_TYPES))
    return errs


class NetworkPolicyStrategy(Strategy):
    def default(self, obj: Obj) -> None:
        default_network_policy(obj)

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return validate_network_policy_spec(obj.get("spec"), Path("spec"))

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_network_policy_spec(new.get("spec"), Path("spec"))


def table_row(np: Obj, now: datetime | None = None) -> list[Any]:
    selector = (np.get("spec") or {}).get("podSelector") or {}
    return [common.name_of(np), common.format_label_selector(selector), common.age(np, now)]


PRINTER = Printer(
    columns=[common.name_column(), Column("Pod-Selector", description=_doc("podSelector")), common.age_column()],
    row=table_row,
)

NETWORKPOLICIES = ResourceType(
    group="networking.k8s.io",
    version="v1",
    kind="NetworkPolicy",
    plural="networkpolicies",
    namespaced=True,
    short_names=("netpol",),
    strategy=NetworkPolicyStrategy(),
    printer=PRINTER,
)
