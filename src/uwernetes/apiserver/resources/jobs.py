"""Jobs (batch/v1): upstream's `pkg/registry/batch/job/strategy.go`, `pkg/apis/batch/validation`
(v1.30, with successPolicy/managedBy from the KEP-3998/4368 commits), `SetDefaults_Job` and the
v1.30 `printJob` (STATUS column).

Selector generation happens in prepare_for_create (upstream does it at the top of Validate):
the generic layer has already set metadata.uid and the final name.
"""

from __future__ import annotations

import copy
import re
from datetime import datetime
from typing import Any

from uwernetes.apiserver.resources import core_common as common
from uwernetes.apiserver.resources import replicasets as rs_mod
from uwernetes.apiserver.resources.base import (
    Column,
    Context,
    Obj,
    Printer,
    ResourceType,
    Strategy,
    Subresource,
)
from uwernetes.machinery import duration, field, meta, validation
from uwernetes.machinery.field import FieldError, Path

NON_INDEXED, INDEXED = "NonIndexed", "Indexed"
CONTROLLER_UID_LABEL = "batch.kubernetes.io/controller-uid"
JOB_NAME_LABEL = "batch.kubernetes.io/job-name"
LEGACY_CONTROLLER_UID_LABEL = "controller-uid"
LEGACY_JOB_NAME_LABEL = "job-name"
JOB_CONTROLLER_NAME = "kubernetes.io/job-controller"

MAX_PARALLELISM_INDEXED = 100_000
MAX_FAILED_INDEXES_LIMIT = 100_000
COMPLETIONS_SOFT_LIMIT = 100_000
PARALLELISM_LIMIT_HIGH_COMPLETIONS = 10_000
MAX_FAILED_INDEXES_HIGH_COMPLETIONS = 10_000
MAX_MANAGED_BY_LENGTH = 63
MAX_POD_FAILURE_POLICY_RULES = 20
MAX_EXIT_CODES_VALUES = 255
MAX_POD_CONDITIONS_PATTERNS = 20
MAX_SUCCESS_POLICY_RULES = 20
MAX_SUCCEEDED_INDEXES_LENGTH = 64 * 1024

POD_FAILURE_ACTIONS = ("Count", "FailIndex", "FailJob", "Ignore")
EXIT_CODE_OPERATORS = ("In", "NotIn")
CONDITION_STATUSES = ("False", "True", "Unknown")
REPLACEMENT_POLICIES = ("Failed", "TerminatingOrFailed")
_INT_RE = re.compile(r"^[+-]?[0-9]+$")
_DOMAIN_PREFIXED_PATH_RE = re.compile(r"^[^/]+(/[A-Za-z0-9/\-._~%!$&'()*+,;=:]+)$")


# --------------------------------------------------------------------------------------------
# defaulting and preparation
# --------------------------------------------------------------------------------------------


def default_job(job: Obj, ctx: Context | None = None) -> None:
    """SetDefaults_Job (v1.30)."""
    spec = common.spec_of(job)
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
        spec["parallelism"] = 1
    if spec.get("parallelism") is None:
        spec["parallelism"] = 1
    if spec.get("backoffLimit") is None:
        spec["backoffLimit"] = common.INT32_MAX if spec.get("backoffLimitPerIndex") is not None else 6
    template_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels")
    m = job.setdefault("metadata", {})
    if template_labels is not None and not m.get("labels"):
        m["labels"] = copy.deepcopy(template_labels)
    if spec.get("completionMode") is None:
        spec["completionMode"] = NON_INDEXED
    if spec.get("suspend") is None:
        spec["suspend"] = False
    pfp = spec.get("podFailurePolicy")
    if isinstance(pfp, dict):
        for rule in pfp.get("rules") or ():
            for pattern in rule.get("onPodConditions") or ():
                if not pattern.get("status"):
                    pattern["status"] = "True"
    if spec.get("podReplacementPolicy") is None and common.gates(ctx).enabled("JobPodReplacementPolicy"):
        spec["podReplacementPolicy"] = "Failed" if pfp is not None else "TerminatingOrFailed"


