"""The `uwe` command: start a cluster, run components, and everyday kubectl verbs."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import time
from pathlib import Path

import click
import platformdirs

from uwernetes.features import FeatureGateError, FeatureGates


def default_data_dir() -> Path:
    return Path(os.environ.get("UWE_DATA_DIR") or platformdirs.user_data_dir("uwernetes"))


def _features(spec: str | None) -> FeatureGates:
    try:
        return FeatureGates.parse(spec)
    except FeatureGateError as e:
        raise click.UsageError(f"invalid argument \"{spec}\" for \"--feature-gates\" flag: {e}") from None


@click.group()
@click.version_option(package_name="uwernetes")
def main() -> None:
    """Uwernetes: a Kubernetes v1.30 cluster in one Python process."""


def _serve_forever(run) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover
        pass
    asyncio.run(run())


@main.command()
@click.option("--data-dir", type=click.Path(path_type=Path), default=None, help="Where state, certificates and the kubeconfig live.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to serve on.")
@click.option("--port", type=int, default=0, show_default=True, help="HTTPS port; 0 picks a free one.")
@click.option("--feature-gates", default="", help="Comma-separated Gate=true|false pairs (v1.30 gates).")
@click.option("-v", "--verbose", count=True, help="More logging.")
def up(data_dir: Path | None, host: str, port: int, feature_gates: str, verbose: int) -> None:
    """Start a cluster: API server, controllers and nodes, on an embedded SQLite file."""
    features = _features(feature_gates)
    data_dir = data_dir or default_data_dir()
    logging.basicConfig(level=logging.WARNING - 10 * verbose, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    started = time.monotonic()

    async def run() -> None:
        from uwernetes.apiserver.server import RunningServer, ServerConfig

        server = RunningServer(ServerConfig(data_dir=data_dir, host=host, port=port, features=features))
        await server.start()
        kubeconfig = server.write_kubeconfig()
        click.echo(f"Uwernetes (Kubernetes v1.30) API server listening on {server.url} "
                   f"(ready in {time.monotonic() - started:.2f}s)")
        click.echo(f"Data in {data_dir}")
        click.echo("To use it:")
        click.echo(f"  export KUBECONFIG={kubeconfig}")
        click.echo("  kubectl get namespaces")
        sys.stdout.flush()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        click.echo("Stopping...")
        await server.stop()

    _serve_forever(run)


if __name__ == "__main__":
    main()
