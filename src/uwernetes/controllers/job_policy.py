"""Pure decisions of the Job controller: pod failure policy, back-off, conditions, pod ordering.

Mirrors upstream's `pkg/controller/job/pod_failure_policy.go`, `backoff_utils.go`, the condition
helpers of `job_controller.go` and `controller.ActivePods` (v1.30). No I/O and no clock: callers
pass `now`. Pods and Jobs are plain dicts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from uwernetes.machinery import meta

Obj = dict[str, Any]

TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking"
COMPLETION_INDEX_ANNOTATION = "batch.kubernetes.io/job-completion-index"
COMPLETION_INDEX_ENV = "JOB_COMPLETION_INDEX"
INDEX_FAILURE_COUNT_ANNOTATION = "batch.kubernetes.io/job-index-failure-count"
INDEX_IGNORED_FAILURE_COUNT_ANNOTATION = "batch.kubernetes.io/job-index-ignored-failure-count"
CONTROLLER_UID_LABEL = "batch.kubernetes.io/controller-uid"
JOB_NAME_LABEL = "batch.kubernetes.io/job-name"
JOB_CONTROLLER_NAME = "kubernetes.io/job-controller"
UNKNOWN_INDEX = -1
MAX_GENERATED_NAME_PREFIX = 58  # names.MaxGeneratedNameLength

DEFAULT_BACKOFF = 10.0  # DefaultJobPodFailureBackOff
MAX_BACKOFF = 600.0  # MaxJobPodFailureBackOff in the v1.30 code (the docs still say six minutes)

# Condition reasons and messages, as upstream words them.
BACKOFF_LIMIT_EXCEEDED = ("BackoffLimitExceeded", "Job has reached the specified backoff limit")
DEADLINE_EXCEEDED = ("DeadlineExceeded", "Job was active longer than specified deadline")
MAX_FAILED_INDEXES_EXCEEDED = ("MaxFailedIndexesExceeded", "Job has exceeded the specified maximal number of failed indexes")
FAILED_INDEXES = ("FailedIndexes", "Job has failed indexes")
REASON_POD_FAILURE_POLICY = "PodFailurePolicy"
REASON_SUCCESS_POLICY = "SuccessPolicy"


# --------------------------------------------------------------------------------------------
# small pod/job predicates
# --------------------------------------------------------------------------------------------


def phase(pod: Obj) -> str:
    return (pod.get("status") or {}).get("phase") or ""


def is_terminal(pod: Obj) -> bool:
    return phase(pod) in ("Succeeded", "Failed")


def is_deleting(pod: Obj) -> bool:
    return bool((pod.get("metadata") or {}).get("deletionTimestamp"))


def is_active(pod: Obj) -> bool:
    """controller.IsPodActive."""
    return not is_terminal(pod) and not is_deleting(pod)


def is_terminating(pod: Obj) -> bool:
    """controller.IsPodTerminating."""
    return not is_terminal(pod) and is_deleting(pod)


def is_ready(pod: Obj) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or ())


def has_tracking_finalizer(pod: Obj) -> bool:
    return TRACKING_FINALIZER in ((pod.get("metadata") or {}).get("finalizers") or ())


def completion_index(pod: Obj) -> int:
    """getCompletionIndex: the annotation as a non-negative integer, else UNKNOWN_INDEX."""
    raw = ((pod.get("metadata") or {}).get("annotations") or {}).get(COMPLETION_INDEX_ANNOTATION)
    if raw is None or not raw.isdigit() or not raw.isascii():
        return UNKNOWN_INDEX
    return int(raw)


def is_indexed(job: Obj) -> bool:
    return (job.get("spec") or {}).get("completionMode") == "Indexed"


def has_backoff_limit_per_index(job: Obj, enabled: bool = True) -> bool:
    return enabled and (job.get("spec") or {}).get("backoffLimitPerIndex") is not None


def is_suspended(job: Obj) -> bool:
    return bool((job.get("spec") or {}).get("suspend"))


def find_condition(job: Obj, ctype: str) -> Obj | None:
    for c in (job.get("status") or {}).get("conditions") or ():
        if c.get("type") == ctype:
            return c
    return None


def has_true_condition(job: Obj, ctype: str) -> bool:
    c = find_condition(job, ctype)
    return c is not None and c.get("status") == "True"


def is_finished(job: Obj) -> bool:
    """util.IsJobFinished: Complete or Failed is True."""
    return has_true_condition(job, "Complete") or has_true_condition(job, "Failed")


def only_replace_failed_pods(job: Obj, *, replacement_gate: bool = True, failure_policy_gate: bool = True) -> bool:
    spec = job.get("spec") or {}
    if replacement_gate and spec.get("podReplacementPolicy") == "Failed":
        return True
    return failure_policy_gate and spec.get("podFailurePolicy") is not None


def is_pod_failed(pod: Obj, job: Obj, *, only_failed: bool, disruption_conditions: bool = True,
                  failure_policy_gate: bool = True) -> bool:
    """isPodFailed: with a pod failure policy only phase Failed counts; otherwise a deleted pod
    that did not succeed counts too (orphans that never reach a terminal phase)."""
    if disruption_conditions and failure_policy_gate and (job.get("spec") or {}).get("podFailurePolicy") is not None:
        return phase(pod) == "Failed"
    if phase(pod) == "Failed":
        return True
    if only_failed:
        return False
    return is_deleting(pod) and phase(pod) != "Succeeded"


# --------------------------------------------------------------------------------------------
# pod failure policy
# --------------------------------------------------------------------------------------------


def _matching_container(statuses: list[Obj], req: Obj) -> Obj | None:
    values = req.get("values") or ()
    name = req.get("containerName")
    for cs in statuses:
        terminated = (cs.get("state") or {}).get("terminated")
        if terminated is None:
            continue  # still terminating: no exit code to match yet
        if name is not None and name != cs.get("name"):
            continue
        code = terminated.get("exitCode") or 0
        if code == 0:
            continue
        op = req.get("operator")
        if (op == "In" and code in values) or (op == "NotIn" and code not in values):
            return cs
    return None


def match_on_exit_codes(pod: Obj, req: Obj) -> Obj | None:
    status = pod.get("status") or {}
    return (_matching_container(status.get("containerStatuses") or [], req)
            or _matching_container(status.get("initContainerStatuses") or [], req))


def match_on_pod_conditions(pod: Obj, patterns: list[Obj]) -> Obj | None:
    for cond in (pod.get("status") or {}).get("conditions") or ():
        for pattern in patterns:
            if cond.get("type") == pattern.get("type") and cond.get("status") == (pattern.get("status") or "True"):
                return cond
    return None


def match_pod_failure_policy(policy: Obj | None, pod: Obj, *, fail_index_enabled: bool = True
                             ) -> tuple[str | None, bool, str | None]:
    """matchPodFailurePolicy: (FailJob message or None, whether the failure counts, action).

    Rules are tried in order and the first match wins; no match counts as a failure."""
    if policy is None:
        return None, True, None
    m = pod.get("metadata") or {}
    for i, rule in enumerate(policy.get("rules") or ()):
        action = rule.get("action")
        if rule.get("onExitCodes") is not None:
            cs = match_on_exit_codes(pod, rule["onExitCodes"])
            if cs is None:
                continue
            what = f"Container {cs.get('name')} for pod {m.get('namespace')}/{m.get('name')} failed with exit code {cs['state']['terminated'].get('exitCode')}"
        elif rule.get("onPodConditions") is not None:
            cond = match_on_pod_conditions(pod, rule["onPodConditions"])
            if cond is None:
                continue
            what = f"Pod {m.get('namespace')}/{m.get('name')} has condition {cond.get('type')}"
        else:
            continue
        if action == "Ignore":
            return None, False, "Ignore"
        if action == "FailIndex":
            if fail_index_enabled:
                return None, True, "FailIndex"
            continue
        if action == "Count":
            return None, True, "Count"
        if action == "FailJob":
            return f"{what} matching FailJob rule at index {i}", True, "FailJob"
    return None, True, None


# --------------------------------------------------------------------------------------------
# back-off
# --------------------------------------------------------------------------------------------


def finished_time(pod: Obj) -> datetime:
    """getFinishedTime: last container finishedAt, else Ready=False transition, else
    deletionTimestamp minus grace, else creationTimestamp."""
    status = pod.get("status") or {}
    statuses = (status.get("containerStatuses") or []) + (status.get("initContainerStatuses") or [])
    latest: datetime | None = None
    complete = bool(statuses)
    for cs in statuses:
        finished = ((cs.get("state") or {}).get("terminated") or {}).get("finishedAt")
        if not finished:
            complete = False
            break
        t = meta.parse_time(finished)
        latest = t if latest is None or t > latest else latest
    if complete and latest is not None:
        return latest
    for c in status.get("conditions") or ():
        if c.get("type") == "Ready" and c.get("status") == "False" and c.get("lastTransitionTime"):
            return meta.parse_time(c["lastTransitionTime"])
    m = pod.get("metadata") or {}
    if m.get("deletionTimestamp"):
        return meta.parse_time(m["deletionTimestamp"]) - timedelta(seconds=m.get("deletionGracePeriodSeconds") or 0)
    return meta.parse_time(m.get("creationTimestamp") or "1970-01-01T00:00:00Z")


def backoff_delay(failures: int, base: float = DEFAULT_BACKOFF, cap: float = MAX_BACKOFF) -> float:
    """base * 2^(failures-1), capped; no delay before the first failure."""
    if failures <= 0:
        return 0.0
    delay = base
    for _ in range(1, failures):
        delay *= 2
        if delay >= cap:
            return cap
    return min(delay, cap)


def remaining_backoff(failures: int, last_failure: datetime | None, now: datetime,
                      base: float = DEFAULT_BACKOFF, cap: float = MAX_BACKOFF) -> float:
    """getRemainingTimeForFailuresCount: seconds until a replacement may be created."""
    if failures <= 0 or last_failure is None:
        return 0.0
    delay = backoff_delay(failures, base, cap)
    elapsed = (now - last_failure).total_seconds()
    return 0.0 if delay < elapsed else delay - elapsed


@dataclass(frozen=True)
class BackoffRecord:
    """Failures since the last success, and when the latest of them happened."""

    failures_after_last_success: int = 0
    last_failure_time: datetime | None = None


def next_backoff_record(old: BackoffRecord, new_succeeded: list[Obj], new_failed: list[Obj]) -> BackoffRecord:
    """backoffStore.newBackoffRecord: a success resets the count, failures after it add up."""
    failed_times = sorted(finished_time(p) for p in new_failed)
    if not new_succeeded:
        if not failed_times:
            return old
        return BackoffRecord(old.failures_after_last_success + len(failed_times), failed_times[-1])
    last_success = max(finished_time(p) for p in new_succeeded)
    later = [t for t in failed_times if t > last_success]
    return BackoffRecord(len(later), later[-1] if later else None)


def index_failure_count(pod: Obj, annotation: str = INDEX_FAILURE_COUNT_ANNOTATION) -> int:
    raw = ((pod.get("metadata") or {}).get("annotations") or {}).get(annotation)
    if raw is None or not raw.isdigit():
        return 0
    return int(raw)


def index_absolute_failure_count(pod: Obj) -> int:
    return index_failure_count(pod) + index_failure_count(pod, INDEX_IGNORED_FAILURE_COUNT_ANNOTATION)


def new_index_failure_counts(job: Obj, replaced: Obj | None, *, fail_index_enabled: bool = True) -> tuple[int, int]:
    """getNewIndexFailureCounts: the counts a replacement pod carries for its index."""
    if replaced is None:
        return 0, 0
    failures = index_failure_count(replaced)
    ignored = index_failure_count(replaced, INDEX_IGNORED_FAILURE_COUNT_ANNOTATION)
    policy = (job.get("spec") or {}).get("podFailurePolicy")
    if policy is not None:
        _, counts, _ = match_pod_failure_policy(policy, replaced, fail_index_enabled=fail_index_enabled)
        if counts:
            failures += 1
        else:
            ignored += 1
    else:
        failures += 1
    return failures, ignored


# --------------------------------------------------------------------------------------------
# conditions
# --------------------------------------------------------------------------------------------


def new_condition(ctype: str, status: str, reason: str, message: str, now: datetime) -> Obj:
    t = meta.format_time(now)
    return {"type": ctype, "status": status, "lastProbeTime": t, "lastTransitionTime": t,
            "reason": reason, "message": message}


def ensure_condition(conditions: list[Obj], ctype: str, status: str, reason: str, message: str,
                     now: datetime) -> tuple[list[Obj], bool]:
    """ensureJobConditionStatus: replace a differing condition, add a new non-False one."""
    for i, c in enumerate(conditions):
        if c.get("type") == ctype:
            if c.get("status") != status or (c.get("reason") or "") != reason or (c.get("message") or "") != message:
                conditions = list(conditions)
                conditions[i] = new_condition(ctype, status, reason, message, now)
                return conditions, True
            return conditions, False
    if status != "False":
        return [*conditions, new_condition(ctype, status, reason, message, now)], True
    return conditions, False


# --------------------------------------------------------------------------------------------
# which pods to delete, which indexes to create
# --------------------------------------------------------------------------------------------

_PHASE_RANK = {"Pending": 0, "Unknown": 1, "Running": 2}


def _ready_since(pod: Obj) -> str:
    for c in (pod.get("status") or {}).get("conditions") or ():
        if c.get("type") == "Ready" and c.get("status") == "True":
            return c.get("lastTransitionTime") or ""
    return ""


def active_pod_sort_key(pod: Obj) -> tuple:
    """controller.ActivePods ordering: the pods to delete first sort first (unscheduled, pending,
    not ready, ready for less time, more restarts, newer)."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    ready = is_ready(pod)
    since = _ready_since(pod) if ready else ""
    restarts = max((cs.get("restartCount") or 0 for cs in status.get("containerStatuses") or ()), default=0)
    created = (pod.get("metadata") or {}).get("creationTimestamp") or ""
    # Newer first: invert the timestamp order through a negated sortable tuple.
    created_key = tuple(-ord(ch) for ch in created) if created else ()
    since_key = tuple(-ord(ch) for ch in since)
    return (bool(spec.get("nodeName")), _PHASE_RANK.get(phase(pod), 0), ready, since_key, -restarts,
            bool(created), created_key)


