"""ControllerRevision bookkeeping shared by the StatefulSet and DaemonSet controllers
(upstream's `pkg/controller/history/controller_history.go`).

A revision stores the controller's pod template as a strategic-merge patch
(`{"spec": {"template": {..., "$patch": "replace"}}}`), which is what `kubectl rollout undo`
applies back onto the parent. Revisions are ordered by `revision`; the one whose data equals
the parent's current template is the update revision.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

import orjson

from uwernetes.client.api import APIError, Client, Resource
from uwernetes.controllers import deployment_util as du
from uwernetes.controllers import workload_common as wc

log = logging.getLogger(__name__)

Obj = dict[str, Any]

CONTROLLERREVISIONS = Resource("apps", "v1", "controllerrevisions", True, "ControllerRevision")
HASH_LABEL = "controller.kubernetes.io/hash"
# ControllerRevisionName truncates the prefix so `<prefix>-<hash>` stays a valid name.
_MAX_PREFIX = 223


def revision_data(template: Obj) -> Obj:
    """The patch a revision stores: the whole template, replacing what is there."""
    return {"spec": {"template": {**copy.deepcopy(template or {}), "$patch": "replace"}}}


def template_of(revision: Obj) -> Obj:
    """The pod template a revision holds (ApplyRevision onto an empty template)."""
    template = dict((((revision.get("data") or {}).get("spec") or {}).get("template")) or {})
    template.pop("$patch", None)
    return template


def fnv32(data: bytes) -> int:
    """hash/fnv New32 (multiply, then xor), as HashControllerRevision uses."""
    h = 0x811C9DC5
    for b in data:
        h = (h * 0x01000193) & 0xFFFFFFFF
        h ^= b
    return h


def hash_revision(data: Obj, collision_count: int | None) -> str:
    raw = orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    if collision_count is not None:
        raw += str(collision_count).encode()
    return du.safe_encode(str(fnv32(raw)))


def revision_name(prefix: str, hash_: str) -> str:
    return f"{prefix[:_MAX_PREFIX]}-{hash_}"


def new_revision(parent: Obj, api_version: str, kind: str, labels: dict[str, str] | None, data: Obj,
                 number: int, collision_count: int | None) -> Obj:
    """NewControllerRevision: named `<parent>-<hash>`, labelled with the template's labels and the hash."""
    m = parent.get("metadata") or {}
    hash_ = hash_revision(data, collision_count)
    return {
        "apiVersion": "apps/v1", "kind": "ControllerRevision",
        "metadata": {"name": revision_name(m.get("name", ""), hash_), "namespace": m.get("namespace"),
                     "labels": {**(labels or {}), HASH_LABEL: hash_},
                     "ownerReferences": [wc.owner_ref_for(parent, api_version, kind)]},
        "data": data, "revision": number,
    }


def number(revision: Obj) -> int:
    value = revision.get("revision")
    return value if isinstance(value, int) else 0


def sort_revisions(revisions: list[Obj]) -> list[Obj]:
    """Oldest first: by revision number, then creation time, then name."""
    def key(r: Obj) -> tuple[int, str, str]:
        m = r.get("metadata") or {}
        return number(r), m.get("creationTimestamp") or "", m.get("name") or ""

    return sorted(revisions, key=key)


def next_revision(revisions: list[Obj]) -> int:
    return max((number(r) for r in revisions), default=0) + 1


def equal_revision(a: Obj, b: Obj) -> bool:
    return (a.get("data") or {}) == (b.get("data") or {})


def owned_revisions(informer: Any, parent: Obj) -> list[Obj]:
    """The parent's revisions from the cache (controller ref by uid)."""
    uid, ns = wc.uid_of(parent), (parent.get("metadata") or {}).get("namespace")
    return [r for r in informer.list() if (r.get("metadata") or {}).get("namespace") == ns
            and (wc.controller_ref(r) or {}).get("uid") == uid]


async def create_revision(client: Client, revision: Obj, parent: Obj, api_version: str, kind: str,
                          collision_count: int) -> tuple[Obj, int]:
    """Create a revision; an existing equal one is reused, a different one bumps the collision count.

    Returns the stored revision and the (possibly increased) collision count.
    """
    for _ in range(10):
        try:
            return await client.create(CONTROLLERREVISIONS, revision), collision_count
        except APIError as e:
            if e.code != 409:
                raise
        m = revision["metadata"]
        try:
            existing = await client.get(CONTROLLERREVISIONS, m["name"], m.get("namespace"))
        except APIError as e:
            if e.not_found:
                continue
            raise
        if equal_revision(existing, revision) and (wc.controller_ref(existing) or {}).get("uid") == wc.uid_of(parent):
            return existing, collision_count
        collision_count += 1
        labels = {k: v for k, v in (m.get("labels") or {}).items() if k != HASH_LABEL}
        revision = new_revision(parent, api_version, kind, labels, revision["data"], number(revision), collision_count)
    raise RuntimeError(f"could not create a ControllerRevision for {wc.key_of(parent)}: too many hash collisions")


async def set_revision_number(client: Client, revision: Obj, value: int) -> Obj:
    """Renumber an existing revision (a rollback to an old template makes it the newest)."""
    m = revision["metadata"]
    patch = {"revision": value, "metadata": {"resourceVersion": m.get("resourceVersion")}}
    return await client.patch(CONTROLLERREVISIONS, m["name"], patch, m.get("namespace"))


async def delete_revisions(client: Client, revisions: list[Obj]) -> None:
    for r in revisions:
        m = r["metadata"]
        try:
            await client.delete(CONTROLLERREVISIONS, m["name"], m.get("namespace"), preconditions={"uid": m.get("uid")})
        except APIError as e:
            if not (e.not_found or e.conflict):
                raise


def history_to_drop(revisions: list[Obj], live: set[str], limit: int) -> list[Obj]:
    """Revisions beyond revisionHistoryLimit, oldest first, never one in `live` (by name)."""
    dead = [r for r in sort_revisions(revisions) if (r.get("metadata") or {}).get("name") not in live]
    excess = len(dead) - max(limit, 0)
    return dead[:excess] if excess > 0 else []


__all__ = ["CONTROLLERREVISIONS", "HASH_LABEL", "revision_data", "template_of", "hash_revision", "new_revision",
           "sort_revisions", "next_revision", "equal_revision", "owned_revisions", "create_revision",
           "set_revision_number", "delete_revisions", "history_to_drop"]
