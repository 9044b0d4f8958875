"""The `uwe` command: start a cluster, run components, and everyday kubectl verbs."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import sys
import time
from pathlib import Path

import click
import platformdirs

from uwernetes.features import FeatureGateError, FeatureGates


def default_data_dir() -> Path:
    return Path(os.environ.get("UWE_DATA_DIR") or platformdirs.user_data_dir("uwernetes"))


_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")


def parse_duration(text: str) -> float:
    """Seconds in a Go duration ("15s", "1m30s", "500ms"), as upstream's duration flags take them;
    a bare number is seconds."""
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    sign = -1.0 if text.startswith("-") else 1.0
    body = text.lstrip("+-")
    parts = _DURATION_PART.findall(body)
    if not body or "".join(n + u for n, u in parts) != body:
        raise ValueError(f'time: invalid duration "{text}"')
    return sign * sum(float(n) * _DURATION_UNITS[u] for n, u in parts)


class Duration(click.ParamType):
    name = "duration"

    def convert(self, value, param, ctx):  # type: ignore[no-untyped-def]
        if isinstance(value, float | int):
            return float(value)
        try:
            return parse_duration(value)
        except ValueError as e:
            self.fail(str(e), param, ctx)


DURATION = Duration()


def _node_monitor_options(f):  # type: ignore[no-untyped-def]
    """kube-controller-manager's node lifecycle flags (shared by `up` and `controller-manager`)."""
    f = click.option("--node-monitor-grace-period", type=DURATION, default=None,
                     help="How long a node may be silent before it is marked Unknown (default 40s).")(f)
    return click.option("--node-monitor-period", type=DURATION, default=None,
                        help="How often node health is checked (default 5s).")(f)


def _monitor_options(grace: float | None, period: float | None) -> dict:
    out = {}
    if grace is not None:
        out["node_monitor_grace_period"] = grace
    if period is not None:
        out["node_monitor_period"] = period
    return out


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
@click.option("--nodes", type=int, default=1, show_default=True, help="Node agents to run in this process.")
@click.option("--runtime", type=click.Choice(["simulated", "process"]), default="process", show_default=True,
              help="simulated: no processes (kwok-like); process: containers run as local processes.")
