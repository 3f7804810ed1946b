"""Stamp codes (mã tem): a stamp's random 63-bit id written for people and for URLs.

The id is written in Crockford base32 (13 symbols, zero-padded) followed by one
Crockford mod-37 check symbol, and printed in groups for typing: `7KQ2-M9XD-4TPA-W3`.
URLs and QR contents use the same 14 symbols without dashes (`7KQ2M9XD4TPAW3`).
Reading a code forgives what people do when they type it: lower case, spaces and
dashes, and the I/L→1, O→0 confusions.

Reasons a code is refused (`CodeError.reason`, params in parentheses); the English
sentence is the `%`-template, which the app can translate by reason:
- empty: "Type the stamp code printed under the QR code."
- character (symbol): "%(symbol)s cannot appear in a stamp code: use the letters and
  digits printed under the QR code."
- u_inside: "U can only be the last symbol of a stamp code."
- length (count): "A stamp code has 14 letters and digits (XXXX-XXXX-XXXX-XX); this one
  has %(count)d."
- check: "This stamp code is mistyped: its last symbol does not match the others. Check
  each letter and digit against the stamp."
- range: "This is not a stamp code."
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterator
from typing import Any

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CHECK_ALPHABET = ALPHABET + "*~$=U"
BODY_LENGTH = 13
CODE_LENGTH = BODY_LENGTH + 1
GROUPS = (4, 4, 4, 2)
MAX_ID = 2**63 - 1
# Check values 32–36 are the symbols * ~ $ = U. `~` and `$` are outside the character
# set GS1 allows in a serial number (AI 21), and the others are awkward to type on a
# phone, so ids are drawn only where the check symbol is a letter or a digit: this
# costs 5/37 of the id space, about 0.2 bit of the 63.
PLAIN_CHECK_VALUES = len(ALPHABET)

_VALUES = {symbol: value for value, symbol in enumerate(CHECK_ALPHABET)}
_CONFUSIONS = {"I": "1", "L": "1", "O": "0"}
_SEPARATORS = frozenset(" \t\n\r\u00a0-\u2010\u2011\u2012\u2013\u2014\u2212")

_MESSAGES = {
    "empty": "Type the stamp code printed under the QR code.",
    "character": "%(symbol)s cannot appear in a stamp code: use the letters and digits "
                 "printed under the QR code.",
    "u_inside": "U can only be the last symbol of a stamp code.",
    "length": "A stamp code has 14 letters and digits (XXXX-XXXX-XXXX-XX); this one has "
              "%(count)d.",
    "check": "This stamp code is mistyped: its last symbol does not match the others. "
             "Check each letter and digit against the stamp.",
    "range": "This is not a stamp code.",
}


class CodeError(ValueError):
    """A stamp code that cannot be read: `reason` is stable (see the module docstring),
    `params` fill the sentence, str() is the English sentence."""

    def __init__(self, reason: str, **params: Any):
        self.reason = reason
        self.params = params
        self.message = _MESSAGES[reason] % params if params else _MESSAGES[reason]
        super().__init__(self.message)


def _check_id(stamp_id: int) -> int:
    if isinstance(stamp_id, bool) or not isinstance(stamp_id, int) \
            or not 1 <= stamp_id <= MAX_ID:
        raise CodeError("range")
    return stamp_id


def check_symbol(stamp_id: int) -> str:
    """The Crockford mod-37 check symbol of an id."""
    return CHECK_ALPHABET[_check_id(stamp_id) % 37]


def compact_code(stamp_id: int) -> str:
    """The 14 symbols without separators, as they go into URLs and QR contents."""
    value = _check_id(stamp_id)
    body = []
    for _ in range(BODY_LENGTH):
        value, digit = divmod(value, 32)
        body.append(ALPHABET[digit])
    return "".join(reversed(body)) + CHECK_ALPHABET[stamp_id % 37]


def format_code(stamp_id: int) -> str:
    """The code as printed under the QR: `7KQ2-M9XD-4TPA-W3`."""
    return group(compact_code(stamp_id))


def group(compact: str) -> str:
    """Insert the dashes into 14 compact symbols (4-4-4-2)."""
    parts, start = [], 0
    for size in GROUPS:
        parts.append(compact[start:start + size])
        start += size
    return "-".join(parts)


def parse_code(text: str) -> int:
    """The id a typed or scanned code stands for; raises CodeError saying what is wrong."""
    symbols = []
    for char in text:
        if char in _SEPARATORS:
            continue
        upper = char.upper()
        upper = _CONFUSIONS.get(upper, upper)
        if upper not in _VALUES:
            raise CodeError("character", symbol=repr(char))
        symbols.append(upper)
    if not symbols:
        raise CodeError("empty")
    if "U" in symbols[:-1]:
        raise CodeError("u_inside")
    if len(symbols) != CODE_LENGTH:
        raise CodeError("length", count=len(symbols))
    value = 0
    for symbol in symbols[:-1]:
        value = value * 32 + _VALUES[symbol]
    if not 1 <= value <= MAX_ID:
        raise CodeError("range")
    if value % 37 != _VALUES[symbols[-1]]:
        raise CodeError("check")
    return value


def normalize_code(text: str) -> str:
    """The compact form of any accepted spelling of a code."""
    return compact_code(parse_code(text))


def new_stamp_ids(n: int) -> Iterator[int]:
    """Yield `n` distinct random ids (1 ≤ id < 2**63, check symbol a letter or digit),
    drawn from `secrets` in bulk. Distinct within the call only: the database's primary
    key is what refuses an id drawn before (at 10**7 stamps the chance is ~1e-5)."""
    if n < 0:
        raise ValueError("The number of ids cannot be negative.")
    try:
        import numpy
    except ImportError:  # pragma: no cover - numpy comes with Shapely here
        yield from _ids_with_a_set(n)
        return
    yield from _ids_with_numpy(numpy, n)


_CHUNK = 1 << 16


def _draw(numpy, count: int):
    """`count` candidate ids (possibly fewer after the filter), as a uint64 array."""
    raw = numpy.frombuffer(secrets.token_bytes(8 * count), dtype=">u8").astype(numpy.uint64)
    ids = raw & numpy.uint64(MAX_ID)
    return ids[(ids != 0) & (ids % numpy.uint64(37) < PLAIN_CHECK_VALUES)]


def _ids_with_numpy(numpy, n: int) -> Iterator[int]:
    # All n are drawn first (8 bytes each) so duplicates can be found by one sort
    # instead of a set of Python ints ten times the size.
    parts, have = [], 0
    while have < n:
        part = _draw(numpy, min(_CHUNK, (n - have) * 6 // 5 + 64))[: n - have]
        parts.append(part)
        have += len(part)
    ids = numpy.concatenate(parts) if parts else numpy.empty(0, dtype=numpy.uint64)
    ordered = numpy.sort(ids)
    if n > 1 and bool((ordered[1:] == ordered[:-1]).any()):
        ids = numpy.array(_replace_duplicates(ids.tolist()), dtype=numpy.uint64)
    del ordered
    for start in range(0, n, _CHUNK):
        yield from ids[start:start + _CHUNK].tolist()


def _replace_duplicates(ids: list[int]) -> list[int]:
    seen: set[int] = set()
    for i, value in enumerate(ids):
        while value in seen:
            value = _one_id()
        seen.add(value)
        ids[i] = value
    return ids


def _one_id() -> int:
    while True:
        value = secrets.randbits(63)
        if value and value % 37 < PLAIN_CHECK_VALUES:
            return value


def _ids_with_a_set(n: int) -> Iterator[int]:
    seen: set[int] = set()
    while len(seen) < n:
        block = secrets.token_bytes(8 * min(_CHUNK, n - len(seen)))
        for start in range(0, len(block), 8):
            value = int.from_bytes(block[start:start + 8], "big") & MAX_ID
            if value and value % 37 < PLAIN_CHECK_VALUES and value not in seen \
                    and len(seen) < n:
                seen.add(value)
                yield value


def new_run_key() -> bytes:
    """A fresh secret key for one stamp run's scratch PINs (32 random bytes)."""
    return secrets.token_bytes(32)


def pin_for(run_key: bytes, stamp_id: int) -> str:
    """The 6-digit scratch-off PIN of a stamp: HMAC-SHA256 of the id (8 bytes, big-endian)
    under the run's key, shortened by RFC 4226's dynamic truncation. Never stored: it is
    recomputed from the key when a PIN is checked."""
    if len(run_key) < 16:
        raise ValueError("A run key has at least 16 bytes.")
    digest = hmac.new(run_key, _check_id(stamp_id).to_bytes(8, "big"), hashlib.sha256).digest()
    offset = digest[-1] & 0x0F
    number = int.from_bytes(digest[offset:offset + 4], "big") & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"
