"""The snapshot.storage.k8s.io/v1 CRDs a cluster with the CSI snapshot controller has (as shipped by
external-snapshotter v8.0.1), installed at start: VolumeSnapshot, VolumeSnapshotContent and
VolumeSnapshotClass, with their printer columns, status subresources and validation rules.

The schemas are written here from the v1 API types; their `x-kubernetes-validations` (CEL) rules
are stored as upstream ships them and take effect once CRD CEL validation does. The structural
`oneOf`s that say "exactly one source" are enforced already.
"""

from __future__ import annotations

from typing import Any

from uwernetes.apiextensions.structural import BUNDLED_RULES
from uwernetes.machinery import errors

GROUP = "snapshot.storage.k8s.io"
APPROVAL = "https://github.com/kubernetes-csi/external-snapshotter/pull/814"
MANAGER = "kube-apiserver"

_STRING = {"type": "string"}
_DELETION_POLICY = {"type": "string", "enum": ["Delete", "Retain"]}
_ERROR = {
    "type": "object",
    "properties": {"message": {"type": "string"}, "time": {"type": "string", "format": "date-time"}},
}
_AGE = {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}


def _rule(rule: str, message: str) -> dict[str, str]:
    return {"rule": rule, "message": message}


def _crd(plural: str, kind: str, scope: str, short_names: list[str], schema: dict[str, Any],
         columns: list[dict[str, Any]], status: bool) -> dict[str, Any]:
    version: dict[str, Any] = {
        "name": "v1",
        "served": True,
        "storage": True,
        "additionalPrinterColumns": columns,
        "schema": {"openAPIV3Schema": schema},
    }
    if status:
        version["subresources"] = {"status": {}}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {
            "name": f"{plural}.{GROUP}",
            "annotations": {"api-approved.kubernetes.io": APPROVAL},
        },
        "spec": {
            "group": GROUP,
            "names": {"kind": kind, "listKind": kind + "List", "plural": plural, "shortNames": short_names,
                      "singular": kind.lower()},
            "scope": scope,
            "versions": [version],
        },
    }


def _root(spec: dict[str, Any] | None, status: dict[str, Any] | None, required: list[str], **top: Any) -> dict[str, Any]:
    props: dict[str, Any] = {"apiVersion": _STRING, "kind": _STRING, "metadata": {"type": "object"}}
    if spec is not None:
        props["spec"] = spec
    if status is not None:
        props["status"] = status
    props.update(top)
    out: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        out["required"] = required
    return out


