"""Jobs at scale (issue 5, section Speed): 1,000 Indexed Jobs of 10 pods each, run to Complete on
simulated nodes. Prints wall time and CPU seconds per process.

    cd /work/main && .venv/bin/python benchmarks/workloads_jobs.py [--jobs 1000] [--completions 10] [--nodes 200]

Two processes, so the controllers' CPU can be told apart: `uwe up --no-controllers` (API server,
scheduler and the simulated node agents) and `uwe controller-manager --kubeconfig` (the Job
controller with the rest). Each pod carries `uwernetes.io/simulate: {"after": "<run>"}`, so the
simulated runtime exits it with code 0 after that long. Target: 10,000 Job pods through to
Complete within 60 s. Nothing is asserted; read the table.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from workloads_deployments import UWE, api, cpu_seconds, start, wait  # noqa: E402

NS = "default"


def job(name: str, completions: int, run: str) -> dict:
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name, "namespace": NS},
            "spec": {"completions": completions, "parallelism": completions, "completionMode": "Indexed",
                     "template": {"metadata": {"annotations": {"uwernetes.io/simulate": json.dumps({"after": run})}},
                                  "spec": {"restartPolicy": "Never",
                                           "containers": [{"name": "c", "image": "busybox",
                                                           "resources": {"requests": {"cpu": "1m", "memory": "1Mi"}}}]}}}}


def count_complete(c) -> int:
    items = c.get(f"/apis/batch/v1/namespaces/{NS}/jobs").json().get("items") or []
    return sum(1 for j in items if any(x.get("type") == "Complete" and x.get("status") == "True"
                                       for x in (j.get("status") or {}).get("conditions") or ()))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=1_000)
    ap.add_argument("--completions", type=int, default=10)
    ap.add_argument("--nodes", type=int, default=200)
    ap.add_argument("--run", default="1s", help="how long each simulated container runs")
    ap.add_argument("--timeout", type=float, default=600)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="uwe-bench-jobs-"))
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
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            def create(i: int) -> None:
                r = c.post(f"/apis/batch/v1/namespaces/{NS}/jobs", json=job(f"bench-{i}", args.completions, args.run))
                r.raise_for_status()

            list(pool.map(create, range(args.jobs)))
        t_created = time.monotonic() - t0
        t_done = wait(lambda: count_complete(c) >= args.jobs, f"{args.jobs} jobs Complete", args.timeout)
        cpu1 = (cpu_seconds(server.pid), cpu_seconds(manager.pid))
        total = time.monotonic() - t0
        pods = args.jobs * args.completions
        print(f"{args.jobs} Indexed Jobs x {args.completions} pods ({pods} pods, each running {args.run}) "
              f"on {args.nodes} simulated nodes (nodes registered in {t_nodes:.1f}s)")
        print(f"{'phase':<34}{'wall s':>9}{'apiserver+sched+nodes CPU s':>30}{'controllers CPU s':>20}{'target':>9}")
        print(f"{'create the Jobs':<34}{t_created:>9.1f}{'':>30}{'':>20}")
        print(f"{'create -> all Complete':<34}{total:>9.1f}{cpu1[0] - cpu0[0]:>30.1f}{cpu1[1] - cpu0[1]:>20.1f}{'<= 60':>9}")
        print(f"{'(of which waiting after creates)':<34}{t_done:>9.1f}")
        print(f"{'pods through to Complete per s':<34}{pods / total:>9.0f}")
        made = len(c.get(f"/api/v1/namespaces/{NS}/pods").json().get("items") or [])
        print(f"pods in the namespace at the end: {made} (the Jobs need {pods})")
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