def generate_selector(job: Obj) -> None:
    """generateSelector: job-name/controller-uid labels on the template, controller-uid selector."""
    m = job.get("metadata") or {}
    name, uid = m.get("name") or "", m.get("uid") or ""
    spec = common.spec_of(job)
    template = spec.setdefault("template", {})
    tmeta = template.setdefault("metadata", {})
    labels = tmeta.get("labels")
    if not isinstance(labels, dict):
        labels = tmeta["labels"] = {}
    # A user's own value is kept; validation then rejects a mismatch.
    for key in (LEGACY_JOB_NAME_LABEL, JOB_NAME_LABEL):
        labels.setdefault(key, name)
    for key in (LEGACY_CONTROLLER_UID_LABEL, CONTROLLER_UID_LABEL):
        labels.setdefault(key, uid)
    selector = spec.get("selector")
    if not isinstance(selector, dict):
        selector = spec["selector"] = {}
    match = selector.get("matchLabels")
    if not isinstance(match, dict):
        match = selector["matchLabels"] = {}
    match.setdefault(CONTROLLER_UID_LABEL, uid)


_GATED = (
    ("JobPodFailurePolicy", ("podFailurePolicy",)),
    ("JobManagedBy", ("managedBy",)),
    ("JobSuccessPolicy", ("successPolicy",)),
    ("JobBackoffLimitPerIndex", ("backoffLimitPerIndex", "maxFailedIndexes")),
    ("JobPodReplacementPolicy", ("podReplacementPolicy",)),
)


def drop_disabled_fields(job: Obj, old: Obj | None, ctx: Context | None) -> None:
    spec = common.spec_of(job)
    old_spec = (old.get("spec") or {}) if old is not None else {}
    g = common.gates(ctx)
    for gate, keys in _GATED:
        if g.enabled(gate):
            continue
        for key in keys:
            if old_spec.get(key) is None:
                spec.pop(key, None)


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------


def parse_indexes(text: str, completions: int) -> tuple[int, str | None]:
    """validateIndexesFormat: ("1,3-5,7", 10) -> (5, None); errors as upstream words them."""
    if not text:
        return 0, None
    last: int | None = None
    total = 0
    for interval in text.split(","):
        limits = interval.split("-")
        if len(limits) > 2:
            return 0, f"the fragment {field.go_quote(interval)} violates the requirement that an index interval can have at most two parts separated by '-'"
        values = []
        for raw in limits:
            if not _INT_RE.match(raw) or not -(2**31) <= int(raw) < 2**31:
                return 0, f"cannot convert string to integer for index: {field.go_quote(raw)}"
            x = int(raw)
            if x >= completions:
                return 0, f"too large index: {field.go_quote(raw)}"
            if last is not None and last >= x:
                return 0, f"non-increasing order, previous: {last}, current: {x}"
            values.append(x)
            last = x
        total += 1 if len(values) == 1 else values[1] - values[0] + 1
    return total, None


def _validate_success_policy(spec: Obj, path: Path) -> list[FieldError]:
    rules = (spec.get("successPolicy") or {}).get("rules") or []
    rules_path = path.child("rules")
    errs: list[FieldError] = []
    if not rules:
        errs.append(field.required(rules_path, "at least one rules must be specified when the successPolicy is specified"))
    if len(rules) > MAX_SUCCESS_POLICY_RULES:
        errs.append(field.too_many(rules_path, len(rules), MAX_SUCCESS_POLICY_RULES))
    completions = spec.get("completions")
    for i, rule in enumerate(rules):
        rp = rules_path.index(i)
        indexes, count = rule.get("succeededIndexes"), rule.get("succeededCount")
        if indexes is None and count is None:
            errs.append(field.required(rp, "at least one of succeededCount or succeededIndexes must be specified"))
        total = 0
        if indexes is not None:
            ip = rp.child("succeededIndexes")
            if len(indexes) > MAX_SUCCEEDED_INDEXES_LENGTH:
                errs.append(field.too_long(ip, indexes, MAX_SUCCEEDED_INDEXES_LENGTH))
            if isinstance(completions, int):
                total, problem = parse_indexes(indexes, completions)
                if problem:
                    errs.append(field.invalid(ip, indexes, f"error parsing succeededIndexes: {problem}"))
        if count is not None:
            cp = rp.child("succeededCount")
            errs.extend(validation.validate_nonnegative(count, cp))
            if isinstance(completions, int) and count > completions:
                errs.append(field.invalid(cp, count, f"must be less than or equal to {completions} (the number of specified completions)"))
            if indexes is not None and count > total:
                errs.append(field.invalid(cp, count, f"must be less than or equal to {total} (the number of indexes in the specified succeededIndexes field)"))
    return errs


