"""Container probes: the kubelet's prober (liveness, readiness, startup) for the node agent.

Mirrors upstream's `pkg/kubelet/prober` (worker.go, prober.go, prober_manager.go) and
`pkg/probe/{exec,http,tcp}` in v1.30, reshaped for one event loop:

- **One timer per container attempt**, not a goroutine per probe: `ContainerProbes` keeps the
  next due time of each of its probes and arms a single `loop.call_later` for the earliest. A
  probe that needs I/O (exec, HTTP, TCP) runs in a short-lived task; the simulated runtime
  answers synchronously, so thousands of idle simulated containers cost only timer entries.
- **The threshold state machine** (`record`) is upstream's `doProbe` tail: a result is
  published only after `successThreshold`/`failureThreshold` identical results in a row;
  liveness/startup failures put the probe on hold until the container restarts. Initial
  published values: readiness Failure, liveness Success, startup Unknown.
- **Gating**: the startup probe runs until it succeeds; liveness and readiness run only once
  the container has started. `started_and_ready` turns the published results into
  `containerStatuses[].started/ready` as `UpdatePodStatus` does (no probe: started/ready as
  soon as running).
- **Handlers**: `exec` through the runtime's `exec_sync` (exit 0 = success; a timeout is a
  failure `command "<cmd>" timed out`), `httpGet` (a plain asyncio HTTP/1.1 GET, 200-399
  success, 3xx to another host a warning, User-Agent `kube-probe/1.30`), `tcpSocket` (connect).
  `grpc` is not implemented: it reports a probe *error* (the result is thrown away, as upstream
  does with errors), so readiness stays False and liveness never kills; the Unhealthy event says so.
  Runtimes that share the host's network (the process runtime sets `shares_host_network`) are
  probed on 127.0.0.1 when `host` is unset, others on the pod IP. A runtime offering
  `simulated_probe(container_id, probe_type)` (the simulated runtime) answers every handler
  kind itself, from the pod's `uwernetes.io/simulate` annotation.

Events (through the owner): `Warning Unhealthy "<Type> probe failed: <output>"`,
`"<Type> probe errored and resulted in unknown state: <err>"`, `Warning ProbeWarning`; the
owner records `Normal Killing "Container <c> failed liveness probe, will be restarted"`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import ssl
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from uwernetes.node.runtimes.base import expand_vars

log = logging.getLogger(__name__)

READINESS, LIVENESS, STARTUP = "Readiness", "Liveness", "Startup"  # upstream's probeType.String()
PROBE_FIELDS = {STARTUP: "startupProbe", LIVENESS: "livenessProbe", READINESS: "readinessProbe"}

# Published results (upstream's results.Result).
UNKNOWN, SUCCESS, FAILURE = "Unknown", "Success", "Failure"
INITIAL = {READINESS: FAILURE, LIVENESS: SUCCESS, STARTUP: UNKNOWN}

USER_AGENT = "kube-probe/1.30"
MAX_OUTPUT = 10 * 1024  # upstream reads at most 10 KiB of exec output or HTTP body
MAX_REDIRECTS = 10
KILL_REASONS = {LIVENESS: "LivenessProbe", STARTUP: "StartupProbe"}  # containerKillReason
_ATOI = re.compile(r"[+-]?[0-9]+")


# --- probe specs ---------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ProbeSpec:
    handler: str  # exec | httpGet | tcpSocket | grpc | "" (none set)
    action: Mapping[str, Any]
    initial_delay: float = 0.0
    period: float = 10.0
    timeout: float = 1.0
    success_threshold: int = 1
    failure_threshold: int = 3
    termination_grace: int | None = None  # probe-level terminationGracePeriodSeconds


def probe_spec(probe: Mapping[str, Any]) -> ProbeSpec:
    """A probe object with the API's defaults filled in (period and thresholds at least 1)."""
    handler = next((k for k in ("exec", "httpGet", "tcpSocket", "grpc") if probe.get(k) is not None), "")

    def num(key: str, default: int) -> int:
        v = probe.get(key)
        return default if not v else int(v)

    return ProbeSpec(handler, (probe.get(handler) or {}) if handler else {},
                     initial_delay=float(probe.get("initialDelaySeconds") or 0),
                     period=float(max(1, num("periodSeconds", 10))), timeout=float(max(1, num("timeoutSeconds", 1))),
                     success_threshold=max(1, num("successThreshold", 1)),
                     failure_threshold=max(1, num("failureThreshold", 3)),
                     termination_grace=probe.get("terminationGracePeriodSeconds"))


