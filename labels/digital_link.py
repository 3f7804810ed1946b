"""GS1 Digital Link URIs (uncompressed) for stamps and cartons, and the `/s/{code}` form.

Built: `{base}/01/{gtin14}[/22/{cpv}][/10/{lot}][/21/{serial}][?{ai}={value}&…]` for a
product or a stamp, `{base}/00/{sscc}[?…]` for a carton or pallet (SSCC, a key with no
qualifiers); every value percent-encoded except GS1's unreserved characters (A–Z a–z
0–9 - . _ ~), as GS1's syntax engine does; in the QR the URI is plain text.

Parsed as GS1's own parser reads a URI: http/https (all lower or all upper case), any
domain, any path stem; the primary key is found by walking `/AI/value` pairs back from
the end of the path. `parse_link` resolves GTIN (01), with the qualifiers 22, 10, 21,
and `parse_sscc_link` SSCC (00); every other AI the dictionary describes (and this
library can check) may be a query attribute. Query parameters that are not AIs
(`linkType`, …) are kept, not checked.

Reasons (`DigitalLinkError.reason`; params in parentheses), besides the AI value
reasons of `labels.ai_syntax` (unknown_ai, unsupported_ai, empty_value, length,
character, check_digit, invalid):
- uri_character (chars): "The address contains characters a web address cannot
  contain: %(chars)s."
- scheme: "A GS1 Digital Link starts with https:// or http://."
- domain: "The address has no valid domain name."
- base: "%(base)s cannot be the start of a stamp address: use https://domain[/path]."
- no_key: "The address holds no GS1 key (such as /01/ and a GTIN)."
- unsupported_key (ai): "(%(ai)s) is a GS1 key this system does not resolve: only GTINs
  (01) are." (from `parse_sscc_link`: "… resolve here: only SSCCs (00) are.")
- qualifiers (ais): "After (01) the path may hold (22), (10) and (21), in that order;
  here it holds %(ais)s." (for an SSCC: "Nothing may follow (00) in the path; here
  %(ais)s do.")
- duplicate_ai (ai): "(%(ai)s) appears more than once."
- not_attribute (ai): "(%(ai)s) cannot be a query attribute of a GS1 Digital Link."
- qualifier_in_query (ai): "(%(ai)s) belongs in the path after the GTIN, not in the
  query."
- exclusive (ai, other): "(%(ai)s) and (%(other)s) cannot be used together."
"""
from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import date
from typing import Iterable, Mapping
from urllib.parse import quote, unquote

from labels import ai_syntax
from labels.ai_syntax import AiError
from labels.codes import compact_code, normalize_code
from labels.gs1 import Gs1Error, GtinError, normalize_gtin

GTIN = "01"
SSCC = "00"
QUALIFIERS = ("22", "10", "21")
_SCHEMES = ("https://", "HTTPS://", "http://", "HTTP://")
_URI_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-._~:/?#[]@!$&'()*+,;=%")
_BAD_DOMAIN_CHARACTERS = frozenset("_~?#@!$&'()*+,;=%")


class DigitalLinkError(Gs1Error):
    """A Digital Link that cannot be built or read (see the module docstring)."""


def _error(reason: str, message: str, **params) -> DigitalLinkError:
    return DigitalLinkError(reason, message, **params)


@dataclass(frozen=True)
class DigitalLink:
    """What a Digital Link says: `stem` is scheme, domain and any path before the key
    (no trailing slash); `attributes` are the query AIs in order; `params` the other
    query parameters (value None for a bare name)."""
    stem: str
    gtin: str
    cpv: str | None = None
    lot: str | None = None
    serial: str | None = None
    attributes: tuple[tuple[str, str], ...] = ()
    params: tuple[tuple[str, str | None], ...] = ()

    @property
    def elements(self) -> tuple[tuple[str, str], ...]:
        """(AI, value) pairs: the path's in order, then the query's."""
        path = [(GTIN, self.gtin), ("22", self.cpv), ("10", self.lot), ("21", self.serial)]
        return tuple((ai, v) for ai, v in path if v is not None) + self.attributes

    @property
    def element_string(self) -> str:
        """The GS1 element string (`^` = FNC1) the link stands for."""
        return ai_syntax.element_string(self.elements)

    @property
    def uri(self) -> str:
        return build_link(self.stem, self.gtin, cpv=self.cpv, lot=self.lot,
                          serial=self.serial, attributes=self.attributes)