def _validate_pod_failure_policy(spec: Obj, path: Path) -> list[FieldError]:
    rules = (spec.get("podFailurePolicy") or {}).get("rules") or []
    rules_path = path.child("rules")
    errs: list[FieldError] = []
    if len(rules) > MAX_POD_FAILURE_POLICY_RULES:
        errs.append(field.too_many(rules_path, len(rules), MAX_POD_FAILURE_POLICY_RULES))
    pod_spec = (spec.get("template") or {}).get("spec") or {}
    names = {c.get("name") for key in ("containers", "initContainers") for c in pod_spec.get(key) or ()}
    for i, rule in enumerate(rules):
        rp = rules_path.index(i)
        action = rule.get("action") or ""
        if action == "FailIndex" and spec.get("backoffLimitPerIndex") is None:
            errs.append(field.invalid(rp.child("action"), action, "requires the backoffLimitPerIndex to be set"))
        if action not in POD_FAILURE_ACTIONS:
            errs.append(field.not_supported(rp.child("action"), action, POD_FAILURE_ACTIONS))
        on_exit, on_conds = rule.get("onExitCodes"), rule.get("onPodConditions") or []
        if on_exit is not None:
            errs.extend(_validate_on_exit_codes(on_exit, rp.child("onExitCodes"), names))
        if on_conds:
            errs.extend(_validate_on_pod_conditions(on_conds, rp.child("onPodConditions")))
        if on_exit is not None and on_conds:
            errs.append(field.invalid(rp, field.OMIT_VALUE, "specifying both OnExitCodes and OnPodConditions is not supported"))
        if on_exit is None and not on_conds:
            errs.append(field.invalid(rp, field.OMIT_VALUE, "specifying one of OnExitCodes and OnPodConditions is required"))
    return errs


def _validate_on_exit_codes(req: Obj, path: Path, names: set[Any]) -> list[FieldError]:
    errs: list[FieldError] = []
    op = req.get("operator") or ""
    if op not in EXIT_CODE_OPERATORS:
        errs.append(field.not_supported(path.child("operator"), op, EXIT_CODE_OPERATORS))
    container = req.get("containerName")
    if container is not None and container not in names:
        errs.append(field.invalid(path.child("containerName"), container, "must be one of the container or initContainer names in the pod template"))
    values = req.get("values") or []
    vp = path.child("values")
    if not values:
        errs.append(field.invalid(vp, common.GoLiteral("[]int32(nil)" if req.get("values") is None else "[]int32{}"), "at least one value is required"))
    elif len(values) > MAX_EXIT_CODES_VALUES:
        errs.append(field.too_many(vp, len(values), MAX_EXIT_CODES_VALUES))
    seen: set[int] = set()
    ordered = True
    for j, v in enumerate(values):
        if op == "In" and v == 0:
            errs.append(field.invalid(vp.index(j), v, "must not be 0 for the In operator"))
        if v in seen:
            errs.append(field.duplicate(vp.index(j), v))
        seen.add(v)
        if j > 0 and values[j - 1] > v:
            ordered = False
    if not ordered:
        errs.append(field.invalid(vp, common.GoLiteral("[]int32{" + ", ".join(str(v) for v in values) + "}"), "must be ordered"))
    return errs


