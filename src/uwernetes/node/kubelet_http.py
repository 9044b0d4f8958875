"""The kubelet API over HTTPS, for node agents in their own process (`uwe node`).

Node side, `KubeletServer`: one uvicorn server per agent process on `--address` (127.0.0.1) and a
free port, recorded in each Node's `status.daemonEndpoints.kubeletEndpoint.Port` with the address
as its InternalIP. It is a thin ASGI front over the same `KubeletHandler` the API server calls
in-process, and over the API server's own channel relays (`node_proxy.relay_exec`,
`relay_ports`), so both paths behave the same:

    GET  /containerLogs/<ns>/<pod>/<container>?uid=&containerID=&restartCount=&follow=&tailLines=
         &sinceNanos=&timestamps=&limitBytes=         (chunked while following)
    WS   /exec/<ns>/<pod>/<container>?<target>&command=...&stdin=&tty=    (channel.k8s.io frames)
    WS   /attach/<ns>/<pod>/<container>?<target>&stdin=&tty=
    WS   /portForward/<ns>/<pod>?uid=&ports=
    any other path: `KubeletHandler.proxy` (`/logs/`, `/healthz`), what `nodes/<n>/proxy/` reaches.

One process may run many agents on one port, so the API server names the node in the
`X-Uwernetes-Node` header (optional when the process runs one node).

API server side, `RemoteKubelet`: the same methods as `KubeletHandler` over HTTP (httpx) and
WebSocket (`websockets`), for nodes not running in the API server's process.

Authentication: the API server sends `Authorization: Bearer <token>`, where the token is kept in
the Secret kube-system/uwernetes-kubelet-client. The API server creates it on first use through
its own registry; agents read it with their kubeconfig's credentials and compare in constant
time. Neither side needs the other's data dir or the CA key (the API server's request handlers
cannot reach either), several API servers over one store share the token, and rotating it is
deleting the Secret. The agent serves TLS with a self-signed certificate kept in
`<data dir>/kubelet/`; like upstream without `--kubelet-certificate-authority`, the API server
does not verify it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime
import hmac
import ipaddress
import logging
import secrets
import socket
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import orjson

from uwernetes.machinery import errors
from uwernetes.node import logs
from uwernetes.node.server import ContainerTarget, KubeletHandler, NodeProxyResponse

log = logging.getLogger(__name__)

SECRET_NAMESPACE = "kube-system"
SECRET_NAME = "uwernetes-kubelet-client"
NODE_HEADER = "x-uwernetes-node"
# Address types the API server tries, in order. Upstream's default puts Hostname first; our
# Hostname addresses are node names, which rarely resolve, so InternalIP comes first.
PREFERRED_ADDRESS_TYPES = ("InternalIP", "ExternalIP", "Hostname")
# A kubelet may not have seen a just-made token Secret yet: one retry after this pause.
UNAUTHORIZED_RETRY_SECONDS = 0.3
PAGE_NOT_FOUND = errors.StatusError(404, "NotFound", "404 page not found")


# --- the wire: pure helpers shared by both ends ----------------------------------------------

def target_query(t: ContainerTarget) -> dict[str, str]:
    return {"uid": t.uid, "containerID": t.container_id, "restartCount": str(t.restart_count)}


def target_from(namespace: str, pod: str, container: str, query: dict[str, list[str]]) -> ContainerTarget:
    def one(name: str, default: str = "") -> str:
        return (query.get(name) or [default])[-1]

    try:
        restarts = int(one("restartCount", "0"))
    except ValueError:
        raise errors.bad_request(f'invalid restartCount "{one("restartCount")}"') from None
    return ContainerTarget(namespace, pod, one("uid"), container, one("containerID"), restarts)


def log_options_query(opts: logs.LogOptions) -> dict[str, str]:
    out = {"follow": str(opts.follow).lower(), "timestamps": str(opts.timestamps).lower()}
    for key, value in (("tailLines", opts.tail_lines), ("sinceNanos", opts.since_ns), ("limitBytes", opts.limit_bytes)):
        if value is not None:
            out[key] = str(value)
    return out


def log_options_from(query: dict[str, list[str]]) -> logs.LogOptions:
    def num(name: str) -> int | None:
        v = (query.get(name) or [""])[-1]
        if v == "":
            return None
        try:
            return int(v)
        except ValueError:
            raise errors.bad_request(f'invalid value for "{name}": {v}') from None

    def flag(name: str) -> bool:
        return (query.get(name) or ["false"])[-1].lower() in ("true", "1")

    return logs.LogOptions(follow=flag("follow"), tail_lines=num("tailLines"), since_ns=num("sinceNanos"),
                           timestamps=flag("timestamps"), limit_bytes=num("limitBytes"))


def container_path(kind: str, t: ContainerTarget) -> str:
    return f"/{kind}/{quote(t.namespace, safe='')}/{quote(t.pod, safe='')}/{quote(t.container, safe='')}"


def split_path(path: str) -> list[str]:
    return [unquote(p) for p in path.strip("/").split("/")]


def kubelet_address(node: dict) -> tuple[str, int] | None:
    """(host, port) the API server dials for a Node, or None when it advertises none."""
    status = node.get("status") or {}
    port = int((((status.get("daemonEndpoints") or {}).get("kubeletEndpoint") or {}).get("Port")) or 0)
    if port <= 0:
        return None
    addresses = status.get("addresses") or []
    for kind in PREFERRED_ADDRESS_TYPES:
        for a in addresses:
            if a.get("type") == kind and a.get("address"):
                return a["address"], port
    return None


def base_url(host: str, port: int) -> str:
    return f"https://[{host}]:{port}" if ":" in host else f"https://{host}:{port}"


def reachable_ip(bind_address: str) -> str:
    """The address to advertise for a bind address: itself, or this host's for a wildcard."""
    try:
        ip = ipaddress.ip_address(bind_address)
    except ValueError:
        return bind_address
    if not ip.is_unspecified:
        return bind_address
    with contextlib.suppress(OSError):
        return socket.gethostbyname(socket.gethostname())
    return "127.0.0.1"


