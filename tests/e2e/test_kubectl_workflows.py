"""kubectl 1.30 and 1.32 writing through the real server: create, apply, replace, patch, label, annotate,
edit, delete in its forms, imperative create, and wait --for=delete."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import time

import pytest
import yaml
from conftest import kubectl_binary
from kubeutil import VERSIONS, configmap, ensure_namespace, names, node, pod, wait_for

pytestmark = pytest.mark.e2e

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"

MULTI_DOC = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  labels: {app: shop}
data:
  mode: fast
---
apiVersion: v1
kind: Secret
metadata:
  name: creds
type: Opaque
stringData:
  password: hunter2
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
spec:
  replicas: 2
  selector:
    matchLabels: {app: shop}
  template:
    metadata:
      labels: {app: shop}
    spec:
      containers:
      - name: main
        image: shop:1
        ports:
        - containerPort: 8080
"""


@pytest.fixture(scope="module")
def api(cluster):
    c = cluster.client()
    assert c.post("/api/v1/nodes", json=node("wf-node")).status_code in (201, 409)
    return c


@pytest.fixture(params=VERSIONS)
def version(request) -> str:
    return request.param


@pytest.fixture
def ns(api, version) -> str:
    name = f"wf-{version.replace('.', '-')}"
    ensure_namespace(api, name)
    return name


def test_create_multi_document(cluster, api, version, ns):
    out = cluster.kubectl("create", "-n", ns, "-f", "-", input=MULTI_DOC, version=version)
    assert out.stdout.splitlines() == ["configmap/settings created", "secret/creds created", "deployment.apps/shop created"]
    assert api.get(f"/api/v1/namespaces/{ns}/configmaps/settings").json()["data"] == {"mode": "fast"}
    secret = api.get(f"/api/v1/namespaces/{ns}/secrets/creds").json()
    assert secret["data"] == {"password": base64.b64encode(b"hunter2").decode()}
    assert "stringData" not in secret
    dep = api.get(f"/apis/apps/v1/namespaces/{ns}/deployments/shop").json()
    assert dep["spec"]["template"]["spec"]["containers"][0]["ports"] == [{"containerPort": 8080, "protocol": "TCP"}]
    assert dep["metadata"]["generation"] == 1
    assert dep["metadata"]["managedFields"][0]["manager"] == "kubectl-create"
    again = cluster.kubectl("create", "-n", ns, "-f", "-", input=MULTI_DOC, version=version, check=False)
    assert again.returncode == 1
    assert 'Error from server (AlreadyExists): error when creating "STDIN": configmaps "settings" already exists' in again.stderr
    assert 'Error from server (AlreadyExists): error when creating "STDIN": deployments.apps "shop" already exists' in again.stderr


def _applied(image: str, replicas: int, extra_label: bool = False, mode: str = "fast") -> str:
    labels = {"app": "api", **({"track": "stable"} if extra_label else {})}
    env = [{"name": "MODE", "value": mode}, {"name": "REGION", "value": "eu"}]
    return yaml.safe_dump({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "api", "labels": labels},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "api"}},
                 "template": {"metadata": {"labels": {"app": "api"}},
                              "spec": {"containers": [{"name": "main", "image": image, "env": env}]}}},
    })


