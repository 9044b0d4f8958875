"""Pure Deployment rollout arithmetic (upstream's `pkg/controller/deployment/util/deployment_util.go`
plus the decision halves of `rolling.go`, `sync.go`, `progress.go` and `recreate.go`).

Everything here takes plain dicts and returns values; the controller does the writes. ReplicaSet
"sizes" are `spec.replicas`; "actual" counts are `status.replicas`.
"""

from __future__ import annotations

import copy
import functools
import math
from datetime import datetime, timedelta
from typing import Any

import orjson

from uwernetes.machinery import meta

Obj = dict[str, Any]

POD_TEMPLATE_HASH = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
ROLLBACK_TO = "deprecated.deployment.rollback.to"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
_SKIP_COPY = {LAST_APPLIED, REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS, ROLLBACK_TO}
MAX_REV_HISTORY_CHARS = 2000
MAX_INT32 = 2**31 - 1

# Condition types, reasons and messages (deployment_util.go).
AVAILABLE, PROGRESSING, REPLICA_FAILURE = "Available", "Progressing", "ReplicaFailure"
MIN_AVAILABLE_REASON = "MinimumReplicasAvailable"
MIN_UNAVAILABLE_REASON = "MinimumReplicasUnavailable"
NEW_RS_CREATED = "NewReplicaSetCreated"
FOUND_NEW_RS = "FoundNewReplicaSet"
RS_UPDATED = "ReplicaSetUpdated"
NEW_RS_AVAILABLE = "NewReplicaSetAvailable"
TIMED_OUT = "ProgressDeadlineExceeded"
PAUSED = "DeploymentPaused"
RESUMED = "DeploymentResumed"
FAILED_RS_CREATE = "ReplicaSetCreateError"

_ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"


# --- small accessors ---


def spec(obj: Obj) -> Obj:
    return obj.get("spec") or {}


def status(obj: Obj) -> Obj:
    return obj.get("status") or {}


def replicas(obj: Obj) -> int:
    v = spec(obj).get("replicas")
    return 1 if v is None else int(v)


def annotations(obj: Obj) -> dict[str, str]:
    return (obj.get("metadata") or {}).get("annotations") or {}


def name(obj: Obj) -> str:
    return (obj.get("metadata") or {}).get("name", "")


def created_key(rs: Obj) -> tuple[str, str]:
    """ReplicaSetsByCreationTimestamp: oldest first, ties by name."""
    return ((rs.get("metadata") or {}).get("creationTimestamp") or "", name(rs))


def is_rolling(d: Obj) -> bool:
    return (spec(d).get("strategy") or {}).get("type", "RollingUpdate") == "RollingUpdate"


# --- maxSurge / maxUnavailable ---


