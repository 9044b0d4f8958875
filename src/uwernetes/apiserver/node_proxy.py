"""Pod subresources that reach the node: `log`, `exec`, `attach`, `portforward`, and `nodes/proxy`.

Upstream's pod REST (`pkg/registry/core/pod/strategy.go`: `ValidateContainer`, `LogLocation`,
`ExecLocation`, `PortForwardLocation`) checks the request against the pod and then proxies to
the kubelet. Here the kubelet is the node agent's `KubeletHandler`, found in-process by node name
(`uwernetes.node.server.lookup`), or, for an agent in another process, a
`kubelet_http.RemoteKubelet` at the Node's advertised address and kubelet port, to which the
WebSocket frames are relayed as they come. The container and log file are chosen from the pod's
status as the kubelet's `validateContainerLogStatus` does, with its error texts.

exec/attach/portforward are WebSocket only (spec/wire.md §5.9): binary frames `[channel] + data`,
stdin 0, stdout 1, stderr 2, error/status 3 (a `Status` JSON), resize 4, and in
`v5.channel.k8s.io` a close frame `[255, channel]`. The exit status on channel 3 is
`{"metadata":{},"status":"Success"}` or a Failure with reason `NonZeroExitCode` and a cause
`ExitCode`. Port-forward uses the channel protocol the Python client speaks: port i has data
channel 2i and error channel 2i+1, and each channel first carries its port as 2 bytes
little-endian. SPDY (kubectl's exec fallback, kubectl 1.30's port-forward, and the SPDY frames
kubectl 1.32 tunnels in a `SPDY/3.1+portforward.k8s.io` WebSocket) is served for port-forward
only (`spdy_portforward`, on the connection the HTTP server hands over on `Upgrade: SPDY/3.1`);
SPDY exec and attach get a 400 saying so, after the same pod checks as a WebSocket request.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs

import orjson

from uwernetes.apiserver.http import Request, Response, Send
from uwernetes.apiserver.request_info import RequestInfo, parse
from uwernetes.machinery import errors

log = logging.getLogger(__name__)

STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255
EXEC_PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io")
SPDY_MESSAGE = ("this server (uwernetes) serves SPDY only for kubectl's port-forward: exec and attach work over "
                "WebSocket (kubectl >= 1.30, the kubernetes Python client), and port-forward over WebSocket with "
                "the Python client's protocol (v4.channel.k8s.io)")
SUCCESS = {"metadata": {}, "status": "Success"}


def _node_server() -> Any:
    # Imported late: the node package is a separate component that `uwe up` may not start.
    from uwernetes.node import server

    return server


def exit_status(code: int, command: list[str]) -> dict:
    """Channel 3's final message, as the kubelet's `writeStatus` builds it."""
    if code == 0:
        return dict(SUCCESS)
    return {
        "metadata": {},
        "status": "Failure",
        "message": f"command terminated with non-zero exit code: error executing command {_go_list(command)}, "
                   f"exit code {code}",
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]},
    }


def error_status(message: str) -> dict:
    return {"metadata": {}, "status": "Failure", "message": message}


def _go_list(items: list[str]) -> str:
    return "[" + " ".join(items) + "]"


def container_names(pod: dict) -> list[str]:
    spec = pod.get("spec") or {}
    names = []
    for key in ("initContainers", "containers", "ephemeralContainers"):
        names += [c.get("name", "") for c in spec.get(key) or ()]
    return names


def validate_container(pod: dict, container: str | None) -> str:
    """`ValidateContainer`: default the only container, else demand one that exists."""
    name = pod["metadata"]["name"]
    if not container:
        containers = (pod.get("spec") or {}).get("containers") or []
        if len(containers) == 1:
            return containers[0]["name"]
        if not containers:
            raise errors.bad_request(f"a container name must be specified for pod {name}")
        raise errors.bad_request(f"a container name must be specified for pod {name}, choose one of: "
                                 f"{_go_list(container_names(pod))}")
    if container not in container_names(pod):
        raise errors.bad_request(f"container {container} is not valid for pod {name}")
    return container


def container_status(pod: dict, container: str) -> dict | None:
    status = pod.get("status") or {}
    for key in ("containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"):
        for cs in status.get(key) or ():
            if cs.get("name") == container:
                return cs
    return None


def _strip_id(container_id: str) -> str:
    return container_id.split("://", 1)[-1]


def log_target(pod: dict, container: str, previous: bool) -> tuple[str, int]:
    """(runtime container id, restart count of its log file), or a 400 with the kubelet's words."""
    pod_name = pod["metadata"]["name"]
    cs = container_status(pod, container)
    if cs is None:
        raise errors.bad_request(f'container "{container}" in pod "{pod_name}" is waiting to start: ContainerCreating')
    state = cs.get("state") or {}
    last = (cs.get("lastState") or {}).get("terminated")
    restarts = int(cs.get("restartCount") or 0)
    if previous:
        if not last or not last.get("containerID"):
            raise errors.bad_request(f'previous terminated container "{container}" in pod "{pod_name}" not found')
        return _strip_id(last["containerID"]), max(restarts - 1, 0)
    if "running" in state:
        return _strip_id(cs.get("containerID", "")), restarts
    if "terminated" in state:
        term = state["terminated"]
        if term.get("containerID") or cs.get("containerID"):
            return _strip_id(term.get("containerID") or cs.get("containerID", "")), restarts
        if last and last.get("containerID"):
            return _strip_id(last["containerID"]), max(restarts - 1, 0)
        raise errors.bad_request(f'container "{container}" in pod "{pod_name}" is terminated')
    if last:
        if not last.get("containerID"):
            raise errors.bad_request(f'container "{container}" in pod "{pod_name}" is terminated')
        return _strip_id(last["containerID"]), max(restarts - 1, 0)
    waiting = state.get("waiting")
    if waiting is not None:
        reason = waiting.get("reason", "")
        detail = {"ErrImagePull": "image can't be pulled",
                  "ImagePullBackOff": "trying and failing to pull image"}.get(reason, reason)
        raise errors.bad_request(f'container "{container}" in pod "{pod_name}" is waiting to start: {detail}')
    raise errors.bad_request(f'container "{container}" in pod "{pod_name}" is waiting to start - no logs yet')


