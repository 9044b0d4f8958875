"""The components beside the API server (scheduler, controller manager, node agents) and how a
process starts them. Each talks to the API only through a `Client`: in `uwe up` over the
in-process transport, in `uwe scheduler|controller-manager|node` over HTTPS to a kubeconfig.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from uwernetes.client.api import Client
from uwernetes.features import FeatureGates

log = logging.getLogger(__name__)

RUNTIMES = ("simulated", "process")


@dataclass
class ComponentContext:
    """What every component gets: a way to make clients, the gates, a place for files."""

    client_factory: Callable[[str], Client]  # component name -> client (user agent, field manager)
    features: FeatureGates
    data_dir: Path
    options: dict[str, Any] = field(default_factory=dict)

    def client(self, name: str) -> Client:
        return self.client_factory(name)


# name -> (module, coroutine function taking the context)
ENTRY_POINTS = {
    "scheduler": ("uwernetes.scheduler.main", "run"),
    "controller-manager": ("uwernetes.controllers.manager", "run"),
    "nodes": ("uwernetes.node.agent", "run_nodes"),
}


def entry_point(name: str) -> Callable[..., Any] | None:
    module_name, attr = ENTRY_POINTS[name]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name and module_name.startswith(e.name):
            log.warning("component %s is not available in this build", name)
            return None
        raise
    return getattr(module, attr)


async def supervise(name: str, start: Callable[[], Any]) -> None:
    """Run a component forever; a crash is logged and the component restarted after a pause."""
    while True:
        try:
            await start()
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s crashed; restarting in 1s", name)
            await asyncio.sleep(1.0)


def start_components(ctx: ComponentContext, *, scheduler: bool, controllers: bool, nodes: int,
                     runtime: str) -> list[asyncio.Task]:
    tasks: list[asyncio.Task] = []
    if controllers and (manager := entry_point("controller-manager")) is not None:
        tasks.append(asyncio.create_task(supervise("controller-manager", lambda: manager(ctx))))
    if scheduler and (sched := entry_point("scheduler")) is not None:
        tasks.append(asyncio.create_task(supervise("scheduler", lambda: sched(ctx))))
    if nodes > 0 and (agents := entry_point("nodes")) is not None:
        tasks.append(asyncio.create_task(supervise("nodes", lambda: agents(ctx, nodes, runtime))))
    return tasks