def container_probes(container: Mapping[str, Any]) -> dict[str, ProbeSpec]:
    """The container's probes by type, startup first."""
    return {t: probe_spec(container[f]) for t, f in PROBE_FIELDS.items() if container.get(f)}


# --- the threshold state machine (worker.go doProbe) ---------------------------------------------

@dataclass(frozen=True, slots=True)
class ProbeState:
    result: str  # the published result
    last: str = SUCCESS  # Go's zero value of results.Result is Success
    run: int = 0  # how many times in a row `last` came back
    on_hold: bool = False  # a liveness/startup failure: no probing until the container restarts


def initial_state(probe_type: str) -> ProbeState:
    return ProbeState(INITIAL[probe_type])


def record(state: ProbeState, result: str, spec: ProbeSpec, probe_type: str) -> ProbeState:
    """Fold one probe result (SUCCESS or FAILURE) into the state; publish past the threshold."""
    run = state.run + 1 if result == state.last else 1
    below = (result == FAILURE and run < spec.failure_threshold) or (result == SUCCESS and run < spec.success_threshold)
    if below:
        return replace(state, last=result, run=run)
    if probe_type in (LIVENESS, STARTUP) and result == FAILURE:
        return ProbeState(FAILURE, last=result, run=0, on_hold=True)
    return ProbeState(result, last=result, run=run, on_hold=state.on_hold)


def is_started(*, running: bool, has_startup: bool, startup: str | None) -> bool:
    """prober_manager isContainerStarted."""
    if not running:
        return False
    if has_startup:
        return startup == SUCCESS
    return True


def started_and_ready(*, running: bool, has_startup: bool, startup: str | None, has_readiness: bool,
                      readiness: str | None) -> tuple[bool, bool]:
    """`started` and `ready` of a running app container or sidecar (prober_manager UpdatePodStatus)."""
    started = is_started(running=running, has_startup=has_startup, startup=startup)
    if not started:
        return False, False
    if not has_readiness:
        return True, True
    return True, readiness == SUCCESS


def due_probes(specs: Mapping[str, ProbeSpec], states: Mapping[str, ProbeState], due: Mapping[str, float],
               now: float) -> list[str]:
    """Which probes run now: startup until started, then liveness and readiness; none on hold."""
    return [t for t in active_probes(specs, states) if due[t] <= now]


def active_probes(specs: Mapping[str, ProbeSpec], states: Mapping[str, ProbeState]) -> list[str]:
    started = STARTUP not in specs or states[STARTUP].result == SUCCESS
    return [t for t in specs if not states[t].on_hold and (t == STARTUP) != started]


