"""Per-pod state machines of the node agent (the kubelet's pod workers, level-triggered).

A `PodWorker` owns one pod on one node. It is idle (no task, maybe one loop timer) until
something changes: the pod object (from the node pool's shared informer), a container state
change reported by the runtime, or a back-off timer. Each change runs `sync` once (coalesced),
which does the next steps of upstream's SyncPod:

- create the sandbox (pod IPs from the node's podCIDRs),
- run regular init containers one at a time, in order; start sidecars (init containers with
  `restartPolicy: Always`) in order, each counting as done once running,
- start the regular containers, restart exited ones per `restartPolicy` with upstream's
  CrashLoopBackOff back-off (first restart at once, then base, 2x base, ... up to 5 min; the
  back-off forgets after 2x the maximum without crashes),
- once every regular container is finished for good, stop the sidecars: the pod is terminal,
- on `deletionTimestamp`: stop every container with the grace period, write the terminal
  status, then delete the pod with grace 0 and a uid precondition (as the kubelet does).

Probes (`uwernetes.node.probes`, one pool-wide `Prober`): a container that starts running gets
its probes; their results set `started`/`ready` (a sidecar counts as initialized once
started), and a liveness/startup failure kills the container (`Killing` event) and restarts it
whenever restartPolicy is not Never, whatever its exit code, as upstream's computePodActions does.

Status goes through the pool's `StatusWriter`, coalesced per pod.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from uwernetes.client.api import PODS, APIError, Client
from uwernetes.machinery.quantity import parse_quantity
from uwernetes.node import probes
from uwernetes.node import status as st
from uwernetes.node.runtimes.base import (
    ContainerConfig,
    ContainerError,
    ContainerState,
    ContainerStatus,
    Mount,
    SandboxConfig,
    expand_vars,
    pod_log_dir,
    pod_log_path,
)

if TYPE_CHECKING:
    from uwernetes.node.agent import NodeAgent

log = logging.getLogger(__name__)

Obj = dict[str, Any]

MAX_BACKOFF = 300.0


# --- back-off (client-go's flowcontrol.Backoff as the kubelet uses it) -------------------------

@dataclass(slots=True)
class BackoffEntry:
    backoff: float
    last_update: float


def backoff_remaining(entry: BackoffEntry | None, event_time: float, now: float, maximum: float = MAX_BACKOFF) -> float:
    """Seconds left before a container that finished at `event_time` may restart (0: now)."""
    if entry is None or event_time - entry.last_update > 2 * maximum:
        return 0.0
    left = entry.backoff - (now - event_time)
    return left if left > 0 else 0.0


def backoff_next(entry: BackoffEntry | None, event_time: float, initial: float, maximum: float = MAX_BACKOFF) -> BackoffEntry:
    if entry is None or event_time - entry.last_update > 2 * maximum:
        return BackoffEntry(initial, event_time)
    return BackoffEntry(min(entry.backoff * 2, maximum), event_time)


def go_duration(seconds: float) -> str:
    """Go's time.Duration String() for the values back-off produces (10s, 1m20s, 5m0s, 100ms)."""
    if seconds <= 0:
        return "0s"
    if seconds < 1:
        ms = seconds * 1000
        return f"{ms:g}ms" if ms >= 1 else f"{seconds * 1e6:g}µs"
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    secs = f"{s:.9f}".rstrip("0").rstrip(".") + "s"
    if h:
        return f"{int(h)}h{int(m)}m{secs}"
    if m:
        return f"{int(m)}m{secs}"
    return secs


def should_restart(restart_policy: str, exit_code: int | None) -> bool:
    if restart_policy == "Always":
        return True
    if restart_policy == "OnFailure":
        return exit_code != 0
    return False


# --- resolving a container spec -------------------------------------------------------------

