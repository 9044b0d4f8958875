"""ValidatingAdmissionPolicies and their bindings (admissionregistration.k8s.io/v1): upstream's
`pkg/registry/admissionregistration/validatingadmissionpolicy[binding]/strategy.go` and
`ValidateValidatingAdmissionPolicy[Binding][Update]` (spec/api-features.md §2.3-2.4).

Every CEL expression is compiled at write time in upstream's environment for its place
(validations: bool with authorizer; messageExpression: string without authorizer;
auditAnnotations: string or null; matchConditions: bool, no variables); `variables` compile in
order, each seeing only the ones before it, typed as they compiled.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from uwernetes import cel
from uwernetes.apiserver.resources import admissionregistration_common as common
from uwernetes.apiserver.resources import core_common, rbac_common
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

REASONS = ("Forbidden", "Invalid", "RequestEntityTooLarge")
VALIDATION_ACTIONS = ("Audit", "Deny", "Warn")
PARAMETER_NOT_FOUND_ACTIONS = ("Deny", "Allow")
MAX_AUDIT_ANNOTATIONS = 20
MAX_AUDIT_VALUE_EXPRESSION = 5 * 1024
CEL_RESERVED = {
    "true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function", "if",
    "import", "let", "loop", "package", "namespace", "return", "var", "void", "while",
}
_CEL_IDENT = re.compile(r"^[_a-zA-Z][_a-zA-Z0-9]*$")
_NEWLINES = re.compile(r"[\n\r]+")


def is_cel_identifier(name: str) -> bool:
    return bool(_CEL_IDENT.match(name)) and name not in CEL_RESERVED


# --- defaulting ---


def default_policy(obj: Obj) -> None:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    if spec.get("failurePolicy") is None:
        spec["failurePolicy"] = "Fail"
    common.default_match_resources(spec.get("matchConstraints"))


def default_binding(obj: Obj) -> None:
    spec = obj.get("spec")
    if isinstance(spec, dict):
        common.default_match_resources(spec.get("matchResources"))


# --- policy validation ---


def validate_param_kind(pk: Any, path: Path) -> list[FieldError]:
    pk = pk if isinstance(pk, dict) else {}
    errs: list[FieldError] = []
    api_version = pk.get("apiVersion") or ""
    if not api_version:
        errs.append(field.required(path.child("apiVersion"), ""))
    elif api_version.count("/") > 1:
        errs.append(field.invalid(path.child("apiVersion"), api_version, f"unexpected GroupVersion string: {api_version}"))
    elif api_version != "/":
        group, _, version = api_version.rpartition("/")
        if group and (msgs := validation.is_dns1123_subdomain(group)):
            errs.append(field.invalid(path.child("apiVersion"), group, ",".join(msgs)))
        if not version:
            errs.append(field.invalid(path.child("apiVersion"), api_version, "version must be specified"))
        elif msgs := validation.is_dns1035_label(version):
            errs.append(field.invalid(path.child("apiVersion"), version, ",".join(msgs)))
    else:
        errs.append(field.invalid(path.child("apiVersion"), api_version, "version must be specified"))
    kind = pk.get("kind") or ""
    if not kind:
        errs.append(field.required(path.child("kind"), ""))
    elif msgs := validation.is_dns1035_label(kind.lower()):
        errs.append(field.invalid(path.child("kind"), kind, "may have mixed case, but should otherwise match: " + ",".join(msgs)))
    return errs


class _Expressions:
    """The composited compiler: variables typed as they compiled, added one at a time."""

    def __init__(self, params: bool) -> None:
        self.params = params
        self.variables: dict[str, str] = {}

    def env(self, *, authorizer: bool) -> dict[str, str]:
        env = cel.admission_variables(params=self.params, authorizer=authorizer)
        env.update({f"variables.{name}": t for name, t in self.variables.items()})
        return env

    def add_variable(self, var: Any, path: Path) -> list[FieldError]:
        var = var if isinstance(var, dict) else {}
        errs: list[FieldError] = []
        name = var.get("name") or ""
        if not name.strip():
            errs.append(field.required(path.child("name"), "name is not specified"))
        elif not is_cel_identifier(name):
            errs.append(field.invalid(path.child("name"), name, "name is not a valid CEL identifier"))
        expression = var.get("expression") or ""
        if not expression.strip():
            errs.append(field.required(path.child("expression"), "expression is not specified"))
            return errs
        compiled = cel.compile_expression(expression, self.env(authorizer=True))
        if compiled.error is not None:
            errs.append(field.invalid(path.child("expression"), expression, compiled.error))
        if is_cel_identifier(name):
            # A variable that failed still exists for later expressions, as dyn.
            self.variables[name] = compiled.output_type or "dyn"
        return errs


def validate_validation(v: Any, exprs: _Expressions, path: Path) -> list[FieldError]:
    v = v if isinstance(v, dict) else {}
    errs: list[FieldError] = []
    expression = v.get("expression") or ""
    message = v.get("message") or ""
    message_expression = v.get("messageExpression") or ""
    if not expression.strip():
        errs.append(field.required(path.child("expression"), "expression is not specified"))
    else:
        errs.extend(common.validate_cel(expression, path.child("expression"), exprs.env(authorizer=True), ("bool",)))
    if message_expression and not message_expression.strip():
        errs.append(field.invalid(path.child("messageExpression"), message_expression, "must be non-empty if specified"))
    elif message_expression.strip():
        errs.extend(common.validate_cel(message_expression, path.child("messageExpression"), exprs.env(authorizer=False), ("string",)))
    if message and not message.strip():
        errs.append(field.invalid(path.child("message"), message, "message must be non-empty if specified"))
    elif _NEWLINES.search(message.strip()):
        errs.append(field.invalid(path.child("message"), message, "message must not contain line breaks"))
    reason = v.get("reason")
    if reason is not None and reason not in REASONS:
        errs.append(field.not_supported(path.child("reason"), reason, list(REASONS)))
    return errs


def validate_audit_annotation(a: Any, policy_name: str, exprs: _Expressions, path: Path) -> list[FieldError]:
    a = a if isinstance(a, dict) else {}
    errs: list[FieldError] = []
    key = a.get("key") or ""
    if policy_name:
        qualified = f"{policy_name}/{key}"
        errs.extend(field.invalid(path.child("key"), qualified, m) for m in validation.is_qualified_name(qualified))
    else:
        errs.append(field.invalid(path.child("key"), key, "requires metadata.name be non-empty"))
    value_expression = a.get("valueExpression") or ""
    trimmed = value_expression.strip()
    if not trimmed:
        errs.append(field.required(path.child("valueExpression"), "valueExpression is not specified"))
    elif len(trimmed.encode()) > MAX_AUDIT_VALUE_EXPRESSION:
        errs.append(field.required(path.child("valueExpression"), f"must not exceed {MAX_AUDIT_VALUE_EXPRESSION} bytes in length"))
    else:
        found = common.validate_cel(trimmed, path.child("valueExpression"), exprs.env(authorizer=True), ("string", "null_type"))
        # Upstream reports the untrimmed expression as the bad value.
        errs.extend(field.invalid(e.field, value_expression, e.detail) for e in found)
    return errs


def validate_policy_spec(obj: Obj, *, ignore_match_conditions: bool = False) -> list[FieldError]:
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    path = Path("spec")
    errs: list[FieldError] = []
    failure = spec.get("failurePolicy")
    if failure is None:
        errs.append(field.required(path.child("failurePolicy"), ""))
    elif failure not in common.FAILURE_POLICIES:
        errs.append(field.not_supported(path.child("failurePolicy"), failure, list(common.FAILURE_POLICIES)))
    has_params = spec.get("paramKind") is not None
    if has_params:
        errs.extend(validate_param_kind(spec["paramKind"], path.child("paramKind")))
    mc = spec.get("matchConstraints")
    if mc is None:
        errs.append(field.required(path.child("matchConstraints"), ""))
    else:
        errs.extend(common.validate_match_resources(mc, path.child("matchConstraints")))
        # At least one resource rule, to give expressions their types.
        if not (mc if isinstance(mc, dict) else {}).get("resourceRules"):
            errs.append(field.required(path.child("matchConstraints", "resourceRules"), ""))
    if not ignore_match_conditions:
        errs.extend(common.validate_match_conditions(spec.get("matchConditions"), path.child("matchConditions"), params=has_params))
    exprs = _Expressions(has_params)
    for i, var in enumerate(spec.get("variables") or ()):
        errs.extend(exprs.add_variable(var, path.child("variables").index(i)))
    validations = spec.get("validations") or []
    annotations = spec.get("auditAnnotations") or []
    if not validations and not annotations:
        detail = "validations or auditAnnotations must contain at least one item"
        return errs + [field.required(path.child("validations"), detail), field.required(path.child("auditAnnotations"), detail)]
    for i, v in enumerate(validations):
        errs.extend(validate_validation(v, exprs, path.child("validations").index(i)))
    if len(annotations) > MAX_AUDIT_ANNOTATIONS:
        errs.append(field.invalid(path.child("auditAnnotations"), field.OMIT_VALUE,
                                  f"must not have more than {MAX_AUDIT_ANNOTATIONS} auditAnnotations"))
    keys: set[str] = set()
    policy_name = (obj.get("metadata") or {}).get("name") or ""
    for i, a in enumerate(annotations):
        p = path.child("auditAnnotations").index(i)
        errs.extend(validate_audit_annotation(a, policy_name, exprs, p))
        key = (a if isinstance(a, dict) else {}).get("key") or ""
        if key in keys:
            errs.append(field.duplicate(p.child("key"), key))
        keys.add(key)
    return errs


def validate_policy_status(obj: Obj) -> list[FieldError]:
    status = obj.get("status") if isinstance(obj.get("status"), dict) else {}
    path = Path("status", "typeChecking", "expressionWarnings")
    errs: list[FieldError] = []
    for i, w in enumerate(((status.get("typeChecking") or {}).get("expressionWarnings")) or ()):
        w = w if isinstance(w, dict) else {}
        if not w.get("warning"):
            errs.append(field.required(path.index(i).child("warning"), ""))
        if not (w.get("fieldRef") or "").strip():
            errs.append(field.required(path.index(i).child("fieldRef"), ""))
    return errs


class PolicyStrategy(Strategy):
    has_status = True
    tracks_generation = True

    def default(self, obj: Obj) -> None:
        default_policy(obj)

    def prepare_for_create(self, obj: Obj, ctx: Context) -> None:
        # Upstream resets status to its empty struct, which serialises as `{}`.
        obj["status"] = {}

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return validate_policy_spec(obj)

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        ns, os_ = new.get("spec") or {}, old.get("spec") or {}
        unchanged = ns.get("paramKind") == os_.get("paramKind") and ns.get("matchConditions") == os_.get("matchConditions")
        return validate_policy_spec(new, ignore_match_conditions=unchanged)

    def validate_status_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_policy_status(new)


# --- binding validation ---


def validate_param_ref(pr: Any, path: Path) -> list[FieldError]:
    if pr is None:
        return []
    pr = pr if isinstance(pr, dict) else {}
    errs: list[FieldError] = []
    name, selector = pr.get("name") or "", pr.get("selector")
    if name:
        errs.extend(field.invalid(path.child("name"), name, m) for m in rbac_common.is_valid_path_segment_name(name))
        if selector is not None:
            errs.append(field.forbidden(path.child("name"), "name and selector are mutually exclusive"))
    if selector is not None:
        errs.extend(common.validate_label_selector(selector, path.child("selector")))
        if name:
            errs.append(field.forbidden(path.child("selector"), "name and selector are mutually exclusive"))
    if not name and selector is None:
        errs.append(field.required(path, "one of name or selector must be specified"))
    action = pr.get("parameterNotFoundAction")
    if not action:
        errs.append(field.required(path.child("parameterNotFoundAction"), ""))
    elif action not in PARAMETER_NOT_FOUND_ACTIONS:
        errs.append(field.not_supported(path.child("parameterNotFoundAction"), action, list(PARAMETER_NOT_FOUND_ACTIONS)))
    return errs


def validate_validation_actions(actions: Any, path: Path) -> list[FieldError]:
    actions = actions if isinstance(actions, list) else []
    errs: list[FieldError] = []
    seen: set[str] = set()
    for i, action in enumerate(actions):
        if action not in VALIDATION_ACTIONS:
            errs.append(field.not_supported(path.index(i), action, list(VALIDATION_ACTIONS)))
        if action in seen:
            errs.append(field.duplicate(path.index(i), action))
        seen.add(action)
    if {"Deny", "Warn"} <= seen:
        errs.append(field.invalid(path, actions, "must not contain both Deny and Warn (repeating the same validation failure "
                                  "information in the API response and headers serves no purpose)"))
    if not seen:
        errs.append(field.required(path, "at least one validation action is required"))
    return errs


def validate_binding_spec(obj: Obj) -> list[FieldError]:
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    path = Path("spec")
    errs: list[FieldError] = []
    policy = spec.get("policyName") or ""
    if not policy:
        errs.append(field.required(path.child("policyName"), ""))
    else:
        errs.extend(field.invalid(path.child("policyName"), policy, m) for m in validation.is_dns1123_subdomain(policy))
    errs.extend(validate_param_ref(spec.get("paramRef"), path.child("paramRef")))
    # `matchResouces`: upstream's long-standing misspelling of the error path.
    errs.extend(common.validate_match_resources(spec.get("matchResources"), path.child("matchResouces")))
    errs.extend(validate_validation_actions(spec.get("validationActions"), path.child("validationActions")))
    return errs


class BindingStrategy(Strategy):
    tracks_generation = True

    def default(self, obj: Obj) -> None:
        default_binding(obj)

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return validate_binding_spec(obj)

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_binding_spec(new)


# --- printing ---


def policy_row(obj: Obj, now: datetime | None = None) -> list[Any]:
    spec = obj.get("spec") or {}
    pk = spec.get("paramKind")
    param_kind = f"{pk.get('apiVersion') or ''}/{pk.get('kind') or ''}" if isinstance(pk, dict) else "<unset>"
    return [core_common.name_of(obj), len(spec.get("validations") or ()), param_kind, core_common.age(obj, now)]


def go_label_selector(sel: dict) -> str:
    """The gogo-protobuf String() of a metav1.LabelSelector, which upstream's printer uses."""
    labels = sel.get("matchLabels") or {}
    label_text = "".join(f"{k}: {labels[k]}," for k in sorted(labels))
    reqs = "".join(
        f"LabelSelectorRequirement{{Key:{r.get('key') or ''},Operator:{r.get('operator') or ''},"
        f"Values:[{' '.join(r.get('values') or ())}],}},"
        for r in sel.get("matchExpressions") or ()
    )
    return f"&LabelSelector{{MatchLabels:map[string]string{{{label_text}}},MatchExpressions:[]LabelSelectorRequirement{{{reqs}}},}}"


