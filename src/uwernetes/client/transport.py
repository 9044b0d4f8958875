"""Transports for the client: real HTTP(S), or straight into an in-process ASGI app.

Both go through the API server's full request path (authentication, admission, validation), so
a controller in the same process is held to the same rules as kubectl.
"""

from __future__ import annotations

import asyncio
import collections
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote, urlencode, urlsplit


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes


class Transport(Protocol):
    async def request(
        self, method: str, path: str, query: dict[str, Any] | None = None, body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> RawResponse: ...

    def stream(
        self, method: str, path: str, query: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> AsyncIterator[bytes]:
        """Response body chunks of a streaming request (watch, log follow). `extensions` reach the
        server's ASGI scope in-process only (requests of this process to itself); HTTP drops them."""
        ...

    async def close(self) -> None: ...


def _query_string(query: dict[str, Any] | None) -> str:
    if not query:
        return ""
    items = []
    for k, v in query.items():
        if v is None:
            continue
        if isinstance(v, bool):
            v = "true" if v else "false"
        if isinstance(v, list | tuple):
            items.extend((k, str(x)) for x in v)
        else:
            items.append((k, str(v)))
    return urlencode(items)


@dataclass
class InProcessTransport:
    """Calls the ASGI app directly: no socket, same handlers."""

    app: Any
    token: str = ""
    user_agent: str = "uwernetes-inprocess"
    _closed: bool = field(default=False, init=False)

    def _scope(self, method: str, path: str, query: dict[str, Any] | None, headers: dict[str, str] | None) -> dict:
        hdrs = [(b"user-agent", self.user_agent.encode()), (b"accept", b"application/json")]
        if self.token:
            hdrs.append((b"authorization", f"Bearer {self.token}".encode()))
        for k, v in (headers or {}).items():
            hdrs.append((k.lower().encode(), v.encode()))
        return {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "https",
            "path": path,
            "raw_path": path.encode(),
            "query_string": _query_string(query).encode(),
            "headers": hdrs,
            "client": ("127.0.0.1", 0),
            "server": ("127.0.0.1", 0),
        }

    async def request(self, method, path, query=None, body=None, headers=None) -> RawResponse:
        scope = self._scope(method, path, query, headers)
        sent_body = False
        status = 0
        resp_headers: dict[str, str] = {}
        chunks: list[bytes] = []

        async def receive() -> dict:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body or b"", "more_body": False}
            await asyncio.Event().wait()  # a plain request never disconnects early
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                for k, v in message.get("headers") or ():
                    resp_headers[k.decode().lower()] = v.decode()
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return RawResponse(status, resp_headers, b"".join(chunks))

    async def stream(self, method, path, query=None, headers=None, extensions=None) -> AsyncIterator[bytes]:
        scope = self._scope(method, path, query, headers)
        if extensions:
            scope["extensions"] = dict(extensions)
        queue: asyncio.Queue = asyncio.Queue()
        disconnect = asyncio.Event()
        first = True
        start: dict = {}

        async def receive() -> dict:
            nonlocal first
            if first:
                first = False
                return {"type": "http.request", "body": b"", "more_body": False}
            await disconnect.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                await queue.put(message.get("body", b""))
                if not message.get("more_body"):
                    await queue.put(None)

        task = asyncio.create_task(self.app(scope, receive, send))
        task.add_done_callback(lambda _t: queue.put_nowait(None))
        try:
            while True:
                chunk = await queue.get()
                if chunk is None:
                    break
                if start.get("status", 200) >= 400:
                    rest = [chunk]
                    while (c := await queue.get()) is not None:
                        rest.append(c)
                    raise StreamError(start["status"], b"".join(rest))
                if chunk:
                    yield chunk
        finally:
            disconnect.set()
            if not task.done():
                try:
                    await asyncio.wait_for(task, 5)
                except (TimeoutError, asyncio.CancelledError):
                    task.cancel()

    async def close(self) -> None:
        self._closed = True


class StreamError(Exception):
    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(f"stream failed with {status}")
        self.status = status
        self.body = body


class HTTPTransport:
    """HTTP/1.1 over TLS to a remote API server: a pool of keep-alive connections, responses
    parsed by httptools (the parser uvicorn uses).

    Controllers send thousands of small requests a second; httpx spent more CPU per request than
    the API server did to serve it, so this keeps to what the API needs: prebuilt headers,
    Content-Length or chunked bodies, streaming for watches, at most `max_connections` requests
    in flight (the rest wait for a connection, as httpx's pool limit made them).
    """

    def __init__(self, server: str, token: str = "", ca_file: str | None = None, ca_data: bytes | None = None,
                 insecure: bool = False, user_agent: str = "uwernetes", *, max_connections: int = 200,
                 connect_timeout: float = 60.0) -> None:
        url = urlsplit(server)
        if url.scheme not in ("http", "https"):
            raise ValueError(f"unsupported server URL {server!r}")
        self._host = url.hostname or "127.0.0.1"
        self._port = url.port or (443 if url.scheme == "https" else 80)
        self._prefix = url.path.rstrip("/")
        self._ssl: ssl.SSLContext | None = None
        if url.scheme == "https":
            ctx = ssl.create_default_context()
            if insecure:
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            else:
                if ca_file:
                    ctx.load_verify_locations(cafile=ca_file)
                if ca_data:
                    ctx.load_verify_locations(cadata=ca_data.decode())
            self._ssl = ctx
        host_header = self._host if url.port is None else f"{self._host}:{self._port}"
        if ":" in self._host and url.port is not None:  # an IPv6 literal
            host_header = f"[{self._host}]:{self._port}"
        common = [f"Host: {host_header}", f"User-Agent: {user_agent}", "Accept: application/json"]
        if token:
            common.append(f"Authorization: Bearer {token}")
        self._common = ("\r\n".join(common) + "\r\n").encode("latin-1")
        self._max = max_connections
        self._connect_timeout = connect_timeout
        self._idle: list[_Connection] = []
        self._all: set[_Connection] = set()
        self._slots: asyncio.Semaphore | None = None
        self._closed = False

    def _head(self, method: str, path: str, query: dict[str, Any] | None, headers: dict[str, str] | None,
              body: bytes | None) -> bytes:
        qs = _query_string(query)
        target = quote(self._prefix + path, safe=_PATH_SAFE) + ("?" + qs if qs else "")
        extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items()) if headers else ""
        if body is not None:
            extra += f"Content-Length: {len(body)}\r\n"
        return b"".join((f"{method} {target} HTTP/1.1\r\n".encode("latin-1"), self._common,
                         extra.encode("latin-1"), b"\r\n"))

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        _, conn = await asyncio.wait_for(
            loop.create_connection(lambda: _Connection(loop), self._host, self._port, ssl=self._ssl,
                                   server_hostname=self._host if self._ssl is not None else None),
            self._connect_timeout)
        self._all.add(conn)
        return conn

    async def _acquire(self) -> tuple[_Connection, bool]:
        """An idle keep-alive connection (reused=True) or a new one."""
        while self._idle:
            conn = self._idle.pop()
            if conn.usable():
                return conn, True
            self._drop(conn)
        return await self._connect(), False

    def _release(self, conn: _Connection) -> None:
        if not self._closed and conn.usable():
            self._idle.append(conn)
        else:
            self._drop(conn)

    def _drop(self, conn: _Connection) -> None:
        self._all.discard(conn)
        conn.close()

    async def request(self, method, path, query=None, body=None, headers=None) -> RawResponse:
        if self._closed:
            raise RuntimeError("transport is closed")
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._max)
        data = self._head(method, path, query, headers, body)
        if body:
            data += body
        async with self._slots:
            while True:
                conn, reused = await self._acquire()
                done = False
                try:
                    resp = await conn.exchange(data, head_only=method == "HEAD")
                    done = True
                except _Stale:
                    # The server closed an idle connection as we picked it and read none of
                    # the request: send it again on a fresh one.
                    if not reused:
                        raise ConnectionError("connection closed before a response") from None
                    continue
                finally:
                    if done:
                        self._release(conn)
                    else:
                        self._drop(conn)
                return resp

    async def stream(self, method, path, query=None, headers=None, extensions=None) -> AsyncIterator[bytes]:
        if self._closed:
            raise RuntimeError("transport is closed")
        data = self._head(method, path, query, headers, None)
        conn = await self._connect()
        clean = False
        try:
            status = await conn.start_stream(data)
            if status >= 400:
                chunks = []
                while (chunk := await conn.next_chunk()) is not None:
                    chunks.append(chunk)
                clean = True
                raise StreamError(status, b"".join(chunks))
            while (chunk := await conn.next_chunk()) is not None:
                yield chunk
            clean = True
        finally:
            if clean:
                self._release(conn)
            else:
                self._drop(conn)

    async def close(self) -> None:
        self._closed = True
        for conn in list(self._all):
            conn.close()
        self._all.clear()
        self._idle.clear()


