"""The prober's pure parts (threshold state machine, started/ready, scheduling, messages, ports,
HTTP requests), its handlers against local sockets and fake runtimes, one container's probe loop
with a fake owner, and the simulated runtime's probe answers."""

from __future__ import annotations

import asyncio

import pytest

from uwernetes.node import probes
from uwernetes.node.probes import (
    FAILURE,
    LIVENESS,
    READINESS,
    STARTUP,
    SUCCESS,
    UNKNOWN,
    Outcome,
    ProbeSpec,
    ProbeState,
)
from uwernetes.node.runtimes.base import ContainerConfig, ExecResult, SandboxConfig
from uwernetes.node.runtimes.simulated import ProbeBehaviour, SimulatedRuntime, parse_behaviour

# --- specs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("probe,want", [
    pytest.param({"exec": {"command": ["true"]}}, ProbeSpec("exec", {"command": ["true"]}), id="defaults"),
    pytest.param({"httpGet": {"port": 80}, "initialDelaySeconds": 5, "periodSeconds": 2, "timeoutSeconds": 3,
                  "successThreshold": 2, "failureThreshold": 4, "terminationGracePeriodSeconds": 7},
                 ProbeSpec("httpGet", {"port": 80}, 5.0, 2.0, 3.0, 2, 4, 7), id="everything set"),
    pytest.param({"tcpSocket": {"port": 1}, "periodSeconds": 0, "timeoutSeconds": 0},
                 ProbeSpec("tcpSocket", {"port": 1}), id="zeros read as the API defaults"),
    pytest.param({"periodSeconds": 1}, ProbeSpec("", {}, period=1.0), id="no handler"),
])
def test_probe_spec(probe, want):
    assert probes.probe_spec(probe) == want


def test_container_probes_startup_first():
    c = {"name": "c", "readinessProbe": {"exec": {}}, "livenessProbe": {"tcpSocket": {"port": 1}},
         "startupProbe": {"httpGet": {"port": 2}}}
    assert list(probes.container_probes(c)) == [STARTUP, LIVENESS, READINESS]
    assert probes.container_probes({"name": "c"}) == {}


# --- the threshold state machine -----------------------------------------------------------------

def run_sequence(probe_type: str, results: str, success: int = 1, failure: int = 3) -> list[str]:
    """Feed S/F results; return the published result after each."""
    spec = ProbeSpec("exec", {}, success_threshold=success, failure_threshold=failure)
    state = probes.initial_state(probe_type)
    out = []
    for r in results:
        state = probes.record(state, SUCCESS if r == "S" else FAILURE, spec, probe_type)
        out.append(state.result)
    return out


F, S, U = FAILURE, SUCCESS, UNKNOWN


# Cases in the spirit of pkg/kubelet/prober/worker_test.go TestSuccessThreshold / TestFailureThreshold.
@pytest.mark.parametrize("probe_type,results,success,failure,want", [
    pytest.param(READINESS, "S", 1, 3, [S], id="readiness: one success is ready"),
    pytest.param(READINESS, "SSS", 3, 3, [F, F, S], id="readiness: success threshold 3"),
    pytest.param(READINESS, "SSFSSS", 3, 3, [F, F, F, F, F, S], id="readiness: a failure restarts the success run"),
    pytest.param(READINESS, "SFFFS", 1, 3, [S, S, S, F, S], id="readiness: failure threshold 3"),
    pytest.param(READINESS, "SFSFF", 1, 2, [S, S, S, S, F], id="readiness: failures must be consecutive"),
    pytest.param(LIVENESS, "FF", 1, 3, [S, S], id="liveness: below the failure threshold stays alive"),
    pytest.param(LIVENESS, "FFF", 1, 3, [S, S, F], id="liveness: third failure publishes"),
    pytest.param(STARTUP, "FFS", 1, 3, [U, U, S], id="startup: unknown until a success"),
    pytest.param(STARTUP, "F", 1, 1, [F], id="startup: failureThreshold 1"),
])
def test_record_thresholds(probe_type, results, success, failure, want):
    assert run_sequence(probe_type, results, success, failure) == want


