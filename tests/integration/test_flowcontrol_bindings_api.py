"""flowcontrol.apiserver.k8s.io/v1 (bootstrap configuration, defaults, 422s, status, kubectl columns),
storage.k8s.io/v1 csistoragecapacities, and core/v1 bindings over HTTP and kubectl 1.30."""

import yaml

FC = "/apis/flowcontrol.apiserver.k8s.io/v1"
CSC = "/apis/storage.k8s.io/v1/namespaces/default/csistoragecapacities"
PODS = "/api/v1/namespaces/default/pods"
BINDINGS = "/api/v1/namespaces/default/bindings"


def plc(name, **spec):
    return {"apiVersion": "flowcontrol.apiserver.k8s.io/v1", "kind": "PriorityLevelConfiguration",
            "metadata": {"name": name}, "spec": spec}


def flow_schema(name, **spec):
    return {"apiVersion": "flowcontrol.apiserver.k8s.io/v1", "kind": "FlowSchema", "metadata": {"name": name},
            "spec": spec}


def test_bootstrap_configuration_is_created_with_dangling_conditions(cluster):
    api = cluster.client()
    levels = {i["metadata"]["name"]: i for i in api.get(f"{FC}/prioritylevelconfigurations").json()["items"]}
    assert set(levels) == {"exempt", "catch-all", "system", "node-high", "leader-election", "workload-high",
                           "workload-low", "global-default"}
    assert levels["catch-all"]["spec"]["limited"] == {"nominalConcurrencyShares": 5, "lendablePercent": 0,
                                                      "limitResponse": {"type": "Reject"}}
    schemas = {i["metadata"]["name"]: i for i in api.get(f"{FC}/flowschemas").json()["items"]}
    assert len(schemas) == 13 and schemas["probes"]["spec"]["matchingPrecedence"] == 2
    for fs in schemas.values():
        assert fs["metadata"]["annotations"] == {"apf.kubernetes.io/autoupdate-spec": "true"}
        [cond] = fs["status"]["conditions"]
        assert (cond["type"], cond["status"], cond["reason"]) == ("Dangling", "False", "Found")
    # Mandatory objects keep their fixed spec.
    exempt = schemas["exempt"]
    exempt["spec"]["matchingPrecedence"] = 2
    r = api.put(f"{FC}/flowschemas/exempt", json=exempt)
    assert r.status_code == 422
    assert r.json()["message"].startswith('FlowSchema.flowcontrol.apiserver.k8s.io "exempt" is invalid: spec: Invalid '
                                          "value: flowcontrol.FlowSchemaSpec{")
    assert r.json()["message"].endswith("spec of 'exempt' must equal the fixed value")


