"""API Priority and Fairness configuration shared by FlowSchema and PriorityLevelConfiguration
(flowcontrol.apiserver.k8s.io/v1): the mandatory and suggested objects every v1.30 API server
keeps (`k8s.io/apiserver/pkg/apis/flowcontrol/bootstrap/default.go`), the helpers of
`pkg/apis/flowcontrol/validation` both kinds use, Go `%#v` text for the specs that upstream puts
in "must equal the fixed value" errors, and `bootstrap_flowcontrol`, which creates the missing
configuration objects at start as upstream's APF configuration ensurer does.

Only the configuration is served: requests are not classified or queued.
"""

from __future__ import annotations

import copy
from typing import Any

from uwernetes.apiserver.resources import core_common as common
from uwernetes.apiserver.resources.base import Context, LazyText, Obj, Strategy, field_doc
from uwernetes.machinery import errors, field, meta
from uwernetes.machinery.field import FieldError, Path

GROUP = "flowcontrol.apiserver.k8s.io"
VERSION = "v1"
API_VERSION = f"{GROUP}/{VERSION}"
AUTO_UPDATE_ANNOTATION = "apf.kubernetes.io/autoupdate-spec"
# The status writer upstream's configuration controller uses (server-side apply manager).
CONFIG_CONSUMER = "api-priority-and-fairness-config-consumer-v1"
ENSURER = "api-priority-and-fairness-config-producer-v1"

WILDCARD = "*"
SYSTEM_MASTERS, ALL_UNAUTHENTICATED, ALL_AUTHENTICATED = "system:masters", "system:unauthenticated", "system:authenticated"
NODES_GROUP, ALL_SERVICE_ACCOUNTS = "system:nodes", "system:serviceaccounts"
KCM, SCHEDULER = "system:kube-controller-manager", "system:kube-scheduler"


# --- helpers shared by both kinds' validation ---

class FlowcontrolStrategy(Strategy):
    """What FlowSchemas and PriorityLevelConfigurations share: status starts empty on create and
    only the status subresource writes it, checked as conditions."""

    has_status = True

    def prepare_for_create(self, obj: Obj, ctx: Context) -> None:
        obj["status"] = {}

    def prepare_for_status_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        common.keep_spec(new, old)

    def validate_status_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_conditions(new.get("status"), Path("status"))


def column_doc(definition: str, prop: str) -> LazyText:
    return field_doc(f"io.k8s.api.flowcontrol.v1.{definition}", prop, enum_values=False)


def has_wildcard(values: Any) -> bool:
    return WILDCARD in (values or ())


def validate_non_resource_url_path(path: Any, fld: Path) -> FieldError | None:
    """ValidateNonResourceURLPath: rooted, no blanks or `//`, `*` only as a trailing `/*`."""
    path = path if isinstance(path, str) else ""
    if not path:
        return field.invalid(fld, path, "must not be empty")
    if path == "/":
        return None
    if not path.startswith("/"):
        return field.invalid(fld, path, "must start with slash")
    if " " in path:
        return field.invalid(fld, path, "must not contain white-space")
    if "//" in path:
        return field.invalid(fld, path, "must not contain double slash")
    stars = path.count("*")
    if stars > 1 or (stars == 1 and path[-2:] != "/*"):
        return field.invalid(fld, path, "wildcard can only do suffix matching")
    return None


def validate_conditions(status: Any, path: Path) -> list[FieldError]:
    """ValidateFlowSchemaStatus / ValidatePriorityLevelConfigurationStatus: unique, non-empty types."""
    errs: list[FieldError] = []
    seen: set[str] = set()
    conditions = status.get("conditions") if isinstance(status, dict) else None
    for i, cond in enumerate(conditions or ()):
        ctype = (cond or {}).get("type") or "" if isinstance(cond, dict) else ""
        p = path.child("conditions").index(i)
        if ctype in seen:
            errs.append(field.duplicate(p.child("type"), ctype))
        seen.add(ctype)
        if not ctype:
            errs.append(field.required(p.child("type"), "must not be empty"))
    return errs


