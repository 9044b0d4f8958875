"""ResourceQuotas (core/v1): upstream v1.30's `pkg/registry/core/resourcequota/strategy.go`,
`ValidateResourceQuota*`, the quota-name helpers of `pkg/apis/core/helper` and
`printResourceQuota`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from uwernetes.apiserver.resources import core_common as common
from uwernetes.apiserver.resources import limitranges, podspec
from uwernetes.apiserver.resources import persistentvolumes as pvs
from uwernetes.apiserver.resources.base import (
    Column,
    Context,
    Obj,
    Printer,
    ResourceType,
    Strategy,
    Subresource,
)
from uwernetes.machinery import field, quantity, validation
from uwernetes.machinery.field import FieldError, Path

STANDARD_QUOTA_RESOURCES = (
    "cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory", "requests.storage",
    "requests.ephemeral-storage", "limits.cpu", "limits.memory", "limits.ephemeral-storage", "pods",
    "resourcequotas", "services", "replicationcontrollers", "secrets", "persistentvolumeclaims",
    "configmaps", "services.nodeports", "services.loadbalancers",
)  # fmt: skip
INTEGER_RESOURCES = (
    "pods", "resourcequotas", "services", "replicationcontrollers", "secrets", "configmaps",
    "persistentvolumeclaims", "services.nodeports", "services.loadbalancers",
)  # fmt: skip
SCOPES = ("Terminating", "NotTerminating", "BestEffort", "NotBestEffort", "PriorityClass", "CrossNamespacePodAffinity")
_POD_COUNT = ("pods",)
_POD_COMPUTE = ("cpu", "memory", "limits.cpu", "limits.memory", "requests.cpu", "requests.memory")
_EXISTS_ONLY = ("BestEffort", "NotBestEffort", "Terminating", "NotTerminating", "CrossNamespacePodAffinity")
_CONFLICTS = (("BestEffort", "NotBestEffort"), ("Terminating", "NotTerminating"))


def _is_quota_hugepages(name: str) -> bool:
    return name.startswith(("hugepages-", "requests.hugepages-"))


def is_standard_quota_resource(name: str) -> bool:
    return name in STANDARD_QUOTA_RESOURCES or _is_quota_hugepages(name)


def is_integer_resource(name: str) -> bool:
    return name in INTEGER_RESOURCES or podspec._is_extended(name)


def scope_valid_for(scope: str, resource: str) -> bool:
    """IsResourceQuotaScopeValidForResource."""
    if scope in ("Terminating", "NotTerminating", "NotBestEffort", "PriorityClass", "CrossNamespacePodAffinity"):
        return resource in _POD_COUNT or resource in _POD_COMPUTE
    if scope == "BestEffort":
        return resource in _POD_COUNT
    return True


def resource_name_errors(name: str, path: Path) -> list[FieldError]:
    """ValidateResourceQuotaResourceName."""
    errs = [field.invalid(path, name, m) for m in validation.is_qualified_name(name)]
    if not errs and "/" not in name and name not in podspec._STANDARD_RESOURCES and not _is_quota_hugepages(name):
        errs.append(field.invalid(path, name, "must be a standard resource type or fully qualified"))
    if "/" not in name and not is_standard_quota_resource(name):
        errs.append(field.invalid(path, name, "must be a standard resource for quota"))
    return errs


def quantity_value_errors(name: str, raw: Any, path: Path) -> list[FieldError]:
    """ValidateResourceQuantityValue."""
    q = quantity.parse(raw)
    errs: list[FieldError] = []
    if q.value < 0:
        errs.append(field.invalid(path, str(q), "must be greater than or equal to 0"))
    if is_integer_resource(name) and q.milli_value() % 1000:
        errs.append(field.invalid(path, limitranges.go_quantity(raw), "must be an integer"))
    return errs


def _resource_list_errors(rl: Any, path: Path) -> list[FieldError]:
    errs: list[FieldError] = []
    for k, v in (rl or {}).items():
        errs.extend(resource_name_errors(k, path.key(k)))
        errs.extend(quantity_value_errors(k, v, path.key(k)))
    return errs


def _go_scopes(scopes: Any) -> common.GoLiteral:
    if scopes is None:
        return common.GoLiteral("[]core.ResourceQuotaScope(nil)")
    return common.GoLiteral("[]core.ResourceQuotaScope{" + ", ".join(field.go_quote(s) for s in scopes) + "}")


def _go_scope_selector(sel: Obj) -> common.GoLiteral:
    """`%#v` of the (dereferenced) *core.ScopeSelector."""
    reqs = []
    for r in sel.get("matchExpressions") or ():
        vals = r.get("values")
        vs = "[]string(nil)" if vals is None else "[]string{" + ", ".join(field.go_quote(v) for v in vals) + "}"
        reqs.append(f"core.ScopedResourceSelectorRequirement{{ScopeName:{field.go_quote(r.get('scopeName') or '')}, "
                    f"Operator:{field.go_quote(r.get('operator') or '')}, Values:{vs}}}")
    exprs = "nil" if sel.get("matchExpressions") is None else "{" + ", ".join(reqs) + "}"
    inner = "[]core.ScopedResourceSelectorRequirement" + ("(nil)" if exprs == "nil" else exprs)
    return common.GoLiteral(f"core.ScopeSelector{{MatchExpressions:{inner}}}")


def _validate_scopes(spec: Obj, sp: Path) -> list[FieldError]:
    scopes = spec.get("scopes") or []
    if not scopes:
        return []
    errs: list[FieldError] = []
    path = sp.child("scopes")
    hard = sorted(spec.get("hard") or {})
    for scope in scopes:
        if scope not in SCOPES:
            errs.append(field.invalid(path, _go_scopes(spec.get("scopes")), "unsupported scope"))
        for k in hard:
            if is_standard_quota_resource(k) and not scope_valid_for(scope, k):
                errs.append(field.invalid(path, _go_scopes(spec.get("scopes")), "unsupported scope applied to resource"))
    for pair in _CONFLICTS:
        if all(s in scopes for s in pair):
            errs.append(field.invalid(path, _go_scopes(spec.get("scopes")), "conflicting scopes"))
    return errs


def _validate_scope_selector(spec: Obj, sp: Path) -> list[FieldError]:
    selector = spec.get("scopeSelector")
    if selector is None:
        return []
    errs: list[FieldError] = []
    path = sp.child("scopeSelector", "matchExpressions")
    hard = sorted(spec.get("hard") or {})
    seen: list[str] = []
    for req in (selector or {}).get("matchExpressions") or ():
        scope, op, values = req.get("scopeName") or "", req.get("operator") or "", req.get("values") or []
        if scope not in SCOPES:
            errs.append(field.invalid(path.child("scopeName"), scope, "unsupported scope"))
        for k in hard:
            if is_standard_quota_resource(k) and not scope_valid_for(scope, k):
                errs.append(field.invalid(path, _go_scope_selector(selector), "unsupported scope applied to resource"))
        if scope in _EXISTS_ONLY and op != "Exists":
            errs.append(field.invalid(path.child("operator"), op,
                                      "must be 'Exists' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, "
                                      "ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity"))
        if op in ("In", "NotIn"):
            if not values:
                errs.append(field.required(path.child("values"), "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector"))
        elif op in ("Exists", "DoesNotExist"):
            if values:
                errs.append(field.invalid(path.child("values"), values, "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector"))
        else:
            errs.append(field.invalid(path.child("operator"), op, "not a valid selector operator"))
        seen.append(scope)
    for pair in _CONFLICTS:
        if all(s in seen for s in pair):
            errs.append(field.invalid(path, _go_scopes(spec.get("scopes")), "conflicting scopes"))
    return errs


def validate_spec(rq: Obj) -> list[FieldError]:
    spec = rq.get("spec") if isinstance(rq.get("spec"), dict) else {}
    sp = Path("spec")
    return _resource_list_errors(spec.get("hard"), sp.child("hard")) + _validate_scopes(spec, sp) + _validate_scope_selector(spec, sp)


def validate_status(rq: Obj) -> list[FieldError]:
    status = rq.get("status") or {}
    return _resource_list_errors(status.get("hard"), Path("status", "hard")) + _resource_list_errors(status.get("used"), Path("status", "used"))


def validate_update(new: Obj, old: Obj) -> list[FieldError]:
    errs = validate_spec(new)
    scopes = (new.get("spec") or {}).get("scopes")
    if set(scopes or ()) != set((old.get("spec") or {}).get("scopes") or ()):
        errs.append(field.invalid("spec.scopes", _go_scopes(scopes), "field is immutable"))
    return errs


def default_quota(rq: Obj) -> None:
    for part, keys in (("spec", ("hard",)), ("status", ("hard", "used"))):
        section = rq.get(part)
        if isinstance(section, dict):
            for key in keys:
                pvs.default_resource_list(section.get(key), "ResourceQuota")


class ResourceQuotaStrategy(Strategy):
    tracks_generation = False
    has_status = True

    def default(self, obj: Obj) -> None:
        default_quota(obj)

    def prepare_for_create(self, obj: Obj, ctx: Context) -> None:
        obj.pop("status", None)

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return validate_spec(obj) + validate_status(obj)

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_update(new, old)

    def prepare_for_status_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        common.keep_spec(new, old)

    def validate_status_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_status(new)


def usage_columns(rq: Obj) -> tuple[str, str]:
    """REQUEST and LIMIT cells: `name: used/hard` pairs sorted by name; `limits.*` go right."""
    status = rq.get("status") or {}
    hard, used = status.get("hard") or {}, status.get("used") or {}
    request: list[str] = []
    limit: list[str] = []
    for name in sorted(hard):
        pieces = name.split(".")
        target = limit if len(pieces) > 1 and pieces[0] == "limits" else request
        u = quantity.canonicalize(used[name]) if name in used else "0"
        target.append(f"{name}: {u}/{quantity.canonicalize(hard[name])}")
    return ", ".join(request), ", ".join(limit)


def table_row(rq: Obj, now: datetime | None = None) -> list[Any]:
    request, limit = usage_columns(rq)
    return [common.name_of(rq), common.age(rq, now), request, limit]


PRINTER = Printer(
    columns=[
        common.name_column(),
        common.age_column(),
        Column("Request", description="Request represents a minimum amount of cpu/memory that a container may consume."),
        Column("Limit", description="Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node."),
    ],
    row=table_row,
)

RESOURCEQUOTAS = ResourceType(
    group="",
    version="v1",
    kind="ResourceQuota",
    plural="resourcequotas",
    namespaced=True,
    short_names=("quota",),
    subresources=(Subresource("status", ("get", "patch", "update")),),
    strategy=ResourceQuotaStrategy(),
    printer=PRINTER,
)
