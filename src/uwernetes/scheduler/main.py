"""Entry point: `run(ctx)` starts the scheduler inside `uwe up` or `uwe scheduler`.

`RUNNING` lists the schedulers alive in this process, so in-process tests and benchmarks can read
their metrics (`Scheduler.render_metrics()`); each also writes them to
`<data_dir>/scheduler-metrics.txt` once a second, for tests that drive `uwe up` from outside.
"""

from __future__ import annotations

from typing import Any

from uwernetes.scheduler.scheduler import DEFAULT_SCHEDULER_NAME, Scheduler

RUNNING: list[Scheduler] = []
METRICS_FILE = "scheduler-metrics.txt"


async def run(ctx: Any) -> None:
    name = (ctx.options or {}).get("scheduler_name") or DEFAULT_SCHEDULER_NAME
    metrics_file = ctx.data_dir / METRICS_FILE if getattr(ctx, "data_dir", None) else None
    scheduler = Scheduler(ctx.client(name), scheduler_name=name, metrics_file=metrics_file)
    RUNNING.append(scheduler)
    try:
        await scheduler.run()
    finally:
        RUNNING.remove(scheduler)
