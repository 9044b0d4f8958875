"""A minimal request/response layer over raw ASGI: the API needs dynamic routing and streaming,
and a framework's per-request overhead would halve throughput (DESIGN.md)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from uwernetes.machinery.errors import StatusError

Send = Callable[[dict[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[dict[str, Any]]]

# An ASGI scope extension (in-process requests only): a watch leaves metadata.managedFields out of
# its objects, for in-process informers that drop them anyway.
OMIT_MANAGED_FIELDS = "uwernetes.omit_managed_fields"


@dataclass(slots=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    scope: dict[str, Any]
    receive: Receive
    body: bytes = b""
    user: str = ""
    groups: tuple[str, ...] = ()

    @classmethod
    def from_scope(cls, scope: dict[str, Any], receive: Receive) -> Request:
        headers: dict[str, str] = {}
        for k, v in scope.get("headers") or ():
            key = k.decode("latin-1").lower()
            val = v.decode("latin-1")
            headers[key] = f"{headers[key]}, {val}" if key in headers else val
        qs = scope.get("query_string") or b""
        query = parse_qs(qs.decode("latin-1"), keep_blank_values=True) if qs else {}
        return cls(scope["method"], scope["path"], query, headers, scope, receive)

    def q(self, name: str, default: str | None = None) -> str | None:
        v = self.query.get(name)
        return v[-1] if v else default

    def q_bool(self, name: str) -> bool:
        v = self.q(name)
        return v is not None and v.lower() in ("true", "1", "")

    async def read_body(self, limit: int) -> bytes:
        chunks = []
        size = 0
        more = True
        while more:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                from uwernetes.machinery import errors

                # Drain the rest so the connection stays usable, then refuse.
                while message.get("more_body"):
                    message = await self.receive()
                raise errors.request_entity_too_large(f"limit is {limit}")
            chunks.append(chunk)
            more = message.get("more_body", False)
        self.body = b"".join(chunks)
        return self.body


@dataclass(slots=True)
class Response:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)

    async def send(self, send: Send) -> None:
        headers = [
            (b"content-type", self.content_type.encode()),
            (b"content-length", str(len(self.body)).encode()),
            (b"cache-control", b"no-cache, private"),
            *self.headers,
        ]
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": self.body})


def status_response(err: StatusError, warnings: list[str] | None = None) -> Response:
    headers = [(k.lower().encode(), v.encode()) for k, v in err.headers.items()]
    for w in warnings or ():
        headers.append((b"warning", warning_header(w)))
    return Response(err.code, err.body(), "application/json", headers)


def warning_header(text: str) -> bytes:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'299 - "{escaped}"'.encode()