def _by_index(pod: Obj) -> int:
    return completion_index(pod)


def active_pods_for_removal(job: Obj, pods: list[Obj], rm_at_least: int) -> list[Obj]:
    """activePodsForRemoval: Indexed duplicates, unknown and out-of-range indexes first, then the
    ActivePods order until `rm_at_least` are chosen."""
    rm: list[Obj] = []
    left: list[Obj] = pods
    if is_indexed(job):
        completions = (job.get("spec") or {}).get("completions") or 0
        rm, left = [], []
        groups: dict[int, list[Obj]] = {}
        for p in sorted(pods, key=_by_index):
            groups.setdefault(completion_index(p), []).append(p)
        for ix, group in groups.items():
            if ix == UNKNOWN_INDEX or ix >= completions:
                rm.extend(group)
            elif len(group) == 1:
                left.append(group[0])
            else:
                ordered = sorted(group, key=active_pod_sort_key)
                rm.extend(ordered[:-1])
                left.append(ordered[-1])
    if len(rm) < rm_at_least:
        ordered = sorted(left, key=active_pod_sort_key)
        rm.extend(ordered[: rm_at_least - len(rm)])
    return rm


def first_pending_indexes(non_pending: list[tuple[int, int]], count: int, completions: int) -> list[int]:
    """firstPendingIndexes: the lowest `count` indexes below `completions` outside `non_pending`."""
    result: list[int] = []
    candidate = 0
    for first, last in non_pending:
        while candidate < completions and len(result) < count and candidate < first:
            result.append(candidate)
            candidate += 1
        candidate = max(candidate, last + 1)
    while candidate < completions and len(result) < count:
        result.append(candidate)
        candidate += 1
    return result