@click.option("--no-scheduler", is_flag=True, help="Do not run the scheduler.")
@click.option("--no-controllers", is_flag=True, help="Do not run the controller manager.")
@_node_monitor_options
@click.option("-v", "--verbose", count=True, help="More logging.")
def up(data_dir: Path | None, host: str, port: int, feature_gates: str, nodes: int, runtime: str,
       no_scheduler: bool, no_controllers: bool, node_monitor_grace_period: float | None,
       node_monitor_period: float | None, verbose: int) -> None:
    """Start a cluster: API server, controllers and nodes, on an embedded SQLite file."""
    features = _features(feature_gates)
    data_dir = data_dir or default_data_dir()
    logging.basicConfig(level=logging.WARNING - 10 * verbose, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    started = time.monotonic()

    async def run() -> None:
        from uwernetes.apiserver.server import RunningServer, ServerConfig

        server = RunningServer(ServerConfig(
            data_dir=data_dir, host=host, port=port, features=features,
            scheduler=not no_scheduler, controllers=not no_controllers, nodes=nodes, runtime=runtime,
            tune_gc=True, component_options=_monitor_options(node_monitor_grace_period, node_monitor_period),
        ))
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


def _component_command(name: str, kubeconfig: Path, feature_gates: str, verbose: int, **options) -> None:
    from uwernetes.client.kubeconfig import client_from_kubeconfig
    from uwernetes.components import ComponentContext, entry_point

    features = _features(feature_gates)
    logging.basicConfig(level=logging.INFO - 10 * verbose, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    fn = entry_point("nodes" if name == "node" else name)
    if fn is None:
        raise click.ClickException(f"{name} is not available in this build")
    data_dir = options.pop("data_dir", None) or default_data_dir()

    async def run() -> None:
        ctx = ComponentContext(lambda agent: client_from_kubeconfig(kubeconfig, agent), features, Path(data_dir), options)
        task = asyncio.create_task(fn(ctx, options["count"], options["runtime"]) if name == "node" else fn(ctx))
        from uwernetes import gc_policy

        gc_policy.apply()
        refreeze = asyncio.create_task(gc_policy.refreeze_forever())
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        done, _ = await asyncio.wait([task, asyncio.create_task(stop.wait())], return_when=asyncio.FIRST_COMPLETED)
        task.cancel()
        refreeze.cancel()
        await asyncio.gather(task, refreeze, return_exceptions=True)

    _serve_forever(run)


_kubeconfig_option = click.option("--kubeconfig", type=click.Path(exists=True, path_type=Path), required=True,
                                  envvar="KUBECONFIG", help="How to reach the API server.")
_gates_option = click.option("--feature-gates", default="", help="Comma-separated Gate=true|false pairs.")


@main.command()
@_kubeconfig_option
@_gates_option
@click.option("-v", "--verbose", count=True)
def scheduler(kubeconfig: Path, feature_gates: str, verbose: int) -> None:
    """Run the scheduler against a remote API server."""
    _component_command("scheduler", kubeconfig, feature_gates, verbose)


@main.command("controller-manager")
@_kubeconfig_option
@_gates_option
@click.option("--leader-elect/--no-leader-elect", default=True, show_default=True,
              help="Take the kube-system/kube-controller-manager Lease before acting.")
@click.option("--leader-elect-lease-duration", type=DURATION, default="15s", show_default=True,
              help="How long a standby waits after the leader's last renewal before taking the Lease.")
@click.option("--leader-elect-renew-deadline", type=DURATION, default="10s", show_default=True,
              help="How long the leader keeps acting without a successful renewal.")
@click.option("--leader-elect-retry-period", type=DURATION, default="2s", show_default=True,
              help="How often the leader renews and candidates retry.")
@_node_monitor_options
@click.option("-v", "--verbose", count=True)
def controller_manager(kubeconfig: Path, feature_gates: str, leader_elect: bool, leader_elect_lease_duration: float,
                       leader_elect_renew_deadline: float, leader_elect_retry_period: float,
                       node_monitor_grace_period: float | None, node_monitor_period: float | None,
                       verbose: int) -> None:
    """Run the controller manager against a remote API server."""
    if leader_elect and not 0 < leader_elect_renew_deadline < leader_elect_lease_duration:
        raise click.UsageError("--leader-elect-renew-deadline must be positive and shorter than "
                               "--leader-elect-lease-duration")
    if leader_elect and leader_elect_retry_period <= 0:
        raise click.UsageError("--leader-elect-retry-period must be positive")
    _component_command("controller-manager", kubeconfig, feature_gates, verbose, leader_elect=leader_elect,
                       lease_seconds=leader_elect_lease_duration, renew_seconds=leader_elect_renew_deadline,
                       retry_seconds=leader_elect_retry_period,
                       **_monitor_options(node_monitor_grace_period, node_monitor_period))


@main.command()
@_kubeconfig_option
@_gates_option
@click.option("--count", type=int, default=1, show_default=True, help="How many node agents this process runs.")
@click.option("--name-prefix", default="", help="Node names are <prefix><index> (default: the host name).")
@click.option("--runtime", type=click.Choice(["simulated", "process"]), default="process", show_default=True)
@click.option("--data-dir", type=click.Path(path_type=Path), default=None,
              help="Where pods, their logs and the kubelet certificate live.")
@click.option("--address", default="127.0.0.1", show_default=True,
              help="Address the kubelet API (logs, exec, attach, port-forward, /logs/) serves on.")
@click.option("--port", type=int, default=0, show_default=True, help="Kubelet API port; 0 picks a free one.")
@click.option("--node-ip", default=None,
              help="The nodes' InternalIP, where the API server reaches them (default: --address, or this "
                   "host's address when --address is a wildcard).")
@click.option("--zone", default="", help="topology.kubernetes.io/zone label of the nodes.")
@click.option("--region", default="", help="topology.kubernetes.io/region label of the nodes.")
@click.option("--node-lease-renew-interval", type=DURATION, default="10s", show_default=True,
              help="How often each node renews its Lease in kube-node-lease (the heartbeat).")
@click.option("--node-status-report-frequency", type=DURATION, default="5m", show_default=True,
              help="How often each node posts its full status when nothing changed.")
@click.option("-v", "--verbose", count=True)
def node(kubeconfig: Path, feature_gates: str, count: int, name_prefix: str, runtime: str, data_dir: Path | None,
         address: str, port: int, node_ip: str | None, zone: str, region: str, node_lease_renew_interval: float,
         node_status_report_frequency: float, verbose: int) -> None:
    """Run node agents against a remote API server; they serve the kubelet API over HTTPS."""
    if node_lease_renew_interval <= 0 or node_status_report_frequency <= 0:
        raise click.UsageError("intervals must be positive")
    _component_command("node", kubeconfig, feature_gates, verbose, count=count, runtime=runtime,
                       name_prefix=name_prefix, data_dir=data_dir, serve_kubelet=True, kubelet_address=address,
                       kubelet_port=port, node_ip=node_ip, zone=zone, region=region,
                       lease_renew_seconds=node_lease_renew_interval,
                       node_status_report_seconds=node_status_report_frequency)


if __name__ == "__main__":
    main()
