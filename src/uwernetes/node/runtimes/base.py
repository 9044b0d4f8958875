"""The container runtime interface the node agent drives (a small, async, CRI-like contract).

The node agent (`uwernetes.node.pod_workers`) owns *what* should run: it decides restarts,
back-off, init order, grace periods and pod status. A runtime only owns *how*: it creates
sandboxes and containers, starts and stops them, and reports what happened. Two runtimes
implement it: `simulated` (no processes; thousands of nodes in one process) and `process`
(real local processes).

Lifecycle, per pod, as the agent calls it:

1. `prepare_volumes(pod)` (optional): materialise the pod's volumes and return
   `{volume name: host directory}`; the agent turns `volumeMounts` into `Mount`s from it.
2. `run_pod_sandbox(SandboxConfig)` -> `Sandbox` (id and the pod IPs actually used; the agent
   passes the IPs it allocated from the node's podCIDR(s), a runtime may override them, e.g.
   with the host IPs for hostNetwork pods).
3. For each container, in the order the agent chooses:
   `create_container(sandbox_id, ContainerConfig)` -> container id, then
   `start_container(container_id)`. Failures raise `ContainerError(reason, message)`; the agent
   shows the reason as the container's waiting reason (`ErrImagePull`,
   `CreateContainerConfigError`, `RunContainerError`, ...).
4. Whenever a container changes state by itself (RUNNING after an asynchronous start, EXITED
   when it ends), the runtime calls the callback given to `set_exit_handler` with the container
   id and its `ContainerStatus` (for EXITED: exit code and reason `Completed`/`Error`/
   `OOMKilled`, ...). The callback is a plain function called on the agent's event loop; it
   must not block. A runtime whose `start_container` returns with the container already
   running need not report RUNNING (the agent reads `container_status` after starting).
5. `stop_container(container_id, grace_seconds)`: SIGTERM (or the equivalent), wait up to
   the grace period, then SIGKILL; returns once the container has exited. Stopping also fires
   the exit handler. `remove_container` forgets it (and its resources, not its log file).
6. `stop_pod_sandbox` / `remove_pod_sandbox` when the pod is gone.

`container_status` is a cheap synchronous read of the runtime's own record. Restart counts,
`lastState` and back-off are the agent's business, never the runtime's: every restart is a
new container (new id) with `ContainerConfig.attempt` set to the restart count.

Logs: the agent fixes each container's log file with `pod_log_path` (upstream's layout,
`<podLogsDir>/<namespace>_<pod>_<uid>/<container>/<restartCount>.log`); a runtime that produces
output writes it there in the CRI line format (`<RFC3339Nano> <stdout|stderr> <F|P> <text>`).

`exec_sync` (probes) and `exec` (interactive) are optional: a runtime that cannot exec leaves
`capabilities.exec` False and raises `NotImplementedError`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable


class ContainerState(enum.Enum):
    CREATED = "created"
    RUNNING = "running"
    EXITED = "exited"
    UNKNOWN = "unknown"


class ContainerError(Exception):
    """A container could not be created or started; `reason` becomes its waiting reason."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message


@dataclass(slots=True)
class Mount:
    host_path: str
    container_path: str
    read_only: bool = False
    recursive_read_only: bool = False  # only set when the runtime reports support


@dataclass(slots=True)
class SandboxConfig:
    uid: str
    namespace: str
    name: str
    hostname: str
    pod_ips: list[str]  # allocated by the agent from the node's podCIDR(s), IPv4 first
    host_network: bool = False
    log_directory: str = ""  # <podLogsDir>/<namespace>_<pod>_<uid>
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    pod: Mapping[str, Any] = field(default_factory=dict)  # the full pod, read-only


@dataclass(slots=True)
class Sandbox:
    id: str
    pod_ips: list[str]


@dataclass(slots=True)
class ContainerConfig:
    """A container spec with everything resolved by the agent."""

    name: str
    image: str
    command: list[str]  # after $(VAR) expansion; empty means "the image's entrypoint"
    args: list[str]  # after $(VAR) expansion
    env: dict[str, str]
    working_dir: str = ""
    mounts: list[Mount] = field(default_factory=list)
    stdin: bool = False
    stdin_once: bool = False
    tty: bool = False
    log_path: str = ""  # absolute path of this attempt's log file
    attempt: int = 0  # the restart count this container is started for
    init: bool = False  # an init container (regular or sidecar)
    resources: Mapping[str, Any] = field(default_factory=dict)  # the container's `resources`
    spec: Mapping[str, Any] = field(default_factory=dict)  # the raw container spec, read-only


