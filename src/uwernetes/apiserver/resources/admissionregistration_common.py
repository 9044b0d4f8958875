"""What the admissionregistration.k8s.io/v1 kinds share, after upstream's
`pkg/apis/admissionregistration/validation/validation.go` and `v1/defaults.go`: rules with
operations, MatchResources, matchConditions (compiled as CEL), label selectors checked strictly,
and the policy enums. Webhook configurations and ValidatingAdmissionPolicies build on these.
"""

from __future__ import annotations

from typing import Any

from uwernetes import cel
from uwernetes.apiserver.resources import rbac_common
from uwernetes.machinery import field, validation
from uwernetes.machinery.field import FieldError, Path

GROUP = "admissionregistration.k8s.io"
FAILURE_POLICIES = ("Fail", "Ignore")
MATCH_POLICIES = ("Equivalent", "Exact")
OPERATIONS = ("*", "CONNECT", "CREATE", "DELETE", "UPDATE")
SCOPES = ("*", "Cluster", "Namespaced")
MAX_MATCH_CONDITIONS = 64


# --- defaulting ---


def default_rule(rule: Any) -> None:
    """SetDefaults_Rule: scope `*`."""
    if isinstance(rule, dict) and rule.get("scope") is None:
        rule["scope"] = "*"


def default_selectors(obj: dict) -> None:
    for key in ("namespaceSelector", "objectSelector"):
        if obj.get(key) is None:
            obj[key] = {}


def default_match_resources(mr: Any) -> None:
    """SetDefaults_MatchResources plus the rules inside it."""
    if not isinstance(mr, dict):
        return
    if mr.get("matchPolicy") is None:
        mr["matchPolicy"] = "Equivalent"
    default_selectors(mr)
    for key in ("resourceRules", "excludeResourceRules"):
        for rule in mr.get(key) or ():
            default_rule(rule)


# --- label selectors ---


def validate_label_selector(selector: Any, path: Path, *, strict_values: bool = True) -> list[FieldError]:
    """metav1validation.ValidateLabelSelector; `strict_values` is the inverse of upstream's
    AllowInvalidLabelValueInSelector (matchExpressions values must be label values)."""
    if not isinstance(selector, dict):
        return []
    errs = validation.validate_label_selector(selector, path)
    if strict_values:
        for i, req in enumerate(selector.get("matchExpressions") or ()):
            for j, value in enumerate((req or {}).get("values") or ()):
                p = path.child("matchExpressions").index(i).child("values").index(j)
                errs.extend(field.invalid(p, value, m) for m in validation.is_valid_label_value(value))
    return errs


# --- rules ---


def validate_resources(resources: list[str], path: Path) -> list[FieldError]:
    """validateResources: subresource wildcards may not overlap."""
    errs: list[FieldError] = []
    if not resources:
        errs.append(field.required(path, ""))
    with_wildcard_sub: set[str] = set()  # x/*
    sub_with_wildcard_res: set[str] = set()  # */x
    double_wildcard = single_wildcard = plain = False
    for i, res_sub in enumerate(resources):
        if res_sub == "":
            errs.append(field.required(path.index(i), ""))
            continue
        double_wildcard |= res_sub == "*/*"
        single_wildcard |= res_sub == "*"
        if "/" not in res_sub:
            # Upstream keeps only the last one's answer here, so `["pods", "*"]` passes.
            plain = res_sub != "*"
            continue
        res, sub = res_sub.split("/", 1)
        if res in with_wildcard_sub:
            errs.append(field.invalid(path.index(i), res_sub, f"if '{res}/*' is present, must not specify {res_sub}"))
        if sub in sub_with_wildcard_res:
            errs.append(field.invalid(path.index(i), res_sub, f"if '*/{sub}' is present, must not specify {res_sub}"))
        if sub == "*":
            with_wildcard_sub.add(res)
        if res == "*":
            sub_with_wildcard_res.add(sub)
    if len(resources) > 1 and double_wildcard:
        errs.append(field.invalid(path, resources, "if '*/*' is present, must not specify other resources"))
    if single_wildcard and plain:
        errs.append(field.invalid(path, resources, "if '*' is present, must not specify other resources without subresources"))
    return errs


def validate_rule(rule: dict, path: Path) -> list[FieldError]:
    errs: list[FieldError] = []
    groups = rule.get("apiGroups") or []
    versions = rule.get("apiVersions") or []
    if not groups:
        errs.append(field.required(path.child("apiGroups"), ""))
    if len(groups) > 1 and "*" in groups:
        errs.append(field.invalid(path.child("apiGroups"), groups, "if '*' is present, must not specify other API groups"))
    if not versions:
        errs.append(field.required(path.child("apiVersions"), ""))
    if len(versions) > 1 and "*" in versions:
        errs.append(field.invalid(path.child("apiVersions"), versions, "if '*' is present, must not specify other API versions"))
    for i, version in enumerate(versions):
        if version == "":
            errs.append(field.required(path.child("apiVersions").index(i), ""))
    errs.extend(validate_resources(rule.get("resources") or [], path.child("resources")))
    scope = rule.get("scope")
    if scope is not None and scope not in SCOPES:
        errs.append(field.not_supported(path.child("scope"), scope, sorted(SCOPES)))
    return errs


