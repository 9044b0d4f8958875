"""What the generic store needs to know about one kind: its names, and its strategy hooks.

Shape follows upstream's `pkg/registry/<group>/<kind>/strategy.go`: *prepare* mutates but never
rejects, *validate* rejects but never mutates, *warnings* only advise. The generic handlers call
the hooks in one fixed order; no kind-specific code lives in the HTTP layer.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from uwernetes.machinery.field import FieldError

Obj = dict[str, Any]

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


class LazyText:
    """Text computed on first use: column descriptions read from the OpenAPI schemas, which are
    loaded only when a Table is first built instead of at import (start-up time)."""

    __slots__ = ("_fn", "_text")

    def __init__(self, fn: Callable[[], str]) -> None:
        self._fn = fn
        self._text: str | None = None

    def __str__(self) -> str:
        if self._text is None:
            self._text = self._fn()
        return self._text

    def __eq__(self, other: object) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))


def lazy_text(fn: Callable[..., str]) -> Callable[..., LazyText]:
    """Decorate a description lookup so it returns LazyText."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> LazyText:
        return LazyText(lambda: fn(*args, **kwargs))

    return wrapper


@lazy_text
@functools.cache
def field_doc(definition: str, prop: str, enum_values: bool = True) -> str:
    """A schema field's description (definition: the full OpenAPI name), for printer columns;
    `enum_values=False` drops the "Possible enum values" list, as SwaggerDoc() has it."""
    from uwernetes.machinery import schemas

    node = ((schemas.definitions().get(definition) or {}).get("properties") or {}).get(prop) or {}
    text = node.get("description") or ""
    return text if enum_values else text.split("\n\nPossible enum values:")[0]


@dataclass
class Column:
    """One Table column (metav1.TableColumnDefinition)."""

    name: str
    type: str = "string"
    format: str = ""
    description: str = ""
    priority: int = 0

    def definition(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "format": self.format,
            "description": str(self.description),
            "priority": self.priority,
        }


@dataclass
class Printer:
    """Server-side printing for `kubectl get`: columns plus a pure object -> cells function."""

    columns: list[Column]
    row: Callable[[Obj], list[Any]]
    # Optional row conditions (pods: Completed/Failed).
    conditions: Callable[[Obj], list[dict[str, Any]]] | None = None
    # Row order of list tables where upstream's printer sorts (FlowSchemas by precedence).
    sort_key: Callable[[Obj], Any] | None = None


@dataclass
class Context:
    """Facts about the request a strategy may need."""

    user: str = ""
    groups: tuple[str, ...] = ()
    dry_run: bool = False
    features: Any = None  # uwernetes.features.FeatureGates
    subresource: str = ""
    # Server-side apply writes its own managedFields entry (operation Apply).
    apply: bool = False


class Strategy:
    """Default hooks: a kind overrides only what it needs."""

    # Whether `metadata.generation` tracks spec changes (kinds with a spec).
    tracks_generation: bool = True
    # Kinds with a status subresource keep status out of main-resource writes.
    has_status: bool = False
    allow_create_on_update: bool = False
    allow_unconditional_update: bool = True
    # Kinds whose validate() already includes ObjectMeta checks (as upstream's pod validation
    # does) say so, and the generic layer skips its own to avoid reporting errors twice.
    validates_object_meta: bool = False
    # DELETE answers with the deleted object instead of a Status (pods do).
    return_deleted_object: bool = False

    def default(self, obj: Obj) -> None:
        """Fill defaulted fields (upstream's SetDefaults_*); runs on every decoded object."""

    def prepare_for_create(self, obj: Obj, ctx: Context) -> None:
        if self.has_status:
            obj.pop("status", None)

    def prepare_for_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        if self.has_status:
            if "status" in old:
                new["status"] = old["status"]
            else:
                new.pop("status", None)

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return []

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return []

    def warnings_on_create(self, obj: Obj, ctx: Context) -> list[str]:
        return []

    def warnings_on_update(self, new: Obj, old: Obj, ctx: Context) -> list[str]:
        return []

    # --- status subresource ---
    def prepare_for_status_update(self, new: Obj, old: Obj, ctx: Context) -> None:
        """Status writes keep everything but status (and metadata labels/annotations stay old)."""
        for key in list(new):
            if key not in ("status", "metadata", "apiVersion", "kind"):
                del new[key]
        for key, value in old.items():
            if key not in ("status", "metadata", "apiVersion", "kind"):
                new[key] = value

    def validate_status_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return []

    # --- deletion ---
    def default_grace_period(self, obj: Obj) -> int:
        """Seconds a delete waits by default; 0 means delete at once."""
        return 0

    def grace_period(self, obj: Obj, requested: int | None) -> int:
        """The grace period a delete gets. Only kinds deleted gracefully upstream (pods, which
        override this) honour a requested one: for every other kind `rest.BeforeDelete` has no
        graceful strategy and deletes at once, whatever `--grace-period` or `--now` asked."""
        return self.default_grace_period(obj)

    def graceful_hold(self, obj: Obj) -> bool:
        """Whether a delete only marks the object (namespaces wait for their spec finalizers)."""
        return False

    def prepare_for_delete(self, obj: Obj) -> None:
        """Changes made when an object is marked for deletion (namespaces turn Terminating)."""


@dataclass
class Subresource:
    name: str
    verbs: tuple[str, ...]
    # responseKind when it differs from the parent (scale -> autoscaling/v1 Scale).
    group: str | None = None
    version: str | None = None
    kind: str | None = None


@dataclass
class ResourceType:
    """One served resource: names, scope, verbs, and the strategy and printer behind it."""

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    singular: str = ""
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    subresources: tuple[Subresource, ...] = ()
    strategy: Strategy = field(default_factory=Strategy)
    printer: Printer | None = None
    # Extra field-selector fields beyond metadata.name/namespace: field -> getter.
    field_selectors: dict[str, Callable[[Obj], str]] = field(default_factory=dict)
    # The feature gate that must be on for the resource to be served.
    feature_gate: str | None = None
    # Lists of these omit kind/apiVersion on items (built-in kinds); CRDs keep them.
    builtin: bool = True
    # A resource served from another's storage (events.k8s.io/v1 events live with core/v1
    # events): the (group, plural) whose keys it uses, and the converters between the two forms.
    storage_resource: tuple[str, str] | None = None
    to_storage: Callable[[Obj], Obj] | None = None
    from_storage: Callable[[Obj], Obj] | None = None
    # A deprecated API: this text goes out as a Warning header with every answer about it.
    deprecation_warning: str | None = None

    def __post_init__(self) -> None:
        if not self.singular:
            self.singular = self.kind.lower()

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def api_version(self) -> str:
        return self.group_version

    @property
    def list_kind(self) -> str:
        return self.kind + "List"

    @property
    def storage_prefix(self) -> str:
        """Key prefix in the store, as upstream lays out etcd: `/registry/<group>/<resource>/`."""
        group, plural = self.storage_resource or (self.group, self.plural)
        return f"/registry/{group}/{plural}/" if group else f"/registry/{plural}/"

    def key(self, namespace: str | None, name: str) -> str:
        if self.namespaced:
            return f"{self.storage_prefix}{namespace}/{name}"
        return f"{self.storage_prefix}{name}"

    def subresource(self, name: str) -> Subresource | None:
        for s in self.subresources:
            if s.name == name:
                return s
        return None
