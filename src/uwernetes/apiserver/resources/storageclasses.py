"""StorageClasses (storage.k8s.io/v1): upstream's `pkg/registry/storage/storageclass`,
`ValidateStorageClass`/`ValidateStorageClassUpdate` and `printStorageClass`.

A StorageClass has no spec/status split: everything but metadata is the class itself, and the
fields a provisioner has already acted on (provisioner, parameters, reclaimPolicy,
volumeBindingMode) are frozen after creation.
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
from uwernetes.machinery import field, validation
from uwernetes.machinery.field import FieldError, Path

MAX_PARAMETERS = 512
MAX_PARAMETERS_SIZE = 256 * 1024
RECLAIM_POLICIES = ("Delete", "Retain")  # sorted, as sets.List() prints them
VOLUME_BINDING_MODES = ("Immediate", "WaitForFirstConsumer")
DEFAULT_ANNOTATIONS = ("storageclass.kubernetes.io/is-default-class", "storageclass.beta.kubernetes.io/is-default-class")


def _doc(prop: str) -> LazyText:
    return field_doc("io.k8s.api.storage.v1.StorageClass", prop)


def default_storage_class(sc: Obj) -> None:
    """SetDefaults_StorageClass."""
    if sc.get("reclaimPolicy") is None:
        sc["reclaimPolicy"] = "Delete"
    if sc.get("volumeBindingMode") is None:
        sc["volumeBindingMode"] = "Immediate"


def validate_provisioner(provisioner: Any, path: Path) -> list[FieldError]:
    """A qualified name, checked in lower case (upstream's validateProvisioner)."""
    provisioner = provisioner if isinstance(provisioner, str) else ""
    if not provisioner:
        return [field.required(path, "")]
    return [field.invalid(path, provisioner, m) for m in validation.is_qualified_name(provisioner.lower())]


def validate_parameters(params: Any, path: Path, allow_empty: bool = True) -> list[FieldError]:
    params = params if isinstance(params, dict) else {}
    if len(params) > MAX_PARAMETERS:
        return [field.too_long(path, "", MAX_PARAMETERS)]
    errs: list[FieldError] = []
    total = 0
    for k, v in params.items():
        if not k:
            errs.append(field.invalid(path, k, "field can not be empty."))
        total += len(k) + len(v if isinstance(v, str) else "")
    if total > MAX_PARAMETERS_SIZE:
        errs.append(field.too_long(path, "", MAX_PARAMETERS_SIZE))
    if not allow_empty and not params:
        errs.append(field.required(path, "must contain at least one key/value pair"))
    return errs


def validate_topology_selector_term(term: Any, path: Path) -> tuple[dict[str, frozenset[str]], list[FieldError]]:
    """core's ValidateTopologySelectorTerm: returns the term as key -> value set, and its errors."""
    errs: list[FieldError] = []
    expr_map: dict[str, frozenset[str]] = {}
    exprs_path = path.child("matchLabelExpressions")
    for i, req in enumerate((term or {}).get("matchLabelExpressions") or ()):
        p = exprs_path.index(i)
        values = req.get("values") or []
        if not values:
            errs.append(field.required(p.child("values"), ""))
        seen: set[str] = set()
        for j, value in enumerate(values):
            if value in seen:
                errs.append(field.duplicate(p.child("values").index(j), value))
            seen.add(value)
        key = req.get("key") or ""
        errs.extend(field.invalid(p.child("key"), key, m) for m in validation.is_qualified_name(key))
        if key in expr_map:
            errs.append(field.duplicate(p.child("key"), key))
        expr_map[key] = frozenset(seen)
    return expr_map, errs


def validate_allowed_topologies(topologies: Any, path: Path) -> list[FieldError]:
    errs: list[FieldError] = []
    seen: list[dict[str, frozenset[str]]] = []
    for i, term in enumerate(topologies or ()):
        expr_map, term_errs = validate_topology_selector_term(term, path.index(i))
        errs.extend(term_errs)
        if expr_map in seen:
            errs.append(field.duplicate(path.index(i).child("matchLabelExpressions"), ""))
        seen.append(expr_map)
    return errs


def validate_storage_class(sc: Obj) -> list[FieldError]:
    errs = validate_provisioner(sc.get("provisioner"), Path("provisioner"))
    errs += validate_parameters(sc.get("parameters"), Path("parameters"))
    policy = sc.get("reclaimPolicy")
    if policy and policy not in RECLAIM_POLICIES:
        errs.append(field.not_supported("reclaimPolicy", policy, RECLAIM_POLICIES))
    mode = sc.get("volumeBindingMode")
    if mode is None:
        errs.append(field.required("volumeBindingMode", ""))
    elif mode not in VOLUME_BINDING_MODES:
        errs.append(field.not_supported("volumeBindingMode", mode, VOLUME_BINDING_MODES))
    errs += validate_allowed_topologies(sc.get("allowedTopologies"), Path("allowedTopologies"))
    return errs


def validate_storage_class_update(new: Obj, old: Obj) -> list[FieldError]:
    errs: list[FieldError] = []
    if new.get("parameters") != old.get("parameters"):
        errs.append(field.forbidden("parameters", "updates to parameters are forbidden."))
    if (new.get("provisioner") or "") != (old.get("provisioner") or ""):
        errs.append(field.forbidden("provisioner", "updates to provisioner are forbidden."))
    if new.get("reclaimPolicy") != old.get("reclaimPolicy"):
        errs.append(field.forbidden("reclaimPolicy", "updates to reclaimPolicy are forbidden."))
    errs += validation.validate_immutable(new.get("volumeBindingMode"), old.get("volumeBindingMode"), "volumeBindingMode")
    return errs


class StorageClassStrategy(Strategy):
    tracks_generation = False

    def default(self, obj: Obj) -> None:
        default_storage_class(obj)

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return validate_storage_class(obj)

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_storage_class_update(new, old)


def is_default_class(sc: Obj) -> bool:
    annotations = (sc.get("metadata") or {}).get("annotations") or {}
    return any(annotations.get(a) == "true" for a in DEFAULT_ANNOTATIONS)


def table_row(sc: Obj, now: datetime | None = None) -> list[Any]:
    name = common.name_of(sc)
    if is_default_class(sc):
        name += " (default)"
    return [
        name,
        sc.get("provisioner") or "",
        sc.get("reclaimPolicy") or "Delete",
        sc.get("volumeBindingMode") or "Immediate",
        bool(sc.get("allowVolumeExpansion")),
        common.age(sc, now),
    ]


PRINTER = Printer(
    columns=[
        common.name_column(),
        Column("Provisioner", description=_doc("provisioner")),
        Column("ReclaimPolicy", description=_doc("reclaimPolicy")),
        Column("VolumeBindingMode", description=_doc("volumeBindingMode")),
        Column("AllowVolumeExpansion", description=_doc("allowVolumeExpansion")),
        common.age_column(),
    ],
    row=table_row,
)

STORAGECLASSES = ResourceType(
    group="storage.k8s.io",
    version="v1",
    kind="StorageClass",
    plural="storageclasses",
    namespaced=False,
    short_names=("sc",),
    strategy=StorageClassStrategy(),
    printer=PRINTER,
)
