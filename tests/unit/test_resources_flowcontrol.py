"""flowcontrol.apiserver.k8s.io/v1: FlowSchema and PriorityLevelConfiguration defaulting, validation
(cases from upstream's pkg/apis/flowcontrol/validation/validation_test.go), printing, Go `%#v`
rendering of fixed specs, and the bootstrap configuration."""

import copy
from datetime import UTC, datetime

import pytest

from uwernetes.apiserver.resources import flowcontrol_common as fc
from uwernetes.apiserver.resources import flowschemas as fsm
from uwernetes.apiserver.resources import prioritylevelconfigurations as plm

NOW = datetime(2024, 5, 1, tzinfo=UTC)
CREATED = "2024-04-30T22:00:00Z"
S = "spec.rules[0]"
DNS_LABEL = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
             "and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
             "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')")


def msgs(errs):
    return [str(e) for e in errs]


def fs(name="system-foo", **spec):
    obj = {"metadata": {"name": name, "creationTimestamp": CREATED},
           "spec": {"priorityLevelConfiguration": {"name": "system-bar"}, "matchingPrecedence": 50, **spec}}
    fsm.default_flow_schema(obj)
    return obj


def rule(subjects=None, resource=None, non_resource=None):
    out = {"subjects": subjects if subjects is not None else [{"kind": "User", "user": {"name": "noxu"}}]}
    if resource is not None:
        out["resourceRules"] = resource
    if non_resource is not None:
        out["nonResourceRules"] = non_resource
    return out


ALL_RESOURCES = {"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"], "namespaces": ["*"]}
ALL_URLS = {"verbs": ["*"], "nonResourceURLs": ["*"]}