def test_apply_create_then_change(cluster, api, version, ns):
    path = f"/apis/apps/v1/namespaces/{ns}/deployments/api"
    first = _applied("api:1", 1)
    assert cluster.kubectl("apply", "-n", ns, "-f", "-", input=first, version=version).stdout == "deployment.apps/api created\n"
    created = api.get(path).json()
    assert created["metadata"]["generation"] == 1
    last = json.loads(created["metadata"]["annotations"][LAST_APPLIED])
    assert last["spec"]["template"]["spec"]["containers"][0]["image"] == "api:1"
    assert last["metadata"] == {"annotations": {}, "labels": {"app": "api"}, "name": "api", "namespace": ns}

    unchanged = cluster.kubectl("apply", "-n", ns, "-f", "-", input=first, version=version)
    assert unchanged.stdout == "deployment.apps/api unchanged\n"

    # Someone else's change, outside the manifest, must survive the re-apply.
    cluster.kubectl("annotate", "deployment", "api", "-n", ns, "owner=team-a", version=version)
    second = _applied("api:2", 3, extra_label=True, mode="safe")
    assert cluster.kubectl("apply", "-n", ns, "-f", "-", input=second, version=version).stdout == "deployment.apps/api configured\n"
    changed = api.get(path).json()
    assert changed["spec"]["replicas"] == 3
    assert changed["spec"]["template"]["spec"]["containers"] == [{
        "name": "main", "image": "api:2", "env": [{"name": "MODE", "value": "safe"}, {"name": "REGION", "value": "eu"}],
        "resources": {}, "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File", "imagePullPolicy": "IfNotPresent",
    }]
    assert changed["metadata"]["annotations"]["owner"] == "team-a"
    before = {k: v for k, v in created["spec"].items() if k not in ("replicas", "template")}
    assert {k: v for k, v in changed["spec"].items() if k not in ("replicas", "template")} == before
    assert changed["metadata"]["labels"] == {"app": "api", "track": "stable"}
    # The annotation bumped it too: Deployment annotations are copied to ReplicaSets (as upstream).
    assert changed["metadata"]["generation"] == 3
    assert changed["metadata"]["uid"] == created["metadata"]["uid"]
    last = json.loads(changed["metadata"]["annotations"][LAST_APPLIED])
    assert last["spec"]["replicas"] == 3
    assert last["spec"]["template"]["spec"]["containers"][0]["image"] == "api:2"
    assert any(m["manager"] == "kubectl-client-side-apply" for m in changed["metadata"]["managedFields"])

    # Dropping a field from the manifest removes it from the object (it was in last-applied).
    third = _applied("api:2", 3, mode="safe")
    cluster.kubectl("apply", "-n", ns, "-f", "-", input=third, version=version)
    assert api.get(path).json()["metadata"]["labels"] == {"app": "api"}


def test_apply_a_list_written_by_get(cluster, api, version, ns):
    # `kind: List` files make kubectl validate on its own, against /openapi/v2 in protobuf.
    for name in ("listed-a", "listed-b"):
        assert api.post(f"/api/v1/namespaces/{ns}/configmaps", json=configmap(name, {"v": "1"})).status_code == 201
        api.patch(f"/api/v1/namespaces/{ns}/configmaps/{name}", json={"metadata": {"labels": {"set": "listed"}}},
                  headers={"Content-Type": "application/merge-patch+json"})
    listed = yaml.safe_load(cluster.kubectl("get", "configmaps", "-n", ns, "-l", "set=listed", "-o", "yaml",
                                            version=version).stdout)
    assert listed["kind"] == "List"
    for item in listed["items"]:
        item["data"]["v"] = "2"
    out = cluster.kubectl("apply", "-n", ns, "-f", "-", input=yaml.safe_dump(listed), version=version)
    assert out.stdout.splitlines() == ["configmap/listed-a configured", "configmap/listed-b configured"]
    listed["items"][0]["data"]["v"] = "3"
    out = cluster.kubectl("apply", "--server-side", "--force-conflicts", "-n", ns, "-f", "-",
                          input=yaml.safe_dump(listed), version=version)
    assert out.stdout.splitlines() == ["configmap/listed-a serverside-applied", "configmap/listed-b serverside-applied"]
    got = {n: api.get(f"/api/v1/namespaces/{ns}/configmaps/{n}").json()["data"] for n in ("listed-a", "listed-b")}
    assert got == {"listed-a": {"v": "3"}, "listed-b": {"v": "2"}}


BAD_LIST = """\
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: never-written}
  bogus: 1
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: never-written}
  spec:
    replicas: three
    selector: {matchLabels: {app: x}}
    template:
      metadata: {labels: {app: x}}
      spec:
        containers:
        - image: nginx
"""


def test_invalid_list_is_refused_by_kubectl_validation(cluster, api, version, ns):
    out = cluster.kubectl("apply", "-n", ns, "-f", "-", input=BAD_LIST, version=version, check=False)
    assert out.returncode == 1
    assert out.stderr == (
        'error: error validating "STDIN": error validating data: ['
        'ValidationError(ConfigMap): unknown field "bogus" in io.k8s.api.core.v1.ConfigMap, '
        'ValidationError(Deployment.spec.replicas): invalid type for io.k8s.api.apps.v1.DeploymentSpec.replicas: '
        'got "string", expected "integer", '
        'ValidationError(Deployment.spec.template.spec.containers[0]): missing required field "name" in '
        'io.k8s.api.core.v1.Container]; if you choose to ignore these errors, turn validation off with '
        '--validate=false\n')
    assert api.get(f"/api/v1/namespaces/{ns}/configmaps/never-written").status_code == 404
    assert api.get(f"/apis/apps/v1/namespaces/{ns}/deployments/never-written").status_code == 404


