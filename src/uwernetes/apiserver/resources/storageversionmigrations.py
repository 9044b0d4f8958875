"""StorageVersionMigrations (storagemigration.k8s.io/v1alpha1, KEP-4192): upstream's
`pkg/registry/storagemigration/storagemigration`, `pkg/apis/storagemigration/validation` (v1alpha1)
and `printStorageVersionMigration`.

A migration names one resource whose stored objects should be rewritten at the current storage
version. The spec is fixed at creation; the migrator reports through /status, where the resource
version it started from never changes once set and terminal conditions never turn back.
Served only with the StorageVersionMigrator feature gate on.
"""

from __future__ import annotations

import re
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
from uwernetes.machinery import field, meta, validation
from uwernetes.machinery.field import FieldError, Path

RUNNING, SUCCEEDED, FAILED = "Running", "Succeeded", "Failed"
CONDITION_STATUSES = ["False", "True", "Unknown"]
MAX_REASON = 1024
MAX_MESSAGE = 32 * 1024
INT64_MAX = 2**63 - 1
_REASON_FMT = "[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?"
_REASON_RE = re.compile(f"^{_REASON_FMT}$")
_REASON_MSG = (
    "a condition reason must start with alphabetic character, optionally followed by a string of alphanumeric "
    "characters or '_,:', and must end with an alphanumeric character or '_'"
)
# Invalid-value errors on the whole condition list print Go's %#v of a struct slice; we abbreviate it.
_CONDITIONS_VALUE = common.GoLiteral("[]storagemigration.MigrationCondition{...}")


def _resource(svm: Obj) -> Obj:
    return ((svm.get("spec") or {}).get("resource")) or {}


def validate_svm(svm: Obj) -> list[FieldError]:
    """ValidateStorageVersionMigration (object metadata is checked by the generic layer)."""
    res = _resource(svm)
    errs: list[FieldError] = []
    if not res.get("resource"):
        errs.append(field.required("spec.resource.resource", "resource is required"))
    if not res.get("version"):
        errs.append(field.required("spec.resource.version", "version is required"))
    return errs


def validate_svm_update(new: Obj, old: Obj) -> list[FieldError]:
    """The resource to migrate never changes; upstream reports it at top-level paths."""
    errs = validate_svm(new)
    new_res, old_res = _resource(new), _resource(old)
    for key in ("group", "version", "resource"):
        if (new_res.get(key) or "") != (old_res.get(key) or ""):
            errs.append(field.invalid(key, new_res.get(key) or "", "field is immutable"))
    return errs


def parse_resource_version(rv: str) -> tuple[int, str | None]:
    """convertResourceVersionToInt: empty means unset (0); otherwise Go's ParseInt rules and errors."""
    if not rv:
        return 0, None
    if re.fullmatch(r"[+-]?[0-9]+", rv) is None:
        return 0, f"failed to parse resource version {field.go_quote(rv)}: strconv.ParseInt: parsing {field.go_quote(rv)}: invalid syntax"
    value = int(rv)
    if not -INT64_MAX - 1 <= value <= INT64_MAX:
        return 0, f"failed to parse resource version {field.go_quote(rv)}: strconv.ParseInt: parsing {field.go_quote(rv)}: value out of range"
    return value, None


def validate_condition(c: Obj, path: Path) -> list[FieldError]:
    errs = [field.invalid(path.child("type"), c.get("type") or "", m)
            for m in validation.is_qualified_name(c.get("type") or "")]
    status = c.get("status") or ""
    if status not in CONDITION_STATUSES:
        errs.append(field.not_supported(path.child("status"), status, CONDITION_STATUSES))
    if not c.get("lastUpdateTime"):
        # Upstream names the metav1.Condition field here, not the one it checks.
        errs.append(field.required(path.child("lastTransitionTime"), "must be set"))
    reason = c.get("reason") or ""
    if not reason:
        errs.append(field.required(path.child("reason"), "must be set"))
    else:
        if not _REASON_RE.match(reason):
            errs.append(field.invalid(path.child("reason"), reason, validation._regex_error(
                _REASON_MSG, _REASON_FMT, "my_name", "MY_NAME", "MyName", "ReasonA,ReasonB", "ReasonA:ReasonB")))
        if len(reason) > MAX_REASON:
            errs.append(field.too_long(path.child("reason"), reason, MAX_REASON))
    if len(c.get("message") or "") > MAX_MESSAGE:
        errs.append(field.too_long(path.child("message"), c.get("message"), MAX_MESSAGE))
    return errs


