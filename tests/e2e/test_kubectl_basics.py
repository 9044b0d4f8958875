"""kubectl 1.30 and 1.32 against the real server: discovery commands, get in every output form, watch, describe."""

from __future__ import annotations

import json
import queue
import re
import subprocess
import threading

import pytest
import yaml
from conftest import kubectl_binary
from kubeutil import ANSI, VERSIONS, deployment, ensure_namespace, node, pod, table_rows

pytestmark = pytest.mark.e2e

NS = "basics"


@pytest.fixture(scope="module")
def api(cluster):
    """A namespace with three labelled pods, a configmap, a node and a deployment made through the API."""
    c = cluster.client()
    ensure_namespace(c, NS)
    ensure_namespace(c, "basics-other")
    for name, labels in (("web-1", {"app": "web", "tier": "front"}), ("web-2", {"app": "web", "tier": "back"}),
                         ("db-1", {"app": "db"})):
        r = c.post(f"/api/v1/namespaces/{NS}/pods", json=pod(name, image="nginx:1.25", labels=labels))
        assert r.status_code == 201, r.text
    r = c.post("/api/v1/namespaces/basics-other/pods", json=pod("other-1", image="busybox:1.36"))
    assert r.status_code == 201, r.text
    r = c.post("/api/v1/nodes", json=node("node-a", labels={"node-role.kubernetes.io/control-plane": ""}))
    assert r.status_code == 201, r.text
    r = c.post(f"/apis/apps/v1/namespaces/{NS}/deployments", json=deployment("shop", replicas=3, image="shop:2"))
    assert r.status_code == 201, r.text
    return c


@pytest.fixture(params=VERSIONS)
def version(request) -> str:
    return request.param


def test_version(cluster, version):
    out = cluster.kubectl("version", version=version)
    assert f"Client Version: v{version}." in out.stdout
    assert re.search(r"^Server Version: v1\.30\.\d+\+uwernetes\S*$", out.stdout, re.M), out.stdout
    doc = json.loads(cluster.kubectl("version", "-o", "json", version=version).stdout)
    assert doc["serverVersion"]["major"] == "1"
    assert doc["serverVersion"]["minor"] == "30"
    assert doc["serverVersion"]["gitVersion"].startswith("v1.30.")
    if version == "1.32":
        assert "exceeds the supported minor version skew of +/-1" in out.stderr


def test_api_resources(cluster, version):
    out = cluster.kubectl("api-resources", version=version).stdout
    rows = {r[0]: r for r in table_rows(out)[1:]}
    assert rows["pods"] == ["pods", "po", "v1", "true", "Pod"]
    assert rows["nodes"] == ["nodes", "no", "v1", "false", "Node"]
    assert rows["namespaces"] == ["namespaces", "ns", "v1", "false", "Namespace"]
    assert rows["deployments"] == ["deployments", "deploy", "apps/v1", "true", "Deployment"]
    assert rows["replicasets"] == ["replicasets", "rs", "apps/v1", "true", "ReplicaSet"]
    assert rows["jobs"] == ["jobs", "batch/v1", "true", "Job"]
    assert rows["leases"] == ["leases", "coordination.k8s.io/v1", "true", "Lease"]
    assert rows["services"] == ["services", "svc", "v1", "true", "Service"]
    assert rows["configmaps"] == ["configmaps", "cm", "v1", "true", "ConfigMap"]
    assert rows["secrets"] == ["secrets", "v1", "true", "Secret"]
    assert rows["serviceaccounts"] == ["serviceaccounts", "sa", "v1", "true", "ServiceAccount"]
    names = cluster.kubectl("api-resources", "-o", "name", version=version).stdout.split()
    assert {"events", "events.events.k8s.io", "deployments.apps", "jobs.batch"} <= set(names)
    wide = {r[0]: r for r in table_rows(cluster.kubectl("api-resources", "-o", "wide", version=version).stdout)[1:]}
    assert wide["pods"][-2:] == ["create,delete,deletecollection,get,list,patch,update,watch", "all"]


def test_api_versions(cluster, version):
    versions = cluster.kubectl("api-versions", version=version).stdout.split()
    assert versions == sorted(versions)
    assert {"v1", "apps/v1", "batch/v1", "coordination.k8s.io/v1", "events.k8s.io/v1"} <= set(versions)


def test_cluster_info(cluster, version):
    out = ANSI.sub("", cluster.kubectl("cluster-info", version=version).stdout)
    assert out.splitlines()[0] == f"Kubernetes control plane is running at {cluster.url}"


def test_get_pods_table(cluster, api, version):
    rows = table_rows(cluster.kubectl("get", "pods", "-n", NS, version=version).stdout)
    assert rows[0] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert [r[:4] for r in rows[1:]] == [
        ["db-1", "0/1", "Pending", "0"], ["web-1", "0/1", "Pending", "0"], ["web-2", "0/1", "Pending", "0"]
    ]
    assert all(re.fullmatch(r"\d+s|\d+m\d*s?", r[4]) for r in rows[1:])


