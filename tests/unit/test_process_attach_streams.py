"""Attach output readers of the process runtime: both streams end, whatever order output comes in."""

from __future__ import annotations

import asyncio

from uwernetes.node import logs
from uwernetes.node.runtimes.process import _Demux, _StreamReader


async def _drain(reader: _StreamReader) -> bytes:
    out = b""
    while chunk := await reader.read():
        out += chunk
    return out


def test_both_streams_end_when_their_end_markers_interleave():
    async def main():
        demux, exited = _Demux(), asyncio.Event()
        readers = [_StreamReader(demux.queues[s], exited) for s in (logs.STDOUT, logs.STDERR)]
        tasks = [asyncio.create_task(_drain(r)) for r in readers]
        await asyncio.sleep(0)  # both readers are waiting before anything arrives
        for item in ((logs.STDOUT, b"a"), (logs.STDERR, b"x"), (logs.STDOUT, b"b"), (logs.STDOUT, b""),
                     (logs.STDERR, b"")):
            demux.put_nowait(item)
        return await asyncio.wait_for(asyncio.gather(*tasks), 2)

    assert asyncio.run(main()) == [b"ab", b"x"]


def test_attaching_after_the_output_ended_reads_an_end_at_once():
    async def main():
        exited = asyncio.Event()
        exited.set()
        return await asyncio.wait_for(_drain(_StreamReader(asyncio.Queue(), exited)), 2)

    assert asyncio.run(main()) == b""


def test_output_queued_before_the_exit_is_read_before_the_end():
    async def main():
        demux, exited = _Demux(), asyncio.Event()
        reader = _StreamReader(demux.queues[logs.STDOUT], exited)
        pending = asyncio.create_task(_drain(reader))
        await asyncio.sleep(0)
        demux.put_nowait((logs.STDOUT, b"last words"))
        exited.set()
        return await asyncio.wait_for(pending, 2)

    assert asyncio.run(main()) == b"last words"
