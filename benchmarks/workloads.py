"""The "workload controllers" numbers (issue 5, section Speed), both halves in one run:

    cd /work/main && .venv/bin/python benchmarks/workloads.py [--only jobs,deployments]

- jobs: benchmarks/workloads_jobs.py (1,000 Indexed Jobs x 10 pods to Complete; target <= 60 s);
- deployments: benchmarks/workloads_deployments.py (a 10,000-replica Deployment on 1,000 simulated
  nodes to all Available, then a rolling update to a new image; target <= 60 s).

Each half runs as its own process with its default sizes (run the scripts directly to change
them) and prints its own table; nothing is asserted.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PARTS = {"jobs": "workloads_jobs.py", "deployments": "workloads_deployments.py"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default=",".join(PARTS), help=f"comma-separated parts ({','.join(PARTS)})")
    args = ap.parse_args()
    status = 0
    for part in [p.strip() for p in args.only.split(",") if p.strip()]:
        if part not in PARTS:
            sys.exit(f"unknown part: {part}")
        print(f"=== {part}: {PARTS[part]}", flush=True)
        status |= subprocess.call([sys.executable, str(HERE / PARTS[part])])
    return status


if __name__ == "__main__":
    sys.exit(main())