# --- Go %#v of the internal types, for the bad value of "must equal the fixed value" ---

# Field order of the internal (pkg/apis/flowcontrol) structs: (Go name, JSON name, Go type).
_STRUCTS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "FlowSchemaSpec": (
        ("PriorityLevelConfiguration", "priorityLevelConfiguration", "PriorityLevelConfigurationReference"),
        ("MatchingPrecedence", "matchingPrecedence", "int32"),
        ("DistinguisherMethod", "distinguisherMethod", "*FlowDistinguisherMethod"),
        ("Rules", "rules", "[]PolicyRulesWithSubjects"),
    ),
    "PriorityLevelConfigurationReference": (("Name", "name", "string"),),
    "FlowDistinguisherMethod": (("Type", "type", "string"),),
    "PolicyRulesWithSubjects": (
        ("Subjects", "subjects", "[]Subject"),
        ("ResourceRules", "resourceRules", "[]ResourcePolicyRule"),
        ("NonResourceRules", "nonResourceRules", "[]NonResourcePolicyRule"),
    ),
    "Subject": (
        ("Kind", "kind", "string"),
        ("User", "user", "*UserSubject"),
        ("Group", "group", "*GroupSubject"),
        ("ServiceAccount", "serviceAccount", "*ServiceAccountSubject"),
    ),
    "UserSubject": (("Name", "name", "string"),),
    "GroupSubject": (("Name", "name", "string"),),
    "ServiceAccountSubject": (("Namespace", "namespace", "string"), ("Name", "name", "string")),
    "ResourcePolicyRule": (
        ("Verbs", "verbs", "[]string"),
        ("APIGroups", "apiGroups", "[]string"),
        ("Resources", "resources", "[]string"),
        ("ClusterScope", "clusterScope", "bool"),
        ("Namespaces", "namespaces", "[]string"),
    ),
    "NonResourcePolicyRule": (("Verbs", "verbs", "[]string"), ("NonResourceURLs", "nonResourceURLs", "[]string")),
    "PriorityLevelConfigurationSpec": (
        ("Type", "type", "string"),
        ("Limited", "limited", "*LimitedPriorityLevelConfiguration"),
        ("Exempt", "exempt", "*ExemptPriorityLevelConfiguration"),
    ),
    "LimitedPriorityLevelConfiguration": (
        ("NominalConcurrencyShares", "nominalConcurrencyShares", "int32"),
        ("LimitResponse", "limitResponse", "LimitResponse"),
        ("LendablePercent", "lendablePercent", "*int32"),
        ("BorrowingLimitPercent", "borrowingLimitPercent", "*int32"),
    ),
    "LimitResponse": (("Type", "type", "string"), ("Queuing", "queuing", "*QueuingConfiguration")),
    "QueuingConfiguration": (
        ("Queues", "queues", "int32"),
        ("HandSize", "handSize", "int32"),
        ("QueueLengthLimit", "queueLengthLimit", "int32"),
    ),
    "ExemptPriorityLevelConfiguration": (
        ("NominalConcurrencyShares", "nominalConcurrencyShares", "*int32"),
        ("LendablePercent", "lendablePercent", "*int32"),
    ),
}
# %#v prints a pointer field as its address, which is arbitrary; this one stands in for it.
_ADDRESS = "0xc000000000"


def _qualified(go_type: str) -> str:
    return go_type if go_type in ("int32", "string", "bool") else f"flowcontrol.{go_type}"