def scaled_value(value: Any, total: int, round_up: bool) -> int:
    """intstr.GetScaledValueFromIntOrPercent."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    text = str(value)
    if text.endswith("%"):
        pct = int(text[:-1])
        exact = pct * total / 100
        return math.ceil(exact) if round_up else math.floor(exact)
    return int(text)


def resolve_fenceposts(max_surge: Any, max_unavailable: Any, desired: int) -> tuple[int, int]:
    """ResolveFenceposts: surge rounds up, unavailable down; both 0 means unavailable 1."""
    surge = scaled_value(max_surge, desired, True)
    unavailable = scaled_value(max_unavailable, desired, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def max_surge(d: Obj) -> int:
    if not is_rolling(d):
        return 0
    ru = (spec(d).get("strategy") or {}).get("rollingUpdate") or {}
    surge, _ = resolve_fenceposts(ru.get("maxSurge"), ru.get("maxUnavailable"), replicas(d))
    return surge


def max_unavailable(d: Obj) -> int:
    if not is_rolling(d) or replicas(d) == 0:
        return 0
    ru = (spec(d).get("strategy") or {}).get("rollingUpdate") or {}
    _, unavailable = resolve_fenceposts(ru.get("maxSurge"), ru.get("maxUnavailable"), replicas(d))
    return min(unavailable, replicas(d))


# --- templates and hashes ---


def fnv32a(data: bytes) -> int:
    h = 0x811C9DC5
    for b in data:
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def safe_encode(text: str) -> str:
    """rand.SafeEncodeString: map each byte onto an alphabet without vowels."""
    return "".join(_ALPHANUMS[b % len(_ALPHANUMS)] for b in text.encode())


def compute_hash(template: Obj, collision_count: int | None) -> str:
    """controller.ComputeHash: fnv32a of the template (canonical JSON here), plus the collision count."""
    data = orjson.dumps(template, option=orjson.OPT_SORT_KEYS)
    if collision_count is not None:
        data += int(collision_count).to_bytes(4, "little")
    return safe_encode(str(fnv32a(data)))


def _without_hash(template: Obj) -> Obj:
    t = dict(template or {})
    md = dict(t.get("metadata") or {})
    labels = dict(md.get("labels") or {})
    labels.pop(POD_TEMPLATE_HASH, None)
    if labels:
        md["labels"] = labels
    else:
        md.pop("labels", None)
    t["metadata"] = md
    return t


def equal_ignore_hash(a: Obj, b: Obj) -> bool:
    return _without_hash(a) == _without_hash(b)


def find_new_replica_set(d: Obj, rss: list[Obj]) -> Obj | None:
    template = spec(d).get("template") or {}
    for rs in sorted(rss, key=created_key):
        if equal_ignore_hash(spec(rs).get("template") or {}, template):
            return rs
    return None


def find_old_replica_sets(d: Obj, rss: list[Obj]) -> list[Obj]:
    new = find_new_replica_set(d, rss)
    if new is None:
        return list(rss)
    return [rs for rs in rss if rs is not new]


def new_rs_template(d: Obj, hash_: str) -> Obj:
    t = copy.deepcopy(spec(d).get("template") or {})
    t.setdefault("metadata", {}).setdefault("labels", {})[POD_TEMPLATE_HASH] = hash_
    return t


def new_rs_selector(d: Obj, hash_: str) -> Obj:
    sel = copy.deepcopy(spec(d).get("selector") or {})
    sel.setdefault("matchLabels", {})[POD_TEMPLATE_HASH] = hash_
    return sel


# --- revisions and annotations ---


def revision(rs: Obj) -> int:
    try:
        return int(annotations(rs).get(REVISION, "0") or 0)
    except ValueError:
        return 0


def max_revision(rss: list[Obj]) -> int:
    return max((revision(rs) for rs in rss), default=0)


def set_replicas_annotations(rs: Obj, desired: int, max_replicas: int) -> bool:
    ann = rs.setdefault("metadata", {}).setdefault("annotations", {})
    changed = False
    for key, value in ((DESIRED_REPLICAS, str(desired)), (MAX_REPLICAS, str(max_replicas))):
        if ann.get(key) != value:
            ann[key] = value
            changed = True
    return changed


def replicas_annotations_need_update(rs: Obj, desired: int, max_replicas: int) -> bool:
    ann = annotations(rs)
    return ann.get(DESIRED_REPLICAS) != str(desired) or ann.get(MAX_REPLICAS) != str(max_replicas)


def set_new_rs_annotations(d: Obj, rs: Obj, new_revision: str, exists: bool,
                           limit: int = MAX_REV_HISTORY_CHARS) -> bool:
    """SetNewReplicaSetAnnotations: copy the Deployment's annotations, bump the revision, keep the
    revision history when an old set comes back (a rollback), replica annotations on creation."""
    ann = rs.setdefault("metadata", {}).setdefault("annotations", {})
    changed = False
    for k, v in annotations(d).items():
        if k in _SKIP_COPY or ann.get(k) == v:
            continue
        ann[k] = v
        changed = True
    had = REVISION in ann
    old_text = ann.get(REVISION, "")
    try:
        old = int(old_text) if old_text else 0
    except ValueError:
        return False
    try:
        new = int(new_revision)
    except ValueError:
        return False
    if old < new:
        ann[REVISION] = new_revision
        changed = True
    if had and old < new:
        history = ann.get(REVISION_HISTORY, "")
        revisions = history.split(",")
        if not revisions[0]:
            ann[REVISION_HISTORY] = old_text
        else:
            total = len(history) + len(old_text) + 1
            start = 0
            while total > limit and start < len(revisions):
                total -= len(revisions[start]) + 1
                start += 1
            if total <= limit:
                ann[REVISION_HISTORY] = ",".join([*revisions[start:], old_text])
    if not exists and set_replicas_annotations(rs, replicas(d), replicas(d) + max_surge(d)):
        changed = True
    return changed


# --- counting ---


def total_replicas(rss: list[Obj | None]) -> int:
    return sum(int(spec(rs).get("replicas") or 0) for rs in rss if rs is not None)


def actual_replicas(rss: list[Obj | None]) -> int:
    return sum(int(status(rs).get("replicas") or 0) for rs in rss if rs is not None)


def ready_replicas(rss: list[Obj | None]) -> int:
    return sum(int(status(rs).get("readyReplicas") or 0) for rs in rss if rs is not None)


def available_replicas(rss: list[Obj | None]) -> int:
    return sum(int(status(rs).get("availableReplicas") or 0) for rs in rss if rs is not None)


def filter_active(rss: list[Obj | None]) -> list[Obj]:
    return [rs for rs in rss if rs is not None and int(spec(rs).get("replicas") or 0) > 0]


# --- conditions ---


def new_condition(ctype: str, status_: str, reason: str, message: str, now: datetime) -> Obj:
    t = meta.format_time(now)
    return {"type": ctype, "status": status_, "lastUpdateTime": t, "lastTransitionTime": t,
            "reason": reason, "message": message}


def get_condition(st: Obj, ctype: str) -> Obj | None:
    for c in st.get("conditions") or ():
        if c.get("type") == ctype:
            return c
    return None


def set_condition(st: Obj, cond: Obj) -> None:
    """SetDeploymentCondition: same status and reason leaves it as is; same status keeps the
    transition time."""
    current = get_condition(st, cond["type"])
    if current is not None and current.get("status") == cond["status"] and current.get("reason") == cond["reason"]:
        return
    if current is not None and current.get("status") == cond["status"]:
        cond = {**cond, "lastTransitionTime": current.get("lastTransitionTime")}
    st["conditions"] = [c for c in st.get("conditions") or () if c.get("type") != cond["type"]] + [cond]


def remove_condition(st: Obj, ctype: str) -> None:
    if st.get("conditions"):
        st["conditions"] = [c for c in st["conditions"] if c.get("type") != ctype]


def has_progress_deadline(d: Obj) -> bool:
    pds = spec(d).get("progressDeadlineSeconds")
    return pds is not None and pds != MAX_INT32


# --- status ---


def calculate_status(all_rss: list[Obj | None], new_rs: Obj | None, d: Obj, now: datetime) -> Obj:
    """calculateStatus: counts from the ReplicaSets and the Available condition."""
    available = available_replicas(all_rss)
    st: Obj = {
        "observedGeneration": (d.get("metadata") or {}).get("generation", 0),
        "replicas": actual_replicas(all_rss),
        "updatedReplicas": actual_replicas([new_rs]),
        "readyReplicas": ready_replicas(all_rss),
        "availableReplicas": available,
        "unavailableReplicas": max(0, total_replicas(all_rss) - available),
    }
    if status(d).get("collisionCount") is not None:
        st["collisionCount"] = status(d)["collisionCount"]
    st["conditions"] = [dict(c) for c in status(d).get("conditions") or ()]
    if available >= replicas(d) - max_unavailable(d):
        cond = new_condition(AVAILABLE, "True", MIN_AVAILABLE_REASON, "Deployment has minimum availability.", now)
    else:
        cond = new_condition(AVAILABLE, "False", MIN_UNAVAILABLE_REASON, "Deployment does not have minimum availability.", now)
    set_condition(st, cond)
    return st


def deployment_complete(d: Obj, st: Obj) -> bool:
    want = replicas(d)
    return (int(st.get("updatedReplicas") or 0) == want and int(st.get("replicas") or 0) == want
            and int(st.get("availableReplicas") or 0) == want
            and int(st.get("observedGeneration") or 0) >= int((d.get("metadata") or {}).get("generation") or 0))


def deployment_progressing(d: Obj, st: Obj) -> bool:
    old = status(d)
    old_old = int(old.get("replicas") or 0) - int(old.get("updatedReplicas") or 0)
    new_old = int(st.get("replicas") or 0) - int(st.get("updatedReplicas") or 0)
    return (int(st.get("updatedReplicas") or 0) > int(old.get("updatedReplicas") or 0) or new_old < old_old
            or int(st.get("readyReplicas") or 0) > int(old.get("readyReplicas") or 0)
            or int(st.get("availableReplicas") or 0) > int(old.get("availableReplicas") or 0))


def deployment_timed_out(d: Obj, st: Obj, now: datetime) -> bool:
    if not has_progress_deadline(d):
        return False
    cond = get_condition(st, PROGRESSING)
    if cond is None or cond.get("reason") == NEW_RS_AVAILABLE:
        return False
    if cond.get("reason") == TIMED_OUT:
        return True
    since = cond.get("lastUpdateTime")
    if not since:
        return False
    return meta.parse_time(since) + timedelta(seconds=int(spec(d)["progressDeadlineSeconds"])) < now


def rollout_status(all_rss: list[Obj | None], new_rs: Obj | None, d: Obj, now: datetime,
                   failure: Obj | None = None) -> Obj:
    """syncRolloutStatus's decision: the status with the Progressing condition brought up to date."""
    st = calculate_status(all_rss, new_rs, d, now)
    if not has_progress_deadline(d):
        remove_condition(st, PROGRESSING)
    current = get_condition(status(d), PROGRESSING)
    complete_already = (int(st["replicas"]) == int(st["updatedReplicas"]) and current is not None
                        and current.get("reason") == NEW_RS_AVAILABLE)
    what = f'ReplicaSet "{name(new_rs)}"' if new_rs is not None else f'Deployment "{name(d)}"'
    if has_progress_deadline(d) and not complete_already:
        if deployment_complete(d, st):
            set_condition(st, new_condition(PROGRESSING, "True", NEW_RS_AVAILABLE, f"{what} has successfully progressed.", now))
        elif deployment_progressing(d, st):
            cond = new_condition(PROGRESSING, "True", RS_UPDATED, f"{what} is progressing.", now)
            if current is not None:
                if current.get("status") == "True":
                    cond["lastTransitionTime"] = current.get("lastTransitionTime")
                remove_condition(st, PROGRESSING)
            set_condition(st, cond)
        elif deployment_timed_out(d, st, now):
            set_condition(st, new_condition(PROGRESSING, "False", TIMED_OUT, f"{what} has timed out progressing.", now))
    if failure is not None:
        set_condition(st, failure)
    else:
        remove_condition(st, REPLICA_FAILURE)
    if not st["conditions"]:
        del st["conditions"]
    return st


