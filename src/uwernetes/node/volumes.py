"""Pod volumes materialised as host directories, as the kubelet's volume plugins do.

Each volume of a pod gets `<pods root>/<pod uid>/volumes/kubernetes.io~<plugin>/<volume>` (the
kubelet's `/var/lib/kubelet/pods/<uid>/volumes/...` layout, which volume reconstruction reads):

- `emptyDir`: an empty directory (`medium: Memory` is a plain directory too).
- `configMap`, `secret`, `downwardAPI`, `projected`: files written with the kubelet's atomic
  writer layout: the payload in a `..<timestamp>` directory, a `..data` symlink to it, and each
  top-level name a symlink through `..data`, so a later `setup` swaps content atomically.
  Modes come from `defaultMode` (420 = 0644) and per-item `mode`.
- `projected` also covers what the ServiceAccount admission plugin adds (`kube-api-access-*`:
  a `serviceAccountToken`, the `kube-root-ca.crt` ConfigMap's `ca.crt`, the namespace).
- `hostPath`: the host path itself (created for `DirectoryOrCreate`/`FileOrCreate`; checked for
  the other types with upstream's messages).

Failures raise `VolumeError` with the text the kubelet puts in its `FailedMount` event
(`MountVolume.SetUp failed for volume "v" : configmap "x" not found`).
"""

from __future__ import annotations

import base64
import math
import os
import shutil
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from uwernetes.machinery import quantity

PLUGIN_DIRS = {
    "emptyDir": "kubernetes.io~empty-dir",
    "configMap": "kubernetes.io~configmap",
    "secret": "kubernetes.io~secret",
    "downwardAPI": "kubernetes.io~downward-api",
    "projected": "kubernetes.io~projected",
}
SUPPORTED = (*PLUGIN_DIRS, "hostPath")
DEFAULT_MODE = 0o644


class VolumeError(Exception):
    """A volume could not be set up; `message` is what the FailedMount event says."""

    def __init__(self, volume: str, detail: str) -> None:
        self.volume = volume
        self.detail = detail
        self.message = f'MountVolume.SetUp failed for volume "{volume}" : {detail}'
        super().__init__(self.message)


@dataclass
class Sources:
    """How volume contents are fetched (None for tests that need no API objects).

    `config_map(ns, name)` / `secret(ns, name)` return the object or None when it does not
    exist; `token(ns, service_account, audience, expiration_seconds, pod)` returns a token."""

    config_map: Callable[[str, str], Awaitable[dict | None]] | None = None
    secret: Callable[[str, str], Awaitable[dict | None]] | None = None
    token: Callable[[str, str, str, int, Mapping[str, Any]], Awaitable[str]] | None = None
    node_allocatable: Mapping[str, str] | None = None


def pod_volumes_dir(pods_root: Path | str, uid: str) -> Path:
    return Path(pods_root) / uid / "volumes"


def volume_kind(volume: Mapping[str, Any]) -> str | None:
    for kind in SUPPORTED:
        if kind in volume:
            return kind
    return None


def volume_path(pods_root: Path | str, uid: str, volume: Mapping[str, Any]) -> Path:
    kind = volume_kind(volume)
    if kind == "hostPath":
        return Path(volume["hostPath"]["path"])
    plugin = PLUGIN_DIRS.get(kind or "", f"kubernetes.io~{kind or 'unknown'}")
    return pod_volumes_dir(pods_root, uid) / plugin / volume["name"]


async def setup_volumes(pod: Mapping[str, Any], pods_root: Path | str, sources: Sources) -> dict[str, str]:
    """Materialise every volume of the pod; {volume name: host path}. Raises VolumeError."""
    out: dict[str, str] = {}
    for volume in (pod.get("spec") or {}).get("volumes") or ():
        out[volume["name"]] = str(await setup_volume(pod, volume, pods_root, sources))
    return out


async def setup_volume(pod: Mapping[str, Any], volume: Mapping[str, Any], pods_root: Path | str,
                       sources: Sources) -> Path:
    uid = pod["metadata"]["uid"]
    kind = volume_kind(volume)
    name = volume["name"]
    target = volume_path(pods_root, uid, volume)
    if kind is None:
        raise VolumeError(name, "volume type is not supported by the process runtime")
    if kind == "hostPath":
        setup_host_path(name, volume["hostPath"])
        return target
    target.mkdir(parents=True, exist_ok=True)
    if kind == "emptyDir":
        return target
    src = volume[kind]
    if kind == "configMap":
        files = await config_map_payload(pod, name, src, sources)
    elif kind == "secret":
        files = await secret_payload(pod, name, src, sources)
    elif kind == "downwardAPI":
        files = downward_payload(pod, name, src, src.get("defaultMode"), sources)
    else:
        files = await projected_payload(pod, name, src, sources)
    write_atomic(target, files)
    return target


def remove_pod_volumes(pods_root: Path | str, uid: str) -> None:
    shutil.rmtree(Path(pods_root) / uid, ignore_errors=True)


# --- payloads: {relative path: (bytes, mode)} ---