def volume_snapshot() -> dict[str, Any]:
    source = {
        "type": "object",
        "properties": {"persistentVolumeClaimName": _STRING, "volumeSnapshotContentName": _STRING},
        "oneOf": [{"required": ["persistentVolumeClaimName"]}, {"required": ["volumeSnapshotContentName"]}],
        "x-kubernetes-validations": [
            _rule("!has(oldSelf.persistentVolumeClaimName) || has(self.persistentVolumeClaimName)",
                  "persistentVolumeClaimName is required once set"),
            _rule("!has(oldSelf.volumeSnapshotContentName) || has(self.volumeSnapshotContentName)",
                  "volumeSnapshotContentName is required once set"),
            _rule("(has(self.volumeSnapshotContentName) && !has(self.persistentVolumeClaimName)) || "
                  "(!has(self.volumeSnapshotContentName) && has(self.persistentVolumeClaimName))",
                  "exactly one of volumeSnapshotContentName and persistentVolumeClaimName must be set"),
        ],
    }
    source["properties"] = {
        "persistentVolumeClaimName": {"type": "string", "x-kubernetes-validations": [
            _rule("self == oldSelf", "persistentVolumeClaimName is immutable")]},
        "volumeSnapshotContentName": {"type": "string", "x-kubernetes-validations": [
            _rule("self == oldSelf", "volumeSnapshotContentName is immutable")]},
    }
    spec = {
        "type": "object",
        "required": ["source"],
        "properties": {
            "source": source,
            "volumeSnapshotClassName": {"type": "string", "x-kubernetes-validations": [
                _rule("size(self) > 0", "volumeSnapshotClassName must not be the empty string when set")]},
        },
    }
    status = {
        "type": "object",
        "properties": {
            "boundVolumeSnapshotContentName": _STRING,
            "creationTime": {"type": "string", "format": "date-time"},
            "error": _ERROR,
            "readyToUse": {"type": "boolean"},
            "restoreSize": {"x-kubernetes-int-or-string": True, "anyOf": [{"type": "integer"}, {"type": "string"}],
                            "pattern": r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"},
            "volumeGroupSnapshotName": _STRING,
        },
        "x-kubernetes-validations": [
            _rule("!has(oldSelf.boundVolumeSnapshotContentName) || has(self.boundVolumeSnapshotContentName)",
                  "boundVolumeSnapshotContentName is required once set"),
        ],
    }
    columns = [
        {"name": "ReadyToUse", "type": "boolean", "jsonPath": ".status.readyToUse",
         "description": "Indicates if the snapshot is ready to be used to restore a volume."},
        {"name": "SourcePVC", "type": "string", "jsonPath": ".spec.source.persistentVolumeClaimName",
         "description": "If a new snapshot needs to be created, this contains the name of the source PVC from which "
                        "this snapshot was (or will be) created."},
        {"name": "SourceSnapshotContent", "type": "string", "jsonPath": ".spec.source.volumeSnapshotContentName",
         "description": "If a snapshot already exists, this contains the name of the existing VolumeSnapshotContent "
                        "object representing the existing snapshot."},
        {"name": "RestoreSize", "type": "string", "jsonPath": ".status.restoreSize",
         "description": "Represents the minimum size of volume required to rehydrate from this snapshot."},
        {"name": "SnapshotClass", "type": "string", "jsonPath": ".spec.volumeSnapshotClassName",
         "description": "The name of the VolumeSnapshotClass requested by the VolumeSnapshot."},
        {"name": "SnapshotContent", "type": "string", "jsonPath": ".status.boundVolumeSnapshotContentName",
         "description": "Name of the VolumeSnapshotContent object to which the VolumeSnapshot object intends to bind "
                        "to. Please note that verification of binding actually requires checking both VolumeSnapshot "
                        "and VolumeSnapshotContent to ensure both are pointing at each other. Binding MUST be "
                        "verified prior to usage of this object."},
        {"name": "CreationTime", "type": "date", "jsonPath": ".status.creationTime",
         "description": "Timestamp when the point-in-time snapshot was taken by the underlying storage system."},
        _AGE,
    ]
    return _crd("volumesnapshots", "VolumeSnapshot", "Namespaced", ["vs"], _root(spec, status, ["spec"]), columns, True)


def volume_snapshot_content() -> dict[str, Any]:
    source = {
        "type": "object",
        "properties": {
            "snapshotHandle": {"type": "string", "x-kubernetes-validations": [
                _rule("self == oldSelf", "snapshotHandle is immutable")]},
            "volumeHandle": {"type": "string", "x-kubernetes-validations": [
                _rule("self == oldSelf", "volumeHandle is immutable")]},
        },
        "oneOf": [{"required": ["snapshotHandle"]}, {"required": ["volumeHandle"]}],
        "x-kubernetes-validations": [
            _rule("!has(oldSelf.volumeHandle) || has(self.volumeHandle)", "volumeHandle is required once set"),
            _rule("!has(oldSelf.snapshotHandle) || has(self.snapshotHandle)", "snapshotHandle is required once set"),
            _rule("(has(self.volumeHandle) && !has(self.snapshotHandle)) || (!has(self.volumeHandle) && has(self.snapshotHandle))",
                  "exactly one of volumeHandle and snapshotHandle must be set"),
        ],
    }
    reference = {
        "type": "object",
        "x-kubernetes-map-type": "atomic",
        "properties": {k: _STRING for k in ("apiVersion", "fieldPath", "kind", "name", "namespace",
                                            "resourceVersion", "uid")},
        "x-kubernetes-validations": [
            _rule("has(self.name) && has(self.__namespace__)", "both spec.volumeSnapshotRef.name and "
                  "spec.volumeSnapshotRef.namespace must be set"),
        ],
    }
    spec = {
        "type": "object",
        "required": ["deletionPolicy", "driver", "source", "volumeSnapshotRef"],
        "properties": {
            "deletionPolicy": _DELETION_POLICY,
            "driver": _STRING,
            "source": source,
            "sourceVolumeMode": {"type": "string", "enum": ["Filesystem", "Block"],
                                 "x-kubernetes-validations": [_rule("self == oldSelf", "sourceVolumeMode is immutable")]},
            "volumeSnapshotClassName": _STRING,
            "volumeSnapshotRef": reference,
        },
        "x-kubernetes-validations": [
            _rule("!has(oldSelf.sourceVolumeMode) || has(self.sourceVolumeMode)", "sourceVolumeMode is required once set"),
        ],
    }
    status = {
        "type": "object",
        "properties": {
            "creationTime": {"type": "integer", "format": "int64"},
            "error": _ERROR,
            "readyToUse": {"type": "boolean"},
            "restoreSize": {"type": "integer", "format": "int64", "minimum": 0},
            "snapshotHandle": _STRING,
            "volumeGroupSnapshotHandle": _STRING,
        },
    }
    columns = [
        {"name": "ReadyToUse", "type": "boolean", "jsonPath": ".status.readyToUse",
         "description": "Indicates if the snapshot is ready to be used to restore a volume."},
        {"name": "RestoreSize", "type": "integer", "jsonPath": ".status.restoreSize",
         "description": "Represents the complete size of the snapshot in bytes"},
        {"name": "DeletionPolicy", "type": "string", "jsonPath": ".spec.deletionPolicy",
         "description": "Determines whether this VolumeSnapshotContent and its physical snapshot on the underlying "
                        "storage system should be deleted when its bound VolumeSnapshot is deleted."},
        {"name": "Driver", "type": "string", "jsonPath": ".spec.driver",
         "description": "Name of the CSI driver used to create the physical snapshot on the underlying storage system."},
        {"name": "VolumeSnapshotClass", "type": "string", "jsonPath": ".spec.volumeSnapshotClassName",
         "description": "Name of the VolumeSnapshotClass to which this snapshot belongs."},
        {"name": "VolumeSnapshot", "type": "string", "jsonPath": ".spec.volumeSnapshotRef.name",
         "description": "Name of the VolumeSnapshot object to which this VolumeSnapshotContent object is bound."},
        {"name": "VolumeSnapshotNamespace", "type": "string", "jsonPath": ".spec.volumeSnapshotRef.namespace",
         "description": "Namespace of the VolumeSnapshot object to which this VolumeSnapshotContent object is bound."},
        _AGE,
    ]
    return _crd("volumesnapshotcontents", "VolumeSnapshotContent", "Cluster", ["vsc", "vscs"],
                _root(spec, status, ["spec"]), columns, True)


def volume_snapshot_class() -> dict[str, Any]:
    schema = _root(None, None, ["deletionPolicy", "driver"], deletionPolicy=_DELETION_POLICY, driver=_STRING,
                   parameters={"type": "object", "additionalProperties": _STRING})
    columns = [
        {"name": "Driver", "type": "string", "jsonPath": ".driver"},
        {"name": "DeletionPolicy", "type": "string", "jsonPath": ".deletionPolicy",
         "description": "Determines whether a VolumeSnapshotContent created through the VolumeSnapshotClass should "
                        "be deleted when its bound VolumeSnapshot is deleted."},
        _AGE,
    ]
    return _crd("volumesnapshotclasses", "VolumeSnapshotClass", "Cluster", ["vsclass", "vsclasses"], schema,
                columns, False)


def definitions() -> list[dict[str, Any]]:
    return [volume_snapshot_class(), volume_snapshot_content(), volume_snapshot()]


async def install(registry: Any) -> None:
    """Create the snapshot CRDs that are missing; existing ones (maybe newer) are left alone."""
    rt = registry.resource("apiextensions.k8s.io", "v1", "customresourcedefinitions")
    ctx = registry.context(user="system:apiserver", groups=("system:masters",))
    token = BUNDLED_RULES.set(True)
    try:
        for crd in definitions():
            try:
                await registry.create(rt, None, crd, ctx, MANAGER)
            except errors.StatusError as e:
                if e.code != 409:
                    raise
    finally:
        BUNDLED_RULES.reset(token)