@pytest.mark.parametrize(("obj", "expected"), [
    pytest.param(fs(rules=[rule()]), [f"{S}: Required value: at least one of resourceRules and nonResourceRules has "
                                     "to be non-empty"], id="missing both resource and non-resource policy-rule should fail"),
    pytest.param(fs(rules=[rule([{"kind": "Group", "group": {"name": "noxu"}}], [ALL_RESOURCES])]), [],
                 id="normal flow-schema w/ * verbs/apiGroups/resources should work"),
    pytest.param(fs(rules=[rule([{"kind": "ServiceAccount", "user": {"name": "fred"}, "group": {"name": "fred"}}],
                                non_resource=[ALL_URLS])]),
                 [f"{S}.subjects[0].serviceAccount: Required value: serviceAccount is required when subject kind is "
                  "'ServiceAccount'",
                  f"{S}.subjects[0].user: Forbidden: user is forbidden when subject kind is not 'User'",
                  f"{S}.subjects[0].group: Forbidden: group is forbidden when subject kind is not 'Group'"],
                 id="malformed Subject union in ServiceAccount case"),
    pytest.param(fs(rules=[rule([{"kind": "User", "group": {"name": "fred"},
                                  "serviceAccount": {"namespace": "s", "name": "n"}}], non_resource=[ALL_URLS])]),
                 [f"{S}.subjects[0].user: Required value: user is required when subject kind is 'User'",
                  f"{S}.subjects[0].serviceAccount: Forbidden: serviceAccount is forbidden when subject kind is not "
                  "'ServiceAccount'",
                  f"{S}.subjects[0].group: Forbidden: group is forbidden when subject kind is not 'Group'"],
                 id="Subject union malformed in User case"),
    pytest.param(fs(rules=[rule([{"kind": "Robot"}], non_resource=[ALL_URLS])]),
                 [f'{S}.subjects[0].kind: Unsupported value: "Robot": supported values: "Group", "ServiceAccount", '
                  '"User"'], id="unknown subject kind"),
    pytest.param(fs(rules=[rule([{"kind": "ServiceAccount", "serviceAccount": {"name": "*"}}], non_resource=[ALL_URLS])]),
                 [f"{S}.subjects[0].serviceAccount.namespace: Required value: must specify namespace for service account"],
                 id="service account subject needs a namespace"),
    pytest.param(fs(name="fred", matchingPrecedence=1, priorityLevelConfiguration={"name": "exempt"},
                    rules=[rule([{"kind": "Group", "group": {"name": "gorp"}}], non_resource=[ALL_URLS])]),
                 ["spec.matchingPrecedence: Invalid value: 1: only the schema named 'exempt' may have matchingPrecedence 1"],
                 id="non-exempt flow-schema with matchingPrecedence==1 should fail"),
    pytest.param(fs(rules=[rule(resource=[{"verbs": ["*", "create"], "apiGroups": ["*", "tak"],
                                           "resources": ["*", "tok"], "namespaces": ["*"]}])]),
                 [f'{S}.resourceRules[0].verbs: Invalid value: []string{{"*", "create"}}: if \'*\' is present, must not '
                  "specify other verbs",
                  f'{S}.resourceRules[0].apiGroups: Invalid value: []string{{"*", "tak"}}: if \'*\' is present, must not '
                  "specify other api groups",
                  f'{S}.resourceRules[0].resources: Invalid value: []string{{"*", "tok"}}: if \'*\' is present, must not '
                  "specify other resources"],
                 id="flow-schema mixes * verbs/apiGroups/resources should fail"),
    pytest.param(fs(rules=[rule(non_resource=[{"verbs": ["*"], "nonResourceURLs": ["/apis/*", "*"]}])]),
                 [f'{S}.nonResourceRules[0].nonResourceURLs: Invalid value: []string{{"/apis/*", "*"}}: if \'*\' is '
                  "present, must not specify other non-resource URLs"],
                 id="flow-schema mixes * non-resource URLs should fail"),
    pytest.param(fs(rules=[rule(resource=[{"verbs": ["feed"], "apiGroups": ["*"], "resources": ["*"],
                                           "namespaces": ["*"]}])]),
                 [f'{S}.resourceRules[0].verbs: Unsupported value: []string{{"feed"}}: supported values: "create", '
                  '"delete", "deletecollection", "get", "list", "patch", "proxy", "update", "watch"'],
                 id="invalid verb"),
    pytest.param(fs(rules=[rule(resource=[{"verbs": ["get"], "apiGroups": ["*"], "resources": ["*"]}])]),
                 [f"{S}.resourceRules[0].namespaces: Required value: resource rules that are not cluster scoped must "
                  "supply at least one namespace"], id="namespaced rule without namespaces"),
    pytest.param(fs(rules=[rule(resource=[{"verbs": ["get"], "apiGroups": ["*"], "resources": ["*"],
                                           "namespaces": ["-foo"]}])]),
                 [f'{S}.resourceRules[0].namespaces[0]: Invalid value: "-foo": {fsm.NS_ERR_INTRO}{DNS_LABEL}'],
                 id="resource rule with bad namespace"),
    pytest.param(fs(rules=[rule(non_resource=[{"verbs": ["get"], "nonResourceURLs": ["/healthz/*/foo"]}])]),
                 [f'{S}.nonResourceRules[0].nonResourceURLs[0]: Invalid value: "/healthz/*/foo": wildcard can only do '
                  "suffix matching"], id="single wildcard inside the path should fail"),
    pytest.param(fs(matchingPrecedence=10001, rules=[rule(resource=[ALL_RESOURCES])]),
                 ["spec.matchingPrecedence: Invalid value: 10001: must not be greater than 10000"],
                 id="MatchingPrecedence must not be greater than 10000"),
    pytest.param(fs(matchingPrecedence=-3, rules=[rule(resource=[ALL_RESOURCES])]),
                 ["spec.matchingPrecedence: Invalid value: -3: must be a positive value"], id="negative precedence"),
    pytest.param(fs(priorityLevelConfiguration={"name": ""}, distinguisherMethod={"type": "ByFoo"},
                    rules=[rule(resource=[ALL_RESOURCES])]),
                 ['spec.distinguisherMethod.type: Unsupported value: flowcontrol.FlowDistinguisherMethod{Type:"ByFoo"}: '
                  'supported values: "ByNamespace", "ByUser"',
                  "spec.priorityLevelConfiguration.name: Required value: must reference a priority level"],
                 id="distinguisher method and priority level reference"),
    pytest.param(fs(name="catch-all", matchingPrecedence=10000, priorityLevelConfiguration={"name": "catch-all"},
                    distinguisherMethod={"type": "ByUser"},
                    rules=[rule([{"kind": "Group", "group": {"name": "system:unauthenticated"}},
                                 {"kind": "Group", "group": {"name": "system:authenticated"}}],
                                [{**ALL_RESOURCES, "clusterScope": True}], [ALL_URLS])]),
                 [], id="catch-all flow-schema should work"),
])
def test_validate_flow_schema(obj, expected):
    assert sorted(msgs(fsm.validate_flow_schema(obj))) == sorted(expected)