Payload = dict[str, tuple[bytes, int]]


def _mode(item_mode: Any, default_mode: Any) -> int:
    if isinstance(item_mode, int):
        return item_mode
    return default_mode if isinstance(default_mode, int) else DEFAULT_MODE


def key_payload(data: Mapping[str, bytes], items: list | None, default_mode: Any, kind: str,
                optional: bool) -> Payload:
    """configMap/secret projection: every key, or only `items` (each key must exist unless optional)."""
    if not items:
        return {k: (v, _mode(None, default_mode)) for k, v in data.items()}
    out: Payload = {}
    for item in items:
        key = item.get("key", "")
        if key not in data:
            if optional:
                continue
            raise KeyError(f"{kind} references non-existent config key: {key}")
        out[item.get("path") or key] = (data[key], _mode(item.get("mode"), default_mode))
    return out


def config_map_bytes(cm: Mapping[str, Any]) -> dict[str, bytes]:
    data = {k: str(v).encode() for k, v in (cm.get("data") or {}).items()}
    for k, v in (cm.get("binaryData") or {}).items():
        data[k] = base64.b64decode(v)
    return data


def secret_bytes(secret: Mapping[str, Any]) -> dict[str, bytes]:
    data = {k: base64.b64decode(v or "") for k, v in (secret.get("data") or {}).items()}
    for k, v in (secret.get("stringData") or {}).items():
        data[k] = str(v).encode()
    return data


async def config_map_payload(pod: Mapping[str, Any], volume: str, src: Mapping[str, Any], sources: Sources,
                             default_mode: Any = None) -> Payload:
    ns = pod["metadata"].get("namespace", "default")
    name = src.get("name", "")
    optional = bool(src.get("optional"))
    cm = await sources.config_map(ns, name) if sources.config_map else None
    if cm is None:
        if optional:
            return {}
        raise VolumeError(volume, f'configmap "{name}" not found')
    try:
        return key_payload(config_map_bytes(cm), src.get("items"), src.get("defaultMode", default_mode),
                           "configmap", optional)
    except KeyError as e:
        raise VolumeError(volume, e.args[0]) from None


async def secret_payload(pod: Mapping[str, Any], volume: str, src: Mapping[str, Any], sources: Sources,
                         default_mode: Any = None) -> Payload:
    ns = pod["metadata"].get("namespace", "default")
    name = src.get("secretName") or src.get("name", "")
    optional = bool(src.get("optional"))
    secret = await sources.secret(ns, name) if sources.secret else None
    if secret is None:
        if optional:
            return {}
        raise VolumeError(volume, f'secret "{name}" not found')
    try:
        return key_payload(secret_bytes(secret), src.get("items"), src.get("defaultMode", default_mode),
                           "secret", optional)
    except KeyError as e:
        raise VolumeError(volume, e.args[0]) from None


def downward_payload(pod: Mapping[str, Any], volume: str, src: Mapping[str, Any], default_mode: Any,
                     sources: Sources) -> Payload:
    out: Payload = {}
    for item in src.get("items") or ():
        mode = _mode(item.get("mode"), default_mode)
        try:
            if "fieldRef" in item:
                value = field_ref_value(pod, item["fieldRef"].get("fieldPath", ""))
            else:
                value = resource_field_value(pod, item.get("resourceFieldRef") or {}, sources.node_allocatable)
        except ValueError as e:
            raise VolumeError(volume, str(e)) from None
        out[item["path"]] = (value.encode(), mode)
    return out


async def projected_payload(pod: Mapping[str, Any], volume: str, src: Mapping[str, Any], sources: Sources) -> Payload:
    default_mode = src.get("defaultMode")
    out: Payload = {}
    for source in src.get("sources") or ():
        if "configMap" in source:
            out.update(await config_map_payload(pod, volume, source["configMap"], sources, default_mode))
        elif "secret" in source:
            out.update(await secret_payload(pod, volume, source["secret"], sources, default_mode))
        elif "downwardAPI" in source:
            out.update(downward_payload(pod, volume, source["downwardAPI"], default_mode, sources))
        elif "serviceAccountToken" in source:
            sat = source["serviceAccountToken"]
            token = ""
            if sources.token is not None:
                token = await sources.token(pod["metadata"].get("namespace", "default"),
                                            (pod.get("spec") or {}).get("serviceAccountName") or "default",
                                            sat.get("audience") or "", int(sat.get("expirationSeconds") or 3600), pod)
            # A token file is private to its owner whatever defaultMode says (upstream: 0600).
            out[sat.get("path") or "token"] = (token.encode(), _mode(None, default_mode) & 0o600 or 0o600)
    return out


# --- downward API values (shared with env valueFrom) ---

def _format_map(m: Mapping[str, str]) -> str:
    """labels/annotations files: `key="value"` lines, sorted, values quoted as Go's %q."""
    import json

    return "\n".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in sorted(m.items()))


