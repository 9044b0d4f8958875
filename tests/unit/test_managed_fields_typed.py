"""Update managedFields follow the kind's schema: atomic lists and maps are leaves, map lists are
keyed by their declared keys, set lists by value (as upstream's typed field sets are)."""

from uwernetes.machinery import schemas
from uwernetes.machinery.managed_fields import record_update


def fields(obj, group, version, kind, old=None):
    schema = schemas.schema_for(group, version, kind)
    record_update(obj, old, "m", f"{group}/{version}" if group else version, schema=schema)
    return obj["metadata"]["managedFields"][0]["fieldsV1"]


def test_atomic_list_is_one_leaf():
    hpa = {"metadata": {"name": "h"}, "spec": {"maxReplicas": 3, "metrics": [
        {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}},
        {"type": "Resource", "resource": {"name": "memory", "target": {"type": "Utilization", "averageUtilization": 60}}}]}}
    assert fields(hpa, "autoscaling", "v2", "HorizontalPodAutoscaler")["f:spec"]["f:metrics"] == {}


def test_service_ports_keyed_by_port_and_protocol():
    svc = {"metadata": {"name": "s"}, "spec": {"ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}}
    ports = fields(svc, "", "v1", "Service")["f:spec"]["f:ports"]
    assert list(ports) == ['k:{"port":80,"protocol":"TCP"}']
    assert ports['k:{"port":80,"protocol":"TCP"}'] == {".": {}, "f:name": {}, "f:port": {}, "f:protocol": {}}


def test_atomic_map_and_set_list():
    pod = {"metadata": {"name": "p", "finalizers": ["a/b"]},
           "spec": {"nodeSelector": {"disk": "ssd"}, "containers": [{"name": "c", "image": "x"}]}}
    f = fields(pod, "", "v1", "Pod")
    assert f["f:spec"]["f:nodeSelector"] == {}
    assert f["f:metadata"]["f:finalizers"] == {'v:"a/b"': {}}
    assert f["f:spec"]["f:containers"] == {'k:{"name":"c"}': {".": {}, "f:image": {}, "f:name": {}}}


def test_update_owns_only_the_changed_item():
    old = {"metadata": {"name": "s"}, "spec": {"ports": [{"port": 80, "protocol": "TCP", "targetPort": 8080},
                                                      {"port": 443, "protocol": "TCP", "targetPort": 8443}]}}
    new = {"metadata": {"name": "s"}, "spec": {"ports": [{"port": 80, "protocol": "TCP", "targetPort": 9090},
                                                      {"port": 443, "protocol": "TCP", "targetPort": 8443}]}}
    changed = fields(new, "", "v1", "Service", old)
    assert changed == {"f:spec": {"f:ports": {'k:{"port":80,"protocol":"TCP"}': {"f:targetPort": {}}}}}
