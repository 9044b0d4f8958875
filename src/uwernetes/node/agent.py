"""Node agents: `run_nodes(ctx, count, runtime)` runs `count` of them in this process.

All agents of a process share one `NodePool`: one client, one informer over *all* pods
(dispatched by `spec.nodeName`, so 5,000 nodes cost one watch, not 5,000), one status writer
(coalesced per pod, bounded concurrency), the event loop's timer heap for start delays and
back-offs (no task per idle pod), and one lease loop that renews each node's Lease in
kube-node-lease every `lease_renew_seconds` (10 s), spread evenly over the interval.

Options (ctx.options): `name_prefix` (node names `<prefix><i>`; default the host name, with
`-<i>` when count > 1), `zone`/`region` labels, `dual_stack` (IPv4 + IPv6 addresses and pod
CIDRs), `cpu`/`memory`/`pods`/`ephemeral_storage` capacity (simulated defaults 8 / 32Gi / 110 /
100Gi; the process runtime reads the host), `simulated_start_delay` (0.1 s),
`simulated_rro` (advertise recursive read-only mounts), `backoff_base` (10 s),
`lease_renew_seconds` (10), `node_status_report_seconds` (300), `status_concurrency` (16),
`pod_logs_dir` (<data_dir>/pods-logs).

Tests reach the running pools through `pools()`; `NodePool.stop_node(name)` stops one agent
(its lease and pods go silent, as if the kubelet died), `start_node(name)` brings it back.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import platform
import shutil
import socket
import time
import weakref
from typing import Any

from uwernetes.client.api import CONFIGMAPS, LEASES, NODES, PODS, SECRETS, APIError, Client
from uwernetes.client.informer import Informer
from uwernetes.components import ComponentContext
from uwernetes.machinery.meta import now_micro
from uwernetes.node.events import EventRecorder
from uwernetes.node.image_pull import ImagePuller
from uwernetes.node.pod_workers import PodWorker, StatusWriter
from uwernetes.node.probes import Prober
from uwernetes.node.runtimes.base import ContainerStatus, Runtime, runtime_handlers
from uwernetes.node.runtimes.simulated import SimulatedRuntime
from uwernetes.node.server import KubeletHandler
from uwernetes.node.status import node_host_ips, rfc3339

log = logging.getLogger(__name__)

Obj = dict[str, Any]

LEASE_NAMESPACE = "kube-node-lease"
LEASE_DURATION = 40
KUBELET_VERSION = "v1.30.0"

_POOLS: weakref.WeakSet[NodePool] = weakref.WeakSet()


def pools() -> list[NodePool]:
    """The node pools running in this process (for tests and benchmarks)."""
    return list(_POOLS)


# --- pure pieces -----------------------------------------------------------------------------

def node_names(count: int, prefix: str, hostname: str) -> list[str]:
    if prefix:
        return [f"{prefix}{i}" for i in range(count)]
    host = hostname.lower().split(".")[0] or "node"
    return [host] if count == 1 else [f"{host}-{i}" for i in range(count)]


def pod_cidrs(index: int, count: int, dual_stack: bool) -> list[str]:
    """10.244.<i>.0/24 while there are at most 256 nodes, else /24s of 10.128.0.0/9; IPv6 fd00:10:244:<i>::/64."""
    if count <= 256:
        v4 = f"10.244.{index}.0/24"
    else:
        net = ipaddress.ip_network("10.128.0.0/9")
        v4 = str(ipaddress.ip_network((int(net.network_address) + index * 256, 24)))
    out = [v4]
    if dual_stack:
        out.append(f"fd00:10:244:{index:x}::/64")
    return out


def node_addresses(index: int, name: str, dual_stack: bool, ip: str | None = None) -> list[Obj]:
    v4 = ip or str(ipaddress.ip_address("172.18.0.2") + index)
    out = [{"type": "InternalIP", "address": v4}]
    if dual_stack:
        out.append({"type": "InternalIP", "address": str(ipaddress.ip_address("fc00:f853:ccd:e793::2") + index)})
    out.append({"type": "Hostname", "address": name})
    return out


NODE_CONDITIONS = (
    ("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
)


def node_conditions(now: str, old: list[Obj] | None = None) -> list[Obj]:
    prev = {c.get("type"): c for c in old or []}
    out = []
    for ctype, status, reason, message in NODE_CONDITIONS:
        p = prev.get(ctype)
        ltt = p.get("lastTransitionTime") if p and p.get("status") == status else now
        out.append({"type": ctype, "status": status, "lastHeartbeatTime": now, "lastTransitionTime": ltt,
                    "reason": reason, "message": message})
    return out


def node_object(name: str, *, index: int, count: int, capacity: dict[str, str], runtime: Runtime,
                dual_stack: bool = False, zone: str = "", region: str = "", ip: str | None = None,
                port: int = 10250, now: str = "") -> Obj:
    """The Node an agent registers: labels, podCIDRs, capacity, addresses, conditions, nodeInfo."""
    arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine() or "amd64")
    labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": arch,
              "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": arch}
    if zone:
        labels["topology.kubernetes.io/zone"] = zone
    if region:
        labels["topology.kubernetes.io/region"] = region
    cidrs = pod_cidrs(index, count, dual_stack)
    now = now or rfc3339(time.time())
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": labels,
                     "annotations": {"node.alpha.kubernetes.io/ttl": "0",
                                     "volumes.kubernetes.io/controller-managed-attach-detach": "true"}},
        "spec": {"podCIDR": cidrs[0], "podCIDRs": cidrs},
        "status": {
            "capacity": dict(capacity), "allocatable": dict(capacity),
            "conditions": node_conditions(now),
            "addresses": node_addresses(index, name, dual_stack, ip),
            "daemonEndpoints": {"kubeletEndpoint": {"Port": port}},
            "nodeInfo": {"machineID": f"{index:032x}", "systemUUID": f"{index:08x}-0000-0000-0000-000000000000",
                         "bootID": f"{index:08x}-b007-0000-0000-000000000000",
                         "kernelVersion": platform.release(), "osImage": "Uwernetes", "operatingSystem": "linux",
                         "architecture": arch,
                         "containerRuntimeVersion": f"{runtime.name}://{runtime.version}",
                         "kubeletVersion": KUBELET_VERSION, "kubeProxyVersion": KUBELET_VERSION},
            "runtimeHandlers": runtime_handlers(runtime.capabilities),
        },
    }


def host_capacity(data_dir: str) -> dict[str, str]:
    """Capacity from this host's facts (process runtime)."""
    mem_kib = 0
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem_kib = int(line.split()[1])
                    break
    except OSError:
        pass
    try:
        disk = shutil.disk_usage(data_dir).total
    except OSError:
        disk = 0
    return {"cpu": str(os.cpu_count() or 1), "memory": f"{mem_kib}Ki", "pods": "110",
            "ephemeral-storage": f"{disk // 1024}Ki", "hugepages-2Mi": "0", "hugepages-1Gi": "0"}


