"""admissionregistration.k8s.io/v1: defaults and validation after upstream's
pkg/apis/admissionregistration/validation/validation_test.go (messages as spec/api-features.md
§2.3-2.4 and §3.1 give them), and the printers."""

import copy

import pytest

from uwernetes.apiserver.resources import admissionregistration_common as common
from uwernetes.apiserver.resources.base import Context
from uwernetes.apiserver.resources.validatingadmissionpolicies import (
    VALIDATINGADMISSIONPOLICIES as VAP,
)
from uwernetes.apiserver.resources.validatingadmissionpolicies import (
    VALIDATINGADMISSIONPOLICYBINDINGS as VAPB,
)
from uwernetes.apiserver.resources.webhookconfigurations import (
    MUTATINGWEBHOOKCONFIGURATIONS as MWC,
)
from uwernetes.apiserver.resources.webhookconfigurations import (
    VALIDATINGWEBHOOKCONFIGURATIONS as VWC,
)
from uwernetes.machinery.field import Path


def msgs(errs):
    return [str(e) for e in errs]


def hook(**over):
    h = {"name": "check.example.com", "clientConfig": {"service": {"namespace": "ns", "name": "svc"}},
         "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}],
         "sideEffects": "None", "admissionReviewVersions": ["v1"]}
    h.update(over)
    return {k: v for k, v in h.items() if v is not None}


def config(*hooks, rt=VWC):
    obj = {"metadata": {"name": "cfg"}, "webhooks": [copy.deepcopy(h) for h in hooks]}
    rt.strategy.default(obj)
    return obj


def webhook_errors(*hooks, rt=VWC):
    return msgs(rt.strategy.validate(config(*hooks, rt=rt), Context()))


def test_webhook_defaults():
    obj = config(hook(clientConfig={"service": {"namespace": "ns", "name": "svc"}}), rt=MWC)
    h = obj["webhooks"][0]
    assert {k: h[k] for k in ("failurePolicy", "matchPolicy", "namespaceSelector", "objectSelector", "timeoutSeconds",
                              "reinvocationPolicy")} == {
        "failurePolicy": "Fail", "matchPolicy": "Equivalent", "namespaceSelector": {}, "objectSelector": {},
        "timeoutSeconds": 10, "reinvocationPolicy": "Never"}
    assert h["clientConfig"]["service"]["port"] == 443 and h["rules"][0]["scope"] == "*"
    assert "sideEffects" in h and "reinvocationPolicy" not in config(hook())["webhooks"][0]


