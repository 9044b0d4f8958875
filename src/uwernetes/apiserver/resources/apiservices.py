"""APIServices (apiregistration.k8s.io/v1): kube-aggregator's `pkg/registry/apiservice` strategy,
`pkg/apis/apiregistration/validation`, its table convertor, and the local APIServices the
kube-apiserver registers for every group/version it serves itself (`apiServicesToRegister`).

An APIService names the server behind one group/version: a Service for an aggregated API, or
nothing for a "Local" one served in-process. Its name must be `<version>.<group>`; the priorities
order groups and versions in discovery.
"""

from __future__ import annotations

import base64
import binascii
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
from uwernetes.machinery import errors, field, meta, validation
from uwernetes.machinery.field import FieldError, Path

AUTOMANAGED_LABEL = "kube-aggregator.kubernetes.io/automanaged"
LOCAL_REASON = "Local"
LOCAL_MESSAGE = "Local APIServices are always available"
CONDITION_STATUSES = ["True", "False", "Unknown"]
# CRD group/versions sit below every built-in group (crdRegistrationController).
CRD_PRIORITY = (1000, 100)

# group/version -> (groupPriorityMinimum, versionPriority), the v1.30 kube-apiserver table
# (DefaultGenericAPIServicePriorities merged with the kube-apiserver's own groups).
PRIORITIES: dict[tuple[str, str], tuple[int, int]] = {
    ("", "v1"): (18000, 1),
    ("apps", "v1"): (17800, 15),
    ("events.k8s.io", "v1"): (17750, 15),
    ("events.k8s.io", "v1beta1"): (17750, 5),
    ("authentication.k8s.io", "v1"): (17700, 15),
    ("authentication.k8s.io", "v1beta1"): (17700, 9),
    ("authentication.k8s.io", "v1alpha1"): (17700, 1),
    ("authorization.k8s.io", "v1"): (17600, 15),
    ("autoscaling", "v1"): (17500, 15),
    ("autoscaling", "v2"): (17500, 30),
    ("autoscaling", "v2beta1"): (17500, 9),
    ("autoscaling", "v2beta2"): (17500, 1),
    ("batch", "v1"): (17400, 15),
    ("batch", "v1beta1"): (17400, 9),
    ("batch", "v2alpha1"): (17400, 9),
    ("certificates.k8s.io", "v1"): (17300, 15),
    ("certificates.k8s.io", "v1alpha1"): (17300, 1),
    ("networking.k8s.io", "v1"): (17200, 15),
    ("networking.k8s.io", "v1alpha1"): (17200, 1),
    ("policy", "v1"): (17100, 15),
    ("policy", "v1beta1"): (17100, 9),
    ("rbac.authorization.k8s.io", "v1"): (17000, 15),
    ("storage.k8s.io", "v1"): (16800, 15),
    ("storage.k8s.io", "v1beta1"): (16800, 9),
    ("storage.k8s.io", "v1alpha1"): (16800, 1),
    ("apiextensions.k8s.io", "v1"): (16700, 15),
    ("admissionregistration.k8s.io", "v1"): (16700, 15),
    ("admissionregistration.k8s.io", "v1beta1"): (16700, 12),
    ("admissionregistration.k8s.io", "v1alpha1"): (16700, 9),
    ("scheduling.k8s.io", "v1"): (16600, 15),
    ("coordination.k8s.io", "v1"): (16500, 15),
    ("node.k8s.io", "v1"): (16300, 15),
    ("node.k8s.io", "v1alpha1"): (16300, 1),
    ("node.k8s.io", "v1beta1"): (16300, 9),
    ("discovery.k8s.io", "v1"): (16200, 15),
    ("discovery.k8s.io", "v1beta1"): (16200, 12),
    ("flowcontrol.apiserver.k8s.io", "v1"): (16100, 21),
    ("flowcontrol.apiserver.k8s.io", "v1beta3"): (16100, 18),
    ("flowcontrol.apiserver.k8s.io", "v1beta2"): (16100, 15),
    ("flowcontrol.apiserver.k8s.io", "v1beta1"): (16100, 12),
    ("flowcontrol.apiserver.k8s.io", "v1alpha1"): (16100, 9),
    ("internal.apiserver.k8s.io", "v1alpha1"): (16000, 9),
    ("resource.k8s.io", "v1alpha2"): (15900, 9),
    ("storagemigration.k8s.io", "v1alpha1"): (15800, 9),
}


