"""PersistentVolumes (core/v1, cluster-scoped): upstream v1.30's
`pkg/registry/core/persistentvolume/strategy.go`, `ValidatePersistentVolume*` in
`pkg/apis/core/validation`, `pkg/volume/validation` (mount options), `SetDefaults_PersistentVolume`
and `printPersistentVolume`.

Also the helpers PersistentVolumeClaims share: access-mode checks and printing, storage-class
lookup, quantity defaulting, and column descriptions taken from the shipped v1.30 OpenAPI
definitions (the same Go doc comments upstream's `SwaggerDoc()` returns).
"""

from __future__ import annotations

import copy
import posixpath
import re
from datetime import datetime
from typing import Any

from uwernetes.apiserver.resources import core_common as common
from uwernetes.apiserver.resources import podspec
from uwernetes.apiserver.resources.base import (
    Column,
    Context,
    LazyText,
    Obj,
    Printer,
    ResourceType,
    Strategy,
    Subresource,
    field_doc,
)
from uwernetes.machinery import field, meta, quantity, validation
from uwernetes.machinery.field import FieldError, Path

# sets.List order (sorted), as upstream's NotSupported errors list them.
ACCESS_MODES = ("ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod")
RECLAIM_POLICIES = ("Delete", "Recycle", "Retain")
VOLUME_MODES = ("Block", "Filesystem")
BETA_STORAGE_CLASS = "volume.beta.kubernetes.io/storage-class"
MOUNT_OPTIONS = "volume.beta.kubernetes.io/mount-options"
DEPRECATED_STORAGE_CLASS_MSG = 'deprecated since v1.8; use "storageClassName" attribute instead'
MORE_THAN_ONE = "may not specify more than 1 volume type"

# PV sources in upstream's check order, with the child name its "more than 1" error uses.
PV_SOURCES = (
    "hostPath", "gcePersistentDisk", "awsElasticBlockStore", "glusterfs", "flocker", "nfs", "rbd",
    "quobyte", "cephfs", "iscsi", "cinder", "fc", "flexVolume", "azureFile", "vsphereVolume",
    "photonPersistentDisk", "portworxVolume", "azureDisk", "scaleIO", "local", "storageos", "csi",
)  # fmt: skip
_FORBIDDEN_CHILD = {"cephfs": "cephFS"}
# Sources whose plugins accept mount options (pkg/volume/validation checkMountOption).
_MOUNT_OPTION_SOURCES = (
    "gcePersistentDisk", "awsElasticBlockStore", "glusterfs", "nfs", "rbd", "quobyte", "iscsi", "cinder",
    "cephfs", "azureFile", "vsphereVolume", "azureDisk", "photonPersistentDisk",
)  # fmt: skip
_SOURCE_DEFAULTS = (
    ("iscsi", {"iscsiInterface": "default"}),
    ("rbd", {"pool": "rbd", "user": "admin", "keyring": "/etc/ceph/keyring"}),
    ("scaleIO", {"storageMode": "ThinProvisioned", "fsType": "xfs"}),
    ("azureDisk", {"cachingMode": "ReadWrite", "kind": "Shared", "fsType": "ext4", "readOnly": False}),
)
_IQN = re.compile(r"iqn\.\d{4}-\d{2}\.([A-Za-z0-9\-.]+)(:[^,;*&$|\s]+)$")
_EUI = re.compile(r"^eui.[A-Za-z0-9]{16}$")
_NAA = re.compile(r"^naa.[A-Za-z0-9]{32}$")


# --------------------------------------------------------------------------------------------
# shared helpers
# --------------------------------------------------------------------------------------------


def schema_doc(definition: str, prop: str) -> LazyText:
    return field_doc(f"io.k8s.api.core.v1.{definition}", prop, enum_values=False)


def default_resource_list(rl: Any, kind: str) -> None:
    """SetDefaults_ResourceList (round up to milli, canonical text); a bad quantity is a 400."""
    if not isinstance(rl, dict):
        return
    for k, v in list(rl.items()):
        try:
            rl[k] = quantity.round_up_milli(v)
        except quantity.QuantityError as e:
            raise podspec.decode_error(kind, "v1", e) from None


def go_int64_value(text: Any) -> int:
    """Quantity.Value(): the integer part, moved one step up when there is a remainder."""
    v = quantity.parse_quantity(text)
    whole = int(v)  # truncates toward zero, as Go's integer division does
    return whole + 1 if v != whole else whole