def test_bad_exempt_flow_schema_prints_the_spec_as_go_does():
    bad = fs(name="exempt", matchingPrecedence=1, priorityLevelConfiguration={"name": "exempt"},
             rules=[rule([{"kind": "Group", "group": {"name": "system:masters"}}],
                         non_resource=[{"verbs": ["*"], "nonResourceURLs": ["/"]}])])
    assert msgs(fsm.validate_flow_schema(bad)) == [
        "spec: Invalid value: flowcontrol.FlowSchemaSpec{PriorityLevelConfiguration:"
        'flowcontrol.PriorityLevelConfigurationReference{Name:"exempt"}, MatchingPrecedence:1, '
        "DistinguisherMethod:(*flowcontrol.FlowDistinguisherMethod)(nil), Rules:[]flowcontrol.PolicyRulesWithSubjects"
        '{flowcontrol.PolicyRulesWithSubjects{Subjects:[]flowcontrol.Subject{flowcontrol.Subject{Kind:"Group", '
        "User:(*flowcontrol.UserSubject)(nil), Group:(*flowcontrol.GroupSubject)(0xc000000000), "
        "ServiceAccount:(*flowcontrol.ServiceAccountSubject)(nil)}}, ResourceRules:[]flowcontrol.ResourcePolicyRule(nil), "
        'NonResourceRules:[]flowcontrol.NonResourcePolicyRule{flowcontrol.NonResourcePolicyRule{Verbs:[]string{"*"}, '
        'NonResourceURLs:[]string{"/"}}}}}}: spec of \'exempt\' must equal the fixed value'
    ]


@pytest.mark.parametrize("obj", fc.MANDATORY_FLOW_SCHEMAS + fc.SUGGESTED_FLOW_SCHEMAS,
                         ids=lambda o: o["metadata"]["name"])
def test_bootstrap_flow_schemas_are_valid_and_unchanged_by_defaulting(obj):
    defaulted = copy.deepcopy(obj)
    fsm.default_flow_schema(defaulted)
    assert defaulted == obj
    assert fsm.validate_flow_schema(obj) == []


@pytest.mark.parametrize("obj", fc.MANDATORY_PRIORITY_LEVELS + fc.SUGGESTED_PRIORITY_LEVELS,
                         ids=lambda o: o["metadata"]["name"])
def test_bootstrap_priority_levels_are_valid_and_unchanged_by_defaulting(obj):
    defaulted = copy.deepcopy(obj)
    plm.default_priority_level(defaulted)
    assert defaulted == obj
    assert plm.validate_priority_level(obj) == []


def test_bootstrap_names():
    assert [o["metadata"]["name"] for o in fc.MANDATORY_PRIORITY_LEVELS + fc.SUGGESTED_PRIORITY_LEVELS] == [
        "catch-all", "exempt", "system", "node-high", "leader-election", "workload-high", "workload-low", "global-default"]
    assert sorted(o["metadata"]["name"] for o in fc.MANDATORY_FLOW_SCHEMAS + fc.SUGGESTED_FLOW_SCHEMAS) == sorted([
        "exempt", "probes", "system-leader-election", "endpoint-controller", "workload-leader-election",
        "system-node-high", "system-nodes", "kube-controller-manager", "kube-scheduler",
        "kube-system-service-accounts", "service-accounts", "global-default", "catch-all"])
    for o in fc.MANDATORY_FLOW_SCHEMAS + fc.SUGGESTED_PRIORITY_LEVELS:
        assert o["metadata"]["annotations"] == {"apf.kubernetes.io/autoupdate-spec": "true"}


# --- PriorityLevelConfiguration ---

def pl(name="system-foo", **spec):
    obj = {"metadata": {"name": name, "creationTimestamp": CREATED}, "spec": spec}
    plm.default_priority_level(obj)
    return obj


def limited(shares=None, response=None, **extra):
    out = {"limitResponse": response or {"type": "Reject"}, **extra}
    if shares is not None:
        out["nominalConcurrencyShares"] = shares
    return out


def queue(queues, hand, length=100):
    return {"type": "Queue", "queuing": {"queues": queues, "handSize": hand, "queueLengthLimit": length}}


