"""The simulated runtime: no processes, only records and timers on the event loop.

A container "starts" `start_delay` seconds after `start_container` (default from the agent's
options) and then runs until it is stopped. The pod annotation `uwernetes.io/simulate` changes
that, so Jobs, restarts and autoscaling can be exercised at scale. Its value is JSON: one object,
or a list of objects; an object with `"container": "<name>"` applies to that container only,
one without it to every container (named entries override unnamed ones, key by key):

    uwernetes.io/simulate: '{"exitCode": 1, "after": "2s", "container": "main"}'
    uwernetes.io/simulate: '[{"cpu": "250m", "memory": "64Mi"}, {"container": "init", "after": "1s"}]'

Keys (all optional):
- `after`: the container exits this long after it started (Go duration such as `500ms`, `2s`,
  `1m30s`, or a number of seconds). Without it the container runs until stopped.
- `exitCode`: the exit code when it exits by itself (default 0); a list gives one code per
  attempt (restart count), the last one repeating: `[1, 1, 0]` fails twice then succeeds.
- `stopExitCode`: the exit code when stopped by the agent (default 0, as a process that handles
  SIGTERM; 137 models one that had to be killed).
- `startDelay`: overrides the node's start delay for this container.
- `startError`: never start; the container stays waiting with this reason (e.g. `ErrImagePull`),
  `startMessage` giving the message.
- `cpu`, `memory`: the usage the container reports while running (quantities: `250m`, `64Mi`).
- `readiness`, `liveness`, `startup`: what the container's probe of that type answers, whatever
  its handler (exec, httpGet, tcpSocket, grpc): `true` (the default: probes succeed), `false`
  (always fail), `"fail after <duration>"` (succeed until the container has run that long, then
  fail) or `"succeed after <duration>"` (the reverse). Each attempt starts over, so
  `{"liveness": "fail after 5s"}` restarts the container every ~5 s plus the probe's
  failureThreshold x periodSeconds (then CrashLoopBackOff back-off). Thresholds, periods and
  initial delays apply as for real probes; only the answer is simulated.

Exit reasons follow the runtime convention: 0 -> `Completed`, 137 with `oomKilled: true`
-> `OOMKilled`, anything else -> `Error`.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from uwernetes.machinery.quantity import parse_quantity
from uwernetes.node.runtimes.base import (
    Capabilities,
    ContainerConfig,
    ContainerError,
    ContainerState,
    ContainerStatus,
    ExecResult,
    ExecSession,
    ExitHandler,
    ResourceUsage,
    Sandbox,
    SandboxConfig,
)

ANNOTATION = "uwernetes.io/simulate"

_KEYS = {"container", "after", "exitCode", "stopExitCode", "startDelay", "startError", "startMessage", "cpu",
         "memory", "oomKilled", "readiness", "liveness", "startup"}
PROBE_KEYS = {"Readiness": "readiness", "Liveness": "liveness", "Startup": "startup"}  # probe type -> key
_PROBE_FLIP = re.compile(r"(fail|succeed) after (\S+)")
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(value: Any) -> float:
    """Seconds from a Go duration string (`1m30s`, `500ms`) or a number of seconds."""
    if isinstance(value, bool):
        raise ValueError(f"invalid duration {value!r}")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"invalid duration {value!r}")
        return float(value)
    if not isinstance(value, str) or not value:
        raise ValueError(f"invalid duration {value!r}")
    if value == "0":
        return 0.0
    pos = 0
    total = 0.0
    for m in _DURATION_PART.finditer(value):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if pos != len(value):
        raise ValueError(f"invalid duration {value!r}")
    return total


@dataclass(frozen=True, slots=True)
class ProbeBehaviour:
    """A simulated probe's answer: `initially` until the container has run `flip_after` seconds."""

    initially: bool = True
    flip_after: float | None = None

    def answer(self, running_for: float) -> bool:
        if self.flip_after is None or running_for < self.flip_after:
            return self.initially
        return not self.initially


def parse_probe_behaviour(value: Any) -> ProbeBehaviour:
    if isinstance(value, bool):
        return ProbeBehaviour(value)
    m = _PROBE_FLIP.fullmatch(value) if isinstance(value, str) else None
    if m is None:
        raise ValueError(f'a probe behaviour is true, false, "fail after <duration>" or "succeed after <duration>", '
                         f"got {value!r}")
    return ProbeBehaviour(m.group(1) == "fail", parse_duration(m.group(2)))