def validate_rule_with_operations(rule: Any, path: Path) -> list[FieldError]:
    rule = rule if isinstance(rule, dict) else {}
    errs: list[FieldError] = []
    operations = rule.get("operations") or []
    if not operations:
        errs.append(field.required(path.child("operations"), ""))
    if len(operations) > 1 and "*" in operations:
        errs.append(field.invalid(path.child("operations"), operations, "if '*' is present, must not specify other operations"))
    for i, op in enumerate(operations):
        if op not in OPERATIONS:
            errs.append(field.not_supported(path.child("operations").index(i), op, sorted(OPERATIONS)))
    return errs + validate_rule(rule, path)


def validate_named_rule(rule: Any, path: Path) -> list[FieldError]:
    rule = rule if isinstance(rule, dict) else {}
    errs: list[FieldError] = []
    seen: set[str] = set()
    for i, name in enumerate(rule.get("resourceNames") or ()):
        p = path.child("resourceNames").index(i)
        errs.extend(field.invalid(p, name, m) for m in rbac_common.is_valid_path_segment_name(name))
        if name in seen:
            errs.append(field.duplicate(p, name))
        seen.add(name)
    return errs + validate_rule_with_operations(rule, path)


def validate_match_resources(mr: Any, path: Path) -> list[FieldError]:
    if mr is None:
        return []
    mr = mr if isinstance(mr, dict) else {}
    errs: list[FieldError] = []
    policy = mr.get("matchPolicy")
    if policy is None:
        errs.append(field.required(path.child("matchPolicy"), ""))
    elif policy not in MATCH_POLICIES:
        errs.append(field.not_supported(path.child("matchPolicy"), policy, list(MATCH_POLICIES)))
    for key in ("namespaceSelector", "objectSelector"):
        if mr.get(key) is None:
            errs.append(field.required(path.child(key), ""))
        else:
            # Strict: this type came after issue #99139 was resolved.
            errs.extend(validate_label_selector(mr[key], path.child(key)))
    for key in ("resourceRules", "excludeResourceRules"):
        for i, rule in enumerate(mr.get(key) or ()):
            errs.extend(validate_named_rule(rule, path.child(key).index(i)))
    return errs


# --- CEL expressions ---


def validate_cel(expression: str, path: Path, variables: dict[str, str], return_types: tuple[str, ...]) -> list[FieldError]:
    """CompileCELExpression: a compile error, or an output type that is not one of `return_types`
    (`dyn` is allowed only where upstream says any type will do, written as `any`)."""
    compiled = cel.compile_expression(expression, variables)
    if compiled.error is not None:
        return [field.invalid(path, expression, compiled.error)]
    if "any" in return_types or compiled.output_type in return_types:
        return []
    if len(return_types) == 1:
        return [field.invalid(path, expression, f"must evaluate to {return_types[0]}")]
    return [field.invalid(path, expression, f"must evaluate to one of [{' '.join(return_types)}]")]


def validate_match_conditions(conditions: Any, path: Path, *, params: bool) -> list[FieldError]:
    """validateMatchConditions: at most 64, unique qualified names, bool expressions that may use
    `authorizer` (and `params` only on policies with a paramKind), never `variables`."""
    conditions = conditions if isinstance(conditions, list) else []
    errs: list[FieldError] = []
    if len(conditions) > MAX_MATCH_CONDITIONS:
        errs.append(field.too_many(path, len(conditions), MAX_MATCH_CONDITIONS))
    names: set[str] = set()
    variables = cel.admission_variables(params=params, authorizer=True)
    for i, cond in enumerate(conditions):
        cond = cond if isinstance(cond, dict) else {}
        p = path.index(i)
        expression = (cond.get("expression") or "").strip()
        if not expression:
            errs.append(field.required(p.child("expression"), ""))
        else:
            errs.extend(validate_cel(expression, p.child("expression"), variables, ("bool",)))
        name = cond.get("name") or ""
        if not name:
            errs.append(field.required(p.child("name"), ""))
        else:
            errs.extend(field.invalid(p.child("name"), name, m) for m in validation.is_qualified_name(name))
            if name in names:
                errs.append(field.duplicate(p.child("name"), name))
            names.add(name)
    return errs