def test_priority_level_defaults_validation_and_status(cluster):
    api = cluster.client()
    r = api.post(f"{FC}/prioritylevelconfigurations",
                 json=plc("it-queued", type="Limited", limited={"limitResponse": {"type": "Queue", "queuing": {}}}))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["spec"]["limited"] == {"nominalConcurrencyShares": 30, "lendablePercent": 0, "limitResponse": {
        "type": "Queue", "queuing": {"queues": 64, "handSize": 8, "queueLengthLimit": 50}}}
    assert body["status"] == {} and body["metadata"]["generation"] == 1
    zero = api.post(f"{FC}/prioritylevelconfigurations",
                    json=plc("it-zero", type="Limited", limited={"nominalConcurrencyShares": 0,
                                                                 "limitResponse": {"type": "Reject"}}))
    assert zero.json()["spec"]["limited"]["nominalConcurrencyShares"] == 0
    bad = api.post(f"{FC}/prioritylevelconfigurations",
                   json=plc("it-bad", type="Limited", limited={"limitResponse": {
                       "type": "Queue", "queuing": {"queues": 7, "handSize": 8}}}))
    assert bad.status_code == 422
    assert bad.json()["message"] == ('PriorityLevelConfiguration.flowcontrol.apiserver.k8s.io "it-bad" is invalid: '
                                     "spec.limited.limitResponse.queuing.handSize: Invalid value: 8: should not be "
                                     "greater than queues (7)")
    assert bad.json()["details"]["causes"] == [{"reason": "FieldValueInvalid", "message": "Invalid value: 8: should not "
                                                "be greater than queues (7)",
                                                "field": "spec.limited.limitResponse.queuing.handSize"}]
    # Status writes go through /status only; spec changes bump the generation.
    current = api.get(f"{FC}/prioritylevelconfigurations/it-queued").json()
    current["status"] = {"conditions": [{"type": "Ready", "status": "True"}]}
    current["spec"]["limited"]["nominalConcurrencyShares"] = 31
    updated = api.put(f"{FC}/prioritylevelconfigurations/it-queued", json=current).json()
    assert updated["status"] == {} and updated["metadata"]["generation"] == 2
    updated["status"] = {"conditions": [{"type": "Ready", "status": "True"}, {"type": "Ready"}]}
    dup = api.put(f"{FC}/prioritylevelconfigurations/it-queued/status", json=updated)
    assert dup.status_code == 422 and dup.json()["details"]["causes"][0]["field"] == "status.conditions[1].type"
    updated["status"] = {"conditions": [{"type": "Ready", "status": "True"}]}
    ok = api.put(f"{FC}/prioritylevelconfigurations/it-queued/status", json=updated).json()
    assert ok["status"]["conditions"][0]["type"] == "Ready" and ok["spec"]["limited"]["nominalConcurrencyShares"] == 31


def test_flow_schema_defaults_and_422(cluster):
    api = cluster.client()
    rules = [{"subjects": [{"kind": "User", "user": {"name": "alice"}}],
              "nonResourceRules": [{"verbs": ["get"], "nonResourceURLs": ["/healthz"]}]}]
    r = api.post(f"{FC}/flowschemas", json=flow_schema("it-alice", priorityLevelConfiguration={"name": "workload-low"},
                                                       rules=rules))
    assert r.status_code == 201, r.text
    assert r.json()["spec"]["matchingPrecedence"] == 1000 and r.json()["status"] == {}
    bad = api.post(f"{FC}/flowschemas", json=flow_schema("it-bad", priorityLevelConfiguration={"name": "x"},
                                                         matchingPrecedence=1, rules=rules))
    assert bad.status_code == 422
    assert bad.json()["message"] == ('FlowSchema.flowcontrol.apiserver.k8s.io "it-bad" is invalid: '
                                     "spec.matchingPrecedence: Invalid value: 1: only the schema named 'exempt' may have "
                                     "matchingPrecedence 1")


def test_kubectl_columns(cluster):
    out = cluster.kubectl("get", "flowschemas", version="1.30").stdout.splitlines()
    assert out[0].split() == ["NAME", "PRIORITYLEVEL", "MATCHINGPRECEDENCE", "DISTINGUISHERMETHOD", "AGE", "MISSINGPL"]
    rows = {line.split()[0]: line.split() for line in out[1:]}
    assert rows["exempt"][1:4] == ["exempt", "1", "<none>"] and rows["exempt"][-1] == "False"
    assert rows["kube-scheduler"][1:4] == ["workload-high", "800", "ByNamespace"]
    out = cluster.kubectl("get", "prioritylevelconfigurations", version="1.30").stdout.splitlines()
    assert out[0].split() == ["NAME", "TYPE", "NOMINALCONCURRENCYSHARES", "QUEUES", "HANDSIZE", "QUEUELENGTHLIMIT", "AGE"]
    rows = {line.split()[0]: line.split() for line in out[1:]}
    assert rows["exempt"][1:6] == ["Exempt", "<none>", "<none>", "<none>", "<none>"]
    assert rows["workload-low"][1:6] == ["Limited", "100", "128", "6", "50"]