# RFC 3986 path characters plus "%" (paths arrive already escaped where they need to be).
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_STREAM_HIGH_WATER = 64
_STREAM_LOW_WATER = 8


class _Stale(Exception):
    """A reused connection died before any byte of a response came back."""


class _Connection(asyncio.Protocol):
    """One HTTP/1.1 connection: one exchange at a time, responses parsed by httptools."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        import httptools

        self._loop = loop
        self._parser = httptools.HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self._lost = False
        self._busy = False
        self._got_bytes = False
        self._keep_alive = True
        self._head_only = False
        self._headers: dict[str, str] = {}
        self._body: list[bytes] = []
        self._framed = False  # Content-Length or chunked: the end of the body is known
        self._done: asyncio.Future | None = None
        self._headers_done: asyncio.Future | None = None
        self._chunks: collections.deque[bytes | None] | None = None
        self._chunk_ready: asyncio.Event | None = None
        self._paused = False
        self._error: Exception | None = None

    # --- asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        import httptools

        self._got_bytes = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(ConnectionError("unexpected protocol upgrade"))
        except httptools.HttpParserError as e:
            self._fail(ConnectionError(f"bad HTTP response: {e}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        if not self._busy:
            return
        if self._headers_done is not None and self._headers_done.done() and not self._framed:
            self.on_message_complete()  # a body delimited by the end of the connection
            return
        if not self._got_bytes:
            self._fail(_Stale())
        else:
            self._fail(exc or ConnectionError("connection closed before the response ended"))

    # --- httptools callbacks

    def on_message_begin(self) -> None:
        self._headers = {}
        self._body = []
        self._framed = False

    def on_header(self, name: bytes, value: bytes) -> None:
        key = name.decode("latin-1").lower()
        val = value.decode("latin-1")
        prev = self._headers.get(key)
        self._headers[key] = val if prev is None else f"{prev}, {val}"
        if key == "content-length" or (key == "transfer-encoding" and "chunked" in val.lower()):
            self._framed = True

    def on_headers_complete(self) -> None:
        self._keep_alive = self._parser.should_keep_alive()
        if self._headers_done is not None and not self._headers_done.done():
            self._headers_done.set_result(self._parser.get_status_code())
        if self._head_only:
            self._keep_alive = False  # the parser would wait for a body HEAD never gets
            self.on_message_complete()

    def on_body(self, body: bytes) -> None:
        if self._chunks is not None:
            self._chunks.append(body)
            self._chunk_ready.set()  # type: ignore[union-attr]
            if len(self._chunks) > _STREAM_HIGH_WATER and not self._paused and self._transport is not None:
                self._paused = True
                self._transport.pause_reading()
        else:
            self._body.append(body)

    def on_message_complete(self) -> None:
        if not self._busy:
            return
        self._busy = False
        if self._chunks is not None:
            self._chunks.append(None)
            self._chunk_ready.set()  # type: ignore[union-attr]
        elif self._done is not None and not self._done.done():
            status = self._parser.get_status_code()
            self._done.set_result(RawResponse(status, self._headers, b"".join(self._body)))

    # --- used by HTTPTransport

    def usable(self) -> bool:
        return not self._lost and not self._busy and self._keep_alive and self._error is None

    def _fail(self, exc: Exception) -> None:
        self._error = exc
        self._busy = False
        for fut in (self._done, self._headers_done):
            if fut is not None and not fut.done():
                fut.set_exception(exc)
        if self._chunks is not None:
            self._chunks.append(None)
            self._chunk_ready.set()  # type: ignore[union-attr]
        self.close()

    def _begin(self, data: bytes) -> None:
        if self._lost or self._transport is None:
            raise _Stale()
        self._busy = True
        self._got_bytes = False
        self._transport.write(data)

    async def exchange(self, data: bytes, head_only: bool = False) -> RawResponse:
        self._head_only = head_only
        self._chunks = None
        self._headers_done = None
        self._done = self._loop.create_future()
        self._begin(data)
        return await self._done

    async def start_stream(self, data: bytes) -> int:
        """Send a request whose body will be read chunk by chunk; returns the status."""
        self._head_only = False
        self._done = None
        self._chunks = collections.deque()
        self._chunk_ready = asyncio.Event()
        self._headers_done = self._loop.create_future()
        self._begin(data)
        return await self._headers_done

    async def next_chunk(self) -> bytes | None:
        """The next piece of a streamed body, or None at its end."""
        chunks, ready = self._chunks, self._chunk_ready
        assert chunks is not None and ready is not None
        while not chunks:
            ready.clear()
            await ready.wait()
        chunk = chunks.popleft()
        if self._paused and len(chunks) <= _STREAM_LOW_WATER and self._transport is not None:
            self._paused = False
            self._transport.resume_reading()
        if chunk is None:
            if self._error is not None and not isinstance(self._error, _Stale):
                raise self._error
            if self._error is not None:
                raise ConnectionError("connection closed before a response")
        return chunk

    def close(self) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.close()
        self._lost = True
