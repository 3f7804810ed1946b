"""Serial Shipping Container Codes (SSCC, GS1 AI 00): the key of one logistic unit, a
carton or a pallet (thùng hàng, pallet).

18 digits: an extension digit (0–9, the company's to use), the GS1 company prefix
(6–12 digits), a serial reference filling the rest to 17 digits, and the GS1 mod-10
check digit. The shorter the prefix, the more serials it leaves: `serial_capacity`.

Reasons (`SsccError.reason`; params in parentheses):
- company_prefix (prefix): "A GS1 company prefix has 6 to 12 digits, not %(prefix)r."
- extension (extension): "The extension digit of an SSCC is 0 to 9, not %(extension)r."
- serial (serial, prefix, digits, largest): "Serial %(serial)s does not fit the
  %(digits)d digits an SSCC under company prefix %(prefix)s leaves: use 0 to
  %(largest)d."
- length (length): "An SSCC has 18 digits; this one has %(length)d."
- character: "An SSCC has only the digits 0 to 9."
- check_digit (sscc, expected): "The check digit of SSCC %(sscc)s is wrong: it should
  be %(expected)d."
- prefix (sscc, prefix): "SSCC %(sscc)s is not under company prefix %(prefix)s."
"""
from __future__ import annotations

from labels.gs1 import Gs1Error, check_digit

AI = "00"
LENGTH = 18
PREFIX_LENGTHS = range(6, 13)


class SsccError(Gs1Error):
    """An SSCC that cannot be built or read (see the module docstring)."""


def _digits(value: object) -> bool:
    return isinstance(value, str) and value.isascii() and value.isdigit()


def _check_prefix(company_prefix: str) -> str:
    if not _digits(company_prefix) or len(company_prefix) not in PREFIX_LENGTHS:
        raise SsccError("company_prefix", "A GS1 company prefix has 6 to 12 digits, not "
                        "%(prefix)r.", prefix=company_prefix)
    return company_prefix


def serial_capacity(company_prefix: str) -> int:
    """How many serial references (0 up to this, excluded) an SSCC leaves under the
    prefix, for each extension digit: 10 ** (16 - prefix length)."""
    return 10 ** (LENGTH - 2 - len(_check_prefix(company_prefix)))


def build_sscc(company_prefix: str, serial: int, extension: int = 0) -> str:
    """The SSCC of serial reference `serial` under a GS1 company prefix, with its check
    digit. The serial is written with leading zeros to fill the digits left."""
    digits = LENGTH - 2 - len(_check_prefix(company_prefix))
    if isinstance(extension, bool) or not isinstance(extension, int) \
            or not 0 <= extension <= 9:
        raise SsccError("extension", "The extension digit of an SSCC is 0 to 9, not "
                        "%(extension)r.", extension=extension)
    if isinstance(serial, bool) or not isinstance(serial, int) \
            or not 0 <= serial < 10 ** digits:
        raise SsccError("serial", "Serial %(serial)s does not fit the %(digits)d digits an "
                        "SSCC under company prefix %(prefix)s leaves: use 0 to "
                        "%(largest)d.", serial=serial, digits=digits,
                        prefix=company_prefix, largest=10 ** digits - 1)
    body = f"{extension}{company_prefix}{serial:0{digits}d}"
    return body + str(check_digit(body))


def normalize_sscc(value: str) -> str:
    """The 18 digits of an SSCC as people and scanners write it: spaces and a leading
    "(00)", or the AI "00" before 18 digits, are dropped. Nothing is checked."""
    text = "".join(value.split())
    if text.startswith(f"({AI})"):
        return text[len(AI) + 2:]
    if len(text) == LENGTH + len(AI) and text.startswith(AI):
        return text[len(AI):]
    return text


def validate_sscc(value: str, company_prefix: str | None = None) -> str:
    """The SSCC in `value` (see `normalize_sscc`) as 18 digits, once its length and
    check digit are right and, with `company_prefix`, it is under that prefix."""
    sscc = normalize_sscc(value)
    if sscc and not _digits(sscc):
        raise SsccError("character", "An SSCC has only the digits 0 to 9.")
    if len(sscc) != LENGTH:
        raise SsccError("length", "An SSCC has 18 digits; this one has %(length)d.",
                        length=len(sscc))
    expected = check_digit(sscc[:-1])
    if int(sscc[-1]) != expected:
        raise SsccError("check_digit", "The check digit of SSCC %(sscc)s is wrong: it "
                        "should be %(expected)d.", sscc=sscc, expected=expected)
    if company_prefix is not None and sscc[1:1 + len(_check_prefix(company_prefix))] \
            != company_prefix:
        raise SsccError("prefix", "SSCC %(sscc)s is not under company prefix %(prefix)s.",
                        sscc=sscc, prefix=company_prefix)
    return sscc


def format_sscc(sscc: str, company_prefix_length: int | None = None) -> str:
    """The human-readable line under the barcode: "(00) 1 0614141 234567890 8" with
    the prefix's length, else "(00) 1 0614141234567890 8" (where the prefix ends
    cannot be told from the digits)."""
    if company_prefix_length is None:
        return f"({AI}) {sscc[0]} {sscc[1:-1]} {sscc[-1]}"
    end = 1 + company_prefix_length
    return f"({AI}) {sscc[0]} {sscc[1:end]} {sscc[end:-1]} {sscc[-1]}"
