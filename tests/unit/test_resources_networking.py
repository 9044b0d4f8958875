"""networking.k8s.io/v1: Ingress, IngressClass and NetworkPolicy validation, defaults and printing."""

import pytest

from uwernetes.apiserver.resources import ingressclasses, ingresses, networkpolicies
from uwernetes.apiserver.resources.base import Context


def msgs(errs):
    return [str(e) for e in errs]


def ing(rules=None, **spec):
    return {"metadata": {"name": "web", "namespace": "default"}, "spec": {"rules": rules, **spec} if rules is not None
            else dict(spec)}


def http(*paths):
    return {"http": {"paths": list(paths)}}


def path(p="/", path_type="Prefix", **backend):
    out = {"path": p, "backend": backend or {"service": {"name": "web", "port": {"number": 80}}}}
    if path_type is not None:
        out["pathType"] = path_type
    return out


@pytest.mark.parametrize(("obj", "expected"), [
    pytest.param(ing([{"host": "a.example.com", **http(path())}]), [], id="valid"),
    pytest.param(ing(), ["spec: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must "
                         "be specified"], id="nothing to route"),
    pytest.param(ing([http(path(path_type=None))]), ["spec.rules[0].http.paths[0].pathType: Required value: pathType "
                                                     "must be specified"], id="pathType required"),
    pytest.param(ing([http(path(path_type="Regex"))]),
                 ['spec.rules[0].http.paths[0].pathType: Unsupported value: "Regex": supported values: "Exact", '
                  '"ImplementationSpecific", "Prefix"'], id="pathType unsupported"),
    pytest.param(ing([http(path("a//b/.", "Exact"))]), [
        'spec.rules[0].http.paths[0].path: Invalid value: "a//b/.": must be an absolute path',
        "spec.rules[0].http.paths[0].path: Invalid value: \"a//b/.\": must not contain '//'",
        "spec.rules[0].http.paths[0].path: Invalid value: \"a//b/.\": cannot end with '/.'",
    ], id="bad exact path"),
    pytest.param(ing([http(path(service={"name": "web", "port": {}}))]),
                 ["spec.rules[0].http.paths[0].backend: Required value: port name or number is required"],
                 id="port missing"),
    pytest.param(ing([http(path(service={"name": "web", "port": {"name": "http", "number": 80}}))]),
                 ['spec.rules[0].http.paths[0].backend: Invalid value: "": cannot set both port name & port number'],
                 id="both ports"),
    pytest.param(ing([http(path(service={"port": {"number": 70000}}))]), [
        "spec.rules[0].http.paths[0].backend.service.name: Required value",
        "spec.rules[0].http.paths[0].backend.service.port.number: Invalid value: 70000: must be between 1 and 65535, "
        "inclusive",
    ], id="service name and port range"),
    pytest.param(ing(defaultBackend={}), ['spec.defaultBackend: Invalid value: "": resource or service backend is '
                                          "required"], id="empty default backend"),
    pytest.param(ing([{"host": "10.0.0.1", **http(path())}]), [
        'spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address'], id="IP host"),
    pytest.param(ing([{"host": "*.example.com", **http(path())}]), [], id="wildcard host"),
])
def test_ingress_validation(obj, expected):
    assert msgs(ingresses.INGRESSES.strategy.validate(obj, Context())) == expected


def test_ingress_class_annotation_must_match():
    obj = ing([http(path())], ingressClassName="nginx")
    obj["metadata"]["annotations"] = {"kubernetes.io/ingress.class": "traefik"}
    assert msgs(ingresses.INGRESSES.strategy.validate(obj, Context())) == [
        'annotations.kubernetes.io/ingress.class: Invalid value: "traefik": must match `ingressClassName` when both '
        "are specified"]


@pytest.mark.parametrize(("spec", "status", "cells"), [
    pytest.param({"defaultBackend": {}}, None, ["<none>", "*", "", "80"], id="catch-all"),
    pytest.param({"ingressClassName": "nginx", "tls": [{"hosts": ["a"]}],
                  "rules": [{"host": h} for h in ("a", "b", "", "c", "d")]},
                 {"loadBalancer": {"ingress": [{"ip": "10.0.0.2"}, {"hostname": "lb.example.com"}]}},
                 ["nginx", "a,b,c + 2 more...", "10.0.0.2,lb.example.com", "80, 443"], id="busy"),
])
def test_ingress_row(spec, status, cells):
    obj = {"metadata": {"name": "web"}, "spec": spec, "status": status}
    assert ingresses.table_row(obj) == ["web", *cells, "<unknown>"]