def go_value(go_type: str, value: Any) -> str:
    """`fmt.Sprintf("%#v", v)` of a JSON value read as the internal Go type."""
    if go_type.startswith("*"):
        target = go_type[1:]
        return f"(*{_qualified(target)})({_ADDRESS if value is not None else 'nil'})"
    if go_type.startswith("[]"):
        elem = go_type[2:]
        if not value:
            return f"[]{_qualified(elem)}(nil)"
        return f"[]{_qualified(elem)}{{" + ", ".join(go_value(elem, v) for v in value) + "}"
    if go_type == "int32":
        return str(value if isinstance(value, int) else 0)
    if go_type == "bool":
        return "true" if value else "false"
    if go_type == "string":
        return field.go_quote(value if isinstance(value, str) else "")
    obj = value if isinstance(value, dict) else {}
    inner = ", ".join(f"{name}:{go_value(t, obj.get(key))}" for name, key, t in _STRUCTS[go_type])
    return f"flowcontrol.{go_type}{{{inner}}}"


class GoSpec:
    """A spec printed as Go's `%#v` in a field error (rendered verbatim, never quoted)."""

    __slots__ = ("text",)

    def __init__(self, go_type: str, spec: Any) -> None:
        self.text = go_value(go_type, spec)

    def __str__(self) -> str:
        return self.text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GoSpec) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


def semantic(go_type: str, value: Any) -> Any:
    """The JSON value as the internal struct compares under Semantic.DeepEqual: absent and zero
    values alike, nil and empty lists alike, pointers nil or not."""
    if go_type.startswith("*"):
        return None if value is None else ("ptr", semantic(go_type[1:], value))
    if go_type.startswith("[]"):
        return tuple(semantic(go_type[2:], v) for v in value or ())
    if go_type == "int32":
        return value if isinstance(value, int) else 0
    if go_type == "bool":
        return bool(value)
    if go_type == "string":
        return value if isinstance(value, str) else ""
    obj = value if isinstance(value, dict) else {}
    return tuple(semantic(t, obj.get(key)) for _, key, t in _STRUCTS[go_type])


# --- the bootstrap configuration (v1.30 default.go) ---

def _meta(name: str) -> dict[str, Any]:
    return {"name": name, "annotations": {AUTO_UPDATE_ANNOTATION: "true"}}


def _plc(name: str, spec: Obj) -> Obj:
    return {"apiVersion": API_VERSION, "kind": "PriorityLevelConfiguration", "metadata": _meta(name), "spec": spec}


def _limited(shares: int, lendable: int, queues: int, hand: int, length: int) -> Obj:
    return {
        "type": "Limited",
        "limited": {
            "nominalConcurrencyShares": shares,
            "lendablePercent": lendable,
            "limitResponse": {"type": "Queue", "queuing": {"queues": queues, "handSize": hand, "queueLengthLimit": length}},
        },
    }


def _fs(name: str, pl: str, precedence: int, method: str, *rules: Obj) -> Obj:
    spec: Obj = {"priorityLevelConfiguration": {"name": pl}, "matchingPrecedence": precedence}
    if method:
        spec["distinguisherMethod"] = {"type": method}
    spec["rules"] = list(rules)
    return {"apiVersion": API_VERSION, "kind": "FlowSchema", "metadata": _meta(name), "spec": spec}


def _groups(*names: str) -> list[Obj]:
    return [{"kind": "Group", "group": {"name": n}} for n in names]


def _users(*names: str) -> list[Obj]:
    return [{"kind": "User", "user": {"name": n}} for n in names]


def _kube_system_sas(*names: str) -> list[Obj]:
    return [{"kind": "ServiceAccount", "serviceAccount": {"namespace": "kube-system", "name": n}} for n in names]


def _rr(verbs: list[str], groups: list[str], resources: list[str], namespaces: list[str], cluster: bool) -> Obj:
    rule: Obj = {"verbs": verbs, "apiGroups": groups, "resources": resources}
    if cluster:
        rule["clusterScope"] = True
    rule["namespaces"] = namespaces
    return rule


def _everything(subjects: list[Obj]) -> Obj:
    return {
        "subjects": subjects,
        "resourceRules": [_rr(["*"], ["*"], ["*"], ["*"], True)],
        "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
    }


_GET_CREATE_UPDATE = ["get", "create", "update"]