def bearer(headers: dict[str, str]) -> str:
    value = headers.get("authorization", "")
    return value[7:].strip() if value[:7].lower() == "bearer " else ""


def status_error_from(code: int, body: bytes) -> errors.StatusError:
    """The kubelet's error answer as the API server's error, Status kept when it is one."""
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        doc = None
    if isinstance(doc, dict) and doc.get("kind") == "Status":
        return errors.StatusError(int(doc.get("code") or code), doc.get("reason", ""), doc.get("message", ""),
                                  doc.get("details"))
    text = body.decode("utf-8", "replace").strip()
    return errors.StatusError(code, "InternalError" if code >= 500 else "BadRequest",
                              text or f"the node agent answered {code}")


# --- node side -------------------------------------------------------------------------------

class TokenCheck:
    """Compares presented tokens with the Secret's, kept current by a watch on that one Secret
    (so a rotated or freshly made token is known within a watch event)."""

    def __init__(self, client: Any) -> None:
        from uwernetes.client.api import SECRETS
        from uwernetes.client.informer import Informer

        self.informer = Informer(client, SECRETS, SECRET_NAMESPACE, field_selector=f"metadata.name={SECRET_NAME}")

    def start(self) -> None:
        self.informer.start()

    async def stop(self) -> None:
        await self.informer.stop()

    def token(self) -> str:
        secret = self.informer.get(f"{SECRET_NAMESPACE}/{SECRET_NAME}")
        return token_of(secret) if secret else ""

    def allowed(self, presented: str) -> bool:
        expected = self.token()
        return bool(presented and expected) and hmac.compare_digest(presented.encode(), expected.encode())


Resolver = Callable[[str | None], KubeletHandler | None]