def validate_access_modes(modes: Any, path: Path, required_detail: str) -> list[FieldError]:
    errs: list[FieldError] = []
    if not modes:
        errs.append(field.required(path, required_detail))
    rwop = other = False
    for mode in modes or ():
        if mode not in ACCESS_MODES:
            errs.append(field.not_supported(path, mode, ACCESS_MODES))
        if mode == "ReadWriteOncePod":
            rwop = True
        elif mode in ACCESS_MODES:
            other = True
    if rwop and other:
        errs.append(field.forbidden(path, "may not use ReadWriteOncePod with other access modes"))
    return errs


def access_modes_string(modes: Any) -> str:
    """helper.GetAccessModesAsString: RWO, ROX, RWX, RWOP in that order, each once."""
    modes = modes or ()
    short = (("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"), ("ReadWriteMany", "RWX"), ("ReadWriteOncePod", "RWOP"))
    return ",".join(abbr for mode, abbr in short if mode in modes)


def storage_class(obj: Obj) -> str:
    """GetPersistentVolume(Claim)Class: the beta annotation wins over spec.storageClassName."""
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    if BETA_STORAGE_CLASS in annotations:
        return annotations[BETA_STORAGE_CLASS]
    return (obj.get("spec") or {}).get("storageClassName") or ""


def class_name_errors(value: Any, path: Path) -> list[FieldError]:
    return [field.invalid(path, value, m) for m in validation.is_dns1123_subdomain(value)]


def storage_class_warning(obj: Obj) -> list[str]:
    if BETA_STORAGE_CLASS in ((obj.get("metadata") or {}).get("annotations") or {}):
        return [f"{Path('metadata', 'annotations').key(BETA_STORAGE_CLASS)}: {DEPRECATED_STORAGE_CLASS_MSG}"]
    return []


def gate(ctx: Context | None, name: str) -> bool:
    """A gate's state; gates this project does not list are off (all alpha in v1.30)."""
    return name in common.gates(ctx)


