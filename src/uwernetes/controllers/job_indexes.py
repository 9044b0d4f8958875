"""Completion index sets of Indexed Jobs, and the success policy that reads them.

Mirrors upstream's `pkg/controller/job/indexed_job_utils.go` (orderedIntervals, the lenient
parser of `status.completedIndexes`, the compressed writer) and `success_policy.go` (v1.30).
Index sets are sorted lists of inclusive `(first, last)` pairs, never touching or overlapping.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from typing import Any

Intervals = list[tuple[int, int]]

SUCCESS_POLICY_MESSAGE = "Matched rules at index"


def _atoi(text: str) -> int | None:
    """strconv.Atoi: optional sign, decimal digits only."""
    body = text[1:] if text[:1] in ("+", "-") else text
    if not body.isdigit() or not body.isascii():
        return None
    return int(text)


def parse_indexes(text: str | None, completions: int) -> Intervals:
    """parseIndexesFromString: corrupt intervals are skipped, the first interval starting at or
    beyond `completions` ends the parse, and ends beyond it are clamped."""
    result: Intervals = []
    if not text:
        return result
    for part in text.split(","):
        limits = part.split("-")
        first = _atoi(limits[0])
        if first is None:
            continue
        if first >= completions:
            break
        last = first
        if len(limits) > 1:
            parsed = _atoi(limits[1])
            if parsed is None:
                continue
            last = min(parsed, completions - 1)
        if result and result[-1][1] == first - 1:
            result[-1] = (result[-1][0], last)
        else:
            result.append((first, last))
    return result


def format_indexes(intervals: Intervals) -> str:
    """orderedIntervals.String: `a-b` for runs of three or more, `a,b` for a pair."""
    out: list[str] = []
    for first, last in intervals:
        if last == first:
            out.append(str(first))
        elif last == first + 1:
            out.append(f"{first},{last}")
        else:
            out.append(f"{first}-{last}")
    return ",".join(out)


def total(intervals: Intervals) -> int:
    return sum(last - first + 1 for first, last in intervals)


def has(intervals: Intervals | None, ix: int) -> bool:
    if not intervals:
        return False
    pos = bisect.bisect_right(intervals, (ix, float("inf"))) - 1
    return pos >= 0 and intervals[pos][0] <= ix <= intervals[pos][1]


def with_indexes(intervals: Intervals, indexes: Iterable[int]) -> Intervals:
    """withOrderedIndexes: the union of the set and some indexes, adjacent runs joined."""
    points = sorted(set(indexes))
    if not points:
        return list(intervals)
    merged = sorted(list(intervals) + [(i, i) for i in points])
    return _normalise(merged)


def merge(a: Intervals, b: Intervals) -> Intervals:
    return _normalise(sorted(a + b))


def _normalise(sorted_intervals: Intervals) -> Intervals:
    out: Intervals = []
    for first, last in sorted_intervals:
        if out and first <= out[-1][1] + 1:
            if last > out[-1][1]:
                out[-1] = (out[-1][0], last)
        else:
            out.append((first, last))
    return out


def _count_overlap(rule: Intervals, succeeded: Intervals) -> int:
    """How many indexes of `rule` are in `succeeded` (a two-pointer walk over both)."""
    contains = r = s = 0
    while r < len(rule) and s < len(succeeded):
        overlap = min(rule[r][1], succeeded[s][1]) - max(rule[r][0], succeeded[s][0]) + 1
        if overlap > 0:
            contains += overlap
        if succeeded[s][1] < rule[r][1]:
            s += 1
        elif succeeded[s][1] > rule[r][1]:
            r += 1
        else:
            s += 1
            r += 1
    return contains


def match_success_policy(success_policy: dict[str, Any] | None, completions: int, succeeded: Intervals,
                         *, enabled: bool = True) -> tuple[str, bool]:
    """matchSuccessPolicy (v1.30): the first matching rule wins; nothing matches before an index
    has succeeded, and a rule whose succeededIndexes parse to nothing is skipped."""
    if not enabled or not success_policy or not succeeded:
        return "", False
    for i, rule in enumerate(success_policy.get("rules") or ()):
        count = rule.get("succeededCount")
        if rule.get("succeededIndexes") is not None:
            required = parse_indexes(rule["succeededIndexes"], completions)
            if not required:
                continue
            contains = _count_overlap(required, succeeded)
            if contains == total(required) or (count is not None and contains >= count):
                return f"{SUCCESS_POLICY_MESSAGE} {i}", True
        elif count is not None and total(succeeded) >= count:
            return f"{SUCCESS_POLICY_MESSAGE} {i}", True
    return "", False
