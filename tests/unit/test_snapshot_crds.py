"""The snapshot CRDs the server installs at start: valid, structural, and every CEL rule compiles
(the server skips compiling its own bundled rules at start, so this is where they are checked)."""

import pytest

from uwernetes.apiextensions import snapshot_crds, structural
from uwernetes.apiserver.resources.customresourcedefinitions import default_crd, validate_crd
from uwernetes.cel import compile_error


@pytest.mark.parametrize("crd", snapshot_crds.definitions(), ids=lambda c: c["metadata"]["name"])
def test_bundled_crd_is_valid(crd):
    default_crd(crd)
    assert not structural.BUNDLED_RULES.get()
    assert [str(e) for e in validate_crd(crd)] == []


def _rules(node):
    if isinstance(node, dict):
        yield from node.get("x-kubernetes-validations") or ()
        for value in node.values():
            yield from _rules(value)
    elif isinstance(node, list):
        for value in node:
            yield from _rules(value)


def test_every_bundled_rule_compiles():
    rules = [r for crd in snapshot_crds.definitions() for r in _rules(crd)]
    assert len(rules) >= 10
    for rule in rules:
        assert compile_error(rule["rule"], {"self": "dyn", "oldSelf": "dyn"}) is None, rule
