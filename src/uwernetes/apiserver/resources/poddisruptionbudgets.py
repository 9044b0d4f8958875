"""PodDisruptionBudgets (policy/v1): upstream's `pkg/registry/policy/poddisruptionbudget/strategy.go`,
`ValidatePodDisruptionBudget*` in `pkg/apis/policy/validation`, metav1's `ValidateConditions`
and `printPodDisruptionBudget`.

policy/v1 has no defaults. A new budget starts with a zero status (the four counters are not
omitempty, so they always print); the disruption controller and the eviction subresource own it.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from uwernetes.apiserver.resources import core_common as common
from uwernetes.apiserver.resources import deployments as deploy_mod
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

IF_HEALTHY_BUDGET, ALWAYS_ALLOW = "IfHealthyBudget", "AlwaysAllow"
UNHEALTHY_POD_EVICTION_POLICIES = (ALWAYS_ALLOW, IF_HEALTHY_BUDGET)  # sets.List(): sorted

# metav1 condition limits and the reason format (apimachinery's ValidateCondition).
_CONDITION_STATUSES = ("False", "True", "Unknown")
_REASON_MAX = 1024
_MESSAGE_MAX = 32768
_REASON_FMT = "[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?"
_REASON_RE = re.compile(f"^{_REASON_FMT}$")
_REASON_MSG = (
    "a condition reason must start with alphabetic character, optionally followed by a string of "
    "alphanumeric characters or '_,:', and must end with an alphanumeric character or '_'"
)


def empty_status() -> Obj:
    """The zero PodDisruptionBudgetStatus as policy/v1 serializes it."""
    return {"disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 0, "expectedPods": 0}


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------


def _go_spec(spec: Obj) -> common.GoLiteral:
    """`%#v` of a policy.PodDisruptionBudgetSpec (pointers print as addresses upstream)."""

    def ptr(key: str, typ: str) -> str:
        return f"(*{typ})(nil)" if spec.get(key) is None else f"(*{typ})(0xc000000000)"

    return common.GoLiteral(
        "policy.PodDisruptionBudgetSpec{"
        f"MinAvailable:{ptr('minAvailable', 'intstr.IntOrString')}, "
        f"Selector:{ptr('selector', 'v1.LabelSelector')}, "
        f"MaxUnavailable:{ptr('maxUnavailable', 'intstr.IntOrString')}, "
        f"UnhealthyPodEvictionPolicy:{ptr('unhealthyPodEvictionPolicy', 'policy.UnhealthyPodEvictionPolicyType')}}}"
    )


def _not_more_than_100(value: Any, path: Path) -> list[FieldError]:
    p = deploy_mod._percent(value)
    if p is not None and p > 100:
        return [field.invalid(path, common.go_int_or_string(value), "must not be greater than 100%")]
    return []


def _selector_values(selector: Any, path: Path) -> list[FieldError]:
    """Expression values must be label values unless AllowInvalidLabelValueInSelector."""
    errs: list[FieldError] = []
    if not isinstance(selector, dict):
        return errs
    for i, req in enumerate(selector.get("matchExpressions") or ()):
        for j, value in enumerate((req or {}).get("values") or ()):
            p = path.child("matchExpressions").index(i).child("values").index(j)
            errs.extend(field.invalid(p, value, m) for m in validation.is_valid_label_value(str(value)))
    return errs


def validate_spec(spec: Any, allow_invalid_label_value: bool = False, path: Path | None = None) -> list[FieldError]:
    """ValidatePodDisruptionBudgetSpec."""
    path = path or Path("spec")
    spec = spec if isinstance(spec, dict) else {}
    errs: list[FieldError] = []
    min_available, max_unavailable = spec.get("minAvailable"), spec.get("maxUnavailable")
    if min_available is not None and max_unavailable is not None:
        errs.append(field.invalid(path, _go_spec(spec), "minAvailable and maxUnavailable cannot be both set"))
    for key, value in (("minAvailable", min_available), ("maxUnavailable", max_unavailable)):
        if value is not None:
            errs.extend(deploy_mod.validate_positive_int_or_percent(value, path.child(key)))
            errs.extend(_not_more_than_100(value, path.child(key)))
    selector = spec.get("selector")
    errs.extend(validation.validate_label_selector(selector, path.child("selector")))
    if not allow_invalid_label_value:
        errs.extend(_selector_values(selector, path.child("selector")))
    policy = spec.get("unhealthyPodEvictionPolicy")
    if policy is not None and policy not in UNHEALTHY_POD_EVICTION_POLICIES:
        errs.append(field.not_supported(path.child("unhealthyPodEvictionPolicy"), policy, UNHEALTHY_POD_EVICTION_POLICIES))
    return errs


def _has_invalid_label_value_in_selector(pdb: Obj) -> bool:
    selector = (pdb.get("spec") or {}).get("selector")
    return bool(_selector_values(selector, Path("spec", "selector")))


def validate_condition(cond: Any, path: Path) -> list[FieldError]:
    """metav1 ValidateCondition."""
    cond = cond if isinstance(cond, dict) else {}
    errs: list[FieldError] = []
    ctype = cond.get("type") or ""
    errs.extend(field.invalid(path.child("type"), ctype, m) for m in validation.is_qualified_name(ctype))
    status = cond.get("status") or ""
    if status not in _CONDITION_STATUSES:
        errs.append(field.not_supported(path.child("status"), status, _CONDITION_STATUSES))
    gen = cond.get("observedGeneration")
    if isinstance(gen, int) and gen < 0:
        errs.append(field.invalid(path.child("observedGeneration"), gen, "must be greater than or equal to zero"))
    if not cond.get("lastTransitionTime"):
        errs.append(field.required(path.child("lastTransitionTime"), "must be set"))
    reason = cond.get("reason") or ""
    if not reason:
        errs.append(field.required(path.child("reason"), "must be set"))
    else:
        if not _REASON_RE.match(reason):
            errs.append(field.invalid(path.child("reason"), reason, validation._regex_error(
                _REASON_MSG, _REASON_FMT, "my_name", "MY_NAME", "MyName", "ReasonA,ReasonB", "ReasonA:ReasonB")))
        if len(reason) > _REASON_MAX:
            errs.append(field.too_long(path.child("reason"), reason, _REASON_MAX))
    message = cond.get("message") or ""
    if len(message) > _MESSAGE_MAX:
        errs.append(field.too_long(path.child("message"), message, _MESSAGE_MAX))
    return errs


def validate_conditions(conditions: Any, path: Path) -> list[FieldError]:
    """metav1 ValidateConditions: each condition, and no type twice."""
    errs: list[FieldError] = []
    seen: set[str] = set()
    for i, cond in enumerate(conditions or ()):
        p = path.index(i)
        errs.extend(validate_condition(cond, p))
        ctype = (cond or {}).get("type") if isinstance(cond, dict) else None
        if ctype in seen:
            errs.append(field.duplicate(p.child("type"), ctype))
        elif ctype is not None:
            seen.add(ctype)
    return errs


def validate_status(status: Any, path: Path | None = None) -> list[FieldError]:
    """ValidatePodDisruptionBudgetStatusUpdate for policy/v1."""
    path = path or Path("status")
    status = status if isinstance(status, dict) else {}
    errs = validate_conditions(status.get("conditions"), path.child("conditions"))
    for key in ("disruptionsAllowed", "currentHealthy", "desiredHealthy", "expectedPods"):
        errs.extend(validation.validate_nonnegative(status.get(key), path.child(key)))
    return errs


# --------------------------------------------------------------------------------------------
# strategy
# --------------------------------------------------------------------------------------------


class PodDisruptionBudgetStrategy(Strategy):
    has_status = True

    def prepare_for_create(self, obj: Obj, ctx: Context) -> None:
        obj["status"] = empty_status()

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return validate_spec(obj.get("spec"))

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_spec(new.get("spec"), allow_invalid_label_value=_has_invalid_label_value_in_selector(old))

    def prepare_for_status_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        common.keep_spec(new, old)

    def validate_status_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_status(new.get("status"))


# --------------------------------------------------------------------------------------------
# printing
# --------------------------------------------------------------------------------------------


def _int_or_string(value: Any) -> str:
    """IntOrString.String(), `N/A` when unset."""
    return "N/A" if value is None else str(value)


def table_row(pdb: Obj, now: datetime | None = None) -> list[Any]:
    spec = pdb.get("spec") or {}
    allowed = common.int_field(pdb.get("status"), "disruptionsAllowed")
    return [
        common.name_of(pdb),
        _int_or_string(spec.get("minAvailable")),
        _int_or_string(spec.get("maxUnavailable")),
        allowed,
        common.age(pdb, now),
    ]


PRINTER = Printer(
    columns=[
        common.name_column(),
        Column("Min Available", description="The minimum number of pods that must be available."),
        Column("Max Unavailable", description="The maximum number of pods that may be unavailable."),
        Column("Allowed Disruptions", "integer", description="Calculated number of pods that may be disrupted at this time."),
        common.age_column(),
    ],
    row=table_row,
)

PODDISRUPTIONBUDGETS = ResourceType(
    group="policy",
    version="v1",
    kind="PodDisruptionBudget",
    plural="poddisruptionbudgets",
    namespaced=True,
    short_names=("pdb",),
    subresources=(Subresource("status", ("get", "patch", "update")),),
    strategy=PodDisruptionBudgetStrategy(),
    printer=PRINTER,
)
