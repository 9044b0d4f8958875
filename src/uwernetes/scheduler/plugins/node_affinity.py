"""NodeAffinity (Filter, Score): nodeSelector and required node affinity must match; preferred
terms add their weights.

Mirrors upstream `pkg/scheduler/framework/plugins/nodeaffinity/node_affinity.go` and
`component-helpers/scheduling/corev1/nodeaffinity` (terms are ORed, expressions within a term
ANDed; a term with nothing in it matches nothing; `matchFields` knows only `metadata.name`).
"""

from __future__ import annotations

from uwernetes.scheduler import framework
from uwernetes.scheduler.plugins import taint_toleration

NAME = "NodeAffinity"
WEIGHT = 2
ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector"


def _int(text: str) -> int | None:
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def match_expression(expr: dict, labels: dict[str, str]) -> bool:
    key, op, values = expr.get("key", ""), expr.get("operator"), expr.get("values") or []
    if op == "In":
        return key in labels and labels[key] in values
    if op == "NotIn":
        return key not in labels or labels[key] not in values
    if op == "Exists":
        return key in labels
    if op == "DoesNotExist":
        return key not in labels
    if op in ("Gt", "Lt"):
        if key not in labels or len(values) != 1:
            return False
        have, want = _int(labels[key]), _int(values[0])
        if have is None or want is None:
            return False
        return have > want if op == "Gt" else have < want
    return False


def match_term(term: dict, labels: dict[str, str], node_name: str) -> bool:
    exprs = term.get("matchExpressions") or []
    fields = term.get("matchFields") or []
    if not exprs and not fields:
        return False
    if not all(match_expression(e, labels) for e in exprs):
        return False
    return all(f.get("key") == "metadata.name" and match_expression({**f, "key": "n"}, {"n": node_name})
               for f in fields)


def match_terms(terms: list[dict], labels: dict[str, str], node_name: str) -> bool:
    return any(match_term(t, labels, node_name) for t in terms)


def fits(pod: framework.PodInfo, node: framework.NodeInfo) -> bool:
    """GetRequiredNodeAffinity(pod).Match(node): nodeSelector and required terms."""
    labels = node.labels
    for k, v in pod.node_selector.items():
        if labels.get(k) != v:
            return False
    if pod.required_terms is not None:
        return match_terms(pod.required_terms, labels, node.name)
    return True


def filter(state: framework.CycleState, pod: framework.PodInfo, node: framework.NodeInfo) -> framework.Status | None:
    if fits(pod, node):
        return None
    return framework.unresolvable(ERR_REASON_POD, plugin=NAME)


def pre_score(state: framework.CycleState, pod: framework.PodInfo, nodes: list[framework.NodeInfo],
              all_nodes: list[framework.NodeInfo]) -> bool:
    return bool(pod.preferred_terms)


def score(state: framework.CycleState, pod: framework.PodInfo, node: framework.NodeInfo) -> int:
    total = 0
    for term in pod.preferred_terms:
        weight = term.get("weight", 0)
        if weight and match_term(term.get("preference") or {}, node.labels, node.name):
            total += weight
    return total


def normalize(state: framework.CycleState, pod: framework.PodInfo, scores: list[int]) -> None:
    taint_toleration.default_normalize(scores, reverse=False)
