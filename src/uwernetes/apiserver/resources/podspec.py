"""PodSpec defaulting, gated-field dropping and validation, shared by Pod and every pod template.

Mirrors upstream's `pkg/apis/core/v1/defaults.go` (SetDefaults_PodSpec, _Container, _Volume, _Probe,
...), `pkg/api/pod/util.go` (dropDisabledPodFields) and `pkg/apis/core/validation/validation.go`
(ValidatePodSpec and the helpers it calls), v1.30. Objects are v1 JSON dicts; upstream validates
the internal type, so where the two differ (hostNetwork/hostPID/hostIPC/hostUsers live in the
internal security context) the v1 field is read and upstream's paths are kept, quirks included
(`spec.HostPID`, `volumeMounts.recursiveReadOnly` without an index).

Deployment, ReplicaSet, Job, ... call `default_pod_template` and `validate_pod_template_spec`;
a quantity that does not parse raises `quantity.QuantityError` from defaulting, which the caller
turns into upstream's decode error with `decode_error(kind, api_version, err)`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from uwernetes import features as features_mod
from uwernetes.machinery import errors, field, quantity, validation
from uwernetes.machinery.field import FieldError, Path

Obj = dict[str, Any]

DEFAULT_TERMINATION_GRACE_PERIOD = 30
DEFAULT_SCHEDULER_NAME = "default-scheduler"
INT32_MAX = 2**31 - 1

# --------------------------------------------------------------------------------------------
# defaulting
# --------------------------------------------------------------------------------------------

_VOLUME_SOURCES = (
    "emptyDir", "hostPath", "gitRepo", "gcePersistentDisk", "awsElasticBlockStore", "secret", "nfs",
    "iscsi", "glusterfs", "flocker", "persistentVolumeClaim", "rbd", "cinder", "cephfs", "quobyte",
    "downwardAPI", "fc", "flexVolume", "configMap", "azureFile", "vsphereVolume", "photonPersistentDisk",
    "portworxVolume", "azureDisk", "storageos", "projected", "scaleIO", "csi", "ephemeral",
)  # fmt: skip


def decode_error(kind: str, api_version: str, err: Exception) -> errors.StatusError:
    """What the decoder answers for a body it cannot read (a bad quantity): 400 BadRequest."""
    return errors.bad_request(f'{kind} in version "{api_version}" cannot be handled as a {kind}: {err}')


def _image_tag(image: str) -> str:
    """The tag parsers.ParseImageName finds: `latest` when none is given, "" with only a digest."""
    if not image or image != image.strip():
        return ""
    name, _, digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    tag = last.rpartition(":")[2] if ":" in last else ""
    repo = name[: len(name) - len(tag) - 1] if tag else name
    # Upstream fails to parse upper-case repositories and then treats the tag as empty.
    first, _, rest = repo.partition("/")
    is_domain = bool(rest) and ("." in first or ":" in first or first == "localhost")
    if (rest if is_domain else repo) != (rest if is_domain else repo).lower():
        return ""
    if not tag:
        return "" if digest else "latest"
    return tag


def _default_resource_list(rl: Any) -> None:
    if isinstance(rl, dict):
        for k, v in list(rl.items()):
            rl[k] = quantity.round_up_milli(v)


def _default_handler(h: Any) -> None:
    if not isinstance(h, dict):
        return
    http = h.get("httpGet")
    if isinstance(http, dict):
        if not http.get("path"):
            http["path"] = "/"
        if not http.get("scheme"):
            http["scheme"] = "HTTP"
    grpc = h.get("grpc")
    if isinstance(grpc, dict) and grpc.get("service") is None:
        grpc["service"] = ""


def _default_probe(p: Any) -> None:
    if not isinstance(p, dict):
        return
    for key, value in (("timeoutSeconds", 1), ("periodSeconds", 10), ("successThreshold", 1), ("failureThreshold", 3)):
        if not p.get(key):
            p[key] = value
    _default_handler(p)


def _default_field_ref(ref: Any) -> None:
    if isinstance(ref, dict) and not ref.get("apiVersion"):
        ref["apiVersion"] = "v1"


def default_container(c: Obj) -> None:
    """SetDefaults_Container plus the generated defaults of everything a container holds."""
    if not c.get("imagePullPolicy"):
        c["imagePullPolicy"] = "Always" if _image_tag(c.get("image") or "") == "latest" else "IfNotPresent"
    if not c.get("terminationMessagePath"):
        c["terminationMessagePath"] = "/dev/termination-log"
    if not c.get("terminationMessagePolicy"):
        c["terminationMessagePolicy"] = "File"
    for port in c.get("ports") or ():
        if isinstance(port, dict) and not port.get("protocol"):
            port["protocol"] = "TCP"
    for env in c.get("env") or ():
        vf = env.get("valueFrom") if isinstance(env, dict) else None
        if isinstance(vf, dict):
            _default_field_ref(vf.get("fieldRef"))
            rf = vf.get("resourceFieldRef")
            if isinstance(rf, dict) and "divisor" in rf:
                rf["divisor"] = quantity.canonicalize(rf["divisor"])
    if not isinstance(c.get("resources"), dict):
        c["resources"] = {}
    _default_resource_list(c["resources"].get("limits"))
    _default_resource_list(c["resources"].get("requests"))
    for key in ("livenessProbe", "readinessProbe", "startupProbe"):
        _default_probe(c.get(key))
    lifecycle = c.get("lifecycle")
    if isinstance(lifecycle, dict):
        _default_handler(lifecycle.get("postStart"))
        _default_handler(lifecycle.get("preStop"))


def _default_items_field_refs(items: Any) -> None:
    for item in items or ():
        if isinstance(item, dict):
            _default_field_ref(item.get("fieldRef"))
            rf = item.get("resourceFieldRef")
            if isinstance(rf, dict) and "divisor" in rf:
                rf["divisor"] = quantity.canonicalize(rf["divisor"])


def default_volume(v: Obj) -> None:
    """SetDefaults_Volume and the per-source defaults (modes 0644, hostPath type, ...)."""
    if not any(v.get(s) is not None for s in _VOLUME_SOURCES):
        v["emptyDir"] = {}
    for key in ("secret", "configMap", "downwardAPI", "projected"):
        src = v.get(key)
        if isinstance(src, dict) and src.get("defaultMode") is None:
            src["defaultMode"] = 420
    if isinstance(v.get("emptyDir"), dict) and "sizeLimit" in v["emptyDir"]:
        v["emptyDir"]["sizeLimit"] = quantity.canonicalize(v["emptyDir"]["sizeLimit"])
    if isinstance(v.get("hostPath"), dict) and v["hostPath"].get("type") is None:
        v["hostPath"]["type"] = ""
    if isinstance(v.get("downwardAPI"), dict):
        _default_items_field_refs(v["downwardAPI"].get("items"))
    if isinstance(v.get("projected"), dict):
        for src in v["projected"].get("sources") or ():
            if not isinstance(src, dict):
                continue
            if isinstance(src.get("serviceAccountToken"), dict) and src["serviceAccountToken"].get("expirationSeconds") is None:
                src["serviceAccountToken"]["expirationSeconds"] = 3600
            if isinstance(src.get("downwardAPI"), dict):
                _default_items_field_refs(src["downwardAPI"].get("items"))
    for key, defaults in (
        ("iscsi", {"iscsiInterface": "default"}),
        ("rbd", {"pool": "rbd", "user": "admin", "keyring": "/etc/ceph/keyring"}),
        ("scaleIO", {"storageMode": "ThinProvisioned", "fsType": "xfs"}),
        ("azureDisk", {"cachingMode": "ReadWrite", "kind": "Shared", "fsType": "ext4", "readOnly": False}),
    ):
        src = v.get(key)
        if isinstance(src, dict):
            for k, value in defaults.items():
                if src.get(k) in (None, ""):
                    src[k] = value
    eph = v.get("ephemeral")
    if isinstance(eph, dict) and isinstance(eph.get("volumeClaimTemplate"), dict):
        spec = eph["volumeClaimTemplate"].setdefault("spec", {})
        if isinstance(spec, dict) and spec.get("volumeMode") is None:
            spec["volumeMode"] = "Filesystem"


def default_pod_spec(spec: Obj) -> None:
    """SetDefaults_PodSpec with everything nested; idempotent. Raises QuantityError on bad quantities."""
    if not spec.get("dnsPolicy"):
        spec["dnsPolicy"] = "ClusterFirst"
    if not spec.get("restartPolicy"):
        spec["restartPolicy"] = "Always"
    if spec.get("securityContext") is None:
        spec["securityContext"] = {}
    if spec.get("terminationGracePeriodSeconds") is None:
        spec["terminationGracePeriodSeconds"] = DEFAULT_TERMINATION_GRACE_PERIOD
    if not spec.get("schedulerName"):
        spec["schedulerName"] = DEFAULT_SCHEDULER_NAME
    for c in all_containers(spec):
        default_container(c)
    for v in spec.get("volumes") or ():
        if isinstance(v, dict):
            default_volume(v)
    _default_resource_list(spec.get("overhead"))


def default_pod_template(template: Obj) -> None:
    """Defaults for `spec.template` of a workload (no pod-only defaults such as enableServiceLinks)."""
    spec = template.get("spec")
    if isinstance(spec, dict):
        default_pod_spec(spec)


def default_pod_only(spec: Obj) -> None:
    """SetDefaults_Pod: what only real pods get (requests from limits, service links, host ports)."""
    for key in ("containers", "initContainers"):
        for c in spec.get(key) or ():
            res = c.get("resources") if isinstance(c, dict) else None
            if isinstance(res, dict) and isinstance(res.get("limits"), dict):
                requests = res.setdefault("requests", {})
                for name, value in res["limits"].items():
                    requests.setdefault(name, value)
    if spec.get("enableServiceLinks") is None:
        spec["enableServiceLinks"] = True
    if spec.get("hostNetwork"):
        for key in ("containers", "initContainers"):
            for c in spec.get(key) or ():
                for port in c.get("ports") or ():
                    if not port.get("hostPort"):
                        port["hostPort"] = port.get("containerPort")


def all_containers(spec: Obj) -> Iterator[Obj]:
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for c in spec.get(key) or ():
            if isinstance(c, dict):
                yield c


# --------------------------------------------------------------------------------------------
# dropping fields of disabled gates (pkg/api/pod/util.go)
# --------------------------------------------------------------------------------------------


def gate_enabled(gates: Any, name: str) -> bool:
    return (gates or features_mod.DEFAULT).enabled(name)


def _rro_in_use(spec: Obj | None) -> bool:
    return spec is not None and any(
        m.get("recursiveReadOnly") is not None for c in all_containers(spec) for m in c.get("volumeMounts") or ()
    )


def drop_disabled_fields(spec: Obj, old_spec: Obj | None, gates: Any = None) -> None:
    """Drop fields of disabled gates unless the old spec already used them (create: old_spec None)."""
    if not gate_enabled(gates, "UserNamespacesSupport") and not (old_spec is not None and old_spec.get("hostUsers") is not None):
        spec.pop("hostUsers", None)
    if not gate_enabled(gates, "RecursiveReadOnlyMounts") and not _rro_in_use(old_spec):
        for c in all_containers(spec):
            for m in c.get("volumeMounts") or ():
                m.pop("recursiveReadOnly", None)


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------


@dataclass
class PodValidationOptions:
    """The subset of upstream's PodValidationOptions that changes outcomes here."""

    resource_is_pod: bool = False
    allow_invalid_label_value_in_selector: bool = False
    features: Any = None


