"""Scale benchmark for simulated node agents: everything in one process, as `uwe up` runs it.

Prints:
- the time until N simulated nodes (default 5,000) are registered and Ready;
- the time for M pods (default 10,000) created -> all Running (through the scheduler when it is
  in this build, else created with spec.nodeName set round-robin: the output says which);
- pod start latency (create sent -> Running seen by a watch), p50 and p99;
- peak RSS of the process (VmHWM from /proc/self/status);
- with --pods-100k: the same for a total of 100,000 pods on those nodes, and the peak RSS after.

Usage: .venv/bin/python benchmarks/scale.py [--nodes 5000] [--pods 10000] [--pods-100k] [--no-scheduler]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import logging
import tempfile
import time
from pathlib import Path

from uwernetes.apiserver.server import RunningServer, ServerConfig
from uwernetes.client.api import NODES, PODS, APIError
from uwernetes.node import agent


def vm(field: str) -> str:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                kib = int(line.split()[1])
                return f"{kib / 1024 / 1024:.2f} GiB"
    return "?"


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


class Tracker:
    """Watches all pods once; records when each first shows phase Running."""

    def __init__(self, client) -> None:
        self.client = client
        self.sent: dict[str, float] = {}
        self.running: dict[str, float] = {}
        self.want = 0
        self.done = asyncio.Event()

    async def run(self, rv: str) -> None:
        async for ev in self.client.watch(PODS, resource_version=rv, timeout_seconds=3600):
            obj = ev.object
            if ev.type in ("ADDED", "MODIFIED") and (obj.get("status") or {}).get("phase") == "Running":
                name = obj["metadata"]["name"]
                if name not in self.running:
                    self.running[name] = time.monotonic()
                    if len(self.running) >= self.want:
                        self.done.set()


async def create_pods(client, names: list[str], node_names: list[str] | None, tracker: Tracker,
                      concurrency: int = 64) -> None:
    it = iter(enumerate(names))

    async def worker() -> None:
        for i, name in it:
            spec = {"containers": [{"name": "main", "image": "registry.k8s.io/pause:3.9",
                                    "resources": {"requests": {"cpu": "1m", "memory": "1Mi"}}}]}
            if node_names:
                spec["nodeName"] = node_names[i % len(node_names)]
            body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"}, "spec": spec}
            tracker.sent[name] = time.monotonic()
            for attempt in range(5):
                try:
                    await client.create(PODS, body)
                    break
                except APIError as e:
                    if e.code == 409:
                        break
                    await asyncio.sleep(0.2 * (attempt + 1))

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def pod_round(client, tracker: Tracker, names: list[str], node_names: list[str] | None, label: str) -> None:
    tracker.want = len(tracker.running) + len(names)
    tracker.done.clear()
    t0 = time.monotonic()
    await create_pods(client, names, node_names, tracker)
    t_created = time.monotonic() - t0
    await tracker.done.wait()
    total = time.monotonic() - t0
    lat = [tracker.running[n] - tracker.sent[n] for n in names if n in tracker.running]
    print(f"{label}: {len(names)} pods created in {t_created:.1f}s, all Running after {total:.1f}s "
          f"({len(names) / total:.0f} pods/s)")
    print(f"{label}: start latency (create -> Running by watch) p50 {pct(lat, 50) * 1000:.0f} ms, "
          f"p99 {pct(lat, 99) * 1000:.0f} ms")
    print(f"{label}: peak RSS {vm('VmHWM')} (current {vm('VmRSS')})")


async def main(args: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.WARNING)
    has_scheduler = importlib.util.find_spec("uwernetes.scheduler.main") is not None and not args.no_scheduler
    tmp = Path(tempfile.mkdtemp(prefix="uwe-scale-"))
    options = {"name_prefix": "sim-", "simulated_start_delay": args.start_delay,
               "status_concurrency": args.status_concurrency, "register_concurrency": 64,
               "pods": str(max(110, args.pods_total // args.nodes + 10))}
    srv = RunningServer(ServerConfig(data_dir=tmp, scheduler=has_scheduler, controllers=False, nodes=args.nodes, tune_gc=True,
                                     runtime="simulated", component_options=options))
    t0 = time.monotonic()
    await srv.start()
    client = srv.client("bench")
    while not agent.pools() or not agent.pools()[0].ready.is_set():
        await asyncio.sleep(0.05)
    nodes = []
    cont = None
    while True:
        page = await client.list(NODES, limit=1000, continue_=cont)
        nodes += page["items"]
        cont = page["metadata"].get("continue")
        if not cont:
            break
    ready = sum(1 for n in nodes if any(c["type"] == "Ready" and c["status"] == "True"
                                         for c in n["status"].get("conditions", [])))
    print(f"nodes: {ready}/{args.nodes} simulated nodes Ready after {time.monotonic() - t0:.1f}s "
          f"(peak RSS so far {vm('VmHWM')})")
    node_names = None if has_scheduler else [n["metadata"]["name"] for n in nodes]
    print(f"pods are placed by {'the scheduler' if has_scheduler else 'spec.nodeName at create (no scheduler in this build)'}")
    rv = (await client.list(PODS, limit=1))["metadata"]["resourceVersion"]
    tracker = Tracker(client)
    watch = asyncio.create_task(tracker.run(rv))
    await pod_round(client, tracker, [f"p-{i}" for i in range(args.pods)], node_names, f"{args.pods} pods")
    if args.pods_100k:
        rest = [f"p-{i}" for i in range(args.pods, args.pods_total)]
        await pod_round(client, tracker, rest, node_names, f"up to {args.pods_total} pods")
    pool = agent.pools()[0]
    print(f"status writes: {pool.status_writer.writes}")
    watch.cancel()
    await srv.stop()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", type=int, default=5000)
    ap.add_argument("--pods", type=int, default=10000)
    ap.add_argument("--pods-100k", action="store_true", help="go on to 100,000 pods and report peak RSS")
    ap.add_argument("--pods-total", type=int, default=100000)
    ap.add_argument("--no-scheduler", action="store_true")
    ap.add_argument("--start-delay", type=float, default=0.0)
    ap.add_argument("--status-concurrency", type=int, default=32)
    a = ap.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main(a))
