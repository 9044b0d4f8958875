"""Protobuf request bodies: real kubectl 1.32 bodies decode to exactly the JSON kubectl itself prints for
the same object, plus wire-format edge cases built with a tiny encoder."""

from __future__ import annotations

import pytest

from uwernetes.apiserver import negotiation
from uwernetes.machinery import errors, protobuf

# (kubectl 1.32 command, its protobuf body as hex, `kubectl ... --dry-run=client -o json` of the same command)
KUBECTL_132 = [
    ('create configmap x --from-literal=a=b --from-literal=c=d',
     '6b3873000a0f0a0276311209436f6e6669674d617012230a110a017812001a0022002a0032003800420012060a0161120162'
     '12060a01631201641a002200',
     {'kind': 'ConfigMap',
      'apiVersion': 'v1',
      'metadata': {'name': 'x', 'creationTimestamp': None},
      'data': {'a': 'b', 'c': 'd'}}),
    ('create namespace ns2',
     '6b3873000a0f0a02763112094e616d657370616365121b0a130a036e733212001a0022002a0032003800420012001a020a00'
     '1a002200',
     {'kind': 'Namespace',
      'apiVersion': 'v1',
      'metadata': {'name': 'ns2', 'creationTimestamp': None},
      'spec': {},
      'status': {}}),
    ('create secret generic s --from-literal=k=v',
     '6b3873000a0c0a0276311206536563726574121d0a110a017312001a0022002a0032003800420012060a016b1201761a001a'
     '002200',
     {'kind': 'Secret',
      'apiVersion': 'v1',
      'metadata': {'name': 's', 'creationTimestamp': None},
      'data': {'k': 'dg=='}}),
    ('create secret docker-registry d --docker-username=u --docker-password=p --docker-server=r.io',
     '6b3873000a0c0a0276311206536563726574128a010a110a016412001a0022002a0032003800420012550a112e646f636b65'
     '72636f6e6669676a736f6e12407b226175746873223a7b22722e696f223a7b22757365726e616d65223a2275222c22706173'
     '73776f7264223a2270222c2261757468223a2264547077227d7d7d1a1e6b756265726e657465732e696f2f646f636b657263'
     '6f6e6669676a736f6e1a002200',
     {'kind': 'Secret',
      'apiVersion': 'v1',
      'metadata': {'name': 'd', 'creationTimestamp': None},
      'data': {'.dockerconfigjson': 'eyJhdXRocyI6eyJyLmlvIjp7InVzZXJuYW1lIjoidSIsInBhc3N3b3JkIjoicCIsImF1dGgiOiJkVHB3In19fQ=='},
      'type': 'kubernetes.io/dockerconfigjson'}),
    ('create deployment dep --image=nginx --port=80 --replicas=3',
     '6b3873000a150a07617070732f7631120a4465706c6f796d656e7412b8010a1f0a0364657012001a0022002a003200380042'
     '005a0a0a0361707012036465701286010803120c0a0a0a0361707012036465701a6c0a1c0a0012001a0022002a0032003800'
     '42005a0a0a036170701203646570124c122e0a056e67696e7812056e67696e782a00320a0a001000185022002a0042006a00'
     '7200800100880100900100a201001a00320042004a0052005800600068008201008a01009a0100c2010022020a0028003800'
     '1a0c0800100018002000280038001a002200',
     {'kind': 'Deployment',
      'apiVersion': 'apps/v1',
      'metadata': {'name': 'dep', 'creationTimestamp': None, 'labels': {'app': 'dep'}},
      'spec': {'replicas': 3,
               'selector': {'matchLabels': {'app': 'dep'}},
               'template': {'metadata': {'creationTimestamp': None, 'labels': {'app': 'dep'}},
                            'spec': {'containers': [{'name': 'nginx',
                                                     'image': 'nginx',
                                                     'ports': [{'containerPort': 80}],
                                                     'resources': {}}]}},
               'strategy': {}},
      'status': {}}),
    ('create serviceaccount sa',
     '6b3873000a140a027631120e536572766963654163636f756e7412140a120a02736112001a0022002a003200380042001a00'
     '2200',
     {'kind': 'ServiceAccount', 'apiVersion': 'v1', 'metadata': {'name': 'sa', 'creationTimestamp': None}}),
    ('create service clusterip svc --tcp=80:8080',
     '6b3873000a0d0a02763112075365727669636512690a1f0a0373766312001a0022002a003200380042005a0a0a0361707012'
     '0373766312420a1b0a0738302d38303830120354435018502207080010903f1a002800120a0a0361707012037376631a0022'
     '09436c757374657249503a00420052005a00600068001a020a001a002200',
     {'kind': 'Service',
      'apiVersion': 'v1',
      'metadata': {'name': 'svc', 'creationTimestamp': None, 'labels': {'app': 'svc'}},
      'spec': {'ports': [{'name': '80-8080', 'protocol': 'TCP', 'port': 80, 'targetPort': 8080}],
               'selector': {'app': 'svc'},
               'type': 'ClusterIP'},
      'status': {'loadBalancer': {}}}),
    ('create service nodeport np --tcp=80:http --node-port=30080',
     '6b3873000a0d0a027631120753657276696365126a0a1d0a026e7012001a0022002a003200380042005a090a036170701202'
     '6e7012450a200a0738302d6874747012035443501850220a080110001a04687474702880eb0112090a0361707012026e701a'
     '0022084e6f6465506f72743a00420052005a00600068001a020a001a002200',
     {'kind': 'Service',
      'apiVersion': 'v1',
      'metadata': {'name': 'np', 'creationTimestamp': None, 'labels': {'app': 'np'}},
      'spec': {'ports': [{'name': '80-http',
                          'protocol': 'TCP',
                          'port': 80,
                          'targetPort': 'http',
                          'nodePort': 30080}],
               'selector': {'app': 'np'},
               'type': 'NodePort'},
      'status': {'loadBalancer': {}}}),
    ('create job j --image=busybox -- echo hi',
     '6b3873000a0f0a0862617463682f763112034a6f621282010a110a016a12001a0022002a00320038004200126332610a100a'
     '0012001a0022002a00320038004200124d122a0a016a120762757379626f781a046563686f1a0268692a0042006a00720080'
     '0100880100900100a201001a054e65766572320042004a0052005800600068008201008a01009a0100c201001a0820002800'
     '30003a001a002200',
     {'kind': 'Job',
      'apiVersion': 'batch/v1',
      'metadata': {'name': 'j', 'creationTimestamp': None},
      'spec': {'template': {'metadata': {'creationTimestamp': None},
                            'spec': {'containers': [{'name': 'j',
                                                     'image': 'busybox',
                                                     'command': ['echo', 'hi'],
                                                     'resources': {}}],
                                     'restartPolicy': 'Never'}}},
      'status': {}}),
    ('create cronjob cj --image=busybox --schedule=*/1 * * * * -- date',
     '6b3873000a130a0862617463682f7631120743726f6e4a6f6212a4010a120a02636a12001a0022002a00320038004200128b'
     '010a0b2a2f31202a202a202a202a1a002a7a0a120a02636a12001a0022002a00320038004200126432620a100a0012001a00'
     '22002a00320038004200124e12270a02636a120762757379626f781a04646174652a0042006a007200800100880100900100'
     'a201001a094f6e4661696c757265320042004a0052005800600068008201008a01009a0100c201001a001a002200',
     {'kind': 'CronJob',
      'apiVersion': 'batch/v1',
      'metadata': {'name': 'cj', 'creationTimestamp': None},
      'spec': {'schedule': '*/1 * * * *',
               'jobTemplate': {'metadata': {'name': 'cj', 'creationTimestamp': None},
                               'spec': {'template': {'metadata': {'creationTimestamp': None},
                                                     'spec': {'containers': [{'name': 'cj',
                                                                              'image': 'busybox',
                                                                              'command': ['date'],
                                                                              'resources': {}}],
                                                              'restartPolicy': 'OnFailure'}}}}},
      'status': {}}),
    ('create clusterrole cr --verb=get --non-resource-url=/logs/*',
     '6b3873000a2b0a1c726261632e617574686f72697a6174696f6e2e6b38732e696f2f7631120b436c7573746572526f6c6512'
     '240a120a02637212001a0022002a00320038004200120e0a036765742a072f6c6f67732f2a1a002200',
     {'kind': 'ClusterRole',
      'apiVersion': 'rbac.authorization.k8s.io/v1',
      'metadata': {'name': 'cr', 'creationTimestamp': None},
      'rules': [{'verbs': ['get'], 'nonResourceURLs': ['/logs/*']}]}),
    ('create rolebinding rb --role=r --user=alice --serviceaccount=ns1:sa',
     '6b3873000a2b0a1c726261632e617574686f72697a6174696f6e2e6b38732e696f2f7631120b526f6c6542696e64696e6712'
     '83010a120a02726212001a0022002a00320038004200122a0a04557365721219726261632e617574686f72697a6174696f6e'
     '2e6b38732e696f1a05616c6963652200121b0a0e536572766963654163636f756e7412001a02736122036e73311a240a1972'
     '6261632e617574686f72697a6174696f6e2e6b38732e696f1204526f6c651a01721a002200',
     {'kind': 'RoleBinding',
      'apiVersion': 'rbac.authorization.k8s.io/v1',
      'metadata': {'name': 'rb', 'creationTimestamp': None},
      'subjects': [{'kind': 'User', 'apiGroup': 'rbac.authorization.k8s.io', 'name': 'alice'},
                   {'kind': 'ServiceAccount', 'name': 'sa', 'namespace': 'ns1'}],
      'roleRef': {'apiGroup': 'rbac.authorization.k8s.io', 'kind': 'Role', 'name': 'r'}}),
    ('create clusterrolebinding crb --clusterrole=cr --group=devs',
     '6b3873000a320a1c726261632e617574686f72697a6174696f6e2e6b38732e696f2f76311212436c7573746572526f6c6542'
     '696e64696e67126f0a130a0363726212001a0022002a00320038004200122a0a0547726f75701219726261632e617574686f'
     '72697a6174696f6e2e6b38732e696f1a046465767322001a2c0a19726261632e617574686f72697a6174696f6e2e6b38732e'
     '696f120b436c7573746572526f6c651a0263721a002200',
     {'kind': 'ClusterRoleBinding',
      'apiVersion': 'rbac.authorization.k8s.io/v1',
      'metadata': {'name': 'crb', 'creationTimestamp': None},
      'subjects': [{'kind': 'Group', 'apiGroup': 'rbac.authorization.k8s.io', 'name': 'devs'}],
      'roleRef': {'apiGroup': 'rbac.authorization.k8s.io', 'kind': 'ClusterRole', 'name': 'cr'}}),
    ('create quota q --hard=cpu=1,memory=1G,pods=2 --scopes=BestEffort',
     '6b3873000a130a027631120d5265736f7572636551756f7461124c0a110a017112001a0022002a0032003800420012350a0a'
     '0a0363707512030a01310a0e0a066d656d6f727912040a0231470a0b0a04706f647312030a0132120a426573744566666f72'
     '741a001a002200',
     {'kind': 'ResourceQuota',
      'apiVersion': 'v1',
      'metadata': {'name': 'q', 'creationTimestamp': None},
      'spec': {'hard': {'cpu': '1', 'memory': '1G', 'pods': '2'}, 'scopes': ['BestEffort']},
      'status': {}}),
    ('create pdb pdb --selector=app=x --min-available=50%',
     '6b3873000a200a09706f6c6963792f76311213506f6444697372757074696f6e427564676574123a0a130a0370646212001a'
     '0022002a0032003800420012170a09080110001a03353025120a0a080a036170701201781a0a080018002000280030001a00'
     '2200',
     {'kind': 'PodDisruptionBudget',
      'apiVersion': 'policy/v1',
      'metadata': {'name': 'pdb', 'creationTimestamp': None},
      'spec': {'minAvailable': '50%', 'selector': {'matchLabels': {'app': 'x'}}},
      'status': {'disruptionsAllowed': 0, 'currentHealthy': 0, 'desiredHealthy': 0, 'expectedPods': 0}}),
    ('create priorityclass pc --value=1000 --description=hi --preemption-policy=Never',
     '6b3873000a250a147363686564756c696e672e6b38732e696f2f7631120d5072696f72697479436c61737312240a120a0270'
     '6312001a0022002a0032003800420010e8071800220268692a054e657665721a002200',
     {'kind': 'PriorityClass',
      'apiVersion': 'scheduling.k8s.io/v1',
      'metadata': {'name': 'pc', 'creationTimestamp': None},
      'value': 1000,
      'description': 'hi',
      'preemptionPolicy': 'Never'}),
    ('create ingress ing --rule=foo.com/bar=svc1:8080,tls=my-cert --class=nginx',
     '6b3873000a1f0a146e6574776f726b696e672e6b38732e696f2f76311207496e677265737312650a130a03696e6712001a00'
     '22002a00320038004200124a12120a07666f6f2e636f6d12076d792d636572741a2d0a07666f6f2e636f6d12220a200a1e0a'
     '042f626172120f220d0a047376633112050a0010903f1a05457861637422056e67696e781a020a001a002200',
     {'kind': 'Ingress',
      'apiVersion': 'networking.k8s.io/v1',
      'metadata': {'name': 'ing', 'creationTimestamp': None},
      'spec': {'ingressClassName': 'nginx',
               'tls': [{'hosts': ['foo.com'], 'secretName': 'my-cert'}],
               'rules': [{'host': 'foo.com',
                          'http': {'paths': [{'path': '/bar',
                                              'pathType': 'Exact',
                                              'backend': {'service': {'name': 'svc1',
                                                                      'port': {'number': 8080}}}}]}}]},
      'status': {'loadBalancer': {}}}),
]

