"""ConfigMaps (core/v1): upstream's `pkg/registry/core/configmap/strategy.go` and
`ValidateConfigMap`/`ValidateConfigMapUpdate`.

`binaryData` values travel as base64 strings in JSON; an undecodable one fails decoding (400) as
upstream's JSON decoder does. Sizes count decoded bytes, data and binaryData together.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

from uwernetes.apiserver.resources import core_common as common
from uwernetes.apiserver.resources.base import Column, Context, Obj, Printer, ResourceType, Strategy
from uwernetes.machinery import errors, field, validation
from uwernetes.machinery.field import FieldError, Path

MAX_SIZE = 1024 * 1024  # core.MaxSecretSize, shared by ConfigMaps
IMMUTABLE_DETAIL = "field is immutable when `immutable` is set"


def decode_base64(value: Any, kind: str) -> bytes:
    """Decode a []byte JSON value, or raise upstream's 400 decode error."""
    if not isinstance(value, str):
        raise errors.bad_request(
            f'{kind} in version "v1" cannot be handled as a {kind}: json: cannot unmarshal into []byte'
        )
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        pos = next((i for i, ch in enumerate(value) if not (ch.isalnum() or ch in "+/=")), len(value) - len(value) % 4)
        raise errors.bad_request(
            f'{kind} in version "v1" cannot be handled as a {kind}: illegal base64 data at input byte {pos}'
        ) from None


def _same_map(a: Any, b: Any) -> bool:
    return (a or {}) == (b or {})


def validate_config_map(cm: Obj) -> list[FieldError]:
    errs: list[FieldError] = []
    data = cm.get("data") or {}
    binary = cm.get("binaryData") or {}
    total = 0
    for key, value in data.items():
        path = Path("data").key(key)
        errs.extend(field.invalid(path, key, m) for m in validation.is_config_map_key(key))
        if key in binary:
            errs.append(field.invalid(path, key, "duplicate of key present in binaryData"))
        total += len(value.encode()) if isinstance(value, str) else 0
    for key, value in binary.items():
        errs.extend(field.invalid(Path("binaryData").key(key), key, m) for m in validation.is_config_map_key(key))
        try:
            total += len(base64.b64decode(value or "", validate=True))
        except (binascii.Error, ValueError, TypeError):
            total += len(value or "")
    if total > MAX_SIZE:
        # An empty path: the error is about the whole object.
        errs.append(field.too_long("", "", MAX_SIZE))
    return errs


def validate_config_map_update(new: Obj, old: Obj) -> list[FieldError]:
    errs: list[FieldError] = []
    if old.get("immutable"):
        if not new.get("immutable"):
            errs.append(field.forbidden("immutable", IMMUTABLE_DETAIL))
        if not _same_map(new.get("data"), old.get("data")):
            errs.append(field.forbidden("data", IMMUTABLE_DETAIL))
        if not _same_map(new.get("binaryData"), old.get("binaryData")):
            errs.append(field.forbidden("binaryData", IMMUTABLE_DETAIL))
    return errs + validate_config_map(new)


class ConfigMapStrategy(Strategy):
    tracks_generation = False

    def default(self, obj: Obj) -> None:
        for value in (obj.get("binaryData") or {}).values():
            decode_base64(value, "ConfigMap")

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return validate_config_map(obj)

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_config_map_update(new, old)


def table_row(cm: Obj, now: datetime | None = None) -> list[Any]:
    count = len(cm.get("data") or {}) + len(cm.get("binaryData") or {})
    return [common.name_of(cm), count, common.age(cm, now)]


PRINTER = Printer(
    columns=[
        common.name_column(),
        Column(
            "Data",
            "integer",
            description="Data contains the configuration data. Each key must consist of alphanumeric characters, "
            "'-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored "
            "in Data must not overlap with the keys in the BinaryData field, this is enforced during validation "
            "process.",
        ),
        common.age_column(),
    ],
    row=table_row,
)

CONFIGMAPS = ResourceType(
    group="",
    version="v1",
    kind="ConfigMap",
    plural="configmaps",
    namespaced=True,
    short_names=("cm",),
    strategy=ConfigMapStrategy(),
    printer=PRINTER,
)
