"""CSIDrivers (storage.k8s.io/v1): upstream's `pkg/registry/storage/csidriver`,
`ValidateCSIDriver`/`ValidateCSIDriverUpdate`, `SetDefaults_CSIDriver` and `printCSIDriver`.

v1.30: attachRequired and volumeLifecycleModes are immutable; the other spec fields may change,
and a change to them bumps metadata.generation (the strategy's PrepareForUpdate).
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

FS_GROUP_POLICIES = ("File", "None", "ReadWriteOnceWithFSType")  # sorted, as sets.List() prints them
LIFECYCLE_MODES = ("Persistent", "Ephemeral")
MIN_TOKEN_SECONDS = 600
MAX_TOKEN_SECONDS = 1 << 32
MAX_DRIVER_NAME = 63


def _doc(prop: str) -> LazyText:
    return field_doc("io.k8s.api.storage.v1.CSIDriverSpec", prop)


def validate_csi_driver_name(name: Any, path: Path | str) -> list[FieldError]:
    """core's ValidateCSIDriverName (also used for CSINode drivers and VolumeAttachment attachers)."""
    name = name if isinstance(name, str) else ""
    errs: list[FieldError] = []
    if not name:
        errs.append(field.required(path, ""))
    if len(name) > MAX_DRIVER_NAME:
        errs.append(field.too_long(path, name, MAX_DRIVER_NAME))
    errs.extend(field.invalid(path, name, m) for m in validation.is_dns1123_subdomain(name.lower()))
    return errs


def default_csi_driver(driver: Obj) -> None:
    """SetDefaults_CSIDriver (SELinuxMountReadWriteOncePod is beta and on in v1.30)."""
    spec = common.spec_of(driver)
    for key, value in (("attachRequired", True), ("podInfoOnMount", False), ("storageCapacity", False),
                       ("fsGroupPolicy", "ReadWriteOnceWithFSType"), ("requiresRepublish", False),
                       ("seLinuxMount", False)):
        if spec.get(key) is None:
            spec[key] = value
    if not spec.get("volumeLifecycleModes"):
        spec["volumeLifecycleModes"] = ["Persistent"]


def validate_token_requests(requests: Any, path: Path) -> list[FieldError]:
    errs: list[FieldError] = []
    audiences: set[str] = set()
    for i, req in enumerate(requests or ()):
        p = path.index(i)
        audience = req.get("audience") or ""
        if audience in audiences:
            errs.append(field.duplicate(p.child("audience"), audience))
            continue
        audiences.add(audience)
        seconds = req.get("expirationSeconds")
        if not isinstance(seconds, int):
            continue
        if seconds < MIN_TOKEN_SECONDS:
            errs.append(field.invalid(p.child("expirationSeconds"), seconds, "may not specify a duration less than 10 minutes"))
        if seconds > MAX_TOKEN_SECONDS:
            errs.append(field.invalid(p.child("expirationSeconds"), seconds, "may not specify a duration larger than 2^32 seconds"))
    return errs


def validate_csi_driver_spec(spec: Any, path: Path) -> list[FieldError]:
    spec = spec if isinstance(spec, dict) else {}
    errs: list[FieldError] = []
    # Upstream's path really says attachedRequired.
    for key, p in (("attachRequired", "attachedRequired"), ("podInfoOnMount", "podInfoOnMount"),
                   ("storageCapacity", "storageCapacity")):
        if spec.get(key) is None:
            errs.append(field.required(path.child(p), ""))
    policy = spec.get("fsGroupPolicy")
    if policy is not None and policy not in FS_GROUP_POLICIES:
        errs.append(field.not_supported(path.child("fsGroupPolicy"), policy, FS_GROUP_POLICIES))
    errs += validate_token_requests(spec.get("tokenRequests"), path.child("tokenRequests"))
    for mode in spec.get("volumeLifecycleModes") or ():
        if mode not in LIFECYCLE_MODES:
            errs.append(field.not_supported(path.child("volumeLifecycleModes"), mode, LIFECYCLE_MODES))
    if spec.get("seLinuxMount") is None:
        errs.append(field.required(path.child("seLinuxMount"), ""))
    return errs


def validate_csi_driver_update(new: Obj, old: Obj) -> list[FieldError]:
    ns, os_ = new.get("spec") or {}, old.get("spec") or {}
    errs = validate_csi_driver_spec(ns, Path("spec"))
    errs += validation.validate_immutable(ns.get("attachRequired"), os_.get("attachRequired"), "spec.attachedRequired")
    errs += validation.validate_immutable(
        ns.get("volumeLifecycleModes"), os_.get("volumeLifecycleModes"), "spec.volumeLifecycleModes"
    )
    return errs


class CSIDriverStrategy(Strategy):
    tracks_generation = False

    def default(self, obj: Obj) -> None:
        default_csi_driver(obj)

    def prepare_for_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        # Changes to the mutable spec fields bump the generation (upstream compares those fields;
        # the immutable ones cannot differ in a valid update).
        common.bump_generation_if(new, old, (new.get("spec") or {}) != (old.get("spec") or {}))

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return validate_csi_driver_spec(obj.get("spec"), Path("spec"))

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_csi_driver_update(new, old)


def _flag(spec: Obj, key: str, default: bool) -> bool:
    value = spec.get(key)
    return default if value is None else bool(value)


def table_row(driver: Obj, now: datetime | None = None) -> list[Any]:
    spec = driver.get("spec") or {}
    modes = ",".join(spec.get("volumeLifecycleModes") or ()) or "<none>"
    token_requests = spec.get("tokenRequests")
    tokens = "<unset>" if token_requests is None else ",".join(t.get("audience") or "" for t in token_requests)
    return [
        common.name_of(driver),
        _flag(spec, "attachRequired", True),
        _flag(spec, "podInfoOnMount", False),
        _flag(spec, "storageCapacity", False),
        tokens,
        _flag(spec, "requiresRepublish", False),
        modes,
        common.age(driver, now),
    ]


PRINTER = Printer(
    columns=[
        common.name_column(),
        Column("AttachRequired", "boolean", description=_doc("attachRequired")),
        Column("PodInfoOnMount", "boolean", description=_doc("podInfoOnMount")),
        Column("StorageCapacity", "boolean", description=_doc("storageCapacity")),
        Column("TokenRequests", description=_doc("tokenRequests")),
        Column("RequiresRepublish", "boolean", description=_doc("requiresRepublish")),
        Column("Modes", description=_doc("volumeLifecycleModes")),
        common.age_column(),
    ],
    row=table_row,
)

CSIDRIVERS = ResourceType(
    group="storage.k8s.io",
    version="v1",
    kind="CSIDriver",
    plural="csidrivers",
    namespaced=False,
    strategy=CSIDriverStrategy(),
    printer=PRINTER,
)