def requeue_after(d: Obj, st: Obj, now: datetime) -> float | None:
    """requeueStuckDeployment: seconds until the deadline check is due again, or None."""
    cond = get_condition(st, PROGRESSING)
    if not has_progress_deadline(d) or cond is None:
        return None
    if deployment_complete(d, st) or cond.get("reason") == TIMED_OUT:
        return None
    since = cond.get("lastUpdateTime")
    if not since:
        return None
    due = meta.parse_time(since) + timedelta(seconds=int(spec(d)["progressDeadlineSeconds"]))
    after = (due - now).total_seconds()
    return 0.0 if after < 1 else after + 1


def paused_condition(d: Obj, now: datetime) -> Obj | None:
    """checkPausedConditions: the Progressing condition to set on pause/resume, or None."""
    if not has_progress_deadline(d):
        return None
    cond = get_condition(status(d), PROGRESSING)
    if cond is not None and cond.get("reason") == TIMED_OUT:
        return None
    paused_exists = cond is not None and cond.get("reason") == PAUSED
    if spec(d).get("paused") and not paused_exists:
        return new_condition(PROGRESSING, "Unknown", PAUSED, "Deployment is paused", now)
    if not spec(d).get("paused") and paused_exists:
        return new_condition(PROGRESSING, "Unknown", RESUMED, "Deployment is resumed", now)
    return None