def _field_ref(pod: Mapping[str, Any], path: str, host_ips: list[str], pod_ips: list[str]) -> str:
    m = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    if path.startswith(("metadata.labels['", "metadata.annotations['")) and path.endswith("']"):
        which = "labels" if path.startswith("metadata.labels") else "annotations"
        key = path[path.index("['") + 2 : -2]
        return (m.get(which) or {}).get(key, "")
    if path in ("metadata.labels", "metadata.annotations"):
        items = m.get(path.split(".")[1]) or {}
        return "\n".join(f'{k}="{v}"' for k, v in sorted(items.items()))
    simple = {"metadata.name": m.get("name", ""), "metadata.namespace": m.get("namespace", ""),
              "metadata.uid": m.get("uid", ""), "spec.nodeName": spec.get("nodeName", ""),
              "spec.serviceAccountName": spec.get("serviceAccountName", ""),
              "status.hostIP": host_ips[0] if host_ips else "", "status.hostIPs": ",".join(host_ips),
              "status.podIP": pod_ips[0] if pod_ips else "", "status.podIPs": ",".join(pod_ips)}
    return simple.get(path, "")


def _resource_ref(container: Mapping[str, Any], ref: Mapping[str, Any], allocatable: Mapping[str, Any]) -> str:
    resource = ref.get("resource", "")
    kind, _, name = resource.partition(".")
    res = container.get("resources") or {}
    value = (res.get(kind) or {}).get(name)
    if value is None and kind == "limits":
        value = allocatable.get(name)  # an unset limit reads as the node's allocatable
    if value is None:
        return "0"
    divisor = parse_quantity(ref.get("divisor") or "1")
    return str(math.ceil(Fraction(parse_quantity(value)) / divisor))


Lookup = Callable[[str, str, str], Any]  # (kind "configmap"|"secret", namespace, name) -> awaitable data or None


async def resolve_env(pod: Mapping[str, Any], container: Mapping[str, Any], *, host_ips: list[str], pod_ips: list[str],
                      allocatable: Mapping[str, Any], lookup: Lookup) -> dict[str, str]:
    """The container's environment: envFrom, then env in order, `$(VAR)` expanded against earlier ones.

    Raises ContainerError(CreateContainerConfigError) for a missing non-optional source.
    """
    ns = (pod.get("metadata") or {}).get("namespace", "")
    env: dict[str, str] = {}
    for src in container.get("envFrom") or []:
        ref = src.get("configMapRef") or src.get("secretRef")
        kind = "configmap" if "configMapRef" in src else "secret"
        data = await lookup(kind, ns, ref.get("name", ""))
        if data is None:
            if ref.get("optional"):
                continue
            raise ContainerError("CreateContainerConfigError", f'{kind} "{ref.get("name", "")}" not found')
        for k, v in data.items():
            env[src.get("prefix", "") + k] = v
    for e in container.get("env") or []:
        name = e["name"]
        if "valueFrom" not in e:
            env[name] = expand_vars(e.get("value", ""), env)
            continue
        vf = e["valueFrom"]
        if "fieldRef" in vf:
            env[name] = _field_ref(pod, vf["fieldRef"].get("fieldPath", ""), host_ips, pod_ips)
        elif "resourceFieldRef" in vf:
            env[name] = _resource_ref(container, vf["resourceFieldRef"], allocatable)
        else:
            ref = vf.get("configMapKeyRef") or vf.get("secretKeyRef") or {}
            kind = "configmap" if "configMapKeyRef" in vf else "secret"
            data = await lookup(kind, ns, ref.get("name", ""))
            if data is None or ref.get("key") not in data:
                if ref.get("optional"):
                    continue
                if data is None:
                    raise ContainerError("CreateContainerConfigError", f'{kind} "{ref.get("name", "")}" not found')
                raise ContainerError("CreateContainerConfigError",
                                     f"couldn't find key {ref.get('key')} in {'ConfigMap' if kind == 'configmap' else 'Secret'} {ns}/{ref.get('name')}")
            env[name] = data[ref["key"]]
    return env


