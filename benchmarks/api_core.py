"""Measure the "API server core" numbers (issue 2, section Speed) and print them as a table.

    cd /work/main && .venv/bin/python benchmarks/api_core.py [--only startup,rss,get,pods,watch] [--json out.json]

Each phase starts its own `uwe up --data-dir <tmp> --port 0` and stops it afterwards (also on Ctrl-C
or an error). Load comes from separate worker processes (benchmarks/_loadgen.py) speaking raw
HTTP/1.1 over TLS, so the client is not what gets measured; the server's and the generators' CPU
seconds are printed next to every number to show which side was the limit. No targets are asserted:
the table shows each number next to its target and you judge.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import select
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _loadgen as lg  # noqa: E402

KUBECTL = "/usr/lib/google-cloud-sdk/bin/kubectl.1.30"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PHASES = ("startup", "rss", "get", "pods", "watch")

POD_BODY = json.dumps({
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "@NAME@", "labels": {"app": "bench"}},
    "spec": {"containers": [{"name": "main", "image": "busybox", "command": ["sleep", "3600"]}]},
})
CONFIGMAP_BODY = json.dumps({
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "@NAME@", "labels": {"app": "bench"}},
    "data": {"key": "value"},
})


# --- processes ----------------------------------------------------------------------------------


def proc_tree(pid: int) -> list[int]:
    """pid and all its descendants (in case `uwe up` ever spawns helpers)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def cpu_of(pids: list[int]) -> float:
    """utime + stime of the processes (all threads), in seconds."""
    total = 0
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # fields 14 and 15 of stat(5)
    return total / CLK_TCK


def machine_busy() -> float:
    """CPU seconds all processes on the machine have used (from /proc/stat), to spot outside load."""
    vals = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(vals) - vals[3] - vals[4]) / CLK_TCK  # minus idle and iowait


def others_note(busy: float, *known: float, window: float) -> str:
    """Share of a core used by processes other than the server and our generators in the window."""
    other = max(0.0, busy - sum(known)) / window
    return f"; other processes {other:.0%}" + (" (machine busy: numbers are low)" if other > 0.15 else "")


def rss_mb(pids: list[int]) -> float:
    total_kb = 0
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except OSError:
            continue
    return total_kb / 1024


_LIVE: list[subprocess.Popen] = []  # everything we started, stopped in main's finally


def _spawn(cmd: list[str], **kw: Any) -> subprocess.Popen:
    # A new session keeps a terminal Ctrl-C away from children: we stop them ourselves, in order.
    p = subprocess.Popen(cmd, start_new_session=True, **kw)
    _LIVE.append(p)
    return p


def _stop(p: subprocess.Popen, sig: int = signal.SIGINT, grace: float = 10.0) -> None:
    if p.poll() is None:
        try:
            p.send_signal(sig)
            p.wait(grace)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        except ProcessLookupError:
            pass
    if p in _LIVE:
        _LIVE.remove(p)


def stop_all() -> None:
    # Load workers hold nothing worth a clean exit (and may have inherited an ignored SIGINT).
    for p in list(_LIVE):
        _stop(p, sig=signal.SIGINT if getattr(p, "is_server", False) else signal.SIGTERM, grace=5.0)


@dataclass
class Server:
    """One `uwe up` process."""

    uwe: str
    data_dir: Path
    proc: subprocess.Popen | None = None
    kubeconfig: Path | None = None
    ready_s: float = 0.0
    spawned_at: float = 0.0
    target: lg.Target | None = None
    log: Path | None = None
    extra: tuple[str, ...] = ()  # more `uwe up` flags

    def start(self, timeout: float = 60.0) -> Server:
        self.log = self.data_dir.parent / (self.data_dir.name + ".stderr")
        err = open(self.log, "ab")
        self.spawned_at = time.monotonic()
        self.proc = _spawn([self.uwe, "up", "--data-dir", str(self.data_dir), "--port", "0", *self.extra],
                           stdout=subprocess.PIPE, stderr=err)
        err.close()
        self.proc.is_server = True  # type: ignore[attr-defined]
        out = b""
        fd = self.proc.stdout.fileno()
        deadline = self.spawned_at + timeout
        while not re.search(rb"export KUBECONFIG=\S+\n", out):
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"uwe up did not become ready: {out.decode(errors='replace')}"
                                   f"{self.log.read_text(errors='replace')[-3000:]}")
            r, _, _ = select.select([fd], [], [], left)
            if r:
                chunk = os.read(fd, 65536)
                if not chunk:  # stdout closed: the poll above notices the exit
                    time.sleep(0.01)
                out += chunk
        self.ready_s = time.monotonic() - self.spawned_at
        self.kubeconfig = Path(re.search(rb"export KUBECONFIG=(\S+)\n", out).group(1).decode())
        self.target = lg.target_from_kubeconfig(self.kubeconfig)
        return self

    @property
    def pids(self) -> list[int]:
        return proc_tree(self.proc.pid) if self.proc and self.proc.poll() is None else []

    def cpu(self) -> float:
        return cpu_of(self.pids)

    def rss(self) -> float:
        return rss_mb(self.pids)

    def stop(self) -> None:
        if self.proc is not None:
            _stop(self.proc)
            if self.proc.stdout:
                self.proc.stdout.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


