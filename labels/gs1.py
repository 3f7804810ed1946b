"""GS1 keys: GTIN-8/12/13/14 check digits, and the character sets of GS1 data.

Every refusal is a `Gs1Error` (or its `GtinError` / `DigitalLinkError` kinds) with a
stable `reason` the app can translate by, `params`, and the English sentence as str().
"""
from __future__ import annotations

import string
from typing import Any

GTIN_LENGTHS = (8, 12, 13, 14)

# GS1 General Specifications, "GS1 AI encodable character set 82" (lots, serials).
CSET82 = frozenset("!\"%&'()*+,-./:;<=>?_" + string.digits + string.ascii_letters)
# "GS1 AI encodable character set 39" (component/part identifiers).
CSET39 = frozenset("#-/" + string.digits + string.ascii_uppercase)
# "GS1 AI encodable character set 64": base64url, `=` only as trailing padding.
CSET64 = frozenset("-_" + string.digits + string.ascii_letters)


class Gs1Error(ValueError):
    """GS1 data that cannot be used. `reason` is stable, `params` fill `message`."""

    def __init__(self, reason: str, message: str, **params: Any):
        self.reason = reason
        self.params = params
        self.message = message % params if params else message
        super().__init__(self.message)


class GtinError(Gs1Error):
    """A GTIN that is not 8, 12, 13 or 14 digits ("gtin_length"), or whose check digit is
    wrong ("gtin_check", param `expected`)."""


def check_digit(body: str) -> int:
    """The GS1 mod-10 check digit for the digits before it (weights 3,1,3,… from the right)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def has_valid_check_digit(digits: str) -> bool:
    """Whether a string of digits ends with the GS1 mod-10 check digit of the rest."""
    return len(digits) > 1 and digits.isdigit() and check_digit(digits[:-1]) == int(digits[-1])


def normalize_gtin(value: str) -> str:
    """Validate a GTIN-8/12/13/14 and return it as GTIN-14 (left-padded with zeros)."""
    digits = value.strip().replace(" ", "")
    if not digits.isascii() or not digits.isdigit() or len(digits) not in GTIN_LENGTHS:
        raise GtinError("gtin_length", "A GTIN has 8, 12, 13 or 14 digits.")
    if not has_valid_check_digit(digits):
        raise GtinError("gtin_check", "The check digit of GTIN %(gtin)s is wrong: it should "
                        "be %(expected)d.", gtin=digits, expected=check_digit(digits[:-1]))
    return digits.zfill(14)


def is_gtin(value: str) -> bool:
    """Whether `value` is a GTIN-8/12/13/14 with a correct check digit."""
    try:
        normalize_gtin(value)
    except GtinError:
        return False
    return True


def outside_cset82(value: str) -> list[str]:
    """The characters of `value` that GS1's 82-character set (lots, serials) lacks."""
    return sorted({char for char in value if char not in CSET82})
