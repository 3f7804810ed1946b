"""GS1 Application Identifiers as the GS1 Barcode Syntax Dictionary defines them.

The dictionary (`labels/data/gs1-syntax-dictionary.txt`, GS1's own file) is read at
first use: each AI's components (character set, length, linters), whether it needs an
FNC1 separator, whether it may be a Digital Link data attribute, its Digital Link key
qualifiers and the AIs it cannot be paired with.

A value is checked as GS1's syntax engine checks it: length and character set per
component, then each component's linters. The linters implemented here are the ones
that need no outside list; an AI whose format uses another one (country, currency or
IBAN lists, coupon structures, …) is refused as unsupported rather than half-checked.

Reasons (`AiError.reason`; params in parentheses):
- unknown_ai (ai): "(%(ai)s) is not a GS1 Application Identifier."
- unsupported_ai (ai, linter): "(%(ai)s) is a GS1 Application Identifier this system
  does not handle."
- empty_value (ai): "(%(ai)s) has no value."
- length (ai, min, max): "The value of (%(ai)s) has %(min)d to %(max)d characters."
  (or "… has exactly %(max)d characters." when min = max)
- character (ai, chars): "The value of (%(ai)s) contains characters GS1 does not allow
  there: %(chars)s."
- check_digit (ai): "The check digit of (%(ai)s) is wrong."
- invalid (ai, rule): "The value of (%(ai)s) is not valid: %(rule)s."
"""
from __future__ import annotations

import re
import string
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any, Callable, Iterable, Sequence

from labels.gs1 import CSET39, CSET64, CSET82, Gs1Error, has_valid_check_digit

DICTIONARY = "gs1-syntax-dictionary.txt"

CHARSETS = {"N": frozenset(string.digits), "X": CSET82, "Y": CSET39, "Z": CSET64 | {"="}}
_FLAG_CHARS = set("*!?\"$%&'()+,-./:;<=>@[\\]^_`{|}~")
_COMPONENT = re.compile(r"^(\[)?([NXYZ])(\d+)?(?:\.\.(\d+))?(\])?((?:,\w+)*)$")


class AiError(Gs1Error):
    """An AI or AI value that GS1's syntax refuses (see the module docstring)."""


@dataclass(frozen=True)
class Component:
    """One part of an AI's value: `charset` N/X/Y/Z, `min_length`..`max_length`
    (equal when fixed), `optional`, and the names of its linters."""
    charset: str
    min_length: int
    max_length: int
    optional: bool
    linters: tuple[str, ...]


@dataclass(frozen=True)
class AiEntry:
    """One Application Identifier. `qualifiers` is None unless the AI is a Digital
    Link primary key; then it lists the alternative ordered qualifier sequences
    (`(("22", "10", "21"), ("235",))` for GTIN)."""
    ai: str
    title: str
    fnc1: bool
    dl_attribute: bool
    components: tuple[Component, ...]
    excludes: tuple[str, ...] = ()
    requires: tuple[tuple[str, ...], ...] = ()
    qualifiers: tuple[tuple[str, ...], ...] | None = None

    @property
    def min_length(self) -> int:
        return sum(c.min_length for c in self.components if not c.optional)

    @property
    def max_length(self) -> int:
        return sum(c.max_length for c in self.components)

    @property
    def unsupported_linters(self) -> tuple[str, ...]:
        return tuple(name for c in self.components for name in c.linters
                     if name not in LINTERS)


def _parse_component(token: str) -> Component:
    match = _COMPONENT.match(token)
    if not match or bool(match[1]) != bool(match[5]):
        raise ValueError(f"Unreadable component {token!r} in the GS1 syntax dictionary.")
    charset, fixed, upto = match[2], match[3], match[4]
    if upto:
        low, high = 1, int(upto)
    else:
        low = high = int(fixed)
    linters = tuple(name for name in match[6].split(",") if name)
    return Component(charset, low, high, bool(match[1]), linters)


def _expand(ais: str) -> list[str]:
    if "-" not in ais:
        return [ais]
    first, last = ais.split("-")
    return [str(n).zfill(len(first)) for n in range(int(first), int(last) + 1)]


