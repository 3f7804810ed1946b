"""GS1 Application Identifiers read from GS1's Barcode Syntax Dictionary."""
import pytest

from labels import ai_syntax
from labels.ai_syntax import AiError, element_string, exclusive_pairs, is_key_path, validate


def test_the_dictionary_describes_the_stamp_ais():
    gtin = ai_syntax.lookup("01")
    assert (gtin.fnc1, gtin.dl_attribute, gtin.min_length, gtin.max_length) == (False, True, 14, 14)
    assert gtin.components[0].linters == ("csum", "gcppos2")
    assert gtin.qualifiers == (("22", "10", "21"), ("235",))
    for ai in ("10", "21", "22"):
        entry = ai_syntax.lookup(ai)
        assert entry.fnc1 and entry.components[0].charset == "X" and entry.max_length == 20
        assert entry.qualifiers is None
    assert ai_syntax.lookup("10").dl_attribute and not ai_syntax.lookup("21").dl_attribute
    expiry = ai_syntax.lookup("17")
    assert (expiry.fnc1, expiry.max_length, expiry.components[0].linters) == (False, 6, ("yymmd0",))


def test_ranges_are_expanded():
    assert {ai_syntax.lookup(f"310{d}").title for d in range(6)} == {"NET WEIGHT (kg)"}
    assert ai_syntax.lookup("3106") is None
    assert ai_syntax.lookup("95").max_length == 90


def test_optional_components_and_linters_outside_brackets():
    harvest = ai_syntax.lookup("7007")  # N6,yymmdd [N6],yymmdd
    assert [(c.optional, c.linters) for c in harvest.components] == \
        [(False, ("yymmdd",)), (True, ("yymmdd",))]
    validate("7007", "240131")
    validate("7007", "240131240205")
    with pytest.raises(AiError) as caught:
        validate("7007", "2401312402")
    assert caught.value.reason == "length"


@pytest.mark.parametrize("ai, value", [
    ("01", "09520123456788"), ("10", "ABC-1/2%\"x"), ("21", "7KQ2M9XD4TPAW3"),
    ("17", "240229"),  # 2024 is a leap year
    ("17", "250200"),  # day 00: end of the month
    ("3103", "000195"), ("8001", "01234056780901"),
])
def test_valid_values(ai, value):
    validate(ai, value)


@pytest.mark.parametrize("ai, value, reason", [
    ("01", "09520123456789", "check_digit"),
    ("01", "0952012345678", "length"),
    ("10", "A" * 21, "length"),
    ("10", "LÔ 1", "character"),
    ("21", "", "empty_value"),
    ("17", "250229", "invalid"),  # 2025 is not
    ("17", "251301", "invalid"),
    ("17", "25010A", "character"),
    ("8001", "00004056780901", "invalid"),  # nonzero width
    ("8001", "01234056780951", "invalid"),  # winding 0, 1 or 9
    ("89", "X", "unknown_ai"),
    ("422", "704", "unsupported_ai"),  # needs the ISO 3166 list
])
def test_invalid_values_say_why(ai, value, reason):
    with pytest.raises(AiError) as caught:
        validate(ai, value)
    assert caught.value.reason == reason
    assert f"({ai})" in str(caught.value)


def test_key_paths_follow_the_qualifier_order():
    assert is_key_path("01", [])
    assert is_key_path("01", ["22", "10", "21"])
    assert is_key_path("01", ["10", "21"])
    assert is_key_path("01", ["235"])
    assert not is_key_path("01", ["21", "10"])
    assert not is_key_path("01", ["10", "235"])
    assert not is_key_path("10", [])


def test_exclusive_pairs():
    assert {frozenset(p) for p in exclusive_pairs(["01", "02"])} == {frozenset({"01", "02"})}
    assert {frozenset(p) for p in exclusive_pairs(["3103", "3102"])} == \
        {frozenset({"3103", "3102"})}
    assert exclusive_pairs(["01", "10", "17", "3103"]) == []


def test_element_string_puts_fnc1_after_variable_length_values_only():
    assert element_string([("01", "09520123456788"), ("17", "261231"), ("10", "L1"),
                           ("21", "S")]) == "^01095201234567881726123110L1^21S"
