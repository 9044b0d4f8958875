"""Pure Job controller decisions: pod failure policy, back-off, conditions, pod ordering, names."""

from datetime import UTC, datetime, timedelta

import pytest

from uwernetes.controllers import job_policy as pol

T0 = datetime(2024, 4, 17, 12, 0, 0, tzinfo=UTC)


def ts(seconds: float = 0) -> str:
    return (T0 + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_pod(name="p", *, phase="Failed", exit_codes=None, init_exit_codes=None, conditions=None, index=None,
             node="", ready=False, created=0, finished=None, deleting=False, annotations=None):
    status = {"phase": phase}

    def statuses(codes):
        out = []
        for cname, code in codes.items():
            term = {"exitCode": code}
            if finished is not None:
                term["finishedAt"] = ts(finished)
            out.append({"name": cname, "state": {"terminated": term} if code is not None else {"running": {}}})
        return out

    if exit_codes is not None:
        status["containerStatuses"] = statuses(exit_codes)
    if init_exit_codes is not None:
        status["initContainerStatuses"] = statuses(init_exit_codes)
    conds = list(conditions or [])
    if ready:
        conds.append({"type": "Ready", "status": "True", "lastTransitionTime": ts(created)})
    if conds:
        status["conditions"] = conds
    ann = dict(annotations or {})
    if index is not None:
        ann[pol.COMPLETION_INDEX_ANNOTATION] = str(index)
    m = {"name": name, "namespace": "default", "creationTimestamp": ts(created), "annotations": ann}
    if deleting:
        m["deletionTimestamp"] = ts(created + 30)
        m["deletionGracePeriodSeconds"] = 30
    return {"metadata": m, "spec": {"nodeName": node}, "status": status}


SPEC_EXAMPLE_POLICY = {"rules": [
    {"action": "FailJob", "onExitCodes": {"containerName": "main", "operator": "In", "values": [42]}},
    {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]},
]}


@pytest.mark.parametrize(
    "policy, pod, want",
    [
        pytest.param(None, make_pod(exit_codes={"main": 1}), (None, True, None), id="no policy counts"),
        pytest.param(SPEC_EXAMPLE_POLICY, make_pod(exit_codes={"main": 42}),
                     ("Container main for pod default/p failed with exit code 42 matching FailJob rule at index 0", True, "FailJob"),
                     id="spec example: exit 42 fails the job"),
        pytest.param(SPEC_EXAMPLE_POLICY, make_pod(exit_codes={"main": 1}, conditions=[{"type": "DisruptionTarget", "status": "True"}]),
                     (None, False, "Ignore"), id="spec example: disruption is ignored"),
        pytest.param(SPEC_EXAMPLE_POLICY, make_pod(exit_codes={"main": 1}), (None, True, None), id="spec example: other exit codes count"),
        pytest.param(SPEC_EXAMPLE_POLICY, make_pod(exit_codes={"side": 42}), (None, True, None), id="container name must match"),
        pytest.param({"rules": [{"action": "FailJob", "onExitCodes": {"operator": "NotIn", "values": [1, 2]}}]},
                     make_pod(exit_codes={"a": 0, "b": 3}),
                     ("Container b for pod default/p failed with exit code 3 matching FailJob rule at index 0", True, "FailJob"),
                     id="NotIn skips exit code 0"),
        pytest.param({"rules": [{"action": "Count", "onExitCodes": {"operator": "In", "values": [5]}},
                                {"action": "FailJob", "onExitCodes": {"operator": "In", "values": [5]}}]},
                     make_pod(exit_codes={"a": 5}), (None, True, "Count"), id="first matching rule wins"),
        pytest.param({"rules": [{"action": "FailJob", "onExitCodes": {"operator": "In", "values": [7]}}]},
                     make_pod(exit_codes={"a": 1}, init_exit_codes={"init": 7}),
                     ("Container init for pod default/p failed with exit code 7 matching FailJob rule at index 0", True, "FailJob"),
                     id="init containers are looked at after containers"),
        pytest.param({"rules": [{"action": "FailJob", "onExitCodes": {"operator": "In", "values": [7]}}]},
                     make_pod(exit_codes={"a": None}), (None, True, None), id="running container has no exit code"),
        pytest.param({"rules": [{"action": "FailJob", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]}]},
                     make_pod(conditions=[{"type": "DisruptionTarget", "status": "True"}]),
                     ("Pod default/p has condition DisruptionTarget matching FailJob rule at index 0", True, "FailJob"),
                     id="FailJob on a pod condition"),
        pytest.param({"rules": [{"action": "FailIndex", "onExitCodes": {"operator": "In", "values": [3]}}]},
                     make_pod(exit_codes={"a": 3}), (None, True, "FailIndex"), id="FailIndex"),
    ],
)
def test_match_pod_failure_policy(policy, pod, want):
    assert pol.match_pod_failure_policy(policy, pod) == want


