"""resource.Quantity parsing and canonical printing (apimachinery api/resource quantity_test.go)."""

from fractions import Fraction

import pytest

from uwernetes.machinery import quantity

FORMAT_ERR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        pytest.param("0", Fraction(0), id="zero"),
        pytest.param("500m", Fraction(1, 2), id="milli"),
        pytest.param("0.5", Fraction(1, 2), id="decimal fraction"),
        pytest.param("1Ki", Fraction(1024), id="binary"),
        pytest.param("1.5Gi", Fraction(3 * 2**29), id="binary fraction"),
        pytest.param("1e3", Fraction(1000), id="exponent"),
        pytest.param("12e-1", Fraction(6, 5), id="negative exponent"),
        pytest.param("-1k", Fraction(-1000), id="negative"),
        pytest.param("1n", Fraction(1, 10**9), id="nano"),
        pytest.param("0.1n", Fraction(1, 10**9), id="below nano rounds up"),
        pytest.param(2, Fraction(2), id="json int"),
        pytest.param(0.25, Fraction(1, 4), id="json float"),
    ],
)
def test_parse_quantity(text, value):
    assert quantity.parse_quantity(text) == value


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("0.5", "500m"),
        ("1000m", "1"),
        ("1500m", "1500m"),
        ("2048Ki", "2Mi"),
        ("1536Mi", "1536Mi"),
        ("1.5Gi", "1536Mi"),
        ("1024Mi", "1Gi"),
        ("100", "100"),
        ("1000", "1k"),
        ("128974848", "128974848"),
        ("129e6", "129e6"),
        ("1.5e3", "1500"),
        ("12e-1", "1200e-3"),
        ("0.1", "100m"),
        ("512", "512"),
        ("0.5Ki", "512"),
        ("-1.5", "-1500m"),
        ("0", "0"),
        ("00", "0"),
    ],
)
def test_canonicalize(text, canonical):
    assert quantity.canonicalize(text) == canonical


@pytest.mark.parametrize(("text", "rounded"), [("1n", "1m"), ("1u", "1m"), ("1.0001", "1001m"), ("2Gi", "2Gi")])
def test_round_up_milli(text, rounded):
    assert quantity.round_up_milli(text) == rounded


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("", FORMAT_ERR, id="empty"),
        pytest.param("abc", FORMAT_ERR, id="letters"),
        pytest.param("1Gix", FORMAT_ERR, id="trailing junk"),
        pytest.param("1.2.3", FORMAT_ERR, id="two dots"),
        pytest.param("1e", "unable to parse quantity's suffix", id="bare exponent"),
        pytest.param("1Q", FORMAT_ERR, id="unknown suffix letter"),
        pytest.param("1mi", "unable to parse quantity's suffix", id="bad suffix"),
        pytest.param(True, FORMAT_ERR, id="bool"),
    ],
)
def test_parse_errors(text, message):
    with pytest.raises(quantity.QuantityError) as exc:
        quantity.parse(text)
    assert str(exc.value) == message


def test_compare_and_milli_value():
    assert quantity.parse("1").cmp(quantity.parse("1000m")) == 0
    assert quantity.parse("2").cmp(quantity.parse("1")) == 1
    assert quantity.parse("1.5m").milli_value() == 2