def _encode(value: str) -> str:
    return quote(value, safe="")


def _check_base(base: str) -> str:
    stem = base.rstrip("/")
    scheme = next((s for s in _SCHEMES if stem.startswith(s)), None)
    domain = stem[len(scheme):].split("/", 1)[0] if scheme else ""
    if not scheme or not domain or set(domain) & _BAD_DOMAIN_CHARACTERS \
            or not set(stem) <= _URI_CHARACTERS or set(stem) & set("?#%"):
        raise _error("base", "%(base)s cannot be the start of a stamp address: use "
                     "https://domain[/path].", base=base)
    return stem


def _as_link_error(exc: Gs1Error) -> DigitalLinkError:
    error = DigitalLinkError(exc.reason, exc.message)
    error.params = exc.params
    return error


def _checked(ai: str, value: str) -> None:
    try:
        ai_syntax.validate(ai, value)
    except AiError as exc:
        raise _as_link_error(exc) from exc


def build_link(base: str, gtin: str, *, cpv: str | None = None, lot: str | None = None,
               serial: str | None = None,
               attributes: Mapping[str, str] | Iterable[tuple[str, str]] | None = None) -> str:
    """The Digital Link URI of a GTIN (any of GTIN-8/12/13/14; written as GTIN-14) with
    optional qualifiers and query attributes such as `{"17": "261231"}` (expiry)."""
    stem = _check_base(base)
    try:
        gtin14 = normalize_gtin(gtin)
    except GtinError as exc:
        # Same reasons as a GTIN refused while parsing (AI 01's length and check digit).
        error = _as_link_error(exc)
        error.reason = "check_digit" if exc.reason == "gtin_check" else "length"
        raise error from exc
    path = [(GTIN, gtin14)]
    for ai, value in zip(QUALIFIERS, (cpv, lot, serial)):
        if value is not None:
            _checked(ai, value)
            path.append((ai, value))
    pairs = list(attributes.items() if isinstance(attributes, Mapping) else attributes or ())
    _check_attributes([ai for ai, _ in path], pairs)
    uri = stem + "".join(f"/{ai}/{_encode(value)}" for ai, value in path)
    if pairs:
        uri += "?" + "&".join(f"{ai}={_encode(value)}" for ai, value in pairs)
    return uri


def _check_attributes(path_ais: list[str], pairs: list[tuple[str, str]]) -> None:
    """GS1's rules for query AIs."""
    seen = list(path_ais)
    for ai, value in pairs:
        if not (ai.isascii() and ai.isdigit()):
            raise _error("unknown_ai", "(%(ai)s) is not a GS1 Application Identifier.", ai=ai)
        _checked(ai, value)
        if ai in seen:
            raise _error("duplicate_ai", "(%(ai)s) appears more than once.", ai=ai)
        seen.append(ai)
        # GS1's parser asks "is it a data attribute?" first; for (21) and (22) the
        # answer "it belongs in the path" helps more and refuses the same URIs.
        for j in range(1, len(path_ais) + 1):
            if ai_syntax.is_key_path(path_ais[0], path_ais[1:j] + [ai] + path_ais[j:]):
                raise _error("qualifier_in_query", "(%(ai)s) belongs in the path after the "
                             "GTIN, not in the query.", ai=ai)
        if not ai_syntax.entry(ai).dl_attribute:
            raise _error("not_attribute", "(%(ai)s) cannot be a query attribute of a GS1 "
                         "Digital Link.", ai=ai)
    for ai, other in ai_syntax.exclusive_pairs(seen):
        raise _error("exclusive", "(%(ai)s) and (%(other)s) cannot be used together.",
                     ai=ai, other=other)


