"""metav1.Status bodies, byte for byte (clients and kubectl read them)."""

from uwernetes.machinery import errors, field


def test_not_found_body_is_upstreams_bytes():
    err = errors.not_found("configmaps", "x")
    assert err.body() == (
        b'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps \\"x\\" not found",'
        b'"reason":"NotFound","details":{"name":"x","kind":"configmaps"},"code":404}\n'
    )


def test_grouped_resource_names_are_qualified():
    err = errors.already_exists("deployments", "web", "apps")
    assert err.message == 'deployments.apps "web" already exists'
    assert err.details == {"name": "web", "group": "apps", "kind": "deployments"}


def test_invalid_rebuilds_like_upstream():
    errs = [field.required("spec.containers", ""), field.invalid("metadata.name", "Bad", "must be lowercase")]
    err = errors.invalid("Pod", "bad", errs)
    assert err.code == 422
    assert err.message == 'Pod "bad" is invalid: [spec.containers: Required value, metadata.name: Invalid value: "Bad": must be lowercase]'
    assert err.details["kind"] == "Pod"
    assert err.details["causes"][0] == {"reason": "FieldValueRequired", "message": "Required value", "field": "spec.containers"}


def test_single_error_prints_bare_and_duplicates_collapse():
    e = field.forbidden("spec", "nope")
    assert errors.invalid("Job", "j", [e, e], "batch").message == 'Job.batch "j" is invalid: spec: Forbidden: nope'


def test_conflict_message():
    err = errors.conflict("pods", "web-1", errors.OBJECT_MODIFIED)
    assert err.message == (
        'Operation cannot be fulfilled on pods "web-1": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )
