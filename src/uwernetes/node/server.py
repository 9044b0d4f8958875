"""The node's "kubelet API": what the API server reaches for `pods/log`, `exec`, `attach`,
`portforward` and `nodes/proxy`.

A node agent running in the same process as the API server registers a `KubeletHandler` under
its node name (`register`); the API server finds it with `lookup` and calls it directly, so
streams are plain asyncio objects and no socket is involved. A node agent in another process
(`uwe node`) serves the same handler over HTTPS (`kubelet_http.KubeletServer`) at the address and
`Node.status.daemonEndpoints.kubeletEndpoint.Port` it advertises; the API server reaches it there
with `kubelet_http.RemoteKubelet`, which has this class's methods.

The API server resolves which container is meant from the pod's status (the kubelet does it
from its own state upstream; the answer is the same) and passes a `ContainerTarget`.
"""

from __future__ import annotations

import html
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from uwernetes.node import logs
from uwernetes.node.runtimes.base import ContainerState

_REGISTRY: dict[str, KubeletHandler] = {}


def register(node_name: str, handler: KubeletHandler) -> None:
    _REGISTRY[node_name] = handler


def unregister(node_name: str, handler: KubeletHandler | None = None) -> None:
    if handler is None or _REGISTRY.get(node_name) is handler:
        _REGISTRY.pop(node_name, None)


def lookup(node_name: str) -> KubeletHandler | None:
    """The handler registered for the node, else one made for an agent of this process's node
    pools (`uwernetes.node.agent.pools()`), so agents need not register themselves."""
    handler = _REGISTRY.get(node_name)
    if handler is not None:
        return handler
    try:
        from uwernetes.node import agent
    except ImportError:
        return None
    for pool in agent.pools():
        node = getattr(pool, "nodes", {}).get(node_name)
        if node is not None:
            # Not cached: a later pool (another test cluster) may reuse the node name.
            return KubeletHandler(node.runtime, pool.logs_dir, node_name)
    return None


@dataclass(frozen=True)
class ContainerTarget:
    namespace: str
    pod: str
    uid: str
    container: str
    container_id: str  # the runtime's id, without the `<runtime>://` prefix
    restart_count: int  # which log file: `<restart_count>.log`


class NodeProxyResponse:
    def __init__(self, status: int, body: bytes, content_type: str = "text/plain; charset=utf-8") -> None:
        self.status = status
        self.body = body
        self.content_type = content_type


class KubeletHandler:
    """Serves one node's streams from its runtime and its pod log directory."""

    def __init__(self, runtime: Any, pod_logs_dir: Path | str, node_name: str = "") -> None:
        self.runtime = runtime
        self.pod_logs_dir = Path(pod_logs_dir)
        self.node_name = node_name

    def log_path(self, t: ContainerTarget) -> Path:
        return logs.container_log_path(self.pod_logs_dir, t.namespace, t.pod, t.uid, t.container, t.restart_count)

    def is_running(self, container_id: str) -> bool:
        st = self.runtime.container_status(container_id) if container_id else None
        return st is not None and st.state is ContainerState.RUNNING

    async def open_logs(self, t: ContainerTarget, opts: logs.LogOptions) -> AsyncIterator[bytes]:
        """The log stream, once the request is known to be served (a remote node answers
        errors before the first chunk; a local one has none to give)."""
        return self.logs(t, opts)

    async def logs(self, t: ContainerTarget, opts: logs.LogOptions) -> AsyncIterator[bytes]:
        path = self.log_path(t)
        if opts.follow:
            async for chunk in logs.follow_logs(path, opts, lambda: self.is_running(t.container_id)):
                yield chunk
            return
        data = logs.read_logs(path, opts)
        if data:
            yield data

    def _require(self, capability: str) -> None:
        caps = getattr(self.runtime, "capabilities", None)
        if not getattr(caps, capability, False) or not hasattr(self.runtime, capability):
            raise NotImplementedError(f"the {getattr(self.runtime, 'name', '?')} runtime does not support {capability}")

    async def exec(self, t: ContainerTarget, command: list[str], *, stdin: bool, tty: bool) -> Any:
        self._require("exec")
        return await self.runtime.exec(t.container_id, command, stdin=stdin, tty=tty)

    async def attach(self, t: ContainerTarget, *, stdin: bool, tty: bool) -> Any:
        self._require("attach")
        return await self.runtime.attach(t.container_id, stdin=stdin, tty=tty)

    async def port_forward(self, uid: str, port: int) -> Any:
        self._require("port_forward")
        return await self.runtime.port_forward(uid, port)

    async def proxy(self, method: str, path: str, query: dict[str, list[str]]) -> NodeProxyResponse:
        """`nodes/<n>/proxy/<path>`: `/healthz`, and `/logs/` as a file server over the pod log
        directory (upstream serves /var/log; NodeLogQuery's `?query=` is not handled here)."""
        path = "/" + path.lstrip("/")
        if path in ("/healthz", "/healthz/"):
            return NodeProxyResponse(200, b"ok")
        if path == "/logs" or path.startswith("/logs/"):
            return self._file_server(path[len("/logs"):])
        return NodeProxyResponse(404, b"404 page not found\n")

    def _file_server(self, rel: str) -> NodeProxyResponse:
        root = self.pod_logs_dir.resolve()
        target = (root / rel.lstrip("/")).resolve()
        if root != target and root not in target.parents:
            return NodeProxyResponse(404, b"404 page not found\n")
        if target.is_dir():
            names = sorted(e.name + ("/" if e.is_dir() else "") for e in os.scandir(target))
            body = "<pre>\n" + "".join(f'<a href="{html.escape(n)}">{html.escape(n)}</a>\n' for n in names) + "</pre>\n"
            return NodeProxyResponse(200, body.encode(), "text/html; charset=utf-8")
        if target.is_file():
            return NodeProxyResponse(200, target.read_bytes())
        return NodeProxyResponse(404, b"404 page not found\n")
