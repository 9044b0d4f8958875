"""kopf, unchanged, against `uwe up`: the operator in kopf_operator.py runs as `python -m kopf run` and
its create/update/delete handlers, finalizer, status patches and events are checked through the API;
a second run uses peering through kopf's own KopfPeering CRDs."""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from kubeutil import ensure_namespace, wait_for
from python_ecosystem import crd_manifest, uwe  # noqa: F401  (module-scoped `uwe up` fixture)

pytest.importorskip("kopf")

pytestmark = pytest.mark.e2e

OPERATOR = Path(__file__).with_name("kopf_operator.py")
FINALIZER = "kopf.zalando.org/KopfFinalizerMarker"
WIDGETS = "/apis/eco.example.com/v1/namespaces/{ns}/widgets"


class Kopf:
    """`python -m kopf run kopf_operator.py ...` with its output kept for failure messages."""

    def __init__(self, kubeconfig: Path, log: Path, *args: str) -> None:
        self.log = log
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kopf", "run", str(OPERATOR), "--verbose", *args],
            env={**os.environ, "KUBECONFIG": str(kubeconfig)},
            stdout=log.open("w"), stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        return self.log.read_text()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                return self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
                raise AssertionError(f"kopf did not stop on SIGINT:\n{self.output()}") from None
        return self.proc.returncode


