"""Index sets of Indexed Jobs and the v1.30 success policy (spec controllers-node.md §1.4, §1.8)."""

import pytest

from uwernetes.controllers import job_indexes as ix


@pytest.mark.parametrize(
    "text, completions, want",
    [
        pytest.param("", 10, [], id="empty"),
        pytest.param("1,3-5,7", 10, [(1, 1), (3, 5), (7, 7)], id="mixed"),
        pytest.param("0,1,2", 10, [(0, 2)], id="adjacent singles join"),
        pytest.param("1-3,4-5", 10, [(1, 5)], id="adjacent intervals join"),
        pytest.param("3,12,4", 10, [(3, 3)], id="first interval at or past completions ends the parse"),
        pytest.param("8-15", 10, [(8, 9)], id="end clamped to completions-1"),
        pytest.param("a,2,3-x,5", 10, [(2, 2), (5, 5)], id="corrupt intervals skipped"),
    ],
)
def test_parse_indexes(text, completions, want):
    assert ix.parse_indexes(text, completions) == want


@pytest.mark.parametrize(
    "indexes, want",
    [
        pytest.param([], "", id="none"),
        pytest.param([0, 1], "0,1", id="two consecutive print as a pair"),
        pytest.param([0, 1, 2], "0-2", id="three make a range"),
        pytest.param([1, 3, 4, 5, 7], "1,3-5,7", id="spec example"),
        pytest.param([3, 4], "3,4", id="pair"),
        pytest.param([9, 2, 5, 4, 3], "2-5,9", id="unsorted input"),
    ],
)
def test_format_indexes(indexes, want):
    assert ix.format_indexes(ix.with_indexes([], indexes)) == want


def test_with_indexes_merges_into_existing_and_total_has():
    got = ix.with_indexes([(0, 2), (6, 6)], [3, 5, 8])
    assert got == [(0, 3), (5, 6), (8, 8)]
    assert ix.total(got) == 7
    assert [i for i in range(10) if ix.has(got, i)] == [0, 1, 2, 3, 5, 6, 8]
    assert ix.merge([(0, 1)], [(2, 4), (8, 9)]) == [(0, 4), (8, 9)]


def _set(*indexes):
    return ix.with_indexes([], indexes)


# Ported from upstream pkg/controller/job/success_policy_test.go::TestMatchSuccessPolicy
@pytest.mark.parametrize(
    "rules, succeeded, want",
    [
        pytest.param([{"succeededIndexes": "0,2-3", "succeededCount": 1}], _set(2), ("Matched rules at index 0", True), id="seed"),
        pytest.param([{"succeededIndexes": "0,2-3"}], _set(2), ("", False), id="succeededIndexes only; not all succeeded"),
        pytest.param([{"succeededIndexes": "0,2-3"}], _set(0, 2, 3), ("Matched rules at index 0", True), id="succeededIndexes only; all succeeded"),
        pytest.param([{"succeededIndexes": "1-4", "succeededCount": 3}], _set(1, 3, 5), ("", False), id="both; only 1 and 3 count"),
        pytest.param([{"succeededIndexes": "1-4", "succeededCount": 3}], _set(1, 3, 4), ("Matched rules at index 0", True), id="both; three listed succeeded"),
        pytest.param([{"succeededCount": 5}], _set(0, 1, 2, 3), ("", False), id="succeededCount only; four of five"),
        pytest.param([{"succeededCount": 5}], _set(0, 1, 2, 3, 4), ("Matched rules at index 0", True), id="succeededCount only; five"),
        pytest.param([{"succeededIndexes": "0"}, {"succeededIndexes": "1-9", "succeededCount": 5}], _set(2, 3, 4, 5, 6),
                     ("Matched rules at index 1", True), id="second rule matches"),
        pytest.param([{"succeededCount": 0}], [], ("", False), id="nothing succeeded; even succeededCount 0 is not evaluated"),
        pytest.param([{"succeededIndexes": "12-14"}, {"succeededCount": 1}], _set(0), ("Matched rules at index 1", True),
                     id="rule with out of range succeededIndexes is skipped"),
    ],
)
def test_match_success_policy(rules, succeeded, want):
    assert ix.match_success_policy({"rules": rules}, 10, succeeded) == want


def test_match_success_policy_gate_off_or_no_policy():
    assert ix.match_success_policy({"rules": [{"succeededCount": 1}]}, 10, _set(0), enabled=False) == ("", False)
    assert ix.match_success_policy(None, 10, _set(0)) == ("", False)
