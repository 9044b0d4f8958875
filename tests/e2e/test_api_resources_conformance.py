"""Discovery conformance: `kubectl api-resources [-o wide]` row for row against a default v1.30
kube-apiserver (plus the snapshot.storage.k8s.io CRDs), and `kubectl get all` against category "all".

UPSTREAM is what `kubectl api-resources -o wide` prints on kind v1.30 (derived from
pkg/registry/*/rest/storage_*.go and the REST ShortNames/Categories, with the alpha and beta
groups off as they are by default), ordered as kubectl sorts it (group, then resource name).
NOT_SERVED names the upstream rows Uwernetes does not serve yet: the test fails when one of them
appears (update the set then) as much as when any served row differs.
"""

from __future__ import annotations

import re

import pytest
from kubeutil import ensure_namespace

pytestmark = pytest.mark.e2e

CRUD = "create,delete,deletecollection,get,list,patch,update,watch"
NO_COLLECTION = "create,delete,get,list,patch,update,watch"
EXT = "api-extensions"

# (name, shortnames, apiVersion, namespaced, kind, verbs, categories)
UPSTREAM: list[tuple[str, str, str, str, str, str, str]] = [
    ("bindings", "", "v1", "true", "Binding", "create", ""),
    ("componentstatuses", "cs", "v1", "false", "ComponentStatus", "get,list", ""),
    ("configmaps", "cm", "v1", "true", "ConfigMap", CRUD, ""),
    ("endpoints", "ep", "v1", "true", "Endpoints", CRUD, ""),
    ("events", "ev", "v1", "true", "Event", CRUD, ""),
    ("limitranges", "limits", "v1", "true", "LimitRange", CRUD, ""),
    ("namespaces", "ns", "v1", "false", "Namespace", NO_COLLECTION, ""),
    ("nodes", "no", "v1", "false", "Node", CRUD, ""),
    ("persistentvolumeclaims", "pvc", "v1", "true", "PersistentVolumeClaim", CRUD, ""),
    ("persistentvolumes", "pv", "v1", "false", "PersistentVolume", CRUD, ""),
    ("pods", "po", "v1", "true", "Pod", CRUD, "all"),
    ("podtemplates", "", "v1", "true", "PodTemplate", CRUD, ""),
    ("replicationcontrollers", "rc", "v1", "true", "ReplicationController", CRUD, "all"),
    ("resourcequotas", "quota", "v1", "true", "ResourceQuota", CRUD, ""),
    ("secrets", "", "v1", "true", "Secret", CRUD, ""),
    ("serviceaccounts", "sa", "v1", "true", "ServiceAccount", CRUD, ""),
    # Services have had deletecollection since the 1.25 storage rewrite (a conformance test uses it).
    ("services", "svc", "v1", "true", "Service", CRUD, "all"),
    ("mutatingwebhookconfigurations", "", "admissionregistration.k8s.io/v1", "false",
     "MutatingWebhookConfiguration", CRUD, EXT),
    ("validatingadmissionpolicies", "", "admissionregistration.k8s.io/v1", "false",
     "ValidatingAdmissionPolicy", CRUD, EXT),
    ("validatingadmissionpolicybindings", "", "admissionregistration.k8s.io/v1", "false",
     "ValidatingAdmissionPolicyBinding", CRUD, EXT),
    ("validatingwebhookconfigurations", "", "admissionregistration.k8s.io/v1", "false",
     "ValidatingWebhookConfiguration", CRUD, EXT),
    ("customresourcedefinitions", "crd,crds", "apiextensions.k8s.io/v1", "false", "CustomResourceDefinition", CRUD, EXT),
    ("apiservices", "", "apiregistration.k8s.io/v1", "false", "APIService", CRUD, EXT),
    ("controllerrevisions", "", "apps/v1", "true", "ControllerRevision", CRUD, ""),
    ("daemonsets", "ds", "apps/v1", "true", "DaemonSet", CRUD, "all"),
    ("deployments", "deploy", "apps/v1", "true", "Deployment", CRUD, "all"),
    ("replicasets", "rs", "apps/v1", "true", "ReplicaSet", CRUD, "all"),
    ("statefulsets", "sts", "apps/v1", "true", "StatefulSet", CRUD, "all"),
    ("selfsubjectreviews", "", "authentication.k8s.io/v1", "false", "SelfSubjectReview", "create", ""),
    ("tokenreviews", "", "authentication.k8s.io/v1", "false", "TokenReview", "create", ""),
    ("localsubjectaccessreviews", "", "authorization.k8s.io/v1", "true", "LocalSubjectAccessReview", "create", ""),
    ("selfsubjectaccessreviews", "", "authorization.k8s.io/v1", "false", "SelfSubjectAccessReview", "create", ""),
    ("selfsubjectrulesreviews", "", "authorization.k8s.io/v1", "false", "SelfSubjectRulesReview", "create", ""),
    ("subjectaccessreviews", "", "authorization.k8s.io/v1", "false", "SubjectAccessReview", "create", ""),
    ("horizontalpodautoscalers", "hpa", "autoscaling/v2", "true", "HorizontalPodAutoscaler", CRUD, "all"),
    ("cronjobs", "cj", "batch/v1", "true", "CronJob", CRUD, "all"),
    ("jobs", "", "batch/v1", "true", "Job", CRUD, "all"),
    ("certificatesigningrequests", "csr", "certificates.k8s.io/v1", "false", "CertificateSigningRequest", CRUD, ""),
    ("leases", "", "coordination.k8s.io/v1", "true", "Lease", CRUD, ""),
    ("endpointslices", "", "discovery.k8s.io/v1", "true", "EndpointSlice", CRUD, ""),
    ("events", "ev", "events.k8s.io/v1", "true", "Event", CRUD, ""),
    ("flowschemas", "", "flowcontrol.apiserver.k8s.io/v1", "false", "FlowSchema", CRUD, ""),
    ("prioritylevelconfigurations", "", "flowcontrol.apiserver.k8s.io/v1", "false",
     "PriorityLevelConfiguration", CRUD, ""),
    ("ingressclasses", "", "networking.k8s.io/v1", "false", "IngressClass", CRUD, ""),
    ("ingresses", "ing", "networking.k8s.io/v1", "true", "Ingress", CRUD, ""),
    ("networkpolicies", "netpol", "networking.k8s.io/v1", "true", "NetworkPolicy", CRUD, ""),
    ("runtimeclasses", "", "node.k8s.io/v1", "false", "RuntimeClass", CRUD, ""),
    ("poddisruptionbudgets", "pdb", "policy/v1", "true", "PodDisruptionBudget", CRUD, ""),
    ("clusterrolebindings", "", "rbac.authorization.k8s.io/v1", "false", "ClusterRoleBinding", CRUD, ""),
    ("clusterroles", "", "rbac.authorization.k8s.io/v1", "false", "ClusterRole", CRUD, ""),
    ("rolebindings", "", "rbac.authorization.k8s.io/v1", "true", "RoleBinding", CRUD, ""),
    ("roles", "", "rbac.authorization.k8s.io/v1", "true", "Role", CRUD, ""),
    ("priorityclasses", "pc", "scheduling.k8s.io/v1", "false", "PriorityClass", CRUD, ""),
    # The external-snapshotter CRDs (v8 manifests): short names, no categories.
    ("volumesnapshotclasses", "vsclass,vsclasses", "snapshot.storage.k8s.io/v1", "false", "VolumeSnapshotClass", CRUD, ""),
    ("volumesnapshotcontents", "vsc,vscs", "snapshot.storage.k8s.io/v1", "false", "VolumeSnapshotContent", CRUD, ""),
    ("volumesnapshots", "vs", "snapshot.storage.k8s.io/v1", "true", "VolumeSnapshot", CRUD, ""),
    ("csidrivers", "", "storage.k8s.io/v1", "false", "CSIDriver", CRUD, ""),
    ("csinodes", "", "storage.k8s.io/v1", "false", "CSINode", CRUD, ""),
    ("csistoragecapacities", "", "storage.k8s.io/v1", "true", "CSIStorageCapacity", CRUD, ""),
    ("storageclasses", "sc", "storage.k8s.io/v1", "false", "StorageClass", CRUD, ""),
    ("volumeattachments", "", "storage.k8s.io/v1", "false", "VolumeAttachment", CRUD, ""),
]

