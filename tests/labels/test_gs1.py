import pytest

from labels.gs1 import GtinError, check_digit, normalize_gtin


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