@dataclass(slots=True)
class Behaviour:
    """What one simulated container does, from the annotation."""

    after: float | None = None
    exit_codes: list[int] = field(default_factory=lambda: [0])
    stop_exit_code: int = 0
    start_delay: float | None = None
    start_error: str = ""
    start_message: str = ""
    cpu_nanocores: int = 0
    memory_bytes: int = 0
    oom_killed: bool = False
    probes: dict[str, ProbeBehaviour] = field(default_factory=dict)  # annotation key -> answer

    def exit_code(self, attempt: int) -> int:
        return self.exit_codes[min(attempt, len(self.exit_codes) - 1)]


def _apply(b: Behaviour, entry: Mapping[str, Any]) -> None:
    if "after" in entry:
        b.after = parse_duration(entry["after"])
    if "exitCode" in entry:
        codes = entry["exitCode"]
        codes = codes if isinstance(codes, list) else [codes]
        if not codes or not all(isinstance(c, int) and not isinstance(c, bool) for c in codes):
            raise ValueError(f"exitCode must be an integer or a non-empty list of integers, got {entry['exitCode']!r}")
        b.exit_codes = list(codes)
    if "stopExitCode" in entry:
        if not isinstance(entry["stopExitCode"], int):
            raise ValueError("stopExitCode must be an integer")
        b.stop_exit_code = entry["stopExitCode"]
    if "startDelay" in entry:
        b.start_delay = parse_duration(entry["startDelay"])
    if "startError" in entry:
        b.start_error = str(entry["startError"])
    if "startMessage" in entry:
        b.start_message = str(entry["startMessage"])
    if "cpu" in entry:
        b.cpu_nanocores = int(parse_quantity(entry["cpu"]) * 1_000_000_000)
    if "memory" in entry:
        b.memory_bytes = int(parse_quantity(entry["memory"]))
    if "oomKilled" in entry:
        b.oom_killed = bool(entry["oomKilled"])
    for key in PROBE_KEYS.values():
        if key in entry:
            b.probes[key] = parse_probe_behaviour(entry[key])


def parse_behaviour(annotation: str | None, container: str) -> Behaviour:
    """The behaviour of `container` from the annotation value; ValueError on a malformed value."""
    b = Behaviour()
    if not annotation:
        return b
    try:
        value = orjson.loads(annotation)
    except orjson.JSONDecodeError as e:
        raise ValueError(f"{ANNOTATION}: invalid JSON: {e}") from None
    entries = value if isinstance(value, list) else [value]
    for entry in entries:
        if not isinstance(entry, dict):
            raise ValueError(f"{ANNOTATION}: each entry must be an object")
        unknown = sorted(set(entry) - _KEYS)
        if unknown:
            raise ValueError(f"{ANNOTATION}: unknown key(s) {', '.join(unknown)}")
    try:
        for entry in (e for e in entries if "container" not in e):
            _apply(b, entry)
        for entry in (e for e in entries if e.get("container") == container):
            _apply(b, entry)
    except (ValueError, TypeError, ArithmeticError) as e:
        raise ValueError(f"{ANNOTATION}: {e}") from None
    return b


def exit_reason(code: int, oom: bool = False) -> str:
    if code == 0:
        return "Completed"
    if oom and code == 137:
        return "OOMKilled"
    return "Error"


@dataclass(slots=True)
class _Container:
    status: ContainerStatus
    behaviour: Behaviour
    attempt: int
    timer: asyncio.TimerHandle | None = None
    stopped: asyncio.Future | None = None


