"""What the query interface filters on, read out of one EPCIS 2.0 event.

Identifiers are kept in one canonical form (GS1's canonical Digital Link, see
event_hash.canonical_key) whatever form the event or the query wrote them in — an EPC
URN, a Digital Link on any host — so that `MATCH_anyEPC=urn:epc:id:sgtin:…` finds an
event that named the same item by its Digital Link. Identifiers that are no GS1 key
(our lot URNs, any other URI) are kept as written. CBV words are kept bare: a full
CBV IRI or an EPCIS 1.x URN of the same step becomes the word.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .event_hash import canonical_key, event_hash

# field of the event -> where the identifier stands (EpcField values).
ID_FIELDS = {"epcList": "epc", "childEPCs": "epc", "inputEPCList": "input",
             "outputEPCList": "output"}
QUANTITY_FIELDS = {"quantityList": "class", "childQuantityList": "class",
                   "inputQuantityList": "input_class", "outputQuantityList": "output_class"}
_VOCABULARY_PREFIXES = {
    "bizStep": ("https://ref.gs1.org/cbv/BizStep-", "urn:epcglobal:cbv:bizstep:",
                "https://gs1.org/voc/BizStep-", "cbv:BizStep-"),
    "disposition": ("https://ref.gs1.org/cbv/Disp-", "urn:epcglobal:cbv:disp:",
                    "https://gs1.org/voc/Disp-", "cbv:Disp-"),
}


@dataclass
class Indexed:
    """The columns of one stored event, and the identifiers it names."""
    event_id: str
    event_type: str
    event_time: datetime
    action: str | None = None
    biz_step: str | None = None
    disposition: str | None = None
    read_point: str | None = None
    biz_location: str | None = None
    epcs: list[tuple[str, str]] = field(default_factory=list)


def canonical(uri: str) -> str:
    """The form an identifier is stored and matched in."""
    return canonical_key(uri) or uri


def vocabulary_word(kind: str, value: str) -> str:
    """A bizStep or disposition as the bare CBV word when it is one, else as written."""
    for prefix in _VOCABULARY_PREFIXES[kind]:
        if value.startswith(prefix):
            return value[len(prefix):]
    return value


def parse_time(text: str) -> datetime:
    """An EPCIS time (RFC 3339 with its offset, or Z)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.utcoffset() is None:
        raise ValueError(f"{text} has no time-zone offset")
    return moment


def index_event(event: dict[str, Any], context: Any = None) -> Indexed:
    """The columns of a schema-valid event; its eventID, or its CBV 2.0 event hash when
    it came without one (the hash needs the document's @context for its prefixes)."""
    event_id = event.get("eventID") or event_hash(event, context)
    found = Indexed(event_id=event_id, event_type=str(event["type"]),
                    event_time=parse_time(event["eventTime"]),
                    action=event.get("action"))
    for kind, column in (("bizStep", "biz_step"), ("disposition", "disposition")):
        if isinstance(event.get(kind), str):
            setattr(found, column, vocabulary_word(kind, event[kind]))
    for kind, column in (("readPoint", "read_point"), ("bizLocation", "biz_location")):
        place = event.get(kind)
        if isinstance(place, dict) and isinstance(place.get("id"), str):
            setattr(found, column, canonical(place["id"]))
    found.epcs = named_epcs(event)
    return found


def named_epcs(event: dict[str, Any]) -> list[tuple[str, str]]:
    """(canonical identifier, where it stands) of every object the event names, once."""
    seen: dict[tuple[str, str], None] = {}
    if isinstance(event.get("parentID"), str):
        seen[(canonical(event["parentID"]), "parent")] = None
    for name, where in ID_FIELDS.items():
        for uri in event.get(name) or ():
            if isinstance(uri, str):
                seen[(canonical(uri), where)] = None
    for name, where in QUANTITY_FIELDS.items():
        for entry in event.get(name) or ():
            if isinstance(entry, dict) and isinstance(entry.get("epcClass"), str):
                seen[(canonical(entry["epcClass"]), where)] = None
    return list(seen)
