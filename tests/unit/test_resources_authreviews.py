"""Validation of the access review kinds (upstream pkg/apis/authorization/validation)."""

from __future__ import annotations

import pytest

from uwernetes.apiserver.resources import authreviews as ar

RES = {"verb": "get", "resource": "pods", "namespace": "ns"}
NON = {"verb": "get", "path": "/api"}


@pytest.mark.parametrize(("fn", "obj", "want"), [
    pytest.param(ar.validate_self_subject_access_review, {"spec": {"resourceAttributes": RES}}, [], id="ssar ok"),
    pytest.param(ar.validate_self_subject_access_review,
                 {"metadata": {"creationTimestamp": None, "labels": {}}, "spec": {"nonResourceAttributes": NON}}, [],
                 id="zero metadata from a protobuf body is empty"),
    pytest.param(ar.validate_self_subject_access_review, {"spec": {}},
                 ['spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or '
                  "resourceAttributes must be specified"], id="neither attributes"),
    pytest.param(ar.validate_self_subject_access_review, {"spec": {"resourceAttributes": RES, "nonResourceAttributes": NON}},
                 ['spec.nonResourceAttributes: Invalid value: authorization.NonResourceAttributes{Path:"/api", '
                  'Verb:"get"}: cannot be specified in combination with resourceAttributes'], id="both attributes"),
    pytest.param(ar.validate_subject_access_review, {"spec": {"resourceAttributes": RES}},
                 ['spec.user: Invalid value: "": at least one of user or group must be specified'], id="sar without user"),
    pytest.param(ar.validate_subject_access_review, {"spec": {"resourceAttributes": RES, "groups": ["g"]}}, [],
                 id="sar with a group only"),
    pytest.param(ar.validate_local_subject_access_review,
                 {"metadata": {"namespace": "ns"}, "spec": {"resourceAttributes": RES, "user": "u"}}, [], id="lsar ok"),
    pytest.param(ar.validate_local_subject_access_review,
                 {"metadata": {"namespace": "other"}, "spec": {"resourceAttributes": RES, "user": "u"}},
                 ['spec.resourceAttributes.namespace: Invalid value: "ns": must match metadata.namespace'],
                 id="lsar namespace mismatch"),
    pytest.param(ar.validate_local_subject_access_review,
                 {"metadata": {"namespace": "ns"}, "spec": {"nonResourceAttributes": NON, "user": "u"}},
                 ['spec.nonResourceAttributes: Invalid value: authorization.NonResourceAttributes{Path:"/api", '
                  'Verb:"get"}: disallowed on this kind of request'], id="lsar non-resource"),
])
def test_validation(fn, obj, want):
    assert [str(e) for e in fn(obj)] == want


def test_metadata_must_be_empty():
    errs = ar.validate_self_subject_access_review({"metadata": {"name": "x"}, "spec": {"resourceAttributes": RES}})
    assert len(errs) == 1
    assert str(errs[0]).startswith('metadata: Invalid value: v1.ObjectMeta{Name:"x", GenerateName:"", ')
    assert str(errs[0]).endswith(": must be empty")


def test_review_kinds_are_create_only():
    assert {(r.group, r.plural, r.namespaced, r.verbs) for r in ar.RESOURCES} == {
        ("authentication.k8s.io", "tokenreviews", False, ("create",)),
        ("authentication.k8s.io", "selfsubjectreviews", False, ("create",)),
        ("authorization.k8s.io", "subjectaccessreviews", False, ("create",)),
        ("authorization.k8s.io", "selfsubjectaccessreviews", False, ("create",)),
        ("authorization.k8s.io", "localsubjectaccessreviews", True, ("create",)),
        ("authorization.k8s.io", "selfsubjectrulesreviews", False, ("create",)),
    }
