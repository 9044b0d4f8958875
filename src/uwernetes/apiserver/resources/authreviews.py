"""The create-only review kinds of authentication.k8s.io/v1 and authorization.k8s.io/v1: TokenReview,
SelfSubjectReview, SubjectAccessReview, SelfSubjectAccessReview, LocalSubjectAccessReview and
SelfSubjectRulesReview, plus the TokenRequest validation of serviceaccounts/token.

Nothing of these is stored: `apiserver/reviews.py` answers each POST. This module holds their
ResourceTypes (for discovery and OpenAPI) and upstream v1.30's validation as pure functions
(`pkg/apis/authorization/validation`, `pkg/apis/authentication/validation`).
"""

from __future__ import annotations

from typing import Any

from uwernetes.apiserver.resources.base import Obj, ResourceType, Strategy
from uwernetes.machinery import field
from uwernetes.machinery.field import FieldError, Path

AUTHENTICATION = "authentication.k8s.io"
AUTHORIZATION = "authorization.k8s.io"


class GoValue:
    """A bad value printed verbatim (Go's `%#v` of a struct), not quoted as a string would be."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


def _go_string(s: Any) -> str:
    return field.go_quote(str(s or ""))


def _go_strings(items: Any, type_name: str = "[]string") -> str:
    if not items:
        return f"{type_name}(nil)"
    return type_name + "{" + ", ".join(_go_string(i) for i in items) + "}"


def _go_map(m: Any) -> str:
    if not m:
        return "map[string]string(nil)"
    return "map[string]string{" + ", ".join(f"{_go_string(k)}:{_go_string(v)}" for k, v in sorted(m.items())) + "}"


def object_meta_value(meta: Obj) -> GoValue:
    """`%#v` of a metav1.ObjectMeta as field.Invalid prints it (time and references approximated)."""
    generation = meta.get("generation") or 0
    return GoValue(
        "v1.ObjectMeta{"
        f"Name:{_go_string(meta.get('name'))}, GenerateName:{_go_string(meta.get('generateName'))}, "
        f"Namespace:{_go_string(meta.get('namespace'))}, SelfLink:{_go_string(meta.get('selfLink'))}, "
        f"UID:{_go_string(meta.get('uid'))}, ResourceVersion:{_go_string(meta.get('resourceVersion'))}, "
        f"Generation:{generation}, CreationTimestamp:time.Date(1, time.January, 1, 0, 0, 0, 0, time.UTC), "
        "DeletionTimestamp:<nil>, DeletionGracePeriodSeconds:(*int64)(nil), "
        f"Labels:{_go_map(meta.get('labels'))}, Annotations:{_go_map(meta.get('annotations'))}, "
        "OwnerReferences:[]v1.OwnerReference(nil), "
        f"Finalizers:{_go_strings(meta.get('finalizers'))}, ManagedFields:[]v1.ManagedFieldsEntry(nil)"
        "}"
    )


def non_resource_attributes_value(attrs: Obj) -> GoValue:
    return GoValue(f"authorization.NonResourceAttributes{{Path:{_go_string(attrs.get('path'))}, "
                   f"Verb:{_go_string(attrs.get('verb'))}}}")


def is_meta_empty(meta: Any, ignore: tuple[str, ...] = ()) -> bool:
    """Whether ObjectMeta equals its zero value (managedFields aside): decoded protobuf bodies
    carry a null creationTimestamp, JSON ones may carry empty maps."""
    if not isinstance(meta, dict):
        return not meta
    return all(not v for k, v in meta.items() if k not in ("managedFields", *ignore))


# ---- authorization.k8s.io ----


def _validate_attributes_choice(spec: Obj, path: Path) -> list[FieldError]:
    errs: list[FieldError] = []
    resource, non_resource = spec.get("resourceAttributes"), spec.get("nonResourceAttributes")
    if resource is not None and non_resource is not None:
        errs.append(field.invalid(path.child("nonResourceAttributes"), non_resource_attributes_value(non_resource),
                                  "cannot be specified in combination with resourceAttributes"))
    if resource is None and non_resource is None:
        errs.append(field.invalid(path.child("resourceAttributes"), "null",
                                  "exactly one of nonResourceAttributes or resourceAttributes must be specified"))
    return errs


def validate_subject_access_review_spec(spec: Obj, path: Path) -> list[FieldError]:
    errs = _validate_attributes_choice(spec, path)
    if not spec.get("user") and not spec.get("groups"):
        errs.append(field.invalid(path.child("user"), spec.get("user") or "", "at least one of user or group must be specified"))
    return errs


def validate_subject_access_review(sar: Obj) -> list[FieldError]:
    errs = validate_subject_access_review_spec(sar.get("spec") or {}, Path("spec"))
    meta = sar.get("metadata") or {}
    if not is_meta_empty(meta):
        errs.append(field.invalid("metadata", object_meta_value(meta), "must be empty"))
    return errs


def validate_self_subject_access_review(sar: Obj) -> list[FieldError]:
    errs = _validate_attributes_choice(sar.get("spec") or {}, Path("spec"))
    meta = sar.get("metadata") or {}
    if not is_meta_empty(meta):
        errs.append(field.invalid("metadata", object_meta_value(meta), "must be empty"))
    return errs


def validate_local_subject_access_review(sar: Obj) -> list[FieldError]:
    spec = sar.get("spec") or {}
    errs = validate_subject_access_review_spec(spec, Path("spec"))
    meta = sar.get("metadata") or {}
    if not is_meta_empty(meta, ignore=("namespace",)):
        errs.append(field.invalid("metadata", object_meta_value(meta), "must be empty except for namespace"))
    resource = spec.get("resourceAttributes")
    if resource is not None and (resource.get("namespace") or "") != (meta.get("namespace") or ""):
        errs.append(field.invalid("spec.resourceAttributes.namespace", resource.get("namespace") or "",
                                  "must match metadata.namespace"))
    if spec.get("nonResourceAttributes") is not None:
        errs.append(field.invalid("spec.nonResourceAttributes",
                                  non_resource_attributes_value(spec["nonResourceAttributes"]),
                                  "disallowed on this kind of request"))
    return errs


# ---- authentication.k8s.io ----


def default_token_request(tr: Obj) -> None:
    """SetDefaults_TokenRequestSpec: an hour unless asked otherwise."""
    spec = tr.setdefault("spec", {})
    if spec.get("expirationSeconds") is None:
        spec["expirationSeconds"] = 3600


def validate_token_request(tr: Obj) -> list[FieldError]:
    errs: list[FieldError] = []
    seconds = (tr.get("spec") or {}).get("expirationSeconds") or 0
    path = Path("spec", "expirationSeconds")
    if seconds < 600:
        errs.append(field.invalid(path, seconds, "may not specify a duration less than 10 minutes"))
    if seconds > 1 << 32:
        errs.append(field.invalid(path, seconds, "may not specify a duration larger than 2^32 seconds"))
    return errs


# ---- resource types ----


class ReviewStrategy(Strategy):
    tracks_generation = False


def _review(group: str, kind: str, plural: str, namespaced: bool = False) -> ResourceType:
    return ResourceType(group=group, version="v1", kind=kind, plural=plural, namespaced=namespaced,
                        verbs=("create",), strategy=ReviewStrategy())


TOKENREVIEWS = _review(AUTHENTICATION, "TokenReview", "tokenreviews")
SELFSUBJECTREVIEWS = _review(AUTHENTICATION, "SelfSubjectReview", "selfsubjectreviews")
SUBJECTACCESSREVIEWS = _review(AUTHORIZATION, "SubjectAccessReview", "subjectaccessreviews")
SELFSUBJECTACCESSREVIEWS = _review(AUTHORIZATION, "SelfSubjectAccessReview", "selfsubjectaccessreviews")
LOCALSUBJECTACCESSREVIEWS = _review(AUTHORIZATION, "LocalSubjectAccessReview", "localsubjectaccessreviews", True)
SELFSUBJECTRULESREVIEWS = _review(AUTHORIZATION, "SelfSubjectRulesReview", "selfsubjectrulesreviews")

RESOURCES: list[ResourceType] = [
    TOKENREVIEWS,
    SELFSUBJECTREVIEWS,
    SUBJECTACCESSREVIEWS,
    SELFSUBJECTACCESSREVIEWS,
    LOCALSUBJECTACCESSREVIEWS,
    SELFSUBJECTRULESREVIEWS,
]
