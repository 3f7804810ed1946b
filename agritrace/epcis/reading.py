"""Reading an EPCIS 2.0 JSON-LD document into diary entries (nhật ký canh tác).

A document is taken whole or not at all: it must be JSON, follow GS1's schema and
hold ObjectEvents only; otherwise EpcisError lists every problem, each naming the
event (its index in the eventList) and the field. Nothing is dropped silently:
what has no column in the diary is kept in the entry's details, under
`epcis_*` keys, by its full IRI where it is another party's extension.
"""
from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from .objects import named_objects
from .schema import EpcisError, EpcisProblem, field_path, validate_document
from .vocabulary import (AREA_CODE_TERM, DIARY_STEP_TERM, GS1_PREFIXES, action_for,
                         biz_step_from_epcis, diary_step_from_hint, disposition_from_epcis,
                         key_for, ours)

DOCUMENT_TYPES = ("EPCISDocument", "EPCISQueryDocument")
# Standard ObjectEvent fields the diary has a place for.
_MAPPED = {"@context", "type", "eventTime", "eventTimeZoneOffset", "eventID", "action",
           "bizStep", "disposition", "epcList", "quantityList", "readPoint", "bizLocation",
           "ilmd"}
# Standard fields kept verbatim in details["epcis_fields"].
_KEPT = {"recordTime", "certificationInfo", "errorDeclaration", "persistentDisposition",
         "bizTransactionList", "sourceList", "destinationList", "sensorElementList"}
_RFC3339 = re.compile(
    r"(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})")


def read_document(data: bytes | str) -> list[dict[str, Any]]:
    """The diary entries in an EPCIS 2.0 document, as plain dicts for the diary service.

    Each has biz_step and disposition (values of our BizStep / Disposition, disposition
    None if absent or unknown), event_time (aware, in the offset written), event_tz,
    quantity, uom, lot_uri, location_uri, area_code, details, ilmd and event_id (the
    EPCIS eventID, for recognising an event imported before), objects and places
    ((field, URI) of what it names and of its readPoint and bizLocation, for telling
    whose lot it is about). A step we have no name for becomes "other", with the
    original in details["epcis_biz_step"].
    """
    doc = _parse(data)
    if not isinstance(doc, dict) or doc.get("type") not in DOCUMENT_TYPES:
        found = doc.get("type") if isinstance(doc, dict) else None
        raise EpcisError(
            "This is JSON but not an EPCIS 2.0 document.",
            [EpcisProblem(None, "type", "an EPCIS document is an object whose type is "
                          f"EPCISDocument or EPCISQueryDocument (found {json.dumps(found)}).")])
    problems = validate_document(doc)
    if problems:
        raise EpcisError(f"The document does not follow GS1's EPCIS 2.0 schema "
                         f"({len(problems)} problem{'s' if len(problems) > 1 else ''}).", problems)
    path, events = _event_list(doc)
    refused = [EpcisProblem(i, field_path(path + [i, "type"]),
                            f"{_shown_type(event)} events cannot go into the farming "
                            "diary; only ObjectEvents can.")
               for i, event in enumerate(events) if event.get("type") != "ObjectEvent"]
    if refused:
        raise EpcisError("The document holds events other than ObjectEvents.", refused)
    prefixes = _prefixes(doc.get("@context"), dict(GS1_PREFIXES))
    entries = [_entry(i, event, path, prefixes, problems) for i, event in enumerate(events)]
    if problems:
        raise EpcisError("Some events cannot go into the farming diary.", problems)
    return entries


def _shown_type(event: Any) -> str:
    kind = event.get("type") if isinstance(event, dict) else None
    return kind if isinstance(kind, str) else json.dumps(kind)


