"""Server-side field validation: unknown/duplicate field paths and upstream's exact messages."""

import pytest

from uwernetes.machinery import strict


def pod(**spec_extra):
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "labels": {"any-key": "v"}, "annotations": {"a": "b"}},
        "spec": {"containers": [{"name": "c", "image": "nginx"}], **spec_extra},
    }


UNKNOWN_CASES = {
    "clean pod": (("", "v1", "Pod"), pod(), []),
    "unknown spec field": (("", "v1", "Pod"), pod(foo=1), ["spec.foo"]),
    "unknown field inside a list item": (
        ("", "v1", "Pod"),
        pod(containers=[{"name": "a", "image": "x"}, {"name": "b", "image": "x", "bogus": True}]),
        ["spec.containers[1].bogus"],
    ),
    "nested list inside list": (
        ("", "v1", "Pod"),
        pod(containers=[{"name": "a", "ports": [{"containerPort": 80, "zz": 1}]}]),
        ["spec.containers[0].ports[0].zz"],
    ),
    "scheduling gate item": (
        ("", "v1", "Pod"),
        pod(schedulingGates=[{"name": "g", "extra": 1}]),
        ["spec.schedulingGates[0].extra"],
    ),
    "metadata is a struct": (
        ("", "v1", "Pod"),
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "foo": 1}},
        ["metadata.foo"],
    ),
    "case matters": (("", "v1", "Pod"), pod(NodeName="x"), ["spec.NodeName"]),
    "unknown top-level key": (("", "v1", "Pod"), {**pod(), "extra": {}}, ["extra"]),
    "map keys are free": (
        ("", "v1", "ConfigMap"),
        {"apiVersion": "v1", "kind": "ConfigMap", "data": {"anything": "x", "b": "y"}},
        [],
    ),
    "status is not a ConfigMap field": (
        ("", "v1", "ConfigMap"),
        {"apiVersion": "v1", "kind": "ConfigMap", "status": {}},
        ["status"],
    ),
    "status is a Pod field": (("", "v1", "Pod"), {**pod(), "status": {"phase": "Running"}}, []),
    "quantities and int-or-string are leaves": (
        ("apps", "v1", "Deployment"),
        {
            "spec": {
                "strategy": {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}},
                "template": {"spec": {"containers": [{"name": "c", "resources": {"limits": {"cpu": "1"}}}]}},
            }
        },
        [],
    ),
    "deep in a deployment template": (
        ("apps", "v1", "Deployment"),
        {"spec": {"template": {"metadata": {"labelz": {}}, "spec": {"containers": [{"name": "c", "x": 1}]}}}},
        ["spec.template.metadata.labelz", "spec.template.spec.containers[0].x"],
    ),
    "values of unknown fields are not looked into": (
        ("", "v1", "Pod"),
        pod(foo={"bar": 1}),
        ["spec.foo"],
    ),
    "nulls are fine": (("", "v1", "Pod"), pod(affinity=None, tolerations=None), []),
    "raw extension holds anything": (
        ("apps", "v1", "ControllerRevision"),
        {"data": {"whatever": {"deep": 1}}, "revision": 1},
        [],
    ),
    "managed fields content is opaque": (
        ("", "v1", "Pod"),
        {"metadata": {"managedFields": [{"manager": "m", "fieldsV1": {"f:spec": {}}, "bad": 1}]}},
        ["metadata.managedFields[0].bad"],
    ),
    "unknown kind has no schema": (("example.com", "v1", "Widget"), {"spec": {"x": 1}}, []),
}


@pytest.mark.parametrize("gvk,obj,expected", UNKNOWN_CASES.values(), ids=UNKNOWN_CASES.keys())
def test_unknown_fields(gvk, obj, expected):
    assert strict.unknown_fields(obj, *gvk) == expected