# --- rolling update steps ---


def new_rs_new_replicas(d: Obj, all_rss: list[Obj | None], new_rs: Obj | None) -> int:
    """NewRSNewReplicas: how big the new ReplicaSet may be now."""
    if not is_rolling(d):
        return replicas(d)
    current = int(spec(new_rs).get("replicas") or 0) if new_rs is not None else 0
    total = total_replicas(all_rss)
    max_total = replicas(d) + max_surge(d)
    if total >= max_total:
        return current
    scale_up = min(max_total - total, replicas(d) - current)
    return current + scale_up


def cleanup_unhealthy(old_rss: list[Obj], d: Obj, max_cleanup: int) -> list[tuple[Obj, int]]:
    """cleanupUnhealthyReplicas: shrink old sets by their unavailable pods, oldest first."""
    out: list[tuple[Obj, int]] = []
    done = 0
    for rs in sorted(old_rss, key=created_key):
        if done >= max_cleanup:
            break
        size = int(spec(rs).get("replicas") or 0)
        avail = int(status(rs).get("availableReplicas") or 0)
        if size == 0 or size == avail:
            continue
        down = min(max_cleanup - done, size - avail)
        out.append((rs, size - down))
        done += down
    return out


def old_rs_scale_down_budget(all_rss: list[Obj | None], old_rss: list[Obj], new_rs: Obj | None, d: Obj) -> int:
    """reconcileOldReplicaSets' maxScaledDown: how many old pods may go without losing availability."""
    if total_replicas(old_rss) == 0:
        return 0
    min_available = replicas(d) - max_unavailable(d)
    new_unavailable = (int(spec(new_rs).get("replicas") or 0) - int(status(new_rs).get("availableReplicas") or 0)) if new_rs else 0
    return total_replicas(all_rss) - min_available - new_unavailable


