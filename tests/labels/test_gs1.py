import pytest

from labels.gs1 import (CSET82, GtinError, check_digit, has_valid_check_digit, is_gtin,
                        normalize_gtin, outside_cset82)


@pytest.mark.parametrize("gtin", [
    "4006381333931",      # GTIN-13 printed on a real product
    "96385074",           # GTIN-8 from GS1's check digit calculator example
    "036000291452",       # GTIN-12 (UPC-A) from GS1 US examples
    "10614141000415",     # GTIN-14 from the GS1 General Specifications
])
def test_valid_gtins_normalise_to_14_digits(gtin):
    assert normalize_gtin(gtin) == gtin.zfill(14)


def test_check_digit_of_known_body():
    assert check_digit("400638133393") == 1


@pytest.mark.parametrize("gtin, message", [
    ("4006381333932", "check digit"),
    ("12345", "8, 12, 13 or 14 digits"),
    ("40063813339ab", "8, 12, 13 or 14 digits"),
])
def test_invalid_gtins_are_refused_with_a_reason(gtin, message):
    with pytest.raises(GtinError, match=message):
        normalize_gtin(gtin)


def test_refusals_carry_a_reason():
    with pytest.raises(GtinError) as caught:
        normalize_gtin("9520123456780")
    assert caught.value.reason == "gtin_check"
    assert caught.value.params["expected"] == 8
    with pytest.raises(GtinError) as caught:
        normalize_gtin("95201234567")
    assert caught.value.reason == "gtin_length"


@pytest.mark.parametrize("gtin, valid", [
    ("9520123456788", True), ("09520123456788", True), ("9520123456789", False),
    ("952012345678", False), ("٩٥٢٠١٢٣٤٥٦٧٨٨", False),  # Arabic-Indic digits are not GS1 digits
])
def test_is_gtin(gtin, valid):
    assert is_gtin(gtin) is valid


def test_every_single_digit_error_is_caught_by_the_check_digit():
    gtin = "9520123456788"
    for position in range(len(gtin)):
        for digit in "0123456789":
            if digit != gtin[position]:
                assert not has_valid_check_digit(gtin[:position] + digit + gtin[position + 1:])


def test_the_82_character_set():
    # GS1 General Specifications figure 7.11-1: 82 characters, no space, no '#', '$', '@'.
    assert len(CSET82) == 82
    assert outside_cset82("ABC-12/3_x.y:z;(a)*+,<=>?!%&'\"") == []
    assert outside_cset82("LÔ 1#$@~") == [" ", "#", "$", "@", "~", "Ô"]
