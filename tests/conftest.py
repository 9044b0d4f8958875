"""Shared fixtures: a real API server (HTTPS, SQLite, free port on 127.0.0.1) and real kubectl.

`cluster` runs the server in a background thread of the test process (starts in well under a
second); `process_cluster` runs `uwe up` as a separate process, for crash and signal tests.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import ssl
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def kubectl_binary(version: str) -> str:
    name = f"kubectl.{version}"
    found = shutil.which(name)
    if found:
        return found
    plain = shutil.which("kubectl")
    if plain:
        candidate = Path(os.path.realpath(plain)).parent / name
        if candidate.exists():
            return str(candidate)
    pytest.skip(f"{name} is not installed")


@dataclass
class Cluster:
    url: str
    token: str
    kubeconfig: Path
    ca: Path
    data_dir: Path
    tmp: Path
    server: object = None
    loop: asyncio.AbstractEventLoop | None = None
    _clients: list = field(default_factory=list)

    def client(self, **kw) -> httpx.Client:
        c = httpx.Client(
            base_url=self.url,
            verify=ssl.create_default_context(cafile=str(self.ca)),
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=kw.pop("timeout", 30),
            **kw,
        )
        self._clients.append(c)
        return c

    def kubectl(self, *args: str, version: str = "1.30", input: str | None = None, check: bool = True,
                env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
        cache = self.tmp / f"kubectl-cache-{version}"
        cmd = [kubectl_binary(version), f"--kubeconfig={self.kubeconfig}", f"--cache-dir={cache}", *args]
        full_env = {**os.environ, **(env or {})}
        proc = subprocess.run(cmd, input=input, capture_output=True, text=True, env=full_env, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        return proc

    def run(self, coro, timeout: float = 30):
        """Run a coroutine on the in-thread server's event loop (for in-process clients)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def python_client(self):
        """An ApiClient of the official `kubernetes` package configured for this cluster."""
        from kubernetes import client as k8s

        cfg = k8s.Configuration()
        cfg.host = self.url
        cfg.ssl_ca_cert = str(self.ca)
        cfg.api_key = {"authorization": f"Bearer {self.token}"}
        return k8s.ApiClient(cfg)


class _ThreadServer:
    """A RunningServer on its own event loop in a daemon thread."""

    def __init__(self, data_dir: Path, **config) -> None:
        from uwernetes.apiserver.server import RunningServer, ServerConfig

        self.server = RunningServer(ServerConfig(data_dir=data_dir, **config))
        self.loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self.server.start())
        except BaseException as e:  # surfaced to the test that started us
            self._error = e
            self._started.set()
            return
        self._started.set()
        self.loop.run_forever()

    def start(self) -> None:
        self.thread.start()
        self._started.wait(30)
        if self._error is not None:
            raise self._error

    def call(self, coro, timeout: float = 30):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        try:
            self.call(self.server.stop())
        except TimeoutError:
            # A slow shutdown on a loaded machine is reported, not turned into a test error.
            warnings.warn("server.stop() took over 30 s", stacklevel=2)
        finally:
            try:
                self.call(_cancel_everything_else(), 10)
            except Exception:
                pass
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)


async def _cancel_everything_else() -> None:
    """Cancel and await every task left on the loop, so none dies noisily with a closed loop."""
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def start_thread_cluster(tmp: Path, **config) -> tuple[Cluster, _ThreadServer]:
    data_dir = tmp / "data"
    ts = _ThreadServer(data_dir, host="127.0.0.1", port=0, **config)
    ts.start()
    srv = ts.server
    kubeconfig = srv.write_kubeconfig()
    cluster = Cluster(srv.url, srv.token, kubeconfig, srv.pki.ca_cert, data_dir, tmp, server=srv, loop=ts.loop)
    return cluster, ts


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    tmp = tmp_path_factory.mktemp("cluster")
    c, ts = start_thread_cluster(tmp)
    try:
        yield c
    finally:
        for client in c._clients:
            client.close()
        ts.stop()


class ProcessCluster:
    """`uwe up` as a child process, for tests that kill or signal it."""

    def __init__(self, data_dir: Path, *extra: str) -> None:
        self.data_dir = data_dir
        self.extra = extra
        self.proc: subprocess.Popen | None = None
        self.output = ""

    def start(self, timeout: float = 30) -> Cluster:
        uwe = ROOT / ".venv" / "bin" / "uwe"
        cmd = [str(uwe) if uwe.exists() else sys.executable, *([] if uwe.exists() else ["-m", "uwernetes.cli.main"]),
               "up", f"--data-dir={self.data_dir}", "--port=0", *self.extra]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + timeout
        lines = []
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "export KUBECONFIG=" in line:
                break
        self.output = "".join(lines)
        if "export KUBECONFIG=" not in self.output:
            self.proc.kill()
            raise AssertionError(f"uwe up did not start:\n{self.output}{self.proc.stdout.read()}")
        # Keep draining output so the child never blocks on a full pipe.
        threading.Thread(target=self._drain, daemon=True).start()
        kubeconfig = self.data_dir / "kubeconfig"
        doc = yaml.safe_load(kubeconfig.read_text())
        url = doc["clusters"][0]["cluster"]["server"]
        token = doc["users"][0]["user"]["token"]
        return Cluster(url, token, kubeconfig, self.data_dir / "pki" / "ca.crt", self.data_dir, self.data_dir.parent)

    def _drain(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            self.output += line

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> int:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                return self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                return self.proc.wait(5)
        return self.proc.returncode if self.proc else 0


@pytest.fixture
def process_cluster(tmp_path) -> Iterator[ProcessCluster]:
    pc = ProcessCluster(tmp_path / "data")
    try:
        yield pc
    finally:
        pc.kill()
