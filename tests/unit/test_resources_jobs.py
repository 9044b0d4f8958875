import copy
from datetime import UTC, datetime

import pytest

from uwernetes import features
from uwernetes.apiserver.resources import catalogue, jobs
from uwernetes.apiserver.resources.base import Context

S = jobs.JOBS.strategy
NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
GATES_ON = Context(features=features.FeatureGates({"JobSuccessPolicy": True, "JobManagedBy": True}))


def msgs(errs):
    return [str(e) for e in errs]


def make(ctx=None, restart="Never", **spec):
    job = {
        "metadata": {"name": "pi", "namespace": "default", "uid": "u1"},
        "spec": {"template": {"spec": {"containers": [{"name": "pi", "image": "perl"}], "restartPolicy": restart}}, **spec},
    }
    S.default(job)
    S.prepare_for_create(job, ctx or Context())
    return job


def test_defaults_and_generated_selector():
    job = make()
    spec = job["spec"]
    assert (spec["completions"], spec["parallelism"], spec["backoffLimit"]) == (1, 1, 6)
    assert (spec["completionMode"], spec["suspend"], spec["podReplacementPolicy"]) == ("NonIndexed", False, "TerminatingOrFailed")
    assert spec["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": "u1"}}
    expected_labels = {"job-name": "pi", "batch.kubernetes.io/job-name": "pi", "controller-uid": "u1", "batch.kubernetes.io/controller-uid": "u1"}
    assert spec["template"]["metadata"]["labels"] == expected_labels
    assert job["metadata"]["labels"] == expected_labels
    assert job["status"] == {}
    assert S.validate(job, Context()) == []


