"""GS1 keys: GTIN-8/12/13/14 check digits."""
from __future__ import annotations

GTIN_LENGTHS = (8, 12, 13, 14)


class GtinError(ValueError):
    """A GTIN that is not 8, 12, 13 or 14 digits, or whose check digit is wrong."""


def check_digit(body: str) -> int:
    """The GS1 mod-10 check digit for the digits before it (weights 3,1,3,… from the right)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def normalize_gtin(value: str) -> str:
    """Validate a GTIN-8/12/13/14 and return it as GTIN-14 (left-padded with zeros)."""
    digits = value.strip().replace(" ", "")
    if not digits.isdigit() or len(digits) not in GTIN_LENGTHS:
        raise GtinError("A GTIN has 8, 12, 13 or 14 digits.")
    if check_digit(digits[:-1]) != int(digits[-1]):
        raise GtinError(f"The check digit of GTIN {digits} is wrong: it should be "
                        f"{check_digit(digits[:-1])}.")
    return digits.zfill(14)
