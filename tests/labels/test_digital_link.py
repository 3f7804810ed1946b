"""GS1 Digital Link URIs for stamps: built in GS1's uncompressed form, read back."""
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labels.codes import compact_code, format_code, parse_code
from labels.digital_link import DigitalLink, DigitalLinkError, build_link, parse_link, stamp_url
from labels.gs1 import CSET82, check_digit

BASE = "https://trace.example.vn"
GTIN = "09520123456788"


def test_qualifiers_in_order_and_other_ais_in_the_query():
    uri = build_link(BASE, "9520123456788", lot="L1", serial="S1", cpv="2A",
                     attributes={"17": "261231", "3103": "000500"})
    assert uri == f"{BASE}/01/{GTIN}/22/2A/10/L1/21/S1?17=261231&3103=000500"


@pytest.mark.parametrize("value, encoded", [
    ("A/B", "A%2FB"), ("50%", "50%25"), ('"X"', "%22X%22"), ("a+b", "a%2Bb"),
    ("x=y&z", "x%3Dy%26z"), ("(1)*2,3;4:5<6>7?8!9'", "%281%29%2A2%2C3%3B4%3A5%3C6%3E7%3F8%219%27"),
    ("Lot_1.2-3", "Lot_1.2-3"),
])
def test_values_are_percent_encoded_and_decoded(value, encoded):
    uri = build_link(BASE, GTIN, lot=value)
    assert uri == f"{BASE}/01/{GTIN}/10/{encoded}"
    assert parse_link(uri).lot == value


def test_plus_is_a_plus_in_the_path_and_a_space_in_the_query():
    assert parse_link(f"{BASE}/01/{GTIN}/10/A+B").lot == "A+B"
    with pytest.raises(DigitalLinkError) as caught:
        parse_link(f"{BASE}/01/{GTIN}?99=A+B")
    assert caught.value.reason == "character"


def test_parse_keeps_the_stem_and_the_other_query_parameters():
    link = parse_link(f"{BASE}/trace/01/{GTIN}/10/L%2F1/21/S?linkType=gs1:traceability&"
                      "17=261231&flag")
    assert link == DigitalLink(stem=f"{BASE}/trace", gtin=GTIN, lot="L/1", serial="S",
                               attributes=(("17", "261231"),),
                               params=(("linkType", "gs1:traceability"), ("flag", None)))
    assert link.element_string == f"^01{GTIN}10L/1^21S^17261231"


@pytest.mark.parametrize("kwargs, reason", [
    ({"gtin": "9520123456789"}, "check_digit"),
    ({"gtin": "95201234567"}, "length"),
    ({"lot": "LÔ 1"}, "character"),
    ({"lot": ""}, "empty_value"),
    ({"serial": "S" * 21}, "length"),
    ({"attributes": {"10": "L1"}}, "qualifier_in_query"),
    ({"attributes": {"89": "X"}}, "unknown_ai"),
    ({"attributes": {"expiry": "261231"}}, "unknown_ai"),
    ({"attributes": {"235": "X"}}, "qualifier_in_query"),  # the other GTIN qualifier
    ({"attributes": {"254": "X"}}, "not_attribute"),
    ({"attributes": {"01": GTIN}}, "duplicate_ai"),
    ({"attributes": {"3103": "000500", "3102": "005000"}}, "exclusive"),
    ({"attributes": {"17": "261331"}}, "invalid"),
    ({"attributes": {"422": "704"}}, "unsupported_ai"),
])
def test_build_refuses_with_a_reason(kwargs, reason):
    args = {"gtin": GTIN, **kwargs}
    with pytest.raises(DigitalLinkError) as caught:
        build_link(BASE, **args)
    assert caught.value.reason == reason
    assert str(caught.value)


@pytest.mark.parametrize("base", ["ftp://x", "trace.example.vn", "https://", "https://a b",
                                  "https://a?x=1", "https://a#b", "https://us@er/"])
def test_build_refuses_a_base_that_is_not_an_http_address(base):
    with pytest.raises(DigitalLinkError) as caught:
        build_link(base, GTIN)
    assert caught.value.reason == "base"


