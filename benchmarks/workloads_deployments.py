"""A big Deployment rollout (issue 5, section Speed): 10,000 replicas on 1,000 simulated nodes to
all Available, then a rolling update to a new image to completion. Prints wall times and CPU.

    cd /work/main && .venv/bin/python benchmarks/workloads_deployments.py [--replicas 10000] [--nodes 1000]

Two processes, so the controllers' CPU can be told apart: `uwe up --no-controllers` (API server,
scheduler and the simulated node agents) and `uwe controller-manager --kubeconfig` (ReplicaSet,
Deployment, GC and the other controllers). CPU seconds come from /proc. Target: each phase
within 60 s. Nothing is asserted; read the table.

For finding costs (both workload benchmarks): UWE_BENCH_PROFILE=<dir> runs each process under
cProfile into <dir>/up.prof and <dir>/controller-manager.prof (everything is several times slower
then, slow enough for node heartbeats to look late), and UWE_BENCH_LOG=<dir> keeps each process's
output in <dir>/<subcommand>.log.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
UWE = ROOT / ".venv" / "bin" / "uwe"
CLK_TCK = os.sysconf("SC_CLK_TCK")
NS = "default"


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def start(cmd: list[str], marker: str | None, timeout: float = 120) -> subprocess.Popen:
    name = cmd[1]
    profile_dir = os.environ.get("UWE_BENCH_PROFILE")
    if profile_dir:  # cProfile each process into <dir>/<subcommand>.prof (slower; for finding costs)
        cmd = [sys.executable, "-m", "cProfile", "-o", str(Path(profile_dir) / f"{name}.prof"), *cmd]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen: list[str] = []
    if marker is not None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            seen.append(line)
            if marker in line:
                break
        else:
            proc.kill()
            raise SystemExit("".join(seen))
        if marker not in "".join(seen):
            proc.kill()
            raise SystemExit(f"{name} did not start:\n{''.join(seen)}")
    log_dir = os.environ.get("UWE_BENCH_LOG")
    if log_dir:  # keep each process's output in <dir>/<subcommand>.log
        with open(Path(log_dir) / f"{name}.log", "w") as f:
            f.writelines(seen)

        def drain() -> None:
            with open(Path(log_dir) / f"{name}.log", "a") as f:
                for line in proc.stdout:
                    f.write(line)
                    f.flush()

        threading.Thread(target=drain, daemon=True).start()
        return proc
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
    return proc


def api(kubeconfig: Path) -> httpx.Client:
    doc = yaml.safe_load(kubeconfig.read_text())
    url = doc["clusters"][0]["cluster"]["server"]
    token = doc["users"][0]["user"]["token"]
    return httpx.Client(base_url=url, verify=str(kubeconfig.parent / "pki" / "ca.crt"),
                        headers={"Authorization": f"Bearer {token}"}, timeout=60)


def wait(check, what: str, timeout: float) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if check():
            return time.monotonic() - t0
        time.sleep(0.25)
    raise SystemExit(f"timed out after {timeout:.0f}s waiting for {what}")


def describe(c: httpx.Client) -> str:
    """Where a rollout stands, for a timeout message: unscheduled pods with the scheduler's last
    word on one of them, and nodes that are not Ready or carry taints (node-lifecycle's doing)."""
    d = c.get(f"/apis/apps/v1/namespaces/{NS}/deployments/big").json()
    pods = c.get(f"/api/v1/namespaces/{NS}/pods").json().get("items") or []
    unscheduled = [p for p in pods if not (p.get("spec") or {}).get("nodeName")]
    why = ""
    for p in unscheduled:
        cond = next((x for x in (p.get("status") or {}).get("conditions") or () if x.get("type") == "PodScheduled"), None)
        if cond is not None:
            why = f"; e.g. {p['metadata']['name']}: PodScheduled={cond.get('status')} {cond.get('message', '')!r}"
            break
    nodes = c.get("/api/v1/nodes").json().get("items") or []
    not_ready = sum(1 for n in nodes if not any(x.get("type") == "Ready" and x.get("status") == "True"
                                                for x in (n.get("status") or {}).get("conditions") or ()))
    tainted = sum(1 for n in nodes if (n.get("spec") or {}).get("taints"))
    return (f"deployment status {d.get('status')}; {len(pods)} pods, {len(unscheduled)} unscheduled{why}; "
            f"{not_ready} nodes not Ready, {tainted} tainted")


def deployment(replicas: int, image: str) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "big", "namespace": NS},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "big"}},
                     "template": {"metadata": {"labels": {"app": "big"}},
                                  "spec": {"containers": [{"name": "c", "image": image,
                                                           "resources": {"requests": {"cpu": "1m", "memory": "1Mi"}}}]}}}}