@pytest.mark.parametrize("probe_type,hold", [(LIVENESS, True), (STARTUP, True), (READINESS, False)])
def test_failure_puts_liveness_and_startup_on_hold(probe_type, hold):
    spec = ProbeSpec("exec", {}, failure_threshold=1)
    state = probes.record(probes.initial_state(probe_type), FAILURE, spec, probe_type)
    assert state.result == FAILURE and state.on_hold is hold
    assert state.run == (0 if hold else 1)


def test_first_success_counts_from_gos_zero_value():
    # lastResult starts as Success with run 0, so the first success makes run 1.
    state = probes.record(probes.initial_state(READINESS), SUCCESS, ProbeSpec("exec", {}, success_threshold=2), READINESS)
    assert state == ProbeState(FAILURE, SUCCESS, 1)


# --- started / ready -----------------------------------------------------------------------------

@pytest.mark.parametrize("running,has_startup,startup,has_readiness,readiness,want", [
    pytest.param(True, False, None, False, None, (True, True), id="no probes: started and ready once running"),
    pytest.param(False, False, None, False, None, (False, False), id="not running"),
    pytest.param(True, True, UNKNOWN, False, None, (False, False), id="startup probe not run yet"),
    pytest.param(True, True, FAILURE, True, SUCCESS, (False, False), id="startup failed"),
    pytest.param(True, True, SUCCESS, False, None, (True, True), id="started, no readiness probe"),
    pytest.param(True, False, None, True, FAILURE, (True, False), id="readiness initial failure"),
    pytest.param(True, True, SUCCESS, True, SUCCESS, (True, True), id="started and ready"),
])
def test_started_and_ready(running, has_startup, startup, has_readiness, readiness, want):
    assert probes.started_and_ready(running=running, has_startup=has_startup, startup=startup,
                                    has_readiness=has_readiness, readiness=readiness) == want


SPECS = {STARTUP: ProbeSpec("exec", {}), LIVENESS: ProbeSpec("exec", {}), READINESS: ProbeSpec("exec", {})}


@pytest.mark.parametrize("states,due,now,want", [
    pytest.param({STARTUP: U, LIVENESS: S, READINESS: F}, {STARTUP: 0, LIVENESS: 0, READINESS: 0}, 1, [STARTUP],
                 id="only startup until started"),
    pytest.param({STARTUP: S, LIVENESS: S, READINESS: F}, {STARTUP: 0, LIVENESS: 0, READINESS: 5}, 1, [LIVENESS],
                 id="started: liveness due, readiness in its initial delay"),
    pytest.param({STARTUP: S, LIVENESS: S, READINESS: F}, {STARTUP: 0, LIVENESS: 0, READINESS: 0}, 1,
                 [LIVENESS, READINESS], id="started: both due"),
])
def test_due_probes(states, due, now, want):
    st = {t: ProbeState(r) for t, r in states.items()}
    assert probes.due_probes(SPECS, st, due, now) == want


def test_held_probe_is_not_due():
    st = {STARTUP: ProbeState(S), LIVENESS: ProbeState(F, on_hold=True), READINESS: ProbeState(F)}
    assert probes.active_probes(SPECS, st) == [READINESS]


@pytest.mark.parametrize("previous,period,now,want", [
    (10.0, 1.0, 10.2, 11.0),
    (10.0, 2.0, 15.5, 16.0),  # ticks missed while probing are dropped
    (10.0, 1.0, 11.0, 12.0),
])
def test_next_due(previous, period, now, want):
    assert probes.next_due(previous, period, now) == want


# --- messages ------------------------------------------------------------------------------------

@pytest.mark.parametrize("probe_type,outcome,want", [
    pytest.param(LIVENESS, Outcome("failure", "HTTP probe failed with statuscode: 500"),
                 ("Warning", "Unhealthy", "Liveness probe failed: HTTP probe failed with statuscode: 500"), id="failed"),
    pytest.param(READINESS, Outcome("unknown", error='strconv.Atoi: parsing "http": invalid syntax'),
                 ("Warning", "Unhealthy",
                  'Readiness probe errored and resulted in unknown state: strconv.Atoi: parsing "http": invalid syntax'),
                 id="errored"),
    pytest.param(STARTUP, Outcome("warning", "Probe terminated redirects, Response body: x"),
                 ("Warning", "ProbeWarning", "Startup probe warning: Probe terminated redirects, Response body: x"),
                 id="warning"),
    pytest.param(READINESS, Outcome("success", "ok"), None, id="success records nothing"),
])
def test_event_for(probe_type, outcome, want):
    assert probes.event_for(probe_type, outcome) == want


