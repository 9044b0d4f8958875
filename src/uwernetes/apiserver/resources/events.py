"""Events: core/v1 `events` and events.k8s.io/v1 `events`, one storage (core/v1 form).

Mirrors upstream's `pkg/registry/core/event/strategy.go`, `pkg/apis/core/validation/events.go`
(`ValidateEventCreate`/`ValidateEventUpdate`: loose for core/v1, strict for events.k8s.io/v1),
`pkg/apis/events/v1/conversion.go` (note/message, regarding/involvedObject, deprecated* fields)
and `printEvent`. Timestamps are accepted with numeric offsets and fractions (kopf sends
`+00:00` and microseconds) and stored the way upstream re-encodes them.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from uwernetes.apiserver.resources import core_common as common
from uwernetes.apiserver.resources.base import Column, Context, Obj, Printer, ResourceType, Strategy
from uwernetes.machinery import duration, errors, field, meta, validation
from uwernetes.machinery.field import FieldError

NORMAL, WARNING = "Normal", "Warning"
REPORTING_INSTANCE_LIMIT = 128
ACTION_LIMIT = 128
REASON_LIMIT = 128
NOTE_LIMIT = 1024
EVENTS_V1_API = "events.k8s.io/v1"

# events.k8s.io/v1 name -> core/v1 name; the rest keep their names.
_RENAMES = {
    "regarding": "involvedObject",
    "note": "message",
    "deprecatedSource": "source",
    "deprecatedFirstTimestamp": "firstTimestamp",
    "deprecatedLastTimestamp": "lastTimestamp",
    "deprecatedCount": "count",
    "reportingController": "reportingComponent",
}
_BACK = {v: k for k, v in _RENAMES.items()}


# --------------------------------------------------------------------------------------------
# conversion
# --------------------------------------------------------------------------------------------


def to_storage(event: Obj) -> Obj:
    """events.k8s.io/v1 Event -> core/v1 Event (the stored form)."""
    out: Obj = {"apiVersion": "v1", "kind": "Event"}
    for k, v in event.items():
        if k in ("apiVersion", "kind"):
            continue
        out[_RENAMES.get(k, k)] = copy.deepcopy(v)
    out.setdefault("involvedObject", {})
    return out


def from_storage(event: Obj) -> Obj:
    """core/v1 Event -> events.k8s.io/v1 Event."""
    out: Obj = {"apiVersion": EVENTS_V1_API, "kind": "Event"}
    for k, v in event.items():
        if k in ("apiVersion", "kind"):
            continue
        if k in ("source", "involvedObject") and not v:
            continue  # empty structs are omitted in events.k8s.io/v1
        out[_BACK.get(k, k)] = copy.deepcopy(v)
    return out


def _is_v1_form(event: Obj) -> bool:
    return event.get("apiVersion") == EVENTS_V1_API or "regarding" in event or "note" in event


def as_core(event: Obj) -> Obj:
    return to_storage(event) if _is_v1_form(event) else event


# --------------------------------------------------------------------------------------------
# defaulting: timestamp normalisation (what decoding + re-encoding does upstream)
# --------------------------------------------------------------------------------------------


def _normalize_time(obj: Obj, key: str, micro: bool, kind: str) -> None:
    value = obj.get(key)
    if value is None:
        return
    if not isinstance(value, str):
        raise errors.bad_request(f'{kind} in version "v1" cannot be handled as a {kind}: {key}: expected a string')
    try:
        dt = meta.parse_time(value)
    except ValueError:
        raise errors.bad_request(
            f'{kind} in version "v1" cannot be handled as a {kind}: parsing time "{value}" as '
            f'"2006-01-02T15:04:05Z07:00": cannot parse "{value}" as "2006"'
        ) from None
    dt = dt.astimezone(UTC)
    obj[key] = dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if micro else dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def normalize_times(event: Obj) -> None:
    v1 = _is_v1_form(event)
    first = "deprecatedFirstTimestamp" if v1 else "firstTimestamp"
    last = "deprecatedLastTimestamp" if v1 else "lastTimestamp"
    _normalize_time(event, first, False, "Event")
    _normalize_time(event, last, False, "Event")
    _normalize_time(event, "eventTime", True, "Event")
    series = event.get("series")
    if isinstance(series, dict):
        _normalize_time(series, "lastObservedTime", True, "Event")


# --------------------------------------------------------------------------------------------
# validation (on the core form)
# --------------------------------------------------------------------------------------------


def legacy_validate(event: Obj, strict_names: bool) -> list[FieldError]:
    """legacyValidateEvent: what every event must satisfy, whatever API wrote it."""
    errs: list[FieldError] = []
    ns = (event.get("metadata") or {}).get("namespace") or ""
    involved = event.get("involvedObject") or {}
    inv_ns = involved.get("namespace") or ""
    reporting = "reportingController" if strict_names else "reportingComponent"
    mismatch = field.invalid("involvedObject.namespace", inv_ns, "does not match event.namespace")
    if not event.get("eventTime"):
        if not inv_ns:
            if ns not in ("", "default"):
                errs.append(mismatch)
        elif ns != inv_ns:
            errs.append(mismatch)
    else:
        if not inv_ns and ns not in ("default", "kube-system"):
            errs.append(mismatch)
        controller = event.get("reportingComponent") or ""
        if not controller:
            errs.append(field.required(reporting, ""))
        errs.extend(field.invalid(reporting, controller, m) for m in validation.is_qualified_name(controller))
        instance = event.get("reportingInstance") or ""
        if not instance:
            errs.append(field.required("reportingInstance", ""))
        if len(instance) > REPORTING_INSTANCE_LIMIT:
            errs.append(field.invalid("reportingInstance", "", f"can have at most {REPORTING_INSTANCE_LIMIT} characters"))
        action = event.get("action") or ""
        if not action:
            errs.append(field.required("action", ""))
        if len(action) > ACTION_LIMIT:
            errs.append(field.invalid("action", "", f"can have at most {ACTION_LIMIT} characters"))
        reason = event.get("reason") or ""
        if not reason:
            errs.append(field.required("reason", ""))
        if len(reason) > REASON_LIMIT:
            errs.append(field.invalid("reason", "", f"can have at most {REASON_LIMIT} characters"))
        if len(event.get("message") or "") > NOTE_LIMIT:
            errs.append(field.invalid("message", "", f"can have at most {NOTE_LIMIT} characters"))
    errs.extend(field.invalid("namespace", ns, m) for m in validation.is_dns1123_subdomain(ns))
    return errs


def _validate_series(event: Obj) -> list[FieldError]:
    series = event.get("series")
    if not isinstance(series, dict):
        return []
    errs: list[FieldError] = []
    if (series.get("count") or 0) < 2:
        errs.append(field.invalid("series.count", "", "should be at least 2"))
    if not series.get("lastObservedTime"):
        errs.append(field.required("series.lastObservedTime", ""))
    return errs


def strict_validate(event: Obj) -> list[FieldError]:
    """The extra checks for events.k8s.io/v1 creates."""
    errs = _validate_series(event)
    if not event.get("eventTime"):
        errs.append(field.required("eventTime", ""))
    etype = event.get("type") or ""
    if etype not in (NORMAL, WARNING):
        errs.append(field.invalid("type", "", f"has invalid value: {etype}"))
    for key in ("firstTimestamp", "lastTimestamp", "count"):
        if event.get(key):
            errs.append(field.invalid(key, "", "needs to be unset"))
    source = event.get("source") or {}
    if source.get("component") or source.get("host"):
        errs.append(field.invalid("source", "", "needs to be unset"))
    return errs


_IMMUTABLE = (
    "involvedObject", "reason", "message", "source", "firstTimestamp", "lastTimestamp", "count",
    "type", "eventTime", "action", "related", "reportingComponent", "reportingInstance",
)


def strict_validate_update(new: Obj, old: Obj) -> list[FieldError]:
    errs: list[FieldError] = []
    if new.get("series") != old.get("series"):
        errs.extend(_validate_series(new))
    for key in _IMMUTABLE:
        if new.get(key) != old.get(key):
            path = "reportingController" if key == "reportingComponent" else key
            errs.append(field.invalid(path, new.get(key), "field is immutable"))
    return errs


class EventStrategy(Strategy):
    """core/v1: only the legacy checks, for backwards compatibility."""

    tracks_generation = False

    def default(self, obj: Obj) -> None:
        normalize_times(obj)

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        return legacy_validate(as_core(obj), strict_names=False)

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        return legacy_validate(as_core(new), strict_names=False)


class EventV1Strategy(EventStrategy):
    """events.k8s.io/v1: legacy checks plus the strict ones."""

    def validate(self, obj: Obj, ctx: Context) -> list[FieldError]:
        core = as_core(obj)
        return legacy_validate(core, strict_names=True) + strict_validate(core)

    def validate_update(self, new: Obj, old: Obj, ctx: Context) -> list[FieldError]:
        core_new, core_old = as_core(new), as_core(old)
        return legacy_validate(core_new, strict_names=True) + strict_validate_update(core_new, core_old)


# --------------------------------------------------------------------------------------------
# field selectors and printing
# --------------------------------------------------------------------------------------------


def selectable_fields(event: Obj) -> dict[str, str]:
    e = as_core(event)
    inv = e.get("involvedObject") or {}
    source = (e.get("source") or {}).get("component") or e.get("reportingComponent") or ""
    fields = {f"involvedObject.{k}": inv.get(k) or "" for k in ("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath")}
    fields.update(
        {
            "reason": e.get("reason") or "",
            "reportingComponent": e.get("reportingComponent") or "",
            "source": source,
            "type": e.get("type") or "",
        }
    )
    return fields


def _getter(name: str):
    return lambda e: selectable_fields(e)[name]


_CORE_FIELDS = (
    "involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
    "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
    "reason", "reportingComponent", "source", "type",
)
CORE_FIELD_SELECTORS = {name: _getter(name) for name in _CORE_FIELDS}
# events.k8s.io/v1 field labels are the v1 names of the same fields.
V1_FIELD_SELECTORS = {
    **{name.replace("involvedObject.", "regarding."): _getter(name) for name in _CORE_FIELDS if name.startswith("involvedObject.")},
    "reason": _getter("reason"),
    "reportingController": _getter("reportingComponent"),
    "deprecatedSource": _getter("source"),
    "type": _getter("type"),
}


def _since(ts: Any, now: datetime | None) -> str:
    return duration.age(ts, now) if ts else "<unknown>"


def table_row(event: Obj, now: datetime | None = None) -> list[Any]:
    e = as_core(event)
    first = _since(e.get("firstTimestamp"), now) if e.get("firstTimestamp") else _since(e.get("eventTime"), now)
    last = _since(e.get("lastTimestamp"), now) if e.get("lastTimestamp") else first
    count = e.get("count") or 0
    series = e.get("series")
    if isinstance(series, dict):
        last = _since(series.get("lastObservedTime"), now)
        count = series.get("count") or 0
    elif count == 0:
        count = 1  # singleton events of the new API carry no count
    inv = e.get("involvedObject") or {}
    kind = (inv.get("kind") or "").lower()
    target = f"{kind}/{inv['name']}" if inv.get("name") else kind
    source = e.get("source") or {}
    component = source.get("component") or e.get("reportingComponent") or ""
    instance = source.get("host") or e.get("reportingInstance") or ""
    return [
        last,
        e.get("type") or "",
        e.get("reason") or "",
        target,
        inv.get("fieldPath") or "",
        f"{component}, {instance}" if instance else component,
        (e.get("message") or "").strip(),
        first,
        count,
        common.name_of(e),
    ]


PRINTER = Printer(
    columns=[
        Column("Last Seen", description="The time at which the most recent occurrence of this event was recorded."),
        Column("Type", description="Type of this event (Normal, Warning), new types could be added in the future"),
        Column("Reason", description="This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
        Column("Object", description="The object that this event is about."),
        common.wide("Subobject", 'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2]. For example, if the object reference is to a container within a pod, this would take on a value like: "spec.containers{name}" (where "name" refers to the name of the container that triggered the event) or if no container name is specified "spec.containers[2]" (container with index 2 in this pod). This syntax is chosen only to have some well-defined way of referencing a part of an object.'),
        common.wide("Source", "The component reporting this event. Should be a short machine understandable string."),
        Column("Message", description="A human-readable description of the status of this operation."),
        common.wide("First Seen", "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)"),
        common.wide("Count", "The number of times this event has occurred."),
        Column("Name", "string", "name", common.NAME_DESCRIPTION, priority=1),
    ],
    row=table_row,
)

EVENTS = ResourceType(
    group="",
    version="v1",
    kind="Event",
    plural="events",
    namespaced=True,
    short_names=("ev",),
    strategy=EventStrategy(),
    printer=PRINTER,
    field_selectors=CORE_FIELD_SELECTORS,
)

EVENTS_V1 = ResourceType(
    group="events.k8s.io",
    version="v1",
    kind="Event",
    plural="events",
    namespaced=True,
    short_names=("ev",),
    strategy=EventV1Strategy(),
    printer=PRINTER,
    field_selectors=V1_FIELD_SELECTORS,
    storage_resource=("", "events"),
    to_storage=to_storage,
    from_storage=from_storage,
)
