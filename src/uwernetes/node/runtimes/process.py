"""The process runtime: every container is a real process on this host.

What runs is decided by `uwernetes.node.images` (a container's command, or a well-known image's
usual entrypoint mapped to host programs). Each container starts through a tiny launcher (a
`python -S -c` script, `LAUNCHER`) in its own session (process group), with the container's env,
`workingDir` (created if missing) and volume mounts:

- **As root** the launcher enters a private mount namespace (`unshare(CLONE_NEWNS)`, `/` made
  recursively private so nothing leaks to the host), bind-mounts each volume directory (or file,
  for `subPath`) at its `mountPath`, remounts `readOnly` mounts read-only, and applies
  `mount_setattr(AT_RECURSIVE, MOUNT_ATTR_RDONLY)` for recursive read-only mounts. Mount points
  missing on the host are created there as empty directories/files and left in place (`mkdir`
  is not namespaced). `exec` joins the container's mount namespace (`setns`).
  Recursive read-only support is probed once: the `mount_setattr` syscall must exist (Linux >=
  5.12) and we must be root; `capabilities.recursive_read_only` reports the result.
- **Not root** (or `mount_namespace=False`): nothing is mounted and no path is rewritten. Each
  mount is exported instead: `UWE_VOLUME_<NAME>` (volume name upper-cased, other characters `_`)
  holds the host path (with `subPath` applied) and `UWE_MOUNTS` a JSON object
  `{mountPath: hostPath}`; commands that must find their files read those.

Pods share the host's network (no network namespace): a container listening on a port listens on
the host, and port-forward dials `127.0.0.1:<port>`.

Output goes to the container's CRI log file (`uwernetes.node.logs`). Stopping sends SIGTERM to
the process group, then SIGKILL after the grace period; when the main process exits the rest of
its group is killed, as a PID namespace would. Exit code 0 is `Completed`, others `Error`; a
container with a memory limit whose resident memory (summed over its group, sampled from
/proc every `SAMPLE_SECONDS`) exceeds the limit is killed and reported `OOMKilled` (137), a
user-space stand-in for the cgroup OOM killer. Usage (CPU nanocores, memory) comes from the same
/proc samples.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import fcntl
import itertools
import json
import logging
import os
import platform
import re
import shutil
import signal
import struct
import sys
import termios
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from uwernetes.machinery.quantity import parse_quantity
from uwernetes.node import images, logs, volumes
from uwernetes.node.runtimes.base import (
    Capabilities,
    ContainerConfig,
    ContainerError,
    ContainerState,
    ContainerStatus,
    ExecResult,
    ExitHandler,
    Mount,
    ResourceUsage,
    Sandbox,
    SandboxConfig,
)

log = logging.getLogger(__name__)

SAMPLE_SECONDS = 1.0
START_ERROR_CODE = 128
_SYS_MOUNT_SETATTR = {"x86_64": 442, "aarch64": 442}.get(platform.machine())
_CLK_TCK = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")

# Runs in the child: no imports beyond the standard library's core, so it starts in ~15 ms.
LAUNCHER = r"""
import ctypes, json, os, sys
spec = json.loads(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
libc.prctl(1, 9, 0, 0, 0)  # PR_SET_PDEATHSIG=SIGKILL: a container never outlives its node agent
if os.getppid() != spec["parent"]:
    os._exit(137)  # the agent died before we could ask
libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_void_p]
def fail(what):
    e = ctypes.get_errno()
    sys.stderr.write("uwe-launcher: %s: %s\n" % (what, os.strerror(e)))
    os._exit(126)
MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 32, 4096, 16384, 1 << 18
if spec.get("join"):
    fd = os.open("/proc/%d/ns/mnt" % spec["join"], os.O_RDONLY)
    if libc.setns(fd, 0x00020000) != 0:
        fail("setns")
    os.close(fd)
elif spec.get("mounts") is not None:
    if libc.unshare(0x00020000) != 0:
        fail("unshare")
    if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        fail("make / private")
    for src, dst, ro, rro in spec["mounts"]:
        if os.path.isdir(src):
            os.makedirs(dst, exist_ok=True)
        elif not os.path.exists(dst):
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            open(dst, "a").close()
        if libc.mount(src.encode(), dst.encode(), None, MS_BIND | MS_REC, None) != 0:
            fail("bind mount %s" % dst)
        if ro and libc.mount(None, dst.encode(), None, MS_REMOUNT | MS_BIND | MS_RDONLY, None) != 0:
            fail("remount %s read-only" % dst)
        if rro:
            attr = (ctypes.c_uint64 * 4)(1, 0, 0, 0)  # attr_set = MOUNT_ATTR_RDONLY
            if libc.syscall(spec["setattr_nr"], -100, dst.encode(), 0x8000, ctypes.byref(attr), 32) != 0:
                fail("mount_setattr %s" % dst)
