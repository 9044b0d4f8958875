"""Decoding Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`) into JSON dicts.

kubectl 1.32+ sends typed `create` bodies this way and does not retry in JSON on a 415, so the server
reads them; answers stay JSON. A body is the magic `k8s\\x00` followed by a `runtime.Unknown` message
(1 typeMeta{1 apiVersion, 2 kind}, 2 raw, 3 contentEncoding, 4 contentType); `raw` is the object in the
wire format of k8s.io/api's generated.proto, whose field tables live in `protobuf_tables`.

The result is the dict the JSON path would have produced from the same Go object: Go's `omitempty`
zero scalars are dropped (the Go protobuf marshaller writes every non-pointer field), maps become
dicts, bytes become base64, Time/MicroTime become RFC 3339 (zero Time is null, as Go's JSON writes
it), Quantity becomes its string and IntOrString an int or a string.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from typing import Any, NamedTuple

import orjson

from uwernetes.machinery import protobuf_tables

MAGIC = b"k8s\x00"

VARINT, FIXED64, BYTES, FIXED32 = 0, 1, 2, 5
_VARINT_TYPES = frozenset({"?", "i32", "i64", "u32", "u64"})
_FIXED64_TYPES = frozenset({"f64", "x64"})
_FIXED32_TYPES = frozenset({"f32", "x32"})
_SCALARS = _VARINT_TYPES | _FIXED64_TYPES | _FIXED32_TYPES | {"s", "b"}
_ZERO = ("", 0, False, 0.0)


class ProtobufError(ValueError):
    """The body is not a well-formed Kubernetes protobuf message."""


class _WrongWire(ProtobufError):
    """A field arrived with a wire type its table type cannot have; the caller adds the field name."""

    def __init__(self, wire: int) -> None:
        super().__init__(f"proto: wrong wireType = {wire}")
        self.wire = wire


class UnknownKind(LookupError):
    """The envelope names a kind this server has no protobuf field table for."""

    def __init__(self, api_version: str, kind: str) -> None:
        super().__init__(f"{api_version}, Kind={kind}")
        self.api_version = api_version
        self.kind = kind


class Field(NamedTuple):
    name: str  # the JSON name
    type: str  # scalar code or message name; for a map, the value type
    key: str | None  # the key type of a map field, else None
    repeated: bool
    keep_zero: bool  # Go pointer or no omitempty: a zero value is still written in JSON
    inline: bool  # Go `json:",inline"`: the message's fields belong to the parent


class Envelope(NamedTuple):
    api_version: str
    kind: str
    raw: bytes
    content_encoding: str
    content_type: str


# ---- wire format ----


def read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    """The varint at `pos` and the position after it."""
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ProtobufError("unexpected EOF")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise ProtobufError("proto: integer overflow")


def iter_fields(buf: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """(field number, wire type, value) for each field of a message; value is int or bytes."""
    pos, end = 0, len(buf)
    while pos < end:
        tag, pos = read_varint(buf, pos)
        num, wire = tag >> 3, tag & 7
        if num == 0:
            raise ProtobufError(f"proto: illegal tag 0 (wire type {wire})")
        if wire == VARINT:
            value, pos = read_varint(buf, pos)
            yield num, wire, value
        elif wire == BYTES:
            n, pos = read_varint(buf, pos)
            if pos + n > end:
                raise ProtobufError("unexpected EOF")
            yield num, wire, buf[pos : pos + n]
            pos += n
        elif wire == FIXED64:
            if pos + 8 > end:
                raise ProtobufError("unexpected EOF")
            yield num, wire, int.from_bytes(buf[pos : pos + 8], "little")
            pos += 8
        elif wire == FIXED32:
            if pos + 4 > end:
                raise ProtobufError("unexpected EOF")
            yield num, wire, int.from_bytes(buf[pos : pos + 4], "little")
            pos += 4
        else:  # groups (3, 4) never appear in Kubernetes messages
            raise ProtobufError(f"proto: illegal wireType {wire}")


def _signed(value: int, bits: int) -> int:
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def _scalar(code: str, wire: int, value: int | bytes) -> Any:
    if code == "s" or code == "b":
        if wire != BYTES:
            raise _WrongWire(wire)
        assert isinstance(value, bytes)
        return value.decode("utf-8", "replace") if code == "s" else base64.b64encode(value).decode()
    if isinstance(value, bytes):
        raise _WrongWire(BYTES)
    if code == "?":
        return value != 0
    if code == "i32":
        return _signed(value, 32)  # negative int32 values are sign-extended to 64 bits on the wire
    if code == "i64":
        return _signed(value, 64)
    if code == "f64":
        return struct.unpack("<d", value.to_bytes(8, "little"))[0]
    if code == "f32":
        return struct.unpack("<f", value.to_bytes(4, "little"))[0]
    return value  # u32, u64, x32, x64


def _packed(code: str, data: bytes) -> list[Any]:
    """Elements of a packed repeated scalar (proto2 Kubernetes messages never pack, but decoders must accept it)."""
    out: list[Any] = []
    pos = 0
    while pos < len(data):
        if code in _VARINT_TYPES:
            v, pos = read_varint(data, pos)
        else:
            size = 8 if code in _FIXED64_TYPES else 4
            v, pos = int.from_bytes(data[pos : pos + size], "little"), pos + size
        out.append(_scalar(code, VARINT, v))
    return out


# ---- field tables ----


def _parse_type(text: str) -> tuple[str, str | None, bool]:
    if text.startswith("map("):
        key, value = text[4:-1].split(",")
        return value, key, False
    if text.startswith("["):
        return text[1:-1], None, True
    return text, None, False


@cache
def _messages() -> dict[str, dict[int, Field] | str]:
    """message name -> {field number: Field}, or the element type of a message that is a Go slice."""
    out: dict[str, dict[int, Field] | str] = {}
    for line in protobuf_tables.MESSAGES.splitlines():
        name, _, rest = line.partition(" ")
        if rest.startswith("@"):
            out[name] = _parse_type(rest[1:])[0]
            continue
        fields: dict[int, Field] = {}
        for tok in rest.split():
            num, _, spec = tok.partition("=")
            json_name, _, type_text = spec.partition(":")
            flags = type_text[len(type_text.rstrip("!^")) :]
            typ, key, repeated = _parse_type(type_text.rstrip("!^"))
            fields[int(num)] = Field(json_name, typ, key, repeated, "!" in flags, "^" in flags)
        out[name] = fields
    return out


def message_for(api_version: str, kind: str) -> str | None:
    """The table name of the message for a served kind, e.g. ("v1", "ConfigMap") -> "core.v1.ConfigMap"."""
    return protobuf_tables.KINDS.get((api_version, kind))


# ---- messages ----


def _rfc3339(seconds: int, nanos: int, micro: bool) -> str:
    dt = datetime.fromtimestamp(seconds, UTC)
    if micro:
        return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{nanos // 1000:06d}Z"
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def go_duration(ns: int) -> str:
    """Go's time.Duration.String: 1h2m3.5s, 1.5ms, 0s."""
    if ns == 0:
        return "0s"
    sign, ns = ("-", -ns) if ns < 0 else ("", ns)
    if ns < 1_000_000_000:
        for unit, size in (("ms", 1_000_000), ("µs", 1_000), ("ns", 1)):
            if ns >= size:
                return sign + _frac(ns, size) + unit
    h, rem = divmod(ns, 3600 * 10**9)
    m, rem = divmod(rem, 60 * 10**9)
    out = (f"{h}h{m}m" if h else f"{m}m" if m else "") + _frac(rem, 10**9) + "s"
    return sign + out


