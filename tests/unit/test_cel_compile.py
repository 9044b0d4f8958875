"""The write-time CEL adapter: compile errors in cel-go's text, output types in cel-go's words,
and the Kubernetes 1.30 NewExpressions environment (libraries declared, ip/cidr not yet)."""

import pytest

from uwernetes import cel

ALL = cel.admission_variables(params=True, authorizer=True)


@pytest.mark.parametrize(
    ("expression", "output_type"),
    [
        pytest.param("object.spec.replicas <= 2", "bool", id="dyn field compare"),
        pytest.param("object.spec.flag", "dyn", id="bare dyn field"),
        pytest.param("object.metadata.name + 'x'", "string", id="string concat"),
        pytest.param("object.?spec.?replicas.orValue(1)", "dyn", id="optional chaining"),
        pytest.param("optional.of(1)", "optional_type(int)", id="optional type"),
        pytest.param("[[1]]", "list(list(int))", id="nested list"),
        pytest.param("{'a': [1]}", "map(string, list(int))", id="map"),
        pytest.param("null", "null_type", id="null"),
        pytest.param("duration('1s')", "google.protobuf.Duration", id="duration"),
        pytest.param("object.spec.replicas < 2.5", "bool", id="cross-type numeric comparison"),
        pytest.param("1 <= 2u", "bool", id="int uint comparison"),
        pytest.param("'a,b'.split(',').size() == 2", "bool", id="strings ext"),
        pytest.param("[3, 1].isSorted() && [1, 2].indexOf(2) == 1", "bool", id="lists library beside strings indexOf"),
        pytest.param("'abc'.find('[a-z]')", "string", id="regex library"),
        pytest.param("url('https://x/y').getHost()", "string", id="urls library"),
        pytest.param("quantity('1Gi').isGreaterThan(quantity('1Mi'))", "bool", id="quantity library"),
        pytest.param("sets.contains([1, 2], [1])", "bool", id="sets"),
        pytest.param("authorizer.group('apps').resource('deployments').namespace('ns').name('n').check('get').allowed()", "bool",
                     id="authorizer resource check"),
        pytest.param("authorizer.path('/healthz').check('get').reason()", "string", id="authorizer path check"),
        pytest.param("authorizer.requestResource.check('update').errored()", "bool", id="requestResource"),
        pytest.param("request.userInfo.username.startsWith('system:')", "bool", id="request"),
        pytest.param("params.maxReplicas > 1", "bool", id="params"),
    ],
)
def test_compiles(expression, output_type):
    assert cel.compile_expression(expression, ALL) == cel.Compiled(None, output_type)


@pytest.mark.parametrize(
    ("expression", "variables", "error"),
    [
        pytest.param(
            "object.x ==", ALL,
            "compilation failed: ERROR: <input>:1:12: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', "
            "'-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}\n | object.x ==\n"
            " | ...........^",
            id="syntax error",
        ),
        pytest.param(
            "params.x", cel.admission_variables(params=False, authorizer=True),
            # Known deviation: cel-go names 'params' at 1:1; cel-cpp names the qualified 'params.x'.
            "compilation failed: ERROR: <input>:1:7: undeclared reference to 'params.x' (in container '')\n | params.x\n"
            " | ......^",
            id="params without paramKind",
        ),
        pytest.param(
            "ip('10.0.0.1') != null", ALL,
            "compilation failed: ERROR: <input>:1:3: undeclared reference to 'ip' (in container '')\n"
            " | ip('10.0.0.1') != null\n | ..^",
            id="ip library is not in 1.30 new expressions",
        ),
        pytest.param(
            "authorizer.path('/x')", cel.admission_variables(params=False, authorizer=False),
            "compilation failed: ERROR: <input>:1:1: undeclared reference to 'authorizer' (in container '')\n"
            " | authorizer.path('/x')\n | ^",
            id="no authorizer in messageExpression",
        ),
        pytest.param(
            "'a' + 1", {},
            "compilation failed: ERROR: <input>:1:5: found no matching overload for '_+_' applied to '(string, int)'\n"
            " | 'a' + 1\n | ....^",
            id="type error",
        ),
    ],
)
def test_compile_errors(expression, variables, error):
    assert cel.compile_error(expression, variables) == error


def test_variables_are_typed_fields():
    env = {**ALL, "variables.isBig": "bool", "variables.names": "list(string)"}
    assert cel.compile_expression("variables.isBig", env).output_type == "bool"
    assert cel.compile_expression("variables.names.all(n, n != '')", env).output_type == "bool"
    assert "undeclared reference to 'variables.other'" in cel.compile_error("variables.other", env)
