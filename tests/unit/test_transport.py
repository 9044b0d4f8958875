"""HTTPTransport: the pooled HTTP/1.1 client the remote components use.

A scripted raw server (plain HTTP) checks framing, keep-alive reuse, retries on a connection the
server closed while idle, and streaming; the last test goes over HTTPS to a real API server.
"""

from __future__ import annotations

import asyncio
import base64

import pytest
import yaml

from uwernetes.client.api import CONFIGMAPS, Client
from uwernetes.client.transport import HTTPTransport, StreamError


class ScriptedServer:
    """Answers each request with the next canned response (raw bytes). None right after a
    response closes the connection once it is written; b"" reads a request and closes without
    answering. Records the requests and counts connections."""

    def __init__(self, responses: list[bytes | None]) -> None:
        self.responses = list(responses)
        self.requests: list[bytes] = []
        self.connections = 0
        self.server: asyncio.base_events.Server | None = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while self.responses:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                body = await reader.readexactly(length) if length else b""
                self.requests.append(head + body)
                resp = self.responses.pop(0)
                if not resp:
                    break
                writer.write(resp)
                await writer.drain()
                if self.responses and self.responses[0] is None:
                    self.responses.pop(0)
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def __aexit__(self, *exc) -> None:
        assert self.server is not None
        self.server.close()


def ok(body: bytes, extra: str = "") -> bytes:
    return f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n{extra}\r\n".encode() + body


def chunked(status: str, parts: list[bytes]) -> bytes:
    out = f"HTTP/1.1 {status}\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n".encode()
    for p in parts:
        out += f"{len(p):x}\r\n".encode() + p + b"\r\n"
    return out + b"0\r\n\r\n"


def run(coro):
    return asyncio.run(coro)


def test_request_head_and_body_and_reuse():
    async def go():
        srv = ScriptedServer([ok(b'{"a":1}', "X-One: 1\r\nX-One: 2\r\n"), ok(b"")])
        async with srv as url:
            t = HTTPTransport(url + "/prefix/", token="tok", user_agent="agent/1")
            r1 = await t.request("POST", "/api/v1/pods", {"fieldManager": "m", "dryRun": None, "watch": True},
                                 b'{"x":2}', {"content-type": "application/json"})
            r2 = await t.request("GET", "/api/v1/pods/a b")
            await t.close()
        return srv, r1, r2

    srv, r1, r2 = run(go())
    assert (r1.status, r1.body, r1.headers["x-one"]) == (200, b'{"a":1}', "1, 2")
    assert (r2.status, r2.body) == (200, b"")
    assert srv.connections == 1  # kept alive and reused
    first = srv.requests[0].decode()
    assert first.startswith("POST /prefix/api/v1/pods?fieldManager=m&watch=true HTTP/1.1\r\n")
    for line in ("User-Agent: agent/1", "Accept: application/json", "Authorization: Bearer tok",
                 "content-type: application/json", "Content-Length: 7"):
        assert f"\r\n{line}\r\n" in first
    assert first.endswith('\r\n\r\n{"x":2}')
    assert srv.requests[1].decode().startswith("GET /prefix/api/v1/pods/a%20b HTTP/1.1\r\n")


def test_chunked_body_and_error_status():
    async def go():
        srv = ScriptedServer([chunked("404 Not Found", [b'{"kind":', b'"Status"}'])])
        async with srv as url:
            t = HTTPTransport(url)
            r = await t.request("GET", "/x")
            await t.close()
        return r

    r = run(go())
    assert (r.status, r.body, r.headers["transfer-encoding"]) == (404, b'{"kind":"Status"}', "chunked")


def test_idle_connection_closed_by_server_is_retried():
    async def go():
        # The first connection answers once, then the server closes it while it sits idle.
        srv = ScriptedServer([ok(b"1"), None, ok(b"2")])
        async with srv as url:
            t = HTTPTransport(url)
            a = await t.request("GET", "/a")
            await asyncio.sleep(0.05)
            b = await t.request("GET", "/b")
            await t.close()
        return srv, a, b

    srv, a, b = run(go())
    assert (a.body, b.body) == (b"1", b"2")
    assert srv.connections == 2