AUTH_BODIES = {  # kubectl 1.32 `create token sa --duration=1h --audience=a1`, `auth can-i get pods --subresource=log`, `auth can-i --list`, `auth whoami`
    'token': ('6b3873000a280a1861757468656e7469636174696f6e2e6b38732e696f2f7631120c546f6b656e5265717565737412210a10'
        '0a0012001a0022002a0032003800420012070a02613120901c1a040a0012001a002200'),
    'selfsubjectaccessreviews': ('6b3873000a320a17617574686f72697a6174696f6e2e6b38732e696f2f7631121753656c665375626a656374416363657373'
        '526576696577123b0a100a0012001a0022002a00320038004200121d0a1b0a036e733112036765741a0022002a04706f6473'
        '32036c6f673a001a08080012001a0020001a002200'),
    'selfsubjectrulesreviews': ('6b3873000a310a17617574686f72697a6174696f6e2e6b38732e696f2f7631121653656c665375626a65637452756c657352'
        '6576696577121f0a100a0012001a0022002a0032003800420012050a036e73311a04180022001a002200'),
    'selfsubjectreviews': ('6b3873000a2d0a1861757468656e7469636174696f6e2e6b38732e696f2f7631121153656c665375626a6563745265766965'
        '77121a0a100a0012001a0022002a0032003800420012060a040a0012001a002200'),
}