def test_fail_index_rule_is_skipped_with_its_gate_off():
    policy = {"rules": [{"action": "FailIndex", "onExitCodes": {"operator": "In", "values": [3]}},
                        {"action": "Ignore", "onExitCodes": {"operator": "In", "values": [3]}}]}
    assert pol.match_pod_failure_policy(policy, make_pod(exit_codes={"a": 3}), fail_index_enabled=False) == (None, False, "Ignore")


@pytest.mark.parametrize(
    "failures, want",
    [(0, 0.0), (1, 10.0), (2, 20.0), (3, 40.0), (6, 320.0), (7, 600.0), (30, 600.0)],
)
def test_backoff_delay_doubles_from_10s_and_caps_at_10_minutes(failures, want):
    assert pol.backoff_delay(failures) == want


def test_remaining_backoff():
    assert pol.remaining_backoff(2, T0, T0 + timedelta(seconds=5)) == 15.0
    assert pol.remaining_backoff(2, T0, T0 + timedelta(seconds=25)) == 0.0
    assert pol.remaining_backoff(0, None, T0) == 0.0
    assert pol.remaining_backoff(1, T0, T0, base=0.5) == 0.5


def test_backoff_record_counts_failures_after_last_success():
    rec = pol.next_backoff_record(pol.BackoffRecord(), [], [make_pod(exit_codes={"a": 1}, finished=5)])
    assert rec == pol.BackoffRecord(1, T0 + timedelta(seconds=5))
    rec = pol.next_backoff_record(rec, [], [make_pod(exit_codes={"a": 1}, finished=9)])
    assert rec == pol.BackoffRecord(2, T0 + timedelta(seconds=9))
    ok = make_pod(phase="Succeeded", exit_codes={"a": 0}, finished=20)
    assert pol.next_backoff_record(rec, [ok], []) == pol.BackoffRecord()
    later = make_pod(exit_codes={"a": 1}, finished=30)
    earlier = make_pod(exit_codes={"a": 1}, finished=10)
    assert pol.next_backoff_record(rec, [ok], [earlier, later]) == pol.BackoffRecord(1, T0 + timedelta(seconds=30))


def test_finished_time_preference():
    assert pol.finished_time(make_pod(exit_codes={"a": 1, "b": 2}, finished=7)) == T0 + timedelta(seconds=7)
    not_ready = make_pod(exit_codes={"a": None}, conditions=[{"type": "Ready", "status": "False", "lastTransitionTime": ts(3)}])
    assert pol.finished_time(not_ready) == T0 + timedelta(seconds=3)
    assert pol.finished_time(make_pod(deleting=True, created=1)) == T0 + timedelta(seconds=1)
    assert pol.finished_time(make_pod(created=2)) == T0 + timedelta(seconds=2)


def test_ensure_condition():
    conds, changed = pol.ensure_condition([], "Suspended", "False", "JobResumed", "Job resumed", T0)
    assert (conds, changed) == ([], False)
    conds, changed = pol.ensure_condition([], "Suspended", "True", "JobSuspended", "Job suspended", T0)
    assert changed and conds == [{"type": "Suspended", "status": "True", "lastProbeTime": ts(), "lastTransitionTime": ts(),
                                  "reason": "JobSuspended", "message": "Job suspended"}]
    same, changed = pol.ensure_condition(conds, "Suspended", "True", "JobSuspended", "Job suspended", T0 + timedelta(seconds=9))
    assert not changed and same is conds
    flipped, changed = pol.ensure_condition(conds, "Suspended", "False", "JobResumed", "Job resumed", T0 + timedelta(seconds=9))
    assert changed and flipped[0]["status"] == "False" and flipped[0]["lastTransitionTime"] == ts(9)


