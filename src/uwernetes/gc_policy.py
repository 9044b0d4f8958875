"""Garbage-collector policy for long-running server processes.

The API server, scheduler and controllers keep every object of the cluster in memory (watch
caches, informers). CPython's default thresholds run a full collection every few thousand
allocations once that heap is large, and each walks every cached dict: pauses of hundreds of
milliseconds that dominate write latency. Nearly all of those objects are acyclic JSON data freed
by reference counting, so collections find almost nothing. We collect rarely, and move what has
survived into the permanent generation now and then so full collections only see recent objects.
"""

from __future__ import annotations

import asyncio
import gc

THRESHOLDS = (50_000, 20, 50)
REFREEZE_SECONDS = 60.0


def apply() -> None:
    """Raise the thresholds and freeze what exists now (call once start-up is done)."""
    gc.set_threshold(*THRESHOLDS)
    gc.collect()
    gc.freeze()


async def refreeze_forever(interval: float = REFREEZE_SECONDS) -> None:
    """Young cycles are collected first, so only long-lived objects end up frozen."""
    while True:
        await asyncio.sleep(interval)
        gc.collect(1)
        gc.freeze()