def _frac(value: int, unit: int) -> str:
    whole, rest = divmod(value, unit)
    if not rest:
        return str(whole)
    digits = len(str(unit)) - 1
    return f"{whole}.{rest:0{digits}d}".rstrip("0")


def _special(name: str, buf: bytes) -> tuple[bool, Any]:
    """Messages whose JSON form is not an object with their fields."""
    if name in ("meta.v1.Time", "meta.v1.MicroTime"):
        seconds = nanos = 0
        for num, wire, v in iter_fields(buf):
            if num == 1:
                seconds = _scalar("i64", wire, v)
            elif num == 2:
                nanos = _scalar("i32", wire, v)
        if not seconds and not nanos:
            return True, None  # Go's zero time marshals as an empty message and as JSON null
        return True, _rfc3339(seconds, nanos, name == "meta.v1.MicroTime")
    if name == "meta.v1.Duration":
        ns = 0
        for num, wire, v in iter_fields(buf):
            if num == 1:
                ns = _scalar("i64", wire, v)
        return True, go_duration(ns)
    if name == "api.resource.Quantity":
        text = ""
        for num, wire, v in iter_fields(buf):
            if num == 1:
                text = _scalar("s", wire, v)
        return True, text
    if name == "util.intstr.IntOrString":
        typ, ival, sval = 0, 0, ""
        for num, wire, v in iter_fields(buf):
            if num == 1:
                typ = _scalar("i64", wire, v)
            elif num == 2:
                ival = _scalar("i32", wire, v)
            elif num == 3:
                sval = _scalar("s", wire, v)
        return True, sval if typ == 1 else ival
    if name in ("runtime.RawExtension", "meta.v1.FieldsV1"):
        raw = b""
        for num, _wire, v in iter_fields(buf):
            if num == 1 and isinstance(v, bytes):
                raw = v
        if not raw:
            return True, None
        if raw.startswith(MAGIC):
            return True, decode(raw)
        try:
            return True, orjson.loads(raw)
        except orjson.JSONDecodeError as e:
            raise ProtobufError(f"embedded object is neither JSON nor protobuf: {e}") from None
    return False, None


