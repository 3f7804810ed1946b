"""GS1 keys and Digital Links as properties: GTIN check digits, and build ∘ parse = identity
for every GTIN, lot, serial and expiry date GS1 allows."""
import itertools
from datetime import date

from hypothesis import assume, given
from hypothesis import strategies as st

from labels.codes import MAX_ID, PLAIN_CHECK_VALUES, compact_code
from labels.digital_link import DigitalLink, build_link, parse_link, stamp_url
from labels.gs1 import CSET82, check_digit, has_valid_check_digit, is_gtin, normalize_gtin

DIGITS = "0123456789"
UNRESERVED = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
STEMS = st.sampled_from(["https://trace.example.vn", "http://id.example.com",
                         "https://example.org/vn/truy-xuat", "HTTPS://QR.EXAMPLE.VN"])


def gs1_check(body: str) -> int:
    """GS1 mod 10, written independently of labels.gs1: weights 3, 1, 3, … from the
    right of the body."""
    weights = itertools.cycle((3, 1))
    total = sum(int(d) * w for d, w in zip(reversed(body), weights))
    return -total % 10


@st.composite
def gtins(draw):
    """A GTIN-8, -12, -13 or -14 with its check digit."""
    body = draw(st.sampled_from((7, 11, 12, 13)).flatmap(
        lambda n: st.text(DIGITS, min_size=n, max_size=n)))
    return body + str(gs1_check(body))


# AI 10 (lot), 21 (serial) and 22 (CPV): 1 to 20 characters of GS1's set 82.
cset82 = st.text(alphabet=sorted(CSET82), min_size=1, max_size=20)
# AI 17 (expiry): YYMMDD; DD may be 00 (the end of the month).
expiries = st.dates(date(2000, 1, 1), date(2099, 12, 31)).flatmap(
    lambda d: st.sampled_from([d.strftime("%y%m%d"), d.strftime("%y%m") + "00"]))
stamp_ids = st.integers(1, MAX_ID).filter(lambda i: i % 37 < PLAIN_CHECK_VALUES)


@given(gtins())
def test_a_gtin_with_its_check_digit_is_valid(gtin):
    assert check_digit(gtin[:-1]) == int(gtin[-1])
    assert has_valid_check_digit(gtin) and is_gtin(gtin)
    assert normalize_gtin(gtin) == gtin.rjust(14, "0")


@given(gtins(), st.data())
def test_any_single_digit_change_makes_a_gtin_invalid(gtin, data):
    position = data.draw(st.integers(0, len(gtin) - 1))
    digit = data.draw(st.sampled_from([d for d in DIGITS if d != gtin[position]]))
    changed = gtin[:position] + digit + gtin[position + 1:]
    assert not has_valid_check_digit(changed) and not is_gtin(changed)


@given(gtins(), st.data())
def test_an_adjacent_transposition_is_caught_unless_the_digits_differ_by_5(gtin, data):
    # Weights 3 and 1 next to each other: swapping a and b changes the sum by 2(a-b),
    # a multiple of 10 only when |a-b| = 5 — GS1 mod 10's known blind spot.
    position = data.draw(st.integers(0, len(gtin) - 2))
    a, b = gtin[position], gtin[position + 1]
    assume(a != b)
    swapped = gtin[:position] + b + a + gtin[position + 2:]
    assert is_gtin(swapped) == (abs(int(a) - int(b)) == 5)


def percent_encoded(value: str) -> str:
    """RFC 3986 encoding of everything but the unreserved characters, upper-case hex,
    written independently of the library."""
    return "".join(c if c in UNRESERVED else "".join(f"%{b:02X}" for b in c.encode())
                   for c in value)


@given(STEMS, gtins(), st.none() | cset82, st.none() | cset82, st.none() | cset82,
       st.none() | expiries)
def test_build_then_parse_gives_back_every_key(stem, gtin, cpv, lot, serial, expiry):
    attributes = {"17": expiry} if expiry else {}
    uri = build_link(stem, gtin, cpv=cpv, lot=lot, serial=serial, attributes=attributes)
    expected_path = f"/01/{gtin.rjust(14, '0')}" + "".join(
        f"/{ai}/{percent_encoded(value)}"
        for ai, value in (("22", cpv), ("10", lot), ("21", serial)) if value is not None)
    assert uri == stem + expected_path + (f"?17={expiry}" if expiry else "")
    assert parse_link(uri) == DigitalLink(stem=stem, gtin=gtin.rjust(14, "0"), cpv=cpv,
                                          lot=lot, serial=serial,
                                          attributes=tuple(attributes.items()))


@given(STEMS, stamp_ids, gtins(), st.none() | cset82, st.none() | st.dates(
    date(2000, 1, 1), date(2099, 12, 31)))
def test_a_stamp_url_reads_back_as_its_gtin_lot_code_and_expiry(stem, stamp_id, gtin, lot,
                                                                 expiry):
    uri = stamp_url(stem, stamp_id, gtin=gtin, lot=lot, expiry=expiry)
    link = parse_link(uri)
    assert (link.stem, link.gtin, link.lot, link.serial) == \
        (stem, gtin.rjust(14, "0"), lot, compact_code(stamp_id))
    assert link.attributes == ((("17", expiry.strftime("%y%m%d")),) if expiry else ())
    # The code is letters and digits: nothing in it needs encoding.
    assert uri.split("/21/")[1].split("?")[0] == compact_code(stamp_id)


@given(STEMS, stamp_ids)
def test_a_stamp_url_without_gtin_is_the_short_form(stem, stamp_id):
    assert stamp_url(stem, stamp_id) == f"{stem}/s/{compact_code(stamp_id)}"