def parse_dictionary(text: str) -> dict[str, AiEntry]:
    """Every AI of a GS1 Barcode Syntax Dictionary text, by AI."""
    table: dict[str, AiEntry] = {}
    for line in text.splitlines():
        spec, _, title = line.partition("#")
        tokens = spec.split()
        if not tokens:
            continue
        ais, rest = tokens[0], tokens[1:]
        flags = ""
        if rest and set(rest[0]) <= _FLAG_CHARS:
            flags, rest = rest[0], rest[1:]
        components, attributes = [], []
        for token in rest:
            if "=" in token or token == "dlpkey" or attributes:
                attributes.append(token)
            else:
                components.append(_parse_component(token))
        excludes: list[str] = []
        requires: list[tuple[str, ...]] = []
        qualifiers = None
        for attribute in attributes:
            key, _, value = attribute.partition("=")
            if key == "ex":
                excludes.extend(value.split(","))
            elif key == "req":
                requires.append(tuple(value.split(",")))
            elif key == "dlpkey":
                qualifiers = tuple(tuple(seq.split(",")) if seq else ()
                                   for seq in value.split("|")) if value else ((),)
        for ai in _expand(ais):
            table[ai] = AiEntry(ai=ai, title=title.strip(), fnc1="*" not in flags,
                                dl_attribute="?" in flags, components=tuple(components),
                                excludes=tuple(excludes), requires=tuple(requires),
                                qualifiers=qualifiers)
    return table


@cache
def table() -> dict[str, AiEntry]:
    """The AI table of the dictionary shipped with this library."""
    text = resources.files("labels").joinpath("data", DICTIONARY).read_text("utf-8")
    return parse_dictionary(text)


def lookup(ai: str) -> AiEntry | None:
    return table().get(ai)


def entry(ai: str) -> AiEntry:
    """The entry of a known, supported AI; AiError otherwise."""
    found = lookup(ai)
    if found is None:
        raise AiError("unknown_ai", "(%(ai)s) is not a GS1 Application Identifier.", ai=ai)
    if found.unsupported_linters:
        raise AiError("unsupported_ai", "(%(ai)s) is a GS1 Application Identifier this "
                      "system does not handle.", ai=ai, linter=found.unsupported_linters[0])
    return found


def validate(ai: str, value: str) -> None:
    """Check one AI value against the dictionary; AiError saying what is wrong."""
    found = entry(ai)
    if not value:
        raise AiError("empty_value", "(%(ai)s) has no value.", ai=ai)
    if not found.min_length <= len(value) <= found.max_length:
        raise _length_error(found)
    position = 0
    parts: list[tuple[Component, str]] = []
    for component in found.components:
        if position >= len(value) and component.optional:
            break
        part = value[position:position + component.max_length]
        if len(part) < component.min_length:
            raise _length_error(found)
        parts.append((component, part))
        position += len(part)
    bad = sorted({char for component, part in parts for char in part
                  if char not in CHARSETS[component.charset]})
    if bad:
        raise AiError("character", "The value of (%(ai)s) contains characters GS1 does not "
                      "allow there: %(chars)s.", ai=ai, chars=" ".join(repr(c) for c in bad))
    for component, part in parts:
        if component.charset == "Z" and "=" in part.rstrip("="):
            raise AiError("invalid", "The value of (%(ai)s) is not valid: %(rule)s.", ai=ai,
                          rule="'=' is only padding at the end")
        for name in component.linters:
            problem = LINTERS[name](part)
            if problem == "check_digit":
                raise AiError("check_digit", "The check digit of (%(ai)s) is wrong.", ai=ai)
            if problem:
                raise AiError("invalid", "The value of (%(ai)s) is not valid: %(rule)s.",
                              ai=ai, rule=problem)


def _length_error(found: AiEntry) -> AiError:
    low, high = found.min_length, found.max_length
    if low == high:
        return AiError("length", "The value of (%(ai)s) has exactly %(max)d characters.",
                       ai=found.ai, min=low, max=high)
    return AiError("length", "The value of (%(ai)s) has %(min)d to %(max)d characters.",
                   ai=found.ai, min=low, max=high)


def matches(ai: str, pattern: str) -> bool:
    """Whether an AI matches a dictionary pattern such as `310n` (`n` any digit)."""
    return len(ai) == len(pattern) and all(p == "n" or p == a for a, p in zip(ai, pattern))


def exclusive_pairs(ais: Sequence[str]) -> list[tuple[str, str]]:
    """The pairs among `ais` that the dictionary says cannot go together (ex=)."""
    pairs = []
    for ai in ais:
        found = lookup(ai)
        for other in ais:
            if found and other != ai and any(matches(other, p) for p in found.excludes):
                if (other, ai) not in pairs:
                    pairs.append((ai, other))
    return pairs