def test_csi_storage_capacities(cluster):
    api = cluster.client()
    obj = {"apiVersion": "storage.k8s.io/v1", "kind": "CSIStorageCapacity", "metadata": {"name": "it-cap"},
           "storageClassName": "fast", "capacity": "1024Mi", "maximumVolumeSize": "512Mi",
           "nodeTopology": {"matchLabels": {"topology.example.com/zone": "a"}}}
    r = api.post(CSC, json=obj)
    assert r.status_code == 201, r.text
    assert r.json()["capacity"] == "1Gi"
    assert [i["metadata"]["name"] for i in api.get(CSC).json()["items"]] == ["it-cap"]
    bad = api.post(CSC, json={**obj, "metadata": {"name": "it-bad"}, "capacity": "-1"})
    assert bad.status_code == 422
    assert bad.json()["message"] == ('CSIStorageCapacity.storage.k8s.io "it-bad" is invalid: capacity: Invalid value: '
                                     '"-1": must be greater than or equal to 0')
    current = r.json()
    current["storageClassName"] = "slow"
    frozen = api.put(f"{CSC}/it-cap", json=current)
    assert frozen.status_code == 422
    assert frozen.json()["message"].endswith('storageClassName: Invalid value: "slow": field is immutable')
    out = cluster.kubectl("get", "csistoragecapacities", "-n", "default", version="1.30").stdout.splitlines()
    assert [line.split() for line in out] == [["NAME", "STORAGECLASSNAME", "CAPACITY"], ["it-cap", "fast", "1Gi"]]


def test_bindings_bind_pods_like_the_binding_subresource(cluster):
    api = cluster.client()
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "it-bind"},
           "spec": {"containers": [{"name": "c", "image": "busybox"}]}}
    assert api.post(PODS, json=pod).status_code == 201
    binding = {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "it-bind", "annotations": {"a": "b"}},
               "target": {"kind": "Node", "name": "node-1"}}
    r = api.post(BINDINGS, json=binding)
    assert r.status_code == 201
    assert r.json() == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}
    bound = api.get(f"{PODS}/it-bind").json()
    assert bound["spec"]["nodeName"] == "node-1" and bound["metadata"]["annotations"] == {"a": "b"}
    assert [c["status"] for c in bound["status"]["conditions"] if c["type"] == "PodScheduled"] == ["True"]
    again = api.post(BINDINGS, json=binding)
    assert again.status_code == 409
    assert again.json()["message"] == 'Operation cannot be fulfilled on pods/binding "it-bind": pod it-bind is already ' \
                                      'assigned to node "node-1"'
    missing = api.post(BINDINGS, json={**binding, "metadata": {"name": "it-nobody"}})
    assert missing.status_code == 404 and missing.json()["message"] == 'pods "it-nobody" not found'
    invalid = api.post(BINDINGS, json={**binding, "target": {"kind": "Pod"}})
    assert invalid.status_code == 500
    assert invalid.json()["message"] == ('[target.kind: Unsupported value: "Pod": supported values: "Node", "<empty>", '
                                         "target.name: Required value]")
    assert api.get(BINDINGS).status_code == 405
    assert api.post(f"{BINDINGS}/it-bind", json=binding).status_code == 404
    # kubectl create of a Binding posts to the collection. OpenAPI v3 has no PATCH for Binding, so
    # kubectl validates it itself against /openapi/v2 (protobuf) first.
    assert api.post(PODS, json={**pod, "metadata": {"name": "it-bind-2"}}).status_code == 201
    doc = {**binding, "metadata": {"name": "it-bind-2"}, "target": {"name": "node-2"}}
    out = cluster.kubectl("create", "-f", "-", version="1.30", input=yaml.safe_dump(doc)).stdout
    # The answer is a Status, not a Binding, so kubectl names what it printed from that.
    assert out.strip() == "status/<unknown> created"
    assert api.get(f"{PODS}/it-bind-2").json()["spec"]["nodeName"] == "node-2"


def test_flowschema_table_is_ordered_by_matching_precedence(cluster):
    out = cluster.kubectl("get", "flowschemas", "--no-headers").stdout.splitlines()
    precedences = [int(line.split()[2]) for line in out]
    assert precedences == sorted(precedences) and precedences[0] == 1 and len(out) >= 13
    assert out[0].split()[0] == "exempt"