# Upstream rows Uwernetes does not serve (yet): (name, apiVersion).
NOT_SERVED: set[tuple[str, str]] = set()

EXPECTED = [row for row in UPSTREAM if (row[0], row[2]) not in NOT_SERVED]
WIDE_HEADER = ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND", "VERBS", "CATEGORIES"]
VERSIONS = ("1.30", "1.32")


def columns(text: str) -> tuple[list[str], list[tuple[str, ...]]]:
    """Split kubectl's tabwriter output by the header's column starts (cells may be empty)."""
    lines = text.splitlines()
    header = lines[0]
    starts = [m.start() for m in re.finditer(r"\S+", header)]
    names = header.split()
    bounds = [*starts[1:], None]
    rows = [tuple(line[a:b].strip() for a, b in zip(starts, bounds, strict=True)) for line in lines[1:] if line.strip()]
    return names, rows


def test_expected_table_is_consistent():
    # The table itself: sorted as kubectl sorts, no duplicates, every not-served row is real.
    keys = [(r[2].rpartition("/")[0], r[0]) for r in UPSTREAM]
    assert keys == sorted(keys)
    assert len({(r[0], r[2]) for r in UPSTREAM}) == len(UPSTREAM)
    assert NOT_SERVED <= {(r[0], r[2]) for r in UPSTREAM}


