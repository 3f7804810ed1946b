"""The CBV 2.0 event hash: a name for an EPCIS event computed from what the event says.

GS1 CBV 2.0 §8.9 (the "EPCIS event hash generator algorithm"): the event's fields are
written out in a canonical order as one pre-hash string, which SHA-256 turns into
`ni:///sha-256;{hex}?ver=CBV2.0`. Two serialisations of the same event get the same
name; a changed value, or a field added or removed, gives another. Nothing is fetched:
GS1's context is not loaded, the prefixes and bare CBV words it defines are known here.

Where GS1's reference implementation (the `epcis-event-hash-generator` package) reads
the text its own way, this module does as the reference does, so that a partner who
checks our eventIDs with it gets the same names:
- bizTransactionList, sourceList and destinationList come after the ordered fields,
  sorted together with `ilmd` and the extension fields, not at places 20-22;
- certificationInfo comes right after eventTimeZoneOffset, parentID before epcList;
- in a business transaction, source or destination, the type comes before the id;
- every value that reads as a number is written as one ("0012" → 12), not only
  quantities, and times are rounded to the millisecond half to even;
- an EPC URI or GS1 Digital Link becomes a canonical `https://id.gs1.org/…` link only
  where the reference's syntax check passes it: a percent-escaped value (a lot such as
  `A%2FB`) or an address without a dot (`http://localhost/01/…`) keeps its own form;
- `comment` and `rdfs:comment` are left out, as are eventID, recordTime and
  errorDeclaration.
Where the reference is plainly at odds with the text, this module follows the text:
- bare CBV words (`shipping`, `owning_party`) are expanded only in the fields that take
  them; the reference replaces any string equal to such a word anywhere in a document;
- GS1's prefixes (gs1:, cbv:, cbvmda:, …) expand in keys and values; the reference
  knows only the prefixes a document declares itself;
- the order inside a transaction, source or destination never depends on key order;
- true/false are written `true`/`false`, null values are left out, a time without an
  offset is read as UTC, and rounding up to the next second carries over.
"""
from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from labels.gs1 import check_digit

from .vocabulary import CONTEXT, GS1_PREFIXES

CBV = "https://ref.gs1.org/cbv/"
GS1_VOC = "https://gs1.org/voc/"
CANONICAL_HOST = "https://id.gs1.org"
_LEFT_OUT = frozenset({"type", "eventID", "recordTime", "errorDeclaration", "@context",
                       "comment", "rdfs:comment", "#text"})
_COMMENTS = frozenset({"comment", "rdfs:comment", "#text"})
_OLD_VOCABULARY = (("urn:epcglobal:cbv:bizstep:", CBV + "BizStep-"),
                   ("urn:epcglobal:cbv:disp:", CBV + "Disp-"),
                   ("urn:epcglobal:cbv:btt:", CBV + "BTT-"),
                   ("urn:epcglobal:cbv:sdt:", CBV + "SDT-"),
                   ("urn:epcglobal:cbv:er:", CBV + "ER-"))
_QUANTITY = ("epcClass", "quantity", "uom")
_METADATA = ("time", "startTime", "endTime", "deviceID", "deviceMetadata", "rawData",
             "dataProcessingMethod", "bizRules")
_REPORT = ("type", "exception", "deviceID", "deviceMetadata", "rawData",
           "dataProcessingMethod", "time", "microorganism", "chemicalSubstance", "value",
           "component", "stringValue", "booleanValue", "hexBinaryValue", "uriValue",
           "minValue", "maxValue", "meanValue", "sDev", "percRank", "percValue", "uom",
           "coordinateReferenceSystem")
_REPORT_WORDS = {"type": GS1_VOC, "exception": GS1_VOC, "component": CBV + "Comp-"}


def event_hash(event: Mapping[str, Any], context: Mapping | list | str | None = None) -> str:
    """The CBV 2.0 event hash of an EPCIS 2.0 JSON-LD event, `ni:///sha-256;…?ver=CBV2.0`.

    `context` is the `@context` of the document the event sits in (its prefixes expand
    compact keys and values); None means the platform's own context.
    """
    digest = hashlib.sha256(pre_hash(event, context).encode("utf-8")).hexdigest()
    return f"ni:///sha-256;{digest}?ver=CBV2.0"


