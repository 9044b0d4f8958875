"""Discovery documents: legacy (/api, /apis, /api/v1, /apis/G/V) and aggregated (apidiscovery v2, v2beta1).

kubectl reads the aggregated form (exact Content-Type required), every Python client the legacy one.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections import defaultdict
from typing import Any

from uwernetes.apiserver.resources.base import ResourceType

AGGREGATED_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
AGGREGATED_V2BETA1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"

# Upstream's group order in /apis (kube-aggregator priorities).
_GROUP_ORDER = [
    "apiregistration.k8s.io", "apps", "events.k8s.io", "authentication.k8s.io", "authorization.k8s.io",
    "autoscaling", "batch", "certificates.k8s.io", "networking.k8s.io", "policy", "rbac.authorization.k8s.io",
    "storage.k8s.io", "admissionregistration.k8s.io", "apiextensions.k8s.io", "scheduling.k8s.io",
    "coordination.k8s.io", "node.k8s.io", "discovery.k8s.io", "flowcontrol.apiserver.k8s.io",
    "storagemigration.k8s.io", "snapshot.storage.k8s.io", "metrics.k8s.io",
]

_VERSION_RE = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


def version_priority(version: str) -> tuple:
    """Kubernetes version ordering: GA > beta > alpha, higher numbers first; others last by name."""
    m = _VERSION_RE.match(version)
    if not m:
        return (3, 0, 0, version)
    major, stage, minor = int(m.group(1)), m.group(2), int(m.group(3) or 0)
    rank = {None: 0, "beta": 1, "alpha": 2}[stage]
    return (rank, -major, -minor, version)


def _group_key(group: str) -> tuple[int, str]:
    return (_GROUP_ORDER.index(group), group) if group in _GROUP_ORDER else (len(_GROUP_ORDER), group)


def storage_version_hash(group: str, version: str, kind: str) -> str:
    """Upstream's opaque storageVersionHash: the first 8 bytes of sha256("group/version/kind"), base64."""
    digest = hashlib.sha256(f"{group}/{version}/{kind}".encode()).digest()
    return base64.b64encode(digest[:8]).decode()


class Discovery:
    def __init__(self, resources: list[ResourceType], server_address: str = "127.0.0.1:6443") -> None:
        self.resources = resources
        self.server_address = server_address
        self._by_group: dict[str, dict[str, list[ResourceType]]] = defaultdict(lambda: defaultdict(list))
        for r in resources:
            self._by_group[r.group][r.version].append(r)

    def groups(self) -> list[str]:
        return sorted((g for g in self._by_group if g), key=_group_key)

    def versions(self, group: str) -> list[str]:
        return sorted(self._by_group.get(group, {}), key=version_priority)

    def has_group_version(self, group: str, version: str) -> bool:
        return version in self._by_group.get(group, {})

    # --- legacy ---

    def api_versions(self) -> dict[str, Any]:
        return {
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": self.server_address}],
        }

    def _group_doc(self, group: str) -> dict[str, Any]:
        versions = [{"groupVersion": f"{group}/{v}", "version": v} for v in self.versions(group)]
        return {"name": group, "versions": versions, "preferredVersion": versions[0]}

    def api_group_list(self) -> dict[str, Any]:
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [self._group_doc(g) for g in self.groups()]}

    def api_group(self, group: str) -> dict[str, Any] | None:
        if group not in self._by_group or not group:
            return None
        return {"kind": "APIGroup", "apiVersion": "v1", **self._group_doc(group)}

    def resource_list(self, group: str, version: str) -> dict[str, Any] | None:
        rts = self._by_group.get(group, {}).get(version)
        if not rts:
            return None
        gv = f"{group}/{version}" if group else version
        out = []
        for r in sorted(rts, key=lambda r: r.plural):
            entry: dict[str, Any] = {
                "name": r.plural,
                "singularName": r.singular,
                "namespaced": r.namespaced,
                "kind": r.kind,
                "verbs": list(r.verbs),
            }
            if r.short_names:
                entry["shortNames"] = list(r.short_names)
            if r.categories:
                entry["categories"] = list(r.categories)
            if "watch" in r.verbs:  # stored kinds; reviews, bindings and componentstatuses are not
                entry["storageVersionHash"] = storage_version_hash(*self._storage_gvk(r))
            out.append(entry)
            for s in r.subresources:
                sub: dict[str, Any] = {"name": f"{r.plural}/{s.name}", "singularName": "", "namespaced": r.namespaced}
                if s.group is not None:
                    sub["group"] = s.group
                    sub["version"] = s.version
                sub["kind"] = s.kind or r.kind
                sub["verbs"] = list(s.verbs)
                out.append(sub)
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": out}

    def _storage_gvk(self, r: ResourceType) -> tuple[str, str, str]:
        """The group, version and kind a resource is stored as (its hash changes when that does)."""
        version = getattr(r, "storage_version", "")
        if version:
            return r.group, version, r.kind
        if r.storage_resource is not None:
            primary = next((x for x in self.resources
                            if (x.group, x.plural) == r.storage_resource and x.storage_resource is None), None)
            if primary is not None:
                return primary.group, primary.version, primary.kind
        return r.group, r.version, r.kind

    # --- aggregated ---

    def _aggregated_resource(self, r: ResourceType) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "resource": r.plural,
            "responseKind": {"group": r.group, "version": r.version, "kind": r.kind},
            "scope": "Namespaced" if r.namespaced else "Cluster",
            "singularResource": r.singular,
            "verbs": list(r.verbs),
        }
        if r.short_names:
            entry["shortNames"] = list(r.short_names)
        if r.categories:
            entry["categories"] = list(r.categories)
        if r.subresources:
            entry["subresources"] = [
                {
                    "subresource": s.name,
                    "responseKind": {
                        "group": s.group if s.group is not None else r.group,
                        "version": s.version if s.version is not None else r.version,
                        "kind": s.kind or r.kind,
                    },
                    "verbs": list(s.verbs),
                }
                for s in r.subresources
            ]
        return entry

    def _aggregated_group(self, group: str) -> dict[str, Any]:
        return {
            "metadata": {"name": group, "creationTimestamp": None},
            "versions": [
                {
                    "version": v,
                    "resources": [
                        self._aggregated_resource(r) for r in sorted(self._by_group[group][v], key=lambda r: r.plural)
                    ],
                    "freshness": "Current",
                }
                for v in self.versions(group)
            ],
        }

    def aggregated(self, legacy: bool, api_version: str = "apidiscovery.k8s.io/v2") -> dict[str, Any]:
        items = [self._aggregated_group("")] if legacy else [self._aggregated_group(g) for g in self.groups()]
        return {"kind": "APIGroupDiscoveryList", "apiVersion": api_version, "metadata": {}, "items": items}