def test_create_only_kinds_need_no_validate_flag(cluster, version):
    review = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": "not-a-token"}}
    out = cluster.kubectl("create", "-f", "-", "-o", "json", input=yaml.safe_dump(review), version=version)
    assert json.loads(out.stdout)["status"] == {"authenticated": False, "error": "invalid bearer token", "user": {}}


def test_explain_scheduling_gates_from_both_openapi_versions(cluster, version):
    v3 = cluster.kubectl("explain", "pod.spec.schedulingGates", version=version).stdout
    assert "FIELD: schedulingGates <[]PodSchedulingGate>" in v3
    assert "SchedulingGates can only be set at pod creation time, and be removed only" in v3
    assert "name\t<string> -required-" in v3
    v2 = cluster.kubectl("explain", "--output=plaintext-openapiv2", "pod.spec.schedulingGates", version=version).stdout
    assert "RESOURCE: schedulingGates <[]Object>" in v2
    assert "name\t<string> -required-" in v2


def test_replace(cluster, api, version, ns):
    api.post(f"/api/v1/namespaces/{ns}/configmaps", json=configmap("to-replace", {"a": "1", "b": "2"}))
    current = yaml.safe_load(cluster.kubectl("get", "cm", "to-replace", "-n", ns, "-o", "yaml", version=version).stdout)
    current["data"] = {"a": "10"}
    out = cluster.kubectl("replace", "-f", "-", input=yaml.safe_dump(current), version=version)
    assert out.stdout == "configmap/to-replace replaced\n"
    assert api.get(f"/api/v1/namespaces/{ns}/configmaps/to-replace").json()["data"] == {"a": "10"}
    # The same stale manifest again: resourceVersion no longer matches.
    stale = cluster.kubectl("replace", "-f", "-", input=yaml.safe_dump(current), version=version, check=False)
    assert stale.returncode == 1
    assert stale.stderr == (
        'Error from server (Conflict): error when replacing "STDIN": Operation cannot be fulfilled on configmaps '
        '"to-replace": the object has been modified; please apply your changes to the latest version and try again\n'
    )


def test_patch_types(cluster, api, version, ns):
    path = f"/api/v1/namespaces/{ns}/pods/patched"
    assert api.post(f"/api/v1/namespaces/{ns}/pods", json=pod("patched", labels={"a": "1"})).status_code == 201
    out = cluster.kubectl("patch", "pod", "patched", "-n", ns, "--type", "merge",
                          "-p", '{"metadata":{"labels":{"b":"2","a":null}}}', version=version)
    assert out.stdout == "pod/patched patched\n"
    assert api.get(path).json()["metadata"]["labels"] == {"b": "2"}
    cluster.kubectl("patch", "pod", "patched", "-n", ns, "--type", "json",
                    "-p", '[{"op":"replace","path":"/spec/containers/0/image","value":"nginx:1.26"},'
                          '{"op":"add","path":"/metadata/annotations","value":{"note":"x"}}]', version=version)
    got = api.get(path).json()
    assert got["spec"]["containers"][0]["image"] == "nginx:1.26"
    assert got["metadata"]["annotations"] == {"note": "x"}
    # Strategic merge: the container list merges by name, so only the image changes.
    cluster.kubectl("patch", "pod", "patched", "-n", ns, "--type", "strategic",
                    "-p", '{"spec":{"containers":[{"name":"main","image":"nginx:1.27"}]}}', version=version)
    got = api.get(path).json()
    assert [(c["name"], c["image"]) for c in got["spec"]["containers"]] == [("main", "nginx:1.27")]
    assert got["spec"]["containers"][0]["terminationMessagePath"] == "/dev/termination-log"
    assert any(m["manager"] == "kubectl-patch" for m in got["metadata"]["managedFields"])
    noop = cluster.kubectl("patch", "pod", "patched", "-n", ns, "-p", '{"metadata":{"labels":{"b":"2"}}}', version=version)
    assert noop.stdout == "pod/patched patched (no change)\n"
    bad = cluster.kubectl("patch", "pod", "patched", "-n", ns, "--type", "merge",
                          "-p", '{"spec":{"containers":[{"name":"main","image":"x","ports":[{"containerPort":80}]}]}}',
                          version=version, check=False)
    assert bad.returncode == 1
    assert bad.stderr.startswith('The Pod "patched" is invalid: spec: Forbidden: pod updates may not change fields')