@pytest.mark.parametrize(("cmd", "hex_body", "expected"), KUBECTL_132, ids=[c[0].split(" ")[1] + ":" + c[0].split(" ")[2] for c in KUBECTL_132])
def test_kubectl_bodies_decode_like_kubectl_json(cmd, hex_body, expected):
    body = bytes.fromhex(hex_body)
    assert protobuf.decode(body) == expected
    # and through content negotiation, as the handlers call it
    assert negotiation.decode_object(body, "application/vnd.kubernetes.protobuf") == expected


def test_kubectl_auth_and_token_bodies():
    b = {k: bytes.fromhex(v) for k, v in AUTH_BODIES.items()}
    assert protobuf.decode(b["token"]) == {
        "apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "metadata": {"creationTimestamp": None},
        "spec": {"audiences": ["a1"], "expirationSeconds": 3600}, "status": {"token": "", "expirationTimestamp": None},
    }
    assert protobuf.decode(b["selfsubjectaccessreviews"]) == {
        "apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
        "metadata": {"creationTimestamp": None},
        "spec": {"resourceAttributes": {"namespace": "ns1", "verb": "get", "resource": "pods", "subresource": "log"}},
        "status": {"allowed": False},
    }
    assert protobuf.decode(b["selfsubjectrulesreviews"]) == {
        "apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectRulesReview",
        "metadata": {"creationTimestamp": None}, "spec": {"namespace": "ns1"}, "status": {"incomplete": False},
    }
    assert protobuf.decode(b["selfsubjectreviews"]) == {
        "apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview",
        "metadata": {"creationTimestamp": None}, "status": {"userInfo": {}},
    }


