"""Stamp codes: Crockford base32 with a mod-37 check symbol, read the way people type."""
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labels.codes import (CHECK_ALPHABET, MAX_ID, CodeError, compact_code, format_code,
                          new_run_key, new_stamp_ids, normalize_code, parse_code, pin_for)

ids = st.integers(min_value=1, max_value=MAX_ID)
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def crockford_value(symbols: str) -> int:
    """Decode by Crockford's table, independently of the library."""
    return sum(CROCKFORD.index(s) * 32 ** i for i, s in enumerate(reversed(symbols)))


@given(ids)
def test_format_then_parse_is_identity(stamp_id):
    printed = format_code(stamp_id)
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z*~$=]{2}", printed)
    assert parse_code(printed) == stamp_id
    assert parse_code(compact_code(stamp_id)) == stamp_id


@given(ids)
def test_code_is_crockford_base32_of_the_id_plus_its_mod_37_symbol(stamp_id):
    compact = compact_code(stamp_id)
    assert len(compact) == 14
    assert crockford_value(compact[:13]) == stamp_id
    assert compact[13] == "0123456789ABCDEFGHJKMNPQRSTVWXYZ*~$=U"[stamp_id % 37]


def test_known_spellings():
    # 1 is the smallest id: all zeros then 1, and check symbol 1.
    assert format_code(1) == "0000-0000-0000-11"
    # 2**63 - 1 = 7 followed by twelve 31s in base 32; mod 37 it is 5.
    assert format_code(MAX_ID) == "7ZZZ-ZZZZ-ZZZZ-Z5"
    assert (2**63 - 1) % 37 == 5


@given(ids, st.data())
def test_people_may_type_lower_case_spaces_dashes_and_confusable_letters(stamp_id, data):
    compact = compact_code(stamp_id)
    typed = []
    for symbol in compact:
        options = [symbol, symbol.lower()]
        if symbol == "1":
            options += ["I", "i", "L", "l"]
        if symbol == "0":
            options += ["O", "o"]
        typed.append(data.draw(st.sampled_from(options)))
        typed.append(data.draw(st.sampled_from(["", "", " ", "-", "–"])))
    assert parse_code("".join(typed)) == stamp_id


@given(ids, st.data())
def test_any_single_symbol_substitution_is_caught(stamp_id, data):
    compact = compact_code(stamp_id)
    position = data.draw(st.integers(0, 13))
    alphabet = CHECK_ALPHABET if position == 13 else CROCKFORD
    other = data.draw(st.sampled_from([s for s in alphabet if s != compact[position]]))
    typo = compact[:position] + other + compact[position + 1:]
    with pytest.raises(CodeError) as caught:
        parse_code(typo)
    # A substitution either breaks the check or leaves the 63-bit range.
    assert caught.value.reason in ("check", "range")


@pytest.mark.parametrize("text, reason, fragment", [
    ("", "empty", "Type the stamp code"),
    ("  - ", "empty", "Type the stamp code"),
    ("7KQ2-M9XD-4TPA", "length", "this one has 12"),
    ("7KQ2-M9XD-4TPA-W3X", "length", "this one has 15"),
    ("7KQ2-M9XD-4TPA-W#", "character", "'#' cannot appear"),
    ("7KQ2-M9XD-4TPA-Ư3", "character", "'Ư' cannot appear"),
    ("7KQU-M9XD-4TPA-W3", "u_inside", "U can only be the last"),
])
def test_refusals_say_why(text, reason, fragment):
    with pytest.raises(CodeError) as caught:
        parse_code(text)
    assert caught.value.reason == reason
    assert fragment in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_wrong_check_symbol_is_refused():
    good = compact_code(123456789012345)
    wrong = good[:13] + ("0" if good[13] != "0" else "1")
    with pytest.raises(CodeError, match="mistyped") as caught:
        parse_code(wrong)
    assert caught.value.reason == "check"


def test_u_is_accepted_as_a_check_symbol():
    stamp_id = next(i for i in range(1, 1000) if i % 37 == 36)
    assert compact_code(stamp_id).endswith("U")
    assert parse_code(compact_code(stamp_id).lower()) == stamp_id


@pytest.mark.parametrize("text", ["0000-0000-0000-00", "8000-0000-0000-0" +
                                  CHECK_ALPHABET[2**63 % 37]])
def test_values_outside_the_id_range_are_refused(text):
    with pytest.raises(CodeError) as caught:
        parse_code(text)
    assert caught.value.reason == "range"


@pytest.mark.parametrize("bad", [0, -1, 2**63, True, "12"])
def test_only_ids_in_range_are_formatted(bad):
    with pytest.raises(CodeError):
        format_code(bad)


def test_normalize_gives_the_compact_form():
    stamp_id = 987654321987654321
    assert normalize_code(format_code(stamp_id).lower()) == compact_code(stamp_id)


def test_new_stamp_ids_are_distinct_in_range_and_url_safe():
    drawn = list(new_stamp_ids(50_000))
    assert len(drawn) == 50_000 == len(set(drawn))
    assert all(isinstance(i, int) and 1 <= i <= MAX_ID for i in drawn)
    # Check symbols are letters or digits only (GS1 serials cannot hold ~ or $).
    assert {compact_code(i)[-1] for i in drawn} <= set(CROCKFORD)
    # Random: both halves of the range and high bits used.
    assert max(drawn) > 2**62 and min(drawn) < 2**62


def test_new_stamp_ids_edge_counts():
    assert list(new_stamp_ids(0)) == []
    assert len(list(new_stamp_ids(1))) == 1
    with pytest.raises(ValueError):
        list(new_stamp_ids(-1))


# RFC 6238 Appendix B, SHA-256 column: HOTP of the time counter under the 32-byte seed
# "1234…" (8 digits). pin_for truncates the same way and keeps the last 6 digits.
RFC6238_SHA256 = [(59, "46119246"), (1111111109, "68084774"), (1111111111, "67062674"),
                  (1234567890, "91819424"), (2000000000, "90698825"),
                  (20000000000, "77737706")]


@pytest.mark.parametrize("unix_time, totp", RFC6238_SHA256)
def test_pin_is_rfc_4226_truncation_of_hmac_sha256(unix_time, totp):
    key = b"12345678901234567890123456789012"
    assert pin_for(key, unix_time // 30) == totp[-6:]


def test_pins_depend_on_the_run_key_and_are_six_digits():
    first, second = new_run_key(), new_run_key()
    assert len(first) == 32 and first != second
    pins = [pin_for(first, i) for i in range(1, 200)]
    assert all(re.fullmatch(r"\d{6}", p) for p in pins)
    assert pins != [pin_for(second, i) for i in range(1, 200)]
    with pytest.raises(ValueError):
        pin_for(b"short", 1)


def test_without_numpy_the_ids_are_drawn_the_same_way():
    from labels.codes import _ids_with_a_set
    drawn = list(_ids_with_a_set(3000))
    assert len(set(drawn)) == 3000
    assert all(1 <= i <= MAX_ID and compact_code(i)[-1] in CROCKFORD for i in drawn)


def test_a_drawn_duplicate_is_replaced():
    from labels.codes import _replace_duplicates
    replaced = _replace_duplicates([5, 7, 5, 5])
    assert replaced[:2] == [5, 7] and len(set(replaced)) == 4
