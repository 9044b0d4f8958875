"""The RBAC authorizer as pure functions over plain Role/ClusterRole/(Cluster)RoleBinding dicts.

Mirrors upstream v1.30 `plugin/pkg/auth/authorizer/rbac/rbac.go` (RuleAllows, Authorize, RulesFor),
`pkg/registry/rbac/validation/rule.go` (VisitRulesFor, appliesTo, the binding describers behind the
reason strings) and `pkg/apis/rbac/v1/evaluation_helpers.go` (verb/group/resource/name/URL matching).

RBAC only ever allows: a request no rule grants gets "no-opinion", with a reason only when some
binding could not be resolved (its role is missing), as upstream reports resolution errors.
Bindings are visited ClusterRoleBindings first, then the RoleBindings of the request's namespace,
each list in name order (upstream walks informer caches, whose order is unspecified).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

ALLOW = "allow"
NO_OPINION = "no-opinion"

Obj = Mapping[str, Any]


@dataclass(frozen=True)
class Attributes:
    """What a request asks to do (authorizer.AttributesRecord without the user)."""

    verb: str
    namespace: str = ""
    api_group: str = ""
    api_version: str = "*"
    resource: str = ""
    subresource: str = ""
    name: str = ""
    path: str = ""
    resource_request: bool = True


def service_account_username(namespace: str, name: str) -> str:
    return f"system:serviceaccount:{namespace}:{name}"


# ---- rule matching (evaluation_helpers.go) ----


def verb_matches(rule: Obj, verb: str) -> bool:
    return any(v == "*" or v == verb for v in rule.get("verbs") or ())


def api_group_matches(rule: Obj, group: str) -> bool:
    return any(g == "*" or g == group for g in rule.get("apiGroups") or ())


def resource_matches(rule: Obj, combined: str, subresource: str) -> bool:
    for r in rule.get("resources") or ():
        if r == "*" or r == combined:
            return True
        # "*/scale" grants the scale subresource of every resource.
        if subresource and r == "*/" + subresource:
            return True
    return False


def resource_name_matches(rule: Obj, name: str) -> bool:
    names = rule.get("resourceNames") or ()
    return not names or name in names


def non_resource_url_matches(rule: Obj, path: str) -> bool:
    for url in rule.get("nonResourceURLs") or ():
        if url == "*" or url == path:
            return True
        if url.endswith("*") and path.startswith(url.rstrip("*")):
            return True
    return False


def rule_allows(attrs: Attributes, rule: Obj) -> bool:
    """RuleAllows: whether one PolicyRule grants the request."""
    if attrs.resource_request:
        combined = f"{attrs.resource}/{attrs.subresource}" if attrs.subresource else attrs.resource
        return (
            verb_matches(rule, attrs.verb)
            and api_group_matches(rule, attrs.api_group)
            and resource_matches(rule, combined, attrs.subresource)
            and resource_name_matches(rule, attrs.name)
        )
    return verb_matches(rule, attrs.verb) and non_resource_url_matches(rule, attrs.path)


# ---- subjects (rule.go appliesTo) ----


def applies_to_user(user: str, groups: Sequence[str], subject: Obj, namespace: str) -> bool:
    kind = subject.get("kind")
    name = subject.get("name") or ""
    if kind == "User":
        return user == name
    if kind == "Group":
        return name in groups
    if kind == "ServiceAccount":
        # A ServiceAccount subject without a namespace means the binding's own namespace.
        sa_namespace = subject.get("namespace") or namespace
        return bool(sa_namespace) and user == service_account_username(sa_namespace, name)
    return False


def _first_applying(user: str, groups: Sequence[str], subjects: Iterable[Obj], namespace: str) -> Obj | None:
    for subject in subjects or ():
        if applies_to_user(user, groups, subject, namespace):
            return subject
    return None


def describe_subject(subject: Obj, binding_namespace: str) -> str:
    kind, name = subject.get("kind") or "", subject.get("name") or ""
    if kind == "ServiceAccount":
        return f'{kind} "{name}/{subject.get("namespace") or binding_namespace}"'
    return f'{kind} "{name}"'


# ---- visiting the rules that apply to a user ----


def _name(obj: Obj) -> str:
    return (obj.get("metadata") or {}).get("name") or ""


def _namespace(obj: Obj) -> str:
    return (obj.get("metadata") or {}).get("namespace") or ""


def _index(objs: Iterable[Obj], namespaced: bool) -> dict[tuple[str, str], Obj]:
    return {(_namespace(o) if namespaced else "", _name(o)): o for o in objs}


def _role_rules(ref: Obj, namespace: str, roles: dict, cluster_roles: dict) -> tuple[list[Obj] | None, str]:
    """GetRoleReferenceRules: (rules, "") or (None, error) as the listers word a missing role."""
    kind, name = ref.get("kind"), ref.get("name") or ""
    if kind == "Role":
        role = roles.get((namespace, name))
        if role is None:
            return None, f'role.rbac.authorization.k8s.io "{name}" not found'
        return list(role.get("rules") or ()), ""
    if kind == "ClusterRole":
        role = cluster_roles.get(("", name))
        if role is None:
            return None, f'clusterrole.rbac.authorization.k8s.io "{name}" not found'
        return list(role.get("rules") or ()), ""
    return None, f'unsupported role reference kind: "{kind}"'


Visitor = Callable[[str, Obj | None, str], bool]


def visit_rules_for(
    user: str,
    groups: Sequence[str],
    namespace: str,
    roles: Iterable[Obj],
    cluster_roles: Iterable[Obj],
    role_bindings: Iterable[Obj],
    cluster_role_bindings: Iterable[Obj],
    visitor: Visitor,
) -> None:
    """Call visitor(source, rule, error) for each rule granted to the user in namespace ("" = cluster
    scope only) and each resolution error; visiting stops when the visitor returns False."""
    role_index = _index(roles, True)
    cluster_index = _index(cluster_roles, False)
    for crb in sorted(cluster_role_bindings, key=_name):
        subject = _first_applying(user, groups, crb.get("subjects") or (), "")
        if subject is None:
            continue
        ref = crb.get("roleRef") or {}
        rules, err = _role_rules(ref, "", role_index, cluster_index)
        if rules is None:
            if not visitor("", None, err):
                return
            continue
        source = (f'ClusterRoleBinding "{_name(crb)}" of {ref.get("kind")} "{ref.get("name")}" '
                  f"to {describe_subject(subject, '')}")
        for rule in rules:
            if not visitor(source, rule, ""):
                return
    if not namespace:
        return
    for rb in sorted((b for b in role_bindings if _namespace(b) == namespace), key=_name):
        subject = _first_applying(user, groups, rb.get("subjects") or (), namespace)
        if subject is None:
            continue
        ref = rb.get("roleRef") or {}
        rules, err = _role_rules(ref, namespace, role_index, cluster_index)
        if rules is None:
            if not visitor("", None, err):
                return
            continue
        source = (f'RoleBinding "{_name(rb)}/{namespace}" of {ref.get("kind")} "{ref.get("name")}" '
                  f"to {describe_subject(subject, namespace)}")
        for rule in rules:
            if not visitor(source, rule, ""):
                return


def aggregate_errors(errs: Sequence[str]) -> str:
    """utilerrors.NewAggregate(...).Error(): one error bare, several as `[a, b]` (duplicates once)."""
    unique = list(dict.fromkeys(errs))
    return unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"


def authorize(
    user: str,
    groups: Sequence[str],
    attributes: Attributes,
    roles: Iterable[Obj],
    cluster_roles: Iterable[Obj],
    role_bindings: Iterable[Obj],
    cluster_role_bindings: Iterable[Obj],
) -> tuple[str, str]:
    """RBACAuthorizer.Authorize: ("allow", `RBAC: allowed by …`) or ("no-opinion", reason)."""
    found: list[str] = []
    errs: list[str] = []

    def visit(source: str, rule: Obj | None, err: str) -> bool:
        if rule is not None and rule_allows(attributes, rule):
            found.append(f"RBAC: allowed by {source}")
            return False
        if err:
            errs.append(err)
        return True

    visit_rules_for(user, groups, attributes.namespace, roles, cluster_roles, role_bindings,
                    cluster_role_bindings, visit)
    if found:
        return ALLOW, found[0]
    return NO_OPINION, f"RBAC: {aggregate_errors(errs)}" if errs else ""


def rules_for(
    user: str,
    groups: Sequence[str],
    namespace: str,
    roles: Iterable[Obj],
    cluster_roles: Iterable[Obj],
    role_bindings: Iterable[Obj],
    cluster_role_bindings: Iterable[Obj],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str]:
    """RBACAuthorizer.RulesFor: (resource rules, non-resource rules, evaluation error) in the shape of
    SubjectRulesReviewStatus; a rule with both resources and URLs contributes to both lists."""
    resource_rules: list[dict[str, Any]] = []
    url_rules: list[dict[str, Any]] = []
    errs: list[str] = []

    def visit(source: str, rule: Obj | None, err: str) -> bool:
        if rule is not None:
            if rule.get("resources"):
                r: dict[str, Any] = {"verbs": list(rule.get("verbs") or [])}
                if rule.get("apiGroups"):
                    r["apiGroups"] = list(rule["apiGroups"])
                r["resources"] = list(rule["resources"])
                if rule.get("resourceNames"):
                    r["resourceNames"] = list(rule["resourceNames"])
                resource_rules.append(r)
            if rule.get("nonResourceURLs"):
                url_rules.append({"verbs": list(rule.get("verbs") or []), "nonResourceURLs": list(rule["nonResourceURLs"])})
        if err:
            errs.append(err)
        return True

    visit_rules_for(user, groups, namespace, roles, cluster_roles, role_bindings, cluster_role_bindings, visit)
    return resource_rules, url_rules, aggregate_errors(errs) if errs else ""