def resolve_mounts(container: Mapping[str, Any], volumes: Mapping[str, str], rro_supported: bool) -> list[Mount]:
    """volumeMounts -> Mounts; recursive read-only resolved as kubelet's makeMounts (KEP-3857)."""
    out: list[Mount] = []
    for vm in container.get("volumeMounts") or []:
        name = vm.get("name", "")
        rro_mode = vm.get("recursiveReadOnly") or "Disabled"
        rro = False
        if rro_mode != "Disabled":
            prefix = f'failed to resolve recursive read-only mode: volume "{name}" requested recursive read-only mode, but '
            if not vm.get("readOnly"):
                raise ContainerError("CreateContainerConfigError", prefix + "it is not read-only")
            prop = vm.get("mountPropagation")
            if prop not in (None, "None"):
                raise ContainerError("CreateContainerConfigError", prefix + f'it is not compatible with propagation "{prop}"')
            if rro_mode == "Enabled" and not rro_supported:
                raise ContainerError("CreateContainerConfigError", prefix + "it is not supported by the runtime")
            rro = rro_supported
        host = volumes.get(name)
        if host is None:
            continue
        if vm.get("subPath"):
            host = f"{host.rstrip('/')}/{vm['subPath']}"
        out.append(Mount(host, vm.get("mountPath", ""), bool(vm.get("readOnly")), rro))
    return out


# --- status writes ----------------------------------------------------------------------------

class StatusWriter:
    """Coalesces status writes per pod; `concurrency` patches in flight at most."""

    def __init__(self, client: Client, concurrency: int = 16) -> None:
        self.client = client
        self.concurrency = concurrency
        self._latest: dict[str, tuple[str, str, str, Obj]] = {}
        self._order: deque[str] = deque()
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self.writes = 0

    def start(self) -> None:
        if not self._tasks:
            self._tasks = [asyncio.create_task(self._run()) for _ in range(self.concurrency)]

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    def put(self, namespace: str, name: str, uid: str, status: Obj) -> None:
        key = f"{namespace}/{name}"
        if key not in self._latest:
            self._order.append(key)
        self._latest[key] = (namespace, name, uid, status)
        self._wake.set()

    def drop(self, namespace: str, name: str) -> None:
        self._latest.pop(f"{namespace}/{name}", None)

    async def write_now(self, namespace: str, name: str, uid: str, status: Obj) -> None:
        self._latest.pop(f"{namespace}/{name}", None)
        await self._patch(namespace, name, uid, status)

    async def _patch(self, namespace: str, name: str, uid: str, status: Obj) -> None:
        self.writes += 1
        await self.client.patch(PODS, name, {"metadata": {"uid": uid}, "status": status}, namespace,
                                subresource="status", patch_type="merge")

    async def _run(self) -> None:
        while True:
            while not self._order:
                self._wake.clear()
                await self._wake.wait()
            key = self._order.popleft()
            item = self._latest.pop(key, None)
            if item is None:
                continue
            try:
                await self._patch(*item)
            except APIError as e:
                if e.code not in (404, 409, 422):
                    log.warning("status of pod %s: %s", key, e)
            except Exception as e:  # transport trouble: try again shortly unless superseded
                log.warning("status of pod %s: %s", key, e)
                await asyncio.sleep(1.0)
                if key not in self._latest:
                    self._order.append(key)
                    self._latest[key] = item


# --- the pod worker ---------------------------------------------------------------------------

