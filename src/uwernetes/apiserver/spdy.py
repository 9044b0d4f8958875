"""A SPDY/3.1 server session: the framing kubectl's port-forward speaks after its `Upgrade: SPDY/3.1`.

Only what a stream-multiplexing peer needs (kubectl uses moby/spdystream): SYN_STREAM opens a
stream and is answered with SYN_REPLY, DATA carries bytes (FIN ends one direction), RST_STREAM
ends a stream, PING is echoed, GOAWAY ends the session. SETTINGS, HEADERS and WINDOW_UPDATE are
accepted and ignored: spdystream does no flow control, so none is done here either. Header blocks
are zlib streams with the SPDY/3 dictionary, one compression context per direction per session.
"""

from __future__ import annotations

import asyncio
import struct
import zlib
from collections.abc import Callable

VERSION = 3
SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY, HEADERS, WINDOW_UPDATE = 1, 2, 3, 4, 6, 7, 8, 9
FLAG_FIN = 0x01
RST_PROTOCOL_ERROR, RST_CANCEL = 1, 5
_MAX_DATA = 32 * 1024

# The SPDY/3 header compression dictionary (draft 3, section 2.6.10.1): length-prefixed names and
# values, then a run of common status lines, dates and media types.
_WORDS = ("options", "head", "post", "put", "delete", "trace", "accept", "accept-charset", "accept-encoding",
          "accept-language", "accept-ranges", "age", "allow", "authorization", "cache-control", "connection",
          "content-base", "content-encoding", "content-language", "content-length", "content-location",
          "content-md5", "content-range", "content-type", "date", "etag", "expect", "expires", "from", "host",
          "if-match", "if-modified-since", "if-none-match", "if-range", "if-unmodified-since", "last-modified",
          "location", "max-forwards", "pragma", "proxy-authenticate", "proxy-authorization", "range", "referer",
          "retry-after", "server", "te", "trailer", "transfer-encoding", "upgrade", "user-agent", "vary", "via",
          "warning", "www-authenticate", "method", "get", "status", "200 OK", "version", "HTTP/1.1", "url",
          "public", "set-cookie", "keep-alive", "origin")
_TAIL = ("100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
         "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized"
         "403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable"
         "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT"
         "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,"
         "text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.")
DICTIONARY = b"".join(len(w).to_bytes(4, "big") + w.encode() for w in _WORDS) + _TAIL.encode()


class ProtocolError(Exception):
    pass


def decode_headers(block: bytes) -> dict[str, str]:
    """An uncompressed header block: a count, then length-prefixed names and values (32-bit)."""
    (count,), at = struct.unpack_from(">I", block), 4
    out: dict[str, str] = {}
    for _ in range(count):
        (n,) = struct.unpack_from(">I", block, at)
        name = block[at + 4:at + 4 + n].decode()
        at += 4 + n
        (v,) = struct.unpack_from(">I", block, at)
        out[name] = block[at + 4:at + 4 + v].decode()
        at += 4 + v
    return out


def encode_headers(headers: dict[str, str]) -> bytes:
    out = [struct.pack(">I", len(headers))]
    for name, value in headers.items():
        n, v = name.lower().encode(), value.encode()
        out += [struct.pack(">I", len(n)), n, struct.pack(">I", len(v)), v]
    return b"".join(out)


def control_frame(kind: int, flags: int, body: bytes) -> bytes:
    return struct.pack(">HHI", 0x8000 | VERSION, kind, (flags << 24) | len(body)) + body


def data_frame(stream_id: int, flags: int, data: bytes) -> bytes:
    return struct.pack(">II", stream_id & 0x7FFFFFFF, (flags << 24) | len(data)) + data


