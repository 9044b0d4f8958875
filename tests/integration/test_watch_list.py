"""Watch-list (`sendInitialEvents`, v1.30 beta gate WatchList, off by default)."""

import json

import pytest
from conftest import start_thread_cluster

from uwernetes.features import FeatureGates

CM = "/api/v1/namespaces/default/configmaps"


def events(resp):
    return [json.loads(line) for line in resp.iter_lines() if line.strip()]


@pytest.fixture(scope="module")
def gated(tmp_path_factory):
    c, ts = start_thread_cluster(tmp_path_factory.mktemp("watchlist"), features=FeatureGates.parse("WatchList=true"))
    try:
        yield c
    finally:
        ts.stop()


def test_initial_events_then_end_bookmark(gated):
    api = gated.client()
    api.post(CM, json={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "wl", "labels": {"wl": "1"}}})
    params = {"watch": "true", "sendInitialEvents": "true", "resourceVersionMatch": "NotOlderThan",
              "allowWatchBookmarks": "true", "labelSelector": "wl=1", "timeoutSeconds": "1"}
    with api.stream("GET", CM, params=params) as r:
        got = events(r)
    assert [e["type"] for e in got[:2]] == ["ADDED", "BOOKMARK"]
    assert got[0]["object"]["metadata"]["name"] == "wl"
    assert got[1]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


def test_send_initial_events_needs_the_gate_and_not_older_than(cluster, gated):
    off = cluster.client().get(CM, params={"watch": "true", "sendInitialEvents": "true",
                                           "resourceVersionMatch": "NotOlderThan"})
    assert off.status_code == 422
    assert "sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled" in off.json()["message"]
    bad = gated.client().get(CM, params={"watch": "true", "sendInitialEvents": "true"})
    assert bad.status_code == 422
    assert "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan" in bad.json()["message"]