def test_defaults_depending_on_other_fields():
    assert make(parallelism=3)["spec"].get("completions") is None
    assert make(completionMode="Indexed", completions=2, backoffLimitPerIndex=1)["spec"]["backoffLimit"] == 2**31 - 1
    pfp = {"rules": [{"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]}]}
    job = make(podFailurePolicy=pfp)
    assert job["spec"]["podReplacementPolicy"] == "Failed"
    assert job["spec"]["podFailurePolicy"]["rules"][0]["onPodConditions"][0]["status"] == "True"


@pytest.mark.parametrize(
    ("restart", "expected"),
    [
        pytest.param("Always", ['spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"'], id="always"),
        pytest.param("OnFailure", [], id="onfailure"),
    ],
)
def test_restart_policy(restart, expected):
    assert msgs(S.validate(make(restart=restart), Context())) == expected


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param({"parallelism": -1}, ["spec.parallelism: Invalid value: -1: must be greater than or equal to 0"], id="parallelism"),
        pytest.param({"completions": -1, "parallelism": 1}, ["spec.completions: Invalid value: -1: must be greater than or equal to 0"], id="completions"),
        pytest.param({"completionMode": "Indexed", "parallelism": 1}, ["spec.completions: Required value: when completion mode is Indexed"], id="indexed needs completions"),
        pytest.param({"completionMode": "Sometimes"}, ['spec.completionMode: Unsupported value: "Sometimes": supported values: "NonIndexed", "Indexed"'], id="mode"),
        pytest.param({"backoffLimitPerIndex": 1}, ["spec.backoffLimitPerIndex: Invalid value: 1: requires indexed completion mode"], id="per index non-indexed"),
        pytest.param(
            {"completionMode": "Indexed", "completions": 2, "maxFailedIndexes": 1},
            ["spec.backoffLimitPerIndex: Required value: when maxFailedIndexes is specified"],
            id="maxFailedIndexes without per index",
        ),
        pytest.param(
            {"podReplacementPolicy": "Sometimes"},
            ['spec.podReplacementPolicy: Unsupported value: "Sometimes": supported values: "Failed", "TerminatingOrFailed"'],
            id="replacement policy",
        ),
    ],
)
def test_validate_spec(spec, expected):
    assert msgs(S.validate(make(**spec), Context())) == expected


def test_indexed_job_name_must_leave_room_for_index():
    job = make(completionMode="Indexed", completions=10)
    job["metadata"]["name"] = "a" * 62
    assert msgs(jobs.validate_job(job, Context()))[-1] == (
        f'metadata.name: Invalid value: "{"a" * 62}": will not able to create pod with invalid DNS label: {"a" * 62}-9'
    )


def test_manual_selector_mismatch():
    job = make(manualSelector=True, selector={"matchLabels": {"app": "x"}})
    assert msgs(S.validate(job, Context())) == [
        "spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`"
    ]


def test_user_label_conflicting_with_generated_one():
    job = {"metadata": {"name": "pi", "uid": "u1"}, "spec": {"template": {"metadata": {"labels": {"job-name": "other"}},
                                                                       "spec": {"containers": [{"name": "c", "image": "i"}], "restartPolicy": "Never"}}}}
    S.default(job)
    S.prepare_for_create(job, Context())
    assert msgs(S.validate(job, Context())) == [
        'spec.template.metadata.labels[job-name]: Invalid value: map[string]string{"batch.kubernetes.io/controller-uid":"u1", '
        '"batch.kubernetes.io/job-name":"pi", "controller-uid":"u1", "job-name":"other"}: must be \'pi\''
    ]


# --- successPolicy / managedBy (api-features §10) ---


def indexed(**extra):
    return make(GATES_ON, completionMode="Indexed", completions=5, parallelism=5, **extra)


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        pytest.param([{"succeededIndexes": "0,2-4", "succeededCount": 4}], [], id="valid"),
        pytest.param([], ["spec.successPolicy.rules: Required value: at least one rules must be specified when the successPolicy is specified"], id="no rules"),
        pytest.param([{}], ["spec.successPolicy.rules[0]: Required value: at least one of succeededCount or succeededIndexes must be specified"], id="empty rule"),
        pytest.param([{"succeededCount": 1}] * 21, ["spec.successPolicy.rules: Too many: 21: must have at most 20 items"], id="too many"),
        pytest.param(
            [{"succeededIndexes": "1-2-3"}],
            ['spec.successPolicy.rules[0].succeededIndexes: Invalid value: "1-2-3": error parsing succeededIndexes: the fragment "1-2-3" violates the requirement that an index interval can have at most two parts separated by \'-\''],
            id="three parts",
        ),
        pytest.param(
            [{"succeededIndexes": "a"}],
            ['spec.successPolicy.rules[0].succeededIndexes: Invalid value: "a": error parsing succeededIndexes: cannot convert string to integer for index: "a"'],
            id="not a number",
        ),
        pytest.param(
            [{"succeededIndexes": "5"}],
            ['spec.successPolicy.rules[0].succeededIndexes: Invalid value: "5": error parsing succeededIndexes: too large index: "5"'],
            id="too large",
        ),
        pytest.param(
            [{"succeededIndexes": "3,1"}],
            ['spec.successPolicy.rules[0].succeededIndexes: Invalid value: "3,1": error parsing succeededIndexes: non-increasing order, previous: 3, current: 1'],
            id="unsorted",
        ),
        pytest.param(
            [{"succeededIndexes": "2-1"}],
            ['spec.successPolicy.rules[0].succeededIndexes: Invalid value: "2-1": error parsing succeededIndexes: non-increasing order, previous: 2, current: 1'],
            id="reversed interval",
        ),
        pytest.param(
            [{"succeededCount": 6}],
            ["spec.successPolicy.rules[0].succeededCount: Invalid value: 6: must be less than or equal to 5 (the number of specified completions)"],
            id="count above completions",
        ),
        pytest.param(
            [{"succeededIndexes": "0-1", "succeededCount": 3}],
            ["spec.successPolicy.rules[0].succeededCount: Invalid value: 3: must be less than or equal to 2 (the number of indexes in the specified succeededIndexes field)"],
            id="count above indexes",
        ),
        pytest.param([{"succeededCount": 0}], [], id="zero count accepted"),
    ],
)
def test_success_policy_validation(rules, expected):
    assert msgs(S.validate(indexed(successPolicy={"rules": rules}), GATES_ON)) == expected


def test_success_policy_requires_indexed():
    job = make(GATES_ON, successPolicy={"rules": [{"succeededCount": 1}]})
    assert msgs(S.validate(job, GATES_ON)) == [
        "spec.successPolicy: Invalid value: batch.SuccessPolicy{...}: requires indexed completion mode"
    ]


def test_gated_fields_dropped_when_gates_off_unless_old_had_them():
    job = make(successPolicy={"rules": [{"succeededCount": 1}]}, managedBy="example.com/ctl")
    assert "successPolicy" not in job["spec"] and "managedBy" not in job["spec"]
    old = indexed(successPolicy={"rules": [{"succeededCount": 1}]}, managedBy="example.com/ctl")
    new = copy.deepcopy(old)
    S.prepare_for_update(new, old, Context())
    assert new["spec"]["successPolicy"] == old["spec"]["successPolicy"]
    assert new["spec"]["managedBy"] == "example.com/ctl"


@pytest.mark.parametrize(
    ("managed_by", "expected"),
    [
        pytest.param("kubernetes.io/job-controller", [], id="reserved"),
        pytest.param("example.com/" + "x" * 60, ["spec.managedBy: Too long: may not be longer than 63"], id="too long"),
    ],
)
def test_managed_by(managed_by, expected):
    assert msgs(S.validate(make(GATES_ON, managedBy=managed_by), GATES_ON)) == expected