def element_string(elements: Iterable[tuple[str, str]]) -> str:
    """The GS1 element string of (ai, value) pairs, `^` standing for FNC1: first, and
    after every value whose AI has no predefined length, unless it is the last."""
    out, separator = ["^"], False
    for ai, value in elements:
        if separator:
            out.append("^")
        out.append(ai + value)
        found = lookup(ai)
        separator = found.fnc1 if found else True
    return "".join(out)


# Linters: each returns None when the component is fine, else what is wrong.

def _yymmdd(part: str, zero_day: bool) -> str | None:
    if len(part) != 6 or not part.isdigit():
        return "a date is YYMMDD"
    year, month, day = int(part[:2]), int(part[2:4]), int(part[4:])
    if not 1 <= month <= 12:
        return "the month is 01 to 12"
    if day == 0 and zero_day:
        return None
    # GS1 reads YY within a window around today; 2000 + YY has the same leap years
    # except 2100, which that window does not reach yet.
    try:
        date(2000 + year, month, day)
    except ValueError:
        return "no such day"
    return None


def _yyyymmdd(part: str) -> str | None:
    try:
        date(int(part[:4]), int(part[4:6]), int(part[6:8]))
    except ValueError:
        return "no such day"
    return None


def _bounded(low: int, high: int, what: str) -> Callable[[str], str | None]:
    def lint(part: str) -> str | None:
        return None if part.isdigit() and low <= int(part) <= high else what
    return lint


def _hhmi(part: str) -> str | None:
    return _bounded(0, 23, "hours are 00 to 23")(part[:2]) or \
        _bounded(0, 59, "minutes are 00 to 59")(part[2:])


def _gcp(offset: int) -> Callable[[str], str | None]:
    # Without GS1's table of allocated company prefixes, all that can be checked is
    # that the shortest possible prefix (4 digits) is there.
    def lint(part: str) -> str | None:
        prefix = part[offset:offset + 4]
        return None if len(prefix) == 4 and prefix.isdigit() else "no GS1 company prefix"
    return lint


def _piece_of_total(part: str) -> str | None:
    piece, total = int(part[:2]), int(part[2:])
    return None if 1 <= piece <= total else "the piece number is 1 to the total"


def _pcenc(part: str) -> str | None:
    for match in re.finditer("%", part):
        if not re.fullmatch(r"[0-9A-Fa-f]{2}", part[match.end():match.end() + 2]):
            return "'%' starts a two-digit hex escape"
    return None


LINTERS: dict[str, Callable[[str], Any]] = {
    "csum": lambda part: None if has_valid_check_digit(part) else "check_digit",
    "gcppos1": _gcp(0),
    "gcppos2": _gcp(1),
    "yymmdd": lambda part: _yymmdd(part, zero_day=False),
    "yymmd0": lambda part: _yymmdd(part, zero_day=True),
    "yyyymmdd": _yyyymmdd,
    "hhmi": _hhmi,
    "hh": _bounded(0, 23, "hours are 00 to 23"),
    "mi": _bounded(0, 59, "minutes are 00 to 59"),
    "ss": _bounded(0, 59, "seconds are 00 to 59"),
    "nonzero": lambda part: None if part.strip("0") else "it cannot be zero",
    "zero": lambda part: None if part == "0" else "it must be 0",
    "yesno": lambda part: None if part in ("0", "1") else "it is 0 or 1",
    "hyphen": lambda part: None if part == "-" else "it must be '-'",
    "winding": lambda part: None if part in ("0", "1", "9") else "the winding is 0, 1 or 9",
    "pieceoftotal": _piece_of_total,
    "pcenc": _pcenc,
    "nozeroprefix": lambda part: None if part == "0" or not part.startswith("0")
    else "it cannot start with 0",
    "hasnondigit": lambda part: None if not part.isdigit() else "it needs a non-digit",
}


def is_key_path(key: str, qualifiers: Sequence[str]) -> bool:
    """Whether `/key/…/q1/…/q2/…` is a Digital Link path the dictionary allows: `key` a
    primary key and `qualifiers` in the order of one of its qualifier sequences."""
    found = lookup(key)
    if found is None or found.qualifiers is None:
        return False
    return any(_is_ordered_subset(qualifiers, seq) for seq in found.qualifiers)


def _is_ordered_subset(given: Sequence[str], allowed: Sequence[str]) -> bool:
    position = 0
    for ai in given:
        try:
            position = allowed.index(ai, position) + 1
        except ValueError:
            return False
    return True
