"""Nodes (core/v1, cluster-scoped): upstream's `pkg/registry/core/node/strategy.go`,
`ValidateNode`/`ValidateNodeUpdate`, the v1 defaults and `podCIDR` <-> `podCIDRs` conversion,
and `printNode`.

Unlike most kinds a Node keeps its status on create (the kubelet registers itself with one).
Taint errors carry upstream's path `metadata.taints[i]` (a long-standing upstream quirk).
"""

from __future__ import annotations

import copy
import ipaddress
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
from uwernetes.machinery import field, validation
from uwernetes.machinery.field import FieldError, Path

TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
LABEL_NODE_ROLE_PREFIX = "node-role.kubernetes.io/"
LABEL_NODE_ROLE = "kubernetes.io/role"
PODCIDR_CHANGE = 'node updates may not change podCIDR except from "" to valid'


def validate_taint_effect(effect: Any, path: Path, allow_empty: bool = False) -> list[FieldError]:
    if not effect and not allow_empty:
        return [field.required(path, "")]
    if effect not in TAINT_EFFECTS:
        return [field.not_supported(path, effect, TAINT_EFFECTS)]
    return []


def validate_node_taints(taints: Any, path: Path) -> list[FieldError]:
    errs: list[FieldError] = []
    seen: dict[str, set[str]] = {}
    for i, taint in enumerate(taints or ()):
        p = path.index(i)
        key = taint.get("key") or ""
        value = taint.get("value") or ""
        effect = taint.get("effect") or ""
        errs.extend(field.invalid(p.child("key"), key, m) for m in validation.is_qualified_name(key))
        problems = validation.is_valid_label_value(value)
        if problems:
            errs.append(field.invalid(p.child("value"), value, ";".join(problems)))
        errs.extend(validate_taint_effect(effect, p.child("effect")))
        if key in seen.get(effect, set()):
            errs.append(
                field.FieldError("Duplicate", str(p), common.GoLiteral(_go_taint(taint)), "taints must be unique by key and effect pair")
            )
            continue
        seen.setdefault(effect, set()).add(key)
    return errs


def _go_taint(t: Obj) -> str:
    return (
        f'core.Taint{{Key:{field.go_quote(t.get("key") or "")}, Value:{field.go_quote(t.get("value") or "")}, '
        f'Effect:{field.go_quote(t.get("effect") or "")}, TimeAdded:<nil>}}'
    )