def _split(uri: str) -> tuple[str, list[tuple[str, str]], str]:
    """The stem, the path's (AI, raw value) pairs from the primary key on, and the
    query of a Digital Link URI."""
    bad = sorted(set(uri) - _URI_CHARACTERS)
    if bad:
        raise _error("uri_character", "The address contains characters a web address "
                     "cannot contain: %(chars)s.", chars=" ".join(repr(c) for c in bad))
    scheme = next((s for s in _SCHEMES if uri.startswith(s)), None)
    if scheme is None:
        raise _error("scheme", "A GS1 Digital Link starts with https:// or http://.")
    rest = uri[len(scheme):]
    domain, slash, path = rest.partition("/")
    if not domain or not slash or set(domain) & _BAD_DOMAIN_CHARACTERS:
        raise _error("domain", "The address has no valid domain name.")
    path = "/" + path.split("#", 1)[0]
    path, _, query = path.partition("?")
    segments = path.split("/")
    start = _find_key(segments)
    stem = scheme + domain + "/".join(segments[:start])
    pairs = [(segments[i], segments[i + 1]) for i in range(start, len(segments), 2)]
    return stem, pairs, query


def _values(pairs: list[tuple[str, str]]) -> dict[str, str]:
    values = {}
    for ai, raw in pairs:
        value = _decode(ai, raw, plus_is_space=False)
        _checked(ai, value)
        values[ai] = value
    return values


def _query(query: str, path_ais: list[str]):
    """The query's AI attributes (checked against the path's AIs) and other params."""
    attributes, params = [], []
    for item in query.split("&"):
        if not item:
            continue
        name, equals, raw = item.partition("=")
        if not equals or not (name.isascii() and name.isdigit()):
            params.append((unquote(name), unquote(raw.replace("+", " ")) if equals else None))
            continue
        if ai_syntax.lookup(name) is None:
            raise _error("unknown_ai", "(%(ai)s) is not a GS1 Application Identifier.",
                         ai=name)
        attributes.append((name, _decode(name, raw, plus_is_space=True)))
    _check_attributes(path_ais, attributes)
    return tuple(attributes), tuple(params)


def parse_link(uri: str) -> DigitalLink:
    """Read a GS1 Digital Link URI for a GTIN; DigitalLinkError saying what is wrong.
    An SSCC's link is refused ("unsupported_key"): `parse_sscc_link` reads those."""
    stem, pairs, query = _split(uri)
    key, qualifiers = pairs[0][0], [ai for ai, _ in pairs[1:]]
    if key != GTIN:
        raise _error("unsupported_key", "(%(ai)s) is a GS1 key this system does not "
                     "resolve: only GTINs (01) are.", ai=key)
    if not ai_syntax.is_key_path(key, qualifiers) or not set(qualifiers) <= set(QUALIFIERS):
        if ai_syntax.is_key_path(key, qualifiers):  # GS1's alternative, (235)
            other = next(ai for ai in qualifiers if ai not in QUALIFIERS)
            raise _error("unsupported_ai", "(%(ai)s) is a GS1 Application Identifier this "
                         "system does not handle.", ai=other)
        raise _error("qualifiers", "After (01) the path may hold (22), (10) and (21), in "
                     "that order; here it holds %(ais)s.",
                     ais=" ".join(f"({ai})" for ai in qualifiers))
    values = _values(pairs)
    attributes, params = _query(query, [ai for ai, _ in pairs])
    return DigitalLink(stem=stem, gtin=values[GTIN], cpv=values.get("22"),
                       lot=values.get("10"), serial=values.get("21"),
                       attributes=attributes, params=params)


@dataclass(frozen=True)
class SsccLink:
    """What the Digital Link of a logistic unit says: `stem` as for `DigitalLink`, the
    18-digit `sscc`, then the query's AI `attributes` and other `params`."""
    stem: str
    sscc: str
    attributes: tuple[tuple[str, str], ...] = ()
    params: tuple[tuple[str, str | None], ...] = ()

    @property
    def elements(self) -> tuple[tuple[str, str], ...]:
        return ((SSCC, self.sscc),) + self.attributes

    @property
    def element_string(self) -> str:
        return ai_syntax.element_string(self.elements)

    @property
    def uri(self) -> str:
        return sscc_link(self.stem, self.sscc, attributes=self.attributes)