def _int_param(req_query: dict[str, list[str]], name: str) -> int | None:
    v = req_query.get(name)
    if not v or v[-1] == "":
        return None
    try:
        return int(v[-1])
    except ValueError:
        raise errors.bad_request(f'invalid value for "{name}": {v[-1]}') from None


def log_options(query: dict[str, list[str]]) -> tuple[Any, bool]:
    """PodLogOptions from the query, with upstream's validation messages (field path `...`)."""
    from uwernetes.node import logs

    def flag(name: str) -> bool:
        v = query.get(name)
        return bool(v) and v[-1].lower() in ("true", "1", "")

    tail = _int_param(query, "tailLines")
    limit = _int_param(query, "limitBytes")
    since_seconds = _int_param(query, "sinceSeconds")
    since_time = (query.get("sinceTime") or [None])[-1]
    problems = []
    if tail is not None and tail < 0:
        problems.append(f"tailLines: Invalid value: {tail}: must be greater than or equal to 0")
    if limit is not None and limit < 1:
        problems.append(f"limitBytes: Invalid value: {limit}: must be greater than 0")
    if since_seconds is not None and since_seconds < 1:
        problems.append(f"sinceSeconds: Invalid value: {since_seconds}: must be greater than 0")
    if since_seconds is not None and since_time:
        problems.append("sinceSeconds: Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified")
    if problems:
        raise errors.StatusError(422, "Invalid", 'PodLogOptions "" is invalid: ' + (
            problems[0] if len(problems) == 1 else "[" + ", ".join(problems) + "]"), {"kind": "PodLogOptions"})
    try:
        since = logs.since_ns(since_seconds, since_time)
    except logs.LogFormatError:
        raise errors.bad_request(f'parsing time "{since_time}" as "2006-01-02T15:04:05Z07:00": cannot parse') from None
    opts = logs.LogOptions(follow=flag("follow"), tail_lines=tail, since_ns=since, timestamps=flag("timestamps"),
                           limit_bytes=limit)
    return opts, flag("previous")


