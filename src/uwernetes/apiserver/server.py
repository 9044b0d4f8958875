"""Assemble and run an API server: storage, registry, bootstrap objects, HTTPS on uvicorn."""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn

from uwernetes.apiserver.app import APIServer
from uwernetes.apiserver.registry import Registry
from uwernetes.apiserver.upgrades import UpgradingHttpToolsProtocol
from uwernetes.auth import sa_tokens
from uwernetes.auth.certs import PKI, ensure_pki
from uwernetes.auth.tokens import TokenAuthenticator, ensure_token_file
from uwernetes.features import FeatureGates
from uwernetes.machinery import errors

log = logging.getLogger(__name__)

SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
COMPACTION_INTERVAL = 300.0


def all_resource_types() -> list:
    from uwernetes.apiserver.resources.catalogue import all_resources

    return all_resources()


async def bootstrap(registry: Registry) -> None:
    """Objects every cluster has from the start: system namespaces, the `kubernetes` Service."""
    ns_rt = registry.resource("", "v1", "namespaces")
    for name in SYSTEM_NAMESPACES:
        try:
            await registry.create(ns_rt, None, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
                                  registry.context(user="system:apiserver"), "kube-apiserver")
        except errors.StatusError as e:
            if e.code != 409:
                raise
    svc_rt = registry.resource("", "v1", "services")
    if svc_rt is not None and not await _exists(registry, svc_rt, "default", "kubernetes"):
        svc = {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "kubernetes", "namespace": "default",
                         "labels": {"component": "apiserver", "provider": "kubernetes"}},
            "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.1",
                     "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}]},
        }
        try:
            await registry.create(svc_rt, "default", svc, registry.context(user="system:apiserver"), "kube-apiserver")
        except errors.StatusError as e:
            if e.code != 409:
                raise
    from uwernetes.apiserver.resources.priorityclasses import bootstrap_priority_classes
    from uwernetes.apiserver.resources.rbac_bootstrap import bootstrap_rbac

    await bootstrap_priority_classes(registry)
    await bootstrap_rbac(registry)
    await __import__("uwernetes.apiserver.resources.flowcontrol_common", fromlist=["x"]).bootstrap_flowcontrol(registry)


async def _exists(registry: Registry, rt: Any, namespace: str, name: str) -> bool:
    # Look before creating, as upstream's bootstrap controller does: a second create of the
    # `kubernetes` Service would fail in ClusterIP allocation (422), not with AlreadyExists.
    try:
        await registry.get(rt, namespace, name)
    except errors.StatusError as e:
        if e.code != 404:
            raise
        return False
    return True


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.setblocking(False)
    return sock


@dataclass
class ServerConfig:
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 0
    features: FeatureGates = field(default_factory=FeatureGates)
    tls: bool = True
    store: Any = None  # an existing store, or None for SQLite in the data dir
    log_level: str = "warning"
    # Components run in the same process (uwe up).
    scheduler: bool = False
    controllers: bool = False
    nodes: int = 0
    runtime: str = "simulated"
    component_options: dict = field(default_factory=dict)
    # Process-wide GC thresholds and freezing (see gc_policy); the CLI turns it on.
    tune_gc: bool = False