# ---- a tiny encoder for hand-built messages ----


def varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def vf(num: int, value: int) -> bytes:
    return varint(num << 3) + varint(value)


def ld(num: int, value: bytes | str) -> bytes:
    data = value.encode() if isinstance(value, str) else value
    return varint(num << 3 | 2) + varint(len(data)) + data


def envelope(api_version: str, kind: str, raw: bytes, encoding: str = "") -> bytes:
    return b"k8s\x00" + ld(1, ld(1, api_version) + ld(2, kind)) + ld(2, raw) + ld(3, encoding) + ld(4, "")


def meta(name: str) -> bytes:
    return ld(1, ld(1, name))


def test_scalars_and_zero_values():
    # Pod: restartPolicy (string, omitempty: "" dropped), terminationGracePeriodSeconds (*int64: 0 kept),
    # priority (*int32, negative), hostNetwork (bool false dropped), automountServiceAccountToken (*bool false kept)
    spec = (ld(3, "") + vf(4, 0) + vf(25, (-5) & ((1 << 64) - 1)) + vf(11, 0) + vf(21, 0)
            + ld(2, ld(1, "c") + ld(2, "img")))
    got = protobuf.decode(envelope("v1", "Pod", meta("p") + ld(2, spec)))
    assert got["spec"] == {
        "terminationGracePeriodSeconds": 0, "priority": -5, "automountServiceAccountToken": False,
        "containers": [{"name": "c", "image": "img"}],
    }


