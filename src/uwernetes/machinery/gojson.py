"""The text of Go's `encoding/json` syntax errors, for bodies our JSON parser refused.

Upstream decodes request bodies with Go's scanner (directly, or through sigs.k8s.io/json), and
its error text reaches clients inside 400 messages such as `error decoding patch: invalid
character '}' after object key`. orjson words its errors differently, so when it refuses a body
this walks the bytes the way Go's scanner state machine does and names the first offending byte
with Go's phrase (`SyntaxError.Error()` is only the message, no offset).
"""

from __future__ import annotations

_SPACE = b" \t\r\n"
_DIGITS = b"0123456789"
_HEX = b"0123456789abcdefABCDEF"
_ESCAPES = b'bfnrt\\/"'
_LITERALS = {ord("t"): b"true", ord("f"): b"false", ord("n"): b"null"}
END = "unexpected end of JSON input"


class _Stop(Exception):
    def __init__(self, message: str) -> None:
        self.message = message


def quote_char(c: int) -> str:
    """Go's `quoteChar`: the offending byte as a single-quoted Go literal."""
    if c == ord("'"):
        return "'\\''"
    if c == ord('"'):
        return "'\"'"
    s = chr(c)
    if s == "\\":
        return "'\\\\'"
    if s.isprintable():
        return f"'{s}'"
    named = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}
    if s in named:
        return f"'{named[s]}'"
    return f"'\\x{c:02x}'" if c < 0x80 else f"'\\u{c:04x}'"


class _Scanner:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.i = 0

    def peek(self) -> int:
        if self.i >= len(self.data):
            raise _Stop(END)
        return self.data[self.i]

    def fail(self, context: str) -> None:
        raise _Stop(f"invalid character {quote_char(self.data[self.i])} {context}")

    def skip_space(self) -> int:
        while self.peek() in _SPACE:
            self.i += 1
        return self.data[self.i]

    def value(self) -> None:
        c = self.skip_space()
        if c == ord("{"):
            self.i += 1
            self.object()
        elif c == ord("["):
            self.i += 1
            self.array()
        elif c == ord('"'):
            self.i += 1
            self.string()
        elif c == ord("-") or c in _DIGITS:
            self.number()
        elif c in _LITERALS:
            self.literal(_LITERALS[c])
        else:
            self.fail("looking for beginning of value")

    def object(self) -> None:
        if self.skip_space() == ord("}"):
            self.i += 1
            return
        while True:
            if self.skip_space() != ord('"'):
                self.fail("looking for beginning of object key string")
            self.i += 1
            self.string()
            if self.skip_space() != ord(":"):
                self.fail("after object key")
            self.i += 1
            self.value()
            c = self.skip_space()
            self.i += 1
            if c == ord("}"):
                return
            if c != ord(","):
                self.i -= 1
                self.fail("after object key:value pair")

    def array(self) -> None:
        if self.skip_space() == ord("]"):
            self.i += 1
            return
        while True:
            self.value()
            c = self.skip_space()
            self.i += 1
            if c == ord("]"):
                return
            if c != ord(","):
                self.i -= 1
                self.fail("after array element")

    def string(self) -> None:
        while True:
            c = self.peek()
            if c == ord('"'):
                self.i += 1
                return
            if c == ord("\\"):
                self.i += 1
                e = self.peek()
                if e == ord("u"):
                    for _ in range(4):
                        self.i += 1
                        if self.peek() not in _HEX:
                            self.fail("in \\u hexadecimal character escape")
                elif e not in _ESCAPES:
                    self.fail("in string escape code")
            elif c < 0x20:
                self.fail("in string literal")
            self.i += 1

    def digits(self) -> None:
        while self.i < len(self.data) and self.data[self.i] in _DIGITS:
            self.i += 1

    def number(self) -> None:
        if self.data[self.i] == ord("-"):
            self.i += 1
            if self.peek() not in _DIGITS:
                self.fail("in numeric literal")
        if self.data[self.i] == ord("0"):
            self.i += 1
        else:
            self.digits()
        if self.i < len(self.data) and self.data[self.i] == ord("."):
            self.i += 1
            if self.peek() not in _DIGITS:
                self.fail("after decimal point in numeric literal")
            self.digits()
        if self.i < len(self.data) and self.data[self.i] in b"eE":
            self.i += 1
            if self.peek() in b"+-":
                self.i += 1
            if self.peek() not in _DIGITS:
                self.fail("in exponent of numeric literal")
            self.digits()

    def literal(self, word: bytes) -> None:
        self.i += 1
        for expected in word[1:]:
            if self.peek() != expected:
                self.fail(f"in literal {word.decode()} (expecting {quote_char(expected)})")
            self.i += 1


def syntax_error(data: bytes) -> str | None:
    """Go's message for the first syntax error in `data`, or None when Go would accept it."""
    scanner = _Scanner(data)
    try:
        scanner.value()
        while scanner.i < len(data):
            if data[scanner.i] not in _SPACE:
                scanner.fail("after top-level value")
            scanner.i += 1
    except _Stop as stop:
        return stop.message
    except RecursionError:
        return "exceeded max depth"
    return None
