import copy

import pytest

from uwernetes import features
from uwernetes.apiserver.resources import services
from uwernetes.apiserver.resources.base import Context
from uwernetes.machinery.errors import StatusError

S = services.SERVICES.strategy


def msgs(errs):
    return [str(e) for e in errs]


def make_svc(**spec):
    spec.setdefault("ports", [{"port": 80}])
    svc = {"metadata": {"name": "web", "namespace": "default"}, "spec": spec}
    S.default(svc)
    S.prepare_for_create(svc, Context())
    return svc


def test_defaults_cluster_ip_service():
    svc = make_svc(selector={"app": "web"})
    assert svc["spec"] == {
        "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}],
        "selector": {"app": "web"},
        "sessionAffinity": "None",
        "type": "ClusterIP",
        "internalTrafficPolicy": "Cluster",
        "ipFamilyPolicy": "SingleStack",
        "ipFamilies": ["IPv4"],
    }
    assert svc["status"] == {"loadBalancer": {}}


def test_defaults_node_port_and_load_balancer():
    np = make_svc(type="NodePort")
    assert np["spec"]["externalTrafficPolicy"] == "Cluster"
    lb = make_svc(type="LoadBalancer", sessionAffinity="ClientIP")
    assert lb["spec"]["allocateLoadBalancerNodePorts"] is True
    assert lb["spec"]["sessionAffinityConfig"] == {"clientIP": {"timeoutSeconds": 10800}}


def test_named_target_port_kept_and_cluster_ip_copied_to_plural():
    svc = make_svc(ports=[{"port": 80, "targetPort": "http"}], clusterIP="10.96.0.10")
    assert svc["spec"]["ports"][0]["targetPort"] == "http"
    assert svc["spec"]["clusterIPs"] == ["10.96.0.10"]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param({"ports": [{"port": 80}]}, [], id="valid"),
        pytest.param(
            {"ports": [{"port": 80}, {"port": 81}]},
            ["spec.ports[0].name: Required value", "spec.ports[1].name: Required value"],
            id="names required when several",
        ),
        pytest.param(
            {"ports": [{"name": "a", "port": 80}, {"name": "a", "port": 81}]},
            ['spec.ports[1].name: Duplicate value: "a"'],
            id="duplicate names",
        ),
        pytest.param(
            {"ports": [{"port": 70000}]},
            [
                "spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive",
                "spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
            ],
            id="port range (targetPort defaulted from it)",
        ),
        pytest.param(
            {"ports": [{"port": 80, "protocol": "ICMP"}]},
            ['spec.ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"'],
            id="protocol",
        ),
        pytest.param(
            {"type": "Magic"},
            ['spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"'],
            id="type",
        ),
        pytest.param({"ports": []}, ["spec.ports: Required value"], id="ports required"),
        pytest.param({"ports": [], "clusterIP": "None"}, [], id="headless without ports"),
        pytest.param(
            {"ports": [{"port": 80, "nodePort": 30080}]},
            ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"],
            id="nodePort on ClusterIP",
        ),
        pytest.param(
            {"selector": {"app": "a b"}},
            ["spec.selector: Invalid value: \"a b\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"],
            id="selector label value",
        ),
        pytest.param({"clusterIP": "abc"}, ["spec.clusterIPs[0]: Invalid value: \"abc\": must be empty, 'None', or a valid IP address"], id="bad cluster IP"),
        pytest.param({"type": "ExternalName", "externalName": "db.example.com.", "ports": []}, [], id="external name"),
        pytest.param({"type": "ExternalName", "ports": []}, ["spec.externalName: Required value"], id="external name required"),
        pytest.param(
            {"trafficDistribution": "PreferFar"},
            ['spec.trafficDistribution: Unsupported value: "PreferFar": supported values: "PreferClose"'],
            id="trafficDistribution value",
        ),
        pytest.param(
            {"externalTrafficPolicy": "Local"},
            ['spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services'],
            id="etp on ClusterIP",
        ),
    ],
)
def test_validate(spec, expected):
    svc = {"metadata": {"name": "web"}, "spec": {"ports": [{"port": 80}], **spec}}
    S.default(svc)
    services.normalize_cluster_ips(svc, None)
    services.init_ip_families(svc)
    assert msgs(S.validate(svc, Context())) == expected


def test_name_is_dns1035_label():
    assert S.name_check("1web")
    assert S.name_check("web-1") == []


