"""RuntimeClass validation (pkg/apis/node/validation) and printing."""

import pytest

from uwernetes.apiserver.resources import runtimeclasses as rcs
from uwernetes.apiserver.resources.base import Context

S = rcs.RUNTIMECLASSES.strategy
LABEL = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and "
         "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
         "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')")


def rc(handler="runc", **kw):
    return {"metadata": {"name": "runc"}, "handler": handler, **kw}


@pytest.mark.parametrize(("obj", "expected"), [
    pytest.param(rc(), [], id="valid"),
    pytest.param(rc(""), [f'handler: Invalid value: "": {LABEL}'], id="missing handler"),
    pytest.param(rc("Run_C"), [f'handler: Invalid value: "Run_C": {LABEL}'], id="not a DNS label"),
    pytest.param(rc(scheduling={"tolerations": [{"key": "a", "operator": "Exists"}, {"key": "a", "operator": "Exists"}]}),
                 ['scheduling.tolerations[1]: Duplicate value: core.Toleration{Key:"a", Operator:"Exists", Value:"", '
                  'Effect:"", TolerationSeconds:(*int64)(nil)}'],
                 id="duplicate tolerations"),
])
def test_validate(obj, expected):
    assert [str(e) for e in S.validate(obj, Context())] == expected


def test_handler_is_immutable_and_row():
    assert [str(e) for e in S.validate_update(rc("kata"), rc(), Context())] == [
        'handler: Invalid value: "kata": field is immutable']
    assert rcs.table_row(rc()) == ["runc", "runc", "<unknown>"]
    assert [c.name for c in rcs.PRINTER.columns] == ["Name", "Handler", "Age"]
