"""IngressClasses (networking.k8s.io/v1): upstream's `pkg/registry/networking/ingressclass`,
`ValidateIngressClass` and `printIngressClass`. The controller name is immutable."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from uwernetes.apiserver.resources import core_common as common
from uwernetes.apiserver.resources.base import Column, Context, Obj, Printer, ResourceType, Strategy
from uwernetes.machinery import field, validation
from uwernetes.machinery.field import FieldError, Path

MAX_CONTROLLER = 250
SCOPES = ("Cluster", "Namespace")
_HTTP_PATH_FMT = r"[A-Za-z0-9/\-._~%!$&'()*+,;=:]+"
_HTTP_PATH_RE = re.compile(f"^{_HTTP_PATH_FMT}$")
_PATH_SEGMENT_BAD = (("/", "may not contain '/'"), ("%", "may not contain '%'"))


def is_valid_path_segment_name(name: str) -> list[str]:
    """apimachinery's IsValidPathSegmentName."""
    if name in (".", ".."):
        return [f"may not be '{name}'"]
    return [msg for bad, msg in _PATH_SEGMENT_BAD if bad in name]


def validate_domain_prefixed_path(value: str, path: Path) -> list[FieldError]:
    """apimachinery's IsDomainPrefixedPath."""
    if not value:
        return [field.required(path, "")]
    host, sep, rest = value.partition("/")
    if not sep or not host or not rest:
        return [field.invalid(path, value, 'must be a domain-prefixed path (such as "acme.io/foo")')]
    errs = [field.invalid(path, host, m) for m in validation.is_dns1123_subdomain(host)]
    if not _HTTP_PATH_RE.match(rest):
        errs.append(field.invalid(path, rest, f"Invalid path (regex used for validation is '{_HTTP_PATH_FMT}')"))
    return errs


def validate_typed_local_object_reference(ref: Obj, path: Path) -> list[FieldError]:
    errs: list[FieldError] = []
    group = ref.get("apiGroup")
    if group is not None:
        errs.extend(field.invalid(path.child("apiGroup"), group, m) for m in validation.is_dns1123_subdomain(group))
    for key in ("kind", "name"):
        value = ref.get(key) or ""
        if not value:
            errs.append(field.required(path.child(key), f"{key} is required"))
        else:
            errs.extend(field.invalid(path.child(key), value, m) for m in is_valid_path_segment_name(value))
    return errs


def validate_parameters(params: Any, path: Path) -> list[FieldError]:
    if params is None:
        return []
    errs = validate_typed_local_object_reference(params, path)
    scope = params.get("scope")
    if scope is None:
        return errs + [field.required(path.child("scope"), "")]
    if scope not in SCOPES:
        return errs + [field.not_supported(path.child("scope"), scope, SCOPES)]
    namespace = params.get("namespace")
    if scope == "Namespace":
        if namespace is None:
            errs.append(field.required(path.child("namespace"), "`parameters.scope` is set to 'Namespace'"))
        else:
            errs.extend(field.invalid(path.child("namespace"), namespace, m) for m in validation.is_dns1123_label(namespace))
    if scope == "Cluster" and namespace is not None:
        errs.append(field.forbidden(path.child("namespace"), "`parameters.scope` is set to 'Cluster'"))
    return errs


def validate_ingress_class(ic: Obj) -> list[FieldError]:
    spec = ic.get("spec") or {}
    path = Path("spec")
    controller = spec.get("controller") or ""
    errs: list[FieldError] = []
    if len(controller) > MAX_CONTROLLER:
        errs.append(field.too_long(path.child("controller"), "", MAX_CONTROLLER))
    errs += validate_domain_prefixed_path(controller, path.child("controller"))
    errs += validate_parameters(spec.get("parameters"), path.child("parameters"))
    return errs


def default_ingress_class(ic: Obj) -> None:
    params = (ic.get("spec") or {}).get("parameters")
    if isinstance(params, dict) and params.get("scope") is None:
        params["scope"] = "Cluster"


class IngressClassStrategy(Strategy):
    def default(self, obj: Obj) -> None:
        default_ingress_class(obj)

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return validate_ingress_class(obj)

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        ns, os_ = new.get("spec") or {}, old.get("spec") or {}
        errs = validation.validate_immutable(ns.get("controller") or "", os_.get("controller") or "", "spec.controller")
        return errs + validate_ingress_class(new)


def table_row(ic: Obj, now: datetime | None = None) -> list[Any]:
    spec = ic.get("spec") or {}
    params = spec.get("parameters")
    text = "<none>"
    if params is not None:
        text = params.get("kind") or ""
        if params.get("apiGroup") is not None:
            text += "." + params["apiGroup"]
        text += "/" + (params.get("name") or "")
    return [common.name_of(ic), spec.get("controller") or "", text, common.age(ic, now)]


PRINTER = Printer(
    columns=[
        common.name_column(),
        Column("Controller", description="Controller that is responsible for handling this class"),
        Column("Parameters", description="A reference to a resource with additional parameters"),
        common.age_column(),
    ],
    row=table_row,
)

INGRESSCLASSES = ResourceType(
    group="networking.k8s.io",
    version="v1",
    kind="IngressClass",
    plural="ingressclasses",
    namespaced=False,
    strategy=IngressClassStrategy(),
    printer=PRINTER,
)
