"""What the four rbac.authorization.k8s.io/v1 kinds share: defaulting of roleRef and subjects,
upstream's `pkg/apis/rbac/validation` (policy rules, roleRef, subjects, path-segment names) and
the Table printers of `pkg/printers/internalversion/printers.go` (printRole, printRoleBinding).

Roles and bindings have no spec/status split, so none of them tracks `metadata.generation`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from uwernetes.apiserver.resources import core_common as common
from uwernetes.apiserver.resources.base import Column, Context, Obj, Printer, Strategy
from uwernetes.machinery import field, validation
from uwernetes.machinery.field import FieldError, Path

GROUP = "rbac.authorization.k8s.io"
SERVICE_ACCOUNT_KIND = "ServiceAccount"
USER_KIND = "User"
GROUP_KIND = "Group"


def is_valid_path_segment_name(name: str) -> list[str]:
    """apimachinery path.IsValidPathSegmentName: what a name needs to sit in a URL path."""
    for illegal in (".", ".."):
        if name == illegal:
            return [f"may not be '{illegal}'"]
    return [f"may not contain '{c}'" for c in ("/", "%") if c in name]


# ValidateRBACName: roles and bindings accept any name that is a valid path segment
# (upstream keeps it as loose as OpenShift's, so `system:node` style names work).
validate_rbac_name = is_valid_path_segment_name


# --- defaulting (pkg/apis/rbac/v1/defaults.go) ---


def default_subjects(obj: Obj) -> None:
    for subject in obj.get("subjects") or ():
        if isinstance(subject, dict) and not subject.get("apiGroup"):
            if subject.get("kind") in (USER_KIND, GROUP_KIND):
                subject["apiGroup"] = GROUP
            elif subject.get("kind") == SERVICE_ACCOUNT_KIND:
                subject["apiGroup"] = ""


def default_binding(obj: Obj) -> None:
    ref = obj.get("roleRef")
    if isinstance(ref, dict) and not ref.get("apiGroup"):
        ref["apiGroup"] = GROUP
    default_subjects(obj)


# --- validation (pkg/apis/rbac/validation/validation.go) ---


def validate_policy_rule(rule: Any, namespaced: bool, path: Path) -> list[FieldError]:
    rule = rule if isinstance(rule, dict) else {}
    errs: list[FieldError] = []
    if not rule.get("verbs"):
        errs.append(field.required(path.child("verbs"), "verbs must contain at least one value"))
    urls = rule.get("nonResourceURLs") or []
    if urls:
        if namespaced:
            errs.append(field.invalid(path.child("nonResourceURLs"), urls, "namespaced rules cannot apply to non-resource URLs"))
        if rule.get("apiGroups") or rule.get("resources") or rule.get("resourceNames"):
            errs.append(field.invalid(path.child("nonResourceURLs"), urls, "rules cannot apply to both regular resources and non-resource URLs"))
        return errs
    if not rule.get("apiGroups"):
        errs.append(field.required(path.child("apiGroups"), "resource rules must supply at least one api group"))
    if not rule.get("resources"):
        errs.append(field.required(path.child("resources"), "resource rules must supply at least one resource"))
    return errs


def validate_rules(obj: Obj, namespaced: bool) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, rule in enumerate(obj.get("rules") or ()):
        errs.extend(validate_policy_rule(rule, namespaced, Path("rules").index(i)))
    return errs


def validate_role_ref(ref: Any, kinds: tuple[str, ...]) -> list[FieldError]:
    ref = ref if isinstance(ref, dict) else {}
    errs: list[FieldError] = []
    if (ref.get("apiGroup") or "") != GROUP:
        errs.append(field.not_supported("roleRef.apiGroup", ref.get("apiGroup") or "", [GROUP]))
    if ref.get("kind") not in kinds:
        errs.append(field.not_supported("roleRef.kind", ref.get("kind") or "", list(kinds)))
    name = ref.get("name") or ""
    if not name:
        errs.append(field.required("roleRef.name", ""))
    else:
        errs.extend(field.invalid("roleRef.name", name, m) for m in validate_rbac_name(name))
    return errs


def validate_subject(subject: Any, namespaced: bool, path: Path) -> list[FieldError]:
    subject = subject if isinstance(subject, dict) else {}
    errs: list[FieldError] = []
    name = subject.get("name") or ""
    api_group = subject.get("apiGroup") or ""
    kind = subject.get("kind") or ""
    if not name:
        errs.append(field.required(path.child("name"), ""))
    if kind == SERVICE_ACCOUNT_KIND:
        if name:
            errs.extend(field.invalid(path.child("name"), name, m) for m in validation.is_dns1123_subdomain(name))
        if api_group:
            errs.append(field.not_supported(path.child("apiGroup"), api_group, [""]))
        if not namespaced and not subject.get("namespace"):
            errs.append(field.required(path.child("namespace"), ""))
    elif kind in (USER_KIND, GROUP_KIND):
        if api_group != GROUP:
            errs.append(field.not_supported(path.child("apiGroup"), api_group, [GROUP]))
    else:
        errs.append(field.not_supported(path.child("kind"), kind, [SERVICE_ACCOUNT_KIND, USER_KIND, GROUP_KIND]))
    return errs


def validate_binding(obj: Obj, namespaced: bool, kinds: tuple[str, ...]) -> list[FieldError]:
    errs = validate_role_ref(obj.get("roleRef"), kinds)
    for i, subject in enumerate(obj.get("subjects") or ()):
        errs.extend(validate_subject(subject, namespaced, Path("subjects").index(i)))
    return errs


@dataclass(frozen=True)
class GoRoleRef:
    """A roleRef printed as Go's `%#v` prints the internal struct, for the update error."""

    api_group: str
    kind: str
    name: str

    def __str__(self) -> str:
        q = field.go_quote
        return f"rbac.RoleRef{{APIGroup:{q(self.api_group)}, Kind:{q(self.kind)}, Name:{q(self.name)}}}"


