"""kubectl's port-forward over SPDY: pairs of streams (error, data) per forwarded connection.

After the upgrade kubectl opens, for each local connection, an `error` stream and then a `data`
stream carrying the same `port` and `requestid` headers, as the kubelet's httpstream port-forward
serves them. Once both are there the data stream is joined to the pod's port; if the port cannot
be reached the reason goes down the error stream, worded as the kubelet words it, and both end.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from uwernetes.apiserver.spdy import Session, Stream

log = logging.getLogger(__name__)

PROTOCOL = "portforward.k8s.io"
Dial = Callable[[int], Awaitable[tuple[asyncio.StreamReader, Any]]]


class PortForwardSession:
    """Serves one upgraded connection: `dial(port)` opens the pod's port."""

    def __init__(self, dial: Dial, pod_label: str, uid: str) -> None:
        self.dial = dial
        self.pod_label = pod_label
        self.uid = uid
        self.session = Session(self._on_stream, self._on_close)
        self._pending: dict[str, dict[str, Stream]] = {}
        self._tasks: set[asyncio.Task] = set()

    def _on_stream(self, stream: Stream) -> None:
        stream.reply()
        kind = stream.headers.get("streamtype", "")
        request = stream.headers.get("requestid", "")
        pair = self._pending.setdefault(request, {})
        pair[kind] = stream
        if "error" in pair and "data" in pair:
            del self._pending[request]
            task = asyncio.get_running_loop().create_task(self._forward(pair["error"], pair["data"]))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _on_close(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    async def _forward(self, error: Stream, data: Stream) -> None:
        port_text = data.headers.get("port", "")
        try:
            try:
                port = int(port_text)
                reader, writer = await self.dial(port)
            except (ValueError, OSError) as e:
                error.write(f"error forwarding port {port_text} to pod {self.pod_label}, uid {self.uid}: {e}".encode())
                return
            try:
                await _join(data, reader, writer)
            except OSError as e:  # the pod's side failed after connecting (a remote node reports it so)
                error.write(f"error forwarding port {port} to pod {self.pod_label}, uid {self.uid}: {e}".encode())
            finally:
                with contextlib.suppress(Exception):
                    writer.close()
        finally:
            data.close()
            error.close()
            self.session.forget(data)
            self.session.forget(error)


async def _join(stream: Stream, reader: asyncio.StreamReader, writer: Any) -> None:
    async def to_pod() -> None:
        while chunk := await stream.read():
            writer.write(chunk)
            with contextlib.suppress(ConnectionError):
                await writer.drain()
        with contextlib.suppress(OSError, AttributeError, RuntimeError):
            writer.write_eof()

    async def from_pod() -> None:
        while chunk := await reader.read(32768):
            stream.write(chunk)

    upstream = asyncio.ensure_future(to_pod())
    try:
        await from_pod()  # the pod's side ending ends the connection, as it does upstream
    except ConnectionError:
        pass
    finally:
        upstream.cancel()
        await asyncio.gather(upstream, return_exceptions=True)


class KubeletChannels:
    """One port of a node agent in another process, reached over its WebSocket port-forward
    (v4.channel.k8s.io: data on channel 0, errors on channel 1, each first carrying the port),
    with the reader/writer calls `_join` makes. An error the agent reports is raised as OSError."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self._seen_port: set[int] = set()
        self._sending: asyncio.Future | None = None

    async def read(self, n: int = -1) -> bytes:
        async for message in self.ws:
            frame = message if isinstance(message, bytes) else message.encode()
            channel, payload = frame[:1], frame[1:]
            if not channel:
                continue
            if channel[0] not in self._seen_port:
                self._seen_port.add(channel[0])
                payload = payload[2:]
            if channel[0] == 1 and payload:
                raise OSError(payload.decode(errors="replace"))
            if channel[0] == 0 and payload:
                return payload
        return b""

    def write(self, data: bytes) -> None:
        previous = self._sending

        async def send() -> None:
            if previous is not None:
                await previous
            await self.ws.send(b"\x00" + data)

        self._sending = asyncio.ensure_future(send())

    async def drain(self) -> None:
        if self._sending is not None:
            await self._sending

    def close(self) -> None:
        asyncio.ensure_future(self.ws.close())


_REASONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 500: "Internal Server Error"}


def refuse(transport: Any, code: int, body: bytes) -> None:
    """Answer the upgrade request with an error (a metav1.Status) and close the connection."""
    head = (f"HTTP/1.1 {code} {_REASONS.get(code, 'Error')}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
    transport.write(head.encode() + body)
    transport.close()


def accept(transport: Any, dial: Dial, pod_label: str, uid: str) -> PortForwardSession:
    """Switch the connection to SPDY and serve port-forward on it."""
    transport.write(b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n"
                    b"X-Stream-Protocol-Version: " + PROTOCOL.encode() + b"\r\n\r\n")
    pf = PortForwardSession(dial, pod_label, uid)
    transport.set_protocol(pf.session)
    pf.session.connection_made(transport)
    return pf