def binding_row(obj: Obj, now: datetime | None = None) -> list[Any]:
    spec = obj.get("spec") or {}
    pr = spec.get("paramRef")
    param = "<unset>"
    if isinstance(pr, dict):
        if pr.get("name"):
            # Whether the param is cluster-scoped is unknown here, so no namespace prints `*`.
            param = f"{pr.get('namespace') or '*'}/{pr['name']}"
        elif isinstance(pr.get("selector"), dict):
            param = go_label_selector(pr["selector"])
    return [core_common.name_of(obj), spec.get("policyName") or "", param, core_common.age(obj, now)]


POLICY_PRINTER = Printer(
    columns=[
        core_common.name_column(),
        Column("Validations", "integer", "", "Validations indicates the number of validation rules defined in this configuration"),
        Column("ParamKind", "string", "", "ParamKind specifies the kind of resources used to parameterize this policy"),
        core_common.age_column(),
    ],
    row=policy_row,
)

BINDING_PRINTER = Printer(
    columns=[
        core_common.name_column(),
        Column("PolicyName", "string", "", "PolicyName indicates the policy definition which the policy binding binded to"),
        Column("ParamRef", "string", "", "ParamRef indicates the param resource which sets the configration param"),
        core_common.age_column(),
    ],
    row=binding_row,
)

VALIDATINGADMISSIONPOLICIES = ResourceType(
    group=common.GROUP,
    version="v1",
    kind="ValidatingAdmissionPolicy",
    plural="validatingadmissionpolicies",
    namespaced=False,
    categories=("api-extensions",),
    subresources=(Subresource("status", ("get", "patch", "update")),),
    strategy=PolicyStrategy(),
    printer=POLICY_PRINTER,
)

VALIDATINGADMISSIONPOLICYBINDINGS = ResourceType(
    group=common.GROUP,
    version="v1",
    kind="ValidatingAdmissionPolicyBinding",
    plural="validatingadmissionpolicybindings",
    namespaced=False,
    categories=("api-extensions",),
    strategy=BindingStrategy(),
    printer=BINDING_PRINTER,
)