def test_get_pods_wide(cluster, api, version):
    rows = table_rows(cluster.kubectl("get", "pods", "-n", NS, "-o", "wide", version=version).stdout)
    assert rows[0] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE", "READINESS GATES"]
    assert rows[1][0] == "db-1"
    assert rows[1][5:] == ["<none>", "<none>", "<none>", "<none>"]


def test_get_yaml_and_json(cluster, api, version):
    doc = yaml.safe_load(cluster.kubectl("get", "pod", "web-1", "-n", NS, "-o", "yaml", version=version).stdout)
    assert (doc["apiVersion"], doc["kind"], doc["metadata"]["name"]) == ("v1", "Pod", "web-1")
    assert doc["metadata"]["labels"] == {"app": "web", "tier": "front"}
    assert doc["spec"]["containers"][0]["image"] == "nginx:1.25"
    assert doc["status"]["phase"] == "Pending"
    many = json.loads(cluster.kubectl("get", "pods", "-n", NS, "-o", "json", version=version).stdout)
    assert many["kind"] == "List"
    assert [i["metadata"]["name"] for i in many["items"]] == ["db-1", "web-1", "web-2"]
    assert all(i["kind"] == "Pod" and i["apiVersion"] == "v1" for i in many["items"])


def test_get_jsonpath_and_custom_columns(cluster, api, version):
    out = cluster.kubectl("get", "pods", "-n", NS, "-o", "jsonpath={.items[*].metadata.name}", version=version)
    assert out.stdout == "db-1 web-1 web-2"
    out = cluster.kubectl("get", "pod", "web-2", "-n", NS, "-o", "jsonpath={.metadata.labels.tier}", version=version)
    assert out.stdout == "back"
    out = cluster.kubectl("get", "pods", "-n", NS, "-o",
                          "custom-columns=NAME:.metadata.name,IMAGE:.spec.containers[0].image,APP:.metadata.labels.app",
                          version=version)
    assert table_rows(out.stdout) == [["NAME", "IMAGE", "APP"], ["db-1", "nginx:1.25", "db"],
                                      ["web-1", "nginx:1.25", "web"], ["web-2", "nginx:1.25", "web"]]


@pytest.mark.parametrize(
    ("selector", "expected"),
    [("app=web", "web-1 web-2"), ("app=web,tier!=back", "web-1"), ("app in (db)", "db-1"), ("!tier", "db-1"),
     ("app=none", "")],
)
def test_get_label_selector(cluster, api, version, selector, expected):
    out = cluster.kubectl("get", "pods", "-n", NS, "-l", selector, "-o", "jsonpath={.items[*].metadata.name}",
                          version=version)
    assert out.stdout == expected


def test_get_show_labels(cluster, api, version):
    rows = table_rows(cluster.kubectl("get", "pods", "-n", NS, "-l", "app=db", "--show-labels", version=version).stdout)
    assert rows[0][-1] == "LABELS"
    assert rows[1][-1] == "app=db"


def test_get_all_namespaces(cluster, api, version):
    rows = table_rows(cluster.kubectl("get", "pods", "-A", version=version).stdout)
    assert rows[0][:2] == ["NAMESPACE", "NAME"]
    pairs = {(r[0], r[1]) for r in rows[1:]}
    assert {("basics", "web-1"), ("basics", "db-1"), ("basics-other", "other-1")} <= pairs


@pytest.mark.parametrize(
    ("selector", "expected"),
    [("metadata.name=web-2", "web-2"), ("metadata.name!=web-2", "db-1 web-1"), ("status.phase=Pending", "db-1 web-1 web-2"),
     ("status.phase=Running", ""), ("spec.nodeName=", "db-1 web-1 web-2")],
)
def test_get_field_selector(cluster, api, version, selector, expected):
    out = cluster.kubectl("get", "pods", "-n", NS, "--field-selector", selector,
                          "-o", "jsonpath={.items[*].metadata.name}", version=version)
    assert out.stdout == expected


