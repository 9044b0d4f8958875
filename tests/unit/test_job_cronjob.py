"""CronJob schedules (robfig/cron semantics), the CronJob kind, the controller's pure helpers and
the TTL-after-finished arithmetic."""

from datetime import UTC, datetime, timedelta

import pytest

from uwernetes.apiserver.resources import cronjobs
from uwernetes.apiserver.resources.base import Context
from uwernetes.controllers import cronjob as cjc
from uwernetes.controllers import ttl_after_finished as ttl
from uwernetes.machinery import cron

FRI = datetime(2024, 4, 19, 16, 50, tzinfo=UTC)  # a Friday


@pytest.mark.parametrize(
    "spec, after, want",
    [
        ("*/15 9-17 * * mon-fri", FRI, datetime(2024, 4, 19, 17, 0, tzinfo=UTC)),
        ("*/15 9-17 * * mon-fri", datetime(2024, 4, 19, 17, 45, tzinfo=UTC), datetime(2024, 4, 22, 9, 0, tzinfo=UTC)),
        ("@hourly", FRI, datetime(2024, 4, 19, 17, 0, tzinfo=UTC)),
        ("@daily", FRI, datetime(2024, 4, 20, 0, 0, tzinfo=UTC)),
        ("@weekly", FRI, datetime(2024, 4, 21, 0, 0, tzinfo=UTC)),
        ("0 0 29 2 *", FRI, datetime(2028, 2, 29, 0, 0, tzinfo=UTC)),
        ("0 0 13 * 5", FRI, datetime(2024, 4, 26, 0, 0, tzinfo=UTC)),  # dom OR dow when neither is *
        ("0 0 13 * *", FRI, datetime(2024, 5, 13, 0, 0, tzinfo=UTC)),
        ("5/20 * * * *", FRI, datetime(2024, 4, 19, 17, 5, tzinfo=UTC)),
        ("TZ=Asia/Tokyo 0 9 * * *", FRI, datetime(2024, 4, 20, 0, 0, tzinfo=UTC)),
        ("@every 90s", FRI, FRI + timedelta(seconds=90)),
    ],
)
def test_next(spec, after, want):
    assert cron.parse_standard(spec).next(after) == want


@pytest.mark.parametrize(
    "spec, message",
    [
        ("", "empty spec string"),
        ("* * * *", "expected exactly 5 fields, found 4: [* * * *]"),
        ("61 * * * *", "end of range (61) above maximum (59): 61"),
        ("0 0 0 * *", "beginning of range (0) below minimum (1): 0"),
        ("*/0 * * * *", "step of range should be a positive number: */0"),
        ("1-2-3 * * * *", "too many hyphens: 1-2-3"),
        ("1/2/3 * * * *", "too many slashes: 1/2/3"),
        ("x * * * *", 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'),
        ("-1 * * * *", 'failed to parse int from : strconv.Atoi: parsing "": invalid syntax'),
        ("@foo", "unrecognized descriptor: @foo"),
        ("5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"),
    ],
)
def test_parse_errors(spec, message):
    with pytest.raises(cron.CronError) as e:
        cron.parse_standard(spec)
    assert str(e.value) == message


def make_cronjob(name="cj", **spec):
    body = {"schedule": "*/1 * * * *",
            "jobTemplate": {"spec": {"template": {"spec": {"restartPolicy": "OnFailure",
                                                            "containers": [{"name": "c", "image": "busybox"}]}}}}}
    body.update(spec)
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name, "namespace": "default"}, "spec": body}


def errors_of(cj, old=None):
    strategy = cronjobs.CRONJOBS.strategy
    strategy.default(cj)
    errs = strategy.validate(cj, Context()) if old is None else strategy.validate_update(cj, old, Context())
    return [str(e) for e in errs]