@pytest.mark.parametrize(("given", "expected"), [
    pytest.param({"type": "Limited", "limited": {"limitResponse": {"type": "Queue", "queuing": {}}}},
                 {"type": "Limited", "limited": {"limitResponse": {"type": "Queue", "queuing": {
                     "queues": 64, "handSize": 8, "queueLengthLimit": 50}},
                     "nominalConcurrencyShares": 30, "lendablePercent": 0}}, id="limited and queuing defaults"),
    pytest.param({"type": "Limited", "limited": {"nominalConcurrencyShares": 0, "limitResponse": {"type": "Reject"}}},
                 {"type": "Limited", "limited": {"nominalConcurrencyShares": 0, "limitResponse": {"type": "Reject"},
                                                 "lendablePercent": 0}}, id="v1 keeps an explicit zero"),
    pytest.param({"type": "Exempt", "exempt": {}},
                 {"type": "Exempt", "exempt": {"nominalConcurrencyShares": 0, "lendablePercent": 0}}, id="exempt defaults"),
    pytest.param({"type": "Exempt"}, {"type": "Exempt"}, id="no exempt struct, nothing to default"),
])
def test_default_priority_level(given, expected):
    obj = {"spec": given}
    plm.default_priority_level(obj)
    assert obj["spec"] == expected


BAD_SPEC = {"type": "Limited", "limited": limited(42)}


