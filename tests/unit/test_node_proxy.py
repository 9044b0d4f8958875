"""API-server side of pods/log and exec: container choice, log file choice, exit Status (upstream texts)."""

from __future__ import annotations

import pytest

from uwernetes.apiserver import node_proxy
from uwernetes.machinery.errors import StatusError


def pod(containers=("a",), init=(), statuses=None):
    return {"metadata": {"name": "p"},
            "spec": {"containers": [{"name": n} for n in containers], "initContainers": [{"name": n} for n in init]},
            "status": {"containerStatuses": statuses or []}}


@pytest.mark.parametrize("p, asked, want", [
    (pod(), None, "a"),
    (pod(("a", "b")), "b", "b"),
    (pod(("a",), init=("i",)), "i", "i"),
])
def test_validate_container(p, asked, want):
    assert node_proxy.validate_container(p, asked) == want


@pytest.mark.parametrize("p, asked, message", [
    (pod(("a", "b"), init=("i",)), None, "a container name must be specified for pod p, choose one of: [i a b]"),
    (pod(()), None, "a container name must be specified for pod p"),
    (pod(), "zz", "container zz is not valid for pod p"),
])
def test_validate_container_errors(p, asked, message):
    with pytest.raises(StatusError) as e:
        node_proxy.validate_container(p, asked)
    assert (e.value.code, e.value.status["message"]) == (400, message)


RUNNING = {"name": "a", "containerID": "process://c2", "restartCount": 2, "state": {"running": {}},
           "lastState": {"terminated": {"exitCode": 1, "containerID": "process://c1"}}}


@pytest.mark.parametrize("status, previous, want", [
    (RUNNING, False, ("c2", 2)),
    (RUNNING, True, ("c1", 1)),
    ({"name": "a", "containerID": "process://c9", "restartCount": 0, "state": {"terminated": {"exitCode": 0}}}, False,
     ("c9", 0)),
    ({"name": "a", "restartCount": 3, "state": {"waiting": {"reason": "CrashLoopBackOff"}},
      "lastState": {"terminated": {"containerID": "process://c3"}}}, False, ("c3", 2)),
])
def test_log_target(status, previous, want):
    assert node_proxy.log_target(pod(statuses=[status]), "a", previous) == want


@pytest.mark.parametrize("status, previous, message", [
    (None, False, 'container "a" in pod "p" is waiting to start: ContainerCreating'),
    ({"name": "a", "state": {"waiting": {"reason": "ErrImagePull"}}}, False,
     'container "a" in pod "p" is waiting to start: image can\'t be pulled'),
    ({"name": "a", "state": {"waiting": {"reason": "ImagePullBackOff"}}}, False,
     'container "a" in pod "p" is waiting to start: trying and failing to pull image'),
    ({"name": "a", "state": {"running": {}}, "containerID": "process://x"}, True,
     'previous terminated container "a" in pod "p" not found'),
])
def test_log_target_errors(status, previous, message):
    with pytest.raises(StatusError) as e:
        node_proxy.log_target(pod(statuses=[status] if status else []), "a", previous)
    assert (e.value.code, e.value.status["message"]) == (400, message)


def test_exit_status():
    assert node_proxy.exit_status(0, ["true"]) == {"metadata": {}, "status": "Success"}
    failure = node_proxy.exit_status(3, ["sh", "-c", "exit 3"])
    assert failure["reason"] == "NonZeroExitCode"
    assert failure["details"] == {"causes": [{"reason": "ExitCode", "message": "3"}]}
    assert failure["message"] == "command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3"


@pytest.mark.parametrize("query, message", [
    ({"tailLines": ["-1"]}, 'PodLogOptions "" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0'),
    ({"limitBytes": ["0"]}, 'PodLogOptions "" is invalid: limitBytes: Invalid value: 0: must be greater than 0'),
    ({"sinceSeconds": ["5"], "sinceTime": ["2024-01-01T00:00:00Z"]},
     'PodLogOptions "" is invalid: sinceSeconds: Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified'),
])
def test_log_options_validation(query, message):
    with pytest.raises(StatusError) as e:
        node_proxy.log_options(query)
    assert (e.value.code, e.value.status["message"]) == (422, message)


def test_log_options():
    opts, previous = node_proxy.log_options({"follow": ["true"], "tailLines": ["5"], "timestamps": ["true"],
                                             "previous": ["false"], "limitBytes": ["10"]})
    assert (opts.follow, opts.tail_lines, opts.timestamps, opts.limit_bytes, previous) == (True, 5, True, 10, False)
