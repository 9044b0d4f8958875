"""CustomResourceDefinitions (apiextensions.k8s.io/v1): upstream's
`apiextensions-apiserver/pkg/registry/customresourcedefinition/strategy.go` and the v1 validation.

Deleting a CRD only marks it: the strategy adds the `customresourcecleanup` finalizer and the
Terminating condition, and the CRD controller (uwernetes.apiextensions.controller) deletes every
instance before it removes the finalizer, as upstream's finalizer controller does.
"""

from __future__ import annotations

import re
from typing import Any

from uwernetes.apiextensions.structural import validate_schema
from uwernetes.apiserver.resources.base import Context, Obj, ResourceType, Strategy, Subresource
from uwernetes.machinery import field, meta, validation
from uwernetes.machinery.field import FieldError, Path

GROUP = "apiextensions.k8s.io"
CLEANUP_FINALIZER = "customresourcecleanup.apiextensions.k8s.io"
PRINTER_TYPES = ("boolean", "date", "integer", "number", "string")
PRINTER_FORMATS = ("byte", "date", "date-time", "double", "float", "int32", "int64", "password")


def default_crd(crd: Obj) -> None:
    """SetDefaults_CustomResourceDefinition(Spec) for v1."""
    spec = crd.get("spec")
    if not isinstance(spec, dict):
        return
    names = spec.get("names")
    if isinstance(names, dict) and names.get("kind"):
        names.setdefault("listKind", names["kind"] + "List")
        if not names.get("singular"):
            names["singular"] = names["kind"].lower()
    conversion = spec.setdefault("conversion", {"strategy": "None"})
    if isinstance(conversion, dict):
        conversion.setdefault("strategy", "None")
        if conversion.get("strategy") == "Webhook":
            webhook = conversion.get("webhook")
            if isinstance(webhook, dict):
                service = (webhook.get("clientConfig") or {}).get("service")
                if isinstance(service, dict):
                    service.setdefault("port", 443)


# --- helpers over the spec ---


def versions_of(crd: Obj) -> list[dict[str, Any]]:
    return [v for v in ((crd.get("spec") or {}).get("versions") or []) if isinstance(v, dict)]


def storage_version(crd: Obj) -> str | None:
    for v in versions_of(crd):
        if v.get("storage"):
            return v.get("name")
    return None


def version_schema(version: dict[str, Any]) -> dict[str, Any] | None:
    schema = (version.get("schema") or {}).get("openAPIV3Schema")
    return schema if isinstance(schema, dict) else None


def has_status(version: dict[str, Any]) -> bool:
    return isinstance((version.get("subresources") or {}).get("status"), dict)


def condition(crd: Obj, type_: str) -> dict[str, Any] | None:
    for c in ((crd.get("status") or {}).get("conditions") or []):
        if c.get("type") == type_:
            return c
    return None


def condition_true(crd: Obj, type_: str) -> bool:
    c = condition(crd, type_)
    return bool(c) and c.get("status") == "True"


def set_condition(crd: Obj, type_: str, status: str, reason: str, message: str) -> None:
    """SetCRDCondition: the transition time moves only when the status does."""
    conditions = crd.setdefault("status", {}).setdefault("conditions", [])
    for c in conditions:
        if c.get("type") == type_:
            if c.get("status") != status:
                c["lastTransitionTime"] = meta.now_rfc3339()
            c.update(status=status, reason=reason, message=message)
            return
    conditions.append({"type": type_, "status": status, "lastTransitionTime": meta.now_rfc3339(),
                       "reason": reason, "message": message})


# --- validation ---


def _dns1035(value: str) -> str:
    return ",".join(validation.is_dns1035_label(value))


def validate_names(names: Any, path: Path) -> list[FieldError]:
    names = names if isinstance(names, dict) else {}
    errs: list[FieldError] = []
    for key in ("plural", "singular"):
        value = names.get(key) or ""
        if value and _dns1035(value):
            errs.append(field.invalid(path.child(key), value, _dns1035(value)))
    for key in ("kind", "listKind"):
        value = names.get(key) or ""
        if value and _dns1035(value.lower()):
            errs.append(field.invalid(path.child(key), value, "may have mixed case, but should otherwise match: " + _dns1035(value.lower())))
    for i, short in enumerate(names.get("shortNames") or []):
        if _dns1035(short):
            errs.append(field.invalid(path.child("shortNames").index(i), short, _dns1035(short)))
    if names.get("kind") and names.get("kind") == names.get("listKind"):
        errs.append(field.invalid(path.child("listKind"), names["listKind"], "kind and listKind may not be the same"))
    for i, category in enumerate(names.get("categories") or []):
        if _dns1035(category):
            errs.append(field.invalid(path.child("categories").index(i), category, _dns1035(category)))
    return errs