class NodeProxy:
    def __init__(self, app: Any, registry: Any) -> None:
        self.app = app
        self.registry = registry
        self.pods = registry.resource("", "v1", "pods")
        self._http: Any = None  # httpx client for remote kubelets, made on first use
        self._token = ""

    # --- shared checks ---

    async def _pod(self, info: RequestInfo) -> dict:
        return await self.registry.get(self.pods, info.namespace or None, info.name)

    async def _kubelet(self, node_name: str) -> Any:
        """The node's kubelet: in this process, else over HTTPS at the Node's address."""
        handler = _node_server().lookup(node_name)
        if handler is not None:
            return handler
        from uwernetes.node import kubelet_http

        nodes = self.registry.resource("", "v1", "nodes")
        try:
            node = await self.registry.get(nodes, None, node_name) if nodes is not None else {}
        except errors.StatusError as e:
            if e.code != 404:
                raise
            node = {}
        address = kubelet_http.kubelet_address(node)
        if address is None:
            raise errors.service_unavailable(f'no connection to the node agent of node "{node_name}"')
        if self._http is None:
            self._http = kubelet_http.http_client()
        return kubelet_http.RemoteKubelet(kubelet_http.base_url(*address), node_name, self._kubelet_token,
                                          self._http, self._forget_token)

    async def _kubelet_token(self) -> str:
        """The bearer token for kubelets, kept in a Secret (made here on first use)."""
        if self._token:
            return self._token
        from uwernetes.node import kubelet_http

        secrets = self.registry.resource("", "v1", "secrets")
        ctx = self.registry.context(user="system:apiserver")
        try:
            secret = await self.registry.get(secrets, kubelet_http.SECRET_NAMESPACE, kubelet_http.SECRET_NAME)
        except errors.StatusError as e:
            if e.code != 404:
                raise
            try:
                secret = await self.registry.create(secrets, kubelet_http.SECRET_NAMESPACE,
                                                    kubelet_http.new_token_secret(), ctx, "kube-apiserver")
            except errors.StatusError as e2:
                if e2.code != 409:
                    raise
                secret = await self.registry.get(secrets, kubelet_http.SECRET_NAMESPACE, kubelet_http.SECRET_NAME)
        self._token = kubelet_http.token_of(secret)
        return self._token

    def _forget_token(self) -> None:
        # A kubelet refused it: the Secret may have been replaced; read it again next time.
        self._token = ""

    def _scheduled(self, pod: dict) -> str:
        node = (pod.get("spec") or {}).get("nodeName")
        if not node:
            raise errors.bad_request(f"pod {pod['metadata']['name']} does not have a host assigned")
        return node

    def _target(self, pod: dict, container: str, container_id: str, restarts: int) -> Any:
        m = pod["metadata"]
        return _node_server().ContainerTarget(m.get("namespace", ""), m["name"], m.get("uid", ""), container,
                                              container_id, restarts)

    # --- pods/log ---

    async def pod_log(self, req: Request, info: RequestInfo, rt: Any, send: Send) -> Response | None:
        if info.verb != "get":
            raise errors.StatusError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {})
        pod = await self._pod(info)
        container = validate_container(pod, req.q("container"))
        opts, previous = log_options(req.query)
        node = (pod.get("spec") or {}).get("nodeName")
        if not node:
            return Response(200, b"", "text/plain")
        cid, restarts = log_target(pod, container, previous)
        kubelet = await self._kubelet(node)
        stream = await kubelet.open_logs(self._target(pod, container, cid, restarts), opts)
        if not opts.follow:
            body = b"".join([chunk async for chunk in stream])
            return Response(200, body, "text/plain")
        await stream_chunks(req.receive, send, stream)
        return None

    # --- exec/attach/portforward over plain HTTP: SPDY attempts ---

    async def not_websocket(self, req: Request, info: RequestInfo, rt: Any, send: Send) -> Response | None:
        if info.verb not in ("get", "create"):
            raise errors.StatusError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {})
        pod = await self._pod(info)
        if info.subresource != "portforward":
            validate_container(pod, req.q("container"))
        self._scheduled(pod)
        if "spdy" in req.headers.get("upgrade", "").lower():
            raise errors.bad_request(SPDY_MESSAGE)
        raise errors.bad_request("Upgrade request required")

    # --- SPDY upgrades (kubectl's port-forward) ---

    async def spdy_upgrade(self, scope: dict, transport: Any) -> None:
        """An `Upgrade: SPDY/3.1` request the HTTP server handed over before any ASGI handling:
        port-forward is served on the connection; anything else gets its error as a response."""
        from uwernetes.apiserver import spdy_portforward

        req = Request.from_scope(scope, None)
        try:
            if not self.app.authenticate(req) or req.user == "system:anonymous":
                raise errors.unauthorized()
            info = parse(req.method, req.path, False)
            if (not info.is_resource or info.group or info.resource != "pods" or not info.name
                    or info.subresource not in ("exec", "attach", "portforward")):
                raise errors.StatusError(404, "NotFound", "the server could not find the requested resource", {})
            pod = await self._pod(info)
            if info.subresource != "portforward":
                validate_container(pod, req.q("container"))
            kubelet = await self._kubelet(self._scheduled(pod))
            if info.subresource != "portforward":
                raise errors.bad_request(SPDY_MESSAGE)
            offered = [p.strip() for p in req.headers.get("x-stream-protocol-version", "").split(",")]
            if spdy_portforward.PROTOCOL not in offered:
                raise errors.bad_request(f"unable to upgrade: no common protocol among {offered}")
        except errors.StatusError as e:
            spdy_portforward.refuse(transport, e.code, e.body())
            return
        m = pod["metadata"]
        uid = m.get("uid", "")

        async def dial(port: int) -> tuple[Any, Any]:
            if hasattr(kubelet, "port_forward"):
                return await kubelet.port_forward(uid, port)
            # A node agent in another process: one WebSocket per forwarded connection.
            try:
                ws = await kubelet.connect("portforward", f"/portForward/{m.get('namespace', '')}/{m['name']}",
                                           [("uid", uid), ("ports", str(port))], "v4.channel.k8s.io")
            except errors.StatusError as e:
                raise OSError(e.message) from None
            channels = spdy_portforward.KubeletChannels(ws)
            return channels, channels

        spdy_portforward.accept(transport, dial, f"{m['name']}_{m.get('namespace', '')}", uid)

    # --- nodes/proxy ---

    async def node_proxy(self, req: Request, info: RequestInfo, rt: Any, send: Send) -> Response | None:
        await self.registry.get(rt, None, info.name)
        kubelet = await self._kubelet(info.name)
        out = await kubelet.proxy(req.method, info.rest, req.query)
        return Response(out.status, out.body, out.content_type)

    # --- WebSocket ---

    async def websocket(self, scope: dict, receive: Any, send: Send) -> None:
        ws = WebSocket(scope, receive, send)
        if (await receive())["type"] != "websocket.connect":
            return
        try:
            await self._websocket(ws)
        except errors.StatusError as e:
            await ws.deny(e)
        except Exception as e:
            log.exception("websocket %s failed", scope.get("path"))
            await ws.deny(errors.internal(str(e) or e.__class__.__name__))

    async def _websocket(self, ws: WebSocket) -> None:
        req = ws.request
        if not self.app.authenticate(req):
            raise errors.unauthorized()
        if req.user == "system:anonymous":
            raise errors.unauthorized()
        info = parse("GET", req.path, False)
        if (not info.is_resource or info.group or info.resource != "pods" or not info.name
                or info.subresource not in ("exec", "attach", "portforward")):
            raise errors.StatusError(404, "NotFound", "the server could not find the requested resource", {})
        pod = await self._pod(info)
        offered = ws.subprotocols
        if any(p.lower().startswith("spdy/") for p in offered):
            raise errors.bad_request(SPDY_MESSAGE)
        protocol = next((p for p in EXEC_PROTOCOLS if p in offered), None)
        if offered and protocol is None:
            raise errors.bad_request(f"no supported WebSocket subprotocol among {offered}")
        node = self._scheduled(pod)
        kubelet = await self._kubelet(node)
        if info.subresource == "portforward":
            await self._port_forward(ws, pod, kubelet, protocol)
            return
        container = validate_container(pod, req.q("container"))
        cs = container_status(pod, container) or {}
        if "running" not in (cs.get("state") or {}):
            raise errors.bad_request(f'container not found ("{container}")')
        target = self._target(pod, container, _strip_id(cs.get("containerID", "")), int(cs.get("restartCount") or 0))
        stdin, tty = req.q_bool("stdin"), req.q_bool("tty")
        command = req.query.get("command") or []
        if info.subresource == "exec" and not command:
            raise errors.bad_request("you must specify at least 1 command")
        if hasattr(kubelet, "connect"):  # another process: relay the frames to its endpoint
            from uwernetes.node import kubelet_http

            params = [*kubelet_http.target_query(target).items(), *(("command", c) for c in command),
                      ("stdin", str(stdin).lower()), ("tty", str(tty).lower())]
            upstream = await kubelet.connect(info.subresource, kubelet_http.container_path(info.subresource, target),
                                             params, protocol)
            await ws.accept(protocol)
            await relay_frames(ws, upstream)
            return
        session = await open_session(kubelet, info.subresource, target, command, stdin=stdin, tty=tty)
        await ws.accept(protocol)
        await relay_exec(ws, session, command, stdin=stdin, tty=tty, v5=protocol == EXEC_PROTOCOLS[0],
                         attach=info.subresource == "attach")

    async def _port_forward(self, ws: WebSocket, pod: dict, kubelet: Any, protocol: str | None) -> None:
        ports = parse_ports(ws.request.query)
        uid = pod["metadata"].get("uid", "")
        if hasattr(kubelet, "connect"):
            m = pod["metadata"]
            path = f"/portForward/{m.get('namespace', '')}/{m['name']}"
            upstream = await kubelet.connect("portforward", path, [("uid", uid), ("ports", ",".join(map(str, ports)))],
                                             protocol)
            await ws.accept(protocol)
            await relay_frames(ws, upstream)
            return
        await ws.accept(protocol)
        await relay_ports(ws, kubelet, uid, ports)


def parse_ports(query: dict[str, list[str]]) -> list[int]:
    ports: list[int] = []
    for value in query.get("ports") or []:
        for part in value.split(","):
            if part.strip():
                try:
                    ports.append(int(part))
                except ValueError:
                    raise errors.bad_request(f'invalid port "{part}"') from None
    if not ports:
        raise errors.bad_request("query parameter \"port\" is required")
    for p in ports:
        if not 0 < p < 65536:
            raise errors.bad_request(f"port {p} must be > 0 and < 65536")
    return ports


async def open_session(kubelet: Any, kind: str, target: Any, command: list[str], *, stdin: bool, tty: bool) -> Any:
    """Start the exec'd process or attach, with the kubelet's refusal texts as 400s."""
    try:
        if kind == "exec":
            if not command:
                raise errors.bad_request("you must specify at least 1 command")
            return await kubelet.exec(target, command, stdin=stdin, tty=tty)
        return await kubelet.attach(target, stdin=stdin, tty=tty)
    except errors.StatusError:
        raise
    except NotImplementedError as e:
        raise errors.bad_request(str(e)) from None
    except Exception as e:
        message = getattr(e, "message", None) or str(e)
        raise errors.bad_request(f"unable to upgrade connection: {message}") from None


async def stream_chunks(receive: Any, send: Send, chunks: AsyncIterator[bytes]) -> None:
    """A chunked text/plain response from `chunks`, ended early when the client disconnects
    (a followed log otherwise runs, unread, as long as its container does)."""
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain"), (b"cache-control", b"no-cache, private"),
                            (b"transfer-encoding", b"chunked")]})

    async def pump() -> None:
        async for chunk in chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})

    async def gone() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    work, watch = asyncio.create_task(pump()), asyncio.create_task(gone())
    try:
        await asyncio.wait([work, watch], return_when=asyncio.FIRST_COMPLETED)
    finally:
        for t in (work, watch):
            t.cancel()
        await asyncio.gather(work, watch, return_exceptions=True)
        with contextlib.suppress(Exception):
            await chunks.aclose()  # type: ignore[attr-defined]
        with contextlib.suppress(Exception):
            await send({"type": "http.response.body", "body": b"", "more_body": False})
    if work.done() and not work.cancelled() and work.exception() is not None:
        log.warning("log stream ended with an error: %s", work.exception())