def _validate_on_pod_conditions(patterns: list[Obj], path: Path) -> list[FieldError]:
    errs: list[FieldError] = []
    if len(patterns) > MAX_POD_CONDITIONS_PATTERNS:
        errs.append(field.too_many(path, len(patterns), MAX_POD_CONDITIONS_PATTERNS))
    for j, pattern in enumerate(patterns):
        pp = path.index(j)
        ctype = pattern.get("type") or ""
        errs.extend(field.invalid(pp.child("type"), ctype, m) for m in validation.is_qualified_name(ctype))
        status = pattern.get("status") or ""
        if status not in CONDITION_STATUSES:
            errs.append(field.not_supported(pp.child("status"), status, CONDITION_STATUSES))
    return errs


def _validate_managed_by(value: Any, path: Path) -> list[FieldError]:
    errs: list[FieldError] = []
    if not isinstance(value, str) or "/" not in value:
        errs.append(field.invalid(path, value, "must be a domain-prefixed path (such as \"acme.io/foo\")"))
    else:
        prefix, _, rest = value.partition("/")
        errs.extend(field.invalid(path, prefix, m) for m in validation.is_dns1123_subdomain(prefix))
        if not rest:
            errs.append(field.invalid(path, value, "must be a domain-prefixed path (such as \"acme.io/foo\")"))
        elif not _DOMAIN_PREFIXED_PATH_RE.match(value):
            errs.append(field.invalid(path, value, "must be a valid path"))
    if isinstance(value, str) and len(value) > MAX_MANAGED_BY_LENGTH:
        errs.append(field.too_long_max_length(path, value, MAX_MANAGED_BY_LENGTH))
    return errs


def _validate_job_spec_fields(spec: Obj, sp: Path) -> list[FieldError]:
    """validateJobSpec without the pod template itself."""
    errs: list[FieldError] = []
    for key in ("parallelism", "completions", "activeDeadlineSeconds", "backoffLimit", "ttlSecondsAfterFinished", "backoffLimitPerIndex"):
        errs.extend(rs_mod.nonneg(spec, key, sp))
    completions, parallelism = spec.get("completions"), spec.get("parallelism")
    per_index, max_failed = spec.get("backoffLimitPerIndex"), spec.get("maxFailedIndexes")
    if max_failed is not None:
        errs.extend(rs_mod.nonneg(spec, "maxFailedIndexes", sp))
        if per_index is None:
            errs.append(field.required(sp.child("backoffLimitPerIndex"), "when maxFailedIndexes is specified"))
    if spec.get("managedBy") is not None:
        errs.extend(_validate_managed_by(spec["managedBy"], sp.child("managedBy")))
    mode = spec.get("completionMode")
    if mode is not None:
        if mode not in (NON_INDEXED, INDEXED):
            errs.append(field.not_supported(sp.child("completionMode"), mode, (NON_INDEXED, INDEXED)))
        if mode == INDEXED:
            if completions is None:
                errs.append(field.required(sp.child("completions"), "when completion mode is Indexed"))
            if isinstance(parallelism, int) and parallelism > MAX_PARALLELISM_INDEXED:
                errs.append(field.invalid(sp.child("parallelism"), parallelism, f"must be less than or equal to {MAX_PARALLELISM_INDEXED} when completion mode is Indexed"))
            if isinstance(completions, int) and isinstance(max_failed, int) and max_failed > completions:
                errs.append(field.invalid(sp.child("maxFailedIndexes"), max_failed, "must be less than or equal to completions"))
            if isinstance(max_failed, int) and max_failed > MAX_FAILED_INDEXES_LIMIT:
                errs.append(field.invalid(sp.child("maxFailedIndexes"), max_failed, f"must be less than or equal to {MAX_FAILED_INDEXES_LIMIT}"))
            if isinstance(completions, int) and completions > COMPLETIONS_SOFT_LIMIT and per_index is not None:
                high = f"when completions are above {COMPLETIONS_SOFT_LIMIT} and used with backoff limit per index"
                if max_failed is None:
                    errs.append(field.required(sp.child("maxFailedIndexes"), f"must be specified when completions is above {COMPLETIONS_SOFT_LIMIT}"))
                else:
                    if max_failed > MAX_FAILED_INDEXES_HIGH_COMPLETIONS:
                        errs.append(field.invalid(sp.child("maxFailedIndexes"), max_failed, f"must be less than or equal to {MAX_FAILED_INDEXES_HIGH_COMPLETIONS} {high}"))
                    if isinstance(parallelism, int) and parallelism > PARALLELISM_LIMIT_HIGH_COMPLETIONS:
                        errs.append(field.invalid(sp.child("parallelism"), parallelism, f"must be less than or equal to {PARALLELISM_LIMIT_HIGH_COMPLETIONS} {high}"))
    if mode in (None, NON_INDEXED):
        if per_index is not None:
            errs.append(field.invalid(sp.child("backoffLimitPerIndex"), per_index, "requires indexed completion mode"))
        if max_failed is not None:
            errs.append(field.invalid(sp.child("maxFailedIndexes"), max_failed, "requires indexed completion mode"))
    if spec.get("podFailurePolicy") is not None:
        errs.extend(_validate_pod_failure_policy(spec, sp.child("podFailurePolicy")))
    if spec.get("successPolicy") is not None:
        if (mode or NON_INDEXED) != INDEXED:
            errs.append(field.invalid(sp.child("successPolicy"), common.GoLiteral("batch.SuccessPolicy{...}"), "requires indexed completion mode"))
        elif isinstance(completions, int):
            errs.extend(_validate_success_policy(spec, sp.child("successPolicy")))
    prp = spec.get("podReplacementPolicy")
    if prp is not None:
        if spec.get("podFailurePolicy") is not None:
            if prp != "Failed":
                errs.append(field.not_supported(sp.child("podReplacementPolicy"), prp, ("Failed",)))
        elif prp not in REPLACEMENT_POLICIES:
            errs.append(field.not_supported(sp.child("podReplacementPolicy"), prp, REPLACEMENT_POLICIES))
    return errs


