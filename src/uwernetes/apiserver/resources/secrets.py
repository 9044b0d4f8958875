"""Secrets (core/v1): upstream's `pkg/registry/core/secret/strategy.go`, `ValidateSecret`,
`ValidateSecretUpdate`, `SetDefaults_Secret`, and the v1 conversion that folds `stringData` into
`data` (so `stringData` is never stored or returned).

`data` values are base64 strings in JSON; sizes and type-specific checks use the decoded bytes.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from uwernetes.apiserver.resources import core_common as common
from uwernetes.apiserver.resources.base import Column, Context, Obj, Printer, ResourceType, Strategy
from uwernetes.apiserver.resources.configmaps import IMMUTABLE_DETAIL, MAX_SIZE, decode_base64
from uwernetes.machinery import field, validation
from uwernetes.machinery.field import FieldError, Path

OPAQUE = "Opaque"
SERVICE_ACCOUNT_TOKEN = "kubernetes.io/service-account-token"
SERVICE_ACCOUNT_NAME_KEY = "kubernetes.io/service-account.name"
DOCKERCFG, DOCKERCFG_KEY = "kubernetes.io/dockercfg", ".dockercfg"
DOCKERCONFIGJSON, DOCKERCONFIGJSON_KEY = "kubernetes.io/dockerconfigjson", ".dockerconfigjson"
BASIC_AUTH = "kubernetes.io/basic-auth"
SSH_AUTH, SSH_KEY = "kubernetes.io/ssh-auth", "ssh-privatekey"
TLS, TLS_CERT, TLS_KEY = "kubernetes.io/tls", "tls.crt", "tls.key"
REDACTED = "<secret contents redacted>"


def _decoded(data: dict[str, Any], key: str) -> bytes:
    try:
        return base64.b64decode(data.get(key) or "", validate=True)
    except ValueError:
        return b""


def _json_error(raw: bytes) -> str | None:
    """Go's json.Unmarshal into map[string]interface{} error text, for the common cases."""
    text = raw.decode(errors="replace")
    if not text.strip():
        return "unexpected end of JSON input"
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        if e.pos >= len(text.rstrip()):
            return "unexpected end of JSON input"
        return f"invalid character {text[e.pos]!r} looking for beginning of value"
    if not isinstance(value, dict):
        kind = {list: "array", str: "string", bool: "bool"}.get(type(value), "number")
        return f"json: cannot unmarshal {kind} into Go value of type map[string]interface {{}}"
    return None


def validate_secret(secret: Obj) -> list[FieldError]:
    errs: list[FieldError] = []
    data = secret.get("data") or {}
    data_path = Path("data")
    total = 0
    for key in data:
        errs.extend(field.invalid(data_path.key(key), key, m) for m in validation.is_config_map_key(key))
        total += len(_decoded(data, key))
    if total > MAX_SIZE:
        errs.append(field.too_long(data_path, "", MAX_SIZE))

    stype = secret.get("type") or ""
    if stype == SERVICE_ACCOUNT_TOKEN:
        annotations = (secret.get("metadata") or {}).get("annotations") or {}
        if not annotations.get(SERVICE_ACCOUNT_NAME_KEY):
            errs.append(field.required(Path("metadata", "annotations").key(SERVICE_ACCOUNT_NAME_KEY), ""))
    elif stype in (DOCKERCFG, DOCKERCONFIGJSON):
        key = DOCKERCFG_KEY if stype == DOCKERCFG else DOCKERCONFIGJSON_KEY
        if key not in data:
            errs.append(field.required(data_path.key(key), ""))
        else:
            problem = _json_error(_decoded(data, key))
            if problem:
                errs.append(field.invalid(data_path.key(key), REDACTED, problem))
    elif stype == BASIC_AUTH:
        # Either may be empty, but one of the two keys must be present.
        if "username" not in data and "password" not in data:
            errs.append(field.required(data_path.key("username"), ""))
            errs.append(field.required(data_path.key("password"), ""))
    elif stype == SSH_AUTH:
        if not _decoded(data, SSH_KEY):
            errs.append(field.required(data_path.key(SSH_KEY), ""))
    elif stype == TLS:
        if TLS_CERT not in data:
            errs.append(field.required(data_path.key(TLS_CERT), ""))
        if TLS_KEY not in data:
            errs.append(field.required(data_path.key(TLS_KEY), ""))
    return errs


def validate_secret_update(new: Obj, old: Obj) -> list[FieldError]:
    errs = validation.validate_immutable(new.get("type"), old.get("type"), "type")
    if old.get("immutable"):
        if not new.get("immutable"):
            errs.append(field.forbidden("immutable", IMMUTABLE_DETAIL))
        if (new.get("data") or {}) != (old.get("data") or {}):
            errs.append(field.forbidden("data", IMMUTABLE_DETAIL))
    return errs + validate_secret(new)


def merge_string_data(secret: Obj) -> None:
    """v1 -> internal conversion: stringData entries overwrite data, then stringData is gone."""
    string_data = secret.pop("stringData", None)
    if string_data:
        data = secret.get("data")
        if not isinstance(data, dict):
            data = secret["data"] = {}
        for k, v in string_data.items():
            data[k] = base64.b64encode(str(v).encode()).decode()


class SecretStrategy(Strategy):
    tracks_generation = False

    def default(self, obj: Obj) -> None:
        for value in (obj.get("data") or {}).values():
            decode_base64(value, "Secret")
        merge_string_data(obj)
        if not obj.get("type"):
            obj["type"] = OPAQUE

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return validate_secret(obj)

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_secret_update(new, old)


def table_row(secret: Obj, now: datetime | None = None) -> list[Any]:
    return [common.name_of(secret), secret.get("type") or "", len(secret.get("data") or {}), common.age(secret, now)]


PRINTER = Printer(
    columns=[
        common.name_column(),
        Column("Type", description="Used to facilitate programmatic handling of secret data. More info: "
               "https://kubernetes.io/docs/concepts/configuration/secret/#secret-types"),
        Column("Data", "integer", description="Data contains the secret data. Each key must consist of alphanumeric "
               "characters, '-', '_' or '.'. The serialized form of the secret data is a base64 encoded string, "
               "representing the arbitrary (possibly non-string) data value here. Described in "
               "https://tools.ietf.org/html/rfc4648#section-4"),
        common.age_column(),
    ],
    row=table_row,
)

SECRETS = ResourceType(
    group="",
    version="v1",
    kind="Secret",
    plural="secrets",
    namespaced=True,
    strategy=SecretStrategy(),
    printer=PRINTER,
    field_selectors={"type": lambda s: s.get("type") or ""},
)