def test_quantities_intorstring_and_maps_of_messages():
    quantity = lambda s: ld(1, s)  # noqa: E731
    entry = lambda k, v: ld(1, k) + ld(2, v)  # noqa: E731
    resources = ld(1, entry("cpu", quantity("500m"))) + ld(2, entry("memory", quantity("1Gi")))
    container = ld(1, "c") + ld(2, "img") + ld(8, resources)
    probe = ld(1, ld(3, ld(1, vf(1, 1) + ld(3, "http"))))  # inlined handler: tcpSocket.port = "http"
    container += ld(11, probe)
    got = protobuf.decode(envelope("v1", "Pod", meta("p") + ld(2, ld(2, container))))
    c = got["spec"]["containers"][0]
    assert c["resources"] == {"limits": {"cpu": "500m"}, "requests": {"memory": "1Gi"}}
    assert c["readinessProbe"] == {"tcpSocket": {"port": "http"}}
    # IntOrString type 0 is an int, even 0
    pdb = ld(2, ld(1, vf(1, 0) + vf(2, 0) + ld(3, "")))
    assert protobuf.decode(envelope("policy/v1", "PodDisruptionBudget", meta("b") + pdb))["spec"] == {"minAvailable": 0}


def test_inline_volume_source_and_bytes_maps():
    volume = ld(1, "data") + ld(2, ld(19, ld(1, ld(1, "cm")) + vf(3, 0o644)))  # inlined volumeSource.configMap
    got = protobuf.decode(envelope("v1", "Pod", meta("p") + ld(2, ld(1, volume))))
    assert got["spec"]["volumes"] == [{"name": "data", "configMap": {"name": "cm", "defaultMode": 420}}]
    cm = protobuf.decode(envelope("v1", "ConfigMap", meta("c") + ld(3, ld(1, "bin") + ld(2, b"\x00\xff"))))
    assert cm["binaryData"] == {"bin": "AP8="}


