"""Namespaces (core/v1): upstream's `pkg/registry/core/namespace/strategy.go` and the namespace
parts of `pkg/apis/core/validation` and `pkg/apis/core/v1/defaults.go`.

A namespace is created `Active` with the `kubernetes` spec finalizer; the label
`kubernetes.io/metadata.name=<name>` is always set to the name (defaulting on every write, and
again at create once a generated name is known). Deleting marks it `Terminating`; the namespace
controller empties it and clears the finalizer through the `finalize` subresource.
"""

from __future__ import annotations

import copy
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

FINALIZER_KUBERNETES = "kubernetes"
LABEL_METADATA_NAME = "kubernetes.io/metadata.name"
ACTIVE, TERMINATING = "Active", "Terminating"


def ensure_name_label(ns: Obj) -> None:
    m = ns.setdefault("metadata", {})
    name = m.get("name")
    if name:
        labels = m.get("labels")
        if not isinstance(labels, dict):
            labels = m["labels"] = {}
        labels[LABEL_METADATA_NAME] = name


def validate_finalizer_names(finalizers: Any, path: Path) -> list[FieldError]:
    """validateFinalizerName for each spec.finalizers entry."""
    errs: list[FieldError] = []
    for i, name in enumerate(finalizers or ()):
        p = path.index(i)
        errs.extend(field.invalid(p, name, m) for m in validation.is_qualified_name(name))
        if "/" not in name and name != FINALIZER_KUBERNETES:
            errs.append(field.invalid(p, name, "name is neither a standard finalizer name nor is it fully qualified"))
    return errs


class NamespaceStrategy(Strategy):
    tracks_generation = False
    has_status = True
    name_check = staticmethod(validation.is_dns1123_label)

    def default(self, obj: Obj) -> None:
        ensure_name_label(obj)
        status = obj.get("status")
        if isinstance(status, dict) and not status.get("phase"):
            status["phase"] = ACTIVE

    def prepare_for_create(self, obj: Obj, ctx: Context) -> None:
        obj["status"] = {"phase": ACTIVE}
        spec = common.spec_of(obj)
        finalizers = list(spec.get("finalizers") or [])
        # Required on create; later it may be removed through /finalize.
        if FINALIZER_KUBERNETES not in finalizers:
            finalizers.append(FINALIZER_KUBERNETES)
        spec["finalizers"] = finalizers
        # Canonicalize: a generateName'd namespace only now knows its name.
        ensure_name_label(obj)

    def prepare_for_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        new_spec = common.spec_of(new)
        old_finalizers = (old.get("spec") or {}).get("finalizers")
        if old_finalizers is None:
            new_spec.pop("finalizers", None)
        else:
            new_spec["finalizers"] = copy.deepcopy(old_finalizers)
        common.keep_status(new, old)
        ensure_name_label(new)

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return validate_finalizer_names((obj.get("spec") or {}).get("finalizers"), Path("spec", "finalizers"))

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return []

    def prepare_for_status_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        common.keep_spec(new, old)

    def validate_status_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        phase = (new.get("status") or {}).get("phase", "")
        # Upstream's path really is `status.Phase`.
        if not (new.get("metadata") or {}).get("deletionTimestamp"):
            if phase != ACTIVE:
                return [field.invalid("status.Phase", phase, "may only be 'Active' if `deletionTimestamp` is empty")]
        elif phase != TERMINATING:
            return [field.invalid("status.Phase", phase, "may only be 'Terminating' if `deletionTimestamp` is not empty")]
        return []

    # --- finalize subresource: only spec.finalizers may change ---
    def prepare_for_finalize_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        common.keep_status(new, old)

    def validate_finalize_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_finalizer_names((new.get("spec") or {}).get("finalizers"), Path("spec", "finalizers"))

    # --- deletion: wait for the namespace controller ---
    def graceful_hold(self, obj: Obj) -> bool:
        return bool((obj.get("spec") or {}).get("finalizers"))

    def prepare_for_delete(self, obj: Obj) -> None:
        obj.setdefault("status", {})["phase"] = TERMINATING


def table_row(ns: Obj, now: datetime | None = None) -> list[Any]:
    return [common.name_of(ns), (ns.get("status") or {}).get("phase", ""), common.age(ns, now)]


PRINTER = Printer(
    columns=[
        common.name_column(),
        Column("Status", description="The status of the namespace"),
        common.age_column(),
    ],
    row=table_row,
)

NAMESPACES = ResourceType(
    group="",
    version="v1",
    kind="Namespace",
    plural="namespaces",
    namespaced=False,
    short_names=("ns",),
    verbs=("create", "delete", "get", "list", "patch", "update", "watch"),
    subresources=(
        Subresource("finalize", ("update",)),
        Subresource("status", ("get", "patch", "update")),
    ),
    strategy=NamespaceStrategy(),
    printer=PRINTER,
    field_selectors={"status.phase": lambda ns: (ns.get("status") or {}).get("phase", "")},
)
