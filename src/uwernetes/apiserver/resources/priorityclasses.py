"""PriorityClasses (scheduling.k8s.io/v1): upstream's `pkg/registry/scheduling/priorityclass`,
`pkg/apis/scheduling/validation` and the two built-in system classes
(`pkg/apis/scheduling/v1/helpers.go`, added by `storage_scheduling.go` at startup).

The one-global-default rule is not validation upstream but the Priority admission plugin's
(`plugin/pkg/admission/priority`); it lives with the rest of that plugin in admission/builtin.py.
"""

from __future__ import annotations

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
from uwernetes.machinery import errors, field, validation
from uwernetes.machinery.field import FieldError, Path

SYSTEM_PREFIX = "system-"
HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000
SYSTEM_CRITICAL_PRIORITY = 2 * HIGHEST_USER_DEFINABLE_PRIORITY
# Pods get this when no class is named and no class is the global default.
DEFAULT_PRIORITY_WHEN_NO_DEFAULT_CLASS = 0
PREEMPTION_POLICIES = ("PreemptLowerPriority", "Never")

SYSTEM_PRIORITY_CLASSES: tuple[Obj, ...] = (
    {
        "metadata": {"name": "system-node-critical"},
        "value": SYSTEM_CRITICAL_PRIORITY + 1000,
        "description": "Used for system critical pods that must not be moved from their current node.",
    },
    {
        "metadata": {"name": "system-cluster-critical"},
        "value": SYSTEM_CRITICAL_PRIORITY,
        "description": "Used for system critical pods that must run in the cluster, but can be moved to another "
        "node if necessary.",
    },
)


def _doc(prop: str) -> LazyText:
    return field_doc("io.k8s.api.scheduling.v1.PriorityClass", prop)


def _system_class(name: str) -> Obj | None:
    return next((c for c in SYSTEM_PRIORITY_CLASSES if c["metadata"]["name"] == name), None)


def is_known_system_priority_class(name: str, value: Any, global_default: bool) -> tuple[bool, str]:
    """IsKnownSystemPriorityClass: (ok, the reason it is not)."""
    spc = _system_class(name)
    if spc is None:
        return False, f"{name} is not a known system priority class"
    if spc["value"] != value:
        return False, f"value of {name} PriorityClass must be {spc['value']}"
    if global_default:
        return False, f"globalDefault of {name} PriorityClass must be false"
    return True, ""


def default_priority_class(pc: Obj) -> None:
    """SetDefaults_PriorityClass; `value` is a plain int32 upstream, so a missing one reads as 0."""
    pc.setdefault("value", 0)
    if pc.get("preemptionPolicy") is None:
        pc["preemptionPolicy"] = "PreemptLowerPriority"


def validate_preemption_policy(policy: Any, path: Path) -> list[FieldError]:
    """core's ValidatePreemptionPolicy."""
    if policy in PREEMPTION_POLICIES:
        return []
    if policy == "":
        return [field.required(path, "")]
    return [field.not_supported(path, policy, PREEMPTION_POLICIES)]


def validate_priority_class(pc: Obj) -> list[FieldError]:
    errs: list[FieldError] = []
    name = (pc.get("metadata") or {}).get("name") or ""
    value = pc.get("value", 0)
    if name.startswith(SYSTEM_PREFIX):
        ok, why = is_known_system_priority_class(name, value, bool(pc.get("globalDefault")))
        if not ok:
            errs.append(field.forbidden(
                "metadata.name",
                f"priority class names with '{SYSTEM_PREFIX}' prefix are reserved for system use only. error: {why}",
            ))
    elif isinstance(value, int) and value > HIGHEST_USER_DEFINABLE_PRIORITY:
        errs.append(field.forbidden(
            "value", f"maximum allowed value of a user defined priority is {HIGHEST_USER_DEFINABLE_PRIORITY}"
        ))
    if pc.get("preemptionPolicy") is not None:
        errs.extend(validate_preemption_policy(pc["preemptionPolicy"], Path("preemptionPolicy")))
    return errs


def validate_priority_class_update(new: Obj, old: Obj) -> list[FieldError]:
    errs: list[FieldError] = []
    if new.get("value", 0) != old.get("value", 0):
        errs.append(field.forbidden("value", "may not be changed in an update."))
    errs.extend(validation.validate_immutable(new.get("preemptionPolicy"), old.get("preemptionPolicy"), "preemptionPolicy"))
    return errs


class PriorityClassStrategy(Strategy):
    # Upstream sets generation 1 on create and never bumps it.
    tracks_generation = False

    def default(self, obj: Obj) -> None:
        default_priority_class(obj)

    def prepare_for_create(self, obj: Obj, ctx: Context) -> None:
        obj.setdefault("metadata", {})["generation"] = 1

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return validate_priority_class(obj)

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_priority_class_update(new, old)

    def grace_period(self, obj: Obj, requested: int | None) -> int:
        # Upstream's REST Delete refuses the system classes before the store is asked; this is
        # the first hook the generic delete calls for every deletion.
        name = (obj.get("metadata") or {}).get("name") or ""
        if _system_class(name) is not None:
            raise errors.forbidden(
                "priorityclasses", name, "this is a system priority class and cannot be deleted", "scheduling.k8s.io"
            )
        return super().grace_period(obj, requested)


def table_row(pc: Obj, now: datetime | None = None) -> list[Any]:
    return [common.name_of(pc), common.int_field(pc, "value"), bool(pc.get("globalDefault")), common.age(pc, now)]


PRINTER = Printer(
    columns=[
        common.name_column(),
        Column("Value", "integer", description=_doc("value")),
        Column("Global-Default", "boolean", description=_doc("globalDefault")),
        common.age_column(),
    ],
    row=table_row,
)

PRIORITYCLASSES = ResourceType(
    group="scheduling.k8s.io",
    version="v1",
    kind="PriorityClass",
    plural="priorityclasses",
    namespaced=False,
    short_names=("pc",),
    strategy=PriorityClassStrategy(),
    printer=PRINTER,
)


def system_priority_class_objects() -> list[Obj]:
    """The built-in classes as the API server creates them."""
    return [
        {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", **{k: (dict(v) if isinstance(v, dict) else v) for k, v in spc.items()}}
        for spc in SYSTEM_PRIORITY_CLASSES
    ]


async def bootstrap_priority_classes(registry: Any) -> None:
    """AddSystemPriorityClasses: create each built-in class that is missing (never updates)."""
    rt = registry.resource("scheduling.k8s.io", "v1", "priorityclasses")
    if rt is None:
        return
    ctx = registry.context(user="system:apiserver")
    for obj in system_priority_class_objects():
        try:
            await registry.get(rt, None, obj["metadata"]["name"])
            continue
        except errors.StatusError as e:
            if e.code != 404:
                raise
        try:
            await registry.create(rt, None, obj, ctx, "kube-apiserver")
        except errors.StatusError as e:
            if e.code != 409:
                raise
