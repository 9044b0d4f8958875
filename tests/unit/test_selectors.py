"""Label and field selector parsing and matching (the query-string forms clients send)."""

import pytest

from uwernetes.machinery.selectors import (
    parse_field_selector,
    parse_label_selector,
    selector_from_label_selector,
)


@pytest.mark.parametrize(
    "text, labels, expected",
    [
        ("app=web", {"app": "web"}, True),
        ("app==web", {"app": "web"}, True),
        ("app=web", {"app": "db"}, False),
        ("app!=web", {}, True),
        ("app!=web", {"app": "web"}, False),
        ("app in (web,db)", {"app": "db"}, True),
        ("app notin (web,db)", {"app": "x"}, True),
        ("app notin (web,db)", {}, True),
        ("app", {"app": ""}, True),
        ("!app", {"app": "x"}, False),
        ("!app", {}, True),
        ("app=web,tier!=x", {"app": "web", "tier": "y"}, True),
        ("app=web,tier!=x", {"app": "web", "tier": "x"}, False),
        ("n>3", {"n": "4"}, True),
        ("n<3", {"n": "4"}, False),
        ("", {"anything": "x"}, True),
    ],
)
def test_label_selector_matching(text, labels, expected):
    assert parse_label_selector(text).matches(labels) is expected


@pytest.mark.parametrize("text", ["app=(", "=x", "app in web", "Bad Key=x", "app=bad value!"])
def test_label_selector_errors(text):
    with pytest.raises(ValueError):
        parse_label_selector(text)


def test_metav1_label_selector_conversion():
    sel = selector_from_label_selector(
        {"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]}]}
    )
    assert sel.matches({"app": "web", "tier": "a"})
    assert not sel.matches({"app": "web", "tier": "c"})
    assert selector_from_label_selector(None) is None
    assert selector_from_label_selector({}).matches({"x": "y"})


def test_field_selector_duplicates_negation_and_escapes():
    sel = parse_field_selector("metadata.name=x,metadata.name=x,status.phase!=Failed")
    fields = {"metadata.name": "x", "status.phase": "Running"}
    assert sel.matches(fields.get)
    assert not sel.matches({"metadata.name": "x", "status.phase": "Failed"}.get)
    assert sel.value_for("metadata.name") == "x"
    escaped = parse_field_selector(r"metadata.name=a\,b")
    assert escaped.value_for("metadata.name") == "a,b"
    with pytest.raises(ValueError):
        parse_field_selector("nonsense")
