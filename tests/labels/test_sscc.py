"""SSCCs (GS1 AI 00), the keys of cartons and pallets, and their Digital Links."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from labels.digital_link import (DigitalLinkError, SsccLink, parse_link, parse_sscc_link,
                                 sscc_link)
from labels.gs1 import Gs1Error
from labels.sscc import (SsccError, build_sscc, format_sscc, normalize_sscc,
                         serial_capacity, validate_sscc)

BASE = "https://trace.example.vn"
GS1_EXAMPLE = "106141412345678908"  # GS1 General Specifications: (00) 1 0614141 234567890 8


@pytest.mark.parametrize("sscc", [
    GS1_EXAMPLE,
    "006141411234567890",  # GS1 Digital Link standard's examples
    "095201234567891235",
    "952012345678912345",
])
def test_known_good_ssccs_are_accepted(sscc):
    assert validate_sscc(sscc) == sscc


def test_the_gs1_example_is_built_from_its_parts():
    assert build_sscc("0614141", 234567890, extension=1) == GS1_EXAMPLE
    assert build_sscc("061414", 123456789) == "006141401234567891"  # zero-filled
    assert format_sscc(GS1_EXAMPLE, 7) == "(00) 1 0614141 234567890 8"
    assert format_sscc(GS1_EXAMPLE) == "(00) 1 0614141234567890 8"


@pytest.mark.parametrize("written", [
    "106141412345678908", "(00)106141412345678908", "(00) 1 0614141 234567890 8",
    "00106141412345678908", " 1061 4141 2345 6789 08 ",
])
def test_the_ways_people_and_scanners_write_it_are_read(written):
    assert validate_sscc(written) == GS1_EXAMPLE


@pytest.mark.parametrize("value, reason", [
    ("106141412345678907", "check_digit"),
    ("10614141234567890", "length"),
    ("0106141412345678908", "length"),  # 19 digits: a leading 0 is not the AI
    ("1061414123456789O8", "character"),
    ("١٠٦١٤١٤١٢٣٤٥٦٧٨٩٠٨", "character"),  # digits, but not 0 to 9
    ("", "length"),
    ("(00)", "length"),
])
def test_a_wrong_sscc_is_refused_with_a_reason(value, reason):
    with pytest.raises(SsccError) as caught:
        validate_sscc(value)
    assert caught.value.reason == reason
    assert isinstance(caught.value, Gs1Error)


def test_a_wrong_check_digit_says_which_one_is_right():
    with pytest.raises(SsccError, match="should be 8") as caught:
        validate_sscc("106141412345678901")
    assert caught.value.params["expected"] == 8


def test_an_sscc_under_another_company_prefix_is_refused():
    assert validate_sscc(GS1_EXAMPLE, "0614141") == GS1_EXAMPLE
    for other in ("0614142", "06141413", "8930000"):
        with pytest.raises(SsccError) as caught:
            validate_sscc(GS1_EXAMPLE, other)
        assert caught.value.reason == "prefix"
        assert other in str(caught.value)


@pytest.mark.parametrize("prefix, capacity", [
    ("061414", 10 ** 10), ("0614141", 10 ** 9), ("893123456789", 10 ** 4)])
def test_capacity_is_what_the_prefix_leaves(prefix, capacity):
    assert serial_capacity(prefix) == capacity
    largest = build_sscc(prefix, capacity - 1, extension=9)
    assert validate_sscc(largest, prefix) == largest
    assert largest[1 + len(prefix):-1] == "9" * (16 - len(prefix))
    with pytest.raises(SsccError, match=f"use 0 to {capacity - 1}") as caught:
        build_sscc(prefix, capacity)
    assert caught.value.reason == "serial"


@pytest.mark.parametrize("args, reason", [
    (("06141", 1), "company_prefix"),
    (("0614141234567", 1), "company_prefix"),
    (("06141A1", 1), "company_prefix"),
    (("0614141", -1), "serial"),
    (("0614141", True), "serial"),
    (("0614141", "1"), "serial"),
    (("0614141", 1, 10), "extension"),
    (("0614141", 1, -1), "extension"),
])
def test_build_refuses_with_a_reason(args, reason):
    with pytest.raises(SsccError) as caught:
        build_sscc(*args)
    assert caught.value.reason == reason
    assert str(caught.value)


def test_capacity_of_a_wrong_prefix_is_refused():
    with pytest.raises(SsccError) as caught:
        serial_capacity("12345")
    assert caught.value.reason == "company_prefix"


@given(st.integers(6, 12).flatmap(lambda n: st.tuples(
    st.text("0123456789", min_size=n, max_size=n), st.integers(0, 10 ** (16 - n) - 1),
    st.integers(0, 9), st.integers(0, 17), st.integers(1, 9))))
def test_built_then_read_and_any_one_wrong_digit_is_caught(case):
    prefix, serial, extension, position, shift = case
    sscc = build_sscc(prefix, serial, extension)
    assert validate_sscc(sscc, prefix) == sscc == normalize_sscc(f"(00) {sscc}")
    assert (sscc[0], sscc[1:1 + len(prefix)], int(sscc[1 + len(prefix):-1])) == \
        (str(extension), prefix, serial)
    typo = sscc[:position] + str((int(sscc[position]) + shift) % 10) + sscc[position + 1:]
    with pytest.raises(SsccError):
        validate_sscc(typo)


# The carton's Digital Link: /00/{sscc}, a primary key with no qualifiers.

def test_the_digital_link_of_a_carton_is_read_back():
    uri = sscc_link(BASE + "/", GS1_EXAMPLE)
    assert uri == f"{BASE}/00/{GS1_EXAMPLE}"
    assert parse_sscc_link(uri) == SsccLink(stem=BASE, sscc=GS1_EXAMPLE)
    with_query = sscc_link(BASE, GS1_EXAMPLE, attributes={"02": "09520123456788",
                                                          "37": "25"})
    link = parse_sscc_link(with_query + "&linkType=gs1:traceability")
    assert link.element_string == f"^00{GS1_EXAMPLE}02095201234567883725"
    assert link.params == (("linkType", "gs1:traceability"),)
    assert link.uri == with_query


@pytest.mark.parametrize("uri, reason", [
    (f"{BASE}/01/09520123456788", "unsupported_key"),
    (f"{BASE}/00/{GS1_EXAMPLE}/10/L1", "qualifiers"),
    (f"{BASE}/00/106141412345678901", "check_digit"),
    (f"{BASE}/00/10614141234567890", "length"),
    (f"{BASE}/00/{GS1_EXAMPLE}?00={GS1_EXAMPLE}", "duplicate_ai"),
    (f"{BASE}/00/{GS1_EXAMPLE}?254=X", "not_attribute"),
    (f"{BASE}/s/7KQ2M9XD4TPAW3", "no_key"),
])
def test_parse_sscc_link_refuses_with_a_reason(uri, reason):
    with pytest.raises(DigitalLinkError) as caught:
        parse_sscc_link(uri)
    assert caught.value.reason == reason


@pytest.mark.parametrize("base, sscc, reason", [
    (BASE, "106141412345678901", "check_digit"),
    (BASE, "(00)106141412345678908", "length"),
    (BASE, "10614141234567890A", "character"),
    ("trace.example.vn", GS1_EXAMPLE, "base"),
])
def test_sscc_link_refuses_with_a_reason(base, sscc, reason):
    with pytest.raises(DigitalLinkError) as caught:
        sscc_link(base, sscc)
    assert caught.value.reason == reason


def test_the_gtin_parser_still_leaves_ssccs_to_their_own():
    with pytest.raises(DigitalLinkError) as caught:
        parse_link(sscc_link(BASE, GS1_EXAMPLE))
    assert caught.value.reason == "unsupported_key"