def inclusive_range_error(lo: int, hi: int) -> str:
    return f"must be between {lo} and {hi}, inclusive"


_PORT_NAME_RE = re.compile(r"^[-a-z0-9]+$")


def is_valid_port_name(name: str) -> list[str]:
    errs = []
    if len(name) > 15:
        errs.append(validation.max_len_error(15))
    if not _PORT_NAME_RE.match(name):
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    elif not re.search("[a-z]", name):
        errs.append("must contain at least one letter (a-z)")
    elif "--" in name:
        errs.append("must not contain consecutive hyphens")
    elif name.startswith("-") or name.endswith("-"):
        errs.append("must not begin or end with a hyphen")
    return errs


def is_valid_ip(value: Any) -> bool:
    try:
        ipaddress.ip_address(value)
    except (TypeError, ValueError):
        return False
    return True


def ip_errors(path: Path, value: Any) -> list[FieldError]:
    if is_valid_ip(value):
        return []
    return [field.invalid(path, value, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)")]


def _dns_label(value: str, path: Path) -> list[FieldError]:
    return [field.invalid(path, value, m) for m in validation.is_dns1123_label(value)]


def _dns_subdomain(value: str, path: Path) -> list[FieldError]:
    return [field.invalid(path, value, m) for m in validation.is_dns1123_subdomain(value)]


def _qualified(value: str, path: Path) -> list[FieldError]:
    return [field.invalid(path, value, m) for m in validation.is_qualified_name(value)]


def _not_supported(path: Path, value: Any, supported: tuple[str, ...], required_if_empty: bool = True) -> list[FieldError]:
    if value in supported:
        return []
    if not value and required_if_empty:
        return [field.required(path, "")]
    return [field.not_supported(path, value, supported)]


def _port_num_or_name(port: Any, path: Path) -> list[FieldError]:
    if isinstance(port, str):
        return [field.invalid(path, port, m) for m in is_valid_port_name(port)]
    return [field.invalid(path, port, m) for m in validation.is_valid_port_num(port)]


def _nonnegative(value: Any, path: Path) -> list[FieldError]:
    return validation.validate_nonnegative(value, path)


# --- volumes ---


FILE_MODE_ERROR = "must be a number between 0 and 0777 (octal), both inclusive"
_HOST_PATH_TYPES = ("", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket")
# Upstream's child names for the "more than 1 volume type" error (typos included).
_FORBIDDEN_CHILD = {"downwardAPI": "downwarAPI", "cephfs": "cephFS"}


def _mode_errors(mode: Any, path: Path) -> list[FieldError]:
    if mode is not None and (not isinstance(mode, int) or mode > 0o777 or mode < 0):
        return [field.invalid(path, mode, FILE_MODE_ERROR)]
    return []


def _local_descending_path(target: str, path: Path) -> list[FieldError]:
    errs = []
    if target.startswith("/"):
        errs.append(field.invalid(path, target, "must be a relative path"))
    if ".." in target.replace("\\", "/").split("/"):
        errs.append(field.invalid(path, target, "must not contain '..'"))
    return errs


def _local_non_reserved_path(target: str, path: Path) -> list[FieldError]:
    errs = _local_descending_path(target, path)
    if target.startswith("..") and not target.startswith("../"):
        errs.append(field.invalid(path, target, "must not start with '..'"))
    return errs


def _key_to_paths(items: Any, path: Path) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, kp in enumerate(items or ()):
        p = path.index(i)
        if not kp.get("key"):
            errs.append(field.required(p.child("key"), ""))
        if not kp.get("path"):
            errs.append(field.required(p.child("path"), ""))
        errs.extend(_local_non_reserved_path(kp.get("path") or "", p.child("path")))
        errs.extend(_mode_errors(kp.get("mode"), p.child("mode")))
    return errs


def _validate_source(name: str, src: Obj, path: Path) -> list[FieldError]:
    errs: list[FieldError] = []
    if name == "emptyDir":
        limit = src.get("sizeLimit")
        if limit is not None:
            try:
                negative = quantity.parse_quantity(limit) < 0
            except quantity.QuantityError:
                negative = True
            if negative:
                errs.append(field.forbidden(path.child("sizeLimit"), "SizeLimit field must be a valid resource quantity"))
    elif name == "hostPath":
        if not src.get("path"):
            errs.append(field.required(path.child("path"), ""))
            return errs
        errs.extend(_validate_path_no_backsteps(src["path"], path.child("path")))
        if src.get("type") is not None and src["type"] not in _HOST_PATH_TYPES:
            errs.append(field.not_supported(path.child("type"), src["type"], _HOST_PATH_TYPES))
    elif name == "secret":
        if not src.get("secretName"):
            errs.append(field.required(path.child("secretName"), ""))
        errs.extend(_mode_errors(src.get("defaultMode"), path.child("defaultMode")))
        errs.extend(_key_to_paths(src.get("items"), path.child("items")))
    elif name == "configMap":
        if not src.get("name"):
            errs.append(field.required(path.child("name"), ""))
        errs.extend(_mode_errors(src.get("defaultMode"), path.child("defaultMode")))
        errs.extend(_key_to_paths(src.get("items"), path.child("items")))
    elif name == "persistentVolumeClaim":
        if not src.get("claimName"):
            errs.append(field.required(path.child("claimName"), ""))
    elif name == "nfs":
        if not src.get("server"):
            errs.append(field.required(path.child("server"), ""))
        if not src.get("path"):
            errs.append(field.required(path.child("path"), ""))
        elif not src["path"].startswith("/"):
            errs.append(field.invalid(path.child("path"), src["path"], "must be an absolute path"))
    elif name == "downwardAPI":
        errs.extend(_mode_errors(src.get("defaultMode"), path.child("defaultMode")))
        for i, item in enumerate(src.get("items") or ()):
            p = path.child("items").index(i)
            if not item.get("path"):
                errs.append(field.required(p.child("path"), ""))
            errs.extend(_local_non_reserved_path(item.get("path") or "", p.child("path")))
            errs.extend(_mode_errors(item.get("mode"), p.child("mode")))
    elif name == "projected":
        errs.extend(_mode_errors(src.get("defaultMode"), path.child("defaultMode")))
    elif name == "csi":
        if not src.get("driver"):
            errs.append(field.required(path.child("driver"), ""))
    return errs


def _validate_path_no_backsteps(target: str, path: Path) -> list[FieldError]:
    if ".." in target.replace("\\", "/").split("/"):
        return [field.invalid(path, target, "must not contain '..'")]
    return []


def validate_volumes(volumes: Any, path: Path) -> tuple[dict[str, Obj], list[FieldError]]:
    """ValidateVolumes: returns the volumes that are valid (mounts may only name those) and errors."""
    errs: list[FieldError] = []
    names: set[str] = set()
    valid: dict[str, Obj] = {}
    for i, vol in enumerate(volumes or ()):
        p = path.index(i)
        name = vol.get("name") or ""
        el: list[FieldError] = []
        count = 0
        for src_name in _VOLUME_SOURCES:
            src = vol.get(src_name)
            if src is None:
                continue
            if count:
                el.append(field.forbidden(p.child(_FORBIDDEN_CHILD.get(src_name, src_name)), "may not specify more than 1 volume type"))
                continue
            count += 1
            el.extend(_validate_source(src_name, src if isinstance(src, dict) else {}, p.child(src_name)))
        if not count:
            el.append(field.required(p, "must specify a volume type"))
        if not name:
            el.append(field.required(p.child("name"), ""))
        else:
            el.extend(_dns_label(name, p.child("name")))
        if name in names:
            el.append(field.duplicate(p.child("name"), name))
        if el:
            errs.extend(el)
        else:
            names.add(name)
            valid[name] = vol
    return valid, errs


# --- containers ---

_PROTOCOLS = ("SCTP", "TCP", "UDP")
_PULL_POLICIES = ("Always", "IfNotPresent", "Never")
_TERMINATION_MESSAGE_POLICIES = ("File", "FallbackToLogsOnError")
_ENV_FIELD_PATHS = (
    "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName",
    "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs",
)  # fmt: skip
_RESOURCE_FIELD_PATHS = (
    "limits.cpu", "limits.ephemeral-storage", "limits.memory",
    "requests.cpu", "requests.ephemeral-storage", "requests.memory",
)  # fmt: skip
_MOUNT_PROPAGATIONS = ("Bidirectional", "HostToContainer", "None")
_RRO_VALUES = ("Disabled", "Enabled", "IfPossible")


def _validate_ports(ports: Any, path: Path) -> list[FieldError]:
    errs: list[FieldError] = []
    names: set[str] = set()
    for i, port in enumerate(ports or ()):
        p = path.index(i)
        name = port.get("name") or ""
        if name:
            msgs = is_valid_port_name(name)
            if msgs:
                errs.extend(field.invalid(p.child("name"), name, m) for m in msgs)
            elif name in names:
                errs.append(field.duplicate(p.child("name"), name))
            else:
                names.add(name)
        cp = port.get("containerPort") or 0
        if cp == 0:
            errs.append(field.required(p.child("containerPort"), ""))
        else:
            errs.extend(field.invalid(p.child("containerPort"), cp, m) for m in validation.is_valid_port_num(cp))
        hp = port.get("hostPort") or 0
        if hp:
            errs.extend(field.invalid(p.child("hostPort"), hp, m) for m in validation.is_valid_port_num(hp))
        proto = port.get("protocol") or ""
        if not proto:
            errs.append(field.required(p.child("protocol"), ""))
        elif proto not in _PROTOCOLS:
            errs.append(field.not_supported(p.child("protocol"), proto, _PROTOCOLS))
    return errs


def _validate_key_selector(sel: Obj, path: Path) -> list[FieldError]:
    errs = _dns_subdomain(sel.get("name") or "", path.child("name")) if sel.get("name") else []
    if not sel.get("key"):
        errs.append(field.required(path.child("key"), ""))
    else:
        errs.extend(field.invalid(path.child("key"), sel["key"], m) for m in validation.is_config_map_key(sel["key"]))
    return errs


def _validate_field_ref(ref: Obj, path: Path, allowed: tuple[str, ...]) -> list[FieldError]:
    if not ref.get("apiVersion"):
        return [field.required(path.child("apiVersion"), "")]
    fp = ref.get("fieldPath") or ""
    if not fp:
        return [field.required(path.child("fieldPath"), "")]
    m = re.match(r"^(metadata\.(?:labels|annotations))\['(.*)'\]$", fp)
    if m:
        key = m.group(2)
        return _qualified(key.lower() if m.group(1).endswith("annotations") else key, path)
    if "[" in fp:
        return [field.invalid(path, fp.split("[")[0], "does not support subscript")]
    if fp not in allowed:
        return [field.not_supported(path.child("fieldPath"), fp, allowed)]
    return []


def _validate_resource_field_ref(ref: Obj, path: Path, volume: bool) -> list[FieldError]:
    res = ref.get("resource") or ""
    if volume and not ref.get("containerName"):
        return [field.required(path.child("containerName"), "")]
    if not res:
        return [field.required(path.child("resource"), "")]
    if res not in _RESOURCE_FIELD_PATHS and not res.startswith(("requests.hugepages-", "limits.hugepages-")):
        return [field.not_supported(path.child("resource"), res, _RESOURCE_FIELD_PATHS)]
    return []


def _validate_env(env: Any, path: Path) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, ev in enumerate(env or ()):
        p = path.index(i)
        name = ev.get("name") or ""
        if not name:
            errs.append(field.required(p.child("name"), ""))
        else:
            errs.extend(field.invalid(p.child("name"), name, m) for m in validation.is_env_var_name(name))
        vf = ev.get("valueFrom")
        if vf is None:
            continue
        vp = p.child("valueFrom")
        sources = 0
        if vf.get("fieldRef") is not None:
            sources += 1
            errs.extend(_validate_field_ref(vf["fieldRef"], vp.child("fieldRef"), _ENV_FIELD_PATHS))
        if vf.get("resourceFieldRef") is not None:
            sources += 1
            errs.extend(_validate_resource_field_ref(vf["resourceFieldRef"], vp.child("resourceFieldRef"), False))
        if vf.get("configMapKeyRef") is not None:
            sources += 1
            errs.extend(_validate_key_selector(vf["configMapKeyRef"], vp.child("configMapKeyRef")))
        if vf.get("secretKeyRef") is not None:
            sources += 1
            errs.extend(_validate_key_selector(vf["secretKeyRef"], vp.child("secretKeyRef")))
        if sources == 0:
            errs.append(field.invalid(vp, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"))
        elif ev.get("value"):
            errs.append(field.invalid(vp, "", "may not be specified when `value` is not empty"))
        elif sources > 1:
            errs.append(field.invalid(vp, "", "may not have more than one field specified at a time"))
    return errs


def _validate_env_from(env_from: Any, path: Path) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, ev in enumerate(env_from or ()):
        p = path.index(i)
        if ev.get("prefix"):
            errs.extend(field.invalid(p.child("prefix"), ev["prefix"], m) for m in validation.is_env_var_name(ev["prefix"]))
        sources = 0
        for key in ("configMapRef", "secretRef"):
            ref = ev.get(key)
            if ref is None:
                continue
            sources += 1
            if not ref.get("name"):
                errs.append(field.required(p.child(key, "name"), ""))
            else:
                errs.extend(_dns_subdomain(ref["name"], p.child(key, "name")))
        if sources == 0:
            errs.append(field.invalid(path, "", "must specify one of: `configMapRef` or `secretRef`"))
        elif sources > 1:
            errs.append(field.invalid(path, "", "may not have more than one field specified at a time"))
    return errs


def _validate_mounts(c: Obj, volumes: dict[str, Obj], path: Path) -> list[FieldError]:
    errs: list[FieldError] = []
    seen: set[str] = set()
    devices = {d.get("name"): d.get("devicePath") for d in c.get("volumeDevices") or ()}
    privileged = bool((c.get("securityContext") or {}).get("privileged"))
    for i, m in enumerate(c.get("volumeMounts") or ()):
        p = path.index(i)
        name = m.get("name") or ""
        mount_path = m.get("mountPath") or ""
        if not name:
            errs.append(field.required(p.child("name"), ""))
        if name not in volumes:
            errs.append(field.not_found(p.child("name"), name))
        if not mount_path:
            errs.append(field.required(p.child("mountPath"), ""))
        if mount_path in seen:
            errs.append(field.invalid(p.child("mountPath"), mount_path, "must be unique"))
        seen.add(mount_path)
        if name in devices:
            errs.append(field.invalid(p.child("name"), name, "must not already exist in volumeDevices"))
        if mount_path in devices.values():
            errs.append(field.invalid(p.child("mountPath"), mount_path, "must not already exist as a path in volumeDevices"))
        # Upstream reports these at the list path, without the mount's index.
        if m.get("subPath"):
            errs.extend(_local_descending_path(m["subPath"], path.child("subPath")))
        if m.get("subPathExpr"):
            if m.get("subPath"):
                errs.append(field.invalid(p.child("subPathExpr"), m["subPathExpr"], "subPathExpr and subPath are mutually exclusive"))
            errs.extend(_local_descending_path(m["subPathExpr"], path.child("subPathExpr")))
        prop = m.get("mountPropagation")
        if prop is not None:
            pp = path.child("mountPropagation")
            if prop not in _MOUNT_PROPAGATIONS:
                errs.append(field.not_supported(pp, prop, _MOUNT_PROPAGATIONS))
            if prop == "Bidirectional" and not privileged:
                errs.append(field.forbidden(pp, "Bidirectional mount propagation is available only to privileged containers"))
        errs.extend(_validate_rro(m, path.child("recursiveReadOnly")))
    return errs


def _validate_rro(m: Obj, path: Path) -> list[FieldError]:
    rro = m.get("recursiveReadOnly")
    if rro is None or rro == "Disabled":
        return []
    if rro not in _RRO_VALUES:
        return [field.not_supported(path, rro, _RRO_VALUES)]
    errs = []
    if not m.get("readOnly"):
        errs.append(field.forbidden(path, "may only be specified when readOnly is true"))
    if m.get("mountPropagation") not in (None, "None"):
        errs.append(field.forbidden(path, "may only be specified when mountPropagation is None or not specified"))
    return errs


_STANDARD_CONTAINER_RESOURCES = ("cpu", "memory", "ephemeral-storage")
_STANDARD_RESOURCES = (
    *_STANDARD_CONTAINER_RESOURCES, "requests.cpu", "requests.memory", "requests.ephemeral-storage",
    "limits.cpu", "limits.memory", "limits.ephemeral-storage", "pods", "services", "replicationcontrollers",
    "resourcequotas", "secrets", "configmaps", "persistentvolumeclaims", "storage", "requests.storage",
    "services.nodeports", "services.loadbalancers",
)  # fmt: skip


def _is_hugepages(name: str) -> bool:
    return name.startswith("hugepages-")


def _is_native(name: str) -> bool:
    return "/" not in name or "kubernetes.io/" in name


def _is_extended(name: str) -> bool:
    return not _is_native(name) and not name.startswith("requests.") and not validation.is_qualified_name("requests." + name)


def _overcommit_allowed(name: str) -> bool:
    return _is_native(name) and not _is_hugepages(name)


def _resource_name_errors(name: str, path: Path) -> list[FieldError]:
    errs = _qualified(name, path)
    if not errs and "/" not in name and name not in _STANDARD_RESOURCES and not _is_hugepages(name):
        errs.append(field.invalid(path, name, "must be a standard resource type or fully qualified"))
    if "/" not in name:
        if name not in _STANDARD_CONTAINER_RESOURCES and not _is_hugepages(name):
            errs.append(field.invalid(path, name, "must be a standard resource for containers"))
    elif not _is_native(name) and not _is_extended(name):
        errs.append(field.invalid(path, name, "doesn't follow extended resource name standard"))
    return errs


def _quantity_errors(name: str, raw: Any, path: Path) -> tuple[quantity.Quantity | None, list[FieldError]]:
    try:
        q = quantity.parse(raw)
    except quantity.QuantityError as e:
        return None, [field.invalid(path, raw, str(e))]
    errs = []
    if q.value < 0:
        errs.append(field.invalid(path, str(q), "must be greater than or equal to 0"))
    if _is_extended(name) and q.milli_value() % 1000:
        errs.append(field.invalid(path, str(q), "must be an integer"))
    return q, errs


def validate_resource_requirements(res: Any, path: Path) -> list[FieldError]:
    if not isinstance(res, dict):
        return []
    errs: list[FieldError] = []
    lim_path, req_path = path.child("limits"), path.child("requests")
    limits: dict[str, quantity.Quantity] = {}
    lim_cpu_mem = req_cpu_mem = hugepages = False
    for name, raw in (res.get("limits") or {}).items():
        p = lim_path.key(name)
        errs.extend(_resource_name_errors(name, p))
        q, qerrs = _quantity_errors(name, raw, p)
        errs.extend(qerrs)
        if q is not None:
            limits[name] = q
        hugepages = hugepages or _is_hugepages(name)
        lim_cpu_mem = lim_cpu_mem or name in ("cpu", "memory")
    for name, raw in (res.get("requests") or {}).items():
        p = req_path.key(name)
        errs.extend(_resource_name_errors(name, p))
        q, qerrs = _quantity_errors(name, raw, p)
        errs.extend(qerrs)
        lim = limits.get(name)
        if q is not None and lim is not None:
            if q.cmp(lim) != 0 and not _overcommit_allowed(name):
                errs.append(field.invalid(req_path, str(q), f"must be equal to {name} limit of {lim}"))
            elif q.cmp(lim) > 0:
                errs.append(field.invalid(req_path, str(q), f"must be less than or equal to {name} limit of {lim}"))
        elif name not in (res.get("limits") or {}) and not _overcommit_allowed(name):
            errs.append(field.required(lim_path, "Limit must be set for non overcommitable resources"))
        hugepages = hugepages or _is_hugepages(name)
        req_cpu_mem = req_cpu_mem or name in ("cpu", "memory")
    if hugepages and not lim_cpu_mem and not req_cpu_mem:
        errs.append(field.forbidden(path, "HugePages require cpu or memory"))
    return errs


_HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc", "sleep")


def _validate_handler(h: Obj, grace: int, path: Path, allowed: tuple[str, ...]) -> list[FieldError]:
    errs: list[FieldError] = []
    count = 0
    for kind in _HANDLERS:
        if kind not in allowed or h.get(kind) is None:
            continue
        if count:
            errs.append(field.forbidden(path.child(kind), "may not specify more than 1 handler type"))
            continue
        count += 1
        action, p = h[kind], path.child(kind)
        if kind == "exec" and not action.get("command"):
            errs.append(field.required(p.child("command"), ""))
        elif kind == "httpGet":
            if not action.get("path"):
                errs.append(field.required(p.child("path"), ""))
            errs.extend(_port_num_or_name(action.get("port"), p.child("port")))
            if action.get("scheme") not in ("HTTP", "HTTPS"):
                errs.append(field.not_supported(p.child("scheme"), action.get("scheme"), ("HTTP", "HTTPS")))
        elif kind == "tcpSocket":
            errs.extend(_port_num_or_name(action.get("port"), p.child("port")))
        elif kind == "grpc":
            errs.extend(_port_num_or_name(action.get("port") or 0, p.child("port")))
        elif kind == "sleep":
            seconds = action.get("seconds") or 0
            if seconds <= 0 or seconds > grace:
                errs.append(field.invalid(p, seconds, f"must be greater than 0 and less than terminationGracePeriodSeconds ({grace})"))
    if count == 0:
        errs.append(field.required(path, "must specify a handler type"))
    return errs


def _validate_probe(probe: Any, grace: int, path: Path, kind: str) -> list[FieldError]:
    if probe is None:
        return []
    errs = _validate_handler(probe, grace, path, ("exec", "httpGet", "tcpSocket", "grpc"))
    for key in ("initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"):
        errs.extend(_nonnegative(probe.get(key) or 0, path.child(key)))
    tgps = probe.get("terminationGracePeriodSeconds")
    if tgps is not None and tgps <= 0:
        errs.append(field.invalid(path.child("terminationGracePeriodSeconds"), tgps, "must be greater than 0"))
    if kind in ("liveness", "startup") and probe.get("successThreshold", 1) != 1:
        errs.append(field.invalid(path.child("successThreshold"), probe.get("successThreshold"), "must be 1"))
    if kind == "readiness" and tgps is not None:
        errs.append(field.invalid(path.child("terminationGracePeriodSeconds"), tgps, "must not be set for readinessProbes"))
    return errs


def _validate_lifecycle(lc: Any, grace: int, path: Path) -> list[FieldError]:
    errs: list[FieldError] = []
    for key in ("postStart", "preStop"):
        if isinstance(lc, dict) and lc.get(key) is not None:
            errs.extend(_validate_handler(lc[key], grace, path.child(key), ("exec", "httpGet", "tcpSocket", "sleep")))
    return errs


def _validate_probes_and_lifecycle(c: Obj, grace: int, path: Path) -> list[FieldError]:
    if (c.get("lifecycle") is None and c.get("livenessProbe") is None and c.get("readinessProbe") is None
            and c.get("startupProbe") is None):
        return []  # nothing to check (and no paths to build)
    errs = _validate_lifecycle(c.get("lifecycle"), grace, path.child("lifecycle")) if c.get("lifecycle") is not None else []
    errs.extend(_validate_probe(c.get("livenessProbe"), grace, path.child("livenessProbe"), "liveness"))
    errs.extend(_validate_probe(c.get("readinessProbe"), grace, path.child("readinessProbe"), "readiness"))
    errs.extend(_validate_probe(c.get("startupProbe"), grace, path.child("startupProbe"), "startup"))
    return errs


def _validate_security_context(sc: Any, path: Path, host_users: bool) -> list[FieldError]:
    if not isinstance(sc, dict):
        return []
    errs: list[FieldError] = []
    for key in ("runAsUser", "runAsGroup"):
        v = sc.get(key)
        if v is not None and not (isinstance(v, int) and 0 <= v <= INT32_MAX):
            errs.append(field.invalid(path.child(key), v, inclusive_range_error(0, INT32_MAX)))
    pm = sc.get("procMount")
    if pm is not None:
        if pm not in ("Default", "Unmasked"):
            errs.append(field.not_supported(path.child("procMount"), pm, ("Default", "Unmasked")))
        if host_users and pm == "Unmasked":
            errs.append(field.invalid(path.child("procMount"), pm, "`hostUsers` must be false to use `Unmasked`"))
    if sc.get("allowPrivilegeEscalation") is False:
        if sc.get("privileged"):
            errs.append(field.invalid(path, sc, "cannot set `allowPrivilegeEscalation` to false and `privileged` to true"))
        for cap in (sc.get("capabilities") or {}).get("add") or ():
            if cap == "CAP_SYS_ADMIN":
                errs.append(field.invalid(path, sc, "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN"))
    return errs


# Containers that validated clean, by (container JSON, hostUsers, volume names): the checks read
# nothing else and a field path only names errors, so a clean container is clean at any index. A
# pod's containers come back unchanged on nearly every update of the pod. First in, first out.
_CLEAN_CONTAINERS: dict[tuple[bytes, bool, frozenset[str]], None] = {}
_CLEAN_MAX = 4096


def _container_common(c: Obj, volumes: dict[str, Obj], names: frozenset[str], path: Path, host_users: bool) -> list[FieldError]:
    """_validate_container_common, skipped for a container seen clean with the same volume names."""
    try:
        # Datetimes (from YAML) must not pass for the strings orjson would write for them.
        key = (orjson.dumps(c, option=orjson.OPT_PASSTHROUGH_DATETIME), host_users, names)
    except TypeError:
        return _validate_container_common(c, volumes, path, host_users)
    if key in _CLEAN_CONTAINERS:
        return []
    errs = _validate_container_common(c, volumes, path, host_users)
    if not errs:
        if len(_CLEAN_CONTAINERS) >= _CLEAN_MAX:
            try:
                del _CLEAN_CONTAINERS[next(iter(_CLEAN_CONTAINERS))]
            except (StopIteration, KeyError, RuntimeError):  # raced with another thread
                pass
        _CLEAN_CONTAINERS[key] = None
    return errs


def _validate_container_common(c: Obj, volumes: dict[str, Obj], path: Path, host_users: bool) -> list[FieldError]:
    errs: list[FieldError] = []
    name = c.get("name") or ""
    if not name:
        errs.append(field.required(path.child("name"), ""))
    else:
        errs.extend(_dns_label(name, path.child("name")))
    if not c.get("image"):
        errs.append(field.required(path.child("image"), ""))
    errs.extend(_not_supported(path.child("terminationMessagePolicy"), c.get("terminationMessagePolicy") or "", _TERMINATION_MESSAGE_POLICIES))
    errs.extend(_validate_ports(c.get("ports"), path.child("ports")))
    errs.extend(_validate_env(c.get("env"), path.child("env")))
    errs.extend(_validate_env_from(c.get("envFrom"), path.child("envFrom")))
    errs.extend(_validate_mounts(c, volumes, path.child("volumeMounts")))
    errs.extend(_not_supported(path.child("imagePullPolicy"), c.get("imagePullPolicy") or "", _PULL_POLICIES))
    errs.extend(validate_resource_requirements(c.get("resources"), path.child("resources")))
    errs.extend(_validate_security_context(c.get("securityContext"), path.child("securityContext"), host_users))
    return errs


def _host_port_conflicts(containers: list[Obj], path: Path) -> list[FieldError]:
    errs: list[FieldError] = []
    seen: set[str] = set()
    for ci, c in enumerate(containers):
        for pi, port in enumerate(c.get("ports") or ()):
            hp = port.get("hostPort") or 0
            if not hp:
                continue
            key = f"{port.get('protocol', '')}/{port.get('hostIP', '')}/{hp}"
            if key in seen:
                errs.append(field.duplicate(path.index(ci).child("ports").index(pi).child("hostPort"), key))
            seen.add(key)
    return errs


def is_restartable_init_container(c: Obj | None) -> bool:
    return bool(c) and c.get("restartPolicy") == "Always"


def _validate_containers(spec: Obj, volumes: dict[str, Obj], path: Path, grace: int, host_users: bool) -> list[FieldError]:
    vnames = frozenset(volumes)
    containers = spec.get("containers") or []
    if not containers:
        return [field.required(path, "")]
    errs: list[FieldError] = []
    names: set[str] = set()
    for i, c in enumerate(containers):
        p = path.index(i)
        errs.extend(_container_common(c, volumes, vnames, p, host_users))
        if c.get("name", "") in names:
            errs.append(field.duplicate(p.child("name"), c.get("name", "")))
        else:
            names.add(c.get("name", ""))
        errs.extend(_validate_probes_and_lifecycle(c, grace, p))
        if c.get("restartPolicy") is not None:
            errs.append(field.forbidden(p.child("restartPolicy"), "may not be set for non-init containers"))
    errs.extend(_host_port_conflicts(containers, path))
    return errs


_INIT_ONLY_FORBIDDEN = "may not be set for init containers without restartPolicy=Always"


def _validate_init_containers(spec: Obj, volumes: dict[str, Obj], path: Path, grace: int, host_users: bool) -> list[FieldError]:
    vnames = frozenset(volumes)
    errs: list[FieldError] = []
    names = {c.get("name", "") for c in spec.get("containers") or ()}
    for i, c in enumerate(spec.get("initContainers") or ()):
        p = path.index(i)
        errs.extend(_container_common(c, volumes, vnames, p, host_users))
        policy = c.get("restartPolicy")
        if policy is not None and policy != "Always":
            errs.append(field.not_supported(p.child("restartPolicy"), policy, ("Always",)))
        name = c.get("name", "")
        if name in names:
            errs.append(field.duplicate(p.child("name"), name))
        elif name:
            names.add(name)
        errs.extend(_host_port_conflicts([c], path))
        if policy == "Always":
            errs.extend(_validate_probes_and_lifecycle(c, grace, p))
        else:
            for key in ("lifecycle", "livenessProbe", "readinessProbe", "startupProbe"):
                if c.get(key) is not None:
                    errs.append(field.forbidden(p.child(key), _INIT_ONLY_FORBIDDEN))
        if c.get("resizePolicy"):
            errs.append(field.invalid(p.child("resizePolicy"), c["resizePolicy"], "must not be set for init containers"))
    return errs


def _validate_ephemeral_containers(spec: Obj, volumes: dict[str, Obj], path: Path, host_users: bool) -> list[FieldError]:
    vnames = frozenset(volumes)
    errs: list[FieldError] = []
    names = {c.get("name", "") for key in ("containers", "initContainers") for c in spec.get(key) or ()}
    for i, c in enumerate(spec.get("ephemeralContainers") or ()):
        p = path.index(i)
        errs.extend(_container_common(c, volumes, vnames, p, host_users))
        name = c.get("name", "")
        if name in names:
            errs.append(field.duplicate(p.child("name"), name))
        else:
            names.add(name)
    return errs


# --- pod level ---

_RESTART_POLICIES = ("Always", "OnFailure", "Never")
_DNS_POLICIES = ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None")
_TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
_NODE_SELECTOR_OPS = ("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt")


def validate_tolerations(tolerations: Any, path: Path) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, t in enumerate(tolerations or ()):
        p = path.index(i)
        key, op, value, effect = t.get("key") or "", t.get("operator") or "", t.get("value") or "", t.get("effect") or ""
        if key:
            errs.extend(_qualified(key, p.child("key")))
        if not key and op != "Exists":
            errs.append(field.invalid(p.child("operator"), op, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'))
        if t.get("tolerationSeconds") is not None and effect != "NoExecute":
            errs.append(field.invalid(p.child("effect"), effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"))
        if op in ("Equal", ""):
            msgs = validation.is_valid_label_value(value)
            if msgs:
                errs.append(field.invalid(p.child("operator"), value, ";".join(msgs)))
        elif op == "Exists":
            if value:
                errs.append(field.invalid(p.child("operator"), t, "value must be empty when `operator` is 'Exists'"))
        else:
            errs.append(field.not_supported(p.child("operator"), op, ("Equal", "Exists")))
        if effect and effect not in _TAINT_EFFECTS:
            errs.append(field.not_supported(p.child("effect"), effect, _TAINT_EFFECTS))
    return errs


def _validate_node_selector_term(term: Obj, path: Path) -> list[FieldError]:
    errs: list[FieldError] = []
    for j, req in enumerate(term.get("matchExpressions") or ()):
        p = path.child("matchExpressions").index(j)
        op, values = req.get("operator"), req.get("values") or []
        if op in ("In", "NotIn"):
            if not values:
                errs.append(field.required(p.child("values"), "must be specified when `operator` is 'In' or 'NotIn'"))
        elif op in ("Exists", "DoesNotExist"):
            if values:
                errs.append(field.forbidden(p.child("values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
        elif op in ("Gt", "Lt"):
            if len(values) != 1:
                errs.append(field.required(p.child("values"), "must be specified single value when `operator` is 'Lt' or 'Gt'"))
        else:
            errs.append(field.invalid(p.child("operator"), op, "not a valid selector operator"))
        errs.extend(_qualified(req.get("key") or "", p.child("key")))
    for j, req in enumerate(term.get("matchFields") or ()):
        p = path.child("matchFields").index(j)
        values = req.get("values") or []
        if req.get("operator") in ("In", "NotIn"):
            if len(values) != 1:
                errs.append(field.required(p.child("values"), "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"))
        else:
            errs.append(field.invalid(p.child("operator"), req.get("operator"), "not a valid selector operator"))
        if req.get("key") != "metadata.name":
            errs.append(field.invalid(p.child("key"), req.get("key"), "not a valid field selector key"))
        else:
            for k, v in enumerate(values):
                errs.extend(_dns_subdomain(v, p.child("values").index(k)))
    return errs


def _validate_pod_affinity_term(term: Obj, path: Path) -> list[FieldError]:
    errs = validation.validate_label_selector(term.get("labelSelector"), path.child("labelSelector"))
    for ns in term.get("namespaces") or ():
        errs.extend(field.invalid(path.child("namespace"), ns, m) for m in validation.is_dns1123_label(ns))
    if not term.get("topologyKey"):
        errs.append(field.required(path.child("topologyKey"), "can not be empty"))
    errs.extend(_qualified(term.get("topologyKey") or "", path.child("topologyKey")))
    return errs


def validate_affinity(affinity: Any, path: Path) -> list[FieldError]:
    if not isinstance(affinity, dict):
        return []
    errs: list[FieldError] = []
    na = affinity.get("nodeAffinity")
    if isinstance(na, dict):
        p = path.child("nodeAffinity")
        req = na.get("requiredDuringSchedulingIgnoredDuringExecution")
        if req is not None:
            tp = p.child("requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms")
            terms = req.get("nodeSelectorTerms") or []
            if not terms:
                errs.append(field.required(tp, "must have at least one node selector term"))
            for i, term in enumerate(terms):
                errs.extend(_validate_node_selector_term(term, tp.index(i)))
        for i, pref in enumerate(na.get("preferredDuringSchedulingIgnoredDuringExecution") or ()):
            pp = p.child("preferredDuringSchedulingIgnoredDuringExecution").index(i)
            weight = pref.get("weight") or 0
            if weight <= 0 or weight > 100:
                errs.append(field.invalid(pp.child("weight"), weight, "must be in the range 1-100"))
            errs.extend(_validate_node_selector_term(pref.get("preference") or {}, pp.child("preference")))
    for kind in ("podAffinity", "podAntiAffinity"):
        pa = affinity.get(kind)
        if not isinstance(pa, dict):
            continue
        p = path.child(kind)
        for i, term in enumerate(pa.get("requiredDuringSchedulingIgnoredDuringExecution") or ()):
            errs.extend(_validate_pod_affinity_term(term, p.child("requiredDuringSchedulingIgnoredDuringExecution").index(i)))
        for i, wt in enumerate(pa.get("preferredDuringSchedulingIgnoredDuringExecution") or ()):
            wp = p.child("preferredDuringSchedulingIgnoredDuringExecution").index(i)
            weight = wt.get("weight") or 0
            if weight <= 0 or weight > 100:
                errs.append(field.invalid(wp.child("weight"), weight, "must be in the range 1-100"))
            errs.extend(_validate_pod_affinity_term(wt.get("podAffinityTerm") or {}, wp.child("podAffinityTerm")))
    return errs


def validate_scheduling_gates(gates: Any, path: Path) -> list[FieldError]:
    errs: list[FieldError] = []
    seen: set[str] = set()
    for i, gate in enumerate(gates or ()):
        name = gate.get("name") or ""
        errs.extend(_qualified(name, path.index(i)))
        if name in seen:
            errs.append(field.duplicate(path.index(i), name))
        seen.add(name)
    return errs


def _validate_dns_config(spec: Obj, path: Path) -> list[FieldError]:
    cfg = spec.get("dnsConfig")
    if spec.get("dnsPolicy") == "None":
        if cfg is None:
            return [field.required(path, "must provide `dnsConfig` when `dnsPolicy` is None")]
        if not cfg.get("nameservers"):
            return [field.required(path.child("nameservers"), "must provide at least one DNS nameserver when `dnsPolicy` is None")]
    if not isinstance(cfg, dict):
        return []
    errs: list[FieldError] = []
    servers = cfg.get("nameservers") or []
    if len(servers) > 3:
        errs.append(field.invalid(path.child("nameservers"), servers, "must not have more than 3 nameservers"))
    for i, ns in enumerate(servers):
        errs.extend(ip_errors(path.child("nameservers").index(i), ns))
    return errs


def _validate_host_users(spec: Obj, path: Path) -> list[FieldError]:
    if spec.get("hostUsers") is not False:
        return []
    errs = []
    # Upstream's paths: `hostNetwork`, then the internal field names `HostPID`, `HostIPC`.
    for key, child in (("hostNetwork", "hostNetwork"), ("hostPID", "HostPID"), ("hostIPC", "HostIPC")):
        if spec.get(key):
            errs.append(field.forbidden(path.child(child), "when `pod.Spec.HostUsers` is false"))
    return errs


def _validate_pod_security_context(spec: Obj, path: Path) -> list[FieldError]:
    sc = spec.get("securityContext")
    if not isinstance(sc, dict):
        return []
    errs: list[FieldError] = []
    for key, lo in (("fsGroup", 0), ("runAsUser", 0), ("runAsGroup", 0)):
        v = sc.get(key)
        if v is not None and not (isinstance(v, int) and lo <= v <= INT32_MAX):
            errs.append(field.invalid(path.child(key), v, inclusive_range_error(0, INT32_MAX)))
    for i, gid in enumerate(sc.get("supplementalGroups") or ()):
        if not (isinstance(gid, int) and 0 <= gid <= INT32_MAX):
            errs.append(field.invalid(path.child("supplementalGroups").index(i), gid, inclusive_range_error(0, INT32_MAX)))
    if spec.get("shareProcessNamespace") and spec.get("hostPID"):
        # Internal shareProcessNamespace lives in the security context.
        errs.append(field.invalid(path.child("shareProcessNamespace"), True, "ShareProcessNamespace and HostPID cannot both be enabled"))
    policy = sc.get("fsGroupChangePolicy")
    if policy is not None and policy not in ("Always", "OnRootMismatch"):
        errs.append(field.not_supported(path.child("fsGroupChangePolicy"), policy, ("Always", "OnRootMismatch")))
    return errs


def _validate_host_network_deps(spec: Obj, path: Path, opts: PodValidationOptions) -> list[FieldError]:
    if not spec.get("hostNetwork"):
        return []
    errs = []
    for i, c in enumerate(spec.get("containers") or ()):
        for j, port in enumerate(c.get("ports") or ()):
            hp, cp = port.get("hostPort") or 0, port.get("containerPort") or 0
            if (opts.resource_is_pod or hp != 0) and hp != cp:
                p = path.child("containers").index(i).child("ports").index(j).child("hostPort")
                errs.append(field.invalid(p, hp, "must match `containerPort` when `hostNetwork` is true"))
    return errs


def validate_pod_spec(spec: Any, path: Path, opts: PodValidationOptions | None = None) -> list[FieldError]:
    """ValidatePodSpec (v1.30), in upstream's order so aggregated messages read the same."""
    opts = opts or PodValidationOptions()
    if not isinstance(spec, dict):
        return [field.required(path, "")]
    errs: list[FieldError] = []
    grace = spec.get("terminationGracePeriodSeconds") or 0
    host_users = spec.get("hostUsers") is not False
    volumes, verrs = validate_volumes(spec.get("volumes"), path.child("volumes"))
    errs.extend(verrs)
    errs.extend(_validate_containers(spec, volumes, path.child("containers"), grace, host_users))
    errs.extend(_validate_init_containers(spec, volumes, path.child("initContainers"), grace, host_users))
    errs.extend(_validate_ephemeral_containers(spec, volumes, path.child("ephemeralContainers"), host_users))
    errs.extend(_validate_host_network_deps(spec, path, opts))
    errs.extend(_not_supported(path.child("restartPolicy"), spec.get("restartPolicy") or "", _RESTART_POLICIES))
    errs.extend(_not_supported(path.child("dnsPolicy"), spec.get("dnsPolicy") or "", _DNS_POLICIES))
    errs.extend(validation.validate_labels(spec.get("nodeSelector"), path.child("nodeSelector")))
    errs.extend(_validate_pod_security_context(spec, path.child("securityContext")))
    for i, ref in enumerate(spec.get("imagePullSecrets") or ()):
        if set(ref) - {"name"}:
            errs.append(field.invalid(path.child("imagePullSecrets").index(i), ref, "only name may be set"))
    errs.extend(validate_affinity(spec.get("affinity"), path.child("affinity")))
    errs.extend(_validate_dns_config(spec, path.child("dnsConfig")))
    for i, gate in enumerate(spec.get("readinessGates") or ()):
        errs.extend(_qualified(gate.get("conditionType") or "", path.child("readinessGates").index(i).child("conditionType")))
    errs.extend(validate_scheduling_gates(spec.get("schedulingGates"), path.child("schedulingGates")))
    errs.extend(_validate_host_users(spec, path))
    for key in ("serviceAccountName", "nodeName", "priorityClassName"):
        if spec.get(key):
            errs.extend(_dns_subdomain(spec[key], path.child(key)))
    ads = spec.get("activeDeadlineSeconds")
    if ads is not None and (ads < 1 or ads > INT32_MAX):
        errs.append(field.invalid(path.child("activeDeadlineSeconds"), ads, inclusive_range_error(1, INT32_MAX)))
    for key in ("hostname", "subdomain"):
        if spec.get(key):
            errs.extend(_dns_label(spec[key], path.child(key)))
    errs.extend(validate_tolerations(spec.get("tolerations"), path.child("tolerations")))
    for i, alias in enumerate(spec.get("hostAliases") or ()):
        ap = path.child("hostAliases").index(i)
        errs.extend(ip_errors(ap.child("ip"), alias.get("ip") or ""))
        for j, hostname in enumerate(alias.get("hostnames") or ()):
            errs.extend(_dns_subdomain(hostname, ap.child("hostnames").index(j)))
    if spec.get("runtimeClassName") is not None:
        errs.extend(_dns_subdomain(spec["runtimeClassName"], path.child("runtimeClassName")))
    if spec.get("preemptionPolicy") is not None:
        errs.extend(_not_supported(path.child("preemptionPolicy"), spec["preemptionPolicy"], ("PreemptLowerPriority", "Never")))
    if spec.get("overhead") is not None:
        errs.extend(validate_resource_requirements({"limits": spec["overhead"]}, path.child("overhead")))
    os_ = spec.get("os")
    if isinstance(os_, dict) and os_.get("name") not in ("linux", "windows"):
        errs.append(field.not_supported(path.child("os", "name"), os_.get("name"), ("linux", "windows")))
    return errs


MIRROR_POD_ANNOTATION = "kubernetes.io/config.mirror"
POD_DELETION_COST_ANNOTATION = "controller.kubernetes.io/pod-deletion-cost"


def validate_pod_specific_annotations(annotations: Any, spec: Obj, path: Path) -> list[FieldError]:
    """ValidatePodSpecificAnnotations: mirror pods need a node; deletion cost is an int32."""
    annotations = annotations if isinstance(annotations, dict) else {}
    errs: list[FieldError] = []
    if MIRROR_POD_ANNOTATION in annotations and not spec.get("nodeName"):
        errs.append(
            field.invalid(path.key(MIRROR_POD_ANNOTATION), annotations[MIRROR_POD_ANNOTATION], "must set spec.nodeName if mirror pod annotation is set")
        )
    cost = annotations.get(POD_DELETION_COST_ANNOTATION)
    if cost is not None and not _is_int32(cost):
        errs.append(field.invalid(path.key(POD_DELETION_COST_ANNOTATION), cost, "must be a 32bit integer"))
    return errs


def _is_int32(text: str) -> bool:
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        return False
    return -(2**31) <= int(text) <= INT32_MAX


def validate_pod_template_spec(template: Any, path: Path, opts: PodValidationOptions | None = None) -> list[FieldError]:
    """ValidatePodTemplateSpec. Upstream's paths skip `metadata`: `spec.template.labels`."""
    if not isinstance(template, dict):
        return [field.required(path, "")]
    meta = template.get("metadata") or {}
    spec = template.get("spec") if isinstance(template.get("spec"), dict) else {}
    errs = validation.validate_labels(meta.get("labels"), path.child("labels"))
    errs.extend(validation.validate_annotations(meta.get("annotations"), path.child("annotations")))
    errs.extend(validate_pod_specific_annotations(meta.get("annotations"), spec, path.child("annotations")))
    errs.extend(validate_pod_spec(spec, path.child("spec"), opts))
    if spec.get("ephemeralContainers"):
        errs.append(field.forbidden(path.child("spec", "ephemeralContainers"), "ephemeral containers not allowed in pod template"))
    return errs