async def relay_frames(ws: WebSocket, upstream: Any) -> None:
    """Copy channel frames both ways between the client and a remote kubelet's WebSocket."""
    async def to_kubelet() -> None:
        async for channel, payload in ws.frames():
            await upstream.send(bytes([channel]) + payload)
        await upstream.close()  # the client left: the kubelet ends the session

    sender = asyncio.create_task(to_kubelet())
    try:
        async for message in upstream:
            data = message if isinstance(message, bytes) else message.encode()
            if not ws.closed:
                await ws.send({"type": "websocket.send", "bytes": data})
    except Exception as e:  # the connection to the kubelet broke
        log.debug("kubelet stream ended: %s", e)
    finally:
        sender.cancel()
        await asyncio.gather(sender, return_exceptions=True)
        with contextlib.suppress(Exception):
            await upstream.close()
        await ws.close()


class WebSocket:
    """The ASGI WebSocket messages the handlers need, plus a denial answer before accept."""

    def __init__(self, scope: dict, receive: Any, send: Send) -> None:
        self.scope = scope
        self.receive = receive
        self.send = send
        headers: dict[str, str] = {}
        for k, v in scope.get("headers") or ():
            key = k.decode("latin-1").lower()
            headers[key] = f"{headers[key]}, {v.decode('latin-1')}" if key in headers else v.decode("latin-1")
        qs = (scope.get("query_string") or b"").decode("latin-1")
        self.request = Request("GET", scope["path"], parse_qs(qs, keep_blank_values=True), headers, scope, receive)
        self.subprotocols = [p.strip() for p in scope.get("subprotocols") or () if p.strip()]
        self.accepted = False
        self.closed = False

    async def accept(self, subprotocol: str | None) -> None:
        await self.send({"type": "websocket.accept", "subprotocol": subprotocol})
        self.accepted = True

    async def deny(self, err: errors.StatusError) -> None:
        if self.accepted:
            await self.write(ERROR, orjson.dumps(error_status(err.status.get("message", ""))))
            await self.close()
            return
        if "websocket.http.response" in (self.scope.get("extensions") or {}):
            await self.send({"type": "websocket.http.response.start", "status": err.code,
                             "headers": [(b"content-type", b"application/json")]})
            await self.send({"type": "websocket.http.response.body", "body": err.body()})
        else:
            await self.send({"type": "websocket.close", "code": 1008})
        self.closed = True

    async def write(self, channel: int, data: bytes) -> None:
        if not self.closed:
            await self.send({"type": "websocket.send", "bytes": bytes([channel]) + data})

    async def close(self) -> None:
        if not self.closed:
            self.closed = True
            with contextlib.suppress(Exception):
                await self.send({"type": "websocket.close", "code": 1000})

    async def frames(self) -> AsyncIterator[tuple[int, bytes]]:
        """(channel, payload) from the client until it disconnects."""
        while True:
            message = await self.receive()
            if message["type"] == "websocket.disconnect":
                return
            data = message.get("bytes")
            if data is None and message.get("text") is not None:
                data = message["text"].encode()
            if data:
                yield data[0], data[1:]