def validate_job_spec(job: Obj, ctx: Context | None, old: Obj | None = None) -> list[FieldError]:
    """ValidateJobSpec: fields, template, restartPolicy, selector and its match with the template."""
    spec = job.get("spec") or {}
    sp = Path("spec")
    errs = _validate_job_spec_fields(spec, sp)
    template = spec.get("template")
    from uwernetes.apiserver.resources import podspec

    errs.extend(podspec.validate_pod_template_spec(template, sp.child("template"), rs_mod.pod_options(ctx, old)))
    pod_spec = (template or {}).get("spec") or {}
    restart = pod_spec.get("restartPolicy") or ""
    restart_path = sp.child("template", "spec", "restartPolicy")
    if restart in ("", "Always"):
        errs.append(field.required(restart_path, 'valid values: "OnFailure", "Never"'))
    elif restart not in ("OnFailure", "Never"):
        errs.append(field.not_supported(restart_path, restart, ("OnFailure", "Never")))
    elif spec.get("podFailurePolicy") is not None and restart != "Never":
        errs.append(field.invalid(restart_path, restart, 'only "Never" is supported when podFailurePolicy is specified'))
    selector = spec.get("selector")
    if selector is None:
        errs.append(field.required(sp.child("selector"), ""))
    else:
        errs.extend(validation.validate_label_selector(selector, sp.child("selector")))
    labels = ((template or {}).get("metadata") or {}).get("labels")
    if selector is None or not common.selector_matches(selector, labels):
        errs.append(field.invalid(sp.child("template", "metadata", "labels"), common.go_string_map(labels), "`selector` does not match template `labels`"))
    return errs


def _validate_has_label(labels: Any, key: str, expected: str) -> list[FieldError]:
    path = Path("spec", "template", "metadata", "labels").key(key)
    labels = labels if isinstance(labels, dict) else {}
    if key not in labels:
        return [field.required(path, expected)]
    if labels[key] != expected:
        return [field.invalid(path, common.go_string_map(labels), f"must be '{expected}'")]
    return []