def role_ref_of(obj: Obj) -> GoRoleRef:
    ref = obj.get("roleRef") if isinstance(obj.get("roleRef"), dict) else {}
    return GoRoleRef(ref.get("apiGroup") or "", ref.get("kind") or "", ref.get("name") or "")


def validate_role_ref_unchanged(new: Obj, old: Obj) -> list[FieldError]:
    if role_ref_of(new) != role_ref_of(old):
        return [field.invalid("roleRef", role_ref_of(new), "cannot change roleRef")]
    return []


# --- strategies ---


class RBACStrategy(Strategy):
    """Roles and bindings: no status, no generation, path-segment names."""

    tracks_generation = False
    name_check = staticmethod(validate_rbac_name)


class BindingStrategy(RBACStrategy):
    namespaced = True
    role_kinds: tuple[str, ...] = ("Role", "ClusterRole")

    def default(self, obj: Obj) -> None:
        default_binding(obj)

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return validate_binding(obj, self.namespaced, self.role_kinds)

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_binding(new, self.namespaced, self.role_kinds) + validate_role_ref_unchanged(new, old)


# --- printing ---


def created_at(obj: Obj) -> str:
    """printRole's CREATED AT: the creation time in RFC 3339, UTC."""
    ts = (obj.get("metadata") or {}).get("creationTimestamp")
    if not ts:
        return "0001-01-01T00:00:00Z"  # Go's zero time, which is what an unset one prints
    when = datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def role_row(obj: Obj, now: datetime | None = None) -> list[Any]:
    return [common.name_of(obj), created_at(obj)]


ROLE_PRINTER = Printer(
    columns=[common.name_column(), Column("Created At", "date", "", common.AGE_DESCRIPTION)],
    row=role_row,
)


def subjects_strings(subjects: Any) -> tuple[list[str], list[str], list[str]]:
    """rbac.SubjectsStrings: users, groups and `namespace/name` service accounts."""
    users: list[str] = []
    groups: list[str] = []
    sas: list[str] = []
    for s in subjects or ():
        if not isinstance(s, dict):
            continue
        kind = s.get("kind")
        if kind == SERVICE_ACCOUNT_KIND:
            sas.append(f"{s.get('namespace') or ''}/{s.get('name') or ''}")
        elif kind == USER_KIND:
            users.append(s.get("name") or "")
        elif kind == GROUP_KIND:
            groups.append(s.get("name") or "")
    return users, groups, sas


def binding_row(obj: Obj, now: datetime | None = None) -> list[Any]:
    ref = obj.get("roleRef") if isinstance(obj.get("roleRef"), dict) else {}
    users, groups, sas = subjects_strings(obj.get("subjects"))
    return [
        common.name_of(obj),
        f"{ref.get('kind') or ''}/{ref.get('name') or ''}",
        common.age(obj, now),
        ", ".join(users),
        ", ".join(groups),
        ", ".join(sas),
    ]


ROLE_REF_DESCRIPTION = (
    "RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. "
    "If the RoleRef cannot be resolved, the Authorizer must return an error."
)


def binding_printer(noun: str) -> Printer:
    return Printer(
        columns=[
            common.name_column(),
            Column("Role", "string", "", ROLE_REF_DESCRIPTION),
            common.age_column(),
            common.wide("Users", f"Users in the {noun}"),
            common.wide("Groups", f"Groups in the {noun}"),
            common.wide("ServiceAccounts", f"ServiceAccounts in the {noun}"),
        ],
        row=binding_row,
    )