def test_get_unknown_field_selector_fails(cluster, api, version):
    proc = cluster.kubectl("get", "pods", "-n", NS, "--field-selector", "spec.foo=x", version=version, check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip().endswith("field label not supported: spec.foo")


def test_get_missing_object(cluster, api, version):
    proc = cluster.kubectl("get", "pod", "missing", "-n", NS, version=version, check=False)
    assert proc.returncode == 1
    assert proc.stderr == 'Error from server (NotFound): pods "missing" not found\n'


def test_get_nodes_and_deployments(cluster, api, version):
    rows = table_rows(cluster.kubectl("get", "nodes", "-o", "wide", version=version).stdout)
    assert rows[0] == ["NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE",
                       "KERNEL-VERSION", "CONTAINER-RUNTIME"]
    row = next(r for r in rows if r[0] == "node-a")
    assert row[1:3] == ["Ready", "control-plane"]
    assert row[4:] == ["v1.30.0", "10.0.0.7", "<none>", "Debian GNU/Linux 12 (bookworm)", "6.1.0", "uwernetes://0.1.0"]
    rows = table_rows(cluster.kubectl("get", "deploy", "-n", NS, "-o", "wide", version=version).stdout)
    assert rows[0] == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"]
    row = next(r for r in rows if r[0] == "shop")
    assert row[1:4] == ["0/3", "0", "0"]  # no controller runs in this cluster
    assert row[5:] == ["main", "shop:2", "app=shop"]


def _lines(stream, q: queue.Queue) -> None:
    for line in iter(stream.readline, ""):
        q.put(line.rstrip("\n"))
    q.put(None)


def _next_line(q: queue.Queue, what: str, timeout: float = 15.0) -> str:
    try:
        line = q.get(timeout=timeout)
    except queue.Empty:
        raise AssertionError(f"no output from kubectl get -w while waiting for {what}") from None
    assert line is not None, f"kubectl get -w exited while waiting for {what}"
    return line


def test_get_watch(cluster, api, version):
    ns = f"watch-{version.replace('.', '-')}"
    ensure_namespace(api, ns)
    assert api.post(f"/api/v1/namespaces/{ns}/pods", json=pod("first")).status_code == 201
    cache = cluster.tmp / f"kubectl-cache-{version}"
    proc = subprocess.Popen(
        [kubectl_binary(version), f"--kubeconfig={cluster.kubeconfig}", f"--cache-dir={cache}",
         "get", "pods", "-n", ns, "-w"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    q: queue.Queue = queue.Queue()
    threading.Thread(target=_lines, args=(proc.stdout, q), daemon=True).start()
    try:
        assert re.split(r"\s{2,}", _next_line(q, "the header")) == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
        assert _next_line(q, "the existing pod").split()[:4] == ["first", "0/1", "Pending", "0"]
        assert api.post(f"/api/v1/namespaces/{ns}/pods",
                        json=pod("second", schedulingGates=[{"name": "example.com/hold"}])).status_code == 201
        assert _next_line(q, "the new pod").split()[:4] == ["second", "0/1", "SchedulingGated", "0"]
        assert api.delete(f"/api/v1/namespaces/{ns}/pods/first").status_code == 200
        # A deleted unscheduled pod goes at once; the watch shows its last state.
        assert _next_line(q, "the deleted pod").split()[0] == "first"
        assert proc.poll() is None, "kubectl get -w must keep watching"
    finally:
        proc.kill()
        proc.wait(10)


def _field(text: str, name: str) -> str:
    m = re.search(rf"^{re.escape(name)}:\s*(.*)$", text, re.M)
    assert m, f"{name!r} missing from:\n{text}"
    return m.group(1).strip()


def test_describe_pod(cluster, api, version):
    out = cluster.kubectl("describe", "pod", "web-1", "-n", NS, version=version).stdout
    assert _field(out, "Name") == "web-1"
    assert _field(out, "Namespace") == NS
    assert _field(out, "Node") == "<none>"
    assert _field(out, "Status") == "Pending"
    assert _field(out, "Service Account") == "default"
    assert re.search(r"^Labels:\s+app=web\n\s+tier=front$", out, re.M), out
    assert re.search(r"^  main:\n    Image:\s+nginx:1\.25$", out, re.M), out
    assert _field(out, "QoS Class") == "BestEffort"
    assert re.search(r"^Tolerations:\s+node\.kubernetes\.io/not-ready:NoExecute op=Exists for 300s$", out, re.M), out
    assert _field(out, "Events") == "<none>"


def test_describe_node(cluster, api, version):
    out = cluster.kubectl("describe", "node", "node-a", version=version).stdout
    assert _field(out, "Name") == "node-a"
    assert _field(out, "Roles") == "control-plane"
    assert re.search(r"^  Ready\s+True\s+.*KubeletReady\s+kubelet is posting ready status$", out, re.M), out
    assert re.search(r"^  InternalIP:\s+10\.0\.0\.7$", out, re.M), out
    assert re.search(r"^  Kubelet Version:\s+v1\.30\.0$", out, re.M), out
    assert re.search(r"^  OS Image:\s+Debian GNU/Linux 12 \(bookworm\)$", out, re.M), out
    assert re.search(r"^Capacity:\n  cpu:\s+4\n", out, re.M), out
    assert re.search(r"^Non-terminated Pods:\s+\(0 in total\)$", out, re.M), out


def test_describe_deployment(cluster, api, version):
    out = cluster.kubectl("describe", "deployment", "shop", "-n", NS, version=version).stdout
    assert _field(out, "Name") == "shop"
    assert _field(out, "Namespace") == NS
    assert _field(out, "Selector") == "app=shop"
    assert _field(out, "Replicas").startswith("3 desired")
    assert _field(out, "StrategyType") == "RollingUpdate"
    assert _field(out, "RollingUpdateStrategy") == "25% max unavailable, 25% max surge"
    assert re.search(r"^   main:\n    Image:\s+shop:2$", out, re.M), out