@pytest.mark.parametrize("uri, reason", [
    (f"{BASE}/01/{GTIN}/21/S/10/L", "qualifiers"),
    (f"{BASE}/01/{GTIN}/10/L/22/C", "qualifiers"),
    (f"{BASE}/01/{GTIN}?21=S", "qualifier_in_query"),
    (f"{BASE}/01/{GTIN}/10/L?22=C", "qualifier_in_query"),
    (f"{BASE}/01/09520123456789", "check_digit"),
    (f"{BASE}/01/{GTIN}/10/{'L' * 21}", "length"),
    (f"{BASE}/01/{GTIN}/10/L%C3%94", "character"),
    (f"{BASE}/01/{GTIN}/89/X", "unknown_ai"),
    (f"{BASE}/01/{GTIN}?17=261331", "invalid"),
    (f"{BASE}/00/095201234567891235", "unsupported_key"),
    (f"{BASE}/s/7KQ2M9XD4TPAW3", "no_key"),
    (f"{BASE}/01/{GTIN} ", "uri_character"),
])
def test_parse_refuses_with_a_reason(uri, reason):
    with pytest.raises(DigitalLinkError) as caught:
        parse_link(uri)
    assert caught.value.reason == reason


def test_stamp_url_with_a_gtin_is_a_digital_link_and_without_is_short():
    stamp_id = 4_815_162_342_108
    code = compact_code(stamp_id)
    assert stamp_url(BASE + "/", format_code(stamp_id).lower()) == f"{BASE}/s/{code}"
    assert stamp_url(BASE, stamp_id, lot="ignored without GTIN") == f"{BASE}/s/{code}"
    url = stamp_url(BASE, stamp_id, gtin="9520123456788", lot="TL/2024%1",
                    expiry=date(2026, 12, 31))
    assert url == f"{BASE}/01/{GTIN}/10/TL%2F2024%251/21/{code}?17=261231"
    link = parse_link(url)
    assert parse_code(link.serial) == stamp_id
    assert (link.gtin, link.lot, link.attributes) == (GTIN, "TL/2024%1", (("17", "261231"),))


# Property: build then parse gives back what was built.

cset82_text = st.text(alphabet=sorted(CSET82), min_size=1, max_size=20)
stems = st.sampled_from(["https://trace.example.vn", "http://a", "HTTPS://ID.GS1.ORG",
                         "https://a.example:8443/some/stem", "https://x.vn/01/09520123456788",
                         "https://192.0.2.1/10/v"])


@st.composite
def gtins(draw):
    body = draw(st.text(alphabet="0123456789", min_size=13, max_size=13))
    return body + str(check_digit(body))


@st.composite
def attribute_lists(draw):
    options = {
        "17": st.dates(date(2000, 1, 1), date(2099, 12, 31)).map(lambda d: d.strftime("%y%m%d")),
        "11": st.dates(date(2000, 1, 1), date(2099, 12, 31)).map(lambda d: d.strftime("%y%m%d")),
        "3103": st.text(alphabet="0123456789", min_size=6, max_size=6),
        "99": st.text(alphabet=sorted(CSET82), min_size=1, max_size=90),
        "240": st.text(alphabet=sorted(CSET82), min_size=1, max_size=30),
    }
    chosen = draw(st.lists(st.sampled_from(sorted(options)), unique=True, max_size=4))
    return tuple((ai, draw(options[ai])) for ai in chosen)


@given(stems, gtins(), st.none() | cset82_text, st.none() | cset82_text,
       st.none() | cset82_text, attribute_lists())
def test_build_then_parse_is_identity(stem, gtin, cpv, lot, serial, attributes):
    uri = build_link(stem, gtin, cpv=cpv, lot=lot, serial=serial, attributes=attributes)
    link = parse_link(uri)
    assert link == DigitalLink(stem=stem, gtin=gtin, cpv=cpv, lot=lot, serial=serial,
                               attributes=attributes)
    assert link.uri == uri
