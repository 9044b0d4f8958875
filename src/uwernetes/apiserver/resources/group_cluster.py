"""The cluster-scoped infrastructure groups: storage.k8s.io, discovery.k8s.io, networking.k8s.io, node.k8s.io, scheduling.k8s.io, certificates.k8s.io, apiregistration.k8s.io, storagemigration.k8s.io, flowcontrol.apiserver.k8s.io, gathered for the catalogue (each kind lives in its own module)."""

from __future__ import annotations

from uwernetes.apiserver.resources.apiservices import APISERVICES
from uwernetes.apiserver.resources.base import ResourceType
from uwernetes.apiserver.resources.certificatesigningrequests import CERTIFICATESIGNINGREQUESTS
from uwernetes.apiserver.resources.csidrivers import CSIDRIVERS
from uwernetes.apiserver.resources.csinodes import CSINODES
from uwernetes.apiserver.resources.csistoragecapacities import CSISTORAGECAPACITIES
from uwernetes.apiserver.resources.endpointslices import ENDPOINTSLICES
from uwernetes.apiserver.resources.flowschemas import FLOWSCHEMAS
from uwernetes.apiserver.resources.ingressclasses import INGRESSCLASSES
from uwernetes.apiserver.resources.ingresses import INGRESSES
from uwernetes.apiserver.resources.networkpolicies import NETWORKPOLICIES
from uwernetes.apiserver.resources.priorityclasses import PRIORITYCLASSES
from uwernetes.apiserver.resources.prioritylevelconfigurations import PRIORITYLEVELCONFIGURATIONS
from uwernetes.apiserver.resources.runtimeclasses import RUNTIMECLASSES
from uwernetes.apiserver.resources.storageclasses import STORAGECLASSES
from uwernetes.apiserver.resources.storageversionmigrations import STORAGEVERSIONMIGRATIONS
from uwernetes.apiserver.resources.volumeattachments import VOLUMEATTACHMENTS

RESOURCES: list[ResourceType] = [
    PRIORITYCLASSES,
    STORAGECLASSES,
    CSIDRIVERS,
    CSINODES,
    VOLUMEATTACHMENTS,
    ENDPOINTSLICES,
    INGRESSES,
    INGRESSCLASSES,
    NETWORKPOLICIES,
    RUNTIMECLASSES,
    CERTIFICATESIGNINGREQUESTS,
    APISERVICES,
    STORAGEVERSIONMIGRATIONS,
    CSISTORAGECAPACITIES,
    FLOWSCHEMAS,
    PRIORITYLEVELCONFIGURATIONS,
]
