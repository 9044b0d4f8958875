"""Measure the "API machinery" numbers (issue 3, section Speed) and print them as a table.

    cd /work/main && .venv/bin/python benchmarks/api_machinery.py [--only apply,patch] [--objects 1000]

- apply: a 1,000-object manifest (ConfigMaps, Secrets, Services, Deployments) applied with real
  kubectl 1.30, client-side and then server-side (each into a fresh namespace of the same server),
  timed end to end, with the server's CPU seconds per object.
- patch: strategic merge and server-side apply patches per second on one pod whose spec has 100
  containers, sent over keep-alive HTTPS connections from this process (the generator's CPU is
  printed too, to show which side was the limit). Server-side apply is measured twice: the whole
  100-container configuration re-applied with one image changed (what `kubectl apply --server-side`
  sends), and a partial configuration naming one container's image (what a controller that owns
  only that field sends).

Each phase starts its own `uwe up --nodes 0` and stops it afterwards. Targets are printed next to
the numbers; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _loadgen as lg  # noqa: E402
from api_core import KUBECTL, Report, Server, machine_busy, request, stop_all, wait_for_default_sa  # noqa: E402

PHASES = ("apply", "patch")


# --- apply --------------------------------------------------------------------------------------


def manifest(namespace: str, count: int) -> str:
    """`count` objects of four kinds, as one multi-document YAML file."""
    docs = []
    for i in range(count):
        kind = i % 10
        name = f"obj-{i:05d}"
        meta = {"name": name, "namespace": namespace, "labels": {"app": "bench", "index": str(i)}}
        if kind < 6:
            docs.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta,
                         "data": {"config.yaml": f"key: {i}\n", "mode": "bench"}})
        elif kind < 8:
            docs.append({"apiVersion": "v1", "kind": "Secret", "metadata": meta, "type": "Opaque",
                         "stringData": {"password": f"p{i}"}})
        elif kind < 9:
            docs.append({"apiVersion": "v1", "kind": "Service", "metadata": meta,
                         "spec": {"selector": {"app": name}, "ports": [{"port": 80, "targetPort": 8080}]}})
        else:
            docs.append({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
                         "spec": {"replicas": 0, "selector": {"matchLabels": {"app": name}},
                                  "template": {"metadata": {"labels": {"app": name}},
                                               "spec": {"containers": [{"name": "web", "image": "nginx:1.25",
                                                                        "ports": [{"containerPort": 80}],
                                                                        "env": [{"name": "INDEX", "value": str(i)}]}]}}}})
    return yaml.safe_dump_all(docs, sort_keys=False)


def _kubectl(args: argparse.Namespace, s: Server, *cmd: str, cache: Path) -> subprocess.CompletedProcess:
    return subprocess.run([args.kubectl, f"--kubeconfig={s.kubeconfig}", f"--cache-dir={cache}", *cmd],
                          capture_output=True, text=True, timeout=600)


def _children_cpu() -> float:
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def phase_apply(args: argparse.Namespace, rep: Report, tmp: Path) -> None:
    print(f"apply: kubectl apply of a {args.objects}-object manifest", flush=True)
    with Server(args.uwe, tmp / "apply", extra=args.up).start() as s:
        wait_for_default_sa(s)
        cache = tmp / "kubectl-cache"
        # Warm kubectl's discovery and OpenAPI caches once, as a user's would be.
        _kubectl(args, s, "get", "ns", cache=cache)
        # kubectl checks, per object, that the server supports fieldValidation by parsing the
        # group-version's OpenAPI document again; --validate=false shows what is left without it.
        modes = (("client-side", ()), ("server-side", ("--server-side",)),
                 ("server-side, --validate=false", ("--server-side", "--validate=false")))
        for mode, flags in modes:
            ns = "bench-" + mode.split(",")[0] + ("-novalidate" if "validate" in mode else "")
            _kubectl(args, s, "create", "namespace", ns, cache=cache)
            path = tmp / f"{ns}.yaml"
            path.write_text(manifest(ns, args.objects))
            cpu0, t0, k0 = s.cpu(), time.monotonic(), _children_cpu()
            proc = _kubectl(args, s, "apply", *flags, "-f", str(path), cache=cache)
            wall, cpu, kcpu = time.monotonic() - t0, s.cpu() - cpu0, _children_cpu() - k0
            if proc.returncode != 0:
                raise RuntimeError(f"kubectl apply {mode} failed: {proc.stderr[-2000:]}")
            applied = sum(1 for line in proc.stdout.splitlines() if line.strip())
            target = "<= 3 s" if mode.startswith("server-side") else ""
            met = wall <= 3.0 if mode.startswith("server-side") else None
            rep.add(f"apply {mode}: {applied} objects, kubectl end to end", wall, "s", target, met,
                    f"{applied / wall:,.0f} objects/s; kubectl's own CPU {kcpu:.1f} s")
            rep.add(f"apply {mode}: server CPU per object", cpu / max(applied, 1) * 1000, "ms", "",
                    None, f"server CPU {cpu:.2f} s in total")
            # The second apply of an unchanged manifest: what re-running a deploy costs.
            cpu0, t0 = s.cpu(), time.monotonic()
            proc = _kubectl(args, s, "apply", *flags, "-f", str(path), cache=cache)
            wall = time.monotonic() - t0
            rep.add(f"apply {mode}: same manifest again (no changes)", wall, "s", "", None,
                    f"server CPU {s.cpu() - cpu0:.2f} s")


# --- patch --------------------------------------------------------------------------------------


def big_pod(name: str, containers: int) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": "bench"}},
        "spec": {
            "schedulingGates": [{"name": "bench.example.com/hold"}],
            "containers": [
                {"name": f"c{i:03d}", "image": "busybox:1.36", "command": ["sleep", "3600"],
                 "env": [{"name": "INDEX", "value": str(i)}, {"name": "MODE", "value": "bench"}],
                 "ports": [{"containerPort": 8000 + i, "name": f"p{i}"}],
                 "resources": {"requests": {"cpu": "1m", "memory": "1Mi"}}}
                for i in range(containers)
            ],
        },
    }


def _smp_body(n: int) -> tuple[bytes, str]:
    # Changes one container's image through its merge key, as kubectl's patches do.
    body = {"metadata": {"annotations": {"bench/n": str(n)}},
            "spec": {"containers": [{"name": f"c{n % 100:03d}", "image": f"busybox:1.{n % 50}"}]}}
    return json.dumps(body).encode(), "application/strategic-merge-patch+json"


def _apply_body(pod: dict, n: int) -> tuple[bytes, str]:
    # The whole 100-container configuration re-applied by one manager with one field changed.
    cfg = json.loads(json.dumps(pod))
    cfg["metadata"]["annotations"] = {"bench/n": str(n)}
    cfg["spec"]["containers"][n % 100]["image"] = f"busybox:1.{n % 50}"
    return json.dumps(cfg).encode(), "application/apply-patch+yaml"


def _partial_apply_body(n: int) -> tuple[bytes, str]:
    # Only the fields this manager owns: one container's image, changed on every request.
    cfg = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "ssa-partial"},
           "spec": {"containers": [{"name": "c042", "image": f"busybox:1.{n % 50}"}]}}
    return json.dumps(cfg).encode(), "application/apply-patch+yaml"


async def _patch_loop(target: lg.Target, path: str, make, seconds: float, concurrency: int) -> dict:
    conns = await lg.connect_many(target, concurrency)
    counter = [0]
    statuses: dict[int, int] = {}
    lat: list[float] = []
    stop_at = time.monotonic() + seconds

    async def worker(conn: lg.Connection) -> None:
        while time.monotonic() < stop_at:
            n = counter[0]
            counter[0] += 1
            body, ctype = make(n)
            raw = lg.build_request(target, "PATCH", path, body, content_type=ctype)
            t = time.monotonic()
            status, _ = await conn.request(raw)
            lat.append(time.monotonic() - t)
            statuses[status] = statuses.get(status, 0) + 1

    t0, c0 = time.monotonic(), lg.cpu_seconds()
    await asyncio.gather(*(worker(c) for c in conns))
    wall, cpu = time.monotonic() - t0, lg.cpu_seconds() - c0
    for c in conns:
        c.close()
    return {"count": len(lat), "wall": wall, "statuses": statuses, "p99": lg.percentiles([x * 1e6 for x in lat])["p99"],
            "client_cpu": cpu}


def phase_patch(args: argparse.Namespace, rep: Report, tmp: Path) -> None:
    print("patch: SMP and SSA patches per second on a 100-container pod", flush=True)
    with Server(args.uwe, tmp / "patch", extra=args.up).start() as s:
        wait_for_default_sa(s)
        pods = "/api/v1/namespaces/default/pods"
        # Gated pods are never scheduled, so nothing but the patches writes them.
        for name in ("smp", "ssa", "ssa-partial"):
            status, body = request(s.target, "POST", pods, big_pod(name, 100))
            if status != 201:
                raise RuntimeError(f"creating the pod failed: {status} {body}")
        ssa_pod = big_pod("ssa", 100)
        cases = (
            ("strategic merge", "smp", f"{pods}/smp?fieldManager=bench", _smp_body, "", None),
            ("server-side apply", "ssa", f"{pods}/ssa?fieldManager=bench&force=true",
             lambda n: _apply_body(ssa_pod, n), ">= 1,000/s", 1000.0),
            ("server-side apply, one container's image", "ssa-partial",
             f"{pods}/ssa-partial?fieldManager=image-updater&force=true", _partial_apply_body, ">= 1,000/s", 1000.0),
        )
        for label, _name, path, make, target, goal in cases:
            cpu0 = s.cpu()
            m = asyncio.run(_patch_loop(s.target, path, make, args.duration, args.concurrency))
            server_cpu = s.cpu() - cpu0
            rate = m["count"] / m["wall"]
            bad = {k: v for k, v in m["statuses"].items() if k != 200}
            notes = (f"p99 {m['p99'] / 1000:.1f} ms; server CPU {server_cpu:.1f} s, generator CPU "
                     f"{m['client_cpu']:.1f} s over {m['wall']:.1f} s" + (f"; NON-200 {bad}" if bad else ""))
            rep.add(f"patch {label}: 100-container pod, {args.concurrency} connections", rate, "/s", target,
                    None if goal is None else rate >= goal, notes)


# --- main ---------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default=",".join(PHASES), help=f"comma-separated phases ({','.join(PHASES)})")
    ap.add_argument("--uwe", default=str(Path(sys.executable).parent / "uwe"), help="the uwe console script")
    ap.add_argument("--kubectl", default=KUBECTL)
    ap.add_argument("--up-args", default="--nodes 0", help="extra `uwe up` flags")
    ap.add_argument("--objects", type=int, default=1000, help="objects in the applied manifest")
    ap.add_argument("--duration", type=float, default=5.0, help="seconds of each patch measurement")
    ap.add_argument("--concurrency", type=int, default=16, help="connections sending patches")
    return ap.parse_args(argv)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.up = tuple(shlex.split(args.up_args))
    phases = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = set(phases) - set(PHASES)
    if unknown:
        sys.exit(f"unknown phase(s): {', '.join(sorted(unknown))}")
    tmp = Path(tempfile.mkdtemp(prefix="uwe-bench-", dir="/tmp"))
    rep = Report()
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    t0 = time.monotonic()
    b0 = machine_busy()
    time.sleep(1.0)
    idle_load = machine_busy() - b0
    print(f"machine load before starting: {idle_load:.0%} of one core busy", flush=True)
    try:
        for name in phases:
            {"apply": phase_apply, "patch": phase_patch}[name](args, rep, tmp)
    except KeyboardInterrupt:
        print("\ninterrupted; results so far:", file=sys.stderr)
    finally:
        stop_all()
        shutil.rmtree(tmp, ignore_errors=True)
    print()
    print(f"API machinery benchmark ({os.cpu_count()} CPUs, {time.monotonic() - t0:.0f} s, "
          f"{idle_load:.0%} of a core busy with other work before the start)")
    print(rep.table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
