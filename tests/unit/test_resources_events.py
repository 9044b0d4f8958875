from datetime import UTC, datetime

import pytest

from uwernetes.apiserver.resources import events
from uwernetes.apiserver.resources.base import Context

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def msgs(errs):
    return [str(e) for e in errs]


def kopf_event() -> dict:
    return {
        "metadata": {"namespace": "default", "generateName": "kopf-event-", "name": "kopf-event-x"},
        "action": "Action?", "type": "Normal", "reason": "Logging", "message": "hello",
        "reportingComponent": "kopf", "reportingInstance": "dev", "source": {"component": "kopf"},
        "involvedObject": {"apiVersion": "example.com/v1", "kind": "Widget", "name": "w", "uid": "u", "namespace": "default"},
        "firstTimestamp": "2024-05-01T11:59:42.604747+00:00",
        "lastTimestamp": "2024-05-01T11:59:42.604747+00:00",
        "eventTime": "2024-05-01T11:59:42.604747+00:00",
    }


def test_kopf_event_is_accepted_and_timestamps_normalised():
    ev = kopf_event()
    s = events.EVENTS.strategy
    s.default(ev)
    assert ev["firstTimestamp"] == "2024-05-01T11:59:42Z"
    assert ev["eventTime"] == "2024-05-01T11:59:42.604747Z"
    assert s.validate(ev, Context()) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param({"involvedObject": {"kind": "Pod", "name": "p", "namespace": "other"}}, [], id="namespace mismatch allowed with eventTime"),
        pytest.param(
            {"metadata": {"namespace": "team", "name": "e"}, "involvedObject": {"kind": "Node", "name": "n1"}},
            ['involvedObject.namespace: Invalid value: "": does not match event.namespace'],
            id="cluster-scoped object outside default",
        ),
        pytest.param({"reportingComponent": ""}, ["reportingComponent: Required value", "reportingComponent: Invalid value: \"\": name part must be non-empty"], id="reporting component required"),
        pytest.param({"action": ""}, ["action: Required value"], id="action required"),
        pytest.param({"reason": "r" * 129}, ['reason: Invalid value: "": can have at most 128 characters'], id="reason too long"),
    ],
)
def test_legacy_validation_with_event_time(change, expected):
    ev = {**kopf_event(), **change}
    assert msgs(events.EVENTS.strategy.validate(ev, Context())) == expected


def test_old_style_event_without_event_time_needs_little():
    ev = {"metadata": {"namespace": "default", "name": "x"}, "involvedObject": {"kind": "Pod", "name": "p"}, "reason": "Started"}
    assert events.EVENTS.strategy.validate(ev, Context()) == []
    ev["involvedObject"]["namespace"] = "other"
    assert msgs(events.EVENTS.strategy.validate(ev, Context())) == [
        'involvedObject.namespace: Invalid value: "other": does not match event.namespace'
    ]


def test_converters_round_trip():
    core = kopf_event()
    events.normalize_times(core)
    v1 = events.from_storage({"apiVersion": "v1", "kind": "Event", **core})
    assert v1["apiVersion"] == "events.k8s.io/v1"
    assert v1["note"] == "hello"
    assert v1["regarding"]["kind"] == "Widget"
    assert v1["reportingController"] == "kopf"
    assert v1["deprecatedSource"] == {"component": "kopf"}
    assert v1["deprecatedFirstTimestamp"] == "2024-05-01T11:59:42Z"
    assert "message" not in v1 and "involvedObject" not in v1
    assert events.to_storage(v1) == {"apiVersion": "v1", "kind": "Event", **core}


def test_events_v1_strict_validation():
    s = events.EVENTS_V1.strategy
    ev = {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"namespace": "default", "name": "e"},
          "eventTime": "2024-05-01T11:59:42.000001Z", "reportingController": "ctl", "reportingInstance": "i",
          "action": "Do", "reason": "Because", "type": "Bad", "regarding": {"kind": "Pod", "namespace": "default", "name": "p"},
          "deprecatedCount": 3}
    assert msgs(s.validate(ev, Context())) == ['type: Invalid value: "": has invalid value: Bad', 'count: Invalid value: "": needs to be unset']
    ev.update(type="Normal")
    del ev["deprecatedCount"]
    assert s.validate(ev, Context()) == []
    changed = {**ev, "note": "other"}
    assert msgs(s.validate_update(changed, ev, Context())) == ['message: Invalid value: "other": field is immutable']


def test_field_selectors():
    ev = kopf_event()
    assert events.EVENTS.field_selectors["involvedObject.kind"](ev) == "Widget"
    assert events.EVENTS.field_selectors["source"](ev) == "kopf"
    assert events.EVENTS.field_selectors["reportingComponent"](ev) == "kopf"
    v1 = events.from_storage(ev)
    assert events.EVENTS_V1.field_selectors["regarding.name"](v1) == "w"
    assert events.EVENTS_V1.storage_prefix == "/registry/events/"


def test_printer_rows():
    ev = kopf_event()
    events.normalize_times(ev)
    assert events.table_row(ev, NOW) == ["18s", "Normal", "Logging", "widget/w", "", "kopf, dev", "hello", "18s", 1, "kopf-event-x"]
    series = {"metadata": {"name": "s"}, "type": "Warning", "reason": "BackOff", "involvedObject": {"kind": "Pod"},
              "eventTime": "2024-05-01T11:00:00.000000Z", "reportingComponent": "kubelet",
              "series": {"count": 5, "lastObservedTime": "2024-05-01T11:58:00.000000Z"}, "message": " restarting \n"}
    assert events.table_row(series, NOW) == ["2m", "Warning", "BackOff", "pod", "", "kubelet", "restarting", "60m", 5, "s"]
    assert [(c.name, c.priority) for c in events.PRINTER.columns] == [
        ("Last Seen", 0), ("Type", 0), ("Reason", 0), ("Object", 0), ("Subobject", 1), ("Source", 1),
        ("Message", 0), ("First Seen", 1), ("Count", 1), ("Name", 1),
    ]
