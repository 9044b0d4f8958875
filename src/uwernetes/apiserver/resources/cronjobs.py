"""CronJobs (batch/v1): upstream's `pkg/registry/batch/cronjob/strategy.go`, the CronJob parts of
`pkg/apis/batch/validation` (schedule via robfig/cron, timeZone, concurrencyPolicy, the job
template), `SetDefaults_CronJob` and `printCronJob` (v1.30).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from uwernetes.apiserver.resources import core_common as common
from uwernetes.apiserver.resources import jobs as jobs_mod
from uwernetes.apiserver.resources import podspec
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
from uwernetes.machinery import cron, duration, field
from uwernetes.machinery.field import FieldError, Path

CONCURRENCY_POLICIES = ("Allow", "Forbid", "Replace")
# The controller appends an 11-character `-<minutes>` suffix; Job names stay within 63.
MAX_CRONJOB_NAME_LENGTH = 52
_TZ_CHARS = re.compile(r"^[A-Za-z\.\-_0-9+]{1,14}$")


def default_cronjob(cj: Obj) -> None:
    """SetDefaults_CronJob, plus the pod defaults of the job template."""
    spec = common.spec_of(cj)
    spec.setdefault("concurrencyPolicy", "Allow")
    if spec.get("suspend") is None:
        spec["suspend"] = False
    if spec.get("successfulJobsHistoryLimit") is None:
        spec["successfulJobsHistoryLimit"] = 3
    if spec.get("failedJobsHistoryLimit") is None:
        spec["failedJobsHistoryLimit"] = 1
    job_template = spec.get("jobTemplate")
    if isinstance(job_template, dict) and isinstance(job_template.get("spec"), dict):
        rs_mod.default_template(job_template, "CronJob", "batch/v1")


def validate_schedule(schedule: str, allow_tz: bool, time_zone: str | None, path: Path) -> list[FieldError]:
    errs: list[FieldError] = []
    try:
        cron.parse_standard(schedule)
    except cron.CronError as e:
        errs.append(field.invalid(path, schedule, str(e)))
    if allow_tz and "TZ" in schedule and time_zone is not None:
        errs.append(field.invalid(path, schedule, "cannot use both timeZone field and TZ or CRON_TZ in schedule"))
    elif not allow_tz and "TZ" in schedule:
        errs.append(field.invalid(path, schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"))
    return errs


def validate_time_zone(tz: Any, path: Path) -> list[FieldError]:
    if tz is None:
        return []
    if tz == "":
        return [field.invalid(path, tz, "timeZone must be nil or non-empty string")]
    for part in tz.split("/"):
        if part in (".", "..") or part.startswith("-") or not _TZ_CHARS.match(part):
            return [field.invalid(path, tz, f"unknown time zone {tz}")]
    errs: list[FieldError] = []
    if tz.lower() == "local":
        errs.append(field.invalid(path, tz, "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones"))
    try:
        cron.load_location(tz)
    except cron.CronError as e:
        errs.append(field.invalid(path, tz, str(e)))
    return errs


def validate_job_template(template: Any, path: Path, ctx: Context | None) -> list[FieldError]:
    """ValidateJobTemplateSpec: the Job spec rules without selector generation."""
    spec = (template or {}).get("spec") if isinstance(template, dict) else None
    sp = path.child("spec")
    if not isinstance(spec, dict):
        spec = {}
    errs = jobs_mod._validate_job_spec_fields(spec, sp)
    pod_template = spec.get("template")
    errs.extend(podspec.validate_pod_template_spec(pod_template, sp.child("template"), rs_mod.pod_options(ctx)))
    restart = (((pod_template or {}).get("spec") or {}).get("restartPolicy")) or ""
    restart_path = sp.child("template", "spec", "restartPolicy")
    if restart in ("", "Always"):
        errs.append(field.required(restart_path, 'valid values: "OnFailure", "Never"'))
    elif restart not in ("OnFailure", "Never"):
        errs.append(field.not_supported(restart_path, restart, ("OnFailure", "Never")))
    elif spec.get("podFailurePolicy") is not None and restart != "Never":
        errs.append(field.invalid(restart_path, restart, 'only "Never" is supported when podFailurePolicy is specified'))
    if spec.get("selector") is not None:
        errs.append(field.invalid(sp.child("selector"), common.go_label_selector(spec["selector"]), "`selector` will be auto-generated"))
    if spec.get("manualSelector"):
        errs.append(field.not_supported(sp.child("manualSelector"), common.GoLiteral("true"), ("nil", "false")))
    return errs


def validate_cronjob_spec(cj: Obj, old: Obj | None, ctx: Context | None) -> list[FieldError]:
    spec = cj.get("spec") or {}
    old_spec = (old.get("spec") or {}) if old is not None else None
    sp = Path("spec")
    errs: list[FieldError] = []
    schedule = spec.get("schedule") or ""
    if not schedule:
        errs.append(field.required(sp.child("schedule"), ""))
    else:
        allow_tz = old_spec is not None and "TZ" in (old_spec.get("schedule") or "")
        errs.extend(validate_schedule(schedule, allow_tz, spec.get("timeZone"), sp.child("schedule")))
    if spec.get("startingDeadlineSeconds") is not None:
        errs.extend(rs_mod.nonneg(spec, "startingDeadlineSeconds", sp))
    if old_spec is None or old_spec.get("timeZone") != spec.get("timeZone"):
        errs.extend(validate_time_zone(spec.get("timeZone"), sp.child("timeZone")))
    policy = spec.get("concurrencyPolicy") or ""
    if not policy:
        errs.append(field.required(sp.child("concurrencyPolicy"), ""))
    elif policy not in CONCURRENCY_POLICIES:
        errs.append(field.not_supported(sp.child("concurrencyPolicy"), policy, CONCURRENCY_POLICIES))
    errs.extend(validate_job_template(spec.get("jobTemplate"), sp.child("jobTemplate"), ctx))
    for key in ("successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
        errs.extend(rs_mod.nonneg(spec, key, sp))
    return errs


def validate_cronjob(cj: Obj, ctx: Context | None) -> list[FieldError]:
    errs = validate_cronjob_spec(cj, None, ctx)
    name = (cj.get("metadata") or {}).get("name") or ""
    if len(name) > MAX_CRONJOB_NAME_LENGTH:
        errs.append(field.invalid("metadata.name", name, f"must be no more than {MAX_CRONJOB_NAME_LENGTH} characters"))
    return errs


class CronJobStrategy(Strategy):
    has_status = True

    def default(self, obj: Obj) -> None:
        default_cronjob(obj)

    def prepare_for_create(self, obj: Obj, ctx: Context) -> None:
        obj["status"] = {}
        obj.setdefault("metadata", {})["generation"] = 1
        template = (obj.get("spec") or {}).get("jobTemplate")
        if isinstance(template, dict):
            jobs_mod.drop_disabled_fields(template, None, ctx)
            rs_mod.drop_disabled_template_fields(template, None, ctx)

    def prepare_for_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        common.keep_status(new, old)
        template = (new.get("spec") or {}).get("jobTemplate")
        old_template = (old.get("spec") or {}).get("jobTemplate")
        if isinstance(template, dict):
            jobs_mod.drop_disabled_fields(template, old_template if isinstance(old_template, dict) else None, ctx)
            rs_mod.drop_disabled_template_fields(template, old_template if isinstance(old_template, dict) else None, ctx)
        common.bump_generation_if(new, old, new.get("spec") != old.get("spec"))

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return validate_cronjob(obj, ctx)

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        # No 52-character name check on update: old, longer names stay updatable and deletable.
        return validate_cronjob_spec(new, old, ctx)

    def prepare_for_status_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        common.keep_spec(new, old)


# --------------------------------------------------------------------------------------------
# printing
# --------------------------------------------------------------------------------------------


def _bool_ptr(value: Any) -> str:
    if value is None:
        return "<unset>"
    return "True" if value else "False"


def table_row(cj: Obj, now: datetime | None = None) -> list[Any]:
    spec, status = cj.get("spec") or {}, cj.get("status") or {}
    last = status.get("lastScheduleTime")
    job_spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    names, images = common.layout_container_cells(((job_spec.get("template") or {}).get("spec") or {}).get("containers"))
    return [
        common.name_of(cj),
        spec.get("schedule") or "",
        spec.get("timeZone") if spec.get("timeZone") is not None else "<none>",
        _bool_ptr(spec.get("suspend")),
        len(status.get("active") or ()),
        duration.age(last, now) if last else "<none>",
        common.age(cj, now),
        names,
        images,
        common.format_label_selector(job_spec.get("selector")),
    ]


PRINTER = Printer(
    columns=[
        common.name_column(),
        Column("Schedule", description="The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron."),
        Column("Timezone", description="The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones. If not specified, this will default to the time zone of the kube-controller-manager process. The set of valid time zone names and the time zone offset is loaded from the system-wide time zone database by the API server during CronJob validation and the controller manager during execution. If no system-wide time zone database can be found a bundled version of the database is used instead. If the time zone name becomes invalid during the lifetime of a CronJob or due to a change in host configuration, the controller will stop creating new new Jobs and will create a system event with the reason UnknownTimeZone. More information can be found in https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#time-zones"),
        Column("Suspend", type="boolean", description="This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.  Defaults to false."),
        Column("Active", type="integer", description="A list of pointers to currently running jobs."),
        Column("Last Schedule", description="Information when was the last time the job was successfully scheduled."),
        common.age_column(),
        common.wide("Containers", common.CONTAINERS_DESCRIPTION),
        common.wide("Images", common.IMAGES_DESCRIPTION),
        common.wide("Selector", "A label query over pods that should match the pod count. Normally, the system sets this field for you. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors"),
    ],
    row=table_row,
)

CRONJOBS = ResourceType(
    group="batch",
    version="v1",
    kind="CronJob",
    plural="cronjobs",
    namespaced=True,
    short_names=("cj",),
    categories=("all",),
    subresources=(Subresource("status", ("get", "patch", "update")),),
    strategy=CronJobStrategy(),
    printer=PRINTER,
)