if spec.get("tty"):
    import fcntl, termios
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
cwd = spec.get("cwd")
if cwd:
    try:
        os.makedirs(cwd, exist_ok=True)
        os.chdir(cwd)
    except OSError as e:
        sys.stderr.write("uwe-launcher: chdir to cwd (%s) set in config.json failed: %s\n" % (cwd, e.strerror))
        os._exit(START_ERROR)
argv = spec["argv"]
try:
    os.execvpe(argv[0], argv, spec["env"])
except OSError as e:
    sys.stderr.write('exec: "%s": %s\n' % (argv[0], e.strerror))
    os._exit(START_ERROR)
""".replace("START_ERROR", str(START_ERROR_CODE))


def probe_recursive_read_only() -> bool:
    """mount_setattr exists (ENOSYS otherwise) and we may mount: calling it on an invalid fd tells."""
    if os.geteuid() != 0 or _SYS_MOUNT_SETATTR is None or sys.platform != "linux":
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    attr = (ctypes.c_uint64 * 4)(0, 0, 0, 0)
    rc = libc.syscall(_SYS_MOUNT_SETATTR, -1, b"", 0, ctypes.byref(attr), 32)
    return not (rc != 0 and ctypes.get_errno() == 38)  # ENOSYS


def volume_env_name(volume: str) -> str:
    return "UWE_VOLUME_" + re.sub(r"[^A-Za-z0-9]", "_", volume).upper()


def exit_reason(code: int, oom: bool = False) -> str:
    if oom:
        return "OOMKilled"
    return "Completed" if code == 0 else "Error"


def memory_limit(resources: Mapping[str, Any]) -> int | None:
    raw = ((resources or {}).get("limits") or {}).get("memory")
    if raw is None:
        return None
    try:
        return int(parse_quantity(raw))
    except ValueError:
        return None


@dataclass
class _Container:
    id: str
    sandbox_id: str
    config: ContainerConfig
    status: ContainerStatus
    argv: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    proc: asyncio.subprocess.Process | None = None
    task: asyncio.Task | None = None
    exited: asyncio.Event = field(default_factory=asyncio.Event)
    oom: bool = False
    subscribers: set[Any] = field(default_factory=set)  # anything with put_nowait((stream, chunk))
    cpu_ticks: int = 0
    cpu_sample_at: float = 0.0
    usage: ResourceUsage | None = None


class ProcessRuntime:
    """Containers as local processes. `root` holds pod volume directories."""

    name = "process"
    version = "0.1.0"
    shares_host_network = True  # probes and port-forward reach a pod's ports on 127.0.0.1

    def __init__(self, root: Path | str, *, sources: volumes.Sources | None = None,
                 mount_namespace: bool | None = None) -> None:
        self.root = Path(root)
        self.sources = sources or volumes.Sources()
        is_root = os.geteuid() == 0
        self.mount_namespace = is_root if mount_namespace is None else (mount_namespace and is_root)
        rro = self.mount_namespace and probe_recursive_read_only()
        self.capabilities = Capabilities(recursive_read_only=rro, exec=True, attach=True, port_forward=True,
                                         lifecycle_events=True,
                                         logs=True, usage=True)
        self._ids = itertools.count(1)
        self._prefix = os.urandom(4).hex()
        self._containers: dict[str, _Container] = {}
        self._sandboxes: dict[str, SandboxConfig] = {}
        self._on_exit: ExitHandler = lambda cid, st: None
        self._sampler: asyncio.Task | None = None

    # --- pods ---

    def set_exit_handler(self, handler: ExitHandler) -> None:
        self._on_exit = handler

    async def prepare_volumes(self, pod: Mapping[str, Any]) -> dict[str, str]:
        try:
            return await volumes.setup_volumes(pod, self.root, self.sources)
        except volumes.VolumeError as e:
            raise ContainerError("CreateContainerConfigError", e.message) from None

    async def cleanup_volumes(self, pod: Mapping[str, Any]) -> None:
        uid = (pod.get("metadata") or {}).get("uid")
        if uid:
            volumes.remove_pod_volumes(self.root, uid)

    async def run_pod_sandbox(self, config: SandboxConfig) -> Sandbox:
        sid = f"{self._prefix}s{next(self._ids)}"
        self._sandboxes[sid] = config
        if config.log_directory:
            Path(config.log_directory).mkdir(parents=True, exist_ok=True)
        return Sandbox(sid, list(config.pod_ips))

    async def stop_pod_sandbox(self, sandbox_id: str) -> None:
        for c in [c for c in self._containers.values() if c.sandbox_id == sandbox_id]:
            await self.stop_container(c.id, 0)

    async def remove_pod_sandbox(self, sandbox_id: str) -> None:
        self._sandboxes.pop(sandbox_id, None)

    # --- containers ---

    async def create_container(self, sandbox_id: str, config: ContainerConfig) -> str:
        sandbox = self._sandboxes.get(sandbox_id)
        if sandbox is None:
            raise ContainerError("CreateContainerError", f"sandbox {sandbox_id} not found")
        spec = dict(config.spec or {})
        spec.update(image=config.image, command=config.command, args=config.args)
        resolved = images.resolve(spec, config.env.get("PATH") or os.environ.get("PATH"))
        if not resolved.ok:
            raise ContainerError(resolved.reason, resolved.message)
        cid = f"{self._prefix}{next(self._ids):08x}"
        env = self._env(sandbox, config)
        st = ContainerStatus(cid, config.name, ContainerState.CREATED, created_at=time.time())
        self._containers[cid] = _Container(cid, sandbox_id, config, st, resolved.argv, env)
        return cid

    def _env(self, sandbox: SandboxConfig, config: ContainerConfig) -> dict[str, str]:
        env = {"PATH": os.environ.get("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
               "HOSTNAME": sandbox.hostname or sandbox.name, "HOME": "/root"}
        if config.tty:
            env["TERM"] = "xterm"
        env.update(config.env)
        if not self.mount_namespace and config.mounts:
            env["UWE_MOUNTS"] = json.dumps({m.container_path: m.host_path for m in config.mounts})
            for m, name in zip(config.mounts, self._mount_volume_names(config), strict=False):
                if name:
                    env[volume_env_name(name)] = m.host_path
        return env

    @staticmethod
    def _mount_volume_names(config: ContainerConfig) -> list[str]:
        """The volume name of each mount, in order, from the raw container spec."""
        by_path = {vm.get("mountPath"): vm.get("name", "") for vm in (config.spec or {}).get("volumeMounts") or ()}
        return [by_path.get(m.container_path, "") for m in config.mounts]

    def _launch_spec(self, c: _Container, argv: list[str], join: int | None = None, tty: bool = False) -> str:
        spec: dict[str, Any] = {"argv": argv, "env": c.env, "cwd": c.config.working_dir or None, "tty": tty,
                                "parent": os.getpid()}
        if join:
            spec["join"] = join
        elif self.mount_namespace and c.config.mounts:
            spec["mounts"] = [[m.host_path, m.container_path, m.read_only, m.recursive_read_only]
                              for m in c.config.mounts if m.container_path not in ("", "/")]
            spec["setattr_nr"] = _SYS_MOUNT_SETATTR or -1
        return json.dumps(spec)

    async def start_container(self, container_id: str) -> None:
        c = self._containers.get(container_id)
        if c is None:
            raise ContainerError("RunContainerError", f"container {container_id} not found")
        exe = c.argv[0]
        found = os.path.exists(exe) if "/" in exe else shutil.which(exe, path=c.env.get("PATH")) is not None
        if not found:
            self._finish(c, START_ERROR_CODE, "StartError",
                         "failed to create containerd task: failed to create shim task: OCI runtime create failed: "
                         f'runc create failed: unable to start container process: exec: "{exe}": executable file '
                         "not found in $PATH: unknown")
            return
        stdin = asyncio.subprocess.PIPE if c.config.stdin else asyncio.subprocess.DEVNULL
        c.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-S", "-c", LAUNCHER, self._launch_spec(c, c.argv),
            stdin=stdin, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            start_new_session=True, close_fds=True,
        )
        c.status.state = ContainerState.RUNNING
        c.status.started_at = time.time()
        c.status.pid = c.proc.pid
        c.task = asyncio.create_task(self._supervise(c))
        self._ensure_sampler()
        self._on_exit(c.id, c.status)

    async def _supervise(self, c: _Container) -> None:
        assert c.proc is not None
        writer = logs.LogWriter(c.config.log_path) if c.config.log_path else None
        pumps = [asyncio.create_task(self._pump(c, c.proc.stdout, logs.STDOUT, writer)),
                 asyncio.create_task(self._pump(c, c.proc.stderr, logs.STDERR, writer))]
        code = await c.proc.wait()
        # The rest of the group dies with the main process, as in a PID namespace.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(c.proc.pid, signal.SIGKILL)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.gather(*pumps, return_exceptions=True), 2)
        for p in pumps:
            p.cancel()
        if writer is not None:
            writer.close()
        code = 128 - code if code < 0 else code
        self._finish(c, code, exit_reason(code, c.oom), "")

    async def _pump(self, c: _Container, stream: asyncio.StreamReader | None, name: str,
                    writer: logs.LogWriter | None) -> None:
        if stream is None:
            return
        while chunk := await stream.read(65536):
            if writer is not None:
                writer.write(name, chunk)
            for q in list(c.subscribers):
                q.put_nowait((name, chunk))
        for q in list(c.subscribers):
            q.put_nowait((name, b""))

    def _finish(self, c: _Container, code: int, reason: str, message: str) -> None:
        st = c.status
        if st.state is ContainerState.EXITED:
            return
        now = time.time()
        if not st.started_at:
            st.started_at = now
        st.state = ContainerState.EXITED
        st.finished_at = now
        st.exit_code = code
        st.reason = reason
        st.message = message
        c.usage = None
        c.exited.set()
        self._on_exit(c.id, st)

    async def stop_container(self, container_id: str, grace_seconds: float) -> None:
        c = self._containers.get(container_id)
        if c is None or c.status.state is not ContainerState.RUNNING or c.proc is None:
            if c is not None and c.status.state is ContainerState.CREATED:
                self._finish(c, 0, "Completed", "")
            return
        pid = c.proc.pid
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(c.exited.wait(), max(grace_seconds, 0))
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
            await c.exited.wait()

    async def remove_container(self, container_id: str) -> None:
        c = self._containers.get(container_id)
        if c is None:
            return
        if c.status.state is ContainerState.RUNNING:
            await self.stop_container(container_id, 0)
        self._containers.pop(container_id, None)

    def container_status(self, container_id: str) -> ContainerStatus | None:
        c = self._containers.get(container_id)
        return c.status if c else None

    # --- usage and the OOM stand-in ---

    def usage(self, container_id: str) -> ResourceUsage | None:
        c = self._containers.get(container_id)
        if c is None or c.status.state is not ContainerState.RUNNING:
            return None
        return c.usage

    def _ensure_sampler(self) -> None:
        if self._sampler is None or self._sampler.done():
            self._sampler = asyncio.create_task(self._sample_loop())

    async def _sample_loop(self) -> None:
        while any(c.status.state is ContainerState.RUNNING for c in self._containers.values()):
            try:
                self.sample()
            except Exception:  # a vanished /proc entry must never stop sampling
                log.exception("usage sampling failed")
            await asyncio.sleep(SAMPLE_SECONDS)

    def sample(self) -> None:
        running = {c.proc.pid: c for c in self._containers.values()
                   if c.status.state is ContainerState.RUNNING and c.proc is not None}
        if not running:
            return
        totals = read_proc_sessions(set(running))
        now = time.time()
        for sid, (ticks, rss_pages) in totals.items():
            c = running[sid]
            mem = rss_pages * _PAGE
            cores = 0
            if c.cpu_sample_at:
                elapsed = now - c.cpu_sample_at
                if elapsed > 0:
                    cores = int(max(ticks - c.cpu_ticks, 0) / _CLK_TCK / elapsed * 1e9)
            c.cpu_ticks, c.cpu_sample_at = ticks, now
            c.usage = ResourceUsage(cores, mem, now)
            limit = memory_limit(c.config.resources)
            if limit is not None and mem > limit and not c.oom:
                c.oom = True
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(sid, signal.SIGKILL)

    # --- exec, attach, port-forward ---

    def _running(self, container_id: str) -> _Container:
        c = self._containers.get(container_id)
        if c is None or c.status.state is not ContainerState.RUNNING or c.proc is None:
            raise ContainerError("NotFound", f'container not found ("{c.config.name if c else container_id}")')
        return c

    async def exec_sync(self, container_id: str, cmd: list[str], timeout: float | None = None) -> ExecResult:
        session = await self.exec(container_id, cmd, stdin=False, tty=False)
        try:
            out, err = await asyncio.wait_for(
                asyncio.gather(session.stdout.read(), session.stderr.read()), timeout)
            code = await asyncio.wait_for(session.wait(), timeout)
        except TimeoutError:
            session.kill()
            raise
        return ExecResult(code, out, err)

    async def exec(self, container_id: str, cmd: list[str], *, stdin: bool, tty: bool) -> ProcSession:
        c = self._running(container_id)
        argv = [images.host_program(cmd[0], c.env.get("PATH")), *cmd[1:]] if cmd else []
        if not argv:
            raise ContainerError("InvalidArgument", "command must be specified")
        join = c.proc.pid if (self.mount_namespace and c.config.mounts) else None
        if join:
            await _mount_namespace_ready(join)
        spec = self._launch_spec(c, argv, join=join, tty=tty)
        if tty:
            return await ProcSession.start_tty([sys.executable, "-S", "-c", LAUNCHER, spec])
        return await ProcSession.start_pipes([sys.executable, "-S", "-c", LAUNCHER, spec], stdin)

    async def attach(self, container_id: str, *, stdin: bool, tty: bool) -> AttachSession:
        c = self._running(container_id)
        return AttachSession(c, stdin)

    async def port_forward(self, sandbox_id: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """Pods share the host network here, so a pod's port is the host's."""
        return await asyncio.open_connection("127.0.0.1", port)

    def sandbox_of(self, container_id: str) -> str | None:
        c = self._containers.get(container_id)
        return c.sandbox_id if c else None

    async def close(self) -> None:
        running = [c.id for c in self._containers.values() if c.status.state is ContainerState.RUNNING]
        # All at once: shutdown should take one grace period, not one per container.
        await asyncio.gather(*(self.stop_container(cid, 2) for cid in running), return_exceptions=True)
        if self._sampler is not None:
            self._sampler.cancel()


async def _mount_namespace_ready(pid: int, timeout: float = 2.0) -> None:
    """A just-started container may not have entered its own mount namespace yet: exec must
    wait for it, or it would run against the host's mounts."""
    deadline = time.monotonic() + timeout
    mine = os.readlink("/proc/self/ns/mnt")
    while time.monotonic() < deadline:
        try:
            if os.readlink(f"/proc/{pid}/ns/mnt") != mine:
                return
        except OSError:
            return
        await asyncio.sleep(0.005)