class Stream:
    """One SPDY stream: its headers, what the peer sent (read), and writing back."""

    def __init__(self, session: Session, stream_id: int, headers: dict[str, str]) -> None:
        self.session = session
        self.id = stream_id
        self.headers = headers
        self._incoming: asyncio.Queue[bytes] = asyncio.Queue()
        self._remote_done = False
        self.closed = False

    def reply(self) -> None:
        self.session.send(control_frame(SYN_REPLY, 0, struct.pack(">I", self.id) + self.session.compress({})))

    async def read(self) -> bytes:
        """The next chunk from the peer; b"" once it has finished sending."""
        return await self._incoming.get()

    def write(self, data: bytes) -> None:
        for at in range(0, len(data), _MAX_DATA):
            self.session.send(data_frame(self.id, 0, data[at:at + _MAX_DATA]))

    def close(self) -> None:
        """Half-close: no more data from this side."""
        if not self.closed:
            self.closed = True
            self.session.send(data_frame(self.id, FLAG_FIN, b""))

    def _deliver(self, data: bytes, fin: bool) -> None:
        if self._remote_done:
            return
        if data:
            self._incoming.put_nowait(data)
        if fin:
            self._remote_done = True
            self._incoming.put_nowait(b"")


class Session(asyncio.Protocol):
    """The server side of one SPDY connection; `on_stream` is called for every stream the peer opens."""

    def __init__(self, on_stream: Callable[[Stream], None], on_close: Callable[[], None] | None = None) -> None:
        self.on_stream = on_stream
        self.on_close = on_close
        self.streams: dict[int, Stream] = {}
        self.transport: asyncio.Transport | None = None
        self._buf = bytearray()
        self._inflate = zlib.decompressobj(zdict=DICTIONARY)
        self._deflate = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS, 9, zlib.Z_DEFAULT_STRATEGY, DICTIONARY)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        for stream in list(self.streams.values()):
            stream._deliver(b"", True)
        self.streams.clear()
        if self.on_close is not None:
            self.on_close()

    def compress(self, headers: dict[str, str]) -> bytes:
        return self._deflate.compress(encode_headers(headers)) + self._deflate.flush(zlib.Z_SYNC_FLUSH)

    def send(self, frame: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(frame)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        self._buf += data
        try:
            while len(self._buf) >= 8:
                (length,) = struct.unpack_from(">I", self._buf, 4)
                size = 8 + (length & 0xFFFFFF)
                if len(self._buf) < size:
                    return
                frame = bytes(self._buf[:size])
                del self._buf[:size]
                self._frame(frame)
        except (ProtocolError, struct.error, zlib.error, UnicodeDecodeError):
            self.send(control_frame(GOAWAY, 0, struct.pack(">II", 0, 1)))
            self.close()

    def _frame(self, frame: bytes) -> None:
        first, flags_len = struct.unpack_from(">II", frame)
        flags, body = flags_len >> 24, frame[8:]
        if not first & 0x80000000:
            stream = self.streams.get(first & 0x7FFFFFFF)
            if stream is not None:
                stream._deliver(body, bool(flags & FLAG_FIN))
            return
        if (first >> 16) & 0x7FFF != VERSION:
            raise ProtocolError("unsupported SPDY version")
        kind = first & 0xFFFF
        if kind == SYN_STREAM:
            (stream_id,) = struct.unpack_from(">I", body)
            stream_id &= 0x7FFFFFFF
            headers = decode_headers(self._inflate.decompress(body[10:]))
            stream = Stream(self, stream_id, headers)
            self.streams[stream_id] = stream
            if flags & FLAG_FIN:
                stream._deliver(b"", True)
            self.on_stream(stream)
        elif kind == RST_STREAM:
            (stream_id,) = struct.unpack_from(">I", body)
            stream = self.streams.pop(stream_id & 0x7FFFFFFF, None)
            if stream is not None:
                stream.closed = True
                stream._deliver(b"", True)
        elif kind == PING:
            self.send(control_frame(PING, 0, body[:4]))
        elif kind == GOAWAY:
            self.close()
        elif kind == HEADERS:
            self._inflate.decompress(body[4:])  # keeps the shared decompression context in step
        # SETTINGS and WINDOW_UPDATE: nothing to do (no flow control, as spdystream).

    def forget(self, stream: Stream) -> None:
        self.streams.pop(stream.id, None)