def decode_message(name: str, buf: bytes) -> Any:
    """Decode one message of table type `name` into its JSON form."""
    handled, value = _special(name, buf)
    if handled:
        return value
    table = _messages().get(name)
    if table is None:
        raise ProtobufError(f"no field table for {name}")
    if isinstance(table, str):  # a Go slice type: `repeated T items = 1`
        return [_value(table, w, v) for n, w, v in iter_fields(buf) if n == 1]
    out: dict[str, Any] = {}
    for num, wire, raw in iter_fields(buf):
        f = table.get(num)
        if f is None:
            continue  # fields newer than v1.30: upstream's decoder skips them too
        try:
            _decode_field(out, f, wire, raw)
        except _WrongWire as e:  # worded as gogo-protobuf's generated Unmarshal words it
            raise ProtobufError(f"proto: wrong wireType = {e.wire} for field {f.name[:1].upper()}{f.name[1:]}") from None
    for f in table.values():
        if f.type in _SCALARS and not f.keep_zero and not f.repeated and f.key is None and out.get(f.name, 1) in _ZERO:
            del out[f.name]
    return out


def _decode_field(out: dict[str, Any], f: Field, wire: int, raw: int | bytes) -> None:
    if f.key is not None:
        if not isinstance(raw, bytes):
            raise _WrongWire(wire)
        k, v = _map_entry(f, raw)
        out.setdefault(f.name, {})[k] = v
    elif f.repeated:
        items = out.setdefault(f.name, [])
        if f.type in _SCALARS and f.type not in ("s", "b") and isinstance(raw, bytes):
            items.extend(_packed(f.type, raw))
        else:
            items.append(_value(f.type, wire, raw))
    elif f.inline:
        if not isinstance(raw, bytes):
            raise _WrongWire(wire)
        out.update(decode_message(f.type, raw))
    else:
        out[f.name] = _value(f.type, wire, raw)


def _value(typ: str, wire: int, raw: int | bytes) -> Any:
    if typ in _SCALARS:
        return _scalar(typ, wire, raw)
    if not isinstance(raw, bytes):
        raise _WrongWire(wire)
    return decode_message(typ, raw)


def _map_entry(f: Field, buf: bytes) -> tuple[Any, Any]:
    key: Any = "" if f.key == "s" else 0
    value: Any = None
    for num, wire, raw in iter_fields(buf):
        if num == 1:
            key = _scalar(f.key or "s", wire, raw)
        elif num == 2:
            value = _value(f.type, wire, raw)
    if value is None:  # an absent value is the type's zero value
        value = "" if f.type in ("s", "b") else 0 if f.type in _SCALARS else decode_message(f.type, b"")
    return key, value


# ---- envelope ----


def decode_envelope(body: bytes) -> Envelope:
    """Split a `k8s\\x00` + runtime.Unknown body into type information and the raw object."""
    if not body.startswith(MAGIC):
        prefix = " ".join(str(b) for b in MAGIC)  # Go prints a []byte as [107 56 115 0]
        raise ProtobufError(f"provided data does not appear to be a protobuf message, expected prefix [{prefix}]")
    api_version = kind = encoding = ctype = ""
    raw = b""
    for num, wire, v in iter_fields(body[len(MAGIC) :]):
        if num == 1 and isinstance(v, bytes):
            for n2, w2, v2 in iter_fields(v):
                if n2 == 1:
                    api_version = _scalar("s", w2, v2)
                elif n2 == 2:
                    kind = _scalar("s", w2, v2)
        elif num == 2 and isinstance(v, bytes):
            raw = v
        elif num == 3:
            encoding = _scalar("s", wire, v)
        elif num == 4:
            ctype = _scalar("s", wire, v)
    return Envelope(api_version, kind, raw, encoding, ctype)


def decode(body: bytes) -> dict[str, Any]:
    """A protobuf request body as the JSON dict of its object, apiVersion and kind first.

    Raises ProtobufError for malformed input and UnknownKind for kinds without a field table.
    """
    env = decode_envelope(body)
    name = message_for(env.api_version, env.kind)
    if name is None:
        raise UnknownKind(env.api_version, env.kind)
    if env.content_encoding:
        raise ProtobufError(f"unsupported content encoding {env.content_encoding!r}")
    obj = decode_message(name, env.raw)
    return {"apiVersion": env.api_version, "kind": env.kind, **obj}