async def relay_exec(ws: WebSocket, session: Any, command: list[str], *, stdin: bool, tty: bool,
                      v5: bool, attach: bool) -> None:
    async def pump(reader: Any, channel: int) -> None:
        if reader is None:
            return
        while chunk := await reader.read(32768):
            await ws.write(channel, chunk)

    async def from_client() -> None:
        async for channel, payload in ws.frames():
            if channel == STDIN and session.stdin is not None:
                session.stdin.write(payload)
                with contextlib.suppress(ConnectionError):
                    await session.stdin.drain()
            elif channel == RESIZE:
                with contextlib.suppress(ValueError, KeyError, TypeError):
                    size = json.loads(payload)
                    session.resize(int(size["Width"]), int(size["Height"]))
            elif channel == CLOSE and v5 and payload[:1] == bytes([STDIN]) and session.stdin is not None:
                with contextlib.suppress(Exception):
                    session.stdin.close()
        # The client went away: an exec'd process is not left running for nobody.
        if not attach and hasattr(session, "kill"):
            session.kill()
        elif attach and hasattr(session, "detach"):
            session.detach()

    reader = asyncio.create_task(from_client())
    try:
        await asyncio.gather(pump(session.stdout, STDOUT), pump(getattr(session, "stderr", None), STDERR))
        code = await session.wait()
        await ws.write(ERROR, orjson.dumps(exit_status(code, command)))
    finally:
        reader.cancel()
        await ws.close()


