"""EndpointSlice validation (pkg/apis/discovery/validation) and printing (printEndpointSlice)."""

import pytest

from uwernetes.apiserver.resources import endpointslices as es
from uwernetes.apiserver.resources.base import Context

S = es.ENDPOINTSLICES.strategy


def eps(address_type="IPv4", addresses=("10.0.0.1",), **kw):
    obj = {"metadata": {"name": "s", "namespace": "default"}, "addressType": address_type,
           "endpoints": [{"addresses": list(addresses)}], **kw}
    S.default(obj)
    return obj


def msgs(obj):
    return [str(e) for e in S.validate(obj, Context())]


@pytest.mark.parametrize(("obj", "expected"), [
    pytest.param(eps(), [], id="valid IPv4"),
    pytest.param(eps("IPv6", ["2001:db8::1"]), [], id="valid IPv6"),
    pytest.param(eps("FQDN", ["foo.example.com."]), [], id="valid FQDN"),
    pytest.param(eps(""), ["addressType: Required value"], id="missing addressType"),
    pytest.param(eps("IPv5"), ['addressType: Unsupported value: "IPv5": supported values: "FQDN", "IPv4", "IPv6"'],
                 id="bad addressType"),
    pytest.param(eps("IPv4", ["2001:db8::1"]), ['endpoints[0].addresses[0]: Invalid value: "2001:db8::1": must be a '
                                                "valid IPv4 address"], id="IPv6 in an IPv4 slice"),
    pytest.param(eps("IPv6", ["::ffff:10.0.0.1"]), ['endpoints[0].addresses[0]: Invalid value: "::ffff:10.0.0.1": '
                                                    "must be a valid IPv6 address"], id="mapped IPv4 is not IPv6"),
    pytest.param(eps("IPv4", ["nope"]), ['endpoints[0].addresses[0]: Invalid value: "nope": must be a valid IPv4 address',
                                         'endpoints[0].addresses[0]: Invalid value: "nope": must be a valid IP address'],
                 id="not an IP"),
    pytest.param(eps("IPv4", ["127.0.0.1", "169.254.1.1", "0.0.0.0", "224.0.0.5"]), [
        'endpoints[0].addresses[0]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
        'endpoints[0].addresses[1]: Invalid value: "169.254.1.1": may not be in the link-local range '
        "(169.254.0.0/16, fe80::/10)",
        'endpoints[0].addresses[2]: Invalid value: "0.0.0.0": may not be unspecified (0.0.0.0)',
        'endpoints[0].addresses[3]: Invalid value: "224.0.0.5": may not be in the link-local multicast range '
        "(224.0.0.0/24, ff02::/10)",
    ], id="special ranges"),
    pytest.param(eps("FQDN", ["localhost"]), ['endpoints[0].addresses[0]: Invalid value: "localhost": should be a domain '
                                              "with at least two segments separated by dots"], id="one-label FQDN"),
    pytest.param(eps(addresses=[]), ["endpoints[0].addresses: Required value: must contain at least 1 address"],
                 id="no addresses"),
    pytest.param(eps(addresses=[f"10.0.{i // 250}.{i % 250 + 1}" for i in range(101)]),
                 ["endpoints[0].addresses: Too many: 101: must have at most 100 items"], id="too many addresses"),
    pytest.param(eps(ports=[{"name": "http", "port": 80}, {"name": "http", "port": 81, "protocol": "ICMP"},
                            {"name": "Bad", "appProtocol": "bad proto"}]), [
        'ports[1].name: Duplicate value: "http"',
        'ports[1].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
        "ports[2].name: Invalid value: \"Bad\": a lowercase RFC 1123 label must consist of lower case alphanumeric "
        "characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
        "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
        "ports[2].appProtocol: Invalid value: \"bad proto\": name part must consist of alphanumeric characters, '-', "
        "'_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
        "'123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    ], id="ports"),
])
def test_validate(obj, expected):
    assert msgs(obj) == expected


def test_too_many_endpoints_and_hints():
    many = eps()
    many["endpoints"] = [{"addresses": ["10.0.0.1"]}] * 1001
    assert msgs(many) == ["endpoints: Too many: 1001: must have at most 1000 items"]
    hinted = eps()
    hinted["endpoints"][0]["hints"] = {"forZones": [{"name": "a"}, {"name": "a"}, {"name": "b c"}]}
    assert msgs(hinted)[:1] == ['endpoints[0].hints.forZones[1].name: Duplicate value: "a"']
    assert msgs(hinted)[1].startswith('endpoints[0].hints.forZones[2].name: Invalid value: "b c": a valid label must')
    hinted["endpoints"][0]["hints"] = {"forZones": [{"name": f"z{i}"} for i in range(9)]}
    assert msgs(hinted) == ["endpoints[0].hints.forZones: Too many: 9: must have at most 8 items"]


def test_defaults_and_immutable_address_type():
    obj = eps(ports=[{"port": 80}])
    assert obj["ports"] == [{"port": 80, "name": "", "protocol": "TCP"}]
    assert [str(e) for e in S.validate_update(eps("FQDN", ["a.example.com"]), eps(), Context())] == [
        'addressType: Invalid value: "FQDN": field is immutable'
    ]


@pytest.mark.parametrize(("ports", "addresses", "cells"), [
    pytest.param([], [], ["<unset>", "<unset>"], id="empty"),
    pytest.param([{"port": 80}, {"name": "dns"}, {}], ["10.0.0.1", "10.0.0.2"], ["80,dns,*", "10.0.0.1,10.0.0.2"],
                 id="port, name, wildcard"),
    pytest.param([{"port": p} for p in (1, 2, 3, 4, 5)], [f"10.0.0.{i}" for i in range(1, 5)],
                 ["1,2,3 + 2 more...", "10.0.0.1,10.0.0.2,10.0.0.3 + 1 more..."], id="more"),
])
def test_table_row(ports, addresses, cells):
    obj = {"metadata": {"name": "s"}, "addressType": "IPv4", "ports": ports,
           "endpoints": [{"addresses": addresses[:2]}, {"addresses": addresses[2:]}]}
    assert es.table_row(obj) == ["s", "IPv4", *cells, "<unknown>"]