def test_update_immutability():
    old = indexed(successPolicy={"rules": [{"succeededCount": 1}]}, managedBy="example.com/a")
    new = copy.deepcopy(old)
    new["spec"]["managedBy"] = "example.com/b"
    new["spec"]["successPolicy"] = {"rules": [{"succeededCount": 2}]}
    new["spec"]["template"]["spec"]["containers"][0]["image"] = "perl:2"
    assert msgs(S.validate_update(new, old, GATES_ON)) == [
        "spec.template: Invalid value: core.PodTemplateSpec{...}: field is immutable",
        'spec.managedBy: Invalid value: "example.com/b": field is immutable',
        "spec.successPolicy: Invalid value: &batch.SuccessPolicy{...}: field is immutable",
    ]


def test_suspended_job_may_change_scheduling_directives():
    old = make(suspend=True)
    new = copy.deepcopy(old)
    new["spec"]["template"]["spec"]["nodeSelector"] = {"zone": "a"}
    assert S.validate_update(new, old, Context()) == []
    old["spec"]["suspend"] = False
    assert msgs(S.validate_update(new, old, Context())) == ["spec.template: Invalid value: core.PodTemplateSpec{...}: field is immutable"]


def test_status_invariants():
    job = indexed()
    job["status"] = {"conditions": [{"type": "SuccessCriteriaMet", "status": "True"}]}
    assert msgs(S.validate_status_update(job, {}, Context())) == [
        "status.conditions: Invalid value: cannot set SuccessCriteriaMet=True for Job without SuccessPolicy"
    ]
    assert msgs(S.validate_status_update({"spec": {}, "status": {"active": -1}}, {}, Context())) == [
        "status.active: Invalid value: -1: must be greater than or equal to 0"
    ]


@pytest.mark.parametrize(
    ("conditions", "deleting", "status"),
    [
        pytest.param([], False, "Running", id="running"),
        pytest.param([{"type": "Complete", "status": "True"}], False, "Complete", id="complete"),
        pytest.param([{"type": "Failed", "status": "True"}], True, "Failed", id="failed wins over terminating"),
        pytest.param([{"type": "Suspended", "status": "True"}], True, "Terminating", id="terminating"),
        pytest.param([{"type": "Suspended", "status": "True"}], False, "Suspended", id="suspended"),
        pytest.param([{"type": "FailureTarget", "status": "True"}], False, "FailureTarget", id="failure target"),
        pytest.param([{"type": "SuccessCriteriaMet", "status": "True"}], False, "Running", id="success criteria met"),
        pytest.param([{"type": "Complete", "status": "False"}], False, "Running", id="false condition ignored"),
    ],
)
def test_printer_status(conditions, deleting, status):
    job = make()
    job["status"] = {"conditions": conditions}
    if deleting:
        job["metadata"]["deletionTimestamp"] = "2024-05-01T12:00:00Z"
    assert jobs.table_row(job, NOW)[1] == status


def test_printer_completions_and_duration():
    job = make(parallelism=3)
    job["metadata"]["creationTimestamp"] = "2024-05-01T11:00:00Z"
    job["status"] = {"succeeded": 1, "startTime": "2024-05-01T11:00:00Z", "completionTime": "2024-05-01T11:00:42Z"}
    assert jobs.table_row(job, NOW) == ["pi", "Running", "1/1 of 3", "42s", "60m", "pi", "perl", "batch.kubernetes.io/controller-uid=u1"]
    job2 = make(completions=4, parallelism=2)
    job2["status"] = {"succeeded": 2, "startTime": "2024-05-01T11:58:00Z"}
    assert jobs.table_row(job2, NOW)[2:4] == ["2/4", "2m"]
    assert [c.name for c in jobs.PRINTER.columns] == ["Name", "Status", "Completions", "Duration", "Age", "Containers", "Images", "Selector"]


def test_catalogue():
    kinds = [(r.group, r.version, r.kind) for r in catalogue.CORE_RESOURCES]
    assert ("", "v1", "Pod") not in kinds
    assert ("events.k8s.io", "v1", "Event") in kinds and ("batch", "v1", "Job") in kinds
    assert len(kinds) == len(set(kinds))
    # One served version of a kind per group-version, and each plural names one kind.
    plurals = {(r.group, r.plural): r.kind for r in catalogue.CORE_RESOURCES}
    assert plurals[("autoscaling", "horizontalpodautoscalers")] == "HorizontalPodAutoscaler"