def validate_generated_selector(job: Obj, require_prefixed: bool) -> list[FieldError]:
    spec = job.get("spec") or {}
    if spec.get("manualSelector"):
        return []
    m = job.get("metadata") or {}
    uid, name = m.get("uid") or "", m.get("name") or ""
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels")
    errs: list[FieldError] = []
    if not uid:
        errs.append(field.required("metadata.uid", ""))
    errs.extend(_validate_has_label(labels, LEGACY_CONTROLLER_UID_LABEL, uid))
    errs.extend(_validate_has_label(labels, LEGACY_JOB_NAME_LABEL, name))
    # Jobs from before the prefixed labels (pre-1.27) keep validating on update.
    expected_keys = [CONTROLLER_UID_LABEL] if require_prefixed else [CONTROLLER_UID_LABEL, LEGACY_CONTROLLER_UID_LABEL]
    if require_prefixed:
        errs.extend(_validate_has_label(labels, CONTROLLER_UID_LABEL, uid))
        errs.extend(_validate_has_label(labels, JOB_NAME_LABEL, name))
    selector = spec.get("selector")
    if selector is None:
        errs.append(field.required("spec.selector", ""))
    elif not any(common.selector_matches(selector, {key: uid}) for key in expected_keys):
        errs.append(field.invalid("spec.selector", common.go_label_selector(selector), "`selector` not auto-generated"))
    return errs


def validate_job(job: Obj, ctx: Context | None, old: Obj | None = None) -> list[FieldError]:
    """ValidateJob; on update (old given) jobs made before the prefixed labels stay valid."""
    spec = job.get("spec") or {}
    errs = validate_generated_selector(job, require_prefixed=old is None)
    errs.extend(validate_job_spec(job, ctx, old))
    completions = spec.get("completions")
    if spec.get("completionMode") == INDEXED and isinstance(completions, int) and completions > 0:
        name = (job.get("metadata") or {}).get("name") or ""
        hostname = f"{name}-{completions - 1}"
        if validation.is_dns1123_label(hostname):
            errs.append(field.invalid("metadata.name", name, f"will not able to create pod with invalid DNS label: {hostname}"))
    return errs


def _immutable(new_spec: Obj, old_spec: Obj, key: str, value: Any = None) -> list[FieldError]:
    if new_spec.get(key) != old_spec.get(key):
        return [field.invalid(Path("spec", key), value if value is not None else new_spec.get(key), "field is immutable")]
    return []


def _mutable_scheduling_template(template: Obj, old_template: Obj) -> Obj:
    """The old template with the fields a suspended, never-started Job may change taken from new."""
    old_t = copy.deepcopy(old_template)
    spec, old_spec = template.get("spec") or {}, old_t.setdefault("spec", {})
    aff, old_aff = spec.get("affinity"), old_spec.get("affinity")
    if aff is None and old_aff is not None:
        old_aff.pop("nodeAffinity", None)
        if not old_aff:
            old_spec.pop("affinity", None)
    elif aff is not None:
        merged = dict(old_aff or {})
        if aff.get("nodeAffinity") is not None:
            merged["nodeAffinity"] = aff["nodeAffinity"]
        else:
            merged.pop("nodeAffinity", None)
        old_spec["affinity"] = merged
    for key in ("nodeSelector", "tolerations", "schedulingGates"):
        if key in spec:
            old_spec[key] = spec[key]
        else:
            old_spec.pop(key, None)
    tmeta, old_meta = template.get("metadata") or {}, old_t.setdefault("metadata", {})
    for key in ("labels", "annotations"):
        if key in tmeta:
            old_meta[key] = tmeta[key]
        else:
            old_meta.pop(key, None)
    return old_t