@pytest.fixture(scope="module")
def api(uwe):  # noqa: F811
    c = uwe.client()
    r = c.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
               json=crd_manifest("eco.example.com", "Widget", "widgets"))
    assert r.status_code == 201, r.text
    wait_for(lambda: any(cond["type"] == "Established" and cond["status"] == "True" for cond in c.get(
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.eco.example.com").json()
        .get("status", {}).get("conditions", [])), what="the widgets CRD to be established")
    return c


def widget(name: str, message: str, **spec) -> dict:
    return {"apiVersion": "eco.example.com/v1", "kind": "Widget", "metadata": {"name": name},
            "spec": {"message": message, **spec}}


def get_json(api, path: str) -> dict | None:
    r = api.get(path)
    if r.status_code == 404:
        return None
    assert r.status_code == 200, r.text
    return r.json()


def events_for(api, ns: str, name: str) -> list[dict]:
    return [e for e in api.get(f"/api/v1/namespaces/{ns}/events").json()["items"]
            if e["involvedObject"].get("name") == name]


def test_handlers_finalizer_status_and_events(api, uwe, tmp_path):  # noqa: F811
    ns = "eco-kopf"
    ensure_namespace(api, ns)
    op = Kopf(uwe.kubeconfig, tmp_path / "kopf.log", f"--namespace={ns}", "--standalone")
    try:
        widgets = WIDGETS.format(ns=ns)
        # The first two attempts of the create handler fail; kopf retries them.
        r = api.post(widgets, json=widget("w1", "hello", failures=2))
        assert r.status_code == 201, r.text
        uid = r.json()["metadata"]["uid"]

        # Create: the handler's ConfigMap (owned by the widget), kopf's finalizer and the status patch.
        cm = wait_for(lambda: get_json(api, f"/api/v1/namespaces/{ns}/configmaps/w1-data"), timeout=30,
                      what=f"the create handler's ConfigMap; kopf said:\n{op.output()}")
        assert cm["data"] == {"message": "hello"}
        assert [(o["kind"], o["name"], o["uid"]) for o in cm["metadata"]["ownerReferences"]] == [("Widget", "w1", uid)]
        w = wait_for(lambda: (w := get_json(api, f"{widgets}/w1")) and w.get("status", {}).get("phase") and w,
                     what="the status patch")
        assert w["metadata"]["finalizers"] == [FINALIZER]
        # kopf's retry state (kept in an annotation meanwhile) is gone: a null merge patch removed it.
        assert set(w["metadata"]["annotations"]) == {"kopf.zalando.org/last-handled-configuration"}
        assert w["status"]["phase"] == "Ready"
        assert w["status"]["create_fn"] == {"configmap": "w1-data", "retries": 2}
        assert w["metadata"]["generation"] == 1, "status patches go through /status and leave the generation"
        [created] = wait_for(lambda: [e for e in events_for(api, ns, "w1") if e["reason"] == "ConfigMapCreated"],
                             what="kopf's event")
        assert (created["type"], created["message"], created["source"], created["reportingComponent"]) == (
            "Normal", "created w1-data", {"component": "kopf"}, "kopf")
        assert created["metadata"]["name"].startswith("kopf-event-")
        assert (created["involvedObject"]["kind"], created["involvedObject"]["uid"]) == ("Widget", uid)

        # Update: only a change of spec.message reaches the update handler.
        r = api.patch(f"{widgets}/w1", json={"spec": {"message": "bye"}},
                      headers={"Content-Type": "application/merge-patch+json"})
        assert r.status_code == 200, r.text
        wait_for(lambda: get_json(api, f"/api/v1/namespaces/{ns}/configmaps/w1-data")["data"] == {"message": "bye"},
                 what=f"the update handler; kopf said:\n{op.output()}")
        w = wait_for(lambda: (w := get_json(api, f"{widgets}/w1"))["status"]["phase"] == "Updated" and w,
                     what="the update handler's status")
        # kopf names a field handler's result after the handler and its field.
        assert w["status"]["update_fn/spec.message"] == {"previous": "hello"}
        [updated] = wait_for(lambda: [e for e in events_for(api, ns, "w1") if e["reason"] == "ConfigMapUpdated"],
                             what="the update event")
        assert updated["message"] == "'hello' -> 'bye'"

        # Delete: the finalizer holds the widget until the delete handler has run.
        r = api.delete(f"{widgets}/w1")
        assert r.status_code == 200, r.text
        assert r.json()["metadata"]["finalizers"] == [FINALIZER]
        assert r.json()["metadata"]["deletionTimestamp"]
        wait_for(lambda: get_json(api, f"{widgets}/w1") is None, timeout=30,
                 what=f"kopf to release its finalizer; kopf said:\n{op.output()}")
        farewell = get_json(api, f"/api/v1/namespaces/{ns}/configmaps/w1-farewell")
        assert farewell["data"] == {"uid": uid}
        assert get_json(api, f"/api/v1/namespaces/{ns}/configmaps/w1-data") is None
    finally:
        code = op.stop()
    assert code == 0, op.output()
    assert "Traceback" not in op.output(), op.output()
    assert op.output().count("failed temporarily: attempt") == 2


def test_peering(api, uwe, tmp_path):  # noqa: F811
    ns = "eco-kopf-peering"
    ensure_namespace(api, ns)
    crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
    for kind, plural, scope in (("KopfPeering", "kopfpeerings", "Namespaced"),
                                ("ClusterKopfPeering", "clusterkopfpeerings", "Cluster")):
        # kopf's own peering CRDs keep the status in the main resource (no status subresource).
        r = api.post(crds, json=crd_manifest("kopf.dev", kind, plural, scope, status_subresource=False))
        assert r.status_code == 201, r.text
    peering = f"/apis/kopf.dev/v1/namespaces/{ns}/kopfpeerings"
    wait_for(lambda: api.get(peering).status_code == 200, what="kopfpeerings to be served")
    # Another, live operator of a higher priority already holds the peering.
    other = "other-operator@elsewhere"
    lastseen = datetime.datetime.now(datetime.UTC).isoformat()
    r = api.post(peering, json={"apiVersion": "kopf.dev/v1", "kind": "KopfPeering", "metadata": {"name": "default"},
                                "status": {other: {"priority": 100, "lifetime": 60, "lastseen": lastseen}}})
    assert r.status_code == 201, r.text

    op = Kopf(uwe.kubeconfig, tmp_path / "kopf.log", f"--namespace={ns}", "--peering=default", "--priority=7")
    merge = {"Content-Type": "application/merge-patch+json"}
    try:
        # kopf announces itself in the peering object (a merge patch of the status); it starts paused
        # and stays so while a live peer of a higher priority is there.
        status = wait_for(lambda: len(s := get_json(api, f"{peering}/default")["status"]) == 2 and s, timeout=30,
                          what=f"kopf's keep-alive in the peering object; kopf said:\n{op.output()}")
        [identity] = set(status) - {other}
        assert (status[identity]["priority"], status[identity]["lifetime"]) == (7, 60)
        assert status[identity]["lastseen"]
        assert "Pausing the watch-stream for widgets" in op.output()
        r = api.post(WIDGETS.format(ns=ns), json=widget("p1", "peered"))
        assert r.status_code == 201, r.text
        assert get_json(api, f"/api/v1/namespaces/{ns}/configmaps/p1-data") is None, "a paused operator handled it"
        assert "Resuming operations" not in op.output()

        # The other operator leaves (kopf's own way: a null merge patch); this one resumes.
        r = api.patch(f"{peering}/default", json={"status": {other: None}}, headers=merge)
        assert r.status_code == 200, r.text
        cm = wait_for(lambda: get_json(api, f"/api/v1/namespaces/{ns}/configmaps/p1-data"), timeout=30,
                      what=f"the create handler after resuming; kopf said:\n{op.output()}")
        assert cm["data"] == {"message": "peered"}
        assert "Resuming operations after the pause" in op.output()
    finally:
        code = op.stop()
    assert code == 0, op.output()
    assert "Traceback" not in op.output(), op.output()
    # On exit, kopf removes its own entry with a null merge patch.
    assert get_json(api, f"{peering}/default").get("status") in (None, {})


def test_cluster_wide_peering(api, uwe, tmp_path):  # noqa: F811
    """`-A` uses the cluster-scoped ClusterKopfPeering (its CRD created by test_peering)."""
    peering = "/apis/kopf.dev/v1/clusterkopfpeerings"
    r = api.post(peering, json={"apiVersion": "kopf.dev/v1", "kind": "ClusterKopfPeering",
                                "metadata": {"name": "default"}})
    assert r.status_code == 201, r.text
    ns = "eco-kopf-anywhere"
    ensure_namespace(api, ns)
    op = Kopf(uwe.kubeconfig, tmp_path / "kopf.log", "--all-namespaces", "--peering=default")
    try:
        [me] = wait_for(lambda: (get_json(api, f"{peering}/default").get("status") or {}).values(), timeout=30,
                        what=f"kopf's cluster-wide keep-alive; kopf said:\n{op.output()}")
        assert (me["priority"], me["lifetime"]) == (0, 60)
        r = api.post(WIDGETS.format(ns=ns), json=widget("c1", "anywhere"))
        assert r.status_code == 201, r.text
        cm = wait_for(lambda: get_json(api, f"/api/v1/namespaces/{ns}/configmaps/c1-data"), timeout=30,
                      what=f"the create handler cluster-wide; kopf said:\n{op.output()}")
        assert cm["data"] == {"message": "anywhere"}
    finally:
        code = op.stop()
    assert code == 0, op.output()
    assert "Traceback" not in op.output(), op.output()
    assert get_json(api, f"{peering}/default").get("status") in (None, {})