_worker_seq = [0]
_RESULTS_DIR = [Path(tempfile.gettempdir())]  # main points this into its temporary directory


def run_worker(spec: dict[str, Any], target: lg.Target) -> subprocess.Popen:
    _worker_seq[0] += 1
    result = _RESULTS_DIR[0] / f"worker-{_worker_seq[0]}.json"
    spec = dict(spec, target=target.to_json(), result_path=str(result))
    p = _spawn([sys.executable, str(HERE / "_loadgen.py"), json.dumps(spec)], stdout=subprocess.PIPE, text=True)
    p.result_path = result  # type: ignore[attr-defined]
    return p


def worker_result(p: subprocess.Popen, timeout: float = 300.0) -> dict[str, Any]:
    out, _ = p.communicate(timeout=timeout)
    if p in _LIVE:
        _LIVE.remove(p)
    path: Path = p.result_path  # type: ignore[attr-defined]
    if p.returncode != 0 or not path.exists():
        raise RuntimeError(f"load worker failed (exit {p.returncode}): {out[-2000:]}")
    try:
        return json.loads(path.read_text())
    finally:
        path.unlink()


def request(target: lg.Target, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    """One request from the orchestrator (setup only, never timed)."""

    async def go() -> tuple[int, bytes]:
        conn = await lg.connect(target)
        try:
            return await conn.request(lg.build_request(target, method, path, json.dumps(body).encode() if body else None))
        finally:
            conn.close()

    status, raw = asyncio.run(go())
    return status, (json.loads(raw) if raw.startswith(b"{") else {})


def wait_for_default_sa(s: Server, timeout: float = 10.0) -> float:
    """Seconds from the ready line until `default/default` ServiceAccount exists. Pod creates wait
    for it in admission, so measuring before it appears would time the controller's start-up."""
    path = "/api/v1/namespaces/default/serviceaccounts/default"
    while request(s.target, "GET", path)[0] != 200:
        if time.monotonic() - s.spawned_at - s.ready_s > timeout:
            raise RuntimeError("the default ServiceAccount never appeared")
        time.sleep(0.01)
    return time.monotonic() - s.spawned_at - s.ready_s


# --- results ------------------------------------------------------------------------------------


@dataclass
class Row:
    metric: str
    value: float
    unit: str
    target: str = ""
    met: bool | None = None
    notes: str = ""


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def add(self, metric: str, value: float, unit: str, target: str = "", met: bool | None = None, notes: str = "") -> None:
        self.rows.append(Row(metric, value, unit, target, met, notes))
        print(f"  {metric}: {_fmt(value)} {unit}  {notes}", flush=True)

    def table(self) -> str:
        head = ("metric", "value", "target", "ok", "notes")
        body = [(r.metric, f"{_fmt(r.value)} {r.unit}", r.target,
                 "" if r.met is None else ("yes" if r.met else "NO"), r.notes) for r in self.rows]
        widths = [max(len(x[i]) for x in [head, *body]) for i in range(4)]
        lines = []
        for row in [head, *body]:
            lines.append("  ".join(c.ljust(w) for c, w in zip(row[:4], widths, strict=True)) + "  " + row[4])
            if row is head:
                lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 5)
        return "\n".join(lines)


def _fmt(v: float) -> str:
    if v != v:
        return "n/a"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.3g}" if abs(v) < 1 else f"{v:.2f}"