def scale_down_old_for_rolling(all_rss: list[Obj | None], old_rss: list[Obj], d: Obj) -> list[tuple[Obj, int]]:
    """scaleDownOldReplicaSetsForRollingUpdate: oldest first, keeping replicas - maxUnavailable available."""
    min_available = replicas(d) - max_unavailable(d)
    available = available_replicas(all_rss)
    if available <= min_available:
        return []
    budget = available - min_available
    out: list[tuple[Obj, int]] = []
    done = 0
    for rs in sorted(old_rss, key=created_key):
        if done >= budget:
            break
        size = int(spec(rs).get("replicas") or 0)
        if size == 0:
            continue
        down = min(size, budget - done)
        out.append((rs, size - down))
        done += down
    return out


# --- proportional scaling (sync.go scale) ---


def round_half_away(x: float) -> int:
    return int(math.floor(abs(x) + 0.5)) * (1 if x >= 0 else -1)


def rs_fraction(rs: Obj, d: Obj) -> int:
    """getReplicaSetFraction: this set's share of a resize, by its max-replicas annotation."""
    if replicas(d) == 0:
        return -int(spec(rs).get("replicas") or 0)
    deployment_replicas = replicas(d) + max_surge(d)
    try:
        annotated = int(annotations(rs)[MAX_REPLICAS])
    except (KeyError, ValueError):
        annotated = int(status(d).get("replicas") or 0)
    size = int(spec(rs).get("replicas") or 0)
    if annotated == 0:
        return 0
    return round_half_away(size * deployment_replicas / annotated) - size