_SIMPLE_JSON_PATH = re.compile(r"^(\.[^.\[\]]+|\[\d+\]|\['[^']*'\])+$")


def _validate_json_path(value: str, path: Path, under: tuple[str, ...] = ()) -> list[FieldError]:
    if not value.startswith("."):
        return [field.invalid(path, value, "must be a simple json path starting with .")]
    if under and not any(value == u or value.startswith(u + ".") for u in under):
        return [field.invalid(path, value, f"should be a json path under {' or '.join(under)}")]
    return []


def validate_printer_column(col: Any, path: Path) -> list[FieldError]:
    col = col if isinstance(col, dict) else {}
    errs: list[FieldError] = []
    if not col.get("name"):
        errs.append(field.required(path.child("name"), ""))
    types = ",".join(PRINTER_TYPES)
    if not col.get("type"):
        errs.append(field.required(path.child("type"), f"must be one of {types}"))
    elif col["type"] not in PRINTER_TYPES:
        errs.append(field.invalid(path.child("type"), col["type"], f"must be one of {types}"))
    if col.get("format") and col["format"] not in PRINTER_FORMATS:
        errs.append(field.invalid(path.child("format"), col["format"], f"must be one of {','.join(PRINTER_FORMATS)}"))
    if not col.get("jsonPath"):
        errs.append(field.required(path.child("JSONPath"), ""))
    else:
        errs.extend(_validate_json_path(col["jsonPath"], path.child("JSONPath")))
    return errs


def validate_subresources(sub: Any, path: Path) -> list[FieldError]:
    if not isinstance(sub, dict):
        return []
    scale = sub.get("scale")
    if not isinstance(scale, dict):
        return []
    sp = path.child("scale")
    errs: list[FieldError] = []
    spec_path = scale.get("specReplicasPath") or ""
    if not spec_path:
        errs.append(field.required(sp.child("specReplicasPath"), ""))
    else:
        errs.extend(_validate_json_path(spec_path, sp.child("specReplicasPath"), (".spec",)))
    status_path = scale.get("statusReplicasPath") or ""
    if not status_path:
        errs.append(field.required(sp.child("statusReplicasPath"), ""))
    else:
        errs.extend(_validate_json_path(status_path, sp.child("statusReplicasPath"), (".status",)))
    selector = scale.get("labelSelectorPath")
    if selector:
        errs.extend(_validate_json_path(selector, sp.child("labelSelectorPath"), (".spec", ".status")))
    return errs


def _versions_value(versions: list) -> Any:
    """The bad value upstream prints for whole-list version errors (a Go struct dump): shortened."""
    return field.OMIT_VALUE if not versions else "[" + ", ".join(str(v.get("name", "")) for v in versions) + "]"