def test_ingress_class():
    s = ingressclasses.INGRESSCLASSES.strategy
    obj = {"metadata": {"name": "nginx"}, "spec": {"controller": "example.com/ingress",
                                                   "parameters": {"kind": "Config", "name": "x", "apiGroup": "k8s.io"}}}
    s.default(obj)
    assert obj["spec"]["parameters"]["scope"] == "Cluster" and s.validate(obj, Context()) == []
    assert ingressclasses.table_row(obj) == ["nginx", "example.com/ingress", "Config.k8s.io/x", "<unknown>"]
    bad = {"metadata": {"name": "x"}, "spec": {"controller": "nginx", "parameters": {"kind": "", "name": "a/b",
                                                                                      "scope": "Namespace"}}}
    assert msgs(s.validate(bad, Context())) == [
        'spec.controller: Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")',
        "spec.parameters.kind: Required value: kind is required",
        "spec.parameters.name: Invalid value: \"a/b\": may not contain '/'",
        "spec.parameters.namespace: Required value: `parameters.scope` is set to 'Namespace'",
    ]
    changed = {"metadata": {"name": "nginx"}, "spec": {"controller": "example.com/other"}}
    assert msgs(s.validate_update(changed, obj, Context())) == [
        'spec.controller: Invalid value: "example.com/other": field is immutable']


def netpol(**spec):
    obj = {"metadata": {"name": "np", "namespace": "default"}, "spec": {"podSelector": {}, **spec}}
    networkpolicies.NETWORKPOLICIES.strategy.default(obj)
    return obj


def test_network_policy_defaults():
    assert netpol()["spec"]["policyTypes"] == ["Ingress"]
    egress = netpol(egress=[{"ports": [{"port": 53}]}])
    assert egress["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert egress["spec"]["egress"][0]["ports"] == [{"port": 53, "protocol": "TCP"}]
    assert netpol(policyTypes=["Egress"], egress=[{}])["spec"]["policyTypes"] == ["Egress"]


@pytest.mark.parametrize(("obj", "expected"), [
    pytest.param(netpol(ingress=[{"from": [{"podSelector": {}}, {"ipBlock": {"cidr": "10.0.0.0/16",
                                                                             "except": ["10.0.1.0/24"]}}]}]),
                 [], id="valid"),
    pytest.param(netpol(ingress=[{"from": [{}]}]), ["spec.ingress[0].from[0]: Required value: must specify a peer"],
                 id="empty peer"),
    pytest.param(netpol(egress=[{"to": [{"podSelector": {}, "ipBlock": {"cidr": "10.0.0.0/8"}}]}]),
                 ["spec.egress[0].to[0]: Forbidden: may not specify both ipBlock and another peer"], id="ipBlock mix"),
    pytest.param(netpol(ingress=[{"from": [{"ipBlock": {"cidr": "10.0.0.0/16", "except": ["10.1.0.0/24", "x"]}}]}]), [
        'spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: "10.1.0.0/24": must be a strict subset of `cidr`',
        'spec.ingress[0].from[0].ipBlock.except[1]: Invalid value: "x": must be a valid CIDR value, (e.g. '
        "10.9.8.0/24 or 2001:db8::/64)",
    ], id="except outside cidr"),
    pytest.param(netpol(ingress=[{"ports": [{"port": 80, "endPort": 70}, {"port": "http", "endPort": 90},
                                            {"endPort": 5, "protocol": "ICMP"}]}]), [
        "spec.ingress[0].ports[0].endPort: Invalid value: 80: must be greater than or equal to `port`",
        "spec.ingress[0].ports[1].endPort: Invalid value: 90: may not be specified when `port` is non-numeric",
        'spec.ingress[0].ports[2].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"',
        "spec.ingress[0].ports[2].endPort: Invalid value: 5: may not be specified when `port` is not specified",
    ], id="ports"),
    pytest.param(netpol(policyTypes=["Ingress", "Sideways"]),
                 ['spec.policyTypes[1]: Unsupported value: "Sideways": supported values: "Ingress", "Egress"'],
                 id="policy type"),
])
def test_network_policy_validation(obj, expected):
    assert msgs(networkpolicies.NETWORKPOLICIES.strategy.validate(obj, Context())) == expected


def test_network_policy_row():
    obj = netpol(podSelector={"matchLabels": {"app": "web"}})
    assert networkpolicies.table_row(obj) == ["np", "app=web", "<unknown>"]
    assert networkpolicies.table_row(netpol())[1] == "<none>"