MANDATORY_PRIORITY_LEVELS: list[Obj] = [
    _plc("catch-all", {"type": "Limited", "limited": {"nominalConcurrencyShares": 5, "lendablePercent": 0,
                                                      "limitResponse": {"type": "Reject"}}}),
    _plc("exempt", {"type": "Exempt", "exempt": {"nominalConcurrencyShares": 0, "lendablePercent": 0}}),
]
MANDATORY_FLOW_SCHEMAS: list[Obj] = [
    _fs("exempt", "exempt", 1, "", _everything(_groups(SYSTEM_MASTERS))),
    _fs("catch-all", "catch-all", 10000, "ByUser", _everything(_groups(ALL_UNAUTHENTICATED, ALL_AUTHENTICATED))),
]
SUGGESTED_PRIORITY_LEVELS: list[Obj] = [
    _plc("system", _limited(30, 33, 64, 6, 50)),
    _plc("node-high", _limited(40, 25, 64, 6, 50)),
    _plc("leader-election", _limited(10, 0, 16, 4, 50)),
    _plc("workload-high", _limited(40, 50, 128, 6, 50)),
    _plc("workload-low", _limited(100, 90, 128, 6, 50)),
    _plc("global-default", _limited(20, 50, 128, 6, 50)),
]
SUGGESTED_FLOW_SCHEMAS: list[Obj] = [
    _fs("system-nodes", "system", 500, "ByUser", _everything(_groups(NODES_GROUP))),
    _fs("system-node-high", "node-high", 400, "ByUser", {
        "subjects": _groups(NODES_GROUP),
        "resourceRules": [
            _rr(["*"], [""], ["nodes", "nodes/status"], ["*"], True),
            _rr(["*"], ["coordination.k8s.io"], ["leases"], ["*"], False),
        ],
    }),
    _fs("probes", "exempt", 2, "", {
        "subjects": _groups(ALL_UNAUTHENTICATED, ALL_AUTHENTICATED),
        "nonResourceRules": [{"verbs": ["get"], "nonResourceURLs": ["/healthz", "/readyz", "/livez"]}],
    }),
    _fs("system-leader-election", "leader-election", 100, "ByUser", {
        "subjects": _users(KCM, SCHEDULER) + _kube_system_sas("*"),
        "resourceRules": [_rr(_GET_CREATE_UPDATE, ["coordination.k8s.io"], ["leases"], ["*"], False)],
    }),
    _fs("workload-leader-election", "leader-election", 200, "ByUser", {
        "subjects": _kube_system_sas("*"),
        "resourceRules": [
            _rr(_GET_CREATE_UPDATE, [""], ["endpoints", "configmaps"], ["*"], False),
            _rr(_GET_CREATE_UPDATE, ["coordination.k8s.io"], ["leases"], ["*"], False),
        ],
    }),
    _fs("endpoint-controller", "workload-high", 150, "ByUser", {
        "subjects": _users(KCM) + _kube_system_sas("endpoint-controller", "endpointslicemirroring-controller"),
        "resourceRules": [_rr(_GET_CREATE_UPDATE, [""], ["endpoints"], ["*"], False)],
    }),
    _fs("kube-controller-manager", "workload-high", 800, "ByNamespace", _everything(_users(KCM))),
    _fs("kube-scheduler", "workload-high", 800, "ByNamespace", _everything(_users(SCHEDULER))),
    _fs("kube-system-service-accounts", "workload-high", 900, "ByNamespace", _everything(_kube_system_sas("*"))),
    _fs("service-accounts", "workload-low", 9000, "ByUser", _everything(_groups(ALL_SERVICE_ACCOUNTS))),
    _fs("global-default", "global-default", 9900, "ByUser", _everything(_groups(ALL_UNAUTHENTICATED, ALL_AUTHENTICATED))),
]