@pytest.mark.parametrize("version", VERSIONS)
def test_api_resources_wide(cluster, version):
    header, rows = columns(cluster.kubectl("api-resources", "-o", "wide", version=version).stdout)
    assert header == WIDE_HEADER
    assert [r for r in rows if (r[0], r[2]) in NOT_SERVED] == []
    assert rows == EXPECTED


@pytest.mark.parametrize("version", VERSIONS)
def test_api_resources_plain(cluster, version):
    header, rows = columns(cluster.kubectl("api-resources", version=version).stdout)
    assert header == WIDE_HEADER[:5]
    assert rows == [r[:5] for r in EXPECTED]


def test_api_resources_filters(cluster):
    # --namespaced, --api-group, --verbs and -o name are all computed client-side from discovery.
    out = cluster.kubectl("api-resources", "--namespaced=false", "--api-group=storage.k8s.io").stdout
    assert [r[0] for r in columns(out)[1]] == ["csidrivers", "csinodes", "storageclasses", "volumeattachments"]
    out = cluster.kubectl("api-resources", "--api-group=", "--verbs=list", "--namespaced=true").stdout
    assert [r[0] for r in columns(out)[1]] == [
        r[0] for r in EXPECTED if r[2] == "v1" and r[3] == "true" and "list" in r[5].split(",")
    ]
    names = cluster.kubectl("api-resources", "-o", "name", "--api-group=apps").stdout.split()
    assert names == ["controllerrevisions.apps", "daemonsets.apps", "deployments.apps", "replicasets.apps",
                     "statefulsets.apps"]
    out = cluster.kubectl("api-resources", "--categories=all", "-o", "name").stdout.split()
    assert out == ["pods", "replicationcontrollers", "services", "daemonsets.apps", "deployments.apps",
                   "replicasets.apps", "statefulsets.apps", "horizontalpodautoscalers.autoscaling",
                   "cronjobs.batch", "jobs.batch"]


@pytest.mark.parametrize(
    ("short", "resource"),
    [
        ("cm", "configmaps"), ("ep", "endpoints"), ("ev", "events"), ("limits", "limitranges"),
        ("ns", "namespaces"), ("no", "nodes"), ("pvc", "persistentvolumeclaims"), ("pv", "persistentvolumes"),
        ("po", "pods"), ("rc", "replicationcontrollers"), ("quota", "resourcequotas"),
        ("sa", "serviceaccounts"), ("svc", "services"), ("cs", "componentstatuses"),
        ("crd", "customresourcedefinitions.apiextensions.k8s.io"),
        ("crds", "customresourcedefinitions.apiextensions.k8s.io"),
        ("deploy", "deployments.apps"), ("ds", "daemonsets.apps"), ("rs", "replicasets.apps"),
        ("sts", "statefulsets.apps"), ("hpa", "horizontalpodautoscalers.autoscaling"),
        ("cj", "cronjobs.batch"), ("csr", "certificatesigningrequests.certificates.k8s.io"),
        ("ing", "ingresses.networking.k8s.io"), ("netpol", "networkpolicies.networking.k8s.io"),
        ("pdb", "poddisruptionbudgets.policy"), ("pc", "priorityclasses.scheduling.k8s.io"),
        ("sc", "storageclasses.storage.k8s.io"), ("vs", "volumesnapshots.snapshot.storage.k8s.io"),
        ("vsc", "volumesnapshotcontents.snapshot.storage.k8s.io"),
        ("vscs", "volumesnapshotcontents.snapshot.storage.k8s.io"),
        ("vsclass", "volumesnapshotclasses.snapshot.storage.k8s.io"),
        ("vsclasses", "volumesnapshotclasses.snapshot.storage.k8s.io"),
    ],
)
def test_short_name_resolves(cluster, short, resource):
    # kubectl maps the short name through discovery; the 404 names the resource it picked.
    out = cluster.kubectl("get", short, "no-such-object", "-n", "default", check=False)
    assert out.returncode == 1
    warning = ""
    if short == "ev":  # both event groups carry "ev"; upstream kubectl warns the same way
        warning = 'Warning: short name "ev" could also match lower priority resource events.events.k8s.io\n'
    assert out.stderr == f'{warning}Error from server (NotFound): {resource} "no-such-object" not found\n'