class KubeletApp:
    """ASGI app: authenticate, pick the node's handler, serve logs, streams and proxy paths."""

    def __init__(self, resolve: Resolver, check: TokenCheck) -> None:
        self.resolve = resolve
        self.check = check

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)

    async def _handler(self, headers: dict[str, str]) -> KubeletHandler:
        if not self.check.allowed(bearer(headers)):
            raise errors.unauthorized()
        node = headers.get(NODE_HEADER) or None
        handler = self.resolve(node)
        if handler is None:
            raise errors.not_found("nodes", node or "")
        return handler

    async def _http(self, scope: dict, receive: Any, send: Any) -> None:
        from uwernetes.apiserver import node_proxy
        from uwernetes.apiserver.http import Request, Response

        req = Request.from_scope(scope, receive)
        try:
            handler = await self._handler(req.headers)
            parts = split_path(req.path)
            if parts[0] == "containerLogs":
                if req.method != "GET" or len(parts) != 4:
                    raise PAGE_NOT_FOUND
                target = target_from(parts[1], parts[2], parts[3], req.query)
                opts = log_options_from(req.query)
                chunks = await handler.open_logs(target, opts)
                if opts.follow:
                    await node_proxy.stream_chunks(receive, send, chunks)
                    return
                response = Response(200, b"".join([c async for c in chunks]), "text/plain")
            else:
                out = await handler.proxy(req.method, req.path, req.query)
                response = Response(out.status, out.body, out.content_type)
        except errors.StatusError as e:
            response = Response(e.code, e.body())
        except Exception as e:
            log.exception("kubelet API %s failed", req.path)
            response = Response(500, errors.internal(str(e) or e.__class__.__name__).body())
        await response.send(send)

    async def _websocket(self, scope: dict, receive: Any, send: Any) -> None:
        from uwernetes.apiserver import node_proxy

        ws = node_proxy.WebSocket(scope, receive, send)
        if (await receive())["type"] != "websocket.connect":
            return
        try:
            handler = await self._handler(ws.request.headers)
            parts = split_path(ws.request.path)
            protocol = ws.subprotocols[0] if ws.subprotocols else None
            query = ws.request.query
            if parts[0] == "portForward" and len(parts) == 3:
                ports = node_proxy.parse_ports(query)
                await ws.accept(protocol)
                await node_proxy.relay_ports(ws, handler, (query.get("uid") or [""])[-1], ports)
                return
            if parts[0] not in ("exec", "attach") or len(parts) != 4:
                raise PAGE_NOT_FOUND
            target = target_from(parts[1], parts[2], parts[3], query)
            command = query.get("command") or []
            stdin, tty = ws.request.q_bool("stdin"), ws.request.q_bool("tty")
            session = await node_proxy.open_session(handler, parts[0], target, command, stdin=stdin, tty=tty)
            await ws.accept(protocol)
            await node_proxy.relay_exec(ws, session, command, stdin=stdin, tty=tty,
                                        v5=protocol == node_proxy.EXEC_PROTOCOLS[0], attach=parts[0] == "attach")
        except errors.StatusError as e:
            await ws.deny(e)
        except Exception as e:
            log.exception("kubelet API websocket %s failed", scope.get("path"))
            await ws.deny(errors.internal(str(e) or e.__class__.__name__))


def serving_certificate(directory: Path, host: str) -> tuple[Path, Path]:
    """A self-signed serving certificate for the kubelet API, made once (upstream's
    /var/lib/kubelet/pki/kubelet.crt when no certificate is configured)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    cert_path, key_path = directory / "kubelet.crt", directory / "kubelet.key"
    if cert_path.exists() and key_path.exists():
        return cert_path, key_path
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{socket.gethostname()}@{int(time.time())}")])
    now = datetime.datetime.now(datetime.UTC)
    sans: list[x509.GeneralName] = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    with contextlib.suppress(ValueError):
        sans.append(x509.IPAddress(ipaddress.ip_address(host)))
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .sign(key, hashes.SHA256()))
    key_bytes = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption())
    key_path.touch(mode=0o600)
    key_path.write_bytes(key_bytes)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


class KubeletServer:
    """The agent process's kubelet API endpoint (uvicorn, TLS)."""

    def __init__(self, client: Any, resolve: Resolver, cert_dir: Path) -> None:
        self.check = TokenCheck(client)
        self.app = KubeletApp(resolve, self.check)
        self.cert_dir = Path(cert_dir)
        self.port = 0
        self._server: Any = None
        self._task: asyncio.Task | None = None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        import uvicorn

        from uwernetes.apiserver.server import bind_socket

        self.check.start()
        cert, key = serving_certificate(self.cert_dir, host)
        sock = bind_socket(host, port)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, loop="none", http="httptools", ws="websockets-sansio", lifespan="off",
                                log_level="warning", access_log=False, ssl_certfile=str(cert), ssl_keyfile=str(key))
        self._server = uvicorn.Server(config)
        self._server.install_signal_handlers = lambda: None  # the CLI owns signals
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.002)
        log.info("kubelet API serving on %s:%d", host, self.port)
        return self.port

    async def stop(self) -> None:
        await self.check.stop()
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(self._task), 5)
        except (TimeoutError, asyncio.CancelledError):
            self._task.cancel()


# --- API server side -------------------------------------------------------------------------

def _client_ssl() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # see the module docstring: kubelet certificates are self-signed
    return ctx


class _Refused(Exception):
    """The kubelet answered 401 to our token."""