@dataclass(slots=True)
class ContainerStatus:
    id: str
    name: str
    state: ContainerState
    created_at: float = 0.0  # epoch seconds; 0 = not yet
    started_at: float = 0.0
    finished_at: float = 0.0
    exit_code: int | None = None
    reason: str = ""  # for EXITED: Completed, Error, OOMKilled, ContainerCannotRun, StartError
    message: str = ""
    pid: int | None = None


@dataclass(slots=True)
class ResourceUsage:
    cpu_nanocores: int
    memory_bytes: int
    timestamp: float  # epoch seconds of the sample


@dataclass(slots=True)
class ExecResult:
    exit_code: int
    stdout: bytes = b""
    stderr: bytes = b""


class ExecSession(Protocol):
    """A running interactive exec/attach: streams plus the final exit code."""

    stdin: Any  # an asyncio.StreamWriter-like object, or None
    stdout: Any  # an asyncio.StreamReader-like object
    stderr: Any  # an asyncio.StreamReader-like object, or None (tty merges it into stdout)

    async def wait(self) -> int: ...

    def resize(self, width: int, height: int) -> None: ...


@dataclass(frozen=True, slots=True)
class Capabilities:
    recursive_read_only: bool = False  # mount_setattr(AT_RECURSIVE, MOUNT_ATTR_RDONLY) works
    exec: bool = False
    attach: bool = False
    port_forward: bool = False
    logs: bool = False  # writes container output to ContainerConfig.log_path
    usage: bool = False  # usage() returns real samples
    # The kubelet's container lifecycle events (Pulled, Created, Started, BackOff, Failed, Killing):
    # real for real processes; a simulated runtime stays quiet, as kwok does, to scale.
    lifecycle_events: bool = False


ExitHandler = Callable[[str, ContainerStatus], None]


@runtime_checkable
class Runtime(Protocol):
    name: str  # "simulated", "process"; also the node's runtime version prefix
    version: str
    capabilities: Capabilities

    def set_exit_handler(self, handler: ExitHandler) -> None: ...

    async def prepare_volumes(self, pod: Mapping[str, Any]) -> dict[str, str]: ...

    async def cleanup_volumes(self, pod: Mapping[str, Any]) -> None: ...

    async def run_pod_sandbox(self, config: SandboxConfig) -> Sandbox: ...

    async def stop_pod_sandbox(self, sandbox_id: str) -> None: ...

    async def remove_pod_sandbox(self, sandbox_id: str) -> None: ...

    async def create_container(self, sandbox_id: str, config: ContainerConfig) -> str: ...

    async def start_container(self, container_id: str) -> None: ...

    async def stop_container(self, container_id: str, grace_seconds: float) -> None: ...

    async def remove_container(self, container_id: str) -> None: ...

    def container_status(self, container_id: str) -> ContainerStatus | None: ...

    def usage(self, container_id: str) -> ResourceUsage | None: ...

    async def exec_sync(self, container_id: str, cmd: list[str], timeout: float | None = None) -> ExecResult: ...

    async def exec(self, container_id: str, cmd: list[str], *, stdin: bool, tty: bool) -> ExecSession: ...

    async def close(self) -> None: ...


def runtime_handlers(caps: Capabilities) -> list[dict[str, Any]]:
    """`node.status.runtimeHandlers` for the default handler."""
    return [{"name": "", "features": {"recursiveReadOnlyMounts": caps.recursive_read_only, "userNamespaces": False}}]


def pod_log_dir(logs_dir: str | Path, namespace: str, name: str, uid: str) -> Path:
    return Path(logs_dir) / f"{namespace}_{name}_{uid}"


def pod_log_path(logs_dir: str | Path, namespace: str, name: str, uid: str, container: str, restart_count: int) -> Path:
    return pod_log_dir(logs_dir, namespace, name, uid) / container / f"{restart_count}.log"


def expand_vars(value: str, env: Mapping[str, str]) -> str:
    """Kubernetes' `$(VAR)` expansion: `$$` escapes, unknown or unterminated references stay as written."""
    out: list[str] = []
    i = 0
    n = len(value)
    while i < n:
        c = value[i]
        if c == "$" and i + 1 < n:
            nxt = value[i + 1]
            if nxt == "$":
                out.append("$")
                i += 2
                continue
            if nxt == "(":
                end = value.find(")", i + 2)
                if end >= 0:
                    name = value[i + 2 : end]
                    if name in env:
                        out.append(env[name])
                    else:
                        out.append(value[i : end + 1])
                    i = end + 1
                    continue
        out.append(c)
        i += 1
    return "".join(out)
