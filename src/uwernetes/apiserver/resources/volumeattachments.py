"""VolumeAttachments (storage.k8s.io/v1): upstream's `pkg/registry/storage/volumeattachment`,
`ValidateVolumeAttachment` (+ the v1-only checks) and `printVolumeAttachment`.

The attach/detach controller writes the spec once; the external attacher reports through the
status subresource. The spec never changes after creation.
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
    Subresource,
    field_doc,
)
from uwernetes.apiserver.resources.csidrivers import validate_csi_driver_name
from uwernetes.machinery import field, validation
from uwernetes.machinery.field import FieldError, Path

MAX_METADATA_SIZE = 256 * 1024
MAX_ERROR_MESSAGE = 1024
EXACTLY_ONE_SOURCE = "must specify exactly one of inlineVolumeSpec and persistentVolumeName"


def _doc(definition: str, prop: str) -> LazyText:
    return field_doc(f"io.k8s.api.storage.v1.{definition}", prop)


def validate_source(source: Any, path: Path) -> list[FieldError]:
    source = source if isinstance(source, dict) else {}
    inline, pv = source.get("inlineVolumeSpec"), source.get("persistentVolumeName")
    if inline is None and pv is None:
        return [field.required(path, EXACTLY_ONE_SOURCE)]
    if inline is not None and pv is not None:
        return [field.forbidden(path, EXACTLY_ONE_SOURCE)]
    if pv is not None and not pv:
        return [field.required(path.child("persistentVolumeName"), "must specify non empty persistentVolumeName")]
    return []


def validate_status(status: Any, path: Path) -> list[FieldError]:
    status = status if isinstance(status, dict) else {}
    errs: list[FieldError] = []
    metadata = status.get("attachmentMetadata") or {}
    if sum(len(k) + len(v or "") for k, v in metadata.items()) > MAX_METADATA_SIZE:
        errs.append(field.too_long(path.child("attachmentMetadata"), "", MAX_METADATA_SIZE))
    for key in ("attachError", "detachError"):
        message = (status.get(key) or {}).get("message") or ""
        if len(message) > MAX_ERROR_MESSAGE:
            # Upstream reports the metadata limit here, not the message limit it checks.
            errs.append(field.too_long(path.child(key, "message"), "", MAX_METADATA_SIZE))
    return errs


def validate_volume_attachment(va: Obj) -> list[FieldError]:
    spec = va.get("spec") or {}
    path = Path("spec")
    attacher = spec.get("attacher") or ""
    errs: list[FieldError] = []
    if not attacher:
        errs.append(field.required(path.child("attacher"), ""))
    errs += validate_source(spec.get("source"), path.child("source"))
    node = spec.get("nodeName") or ""
    errs.extend(field.invalid(path.child("nodeName"), node, m) for m in validation.is_dns1123_subdomain(node))
    errs += validate_status(va.get("status"), Path("status"))
    # ValidateVolumeAttachmentV1: the attacher is a CSI driver name, the PV name a PV name.
    errs += validate_csi_driver_name(attacher, "spec.attacher")
    pv = (spec.get("source") or {}).get("persistentVolumeName")
    if pv is not None:
        errs.extend(
            field.invalid("spec.source.persistentVolumeName", pv, m) for m in validation.is_dns1123_subdomain(pv)
        )
    return errs


def validate_volume_attachment_update(new: Obj, old: Obj) -> list[FieldError]:
    errs = validate_volume_attachment(new)
    if (new.get("spec") or {}) != (old.get("spec") or {}):
        errs.append(field.invalid("spec", common.GoLiteral("storage.VolumeAttachmentSpec{...}"), "field is immutable"))
    return errs


class VolumeAttachmentStrategy(Strategy):
    tracks_generation = False
    has_status = True

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return validate_volume_attachment(obj)

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_volume_attachment_update(new, old)

    def prepare_for_status_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        common.keep_spec(new, old)

    def validate_status_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_volume_attachment_update(new, old)


def table_row(va: Obj, now: datetime | None = None) -> list[Any]:
    spec = va.get("spec") or {}
    return [
        common.name_of(va),
        spec.get("attacher") or "",
        (spec.get("source") or {}).get("persistentVolumeName") or "",
        spec.get("nodeName") or "",
        bool((va.get("status") or {}).get("attached")),
        common.age(va, now),
    ]


PRINTER = Printer(
    columns=[
        common.name_column(),
        Column("Attacher", "string", "name", _doc("VolumeAttachmentSpec", "attacher")),
        Column("PV", description=_doc("VolumeAttachmentSource", "persistentVolumeName")),
        Column("Node", description=_doc("VolumeAttachmentSpec", "nodeName")),
        Column("Attached", "boolean", description=_doc("VolumeAttachmentStatus", "attached")),
        common.age_column(),
    ],
    row=table_row,
)

VOLUMEATTACHMENTS = ResourceType(
    group="storage.k8s.io",
    version="v1",
    kind="VolumeAttachment",
    plural="volumeattachments",
    namespaced=False,
    subresources=(Subresource("status", ("get", "patch", "update")),),
    strategy=VolumeAttachmentStrategy(),
    printer=PRINTER,
)