@pytest.mark.parametrize(
    ("h", "expected"),
    [
        pytest.param(hook(), [], id="valid"),
        pytest.param(hook(name="short.name"), ['webhooks[0].name: Invalid value: "short.name": should be a domain with at least three segments separated by dots'], id="name needs three segments"),
        pytest.param(hook(sideEffects=None), ["webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun"], id="sideEffects required"),
        pytest.param(hook(sideEffects="Some"), ['webhooks[0].sideEffects: Unsupported value: "Some": supported values: "None", "NoneOnDryRun"'], id="Some refused on create"),
        pytest.param(hook(timeoutSeconds=31), ["webhooks[0].timeoutSeconds: Invalid value: 31: the timeout value must be between 1 and 30 seconds"], id="timeout"),
        pytest.param(hook(failurePolicy="Maybe", matchPolicy="Loose"),
                     ['webhooks[0].failurePolicy: Unsupported value: "Maybe": supported values: "Fail", "Ignore"',
                      'webhooks[0].matchPolicy: Unsupported value: "Loose": supported values: "Equivalent", "Exact"'], id="policies"),
        pytest.param(hook(admissionReviewVersions=None), ["webhooks[0].admissionReviewVersions: Required value: must specify one of v1, v1beta1"], id="review versions required"),
        pytest.param(hook(admissionReviewVersions=["v2", "v2"]),
                     ['webhooks[0].admissionReviewVersions[1]: Invalid value: "v2": duplicate version',
                      'webhooks[0].admissionReviewVersions: Invalid value: []string{"v2", "v2"}: must include at least one of v1, v1beta1'],
                     id="review versions duplicate and unknown"),
        pytest.param(hook(clientConfig={}), ["webhooks[0].clientConfig: Required value: exactly one of url or service is required"], id="no client config"),
        pytest.param(hook(clientConfig={"url": "http://u:p@h/x?q=1#f"}),
                     ['webhooks[0].clientConfig.url: Invalid value: "http": \'https\' is the only allowed URL scheme; desired format: https://host[/path]',
                      'webhooks[0].clientConfig.url: Invalid value: "u:p": user information is not permitted in the URL',
                      'webhooks[0].clientConfig.url: Invalid value: "f": fragments are not permitted in the URL',
                      'webhooks[0].clientConfig.url: Invalid value: "q=1": query parameters are not permitted in the URL'],
                     id="url rules"),
        pytest.param(hook(clientConfig={"url": "https:///x"}),
                     ['webhooks[0].clientConfig.url: Invalid value: "": host must be provided; desired format: https://host[/path]'], id="url host"),
        pytest.param(hook(clientConfig={"service": {"port": 0, "path": "x//Y"}}),
                     ["webhooks[0].clientConfig.service.name: Required value: service name is required",
                      "webhooks[0].clientConfig.service.namespace: Required value: service namespace is required",
                      "webhooks[0].clientConfig.service.port: Invalid value: 0: port is not valid: must be between 1 and 65535, inclusive",
                      'webhooks[0].clientConfig.service.path: Invalid value: "x//Y": must start with a \'/\'',
                      'webhooks[0].clientConfig.service.path: Invalid value: "x//Y": segment[0] may not be empty',
                      'webhooks[0].clientConfig.service.path: Invalid value: "x//Y": segment[1] may not be empty',
                      "webhooks[0].clientConfig.service.path: Invalid value: \"x//Y\": segment[2]: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"],
                     id="service rules"),
        pytest.param(hook(rules=[{"operations": ["*", "CREATE", "PATCH"], "apiGroups": ["*", "apps"], "apiVersions": [""],
                                  "resources": ["*/*", "pods"], "scope": "Everywhere"}]),
                     ['webhooks[0].rules[0].operations: Invalid value: []string{"*", "CREATE", "PATCH"}: if \'*\' is present, must not specify other operations',
                      'webhooks[0].rules[0].operations[2]: Unsupported value: "PATCH": supported values: "*", "CONNECT", "CREATE", "DELETE", "UPDATE"',
                      'webhooks[0].rules[0].apiGroups: Invalid value: []string{"*", "apps"}: if \'*\' is present, must not specify other API groups',
                      "webhooks[0].rules[0].apiVersions[0]: Required value",
                      'webhooks[0].rules[0].resources: Invalid value: []string{"*/*", "pods"}: if \'*/*\' is present, must not specify other resources',
                      'webhooks[0].rules[0].scope: Unsupported value: "Everywhere": supported values: "*", "Cluster", "Namespaced"'],
                     id="rule rules"),
        pytest.param(hook(rules=[{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods/*", "pods/status", "*/log", "nodes/log"]}]),
                     ['webhooks[0].rules[0].resources[1]: Invalid value: "pods/status": if \'pods/*\' is present, must not specify pods/status',
                      'webhooks[0].rules[0].resources[3]: Invalid value: "nodes/log": if \'*/log\' is present, must not specify nodes/log'],
                     id="subresource wildcards"),
    ],
)
def test_validating_webhook(h, expected):
    assert webhook_errors(h) == expected


def test_mutating_reinvocation_policy():
    assert webhook_errors(hook(reinvocationPolicy="Always"), rt=MWC) == [
        'webhooks[0].reinvocationPolicy: Unsupported value: "Always": supported values: "IfNeeded", "Never"']


def test_duplicate_webhook_names():
    assert webhook_errors(hook(), hook()) == ['webhooks[1].name: Duplicate value: "check.example.com"']


def mc(name, expression):
    return {"name": name, "expression": expression}


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        pytest.param([mc("a", "request.namespace != 'kube-system'"), mc("b", "authorizer.group('').resource('pods').check('get').allowed()")], [], id="valid"),
        pytest.param([mc("a", "true"), mc("a", "true")], ['webhooks[0].matchConditions[1].name: Duplicate value: "a"'], id="duplicate names"),
        pytest.param([mc("", " ")], ["webhooks[0].matchConditions[0].expression: Required value", "webhooks[0].matchConditions[0].name: Required value"], id="both required"),
        pytest.param([mc("bad name!", "true")],
                     ["webhooks[0].matchConditions[0].name: Invalid value: \"bad name!\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"],
                     id="qualified name"),
        pytest.param([mc("a", "object.metadata.name")], ['webhooks[0].matchConditions[0].expression: Invalid value: "object.metadata.name": must evaluate to bool'], id="must be bool"),
        pytest.param([mc("a", "params.x == 1")],
                     ["webhooks[0].matchConditions[0].expression: Invalid value: \"params.x == 1\": compilation failed: ERROR: <input>:1:7: undeclared reference to 'params.x' (in container '')\n | params.x == 1\n | ......^"],
                     id="no params in webhooks"),
        pytest.param([mc(f"c{i}", "true") for i in range(65)], ["webhooks[0].matchConditions: Too many: 65: must have at most 64 items"], id="at most 64"),
    ],
)
def test_match_conditions(conditions, expected):
    assert webhook_errors(hook(matchConditions=conditions)) == expected


def test_update_leniency():
    old = config(hook(sideEffects="Some", matchConditions=[mc("a", "object.x")]))
    new = copy.deepcopy(old)
    new["webhooks"][0]["timeoutSeconds"] = 5
    # Old already had side effects Some and an uncompilable-as-bool condition left unchanged.
    assert VWC.strategy.validate_update(new, old, Context()) == []
    new["webhooks"][0]["matchConditions"] = [mc("a", "object.y")]
    assert msgs(VWC.strategy.validate_update(new, old, Context())) == [
        'webhooks[0].matchConditions[0].expression: Invalid value: "object.y": must evaluate to bool']


# --- ValidatingAdmissionPolicy ---


def policy(**spec):
    base = {"matchConstraints": {"resourceRules": [{"operations": ["CREATE"], "apiGroups": ["apps"], "apiVersions": ["v1"],
                                                    "resources": ["deployments"]}]},
            "validations": [{"expression": "object.spec.replicas <= 5"}]}
    base.update(spec)
    obj = {"metadata": {"name": "max-replicas"}, "spec": {k: v for k, v in base.items() if v is not None}}
    VAP.strategy.default(obj)
    return obj


def policy_errors(**spec):
    return msgs(VAP.strategy.validate(policy(**spec), Context()))


def test_policy_defaults():
    spec = policy()["spec"]
    assert spec["failurePolicy"] == "Fail"
    assert spec["matchConstraints"]["matchPolicy"] == "Equivalent"
    assert spec["matchConstraints"]["namespaceSelector"] == {} and spec["matchConstraints"]["objectSelector"] == {}
    assert spec["matchConstraints"]["resourceRules"][0]["scope"] == "*"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param({}, [], id="valid"),
        pytest.param({"failurePolicy": "Sometimes"}, ['spec.failurePolicy: Unsupported value: "Sometimes": supported values: "Fail", "Ignore"'], id="failurePolicy"),
        pytest.param({"matchConstraints": None}, ["spec.matchConstraints: Required value"], id="matchConstraints required"),
        pytest.param({"matchConstraints": {"resourceRules": []}}, ["spec.matchConstraints.resourceRules: Required value"], id="resourceRules required"),
        pytest.param({"validations": None},
                     ["spec.validations: Required value: validations or auditAnnotations must contain at least one item",
                      "spec.auditAnnotations: Required value: validations or auditAnnotations must contain at least one item"],
                     id="nothing to do"),
        pytest.param({"validations": [{"expression": "object.spec.paused"}]},
                     ['spec.validations[0].expression: Invalid value: "object.spec.paused": must evaluate to bool'], id="dyn is not bool"),
        pytest.param({"validations": [{"expression": " "}]}, ["spec.validations[0].expression: Required value: expression is not specified"], id="expression required"),
        pytest.param({"validations": [{"expression": "true", "message": " ", "messageExpression": " ", "reason": "Unauthorized"}]},
                     ['spec.validations[0].messageExpression: Invalid value: " ": must be non-empty if specified',
                      'spec.validations[0].message: Invalid value: " ": message must be non-empty if specified',
                      'spec.validations[0].reason: Unsupported value: "Unauthorized": supported values: "Forbidden", "Invalid", "RequestEntityTooLarge"'],
                     id="message fields and reason"),
        pytest.param({"validations": [{"expression": "true", "message": "a\nb", "messageExpression": "object.spec.replicas"}]},
                     ['spec.validations[0].messageExpression: Invalid value: "object.spec.replicas": must evaluate to string',
                      'spec.validations[0].message: Invalid value: "a\\nb": message must not contain line breaks'],
                     id="messageExpression type and line breaks"),
        pytest.param({"validations": [{"expression": "true", "messageExpression": "authorizer.path('/').check('get').reason()"}]},
                     ["spec.validations[0].messageExpression: Invalid value: \"authorizer.path('/').check('get').reason()\": compilation failed: ERROR: <input>:1:1: undeclared reference to 'authorizer' (in container '')\n | authorizer.path('/').check('get').reason()\n | ^"],
                     id="no authorizer in messageExpression"),
        pytest.param({"paramKind": {"apiVersion": "a/b/c", "kind": "Bad_Kind"}},
                     ['spec.paramKind.apiVersion: Invalid value: "a/b/c": unexpected GroupVersion string: a/b/c',
                      "spec.paramKind.kind: Invalid value: \"Bad_Kind\": may have mixed case, but should otherwise match: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"],
                     id="paramKind"),
        pytest.param({"paramKind": {"apiVersion": "example.com/", "kind": "Limits"}},
                     ['spec.paramKind.apiVersion: Invalid value: "example.com/": version must be specified'], id="paramKind version"),
        pytest.param({"paramKind": {"apiVersion": "v1", "kind": "ConfigMap"}, "validations": [{"expression": "object.spec.replicas <= params.data.max"}]},
                     [], id="params with paramKind"),
        pytest.param({"variables": [{"name": "replicas", "expression": "object.spec.replicas"}, {"name": "big", "expression": "variables.replicas > 3"}],
                      "validations": [{"expression": "!variables.big"}]}, [], id="variables in order"),
        pytest.param({"variables": [{"name": "in", "expression": "true"}, {"name": "a", "expression": "variables.b"}, {"name": "b", "expression": ""}]},
                     ['spec.variables[0].name: Invalid value: "in": name is not a valid CEL identifier',
                      "spec.variables[1].expression: Invalid value: \"variables.b\": compilation failed: ERROR: <input>:1:10: undeclared reference to 'variables.b' (in container '')\n | variables.b\n | .........^",
                      "spec.variables[2].expression: Required value: expression is not specified"],
                     id="variables rules"),
        pytest.param({"matchConditions": [{"name": "x", "expression": "variables.a"}], "variables": [{"name": "a", "expression": "true"}]},
                     ["spec.matchConditions[0].expression: Invalid value: \"variables.a\": compilation failed: ERROR: <input>:1:10: undeclared reference to 'variables.a' (in container '')\n | variables.a\n | .........^"],
                     id="no variables in matchConditions"),
        pytest.param({"validations": None, "auditAnnotations": [{"key": "k", "valueExpression": "'v'"}, {"key": "k", "valueExpression": "1"}]},
                     ['spec.auditAnnotations[1].valueExpression: Invalid value: "1": must evaluate to one of [string null_type]',
                      'spec.auditAnnotations[1].key: Duplicate value: "k"'],
                     id="audit annotations"),
        pytest.param({"validations": None, "auditAnnotations": [{"key": "bad key", "valueExpression": " "}]},
                     ["spec.auditAnnotations[0].key: Invalid value: \"max-replicas/bad key\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
                      "spec.auditAnnotations[0].valueExpression: Required value: valueExpression is not specified"],
                     id="audit annotation key and value"),
        pytest.param({"validations": None, "auditAnnotations": [{"key": "k", "valueExpression": "'" + "x" * 5200 + "'"}]},
                     ["spec.auditAnnotations[0].valueExpression: Required value: must not exceed 5120 bytes in length"], id="audit value too long"),
    ],
)
def test_policy(spec, expected):
    assert policy_errors(**spec) == expected