def lease_object(name: str, node_uid: str, now: str) -> Obj:
    meta: Obj = {"name": name, "namespace": LEASE_NAMESPACE}
    if node_uid:
        meta["ownerReferences"] = [{"apiVersion": "v1", "kind": "Node", "name": name, "uid": node_uid}]
    return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": meta,
            "spec": {"holderIdentity": name, "leaseDurationSeconds": LEASE_DURATION, "renewTime": now}}


class IPAllocator:
    """Pod IPs from the node's CIDRs: the same host index in each family (.2 upwards)."""

    def __init__(self, cidrs: list[str]) -> None:
        self.nets = [ipaddress.ip_network(c) for c in cidrs]
        self.size = min(n.num_addresses for n in self.nets) - 2
        self.free: list[int] = []
        self.next = 2
        self.used: dict[str, int] = {}

    def allocate(self, key: str) -> list[str]:
        if key in self.used:
            n = self.used[key]
        elif self.free:
            n = self.free.pop()
        elif self.next <= self.size:
            n = self.next
            self.next += 1
        else:
            return []
        self.used[key] = n
        return [str(net.network_address + n) for net in self.nets]

    def release(self, key: str) -> None:
        n = self.used.pop(key, None)
        if n is not None:
            self.free.append(n)


# --- agents ----------------------------------------------------------------------------------