@pytest.mark.parametrize(("seconds", "nanos", "field", "expected"), [
    (0, 0, 8, None),  # zero Time: Go writes JSON null
    (1714564800, 0, 8, "2024-05-01T12:00:00Z"),
    (1714564800, 123456789, 8, "2024-05-01T12:00:00Z"),  # metav1.Time has second precision
])
def test_time(seconds, nanos, field, expected):
    t = vf(1, seconds) + vf(2, nanos) if seconds or nanos else b""
    got = protobuf.decode(envelope("v1", "ConfigMap", ld(1, ld(1, "c") + ld(field, t))))
    assert got["metadata"]["creationTimestamp"] == expected


def test_micro_time_and_go_slice_messages():
    lease_spec = ld(1, "me") + ld(3, vf(1, 1714564800) + vf(2, 5_000_000))  # acquireTime
    got = protobuf.decode(envelope("coordination.k8s.io/v1", "Lease", meta("l") + ld(2, lease_spec)))
    assert got["spec"] == {"holderIdentity": "me", "acquireTime": "2024-05-01T12:00:00.005000Z"}
    extra = ld(5, ld(1, "scopes") + ld(2, ld(1, "a") + ld(1, "b")))  # map<string, ExtraValue>
    sar = protobuf.decode(envelope("authorization.k8s.io/v1", "SubjectAccessReview", meta("") + ld(2, ld(3, "u") + extra)))
    assert sar["spec"] == {"user": "u", "extra": {"scopes": ["a", "b"]}}


def test_unknown_fields_are_skipped_and_packed_repeated_accepted():
    # field 99 is not in ConfigMap; ResourceQuota scopes are strings, so use Container.ports' int32 via Service
    body = envelope("v1", "ConfigMap", meta("c") + ld(99, "future") + vf(98, 7) + ld(2, ld(1, "k") + ld(2, "v")))
    assert protobuf.decode(body) == {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "v"}}
    # PodSecurityContext.supplementalGroups is repeated int64: packed and unpacked forms decode alike
    packed = ld(4, varint(1) + varint(2))
    unpacked = vf(4, 1) + vf(4, 2)
    for sc in (packed, unpacked):
        got = protobuf.decode(envelope("v1", "Pod", meta("p") + ld(2, ld(14, sc))))
        assert got["spec"]["securityContext"] == {"supplementalGroups": [1, 2]}


@pytest.mark.parametrize(("ns", "expected"), [
    (0, "0s"), (1, "1ns"), (1_500, "1.5µs"), (1_500_000, "1.5ms"), (1_000_000_000, "1s"),
    (90 * 10**9, "1m30s"), (3600 * 10**9, "1h0m0s"), (3723_500_000_000, "1h2m3.5s"), (-2 * 10**9, "-2s"),
])
def test_go_duration(ns, expected):
    assert protobuf.go_duration(ns) == expected