def read_proc_sessions(sessions: set[int]) -> dict[int, tuple[int, int]]:
    """{session id: (utime+stime ticks, resident pages)} summed over each session's processes."""
    out: dict[int, tuple[int, int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                raw = f.read()
        except OSError:
            continue
        fields = raw[raw.rfind(b")") + 2:].split()
        # fields[0] is state (stat field 3): session is field 6, utime 14, stime 15, rss 24.
        sid = int(fields[3])
        if sid not in sessions:
            continue
        ticks = int(fields[11]) + int(fields[12])
        rss = int(fields[21])
        t, r = out.get(sid, (0, 0))
        out[sid] = (t + ticks, r + rss)
    return out


class ProcSession:
    """An exec'd process: pipes, or a pseudo-terminal when tty."""

    def __init__(self, proc: asyncio.subprocess.Process, stdin: Any, stdout: Any, stderr: Any,
                 master: int | None = None) -> None:
        self.proc = proc
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self._master = master

    @classmethod
    async def start_pipes(cls, argv: list[str], stdin: bool) -> ProcSession:
        proc = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.PIPE if stdin else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, start_new_session=True)
        return cls(proc, proc.stdin, proc.stdout, proc.stderr)

    @classmethod
    async def start_tty(cls, argv: list[str]) -> ProcSession:
        master, slave = os.openpty()
        try:
            proc = await asyncio.create_subprocess_exec(*argv, stdin=slave, stdout=slave, stderr=slave,
                                                        start_new_session=True)
        finally:
            os.close(slave)
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        read_fd = os.dup(master)
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(read_fd, "rb", 0))
        transport, protocol = await loop.connect_write_pipe(asyncio.streams.FlowControlMixin,
                                                            os.fdopen(os.dup(master), "wb", 0))
        writer = asyncio.StreamWriter(transport, protocol, None, loop)
        return cls(proc, writer, _PtyReader(reader), None, master)

    async def wait(self) -> int:
        code = await self.proc.wait()
        if self._master is not None:
            with contextlib.suppress(OSError):
                os.close(self._master)
            self._master = None
        return 128 - code if code < 0 else code

    def resize(self, width: int, height: int) -> None:
        if self._master is not None:
            with contextlib.suppress(OSError):
                fcntl.ioctl(self._master, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)