def test_patch_with_unknown_fields_warns_and_keeps_the_object_editable(cluster, api, version, ns, tmp_path):
    path = f"/api/v1/namespaces/{ns}/configmaps/patched-unknown"
    api.post(f"/api/v1/namespaces/{ns}/configmaps", json=configmap("patched-unknown", {"k": "v"}))
    for kind in ("strategic", "merge"):
        out = cluster.kubectl("patch", "cm", "patched-unknown", "-n", ns, "--type", kind,
                              "-p", '{"bogus":1,"data":{"k":"w"}}', version=version)
        assert out.stderr == 'Warning: unknown field "bogus"\n'
    assert api.get(path).json()["data"] == {"k": "w"} and "bogus" not in api.get(path).json()
    out = cluster.kubectl("patch", "cm", "patched-unknown", "-n", ns, "--type", "json",
                          "-p", '[{"op":"add","path":"/bogus","value":1}]', version=version)
    assert (out.stdout, out.stderr) == ("configmap/patched-unknown patched (no change)\n",
                                        'Warning: unknown field "bogus"\n')
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/k: w/k: x/' \"$1\"\n")
    editor.chmod(0o755)
    out = cluster.kubectl("edit", "cm", "patched-unknown", "-n", ns, version=version, env={"KUBE_EDITOR": str(editor)})
    assert out.stdout == "configmap/patched-unknown edited\n"
    assert api.get(path).json()["data"] == {"k": "x"}


def test_label_and_annotate(cluster, api, version, ns):
    path = f"/api/v1/namespaces/{ns}/configmaps/tagged"
    api.post(f"/api/v1/namespaces/{ns}/configmaps", json=configmap("tagged", labels={"keep": "yes"}))
    assert cluster.kubectl("label", "cm", "tagged", "-n", ns, "env=prod", version=version).stdout == "configmap/tagged labeled\n"
    assert api.get(path).json()["metadata"]["labels"] == {"keep": "yes", "env": "prod"}
    refused = cluster.kubectl("label", "cm", "tagged", "-n", ns, "env=dev", version=version, check=False)
    assert refused.returncode == 1
    assert "'env' already has a value (prod), and --overwrite is false" in refused.stderr
    cluster.kubectl("label", "cm", "tagged", "-n", ns, "env=dev", "--overwrite", version=version)
    cluster.kubectl("label", "cm", "tagged", "-n", ns, "keep-", version=version)
    assert api.get(path).json()["metadata"]["labels"] == {"env": "dev"}
    out = cluster.kubectl("annotate", "cm", "tagged", "-n", ns, "owner=team-a", "note=hello world", version=version)
    assert out.stdout == "configmap/tagged annotated\n"
    assert api.get(path).json()["metadata"]["annotations"] == {"owner": "team-a", "note": "hello world"}
    cluster.kubectl("annotate", "cm", "tagged", "-n", ns, "owner-", version=version)
    assert api.get(path).json()["metadata"]["annotations"] == {"note": "hello world"}
    bad = cluster.kubectl("label", "cm", "tagged", "-n", ns, "bad=no spaces!", version=version, check=False)
    assert bad.returncode == 1