def _byte_length(value: Any) -> int:
    if not isinstance(value, str):
        return 0
    try:
        return len(base64.b64decode(value, validate=True))
    except (binascii.Error, ValueError):
        return len(value)


def is_valid_path_segment_name(name: str) -> list[str]:
    """path.IsValidPathSegmentName: the name must survive as one URL path segment."""
    if name in (".", ".."):
        return [f"may not be '{name}'"]
    return [f"may not contain '{bad}'" for bad in ("/", "%") if bad in name]


def name_check_for(apiservice: Obj):
    """The name must be the path segment `<version>.<group>` of this very object."""
    spec = apiservice.get("spec") or {}
    required_name = f"{spec.get('version') or ''}.{spec.get('group') or ''}"

    def check(name: str) -> list[str]:
        problems = is_valid_path_segment_name(name)
        if problems:
            return problems
        if name != required_name:
            return [f'must be `spec.version+"."+spec.group`: {field.go_quote(required_name)}']
        return []

    return check


def validate_api_service(apiservice: Obj) -> list[FieldError]:
    """ValidateAPIService, object metadata included."""
    errs = validation.validate_object_meta(apiservice.get("metadata"), False, name_check=name_check_for(apiservice))
    spec = apiservice.get("spec") or {}
    path = Path("spec")
    group, version = spec.get("group") or "", spec.get("version") or ""
    if not group and version != "v1":
        errs.append(field.required(path.child("group"), "only v1 may have an empty group and it better be legacy kube"))
    if group:
        errs.extend(field.invalid(path.child("group"), group, m) for m in validation.is_dns1123_subdomain(group))
    errs.extend(field.invalid(path.child("version"), version, m) for m in validation.is_dns1035_label(version))
    group_priority = spec.get("groupPriorityMinimum") or 0
    if group_priority <= 0 or group_priority > 20000:
        errs.append(field.invalid(path.child("groupPriorityMinimum"), group_priority, "must be positive and less than 20000"))
    version_priority = spec.get("versionPriority") or 0
    if version_priority <= 0 or version_priority > 1000:
        errs.append(field.invalid(path.child("versionPriority"), version_priority, "must be positive and less than 1000"))
    ca_bytes = _byte_length(spec.get("caBundle"))
    insecure = bool(spec.get("insecureSkipTLSVerify"))
    service = spec.get("service")
    if not isinstance(service, dict):
        if ca_bytes:
            errs.append(field.invalid(path.child("caBundle"), f"{ca_bytes} bytes", "local APIServices may not have a caBundle"))
        if insecure:
            errs.append(field.invalid(path.child("insecureSkipTLSVerify"), insecure, "local APIServices may not have insecureSkipTLSVerify"))
        return errs
    if not service.get("namespace"):
        errs.append(field.required(path.child("service", "namespace"), ""))
    if not service.get("name"):
        errs.append(field.required(path.child("service", "name"), ""))
    port = service.get("port")
    port_problems = validation.is_valid_port_num(port if port is not None else 0)
    if port_problems:
        errs.append(field.invalid(path.child("service", "port"), port if port is not None else 0,
                                  "port is not valid: " + ", ".join(port_problems)))
    if insecure and ca_bytes:
        errs.append(field.invalid(path.child("insecureSkipTLSVerify"), insecure, "may not be true if caBundle is present"))
    return errs


def validate_api_service_status(status: Any) -> list[FieldError]:
    conditions = (status or {}).get("conditions") or [] if isinstance(status, dict) else []
    path = Path("status", "conditions")
    return [
        field.not_supported(path.index(i).child("status"), c.get("status") or "", CONDITION_STATUSES)
        for i, c in enumerate(conditions)
        if isinstance(c, dict) and (c.get("status") or "") not in CONDITION_STATUSES
    ]


class APIServiceStrategy(Strategy):
    tracks_generation = False
    has_status = True
    allow_unconditional_update = False
    validates_object_meta = True

    def default(self, obj: Obj) -> None:
        service = (obj.get("spec") or {}).get("service")
        if isinstance(service, dict) and service.get("port") is None:
            service["port"] = 443

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return validate_api_service(obj)

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        errs = validation.validate_object_meta_update(new.get("metadata") or {}, old.get("metadata") or {})
        return errs + validate_api_service(new)

    def prepare_for_status_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        common.keep_spec(new, old)
        # Status writers cannot touch these either (upstream resets them for the status strategy).
        new_meta, old_meta = meta.meta(new), old.get("metadata") or {}
        for key in ("labels", "annotations", "finalizers", "ownerReferences"):
            if key in old_meta:
                new_meta[key] = meta.deep_copy(old_meta[key])
            else:
                new_meta.pop(key, None)

    def validate_status_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        errs = validation.validate_object_meta_update(new.get("metadata") or {}, old.get("metadata") or {})
        return errs + validate_api_service_status(new.get("status"))