class _PtyReader:
    """A pty master reads EIO once the child side closes: that is EOF."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader

    async def read(self, n: int = -1) -> bytes:
        try:
            return await self._reader.read(n)
        except OSError:
            return b""


class AttachSession:
    """Attached to a running container: its output from now on, and its stdin if it has one."""

    def __init__(self, c: _Container, stdin: bool) -> None:
        self._c = c
        self._demux = _Demux()
        c.subscribers.add(self._demux)
        self.stdin = c.proc.stdin if (stdin and c.proc is not None) else None
        self.stdout = _StreamReader(self._demux.queues[logs.STDOUT], c.exited)
        self.stderr = _StreamReader(self._demux.queues[logs.STDERR], c.exited)

    async def wait(self) -> int:
        await self._c.exited.wait()
        self._c.subscribers.discard(self._demux)
        return self._c.status.exit_code or 0

    def resize(self, width: int, height: int) -> None:
        return None

    def detach(self) -> None:
        self._c.subscribers.discard(self._demux)


class _Demux:
    """A container output subscriber: routes its (stream, chunk) items to one queue per stream,
    so each stream's reader waits on its own queue (an empty chunk is that stream's end)."""

    def __init__(self) -> None:
        self.queues: dict[str, asyncio.Queue] = {logs.STDOUT: asyncio.Queue(), logs.STDERR: asyncio.Queue()}

    def put_nowait(self, item: tuple[str, bytes]) -> None:
        stream, chunk = item
        self.queues[stream].put_nowait(chunk)


class _StreamReader:
    """One stream of an attached container. It also ends when the container has exited and
    nothing is left queued: an attach that came after the output ended gets no end marker."""

    def __init__(self, queue: asyncio.Queue, exited: asyncio.Event) -> None:
        self._queue = queue
        self._exited = exited
        self._done = False

    async def read(self, n: int = -1) -> bytes:
        while not self._done:
            if not self._queue.empty():
                chunk = self._queue.get_nowait()
            elif self._exited.is_set():
                chunk = b""  # everything the container wrote was queued before it was marked exited
            else:
                getter = asyncio.ensure_future(self._queue.get())
                ended = asyncio.ensure_future(self._exited.wait())
                try:
                    await asyncio.wait({getter, ended}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    ended.cancel()
                    if not getter.done():
                        getter.cancel()  # also when this read is cancelled: no orphan takes a chunk
                if getter.cancelled():
                    continue
                chunk = getter.result()
            if not chunk:
                self._done = True
            return chunk
        return b""


def client_sources(client: Any, node_allocatable: Mapping[str, str] | None = None) -> volumes.Sources:
    """Volume contents fetched through the API client (config maps, secrets, tokens)."""
    from uwernetes.client import api

    async def get(res: api.Resource, ns: str, name: str) -> dict | None:
        try:
            return await client.get(res, name, ns)
        except api.APIError as e:
            if e.code == 404:
                return None
            raise

    async def token(ns: str, sa: str, audience: str, seconds: int, pod: Mapping[str, Any]) -> str:
        body = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                "spec": {"audiences": [audience] if audience else [], "expirationSeconds": seconds,
                         "boundObjectRef": {"kind": "Pod", "apiVersion": "v1",
                                            "name": pod["metadata"].get("name"), "uid": pod["metadata"].get("uid")}}}
        try:
            out = await client.create(api.SERVICEACCOUNTS, body, ns, subresource="token", name=sa)
        except (api.APIError, TypeError):
            # No TokenRequest support yet: an empty token file keeps pods starting.
            return ""
        return ((out or {}).get("status") or {}).get("token", "")

    return volumes.Sources(config_map=lambda ns, n: get(api.CONFIGMAPS, ns, n),
                           secret=lambda ns, n: get(api.SECRETS, ns, n), token=token,
                           node_allocatable=node_allocatable)


def make_mounts(config_mounts: list[dict], volume_paths: Mapping[str, str], rro_supported: bool) -> list[Mount]:
    """`volumeMounts` -> Mounts (subPath applied), for agents that want the runtime's reading."""
    out = []
    for vm in config_mounts:
        host = volume_paths.get(vm.get("name", ""))
        if host is None:
            continue
        if vm.get("subPath"):
            host = os.path.join(host, vm["subPath"])
        rro = vm.get("recursiveReadOnly") in ("Enabled", "IfPossible") and rro_supported and bool(vm.get("readOnly"))
        out.append(Mount(host, vm.get("mountPath", ""), bool(vm.get("readOnly")), rro))
    return out