def test_traffic_distribution_dropped_when_gate_off_unless_old_had_it():
    off = Context(features=features.FeatureGates())
    on = Context(features=features.FeatureGates({"ServiceTrafficDistribution": True}))
    svc = {"metadata": {"name": "w"}, "spec": {"ports": [{"port": 80}], "trafficDistribution": "PreferClose"}}
    a = copy.deepcopy(svc)
    S.prepare_for_create(a, off)
    assert "trafficDistribution" not in a["spec"]
    b = copy.deepcopy(svc)
    S.prepare_for_create(b, on)
    assert b["spec"]["trafficDistribution"] == "PreferClose"
    old = copy.deepcopy(b)
    new = copy.deepcopy(b)
    S.prepare_for_update(new, old, off)
    assert new["spec"]["trafficDistribution"] == "PreferClose"


def test_update_cluster_ip_immutable():
    old = make_svc(clusterIP="10.96.0.10")
    new = copy.deepcopy(old)
    new["spec"]["clusterIP"] = "10.96.0.11"
    S.prepare_for_update(new, old, Context())
    assert new["spec"]["clusterIPs"] == ["10.96.0.11"]
    assert msgs(S.validate_update(new, old, Context())) == [
        'spec.clusterIPs[0]: Invalid value: []string{"10.96.0.11"}: may not change once set'
    ]


def test_update_without_allocated_values_keeps_them():
    old = make_svc(type="NodePort", clusterIP="10.96.0.10")
    old["spec"]["ports"][0]["nodePort"] = 30080
    new = {"metadata": {"name": "web"}, "spec": {"type": "NodePort", "ports": [{"port": 80}]}}
    S.default(new)
    S.prepare_for_update(new, old, Context())
    assert new["spec"]["clusterIP"] == "10.96.0.10"
    assert new["spec"]["clusterIPs"] == ["10.96.0.10"]
    assert new["spec"]["ports"][0]["nodePort"] == 30080
    assert S.validate_update(new, old, Context()) == []


def test_changing_to_cluster_ip_drops_node_ports():
    old = make_svc(type="NodePort", clusterIP="10.96.0.10")
    old["spec"]["ports"][0]["nodePort"] = 30080
    new = copy.deepcopy(old)
    new["spec"]["type"] = "ClusterIP"
    S.prepare_for_update(new, old, Context())
    assert "nodePort" not in new["spec"]["ports"][0]
    assert "externalTrafficPolicy" not in new["spec"]
    assert S.validate_update(new, old, Context()) == []


# --- allocators ---


def test_allocate_cluster_ip_skips_kubernetes_address_and_prefers_upper_band():
    ip = services.allocate_cluster_ip(set())
    assert ip == "10.96.1.1"
    assert services.allocate_cluster_ip({"10.96.1.1"}) == "10.96.1.2"
    assert services.allocate_cluster_ip(set(), requested="10.96.0.1") == "10.96.0.1"
    assert services.allocate_cluster_ip(set(), "10.0.0.0/29") == "10.0.0.2"


@pytest.mark.parametrize(
    ("used", "requested", "message"),
    [
        pytest.param(
            set(),
            "10.0.0.5",
            'Service "web" is invalid: spec.clusterIPs: Invalid value: []string{"10.0.0.5"}: failed to allocate IP 10.0.0.5: '
            "the provided IP (10.0.0.5) is not in the valid range. The range of valid IPs is 10.96.0.0/12",
            id="out of range",
        ),
        pytest.param(
            {"10.96.0.10"},
            "10.96.0.10",
            'Service "web" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.10"}: failed to allocate IP 10.96.0.10: '
            "provided IP is already allocated",
            id="in use",
        ),
    ],
)
def test_allocate_cluster_ip_errors(used, requested, message):
    with pytest.raises(StatusError) as exc:
        services.allocate_cluster_ip(used, requested=requested, name="web")
    assert exc.value.code == 422
    assert exc.value.message == message


def test_allocate_cluster_ip_full():
    with pytest.raises(StatusError) as exc:
        services.allocate_cluster_ip({"10.0.0.2", "10.0.0.3"}, "10.0.0.0/30")
    assert exc.value.code == 500