def pre_hash(event: Mapping[str, Any], context: Mapping | list | str | None = None) -> str:
    """The canonical pre-hash string of an event, the text `event_hash` digests."""
    return _PreHash(_prefixes(CONTEXT if context is None else context)).event(event)


def _prefixes(context: Mapping | list | str) -> dict[str, str]:
    found = dict(GS1_PREFIXES)
    for item in context if isinstance(context, list) else [context]:
        if isinstance(item, Mapping):
            found.update({k: v for k, v in item.items() if isinstance(v, str)
                          and ":" not in k and not k.startswith("@") and not v.startswith("@")})
    return found


def _listed(value: Any) -> list:
    return value if isinstance(value, list) else [value]


class _PreHash:
    def __init__(self, prefixes: dict[str, str]):
        self.prefixes = prefixes
        self.ordered = (
            ("eventTime", self.scalar), ("eventTimeZoneOffset", self.scalar),
            ("certificationInfo", self.scalar), ("parentID", self.scalar),
            ("epcList", self.epcs), ("inputEPCList", self.epcs), ("childEPCs", self.epcs),
            ("quantityList", self.quantities), ("childQuantityList", self.quantities),
            ("inputQuantityList", self.quantities), ("outputEPCList", self.epcs),
            ("outputQuantityList", self.quantities), ("action", self.scalar),
            ("transformationID", self.scalar), ("bizStep", self.vocabulary),
            ("disposition", self.vocabulary), ("persistentDisposition", self.persistent),
            ("readPoint", self.place), ("bizLocation", self.place),
            ("sensorElementList", self.sensors))
        self.typed = {"bizTransactionList": ("bizTransaction", CBV + "BTT-"),
                      "sourceList": ("source", CBV + "SDT-"),
                      "destinationList": ("destination", CBV + "SDT-")}

    def event(self, event: Mapping[str, Any]) -> str:
        rest = {k: v for k, v in event.items() if k not in _LEFT_OUT}
        parts = [f"eventType={event.get('type', '')}"]
        for name, write in self.ordered:
            if name in rest:
                parts.append(write(name, rest.pop(name)))
        tail = []
        for name, value in rest.items():
            if name in self.typed:
                tail.append(self.typed_list(name, value, *self.typed[name]))
            else:
                tail.extend(self.generic(name, value))
        return "".join(parts) + "".join(sorted(t for t in tail if t))

    # --- values ---------------------------------------------------------------------
    def expand(self, text: str) -> str:
        prefix, colon, rest = text.partition(":")
        return self.prefixes[prefix] + rest if colon and prefix in self.prefixes else text

    def key(self, name: str) -> str:
        prefix, colon, rest = name.partition(":")
        if colon and prefix in self.prefixes:
            return "{" + self.prefixes[prefix] + "}" + rest
        return name

    def value(self, value: Any, words: str | None = None, moment: bool = False) -> str:
        """A value in canonical form: bare CBV words and compact IRIs expanded, old CBV
        URNs as web URIs, numbers without trailing zeros, GS1 keys as canonical links."""
        if value is None:
            return ""
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        if words and text and ":" not in text:
            text = words + text
        text = self.expand(text).strip()
        if moment:
            return _utc_milliseconds(text)
        for old, new in _OLD_VOCABULARY:
            text = text.replace(old, new)
        text = _numeric(text)
        return canonical_key(text) or text

    # --- the ordered fields ---------------------------------------------------------
    def scalar(self, name: str, value: Any, words: str | None = None) -> str:
        moment = "time" in name.lower() and "offset" not in name.lower()
        texts = (self.value(v, words, moment) for v in _listed(value))
        return "".join(sorted(f"{name}={text}" for text in texts if text))

    def vocabulary(self, name: str, value: Any) -> str:
        return self.scalar(name, value, CBV + ("BizStep-" if name == "bizStep" else "Disp-"))

    def epcs(self, name: str, values: Any) -> str:
        items = "".join(sorted(self.scalar("epc", v) for v in _listed(values)))
        return name + items if items else ""

    def quantities(self, name: str, values: Any) -> str:
        items = sorted(self.record("quantityElement", q, _QUANTITY) for q in _listed(values))
        return name + "".join(items) if any(items) else ""

    def persistent(self, name: str, value: Any) -> str:
        if not isinstance(value, Mapping):
            return ""
        body = "".join(self.scalar(k, value[k], CBV + "Disp-")
                       for k in ("set", "unset") if k in value)
        return name + body if body else ""

    def place(self, name: str, value: Any) -> str:
        return self.record(name, value, ("id",))

    def sensors(self, name: str, elements: Any) -> str:
        items = []
        for element in _listed(elements):
            if not isinstance(element, Mapping):
                continue
            body = self.record("sensorMetadata", element.get("sensorMetadata"), _METADATA)
            body += "".join(sorted(self.record("sensorReport", r, _REPORT, _REPORT_WORDS)
                                   for r in _listed(element.get("sensorReport"))))
            body += self.extensions(element, ("sensorMetadata", "sensorReport"))
            if body:
                items.append("sensorElement" + body)
        return name + "".join(sorted(items)) if items else ""

    def record(self, name: str, value: Any, fields: tuple[str, ...],
               words: Mapping[str, str] | None = None) -> str:
        """A standard structure: its fields in their order, then its extensions."""
        if not isinstance(value, Mapping):
            return ""
        body = "".join(self.scalar(f, value[f], (words or {}).get(f))
                       for f in fields if f in value)
        body += self.extensions(value, fields)
        return name + body if body else ""

    # --- everything else ------------------------------------------------------------
    def typed_list(self, name: str, entries: Any, id_key: str, words: str) -> str:
        items = []
        for entry in _listed(entries):
            if isinstance(entry, Mapping):
                items.append("".join(self.pair(k, entry[k], words if k == "type" else None)
                                     for k in ("type", id_key) if k in entry))
        return name + "".join(sorted(items)) if any(items) else ""

    def pair(self, name: str, value: Any, words: str | None = None) -> str:
        text = self.value(value, words)
        return f"{self.key(name)}={text}" if text else self.key(name)

    def extensions(self, mapping: Mapping, standard: tuple[str, ...]) -> str:
        return "".join(sorted(s for k, v in mapping.items()
                              if k not in standard and k not in _COMMENTS
                              for s in self.generic(k, v)))

    def generic(self, name: str, value: Any) -> list[str]:
        """Extension fields, ILMD and the like: `{namespace}name=value`, nested fields
        right after their parent's name, each level sorted; list items one by one."""
        if value is None:
            return []
        if isinstance(value, list):
            return [s for item in value for s in self.generic(name, item)]
        if isinstance(value, Mapping):
            return [self.key(name) + self.extensions(value, ())]
        return [self.pair(name, value)]