def validate_spec(spec: Any, path: Path) -> list[FieldError]:
    spec = spec if isinstance(spec, dict) else {}
    errs: list[FieldError] = []
    group = spec.get("group") or ""
    if not group:
        errs.append(field.required(path.child("group"), ""))
    elif validation.is_dns1123_subdomain(group):
        errs.append(field.invalid(path.child("group"), group, ",".join(validation.is_dns1123_subdomain(group))))
    elif "." not in group:
        errs.append(field.invalid(path.child("group"), group, "should be a domain with at least one dot"))
    scope = spec.get("scope") or ""
    if not scope:
        errs.append(field.required(path.child("scope"), ""))
    elif scope not in ("Cluster", "Namespaced"):
        errs.append(field.not_supported(path.child("scope"), scope, ["Cluster", "Namespaced"]))
    versions = spec.get("versions") or []
    if spec.get("preserveUnknownFields"):
        errs.append(field.invalid(path.child("preserveUnknownFields"), True, "must be false in order to use defaults in the schema")
                    if _has_defaults(versions) else field.invalid(path.child("preserveUnknownFields"), True, "cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead"))
    storage = 0
    seen: set[str] = set()
    unique = True
    for i, version in enumerate(versions):
        vp = path.child("versions").index(i)
        if not isinstance(version, dict):
            continue
        name = version.get("name") or ""
        if version.get("storage"):
            storage += 1
        if name in seen:
            unique = False
        seen.add(name)
        if _dns1035(name):
            errs.append(field.invalid(vp.child("name"), name, _dns1035(name)))
        schema = version_schema(version)
        if schema is None:
            errs.append(field.required(vp.child("schema").child("openAPIV3Schema"), "schemas are required"))
        else:
            errs.extend(validate_schema(schema, vp.child("schema").child("openAPIV3Schema"), has_status(version)))
        errs.extend(validate_subresources(version.get("subresources"), vp.child("subresources")))
        for j, col in enumerate(version.get("additionalPrinterColumns") or []):
            errs.extend(validate_printer_column(col, vp.child("additionalPrinterColumns").index(j)))
        warning = version.get("deprecationWarning")
        if warning is not None and not version.get("deprecated"):
            errs.append(field.invalid(vp.child("deprecationWarning"), warning, "can only be set for deprecated versions"))
    if not versions:
        errs.append(field.invalid(path.child("versions"), field.OMIT_VALUE, "must have exactly one version marked as storage version"))
    else:
        if not unique:
            errs.append(field.invalid(path.child("versions"), _versions_value(versions), "must contain unique version names"))
        if storage != 1:
            errs.append(field.invalid(path.child("versions"), _versions_value(versions), "must have exactly one version marked as storage version"))
    names = spec.get("names") if isinstance(spec.get("names"), dict) else {}
    for key in ("plural", "singular", "kind", "listKind"):
        if not names.get(key):
            errs.append(field.required(path.child("names", key), ""))
    errs.extend(validate_names(names, path.child("names")))
    conversion = spec.get("conversion") if isinstance(spec.get("conversion"), dict) else {}
    strategy = conversion.get("strategy") or ""
    cp = path.child("conversion")
    if not strategy:
        errs.append(field.required(cp.child("strategy"), ""))
    elif strategy not in ("None", "Webhook"):
        errs.append(field.not_supported(cp.child("strategy"), strategy, ["None", "Webhook"]))
    elif strategy == "Webhook":
        webhook = conversion.get("webhook") if isinstance(conversion.get("webhook"), dict) else {}
        client = webhook.get("clientConfig")
        if not isinstance(client, dict):
            errs.append(field.required(cp.child("webhookClientConfig"), "required when strategy is set to Webhook"))
        elif bool(client.get("url")) == bool(client.get("service")):
            errs.append(field.required(cp.child("webhookClientConfig"), "exactly one of url or service is required"))
        review = webhook.get("conversionReviewVersions") or []
        if not review:
            errs.append(field.required(cp.child("conversionReviewVersions"), ""))
        elif not set(review) & {"v1", "v1beta1"}:
            errs.append(field.invalid(cp.child("conversionReviewVersions"), review, "must include at least one of v1, v1beta1"))
    elif conversion.get("webhook") is not None:
        errs.append(field.forbidden(cp.child("webhookClientConfig"), "should not be set when strategy is not set to Webhook"))
    return errs


def _has_defaults(versions: list) -> bool:
    def walk(node: Any) -> bool:
        if isinstance(node, dict):
            return "default" in node or any(walk(v) for v in node.values())
        if isinstance(node, list):
            return any(walk(v) for v in node)
        return False

    return any(walk(version_schema(v)) for v in versions if isinstance(v, dict))


def validate_stored_versions(crd: Obj, path: Path) -> list[FieldError]:
    stored = (crd.get("status") or {}).get("storedVersions") or []
    if not stored:
        return []
    errs: list[FieldError] = []
    names = [v.get("name") for v in versions_of(crd)]
    for i, name in enumerate(stored):
        if name not in names:
            errs.append(field.invalid(
                path.index(i), name,
                f"missing from spec.versions; {name} was previously a storage version, and must remain in spec.versions "
                f"until a storage migration ensures no data remains persisted in {name} and removes {name} from status.storedVersions",
            ))
    return errs