def validate_job_update(new: Obj, old: Obj, ctx: Context | None) -> list[FieldError]:
    """The update-only rules of ValidateJobSpecUpdate (immutability)."""
    spec, old_spec = new.get("spec") or {}, old.get("spec") or {}
    errs: list[FieldError] = []
    # completions: Indexed Jobs may change it together with parallelism (ElasticIndexedJob).
    elastic = common.gates(ctx).enabled("ElasticIndexedJob") and spec.get("completionMode") == INDEXED
    if spec.get("completions") != old_spec.get("completions"):
        if not elastic:
            errs.extend(_immutable(spec, old_spec, "completions"))
        elif spec.get("completions") is not None and spec.get("completions") != spec.get("parallelism"):
            errs.append(field.invalid("spec.completions", spec.get("completions"), "can only be modified in tandem with spec.parallelism"))
    errs.extend(_immutable(spec, old_spec, "selector", common.go_label_selector(spec.get("selector"))))
    template, old_template = spec.get("template") or {}, old_spec.get("template") or {}
    suspended_never_started = bool(old_spec.get("suspend")) and not (old.get("status") or {}).get("startTime")
    if suspended_never_started:
        old_template = _mutable_scheduling_template(template, old_template)
    if template != old_template:
        errs.append(field.invalid("spec.template", common.GoLiteral("core.PodTemplateSpec{...}"), "field is immutable"))
    errs.extend(_immutable(spec, old_spec, "completionMode"))
    errs.extend(_immutable(spec, old_spec, "podFailurePolicy", common.GoLiteral("&batch.PodFailurePolicy{...}")))
    errs.extend(_immutable(spec, old_spec, "backoffLimitPerIndex"))
    errs.extend(_immutable(spec, old_spec, "managedBy"))
    errs.extend(_immutable(spec, old_spec, "successPolicy", common.GoLiteral("&batch.SuccessPolicy{...}")))
    return errs


def _has_condition(job: Obj, ctype: str) -> bool:
    return any(c.get("type") == ctype and c.get("status") == "True" for c in (job.get("status") or {}).get("conditions") or ())


def validate_job_status(new: Obj, old: Obj) -> list[FieldError]:
    status = new.get("status") or {}
    p = Path("status")
    errs: list[FieldError] = []
    for key in ("active", "succeeded", "failed", "ready", "terminating"):
        errs.extend(rs_mod.nonneg(status, key, p))
    uncounted = status.get("uncountedTerminatedPods") or {}
    seen: set[str] = set()
    for key in ("succeeded", "failed"):
        for i, uid in enumerate(uncounted.get(key) or ()):
            up = p.child("uncountedTerminatedPods", key).index(i)
            if not uid:
                errs.append(field.invalid(up, uid, "must not be empty"))
            elif uid in seen:
                errs.append(field.duplicate(up, uid))
            seen.add(uid)
    conds = p.child("conditions")
    met = _has_condition(new, "SuccessCriteriaMet")
    spec = new.get("spec") or {}
    if (spec.get("completionMode") or NON_INDEXED) != INDEXED and met:
        errs.append(field.invalid(conds, field.OMIT_VALUE, "cannot set SuccessCriteriaMet to NonIndexed Job"))
    if met and _has_condition(new, "Failed"):
        errs.append(field.invalid(conds, field.OMIT_VALUE, "cannot set SuccessCriteriaMet=True and Failed=true conditions"))
    if met and _has_condition(new, "FailureTarget"):
        errs.append(field.invalid(conds, field.OMIT_VALUE, "cannot set SuccessCriteriaMet=True and FailureTarget=true conditions"))
    if spec.get("successPolicy") is None and met:
        errs.append(field.invalid(conds, field.OMIT_VALUE, "cannot set SuccessCriteriaMet=True for Job without SuccessPolicy"))
    if spec.get("successPolicy") is not None and not met and _has_condition(new, "Complete"):
        errs.append(field.invalid(conds, field.OMIT_VALUE, "cannot set Complete=True for Job with SuccessPolicy unless SuccessCriteriaMet=True"))
    if _has_condition(old, "SuccessCriteriaMet") and not met:
        errs.append(field.invalid(conds, field.OMIT_VALUE, "cannot disable the SuccessCriteriaMet=True condition"))
    return errs