def complete(c: httpx.Client, replicas: int, revision: str):
    def check() -> bool:
        d = c.get(f"/apis/apps/v1/namespaces/{NS}/deployments/big").json()
        st = d.get("status") or {}
        return (st.get("observedGeneration") == d["metadata"].get("generation")
                and st.get("updatedReplicas") == replicas and st.get("replicas") == replicas
                and st.get("availableReplicas") == replicas
                and (d["metadata"].get("annotations") or {}).get("deployment.kubernetes.io/revision") == revision)

    return check


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--replicas", type=int, default=10_000)
    ap.add_argument("--nodes", type=int, default=1_000)
    ap.add_argument("--timeout", type=float, default=600)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="uwe-bench-deploy-"))
    data = tmp / "data"
    server = start([str(UWE), "up", f"--data-dir={data}", "--port=0", f"--nodes={args.nodes}",
                    "--runtime=simulated", "--no-controllers"], "export KUBECONFIG=")
    manager = None
    try:
        kubeconfig = data / "kubeconfig"
        c = api(kubeconfig)
        t_nodes = wait(lambda: len(c.get("/api/v1/nodes").json().get("items") or []) >= args.nodes,
                       f"{args.nodes} nodes", args.timeout)
        manager = start([str(UWE), "controller-manager", f"--kubeconfig={kubeconfig}"], None)
        time.sleep(1.0)
        cpu0 = (cpu_seconds(server.pid), cpu_seconds(manager.pid))
        t0 = time.monotonic()
        r = c.post(f"/apis/apps/v1/namespaces/{NS}/deployments", json=deployment(args.replicas, "nginx:1.25"))
        r.raise_for_status()
        t_up = wait(complete(c, args.replicas, "1"), "all replicas available", args.timeout)
        cpu1 = (cpu_seconds(server.pid), cpu_seconds(manager.pid))
        print(f"create -> all Available: {t_up:.1f}s wall, CPU {cpu1[0] - cpu0[0]:.1f}s server / "
              f"{cpu1[1] - cpu0[1]:.1f}s controllers", flush=True)
        patch = {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "nginx:1.26"}]}}}}
        r = c.patch(f"/apis/apps/v1/namespaces/{NS}/deployments/big", json=patch,
                    headers={"content-type": "application/strategic-merge-patch+json"})
        r.raise_for_status()
        try:
            t_roll = wait(complete(c, args.replicas, "2"), "rolling update complete", args.timeout)
        except SystemExit as e:
            raise SystemExit(f"{e}: {describe(c)}") from None
        cpu2 = (cpu_seconds(server.pid), cpu_seconds(manager.pid))
        total = time.monotonic() - t0
        print(f"Deployment of {args.replicas} replicas on {args.nodes} simulated nodes (nodes registered in {t_nodes:.1f}s)")
        print(f"{'phase':<34}{'wall s':>9}{'apiserver+sched+nodes CPU s':>30}{'controllers CPU s':>20}{'target':>9}")
        print(f"{'create -> all Available':<34}{t_up:>9.1f}{cpu1[0] - cpu0[0]:>30.1f}{cpu1[1] - cpu0[1]:>20.1f}{'<= 60':>9}")
        print(f"{'rolling update -> complete':<34}{t_roll:>9.1f}{cpu2[0] - cpu1[0]:>30.1f}{cpu2[1] - cpu1[1]:>20.1f}{'<= 60':>9}")
        print(f"{'total':<34}{total:>9.1f}{cpu2[0] - cpu0[0]:>30.1f}{cpu2[1] - cpu0[1]:>20.1f}")
    finally:
        for proc in (manager, server):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()


if __name__ == "__main__":
    sys.exit(main())