def test_active_pods_for_removal_order():
    pods = [
        make_pod("running-ready-old", phase="Running", node="n", ready=True, created=0),
        make_pod("running-ready-new", phase="Running", node="n", ready=True, created=5),
        make_pod("running", phase="Running", node="n", created=1),
        make_pod("pending-scheduled", phase="Pending", node="n", created=1),
        make_pod("unscheduled", phase="Pending", created=1),
    ]
    job = {"spec": {"completionMode": "NonIndexed"}}
    got = [p["metadata"]["name"] for p in pol.active_pods_for_removal(job, pods, 5)]
    assert got == ["unscheduled", "pending-scheduled", "running", "running-ready-new", "running-ready-old"]


def test_active_pods_for_removal_indexed_duplicates_and_out_of_range():
    pods = [
        make_pod("a3-running", phase="Running", node="n", index=3, created=0),
        make_pod("a3-pending", phase="Pending", node="n", index=3, created=0),
        make_pod("a1", phase="Running", node="n", index=1),
        make_pod("out", phase="Running", node="n", index=7),
        make_pod("unknown", phase="Running", node="n"),
    ]
    job = {"spec": {"completionMode": "Indexed", "completions": 5}}
    got = sorted(p["metadata"]["name"] for p in pol.active_pods_for_removal(job, pods, 0))
    assert got == ["a3-pending", "out", "unknown"]


@pytest.mark.parametrize(
    "non_pending, count, completions, want",
    [
        ([], 3, 10, [0, 1, 2]),
        ([(0, 1), (4, 4)], 4, 10, [2, 3, 5, 6]),
        ([(0, 8)], 5, 10, [9]),
        ([(1, 1)], 0, 10, []),
    ],
)
def test_first_pending_indexes(non_pending, count, completions, want):
    assert pol.first_pending_indexes(non_pending, count, completions) == want


def test_generate_name_with_index_keeps_the_index():
    assert pol.generate_name_with_index("job-success", 2) == "job-success-2-"
    long = "x" * 70
    got = pol.generate_name_with_index(long, 12)
    assert len(got) == 58 and got.endswith("-12-")


def test_add_completion_index_env():
    spec = {"containers": [{"name": "a"}, {"name": "b", "env": [{"name": "JOB_COMPLETION_INDEX", "value": "x"}]}],
            "initContainers": [{"name": "i"}]}
    pol.add_completion_index_env(spec)
    ref = {"name": "JOB_COMPLETION_INDEX", "valueFrom": {"fieldRef": {"apiVersion": "v1",
           "fieldPath": "metadata.labels['batch.kubernetes.io/job-completion-index']"}}}
    assert spec["containers"][0]["env"] == [ref]
    assert spec["containers"][1]["env"] == [{"name": "JOB_COMPLETION_INDEX", "value": "x"}]
    assert spec["initContainers"][0]["env"] == [ref]


@pytest.mark.parametrize(
    "pod, policy, only_failed, want",
    [
        (make_pod(phase="Failed"), None, False, True),
        (make_pod(phase="Running", deleting=True), None, False, True),
        (make_pod(phase="Running", deleting=True), None, True, False),
        (make_pod(phase="Succeeded", deleting=True), None, False, False),
        (make_pod(phase="Running", deleting=True), SPEC_EXAMPLE_POLICY, False, False),
    ],
)
def test_is_pod_failed(pod, policy, only_failed, want):
    job = {"spec": {"podFailurePolicy": policy} if policy else {}}
    assert pol.is_pod_failed(pod, job, only_failed=only_failed) is want


def test_past_backoff_limit_on_failure():
    def job(limit):
        return {"spec": {"backoffLimit": limit, "template": {"spec": {"restartPolicy": "OnFailure"}}}}

    running = make_pod(phase="Running")
    running["status"]["containerStatuses"] = [{"name": "a", "restartCount": 2}]
    assert pol.past_backoff_limit_on_failure(job(2), [running])
    assert not pol.past_backoff_limit_on_failure(job(3), [running])
    assert pol.past_backoff_limit_on_failure(job(0), [running])
    never = {"spec": {"backoffLimit": 0, "template": {"spec": {"restartPolicy": "Never"}}}}
    assert not pol.past_backoff_limit_on_failure(never, [running])
