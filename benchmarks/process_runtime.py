"""Process runtime: create -> Running latency for N concurrent pods (issue 4, section Speed).

Starts an in-process cluster (API server, scheduler, one node agent with the process runtime),
creates N pods at once (`busybox:1.36` running `sleep 3600`, so pulls are paced only for the first
one: policy IfNotPresent), and reports create -> Running (seen by a watch) p50/p99/max. With
`--always-pull` the image is untagged (policy Always): every start then waits its turn for a
serialized pull, as on a kubelet with serializeImagePulls, and the numbers show that pacing.

    cd /work/main && .venv/bin/python benchmarks/process_runtime.py [--pods 50] [--always-pull]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from uwernetes.apiserver.server import RunningServer, ServerConfig
from uwernetes.client.api import PODS


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


async def main(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="uwe-proc-bench-"))
    srv = RunningServer(ServerConfig(data_dir=tmp, scheduler=True, controllers=False, nodes=1, runtime="process",
                                     tune_gc=True, component_options={"name_prefix": "proc-"}))
    await srv.start()
    client = srv.client("bench")
    try:
        while not (await client.list(PODS.__class__("", "v1", "nodes", False)))["items"]:
            await asyncio.sleep(0.05)
        while True:
            try:
                await client.get(PODS.__class__("", "v1", "serviceaccounts", True), "default", "default")
                break
            except Exception:
                await asyncio.sleep(0.05)
        image = "busybox" if args.always_pull else "busybox:1.36"
        rv = (await client.list(PODS, "default"))["metadata"]["resourceVersion"]
        sent: dict[str, float] = {}
        running: dict[str, float] = {}
        done = asyncio.Event()

        async def watch() -> None:
            async for ev in client.watch(PODS, "default", resource_version=rv, timeout_seconds=600):
                o = ev.object
                name = o["metadata"]["name"]
                if (o.get("status") or {}).get("phase") == "Running" and name in sent and name not in running:
                    running[name] = time.monotonic()
                    if len(running) == args.pods:
                        done.set()
                        return

        watcher = asyncio.create_task(watch())

        async def create(i: int) -> None:
            name = f"bench-{i}"
            sent[name] = time.monotonic()
            await client.create(PODS, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                                       "spec": {"terminationGracePeriodSeconds": 1, "containers": [
                                           {"name": "c", "image": image, "command": ["sleep", "3600"]}]}}, "default")

        t0 = time.monotonic()
        await asyncio.gather(*(create(i) for i in range(args.pods)))
        await asyncio.wait_for(done.wait(), 300)
        lat = [(running[n] - sent[n]) * 1000 for n in running]
        print(f"{args.pods} concurrent pods, image {image}: all Running after {time.monotonic() - t0:.2f}s")
        print(f"create -> Running: p50 {pct(lat, 50):.0f} ms, p99 {pct(lat, 99):.0f} ms, max {max(lat):.0f} ms")
        watcher.cancel()
        await client.delete_collection(PODS, "default")
        await asyncio.sleep(2)
    finally:
        await srv.stop()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--pods", type=int, default=50)
    ap.add_argument("--always-pull", action="store_true")
    import uvloop

    uvloop.install()
    asyncio.run(main(ap.parse_args()))
