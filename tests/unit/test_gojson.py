"""Go's encoding/json syntax error text for bodies orjson refuses."""

from __future__ import annotations

import pytest

from uwernetes.machinery.gojson import quote_char, syntax_error


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "unexpected end of JSON input"),
        (b" \n", "unexpected end of JSON input"),
        (b'[{"op":', "unexpected end of JSON input"),
        (b'{"a":"b"', "unexpected end of JSON input"),
        (b"tru", "unexpected end of JSON input"),
        (b"1.", "unexpected end of JSON input"),
        (b'"\\', "unexpected end of JSON input"),
        (b'{"a" 1}', "invalid character '1' after object key"),
        (b'{"a":1,}', "invalid character '}' looking for beginning of object key string"),
        (b"{1:2}", "invalid character '1' looking for beginning of object key string"),
        (b"{'a':1}", "invalid character '\\'' looking for beginning of object key string"),
        (b'{"a":1 "b"}', "invalid character '\"' after object key:value pair"),
        (b"[1,]", "invalid character ']' looking for beginning of value"),
        (b"[1 2]", "invalid character '2' after array element"),
        (b"[01]", "invalid character '1' after array element"),
        (b"01", "invalid character '1' after top-level value"),
        (b'{"a":1}}', "invalid character '}' after top-level value"),
        (b"x", "invalid character 'x' looking for beginning of value"),
        (b"trx", "invalid character 'x' in literal true (expecting 'u')"),
        (b'{"a":tx}', "invalid character 'x' in literal true (expecting 'r')"),
        (b"nulL", "invalid character 'L' in literal null (expecting 'l')"),
        (b"-a", "invalid character 'a' in numeric literal"),
        (b"1.a", "invalid character 'a' after decimal point in numeric literal"),
        (b"1ex", "invalid character 'x' in exponent of numeric literal"),
        (b'"a\nb"', "invalid character '\\n' in string literal"),
        (b'"\\q"', "invalid character 'q' in string escape code"),
        (b'"\\u12g4"', "invalid character 'g' in \\u hexadecimal character escape"),
    ],
)
def test_syntax_error(body, message):
    assert syntax_error(body) == message


@pytest.mark.parametrize("body", [b"{}", b" [1, -2.5e+3, true, false, null] ", b'{"a":{"b":["\\u00e9\\n"]}}', b"0"])
def test_valid_json_has_no_error(body):
    assert syntax_error(body) is None


@pytest.mark.parametrize(
    ("c", "quoted"),
    [("a", "'a'"), ("'", "'\\''"), ('"', "'\"'"), ("\\", "'\\\\'"), ("\t", "'\\t'"), ("\x00", "'\\x00'"),
     ("\x7f", "'\\x7f'"), ("\xe9", "'\xe9'"), ("\xa0", "'\\u00a0'")],
)
def test_quote_char(c, quoted):
    assert quote_char(ord(c)) == quoted