class JobStrategy(Strategy):
    has_status = True

    def default(self, obj: Obj) -> None:
        default_job(obj)
        rs_mod.default_template(obj, "Job", "batch/v1")

    def prepare_for_create(self, obj: Obj, ctx: Context) -> None:
        obj["status"] = {}
        m = obj.setdefault("metadata", {})
        m["generation"] = 1
        drop_disabled_fields(obj, None, ctx)
        rs_mod.drop_disabled_template_fields(obj, None, ctx)
        if not (obj.get("spec") or {}).get("manualSelector"):
            generate_selector(obj)
        # Upstream's defaulting on read copies the (now generated) template labels.
        labels = ((obj["spec"].get("template") or {}).get("metadata") or {}).get("labels")
        if labels is not None and not m.get("labels"):
            m["labels"] = copy.deepcopy(labels)

    def prepare_for_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        common.keep_status(new, old)
        drop_disabled_fields(new, old, ctx)
        rs_mod.drop_disabled_template_fields(new, old, ctx)
        common.bump_generation_if(new, old, new.get("spec") != old.get("spec"))

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return validate_job(obj, ctx)

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_job(new, ctx, old) + validate_job_update(new, old, ctx)

    def prepare_for_status_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        common.keep_spec(new, old)

    def validate_status_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return validate_job_status(new, old)


# --------------------------------------------------------------------------------------------
# printing
# --------------------------------------------------------------------------------------------


def job_status_text(job: Obj) -> str:
    if _has_condition(job, "Complete"):
        return "Complete"
    if _has_condition(job, "Failed"):
        return "Failed"
    if (job.get("metadata") or {}).get("deletionTimestamp"):
        return "Terminating"
    if _has_condition(job, "Suspended"):
        return "Suspended"
    if _has_condition(job, "FailureTarget"):
        return "FailureTarget"
    return "Running"


def completions_text(job: Obj) -> str:
    spec, succeeded = job.get("spec") or {}, common.int_field(job.get("status"), "succeeded")
    if spec.get("completions") is not None:
        return f"{succeeded}/{spec['completions']}"
    parallelism = common.int_field(spec, "parallelism")
    return f"{succeeded}/1 of {parallelism}" if parallelism > 1 else f"{succeeded}/1"


def duration_text(job: Obj, now: datetime | None = None) -> str:
    status = job.get("status") or {}
    start, end = status.get("startTime"), status.get("completionTime")
    if not start:
        return ""
    if not end:
        return duration.age(start, now)
    return duration.human_duration((meta.parse_time(end) - meta.parse_time(start)).total_seconds())


def table_row(job: Obj, now: datetime | None = None) -> list[Any]:
    names, images = common.layout_container_cells(common.template_containers(job))
    return [
        common.name_of(job),
        job_status_text(job),
        completions_text(job),
        duration_text(job, now),
        common.age(job, now),
        names,
        images,
        common.format_label_selector((job.get("spec") or {}).get("selector")),
    ]


PRINTER = Printer(
    columns=[
        common.name_column(),
        Column("Status", description="Status of the job."),
        Column("Completions", description="The number of pods which reached phase Succeeded. The value increases monotonically for a given spec. However, it may decrease in reaction to scale down of elastic indexed jobs."),
        Column("Duration", description="Time required to complete the job."),
        common.age_column(),
        common.wide("Containers", common.CONTAINERS_DESCRIPTION),
        common.wide("Images", common.IMAGES_DESCRIPTION),
        common.wide("Selector", "A label query over pods that should match the pod count. Normally, the system sets this field for you. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors"),
    ],
    row=table_row,
)

JOBS = ResourceType(
    group="batch",
    version="v1",
    kind="Job",
    plural="jobs",
    namespaced=True,
    categories=("all",),
    subresources=(Subresource("status", ("get", "patch", "update")),),
    strategy=JobStrategy(),
    printer=PRINTER,
    field_selectors={"status.successful": lambda j: str(common.int_field(j.get("status"), "succeeded"))},
)
