"""PriorityLevelConfigurations (flowcontrol.apiserver.k8s.io/v1): upstream's
`pkg/registry/flowcontrol/prioritylevelconfiguration`, `ValidatePriorityLevelConfiguration*` of
`pkg/apis/flowcontrol/validation`, the v1 defaulters and `printPriorityLevelConfiguration`.

v1 made `limited.nominalConcurrencyShares` a pointer: only an absent value defaults to 30, an
explicit 0 stays 0 (allowed since ZeroLimitedNominalConcurrencyShares went GA in v1.30). The
mandatory `catch-all` level keeps its fixed spec; `exempt` may change only `spec.exempt`.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from uwernetes.apiserver.resources import core_common as common
from uwernetes.apiserver.resources import flowcontrol_common as fc
from uwernetes.apiserver.resources.base import (
    Column,
    Context,
    Obj,
    Printer,
    ResourceType,
    Subresource,
)
from uwernetes.machinery import field
from uwernetes.machinery.field import FieldError, Path

DEFAULT_NOMINAL_CONCURRENCY_SHARES = 30
DEFAULT_QUEUES, DEFAULT_HAND_SIZE, DEFAULT_QUEUE_LENGTH_LIMIT = 64, 8, 50
MAX_QUEUES = 10 * 1000 * 1000
MAX_HASH_BITS = 60  # shufflesharding.MaxHashBits
EXEMPT = "exempt"
ENABLEMENTS = ("Exempt", "Limited")
LIMIT_RESPONSE_TYPES = ("Queue", "Reject")
# The v1beta3 round-trip annotation must never reach storage.
PRESERVE_ZERO_SHARES_ANNOTATION = "flowcontrol.k8s.io/v1beta3-preserve-zero-concurrency-shares"


def default_priority_level(pl: Obj) -> None:
    """The v1 defaulters: SetDefaults_{Limited,Exempt}PriorityLevelConfiguration, _QueuingConfiguration."""
    spec = pl.get("spec")
    if not isinstance(spec, dict):
        return
    limited = spec.get("limited")
    if isinstance(limited, dict):
        if limited.get("nominalConcurrencyShares") is None:
            limited["nominalConcurrencyShares"] = DEFAULT_NOMINAL_CONCURRENCY_SHARES
        if limited.get("lendablePercent") is None:
            limited["lendablePercent"] = 0
        queuing = (limited.get("limitResponse") or {}).get("queuing")
        if isinstance(queuing, dict):
            for key, default in (("handSize", DEFAULT_HAND_SIZE), ("queues", DEFAULT_QUEUES),
                                 ("queueLengthLimit", DEFAULT_QUEUE_LENGTH_LIMIT)):
                if not queuing.get(key):
                    queuing[key] = default
    exempt = spec.get("exempt")
    if isinstance(exempt, dict):
        for key in ("nominalConcurrencyShares", "lendablePercent"):
            if exempt.get(key) is None:
                exempt[key] = 0


# --- validation ---

def required_entropy_bits(deck_size: int, hand_size: int) -> int:
    """shufflesharding.RequiredEntropyBits."""
    return math.ceil(math.log2(deck_size) * hand_size)


def validate_queuing(queuing: Obj, path: Path) -> list[FieldError]:
    """ValidatePriorityLevelQueuingConfiguration."""
    errs: list[FieldError] = []
    length, queues, hand = (int(queuing.get(k) or 0) for k in ("queueLengthLimit", "queues", "handSize"))
    if length <= 0:
        errs.append(field.invalid(path.child("queueLengthLimit"), length, "must be positive"))
    if queues <= 0:
        errs.append(field.invalid(path.child("queues"), queues, "must be positive"))
    elif queues > MAX_QUEUES:
        errs.append(field.invalid(path.child("queues"), queues, f"must not be greater than {MAX_QUEUES}"))
    if hand <= 0:
        errs.append(field.invalid(path.child("handSize"), hand, "must be positive"))
    elif hand > queues:
        errs.append(field.invalid(path.child("handSize"), hand, f"should not be greater than queues ({queues})"))
    elif required_entropy_bits(queues, hand) > MAX_HASH_BITS:
        errs.append(field.invalid(path.child("handSize"), hand, f"required entropy bits of deckSize {queues} and handSize "
                                  f"{hand} should not be greater than {MAX_HASH_BITS}"))
    return errs


def validate_limit_response(response: Obj, path: Path) -> list[FieldError]:
    """ValidateLimitResponse (upstream's messages say "Limited" where they mean "Queue")."""
    rtype = response.get("type") or ""
    queuing = response.get("queuing")
    if rtype == "Reject":
        if queuing is not None:
            return [field.forbidden(path.child("queuing"), "must be nil if limited.limitResponse.type is not Limited")]
        return []
    if rtype == "Queue":
        if queuing is None:
            return [field.required(path.child("queuing"), "must not be empty if limited.limitResponse.type is Limited")]
        return validate_queuing(queuing, path.child("queuing"))
    return [field.not_supported(path.child("type"), rtype, LIMIT_RESPONSE_TYPES)]


def validate_limited(limited: Obj, path: Path) -> list[FieldError]:
    """ValidateLimitedPriorityLevelConfiguration with zero shares allowed (the v1.30 GA gate)."""
    errs: list[FieldError] = []
    shares = int(limited.get("nominalConcurrencyShares") or 0)
    if shares < 0:
        errs.append(field.invalid(path.child("nominalConcurrencyShares"), shares, "must be a non-negative integer"))
    response = limited.get("limitResponse")
    errs += validate_limit_response(response if isinstance(response, dict) else {}, path.child("limitResponse"))
    lendable = limited.get("lendablePercent")
    if lendable is not None and not 0 <= lendable <= 100:
        errs.append(field.invalid(path.child("lendablePercent"), lendable, "must be between 0 and 100, inclusive"))
    borrowing = limited.get("borrowingLimitPercent")
    if borrowing is not None and borrowing < 0:
        errs.append(field.invalid(path.child("borrowingLimitPercent"), borrowing, "if specified, must be a non-negative integer"))
    return errs


def validate_exempt(exempt: Obj, path: Path) -> list[FieldError]:
    """ValidateExemptPriorityLevelConfiguration."""
    errs: list[FieldError] = []
    shares = exempt.get("nominalConcurrencyShares")
    if shares is not None and shares < 0:
        errs.append(field.invalid(path.child("nominalConcurrencyShares"), shares, "must be a non-negative integer"))
    lendable = exempt.get("lendablePercent")
    if lendable is not None and not 0 <= lendable <= 100:
        errs.append(field.invalid(path.child("lendablePercent"), lendable, "must be between 0 and 100, inclusive"))
    return errs


def validate_spec(spec: Obj, name: str, path: Path) -> list[FieldError]:
    """ValidatePriorityLevelConfigurationSpec."""
    errs: list[FieldError] = []
    ptype = spec.get("type") or ""
    if (name == EXEMPT) != (ptype == "Exempt"):
        errs.append(field.invalid(path.child("type"), ptype, "type must be 'Exempt' if and only if name is 'exempt'"))
    limited, exempt = spec.get("limited"), spec.get("exempt")
    if ptype == "Exempt":
        if limited is not None:
            errs.append(field.forbidden(path.child("limited"), "must be nil if the type is not Limited"))
        if isinstance(exempt, dict):
            errs += validate_exempt(exempt, path.child("exempt"))
    elif ptype == "Limited":
        if exempt is not None:
            errs.append(field.forbidden(path.child("exempt"), "must be nil if the type is Limited"))
        if limited is None:
            errs.append(field.required(path.child("limited"), "must not be empty when type is Limited"))
        else:
            errs += validate_limited(limited if isinstance(limited, dict) else {}, path.child("limited"))
    else:
        errs.append(field.not_supported(path.child("type"), ptype, ENABLEMENTS))
    return errs


def validate_if_mandatory(name: str, spec: Obj, path: Path) -> list[FieldError]:
    """ValidateIfMandatoryPriorityLevelConfigurationObject."""
    fixed = fc.MANDATORY_PRIORITY_LEVEL_SPECS.get(name)
    if fixed is None:
        return []
    have = fc.semantic("PriorityLevelConfigurationSpec", spec)
    want = fc.semantic("PriorityLevelConfigurationSpec", fixed)
    if name == EXEMPT:
        # Admins may tune spec.exempt of the exempt level, nothing else.
        if have[:2] != want[:2]:
            return [field.invalid(path, fc.GoSpec("PriorityLevelConfigurationSpec", spec),
                                  f"spec of '{name}' except the 'spec.exempt' field must equal the fixed value")]
        return []
    if have != want:
        return [field.invalid(path, fc.GoSpec("PriorityLevelConfigurationSpec", spec), f"spec of '{name}' must equal the fixed value")]
    return []


def validate_priority_level(pl: Obj) -> list[FieldError]:
    """ValidatePriorityLevelConfiguration (ObjectMeta is checked by the generic layer)."""
    md = pl.get("metadata") or {}
    name = md.get("name") or ""
    errs: list[FieldError] = []
    if PRESERVE_ZERO_SHARES_ANNOTATION in (md.get("annotations") or {}):
        errs.append(field.forbidden(Path("metadata", "annotations"), f"annotation '{PRESERVE_ZERO_SHARES_ANNOTATION}' is forbidden"))
    spec = pl.get("spec") if isinstance(pl.get("spec"), dict) else {}
    errs += validate_spec(spec, name, Path("spec"))
    errs += validate_if_mandatory(name, spec, Path("spec"))
    return errs + fc.validate_conditions(pl.get("status"), Path("status"))


class PriorityLevelConfigurationStrategy(fc.FlowcontrolStrategy):
    def default(self, obj: Obj) -> None:
        default_priority_level(obj)

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return validate_priority_level(obj)

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_priority_level(new)


# --- printing ---



def table_row(pl: Obj, now: datetime | None = None) -> list[Any]:
    spec = pl.get("spec") or {}
    shares: Any = "<none>"
    queues: Any = "<none>"
    hand: Any = "<none>"
    length: Any = "<none>"
    limited = spec.get("limited")
    if isinstance(limited, dict):
        shares = int(limited.get("nominalConcurrencyShares") or 0)
        queuing = (limited.get("limitResponse") or {}).get("queuing")
        if isinstance(queuing, dict):
            queues, hand, length = (int(queuing.get(k) or 0) for k in ("queues", "handSize", "queueLengthLimit"))
    return [common.name_of(pl), spec.get("type") or "", shares, queues, hand, length, common.age(pl, now)]


PRINTER = Printer(
    columns=[
        common.name_column(),
        Column("Type", description=fc.column_doc("PriorityLevelConfigurationSpec", "type")),
        Column("NominalConcurrencyShares", description=fc.column_doc("LimitedPriorityLevelConfiguration", "nominalConcurrencyShares")),
        Column("Queues", description=fc.column_doc("QueuingConfiguration", "queues")),
        Column("HandSize", description=fc.column_doc("QueuingConfiguration", "handSize")),
        Column("QueueLengthLimit", description=fc.column_doc("QueuingConfiguration", "queueLengthLimit")),
        common.age_column(),
    ],
    row=table_row,
)

PRIORITYLEVELCONFIGURATIONS = ResourceType(
    group=fc.GROUP,
    version=fc.VERSION,
    kind="PriorityLevelConfiguration",
    plural="prioritylevelconfigurations",
    namespaced=False,
    subresources=(Subresource("status", ("get", "patch", "update")),),
    strategy=PriorityLevelConfigurationStrategy(),
    printer=PRINTER,
)
