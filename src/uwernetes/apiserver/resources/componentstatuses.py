"""ComponentStatuses (core/v1, cluster-scoped, read-only): upstream v1.30's
`pkg/registry/core/componentstatus` and `printComponentStatus`.

Nothing is stored: upstream probes the scheduler, the controller manager and each etcd server on
every request. Here the components run in (or next to) this process, so each reports the
Healthy condition with message "ok". `componentstatuses_handler` serves GET and LIST from this.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from uwernetes.apiserver.resources import core_common as common
from uwernetes.apiserver.resources.base import Column, Obj, Printer, ResourceType, Strategy

COMPONENTS = ("controller-manager", "etcd-0", "scheduler")


def component_status(name: str, healthy: bool = True, message: str = "ok", error: str = "") -> Obj:
    condition: Obj = {"type": "Healthy", "status": "True" if healthy else "False", "message": message}
    if error:
        condition["error"] = error
    return {"kind": "ComponentStatus", "apiVersion": "v1", "metadata": {"name": name}, "conditions": [condition]}


def component_statuses() -> list[Obj]:
    """The statuses served, sorted by name as upstream's list is."""
    return [component_status(name) for name in COMPONENTS]


def table_row(cs: Obj, now: datetime | None = None) -> list[Any]:
    """printComponentStatus: the first Healthy condition decides; none means Unknown."""
    status, message, error = "Unknown", "", ""
    for cond in cs.get("conditions") or ():
        if cond.get("type") == "Healthy":
            status = "Healthy" if cond.get("status") == "True" else "Unhealthy"
            message, error = cond.get("message") or "", cond.get("error") or ""
            break
    return [common.name_of(cs), status, message, error]


PRINTER = Printer(
    columns=[
        common.name_column(),
        Column("Status", description="Status of the component conditions"),
        Column("Message", description="Message of the component conditions"),
        Column("Error", description="Error of the component conditions"),
    ],
    row=table_row,
)


class ComponentStatusStrategy(Strategy):
    tracks_generation = False


COMPONENTSTATUSES = ResourceType(
    group="",
    version="v1",
    kind="ComponentStatus",
    plural="componentstatuses",
    namespaced=False,
    short_names=("cs",),
    verbs=("get", "list"),
    strategy=ComponentStatusStrategy(),
    printer=PRINTER,
    deprecation_warning="v1 ComponentStatus is deprecated in v1.19+",
)
