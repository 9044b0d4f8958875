"""Probes on simulated nodes: readiness drives containerStatuses[].ready and the Ready /
ContainersReady conditions, a failing liveness probe restarts the container (Killing and
Unhealthy events), a startup probe holds back started/ready, and a sidecar's startup probe
holds back the app containers. Answers come from the `uwernetes.io/simulate` annotation."""

from __future__ import annotations

import json
import time

import pytest
from conftest import start_thread_cluster

from uwernetes.client.api import EVENTS, PODS, APIError

OPTIONS = {"name_prefix": "probe-", "backoff_base": 0.2, "simulated_start_delay": 0.05}
FAST = {"exec": {"command": ["check"]}, "periodSeconds": 1, "failureThreshold": 1}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    c, ts = start_thread_cluster(tmp_path_factory.mktemp("probes"), nodes=1, runtime="simulated",
                                 component_options=OPTIONS)
    client = c.server.client("test")
    try:
        yield c, client
    finally:
        ts.stop()


def wait_for(fn, timeout=20.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(0.05)
    raise AssertionError(f"condition not met in {timeout}s; last value {last!r}")


def create(c, client, name, simulate, restart="Always", init=None, **container):
    body = {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default",
                         "annotations": {"uwernetes.io/simulate": json.dumps(simulate)}},
            "spec": {"nodeName": "probe-0", "restartPolicy": restart,
                     "containers": [{"name": "main", "image": "busybox", **container}]}}
    if init:
        body["spec"]["initContainers"] = init
    c.run(client.create(PODS, body))


def status(c, client, name):
    try:
        return c.run(client.get(PODS, name, "default")).get("status") or {}
    except APIError as e:
        if e.code == 404:
            return {}
        raise


def cond(st, ctype):
    return next((x for x in st.get("conditions") or [] if x["type"] == ctype), {})


def main_status(st):
    return next((s for s in st.get("containerStatuses") or [] if s["name"] == "main"), {})


def events(c, client, name):
    items = c.run(client.list(EVENTS, "default"))["items"]
    return [(e["type"], e["reason"], e["message"], e["involvedObject"].get("fieldPath"))
            for e in items if e["involvedObject"]["name"] == name]


def test_failing_readiness_keeps_pod_unready(env):
    c, client = env
    create(c, client, "never-ready", {"readiness": False}, readinessProbe=FAST)
    st = wait_for(lambda: (s := status(c, client, "never-ready")).get("phase") == "Running"
                  and any(e[1] == "Unhealthy" for e in events(c, client, "never-ready")) and s)
    st = status(c, client, "never-ready")
    assert main_status(st)["ready"] is False and main_status(st)["started"] is True
    ready, cready = cond(st, "Ready"), cond(st, "ContainersReady")
    assert (ready["status"], ready["reason"], ready["message"]) == (
        "False", "ContainersNotReady", "containers with unready status: [main]")
    assert (cready["status"], cready["reason"], cready["message"]) == (
        "False", "ContainersNotReady", "containers with unready status: [main]")
    assert ("Warning", "Unhealthy", "Readiness probe failed: simulated readiness probe failure (uwernetes.io/simulate)",
            "spec.containers{main}") in events(c, client, "never-ready")
    assert main_status(st)["restartCount"] == 0


def test_readiness_turns_ready(env):
    c, client = env
    create(c, client, "late-ready", {"readiness": "succeed after 1s"}, readinessProbe=FAST)
    wait_for(lambda: (s := status(c, client, "late-ready")).get("phase") == "Running"
             and cond(s, "Ready").get("status") == "False")
    st = wait_for(lambda: (s := status(c, client, "late-ready")) and cond(s, "Ready").get("status") == "True" and s)
    assert cond(st, "ContainersReady")["status"] == "True"
    assert main_status(st)["ready"] is True


def test_failing_liveness_restarts_container(env):
    c, client = env
    create(c, client, "unhealthy", {"liveness": "fail after 1s"}, livenessProbe=FAST)
    st = wait_for(lambda: (s := status(c, client, "unhealthy")) and main_status(s).get("restartCount", 0) >= 1 and s)
    last = main_status(st)["lastState"]["terminated"]
    assert (last["exitCode"], last["reason"]) == (0, "Completed")  # the simulated process exits 0 on SIGTERM
    evs = events(c, client, "unhealthy")
    assert ("Normal", "Killing", "Container main failed liveness probe, will be restarted",
            "spec.containers{main}") in evs
    assert ("Warning", "Unhealthy", "Liveness probe failed: simulated liveness probe failure (uwernetes.io/simulate)",
            "spec.containers{main}") in evs


def test_liveness_failure_with_restart_never_ends_the_pod(env):
    c, client = env
    create(c, client, "unhealthy-never", {"liveness": False, "stopExitCode": 137}, restart="Never", livenessProbe=FAST)
    st = wait_for(lambda: (s := status(c, client, "unhealthy-never")).get("phase") == "Failed" and s)
    term = main_status(st)["state"]["terminated"]
    assert (term["exitCode"], term["reason"], main_status(st)["restartCount"]) == (137, "Error", 0)
    assert ("Normal", "Killing", "Container main failed liveness probe", "spec.containers{main}") in events(
        c, client, "unhealthy-never")


def test_startup_probe_delays_started_and_ready(env):
    c, client = env
    create(c, client, "slow-start", {"startup": "succeed after 2s", "liveness": False},
           startupProbe={**FAST, "failureThreshold": 30}, livenessProbe={**FAST, "failureThreshold": 1000})
    st = wait_for(lambda: (s := status(c, client, "slow-start")).get("phase") == "Running" and s)
    assert (main_status(st)["started"], main_status(st)["ready"]) == (False, False)
    st = wait_for(lambda: (s := status(c, client, "slow-start")) and main_status(s).get("started") and s)
    assert main_status(st)["ready"] is True and cond(st, "Ready")["status"] == "True"
    assert main_status(st)["restartCount"] == 0  # liveness did not run before the container started


def test_sidecar_startup_probe_holds_back_app_containers(env):
    c, client = env
    sidecar = {"name": "proxy", "image": "busybox", "restartPolicy": "Always",
               "startupProbe": {**FAST, "failureThreshold": 30}}
    create(c, client, "sidecar-start", [{"container": "proxy", "startup": "succeed after 2s"}], init=[sidecar])
    st = wait_for(lambda: (s := status(c, client, "sidecar-start")) and s.get("initContainerStatuses")
                  and "running" in s["initContainerStatuses"][0]["state"] and s)
    assert st["initContainerStatuses"][0]["started"] is False
    assert "waiting" in main_status(st)["state"] and "containerID" not in main_status(st)
    assert cond(st, "Initialized")["status"] == "False"
    st = wait_for(lambda: (s := status(c, client, "sidecar-start")) and "running" in main_status(s).get("state", {}) and s)
    assert st["initContainerStatuses"][0]["started"] is True
    assert cond(st, "Initialized")["status"] == "True"