class RemoteKubelet:
    """A node agent in another process, reached at its advertised address."""

    def __init__(self, url: str, node_name: str, token: Callable[[], Awaitable[str]], http: Any,
                 on_unauthorized: Callable[[], None] = lambda: None) -> None:
        self.url = url
        self.node_name = node_name
        self.token = token
        self.http = http  # an httpx.AsyncClient made by `http_client()`
        self.on_unauthorized = on_unauthorized

    async def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self.token()}", NODE_HEADER: self.node_name}

    def _unreachable(self, e: BaseException) -> errors.StatusError:
        return errors.service_unavailable(f'no connection to the node agent of node "{self.node_name}" '
                                          f"at {self.url}: {e or e.__class__.__name__}")

    async def _authorized(self, call: Callable[[], Awaitable[Any]]) -> Any:
        """`call()`, once more after a 401 with the token read again: the Secret may have just
        been made or replaced. A second 401 is the API server's problem, not the client's."""
        for attempt in range(2):
            try:
                return await call()
            except _Refused:
                self.on_unauthorized()
                if attempt == 0:
                    await asyncio.sleep(UNAUTHORIZED_RETRY_SECONDS)
        raise errors.service_unavailable(f'the node agent of node "{self.node_name}" refused the API server\'s '
                                         f"credentials (Secret {SECRET_NAMESPACE}/{SECRET_NAME})")

    async def open_logs(self, t: ContainerTarget, opts: logs.LogOptions) -> AsyncIterator[bytes]:
        import httpx

        params = {**target_query(t), **log_options_query(opts)}

        async def call() -> Any:
            request = self.http.build_request("GET", self.url + container_path("containerLogs", t), params=params,
                                              headers=await self._headers())
            try:
                response = await self.http.send(request, stream=True)
            except httpx.HTTPError as e:
                raise self._unreachable(e) from None
            if response.status_code >= 400:
                body = await response.aread()
                await response.aclose()
                if response.status_code == 401:
                    raise _Refused()
                raise status_error_from(response.status_code, body)
            return response

        response = await self._authorized(call)

        async def chunks() -> AsyncIterator[bytes]:
            try:
                async for chunk in response.aiter_raw():
                    if chunk:
                        yield chunk
            except httpx.HTTPError:
                pass  # the node went away mid-stream: end the log like a closed file
            finally:
                await response.aclose()

        return chunks()

    async def proxy(self, method: str, path: str, query: dict[str, list[str]]) -> NodeProxyResponse:
        import httpx

        path = "/" + path.lstrip("/")
        params = [(k, v) for k, values in query.items() for v in values]

        async def call() -> NodeProxyResponse:
            try:
                r = await self.http.request(method, self.url + quote(path), params=params,
                                            headers=await self._headers())
            except httpx.HTTPError as e:
                raise self._unreachable(e) from None
            if r.status_code == 401:
                raise _Refused()
            return NodeProxyResponse(r.status_code, r.content, r.headers.get("content-type", "text/plain"))

        return await self._authorized(call)

    async def connect(self, kind: str, path: str, params: list[tuple[str, str]], protocol: str | None) -> Any:
        """A WebSocket to the agent's exec/attach/portForward endpoint; its denial (before the
        upgrade) becomes the same StatusError the agent gave."""
        from urllib.parse import urlencode

        from websockets.asyncio.client import connect
        from websockets.exceptions import InvalidHandshake, InvalidStatus

        url = "wss" + self.url[len("https"):] + path + "?" + urlencode(params)

        async def call() -> Any:
            try:
                return await connect(url, subprotocols=[protocol] if protocol else None,  # type: ignore[list-item]
                                     additional_headers=await self._headers(), ssl=_client_ssl(), max_size=None,
                                     compression=None, ping_interval=None, open_timeout=10)
            except InvalidStatus as e:
                if e.response.status_code == 401:
                    raise _Refused() from None
                raise status_error_from(e.response.status_code, e.response.body or b"") from None
            except (OSError, TimeoutError, InvalidHandshake) as e:
                raise self._unreachable(e) from None

        return await self._authorized(call)


def http_client() -> Any:
    """The API server's client for kubelets: no read timeout (log streams), short connects."""
    import httpx

    return httpx.AsyncClient(verify=_client_ssl(), timeout=httpx.Timeout(30.0, connect=5.0, read=None))


def new_token_secret() -> dict:
    token = secrets.token_hex(32)
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": SECRET_NAME, "namespace": SECRET_NAMESPACE},
            "data": {"token": base64.b64encode(token.encode()).decode()}}


def token_of(secret: dict) -> str:
    raw = (secret.get("data") or {}).get("token", "")
    return base64.b64decode(raw).decode() if raw else ""