class NodeAgent:
    def __init__(self, pool: NodePool, name: str, index: int, runtime: Runtime, node: Obj) -> None:
        self.pool = pool
        self.name = name
        self.index = index
        self.runtime = runtime
        self.node = node
        self.uid = ""
        self.host_ips = node_host_ips(node["status"]["addresses"])
        self.allocatable = node["status"]["allocatable"]
        self.ips = IPAllocator(node["spec"]["podCIDRs"])
        self.workers: dict[str, PodWorker] = {}  # pod uid -> worker
        self.stopped = False
        self.registered = False
        self.last_status = 0.0
        self.images = ImagePuller(pool.image_pull_seconds)

    def allocate_ips(self, uid: str) -> list[str]:
        return self.ips.allocate(uid)

    def release_ips(self, uid: str) -> None:
        self.ips.release(uid)

    async def register(self) -> None:
        client = self.pool.client
        try:
            created = await client.create(NODES, self.node)
        except APIError as e:
            if e.code != 409:
                raise
            created = await self._post_status(reregister=True)
        self.uid = created["metadata"].get("uid", "")
        now = now_micro()
        try:
            await client.create(LEASES, lease_object(self.name, self.uid, now), LEASE_NAMESPACE)
        except APIError as e:
            if e.code != 409:
                raise
            await self.renew_lease()
        self.registered = True
        self.last_status = time.monotonic()

    async def _post_status(self, reregister: bool = False) -> Obj:
        client = self.pool.client
        current = await client.get(NODES, self.name)
        status = dict(self.node["status"])
        status["conditions"] = node_conditions(rfc3339(time.time()), (current.get("status") or {}).get("conditions"))
        body: Obj = {"status": status}
        if reregister:
            # Keep what the agent owns; leave taints, unschedulable and foreign labels alone.
            await client.patch(NODES, self.name, {"metadata": {"labels": self.node["metadata"]["labels"]}})
        return await client.patch(NODES, self.name, body, subresource="status", patch_type="merge")

    async def post_status(self) -> None:
        self.last_status = time.monotonic()
        await self._post_status()

    async def renew_lease(self) -> None:
        await self.pool.client.patch(LEASES, self.name, {"spec": {"holderIdentity": self.name, "renewTime": now_micro(),
                                                                  "leaseDurationSeconds": LEASE_DURATION}},
                                     LEASE_NAMESPACE)

    # pods ---------------------------------------------------------------------------------

    def on_pod(self, pod: Obj) -> None:
        if self.stopped:
            return
        uid = pod["metadata"].get("uid", "")
        w = self.workers.get(uid)
        if w is None:
            if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed") and not pod["metadata"].get("deletionTimestamp"):
                return  # finished before this agent started: nothing to run
            w = PodWorker(self, pod)
            self.workers[uid] = w
            w.kick()
        else:
            w.update(pod)

    def on_pod_gone(self, pod: Obj) -> None:
        w = self.workers.pop(pod["metadata"].get("uid", ""), None)
        if w is not None:
            w.finished = True
            asyncio.get_running_loop().create_task(w.cleanup())