# --- kubectl get all ---

NS = "get-all"
TEMPLATE = {"metadata": {"labels": {"app": "x"}}, "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]}}
SELECTOR = {"matchLabels": {"app": "x"}}
OBJECTS = [
    ("/api/v1", "pods", {"kind": "Pod", "metadata": {"name": "p1"}, "spec": TEMPLATE["spec"]}),
    ("/api/v1", "services", {"kind": "Service", "metadata": {"name": "s1"},
                             "spec": {"selector": {"app": "x"}, "ports": [{"port": 80}]}}),
    ("/api/v1", "replicationcontrollers", {"kind": "ReplicationController", "metadata": {"name": "rc1"},
                                           "spec": {"replicas": 0, "selector": {"app": "x"}, "template": TEMPLATE}}),
    ("/apis/apps/v1", "daemonsets", {"kind": "DaemonSet", "metadata": {"name": "ds1"},
                                     "spec": {"selector": SELECTOR, "template": TEMPLATE}}),
    ("/apis/apps/v1", "deployments", {"kind": "Deployment", "metadata": {"name": "d1"},
                                      "spec": {"replicas": 0, "selector": SELECTOR, "template": TEMPLATE}}),
    ("/apis/apps/v1", "replicasets", {"kind": "ReplicaSet", "metadata": {"name": "rs1"},
                                      "spec": {"replicas": 0, "selector": SELECTOR, "template": TEMPLATE}}),
    ("/apis/apps/v1", "statefulsets", {"kind": "StatefulSet", "metadata": {"name": "sts1"},
                                       "spec": {"replicas": 0, "selector": SELECTOR, "serviceName": "s1",
                                                "template": TEMPLATE}}),
    ("/apis/autoscaling/v2", "horizontalpodautoscalers", {
        "kind": "HorizontalPodAutoscaler", "metadata": {"name": "hpa1"},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "d1"},
                 "minReplicas": 1, "maxReplicas": 3}}),
    ("/apis/batch/v1", "cronjobs", {"kind": "CronJob", "metadata": {"name": "cj1"},
                                    "spec": {"schedule": "0 0 * * *", "jobTemplate": {"spec": {"template": {
                                        "spec": {**TEMPLATE["spec"], "restartPolicy": "Never"}}}}}}),
    ("/apis/batch/v1", "jobs", {"kind": "Job", "metadata": {"name": "j1"}, "spec": {"suspend": True, "template": {
        "spec": {**TEMPLATE["spec"], "restartPolicy": "Never"}}}}),
    # Outside category "all": must not be listed.
    ("/api/v1", "configmaps", {"kind": "ConfigMap", "metadata": {"name": "cm1"}}),
    ("/api/v1", "secrets", {"kind": "Secret", "metadata": {"name": "sec1"}}),
    ("/api/v1", "serviceaccounts", {"kind": "ServiceAccount", "metadata": {"name": "sa1"}}),
    ("/api/v1", "persistentvolumeclaims", {"kind": "PersistentVolumeClaim", "metadata": {"name": "pvc1"}, "spec": {
        "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}),
    ("/apis/apps/v1", "controllerrevisions", {"kind": "ControllerRevision", "metadata": {"name": "cr1"}, "revision": 1,
                                             "data": {}}),
    ("/apis/policy/v1", "poddisruptionbudgets", {"kind": "PodDisruptionBudget", "metadata": {"name": "pdb1"},
                                                  "spec": {"minAvailable": 1, "selector": SELECTOR}}),
    ("/apis/networking.k8s.io/v1", "networkpolicies", {"kind": "NetworkPolicy", "metadata": {"name": "np1"},
                                                       "spec": {"podSelector": {}}}),
    ("/apis/coordination.k8s.io/v1", "leases", {"kind": "Lease", "metadata": {"name": "l1"}}),
    ("/apis/discovery.k8s.io/v1", "endpointslices", {"kind": "EndpointSlice", "metadata": {"name": "es1"},
                                                     "addressType": "IPv4", "endpoints": []}),
]

# Header and row of each block of `kubectl get all -n get-all`, in kubectl's order (discovery
# order of the "all" category), with AGE (and the service's allocated IP) left out. No controllers
# run here, so workloads stay at zero and the suspended Job has no Suspended condition ("Running").
GET_ALL = [
    (["NAME", "READY", "STATUS", "RESTARTS", "AGE"], ["pod/p1", "0/1", "Pending", "0"]),
    (["NAME", "DESIRED", "CURRENT", "READY", "AGE"], ["replicationcontroller/rc1", "0", "0", "0"]),
    (["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"], ["service/s1", "ClusterIP", "<ip>", "<none>", "80/TCP"]),
    (["NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE SELECTOR", "AGE"],
     ["daemonset.apps/ds1", "0", "0", "0", "0", "0", "<none>"]),
    (["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"], ["deployment.apps/d1", "0/0", "0", "0"]),
    (["NAME", "DESIRED", "CURRENT", "READY", "AGE"], ["replicaset.apps/rs1", "0", "0", "0"]),
    (["NAME", "READY", "AGE"], ["statefulset.apps/sts1", "0/0"]),
    (["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"],
     ["horizontalpodautoscaler.autoscaling/hpa1", "Deployment/d1", "cpu: <unknown>/80%", "1", "3", "0"]),
    (["NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST SCHEDULE", "AGE"],
     ["cronjob.batch/cj1", "0 0 * * *", "<none>", "False", "0", "<none>"]),
    (["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"], ["job.batch/j1", "Running", "0/1", ""]),
]


@pytest.fixture(scope="module")
def all_objects(cluster):
    api = cluster.client()
    ensure_namespace(api, NS)
    for prefix, plural, body in OBJECTS:
        body = {"apiVersion": prefix.removeprefix("/api/").removeprefix("/apis/"), **body}
        r = api.post(f"{prefix}/namespaces/{NS}/{plural}", json=body)
        assert r.status_code == 201, r.text
    return api


def blocks(text: str) -> list[list[list[str]]]:
    """`kubectl get all` prints one table per kind, separated by blank lines."""
    out: list[list[list[str]]] = []
    for chunk in text.strip().split("\n\n"):
        lines = chunk.splitlines()
        starts = [m.start() for m in re.finditer(r"\S+(?: \S+)*", lines[0])]
        bounds = [*starts[1:], None]
        out.append([[line[a:b].strip() for a, b in zip(starts, bounds, strict=True)] for line in lines])
    return out


@pytest.mark.parametrize("version", VERSIONS)
def test_get_all_in_namespace(cluster, all_objects, version):
    got = blocks(cluster.kubectl("get", "all", "-n", NS, version=version).stdout)
    assert len(got) == len(GET_ALL), got
    for table, (header, row) in zip(got, GET_ALL, strict=True):
        assert table[0] == header
        assert len(table) == 2, table
        cells = table[1][:-1]  # without AGE
        assert re.fullmatch(r"\d+[smhd]|<unknown>", table[1][-1]), table[1]
        if cells[0] == "service/s1":
            assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", cells[2])
            cells[2] = "<ip>"
        assert cells == row


def test_get_all_across_namespaces(cluster, all_objects):
    out = cluster.kubectl("get", "all", "-A", "-o", "name").stdout.split()
    mine = sorted(n for n in out if n.split("/")[1] in {"p1", "s1", "rc1", "ds1", "d1", "rs1", "sts1", "hpa1", "cj1", "j1"})
    assert mine == sorted(["pod/p1", "service/s1", "replicationcontroller/rc1", "daemonset.apps/ds1",
                           "deployment.apps/d1", "replicaset.apps/rs1", "statefulset.apps/sts1",
                           "horizontalpodautoscaler.autoscaling/hpa1", "cronjob.batch/cj1", "job.batch/j1"])
    kinds = {n.split("/")[0] for n in out}
    assert kinds <= {"pod", "service", "replicationcontroller", "daemonset.apps", "deployment.apps",
                     "replicaset.apps", "statefulset.apps", "horizontalpodautoscaler.autoscaling",
                     "cronjob.batch", "job.batch"}
    assert "service/kubernetes" in out
    # The wide table form carries the NAMESPACE column for every block.
    table = cluster.kubectl("get", "all", "-A").stdout
    headers = [chunk.splitlines()[0].split()[0] for chunk in table.strip().split("\n\n")]
    assert set(headers) == {"NAMESPACE"}
    assert re.search(rf"^{NS}\s+pod/p1\s+0/1\s+Pending\s+0\s+\S+$", table, re.M)