def test_defaults():
    cj = make_cronjob()
    cronjobs.CRONJOBS.strategy.default(cj)
    spec = cj["spec"]
    assert (spec["concurrencyPolicy"], spec["suspend"], spec["successfulJobsHistoryLimit"], spec["failedJobsHistoryLimit"]) == ("Allow", False, 3, 1)
    assert spec["jobTemplate"]["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == 30


@pytest.mark.parametrize(
    "cj, want",
    [
        pytest.param(make_cronjob(), [], id="valid"),
        pytest.param(make_cronjob(schedule=""), ["spec.schedule: Required value"], id="schedule required"),
        pytest.param(make_cronjob(schedule="* * *"), ['spec.schedule: Invalid value: "* * *": expected exactly 5 fields, found 3: [* * *]'], id="bad schedule"),
        pytest.param(make_cronjob(schedule="TZ=UTC 0 * * * *"),
                     ['spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead'], id="TZ in schedule"),
        pytest.param(make_cronjob(timeZone="Mars/Olympus"), ['spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus'], id="unknown zone"),
        pytest.param(make_cronjob(timeZone=""), ['spec.timeZone: Invalid value: "": timeZone must be nil or non-empty string'], id="empty zone"),
        pytest.param(make_cronjob(timeZone="Europe/Berlin"), [], id="known zone"),
        pytest.param(make_cronjob(concurrencyPolicy="Sometimes"),
                     ['spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"'], id="concurrency"),
        pytest.param(make_cronjob(startingDeadlineSeconds=-1), ["spec.startingDeadlineSeconds: Invalid value: -1: must be greater than or equal to 0"], id="deadline"),
        pytest.param(make_cronjob("x" * 53), [f'metadata.name: Invalid value: "{"x" * 53}": must be no more than 52 characters'], id="long name"),
    ],
)
def test_validation(cj, want):
    assert errors_of(cj) == want


def test_restart_policy_and_selector_in_job_template():
    cj = make_cronjob()
    cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["restartPolicy"] = "Always"
    cj["spec"]["jobTemplate"]["spec"]["selector"] = {"matchLabels": {"a": "b"}}
    errs = errors_of(cj)
    assert 'spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"' in errs
    assert any(e.startswith("spec.jobTemplate.spec.selector: Invalid value:") and e.endswith("`selector` will be auto-generated") for e in errs)


def test_update_keeps_tz_schedules_and_long_names_valid():
    old = make_cronjob("y" * 60, schedule="TZ=UTC 0 * * * *")
    new = make_cronjob("y" * 60, schedule="TZ=UTC 5 * * * *")
    assert errors_of(new, old) == []


def test_printer_row():
    cj = make_cronjob(timeZone="Etc/UTC")
    cronjobs.CRONJOBS.strategy.default(cj)
    cj["metadata"]["creationTimestamp"] = "2024-04-19T16:00:00Z"
    cj["status"] = {"active": [{"name": "a"}], "lastScheduleTime": "2024-04-19T16:49:00Z"}
    assert cronjobs.table_row(cj, FRI) == ["cj", "*/1 * * * *", "Etc/UTC", "False", 1, "60s", "50m", "c", "busybox", "<none>"]
    assert [c.name for c in cronjobs.PRINTER.columns[:7]] == ["Name", "Schedule", "Timezone", "Suspend", "Active", "Last Schedule", "Age"]


def test_job_name_and_most_recent_schedule_time():
    assert cjc.job_name("hello", datetime(2024, 4, 19, 16, 50, tzinfo=UTC)) == f"hello-{int(FRI.timestamp()) // 60}"
    cj = {"metadata": {"creationTimestamp": "2024-04-19T16:00:30Z"}, "spec": {}, "status": {}}
    every_minute = cron.parse_standard("* * * * *")
    assert cjc.most_recent_schedule_time(cj, datetime(2024, 4, 19, 16, 0, 50, tzinfo=UTC), every_minute) == (None, 0)
    got, missed = cjc.most_recent_schedule_time(cj, datetime(2024, 4, 19, 16, 5, 10, tzinfo=UTC), every_minute)
    assert got == datetime(2024, 4, 19, 16, 5, tzinfo=UTC) and missed == 5
    cj["spec"]["startingDeadlineSeconds"] = 30
    got, missed = cjc.most_recent_schedule_time(cj, datetime(2024, 4, 19, 16, 5, 10, tzinfo=UTC), every_minute)
    assert got == datetime(2024, 4, 19, 16, 5, tzinfo=UTC) and missed == 1


def test_jobs_to_delete_oldest_first():
    def job(name, start):
        return {"metadata": {"name": name}, "status": {"startTime": start} if start else {}}

    jobs = [job("c", "2024-01-03T00:00:00Z"), job("a", "2024-01-01T00:00:00Z"), job("n", None), job("b", "2024-01-02T00:00:00Z")]
    assert [j["metadata"]["name"] for j in cjc.jobs_to_delete(jobs, 2)] == ["n", "a"]
    assert cjc.jobs_to_delete(jobs, 4) == [] and cjc.jobs_to_delete(jobs, None) == []


def test_ttl_after_finished():
    job = {"metadata": {"name": "j", "namespace": "ns"}, "spec": {"ttlSecondsAfterFinished": 100},
           "status": {"conditions": [{"type": "Complete", "status": "True", "lastTransitionTime": "2024-04-19T16:50:00Z"}]}}
    assert ttl.needs_cleanup(job)
    assert ttl.time_left(job, FRI + timedelta(seconds=30)) == 70
    assert ttl.time_left(job, FRI + timedelta(seconds=130)) == -30
    running = {"metadata": {"name": "j", "namespace": "ns"}, "spec": {"ttlSecondsAfterFinished": 0}, "status": {}}
    assert not ttl.needs_cleanup(running)
    with pytest.raises(ValueError, match="unable to find the status of the finished Job ns/j"):
        ttl.time_left(running, FRI)
    no_time = {**job, "status": {"conditions": [{"type": "Failed", "status": "True"}]}}
    with pytest.raises(ValueError, match="unable to find the time when the Job ns/j finished"):
        ttl.time_left(no_time, FRI)
    assert not ttl.needs_cleanup({**job, "metadata": {"deletionTimestamp": "x"}})