@pytest.mark.parametrize("outcome,want", [
    (Outcome("success"), SUCCESS), (Outcome("warning"), SUCCESS), (Outcome("failure"), FAILURE),
    (Outcome("unknown"), FAILURE), (Outcome("unknown", error="boom"), None),
])
def test_published(outcome, want):
    assert probes.published(outcome) == want


@pytest.mark.parametrize("probe_type,restart,want", [
    (LIVENESS, True, ("LivenessProbe", "Container web failed liveness probe, will be restarted")),
    (LIVENESS, False, ("LivenessProbe", "Container web failed liveness probe")),
    (STARTUP, True, ("StartupProbe", "Container web failed startup probe, will be restarted")),
])
def test_kill_message(probe_type, restart, want):
    assert probes.kill_message(probe_type, "web", restart) == want


@pytest.mark.parametrize("probe_grace,pod_grace,want", [(None, 30, 30.0), (5, 30, 5.0), (None, None, 30.0), (0, 10, 0.0)])
def test_kill_grace(probe_grace, pod_grace, want):
    assert probes.kill_grace(ProbeSpec("exec", {}, termination_grace=probe_grace), pod_grace) == want


# --- ports and requests --------------------------------------------------------------------------

CONTAINER = {"name": "web", "ports": [{"name": "http", "containerPort": 8080}, {"name": "admin", "containerPort": 9090}],
             "env": [{"name": "FILE", "value": "/tmp/ok"}, {"name": "POD", "valueFrom": {"fieldRef": {}}}]}


@pytest.mark.parametrize("port,want", [
    (80, 80), ("http", 8080), ("admin", 9090), ("8081", 8081),
    ("metrics", 'strconv.Atoi: parsing "metrics": invalid syntax'),
    (0, "invalid port number: 0"), (70000, "invalid port number: 70000"), ("-1", "invalid port number: -1"),
])
def test_resolve_port(port, want):
    if isinstance(want, int):
        assert probes.resolve_port(port, CONTAINER) == want
    else:
        with pytest.raises(ValueError) as e:
            probes.resolve_port(port, CONTAINER)
        assert str(e.value) == want


@pytest.mark.parametrize("action,host,url,target,headers", [
    pytest.param({"path": "/healthz", "port": "http", "scheme": "HTTP"}, "10.244.0.5", "http://10.244.0.5:8080/healthz",
                 "/healthz", (("Host", "10.244.0.5:8080"), ("User-Agent", "kube-probe/1.30"), ("Accept", "*/*")),
                 id="named port on the pod IP"),
    pytest.param({"path": "/q?x=1", "port": 443, "scheme": "HTTPS", "host": "example.test"}, "10.0.0.1",
                 "https://example.test:443/q?x=1", "/q?x=1",
                 (("Host", "example.test:443"), ("User-Agent", "kube-probe/1.30"), ("Accept", "*/*")),
                 id="explicit host, https, query"),
    pytest.param({"port": 80}, "fd00::5", "http://[fd00::5]:80", "/",
                 (("Host", "[fd00::5]:80"), ("User-Agent", "kube-probe/1.30"), ("Accept", "*/*")), id="ipv6, no path"),
    pytest.param({"path": "/", "port": 80, "httpHeaders": [{"name": "host", "value": "svc.local"},
                                                           {"name": "x-custom", "value": "a"},
                                                           {"name": "X-Custom", "value": "b"},
                                                           {"name": "accept", "value": ""},
                                                           {"name": "user-agent", "value": "mine"}]},
                 "127.0.0.1", "http://127.0.0.1:80/", "/",
                 (("Host", "svc.local"), ("X-Custom", "a"), ("X-Custom", "b"), ("User-Agent", "mine")),
                 id="custom headers override, empty Accept is dropped"),
])
def test_http_request(action, host, url, target, headers):
    req = probes.http_request(action, CONTAINER, host)
    assert (req.url, req.target, req.headers) == (url, target, headers)


