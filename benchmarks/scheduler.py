"""Scheduler throughput: N fake nodes, M pending pods, pods bound per second, end to end.

    cd /work/main && .venv/bin/python benchmarks/scheduler.py [--nodes 5000] [--pods 10000]
        [--mode precreated|concurrent] [--profile out.prof] [--no-events]

Everything runs in one process on one event loop, as `uwe up` does: the API server (SQLite in a
temporary directory), and the scheduler talking to it over the in-process transport (full request
path: authentication, admission, validation, storage, watch). Nodes are Node objects created
through the API (no node agents). Modes:
- precreated: create nodes and pods first, then start the scheduler; report informer sync time and
  the bind rate from the first pod popped to the last pod bound (what upstream's scheduler_perf
  calls SchedulingThroughput).
- concurrent: start the scheduler first, then create the pods; report the rate of the whole run.
- algorithm: no API server at all: the scheduling cycle plus assume, in a loop over the same
  objects (what the scheduler alone can do; the difference to the modes above is the API path).
Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from uwernetes.apiserver.server import RunningServer, ServerConfig  # noqa: E402
from uwernetes.client import api  # noqa: E402
from uwernetes.scheduler.scheduler import Scheduler  # noqa: E402

ZONES = ("zone-a", "zone-b", "zone-c")


def node(i: int) -> dict:
    name = f"node-{i:05d}"
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
                                                  "topology.kubernetes.io/zone": ZONES[i % len(ZONES)]}},
            "status": {"capacity": {"cpu": "32", "memory": "256Gi", "pods": "110"},
                       "allocatable": {"cpu": "32", "memory": "256Gi", "pods": "110"},
                       "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}]}}


OWNERS = 0  # --owned: pods belong to this many ReplicaSets (system default topology spreading applies)


def pod(i: int) -> dict:
    meta = {"name": f"pod-{i:06d}", "namespace": "default", "labels": {"app": "bench"}}
    if OWNERS:
        rs = i % OWNERS
        meta["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": f"rs-{rs}",
                                    "uid": f"00000000-0000-0000-0000-{rs:012d}", "controller": True}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
            "spec": {"containers": [{"name": "c", "image": "registry.k8s.io/pause:3.9",
                                     "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}]}}


async def bounded(n: int, make, concurrency: int = 64) -> None:
    it = iter(range(n))

    async def worker() -> None:
        for i in it:
            await make(i)
    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def create_nodes(client: api.Client, n: int) -> None:
    async def one(i: int) -> None:
        obj = node(i)
        created = await client.create(api.NODES, obj)
        if (created.get("status") or {}).get("allocatable") != obj["status"]["allocatable"]:
            created["status"] = obj["status"]
            await client.update_status(api.NODES, created)
    await bounded(n, one)


async def create_pods(client: api.Client, n: int) -> None:
    await bounded(n, lambda i: client.create(api.PODS, pod(i)))


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


async def wait_bound(s: Scheduler, n: int, timeout: float) -> float:
    deadline = time.perf_counter() + timeout
    while s.bound < n and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    return time.perf_counter()


def algorithm_only(args: argparse.Namespace) -> None:
    from uwernetes.scheduler.algorithm import Algorithm
    from uwernetes.scheduler.cache import Cache
    from uwernetes.scheduler.framework import PodInfo

    cache = Cache()
    for i in range(args.nodes):
        cache.add_node(node(i))
    algo = Algorithm()
    pods = [PodInfo(pod(i)) for i in range(args.pods)]
    t0 = time.perf_counter()
    for pi in pods:
        result = algo.schedule(pi, cache.node_list, cache.anti_affinity_nodes(), None, cache.keys,
                               cache.owner_nodes(pi), cache.owner_zones(pi), cache.positions)
        cache.assume(pi, result.node)
    elapsed = time.perf_counter() - t0
    print(f"algorithm only: {args.pods} pods in {elapsed:.2f}s -> {args.pods / elapsed:.0f} pods/s at {args.nodes} nodes")


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = RunningServer(ServerConfig(data_dir=Path(tmp), tls=False, tune_gc=True))
        await server.start()
        client = server.client("bench", "bench")
        try:
            t0 = time.perf_counter()
            await create_nodes(client, args.nodes)
            t1 = time.perf_counter()
            print(f"nodes created: {args.nodes} in {t1 - t0:.1f}s ({args.nodes / (t1 - t0):.0f}/s)")
            sched = Scheduler(server.client("default-scheduler", "default-scheduler"))
            if args.no_events:
                sched.events.record = lambda *a, **k: None  # type: ignore[method-assign]
            prof = cProfile.Profile() if args.profile else None
            if args.mode == "precreated":
                t0 = time.perf_counter()
                await create_pods(client, args.pods)
                t1 = time.perf_counter()
                print(f"pods created: {args.pods} in {t1 - t0:.1f}s ({args.pods / (t1 - t0):.0f}/s)")
                task = asyncio.create_task(sched.run())
                t_sync0 = time.perf_counter()
                await sched.pods.synced.wait()
                await sched.nodes.synced.wait()
                t_sync = time.perf_counter()
                print(f"scheduler informers synced in {t_sync - t_sync0:.2f}s")
                cpu0 = cpu_seconds()
                if prof:
                    prof.enable()
                t_end = await wait_bound(sched, args.pods, args.timeout)
            else:
                task = asyncio.create_task(sched.run())
                await sched.pods.synced.wait()
                await sched.nodes.synced.wait()
                t_sync = time.perf_counter()
                cpu0 = cpu_seconds()
                if prof:
                    prof.enable()
                await create_pods(client, args.pods)
                print(f"pods created in {time.perf_counter() - t_sync:.1f}s (scheduler running)")
                t_end = await wait_bound(sched, args.pods, args.timeout)
            if prof:
                prof.disable()
            elapsed = t_end - t_sync
            cpu = cpu_seconds() - cpu0
            print(f"bound: {sched.bound}/{args.pods} in {elapsed:.2f}s -> {sched.bound / elapsed:.0f} pods/s "
                  f"at {args.nodes} nodes ({args.mode})")
            # The machine may be shared: pods per CPU second of this process is the steadier number.
            print(f"process CPU during the run: {cpu:.1f}s -> {sched.bound / cpu:.0f} pods per CPU second")
            # let queued events drain a little to report them honestly
            await asyncio.sleep(1.0)
            print(f"events written: {sched.events.written}, dropped: {sched.events.dropped}; "
                  f"attempts: {sched.metrics.attempts}")
            print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            if prof:
                prof.dump_stats(args.profile)
                pstats.Stats(prof).sort_stats("cumulative").print_stats(35)
        finally:
            await client.close()
            await server.stop()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", type=int, default=5000)
    ap.add_argument("--pods", type=int, default=10000)
    ap.add_argument("--mode", choices=("precreated", "concurrent", "algorithm"), default="precreated")
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--profile", default="")
    ap.add_argument("--no-events", action="store_true")
    ap.add_argument("--owned", type=int, default=0, help="pods belong to this many ReplicaSets (default spreading)")
    ap.add_argument("--switch-interval", type=float, default=0.0,
                    help="experiment: sys.setswitchinterval (the SQLite writer thread and the loop share the GIL)")
    args = ap.parse_args()
    OWNERS = args.owned
    if args.switch_interval:
        sys.setswitchinterval(args.switch_interval)
    try:
        import uvloop
        uvloop.install()
    except ImportError:
        pass
    if args.mode == "algorithm":
        algorithm_only(args)
    else:
        asyncio.run(main(args))
