"""Two `uwe controller-manager` processes against one `uwe up --no-controllers`: only the holder of
the kube-system/kube-controller-manager Lease acts, and SIGKILLing it hands the Lease (and the
work) to the other once the lease duration has passed."""

from __future__ import annotations

import importlib.util
import re
import signal
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from conftest import ROOT, ProcessCluster
from kubeutil import deployment, wait_for

from uwernetes.machinery.meta import parse_time

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(importlib.util.find_spec("uwernetes.controllers.deployment") is None,
                       reason="needs the deployment controller"),
]

LEASE = "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager"
LEASE_SECONDS = 3
WAITING = re.compile(r"controller manager (\S+) \(pid \d+\) is waiting for the lease")
STARTING = re.compile(r"starting \d+ controllers: ")


class Manager:
    """`uwe controller-manager` with its output collected in the background."""

    def __init__(self, kubeconfig, name: str) -> None:
        uwe = ROOT / ".venv" / "bin" / "uwe"
        cmd = [str(uwe)] if uwe.exists() else [sys.executable, "-m", "uwernetes.cli.main"]
        self.name = name
        self.proc = subprocess.Popen(
            [*cmd, "controller-manager", f"--kubeconfig={kubeconfig}",
             f"--leader-elect-lease-duration={LEASE_SECONDS}s", "--leader-elect-renew-deadline=2s",
             "--leader-elect-retry-period=500ms"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def identity(self) -> str | None:
        m = WAITING.search(self.output)
        return m.group(1) if m else None

    def leading(self) -> bool:
        return f"controller manager {self.identity()} is leading" in self.output

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)


@pytest.fixture
def setup(tmp_path):
    pc = ProcessCluster(tmp_path / "data", "--no-controllers", "--nodes", "1", "--runtime", "simulated")
    cluster = pc.start()
    managers: list[Manager] = []
    try:
        managers += [Manager(cluster.kubeconfig, "one"), Manager(cluster.kubeconfig, "two")]
        yield cluster, cluster.client(), managers
    finally:
        for m in managers:
            m.kill()
        for client in cluster._clients:
            client.close()
        pc.kill()


def replicasets_of(api, name: str) -> list[dict]:
    r = api.get("/apis/apps/v1/namespaces/default/replicasets")
    assert r.status_code == 200, r.text
    return [rs for rs in r.json()["items"]
            if any(o.get("kind") == "Deployment" and o.get("name") == name
                   for o in rs["metadata"].get("ownerReferences") or ())]


def lease(api) -> dict | None:
    r = api.get(LEASE)
    return r.json() if r.status_code == 200 else None


def test_only_the_leader_acts_and_a_killed_leader_hands_over(setup):
    cluster, api, managers = setup
    wait_for(lambda: all(m.identity() for m in managers), 30, what="both managers to start")
    identities = {m.identity(): m for m in managers}
    holder = wait_for(lambda: ((lease(api) or {}).get("spec") or {}).get("holderIdentity"), 30, what="a lease holder")
    assert holder in identities
    leader = identities[holder]
    standby = next(m for m in managers if m is not leader)
    wait_for(leader.leading, 10, what="the leader's log line")

    # The leader acts: the Deployment gets one ReplicaSet.
    r = api.post("/apis/apps/v1/namespaces/default/deployments", json=deployment("first", replicas=1))
    assert r.status_code == 201, r.text
    wait_for(lambda: replicasets_of(api, "first"), 30, what="the first ReplicaSet")
    assert len(replicasets_of(api, "first")) == 1
    # The standby never started its controllers.
    assert not STARTING.search(standby.output) and not standby.leading(), standby.output
    assert STARTING.search(leader.output), leader.output

    before = lease(api)["spec"]
    leader.kill()
    last = lease(api)["spec"]  # the dead leader's last renewal
    assert last["holderIdentity"] == holder

    r = api.post("/apis/apps/v1/namespaces/default/deployments", json=deployment("second", replicas=1))
    assert r.status_code == 201, r.text

    def second_replicaset():
        found = replicasets_of(api, "second")
        holder_now = lease(api)["spec"]["holderIdentity"]  # read after the list
        # Nobody acts for a dead leader: work appears only once the standby holds the Lease.
        assert not found or holder_now == standby.identity(), (found, holder_now)
        return found

    wait_for(second_replicaset, LEASE_SECONDS * 4 + 20, interval=0.1, what="the second ReplicaSet")
    assert len(replicasets_of(api, "second")) == 1
    after = lease(api)["spec"]
    assert after["holderIdentity"] == standby.identity()
    assert after["leaseTransitions"] == int(before.get("leaseTransitions") or 0) + 1
    assert after["leaseDurationSeconds"] == LEASE_SECONDS
    # The standby waited out the full lease after the last renewal before taking over.
    assert parse_time(after["acquireTime"]) >= parse_time(last["renewTime"]) + timedelta(seconds=LEASE_SECONDS)
    assert standby.leading() and STARTING.search(standby.output)