def test_exec_command_expands_only_literal_env():
    action = {"command": ["cat", "$(FILE)", "$(POD)", "$$(FILE)"]}
    assert probes.exec_command(action, CONTAINER) == ["cat", "/tmp/ok", "$(POD)", "$(FILE)"]


# --- handlers ------------------------------------------------------------------------------------

async def _serve(handler) -> tuple[asyncio.Server, int]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def _responder(status: str, extra: str = "", body: bytes = b"ok", seen: list | None = None):
    async def handle(reader, writer):
        head = await reader.readuntil(b"\r\n\r\n")
        if seen is not None:
            seen.append(head.decode())
        writer.write(f"HTTP/1.1 {status}\r\n{extra}Content-Length: {len(body)}\r\n\r\n".encode() + body)
        await writer.drain()
        writer.close()
    return handle


def _http(status: str, extra: str = "", seen: list | None = None, path: str = "/h") -> Outcome:
    async def main():
        server, port = await _serve(_responder(status, extra, seen=seen))
        async with server:
            req = probes.http_request({"path": path, "port": port}, {}, "127.0.0.1")
            return await probes.run_http(req, 2)
    return asyncio.run(main())


@pytest.mark.parametrize("status,extra,want", [
    ("200 OK", "", Outcome("success", "ok")),
    ("204 No Content", "", Outcome("success", "ok")),
    ("500 Internal Server Error", "", Outcome("failure", "HTTP probe failed with statuscode: 500")),
    ("404 Not Found", "", Outcome("failure", "HTTP probe failed with statuscode: 404")),
    ("302 Found", "Location: http://elsewhere.test/\r\n",
     Outcome("warning", "Probe terminated redirects, Response body: ok")),
    ("304 Not Modified", "", Outcome("success", "ok")),
])
def test_run_http_status_codes(status, extra, want):
    assert _http(status, extra) == want


def test_run_http_sends_upstream_headers():
    seen: list[str] = []
    _http("200 OK", seen=seen, path="/healthz?full=1")
    lines = seen[0].split("\r\n")
    assert lines[0] == "GET /healthz?full=1 HTTP/1.1"
    assert "User-Agent: kube-probe/1.30" in lines and "Accept: */*" in lines and "Connection: close" in lines


def test_run_http_follows_same_host_redirects():
    async def main():
        hits = []

        async def handle(reader, writer):
            head = (await reader.readuntil(b"\r\n\r\n")).decode()
            hits.append(head.split()[1])
            if head.startswith("GET /old"):
                writer.write(b"HTTP/1.1 301 Moved\r\nLocation: /new\r\nContent-Length: 0\r\n\r\n")
            else:
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")
            await writer.drain()
            writer.close()

        server, port = await _serve(handle)
        async with server:
            out = await probes.run_http(probes.http_request({"path": "/old", "port": port}, {}, "127.0.0.1"), 2)
        return out, hits
    out, hits = asyncio.run(main())
    assert out == Outcome("success", "hi") and hits == ["/old", "/new"]


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_run_http_connection_refused():
    port = _free_port()
    req = probes.http_request({"path": "/", "port": port}, {}, "127.0.0.1")
    out = asyncio.run(probes.run_http(req, 1))
    assert out == Outcome("failure", f'Get "http://127.0.0.1:{port}/": dial tcp 127.0.0.1:{port}: connect: connection refused')


def test_run_http_timeout():
    async def main():
        async def silent(reader, writer):
            await asyncio.sleep(5)

        server, port = await _serve(silent)
        async with server:
            req = probes.http_request({"path": "/", "port": port}, {}, "127.0.0.1")
            return port, await probes.run_http(req, 0.2)
    port, out = asyncio.run(main())
    assert out == Outcome("failure", f'Get "http://127.0.0.1:{port}/": context deadline exceeded '
                                     "(Client.Timeout exceeded while awaiting headers)")


def test_run_tcp():
    async def main():
        server, port = await _serve(lambda r, w: w.close())
        async with server:
            return await probes.run_tcp("127.0.0.1", port, 1)
    assert asyncio.run(main()) == Outcome("success")
    port = _free_port()
    assert asyncio.run(probes.run_tcp("127.0.0.1", port, 1)) == Outcome(
        "failure", f"dial tcp 127.0.0.1:{port}: connect: connection refused")