@pytest.mark.parametrize(("obj", "expected"), [
    pytest.param(pl("exempt", type="Exempt", exempt={"nominalConcurrencyShares": 0, "lendablePercent": 0}), [],
                 id="exempt should work"),
    pytest.param(pl("exempt", **BAD_SPEC),
                 ['spec.type: Invalid value: "Limited": type must be \'Exempt\' if and only if name is \'exempt\'',
                  'spec: Invalid value: flowcontrol.PriorityLevelConfigurationSpec{Type:"Limited", '
                  "Limited:(*flowcontrol.LimitedPriorityLevelConfiguration)(0xc000000000), "
                  "Exempt:(*flowcontrol.ExemptPriorityLevelConfiguration)(nil)}: spec of 'exempt' except the "
                  "'spec.exempt' field must equal the fixed value"], id="wrong exempt spec should fail"),
    pytest.param(pl("exempt", type="Exempt", exempt={"nominalConcurrencyShares": -1, "lendablePercent": 101}),
                 ["spec.exempt.nominalConcurrencyShares: Invalid value: -1: must be a non-negative integer",
                  "spec.exempt.lendablePercent: Invalid value: 101: must be between 0 and 100, inclusive"],
                 id="exempt priority level should have appropriate values for Exempt field"),
    pytest.param(pl("exempt", type="Exempt", exempt={"nominalConcurrencyShares": 10, "lendablePercent": 10}), [],
                 id="admins are allowed to change the Exempt field of the 'exempt' pl"),
    pytest.param(pl("exempt", type="Exempt", exempt={}, limited=limited(42)),
                 ["spec.limited: Forbidden: must be nil if the type is not Limited",
                  'spec: Invalid value: flowcontrol.PriorityLevelConfigurationSpec{Type:"Exempt", '
                  "Limited:(*flowcontrol.LimitedPriorityLevelConfiguration)(0xc000000000), "
                  "Exempt:(*flowcontrol.ExemptPriorityLevelConfiguration)(0xc000000000)}: spec of 'exempt' except the "
                  "'spec.exempt' field must equal the fixed value"],
                 id="admins are not allowed to change any field of the 'exempt' pl except 'Exempt'"),
    pytest.param(pl("broken-limited", type="Limited", exempt={}),
                 ["spec.exempt: Forbidden: must be nil if the type is Limited",
                  "spec.limited: Required value: must not be empty when type is Limited"],
                 id="limited must not set exempt priority level configuration for borrowing"),
    pytest.param(pl("max-in-flight", **BAD_SPEC), [], id="max-in-flight should work"),
    pytest.param(pl(type="Limited", limited=limited(100, {"type": "Reject", "queuing": {"queues": 512, "handSize": 4}})),
                 ["spec.limited.limitResponse.queuing: Forbidden: must be nil if limited.limitResponse.type is not Limited"],
                 id="forbid queuing details when not queuing"),
    pytest.param(pl("catch-all", **BAD_SPEC),
                 ['spec: Invalid value: flowcontrol.PriorityLevelConfigurationSpec{Type:"Limited", '
                  "Limited:(*flowcontrol.LimitedPriorityLevelConfiguration)(0xc000000000), "
                  "Exempt:(*flowcontrol.ExemptPriorityLevelConfiguration)(nil)}: spec of 'catch-all' must equal the "
                  "fixed value"], id="wrong backstop spec should fail"),
    pytest.param(pl("catch-all", type="Limited", limited=limited(5, lendablePercent=0)), [], id="backstop should work"),
    pytest.param(pl(type="Limited", limited=limited(100, {"type": "Queue"})),
                 ["spec.limited.limitResponse.queuing: Required value: must not be empty if limited.limitResponse.type "
                  "is Limited"], id="broken queuing level should fail"),
    pytest.param(pl(type="Limited", limited=limited(100, queue(512, 4))), [],
                 id="normal customized priority level should work"),
    pytest.param(pl(type="Limited", limited=limited(100, queue(512, 8))),
                 ["spec.limited.limitResponse.queuing.handSize: Invalid value: 8: required entropy bits of deckSize 512 "
                  "and handSize 8 should not be greater than 60"],
                 id="customized priority level w/ overflowing handSize/queues should fail 1"),
    pytest.param(pl(type="Limited", limited=limited(100, queue(128, 10))),
                 ["spec.limited.limitResponse.queuing.handSize: Invalid value: 10: required entropy bits of deckSize 128 "
                  "and handSize 10 should not be greater than 60"],
                 id="customized priority level w/ overflowing handSize/queues should fail 2"),
    pytest.param(pl(type="Limited", limited=limited(100, queue(2**31 - 1, 3))),
                 ["spec.limited.limitResponse.queuing.queues: Invalid value: 2147483647: must not be greater than 10000000",
                  "spec.limited.limitResponse.queuing.handSize: Invalid value: 3: required entropy bits of deckSize "
                  "2147483647 and handSize 3 should not be greater than 60"],
                 id="customized priority level w/ overflowing handSize/queues should fail 3"),
    pytest.param(pl(type="Limited", limited=limited(100, queue(10_000_000, 2))), [],
                 id="customized priority level w/ handSize=2 and queues=10^7 should work"),
    pytest.param(pl(type="Limited", limited=limited(100, queue(7, 8))),
                 ["spec.limited.limitResponse.queuing.handSize: Invalid value: 8: should not be greater than queues (7)"],
                 id="customized priority level w/ handSize greater than queues should fail"),
    pytest.param({**pl("with-forbidden-annotation", **BAD_SPEC), "metadata": {
        "name": "with-forbidden-annotation", "annotations": {plm.PRESERVE_ZERO_SHARES_ANNOTATION: ""}}},
                 ["metadata.annotations: Forbidden: annotation "
                  "'flowcontrol.k8s.io/v1beta3-preserve-zero-concurrency-shares' is forbidden"],
                 id="the roundtrip annotation is forbidden"),
    pytest.param(pl(type="Limited", limited=limited(0)), [], id="v1 allows zero nominalConcurrencyShares"),
    pytest.param(pl(type="Limited", limited=limited(-1)),
                 ["spec.limited.nominalConcurrencyShares: Invalid value: -1: must be a non-negative integer"],
                 id="negative nominalConcurrencyShares"),
    pytest.param(pl(type="Limited", limited=limited(1, lendablePercent=101, borrowingLimitPercent=-1)),
                 ["spec.limited.lendablePercent: Invalid value: 101: must be between 0 and 100, inclusive",
                  "spec.limited.borrowingLimitPercent: Invalid value: -1: if specified, must be a non-negative integer"],
                 id="lendablePercent and borrowingLimitPercent bounds"),
    pytest.param(pl(type="Sometimes"),
                 ['spec.type: Unsupported value: "Sometimes": supported values: "Exempt", "Limited"'], id="unknown type"),
    pytest.param(pl(type="Limited", limited=limited(1, {"type": "Drop"})),
                 ['spec.limited.limitResponse.type: Unsupported value: "Drop": supported values: "Queue", "Reject"'],
                 id="unknown limit response"),
])
def test_validate_priority_level(obj, expected):
    assert sorted(msgs(plm.validate_priority_level(obj))) == sorted(expected)


