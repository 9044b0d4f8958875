"""Served resource types for a CRD's versions: the strategy (prune, default, validate against the
version's structural schema), status and scale subresources, and the printer columns.

All versions of one CRD share one storage location; with conversion `None` a stored object is
served in another version by rewriting `apiVersion` only, as upstream's nop converter does.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from uwernetes.apiextensions import jsonpath, schema
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
from uwernetes.apiserver.resources.customresourcedefinitions import has_status, version_schema, versions_of
from uwernetes.machinery import duration, errors
from uwernetes.machinery.field import FieldError

_AGE_DESCRIPTION = (
    "CreationTimestamp is a timestamp representing the server time when this object was created. It is not "
    "guaranteed to be set in happens-before order across separate operations. Clients may not set this value. "
    "It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. "
    "More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
)
DEFAULT_COLUMNS = [{"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp", "description": _AGE_DESCRIPTION}]


@dataclass
class CustomResourceType(ResourceType):
    """A ResourceType that carries its CRD's schema (OpenAPI, apply and validation read it)."""

    schema: dict[str, Any] | None = None
    crd_name: str = ""
    crd_uid: str = ""
    scale_paths: dict[str, str] | None = None
    storage_version: str = ""  # the CRD's storage version, which every served version is kept as
    # Set while the CRD is being deleted: creates are refused.
    state: dict[str, bool] = field(default_factory=lambda: {"terminating": False})

    @functools.cached_property
    def apply_schema(self) -> dict[str, Any] | None:
        """The schema server-side apply types objects with: the CRD's, plus the type and object
        metadata every resource has (at the root and in embedded resources), as upstream adds."""
        return with_object_meta(self.schema) if self.schema is not None else None

    # Scale adapter (see uwernetes.apiserver.subresources).
    def to_scale(self, obj: Obj) -> Obj:
        paths = self.scale_paths or {}
        m = obj.get("metadata") or {}
        scale_meta = {k: m[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp") if m.get(k)}
        status: Obj = {"replicas": _int(jsonpath.get(obj, paths.get("statusReplicasPath", ".status.replicas")))}
        selector_path = paths.get("labelSelectorPath")
        if selector_path:
            selector = jsonpath.get(obj, selector_path)
            if isinstance(selector, str) and selector:
                status["selector"] = selector
        replicas = _int(jsonpath.get(obj, paths.get("specReplicasPath", ".spec.replicas")))
        return {
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": scale_meta,
            "spec": {"replicas": replicas} if replicas else {},
            "status": status,
        }

    def apply_scale(self, obj: Obj, scale: Obj) -> Obj:
        replicas = (scale.get("spec") or {}).get("replicas") or 0
        out = copy.deepcopy(obj)
        jsonpath.set_value(out, (self.scale_paths or {}).get("specReplicasPath", ".spec.replicas"), replicas)
        return out


_OBJECT_META_REF = {"$ref": "#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}


def with_object_meta(node: dict[str, Any], root: bool = True) -> dict[str, Any]:
    out = dict(node)
    if root or node.get("x-kubernetes-embedded-resource"):
        props = dict(out.get("properties") or {})
        props.setdefault("apiVersion", {"type": "string"})
        props.setdefault("kind", {"type": "string"})
        props["metadata"] = _OBJECT_META_REF
        out["properties"] = props
    if isinstance(out.get("properties"), dict):
        out["properties"] = {
            k: (v if k == "metadata" and (root or node.get("x-kubernetes-embedded-resource")) else with_object_meta(v, False))
            for k, v in out["properties"].items()
            if isinstance(v, dict)
        }
    if isinstance(out.get("items"), dict):
        out["items"] = with_object_meta(out["items"], False)
    if isinstance(out.get("additionalProperties"), dict):
        out["additionalProperties"] = with_object_meta(out["additionalProperties"], False)
    return out


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


class CustomResourceStrategy(Strategy):
    """upstream's customResourceStrategy: schema-driven, no kind-specific rules."""

    def __init__(self, rt_schema: dict[str, Any] | None, status: bool, state: dict[str, bool]) -> None:
        self.schema = rt_schema
        self.has_status = status
        self.state = state

    def unknown_fields(self, obj: Obj) -> list[str]:
        """Paths pruning would drop from a decoded request body (for fieldValidation)."""
        probe = copy.deepcopy(obj)
        schema.drop_nulls(probe, self.schema)
        return schema.prune(probe, self.schema)

    def default(self, obj: Obj) -> None:
        schema.drop_nulls(obj, self.schema)
        schema.prune(obj, self.schema)
        schema.apply_defaults(obj, self.schema)

    def prepare_for_create(self, obj: Obj, ctx: Context) -> None:
        if self.state.get("terminating"):
            raise errors.StatusError(405, "MethodNotAllowed", "create not allowed while custom resource definition is terminating")
        super().prepare_for_create(obj, ctx)

    def _validate(self, obj: Obj) -> list[FieldError]:
        m = obj.get("metadata") or {}
        view = dict(obj)
        view["metadata"] = {k: m[k] for k in ("name", "generateName") if k in m}
        return schema.validate(view, self.schema)

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return self._validate(obj)

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        # CRDValidationRatcheting (beta, on in v1.30): a value that was already there and did not
        # change is not held against the update.
        return [e for e in self._validate(new) if not _unchanged(new, old, e.field)]

    def validate_status_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return self.validate_update(new, old, ctx)


def _unchanged(new: Obj, old: Obj, path: str) -> bool:
    if not path:
        return False
    try:
        found_new = jsonpath.find(new, "." + path)
        found_old = jsonpath.find(old, "." + path)
    except ValueError:
        return False
    return bool(found_new) and found_new == found_old


# --- printing ---


def _cell(value_list: list[Any], col: dict[str, Any], now: datetime | None) -> Any:
    if not value_list:
        return None
    value = value_list[0] if len(value_list) == 1 else None
    kind = col.get("type")
    if len(value_list) > 1:
        return ",".join(_text(v) for v in value_list)
    if kind == "date":
        return duration.age(value if isinstance(value, str) else None, now) if isinstance(value, str) else None
    if kind == "integer":
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    if kind == "number":
        return value if isinstance(value, int | float) and not isinstance(value, bool) else None
    if kind == "boolean":
        return value if isinstance(value, bool) else None
    return _text(value)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return orjson.dumps(value).decode()


def printer_for(columns: list[dict[str, Any]]) -> Printer:
    columns = columns or DEFAULT_COLUMNS
    defs = [common.name_column()]
    for col in columns:
        defs.append(Column(col.get("name", ""), col.get("type", "string"), col.get("format", ""),
                           col.get("description", ""), int(col.get("priority") or 0)))

    def row(obj: Obj, now: datetime | None = None) -> list[Any]:
        cells: list[Any] = [common.name_of(obj)]
        for col in columns:
            cells.append(_cell(jsonpath.find(obj, col.get("jsonPath", "")), col, now))
        return cells

    return Printer(columns=defs, row=row)


# --- building the types ---


def resource_types(crd: Obj, state: dict[str, bool] | None = None) -> list[CustomResourceType]:
    """One CustomResourceType per served version of an accepted CRD."""
    spec = crd.get("spec") or {}
    status = crd.get("status") or {}
    names = status.get("acceptedNames") or spec.get("names") or {}
    group = spec.get("group", "")
    plural = names.get("plural") or (spec.get("names") or {}).get("plural", "")
    storage = next((v.get("name") for v in versions_of(crd) if v.get("storage")), None)
    multi = len(versions_of(crd)) > 1 or len(status.get("storedVersions") or []) > 1
    state = state if state is not None else {"terminating": False}
    schemas_by_version = {v.get("name", ""): version_schema(v) for v in versions_of(crd)}
    out: list[CustomResourceType] = []
    for version in versions_of(crd):
        if not version.get("served"):
            continue
        name = version.get("name", "")
        own_schema = version_schema(version)
        subs: list[Subresource] = []
        if has_status(version):
            subs.append(Subresource("status", ("get", "patch", "update")))
        scale = (version.get("subresources") or {}).get("scale")
        if isinstance(scale, dict):
            subs.append(Subresource("scale", ("get", "patch", "update"), group="autoscaling", version="v1", kind="Scale"))
        api_version = f"{group}/{name}"
        storage_api_version = f"{group}/{storage}"
        rt = CustomResourceType(
            group=group,
            version=name,
            kind=names.get("kind", ""),
            plural=plural,
            singular=names.get("singular") or names.get("kind", "").lower(),
            namespaced=spec.get("scope") == "Namespaced",
            short_names=tuple(names.get("shortNames") or ()),
            categories=tuple(names.get("categories") or ()),
            subresources=tuple(sorted(subs, key=lambda s: s.name)),
            strategy=CustomResourceStrategy(own_schema, has_status(version), state),
            printer=printer_for(version.get("additionalPrinterColumns") or []),
            builtin=False,
            storage_resource=(group, plural) if multi else None,
            to_storage=_set_api_version(storage_api_version) if multi else None,
            from_storage=_reader(schemas_by_version, api_version),
            schema=own_schema,
            crd_name=(crd.get("metadata") or {}).get("name", ""),
            crd_uid=(crd.get("metadata") or {}).get("uid", ""),
            scale_paths=scale if isinstance(scale, dict) else None,
            state=state,
            deprecation_warning=_deprecation_warning(group, name, names.get("kind", ""), version),
            storage_version=storage or name,
        )
        out.append(rt)
    return out


def _reader(schemas_by_version: dict[str, dict | None], api_version: str):
    """A stored object as a read returns it (upstream's storage codec for custom resources):
    pruned and defaulted by the schema of the version it is stored as, so a schema change shows at
    once; read through another version, given that version and pruned by its schema. Works on a
    copy: watch events share one object between their watchers."""
    target = schemas_by_version.get(api_version.rpartition("/")[2])

    def read(obj: Obj) -> Obj:
        out = orjson.loads(orjson.dumps(obj))
        stored = schemas_by_version.get(str(out.get("apiVersion") or "").rpartition("/")[2])
        if stored is not None:
            schema.prune(out, stored)
            schema.apply_defaults(out, stored)
        if out.get("apiVersion") != api_version:
            out["apiVersion"] = api_version
            if target is not None:
                schema.prune(out, target)
        return out

    return read


def _set_api_version(api_version: str):
    def convert(obj: Obj) -> Obj:
        if obj.get("apiVersion") == api_version:
            return obj
        out = dict(obj)
        out["apiVersion"] = api_version
        return out

    return convert


def _deprecation_warning(group: str, version: str, kind: str, spec_version: dict[str, Any]) -> str | None:
    """What clients of a deprecated version are told: its own text, or upstream's default."""
    if not spec_version.get("deprecated"):
        return None
    text = spec_version.get("deprecationWarning")
    return text if text is not None else f"{group}/{version} {kind} is deprecated"