def drop_empty(value: Any) -> Any:
    """Semantic.DeepEqual treats nil and empty alike: drop empty and null members before comparing."""
    if isinstance(value, dict):
        out = {k: drop_empty(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (None, {}, [], "")}
    if isinstance(value, list):
        return [drop_empty(v) for v in value]
    return value


def spec_diff(old: Any, new: Any) -> str:
    """A short field-by-field diff standing in for upstream's cmp.Diff text (itself unstable)."""
    old, new = drop_empty(old) or {}, drop_empty(new) or {}
    lines = []
    for key in sorted(set(old) | set(new)):
        if old.get(key) != new.get(key):
            if key in old:
                lines.append(f"- {key}: {field.format_value(old[key])}")
            if key in new:
                lines.append(f"+ {key}: {field.format_value(new[key])}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# volume sources
# --------------------------------------------------------------------------------------------


def _required(src: Obj, key: str, path: Path, detail: str = "") -> list[FieldError]:
    return [] if src.get(key) else [field.required(path.child(key), detail)]


def _partition(src: Obj, path: Path) -> list[FieldError]:
    part = src.get("partition") or 0
    if isinstance(part, int) and not 0 <= part <= 255:
        return [field.invalid(path.child("partition"), part, podspec.inclusive_range_error(1, 255))]
    return []


def _iqn_errors(value: str, path: Path, prefix_detail: str) -> list[FieldError]:
    if not value.startswith(("iqn", "eui", "naa")):
        return [field.invalid(path, value, prefix_detail)]
    if (value.startswith("iqn") and not _IQN.search(value)) or (value.startswith("eui") and not _EUI.match(value)) or (
        value.startswith("naa") and not _NAA.match(value)
    ):
        return [field.invalid(path, value, "must be valid format")]
    return []


def _secret_ref(ref: Obj, path: Path) -> list[FieldError]:
    """validatePVSecretReference."""
    errs: list[FieldError] = []
    name, ns = ref.get("name") or "", ref.get("namespace") or ""
    if not name:
        errs.append(field.required(path.child("name"), ""))
    else:
        errs.extend(field.invalid(path.child("name"), name, m) for m in validation.is_dns1123_subdomain(name))
    if not ns:
        errs.append(field.required(path.child("namespace"), ""))
    else:
        errs.extend(field.invalid(path.child("namespace"), ns, m) for m in validation.is_dns1123_label(ns))
    return errs


def _flex_options(src: Obj, path: Path) -> list[FieldError]:
    errs = _required(src, "driver", path)
    for k in src.get("options") or {}:
        namespace = k.split("/", 1)[0] if "/" in k else k
        normalized = "." + namespace.lower()
        if normalized.endswith((".kubernetes.io", ".k8s.io")):
            errs.append(field.invalid(path.child("options").key(k), k, "kubernetes.io and k8s.io namespaces are reserved"))
    return errs


def validate_pv_source(name: str, src: Obj, pv_name: str, path: Path) -> list[FieldError]:
    """The per-source checks ValidatePersistentVolumeSpec runs for the one source it counts."""
    errs: list[FieldError] = []
    if name == "hostPath":
        if not src.get("path"):
            return [field.required(path.child("path"), "")]
        if ".." in src["path"].replace("\\", "/").split("/"):
            errs.append(field.invalid(path.child("path"), src["path"], "must not contain '..'"))
        if src.get("type") is not None and src["type"] not in podspec._HOST_PATH_TYPES:
            errs.append(field.not_supported(path.child("type"), src["type"], podspec._HOST_PATH_TYPES))
    elif name == "gcePersistentDisk":
        errs = _required(src, "pdName", path) + _partition(src, path)
    elif name == "awsElasticBlockStore":
        errs = _required(src, "volumeID", path) + _partition(src, path)
    elif name == "glusterfs":
        errs = _required(src, "endpoints", path) + _required(src, "path", path)
        ns = src.get("endpointsNamespace")
        if ns is not None:
            p = path.child("endpointsNamespace")
            if ns == "":
                errs.append(field.invalid(p, ns, "if the endpointnamespace is set, it must be a valid namespace name"))
            else:
                errs.extend(field.invalid(p, ns, m) for m in validation.is_dns1123_label(ns))
    elif name == "flocker":
        dataset, uuid = src.get("datasetName") or "", src.get("datasetUUID") or ""
        if not dataset and not uuid:
            errs.append(field.required(path, "one of datasetName and datasetUUID is required"))
        if dataset and uuid:
            errs.append(field.invalid(path, "resource", "datasetName and datasetUUID can not be specified simultaneously"))
        if "/" in dataset:
            errs.append(field.invalid(path.child("datasetName"), dataset, "must not contain '/'"))
    elif name == "nfs":
        errs = _required(src, "server", path) + _required(src, "path", path)
        if not (src.get("path") or "").startswith("/"):
            errs.append(field.invalid(path.child("path"), src.get("path") or "", "must be an absolute path"))
    elif name == "rbd":
        errs = _required(src, "monitors", path) + _required(src, "image", path)
    elif name == "quobyte":
        if not src.get("registry"):
            errs.append(field.required(path.child("registry"), "must be a host:port pair or multiple pairs separated by commas"))
        elif len(src.get("tenant") or "") >= 65:
            errs.append(field.required(path.child("tenant"), "must be a UUID and may not exceed a length of 64 characters"))
        else:
            for pair in src["registry"].split(","):
                # net.SplitHostPort: a port is required; bare IPv6 needs brackets.
                if ":" not in pair or (pair.count(":") > 1 and not pair.startswith("[")):
                    errs.append(field.invalid(path.child("registry"), src["registry"], "must be a host:port pair or multiple pairs separated by commas"))
        errs.extend(_required(src, "volume", path))
    elif name == "cephfs":
        errs = _required(src, "monitors", path)
    elif name == "iscsi":
        errs = _validate_iscsi(src, pv_name, path)
    elif name == "cinder":
        errs = _required(src, "volumeID", path)
        ref = src.get("secretRef")
        if isinstance(ref, dict):
            errs += _required(ref, "name", path.child("secretRef")) + _required(ref, "namespace", path.child("secretRef"))
    elif name == "fc":
        wwns, wwids = src.get("targetWWNs") or [], src.get("wwids") or []
        if not wwns and not wwids:
            errs.append(field.required(path.child("targetWWNs"), "must specify either targetWWNs or wwids, but not both"))
        if wwns and wwids:
            errs.append(field.invalid(path.child("targetWWNs"), wwns, "targetWWNs and wwids can not be specified simultaneously"))
        if wwns:
            lun = src.get("lun")
            if lun is None:
                errs.append(field.required(path.child("lun"), "lun is required if targetWWNs is specified"))
            elif not 0 <= lun <= 255:
                errs.append(field.invalid(path.child("lun"), lun, podspec.inclusive_range_error(0, 255)))
    elif name == "flexVolume":
        errs = _flex_options(src, path)
    elif name == "azureFile":
        errs = _required(src, "secretName", path) + _required(src, "shareName", path)
        if src.get("secretNamespace") == "":
            errs.append(field.required(path.child("secretNamespace"), ""))
    elif name == "vsphereVolume":
        errs = _required(src, "volumePath", path)
    elif name == "photonPersistentDisk":
        errs = _required(src, "pdID", path)
    elif name == "portworxVolume":
        errs = _required(src, "volumeID", path)
    elif name == "azureDisk":
        errs = _required(src, "diskName", path) + _required(src, "diskURI", path)
    elif name == "scaleIO":
        errs = _required(src, "gateway", path) + _required(src, "system", path) + _required(src, "volumeName", path)
    elif name == "local":
        if not src.get("path"):
            return [field.required(path.child("path"), "")]
        if ".." in src["path"].replace("\\", "/").split("/"):
            errs.append(field.invalid(path.child("path"), src["path"], "must not contain '..'"))
    elif name == "storageos":
        vol, ns = src.get("volumeName") or "", src.get("volumeNamespace") or ""
        if not vol:
            errs.append(field.required(path.child("volumeName"), ""))
        else:
            errs.extend(field.invalid(path.child("volumeName"), vol, m) for m in validation.is_dns1123_label(vol))
        if ns:
            errs.extend(field.invalid(path.child("volumeNamespace"), ns, m) for m in validation.is_dns1123_label(ns))
        ref = src.get("secretRef")
        if isinstance(ref, dict):
            errs += _required(ref, "name", path.child("secretRef")) + _required(ref, "namespace", path.child("secretRef"))
    elif name == "csi":
        errs = _validate_csi(src, path)
    return errs


def _validate_iscsi(src: Obj, pv_name: str, path: Path) -> list[FieldError]:
    errs = _required(src, "targetPortal", path)
    if src.get("initiatorName") is not None and len(f"{pv_name}:{src.get('targetPortal') or ''}") > 64:
        errs.append(field.invalid(path.child("targetportal"), src.get("targetPortal") or "",
                                  "Total length of <volume name>:<iscsi.targetPortal> must be under 64 characters if iscsi.initiatorName is specified."))
    if not src.get("iqn"):
        errs.append(field.required(path.child("iqn"), ""))
    else:
        errs.extend(_iqn_errors(src["iqn"], path.child("iqn"), "must be valid format"))
    lun = src.get("lun") or 0
    if isinstance(lun, int) and not 0 <= lun <= 255:
        errs.append(field.invalid(path.child("lun"), lun, podspec.inclusive_range_error(0, 255)))
    if (src.get("chapAuthDiscovery") or src.get("chapAuthSession")) and src.get("secretRef") is None:
        errs.append(field.required(path.child("secretRef"), ""))
    if isinstance(src.get("secretRef"), dict) and not src["secretRef"].get("name"):
        errs.append(field.required(path.child("secretRef", "name"), ""))
    if src.get("initiatorName") is not None:
        errs.extend(_iqn_errors(src["initiatorName"], path.child("initiatorname"), "must be valid format"))
    return errs


def _validate_csi(src: Obj, path: Path) -> list[FieldError]:
    driver = src.get("driver") or ""
    p = path.child("driver")
    errs: list[FieldError] = []
    if not driver:
        errs.append(field.required(p, ""))
    if len(driver) > 63:
        errs.append(field.too_long(p, "", 63))
    errs.extend(field.invalid(p, driver, m) for m in validation.is_dns1123_subdomain(driver.lower()))
    if not src.get("volumeHandle"):
        errs.append(field.required(path.child("volumeHandle"), ""))
    for key in ("controllerPublishSecretRef", "controllerExpandSecretRef", "nodePublishSecretRef", "nodeExpandSecretRef"):
        if isinstance(src.get(key), dict):
            errs.extend(_secret_ref(src[key], path.child(key)))
    return errs


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------


def _validate_node_affinity(affinity: Any, path: Path) -> list[FieldError]:
    """validateVolumeNodeAffinity (the caller knows it was specified)."""
    required = (affinity or {}).get("required") if isinstance(affinity, dict) else None
    if required is None:
        return [field.required(path.child("required"), "must specify required node constraints")]
    terms_path = path.child("required", "nodeSelectorTerms")
    terms = required.get("nodeSelectorTerms") or []
    if not terms:
        return [field.required(terms_path, "must have at least one node selector term")]
    errs: list[FieldError] = []
    for i, term in enumerate(terms):
        errs.extend(podspec._validate_node_selector_term(term or {}, terms_path.index(i)))
    return errs


def go_resource_list(rl: Any) -> common.GoLiteral:
    """`%#v` of a core.ResourceList, as NotSupported prints the whole capacity map."""
    from uwernetes.apiserver.resources import limitranges

    if rl is None:
        return common.GoLiteral("core.ResourceList(nil)")
    inner = ", ".join(f"{field.go_quote(k)}:{limitranges.go_quantity(rl[k])}" for k in sorted(rl))
    return common.GoLiteral("core.ResourceList{" + inner + "}")


def validate_persistent_volume_spec(pv: Obj, ctx: Context | None = None, old: Obj | None = None) -> list[FieldError]:
    spec = pv.get("spec") if isinstance(pv.get("spec"), dict) else {}
    name = (pv.get("metadata") or {}).get("name") or ""
    sp = Path("spec")
    errs = validate_access_modes(spec.get("accessModes"), sp.child("accessModes"), "")
    capacity = spec.get("capacity")
    if not capacity:
        errs.append(field.required(sp.child("capacity"), ""))
    if "storage" not in (capacity or {}) or len(capacity) > 1:
        errs.append(field.not_supported(sp.child("capacity"), go_resource_list(capacity), ("storage",)))
    for res, qty in (capacity or {}).items():
        p = sp.child("capacity").key(res)
        value = go_int64_value(qty)
        if value < 0:
            errs.append(field.invalid(p, value, "must be a valid resource quantity"))
        if quantity.parse_quantity(qty) <= 0:
            errs.append(field.invalid(p, quantity.canonicalize(qty), "must be greater than zero"))
    policy = spec.get("persistentVolumeReclaimPolicy") or ""
    if policy and policy not in RECLAIM_POLICIES:
        errs.append(field.not_supported(sp.child("persistentVolumeReclaimPolicy"), policy, RECLAIM_POLICIES))
    affinity_set = spec.get("nodeAffinity") is not None
    if affinity_set:
        errs.extend(_validate_node_affinity(spec["nodeAffinity"], sp.child("nodeAffinity")))
    count = 0
    for src_name in PV_SOURCES:
        src = spec.get(src_name)
        if src is None:
            continue
        # Upstream counts flexVolume without the "more than 1" check (a quirk kept here).
        if count and src_name != "flexVolume":
            errs.append(field.forbidden(sp.child(_FORBIDDEN_CHILD.get(src_name, src_name)), MORE_THAN_ONE))
            continue
        count += 1
        child = "persistentDisk" if src_name == "gcePersistentDisk" else src_name
        errs.extend(validate_pv_source(src_name, src if isinstance(src, dict) else {}, name, sp.child(child)))
        if src_name == "local" and not affinity_set:
            errs.append(field.required(sp.child("nodeAffinity"), "Local volume requires node affinity"))
    if not count:
        errs.append(field.required(sp, "must specify a volume type"))
    host = spec.get("hostPath")
    if isinstance(host, dict) and posixpath.normpath(host.get("path") or ".") == "/" and policy == "Recycle":
        errs.append(field.forbidden(sp.child("persistentVolumeReclaimPolicy"), "may not be 'recycle' for a hostPath mount of '/'"))
    if spec.get("storageClassName"):
        errs.extend(class_name_errors(spec["storageClassName"], sp.child("storageClassName")))
    mode = spec.get("volumeMode")
    if mode is not None and mode not in VOLUME_MODES:
        errs.append(field.not_supported(sp.child("volumeMode"), mode, VOLUME_MODES))
    vac = spec.get("volumeAttributesClassName")
    vac_enabled = gate(ctx, "VolumeAttributesClass") or ((old or {}).get("spec") or {}).get("volumeAttributesClassName") is not None
    if vac is not None and vac_enabled:
        if vac == "":
            errs.append(field.required(sp.child("volumeAttributesClassName"), "an empty string is disallowed"))
        else:
            errs.extend(class_name_errors(vac, sp.child("volumeAttributesClassName")))
        if spec.get("csi") is None:
            errs.append(field.required(sp.child("csi"), "has to be specified when using volumeAttributesClassName"))
    return errs


def validate_mount_options(pv: Obj) -> list[FieldError]:
    """pkg/volume/validation: mount options only for plugins that support them."""
    spec = pv.get("spec") or {}
    if any(spec.get(s) is not None for s in _MOUNT_OPTION_SOURCES):
        return []
    if MOUNT_OPTIONS in ((pv.get("metadata") or {}).get("annotations") or {}):
        return [field.forbidden(Path("metadata", "annotations", MOUNT_OPTIONS), "may not specify mount options for this volume type")]
    return []


def _source_part(spec: Obj) -> Obj:
    return {k: spec[k] for k in PV_SOURCES if spec.get(k) is not None}


def validate_persistent_volume_update(new: Obj, old: Obj, ctx: Context | None = None) -> list[FieldError]:
    errs = validate_persistent_volume_spec(new, ctx, old) + validate_mount_options(new)
    spec, old_spec = new.get("spec") or {}, old.get("spec") or {}
    new_src, old_src = _source_part(spec), _source_part(old_spec)
    # A CSI controllerExpandSecretRef may be added to a volume that had none.
    if isinstance(old_src.get("csi"), dict) and isinstance(new_src.get("csi"), dict):
        if old_src["csi"].get("controllerExpandSecretRef") is None and new_src["csi"].get("controllerExpandSecretRef") is not None:
            new_src = copy.deepcopy(new_src)
            del new_src["csi"]["controllerExpandSecretRef"]
    if drop_empty(new_src) != drop_empty(old_src):
        diff = spec_diff(old_src, new_src)
        errs.append(field.forbidden("spec.persistentvolumesource", f"spec.persistentvolumesource is immutable after creation\n{diff}"))
    errs.extend(validation.validate_immutable(spec.get("volumeMode"), old_spec.get("volumeMode"), "volumeMode"))
    if old_spec.get("nodeAffinity") is not None and drop_empty(spec.get("nodeAffinity")) != drop_empty(old_spec.get("nodeAffinity")):
        # Go prints the struct with a pointer address; a fixed one stands in for it.
        bad = None if spec.get("nodeAffinity") is None else common.GoLiteral(
            "core.VolumeNodeAffinity{Required:(*core.NodeSelector)(0xc000000000)}")
        errs.append(field.invalid("nodeAffinity", bad, "field is immutable, except for updating from beta label to GA"))
    if spec.get("volumeAttributesClassName") != old_spec.get("volumeAttributesClassName"):
        if not gate(ctx, "VolumeAttributesClass"):
            errs.append(field.forbidden("spec.volumeAttributesClassName", "update is forbidden when the VolumeAttributesClass feature gate is disabled"))
        if old_spec.get("volumeAttributesClassName") is not None and spec.get("volumeAttributesClassName") is None:
            errs.append(field.forbidden("spec.volumeAttributesClassName", "update from non-nil value to nil is forbidden"))
    return errs


def warnings_for(pv: Obj) -> list[str]:
    """GetWarningsForPersistentVolume (annotation and reclaim-policy deprecations)."""
    out = storage_class_warning(pv)
    if (pv.get("spec") or {}).get("persistentVolumeReclaimPolicy") == "Recycle":
        out.append("spec.persistentVolumeReclaimPolicy: The Recycle reclaim policy is deprecated. Instead, the "
                   "recommended approach is to use dynamic provisioning.")
    return out


# --------------------------------------------------------------------------------------------
# strategy
# --------------------------------------------------------------------------------------------


def default_persistent_volume(pv: Obj) -> None:
    """SetDefaults_PersistentVolume plus the nested source and ResourceList defaults."""
    spec = common.spec_of(pv)
    if not spec.get("persistentVolumeReclaimPolicy"):
        spec["persistentVolumeReclaimPolicy"] = "Retain"
    if spec.get("volumeMode") is None:
        spec["volumeMode"] = "Filesystem"
    default_resource_list(spec.get("capacity"), "PersistentVolume")
    if isinstance(spec.get("hostPath"), dict) and spec["hostPath"].get("type") is None:
        spec["hostPath"]["type"] = ""
    for key, defaults in _SOURCE_DEFAULTS:
        src = spec.get(key)
        if isinstance(src, dict):
            for k, value in defaults.items():
                if src.get(k) in (None, ""):
                    src[k] = value


def _drop_disabled(new: Obj, old: Obj | None, ctx: Context | None) -> None:
    """DropDisabledSpecFields: volumeAttributesClassName needs its gate unless already in use."""
    if gate(ctx, "VolumeAttributesClass"):
        return
    if old is None or ((old.get("spec") or {}).get("volumeAttributesClassName")) is None:
        (new.get("spec") or {}).pop("volumeAttributesClassName", None)


class PersistentVolumeStrategy(Strategy):
    tracks_generation = False
    has_status = True

    def default(self, obj: Obj) -> None:
        default_persistent_volume(obj)

    def prepare_for_create(self, obj: Obj, ctx: Context) -> None:
        obj["status"] = {"phase": "Pending"}
        if common.gates(ctx).enabled("PersistentVolumeLastPhaseTransitionTime"):
            obj["status"]["lastPhaseTransitionTime"] = meta.now_rfc3339()
        _drop_disabled(obj, None, ctx)

    def prepare_for_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        common.keep_status(new, old)
        _drop_disabled(new, old, ctx)

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return validate_persistent_volume_spec(obj, ctx) + validate_mount_options(obj)

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_persistent_volume_update(new, old, ctx)

    def warnings_on_create(self, obj: Obj, ctx: Context) -> list[str]:
        return warnings_for(obj)

    def warnings_on_update(self, new: Obj, old: Obj, ctx: Context) -> list[str]:
        return warnings_for(new)

    def prepare_for_status_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        common.keep_spec(new, old)
        # A phase change stamps its time, unless the writer set a new time itself.
        if common.gates(ctx).enabled("PersistentVolumeLastPhaseTransitionTime"):
            status, old_status = new.setdefault("status", {}), old.get("status") or {}
            if status.get("phase") != old_status.get("phase") and status.get("lastPhaseTransitionTime") in (
                None,
                old_status.get("lastPhaseTransitionTime"),
            ):
                status["lastPhaseTransitionTime"] = meta.now_rfc3339()


def table_row(pv: Obj, now: datetime | None = None) -> list[Any]:
    spec, status = pv.get("spec") or {}, pv.get("status") or {}
    ref = spec.get("claimRef")
    claim = f"{ref.get('namespace') or ''}/{ref.get('name') or ''}" if isinstance(ref, dict) else ""
    phase = status.get("phase") or ""
    if (pv.get("metadata") or {}).get("deletionTimestamp"):
        phase = "Terminating"
    storage = (spec.get("capacity") or {}).get("storage")
    return [
        common.name_of(pv),
        quantity.canonicalize(storage) if storage is not None else "0",
        access_modes_string(spec.get("accessModes")),
        spec.get("persistentVolumeReclaimPolicy") or "",
        phase,
        claim,
        storage_class(pv),
        spec["volumeAttributesClassName"] if spec.get("volumeAttributesClassName") is not None else "<unset>",
        status.get("reason") or "",
        common.age(pv, now),
        spec["volumeMode"] if spec.get("volumeMode") is not None else "<unset>",
    ]


PRINTER = Printer(
    columns=[
        common.name_column(),
        Column("Capacity", description=schema_doc("PersistentVolumeSpec", "capacity")),
        Column("Access Modes", description=schema_doc("PersistentVolumeSpec", "accessModes")),
        Column("Reclaim Policy", description=schema_doc("PersistentVolumeSpec", "persistentVolumeReclaimPolicy")),
        Column("Status", description=schema_doc("PersistentVolumeStatus", "phase")),
        Column("Claim", description=schema_doc("PersistentVolumeSpec", "claimRef")),
        Column("StorageClass", description="StorageClass of the pv"),
        Column("VolumeAttributesClass", description="VolumeAttributesClass of the pv"),
        Column("Reason", description=schema_doc("PersistentVolumeStatus", "reason")),
        common.age_column(),
        common.wide("VolumeMode", schema_doc("PersistentVolumeSpec", "volumeMode")),
    ],
    row=table_row,
)

PERSISTENTVOLUMES = ResourceType(
    group="",
    version="v1",
    kind="PersistentVolume",
    plural="persistentvolumes",
    namespaced=False,
    short_names=("pv",),
    subresources=(Subresource("status", ("get", "patch", "update")),),
    strategy=PersistentVolumeStrategy(),
    printer=PRINTER,
)
