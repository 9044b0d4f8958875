"""CSINodes (storage.k8s.io/v1): upstream's `pkg/registry/storage/csinode`, `ValidateCSINode`/
`ValidateCSINodeUpdate` and `printCSINode`. The kubelet writes one per node, named after it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from uwernetes.apiserver.resources import core_common as common
from uwernetes.apiserver.resources.base import Column, Context, Obj, Printer, ResourceType, Strategy
from uwernetes.apiserver.resources.csidrivers import validate_csi_driver_name
from uwernetes.machinery import field, validation
from uwernetes.machinery.field import FieldError, Path

NODE_ID_MAX = 192


def validate_csi_node_driver(driver: Obj, names: set[str], path: Path) -> list[FieldError]:
    name = driver.get("name") or ""
    errs = validate_csi_driver_name(name, path.child("name"))
    node_id = driver.get("nodeID") or ""
    if not node_id:
        errs.append(field.required(path.child("nodeID"), ""))
    if len(node_id) > NODE_ID_MAX:
        errs.append(field.invalid(path.child("nodeID"), node_id, f"must be {NODE_ID_MAX} characters or less"))
    count = ((driver.get("allocatable") or {}).get("count"))
    if count is not None:
        errs += validation.validate_nonnegative(count, path.child("allocatable", "count"))
    if name in names:
        errs.append(field.duplicate(path.child("name"), name))
    names.add(name)
    keys: set[str] = set()
    # Upstream reports topology key problems at the driver's own path.
    for key in driver.get("topologyKeys") or ():
        if not key:
            errs.append(field.required(path, ""))
        if key in keys:
            errs.append(field.duplicate(path, key))
        keys.add(key)
        errs.extend(field.invalid(path, key, m) for m in validation.is_qualified_name(key))
    return errs


def validate_csi_node(node: Obj) -> list[FieldError]:
    errs: list[FieldError] = []
    names: set[str] = set()
    for i, driver in enumerate((node.get("spec") or {}).get("drivers") or ()):
        errs += validate_csi_node_driver(driver if isinstance(driver, dict) else {}, names, Path("spec", "drivers").index(i))
    return errs


def validate_csi_node_update(new: Obj, old: Obj) -> list[FieldError]:
    """Drivers may come and go, but an existing driver entry may not change."""
    errs = validate_csi_node(new)
    for old_driver in (old.get("spec") or {}).get("drivers") or ():
        for new_driver in (new.get("spec") or {}).get("drivers") or ():
            if old_driver.get("name") == new_driver.get("name") and old_driver != new_driver:
                errs.append(field.invalid("CSINodeDriver", common.GoLiteral("storage.CSINodeDriver{...}"), "field is immutable"))
    return errs


class CSINodeStrategy(Strategy):
    tracks_generation = False

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return validate_csi_node(obj)

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_csi_node_update(new, old)


def table_row(node: Obj, now: datetime | None = None) -> list[Any]:
    return [common.name_of(node), len((node.get("spec") or {}).get("drivers") or ()), common.age(node, now)]


PRINTER = Printer(
    columns=[
        common.name_column(),
        Column("Drivers", "integer", description="Drivers indicates the number of CSI drivers registered on the node"),
        common.age_column(),
    ],
    row=table_row,
)

CSINODES = ResourceType(
    group="storage.k8s.io",
    version="v1",
    kind="CSINode",
    plural="csinodes",
    namespaced=False,
    strategy=CSINodeStrategy(),
    printer=PRINTER,
)
