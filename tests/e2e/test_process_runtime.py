"""The process runtime end to end: real processes behind kubectl create/run/logs/delete."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import time

import pytest
from conftest import start_thread_cluster
from kubeutil import wait_for

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(importlib.util.find_spec("uwernetes.node.agent") is None
                       or importlib.util.find_spec("uwernetes.scheduler.main") is None,
                       reason="needs the node agent and the scheduler"),
]


@pytest.fixture(scope="module")
def pc(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("process")
    c, ts = start_thread_cluster(tmp, scheduler=True, nodes=1, runtime="process",
                                 component_options={"backoff_base": 0.5})
    try:
        yield c
    finally:
        for client in c._clients:
            client.close()
        ts.stop()


def pod_json(c, name):
    return json.loads(c.kubectl("get", "pod", name, "-o", "json").stdout)


def phase(c, name):
    return c.kubectl("get", "pod", name, "-o", "jsonpath={.status.phase}").stdout


def manifest(name, command, *, restart="Never", extra_container=None, **spec):
    containers = [{"name": "c", "image": "busybox", "command": command}]
    if extra_container:
        containers.append(extra_container)
    return json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                       "spec": {"restartPolicy": restart, "containers": containers, **spec}})


def test_completed_pod_logs_three_lines(pc):
    pc.kubectl("create", "-f", "-", input=manifest("dates", ["sh", "-c", "for i in 1 2 3; do date; done"]))
    wait_for(lambda: phase(pc, "dates") == "Succeeded", 20, 0.1, "pod dates to succeed")
    row = pc.kubectl("get", "pod", "dates", "--no-headers").stdout.split()
    assert row[1:3] == ["0/1", "Completed"]
    lines = pc.kubectl("logs", "dates").stdout.splitlines()
    assert len(lines) == 3 and all(re.search(r"\d\d:\d\d:\d\d", x) for x in lines)
    stamped = pc.kubectl("logs", "dates", "--timestamps", "--tail=1").stdout
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z ", stamped)
    term = pod_json(pc, "dates")["status"]["containerStatuses"][0]["state"]["terminated"]
    assert (term["exitCode"], term["reason"]) == (0, "Completed")


def test_failed_exit_code_and_reason(pc):
    pc.kubectl("create", "-f", "-", input=manifest("fails", ["sh", "-c", "echo bye >&2; exit 3"]))
    wait_for(lambda: phase(pc, "fails") == "Failed", 20, 0.1, "pod to fail")
    term = pod_json(pc, "fails")["status"]["containerStatuses"][0]["state"]["terminated"]
    assert (term["exitCode"], term["reason"]) == (3, "Error")
    assert pc.kubectl("logs", "fails").stdout == "bye\n"


def test_logs_follow_until_exit(pc):
    pc.kubectl("create", "-f", "-", input=manifest("ticker", ["sh", "-c", "for i in 1 2 3 4; do echo tick $i; sleep 0.3; done"]))
    wait_for(lambda: phase(pc, "ticker") == "Running", 20, 0.05, "ticker running")
    out = pc.kubectl("logs", "-f", "ticker", timeout=30).stdout
    assert out == "tick 1\ntick 2\ntick 3\ntick 4\n"


def test_kubectl_run_and_multi_container_log_errors(pc):
    spare = {"name": "side", "image": "busybox", "command": ["sleep", "3600"]}
    pc.kubectl("create", "-f", "-", input=manifest("two", ["sleep", "3600"], extra_container=spare))
    r = pc.client().get("/api/v1/namespaces/default/pods/two/log")
    assert r.status_code == 400
    assert r.json()["message"] == "a container name must be specified for pod two, choose one of: [c side]"
    r = pc.client().get("/api/v1/namespaces/default/pods/two/log", params={"container": "nope"})
    assert (r.status_code, r.json()["message"]) == (400, "container nope is not valid for pod two")
    pc.kubectl("delete", "pod", "two", "--grace-period=0", "--force", check=False)


def test_config_map_volume_readable_at_mount_path(pc, tmp_path):
    pc.kubectl("create", "configmap", "app-config", "--from-literal=greeting=hello from a config map")
    mount = str(tmp_path / "etc-config")  # a host path the test owns: mount points are created on the host
    pod = json.loads(manifest("reader", ["sh", "-c", f"cat {mount}/greeting"]))
    pod["spec"]["volumes"] = [{"name": "cfg", "configMap": {"name": "app-config"}}]
    pod["spec"]["containers"][0]["volumeMounts"] = [{"name": "cfg", "mountPath": mount, "readOnly": True}]
    pc.kubectl("create", "-f", "-", input=json.dumps(pod))
    wait_for(lambda: phase(pc, "reader") in ("Succeeded", "Failed"), 20, 0.1, "reader to finish")
    if os.geteuid() == 0:
        assert pc.kubectl("logs", "reader").stdout == "hello from a config map\n"
        assert phase(pc, "reader") == "Succeeded"


def test_crash_loop_back_off_grows(pc):
    pc.kubectl("create", "-f", "-", input=manifest("crasher", ["sh", "-c", "exit 1"], restart="Always"))
    seen = []

    def backoffs():
        cs = (pod_json(pc, "crasher")["status"].get("containerStatuses") or [{}])[0]
        waiting = (cs.get("state") or {}).get("waiting") or {}
        if waiting.get("reason") == "CrashLoopBackOff":
            m = re.match(r"back-off (\S+) restarting failed container=c ", waiting.get("message", ""))
            if m and (not seen or seen[-1] != m.group(1)):
                seen.append(m.group(1))
        return len(seen) >= 2

    wait_for(backoffs, 30, 0.05, "two different back-off periods")
    assert seen[:2] == ["500ms", "1s"]
    row = pc.kubectl("get", "pod", "crasher", "--no-headers").stdout.split()
    assert row[2] in ("CrashLoopBackOff", "Error", "Running")
    assert int(row[3]) >= 2
    pc.kubectl("delete", "pod", "crasher", "--grace-period=0", "--force", check=False)


def _events(c, pod: str) -> list[tuple[str, str, str]]:
    out = c.kubectl("get", "events", "--field-selector", f"involvedObject.name={pod}",
                    "-o", "jsonpath={range .items[*]}{.type}|{.reason}|{.message}{'\\n'}{end}").stdout
    return [tuple(line.split("|", 2)) for line in out.splitlines() if line]


def test_kubelet_lifecycle_events(pc):
    pc.kubectl("create", "-f", "-", input=manifest("eventful", ["sh", "-c", "sleep 3600"], restart="Always"))
    pc.kubectl("create", "-f", "-", input=manifest("crashy", ["sh", "-c", "exit 1"], restart="Always"))
    wait_for(lambda: ("Normal", "Started", "Started container c") in _events(pc, "eventful"), 20, 0.1,
             "Started event")
    assert _events(pc, "eventful")[1:4] == [
        ("Normal", "Pulled", 'Container image "busybox" already present on machine'),
        ("Normal", "Created", "Created container c"), ("Normal", "Started", "Started container c")]
    uid = pod_json(pc, "crashy")["metadata"]["uid"]
    backoff = ("Warning", "BackOff", f"Back-off restarting failed container c in pod crashy_default({uid})")
    wait_for(lambda: backoff in _events(pc, "crashy"), 20, 0.1, "BackOff event")
    pc.kubectl("delete", "pod", "eventful", "--wait=true", timeout=60)
    assert ("Normal", "Killing", "Stopping container c") in _events(pc, "eventful")
    pc.kubectl("delete", "pod", "crashy", "--grace-period=0", "--force", check=False)


def test_delete_sends_sigterm_then_sigkill(pc, tmp_path):
    marks = tmp_path / "marks"
    marks.mkdir()
    # `$$$$`: the API's $(VAR) expansion turns `$$` into `$`, so the shell sees `$$`.
    script = (f"echo $$$$ > {marks}/pid; trap 'echo TERM >> {marks}/signals' TERM; "
              "while true; do sleep 0.05; done")
    pc.kubectl("create", "-f", "-", input=manifest("stubborn", ["sh", "-c", script], terminationGracePeriodSeconds=1))
    wait_for(lambda: (marks / "pid").exists() and phase(pc, "stubborn") == "Running", 20, 0.05, "stubborn running")
    pid = int((marks / "pid").read_text())
    started = time.monotonic()
    pc.kubectl("delete", "pod", "stubborn", "--wait=true", timeout=30)
    elapsed = time.monotonic() - started
    assert (marks / "signals").read_text().startswith("TERM")
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert elapsed >= 0.9  # it ignored SIGTERM, so only SIGKILL after the grace period ended it


def test_python_image_and_unknown_image(pc):
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "mystery"},
           "spec": {"containers": [{"name": "c", "image": "example.com/mystery:1.0"}]}}
    pc.kubectl("create", "-f", "-", input=json.dumps(pod))

    def waiting_reason():
        cs = (pod_json(pc, "mystery")["status"].get("containerStatuses") or [{}])[0]
        return ((cs.get("state") or {}).get("waiting") or {}).get("reason") in ("ErrImagePull", "ImagePullBackOff")

    wait_for(waiting_reason, 20, 0.1, "ErrImagePull")
    r = pc.kubectl("logs", "mystery", check=False)
    assert r.returncode != 0 and "is waiting to start" in r.stderr
    pc.kubectl("delete", "pod", "mystery", "--grace-period=0", "--force", check=False)



def test_service_account_token_is_projected(pc):
    """The kube-api-access volume holds a real TokenRequest JWT (two dots) next to the CA and namespace."""
    sa_dir = "/var/run/secrets/kubernetes.io/serviceaccount"
    script = f"tr -cd . < {sa_dir}/token | wc -c; cat {sa_dir}/namespace; echo; grep -c CERTIFICATE {sa_dir}/ca.crt"
    pc.kubectl("create", "-f", "-", input=manifest("sa-token", ["sh", "-c", script]))
    wait_for(lambda: phase(pc, "sa-token") in ("Succeeded", "Failed"), 30, 0.1, "sa-token to finish")
    if os.geteuid() == 0:
        assert pc.kubectl("logs", "sa-token").stdout.split() == ["2", "default", "2"]
