"""Stamp codes (mã tem) as properties: what Crockford base32 with a mod-37 check symbol
guarantees, for every id the platform can draw.

The guarantee, and why: a code is 13 base-32 symbols of the id v and the symbol of
v mod 37. 37 is prime and greater than 32, and 32 has order 36 modulo 37, so
- changing one body symbol by d (0 < |d| < 32) at weight 32^k changes v by d·32^k,
  never a multiple of 37; changing the check symbol changes it alone: every single
  substitution is refused;
- swapping two different body symbols a, b at weights 32^j, 32^k changes v by
  (a-b)(32^j - 32^k), a multiple of 37 only when 32^(j-k) ≡ 1, i.e. j-k a multiple
  of 36 (never, in 13 symbols); swapping a body symbol with the check symbol would
  need 32^k ≡ -1 (k = 18): every transposition, adjacent or not, is refused;
- two substitutions, by contrast, can cancel out (1 in 37): no guarantee there.
Refused means a CodeError; which reason depends on the typo ("check", or "range" when
the changed body leaves the 63-bit range, or "u_inside" for a U typed in the body).
"""
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from labels.codes import (ALPHABET, CHECK_ALPHABET, MAX_ID, PLAIN_CHECK_VALUES, CodeError,
                          compact_code, format_code, parse_code)

# The ids labels.codes draws: 1 ≤ id < 2**63 and a check symbol that is a letter or digit.
ids = st.integers(min_value=1, max_value=MAX_ID).filter(lambda i: i % 37 < PLAIN_CHECK_VALUES)
# What a person may type for one symbol; the same symbol once read.
SPELLINGS = {s: [s, s.lower()] for s in CHECK_ALPHABET}
SPELLINGS["1"] += ["I", "i", "L", "l"]
SPELLINGS["0"] += ["O", "o"]
SEPARATORS = ["", "", "", " ", "-", "\u2013", "\u00a0", "\t"]
# Every symbol a typo can bring in (as typed), with the symbol it is read as.
TYPED = {spelling: symbol for symbol, spellings in SPELLINGS.items() for spelling in spellings}


@given(ids)
def test_drawn_ids_print_as_letters_and_digits_and_read_back(stamp_id):
    printed = format_code(stamp_id)
    assert set(printed.replace("-", "")) <= set(ALPHABET)
    assert parse_code(printed) == stamp_id
    assert parse_code(printed.lower()) == stamp_id
    assert parse_code(compact_code(stamp_id)) == stamp_id


@given(ids, st.data())
def test_any_typed_spelling_reads_back(stamp_id, data):
    typed = "".join(data.draw(st.sampled_from(SPELLINGS[s]))
                    + data.draw(st.sampled_from(SEPARATORS)) for s in compact_code(stamp_id))
    lead = data.draw(st.sampled_from(SEPARATORS))
    assert parse_code(lead + typed) == stamp_id


@given(ids, st.integers(0, 13), st.sampled_from(sorted(TYPED)))
def test_a_single_symbol_change_never_reads_as_another_id(stamp_id, position, typed):
    compact = compact_code(stamp_id)
    changed = compact[:position] + typed + compact[position + 1:]
    symbol = TYPED[typed]
    if symbol == compact[position]:  # a lower-case letter or an I/L/O: the same symbol
        assert parse_code(changed) == stamp_id
        return
    with pytest.raises(CodeError) as caught:
        parse_code(changed)
    body = (compact[:position] + symbol + compact[position + 1:])[:13]
    if position < 13 and symbol == "U":
        assert caught.value.reason == "u_inside"
    elif not 1 <= _value(body) <= MAX_ID:
        assert caught.value.reason == "range"
    else:
        assert caught.value.reason == "check"


@given(ids, st.integers(0, 12))
def test_an_adjacent_transposition_is_refused(stamp_id, position):
    compact = compact_code(stamp_id)
    assume(compact[position] != compact[position + 1])
    swapped = (compact[:position] + compact[position + 1] + compact[position]
               + compact[position + 2:])
    with pytest.raises(CodeError) as caught:
        parse_code(swapped)
    assert caught.value.reason in ("check", "range")


@given(ids, st.integers(0, 13), st.integers(0, 13))
def test_any_transposition_is_refused(stamp_id, first, second):
    compact = list(compact_code(stamp_id))
    assume(compact[first] != compact[second])
    compact[first], compact[second] = compact[second], compact[first]
    with pytest.raises(CodeError) as caught:
        parse_code("".join(compact))
    assert caught.value.reason in ("check", "range")


@given(ids, st.integers(0, 13), st.sampled_from(ALPHABET))
def test_a_dropped_or_doubled_symbol_is_refused_by_length(stamp_id, position, extra):
    compact = compact_code(stamp_id)
    for typo in (compact[:position] + compact[position + 1:],
                 compact[:position] + extra + compact[position:]):
        with pytest.raises(CodeError) as caught:
            parse_code(typo)
        assert caught.value.reason == "length"


def test_two_substitutions_can_cancel_out():
    # The limit of the guarantee: id + 37 has the same check symbol, and when adding 37
    # only changes the last two body symbols it is a double typo read as another id.
    stamp_id = 3 * 32 + 10
    other = stamp_id + 37
    first, second = compact_code(stamp_id), compact_code(other)
    assert [i for i in range(14) if first[i] != second[i]] == [11, 12]
    assert parse_code(second) == other != stamp_id


def _value(body: str) -> int:
    value = 0
    for symbol in body:
        value = value * 32 + CHECK_ALPHABET.index(symbol)
    return value
