"""FlowSchemas (flowcontrol.apiserver.k8s.io/v1): upstream's `pkg/registry/flowcontrol/flowschema`,
`ValidateFlowSchema*` of `pkg/apis/flowcontrol/validation`, v1 `SetDefaults_FlowSchemaSpec`, and
`printFlowSchema`.

A FlowSchema sorts requests (by subject and verb/resource) into a priority level. The two
mandatory schemas, `exempt` and `catch-all`, must keep their fixed spec.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from uwernetes.apiserver.resources import core_common as common
from uwernetes.apiserver.resources import flowcontrol_common as fc
from uwernetes.apiserver.resources.base import (
    Column,
    Context,
    Obj,
    Printer,
    ResourceType,
    Subresource,
)
from uwernetes.machinery import field, validation
from uwernetes.machinery.field import FieldError, Path

DEFAULT_MATCHING_PRECEDENCE = 1000
MAX_MATCHING_PRECEDENCE = 10000
EXEMPT = "exempt"
DISTINGUISHER_METHODS = ("ByNamespace", "ByUser")  # sorted, as sets.List() prints them
SUBJECT_KINDS = ("Group", "ServiceAccount", "User")
SUPPORTED_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "proxy", "update", "watch")
NS_ERR_INTRO = "each member of this list must be '*' or a DNS-1123 label; "


def default_flow_schema(fs: Obj) -> None:
    """SetDefaults_FlowSchemaSpec: a zero matchingPrecedence means 1000."""
    spec = fs.get("spec")
    if isinstance(spec, dict) and not spec.get("matchingPrecedence"):
        spec["matchingPrecedence"] = DEFAULT_MATCHING_PRECEDENCE


# --- validation ---

def validate_subject(subject: Obj, path: Path) -> list[FieldError]:
    """ValidateFlowSchemaSubject: the member named by `kind` is required, the others forbidden."""
    kind = subject.get("kind") or ""
    members = {"User": "user", "Group": "group", "ServiceAccount": "serviceAccount"}
    if kind not in members:
        return [field.not_supported(path.child("kind"), kind, SUBJECT_KINDS)]
    own = members[kind]
    errs = _validate_member(own, subject.get(own), path.child(own))
    for other_kind, other in (("ServiceAccount", "serviceAccount"), ("User", "user"), ("Group", "group")):
        if other != own and subject.get(other) is not None:
            errs.append(field.forbidden(path.child(other), f"{other} is forbidden when subject kind is not '{other_kind}'"))
    return errs


def _validate_member(member: str, value: Any, path: Path) -> list[FieldError]:
    if value is None:
        kind = {"user": "User", "group": "Group", "serviceAccount": "ServiceAccount"}[member]
        return [field.required(path, f"{member} is required when subject kind is '{kind}'")]
    name = value.get("name") or ""
    errs: list[FieldError] = []
    if not name:
        errs.append(field.required(path.child("name"), ""))
    elif member == "serviceAccount" and name != fc.WILDCARD:
        errs.extend(field.invalid(path.child("name"), name, m) for m in validation.is_dns1123_subdomain(name))
    if member == "serviceAccount":
        namespace = value.get("namespace") or ""
        if namespace:
            errs.extend(field.invalid(path.child("namespace"), namespace, m) for m in validation.is_dns1123_label(namespace))
        else:
            errs.append(field.required(path.child("namespace"), "must specify namespace for service account"))
    return errs


def _validate_verbs(verbs: list[str], path: Path) -> list[FieldError]:
    if not verbs:
        return [field.required(path, "verbs must contain at least one value")]
    if fc.has_wildcard(verbs):
        return [field.invalid(path, verbs, "if '*' is present, must not specify other verbs")] if len(verbs) > 1 else []
    if not set(verbs) <= set(SUPPORTED_VERBS):
        return [field.not_supported(path, verbs, SUPPORTED_VERBS)]
    return []


def validate_resource_rule(rule: Obj, path: Path) -> list[FieldError]:
    """ValidateFlowSchemaResourcePolicyRule."""
    errs = _validate_verbs(list(rule.get("verbs") or ()), path.child("verbs"))
    for key, what in (("apiGroups", "api group"), ("resources", "resource")):
        values = list(rule.get(key) or ())
        if not values:
            errs.append(field.required(path.child(key), f"resource rules must supply at least one {what}"))
        elif len(values) > 1 and fc.has_wildcard(values):
            errs.append(field.invalid(path.child(key), values, f"if '*' is present, must not specify other {what}s"))
    namespaces = list(rule.get("namespaces") or ())
    if not namespaces and not rule.get("clusterScope"):
        errs.append(field.required(path.child("namespaces"),
                                   "resource rules that are not cluster scoped must supply at least one namespace"))
    elif fc.has_wildcard(namespaces):
        if len(namespaces) > 1:
            errs.append(field.invalid(path.child("namespaces"), namespaces, "if '*' is present, must not specify other namespaces"))
    else:
        for i, ns in enumerate(namespaces):
            errs.extend(field.invalid(path.child("namespaces").index(i), ns, NS_ERR_INTRO + m)
                        for m in validation.is_dns1123_label(ns))
    return errs


def validate_non_resource_rule(rule: Obj, path: Path) -> list[FieldError]:
    """ValidateFlowSchemaNonResourcePolicyRule."""
    errs = _validate_verbs(list(rule.get("verbs") or ()), path.child("verbs"))
    urls = list(rule.get("nonResourceURLs") or ())
    if not urls:
        errs.append(field.required(path.child("nonResourceURLs"), "nonResourceURLs must contain at least one value"))
    elif fc.has_wildcard(urls):
        if len(urls) > 1:
            errs.append(field.invalid(path.child("nonResourceURLs"), urls, "if '*' is present, must not specify other non-resource URLs"))
    else:
        for i, url in enumerate(urls):
            err = fc.validate_non_resource_url_path(url, path.child("nonResourceURLs").index(i))
            if err is not None:
                errs.append(err)
    return errs


def validate_rule(rule: Obj, path: Path) -> list[FieldError]:
    """ValidateFlowSchemaPolicyRulesWithSubjects."""
    errs: list[FieldError] = []
    subjects = rule.get("subjects") or ()
    if not subjects:
        errs.append(field.required(path.child("subjects"), "subjects must contain at least one value"))
    for i, subject in enumerate(subjects):
        errs += validate_subject(subject if isinstance(subject, dict) else {}, path.child("subjects").index(i))
    resource_rules, non_resource_rules = rule.get("resourceRules") or (), rule.get("nonResourceRules") or ()
    if not resource_rules and not non_resource_rules:
        errs.append(field.required(path, "at least one of resourceRules and nonResourceRules has to be non-empty"))
    for i, r in enumerate(resource_rules):
        errs += validate_resource_rule(r if isinstance(r, dict) else {}, path.child("resourceRules").index(i))
    for i, r in enumerate(non_resource_rules):
        errs += validate_non_resource_rule(r if isinstance(r, dict) else {}, path.child("nonResourceRules").index(i))
    return errs


def validate_flow_schema_spec(name: str, spec: Obj, path: Path) -> list[FieldError]:
    errs: list[FieldError] = []
    precedence = spec.get("matchingPrecedence") or 0
    mp = path.child("matchingPrecedence")
    if precedence <= 0:
        errs.append(field.invalid(mp, precedence, "must be a positive value"))
    if precedence > MAX_MATCHING_PRECEDENCE:
        errs.append(field.invalid(mp, precedence, f"must not be greater than {MAX_MATCHING_PRECEDENCE}"))
    if precedence == 1 and name != EXEMPT:
        errs.append(field.invalid(mp, precedence, "only the schema named 'exempt' may have matchingPrecedence 1"))
    method = spec.get("distinguisherMethod")
    if isinstance(method, dict) and method.get("type") not in DISTINGUISHER_METHODS:
        errs.append(field.not_supported(path.child("distinguisherMethod", "type"),
                                        fc.GoSpec("FlowDistinguisherMethod", method), DISTINGUISHER_METHODS))
    pl_name = (spec.get("priorityLevelConfiguration") or {}).get("name") or ""
    pl_path = path.child("priorityLevelConfiguration", "name")
    if pl_name:
        errs.extend(field.invalid(pl_path, pl_name, m) for m in validation.is_dns1123_subdomain(pl_name))
    else:
        errs.append(field.required(pl_path, "must reference a priority level"))
    for i, rule in enumerate(spec.get("rules") or ()):
        errs += validate_rule(rule if isinstance(rule, dict) else {}, path.child("rules").index(i))
    return errs


def validate_flow_schema(fs: Obj) -> list[FieldError]:
    """ValidateFlowSchema (ObjectMeta is checked by the generic layer)."""
    name = (fs.get("metadata") or {}).get("name") or ""
    spec = fs.get("spec") if isinstance(fs.get("spec"), dict) else {}
    errs = validate_flow_schema_spec(name, spec, Path("spec"))
    fixed = fc.MANDATORY_FLOW_SCHEMA_SPECS.get(name)
    if fixed is not None and fc.semantic("FlowSchemaSpec", spec) != fc.semantic("FlowSchemaSpec", fixed):
        errs.append(field.invalid("spec", fc.GoSpec("FlowSchemaSpec", spec), f"spec of '{name}' must equal the fixed value"))
    return errs + fc.validate_conditions(fs.get("status"), Path("status"))


class FlowSchemaStrategy(fc.FlowcontrolStrategy):
    def default(self, obj: Obj) -> None:
        default_flow_schema(obj)

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return validate_flow_schema(obj)

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_flow_schema(new)


# --- printing ---



def missing_pl(fs: Obj) -> str:
    """MISSINGPL: the Dangling condition's status, `?` before the controller has looked."""
    for cond in (fs.get("status") or {}).get("conditions") or ():
        if isinstance(cond, dict) and cond.get("type") == "Dangling":
            return cond.get("status") or ""
    return "?"