def _parse(data: bytes | str) -> Any:
    if isinstance(data, (bytes, bytearray)):
        try:
            data = bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise EpcisError(f"The document is not UTF-8 text (byte {exc.start}).") from None
    try:
        return json.loads(data, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise EpcisError(f"The document is not JSON: {exc.msg} at line {exc.lineno}, "
                         f"column {exc.colno}.") from None


def _no_constant(name: str):
    # NaN and Infinity are not JSON, though Python's parser takes them.
    raise json.JSONDecodeError(f"{name} is not a JSON value", name, 0)


def _event_list(doc: dict) -> tuple[list, list]:
    if doc["type"] == "EPCISQueryDocument":
        path = ["epcisBody", "queryResults", "resultsBody", "eventList"]
    else:
        path = ["epcisBody", "eventList"]
    node: Any = doc
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return path, node if isinstance(node, list) else []


def _prefixes(context: Any, into: dict[str, str]) -> dict[str, str]:
    """The namespace prefixes a JSON-LD @context declares (remote contexts are not fetched)."""
    for item in context if isinstance(context, list) else [context]:
        if isinstance(item, dict):
            for name, value in item.items():
                if isinstance(value, dict):
                    value = value.get("@id")
                if isinstance(value, str) and not name.startswith("@") and ":" not in name:
                    into[name] = value
    return into


def _entry(index: int, event: dict, path: list, doc_prefixes: dict[str, str],
           problems: list[EpcisProblem]) -> dict[str, Any]:
    where = path + [index]
    expand = _expander(_prefixes(event.get("@context"), dict(doc_prefixes))
                       if "@context" in event else doc_prefixes)
    details, extensions, area_code, hint = _extension_fields(event, expand)
    step, disposition = _step_and_disposition(event, expand, hint, details)
    lot_uri, quantity, uom = _lot(index, event, where, details, problems)
    read_point, biz_location = _locations(event, details, extensions)

    event_time = _time(event["eventTime"])
    if event_time is None:
        problems.append(EpcisProblem(index, field_path(where + ["eventTime"]),
                                     f"'{event['eventTime']}' cannot be read as a time."))
    return {
        "biz_step": step.value,
        "disposition": disposition.value if disposition is not None else None,
        "event_time": event_time,
        "event_tz": event["eventTimeZoneOffset"],
        "quantity": quantity,
        "uom": uom,
        "lot_uri": lot_uri,
        "location_uri": read_point or biz_location,
        "area_code": area_code,
        "details": details,
        "ilmd": _ilmd(event.get("ilmd") or {}, expand),
        "event_id": event.get("eventID"),
        # What the event is about, for the diary to check against its batch.
        "objects": named_objects(event),
        "places": [(name + ".id", place) for name, place in
                   (("readPoint", read_point), ("bizLocation", biz_location)) if place],
    }


def _expander(prefixes: dict[str, str]):
    """A compact IRI (`cbv:BizStep-commissioning`) written out in full by the prefixes in
    scope; anything else (a full IRI, a bare word) as it is."""
    def expand(value: str) -> str:
        prefix, sep, rest = value.partition(":")
        if sep and prefix in prefixes and not rest.startswith("//"):
            return prefixes[prefix] + rest
        return value
    return expand


def _extension_fields(event: dict, expand) -> tuple[dict, dict, Any, Any]:
    """The event's fields outside the standard ones: our terms (into details, or the
    area code and the diary step hint) and other parties' extensions by full IRI."""
    details: dict[str, Any] = {}
    extensions: dict[str, Any] = {}
    area_code = hint = None
    for key, value in event.items():
        if key in _MAPPED or key in _KEPT:
            continue
        iri = expand(key)
        local = ours(iri)
        if local == AREA_CODE_TERM:
            area_code = value
        elif local == DIARY_STEP_TERM:
            hint = value
        elif local is not None and key_for(local) is not None:
            details[key_for(local)] = value
        else:
            extensions[iri] = value
    return details, extensions, area_code, hint


def _step_and_disposition(event: dict, expand, hint: Any, details: dict):
    """The diary's step and disposition; what they cannot name goes into details."""
    step, unknown_step = biz_step_from_epcis(event.get("bizStep"), expand)
    if hint is not None:
        hinted = diary_step_from_hint(step, hint)
        if hinted is not None:
            step = hinted
        else:
            details["diary_step"] = hint
    if unknown_step is not None:
        details["epcis_biz_step"] = unknown_step
    disposition, unknown_disposition = disposition_from_epcis(event.get("disposition"), expand)
    if unknown_disposition is not None:
        details["epcis_disposition"] = unknown_disposition
    if event["action"] != action_for(step):
        details["epcis_action"] = event["action"]
    return step, disposition


def _lot(index: int, event: dict, where: list, details: dict,
         problems: list[EpcisProblem]) -> tuple[str | None, float | None, str | None]:
    """The one batch the entry is about (its class, quantity and unit), if any."""
    lot_uri = quantity = uom = None
    quantities = event.get("quantityList") or []
    if len(quantities) > 1:
        problems.append(EpcisProblem(index, field_path(where + ["quantityList"]),
                                     f"names {len(quantities)} lots; a diary entry is about "
                                     "one batch, so send one event per lot."))
    elif quantities:
        lot_uri = quantities[0]["epcClass"]
        quantity = quantities[0].get("quantity")
        quantity = float(quantity) if quantity is not None else None
        uom = quantities[0].get("uom")
    if event.get("epcList"):
        details["epcis_epc_list"] = list(event["epcList"])
    return lot_uri, quantity, uom


def _locations(event: dict, details: dict, extensions: dict) -> tuple[Any, Any]:
    """readPoint and bizLocation; the standard fields the diary has no column for, and
    the extensions, are kept in details."""
    read_point = (event.get("readPoint") or {}).get("id")
    biz_location = (event.get("bizLocation") or {}).get("id")
    kept = {key: value for key, value in event.items() if key in _KEPT}
    if read_point and biz_location and biz_location != read_point:
        kept["bizLocation"] = event["bizLocation"]
    if kept:
        _merge(details, "epcis_fields", kept)
    if extensions:
        _merge(details, "epcis_extensions", extensions)
    return read_point, biz_location


def _ilmd(ilmd: dict, expand) -> dict[str, Any]:
    out: dict[str, Any] = {}
    foreign: dict[str, Any] = {}
    for key, value in ilmd.items():
        iri = expand(key)
        local = ours(iri)
        if local is not None and key_for(local) is not None:
            out[key_for(local)] = value
        else:
            foreign[iri] = value
    if foreign:
        _merge(out, "epcis_extensions", foreign)
    return out


def _merge(into: dict, key: str, values: dict) -> None:
    # A document we exported from imported data already carries such a key.
    current = into.get(key)
    into[key] = {**current, **values} if isinstance(current, dict) else values


def _time(text: str) -> datetime | None:
    """An RFC 3339 time, keeping the offset as written.

    Python keeps microseconds only, so longer fractions are cut (not rounded).
    """
    match = _RFC3339.fullmatch(text)
    if not match:
        return None
    day, clock, fraction, zone = match.groups()
    fraction = f".{(fraction or '')[:6].ljust(6, '0')}"
    zone = "+00:00" if zone in ("Z", "z") else zone
    try:
        return datetime.fromisoformat(f"{day}T{clock}{fraction}{zone}")
    except ValueError:
        return None
