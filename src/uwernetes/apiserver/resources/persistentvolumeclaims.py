"""PersistentVolumeClaims (core/v1): upstream v1.30's
`pkg/registry/core/persistentvolumeclaim/strategy.go`, `pkg/api/persistentvolumeclaim/util.go`
(DropDisabledFields, EnforceDataSourceBackwardsCompatibility, NormalizeDataSources, warnings),
`ValidatePersistentVolumeClaim*` and `printPersistentVolumeClaim`.

Data sources: on create (and update) a `dataSource` that is neither a PVC nor a VolumeSnapshot is
dropped unless the old claim already had one; then whichever of `dataSource`/`dataSourceRef` is
missing is copied from the other (a namespaced `dataSourceRef` is never copied back).
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from uwernetes.apiserver.resources import core_common as common
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

STORAGE = "storage"
RESIZE_STATUSES = (
    "ControllerResizeInProgress", "ControllerResizeInfeasible", "NodeResizeInProgress",
    "NodeResizeInfeasible", "NodeResizePending",
)  # fmt: skip
IMMUTABLE_SPEC = "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"
# AnyVolumeDataSource is beta and on in v1.30 (not in this project's gate table).
ANY_VOLUME_DATA_SOURCE = True


# --------------------------------------------------------------------------------------------
# data sources (pkg/api/persistentvolumeclaim/util.go)
# --------------------------------------------------------------------------------------------


def _is_pvc_or_snapshot(ds: Any) -> bool:
    if not isinstance(ds, dict):
        return False
    group = ds.get("apiGroup") or ""
    kind = ds.get("kind")
    return (kind == "PersistentVolumeClaim" and group == "") or (kind == "VolumeSnapshot" and group == "snapshot.storage.k8s.io")


def enforce_data_source_backwards_compatibility(spec: Obj, old_spec: Obj | None) -> None:
    if old_spec is not None and old_spec.get("dataSource") is not None:
        return
    if spec.get("dataSource") is not None and not _is_pvc_or_snapshot(spec["dataSource"]):
        del spec["dataSource"]


def normalize_data_sources(spec: Obj) -> None:
    """Copy dataSource -> dataSourceRef or back, whichever one is missing."""
    if not ANY_VOLUME_DATA_SOURCE:
        return
    ds, ref = spec.get("dataSource"), spec.get("dataSourceRef")
    if isinstance(ds, dict) and ref is None:
        out = {"kind": ds.get("kind") or "", "name": ds.get("name") or ""}
        if ds.get("apiGroup") is not None:
            out = {"apiGroup": ds["apiGroup"], **out}
        spec["dataSourceRef"] = out
    elif isinstance(ref, dict) and ds is None and not ref.get("namespace"):
        out = {"kind": ref.get("kind") or "", "name": ref.get("name") or ""}
        if ref.get("apiGroup") is not None:
            out = {"apiGroup": ref["apiGroup"], **out}
        spec["dataSource"] = out


def drop_disabled_fields(spec: Obj, old_spec: Obj | None, ctx: Context | None) -> None:
    if not pvs.gate(ctx, "VolumeAttributesClass") and (old_spec is None or old_spec.get("volumeAttributesClassName") is None):
        spec.pop("volumeAttributesClassName", None)
    ref = spec.get("dataSourceRef")
    old_ref_in_use = old_spec is not None and old_spec.get("dataSourceRef") is not None
    if not pvs.gate(ctx, "CrossNamespaceVolumeDataSource") and isinstance(ref, dict) and ref.get("namespace"):
        if not old_ref_in_use:
            ref.pop("namespace", None)


def drop_disabled_status_fields(new: Obj, old: Obj | None, ctx: Context | None) -> None:
    status, old_status = new.get("status") or {}, (old or {}).get("status") or {}
    if not pvs.gate(ctx, "VolumeAttributesClass"):
        for key in ("currentVolumeAttributesClassName", "modifyVolumeStatus"):
            if old_status.get(key) is None:
                status.pop(key, None)
    if not pvs.gate(ctx, "RecoverVolumeExpansionFailure"):
        for key in ("allocatedResources", "allocatedResourceStatuses"):
            if not old_status.get(key):
                status.pop(key, None)


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------


def _go_path_literal(name: str) -> common.GoLiteral:
    """`%#v` of the *field.Path upstream passes as a bad value (its parent address stands fixed)."""
    return common.GoLiteral(f'field.Path{{name:"{name}", index:"", parent:(*field.Path)(0xc000000000)}}')


def _validate_data_source(ds: Obj, path: Path, allow_invalid_group: bool) -> list[FieldError]:
    errs: list[FieldError] = []
    if not ds.get("name"):
        errs.append(field.required(path.child("name"), ""))
    if not ds.get("kind"):
        errs.append(field.required(path.child("kind"), ""))
    group = ds.get("apiGroup") or ""
    if not group and ds.get("kind") != "PersistentVolumeClaim":
        errs.append(field.invalid(path, ds.get("kind") or "", "must be 'PersistentVolumeClaim' when referencing the default apiGroup"))
    if group and not allow_invalid_group:
        errs.extend(field.invalid(path.child("apiGroup"), group, m) for m in validation.is_dns1123_subdomain(group))
    return errs


def validate_pvc_spec(spec: Obj, path: Path, opts: dict[str, bool]) -> list[FieldError]:
    """ValidatePersistentVolumeClaimSpec."""
    errs = pvs.validate_access_modes(spec.get("accessModes"), path.child("accessModes"), "at least 1 access mode is required")
    if spec.get("selector") is not None:
        errs.extend(validation.validate_label_selector(spec["selector"], path.child("selector")))
    # Upstream's quirk: the Required error sits at spec.resources[storage] (no "requests").
    storage_path = path.child("resources").key(STORAGE)
    requests = ((spec.get("resources") or {}).get("requests")) or {}
    if STORAGE not in requests:
        errs.append(field.required(storage_path, ""))
    else:
        q = quantity.parse(requests[STORAGE])
        if q.value <= 0:
            errs.append(field.invalid(storage_path, str(q), "must be greater than zero"))
    if spec.get("storageClassName"):
        errs.extend(pvs.class_name_errors(spec["storageClassName"], path.child("storageClassName")))
    mode = spec.get("volumeMode")
    if mode is not None and mode not in pvs.VOLUME_MODES:
        errs.append(field.not_supported(path.child("volumeMode"), mode, pvs.VOLUME_MODES))
    ds, ref = spec.get("dataSource"), spec.get("dataSourceRef")
    if isinstance(ds, dict):
        errs.extend(_validate_data_source(ds, path.child("dataSource"), opts["allow_invalid_group"]))
    if isinstance(ref, dict):
        rp = path.child("dataSourceRef")
        errs.extend(_validate_data_source(ref, rp, opts["allow_invalid_group"]))
        if ref.get("namespace"):
            errs.extend(field.invalid(rp.child("namespace"), ref["namespace"], m) for m in validation.is_dns1123_label(ref["namespace"]))
    if isinstance(ref, dict) and ref.get("namespace"):
        if ds is not None:
            errs.append(field.invalid(path, _go_path_literal("dataSource"), "may not be specified when dataSourceRef.namespace is specified"))
    elif isinstance(ds, dict) and isinstance(ref, dict):
        if (ds.get("apiGroup"), ds.get("kind") or "", ds.get("name") or "") != (ref.get("apiGroup"), ref.get("kind") or "", ref.get("name") or ""):
            errs.append(field.invalid(path, _go_path_literal("dataSource"), "must match dataSourceRef"))
    vac = spec.get("volumeAttributesClassName")
    if vac and opts["vac"]:
        errs.extend(pvs.class_name_errors(vac, path.child("volumeAttributesClassName")))
    return errs


def validation_options(ctx: Context | None, old: Obj | None) -> dict[str, bool]:
    """ValidationOptionsForPersistentVolumeClaim."""
    opts = {
        "recover": pvs.gate(ctx, "RecoverVolumeExpansionFailure"),
        "vac": pvs.gate(ctx, "VolumeAttributesClass"),
        "allow_invalid_group": False,
    }
    if old is not None:
        spec, status = old.get("spec") or {}, old.get("status") or {}
        opts["allow_invalid_group"] = any(
            isinstance(spec.get(k), dict) and spec[k].get("apiGroup") is not None for k in ("dataSource", "dataSourceRef")
        )
        opts["vac"] = opts["vac"] or spec.get("volumeAttributesClassName") is not None
        opts["recover"] = opts["recover"] or bool(status.get("allocatedResources") or status.get("allocatedResourceStatuses"))
    return opts


def validate_pvc(pvc: Obj, opts: dict[str, bool]) -> list[FieldError]:
    spec = pvc.get("spec") if isinstance(pvc.get("spec"), dict) else {}
    return validate_pvc_spec(spec, Path("spec"), opts)


def _annotation(obj: Obj) -> str | None:
    return ((obj.get("metadata") or {}).get("annotations") or {}).get(pvs.BETA_STORAGE_CLASS)


def validate_pvc_update(new: Obj, old: Obj, opts: dict[str, bool], ctx: Context | None) -> list[FieldError]:
    """ValidatePersistentVolumeClaimUpdate (which validates the new claim once more itself)."""
    errs = validate_pvc(new, opts)
    new_spec, old_spec = copy.deepcopy(new.get("spec") or {}), copy.deepcopy(old.get("spec") or {})
    # Upstream normalizes the old claim's data sources before comparing (old clients omit dataSourceRef).
    normalize_data_sources(old_spec)
    if not old_spec.get("volumeName"):
        # volumeName may be set once.
        if new_spec.get("volumeName") is None:
            old_spec.pop("volumeName", None)
        else:
            old_spec["volumeName"] = new_spec["volumeName"]
    old_ann, new_ann = _annotation(old), _annotation(new)
    old_sc, new_sc = old_spec.get("storageClassName"), new_spec.get("storageClassName")
    if old_ann is not None and old_sc is None and new_sc is not None and new_sc == old_ann and new_ann in (None, old_ann):
        new_spec.pop("storageClassName", None)
    else:
        if (new_ann or "") != (old_ann or ""):
            errs.append(field.invalid(Path("metadata", "annotations", pvs.BETA_STORAGE_CLASS), new_ann or "", "field is immutable"))
        if new_sc is not None and old_sc is None and (old_ann is None or new_sc == old_ann):
            new_spec.pop("storageClassName", None)
    bound = ((new.get("status") or {}).get("phase")) == "Bound"
    requests = (new_spec.get("resources") or {}).get("requests")
    if bound and requests is not None:
        old_storage = ((old_spec.get("resources") or {}).get("requests") or {}).get(STORAGE)
        if old_storage is None:
            requests.pop(STORAGE, None)
        else:
            requests[STORAGE] = old_storage
    if bound and new_spec.get("volumeAttributesClassName") is not None:
        if old_spec.get("volumeAttributesClassName") is None:
            new_spec.pop("volumeAttributesClassName")
        else:
            new_spec["volumeAttributesClassName"] = old_spec["volumeAttributesClassName"]
    if _semantic(new_spec) != _semantic(old_spec):
        errs.append(field.forbidden("spec", f"{IMMUTABLE_SPEC}\n{pvs.spec_diff(old_spec, new_spec)}"))
    new_size = _storage_in((new.get("spec") or {}).get("resources"), "requests")
    old_size = _storage_in((old.get("spec") or {}).get("resources"), "requests")
    status_size = _storage_in(old.get("status"), "capacity")
    if new_size.cmp(old_size) < 0:
        storage_path = Path("spec", "resources", "requests", STORAGE)
        if not opts["recover"]:
            errs.append(field.forbidden(storage_path, "field can not be less than previous value"))
        elif new_size.cmp(status_size) <= 0:
            errs.append(field.forbidden(storage_path, "field can not be less than status.capacity"))
    ns, os_ = new.get("spec") or {}, old.get("spec") or {}
    errs.extend(validation.validate_immutable(ns.get("volumeMode"), os_.get("volumeMode"), "volumeMode"))
    if ns.get("volumeAttributesClassName") != os_.get("volumeAttributesClassName"):
        vp = Path("spec", "volumeAttributesClassName")
        if not pvs.gate(ctx, "VolumeAttributesClass"):
            errs.append(field.forbidden(vp, "update is forbidden when the VolumeAttributesClass feature gate is disabled"))
        if opts["vac"] and os_.get("volumeAttributesClassName") is not None:
            if ns.get("volumeAttributesClassName") is None:
                errs.append(field.forbidden(vp, "update from non-nil value to nil is forbidden"))
            elif ns["volumeAttributesClassName"] == "":
                errs.append(field.forbidden(vp, "update from non-nil value to an empty string is forbidden"))
    return errs


def _semantic(spec: Obj) -> Any:
    """Spec with quantities compared by value and nil == empty, like Semantic.DeepEqual."""
    spec = copy.deepcopy(spec)
    for key in ("requests", "limits"):
        rl = (spec.get("resources") or {}).get(key)
        if isinstance(rl, dict):
            for k, v in rl.items():
                rl[k] = quantity.parse_quantity(v)
    return pvs.drop_empty(spec)


def _storage_in(obj: Any, key: str) -> quantity.Quantity:
    raw = (((obj or {}).get(key)) or {}).get(STORAGE) if isinstance(obj, dict) else None
    return quantity.parse(raw) if raw is not None else quantity.Quantity(quantity.parse_quantity(0))


def validate_pvc_status_update(new: Obj, opts: dict[str, bool]) -> list[FieldError]:
    errs: list[FieldError] = []
    if not (new.get("spec") or {}).get("accessModes"):
        errs.append(field.required("Spec.accessModes", ""))
    status = new.get("status") or {}
    for res, qty in (status.get("capacity") or {}).items():
        value = pvs.go_int64_value(qty)
        if value < 0:
            errs.append(field.invalid(Path("status", "capacity").key(res), value, "must be a valid resource quantity"))
    if opts["recover"]:
        rs_path = Path("status", "allocatedResourceStatus")
        for k, v in (status.get("allocatedResourceStatuses") or {}).items():
            errs.extend(_resource_key_errors(k, rs_path))
            if v not in RESIZE_STATUSES:
                errs.append(field.not_supported(rs_path, k, RESIZE_STATUSES))
        alloc_path = Path("status", "allocatedResources")
        for k, qty in (status.get("allocatedResources") or {}).items():
            key_errs = _resource_key_errors(k, alloc_path)
            if key_errs:
                errs.extend(key_errs)
                continue
            value = pvs.go_int64_value(qty)
            if value < 0:
                errs.append(field.invalid(alloc_path.key(k), value, "must be a valid resource quantity"))
            elif quantity.parse_quantity(qty) < 0:
                errs.append(field.invalid(alloc_path.key(k), quantity.canonicalize(qty), "must be greater than or equal to 0"))
    return errs


def _resource_key_errors(value: str, path: Path) -> list[FieldError]:
    errs = [field.invalid(path, value, m) for m in validation.is_qualified_name(value)]
    if errs:
        return errs
    if ("/" not in value or "kubernetes.io/" in value) and value != STORAGE:
        return [field.not_supported(path, value, (STORAGE,))]
    return []


def warnings_for(pvc: Obj) -> list[str]:
    """GetWarningsForPersistentVolumeClaim."""
    out = pvs.storage_class_warning(pvc)
    resources = (pvc.get("spec") or {}).get("resources") or {}
    for key in ("requests", "limits"):
        raw = (resources.get(key) or {}).get(STORAGE)
        if raw is not None and quantity.parse(raw).milli_value() % 1000:
            path = Path("spec", "resources", key).key(STORAGE)
            out.append(f"{path}: fractional byte value {field.go_quote(quantity.canonicalize(raw))} is invalid, must be an integer")
    return out


# --------------------------------------------------------------------------------------------
# strategy
# --------------------------------------------------------------------------------------------


def default_pvc(pvc: Obj) -> None:
    """SetDefaults_PersistentVolumeClaim (volumeMode) and the ResourceList defaults."""
    spec = common.spec_of(pvc)
    if spec.get("volumeMode") is None:
        spec["volumeMode"] = "Filesystem"
    resources = spec.get("resources")
    if isinstance(resources, dict):
        for key in ("requests", "limits"):
            pvs.default_resource_list(resources.get(key), "PersistentVolumeClaim")
    status = pvc.get("status")
    if isinstance(status, dict):
        for key in ("capacity", "allocatedResources"):
            pvs.default_resource_list(status.get(key), "PersistentVolumeClaim")


class PersistentVolumeClaimStrategy(Strategy):
    tracks_generation = False
    has_status = True

    def default(self, obj: Obj) -> None:
        default_pvc(obj)

    def prepare_for_create(self, obj: Obj, ctx: Context) -> None:
        obj["status"] = {"phase": "Pending"}
        spec = common.spec_of(obj)
        drop_disabled_fields(spec, None, ctx)
        enforce_data_source_backwards_compatibility(spec, None)
        normalize_data_sources(spec)

    def prepare_for_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        common.keep_status(new, old)
        spec, old_spec = common.spec_of(new), old.get("spec") or {}
        drop_disabled_fields(spec, old_spec, ctx)
        enforce_data_source_backwards_compatibility(spec, old_spec)
        normalize_data_sources(spec)

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return validate_pvc(obj, validation_options(ctx, None))

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        opts = validation_options(ctx, old)
        return validate_pvc(new, opts) + validate_pvc_update(new, old, opts, ctx)

    def warnings_on_create(self, obj: Obj, ctx: Context) -> list[str]:
        return warnings_for(obj)

    def warnings_on_update(self, new: Obj, old: Obj, ctx: Context) -> list[str]:
        return warnings_for(new)

    def prepare_for_status_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        common.keep_spec(new, old)
        drop_disabled_status_fields(new, old, ctx)

    def validate_status_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_pvc_status_update(new, validation_options(ctx, old))


def table_row(pvc: Obj, now: datetime | None = None) -> list[Any]:
    spec, status = pvc.get("spec") or {}, pvc.get("status") or {}
    phase = status.get("phase") or ""
    if (pvc.get("metadata") or {}).get("deletionTimestamp"):
        phase = "Terminating"
    capacity = modes = ""
    if spec.get("volumeName"):
        modes = pvs.access_modes_string(status.get("accessModes"))
        raw = (status.get("capacity") or {}).get(STORAGE)
        capacity = quantity.canonicalize(raw) if raw is not None else "0"
    vac = spec.get("volumeAttributesClassName")
    return [
        common.name_of(pvc),
        phase,
        spec.get("volumeName") or "",
        capacity,
        modes,
        pvs.storage_class(pvc),
        vac if vac is not None else "<unset>",
        common.age(pvc, now),
        spec["volumeMode"] if spec.get("volumeMode") is not None else "<unset>",
    ]


PRINTER = Printer(
    columns=[
        common.name_column(),
        Column("Status", description=pvs.schema_doc("PersistentVolumeClaimStatus", "phase")),
        Column("Volume", description=pvs.schema_doc("PersistentVolumeClaimSpec", "volumeName")),
        Column("Capacity", description=pvs.schema_doc("PersistentVolumeClaimStatus", "capacity")),
        Column("Access Modes", description=pvs.schema_doc("PersistentVolumeClaimStatus", "accessModes")),
        Column("StorageClass", description="StorageClass of the pvc"),
        Column("VolumeAttributesClass", description="VolumeAttributesClass of the pvc"),
        common.age_column(),
        common.wide("VolumeMode", pvs.schema_doc("PersistentVolumeClaimSpec", "volumeMode")),
    ],
    row=table_row,
)

PERSISTENTVOLUMECLAIMS = ResourceType(
    group="",
    version="v1",
    kind="PersistentVolumeClaim",
    plural="persistentvolumeclaims",
    namespaced=True,
    short_names=("pvc",),
    subresources=(Subresource("status", ("get", "patch", "update")),),
    strategy=PersistentVolumeClaimStrategy(),
    printer=PRINTER,
)