def proportion(rs: Obj, d: Obj, to_add: int, added: int) -> int:
    if int(spec(rs).get("replicas") or 0) == 0 or to_add == 0 or to_add == added:
        return 0
    fraction = rs_fraction(rs, d)
    allowed = to_add - added
    return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)


def find_active_or_latest(new_rs: Obj | None, old_rss: list[Obj]) -> Obj | None:
    if new_rs is None and not old_rss:
        return None
    olds = sorted(old_rss, key=created_key, reverse=True)
    active = filter_active([*olds, new_rs])
    if not active:
        return new_rs if new_rs is not None else olds[0]
    if len(active) == 1:
        return active[0]
    return None


def is_saturated(d: Obj, rs: Obj | None) -> bool:
    if rs is None:
        return False
    try:
        desired = int(annotations(rs).get(DESIRED_REPLICAS, ""))
    except ValueError:
        return False
    size = int(spec(rs).get("replicas") or 0)
    return size == replicas(d) and desired == replicas(d) and int(status(rs).get("availableReplicas") or 0) == replicas(d)


def _by_size(newer_first: bool):
    def cmp(a: Obj, b: Obj) -> int:
        sa, sb = int(spec(a).get("replicas") or 0), int(spec(b).get("replicas") or 0)
        if sa != sb:
            return -1 if sa > sb else 1
        ka, kb = created_key(a), created_key(b)
        if ka == kb:
            return 0
        if newer_first:
            return -1 if ka > kb else 1
        return -1 if ka < kb else 1

    return functools.cmp_to_key(cmp)


def proportional_sizes(d: Obj, new_rs: Obj | None, old_rss: list[Obj]) -> dict[str, int] | None:
    """scale(): new sizes by ReplicaSet name when a Deployment is resized mid-rollout (None: nothing)."""
    active = filter_active([*old_rss, new_rs])
    total = total_replicas(active)
    allowed = replicas(d) + max_surge(d) if replicas(d) > 0 else 0
    to_add = allowed - total
    if to_add > 0:
        active.sort(key=_by_size(newer_first=True))
    elif to_add < 0:
        active.sort(key=_by_size(newer_first=False))
    added = 0
    sizes: dict[str, int] = {}
    for rs in active:
        size = int(spec(rs).get("replicas") or 0)
        if to_add != 0:
            p = proportion(rs, d, to_add, added)
            sizes[name(rs)] = size + p
            added += p
        else:
            sizes[name(rs)] = size
    if added != to_add and active:
        first = name(active[0])
        sizes[first] = max(0, sizes[first] + to_add - added)
    return sizes


def is_scaling_event(d: Obj, new_rs: Obj | None, old_rss: list[Obj]) -> bool:
    for rs in filter_active([*old_rss, new_rs]):
        try:
            desired = int(annotations(rs)[DESIRED_REPLICAS])
        except (KeyError, ValueError):
            continue
        if desired != replicas(d):
            return True
    return False


def replica_sets_to_clean(old_rss: list[Obj], d: Obj) -> list[Obj]:
    """cleanupDeployment: the old sets beyond revisionHistoryLimit that are fully scaled down."""
    limit = spec(d).get("revisionHistoryLimit")
    if limit is None:
        return []
    alive = [rs for rs in old_rss if not (rs.get("metadata") or {}).get("deletionTimestamp")]
    diff = len(alive) - int(limit)
    if diff <= 0:
        return []
    alive.sort(key=lambda rs: (revision(rs), created_key(rs)))
    out = []
    for rs in alive[:diff]:
        md = rs.get("metadata") or {}
        if (int(status(rs).get("replicas") or 0) != 0 or int(spec(rs).get("replicas") or 0) != 0
                or int(md.get("generation") or 0) > int(status(rs).get("observedGeneration") or 0)):
            continue
        out.append(rs)
    return out
