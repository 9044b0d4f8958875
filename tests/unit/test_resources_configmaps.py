import base64

import pytest

from uwernetes.apiserver.resources import configmaps
from uwernetes.apiserver.resources.base import Context
from uwernetes.machinery.errors import StatusError

S = configmaps.CONFIGMAPS.strategy


def msgs(errs):
    return [str(e) for e in errs]


def b64(s: bytes) -> str:
    return base64.b64encode(s).decode()


@pytest.mark.parametrize(
    ("cm", "expected"),
    [
        pytest.param({"data": {"a.txt": "x", "KEY_1": "y"}}, [], id="valid keys"),
        pytest.param(
            {"data": {"a b": "x"}},
            ["data[a b]: Invalid value: \"a b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"],
            id="bad key",
        ),
        pytest.param({"data": {"..x": "x"}}, ["data[..x]: Invalid value: \"..x\": must not start with '..'"], id="dotdot key"),
        pytest.param(
            {"data": {"k": "x"}, "binaryData": {"k": b64(b"y")}},
            ['data[k]: Invalid value: "k": duplicate of key present in binaryData'],
            id="overlap",
        ),
        pytest.param({"data": {"k": "x" * (1024 * 1024)}}, [], id="exactly 1MiB"),
        pytest.param(
            {"data": {"k": "x" * (1024 * 1024)}, "binaryData": {"b": b64(b"z")}},
            ["Too long: must have at most 1048576 bytes"],
            id="over 1MiB counting binaryData",
        ),
    ],
)
def test_validate(cm, expected):
    assert msgs(S.validate(cm, Context())) == expected


def test_too_long_cause_has_empty_field():
    (err,) = S.validate({"data": {"k": "x" * (1024 * 1024 + 1)}}, Context())
    assert err.cause() == {"reason": "FieldValueTooLong", "message": "Too long: must have at most 1048576 bytes", "field": ""}


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param({"data": {"a": "1"}}, {"data": {"a": "2"}}, [], id="mutable"),
        pytest.param({"immutable": True, "data": {"a": "1"}}, {"immutable": True, "data": {"a": "1"}}, [], id="unchanged immutable"),
        pytest.param(
            {"immutable": True, "data": {"a": "1"}},
            {"immutable": True, "data": {"a": "2"}},
            ["data: Forbidden: field is immutable when `immutable` is set"],
            id="data changed",
        ),
        pytest.param(
            {"immutable": True, "binaryData": {"a": b64(b"1")}},
            {"immutable": False, "binaryData": {"a": b64(b"2")}},
            ["immutable: Forbidden: field is immutable when `immutable` is set", "binaryData: Forbidden: field is immutable when `immutable` is set"],
            id="unset immutable and binaryData changed",
        ),
    ],
)
def test_validate_update(old, new, expected):
    assert msgs(S.validate_update(new, old, Context())) == expected


def test_bad_base64_is_a_decode_error():
    with pytest.raises(StatusError) as exc:
        S.default({"binaryData": {"k": "%%%"}})
    assert exc.value.code == 400
    assert exc.value.message == 'ConfigMap in version "v1" cannot be handled as a ConfigMap: illegal base64 data at input byte 0'


def test_printer_counts_data_and_binary_data():
    cm = {"metadata": {"name": "cfg"}, "data": {"a": "1", "b": "2"}, "binaryData": {"c": b64(b"x")}}
    assert configmaps.table_row(cm)[:2] == ["cfg", 3]
    assert [c.name for c in configmaps.PRINTER.columns] == ["Name", "Data", "Age"]
    assert configmaps.CONFIGMAPS.short_names == ("cm",)