def _conditions(svm: Obj) -> list[Obj]:
    return [c for c in (svm.get("status") or {}).get("conditions") or () if isinstance(c, dict)]


def is_true(svm: Obj, ctype: str) -> bool:
    """The first condition of the type decides, as upstream's getCondition does."""
    first = next((c for c in _conditions(svm) if c.get("type") == ctype), None)
    return first is not None and first.get("status") == "True"


def validate_svm_status_update(new: Obj, old: Obj) -> list[FieldError]:
    """ValidateStorageVersionMigrationStatusUpdate (object metadata is checked by the generic layer)."""
    path = Path("status")
    errs: list[FieldError] = []
    rv = (new.get("status") or {}).get("resourceVersion") or ""
    value, problem = parse_resource_version(rv)
    if problem is not None:
        errs.append(field.invalid(path.child("resourceVersion"), rv, problem))
    errs += validation.validate_nonnegative(value, path.child("resourceVersion"))
    seen: set[str] = set()
    for i, c in enumerate(_conditions(new)):
        ctype = c.get("type") or ""
        if ctype in seen:
            errs.append(field.duplicate(path.child("conditions").index(i).child("type"), ctype))
        seen.add(ctype)
        errs += validate_condition(c, path.child("conditions").index(i))
    old_rv = (old.get("status") or {}).get("resourceVersion") or ""
    if old_rv and old_rv != rv:
        errs.append(field.invalid(path.child("resourceVersion"), rv, "resourceVersion cannot be updated"))
    conds = path.child("conditions")
    succeeded, failed, running = is_true(new, SUCCEEDED), is_true(new, FAILED), is_true(new, RUNNING)
    if succeeded and failed:
        errs.append(field.invalid(conds, _CONDITIONS_VALUE, "Both success and failed conditions cannot be true at the same time"))
    if succeeded and running:
        errs.append(field.invalid(conds, _CONDITIONS_VALUE, "Running condition cannot be true when success condition is true"))
    if failed and running:
        errs.append(field.invalid(conds, _CONDITIONS_VALUE, "Running condition cannot be true when failed condition is true"))
    if is_true(old, SUCCEEDED) and not succeeded:
        errs.append(field.invalid(conds, _CONDITIONS_VALUE, "Success condition cannot be set to false once it is true"))
    if is_true(old, FAILED) and not failed:
        errs.append(field.invalid(conds, _CONDITIONS_VALUE, "Failed condition cannot be set to false once it is true"))
    return errs


class StorageVersionMigrationStrategy(Strategy):
    tracks_generation = False
    has_status = True
    allow_unconditional_update = False

    def prepare_for_create(self, obj: Obj, ctx: Context) -> None:
        obj["status"] = {}

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return validate_svm(obj)

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_svm_update(new, old)

    def prepare_for_status_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        common.keep_spec(new, old)
        # ResetObjectMetaForStatus: a status write keeps the stored labels, annotations, owners, finalizers.
        new_meta, old_meta = meta.meta(new), old.get("metadata") or {}
        for key in ("labels", "annotations", "finalizers", "ownerReferences"):
            if key in old_meta:
                new_meta[key] = meta.deep_copy(old_meta[key])
            else:
                new_meta.pop(key, None)

    def validate_status_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_svm_status_update(new, old)


def table_row(svm: Obj, now: datetime | None = None) -> list[Any]:
    res = _resource(svm)
    target = f"{res.get('resource') or ''}.{res.get('version') or ''}.{res.get('group') or ''}"
    return [common.name_of(svm), target]


PRINTER = Printer(
    # Upstream's Name column here carries no "name" format.
    columns=[
        Column("Name", description=common.NAME_DESCRIPTION),
        Column("Resource", description="Fully qualified resource to migrate"),
    ],
    row=table_row,
)

STORAGEVERSIONMIGRATIONS = ResourceType(
    group="storagemigration.k8s.io",
    version="v1alpha1",
    kind="StorageVersionMigration",
    plural="storageversionmigrations",
    namespaced=False,
    subresources=(Subresource("status", ("get", "patch", "update")),),
    strategy=StorageVersionMigrationStrategy(),
    printer=PRINTER,
    feature_gate="StorageVersionMigrator",
)