def _name_check(crd: Obj):
    spec = crd.get("spec") or {}
    required = f"{(spec.get('names') or {}).get('plural', '')}.{spec.get('group', '')}"

    def check(name: str) -> list[str]:
        msgs = validation.is_dns1123_subdomain(name)
        if name != required:
            msgs = [*msgs, 'must be spec.names.plural+"."+spec.group']
        return msgs

    return check


def validate_crd(crd: Obj) -> list[FieldError]:
    errs = validation.validate_object_meta(crd.get("metadata"), False, name_check=_name_check(crd))
    errs += validate_spec(crd.get("spec"), Path("spec"))
    errs += validate_names((crd.get("status") or {}).get("acceptedNames"), Path("status", "acceptedNames"))
    errs += validate_stored_versions(crd, Path("status", "storedVersions"))
    return errs


def validate_crd_update(new: Obj, old: Obj) -> list[FieldError]:
    errs = validation.validate_object_meta_update(new.get("metadata") or {}, old.get("metadata") or {})
    spec, old_spec = new.get("spec") or {}, old.get("spec") or {}
    errs += validate_spec(spec, Path("spec"))
    if condition_true(old, "Established"):
        errs += validation.validate_immutable(spec.get("scope"), old_spec.get("scope"), Path("spec", "scope"))
        errs += validation.validate_immutable((spec.get("names") or {}).get("kind"), (old_spec.get("names") or {}).get("kind"),
                                              Path("spec", "names", "kind"))
    errs += validation.validate_immutable(spec.get("group"), old_spec.get("group"), Path("spec", "group"))
    errs += validation.validate_immutable((spec.get("names") or {}).get("plural"), (old_spec.get("names") or {}).get("plural"),
                                          Path("spec", "names", "plural"))
    errs += validate_names((new.get("status") or {}).get("acceptedNames"), Path("status", "acceptedNames"))
    errs += validate_stored_versions(new, Path("status", "storedVersions"))
    return errs


class CRDStrategy(Strategy):
    has_status = True
    validates_object_meta = True

    def default(self, obj: Obj) -> None:
        default_crd(obj)

    def prepare_for_create(self, obj: Obj, ctx: Context) -> None:
        # Status starts with the storage version recorded, as upstream's PrepareForCreate does.
        obj["status"] = {}
        storage = storage_version(obj)
        if storage:
            obj["status"]["storedVersions"] = [storage]
        obj["status"]["acceptedNames"] = {"kind": "", "plural": ""}
        obj["status"]["conditions"] = []

    def prepare_for_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        new["status"] = old.get("status") or {}
        storage = storage_version(new)
        stored = list(new["status"].get("storedVersions") or [])
        if storage and storage not in stored:
            new["status"] = dict(new["status"], storedVersions=[*stored, storage])

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return validate_crd(obj)

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_crd_update(new, old)

    def validate_status_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        errs = validate_names((new.get("status") or {}).get("acceptedNames"), Path("status", "acceptedNames"))
        return errs + validate_stored_versions(new, Path("status", "storedVersions"))

    def graceful_hold(self, obj: Obj) -> bool:
        # A delete marks the CRD; the CRD controller removes instances, then the finalizer.
        return not (obj.get("metadata") or {}).get("deletionTimestamp")

    def prepare_for_delete(self, obj: Obj) -> None:
        m = obj.setdefault("metadata", {})
        finalizers = list(m.get("finalizers") or [])
        if CLEANUP_FINALIZER not in finalizers:
            m["finalizers"] = [*finalizers, CLEANUP_FINALIZER]
        m["deletionGracePeriodSeconds"] = 0
        set_condition(obj, "Terminating", "True", "InstanceDeletionPending",
                      "CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon")


CUSTOMRESOURCEDEFINITIONS = ResourceType(
    group=GROUP,
    version="v1",
    kind="CustomResourceDefinition",
    plural="customresourcedefinitions",
    namespaced=False,
    short_names=("crd", "crds"),
    categories=("api-extensions",),
    subresources=(Subresource("status", ("get", "patch", "update")),),
    strategy=CRDStrategy(),
)