def table_row(fs: Obj, now: datetime | None = None) -> list[Any]:
    spec = fs.get("spec") or {}
    method = spec.get("distinguisherMethod")
    return [
        common.name_of(fs),
        (spec.get("priorityLevelConfiguration") or {}).get("name") or "",
        int(spec.get("matchingPrecedence") or 0),
        (method.get("type") or "") if isinstance(method, dict) else "<none>",
        common.age(fs, now),
        missing_pl(fs),
    ]


def sort_key(fs: Obj) -> tuple[int, str]:
    """FlowSchemaSequence: lower matchingPrecedence first, then by name (upstream sorts list tables)."""
    return int((fs.get("spec") or {}).get("matchingPrecedence") or 0), common.name_of(fs)


PRINTER = Printer(
    columns=[
        common.name_column(),
        Column("PriorityLevel", description=fc.column_doc("PriorityLevelConfigurationReference", "name")),
        Column("MatchingPrecedence", description=fc.column_doc("FlowSchemaSpec", "matchingPrecedence")),
        Column("DistinguisherMethod", description=fc.column_doc("FlowSchemaSpec", "distinguisherMethod")),
        common.age_column(),
        Column("MissingPL", description="indicates if the referenced priority level exists"),
    ],
    row=table_row,
    sort_key=sort_key,
)

FLOWSCHEMAS = ResourceType(
    group=fc.GROUP,
    version=fc.VERSION,
    kind="FlowSchema",
    plural="flowschemas",
    namespaced=False,
    subresources=(Subresource("status", ("get", "patch", "update")),),
    strategy=FlowSchemaStrategy(),
    printer=PRINTER,
)
