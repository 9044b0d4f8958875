"""Leases (coordination.k8s.io/v1): upstream's `pkg/registry/coordination/lease/strategy.go` and
`ValidateLease`. Leader election and node heartbeats write these; times are MicroTime.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from uwernetes.apiserver.resources import core_common as common
from uwernetes.apiserver.resources.base import Column, Context, Obj, Printer, ResourceType, Strategy
from uwernetes.machinery import field, validation
from uwernetes.machinery.field import FieldError, Path


def validate_lease_spec(spec: Any, path: Path) -> list[FieldError]:
    spec = spec if isinstance(spec, dict) else {}
    errs: list[FieldError] = []
    duration = spec.get("leaseDurationSeconds")
    if isinstance(duration, int) and duration <= 0:
        errs.append(field.invalid(path.child("leaseDurationSeconds"), duration, "must be greater than 0"))
    transitions = spec.get("leaseTransitions")
    if isinstance(transitions, int) and transitions < 0:
        errs.extend(validation.validate_nonnegative(transitions, path.child("leaseTransitions")))
    return errs


class LeaseStrategy(Strategy):
    tracks_generation = False

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return validate_lease_spec(obj.get("spec"), Path("spec"))

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_lease_spec(new.get("spec"), Path("spec"))


def table_row(lease: Obj, now: datetime | None = None) -> list[Any]:
    holder = (lease.get("spec") or {}).get("holderIdentity") or ""
    return [common.name_of(lease), holder, common.age(lease, now)]


PRINTER = Printer(
    columns=[
        common.name_column(),
        Column("Holder", description="holderIdentity contains the identity of the holder of a current lease."),
        common.age_column(),
    ],
    row=table_row,
)

LEASES = ResourceType(
    group="coordination.k8s.io",
    version="v1",
    kind="Lease",
    plural="leases",
    namespaced=True,
    strategy=LeaseStrategy(),
    printer=PRINTER,
)