@pytest.mark.parametrize(("body", "message"), [
    (b"{}", "provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]"),
    (b"k8s\x00\x0a\x05\x0a\x02v1", "unexpected EOF"),
    (b"k8s\x00" + ld(1, ld(1, "v1") + ld(2, "ConfigMap")) + ld(2, b"\x0a\x80"), "unexpected EOF"),
    (b"k8s\x00" + ld(1, ld(1, "v1") + ld(2, "ConfigMap")) + ld(2, vf(1, 3)), "proto: wrong wireType = 0 for field Metadata"),
    (envelope("v1", "ConfigMap", ld(1, vf(1, 5))), "proto: wrong wireType = 0 for field Name"),
    (envelope("v1", "ConfigMap", ld(1, b"\x00")), "proto: illegal tag 0 (wire type 0)"),
    (envelope("v1", "ConfigMap", ld(1, ld(7, b""))), "proto: wrong wireType = 2 for field Generation"),
    (b"k8s\x00" + varint(1 << 3 | 3), "proto: illegal wireType 3"),
    (envelope("v1", "ConfigMap", meta("c"), encoding="gzip"), "unsupported content encoding 'gzip'"),
])
def test_malformed_bodies_are_400(body, message):
    with pytest.raises(protobuf.ProtobufError) as e:
        protobuf.decode(body)
    assert str(e.value) == message
    with pytest.raises(errors.StatusError) as se:
        negotiation.decode_object(body, "application/vnd.kubernetes.protobuf")
    assert (se.value.code, se.value.reason, se.value.message) == (400, "BadRequest", message)


@pytest.mark.parametrize(("api_version", "kind"), [("stable.example.com/v1", "CronTab"), ("v1", "NoSuchKind"),
                                                    ("apps/v1", "ConfigMap")])
def test_kinds_without_tables_are_415(api_version, kind):
    body = envelope(api_version, kind, meta("x"))
    with pytest.raises(protobuf.UnknownKind):
        protobuf.decode(body)
    with pytest.raises(errors.StatusError) as se:
        negotiation.decode_object(body, "application/vnd.kubernetes.protobuf; charset=binary")
    assert (se.value.code, se.value.reason) == (415, "UnsupportedMediaType")
    assert se.value.message == ("the body of the request was in an unknown format - accepted media types include: "
                                "application/json, application/yaml")


@pytest.mark.parametrize(("header", "media"), [
    ("application/vnd.kubernetes.protobuf,application/json", negotiation.JSON),
    ("application/vnd.kubernetes.protobuf, */*", negotiation.JSON),
    ("application/vnd.kubernetes.protobuf;q=1,application/yaml", negotiation.YAML),
])
def test_accept_with_protobuf_first_answers_json_or_yaml(header, media):
    assert negotiation.parse_accept(header).media == media


def test_accept_protobuf_only_is_406():
    with pytest.raises(errors.StatusError) as se:
        negotiation.parse_accept("application/vnd.kubernetes.protobuf")
    assert se.value.code == 406


def test_every_kind_maps_to_a_parsed_table():
    for (api_version, kind), name in protobuf.protobuf_tables.KINDS.items():
        assert protobuf.message_for(api_version, kind) == name
        table = protobuf._messages()[name]
        assert isinstance(table, dict) and table[1].name == ("gracePeriodSeconds" if kind == "DeleteOptions" else "metadata")


@pytest.mark.parametrize("api_version", ["v1", "apps/v1", "meta.k8s.io/v1"])
def test_delete_options(api_version):
    body = envelope(api_version, "DeleteOptions", vf(1, 0) + ld(2, ld(1, "u-1")) + ld(4, "Foreground") + ld(5, "All"))
    assert negotiation.decode_object(body, "application/vnd.kubernetes.protobuf") == {
        "apiVersion": api_version, "kind": "DeleteOptions", "gracePeriodSeconds": 0,
        "preconditions": {"uid": "u-1"}, "propagationPolicy": "Foreground", "dryRun": ["All"],
    }
