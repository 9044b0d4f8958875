"""The API server's CRD loop: naming, establishing, serving, and cleanup on deletion.

Upstream splits this over apiextensions-apiserver's naming, establishing and finalizer
controllers plus the crdHandler that serves custom resources. Here one loop per API server follows
the CRD watch: it decides accepted names and conditions (pure `accept_names`), writes status when
it changes, (re)builds the served resource types, and refreshes discovery and OpenAPI at once, so
a new CRD is served within the same event-loop turn its status is written. Every API server runs
it (serving is per server); status writes are idempotent, so several servers agree.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uwernetes.apiextensions.custom_resources import resource_types
from uwernetes.apiserver.resources.customresourcedefinitions import (
    CLEANUP_FINALIZER,
    GROUP,
    condition,
    condition_true,
    set_condition,
)
from uwernetes.machinery import errors
from uwernetes.machinery.meta import deep_copy

log = logging.getLogger(__name__)

Obj = dict[str, Any]
MANAGER = "apiextensions-apiserver"
_RETRY_SECONDS = 1.0


def _names(crd: Obj, which: str) -> dict[str, Any]:
    source = (crd.get("status") or {}).get("acceptedNames") if which == "accepted" else (crd.get("spec") or {}).get("names")
    return source if isinstance(source, dict) else {}


def accept_names(crd: Obj, others: list[Obj]) -> tuple[dict[str, Any], tuple[str, str, str]]:
    """(accepted names, (NamesAccepted status, reason, message)) given the other CRDs of the cluster.

    A name another CRD of the same group has already accepted is a conflict; then nothing new is
    accepted and the condition says which name, with upstream's reasons and wording.
    """
    spec = crd.get("spec") or {}
    group = spec.get("group")
    wanted = _names(crd, "spec")
    taken_plural: set[str] = set()
    taken_singular: set[str] = set()
    taken_short: set[str] = set()
    taken_kind: set[str] = set()
    taken_list: set[str] = set()
    me = (crd.get("metadata") or {}).get("name")
    for other in others:
        if (other.get("metadata") or {}).get("name") == me or (other.get("spec") or {}).get("group") != group:
            continue
        names = _names(other, "accepted")
        taken_plural.add(names.get("plural", ""))
        taken_singular.add(names.get("singular", ""))
        taken_short.update(names.get("shortNames") or ())
        taken_kind.add(names.get("kind", ""))
        taken_list.add(names.get("listKind", ""))
    checks = [
        ("PluralConflict", [wanted.get("plural", "")], taken_plural | taken_singular),
        ("SingularConflict", [wanted.get("singular", "")], taken_plural | taken_singular),
        ("ShortNamesConflict", list(wanted.get("shortNames") or ()), taken_short | taken_plural | taken_singular),
        ("KindConflict", [wanted.get("kind", "")], taken_kind | taken_list),
        ("ListKindConflict", [wanted.get("listKind", "")], taken_kind | taken_list),
    ]
    for reason, values, taken in checks:
        for value in values:
            if value and value in taken:
                return _names(crd, "accepted"), ("False", reason, f'"{value}" is already in use')
    accepted = {k: v for k, v in wanted.items() if v not in (None, "", [])}
    return accepted, ("True", "NoConflicts", "no conflicts found")


def desired_status(crd: Obj, others: list[Obj]) -> Obj:
    """The CRD with its names and NamesAccepted/Established conditions as they should be now."""
    out = deep_copy(crd)
    accepted, (status, reason, message) = accept_names(crd, others)
    out.setdefault("status", {})["acceptedNames"] = accepted or {"kind": "", "plural": ""}
    set_condition(out, "NamesAccepted", status, reason, message)
    if status == "True":
        if not condition_true(out, "Established"):
            set_condition(out, "Established", "True", "InitialNamesAccepted", "the initial names have been accepted")
    elif not condition_true(out, "Established"):
        set_condition(out, "Established", "False", "NotAccepted", "not all names are accepted")
    return out


def _status_changed(old: Obj, new: Obj) -> bool:
    def strip(status: Obj) -> Obj:
        s = dict(status or {})
        s["conditions"] = [{k: v for k, v in c.items() if k != "lastTransitionTime"} for c in s.get("conditions") or []]
        return s

    return strip(old.get("status") or {}) != strip(new.get("status") or {})


class CRDController:
    def __init__(self, app: Any, registry: Any) -> None:
        self.app = app
        self.registry = registry
        self.crd_rt = registry.resource(GROUP, "v1", "customresourcedefinitions")
        self.ctx = registry.context(user="system:apiserver", groups=("system:masters",))
        # CRD name -> (group, plural, served state dict)
        self.served: dict[str, tuple[str, str, dict[str, bool]]] = {}
        self.pending: set[str] = set()

    # --- serving ---

    def _publish(self) -> None:
        from uwernetes.apiserver import wiring

        self.app.refresh_discovery()
        self.app.openapi = wiring.openapi(self.registry)

    def _serve(self, crd: Obj) -> None:
        name = crd["metadata"]["name"]
        previous = self.served.get(name)
        state = previous[2] if previous else {"terminating": False}
        state["terminating"] = bool(crd["metadata"].get("deletionTimestamp"))
        rts = resource_types(crd, state)
        if previous is not None:
            self.registry.remove_resources(previous[0], previous[1])
        self.registry.add_resources(rts)
        scale = getattr(self.app, "scale_handler", None)
        for rt in rts:
            if scale is not None and rt.subresource("scale") is not None:
                self.app.subresources[(rt.group, rt.plural, "scale")] = scale
        group = (crd.get("spec") or {}).get("group", "")
        plural = rts[0].plural if rts else ((crd.get("spec") or {}).get("names") or {}).get("plural", "")
        self.served[name] = (group, plural, state)

    def _unserve(self, name: str) -> None:
        previous = self.served.pop(name, None)
        if previous is not None:
            self.registry.remove_resources(previous[0], previous[1])

    # --- reconciling one CRD ---

    async def _all(self) -> list[Obj]:
        items, _, _, _ = await self.registry.list(self.crd_rt, None)
        return items

    async def sync(self, name: str) -> bool:
        """Bring one CRD's status and serving up to date; False when it should be retried."""
        try:
            crd = await self.registry.get(self.crd_rt, None, name)
        except errors.StatusError as e:
            if e.code != 404:
                raise
            self._unserve(name)
            self._publish()
            return True
        others = await self._all()
        if not crd["metadata"].get("deletionTimestamp"):
            wanted = desired_status(crd, others)
            if _status_changed(crd, wanted):
                def write(current: Obj) -> Obj:
                    current["status"] = wanted["status"]
                    return current

                try:
                    crd, _ = await self.registry.patch(self.crd_rt, None, name, write, self.ctx, MANAGER, "status")
                except errors.StatusError as e:
                    if e.code == 404:
                        return True
                    raise
        if condition_true(crd, "NamesAccepted") or condition_true(crd, "Established"):
            before = {(r.group, r.version) for r in self.registry.resources}
            self._serve(crd)
            self._publish()
            if {(r.group, r.version) for r in self.registry.resources} - before:
                await self._register_apiservices()
        if crd["metadata"].get("deletionTimestamp"):
            return await self._finalize(crd)
        return True

    async def _register_apiservices(self) -> None:
        """A new group/version gets its local APIService, as upstream's autoregister does."""
        from uwernetes.apiserver.resources.apiservices import bootstrap_apiservices

        try:
            await bootstrap_apiservices(self.registry)
        except Exception:
            log.exception("registering APIServices")

    async def _finalize(self, crd: Obj) -> bool:
        """Delete every instance, then drop the cleanup finalizer (the CRD then goes)."""
        name = crd["metadata"]["name"]
        if CLEANUP_FINALIZER not in (crd["metadata"].get("finalizers") or ()):
            return True
        rts = [rt for rt in self.registry.resources if getattr(rt, "crd_name", None) == name]
        if rts:
            await self._set_terminating(name, "InstanceDeletionInProgress", "CustomResource deletion is in progress")
            rt = rts[0]
            items, _, _, _ = await self.registry.list(rt, None)
            remaining = 0
            for item in items:
                m = item["metadata"]
                if not m.get("deletionTimestamp"):
                    try:
                        await self.registry.delete(rt, m.get("namespace"), m["name"], ctx=self.ctx)
                    except errors.StatusError as e:
                        if e.code != 404:
                            raise
                remaining += 1
            if remaining:
                items, _, _, _ = await self.registry.list(rt, None)
                if items:
                    return False
        await self._set_terminating(name, "InstanceDeletionCompleted", "removed all instances")
        self._unserve(name)
        self._publish()

        def drop(current: Obj) -> Obj:
            m = current["metadata"]
            m["finalizers"] = [f for f in m.get("finalizers") or () if f != CLEANUP_FINALIZER]
            return current

        try:
            await self.registry.patch(self.crd_rt, None, name, drop, self.ctx, MANAGER)
        except errors.StatusError as e:
            if e.code != 404:
                raise
        return True

    async def _set_terminating(self, name: str, reason: str, message: str) -> None:
        status = "False" if reason == "InstanceDeletionCompleted" else "True"

        def write(current: Obj) -> Obj:
            c = condition(current, "Terminating")
            if c is None or c.get("reason") != reason:
                set_condition(current, "Terminating", status, reason, message)
            return current

        try:
            await self.registry.patch(self.crd_rt, None, name, write, self.ctx, MANAGER, "status")
        except errors.StatusError as e:
            if e.code != 404:
                raise

    # --- the loop ---

    async def start(self) -> None:
        """Serve every CRD already stored before the API server reports ready."""
        for crd in await self._all():
            try:
                await self.sync(crd["metadata"]["name"])
            except Exception:
                log.exception("CRD %s", crd["metadata"]["name"])

    async def run(self) -> None:
        cache, watcher = await self.registry.watch(self.crd_rt, None, None)
        try:
            while True:
                for ev in watcher.drain():
                    self.pending.add((ev.obj.get("metadata") or {}).get("name", ""))
                    if ev.type == "DELETED":
                        # Names another CRD was refused for may be free now.
                        self.pending.update(self.served)
                retry = False
                for name in sorted(self.pending):
                    try:
                        done = await self.sync(name)
                    except Exception:
                        log.exception("CRD %s", name)
                        done = False
                    if done:
                        self.pending.discard(name)
                    else:
                        retry = True
                if retry:
                    try:
                        await asyncio.wait_for(watcher.wake.wait(), _RETRY_SECONDS)
                    except TimeoutError:
                        pass
                else:
                    await watcher.wake.wait()
        finally:
            cache.unwatch(watcher)
