"""TaintToleration (Filter, Score): NoSchedule/NoExecute taints must be tolerated; untolerated
PreferNoSchedule taints lower the score.

Mirrors upstream `pkg/scheduler/framework/plugins/tainttoleration/taint_toleration.go` and
`Toleration.ToleratesTaint` from `k8s.io/api/core/v1`.
"""

from __future__ import annotations

from uwernetes.scheduler import framework

NAME = "TaintToleration"
WEIGHT = 3


def tolerates(toleration: dict, taint: dict) -> bool:
    effect = toleration.get("effect")
    if effect and effect != taint.get("effect"):
        return False
    key = toleration.get("key")
    if key and key != taint.get("key"):
        return False
    op = toleration.get("operator") or "Equal"
    if op == "Exists":
        return True
    if op == "Equal":
        return (toleration.get("value") or "") == (taint.get("value") or "")
    return False


def tolerates_any(tolerations: list[dict], taint: dict) -> bool:
    return any(tolerates(t, taint) for t in tolerations)


def find_untolerated(taints: list[dict], tolerations: list[dict]) -> dict | None:
    for taint in taints:
        if not tolerates_any(tolerations, taint):
            return taint
    return None


def filter(state: framework.CycleState, pod: framework.PodInfo, node: framework.NodeInfo) -> framework.Status | None:
    if not node.hard_taints:
        return None
    taint = find_untolerated(node.hard_taints, pod.tolerations)
    if taint is None:
        return None
    reason = f"node(s) had untolerated taint {{{taint.get('key', '')}: {taint.get('value') or ''}}}"
    return framework.unresolvable(reason, plugin=NAME)


def count_intolerable_prefer_no_schedule(taints: list[dict], tolerations: list[dict]) -> int:
    prefer = [t for t in tolerations if (t.get("effect") or "PreferNoSchedule") == "PreferNoSchedule"]
    return sum(1 for taint in taints if not tolerates_any(prefer, taint))


def score(state: framework.CycleState, pod: framework.PodInfo, node: framework.NodeInfo) -> int:
    if not node.soft_taints:
        return 0
    return count_intolerable_prefer_no_schedule(node.soft_taints, pod.tolerations)


def default_normalize(scores: list[int], reverse: bool) -> None:
    """helper.DefaultNormalizeScore: scale to 0..100 by the maximum, optionally reversed."""
    top = max(scores, default=0)
    if top == 0:
        if reverse:
            scores[:] = [framework.MAX_NODE_SCORE] * len(scores)
        return
    for i, s in enumerate(scores):
        s = framework.MAX_NODE_SCORE * s // top
        scores[i] = framework.MAX_NODE_SCORE - s if reverse else s


def normalize(state: framework.CycleState, pod: framework.PodInfo, scores: list[int]) -> None:
    default_normalize(scores, reverse=True)
