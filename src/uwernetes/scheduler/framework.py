"""The scheduling framework's vocabulary: statuses, the per-pod and per-node views, cycle state.

Mirrors upstream v1.30 `pkg/scheduler/framework/interface.go` (Code, Status), `types.go`
(PodInfo, NodeInfo, FitError) and `cycle_state.go`. Pods and nodes stay plain dicts; `PodInfo`
and `NodeInfo` hold what the plugins read, parsed once when the informer delivers the object, so a
scheduling cycle does no parsing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from uwernetes.machinery import selectors
from uwernetes.scheduler import resources

# Status codes (framework.Code).
SUCCESS, ERROR, UNSCHEDULABLE, UNRESOLVABLE, WAIT, SKIP, PENDING = range(7)
MAX_NODE_SCORE = 100


@dataclass(frozen=True, slots=True)
class Status:
    code: int
    reasons: tuple[str, ...] = ()
    plugin: str = ""

    @property
    def message(self) -> str:
        return ", ".join(self.reasons)

    def is_success(self) -> bool:
        return self.code == SUCCESS


def unschedulable(*reasons: str, plugin: str = "") -> Status:
    return Status(UNSCHEDULABLE, reasons, plugin)


def unresolvable(*reasons: str, plugin: str = "") -> Status:
    return Status(UNRESOLVABLE, reasons, plugin)


class CycleState(dict):
    """Data one plugin computes in PreFilter/PreScore and reads back in Filter/Score."""


def pod_key(pod: dict) -> str:
    m = pod.get("metadata") or {}
    return f"{m.get('namespace', '')}/{m.get('name', '')}"


# --------------------------------------------------------------------------------------------
# PodInfo
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class AffinityTerm:
    selector: selectors.LabelSelector
    namespaces: frozenset[str] | None  # None: every namespace (empty namespaceSelector)
    topology_key: str
    weight: int = 0

    def matches(self, pod: PodInfo) -> bool:
        if self.namespaces is not None and pod.namespace not in self.namespaces:
            return False
        return self.selector.matches(pod.labels)


@dataclass(slots=True)
class SpreadConstraint:
    max_skew: int
    topology_key: str
    when_unsatisfiable: str
    selector: selectors.LabelSelector
    min_domains: int
    honor_node_affinity: bool
    honor_node_taints: bool
    owner_uid: str = ""  # system default constraints select the pods of the same controller

    def matches(self, pod: PodInfo, namespace: str) -> bool:
        if pod.namespace != namespace or pod.deleting:
            return False
        if self.owner_uid:
            return pod.owner_uid == self.owner_uid
        return self.selector.matches(pod.labels)

    def count_on(self, node: NodeInfo, namespace: str) -> int:
        """countPodsMatchSelector: matching pods on a node, terminating ones left out."""
        if self.owner_uid:
            return node.owner_counts.get((namespace, self.owner_uid), 0)
        return sum(1 for p in node.pods.values() if self.matches(p, namespace))


def _selector(sel: dict | None) -> selectors.LabelSelector:
    try:
        parsed = selectors.selector_from_label_selector(sel)
    except ValueError:
        parsed = None
    # A nil selector matches nothing: an impossible requirement says so.
    return parsed if parsed is not None else selectors.LabelSelector([selectors.Requirement("", "in", ())])


def _affinity_terms(pod_ns: str, terms: list | None, weighted: bool = False) -> list[AffinityTerm]:
    out = []
    for t in terms or ():
        term = t.get("podAffinityTerm") or {} if weighted else t
        namespaces = set(term.get("namespaces") or ())
        ns_sel = term.get("namespaceSelector")
        if ns_sel is not None and not (ns_sel.get("matchLabels") or ns_sel.get("matchExpressions")):
            ns_set = None  # an empty namespaceSelector selects every namespace
        else:
            if not namespaces and ns_sel is None:
                namespaces.add(pod_ns)
            ns_set = frozenset(namespaces)
        out.append(AffinityTerm(_selector(term.get("labelSelector")), ns_set, term.get("topologyKey", ""),
                                t.get("weight", 0) if weighted else 0))
    return out


def _spread_constraints(pod: dict, labels: dict) -> list[SpreadConstraint]:
    out = []
    for c in (pod.get("spec") or {}).get("topologySpreadConstraints") or ():
        sel = _selector(c.get("labelSelector"))
        # matchLabelKeys (beta, on in v1.30): the pod's own values narrow the selector.
        extra = [selectors.Requirement(k, "in", (labels[k],)) for k in c.get("matchLabelKeys") or () if k in labels]
        if extra and c.get("labelSelector") is not None:
            sel = selectors.LabelSelector([*sel.requirements, *extra])
        out.append(SpreadConstraint(
            int(c.get("maxSkew") or 1), c.get("topologyKey", ""), c.get("whenUnsatisfiable", "DoNotSchedule"),
            sel, int(c.get("minDomains") or 1), c.get("nodeAffinityPolicy", "Honor") == "Honor",
            c.get("nodeTaintsPolicy", "Ignore") == "Honor"))
    return out


class PodInfo:
    """What the plugins read from one pod, parsed once."""

    __slots__ = ("pod", "key", "namespace", "name", "uid", "labels", "priority", "requests", "nz_cpu", "nz_mem",
                 "ports", "tolerations", "node_selector", "required_terms", "preferred_terms", "spread",
                 "affinity", "anti_affinity", "simple", "node_name", "deleting", "owner_uid")

    def __init__(self, pod: dict) -> None:
        meta = pod.get("metadata") or {}
        spec = pod.get("spec") or {}
        self.pod = pod
        self.namespace = meta.get("namespace", "")
        self.name = meta.get("name", "")
        self.key = f"{self.namespace}/{self.name}"
        self.uid = meta.get("uid", "")
        self.labels: dict[str, str] = meta.get("labels") or {}
        self.deleting = bool(meta.get("deletionTimestamp"))
        self.owner_uid = next((o.get("uid", "") for o in meta.get("ownerReferences") or () if o.get("controller")), "")
        self.priority = int(spec.get("priority") or 0)
        self.node_name = spec.get("nodeName", "")
        self.requests = resources.pod_requests(pod)
        self.nz_cpu, self.nz_mem = resources.non_zero_requests(pod)
        self.ports = [(p.get("hostIP") or "0.0.0.0", p.get("protocol") or "TCP", int(p["hostPort"]))
                      for c in spec.get("containers") or () for p in c.get("ports") or () if p.get("hostPort")]
        self.tolerations: list[dict] = spec.get("tolerations") or []
        self.node_selector: dict[str, str] = spec.get("nodeSelector") or {}
        affinity = spec.get("affinity") or {}
        node_aff = affinity.get("nodeAffinity") or {}
        required = node_aff.get("requiredDuringSchedulingIgnoredDuringExecution")
        self.required_terms: list[dict] | None = (required or {}).get("nodeSelectorTerms") if required else None
        self.preferred_terms: list[dict] = node_aff.get("preferredDuringSchedulingIgnoredDuringExecution") or []
        self.spread = _spread_constraints(pod, self.labels)
        pa = affinity.get("podAffinity") or {}
        paa = affinity.get("podAntiAffinity") or {}
        self.affinity = _affinity_terms(self.namespace, pa.get("requiredDuringSchedulingIgnoredDuringExecution"))
        self.anti_affinity = _affinity_terms(self.namespace, paa.get("requiredDuringSchedulingIgnoredDuringExecution"))
        # A simple pod is judged only by resources, taints and unschedulable nodes, so nodes in
        # the same state are interchangeable for it (the fast path memoises per node state).
        self.simple = not (self.ports or self.node_selector or self.required_terms is not None or self.preferred_terms
                           or self.spread or self.affinity or self.anti_affinity or self.node_name)

    def __repr__(self) -> str:
        return f"PodInfo({self.key})"


# --------------------------------------------------------------------------------------------
# NodeInfo
# --------------------------------------------------------------------------------------------

HARD_EFFECTS = ("NoSchedule", "NoExecute")
LABEL_ZONE = "topology.kubernetes.io/zone"
LABEL_HOSTNAME = "kubernetes.io/hostname"


class NodeInfo:
    """A node and the pods on it (assumed ones included), with running totals."""

    __slots__ = ("name", "node", "labels", "unschedulable", "hard_taints", "soft_taints", "allocatable",
                 "alloc_cpu", "alloc_mem", "alloc_pods", "requested", "nz_cpu", "nz_mem", "pods", "used_ports",
                 "owner_counts", "_state_key")

    def __init__(self, name: str) -> None:
        self.name = name
        self.node: dict = {}
        self.labels: dict[str, str] = {}
        self.unschedulable = False
        self.hard_taints: list[dict] = []
        self.soft_taints: list[dict] = []
        self.allocatable: resources.Requests = {}
        self.alloc_cpu = self.alloc_mem = self.alloc_pods = 0
        self.requested: resources.Requests = {}
        self.nz_cpu = self.nz_mem = 0
        self.pods: dict[str, PodInfo] = {}
        self.used_ports: dict[tuple[str, str, int], int] = {}
        self.owner_counts: dict[tuple[str, str], int] = {}
        self._state_key: tuple | None = None

    def set_node(self, node: dict) -> None:
        spec = node.get("spec") or {}
        self.node = node
        self.labels = (node.get("metadata") or {}).get("labels") or {}
        self.unschedulable = bool(spec.get("unschedulable"))
        taints = spec.get("taints") or []
        self.hard_taints = [t for t in taints if t.get("effect") in HARD_EFFECTS]
        self.soft_taints = [t for t in taints if t.get("effect") == "PreferNoSchedule"]
        self.allocatable = resources.resource_list((node.get("status") or {}).get("allocatable"))
        self.alloc_cpu = self.allocatable.get(resources.CPU, 0)
        self.alloc_mem = self.allocatable.get(resources.MEMORY, 0)
        self.alloc_pods = self.allocatable.get(resources.PODS, 0)
        self._state_key = None

    def add_pod(self, pi: PodInfo) -> None:
        self.pods[pi.key] = pi
        req = self.requested
        for k, v in pi.requests.items():
            req[k] = req.get(k, 0) + v
        self.nz_cpu += pi.nz_cpu
        self.nz_mem += pi.nz_mem
        for p in pi.ports:
            self.used_ports[p] = self.used_ports.get(p, 0) + 1
        if pi.owner_uid and not pi.deleting:
            k = (pi.namespace, pi.owner_uid)
            self.owner_counts[k] = self.owner_counts.get(k, 0) + 1
        self._state_key = None

    def remove_pod(self, key: str) -> PodInfo | None:
        pi = self.pods.pop(key, None)
        if pi is None:
            return None
        req = self.requested
        for k, v in pi.requests.items():
            req[k] = req.get(k, 0) - v
        self.nz_cpu -= pi.nz_cpu
        self.nz_mem -= pi.nz_mem
        for p in pi.ports:
            n = self.used_ports.get(p, 0) - 1
            if n > 0:
                self.used_ports[p] = n
            else:
                self.used_ports.pop(p, None)
        if pi.owner_uid and not pi.deleting:
            k = (pi.namespace, pi.owner_uid)
            n = self.owner_counts.get(k, 0) - 1
            if n > 0:
                self.owner_counts[k] = n
            else:
                self.owner_counts.pop(k, None)
        self._state_key = None
        return pi

    @property
    def state_key(self) -> tuple:
        """Everything a simple pod's filters and scores depend on, except its controller's pods on
        this very node (default spreading); equal keys, equal verdicts."""
        if self._state_key is None:
            self._state_key = (
                self.unschedulable, tuple(map(_taint_key, self.hard_taints)), tuple(map(_taint_key, self.soft_taints)),
                tuple(sorted(self.allocatable.items())), tuple(sorted((k, v) for k, v in self.requested.items() if v)),
                self.nz_cpu, self.nz_mem, len(self.pods),
                # what default topology spreading reads of a node besides its own pods
                self.labels.get(LABEL_ZONE), LABEL_HOSTNAME in self.labels)
        return self._state_key

    def clone(self) -> NodeInfo:
        """A copy whose pod set can change without touching this one (preemption dry runs)."""
        c = NodeInfo(self.name)
        c.set_node(self.node) if self.node else None
        for pi in self.pods.values():
            c.add_pod(pi)
        return c

    def __repr__(self) -> str:
        return f"NodeInfo({self.name}, pods={len(self.pods)})"


def _taint_key(t: dict) -> tuple[str, str, str]:
    return (t.get("key", ""), t.get("value", ""), t.get("effect", ""))


def make_node_info(node: dict, pods: list[dict] | tuple = ()) -> NodeInfo:
    """A NodeInfo from objects (tests, and the cache when a node appears)."""
    ni = NodeInfo((node.get("metadata") or {}).get("name", ""))
    ni.set_node(node)
    for p in pods:
        ni.add_pod(p if isinstance(p, PodInfo) else PodInfo(p))
    return ni


# --------------------------------------------------------------------------------------------
# FitError
# --------------------------------------------------------------------------------------------

NO_NODE_AVAILABLE = "0/{} nodes are available"


@dataclass
class Diagnosis:
    node_statuses: dict[str, Status] = field(default_factory=dict)
    pre_filter_msg: str = ""
    post_filter_msg: str = ""
    unschedulable_plugins: set[str] = field(default_factory=set)


def fit_error_message(num_all_nodes: int, diagnosis: Diagnosis) -> str:
    """FitError.Error(): `0/N nodes are available: <count> <reason>, .... <postfilter>.`

    Reasons are counted over nodes and sorted as strings, like Go's sort.Strings on
    "<count> <reason>" (so "10 x" sorts before "2 y").
    """
    msg = NO_NODE_AVAILABLE.format(num_all_nodes) + ":"
    if diagnosis.pre_filter_msg:
        msg += f" {diagnosis.pre_filter_msg}."
    else:
        counts: dict[str, int] = {}
        for st in diagnosis.node_statuses.values():
            for r in st.reasons:
                counts[r] = counts.get(r, 0) + 1
        histogram = sorted(f"{n} {r}" for r, n in counts.items())
        if histogram:
            msg += f" {', '.join(histogram)}."
    if diagnosis.post_filter_msg:
        msg += f" {diagnosis.post_filter_msg}."
    return msg


def go_string_slice(items: list[str] | tuple[str, ...]) -> str:
    """fmt's %v of a []string: `[a b]`."""
    return "[" + " ".join(items) + "]"


def get(obj: dict, *path: str, default: Any = None) -> Any:
    for p in path:
        if not isinstance(obj, dict):
            return default
        obj = obj.get(p)  # type: ignore[assignment]
        if obj is None:
            return default
    return obj