class FakeExecRuntime:
    def __init__(self, result=None, exc=None):
        self.result, self.exc, self.calls = result, exc, []

    async def exec_sync(self, cid, cmd, timeout=None):
        self.calls.append((cid, cmd, timeout))
        if self.exc is not None:
            raise self.exc
        return self.result


@pytest.mark.parametrize("runtime,want", [
    pytest.param(FakeExecRuntime(ExecResult(0, b"fine\n")), Outcome("success", "fine\n"), id="exit 0"),
    pytest.param(FakeExecRuntime(ExecResult(1, b"", b"cat: /tmp/healthy: No such file or directory\n")),
                 Outcome("failure", "cat: /tmp/healthy: No such file or directory\n"), id="exit 1 with stderr"),
    pytest.param(FakeExecRuntime(exc=TimeoutError()), Outcome("failure", 'command "cat /tmp/healthy" timed out'),
                 id="timeout"),
    pytest.param(FakeExecRuntime(exc=NotImplementedError("the simulated runtime cannot exec")),
                 Outcome("unknown", error="the simulated runtime cannot exec"), id="runtime cannot exec"),
])
def test_run_exec(runtime, want):
    assert asyncio.run(probes.run_exec(runtime, "c1", ["cat", "/tmp/healthy"], 1.0)) == want
    assert runtime.calls == [("c1", ["cat", "/tmp/healthy"], 1.0)]


# --- one container's probes with a fake owner ----------------------------------------------------

class FakeOwner:
    def __init__(self, runtime=None):
        self.runtime = runtime
        self.pod = {"metadata": {"name": "p"}}
        self.results: list[tuple[str, str, str]] = []
        self.events: list[tuple[str, str, str, str]] = []

    @property
    def probe_host(self) -> str:
        return "127.0.0.1"

    def on_probe_result(self, container, probe_type, result):
        self.results.append((container, probe_type, result))

    def probe_event(self, container, event_type, reason, message):
        self.events.append((container, event_type, reason, message))


def test_container_probes_startup_gates_readiness_and_liveness_failure_holds():
    owner = FakeOwner()
    c = {"name": "web", "startupProbe": {"exec": {"command": ["x"]}, "failureThreshold": 2},
         "readinessProbe": {"exec": {"command": ["x"]}}, "livenessProbe": {"exec": {"command": ["x"]}, "failureThreshold": 1}}
    cp = probes.ContainerProbes(owner, "web", c, "cid", 100.0, probes.container_probes(c))
    assert cp.started_and_ready() == (False, False)
    assert probes.active_probes(cp.specs, cp.states) == [STARTUP]
    cp._apply(STARTUP, Outcome("failure", "no"))  # below the threshold: nothing published
    assert owner.results == [] and owner.events == [("web", "Warning", "Unhealthy", "Startup probe failed: no")]
    cp._apply(STARTUP, Outcome("success"))
    assert owner.results == [("web", STARTUP, SUCCESS)]
    assert cp.started_and_ready() == (True, False)
    assert probes.active_probes(cp.specs, cp.states) == [LIVENESS, READINESS]
    cp._apply(READINESS, Outcome("success"))
    assert cp.started_and_ready() == (True, True)
    cp._apply(LIVENESS, Outcome("unknown", error="gone"))  # errors are thrown away
    assert cp.states[LIVENESS].result == SUCCESS
    cp._apply(LIVENESS, Outcome("failure", "dead"))
    assert owner.results[-1] == ("web", LIVENESS, FAILURE)
    assert probes.active_probes(cp.specs, cp.states) == [READINESS]