def test_policy_status_keeps_spec_and_is_validated():
    old = policy()
    new = copy.deepcopy(old)
    new["spec"]["validations"] = []
    new["status"] = {"typeChecking": {"expressionWarnings": [{"fieldRef": "", "warning": ""}]}}
    VAP.strategy.prepare_for_status_update(new, old, Context())
    assert new["spec"] == old["spec"]
    assert msgs(VAP.strategy.validate_status_update(new, old, Context())) == [
        "status.typeChecking.expressionWarnings[0].warning: Required value",
        "status.typeChecking.expressionWarnings[0].fieldRef: Required value"]


def binding(**spec):
    base = {"policyName": "max-replicas", "validationActions": ["Deny"]}
    base.update(spec)
    obj = {"metadata": {"name": "b"}, "spec": {k: v for k, v in base.items() if v is not None}}
    VAPB.strategy.default(obj)
    return obj


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param({}, [], id="valid"),
        pytest.param({"policyName": None, "validationActions": None},
                     ["spec.policyName: Required value", "spec.validationActions: Required value: at least one validation action is required"], id="required"),
        pytest.param({"validationActions": ["Deny", "Warn", "Deny", "Log"]},
                     ['spec.validationActions[2]: Duplicate value: "Deny"',
                      'spec.validationActions[3]: Unsupported value: "Log": supported values: "Audit", "Deny", "Warn"',
                      'spec.validationActions: Invalid value: []string{"Deny", "Warn", "Deny", "Log"}: must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)'],
                     id="actions"),
        pytest.param({"paramRef": {"name": "p", "selector": {}}},
                     ["spec.paramRef.name: Forbidden: name and selector are mutually exclusive",
                      "spec.paramRef.selector: Forbidden: name and selector are mutually exclusive",
                      "spec.paramRef.parameterNotFoundAction: Required value"], id="name and selector"),
        pytest.param({"paramRef": {"parameterNotFoundAction": "Ignore"}},
                     ["spec.paramRef: Required value: one of name or selector must be specified",
                      'spec.paramRef.parameterNotFoundAction: Unsupported value: "Ignore": supported values: "Deny", "Allow"'], id="neither"),
        pytest.param({"matchResources": {"matchPolicy": "Fuzzy"}},
                     ['spec.matchResouces.matchPolicy: Unsupported value: "Fuzzy": supported values: "Equivalent", "Exact"'], id="upstream's matchResouces path"),
    ],
)
def test_binding(spec, expected):
    assert msgs(VAPB.strategy.validate(binding(**spec), Context())) == expected


