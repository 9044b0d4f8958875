"""Volume materialisation: payloads, downward API values, the atomic writer."""

from __future__ import annotations

import asyncio
import base64
import os

import pytest

from uwernetes.node import volumes


def make_pod(volumes_=(), containers=None, **meta):
    return {"metadata": {"name": "p", "namespace": "ns", "uid": "u-1", **meta},
            "spec": {"containers": containers or [{"name": "c"}], "volumes": list(volumes_), "nodeName": "n1",
                     "serviceAccountName": "default"},
            "status": {"hostIP": "10.0.0.1", "podIP": "10.244.0.5"}}


def sources(cms=None, secrets=None, token="tok"):
    async def cm(ns, name):
        return (cms or {}).get((ns, name))

    async def sec(ns, name):
        return (secrets or {}).get((ns, name))

    async def tok(ns, sa, aud, seconds, pod):
        return f"{token}:{ns}:{sa}:{seconds}"

    return volumes.Sources(config_map=cm, secret=sec, token=tok)


def run(coro):
    return asyncio.run(coro)


def read_tree(root):
    out = {}
    for dirpath, _dirs, files in os.walk(root, followlinks=True):
        if "/.." in dirpath:
            continue
        for f in files:
            p = os.path.join(dirpath, f)
            rel = os.path.relpath(p, root)
            if not rel.startswith(".."):
                out[rel] = (open(p, "rb").read(), os.stat(p).st_mode & 0o777)
    return out


def test_config_map_all_keys_and_items(tmp_path):
    cms = {("ns", "cfg"): {"data": {"a": "1", "b": "2"}, "binaryData": {"bin": base64.b64encode(b"\0x").decode()}}}
    vols = [{"name": "all", "configMap": {"name": "cfg"}},
            {"name": "some", "configMap": {"name": "cfg", "defaultMode": 0o600,
                                           "items": [{"key": "a", "path": "dir/a.txt", "mode": 0o400}, {"key": "b", "path": "b"}]}}]
    paths = run(volumes.setup_volumes(make_pod(vols), tmp_path, sources(cms)))
    assert paths["all"] == str(tmp_path / "u-1/volumes/kubernetes.io~configmap/all")
    assert read_tree(paths["all"]) == {"a": (b"1", 0o644), "b": (b"2", 0o644), "bin": (b"\0x", 0o644)}
    assert read_tree(paths["some"]) == {"dir/a.txt": (b"1", 0o400), "b": (b"2", 0o600)}
    assert os.readlink(os.path.join(paths["all"], "a")) == "..data/a"


@pytest.mark.parametrize("volume, message", [
    pytest.param({"name": "v", "configMap": {"name": "missing"}},
                 'MountVolume.SetUp failed for volume "v" : configmap "missing" not found', id="configmap missing"),
    pytest.param({"name": "v", "configMap": {"name": "cfg", "items": [{"key": "zz", "path": "zz"}]}},
                 'MountVolume.SetUp failed for volume "v" : configmap references non-existent config key: zz',
                 id="configmap key missing"),
    pytest.param({"name": "v", "secret": {"secretName": "nope"}},
                 'MountVolume.SetUp failed for volume "v" : secret "nope" not found', id="secret missing"),
    pytest.param({"name": "v", "hostPath": {"path": "/definitely/not/here", "type": "Directory"}},
                 'MountVolume.SetUp failed for volume "v" : hostPath type check failed: /definitely/not/here is not a directory',
                 id="hostPath Directory"),
])
def test_setup_errors(tmp_path, volume, message):
    cms = {("ns", "cfg"): {"data": {"a": "1"}}}
    with pytest.raises(volumes.VolumeError) as e:
        run(volumes.setup_volumes(make_pod([volume]), tmp_path, sources(cms)))
    assert e.value.message == message


def test_optional_sources_are_empty(tmp_path):
    vols = [{"name": "v", "configMap": {"name": "missing", "optional": True}},
            {"name": "s", "secret": {"secretName": "missing", "optional": True}}]
    paths = run(volumes.setup_volumes(make_pod(vols), tmp_path, sources()))
    assert read_tree(paths["v"]) == {} and read_tree(paths["s"]) == {}


def test_secret_and_projected_service_account(tmp_path):
    secrets = {("ns", "s"): {"data": {"password": base64.b64encode(b"hunter2").decode()}}}
    cms = {("ns", "kube-root-ca.crt"): {"data": {"ca.crt": "PEM"}}}
    from uwernetes.admission.builtin import token_volume

    vols = [{"name": "s", "secret": {"secretName": "s"}}, token_volume("kube-api-access-x")]
    paths = run(volumes.setup_volumes(make_pod(vols), tmp_path, sources(cms, secrets)))
    assert read_tree(paths["s"]) == {"password": (b"hunter2", 0o644)}
    assert read_tree(paths["kube-api-access-x"]) == {
        "token": (b"tok:ns:default:3607", 0o600), "ca.crt": (b"PEM", 0o644), "namespace": (b"ns", 0o644)}


@pytest.mark.parametrize("path, want", [
    ("metadata.name", "p"), ("metadata.namespace", "ns"), ("metadata.uid", "u-1"),
    ("metadata.labels", 'app="web"\ntier="a \\"b\\""'), ("metadata.labels['app']", "web"),
    ("metadata.annotations['none']", ""), ("spec.nodeName", "n1"), ("status.podIP", "10.244.0.5"),
])
def test_field_ref_value(path, want):
    pod = make_pod(labels={"tier": 'a "b"', "app": "web"})
    assert volumes.field_ref_value(pod, path) == want


@pytest.mark.parametrize("ref, want", [
    ({"resource": "limits.cpu"}, "2"),
    ({"resource": "limits.cpu", "divisor": "1m"}, "1500"),
    ({"resource": "requests.memory", "divisor": "1Mi"}, "64"),
    ({"resource": "limits.memory"}, "134217728"),
    ({"resource": "limits.ephemeral-storage", "divisor": "1Gi"}, "10"),
])
def test_resource_field_value(ref, want):
    pod = make_pod(containers=[{"name": "c", "resources": {"limits": {"cpu": "1500m", "memory": "128Mi"},
                                                            "requests": {"memory": "64Mi"}}}])
    assert volumes.resource_field_value(pod, ref, {"ephemeral-storage": "10Gi"}) == want


def test_downward_volume_and_update(tmp_path):
    vol = {"name": "info", "downwardAPI": {"items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]}}
    pod = make_pod([vol], labels={"a": "1"})
    path = run(volumes.setup_volume(pod, vol, tmp_path, sources()))
    assert read_tree(path) == {"labels": (b'a="1"', 0o644)}
    pod["metadata"]["labels"] = {"a": "2"}
    run(volumes.setup_volume(pod, vol, tmp_path, sources()))
    assert read_tree(path) == {"labels": (b'a="2"', 0o644)}
    assert len([e for e in os.listdir(path) if e.startswith("..") and e != "..data"]) == 1  # old payload removed


def test_empty_dir_and_host_path_create(tmp_path):
    vols = [{"name": "scratch", "emptyDir": {}},
            {"name": "h", "hostPath": {"path": str(tmp_path / "made" / "here"), "type": "DirectoryOrCreate"}}]
    paths = run(volumes.setup_volumes(make_pod(vols), tmp_path / "root", sources()))
    assert os.path.isdir(paths["scratch"]) and paths["h"] == str(tmp_path / "made" / "here")
    assert os.path.isdir(paths["h"])
    volumes.remove_pod_volumes(tmp_path / "root", "u-1")
    assert not os.path.exists(paths["scratch"]) and os.path.isdir(paths["h"])