def test_edit_with_editor_script(cluster, api, version, ns, tmp_path):
    api.post(f"/api/v1/namespaces/{ns}/configmaps", json=configmap("edited", {"color": "blue"}))
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/color: blue/color: green/' \"$1\"\n")
    editor.chmod(0o755)
    out = cluster.kubectl("edit", "cm", "edited", "-n", ns, version=version,
                          env={"EDITOR": str(editor), "KUBE_EDITOR": str(editor)})
    assert out.stdout == "configmap/edited edited\n"
    got = api.get(f"/api/v1/namespaces/{ns}/configmaps/edited").json()
    assert got["data"] == {"color": "green"}
    assert any(m["manager"] == "kubectl-edit" for m in got["metadata"]["managedFields"])
    # An editor that changes nothing: kubectl says so and sends no write.
    noop = tmp_path / "noop.sh"
    noop.write_text("#!/bin/sh\ntrue\n")
    noop.chmod(0o755)
    out = cluster.kubectl("edit", "cm", "edited", "-n", ns, version=version, env={"KUBE_EDITOR": str(noop)})
    assert out.stderr == "Edit cancelled, no changes made.\n"
    assert api.get(f"/api/v1/namespaces/{ns}/configmaps/edited").json()["metadata"]["resourceVersion"] == \
        got["metadata"]["resourceVersion"]


def test_delete_by_name_label_and_all(cluster, api, version, ns):
    cms = f"/api/v1/namespaces/{ns}/configmaps"
    for n, labels in (("del-a", {"grp": "x"}), ("del-b", {"grp": "x"}), ("del-c", {"grp": "y"})):
        assert api.post(cms, json=configmap(n, labels=labels)).status_code == 201
    assert cluster.kubectl("delete", "cm", "del-c", "-n", ns, version=version).stdout == 'configmap "del-c" deleted\n'
    assert api.get(f"{cms}/del-c").status_code == 404
    out = cluster.kubectl("delete", "cm", "-n", ns, "-l", "grp=x", version=version)
    assert sorted(out.stdout.splitlines()) == ['configmap "del-a" deleted', 'configmap "del-b" deleted']
    missing = cluster.kubectl("delete", "cm", "del-a", "-n", ns, version=version, check=False)
    assert missing.returncode == 1
    assert missing.stderr == 'Error from server (NotFound): configmaps "del-a" not found\n'
    scratch = f"{ns}-scratch"
    ensure_namespace(api, scratch)
    for n in ("s1", "s2", "s3"):
        api.post(f"/api/v1/namespaces/{scratch}/secrets", json={"apiVersion": "v1", "kind": "Secret", "metadata": {"name": n}})
    out = cluster.kubectl("delete", "secrets", "-n", scratch, "--all", version=version)
    assert sorted(out.stdout.splitlines()) == ['secret "s1" deleted', 'secret "s2" deleted', 'secret "s3" deleted']
    assert names(api, f"/api/v1/namespaces/{scratch}/secrets") == []


def test_delete_pod_with_grace_period(cluster, api, version, ns):
    path = f"/api/v1/namespaces/{ns}/pods/graceful"
    # Bound to a node (with no agent), so deletion is graceful and waits for a kubelet that never comes.
    assert api.post(f"/api/v1/namespaces/{ns}/pods", json=pod("graceful", nodeName="wf-node")).status_code == 201
    out = cluster.kubectl("delete", "pod", "graceful", "-n", ns, "--grace-period=45", "--wait=false", version=version)
    assert out.stdout == 'pod "graceful" deleted\n'
    got = api.get(path).json()
    assert got["metadata"]["deletionGracePeriodSeconds"] == 45
    assert "deletionTimestamp" in got["metadata"]
    row = cluster.kubectl("get", "pod", "graceful", "-n", ns, "--no-headers", version=version).stdout.split()
    assert row[:3] == ["graceful", "0/1", "Terminating"]
    forced = cluster.kubectl("delete", "pod", "graceful", "-n", ns, "--grace-period=0", "--force", version=version)
    assert forced.stdout == 'pod "graceful" force deleted\n'
    assert "Immediate deletion does not wait for confirmation" in forced.stderr
    assert api.get(path).status_code == 404


def _popen_kubectl(cluster, version: str, *args: str) -> subprocess.Popen:
    cache = cluster.tmp / f"kubectl-cache-{version}"
    return subprocess.Popen([kubectl_binary(version), f"--kubeconfig={cluster.kubeconfig}", f"--cache-dir={cache}", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))


def _drop_finalizers(api, path: str) -> None:
    r = api.patch(path, content=b'{"metadata":{"finalizers":null}}', headers={"content-type": "application/merge-patch+json"})
    assert r.status_code == 200, r.text


