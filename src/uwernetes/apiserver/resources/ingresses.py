"""Ingresses (networking.k8s.io/v1): upstream's `pkg/registry/networking/ingress`,
`ValidateIngressCreate`/`ValidateIngressUpdate`/`ValidateIngressStatusUpdate` and `printIngress`.

Updates keep accepting what older servers stored (invalid TLS secret names, wildcard-host rules
that fail today's path checks), as upstream's validation options do.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from uwernetes.apiserver.resources import core_common as common
from uwernetes.apiserver.resources import endpointslices, ingressclasses, podspec
from uwernetes.apiserver.resources.base import (
    Column,
    Context,
    Obj,
    Printer,
    ResourceType,
    Strategy,
    Subresource,
)
from uwernetes.machinery import field, validation
from uwernetes.machinery.field import FieldError, Path

PATH_TYPES = ("Exact", "ImplementationSpecific", "Prefix")  # sorted, as sets.List() prints them
INVALID_PATH_SEQUENCES = ("//", "/./", "/../", "%2f", "%2F")
INVALID_PATH_SUFFIXES = ("/..", "/.")
CLASS_ANNOTATION = "kubernetes.io/ingress.class"
_WILDCARD_FMT = r"\*\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
_WILDCARD_RE = re.compile(f"^{_WILDCARD_FMT}$")
_WILDCARD_MSG = (
    "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of "
    "lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character"
)


def is_wildcard_dns1123_subdomain(value: str) -> list[str]:
    errs = []
    if len(value) > validation.DNS1123_SUBDOMAIN_MAX:
        errs.append(validation.max_len_error(validation.DNS1123_SUBDOMAIN_MAX))
    if not _WILDCARD_RE.match(value):
        errs.append(f"{_WILDCARD_MSG} (e.g. '*.example.com', regex used for validation is '{_WILDCARD_FMT}')")
    return errs


def _host_errors(host: str, path: Path) -> list[FieldError]:
    check = is_wildcard_dns1123_subdomain if "*" in host else validation.is_dns1123_subdomain
    return [field.invalid(path, host, m) for m in check(host)]


def validate_backend(backend: Obj, path: Path) -> list[FieldError]:
    resource, service = backend.get("resource"), backend.get("service")
    if resource is not None and service is not None:
        return [field.invalid(path, "", "cannot set both resource and service backends")]
    if resource is not None:
        return ingressclasses.validate_typed_local_object_reference(resource, path.child("resource"))
    if service is None:
        return [field.invalid(path, "", "resource or service backend is required")]
    errs: list[FieldError] = []
    name = service.get("name") or ""
    if not name:
        errs.append(field.required(path.child("service", "name"), ""))
    else:
        errs.extend(field.invalid(path.child("service", "name"), name, m) for m in validation.is_dns1035_label(name))
    port = service.get("port") or {}
    port_name, number = port.get("name") or "", port.get("number") or 0
    if port_name and number:
        errs.append(field.invalid(path, "", "cannot set both port name & port number"))
    elif port_name:
        errs.extend(field.invalid(path.child("service", "port", "name"), port_name, m)
                    for m in podspec.is_valid_port_name(port_name))
    elif number:
        errs.extend(field.invalid(path.child("service", "port", "number"), number, m)
                    for m in validation.is_valid_port_num(number))
    else:
        errs.append(field.required(path, "port name or number is required"))
    return errs


def validate_http_path(p: Obj, path: Path) -> list[FieldError]:
    path_type = p.get("pathType")
    if path_type is None:
        return [field.required(path.child("pathType"), "pathType must be specified")]
    value = p.get("path") or ""
    errs: list[FieldError] = []
    if path_type in ("Exact", "Prefix"):
        if not value.startswith("/"):
            errs.append(field.invalid(path.child("path"), value, "must be an absolute path"))
        if value:
            errs.extend(field.invalid(path.child("path"), value, f"must not contain '{seq}'")
                        for seq in INVALID_PATH_SEQUENCES if seq in value)
            errs.extend(field.invalid(path.child("path"), value, f"cannot end with '{suffix}'")
                        for suffix in INVALID_PATH_SUFFIXES if value.endswith(suffix))
    elif path_type == "ImplementationSpecific":
        if value and not value.startswith("/"):
            errs.append(field.invalid(path.child("path"), value, "must be an absolute path"))
    else:
        errs.append(field.not_supported(path.child("pathType"), path_type, PATH_TYPES))
    return errs + validate_backend(p.get("backend") or {}, path.child("backend"))


def validate_rule_value(rule: Obj, path: Path) -> list[FieldError]:
    http = rule.get("http")
    if http is None:
        return []
    paths = http.get("paths") or []
    errs = [field.required(path.child("http", "paths"), "")] if not paths else []
    for i, p in enumerate(paths):
        errs += validate_http_path(p or {}, path.child("http", "paths").index(i))
    return errs


def validate_ingress_spec(spec: Any, old_spec: Any = None) -> list[FieldError]:
    spec = spec if isinstance(spec, dict) else {}
    old_spec = old_spec if isinstance(old_spec, dict) else {}
    path = Path("spec")
    errs: list[FieldError] = []
    rules = spec.get("rules") or []
    if not rules and spec.get("defaultBackend") is None:
        errs.append(field.invalid(path, common.GoLiteral("[]networking.IngressRule(nil)") if spec.get("rules") is None
                                  else common.GoLiteral("[]networking.IngressRule{}"),
                                  "either `defaultBackend` or `rules` must be specified"))
    if spec.get("defaultBackend") is not None:
        errs += validate_backend(spec["defaultBackend"], path.child("defaultBackend"))
    allow_wildcard = any(
        "*" in (r.get("host") or "") and validate_rule_value(r, Path()) for r in old_spec.get("rules") or ()
    )
    for i, rule in enumerate(rules):
        rule = rule or {}
        host = rule.get("host") or ""
        if host:
            if endpointslices.parse_ip(host) is not None:
                errs.append(field.invalid(path.child("rules").index(i).child("host"), host,
                                          "must be a DNS name, not an IP address"))
            errs += _host_errors(host, path.child("rules").index(i).child("host"))
        if "*" not in host or not allow_wildcard:
            errs += validate_rule_value(rule, path.child("rules").index(i))
    allow_secret = any(
        t.get("secretName") and validation.is_dns1123_subdomain(t["secretName"]) for t in old_spec.get("tls") or ()
    )
    for i, tls in enumerate(spec.get("tls") or ()):
        tls = tls or {}
        for j, host in enumerate(tls.get("hosts") or ()):
            errs += _host_errors(host, path.child("tls").index(i).child("hosts").index(j))
        secret = tls.get("secretName") or ""
        if secret and not allow_secret:
            errs.extend(field.invalid(path.child("tls").index(i).child("secretName"), secret, m)
                        for m in validation.is_dns1123_subdomain(secret))
    class_name = spec.get("ingressClassName")
    if class_name is not None:
        errs.extend(field.invalid(path.child("ingressClassName"), class_name, m)
                    for m in validation.is_dns1123_subdomain(class_name))
    return errs


def validate_ingress_create(ing: Obj) -> list[FieldError]:
    errs = validate_ingress_spec(ing.get("spec"))
    annotation = ((ing.get("metadata") or {}).get("annotations") or {}).get(CLASS_ANNOTATION)
    class_name = (ing.get("spec") or {}).get("ingressClassName")
    if annotation is not None and class_name is not None and annotation != class_name:
        errs.append(field.invalid(Path("annotations").child(CLASS_ANNOTATION), annotation,
                                  "must match `ingressClassName` when both are specified"))
    return errs


def validate_load_balancer_status(status: Any) -> list[FieldError]:
    errs: list[FieldError] = []
    path = Path("status", "loadBalancer", "ingress")
    for i, ing in enumerate(((status or {}).get("loadBalancer") or {}).get("ingress") or ()):
        ip, hostname = ing.get("ip") or "", ing.get("hostname") or ""
        if ip and endpointslices.parse_ip(ip) is None:
            errs.append(field.invalid(path.index(i).child("ip"), ip,
                                      "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"))
        if hostname:
            errs.extend(field.invalid(path.index(i).child("hostname"), hostname, m)
                        for m in validation.is_dns1123_subdomain(hostname))
            if endpointslices.parse_ip(hostname) is not None:
                errs.append(field.invalid(path.index(i).child("hostname"), hostname,
                                          "must be a DNS name, not an IP address"))
    return errs


class IngressStrategy(Strategy):
    has_status = True

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return validate_ingress_create(obj)

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_ingress_spec(new.get("spec"), old.get("spec"))

    def prepare_for_status_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        common.keep_spec(new, old)

    def validate_status_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_load_balancer_status(new.get("status"))


def format_hosts(rules: Any, limit: int = 3) -> str:
    hosts: list[str] = []
    more = False
    for rule in rules or ():
        if len(hosts) == limit:
            more = True
        if not more and rule.get("host"):
            hosts.append(rule["host"])
    if not hosts:
        return "*"
    text = ",".join(hosts)
    return f"{text} + {len(rules) - limit} more..." if more else text


def load_balancer_addresses(status: Any) -> str:
    """ingressLoadBalancerStatusStringer, wide (server-side printing always is)."""
    found = set()
    for ing in ((status or {}).get("loadBalancer") or {}).get("ingress") or ():
        if ing.get("ip"):
            found.add(ing["ip"])
        elif ing.get("hostname"):
            found.add(ing["hostname"])
    return ",".join(sorted(found))


def table_row(ing: Obj, now: datetime | None = None) -> list[Any]:
    spec = ing.get("spec") or {}
    class_name = spec.get("ingressClassName")
    return [
        common.name_of(ing),
        "<none>" if class_name is None else class_name,
        format_hosts(spec.get("rules")),
        load_balancer_addresses(ing.get("status")),
        "80, 443" if spec.get("tls") else "80",
        common.age(ing, now),
    ]


PRINTER = Printer(
    columns=[
        common.name_column(),
        Column("Class", description="The name of the IngressClass resource that should be used for additional configuration"),
        Column("Hosts", description="Hosts that incoming requests are matched against before the ingress rule"),
        Column("Address", description="Address is a list containing ingress points for the load-balancer"),
        Column("Ports", description="Ports of TLS configurations that open"),
        common.age_column(),
    ],
    row=table_row,
)

INGRESSES = ResourceType(
    group="networking.k8s.io",
    version="v1",
    kind="Ingress",
    plural="ingresses",
    namespaced=True,
    short_names=("ing",),
    subresources=(Subresource("status", ("get", "patch", "update")),),
    strategy=IngressStrategy(),
    printer=PRINTER,
)
