"""Pure StatefulSet controller helpers and ControllerRevision history."""

from datetime import UTC, datetime

import pytest

from uwernetes.controllers import history
from uwernetes.controllers import statefulset as ssc

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def sts(**spec):
    return {"metadata": {"name": "web", "namespace": "default", "uid": "u1"},
            "spec": {"replicas": 3, "serviceName": "nginx", "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "c", "image": "i"}],
                                           "volumes": [{"name": "data", "emptyDir": {}}]}},
                     **spec},
            "status": {}}


def pod(name, rev, phase="Running", ready=True, deleting=False):
    p = {"metadata": {"name": name, "labels": {"controller-revision-hash": rev}},
         "status": {"phase": phase, "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}
    if deleting:
        p["metadata"]["deletionTimestamp"] = "2024-05-01T11:00:00Z"
    return p


def test_new_pod_identity_and_storage():
    s = sts(volumeClaimTemplates=[{"metadata": {"name": "data"}, "spec": {}}])
    p = ssc.new_pod(s, s["spec"]["template"], "web-abc", 2, index_label=True)
    m = p["metadata"]
    assert m["name"] == "web-2" and "generateName" not in m
    assert m["labels"] == {"app": "web", "statefulset.kubernetes.io/pod-name": "web-2",
                           "apps.kubernetes.io/pod-index": "2", "controller-revision-hash": "web-abc"}
    assert (p["spec"]["hostname"], p["spec"]["subdomain"]) == ("web-2", "nginx")
    # The claim template replaces a pod volume of the same name.
    assert p["spec"]["volumes"] == [{"name": "data", "persistentVolumeClaim": {"claimName": "data-web-2"}}]
    assert ssc.parent_and_ordinal(p) == ("web", 2)
    claims = ssc.new_claims(s, 2)
    assert [(c["metadata"]["name"], c["metadata"]["labels"]) for c in claims] == [("data-web-2", {"app": "web"})]


@pytest.mark.parametrize(
    ("strategy", "current_replicas", "ordinal", "expected"),
    [
        pytest.param({"type": "RollingUpdate", "rollingUpdate": {"partition": 2}}, 0, 1, True, id="below partition"),
        pytest.param({"type": "RollingUpdate", "rollingUpdate": {"partition": 2}}, 0, 2, False, id="at partition"),
        pytest.param({"type": "RollingUpdate"}, 2, 1, True, id="no partition: below currentReplicas"),
        pytest.param({"type": "RollingUpdate"}, 2, 2, False, id="no partition: above currentReplicas"),
        pytest.param({"type": "OnDelete"}, 3, 0, False, id="OnDelete recreates at the update revision"),
    ],
)
def test_uses_current_revision(strategy, current_replicas, ordinal, expected):
    s = sts(updateStrategy=strategy)
    s["status"]["currentReplicas"] = current_replicas
    assert ssc.uses_current_revision(s, ordinal) is expected


def test_compute_status_and_complete_rolling_update():
    pods = [pod("web-0", "r1"), pod("web-1", "r2"), pod("web-2", "r2", ready=False), pod("web-3", "r1", deleting=True),
            {"metadata": {"name": "web-4", "labels": {"controller-revision-hash": "r2"}}}]
    st = ssc.compute_status(sts(), pods, "r1", "r2", 0, NOW)
    assert st == {"replicas": 4, "readyReplicas": 3, "availableReplicas": 3, "currentReplicas": 1, "updatedReplicas": 2}
    done = {"replicas": 3, "readyReplicas": 3, "availableReplicas": 3, "currentReplicas": 0, "updatedReplicas": 3,
            "currentRevision": "r1", "updateRevision": "r2"}
    ssc.complete_rolling_update(sts(updateStrategy={"type": "RollingUpdate"}), done)
    assert (done["currentRevision"], done["currentReplicas"]) == ("r2", 3)
    waiting = dict(done, readyReplicas=2, currentRevision="r1", currentReplicas=0)
    ssc.complete_rolling_update(sts(updateStrategy={"type": "RollingUpdate"}), waiting)
    assert waiting["currentRevision"] == "r1"


def test_revision_data_round_trip_and_naming():
    s = sts()
    data = history.revision_data(s["spec"]["template"])
    assert data["spec"]["template"]["$patch"] == "replace"
    assert history.template_of({"data": data}) == s["spec"]["template"]
    rev = history.new_revision(s, "apps/v1", "StatefulSet", {"app": "web"}, data, 4, None)
    h = rev["metadata"]["labels"][history.HASH_LABEL]
    assert rev["metadata"]["name"] == f"web-{h}" and rev["revision"] == 4
    assert rev["metadata"]["ownerReferences"][0]["controller"] is True
    # A collision count changes the hash; the same inputs give the same hash.
    assert history.hash_revision(data, None) == h != history.hash_revision(data, 1)
    assert set(h) <= set("bcdfghjklmnpqrstvwxz2456789")


def test_history_to_drop_keeps_live_and_newest():
    revs = [{"metadata": {"name": f"r{i}"}, "revision": i} for i in (3, 1, 2, 5, 4)]
    assert [r["metadata"]["name"] for r in history.history_to_drop(revs, {"r1", "r5"}, 1)] == ["r2", "r3"]
    assert history.history_to_drop(revs, set(), 10) == []
