"""Raw HTTP/1.1 load generation for the benchmarks: keep-alive TLS connections on asyncio/uvloop.

httpx and aiohttp spend more CPU per request than the API server does, so a benchmark driven by
them measures the client. These helpers parse just enough HTTP (status line, Content-Length,
chunked bodies) to keep a connection busy, and count watch events without decoding them.

Two ways to use it:
- import it (`target_from_kubeconfig`, `connect`, `Connection.request`, `open_watch`, `percentiles`);
- run it as a worker process: `python _loadgen.py '<json spec>'` writes a JSON result to
  spec['result_path'] (the watch worker also prints `READY` on stdout once connected). Workers run in their own process so the generator never
  shares a core's event loop with the orchestrator, and several can run at once. All workers take
  an absolute `start_at` on the shared CLOCK_MONOTONIC clock (`time.monotonic()` is system-wide on
  Linux), so processes started at different times measure the same window.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import json
import math
import resource
import ssl
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# --- target -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """Where to send requests and how to authenticate, as read from a kubeconfig."""

    host: str
    port: int
    token: str = ""
    ca_pem: bytes | None = None
    tls: bool = True

    def ssl_context(self) -> ssl.SSLContext | None:
        if not self.tls:
            return None
        ctx = ssl.create_default_context(cadata=self.ca_pem.decode() if self.ca_pem else None)
        if self.ca_pem is None:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        return ctx

    def to_json(self) -> dict[str, Any]:
        return {"host": self.host, "port": self.port, "token": self.token,
                "ca_pem": self.ca_pem.decode() if self.ca_pem else None, "tls": self.tls}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Target:
        ca = d.get("ca_pem")
        return cls(d["host"], int(d["port"]), d.get("token", ""), ca.encode() if ca else None, d.get("tls", True))


def target_from_kubeconfig(path: str | Path) -> Target:
    """The current context's server, CA and bearer token."""
    import yaml

    doc = yaml.safe_load(Path(path).read_text())
    ctx_name = doc.get("current-context")
    ctx = next((c["context"] for c in doc.get("contexts", []) if c["name"] == ctx_name), doc["contexts"][0]["context"])
    cluster = next(c["cluster"] for c in doc["clusters"] if c["name"] == ctx["cluster"])
    user = next((u["user"] for u in doc.get("users", []) if u["name"] == ctx.get("user")), {})
    url = urlsplit(cluster["server"])
    ca = cluster.get("certificate-authority-data")
    return Target(
        host=url.hostname or "127.0.0.1",
        port=url.port or (443 if url.scheme == "https" else 80),
        token=user.get("token", ""),
        ca_pem=base64.b64decode(ca) if ca else None,
        tls=url.scheme == "https",
    )