def _merge(results: list[dict[str, Any]]) -> dict[str, Any]:
    lat = [x for r in results for x in r["lat_us"]]
    statuses: dict[str, int] = {}
    for r in results:
        for k, v in r["statuses"].items():
            statuses[k] = statuses.get(k, 0) + v
    return {"count": sum(r["count"] for r in results), "lat_us": lat, "statuses": statuses,
            "errors": sum(r["errors"] for r in results),
            "sample_error": next((r["sample_error"] for r in results if r["sample_error"]), ""),
            "cpu_s": [round(r["cpu_s"], 2) for r in results]}


def _status_note(m: dict[str, Any], ok: str) -> str:
    bad = {k: v for k, v in m["statuses"].items() if k != ok}
    if not bad and not m["errors"]:
        return ""
    return f"; NON-{ok} {bad} errors={m['errors']} e.g. {m['sample_error'][:160]}"


# --- phases -------------------------------------------------------------------------------------


def phase_startup(args: argparse.Namespace, rep: Report, tmp: Path) -> None:
    """`uwe up` -> first successful `kubectl get ns`, fresh and on an existing data dir."""
    print("startup: uwe up -> kubectl get ns", flush=True)
    results: dict[str, dict[str, list[float]]] = {}
    dirs = []
    for kind in ("fresh", "restart"):
        r = results.setdefault(kind, {"ready": [], "kubectl_ok": [], "kubectl_alone": []})
        for i in range(args.runs):
            if kind == "fresh":
                d = tmp / f"startup-{i}"
                dirs.append(d)
            else:
                d = dirs[i % len(dirs)]
            cache = tmp / f"kcache-{kind}-{i}"
            with Server(args.uwe, d, extra=args.up).start() as s:
                env = dict(os.environ, KUBECONFIG=str(s.kubeconfig))
                while True:
                    cp = subprocess.run([args.kubectl, "--cache-dir", str(cache), "get", "ns"], env=env,
                                        capture_output=True, timeout=30)
                    if cp.returncode == 0:
                        break
                    if time.monotonic() - s.spawned_at > 30:
                        raise RuntimeError(f"kubectl get ns kept failing: {cp.stderr.decode()[-500:]}")
                total = time.monotonic() - s.spawned_at
                # kubectl's own cost against a server that is already up (fresh cache: it rediscovers).
                t0 = time.monotonic()
                subprocess.run([args.kubectl, "--cache-dir", str(cache) + "-again", "get", "ns"], env=env,
                               capture_output=True, timeout=30, check=True)
                alone = time.monotonic() - t0
                r["ready"].append(s.ready_s)
                r["kubectl_ok"].append(total)
                r["kubectl_alone"].append(alone)
    for kind, r in results.items():
        runs = ", ".join(f"{x:.2f}" for x in r["kubectl_ok"])
        rep.add(f"startup {kind}: uwe up -> kubectl get ns OK (median)", median(r["kubectl_ok"]), "s", "<= 0.5 s",
                median(r["kubectl_ok"]) <= 0.5, f"runs: {runs}")
        rep.add(f"startup {kind}: spawn -> 'export KUBECONFIG' printed", median(r["ready"]), "s", "",
                None, "runs: " + ", ".join(f"{x:.2f}" for x in r["ready"]))
        rep.add(f"startup {kind}: kubectl get ns alone, warm server", median(r["kubectl_alone"]), "s", "",
                None, "fresh --cache-dir, so it includes discovery")
    rep.details["startup"] = results


def phase_rss(args: argparse.Namespace, rep: Report, tmp: Path) -> None:
    print(f"rss: idle server after {args.idle:g} s", flush=True)
    # With the benchmark's flags, and as a user starts it (`uwe up` defaults: a node agent too).
    for label, extra in ((f"uwe up {args.up_args}".strip(), args.up), ("uwe up (defaults)", ())):
        with Server(args.uwe, tmp / f"rss{len(extra)}", extra=extra).start() as s:
            time.sleep(args.idle)
            rss, pids = s.rss(), s.pids
            cpu = s.cpu()
        rep.add(f"idle RSS after start, {label}", rss, "MB", "<= 80 MB", rss <= 80,
                f"{len(pids)} process(es); server CPU since spawn {cpu:.2f} s")
        rep.details[f"rss {label}"] = {"rss_mb": rss, "pids": len(pids), "cpu_s": cpu}
        if args.up == ():
            break