# --- printing ---

def available(apiservice: Obj) -> str:
    """`True`, `False (Reason)`, or `Unknown` when there is no Available condition."""
    for c in (apiservice.get("status") or {}).get("conditions") or ():
        if isinstance(c, dict) and c.get("type") == "Available":
            status, reason = c.get("status") or "", c.get("reason") or ""
            if status != "True" and reason:
                return f"{status} ({reason})"
            return status
    return "Unknown"


def table_row(apiservice: Obj, now: datetime | None = None) -> list[Any]:
    service = (apiservice.get("spec") or {}).get("service")
    where = f"{service.get('namespace') or ''}/{service.get('name') or ''}" if isinstance(service, dict) else "Local"
    return [common.name_of(apiservice), where, available(apiservice), common.age(apiservice, now)]


PRINTER = Printer(
    columns=[
        common.name_column(),
        Column("Service", description="The reference to the service that hosts this API endpoint."),
        Column("Available", description="Whether this service is available."),
        common.age_column(),
    ],
    row=table_row,
)

APISERVICES = ResourceType(
    group="apiregistration.k8s.io",
    version="v1",
    kind="APIService",
    plural="apiservices",
    namespaced=False,
    categories=("api-extensions",),
    subresources=(Subresource("status", ("get", "patch", "update")),),
    strategy=APIServiceStrategy(),
    printer=PRINTER,
)


# --- local APIServices ---

def local_apiservice(group: str, version: str, priority: tuple[int, int], managed: str, now: str) -> Obj:
    """makeAPIService plus the status the availability controller gives a local one."""
    return {
        "apiVersion": "apiregistration.k8s.io/v1",
        "kind": "APIService",
        "metadata": {"name": f"{version}.{group}", "labels": {AUTOMANAGED_LABEL: managed}},
        "spec": {"group": group, "version": version,
                 "groupPriorityMinimum": priority[0], "versionPriority": priority[1]},
        "status": {"conditions": [{
            "type": "Available", "status": "True", "lastTransitionTime": now,
            "reason": LOCAL_REASON, "message": LOCAL_MESSAGE,
        }]},
    }


def local_apiservices(resources: list[ResourceType], now: str | None = None) -> list[Obj]:
    """One local APIService per served group/version, ordered by name.

    Built-in group/versions missing from upstream's priority table get none (makeAPIService
    returns nil for them); custom resources get the CRD priorities.
    """
    now = now or meta.now_rfc3339()
    seen: dict[tuple[str, str], Obj] = {}
    for rt in resources:
        gv = (rt.group, rt.version)
        if gv in seen:
            continue
        if gv in PRIORITIES:
            seen[gv] = local_apiservice(rt.group, rt.version, PRIORITIES[gv], "onstart", now)
        elif not rt.builtin:
            seen[gv] = local_apiservice(rt.group, rt.version, CRD_PRIORITY, "true", now)
    return sorted(seen.values(), key=lambda o: o["metadata"]["name"])


async def bootstrap_apiservices(registry: Any) -> None:
    """Create the missing local APIServices (and mark them available); leave existing ones alone."""
    rt = registry.resource("apiregistration.k8s.io", "v1", "apiservices")
    if rt is None:
        return
    ctx = registry.context(user="system:apiserver")
    for obj in local_apiservices(registry.resources):
        name = obj["metadata"]["name"]
        try:
            await registry.get(rt, None, name)
            continue
        except errors.StatusError as e:
            if e.code != 404:
                raise
        status = obj["status"]
        try:
            await registry.create(rt, None, obj, ctx, "kube-apiserver")
        except errors.StatusError as e:
            if e.code != 409:
                raise
            continue
        # Create clears status; the availability controller's write comes through /status.
        status_ctx = registry.context(user="system:apiserver", subresource="status")
        await registry.patch(rt, None, name, lambda cur, s=status: {**cur, "status": s}, status_ctx,
                             "kube-apiserver", "status")