@pytest.mark.parametrize(("status", "expected"), [
    pytest.param({}, [], id="empty status should work"),
    pytest.param({"conditions": [{"type": "1"}, {"type": "1"}]}, ['status.conditions[1].type: Duplicate value: "1"'],
                 id="duplicate key should fail"),
    pytest.param({"conditions": [{"type": ""}]}, ["status.conditions[0].type: Required value: must not be empty"],
                 id="missing key should fail"),
])
def test_validate_status(status, expected):
    obj = {"metadata": {"name": "x"}, "spec": {}, "status": status}
    assert msgs(fsm.FLOWSCHEMAS.strategy.validate_status_update(obj, obj, None)) == expected
    assert msgs(plm.PRIORITYLEVELCONFIGURATIONS.strategy.validate_status_update(obj, obj, None)) == expected


@pytest.mark.parametrize(("path", "ok"), [
    ("", False), ("foo", False), ("/", True), ("//", False), ("/foo", True), ("/////", False), ("/apis/", True),
    ("/healthz/*", True), ("/healthz/*/foo", False), ("/healthz/foo bar", False), ("/health*", False),
    ("/health*/foo", False), ("/*/*", False),
])
def test_validate_non_resource_url_path(path, ok):
    assert (fc.validate_non_resource_url_path(path, fsm.Path("p")) is None) == ok


# --- defaulting, printing, status ---

def test_flow_schema_matching_precedence_defaults_to_1000():
    obj = {"spec": {"matchingPrecedence": 0}}
    fsm.default_flow_schema(obj)
    assert obj["spec"]["matchingPrecedence"] == 1000


def test_flow_schema_rows():
    obj = fs(distinguisherMethod={"type": "ByUser"})
    assert fsm.table_row(obj, NOW) == ["system-foo", "system-bar", 50, "ByUser", "120m", "?"]
    fc.set_dangling_condition(obj, False, CREATED)
    assert fsm.table_row(obj, NOW)[3:] == ["ByUser", "120m", "True"]
    assert obj["status"]["conditions"] == [{
        "type": "Dangling", "status": "True", "lastTransitionTime": CREATED, "reason": "NotFound",
        "message": 'This FlowSchema references the PriorityLevelConfiguration object named "system-bar" but there is '
                   "no such object"}]
    assert fc.set_dangling_condition(obj, True, CREATED) is True
    assert fc.set_dangling_condition(obj, True, "2030-01-01T00:00:00Z") is False
    assert len(obj["status"]["conditions"]) == 1 and obj["status"]["conditions"][0]["reason"] == "Found"
    assert fsm.table_row(fs(), NOW)[3] == "<none>"
    assert [c.name for c in fsm.PRINTER.columns] == [
        "Name", "PriorityLevel", "MatchingPrecedence", "DistinguisherMethod", "Age", "MissingPL"]


def test_priority_level_rows():
    assert plm.table_row(pl("q", type="Limited", limited=limited(7, queue(16, 4, 20))), NOW) == [
        "q", "Limited", 7, 16, 4, 20, "120m"]
    assert plm.table_row(pl("r", type="Limited", limited=limited()), NOW) == [
        "r", "Limited", 30, "<none>", "<none>", "<none>", "120m"]
    assert plm.table_row(pl("exempt", type="Exempt", exempt={}), NOW) == [
        "exempt", "Exempt", "<none>", "<none>", "<none>", "<none>", "120m"]
    assert [c.name for c in plm.PRINTER.columns] == [
        "Name", "Type", "NominalConcurrencyShares", "Queues", "HandSize", "QueueLengthLimit", "Age"]


def test_status_writes_keep_the_spec_and_creates_start_with_empty_status():
    old = fs(rules=[rule(resource=[ALL_RESOURCES])])
    new = copy.deepcopy(old)
    new["spec"]["matchingPrecedence"] = 77
    new["status"] = {"conditions": [{"type": "Dangling", "status": "False"}]}
    fsm.FLOWSCHEMAS.strategy.prepare_for_status_update(new, old, None)
    assert new["spec"]["matchingPrecedence"] == 50 and new["status"]["conditions"][0]["type"] == "Dangling"
    created = {"metadata": {"name": "x"}, "spec": {}, "status": {"conditions": [{"type": "x"}]}}
    plm.PRIORITYLEVELCONFIGURATIONS.strategy.prepare_for_create(created, None)
    assert created["status"] == {}