@pytest.mark.parametrize(
    ("param_ref", "cell"),
    [
        pytest.param(None, "<unset>", id="unset"),
        pytest.param({"name": "p", "namespace": "ns"}, "ns/p", id="namespaced"),
        pytest.param({"name": "p"}, "*/p", id="any namespace"),
        pytest.param({"selector": {"matchLabels": {"b": "2", "a": "1"}, "matchExpressions": [{"key": "k", "operator": "In", "values": ["x", "y"]}]}},
                     "&LabelSelector{MatchLabels:map[string]string{a: 1,b: 2,},MatchExpressions:[]LabelSelectorRequirement{"
                     "LabelSelectorRequirement{Key:k,Operator:In,Values:[x y],},},}", id="selector"),
    ],
)
def test_binding_printer(param_ref, cell):
    obj = binding(paramRef=param_ref)
    assert VAPB.printer.row(obj) == ["b", "max-replicas", cell, "<unknown>"]


def test_policy_printer():
    assert [c.name for c in VAP.printer.columns] == ["Name", "Validations", "ParamKind", "Age"]
    assert VAP.printer.row(policy()) == ["max-replicas", 1, "<unset>", "<unknown>"]
    assert VAP.printer.row(policy(paramKind={"apiVersion": "v1", "kind": "ConfigMap"}))[2] == "v1/ConfigMap"


def test_label_selector_values_checked_strictly():
    sel = {"matchExpressions": [{"key": "a", "operator": "In", "values": ["not ok"]}]}
    assert len(common.validate_label_selector(sel, Path("s"))) == 1
    assert common.validate_label_selector(sel, Path("s"), strict_values=False) == []
