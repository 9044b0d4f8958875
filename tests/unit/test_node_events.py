"""The node agent's event recorder: event shape (kubelet source, container fieldPath) and the
aggregation of repeats into `count`."""

from __future__ import annotations

import asyncio

import pytest

from uwernetes.node import events

POD = {"metadata": {"name": "web", "namespace": "ns", "uid": "u1", "resourceVersion": "7"},
       "spec": {"initContainers": [{"name": "proxy", "restartPolicy": "Always"}], "containers": [{"name": "app"}]}}


@pytest.mark.parametrize("container,want", [
    ("app", "spec.containers{app}"), ("proxy", "spec.initContainers{proxy}"), ("gone", "spec.containers{gone}"),
])
def test_field_path(container, want):
    assert events.field_path(POD, container) == want


def test_make_event():
    ev = events.make_event(POD, "app", "Warning", "Unhealthy", "Liveness probe failed: x", node="n1",
                           now="2024-01-01T00:00:00Z", name_suffix=255)
    assert ev["metadata"] == {"name": "web.ff", "namespace": "ns"}
    assert ev["involvedObject"] == {"kind": "Pod", "namespace": "ns", "name": "web", "uid": "u1", "apiVersion": "v1",
                                    "resourceVersion": "7", "fieldPath": "spec.containers{app}"}
    assert (ev["type"], ev["reason"], ev["message"], ev["count"]) == ("Warning", "Unhealthy", "Liveness probe failed: x", 1)
    assert ev["source"] == {"component": "kubelet", "host": "n1"}
    assert (ev["reportingComponent"], ev["reportingInstance"]) == ("kubelet", "n1")


class FakeClient:
    def __init__(self):
        self.calls = []

    async def create(self, resource, body, namespace=None):
        self.calls.append(("create", body["metadata"]["name"], body["count"]))
        return body

    async def patch(self, resource, name, body, namespace=None, patch_type="merge"):
        self.calls.append(("patch", name, body["count"]))
        return body


def test_repeats_bump_count_of_the_first_event():
    async def main():
        client = FakeClient()
        rec = events.EventRecorder(client)
        rec.record(POD, "app", "Warning", "Unhealthy", "m", node="n1")
        rec.record(POD, "app", "Warning", "Unhealthy", "m", node="n1")  # create still in flight: counted only
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        rec.record(POD, "app", "Warning", "Unhealthy", "m", node="n1")
        rec.record(POD, "app", "Normal", "Killing", "k", node="n1")
        await asyncio.sleep(0)
        await rec.stop()
        return client.calls
    calls = asyncio.run(main())
    name = calls[0][1]
    assert [(verb, n == name, count) for verb, n, count in calls] == [
        ("create", True, 1), ("patch", True, 3), ("create", False, 1)]