def test_allocate_node_ports_fills_missing_and_shares_across_protocols():
    svc = make_svc(type="NodePort", ports=[{"name": "dns", "port": 53, "protocol": "UDP"}, {"name": "dns-tcp", "port": 53, "protocol": "TCP"}, {"name": "web", "port": 80}])
    services.allocate_node_ports(svc, {30086})
    assert [p["nodePort"] for p in svc["spec"]["ports"]] == [30087, 30087, 30088]


def test_allocate_node_ports_respects_request():
    svc = make_svc(type="NodePort", ports=[{"port": 80, "nodePort": 30080}])
    services.allocate_node_ports(svc, set())
    assert svc["spec"]["ports"][0]["nodePort"] == 30080


@pytest.mark.parametrize(
    ("port", "used", "detail"),
    [
        pytest.param(30080, {30080}, "provided port is already allocated", id="in use"),
        pytest.param(80, set(), "provided port is not in the valid range. The range of valid ports is 30000-32767", id="out of range"),
    ],
)
def test_allocate_node_ports_errors(port, used, detail):
    svc = make_svc(type="NodePort", ports=[{"port": 80, "nodePort": port}])
    with pytest.raises(StatusError) as exc:
        services.allocate_node_ports(svc, used)
    assert exc.value.message == f'Service "web" is invalid: spec.ports[0].nodePort: Invalid value: {port}: {detail}'


def test_cluster_ip_services_get_no_node_ports():
    svc = make_svc()
    services.allocate_node_ports(svc, set())
    assert "nodePort" not in svc["spec"]["ports"][0]


def test_health_check_node_port_for_local_lb():
    svc = make_svc(type="LoadBalancer", externalTrafficPolicy="Local")
    services.allocate_node_ports(svc, set())
    assert svc["spec"]["ports"][0]["nodePort"] == 30086
    assert svc["spec"]["healthCheckNodePort"] == 30087


# --- printer ---


@pytest.mark.parametrize(
    ("svc", "cells"),
    [
        pytest.param(
            {"metadata": {"name": "kubernetes"}, "spec": {"type": "ClusterIP", "clusterIPs": ["10.96.0.1"], "ports": [{"port": 443, "protocol": "TCP"}]}},
            ["kubernetes", "ClusterIP", "10.96.0.1", "<none>", "443/TCP"],
            id="cluster ip",
        ),
        pytest.param(
            {"metadata": {"name": "np"}, "spec": {"type": "NodePort", "clusterIPs": ["10.96.5.5"], "selector": {"b": "2", "a": "1"},
                                                   "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}]}},
            ["np", "NodePort", "10.96.5.5", "<none>", "80:30080/TCP,53/UDP"],
            id="node port",
        ),
        pytest.param(
            {"metadata": {"name": "lb"}, "spec": {"type": "LoadBalancer", "clusterIPs": ["10.96.5.6"], "ports": [{"port": 80, "nodePort": 31000, "protocol": "TCP"}]}},
            ["lb", "LoadBalancer", "10.96.5.6", "<pending>", "80:31000/TCP"],
            id="pending lb",
        ),
        pytest.param(
            {"metadata": {"name": "lb"}, "spec": {"type": "LoadBalancer", "clusterIPs": ["10.96.5.6"], "externalIPs": ["5.6.7.8"], "ports": []},
             "status": {"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}, {"hostname": "lb.example.com"}]}}},
            ["lb", "LoadBalancer", "10.96.5.6", "1.2.3.4,lb.example.com,5.6.7.8", "<none>"],
            id="lb with ingress",
        ),
        pytest.param(
            {"metadata": {"name": "db"}, "spec": {"type": "ExternalName", "externalName": "db.example.com"}},
            ["db", "ExternalName", "<none>", "db.example.com", "<none>"],
            id="external name",
        ),
    ],
)
def test_printer_row(svc, cells):
    row = services.table_row(svc)
    assert row[:5] == cells


def test_printer_selector_wide_column():
    svc = {"metadata": {"name": "np"}, "spec": {"type": "ClusterIP", "selector": {"b": "2", "a": "1"}}}
    assert services.table_row(svc)[6] == "a=1,b=2"
    assert services.table_row({"metadata": {"name": "x"}, "spec": {}})[6] == "<none>"
    assert [(c.name, c.priority) for c in services.PRINTER.columns] == [
        ("Name", 0), ("Type", 0), ("Cluster-IP", 0), ("External-IP", 0), ("Port(s)", 0), ("Age", 0), ("Selector", 1)
    ]
    assert services.SERVICES.categories == ("all",)
    assert services.SERVICES.short_names == ("svc",)
