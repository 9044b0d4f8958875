"""Transports for the client: real HTTP(S), or straight into an in-process ASGI app.

Both go through the API server's full request path (authentication, admission, validation), so
a controller in the same process is held to the same rules as kubectl.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlencode


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
    ) -> AsyncIterator[bytes]:
        """Response body chunks of a streaming request (watch, log follow)."""
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

    async def stream(self, method, path, query=None, headers=None) -> AsyncIterator[bytes]:
        scope = self._scope(method, path, query, headers)
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
    """HTTP(S) to a remote API server with httpx (keep-alive, streaming)."""

    def __init__(self, server: str, token: str = "", ca_file: str | None = None, ca_data: bytes | None = None,
                 insecure: bool = False, user_agent: str = "uwernetes") -> None:
        import httpx

        verify: Any = True
        if insecure:
            verify = False
        elif ca_file or ca_data:
            ctx = ssl.create_default_context()
            if ca_file:
                ctx.load_verify_locations(cafile=ca_file)
            if ca_data:
                ctx.load_verify_locations(cadata=ca_data.decode())
            verify = ctx
        headers = {"user-agent": user_agent, "accept": "application/json"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        self._client = httpx.AsyncClient(base_url=server, verify=verify, headers=headers,
                                         timeout=httpx.Timeout(60.0, read=None),
                                         limits=httpx.Limits(max_connections=200, max_keepalive_connections=50))

    async def request(self, method, path, query=None, body=None, headers=None) -> RawResponse:
        qs = _query_string(query)
        url = path + ("?" + qs if qs else "")
        r = await self._client.request(method, url, content=body, headers=headers)
        return RawResponse(r.status_code, {k.lower(): v for k, v in r.headers.items()}, r.content)

    async def stream(self, method, path, query=None, headers=None) -> AsyncIterator[bytes]:
        qs = _query_string(query)
        url = path + ("?" + qs if qs else "")
        async with self._client.stream(method, url, headers=headers) as r:
            if r.status_code >= 400:
                raise StreamError(r.status_code, await r.aread())
            async for chunk in r.aiter_raw():
                yield chunk

    async def close(self) -> None:
        await self._client.aclose()