MANDATORY_FLOW_SCHEMA_SPECS: dict[str, Obj] = {o["metadata"]["name"]: o["spec"] for o in MANDATORY_FLOW_SCHEMAS}
MANDATORY_PRIORITY_LEVEL_SPECS: dict[str, Obj] = {o["metadata"]["name"]: o["spec"] for o in MANDATORY_PRIORITY_LEVELS}


def dangling_condition(pl_name: str, exists: bool, now: str) -> Obj:
    """The `Dangling` condition upstream's configuration controller keeps on each FlowSchema."""
    if exists:
        status, reason = "False", "Found"
        message = f"This FlowSchema references the PriorityLevelConfiguration object named {field.go_quote(pl_name)} and it exists"
    else:
        status, reason = "True", "NotFound"
        message = (f"This FlowSchema references the PriorityLevelConfiguration object named {field.go_quote(pl_name)}"
                   " but there is no such object")
    return {"type": "Dangling", "status": status, "lastTransitionTime": now, "reason": reason, "message": message}


def set_dangling_condition(fs: Obj, exists: bool, now: str) -> bool:
    """Put the Dangling condition on `fs` (in place); False when it already says the same."""
    pl_name = ((fs.get("spec") or {}).get("priorityLevelConfiguration") or {}).get("name") or ""
    want = dangling_condition(pl_name, exists, now)
    status = fs.get("status") if isinstance(fs.get("status"), dict) else {}
    conditions = [c for c in status.get("conditions") or () if isinstance(c, dict)]
    for c in conditions:
        if c.get("type") == "Dangling":
            if (c.get("status"), c.get("reason"), c.get("message")) == (want["status"], want["reason"], want["message"]):
                return False
            c.clear()
            c.update(want)
            break
    else:
        conditions.append(want)
    status["conditions"] = conditions
    fs["status"] = status
    return True


async def _create_missing(registry: Any, rt: Any, objs: list[Obj], ctx: Any) -> None:
    for obj in objs:
        try:
            await registry.get(rt, None, obj["metadata"]["name"])
            continue
        except errors.StatusError as e:
            if e.code != 404:
                raise
        try:
            await registry.create(rt, None, copy.deepcopy(obj), ctx, ENSURER)
        except errors.StatusError as e:
            if e.code != 409:
                raise


async def bootstrap_flowcontrol(registry: Any) -> None:
    """Create the mandatory and suggested configuration objects that are missing (existing ones
    are left as they are), then mark each FlowSchema's Dangling condition as the configuration
    controller would."""
    fs_rt = registry.resource(GROUP, VERSION, "flowschemas")
    pl_rt = registry.resource(GROUP, VERSION, "prioritylevelconfigurations")
    if fs_rt is None or pl_rt is None:
        return
    ctx = registry.context(user="system:apiserver")
    await _create_missing(registry, pl_rt, MANDATORY_PRIORITY_LEVELS + SUGGESTED_PRIORITY_LEVELS, ctx)
    await _create_missing(registry, fs_rt, MANDATORY_FLOW_SCHEMAS + SUGGESTED_FLOW_SCHEMAS, ctx)
    levels = {_name(o) for o in await _items(registry, pl_rt)}
    now = meta.now_rfc3339()
    for fs in await _items(registry, fs_rt):
        pl_name = ((fs.get("spec") or {}).get("priorityLevelConfiguration") or {}).get("name") or ""
        if not set_dangling_condition(copy.deepcopy(fs), pl_name in levels, now):
            continue

        def mark(current: Obj, exists: bool = pl_name in levels) -> Obj:
            set_dangling_condition(current, exists, now)
            return current

        try:
            await registry.patch(fs_rt, None, _name(fs), mark, registry.context(user="system:apiserver",
                                 subresource="status"), CONFIG_CONSUMER, "status")
        except errors.StatusError as e:
            if e.code not in (404, 409):
                raise


async def _items(registry: Any, rt: Any) -> list[Obj]:
    items, *_ = await registry.list(rt, None)
    return items


def _name(obj: Obj) -> str:
    return (obj.get("metadata") or {}).get("name") or ""