def _closed_phase(s: Server, spec: dict[str, Any], procs: int, concurrency: int,
                  duration: float) -> tuple[dict, float, str]:
    """Run `procs` closed-loop workers together: (merged result, server CPU s in the window, note on
    other load)."""
    start_at = time.monotonic() + 1.5 + 0.3 * procs  # time for interpreters to start and connect
    per = max(1, concurrency // procs)
    ws = [run_worker(dict(spec, mode="closed", concurrency=per, start_at=start_at, duration=duration, worker=w), s.target)
          for w in range(procs)]
    time.sleep(max(0.0, start_at - time.monotonic()))
    c0, b0 = s.cpu(), machine_busy()
    time.sleep(duration)
    cpu, busy = s.cpu() - c0, machine_busy() - b0
    m = _merge([worker_result(w) for w in ws])
    return m, cpu, others_note(busy, cpu, *m["cpu_s"], window=duration)


def phase_get(args: argparse.Namespace, rep: Report, tmp: Path) -> None:
    print("get: single-object GETs", flush=True)
    path = "/api/v1/namespaces/default/configmaps/bench-get"
    with Server(args.uwe, tmp / "get", extra=args.up).start() as s:
        status, _ = request(s.target, "POST", "/api/v1/namespaces/default/configmaps",
                            json.loads(CONFIGMAP_BODY.replace("@NAME@", "bench-get")))
        assert status == 201, status
        counts = [int(x) for x in args.get_procs.split(",")]
        for procs in counts:
            m, server_cpu, other = _closed_phase(s, {"request": "get", "path": path}, procs, args.concurrency,
                                                 args.duration)
            rate = m["count"] / args.duration
            p = lg.percentiles(m["lat_us"])
            gen = "+".join(f"{c / args.duration:.0%}" for c in m["cpu_s"])
            rep.add(f"GET configmap, {procs} generator proc(s), {args.concurrency} conns", rate, "req/s", ">= 15,000",
                    rate >= 15000, f"p50 {p['p50'] / 1000:.2f} ms p99 {p['p99'] / 1000:.2f} ms; server CPU "
                    f"{server_cpu / args.duration:.0%}, generator CPU {gen}{other}{_status_note(m, '200')}")
            rep.details[f"get_{procs}"] = {"req_s": rate, **p, "server_cpu_s": server_cpu, "gen_cpu_s": m["cpu_s"],
                                           "statuses": m["statuses"]}
        rep.details["get_rss_mb_after"] = s.rss()


def _pods_max(args: argparse.Namespace, rep: Report, d: Path, path: str, label: str,
              extra: tuple[str, ...]) -> float:
    """Closed-loop pod creates on a fresh server; returns how long the default ServiceAccount took."""
    with Server(args.uwe, d, extra=extra).start() as s:
        sa_wait = wait_for_default_sa(s)
        m, server_cpu, other = _closed_phase(s, {"request": "create", "path": path, "body": POD_BODY,
                                                 "name_prefix": "max"}, 1, args.concurrency, args.duration)
    rate = m["count"] / args.duration
    p = lg.percentiles(m["lat_us"])
    rep.add(f"pod creates{label}, {args.concurrency} in flight", rate, "creates/s", ">= 2,000", rate >= 2000,
            f"p50 {p['p50'] / 1000:.1f} ms p99 {p['p99'] / 1000:.1f} ms; server CPU {server_cpu / args.duration:.0%}, "
            f"generator CPU {m['cpu_s'][0] / args.duration:.0%}{other}{_status_note(m, '201')}")
    rep.details[f"pods_max{label}"] = {"creates_s": rate, **p, "server_cpu_s": server_cpu,
                                       "gen_cpu_s": m["cpu_s"], "statuses": m["statuses"]}
    return sa_wait


def _pods_open(args: argparse.Namespace, rep: Report, d: Path, path: str, label: str) -> float:
    """Open-loop pod creates at --rate on a fresh server."""
    with Server(args.uwe, d, extra=args.up).start() as s:
        sa_wait = wait_for_default_sa(s)
        start_at = time.monotonic() + 1.5
        w = run_worker({"mode": "open", "request": "create", "path": path, "body": POD_BODY, "name_prefix": "open",
                        "rate": args.rate, "duration": args.open_seconds, "start_at": start_at, "connections": 8},
                       s.target)
        time.sleep(max(0.0, start_at - time.monotonic()))
        c0, b0 = s.cpu(), machine_busy()
        r = worker_result(w)
        server_cpu, busy = s.cpu() - c0, machine_busy() - b0
        other = others_note(busy, server_cpu, r["cpu_s"], window=r["window_s"])
    m = _merge([r])
    p = lg.percentiles(m["lat_us"])
    rep.add(f"pod create latency{label} at {args.rate:g}/s open loop, p99", p["p99"] / 1000, "ms", "<= 20 ms",
            p["p99"] <= 20000, f"p50 {p['p50'] / 1000:.1f} ms p99.9 {p['p99.9'] / 1000:.1f} ms, {m['count']} creates; "
            f"server CPU {server_cpu / r['window_s']:.0%}{other}{_status_note(m, '201')}")
    rep.details[f"pods_open{label}"] = {**p, "count": m["count"], "server_cpu_s": server_cpu,
                                        "statuses": m["statuses"], "connections": r["connections"]}
    return sa_wait


APISERVER_ONLY = ("--no-scheduler", "--no-controllers")


def phase_pods(args: argparse.Namespace, rep: Report, tmp: Path) -> None:
    print("pods: creates through the full path", flush=True)
    base = "/api/v1/namespaces/default/pods?fieldManager=bench"
    strict = base + "&fieldValidation=Strict"
    waits = [
        _pods_max(args, rep, tmp / "pods-max", base, "", args.up),
        _pods_open(args, rep, tmp / "pods-open", base, ""),
        _pods_max(args, rep, tmp / "pods-max-strict", strict, " Strict", args.up),
        _pods_open(args, rep, tmp / "pods-open-strict", strict, " Strict"),
    ]
    if not set(APISERVER_ONLY) & set(args.up):
        # The same load without the in-process scheduler and controllers reacting to every pod:
        # what the API path alone costs.
        _pods_max(args, rep, tmp / "pods-max-alone", base, " (API server alone: " + " ".join(APISERVER_ONLY) + ")",
                  (*args.up, *APISERVER_ONLY))
    rep.add("default ServiceAccount exists after ready (max)", max(waits), "s", "<= 1 s", max(waits) <= 1,
            "waited for before each pod measurement (pod admission needs it)")


def phase_watch(args: argparse.Namespace, rep: Report, tmp: Path) -> None:
    print(f"watch: {args.watchers} watchers, {args.watch_events} configmap creates", flush=True)
    ns = "bench-watch"
    n, events = args.watchers, args.watch_events
    with Server(args.uwe, tmp / "watch", extra=args.up).start() as s:
        status, _ = request(s.target, "POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                                      "metadata": {"name": ns}})
        assert status == 201, status
        status, lst = request(s.target, "GET", f"/api/v1/namespaces/{ns}/configmaps")
        rv = lst["metadata"]["resourceVersion"]
        path = f"/api/v1/namespaces/{ns}/configmaps?watch=true&resourceVersion={rv}"
        procs = args.watch_procs
        per = [n // procs + (1 if i < n % procs else 0) for i in range(procs)]
        c0 = s.cpu()
        ws = [run_worker({"mode": "watchers", "path": path, "count": k, "expect": events, "timeout": 120}, s.target)
              for k in per]
        for w in ws:
            line = w.stdout.readline()
            if line.strip() != "READY":
                raise RuntimeError(f"watch worker did not start: {line}{w.stdout.read()[-2000:]}")
        connect_cpu = s.cpu() - c0
        start_at = time.monotonic() + 1.0
        creator = run_worker({"mode": "burst", "request": "create", "path": f"/api/v1/namespaces/{ns}/configmaps",
                              "body": CONFIGMAP_BODY, "name_prefix": "cm", "total": events, "concurrency": 16,
                              "start_at": start_at}, s.target)
        time.sleep(max(0.0, start_at - time.monotonic()))
        c1, b1, t1 = s.cpu(), machine_busy(), time.monotonic()
        results = [worker_result(w) for w in ws]
        c2, b2, t2 = s.cpu(), machine_busy(), time.monotonic()
        cr = worker_result(creator)
    span = max(r["last_done_at"] for r in results) - cr["first_send_at"]
    completed = sum(r["completed"] for r in results)
    delivered = sum(r["total_events"] for r in results)
    rate = n * events / span if completed == n else delivered / span
    create_span = cr["last_ack_at"] - cr["first_send_at"]
    gen_cpu = "+".join(f"{r['cpu_s'] / span:.0%}" for r in results)
    notes = (f"{completed}/{n} watchers got all {events} events in {span:.2f} s; creates took {create_span:.2f} s "
             f"({events / create_span:,.0f}/s); server CPU {(c2 - c1) / (t2 - t1):.0%}; watcher proc CPU {gen_cpu}, "
             f"creator CPU {cr['cpu_s'] / create_span:.0%}")
    notes += others_note(b2 - b1, c2 - c1, cr["cpu_s"], *(r["cpu_s"] for r in results), window=t2 - t1)
    if any(r["bad_status"] for r in results) or set(cr["statuses"]) != {"201"}:
        notes += f"; statuses creator={cr['statuses']} watchers bad={[r['bad_status'][:3] for r in results]}"
    rep.add(f"watch deliveries/s to {n} watchers", rate, "events/s", ">= 60,000", rate >= 60000, notes)
    rep.details["watch"] = {"deliveries_s": rate, "span_s": span, "completed": completed, "connect_server_cpu_s": connect_cpu,
                            "server_cpu_s": c2 - c1, "watchers": results, "creator": cr}


# --- main ---------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default=",".join(PHASES), help=f"comma-separated phases ({','.join(PHASES)})")
    ap.add_argument("--uwe", default=str(Path(sys.executable).parent / "uwe"), help="the uwe console script")
    ap.add_argument("--kubectl", default=KUBECTL)
    ap.add_argument("--up-args", default="--nodes 0",
                    help="extra `uwe up` flags for every server (default keeps pods Pending: no node runs them)")
    ap.add_argument("--runs", type=int, default=3, help="startup runs of each kind (median reported)")
    ap.add_argument("--idle", type=float, default=5.0, help="seconds idle before reading RSS")
    ap.add_argument("--duration", type=float, default=5.0, help="seconds of each closed-loop measurement")
    ap.add_argument("--concurrency", type=int, default=64, help="connections for closed-loop GETs and creates")
    ap.add_argument("--get-procs", default="1,2", help="generator process counts to run the GET phase with")
    ap.add_argument("--rate", type=float, default=100.0, help="open-loop pod creates per second")
    ap.add_argument("--open-seconds", type=float, default=10.0, help="seconds of the open-loop pod phase")
    ap.add_argument("--watchers", type=int, default=500)
    ap.add_argument("--watch-events", type=int, default=400, help="configmaps created while being watched")
    ap.add_argument("--watch-procs", type=int, default=1, help="processes sharing the watch connections")
    ap.add_argument("--json", metavar="PATH", help="also write all numbers as JSON ('-' for stdout)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary data dirs (printed)")
    return ap.parse_args(argv)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM cleans up the way Ctrl-C does


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.up = tuple(shlex.split(args.up_args))
    phases = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = set(phases) - set(PHASES)
    if unknown:
        sys.exit(f"unknown phase(s): {', '.join(sorted(unknown))}")
    tmp = Path(tempfile.mkdtemp(prefix="uwe-bench-", dir="/tmp"))
    _RESULTS_DIR[0] = tmp
    rep = Report()
    funcs = {"startup": phase_startup, "rss": phase_rss, "get": phase_get, "pods": phase_pods, "watch": phase_watch}
    # Installed explicitly: a shell starting us in the background leaves SIGINT ignored.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    t0 = time.monotonic()
    b0 = machine_busy()
    time.sleep(1.0)
    idle_load = machine_busy() - b0  # nothing of ours runs yet: this is everyone else
    print(f"machine load before starting: {idle_load:.0%} of one core busy"
          + (" -- other work is running; numbers will be low and noisy" if idle_load > 0.15 else ""), flush=True)
    try:
        for name in phases:
            funcs[name](args, rep, tmp)
    except KeyboardInterrupt:
        print("\ninterrupted; results so far:", file=sys.stderr)
    finally:
        stop_all()
        if args.keep:
            print(f"data dirs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print()
    print(f"API server core benchmark ({os.cpu_count()} CPUs, {time.monotonic() - t0:.0f} s, "
          f"{idle_load:.0%} of a core busy with other work before the start)")
    print(rep.table())
    if args.json:
        doc = json.dumps({"rows": [r.__dict__ for r in rep.rows], "details": rep.details,
                          "background_load": idle_load}, indent=1, default=str)
        if args.json == "-":
            print(doc)
        else:
            Path(args.json).write_text(doc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