def test_container_probes_timer_runs_simulated_answers():
    class Sim:
        def __init__(self):
            self.asked = []

        def simulated_probe(self, cid, probe_type):
            self.asked.append(probe_type)
            return probe_type != READINESS, "simulated readiness probe failure (uwernetes.io/simulate)"

    async def main():
        sim = Sim()
        owner = FakeOwner(sim)
        prober = probes.Prober()
        c = {"name": "web", "readinessProbe": {"exec": {}, "periodSeconds": 1, "failureThreshold": 1},
             "livenessProbe": {"exec": {}, "periodSeconds": 1}}
        cp = prober.add(owner, "uid", c, "cid", 0.0)  # started long ago: due at once
        assert cp is not None and cp.timer is not None
        await asyncio.sleep(0.05)
        assert sorted(sim.asked) == [LIVENESS, READINESS]
        assert cp.timer is not None  # re-armed for the next period, no task left behind
        assert cp.task is None
        prober.remove_pod("uid")
        assert cp.stopped and cp.timer is None and prober.pods == {} and prober.all() == []
        return owner
    owner = asyncio.run(main())
    assert owner.events == [("web", "Warning", "Unhealthy",
                             "Readiness probe failed: simulated readiness probe failure (uwernetes.io/simulate)")]
    assert owner.results == []  # readiness stays at its initial Failure; liveness at Success


def test_prober_add_without_probes_and_terminating_holds():
    async def main():
        prober = probes.Prober()
        owner = FakeOwner()
        assert prober.add(owner, "u", {"name": "plain"}, "c0", 0.0) is None
        c = {"name": "web", "livenessProbe": {"exec": {}, "initialDelaySeconds": 1000},
             "readinessProbe": {"exec": {}, "initialDelaySeconds": 1000}}
        cp = prober.add(owner, "u", c, "c1", 1e12)
        prober.terminating("u")
        assert cp.states[LIVENESS].on_hold and not cp.states[READINESS].on_hold
        prober.remove_pod("u")
    asyncio.run(main())


# --- the simulated runtime's answers -------------------------------------------------------------

@pytest.mark.parametrize("annotation,container,want", [
    ('{"readiness": false}', "c", {"readiness": ProbeBehaviour(False)}),
    ('{"liveness": "fail after 5s"}', "c", {"liveness": ProbeBehaviour(True, 5.0)}),
    ('[{"startup": "succeed after 1m30s"}, {"container": "c", "readiness": true}]', "c",
     {"startup": ProbeBehaviour(False, 90.0), "readiness": ProbeBehaviour(True)}),
    ('{"container": "other", "readiness": false}', "c", {}),
])
def test_parse_probe_behaviour(annotation, container, want):
    assert parse_behaviour(annotation, container).probes == want


@pytest.mark.parametrize("annotation,message", [
    ('{"liveness": "fail soon"}', 'uwernetes.io/simulate: a probe behaviour is true, false, "fail after <duration>" '
                                  "or \"succeed after <duration>\", got 'fail soon'"),
    ('{"readiness": 1}', 'uwernetes.io/simulate: a probe behaviour is true, false, "fail after <duration>" '
                         'or "succeed after <duration>", got 1'),
])
def test_parse_probe_behaviour_errors(annotation, message):
    with pytest.raises(ValueError) as e:
        parse_behaviour(annotation, "c")
    assert str(e.value) == message


@pytest.mark.parametrize("behaviour,running_for,want", [
    (ProbeBehaviour(True), 100, True), (ProbeBehaviour(False), 0, False),
    (ProbeBehaviour(True, 5), 4.9, True), (ProbeBehaviour(True, 5), 5, False),
    (ProbeBehaviour(False, 2), 1, False), (ProbeBehaviour(False, 2), 3, True),
])
def test_probe_behaviour_answer(behaviour, running_for, want):
    assert behaviour.answer(running_for) is want


def test_simulated_runtime_answers_probes():
    async def main():
        rt = SimulatedRuntime(start_delay=0)
        sb = await rt.run_pod_sandbox(SandboxConfig("u", "ns", "p", "p", [], annotations={
            "uwernetes.io/simulate": '{"readiness": false}'}))
        cid = await rt.create_container(sb.id, ContainerConfig("c", "busybox", [], [], {}))
        before = rt.simulated_probe(cid, READINESS)
        await rt.start_container(cid)
        out = (before, rt.simulated_probe(cid, READINESS), rt.simulated_probe(cid, LIVENESS))
        await rt.close()
        return cid, out
    cid, (before, readiness, liveness) = asyncio.run(main())
    assert before == (False, f"container {cid} is not running")
    assert readiness == (False, "simulated readiness probe failure (uwernetes.io/simulate)")
    assert liveness == (True, "")