class RunningServer:
    """An API server bound to a socket and serving, with everything it owns."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.data_dir = Path(config.data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.pki: PKI | None = None
        self.token = ""
        self.port = 0
        self.registry: Registry | None = None
        self.app: APIServer | None = None
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task | None = None
        self._background: list[asyncio.Task] = []
        self.sock: socket.socket | None = None

    @property
    def url(self) -> str:
        scheme = "https" if self.config.tls else "http"
        host = f"[{self.config.host}]" if ":" in self.config.host else self.config.host
        return f"{scheme}://{host}:{self.port}"

    async def start(self) -> None:
        cfg = self.config
        token_path, self.token = ensure_token_file(self.data_dir)
        authenticator = TokenAuthenticator.from_csv(token_path.read_text())
        if cfg.store is None:
            from uwernetes.storage.sqlite import SQLiteStore

            store = SQLiteStore(str(self.data_dir / "state.db"))
        else:
            store = cfg.store
        self.store = store
        registry = Registry(store, all_resource_types(), cfg.features, gc_enabled=True)
        self.registry = registry
        from uwernetes.apiserver import wiring

        await registry.start()
        self.sock = bind_socket(cfg.host, cfg.port)
        self.port = self.sock.getsockname()[1]
        app = APIServer(registry, authenticator, server_address=f"{cfg.host}:{self.port}",
                        openapi=wiring.openapi(registry), strict=wiring.strict_module())
        app.service_account_key = sa_tokens.ensure_signing_key(self.data_dir)
        wiring.install(app, registry)
        self.app = app
        await bootstrap(registry)
        from uwernetes.apiextensions import snapshot_crds
        from uwernetes.apiextensions.controller import CRDController

        await snapshot_crds.install(registry)
        crds = CRDController(app, registry)
        await crds.start()
        from uwernetes.apiserver.resources.apiservices import bootstrap_apiservices

        await bootstrap_apiservices(registry)
        app.ready = True
        ssl_kwargs: dict[str, Any] = {}
        if cfg.tls:
            self.pki = ensure_pki(self.data_dir)
            ssl_kwargs = {"ssl_certfile": str(self.pki.serving_cert), "ssl_keyfile": str(self.pki.serving_key)}
        config = uvicorn.Config(
            app,
            loop="none",
            http=UpgradingHttpToolsProtocol,  # httptools, plus kubectl's SPDY upgrade
            ws="websockets-sansio",
            lifespan="off",
            log_level=cfg.log_level,
            access_log=False,
            timeout_keep_alive=120,
            **ssl_kwargs,
        )
        self._server = uvicorn.Server(config)
        self._server.install_signal_handlers = lambda: None  # the CLI owns signals
        config.load()
        if cfg.tls and config.ssl is not None:
            config.ssl.minimum_version = ssl.TLSVersion.TLSv1_2
        self._task = asyncio.create_task(self._server.serve(sockets=[self.sock]))
        while not self._server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.002)
        self._background.append(asyncio.create_task(self._compactor()))
        self._background.append(asyncio.create_task(crds.run()))
        if cfg.tune_gc:
            from uwernetes import gc_policy

            gc_policy.apply()
            self._background.append(asyncio.create_task(gc_policy.refreeze_forever()))
        ca_pem = self.pki.ca_pem().decode() if self.pki is not None else ""
        for start in wiring.controllers(registry, ca_pem):
            self._background.append(asyncio.create_task(start()))
        if cfg.scheduler or cfg.controllers or cfg.nodes:
            from uwernetes.components import ComponentContext, start_components

            ctx = ComponentContext(
                lambda name: self.client(field_manager=name, user_agent=name),
                cfg.features,
                self.data_dir,
                dict(cfg.component_options, server_url=self.url),
            )
            self._background += start_components(
                ctx, scheduler=cfg.scheduler, controllers=cfg.controllers, nodes=cfg.nodes, runtime=cfg.runtime
            )

    async def _compactor(self) -> None:
        """Forget history older than one interval, as the API server asks etcd every 5 minutes."""
        previous = self.store.revision
        while True:
            await asyncio.sleep(COMPACTION_INTERVAL)
            try:
                await self.store.compact(previous)
            except Exception:
                log.exception("compaction failed")
            previous = self.store.revision

    async def stop(self) -> None:
        for t in self._background:
            t.cancel()
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
        if self._server is not None:
            self._server.should_exit = True
            if self._task is not None:
                try:
                    await asyncio.wait_for(self._task, 5)
                except (TimeoutError, asyncio.CancelledError):
                    self._task.cancel()
        if self.registry is not None:
            await self.registry.stop()
        if self.config.store is None:
            await self.store.close()

    def client(self, field_manager: str = "", user_agent: str = "uwernetes-inprocess"):
        """A client into this server through the in-process transport (full request path)."""
        from uwernetes.client.api import Client
        from uwernetes.client.transport import InProcessTransport

        return Client(InProcessTransport(self.app, self.token, user_agent), field_manager)

    def kubeconfig(self) -> str:
        import base64

        import yaml

        cluster: dict[str, Any] = {"server": self.url}
        if self.pki is not None:
            cluster["certificate-authority-data"] = base64.b64encode(self.pki.ca_pem()).decode()
        doc = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "uwernetes", "cluster": cluster}],
            "users": [{"name": "admin", "user": {"token": self.token}}],
            "contexts": [{"name": "uwernetes", "context": {"cluster": "uwernetes", "user": "admin"}}],
            "current-context": "uwernetes",
            "preferences": {},
        }
        return yaml.safe_dump(doc, sort_keys=False)

    def write_kubeconfig(self) -> Path:
        path = self.data_dir / "kubeconfig"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(self.kubeconfig())
        tmp.chmod(0o600)
        tmp.replace(path)
        return path