async def relay_ports(ws: WebSocket, kubelet: Any, uid: str, ports: list[int]) -> None:
    writers: dict[int, Any] = {}
    tasks: list[asyncio.Task] = []

    async def pump(i: int, reader: Any) -> None:
        while chunk := await reader.read(32768):
            await ws.write(2 * i, chunk)

    for i, port in enumerate(ports):
        await ws.write(2 * i, port.to_bytes(2, "little"))
        await ws.write(2 * i + 1, port.to_bytes(2, "little"))
        try:
            reader, writer = await kubelet.port_forward(uid, port)
        except OSError as e:
            await ws.write(2 * i + 1, f"error forwarding port {port} to pod {uid}: {e}".encode())
            continue
        writers[2 * i] = writer
        tasks.append(asyncio.create_task(pump(i, reader)))

    async def from_client() -> None:
        async for channel, payload in ws.frames():
            w = writers.get(channel)
            if w is not None and payload:
                w.write(payload)
                with contextlib.suppress(ConnectionError):
                    await w.drain()

    client = asyncio.create_task(from_client())
    try:
        if tasks:
            await asyncio.wait([client, *tasks], return_when=asyncio.FIRST_COMPLETED)
            # Once the remote side closed, let the client see the remaining bytes, then end.
            await asyncio.wait(tasks, timeout=1)
    finally:
        client.cancel()
        for t in tasks:
            t.cancel()
        for w in writers.values():
            with contextlib.suppress(Exception):
                w.close()
        await ws.close()


def install(app: Any, registry: Any) -> None:
    """Register the handlers on the API server (called from `wiring.install`)."""
    proxy = NodeProxy(app, registry)
    if proxy.pods is not None:
        app.subresources[("", "pods", "log")] = proxy.pod_log
        for sub in ("exec", "attach", "portforward"):
            app.subresources[("", "pods", sub)] = proxy.not_websocket
    if registry.resource("", "v1", "nodes") is not None:
        app.subresources[("", "nodes", "proxy")] = proxy.node_proxy
    app.websocket_handler = proxy.websocket
    app.spdy_handler = proxy.spdy_upgrade