def _cidr(value: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(value, strict=False) if isinstance(value, str) and "/" in value else None
    except ValueError:
        return None


def validate_pod_cidrs(cidrs: Any) -> list[FieldError]:
    errs: list[FieldError] = []
    if not cidrs:
        return errs
    path = Path("spec", "podCIDRs")
    parsed = []
    for i, value in enumerate(cidrs):
        net = _cidr(value)
        if net is None:
            errs.append(field.invalid(path.index(i), cidrs, "must be valid CIDR"))
        parsed.append(net)
    if len(cidrs) > 1:
        families = {n.version for n in parsed if n is not None}
        if len(cidrs) > 2 or len(families) != 2:
            errs.append(field.invalid(path, cidrs, "may specify no more than one CIDR for each IP family"))
        seen: set[str] = set()
        for i, value in enumerate(cidrs):
            if value in seen:
                errs.append(field.duplicate(path.index(i), value))
            seen.add(value)
    return errs


def validate_node(node: Obj) -> list[FieldError]:
    spec = node.get("spec") or {}
    errs: list[FieldError] = []
    if spec.get("taints"):
        errs.extend(validate_node_taints(spec["taints"], Path("metadata", "taints")))
    errs.extend(validate_pod_cidrs(spec.get("podCIDRs")))
    return errs


def validate_node_update(new: Obj, old: Obj) -> list[FieldError]:
    spec, old_spec = new.get("spec") or {}, old.get("spec") or {}
    errs: list[FieldError] = []
    seen: list[Any] = []
    for i, address in enumerate((new.get("status") or {}).get("addresses") or ()):
        if address in seen:
            errs.append(field.duplicate(Path("status", "addresses").index(i), address))
        seen.append(address)
    old_cidrs, new_cidrs = old_spec.get("podCIDRs") or [], spec.get("podCIDRs") or []
    if old_cidrs:
        if len(old_cidrs) != len(new_cidrs):
            errs.append(field.forbidden("spec.podCIDRs", PODCIDR_CHANGE))
        else:
            errs.extend(field.forbidden("spec.podCIDRs", PODCIDR_CHANGE) for a, b in zip(old_cidrs, new_cidrs, strict=True) if a != b)
    if old_spec.get("providerID") and old_spec.get("providerID") != spec.get("providerID"):
        errs.append(field.forbidden("spec.providerID", 'node updates may not change providerID except from "" to valid'))
    if spec.get("taints"):
        errs.extend(validate_node_taints(spec["taints"], Path("metadata", "taints")))
    if spec.get("externalID") != old_spec.get("externalID"):
        errs.append(field.forbidden("spec.externalID", "may not be updated"))
    return errs


def sync_pod_cidrs(node: Obj) -> None:
    """The v1 conversion keeps podCIDR (singular) and podCIDRs[0] in step."""
    spec = node.get("spec")
    if not isinstance(spec, dict):
        return
    if spec.get("podCIDR") and not spec.get("podCIDRs"):
        spec["podCIDRs"] = [spec["podCIDR"]]
    elif spec.get("podCIDRs"):
        spec["podCIDR"] = spec["podCIDRs"][0]


class NodeStrategy(Strategy):
    tracks_generation = False
    has_status = True

    def default(self, obj: Obj) -> None:
        sync_pod_cidrs(obj)
        status = obj.get("status")
        if isinstance(status, dict) and status.get("allocatable") is None and status.get("capacity") is not None:
            status["allocatable"] = copy.deepcopy(status["capacity"])

    def prepare_for_create(self, obj: Obj, ctx: Context) -> None:
        """Keep the status: nodes register themselves with it."""

    def prepare_for_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        common.keep_status(new, old)

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return validate_node(obj)

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_node_update(new, old)

    def prepare_for_status_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        common.keep_spec(new, old)

    def validate_status_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_node_update(new, old)


def find_node_roles(node: Obj) -> list[str]:
    roles: set[str] = set()
    for k, v in ((node.get("metadata") or {}).get("labels") or {}).items():
        if k.startswith(LABEL_NODE_ROLE_PREFIX):
            role = k[len(LABEL_NODE_ROLE_PREFIX):]
            if role:
                roles.add(role)
        elif k == LABEL_NODE_ROLE and v:
            roles.add(v)
    return sorted(roles)


def _address(node: Obj, kind: str) -> str:
    for a in (node.get("status") or {}).get("addresses") or ():
        if a.get("type") == kind:
            return a.get("address") or ""
    return "<none>"


def node_status_text(node: Obj) -> str:
    status: list[str] = []
    for cond in (node.get("status") or {}).get("conditions") or ():
        if cond.get("type") == "Ready":
            status = ["Ready" if cond.get("status") == "True" else "NotReady"]
    if not status:
        status = ["Unknown"]
    if (node.get("spec") or {}).get("unschedulable"):
        status.append("SchedulingDisabled")
    return ",".join(status)


def table_row(node: Obj, now: datetime | None = None) -> list[Any]:
    info = (node.get("status") or {}).get("nodeInfo") or {}
    return [
        common.name_of(node),
        node_status_text(node),
        ",".join(find_node_roles(node)) or "<none>",
        common.age(node, now),
        info.get("kubeletVersion") or "",
        _address(node, "InternalIP"),
        _address(node, "ExternalIP"),
        info.get("osImage") or "<unknown>",
        info.get("kernelVersion") or "<unknown>",
        info.get("containerRuntimeVersion") or "<unknown>",
    ]


_ADDRESSES = (
    "List of addresses reachable to the node. Queried from cloud provider, if available. More info: "
    "https://kubernetes.io/docs/concepts/nodes/node/#addresses Note: This field is declared as mergeable, but "
    "the merge key is not sufficiently unique, which can cause data corruption when it is merged. Callers "
    "should instead use a full-replacement patch. See https://pr.k8s.io/79391 for an example. Consumers "
    "should assume that addresses can change during the lifetime of a Node. However, there are some "
    "exceptions where this may not be possible, such as Pods that inherit a Node's address in its own status "
    "or consumers of the downward API (status.hostIP)."
)

PRINTER = Printer(
    columns=[
        common.name_column(),
        Column("Status", description="The status of the node"),
        Column("Roles", description="The roles of the node"),
        common.age_column(),
        Column("Version", description="Kubelet Version reported by the node."),
        common.wide("Internal-IP", _ADDRESSES),
        common.wide("External-IP", _ADDRESSES),
        common.wide("OS-Image", "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy))."),
        common.wide("Kernel-Version", "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)."),
        common.wide("Container-Runtime", "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2)."),
    ],
    row=table_row,
)

NODES = ResourceType(
    group="",
    version="v1",
    kind="Node",
    plural="nodes",
    namespaced=False,
    short_names=("no",),
    subresources=(
        Subresource("proxy", ("create", "delete", "get", "patch", "update")),
        Subresource("status", ("get", "patch", "update")),
    ),
    strategy=NodeStrategy(),
    printer=PRINTER,
    field_selectors={"spec.unschedulable": lambda n: "true" if (n.get("spec") or {}).get("unschedulable") else "false"},
)