def generate_name_with_index(job_name: str, index: int) -> str:
    """podGenerateNameWithIndex: `<job>-<i>-`, the job name cut so the prefix fits 58 chars."""
    suffix = f"-{index}-"
    prefix = job_name + suffix
    if len(prefix) > MAX_GENERATED_NAME_PREFIX:
        prefix = job_name[: MAX_GENERATED_NAME_PREFIX - len(suffix)] + suffix
    return prefix


def add_completion_index_env(pod_spec: Obj, *, index_label: bool = True) -> None:
    """addCompletionIndexEnvVariables: JOB_COMPLETION_INDEX from the index label (or annotation)."""
    where = "labels" if index_label else "annotations"
    path = f"metadata.{where}['{COMPLETION_INDEX_ANNOTATION}']"
    for key in ("initContainers", "containers"):
        for c in pod_spec.get(key) or ():
            env = c.setdefault("env", [])
            if any(e.get("name") == COMPLETION_INDEX_ENV for e in env):
                continue
            env.append({"name": COMPLETION_INDEX_ENV, "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": path}}})


def past_backoff_limit_on_failure(job: Obj, pods: list[Obj]) -> bool:
    """pastBackoffLimitOnFailure: container restarts of live pods against backoffLimit."""
    spec = job.get("spec") or {}
    if ((spec.get("template") or {}).get("spec") or {}).get("restartPolicy") != "OnFailure":
        return False
    restarts = 0
    for p in pods:
        if phase(p) in ("Running", "Pending"):
            status = p.get("status") or {}
            for cs in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
                restarts += cs.get("restartCount") or 0
    limit = spec.get("backoffLimit") or 0
    return restarts > 0 if limit == 0 else restarts >= limit
