import base64

import pytest

from uwernetes.apiserver.resources import secrets
from uwernetes.apiserver.resources.base import Context

S = secrets.SECRETS.strategy


def msgs(errs):
    return [str(e) for e in errs]


def b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


def test_defaults_type_and_merges_string_data():
    s = {"metadata": {"name": "s"}, "data": {"a": b64("old"), "b": b64("keep")}, "stringData": {"a": "new"}}
    S.default(s)
    assert s == {"metadata": {"name": "s"}, "data": {"a": b64("new"), "b": b64("keep")}, "type": "Opaque"}


def test_string_data_only():
    s = {"stringData": {"password": "p"}}
    S.default(s)
    assert s["data"] == {"password": b64("p")} and "stringData" not in s


@pytest.mark.parametrize(
    ("secret", "expected"),
    [
        pytest.param({"type": "Opaque", "data": {"k": b64("v")}}, [], id="opaque"),
        pytest.param(
            {"type": "kubernetes.io/service-account-token"},
            ["metadata.annotations[kubernetes.io/service-account.name]: Required value"],
            id="sa token without annotation",
        ),
        pytest.param(
            {"type": "kubernetes.io/service-account-token", "metadata": {"annotations": {"kubernetes.io/service-account.name": "default"}}},
            [],
            id="sa token",
        ),
        pytest.param({"type": "kubernetes.io/dockerconfigjson"}, ["data[.dockerconfigjson]: Required value"], id="dockerconfigjson missing"),
        pytest.param(
            {"type": "kubernetes.io/dockerconfigjson", "data": {".dockerconfigjson": b64("{nope")}},
            ["data[.dockerconfigjson]: Invalid value: \"<secret contents redacted>\": invalid character 'n' looking for beginning of value"],
            id="dockerconfigjson not json",
        ),
        pytest.param({"type": "kubernetes.io/dockerconfigjson", "data": {".dockerconfigjson": b64('{"auths":{}}')}}, [], id="dockerconfigjson ok"),
        pytest.param(
            {"type": "kubernetes.io/tls", "data": {"tls.crt": b64("c")}},
            ["data[tls.key]: Required value"],
            id="tls without key",
        ),
        pytest.param(
            {"type": "kubernetes.io/tls"},
            ["data[tls.crt]: Required value", "data[tls.key]: Required value"],
            id="tls empty",
        ),
        pytest.param(
            {"type": "kubernetes.io/basic-auth"},
            ["data[username]: Required value", "data[password]: Required value"],
            id="basic auth empty",
        ),
        pytest.param({"type": "kubernetes.io/basic-auth", "data": {"password": ""}}, [], id="basic auth password only"),
        pytest.param({"type": "kubernetes.io/ssh-auth"}, ["data[ssh-privatekey]: Required value"], id="ssh"),
        pytest.param(
            {"data": {"k": base64.b64encode(b"x" * (1024 * 1024 + 1)).decode()}},
            ["data: Too long: must have at most 1048576 bytes"],
            id="too big",
        ),
    ],
)
def test_validate(secret, expected):
    assert msgs(S.validate(secret, Context())) == expected


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param({"type": "Opaque"}, {"type": "kubernetes.io/tls", "data": {"tls.crt": "", "tls.key": ""}}, ['type: Invalid value: "kubernetes.io/tls": field is immutable'], id="type immutable"),
        pytest.param(
            {"type": "Opaque", "immutable": True, "data": {"a": b64("1")}},
            {"type": "Opaque", "immutable": True, "data": {"a": b64("2")}},
            ["data: Forbidden: field is immutable when `immutable` is set"],
            id="immutable data",
        ),
        pytest.param(
            {"type": "Opaque", "immutable": True},
            {"type": "Opaque"},
            ["immutable: Forbidden: field is immutable when `immutable` is set"],
            id="cannot unset immutable",
        ),
    ],
)
def test_validate_update(old, new, expected):
    assert msgs(S.validate_update(new, old, Context())) == expected


def test_printer():
    s = {"metadata": {"name": "tok"}, "type": "Opaque", "data": {"a": "", "b": ""}}
    assert secrets.table_row(s)[:3] == ["tok", "Opaque", 2]
    assert [c.name for c in secrets.PRINTER.columns] == ["Name", "Type", "Data", "Age"]
    assert secrets.SECRETS.short_names == ()