class SimulatedRuntime:
    """One instance can serve every simulated node in the process (ids are globally unique)."""

    name = "simulated"
    version = "0.1.0"

    def __init__(self, start_delay: float = 0.1, recursive_read_only: bool = False) -> None:
        self.start_delay = start_delay
        self.capabilities = Capabilities(recursive_read_only=recursive_read_only, usage=True)
        self._ids = itertools.count(1)
        self._containers: dict[str, _Container] = {}
        self._sandboxes: dict[str, SandboxConfig] = {}
        self._sandbox_of: dict[str, str] = {}
        self._on_exit: ExitHandler = lambda cid, st: None

    def set_exit_handler(self, handler: ExitHandler) -> None:
        self._on_exit = handler

    async def prepare_volumes(self, pod: Mapping[str, Any]) -> dict[str, str]:
        return {}

    async def cleanup_volumes(self, pod: Mapping[str, Any]) -> None:
        return None

    async def run_pod_sandbox(self, config: SandboxConfig) -> Sandbox:
        sid = f"s{next(self._ids)}"
        self._sandboxes[sid] = config
        return Sandbox(sid, list(config.pod_ips))

    async def stop_pod_sandbox(self, sandbox_id: str) -> None:
        return None

    async def remove_pod_sandbox(self, sandbox_id: str) -> None:
        self._sandboxes.pop(sandbox_id, None)

    async def create_container(self, sandbox_id: str, config: ContainerConfig) -> str:
        sandbox = self._sandboxes.get(sandbox_id)
        if sandbox is None:
            raise ContainerError("CreateContainerError", f"sandbox {sandbox_id} not found")
        try:
            behaviour = parse_behaviour((sandbox.annotations or {}).get(ANNOTATION), config.name)
        except ValueError as e:
            raise ContainerError("CreateContainerConfigError", str(e)) from None
        if behaviour.start_error:
            raise ContainerError(behaviour.start_error, behaviour.start_message or
                                 f"simulated {behaviour.start_error} for container {config.name}")
        cid = f"{next(self._ids):016x}"
        st = ContainerStatus(cid, config.name, ContainerState.CREATED, created_at=time.time())
        self._containers[cid] = _Container(st, behaviour, config.attempt)
        self._sandbox_of[cid] = sandbox_id
        return cid

    async def start_container(self, container_id: str) -> None:
        """Returns at once; the container turns RUNNING after the start delay (no task, one timer)."""
        c = self._containers.get(container_id)
        if c is None:
            raise ContainerError("RunContainerError", f"container {container_id} not found")
        delay = c.behaviour.start_delay if c.behaviour.start_delay is not None else self.start_delay
        loop = asyncio.get_running_loop()
        if delay <= 0:
            self._running(container_id)
        else:
            c.timer = loop.call_later(delay, self._running, container_id)

    def _running(self, cid: str) -> None:
        c = self._containers.get(cid)
        if c is None or c.status.state is not ContainerState.CREATED:
            return
        c.status.state = ContainerState.RUNNING
        c.status.started_at = time.time()
        c.timer = None
        self._on_exit(cid, c.status)  # state-change notification: the agent sees RUNNING
        if c.behaviour.after is not None:
            loop = asyncio.get_running_loop()
            c.timer = loop.call_later(c.behaviour.after, self._exit, cid, c.behaviour.exit_code(c.attempt), True)

    def _exit(self, cid: str, code: int, by_itself: bool) -> None:
        c = self._containers.get(cid)
        if c is None or c.status.state is ContainerState.EXITED:
            return
        if c.timer is not None:
            c.timer.cancel()
            c.timer = None
        st = c.status
        st.state = ContainerState.EXITED
        st.finished_at = time.time()
        st.exit_code = code
        st.reason = exit_reason(code, c.behaviour.oom_killed and by_itself)
        if c.stopped is not None and not c.stopped.done():
            c.stopped.set_result(None)
        self._on_exit(cid, st)

    async def stop_container(self, container_id: str, grace_seconds: float) -> None:
        c = self._containers.get(container_id)
        if c is None or c.status.state is ContainerState.EXITED:
            return
        self._exit(container_id, c.behaviour.stop_exit_code, False)

    async def remove_container(self, container_id: str) -> None:
        c = self._containers.pop(container_id, None)
        self._sandbox_of.pop(container_id, None)
        if c is not None and c.timer is not None:
            c.timer.cancel()

    def container_status(self, container_id: str) -> ContainerStatus | None:
        c = self._containers.get(container_id)
        return c.status if c else None

    def usage(self, container_id: str) -> ResourceUsage | None:
        c = self._containers.get(container_id)
        if c is None or c.status.state is not ContainerState.RUNNING:
            return None
        return ResourceUsage(c.behaviour.cpu_nanocores, c.behaviour.memory_bytes, time.time())

    def simulated_probe(self, container_id: str, probe_type: str) -> tuple[bool, str]:
        """The answer of the container's `probe_type` probe ("Readiness", "Liveness", "Startup") now."""
        c = self._containers.get(container_id)
        if c is None or c.status.state is not ContainerState.RUNNING:
            return False, f"container {container_id} is not running"
        key = PROBE_KEYS[probe_type]
        pb = c.behaviour.probes.get(key)
        if pb is None or pb.answer(time.time() - c.status.started_at):
            return True, ""
        return False, f"simulated {key} probe failure ({ANNOTATION})"

    async def exec_sync(self, container_id: str, cmd: list[str], timeout: float | None = None) -> ExecResult:
        raise NotImplementedError("the simulated runtime cannot exec")

    async def exec(self, container_id: str, cmd: list[str], *, stdin: bool, tty: bool) -> ExecSession:
        raise NotImplementedError("the simulated runtime cannot exec")

    async def close(self) -> None:
        for c in self._containers.values():
            if c.timer is not None:
                c.timer.cancel()
        self._containers.clear()