class NodePool:
    def __init__(self, ctx: ComponentContext, count: int, runtime: str) -> None:
        self.ctx = ctx
        opts = ctx.options
        self.opts = opts
        self.count = count
        self.runtime_kind = runtime
        self.client: Client = ctx.client("kubelet")
        self.logs_dir = str(opts.get("pod_logs_dir") or (ctx.data_dir / "pods-logs"))
        self.backoff_base = float(opts.get("backoff_base", 10.0))
        # Real processes get the kubelet's pull pacing; simulated nodes (thousands of pods) none.
        default_pull = 0.3 if runtime == "process" else 0.0
        self.image_pull_seconds = float(opts.get("image_pull_seconds", default_pull))
        self.lease_renew = float(opts.get("lease_renew_seconds", 10.0))
        self.status_report = float(opts.get("node_status_report_seconds", 300.0))
        self.status_writer = StatusWriter(self.client, int(opts.get("status_concurrency", 16)))
        self.prober = Prober()
        self.events = EventRecorder(self.client)
        self.nodes: dict[str, NodeAgent] = {}
        self.containers: dict[str, tuple[PodWorker, str]] = {}
        self.informer = Informer(self.client, PODS, share_objects=True)
        self.informer.add_handlers(self._on_add, self._on_update, self._on_delete)
        self._shared_runtime: Runtime | None = None
        self.ready = asyncio.Event()
        self.kubelet_server: Any = None  # kubelet_http.KubeletServer when serving the kubelet API

    # runtime ------------------------------------------------------------------------------

    def make_runtime(self, name: str) -> Runtime:
        if self.runtime_kind == "simulated":
            if self._shared_runtime is None:
                self._shared_runtime = SimulatedRuntime(float(self.opts.get("simulated_start_delay", 0.1)),
                                                        bool(self.opts.get("simulated_rro", False)))
                self._shared_runtime.set_exit_handler(self._on_container_state)
            return self._shared_runtime
        if self.runtime_kind == "process":
            try:
                from uwernetes.node.runtimes.process import ProcessRuntime, client_sources
            except ImportError as e:
                raise RuntimeError(f"the process runtime is not available in this build: {e}") from None
            rt = ProcessRuntime(self.ctx.data_dir / "nodes" / name / "pods",
                                sources=client_sources(self.client))
            rt.set_exit_handler(self._on_container_state)
            return rt
        raise ValueError(f'unknown runtime "{self.runtime_kind}" (want "simulated" or "process")')

    def capacity(self) -> dict[str, str]:
        o = self.opts
        if self.runtime_kind == "process":
            cap = host_capacity(str(self.ctx.data_dir))
        else:
            cap = {"cpu": "8", "memory": "32Gi", "pods": "110", "ephemeral-storage": "100Gi",
                   "hugepages-2Mi": "0", "hugepages-1Gi": "0"}
        for key, opt in (("cpu", "cpu"), ("memory", "memory"), ("pods", "pods"),
                         ("ephemeral-storage", "ephemeral_storage")):
            if o.get(opt) is not None:
                cap[key] = str(o[opt])
        return cap

    def track_container(self, cid: str, worker: PodWorker, name: str) -> None:
        self.containers[cid] = (worker, name)

    def forget_container(self, cid: str) -> None:
        self.containers.pop(cid, None)

    def _on_container_state(self, cid: str, cs: ContainerStatus) -> None:
        entry = self.containers.get(cid)
        if entry is not None:
            entry[0].on_container_state(entry[1], cs)

    async def _get_configmap(self, ns: str, name: str) -> Obj | None:
        try:
            return await self.client.get(CONFIGMAPS, name, ns)
        except APIError as e:
            if e.code == 404:
                return None
            raise

    async def _get_secret(self, ns: str, name: str) -> Obj | None:
        try:
            return await self.client.get(SECRETS, name, ns)
        except APIError as e:
            if e.code == 404:
                return None
            raise

    async def lookup(self, kind: str, ns: str, name: str) -> dict[str, str] | None:
        """Key/value data of a ConfigMap or Secret (secrets decoded) for env resolution."""
        import base64

        if kind == "configmap":
            obj = await self._get_configmap(ns, name)
            return None if obj is None else dict(obj.get("data") or {})
        obj = await self._get_secret(ns, name)
        if obj is None:
            return None
        return {k: base64.b64decode(v).decode("utf-8", "replace") for k, v in (obj.get("data") or {}).items()}

    # pod dispatch -------------------------------------------------------------------------

    def _agent_for(self, pod: Obj) -> NodeAgent | None:
        node = (pod.get("spec") or {}).get("nodeName")
        return self.nodes.get(node) if node else None

    def _on_add(self, pod: Obj) -> None:
        agent = self._agent_for(pod)
        if agent is not None:
            agent.on_pod(pod)

    def _on_update(self, old: Obj, pod: Obj) -> None:
        self._on_add(pod)

    def _on_delete(self, pod: Obj) -> None:
        agent = self._agent_for(pod)
        if agent is not None:
            agent.on_pod_gone(pod)

    # lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        o = self.opts
        names = node_names(self.count, o.get("name_prefix", ""), socket.gethostname())
        capacity = self.capacity()
        dual = bool(o.get("dual_stack", False))
        ip, port = (o.get("node_ip") if self.count == 1 else None), int(o.get("kubelet_port") or 10250)
        if o.get("serve_kubelet"):
            ip, port = await self._serve_kubelet()
        for i, name in enumerate(names):
            runtime = self.make_runtime(name)
            node = node_object(name, index=i, count=self.count, capacity=capacity, runtime=runtime, dual_stack=dual,
                               zone=o.get("zone", ""), region=o.get("region", ""), ip=ip, port=port)
            self.nodes[name] = NodeAgent(self, name, i, runtime, node)
        sem = asyncio.Semaphore(int(o.get("register_concurrency", 64)))

        async def register(agent: NodeAgent) -> None:
            async with sem:
                for attempt in range(5):
                    try:
                        await agent.register()
                        return
                    except APIError as e:
                        log.warning("node %s: registration failed: %s", agent.name, e)
                        await asyncio.sleep(0.5 * (attempt + 1))

        await asyncio.gather(*(register(a) for a in self.nodes.values()))
        self.status_writer.start()
        self.informer.start()
        await self.informer.wait_synced()
        self.ready.set()

    async def _serve_kubelet(self) -> tuple[str, int]:
        """Serve the kubelet API over HTTPS (agents in a process apart from the API server's);
        every node of this process advertises its address and port."""
        from uwernetes.node import kubelet_http

        address = self.opts.get("kubelet_address") or "127.0.0.1"
        self.kubelet_server = kubelet_http.KubeletServer(self.client, self._kubelet_handler,
                                                         self.ctx.data_dir / "kubelet")
        port = await self.kubelet_server.start(address, int(self.opts.get("kubelet_port") or 0))
        return self.opts.get("node_ip") or kubelet_http.reachable_ip(address), port

    def _kubelet_handler(self, name: str | None) -> KubeletHandler | None:
        if name is None and len(self.nodes) == 1:
            name = next(iter(self.nodes))
        agent = self.nodes.get(name) if name else None
        return None if agent is None else KubeletHandler(agent.runtime, self.logs_dir, agent.name)

    def stop_node(self, name: str) -> None:
        """Stop one agent as if its kubelet died: no more leases, status or pod work."""
        agent = self.nodes[name]
        agent.stopped = True

    def start_node(self, name: str) -> None:
        agent = self.nodes[name]
        agent.stopped = False
        asyncio.get_running_loop().create_task(self._restart(agent))

    async def _restart(self, agent: NodeAgent) -> None:
        await agent.post_status()
        await agent.renew_lease()
        for pod in self.informer.list():
            if (pod.get("spec") or {}).get("nodeName") == agent.name:
                agent.on_pod(pod)

    async def heartbeat(self) -> None:
        """Renew every lease once per interval, in `slots` spread batches; node status when due."""
        slots = max(1, int(self.lease_renew))
        period = self.lease_renew / slots
        agents = list(self.nodes.values())
        sem = asyncio.Semaphore(32)
        tick = 0

        async def beat(agent: NodeAgent) -> None:
            async with sem:
                if agent.stopped:
                    return
                try:
                    await agent.renew_lease()
                    if time.monotonic() - agent.last_status >= self.status_report:
                        await agent.post_status()
                except APIError as e:
                    log.warning("node %s: heartbeat: %s", agent.name, e)
                except Exception as e:
                    log.warning("node %s: heartbeat: %s", agent.name, e)

        while True:
            started = time.monotonic()
            batch = [a for a in agents if a.index % slots == tick % slots]
            await asyncio.gather(*(beat(a) for a in batch))
            tick += 1
            await asyncio.sleep(max(0.0, period - (time.monotonic() - started)))

    async def close(self) -> None:
        if self.kubelet_server is not None:
            await self.kubelet_server.stop()
        await self.informer.stop()
        for cp in self.prober.all():
            cp.stop()
        await self.status_writer.stop()
        await self.events.stop()
        runtimes = {id(a.runtime): a.runtime for a in self.nodes.values()}
        for rt in runtimes.values():
            try:
                await rt.close()
            except Exception:
                log.exception("closing runtime %s", rt.name)


async def run_nodes(ctx: ComponentContext, count: int, runtime: str) -> None:
    """Entry point: register `count` nodes with the given runtime and run their pods until cancelled."""
    pool = NodePool(ctx, count, runtime)
    _POOLS.add(pool)
    try:
        await pool.start()
        log.info("%d node agent(s) running (%s runtime)", count, runtime)
        await pool.heartbeat()
    finally:
        _POOLS.discard(pool)
        await pool.close()
