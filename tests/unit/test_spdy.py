"""The SPDY/3.1 server session: frames in, frames out, against a transport that records writes."""

from __future__ import annotations

import asyncio
import struct
import zlib

from uwernetes.apiserver import spdy


class Recorder:
    def __init__(self) -> None:
        self.out = bytearray()
        self.closed = False

    def write(self, data: bytes) -> None:
        self.out += data

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True


class Client:
    """The peer's side: its own compression context, as kubectl's spdystream keeps one."""

    def __init__(self) -> None:
        self.deflate = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS, 9, zlib.Z_DEFAULT_STRATEGY, spdy.DICTIONARY)
        self.inflate = zlib.decompressobj(zdict=spdy.DICTIONARY)

    def syn_stream(self, stream_id: int, headers: dict[str, str], flags: int = 0) -> bytes:
        block = self.deflate.compress(spdy.encode_headers(headers)) + self.deflate.flush(zlib.Z_SYNC_FLUSH)
        return spdy.control_frame(spdy.SYN_STREAM, flags, struct.pack(">IIBB", stream_id, 0, 0, 0) + block)

    def frames(self, data: bytes) -> list[tuple]:
        out, at = [], 0
        while at < len(data):
            first, flags_len = struct.unpack_from(">II", data, at)
            size = flags_len & 0xFFFFFF
            body = data[at + 8:at + 8 + size]
            at += 8 + size
            if first & 0x80000000:
                kind = first & 0xFFFF
                if kind == spdy.SYN_REPLY:
                    (sid,) = struct.unpack_from(">I", body)
                    out.append(("SYN_REPLY", sid, spdy.decode_headers(self.inflate.decompress(body[4:]))))
                else:
                    out.append((kind, body))
            else:
                out.append(("DATA", first, flags_len >> 24, body))
        return out


def test_streams_open_carry_data_and_close():
    async def main():
        opened: list[spdy.Stream] = []
        session = spdy.Session(opened.append)
        wire = Recorder()
        session.connection_made(wire)
        client = Client()
        # Two streams in one read, sharing the peer's compression context, as kubectl sends them.
        session.data_received(client.syn_stream(1, {"streamtype": "error", "port": "80", "requestid": "0"})
                              + client.syn_stream(3, {"streamtype": "data", "port": "80", "requestid": "0"}))
        assert [s.headers["streamtype"] for s in opened] == ["error", "data"]
        for s in opened:
            s.reply()
        data = opened[1]
        session.data_received(spdy.data_frame(3, 0, b"GET / ") + spdy.data_frame(3, spdy.FLAG_FIN, b"HTTP/1.0"))
        got = [await data.read(), await data.read(), await data.read()]
        assert got == [b"GET / ", b"HTTP/1.0", b""]
        data.write(b"x" * 70_000)
        data.close()
        session.data_received(spdy.control_frame(spdy.PING, 0, struct.pack(">I", 7)))
        frames = client.frames(bytes(wire.out))
        assert frames[:2] == [("SYN_REPLY", 1, {}), ("SYN_REPLY", 3, {})]
        sent = [f for f in frames if f[0] == "DATA"]
        assert b"".join(f[3] for f in sent) == b"x" * 70_000
        assert all(f[1] == 3 for f in sent) and sent[-1][2] == spdy.FLAG_FIN and sent[-1][3] == b""
        assert frames[-1] == (spdy.PING, struct.pack(">I", 7))

    asyncio.run(main())


def test_a_reset_stream_ends_its_reader_and_garbage_ends_the_session():
    async def main():
        opened: list[spdy.Stream] = []
        session = spdy.Session(opened.append)
        wire = Recorder()
        session.connection_made(wire)
        session.data_received(Client().syn_stream(5, {"streamtype": "data", "port": "80", "requestid": "1"}))
        session.data_received(spdy.control_frame(spdy.RST_STREAM, 0, struct.pack(">II", 5, spdy.RST_CANCEL)))
        assert await opened[0].read() == b""
        # A SYN_STREAM whose header block is not the dictionary's zlib stream: GOAWAY, then close.
        session.data_received(spdy.control_frame(spdy.SYN_STREAM, 0, struct.pack(">IIBB", 7, 0, 0, 0) + b"junk"))
        assert wire.closed
        assert Client().frames(bytes(wire.out))[-1][0] == spdy.GOAWAY

    asyncio.run(main())


def test_dictionary_is_spdy3s():
    # 1,423 bytes; zlib streams name their dictionary by this Adler-32, so a wrong byte fails every header.
    assert (len(spdy.DICTIONARY), zlib.adler32(spdy.DICTIONARY)) == (1423, 0xE3C6A7C2)


class FakeKubeletSocket:
    def __init__(self, frames: list[bytes]) -> None:
        self.frames = frames
        self.sent: list[bytes] = []

    def __aiter__(self):
        return self

    async def __anext__(self) -> bytes:
        if not self.frames:
            raise StopAsyncIteration
        return self.frames.pop(0)

    async def send(self, data: bytes) -> None:
        await asyncio.sleep(0)
        self.sent.append(data)


def test_kubelet_channels_skip_port_prefixes_and_raise_reported_errors():
    from uwernetes.apiserver.spdy_portforward import KubeletChannels

    async def main():
        port = (8080).to_bytes(2, "little")
        ws = FakeKubeletSocket([b"\x00" + port, b"\x01" + port, b"\x00hello", b"\x01dial tcp: refused"])
        ch = KubeletChannels(ws)
        first = await ch.read()
        try:
            await ch.read()
        except OSError as e:
            error = str(e)
        ch.write(b"a")
        ch.write(b"b")
        await ch.drain()
        return first, error, ws.sent

    assert asyncio.run(main()) == (b"hello", "dial tcp: refused", [b"\x00a", b"\x00b"])