def _numeric(text: str) -> str:
    try:
        number = float(text)
    except ValueError:
        return text
    if not math.isfinite(number):
        return text
    return str(int(number)) if number == int(number) else str(number)


def _utc_milliseconds(text: str) -> str:
    """`2005-04-03T20:33:31.116-06:00` → `2005-04-04T02:33:31.116Z`."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.utcoffset() is None:
        moment = moment.replace(tzinfo=timezone.utc)
    # round() on an int rounds half to even, as the reference does.
    milliseconds = round(moment.microsecond, -3)
    moment = moment.replace(microsecond=0) + timedelta(microseconds=milliseconds)
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")[:-6] + "Z"


# --- GS1 keys: EPC URIs and Digital Links as canonical Digital Links -------------------
# One character of an EPC URI's serial or reference (escapes per TDS 2.0 §5).
_U = r"(?:%2[125-9A-Fa-f]|%3[0-9A-Fa-f]|%4[1-9A-Fa-f]|%5[0-9AaFf]|%6[1-9A-Fa-f]|%7[0-9Aa]" \
     r"|[!')(*+,.0-9:;=A-Za-z_-])"
_C39 = r"(?:%2[3dfDF]|%3[0-9]|%4[1-9A-Fa-f]|%5[0-9Aa]|[0-9A-Z-])"
# The characters the reference accepts in a canonical link's values (no % and no /).
_DL = r"[\"'\-.0-9;-?A-Z_a-z]"
_DL_KEYS = "01|gtin|8006|itip|8010|cpid|414|gln|417|party|8017|gsrnp|8018|gsrn|255|gcn|00" \
           "|sscc|253|gdti|401|ginc|402|gsin|8003|grai|8004|giai"
_LOOKS_LIKE_LINK = re.compile(rf"https?:(?://[^/?#]*)?[^?#]*/(?:{_DL_KEYS})/\d{{4}}[^/]+")
_ON_CANONICAL_HOST = re.compile(r"https://id\.gs1\.org/(?:01|8006|8010|414|417|8017|8018|255"
                                r"|00|253|401|402|8003|8004)/\d{4}[^/]+")
_SHORT_NAMES = (("gtin", "01"), ("itip", "8006"), ("cpid", "8010"), ("gln", "414"),
                ("party", "417"), ("gsrnp", "8017"), ("gsrn", "8018"), ("gcn", "255"),
                ("sscc", "00"), ("gdti", "253"), ("ginc", "401"), ("gsin", "402"),
                ("grai", "8003"), ("giai", "8004"), ("cpv", "22"), ("lot", "10"), ("ser", "21"))
# The reference looks for the key in this order when it drops a custom domain.
_KEY_ORDER = ("00", "01", "253", "255", "401", "402", "414", "417", "8003", "8004", "8006",
              "8010", "8017", "8018")
_CANONICAL = re.compile(CANONICAL_HOST.replace(".", r"\.") + "/(?:" + "|".join((
    r"00/\d{18}", rf"01/\d{{14}}(?:/(?:21|10)/{_DL}{{0,20}}|/235/{_DL}{{0,28}})?",
    rf"253/\d{{13}}{_DL}{{0,17}}", r"255/\d{13}\d{0,12}", rf"401/{_DL}{{0,30}}",
    r"402/\d{17}", rf"414/\d{{13}}(?:/254/{_DL}{{0,20}})?", r"417/\d{13}",
    rf"8003/\d{{14}}{_DL}{{0,16}}", rf"8004/{_DL}{{0,30}}",
    rf"8006/\d{{18}}(?:/(?:21|10)/{_DL}{{0,20}})?", r"8010/[#\-/0-9A-Z]{0,30}",
    r"8010/[#\-/0-9A-Z]{0,30}/8011/\d{0,12}", r"8017/\d{18}", r"8018/\d{18}")) + ")")


def canonical_key(uri: str) -> str | None:
    """The canonical GS1 Digital Link (`https://id.gs1.org/…`, finest key level only, no
    query) of an EPC URI or Digital Link; None for anything else."""
    if "." not in uri:
        return None
    if uri.startswith("urn:epc:"):
        return _from_epc(uri)
    return _canonical_link(uri) if _LOOKS_LIKE_LINK.match(uri) else None


def _canonical_link(uri: str) -> str | None:
    uri = uri.split("?", 1)[0]
    for name, ai in _SHORT_NAMES:
        uri = uri.replace(f"/{name}/", f"/{ai}/")
    if not _ON_CANONICAL_HOST.match(uri):
        at = next((uri.find(f"/{ai}/") for ai in _KEY_ORDER if f"/{ai}/" in uri), -1)
        if at >= 0:
            uri = CANONICAL_HOST + uri[at:]
    gtin = re.match(r"https://id\.gs1\.org/01/(\d*)", uri)
    if gtin and len(gtin[1]) < 14:
        pad = "0" * (14 - len(gtin[1])) if len(gtin[1]) in (12, 13) else \
            "000000" if len(gtin[1]) >= 8 else ""
        uri = uri.replace("/01/", "/01/" + pad)
    keyed = r"https://id\.gs1\.org/(?:8006/\d{18}|01/\d{14})"
    if re.fullmatch(rf"{keyed}/22/{_DL}{{0,20}}", uri):
        uri = uri[:uri.find("/22/")]  # the CPV goes when it is the last qualifier
    elif re.fullmatch(rf"{keyed}/22/[\"'\-./0-9;-?A-Z_a-z]{{0,20}}", uri):
        rest = uri[uri.find("/22/") + 4:]
        uri = uri[:uri.find("/22/")] + rest[rest.find("/"):]
    if re.fullmatch(rf"{keyed}/10/{_DL}{{0,20}}/21/{_DL}{{0,20}}", uri):
        rest = uri[uri.find("/10/") + 4:]
        uri = uri[:uri.find("/10/")] + rest[rest.find("/"):]  # a serial makes the lot moot
    return uri if _CANONICAL.fullmatch(uri) else None


def _escaped(value: str) -> str:
    for char in "!()*+,:":
        value = value.replace(char, f"%{ord(char):02X}")
    return value


def _keyed(body: str) -> str:
    return body + str(check_digit(body))


def _gtin(prefix: str, reference: str) -> str:
    return _keyed(reference[:1] + prefix + reference[1:])


# scheme: (digits of company prefix + reference, pattern of what follows, the link path)
_EPC = {
    "id:sgtin": (13, _U + "{1,20}", lambda p, r, s: f"01/{_gtin(p, r)}/21/{_escaped(s)}"),
    "class:lgtin": (13, _U + "{1,20}", lambda p, r, s: f"01/{_gtin(p, r)}/10/{_escaped(s)}"),
    "idpat:sgtin": (13, r"\*", lambda p, r, s: f"01/{_gtin(p, r)}"),
    "id:upui": (13, _U + "{1,28}", lambda p, r, s: f"01/{_gtin(p, r)}/235/{_escaped(s)}"),
    "idpat:upui": (13, r"\*", lambda p, r, s: f"01/{_gtin(p, r)}"),
    "id:sscc": (17, None, lambda p, r, s: "00/" + _keyed(r[:1] + p + r[1:])),
    "id:sgln": (12, _U + "{1,20}", lambda p, r, s: "414/" + _keyed(p + r)
                + ("" if s == "0" else "/254/" + _escaped(s))),
    "id:pgln": (12, None, lambda p, r, s: "417/" + _keyed(p + r)),
    "id:grai": (12, _U + "{1,16}", lambda p, r, s: "8003/" + _keyed("0" + p + r) + _escaped(s)),
    "idpat:grai": (12, r"\*", lambda p, r, s: "8003/" + _keyed("0" + p + r)),
    "id:gsrn": (17, None, lambda p, r, s: "8018/" + _keyed(p + r)),
    "id:gsrnp": (17, None, lambda p, r, s: "8017/" + _keyed(p + r)),
    "id:gdti": (12, _U + "{0,19}", lambda p, r, s: "253/" + _keyed(p + r) + _escaped(s)),
    "idpat:gdti": (12, r"\*", lambda p, r, s: "253/" + _keyed(p + r)),
    "id:sgcn": (12, r"\d{1,12}", lambda p, r, s: "255/" + _keyed(p + r) + s),
    "idpat:sgcn": (12, r"\*", lambda p, r, s: "255/" + _keyed(p + r)),
    "id:gsin": (16, None, lambda p, r, s: "402/" + _keyed(p + r)),
}
# schemes whose reference is free text, up to 30 characters with the company prefix
_FREE = {"id:giai": ("8004", _U), "id:ginc": ("401", _U), "idpat:cpi": ("8010", _C39)}


def _from_epc(uri: str) -> str | None:
    match = re.fullmatch(r"urn:epc:(id|class|idpat):([a-z]+):(\d{6,12})\.(.*)", uri)
    if not match:
        return None
    scheme, prefix, rest = f"{match[1]}:{match[2]}", match[3], match[4]
    if scheme in _EPC:
        digits, tail, path = _EPC[scheme]
        parts = re.fullmatch(r"(\d*)" + (rf"\.({tail})" if tail else "()"), rest)
        if not parts or len(prefix) + len(parts[1]) != digits:
            return None
        return f"{CANONICAL_HOST}/{path(prefix, parts[1], parts[2])}"
    if scheme in ("id:itip", "idpat:itip"):
        tail = rf"{_U}{{1,20}}" if scheme == "id:itip" else r"\*"
        parts = re.fullmatch(rf"(\d*)\.(\d\d)\.(\d\d)\.({tail})", rest)
        if not parts or len(prefix) + len(parts[1]) != 13:
            return None
        serial = f"/21/{_escaped(parts[4])}" if scheme == "id:itip" else ""
        return f"{CANONICAL_HOST}/8006/{_gtin(prefix, parts[1])}{parts[2]}{parts[3]}{serial}"
    if scheme == "id:cpi":
        parts = re.fullmatch(rf"({_C39}+)\.(\d{{1,12}})", rest)
        if not parts or len(prefix) + _length(parts[1]) > 30:
            return None
        return f"{CANONICAL_HOST}/8010/{_escaped(prefix + parts[1])}/8011/{parts[2]}"
    if scheme in _FREE:
        ai, char = _FREE[scheme]
        reference = re.fullmatch(rf"({char}+)" + (r"\.\*" if ai == "8010" else ""), rest)
        if not reference or len(prefix) + _length(reference[1]) > 30:
            return None
        return f"{CANONICAL_HOST}/{ai}/{prefix}{_escaped(reference[1])}"
    return None


def _length(escaped: str) -> int:
    """Characters of an EPC URI component, an escape (%2F) counting as one."""
    return len(escaped) - 2 * escaped.count("%")