def sscc_link(base: str, sscc: str, *,
              attributes: Mapping[str, str] | Iterable[tuple[str, str]] | None = None) -> str:
    """The Digital Link of a carton or pallet, `{base}/00/{sscc}`; AI 00 is a primary
    key with no qualifiers, so anything more goes in the query as attributes."""
    stem = _check_base(base)
    _checked(SSCC, sscc)
    pairs = list(attributes.items() if isinstance(attributes, Mapping) else attributes or ())
    _check_attributes([SSCC], pairs)
    uri = f"{stem}/{SSCC}/{sscc}"
    if pairs:
        uri += "?" + "&".join(f"{ai}={_encode(value)}" for ai, value in pairs)
    return uri


def parse_sscc_link(uri: str) -> SsccLink:
    """Read the GS1 Digital Link of a logistic unit (`…/00/{sscc}`); DigitalLinkError
    saying what is wrong, "unsupported_key" for a link with another key (a GTIN's)."""
    stem, pairs, query = _split(uri)
    key, qualifiers = pairs[0][0], [ai for ai, _ in pairs[1:]]
    if key != SSCC:
        raise _error("unsupported_key", "(%(ai)s) is a GS1 key this system does not "
                     "resolve here: only SSCCs (00) are.", ai=key)
    if qualifiers:
        raise _error("qualifiers", "Nothing may follow (00) in the path; here %(ais)s do.",
                     ais=" ".join(f"({ai})" for ai in qualifiers))
    values = _values(pairs)
    attributes, params = _query(query, [SSCC])
    return SsccLink(stem=stem, sscc=values[SSCC], attributes=attributes, params=params)


def _find_key(segments: list[str]) -> int:
    """The index of the primary key's AI segment: the walk goes back over `/AI/value`
    pairs from the end and stops at the first key, or fails at a non-AI."""
    i = len(segments) - 2
    while i >= 1:
        found = ai_syntax.lookup(segments[i])
        if found is None:
            break
        if found.qualifiers is not None:
            return i
        i -= 2
    # A key further left means the walk stopped at an unknown AI after it: say so,
    # rather than that there is no key.
    if i >= 1 and segments[i].isdigit() and any(
            (k := ai_syntax.lookup(segments[j])) and k.qualifiers is not None
            for j in range(i - 2, 0, -2)):
        raise _error("unknown_ai", "(%(ai)s) is not a GS1 Application Identifier.",
                     ai=segments[i])
    raise _error("no_key", "The address holds no GS1 key (such as /01/ and a GTIN).")


def _decode(ai: str, raw: str, *, plus_is_space: bool) -> str:
    if not raw:
        raise _error("empty_value", "(%(ai)s) has no value.", ai=ai)
    if plus_is_space:
        raw = raw.replace("+", " ")
    value = unquote(raw, errors="replace")
    if "\x00" in value:
        raise _error("character", "The value of (%(ai)s) contains characters GS1 does not "
                     "allow there: %(chars)s.", ai=ai, chars="NUL")
    return value


def stamp_url(base: str, code: str | int, gtin: str | None = None, lot: str | None = None,
              expiry: date | str | None = None) -> str:
    """What a stamp's QR holds. With a GTIN, the Digital Link `{base}/01/{gtin14}[/10/
    {lot}]/21/{code}[?17={YYMMDD}]`; without one, `{base}/s/{code}` (lot and expiry are
    then the batch's, found through the stamp). `code` is a stamp id or any accepted
    spelling of its code; it is written compact (14 symbols, no dashes)."""
    compact = compact_code(code) if isinstance(code, int) else normalize_code(code)
    if not gtin:
        return f"{_check_base(base)}/s/{compact}"
    attributes = {}
    if expiry is not None:
        attributes["17"] = expiry.strftime("%y%m%d") if isinstance(expiry, date) else expiry
    return build_link(base, gtin, lot=lot or None, serial=compact, attributes=attributes)