def next_due(previous: float, period: float, now: float) -> float:
    """The next tick after `previous`, skipping ticks missed while a probe ran (a Go ticker drops them)."""
    nxt = previous + period
    if nxt <= now:
        nxt += ((now - nxt) // period + 1) * period
    return nxt


# --- outcomes and messages (prober.go) -------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Outcome:
    """What one handler run said (upstream's probe.Result plus output, or an error)."""

    result: str  # success | warning | failure | unknown
    output: str = ""
    error: str = ""


def published(outcome: Outcome) -> str | None:
    """The result recorded for an outcome; None when an error means "throw the result away"."""
    if outcome.error:
        return None
    return SUCCESS if outcome.result in ("success", "warning") else FAILURE


def event_for(probe_type: str, outcome: Outcome) -> tuple[str, str, str] | None:
    """(type, reason, message) of the event the prober records for an outcome, if any."""
    if outcome.error:
        return "Warning", "Unhealthy", f"{probe_type} probe errored and resulted in {outcome.result} state: {outcome.error}"
    if outcome.result == "warning":
        return "Warning", "ProbeWarning", f"{probe_type} probe warning: {outcome.output}"
    if outcome.result in ("failure", "unknown"):
        return "Warning", "Unhealthy", f"{probe_type} probe failed: {outcome.output}"
    return None


def kill_message(probe_type: str, container: str, restart: bool) -> tuple[str, str]:
    """(kill reason, Killing event message) for a container failing its liveness/startup probe."""
    message = f"Container {container} failed {probe_type.lower()} probe"
    if restart:
        message += ", will be restarted"
    return KILL_REASONS[probe_type], message


def kill_grace(spec: ProbeSpec, pod_grace: int | None) -> float:
    """The probe's own terminationGracePeriodSeconds wins over the pod's (KEP-2238)."""
    if spec.termination_grace is not None:
        return float(spec.termination_grace)
    return float(30 if pod_grace is None else pod_grace)


# --- handlers ------------------------------------------------------------------------------------

def resolve_port(port: Any, container: Mapping[str, Any]) -> int:
    """probe.ResolveContainerPort: a number, a named container port, or a number in a string."""
    if isinstance(port, bool) or port is None:
        raise ValueError(f"intOrString had no kind: {port!r}")
    if isinstance(port, int):
        value = port
    else:
        named = [p.get("containerPort") for p in container.get("ports") or [] if p.get("name") == port]
        if named:
            value = int(named[0])
        elif _ATOI.fullmatch(str(port)):  # "maybe it was an int stored as string"
            value = int(port)
        else:
            raise ValueError(f'strconv.Atoi: parsing "{port}": invalid syntax')
    if 0 < value < 65536:
        return value
    raise ValueError(f"invalid port number: {value}")


def join_host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@dataclass(frozen=True, slots=True)
class HTTPRequest:
    url: str
    scheme: str
    host: str  # where to connect
    port: int
    target: str  # request-target: path and query
    headers: tuple[tuple[str, str], ...]  # in sending order, Host first


def _canonical(name: str) -> str:
    return "-".join(p[:1].upper() + p[1:].lower() for p in name.split("-"))


def http_request(action: Mapping[str, Any], container: Mapping[str, Any], default_host: str) -> HTTPRequest:
    """NewRequestForHTTPGetAction: URL, Host, User-Agent and Accept as upstream builds them."""
    scheme = (action.get("scheme") or "HTTP").lower()
    host = action.get("host") or default_host
    port = resolve_port(action.get("port"), container)
    path = action.get("path") or ""
    parsed = urllib.parse.urlsplit(path)
    hostport = join_host_port(host, port)
    url = urllib.parse.urlunsplit((scheme, hostport, parsed.path, parsed.query, ""))
    target = (parsed.path or "/") + (f"?{parsed.query}" if parsed.query else "")
    given: dict[str, list[str]] = {}
    for h in action.get("httpHeaders") or []:
        given.setdefault(_canonical(h.get("name", "")), []).append(h.get("value", ""))
    if "User-Agent" not in given:
        given["User-Agent"] = [USER_AGENT]
    if "Accept" not in given:
        given["Accept"] = ["*/*"]
    elif not given["Accept"][0]:
        del given["Accept"]  # overridden with an empty value: not sent
    host_header = (given.pop("Host", None) or [""])[0] or hostport
    headers = [("Host", host_header)] + [(k, v) for k, vs in given.items() for v in vs]
    return HTTPRequest(url, scheme, host, port, target, tuple(headers))


def _dial_error(hostport: str, e: BaseException) -> str:
    if isinstance(e, ConnectionRefusedError):
        return f"dial tcp {hostport}: connect: connection refused"
    if isinstance(e, TimeoutError):
        return f"dial tcp {hostport}: i/o timeout"
    if isinstance(e, OSError) and e.strerror:
        return f"dial tcp {hostport}: connect: {e.strerror[:1].lower()}{e.strerror[1:]}"
    return f"dial tcp {hostport}: {e}"


async def _http_once(req: HTTPRequest) -> tuple[int, dict[str, str], bytes]:
    ctx = None
    if req.scheme == "https":
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE  # upstream probes skip verification
    try:
        reader, writer = await asyncio.open_connection(req.host, req.port, ssl=ctx,
                                                       server_hostname=req.host if ctx else None)
    except OSError as e:
        raise ConnectionError(_dial_error(join_host_port(req.host, req.port), e)) from None
    try:
        lines = [f"GET {req.target} HTTP/1.1"] + [f"{k}: {v}" for k, v in req.headers] + ["Connection: close", "", ""]
        writer.write("\r\n".join(lines).encode("latin-1"))
        await writer.drain()
        status_line = await reader.readline()
        parts = status_line.decode("latin-1").split(None, 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
            raise ConnectionError(f"malformed HTTP response {status_line[:64]!r}")
        headers: dict[str, str] = {}
        while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
            k, _, v = line.decode("latin-1").partition(":")
            headers[k.strip().lower()] = v.strip()
        body = await reader.read(MAX_OUTPUT)
        return int(parts[1]), headers, body
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


async def run_http(req: HTTPRequest, timeout: float) -> Outcome:
    """DoHTTPProbe: 2xx success, 3xx success unless a redirect leaves the host (warning), else failure."""
    url = req.url
    try:
        async with asyncio.timeout(timeout):
            for _ in range(MAX_REDIRECTS + 1):
                code, headers, body = await _http_once(req)
                text = body.decode("utf-8", "replace")
                location = headers.get("location")
                if code in (301, 302, 303, 307, 308) and location:
                    nxt = urllib.parse.urlsplit(urllib.parse.urljoin(url, location))
                    if nxt.hostname != req.host:
                        return Outcome("warning", f"Probe terminated redirects, Response body: {text}")
                    port = nxt.port or (443 if nxt.scheme == "https" else 80)
                    target = (nxt.path or "/") + (f"?{nxt.query}" if nxt.query else "")
                    url = urllib.parse.urlunsplit(nxt)
                    req = replace(req, url=url, scheme=nxt.scheme, port=port, target=target)
                    continue
                if 200 <= code < 400:
                    return Outcome("success", text)
                return Outcome("failure", f"HTTP probe failed with statuscode: {code}")
            return Outcome("failure", f'Get "{url}": stopped after {MAX_REDIRECTS} redirects')
    except TimeoutError:
        return Outcome("failure", f'Get "{url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)')
    except (ConnectionError, OSError, ssl.SSLError) as e:
        return Outcome("failure", f'Get "{url}": {e}')


async def run_tcp(host: str, port: int, timeout: float) -> Outcome:
    hostport = join_host_port(host, port)
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except (OSError, TimeoutError) as e:
        return Outcome("failure", _dial_error(hostport, e))
    writer.close()
    with contextlib.suppress(Exception):
        await writer.wait_closed()
    return Outcome("success")


def exec_command(action: Mapping[str, Any], container: Mapping[str, Any]) -> list[str]:
    """ExpandContainerCommandOnlyStatic: `$(VAR)` against the container's literal env values only."""
    env = {e["name"]: e.get("value", "") for e in container.get("env") or [] if "valueFrom" not in e}
    return [expand_vars(a, env) for a in action.get("command") or []]


async def run_exec(runtime: Any, container_id: str, cmd: list[str], timeout: float) -> Outcome:
    try:
        res = await runtime.exec_sync(container_id, cmd, timeout)
    except TimeoutError:
        return Outcome("failure", f'command "{" ".join(cmd)}" timed out')
    except NotImplementedError as e:
        return Outcome("unknown", error=str(e) or "the runtime cannot exec")
    except Exception as e:  # the container went away, the command could not start, ...
        return Outcome("unknown", error=str(e))
    output = (res.stdout + res.stderr)[:MAX_OUTPUT].decode("utf-8", "replace")
    return Outcome("success" if res.exit_code == 0 else "failure", output)


GRPC_UNSUPPORTED = "gRPC probes are not supported by the uwernetes node agent"


# --- the per-container loop ------------------------------------------------------------------------

class ProbeOwner(Protocol):
    """What a container's probes need from the pod worker that owns the container."""

    runtime: Any
    pod: Mapping[str, Any]

    @property
    def probe_host(self) -> str: ...

    def on_probe_result(self, container: str, probe_type: str, result: str) -> None: ...

    def probe_event(self, container: str, event_type: str, reason: str, message: str) -> None: ...


@dataclass(eq=False)
class ContainerProbes:
    """The probes of one container attempt, driven by one loop timer."""

    owner: ProbeOwner
    name: str
    container: Mapping[str, Any]
    container_id: str
    started_at: float
    specs: dict[str, ProbeSpec]
    states: dict[str, ProbeState] = field(default_factory=dict)
    due: dict[str, float] = field(default_factory=dict)
    timer: asyncio.TimerHandle | None = None
    task: asyncio.Task | None = None
    stopped: bool = False
    runs: int = 0

    def __post_init__(self) -> None:
        for t, spec in self.specs.items():
            self.states[t] = initial_state(t)
            self.due[t] = self.started_at + spec.initial_delay

    def started_and_ready(self) -> tuple[bool, bool]:
        return started_and_ready(running=True, has_startup=STARTUP in self.specs,
                                 startup=self.states[STARTUP].result if STARTUP in self.states else None,
                                 has_readiness=READINESS in self.specs,
                                 readiness=self.states[READINESS].result if READINESS in self.states else None)

    def schedule(self) -> None:
        if self.stopped or self.task is not None:
            return
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        active = active_probes(self.specs, self.states)
        if not active:
            return
        when = min(self.due[t] for t in active)
        self.timer = asyncio.get_running_loop().call_later(max(0.0, when - time.time()), self._fire)

    def stop(self) -> None:
        self.stopped = True
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.task is not None:
            self.task.cancel()
            self.task = None

    def hold(self, *types: str) -> None:
        """Stop running these probes (pod deletion: liveness and startup go quiet)."""
        for t in types:
            if t in self.states:
                self.states[t] = replace(self.states[t], on_hold=True)
        self.schedule()

    def _fire(self) -> None:
        self.timer = None
        if self.stopped:
            return
        now = time.time()
        todo = due_probes(self.specs, self.states, self.due, now)
        for t in todo:
            self.due[t] = next_due(self.due[t], self.specs[t].period, now)
        simulate = getattr(self.owner.runtime, "simulated_probe", None)
        if simulate is not None:
            for t in todo:
                ok, output = simulate(self.container_id, t)
                self._apply(t, Outcome("success" if ok else "failure", output))
            self.schedule()
            return
        if not todo:
            self.schedule()
            return
        self.task = asyncio.get_running_loop().create_task(self._run(todo))

    async def _run(self, todo: list[str]) -> None:
        try:
            outcomes = await asyncio.gather(*(self.run_handler(t) for t in todo), return_exceptions=True)
        finally:
            self.task = None
        if self.stopped:
            return
        for t, o in zip(todo, outcomes, strict=True):
            if isinstance(o, BaseException):
                log.warning("probe %s of container %s: %r", t, self.name, o)
                o = Outcome("unknown", error=str(o) or type(o).__name__)
            self._apply(t, o)
        self.schedule()

    async def run_handler(self, probe_type: str) -> Outcome:
        spec = self.specs[probe_type]
        self.runs += 1
        try:
            if spec.handler == "exec":
                return await run_exec(self.owner.runtime, self.container_id, exec_command(spec.action, self.container),
                                      spec.timeout)
            if spec.handler == "httpGet":
                return await run_http(http_request(spec.action, self.container, self.owner.probe_host), spec.timeout)
            if spec.handler == "tcpSocket":
                port = resolve_port(spec.action.get("port"), self.container)
                return await run_tcp(spec.action.get("host") or self.owner.probe_host, port, spec.timeout)
            if spec.handler == "grpc":
                return Outcome("unknown", error=GRPC_UNSUPPORTED)
        except ValueError as e:  # an unresolvable port
            return Outcome("unknown", error=str(e))
        return Outcome("unknown", error=f"missing probe handler for container {self.name}")

    def _apply(self, probe_type: str, outcome: Outcome) -> None:
        ev = event_for(probe_type, outcome)
        if ev is not None:
            self.owner.probe_event(self.name, *ev)
        result = published(outcome)
        if result is None:
            return
        old = self.states[probe_type]
        new = record(old, result, self.specs[probe_type], probe_type)
        self.states[probe_type] = new
        if new.result != old.result:
            self.owner.on_probe_result(self.name, probe_type, new.result)


class Prober:
    """The node pool's prober: the live `ContainerProbes` of every container, by pod uid and name."""

    def __init__(self) -> None:
        self.pods: dict[str, dict[str, ContainerProbes]] = {}

    def add(self, owner: ProbeOwner, uid: str, container: Mapping[str, Any], container_id: str,
            started_at: float) -> ContainerProbes | None:
        """Start probing a container attempt that just started running; None if it has no probes."""
        key = (uid, container["name"])
        self.remove(key)
        specs = container_probes(container)
        if not specs:
            return None
        cp = ContainerProbes(owner, container["name"], container, container_id, started_at or time.time(), specs)
        self.pods.setdefault(uid, {})[container["name"]] = cp
        cp.schedule()
        return cp

    def get(self, key: tuple[str, str]) -> ContainerProbes | None:
        pod = self.pods.get(key[0])
        return pod.get(key[1]) if pod else None

    def all(self) -> list[ContainerProbes]:
        return [cp for pod in self.pods.values() for cp in pod.values()]

    def remove(self, key: tuple[str, str]) -> None:
        pod = self.pods.get(key[0])
        cp = pod.pop(key[1], None) if pod else None
        if cp is not None:
            cp.stop()
        if pod is not None and not pod:
            del self.pods[key[0]]

    def remove_pod(self, uid: str) -> None:
        for cp in (self.pods.pop(uid, None) or {}).values():
            cp.stop()

    def terminating(self, uid: str) -> None:
        """The pod is being deleted: liveness and startup probes stop so shutdown stays quiet."""
        for cp in (self.pods.get(uid) or {}).values():
            cp.hold(LIVENESS, STARTUP)
