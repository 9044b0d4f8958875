"""Feature gates with Kubernetes v1.30's stages and defaults (`pkg/features/kube_features.go`).

`FeatureGates.parse("A=true,B=false")` follows upstream's rules: an unknown name is
`unrecognized feature gate: <name>`, a locked gate cannot leave its default.
"""

from __future__ import annotations

from dataclasses import dataclass

ALPHA, BETA, GA, DEPRECATED = "ALPHA", "BETA", "GA", "DEPRECATED"


@dataclass(frozen=True)
class Gate:
    stage: str
    default: bool
    locked: bool = False


KNOWN: dict[str, Gate] = {
    # Scheduling and pods
    "PodSchedulingReadiness": Gate(GA, True, locked=True),
    "PodHostIPs": Gate(GA, True, locked=True),
    "PodReadyToStartContainersCondition": Gate(BETA, True),
    "PodDisruptionConditions": Gate(BETA, True),
    "PodLifecycleSleepAction": Gate(BETA, True),
    "SidecarContainers": Gate(BETA, True),
    "InPlacePodVerticalScaling": Gate(ALPHA, False),
    "UserNamespacesSupport": Gate(BETA, False),
    "UserNamespacesPodSecurityStandards": Gate(ALPHA, False),
    "RecursiveReadOnlyMounts": Gate(ALPHA, False),
    "ProcMountType": Gate(ALPHA, False),
    "AppArmor": Gate(BETA, True),
    "AppArmorFields": Gate(BETA, True),
    "MinDomainsInPodTopologySpread": Gate(BETA, True),
    "MatchLabelKeysInPodAffinity": Gate(ALPHA, False),
    "NodeInclusionPolicyInPodTopologySpread": Gate(BETA, True),
    "SchedulerQueueingHints": Gate(BETA, False),
    "DynamicResourceAllocation": Gate(ALPHA, False),
    "ImageMaximumGCAge": Gate(BETA, True),
    "NodeLogQuery": Gate(BETA, False),
    "NodeSwap": Gate(BETA, True),
    "NewVolumeManagerReconstruction": Gate(GA, True, locked=True),
    "KubeletPodResourcesGet": Gate(ALPHA, False),
    "RuntimeClassInImageCriApi": Gate(ALPHA, False),
    # Workloads
    "JobSuccessPolicy": Gate(ALPHA, False),
    "JobManagedBy": Gate(ALPHA, False),
    "JobPodFailurePolicy": Gate(BETA, True),
    "JobBackoffLimitPerIndex": Gate(BETA, True),
    "JobPodReplacementPolicy": Gate(BETA, True),
    "ElasticIndexedJob": Gate(BETA, True),
    "PodIndexLabel": Gate(BETA, True),
    "CronJobsScheduledAnnotation": Gate(BETA, True),
    "StatefulSetStartOrdinal": Gate(GA, True, locked=True),
    "StatefulSetAutoDeletePVC": Gate(BETA, True),
    "HPAContainerMetrics": Gate(GA, True, locked=True),
    "HPAScaleToZero": Gate(ALPHA, False),
    # Networking
    "ServiceTrafficDistribution": Gate(ALPHA, False),
    "TopologyAwareHints": Gate(BETA, True),
    "MultiCIDRServiceAllocator": Gate(ALPHA, False),
    "LoadBalancerIPMode": Gate(BETA, True),
    # Storage
    "StorageVersionMigrator": Gate(ALPHA, False),
    "VolumeAttributesClass": Gate(ALPHA, False),
    "HonorPVReclaimPolicy": Gate(ALPHA, False),
    "ReadWriteOncePod": Gate(GA, True, locked=True),
    "PersistentVolumeLastPhaseTransitionTime": Gate(BETA, True),
    # API server (k8s.io/apiserver)
    "ValidatingAdmissionPolicy": Gate(GA, True, locked=True),
    "AdmissionWebhookMatchConditions": Gate(GA, True, locked=True),
    "StorageVersionAPI": Gate(ALPHA, False),
    "StorageVersionHash": Gate(BETA, True),
    "RetryGenerateName": Gate(ALPHA, False),
    "WatchList": Gate(ALPHA, False),
    "ConsistentListFromCache": Gate(ALPHA, False),
    "APIListChunking": Gate(GA, True, locked=True),
    "ServerSideApply": Gate(GA, True, locked=True),
    "ServerSideFieldValidation": Gate(GA, True, locked=True),
    "AggregatedDiscoveryEndpoint": Gate(BETA, True),
    "StructuredAuthenticationConfiguration": Gate(BETA, True),
    "StructuredAuthorizationConfiguration": Gate(BETA, True),
    "CRDValidationRatcheting": Gate(BETA, True),
    "AnonymousAuthConfigurableEndpoints": Gate(ALPHA, False),
    # client-go
    "InformerResourceVersion": Gate(ALPHA, False),
    "WatchListClient": Gate(BETA, False),
}

# Gates removed before v1.30 that users still pass (SecurityContextDeny went with its plugin).
REMOVED = {"SecurityContextDeny"}


class FeatureGateError(ValueError):
    pass


def _parse_bool(name: str, raw: str) -> bool:
    low = raw.strip().lower()
    if low in ("true", "1", "t"):
        return True
    if low in ("false", "0", "f"):
        return False
    raise FeatureGateError(f"invalid value of {name}={raw}, err: strconv.ParseBool: parsing {raw!r}: invalid syntax")


class FeatureGates:
    """The enabled set for one process; immutable after construction."""

    def __init__(self, overrides: dict[str, bool] | None = None) -> None:
        self._enabled = {name: gate.default for name, gate in KNOWN.items()}
        for name, value in (overrides or {}).items():
            gate = KNOWN.get(name)
            if gate is None:
                raise FeatureGateError(f"unrecognized feature gate: {name}")
            if gate.locked and value != gate.default:
                raise FeatureGateError(f"cannot set feature gate {name} to {str(value).lower()}, feature is locked to {str(gate.default).lower()}")
            self._enabled[name] = value

    @classmethod
    def parse(cls, spec: str | None) -> FeatureGates:
        """Parse `--feature-gates=A=true,B=false`."""
        overrides: dict[str, bool] = {}
        for part in (spec or "").split(","):
            part = part.strip()
            if not part:
                continue
            if "=" not in part:
                raise FeatureGateError(f"missing bool value for {part}")
            name, raw = part.split("=", 1)
            overrides[name.strip()] = _parse_bool(name.strip(), raw)
        return cls(overrides)

    def enabled(self, name: str) -> bool:
        return self._enabled[name]

    def __contains__(self, name: str) -> bool:
        return self._enabled.get(name, False)

    def as_dict(self) -> dict[str, bool]:
        return dict(self._enabled)


DEFAULT = FeatureGates()