def test_request_on_reused_connection_closed_without_answer_is_sent_again():
    async def go():
        srv = ScriptedServer([ok(b"1"), b"", ok(b"2")])
        async with srv as url:
            t = HTTPTransport(url)
            a = await t.request("GET", "/a")
            b = await t.request("GET", "/b")
            await t.close()
        return srv, a, b

    srv, a, b = run(go())
    assert (a.body, b.body, srv.connections) == (b"1", b"2", 2)
    assert [r.split(b" ")[1] for r in srv.requests] == [b"/a", b"/b", b"/b"]


def test_fresh_connection_closed_without_answer_fails():
    async def go():
        srv = ScriptedServer([b""])
        async with srv as url:
            t = HTTPTransport(url)
            with pytest.raises(ConnectionError):
                await t.request("GET", "/a")
            await t.close()

    run(go())


def test_connection_close_response_is_not_reused():
    async def go():
        srv = ScriptedServer([ok(b"1", "Connection: close\r\n"), ok(b"2")])
        async with srv as url:
            t = HTTPTransport(url)
            a = await t.request("GET", "/a")
            b = await t.request("GET", "/b")
            await t.close()
        return srv, a, b

    srv, a, b = run(go())
    assert (a.body, b.body, srv.connections) == (b"1", b"2", 2)


def test_stream_yields_chunks_then_reuses_connection():
    async def go():
        srv = ScriptedServer([chunked("200 OK", [b'{"type":"ADDED"}\n', b'{"type":"DELETED"}\n']), ok(b"after")])
        async with srv as url:
            t = HTTPTransport(url)
            got = [c async for c in t.stream("GET", "/w", {"watch": "true"})]
            after = await t.request("GET", "/x")
            await t.close()
        return srv, got, after

    srv, got, after = run(go())
    assert b"".join(got) == b'{"type":"ADDED"}\n{"type":"DELETED"}\n'
    assert after.body == b"after"
    assert srv.connections == 1
    assert srv.requests[0].startswith(b"GET /w?watch=true HTTP/1.1\r\n")


def test_stream_error_status_raises_with_body():
    async def go():
        srv = ScriptedServer([ok(b'{"code":410}').replace(b"200 OK", b"410 Gone")])
        async with srv as url:
            t = HTTPTransport(url)
            with pytest.raises(StreamError) as e:
                async for _ in t.stream("GET", "/w"):
                    pass
            await t.close()
        return e.value

    err = run(go())
    assert (err.status, err.body) == (410, b'{"code":410}')


def test_response_cut_short_raises():
    async def go():
        srv = ScriptedServer([b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", None])
        async with srv as url:
            t = HTTPTransport(url)
            with pytest.raises(ConnectionError):
                await t.request("GET", "/a")
            await t.close()

    run(go())


def test_https_against_api_server(cluster):
    doc = yaml.safe_load(cluster.kubeconfig.read_text())
    c = doc["clusters"][0]["cluster"]
    ca = base64.b64decode(c["certificate-authority-data"]) if c.get("certificate-authority-data") else None

    async def go():
        t = HTTPTransport(c["server"], token=doc["users"][0]["user"]["token"], ca_file=c.get("certificate-authority"),
                          ca_data=ca, user_agent="transport-test")
        client = Client(t, "transport-test")
        created = await client.create(CONFIGMAPS, {"metadata": {"name": "transport-test", "namespace": "default"},
                                                   "data": {"k": "v"}})
        got = await asyncio.gather(*(client.get(CONFIGMAPS, "transport-test", "default") for _ in range(20)))
        events = []
        async for ev in client.watch(CONFIGMAPS, "default", resource_version="0", timeout_seconds=1):
            events.append((ev.type, ev.object["metadata"]["name"]))
        await client.close()
        return created, got, events

    created, got, events = run(go())
    assert created["data"] == {"k": "v"}
    assert {g["metadata"]["uid"] for g in got} == {created["metadata"]["uid"]}
    assert ("ADDED", "transport-test") in events