def build_request(target: Target, method: str, path: str, body: bytes | None = None,
                  content_type: str = "application/json", accept: str = "application/json") -> bytes:
    """One complete HTTP/1.1 request, ready to write."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {target.host}:{target.port}", f"Accept: {accept}",
             "User-Agent: uwe-bench/1.0"]
    if target.token:
        lines.append(f"Authorization: Bearer {target.token}")
    if body is not None:
        lines.append(f"Content-Type: {content_type}")
        lines.append(f"Content-Length: {len(body)}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode()
    return head + body if body is not None else head


# --- request/response connections ----------------------------------------------------------------


class HTTPError(Exception):
    pass


class _ResponseProtocol(asyncio.Protocol):
    """Parses responses in order; one future per request written (no pipelining is assumed)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.waiters: collections.deque[asyncio.Future] = collections.deque()
        self.status = 0
        self.need = -1  # body bytes still expected; -1 = reading headers, -2 = chunked
        self.closed_exc: Exception | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed_exc = exc or HTTPError("connection closed")
        while self.waiters:
            fut = self.waiters.popleft()
            if not fut.done():
                fut.set_exception(self.closed_exc)

    def data_received(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        while True:
            if self.need == -1:
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    return
                head = bytes(buf[:end]).lower()
                self.status = int(buf[9:12])
                del buf[:end + 4]
                i = head.find(b"\r\ncontent-length:")
                if i >= 0:
                    j = head.find(b"\r\n", i + 2)
                    self.need = int(head[i + 17:j if j >= 0 else len(head)])
                elif b"\r\ntransfer-encoding: chunked" in head:
                    self.need = -2
                else:
                    self.need = 0
            if self.need == -2:
                body = _take_chunked(buf)
                if body is None:
                    return
            else:
                if len(buf) < self.need:
                    return
                body = bytes(buf[:self.need])
                del buf[:self.need]
            self.need = -1
            if self.waiters:
                fut = self.waiters.popleft()
                if not fut.done():
                    fut.set_result((self.status, body))


def _take_chunked(buf: bytearray) -> bytes | None:
    """A whole chunked body from the front of buf (removed), or None if it has not all arrived."""
    pos = 0
    parts = []
    while True:
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            return None
        size = int(bytes(buf[pos:eol]).split(b";")[0], 16)
        start = eol + 2
        if size == 0:
            end = buf.find(b"\r\n", start)  # no trailers are expected: just the final CRLF
            if end < 0:
                return None
            del buf[:end + 2]
            return b"".join(parts)
        if len(buf) < start + size + 2:
            return None
        parts.append(bytes(buf[start:start + size]))
        pos = start + size + 2


class Connection:
    """A keep-alive connection sending one request at a time."""

    def __init__(self, transport: asyncio.Transport, protocol: _ResponseProtocol) -> None:
        self.transport = transport
        self.protocol = protocol
        self._loop = asyncio.get_running_loop()

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        p = self.protocol
        if p.closed_exc is not None:
            raise p.closed_exc
        fut = self._loop.create_future()
        p.waiters.append(fut)
        self.transport.write(raw)
        return await fut

    def close(self) -> None:
        self.transport.close()


async def connect(target: Target) -> Connection:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_connection(
        _ResponseProtocol, target.host, target.port, ssl=target.ssl_context(),
        server_hostname=target.host if target.tls else None)
    return Connection(transport, protocol)  # type: ignore[arg-type]


async def connect_many(target: Target, n: int, parallel: int = 32) -> list[Connection]:
    """n connections, with at most `parallel` TLS handshakes at once (each costs the server CPU)."""
    sem = asyncio.Semaphore(parallel)

    async def one() -> Connection:
        async with sem:
            return await connect(target)

    return list(await asyncio.gather(*(one() for _ in range(n))))


# --- watch streams --------------------------------------------------------------------------------


class _WatchProtocol(asyncio.Protocol):
    """Counts watch events: each is one JSON line ending in a bare LF inside the chunked body.

    JSON never contains a raw CR or LF, and chunk framing only ever uses CRLF, so the number of
    events in any stretch of the body is count(LF) - count(CRLF). A CR at the end of one read is
    carried into the next so a CRLF split across reads is still seen as one.
    """

    def __init__(self, expect: int, on_done: Callable[[], None]) -> None:
        self.expect = expect
        self.on_done = on_done
        self.head = bytearray()
        self.headers_done = False
        self.status = 0
        self.events = 0
        self.carry = b""
        self.first_at = 0.0
        self.done_at = 0.0
        self.headers: asyncio.Future = asyncio.get_running_loop().create_future()
        self.lost = False

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if not self.headers.done():
            self.headers.set_exception(exc or HTTPError("connection closed"))
        if not self.done_at:
            self.on_done()

    def data_received(self, data: bytes) -> None:
        if not self.headers_done:
            self.head += data
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                return
            self.status = int(self.head[9:12])
            self.headers_done = True
            data = bytes(self.head[end + 4:])
            self.head = bytearray()
            self.headers.set_result(self.status)
            if not data:
                return
        if self.carry:
            data = self.carry + data
        n = data.count(b"\n") - data.count(b"\r\n")
        self.carry = b"\r" if data.endswith(b"\r") else b""
        if n:
            now = time.monotonic()
            if not self.events:
                self.first_at = now
            self.events += n
            if self.events >= self.expect and not self.done_at:
                self.done_at = now
                self.on_done()


async def open_watch(target: Target, path: str, expect: int, on_done: Callable[[], None]) -> tuple[asyncio.Transport, _WatchProtocol]:
    """Start a watch request; await `protocol.headers` for its status."""
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_connection(
        lambda: _WatchProtocol(expect, on_done), target.host, target.port, ssl=target.ssl_context(),
        server_hostname=target.host if target.tls else None)
    transport.write(build_request(target, "GET", path))
    return transport, protocol  # type: ignore[return-value]


# --- statistics ---------------------------------------------------------------------------------


def percentiles(values: Sequence[float], ps: Sequence[float] = (50, 90, 99, 99.9)) -> dict[str, float]:
    """Nearest-rank percentiles of values (any unit), keyed 'p50', 'p99', ..."""
    if not values:
        return {f"p{p:g}": float("nan") for p in ps}
    s = sorted(values)
    out = {}
    for p in ps:
        k = max(0, min(len(s) - 1, math.ceil(p / 100 * len(s) - 1e-9) - 1))  # epsilon: 99.9% of 1000 is 999
        out[f"p{p:g}"] = float(s[k])
    return out


def cpu_seconds() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


async def _sleep_until(t: float) -> None:
    delay = t - time.monotonic()
    if delay > 0:
        await asyncio.sleep(delay)


# --- request makers (one request's bytes from a sequence number) -----------------------------------


def _maker(target: Target, spec: dict[str, Any], worker: int) -> Callable[[int, int], bytes]:
    """(connection index, sequence number) -> request bytes, for the request kinds the benchmarks use."""
    kind = spec["request"]
    path = spec["path"]
    if kind == "get":
        raw = build_request(target, "GET", path)
        return lambda c, i: raw
    if kind == "create":
        # The body template carries @NAME@; names are unique across workers, connections and sequence.
        template: bytes = spec["body"].encode()
        prefix = f"{spec.get('name_prefix', 'bench')}-w{worker}"

        def make(c: int, i: int) -> bytes:
            return build_request(target, "POST", path, template.replace(b"@NAME@", f"{prefix}-c{c}-{i}".encode()))

        return make
    raise ValueError(f"unknown request kind {kind!r}")


# --- workers ------------------------------------------------------------------------------------


async def closed_loop(spec: dict[str, Any]) -> dict[str, Any]:
    """`concurrency` connections each sending back-to-back until start_at + duration.

    Requests that start before start_at are warm-up and not counted; requests that finish after the
    window closes are not counted either.
    """
    target = Target.from_json(spec["target"])
    conns = await connect_many(target, spec["concurrency"])
    make = _maker(target, spec, spec.get("worker", 0))
    start_at, end_at = spec["start_at"], spec["start_at"] + spec["duration"]
    lat_us: list[int] = []
    statuses: collections.Counter[int] = collections.Counter()
    errors = 0
    sample_error = ""

    async def run(c: int, conn: Connection) -> None:
        nonlocal errors, sample_error
        i = 0
        while True:
            raw = make(c, i)
            i += 1
            t0 = time.monotonic()
            if t0 >= end_at:
                return
            try:
                status, body = await conn.request(raw)
            except Exception as e:  # a dropped connection ends this lane, and is reported
                errors += 1
                sample_error = repr(e)
                return
            t1 = time.monotonic()
            if t0 >= start_at and t1 <= end_at:
                statuses[status] += 1
                lat_us.append(int((t1 - t0) * 1e6))
                if status >= 300 and not sample_error:
                    sample_error = f"{status} {body[:300]!r}"

    cpu_box: list[float] = []

    async def cpu_probe() -> None:
        await _sleep_until(start_at)
        cpu_box.append(cpu_seconds())
        await _sleep_until(end_at)
        cpu_box.append(cpu_seconds())

    probe = asyncio.create_task(cpu_probe())
    await asyncio.gather(*(run(c, conn) for c, conn in enumerate(conns)))
    await probe
    for conn in conns:
        conn.close()
    return {"count": len(lat_us), "statuses": dict(statuses), "errors": errors, "sample_error": sample_error,
            "lat_us": lat_us, "cpu_s": cpu_box[1] - cpu_box[0], "window_s": spec["duration"]}


async def open_loop(spec: dict[str, Any]) -> dict[str, Any]:
    """Requests at a fixed rate from start_at; latency is measured from each request's scheduled
    time, so a stalled server shows up as latency rather than as a lower send rate."""
    target = Target.from_json(spec["target"])
    pool: list[Connection] = await connect_many(target, spec.get("connections", 8))
    opened = len(pool)
    make = _maker(target, spec, spec.get("worker", 0))
    rate, total = spec["rate"], int(spec["rate"] * spec["duration"])
    start_at = spec["start_at"]
    lat_us: list[int] = []
    statuses: collections.Counter[int] = collections.Counter()
    errors = 0
    sample_error = ""

    async def one(i: int, scheduled: float) -> None:
        nonlocal opened, errors, sample_error
        if pool:
            conn = pool.pop()
        else:
            conn = await connect(target)
            opened += 1
        try:
            status, body = await conn.request(make(0, i))
        except Exception as e:
            errors += 1
            sample_error = repr(e)
            return
        lat_us.append(int((time.monotonic() - scheduled) * 1e6))
        statuses[status] += 1
        if status >= 300 and not sample_error:
            sample_error = f"{status} {body[:300]!r}"
        pool.append(conn)

    await _sleep_until(start_at)
    cpu0 = cpu_seconds()
    tasks = []
    for i in range(total):
        scheduled = start_at + i / rate
        await _sleep_until(scheduled)
        tasks.append(asyncio.create_task(one(i, scheduled)))
    await asyncio.gather(*tasks)
    cpu = cpu_seconds() - cpu0
    for conn in pool:
        conn.close()
    return {"count": len(lat_us), "statuses": dict(statuses), "errors": errors, "sample_error": sample_error,
            "lat_us": lat_us, "cpu_s": cpu, "window_s": time.monotonic() - start_at, "connections": opened}


async def watchers(spec: dict[str, Any]) -> dict[str, Any]:
    """`count` watch streams on one path; prints READY once every one has its 200 headers, then
    waits until each has seen `expect` events (or `timeout` seconds pass)."""
    target = Target.from_json(spec["target"])
    n, expect = spec["count"], spec["expect"]
    remaining = [n]
    all_done = asyncio.Event()

    def on_done() -> None:
        remaining[0] -= 1
        if remaining[0] <= 0:
            all_done.set()

    sem = asyncio.Semaphore(32)

    async def one() -> tuple[asyncio.Transport, _WatchProtocol]:
        async with sem:
            t, p = await open_watch(target, spec["path"], expect, on_done)
            await p.headers
            return t, p

    streams = await asyncio.gather(*(one() for _ in range(n)))
    bad = [p.status for _, p in streams if p.status != 200]
    print("READY", flush=True)
    cpu0 = cpu_seconds()
    try:
        await asyncio.wait_for(all_done.wait(), spec.get("timeout", 60))
    except TimeoutError:
        pass
    cpu = cpu_seconds() - cpu0
    protos = [p for _, p in streams]
    for t, _ in streams:
        t.close()
    counts = [p.events for p in protos]
    done = [p.done_at for p in protos if p.done_at]
    firsts = [p.first_at for p in protos if p.first_at]
    return {"watchers": n, "bad_status": bad, "completed": len(done), "min_events": min(counts),
            "max_events": max(counts), "total_events": sum(counts),
            "first_event_at": min(firsts) if firsts else 0.0, "last_done_at": max(done) if done else 0.0,
            "cpu_s": cpu}


async def burst(spec: dict[str, Any]) -> dict[str, Any]:
    """`total` creates as fast as `concurrency` connections allow, starting at start_at."""
    target = Target.from_json(spec["target"])
    conns = await connect_many(target, spec["concurrency"])
    make = _maker(target, spec, spec.get("worker", 0))
    total = spec["total"]
    next_i = [0]
    statuses: collections.Counter[int] = collections.Counter()
    sample_error = ""

    async def run(c: int, conn: Connection) -> None:
        nonlocal sample_error
        while next_i[0] < total:
            i = next_i[0]
            next_i[0] += 1
            status, body = await conn.request(make(c, i))
            statuses[status] += 1
            if status >= 300 and not sample_error:
                sample_error = f"{status} {body[:300]!r}"

    await _sleep_until(spec["start_at"])
    cpu0 = cpu_seconds()
    first = time.monotonic()
    await asyncio.gather(*(run(c, conn) for c, conn in enumerate(conns)))
    last = time.monotonic()
    for conn in conns:
        conn.close()
    return {"first_send_at": first, "last_ack_at": last, "statuses": dict(statuses),
            "sample_error": sample_error, "cpu_s": cpu_seconds() - cpu0}


WORKERS = {"closed": closed_loop, "open": open_loop, "watchers": watchers, "burst": burst}


def main(argv: list[str]) -> None:
    spec = json.loads(argv[1])
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # plain asyncio still works, only slower
        pass
    result = asyncio.run(WORKERS[spec["mode"]](spec))
    # The result goes to a file: after a uvloop run, a large write to a full stdout pipe was seen
    # to return short and be dropped silently.
    Path(spec["result_path"]).write_text(json.dumps(result))

if __name__ == "__main__":
    main(sys.argv)