DUPLICATE_CASES = {
    "none": (b'{"a": 1, "b": {"a": 1}}', []),
    "top level": (b'{"a": 1, "a": 2}', ["a"]),
    "nested": (b'{"metadata": {"name": "x", "name": "y"}}', ["metadata.name"]),
    "map key": (b'{"metadata": {"labels": {"k": "1", "k": "2"}}}', ["metadata.labels.k"]),
    "inside a list": (
        b'{"spec": {"containers": [{"name": "a"}, {"name": "b", "name": "c"}]}}',
        ["spec.containers[1].name"],
    ),
    "reported once": (b'{"a": 1, "a": 2, "a": 3}', ["a"]),
}


@pytest.mark.parametrize("raw,expected", DUPLICATE_CASES.values(), ids=DUPLICATE_CASES.keys())
def test_duplicate_fields(raw, expected):
    assert strict.duplicate_fields(raw) == expected


def test_strict_problems_are_in_document_order_and_deduplicated():
    raw = (
        b'{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","name":"b"},'
        b'"spec":{"foo":1,"containers":[{"name":"c","x":1}]},"spec":{"foo":2}}'
    )
    assert strict.strict_problems(raw, "", "v1", "Pod") == [
        'duplicate field "metadata.name"',
        'unknown field "spec.foo"',
        'unknown field "spec.containers[0].x"',
        'duplicate field "spec"',
    ]


def test_problems_are_capped_at_100():
    obj = {"spec": {f"f{i:03}": 1 for i in range(150)}}
    assert len(strict.unknown_fields(obj, "", "v1", "Pod")) == 100


def test_strict_error_message_matches_upstream():
    err = strict.strict_error("Pod", "v1", ['unknown field "spec.foo"'])
    assert (err.code, err.reason) == (400, "BadRequest")
    assert (
        err.message
        == 'Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.foo"'
    )


def test_strict_error_joins_problems_and_prints_bare_version():
    err = strict.strict_error(
        "Deployment", "apps/v1", strict.problems(["spec.foo", "spec.bar"], duplicates=["metadata.name"])
    )
    assert err.message == (
        'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: '
        'duplicate field "metadata.name", unknown field "spec.foo", unknown field "spec.bar"'
    )


def test_warn_mode_gives_one_warning_per_problem():
    raw = b'{"spec":{"foo":1,"bar":2}}'
    assert strict.warnings(strict.strict_problems(raw, "", "v1", "Pod")) == [
        'unknown field "spec.foo"',
        'unknown field "spec.bar"',
    ]


def test_patch_error_is_invalid_on_field_patch():
    err = strict.strict_patch_error('{"spec":{"foo":1}}', ['unknown field "spec.foo"'])
    assert (err.code, err.reason) == (422, "Invalid")
    assert err.message == (
        ' "" is invalid: patch: Invalid value: "{\\"spec\\":{\\"foo\\":1}}": '
        'strict decoding error: unknown field "spec.foo"'
    )
    assert err.details["causes"][0]["field"] == "patch"


CRD_SCHEMA = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "properties": {
                "size": {"type": "integer"},
                "port": {"x-kubernetes-int-or-string": True},
                "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                "tags": {"type": "object", "additionalProperties": {"type": "string"}},
                "inner": {
                    "type": "object",
                    "x-kubernetes-embedded-resource": True,
                    "properties": {"spec": {"type": "object", "properties": {"a": {"type": "string"}}}},
                },
            },
        }
    },
}

CRD_CASES = {
    "known": ({"spec": {"size": 1, "port": "http"}}, []),
    "unknown": ({"spec": {"sizee": 1}}, ["spec.sizee"]),
    "preserve-unknown-fields keeps anything": ({"spec": {"free": {"a": {"b": 1}}}}, []),
    "map values": ({"spec": {"tags": {"x": "y"}}}, []),
    "embedded resource allows type and metadata": (
        {
            "spec": {
                "inner": {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {"name": "x", "bad": 1},
                    "spec": {"b": 1},
                }
            }
        },
        ["spec.inner.metadata.bad", "spec.inner.spec.b"],
    ),
}


@pytest.mark.parametrize("obj,expected", CRD_CASES.values(), ids=CRD_CASES.keys())
def test_compiled_crd_schema(obj, expected):
    node = strict.compile_schema(CRD_SCHEMA)
    assert strict.unknown_fields_in(obj, node) == expected
