"""CSIStorageCapacities (storage.k8s.io/v1): upstream's `pkg/registry/storage/csistoragecapacity`,
`ValidateCSIStorageCapacity`/`ValidateCSIStorageCapacityUpdate` and `printCSIStorageCapacity`.

A CSI driver publishes how much storage of one class is reachable from the nodes a label selector
picks; the scheduler reads them. The inputs of the driver's GetCapacity call (class, topology)
are frozen after creation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from uwernetes.apiserver.resources import core_common as common
from uwernetes.apiserver.resources import podspec
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
from uwernetes.machinery import field, quantity, validation
from uwernetes.machinery.field import FieldError, Path

QUANTITY_FIELDS = ("capacity", "maximumVolumeSize")


def default_csi_storage_capacity(capacity: Obj) -> None:
    """Quantities are stored in canonical form; one that does not parse fails decoding (400)."""
    for key in QUANTITY_FIELDS:
        if capacity.get(key) is not None:
            try:
                capacity[key] = quantity.canonicalize(capacity[key])
            except quantity.QuantityError as e:
                raise podspec.decode_error("CSIStorageCapacity", "storage.k8s.io/v1", e) from None


def has_invalid_label_value(selector: Any) -> bool:
    """hasInvalidLabelValueInLabelSelector: old objects keep what they were stored with."""
    if not isinstance(selector, dict):
        return False
    for req in selector.get("matchExpressions") or ():
        if isinstance(req, dict) and any(validation.is_valid_label_value(v) for v in req.get("values") or ()):
            return True
    return False


def validate_node_topology(selector: Any, path: Path, allow_invalid_values: bool) -> list[FieldError]:
    """metav1validation.ValidateLabelSelector, values checked unless the old object had bad ones."""
    if not isinstance(selector, dict):
        return []
    errs = validation.validate_labels(selector.get("matchLabels"), path.child("matchLabels"))
    for i, req in enumerate(selector.get("matchExpressions") or ()):
        p = path.child("matchExpressions").index(i)
        req = req if isinstance(req, dict) else {}
        errs += _requirement(req, p)
        if not allow_invalid_values:
            for j, value in enumerate(req.get("values") or ()):
                errs.extend(field.invalid(p.child("values").index(j), value, m) for m in validation.is_valid_label_value(value))
    return errs


def _requirement(req: Obj, path: Path) -> list[FieldError]:
    # The shared validator, re-rooted at this requirement's path.
    out = []
    for err in validation.validate_label_selector({"matchExpressions": [req]}, Path("x")):
        out.append(FieldError(err.type, str(path) + err.field[len("x.matchExpressions[0]"):], err.bad_value, err.detail))
    return out


def validate_csi_storage_capacity(capacity: Obj, allow_invalid_label_values: bool = False) -> list[FieldError]:
    errs = validate_node_topology(capacity.get("nodeTopology"), Path("nodeTopology"), allow_invalid_label_values)
    class_name = capacity.get("storageClassName") or ""
    errs.extend(field.invalid("storageClassName", class_name, m) for m in validation.is_dns1123_subdomain(class_name))
    raw = capacity.get("capacity")
    if raw is not None:
        q = quantity.parse(raw)
        if q.value < 0:
            errs.append(field.invalid("capacity", str(q), "must be greater than or equal to 0"))
    return errs


def _semantic_selector(selector: Any) -> Any:
    """Semantic.DeepEqual view of a *LabelSelector: nil differs from empty, absent lists do not."""
    if not isinstance(selector, dict):
        return None
    exprs = tuple((r.get("key") or "", r.get("operator") or "", tuple(r.get("values") or ()))
                  for r in selector.get("matchExpressions") or () if isinstance(r, dict))
    return tuple(sorted((selector.get("matchLabels") or {}).items())), exprs


def go_label_selector(selector: Any) -> common.GoLiteral | None:
    """`%#v` of the dereferenced v1.LabelSelector in an immutability error."""
    if not isinstance(selector, dict):
        return None
    labels = selector.get("matchLabels") or {}
    if labels:
        shown = "map[string]string{" + ", ".join(f"{field.go_quote(k)}:{field.go_quote(labels[k])}" for k in sorted(labels)) + "}"
    else:
        shown = "map[string]string(nil)"
    exprs = [r for r in selector.get("matchExpressions") or () if isinstance(r, dict)]
    if exprs:
        items = []
        for r in exprs:
            values = r.get("values") or []
            vals = "[]string{" + ", ".join(field.go_quote(v) for v in values) + "}" if values else "[]string(nil)"
            items.append(f"v1.LabelSelectorRequirement{{Key:{field.go_quote(r.get('key') or '')}, "
                         f"Operator:{field.go_quote(r.get('operator') or '')}, Values:{vals}}}")
        shown_exprs = "[]v1.LabelSelectorRequirement{" + ", ".join(items) + "}"
    else:
        shown_exprs = "[]v1.LabelSelectorRequirement(nil)"
    return common.GoLiteral(f"v1.LabelSelector{{MatchLabels:{shown}, MatchExpressions:{shown_exprs}}}")


def validate_csi_storage_capacity_update(new: Obj, old: Obj) -> list[FieldError]:
    errs = validate_csi_storage_capacity(new, has_invalid_label_value(old.get("nodeTopology")))
    if _semantic_selector(new.get("nodeTopology")) != _semantic_selector(old.get("nodeTopology")):
        errs.append(field.invalid("nodeTopology", go_label_selector(new.get("nodeTopology")), "field is immutable"))
    if (new.get("storageClassName") or "") != (old.get("storageClassName") or ""):
        errs.append(field.invalid("storageClassName", new.get("storageClassName") or "", "field is immutable"))
    return errs


class CSIStorageCapacityStrategy(Strategy):
    tracks_generation = False

    def default(self, obj: Obj) -> None:
        default_csi_storage_capacity(obj)

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return validate_csi_storage_capacity(obj)

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_csi_storage_capacity_update(new, old)


def _doc(prop: str) -> LazyText:
    return field_doc("io.k8s.api.storage.v1.CSIStorageCapacity", prop)


def table_row(capacity: Obj, now: datetime | None = None) -> list[Any]:
    """printCSIStorageCapacity: upstream prints no AGE column for this kind."""
    raw = capacity.get("capacity")
    return [common.name_of(capacity), capacity.get("storageClassName") or "",
            quantity.canonicalize(raw) if raw is not None else "<unset>"]


PRINTER = Printer(
    columns=[
        common.name_column(),
        Column("StorageClassName", description=_doc("storageClassName")),
        Column("Capacity", description=_doc("capacity")),
    ],
    row=table_row,
)

CSISTORAGECAPACITIES = ResourceType(
    group="storage.k8s.io",
    version="v1",
    kind="CSIStorageCapacity",
    plural="csistoragecapacities",
    namespaced=True,
    strategy=CSIStorageCapacityStrategy(),
    printer=PRINTER,
)