class PodWorker:
    def __init__(self, node: NodeAgent, pod: Obj) -> None:
        self.node = node
        self.pod = pod
        m = pod["metadata"]
        self.uid: str = m["uid"]
        self.namespace: str = m.get("namespace", "")
        self.name: str = m["name"]
        spec = pod.get("spec") or {}
        old = {s.get("name"): s for s in ((pod.get("status") or {}).get("initContainerStatuses") or [])
               + ((pod.get("status") or {}).get("containerStatuses") or [])}
        self.init = {c["name"]: self._record(c, True, old) for c in spec.get("initContainers") or []}
        self.containers = {c["name"]: self._record(c, False, old) for c in spec.get("containers") or []}
        self.cids: dict[str, str] = {}  # container name -> runtime id of its current attempt
        self.backoff: dict[str, BackoffEntry] = {}
        self.sandbox_id: str | None = None
        self.pod_ips: list[str] = []
        self.volumes: dict[str, str] = {}
        self.initialized = False
        self.terminal = (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")
        self.finished = False  # deleted via the API (or removed); nothing more to do
        self.status: Obj | None = None
        self._running = False
        self._dirty = False
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0
        self._starting: set[str] = set()
        self.probe_killed: set[str] = set()  # killed by a failing probe, to be restarted

    def _record(self, c: Mapping[str, Any], init: bool, old: Mapping[str, Obj]) -> st.ContainerRecord:
        # A restarted agent keeps counting restarts where the API's status left off.
        prev = old.get(c["name"]) or {}
        reason = "PodInitializing" if init or self._has_blocking_init() else "ContainerCreating"
        return st.ContainerRecord(c["name"], c.get("image", ""), reason=reason,
                                  restart_count=int(prev.get("restartCount", 0)))

    def _has_blocking_init(self) -> bool:
        return any(c.get("restartPolicy") != "Always" for c in (self.pod.get("spec") or {}).get("initContainers") or [])

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def spec(self) -> Obj:
        return self.pod.get("spec") or {}

    @property
    def runtime(self) -> Any:
        return self.node.runtime

    @property
    def probe_host(self) -> str:
        """Where httpGet/tcpSocket probes without `host` connect (upstream: the pod IP)."""
        if getattr(self.node.runtime, "shares_host_network", False):
            return "127.0.0.1"
        return self.pod_ips[0] if self.pod_ips else ""

    # events ---------------------------------------------------------------------------------

    def update(self, pod: Obj) -> None:
        self.pod = pod
        current = pod.get("status")
        if self.status is not None and self.status is not current and current == self.status:
            # What we last wrote is what the API server now holds: keep its (shared, read-only)
            # copy instead of ours, so each pod's status is in memory once.
            self.status = current
        self.kick()

    def kick(self) -> None:
        if self.finished:
            return
        if self._running:
            self._dirty = True
            return
        self._running = True
        asyncio.get_running_loop().create_task(self._loop())

    def kick_at(self, when: float) -> None:
        """Sync again at `when` (epoch seconds); one loop timer, the earliest wins."""
        if self._timer is not None and self._timer_at <= when:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = when
        self._timer = asyncio.get_running_loop().call_later(max(0.0, when - time.time()), self._fire)

    def _fire(self) -> None:
        self._timer = None
        self.kick()

    def on_container_state(self, name: str, cs: ContainerStatus) -> None:
        # Container names are unique across init and regular containers (API validation).
        rec = self.init.get(name) or self.containers.get(name)
        if rec is None or self.cids.get(name) != cs.id:
            return  # a previous attempt
        if cs.state is ContainerState.RUNNING and rec.state != "running":
            self._starting.discard(name)
            rec.state = "running"
            rec.reason = rec.message = ""
            rec.started_at = cs.started_at
            if name in self.init and not self._is_sidecar(name):
                rec.started, rec.ready = True, False
            else:
                cp = self.node.pool.prober.add(self, self.uid, self._container_spec(name), cs.id, cs.started_at)
                rec.started, rec.ready = cp.started_and_ready() if cp is not None else (True, True)
        elif cs.state is ContainerState.EXITED and rec.state != "terminated":
            self._starting.discard(name)
            rec.state = "terminated"
            rec.exit_code = cs.exit_code
            rec.reason = cs.reason or ("Completed" if cs.exit_code == 0 else "Error")
            rec.message = cs.message
            rec.finished_at = cs.finished_at or time.time()
            if not rec.started_at and cs.started_at:
                rec.started_at = cs.started_at
            is_regular_init = name in self.init and not self._is_sidecar(name)
            rec.ready = is_regular_init and cs.exit_code == 0
            rec.started = False
            self.node.pool.prober.remove((self.uid, name))
        else:
            return
        self.kick()

    def _container_spec(self, name: str) -> Obj:
        for c in (*(self.spec.get("initContainers") or []), *(self.spec.get("containers") or [])):
            if c["name"] == name:
                return c
        return {"name": name}

    # probes ---------------------------------------------------------------------------------

    def on_probe_result(self, name: str, probe_type: str, result: str) -> None:
        rec = self.init.get(name) or self.containers.get(name)
        cp = self.node.pool.prober.get((self.uid, name))
        if rec is None or cp is None or rec.state != "running" or self.finished:
            return
        rec.started, rec.ready = cp.started_and_ready()
        if result == probes.FAILURE and probe_type in (probes.LIVENESS, probes.STARTUP):
            asyncio.get_running_loop().create_task(self._kill_unhealthy(name, probe_type, cp))
        self.kick()

    def probe_event(self, name: str, event_type: str, reason: str, message: str) -> None:
        self.node.pool.events.record(self.pod, name, event_type, reason, message, node=self.node.name)

    def lifecycle_event(self, name: str, event_type: str, reason: str, message: str) -> None:
        """The kubelet's container lifecycle events, where the runtime runs real containers."""
        if self.node.runtime.capabilities.lifecycle_events:
            self.probe_event(name, event_type, reason, message)

    async def _kill_unhealthy(self, name: str, probe_type: str, cp: probes.ContainerProbes) -> None:
        """Kill a container whose liveness/startup probe failed; sync restarts it per restartPolicy."""
        cid = self.cids.get(name)
        if cid != cp.container_id or self.finished or (self.pod.get("metadata") or {}).get("deletionTimestamp"):
            return
        restart = self.spec.get("restartPolicy", "Always") != "Never" or self._is_sidecar(name)
        _, message = probes.kill_message(probe_type, name, restart)
        self.probe_event(name, "Normal", "Killing", message)
        if restart:
            self.probe_killed.add(name)
        grace = probes.kill_grace(cp.specs[probe_type], self.spec.get("terminationGracePeriodSeconds"))
        await self.node.runtime.stop_container(cid, grace)
        cs = self.node.runtime.container_status(cid)
        if cs is not None:
            self.on_container_state(name, cs)

    def _is_sidecar(self, name: str) -> bool:
        for c in self.spec.get("initContainers") or []:
            if c["name"] == name:
                return c.get("restartPolicy") == "Always"
        return False

    # sync -----------------------------------------------------------------------------------

    async def _loop(self) -> None:
        try:
            while True:
                self._dirty = False
                try:
                    await self.sync()
                except Exception:
                    log.exception("pod %s: sync failed", self.key)
                    self.kick_at(time.time() + 1.0)
                if not self._dirty or self.finished:
                    return
        finally:
            self._running = False

    async def sync(self) -> None:
        if self.finished or self.node.stopped:
            return
        meta = self.pod.get("metadata") or {}
        if meta.get("deletionTimestamp"):
            await self.terminate(meta.get("deletionGracePeriodSeconds"))
            return
        if self.terminal:
            self._publish()
            return
        if self.sandbox_id is None:
            await self._create_sandbox()
        restart_policy = self.spec.get("restartPolicy", "Always")
        if not self.initialized:
            if not await self._run_init(restart_policy):
                self._publish()
                return
            self.initialized = True
        for c in self.spec.get("initContainers") or []:  # sidecars keep running after init
            if c.get("restartPolicy") == "Always":
                rec = self.init[c["name"]]
                if rec.state == "terminated" or (rec.state == "waiting" and c["name"] not in self._starting):
                    await self._start(c, rec, init=True)
        for c in self.spec.get("containers") or []:
            rec = self.containers[c["name"]]
            if c["name"] in self._starting or rec.state == "running":
                continue
            never_ran = not rec.container_id and rec.last_terminated is None
            crashed = rec.state == "terminated" or (rec.state == "waiting" and rec.reason == "CrashLoopBackOff")
            if never_ran and rec.state == "waiting":
                await self._start(c, rec, init=False)
            elif crashed and (c["name"] in self.probe_killed or should_restart(
                    restart_policy, rec.exit_code if rec.state == "terminated"
                    else (rec.last_terminated or {}).get("exitCode"))):
                await self._start(c, rec, init=False)
            elif rec.state == "waiting" and rec.reason not in ("ContainerCreating", "PodInitializing", "CrashLoopBackOff"):
                await self._start(c, rec, init=False)  # a start error: retry with back-off
        phase = self._phase(terminal=False)
        if phase in ("Succeeded", "Failed"):
            self.terminal = True
            await self._stop_all(self._grace(None), sidecars_only=True)
        self._publish()

    async def _run_init(self, restart_policy: str) -> bool:
        """Advance the init sequence; True once every init container is done."""
        for c in self.spec.get("initContainers") or []:
            name = c["name"]
            rec = self.init[name]
            if c.get("restartPolicy") == "Always":
                if rec.state == "running":
                    if rec.started:  # a sidecar's startup probe holds back what follows it
                        continue
                    return False
                if name not in self._starting:
                    await self._start(c, rec, init=True)
                return False
            if rec.state == "terminated" and rec.exit_code == 0:
                continue
            if rec.state == "running" or name in self._starting:
                return False
            failed = rec.state == "terminated" or rec.reason == "CrashLoopBackOff"
            if failed and restart_policy == "Never":
                self.terminal = True
                await self._stop_all(self._grace(None), sidecars_only=True)
                return False
            await self._start(c, rec, init=True)
            return False
        return True

    def _phase(self, terminal: bool) -> str:
        return st.pod_phase(self.spec, [st.container_status(r) for r in self.init.values()],
                            [st.container_status(r) for r in self.containers.values()], terminal)

    async def _create_sandbox(self) -> None:
        m = self.pod.get("metadata") or {}
        ips = self.node.allocate_ips(self.uid) if not self.spec.get("hostNetwork") else list(self.node.host_ips)
        cfg = SandboxConfig(self.uid, self.namespace, self.name, self.spec.get("hostname") or self.name, ips,
                            host_network=bool(self.spec.get("hostNetwork")),
                            log_directory=str(pod_log_dir(self.node.pool.logs_dir, self.namespace, self.name, self.uid)),
                            labels=m.get("labels") or {}, annotations=m.get("annotations") or {}, pod=self.pod)
        sandbox = await self.node.runtime.run_pod_sandbox(cfg)
        self.sandbox_id = sandbox.id
        self.pod_ips = sandbox.pod_ips
        try:
            self.volumes = await self.node.runtime.prepare_volumes(self.pod)
        except ContainerError as e:
            log.warning("pod %s: volumes: %s", self.key, e)

    async def _start(self, c: Mapping[str, Any], rec: st.ContainerRecord, *, init: bool) -> None:
        name = c["name"]
        now = time.time()
        pool = self.node.pool
        restarting = rec.state == "terminated" or rec.last_terminated is not None or bool(rec.container_id)
        if rec.state == "terminated":
            rec.last_terminated = st.terminated_of(rec)
        if restarting and rec.state in ("terminated", "waiting") and rec.container_id:
            event_time = rec.finished_at or now
            left = backoff_remaining(self.backoff.get(name), event_time, now)
            if left > 0:
                entry = self.backoff[name]
                rec.state = "waiting"
                rec.reason = "CrashLoopBackOff"
                rec.message = (f"back-off {go_duration(entry.backoff)} restarting failed container={name} "
                               f"pod={self.name}_{self.namespace}({self.uid})")
                rec.ready = rec.started = False
                self.lifecycle_event(name, "Warning", "BackOff", f"Back-off restarting failed container {name} in "
                                     f"pod {self.name}_{self.namespace}({self.uid})")
                self.kick_at(event_time + entry.backoff)
                return
            self.backoff[name] = backoff_next(self.backoff.get(name), event_time, pool.backoff_base)
        attempt = rec.restart_count + 1 if rec.container_id else rec.restart_count
        self.probe_killed.discard(name)
        old = self.cids.pop(name, None)
        if old:
            pool.forget_container(old)
            await self.node.runtime.remove_container(old)
        try:
            await self.node.images.ensure(c.get("image") or "", c.get("imagePullPolicy") or "IfNotPresent")
            config = await self._container_config(c, attempt, init)
            cid = await self.node.runtime.create_container(self.sandbox_id or "", config)
        except ContainerError as e:
            self._start_failed(name, rec, e, now)
            return
        # Images are not pulled (see README): the kubelet's words for an image it already has,
        # once the runtime has accepted it.
        self.lifecycle_event(name, "Normal", "Pulled", f'Container image "{c.get("image") or ""}" already '
                             "present on machine")
        self.lifecycle_event(name, "Normal", "Created", f"Created container {name}")
        self.cids[name] = cid
        pool.track_container(cid, self, name)
        rec.container_id = f"{self.node.runtime.name}://{cid}"
        rec.restart_count = attempt
        rec.state = "waiting"
        rec.reason = "PodInitializing" if init else "ContainerCreating"
        rec.message = ""
        rec.exit_code = None
        rec.started_at = rec.finished_at = 0.0
        rec.ready = rec.started = False
        self._starting.add(name)
        try:
            await self.node.runtime.start_container(cid)
        except ContainerError as e:
            self._starting.discard(name)
            self._start_failed(name, rec, e, now)
            return
        self.lifecycle_event(name, "Normal", "Started", f"Started container {name}")
        cs = self.node.runtime.container_status(cid)
        if cs is not None and cs.state is not ContainerState.CREATED:
            self.on_container_state(name, cs)

    def _start_failed(self, name: str, rec: st.ContainerRecord, e: ContainerError, now: float) -> None:
        rec.state = "waiting"
        rec.reason = e.reason
        rec.message = e.message
        self.lifecycle_event(name, "Warning", "Failed", f"Error: {e.message or e.reason}")
        entry = backoff_next(self.backoff.get("start:" + name), now, self.node.pool.backoff_base)
        self.backoff["start:" + name] = entry
        self.kick_at(now + entry.backoff)

    async def _container_config(self, c: Mapping[str, Any], attempt: int, init: bool) -> ContainerConfig:
        node = self.node
        env = await resolve_env(self.pod, c, host_ips=node.host_ips, pod_ips=self.pod_ips,
                                allocatable=node.allocatable, lookup=node.pool.lookup)
        mounts = resolve_mounts(c, self.volumes, node.runtime.capabilities.recursive_read_only)
        return ContainerConfig(
            name=c["name"], image=c.get("image", ""),
            command=[expand_vars(a, env) for a in c.get("command") or []],
            args=[expand_vars(a, env) for a in c.get("args") or []],
            env=env, working_dir=c.get("workingDir", ""), mounts=mounts, stdin=bool(c.get("stdin")),
            stdin_once=bool(c.get("stdinOnce")), tty=bool(c.get("tty")),
            log_path=str(pod_log_path(node.pool.logs_dir, self.namespace, self.name, self.uid, c["name"], attempt)),
            attempt=attempt, init=init, resources=c.get("resources") or {}, spec=c)

    def _grace(self, requested: int | None) -> float:
        if requested is not None:
            return float(requested)
        return float(self.spec.get("terminationGracePeriodSeconds", 30))

    async def _stop_all(self, grace: float, *, sidecars_only: bool) -> None:
        """Regular containers first, then sidecars in reverse order (as the kubelet does)."""
        rt = self.node.runtime
        regular = [] if sidecars_only else [n for n in self.containers if n in self.cids]
        sidecars = [c["name"] for c in reversed(self.spec.get("initContainers") or [])
                    if c.get("restartPolicy") == "Always" and c["name"] in self.cids]
        for group in (regular, sidecars):
            live = [n for n in group if (s := rt.container_status(self.cids[n])) and s.state is not ContainerState.EXITED]
            for n in live:
                self.lifecycle_event(n, "Normal", "Killing", f"Stopping container {n}")
            if live:
                await asyncio.gather(*(rt.stop_container(self.cids[n], grace) for n in live), return_exceptions=True)
                for n in live:
                    cs = rt.container_status(self.cids[n])
                    if cs is not None:
                        self.on_container_state(n, cs)
        for rec in (*self.init.values(), *self.containers.values()):
            self._starting.discard(rec.name)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    async def terminate(self, grace: int | None) -> None:
        """Graceful deletion: stop everything, write the terminal status, delete with grace 0."""
        self.node.pool.prober.terminating(self.uid)
        await self._stop_all(self._grace(grace), sidecars_only=False)
        # The status manager's TerminatePod: whatever did not end is reported as lost, and a
        # deleted pod always ends in a terminal phase.
        now = time.time()
        for rec in (*self.containers.values(), *(r for r in self.init.values() if r.container_id)):
            if rec.state != "terminated":
                if rec.state == "running":
                    rec.last_terminated = None
                rec.state, rec.exit_code, rec.reason = "terminated", 137, "ContainerStatusUnknown"
                rec.message = "The container could not be located when the pod was terminated"
                rec.finished_at = now
                rec.ready = rec.started = False
        self.terminal = True
        self.finished = True
        status = self._compute(terminal=True)
        if status["phase"] not in ("Succeeded", "Failed"):
            status["phase"] = "Failed"
        pool = self.node.pool
        try:
            if status != self.status:
                await pool.status_writer.write_now(self.namespace, self.name, self.uid, status)
            await pool.client.delete(PODS, self.name, self.namespace, grace_period_seconds=0,
                                     preconditions={"uid": self.uid})
        except APIError as e:
            if e.code not in (404, 409):
                log.warning("pod %s: final delete: %s", self.key, e)
        await self.cleanup()

    async def cleanup(self) -> None:
        """Forget the pod's containers and sandbox (the pod is gone from the API, or stopped)."""
        self.finished = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.node.pool.prober.remove_pod(self.uid)
        rt = self.node.runtime
        for cid in list(self.cids.values()):
            s = rt.container_status(cid)
            if s is not None and s.state is not ContainerState.EXITED:
                await rt.stop_container(cid, 0)
            self.node.pool.forget_container(cid)
            await rt.remove_container(cid)
        self.cids.clear()
        if self.sandbox_id is not None:
            await rt.stop_pod_sandbox(self.sandbox_id)
            await rt.remove_pod_sandbox(self.sandbox_id)
            self.sandbox_id = None
            await rt.cleanup_volumes(self.pod)
        self.node.release_ips(self.uid)
        self.node.pool.status_writer.drop(self.namespace, self.name)

    # status -----------------------------------------------------------------------------------

    def _compute(self, terminal: bool) -> Obj:
        view = self.pod if self.status is None else {**self.pod, "status": {**(self.pod.get("status") or {}), **self.status}}
        return st.pod_status(view, init=list(self.init.values()), containers=list(self.containers.values()),
                             host_ips=self.node.host_ips, pod_ips=self.pod_ips,
                             sandbox_ready=self.sandbox_id is not None and not self.terminal,
                             now=time.time(), terminal=terminal or self.terminal)

    def _publish(self) -> None:
        status = self._compute(terminal=self.terminal)
        if status == self.status:
            return
        self.status = status
        self.node.pool.status_writer.put(self.namespace, self.name, self.uid, status)