def test_delete_waits_for_finalizers(cluster, api, version, ns):
    path = f"/api/v1/namespaces/{ns}/configmaps/held"
    api.post(f"/api/v1/namespaces/{ns}/configmaps", json=configmap("held", finalizers=["example.com/hold"]))
    proc = _popen_kubectl(cluster, version, "delete", "cm", "held", "-n", ns, "--wait=true", "--timeout=30s")
    try:
        wait_for(lambda: "deletionTimestamp" in api.get(path).json()["metadata"], what="deletionTimestamp")
        time.sleep(0.3)  # kubectl is now waiting on its watch; it must not have finished
        assert proc.poll() is None, proc.communicate()
        _drop_finalizers(api, path)
        out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert out == 'configmap "held" deleted\n'
    assert api.get(path).status_code == 404


def test_wait_for_delete(cluster, api, version, ns):
    path = f"/api/v1/namespaces/{ns}/configmaps/awaited"
    api.post(f"/api/v1/namespaces/{ns}/configmaps", json=configmap("awaited", finalizers=["example.com/hold"]))
    cluster.kubectl("delete", "cm", "awaited", "-n", ns, "--wait=false", version=version)
    proc = _popen_kubectl(cluster, version, "wait", "--for=delete", "cm/awaited", "-n", ns, "--timeout=30s")
    try:
        time.sleep(0.3)
        assert proc.poll() is None, proc.communicate()
        _drop_finalizers(api, path)
        out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert out == "configmap/awaited condition met\n"
    gone = cluster.kubectl("wait", "--for=delete", "cm/awaited", "-n", ns, "--timeout=5s", version=version)
    assert gone.returncode == 0
    timeout = cluster.kubectl("wait", "--for=delete", f"namespace/{ns}", "--timeout=1s", version=version, check=False)
    assert timeout.returncode == 1
    assert "timed out waiting for the condition on namespaces/" + ns in timeout.stderr


def test_imperative_create_130(cluster, api):
    out = cluster.kubectl("create", "namespace", "made-by-kubectl", version="1.30")
    assert out.stdout == "namespace/made-by-kubectl created\n"
    assert api.get("/api/v1/namespaces/made-by-kubectl").json()["status"] == {"phase": "Active"}
    out = cluster.kubectl("create", "configmap", "flags", "-n", "made-by-kubectl",
                          "--from-literal=a=1", "--from-literal=b=two", version="1.30")
    assert out.stdout == "configmap/flags created\n"
    assert api.get("/api/v1/namespaces/made-by-kubectl/configmaps/flags").json()["data"] == {"a": "1", "b": "two"}
    out = cluster.kubectl("create", "secret", "generic", "token", "-n", "made-by-kubectl",
                          "--from-literal=key=s3cr3t", version="1.30")
    assert out.stdout == "secret/token created\n"
    secret = api.get("/api/v1/namespaces/made-by-kubectl/secrets/token").json()
    assert secret["type"] == "Opaque"
    assert base64.b64decode(secret["data"]["key"]) == b"s3cr3t"
    dup = cluster.kubectl("create", "configmap", "flags", "-n", "made-by-kubectl", version="1.30", check=False)
    assert dup.returncode == 1
    assert dup.stderr == 'error: failed to create configmap: configmaps "flags" already exists\n'
    dry = cluster.kubectl("create", "configmap", "dry", "-n", "made-by-kubectl", "--dry-run=server", version="1.30")
    assert dry.stdout == "configmap/dry created (server dry run)\n"
    assert api.get("/api/v1/namespaces/made-by-kubectl/configmaps/dry").status_code == 404


def test_imperative_create_132_sends_protobuf(cluster, api):
    # kubectl 1.32 sends typed `create configmap` bodies as application/vnd.kubernetes.protobuf (wire.md section 11)
    ensure_namespace(api, "made-by-kubectl-132")
    out = cluster.kubectl("create", "configmap", "flags", "-n", "made-by-kubectl-132", "--from-literal=a=1",
                          version="1.32", check=False)
    assert out.stdout == "configmap/flags created\n", out.stderr
    assert api.get("/api/v1/namespaces/made-by-kubectl-132/configmaps/flags").json()["data"] == {"a": "1"}