def field_ref_value(pod: Mapping[str, Any], path: str) -> str:
    """The value of a downward API `fieldRef.fieldPath` (env and volumes)."""
    meta = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    for prefix, key in (("metadata.labels", "labels"), ("metadata.annotations", "annotations")):
        if path == prefix:
            return _format_map(meta.get(key) or {})
        if path.startswith(prefix + "['") and path.endswith("']"):
            return (meta.get(key) or {}).get(path[len(prefix) + 2:-2], "")
    simple = {
        "metadata.name": meta.get("name", ""),
        "metadata.namespace": meta.get("namespace", ""),
        "metadata.uid": meta.get("uid", ""),
        "spec.nodeName": spec.get("nodeName", ""),
        "spec.serviceAccountName": spec.get("serviceAccountName", ""),
        "status.hostIP": status.get("hostIP", ""),
        "status.podIP": status.get("podIP", ""),
        "status.hostIPs": ",".join(i.get("ip", "") for i in status.get("hostIPs") or ()),
        "status.podIPs": ",".join(i.get("ip", "") for i in status.get("podIPs") or ()),
    }
    if path in simple:
        return simple[path]
    raise ValueError(f"unsupported fieldPath: {path}")


def resource_field_value(pod: Mapping[str, Any], ref: Mapping[str, Any],
                         node_allocatable: Mapping[str, str] | None = None) -> str:
    """`resourceFieldRef`: the container's limit (node allocatable when unset) or request, divided
    by `divisor` and rounded up, as upstream's `ExtractContainerResourceValue`."""
    resource = ref.get("resource", "")
    container = None
    containers = list((pod.get("spec") or {}).get("containers") or []) + list((pod.get("spec") or {}).get("initContainers") or [])
    name = ref.get("containerName")
    for c in containers:
        if not name or c.get("name") == name:
            container = c
            break
    if container is None:
        raise ValueError(f"container {name} not found")
    kind, _, res = resource.partition(".")
    if kind not in ("limits", "requests") or not res:
        raise ValueError(f"unsupported container resource : {resource}")
    resources = container.get("resources") or {}
    raw = (resources.get(kind) or {}).get(res)
    if raw is None and kind == "requests":
        raw = (resources.get("limits") or {}).get(res)  # requests default to limits
    if raw is None:
        raw = (node_allocatable or {}).get(res)
    value = quantity.parse_quantity(raw) if raw is not None else Fraction(0)
    divisor = quantity.parse_quantity(ref.get("divisor") or "1")
    if divisor == 0:
        divisor = Fraction(1)
    return str(math.ceil(value / divisor))


# --- hostPath ---

def setup_host_path(volume: str, src: Mapping[str, Any]) -> None:
    path = src.get("path", "")
    kind = src.get("type") or ""
    p = Path(path)
    if kind == "DirectoryOrCreate":
        p.mkdir(parents=True, exist_ok=True)
    elif kind == "FileOrCreate":
        if not p.exists():
            p.parent.mkdir(parents=True, exist_ok=True)
            p.touch(0o644)
    elif kind == "Directory" and not p.is_dir():
        raise VolumeError(volume, f"hostPath type check failed: {path} is not a directory")
    elif kind == "File" and not p.is_file():
        raise VolumeError(volume, f"hostPath type check failed: {path} is not a file")
    elif kind == "Socket" and not p.is_socket():
        raise VolumeError(volume, f"hostPath type check failed: {path} is not a socket file")
    elif kind == "CharDevice" and not p.is_char_device():
        raise VolumeError(volume, f"hostPath type check failed: {path} is not a character device")
    elif kind == "BlockDevice" and not p.is_block_device():
        raise VolumeError(volume, f"hostPath type check failed: {path} is not a block device")


# --- the atomic writer ---

def write_atomic(target: Path, files: Payload, now: float | None = None) -> None:
    """Write the payload under `target` the way the kubelet's AtomicWriter does, so readers see
    either the old or the new content, never a mix."""
    stamp = time.strftime("%Y_%m_%d_%H_%M_%S", time.gmtime(now or time.time()))
    ts_dir = target / f"..{stamp}.{os.getpid()}_{time.monotonic_ns()}"
    ts_dir.mkdir(parents=True)
    for rel, (data, mode) in files.items():
        path = ts_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.chmod(path, mode)
    data_link = target / "..data"
    tmp_link = target / "..data_tmp"
    if tmp_link.is_symlink():
        tmp_link.unlink()
    os.symlink(ts_dir.name, tmp_link)
    old = os.readlink(data_link) if data_link.is_symlink() else None
    os.replace(tmp_link, data_link)
    tops = {rel.split("/", 1)[0] for rel in files}
    for top in tops:
        link = target / top
        if not link.is_symlink():
            if link.exists():
                shutil.rmtree(link) if link.is_dir() else link.unlink()
            os.symlink(f"..data/{top}", link)
    for entry in target.iterdir():
        if entry.name.startswith(".."):
            continue
        if entry.is_symlink() and entry.name not in tops:
            entry.unlink()
    if old and old != ts_dir.name:
        shutil.rmtree(target / old, ignore_errors=True)
