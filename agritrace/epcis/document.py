"""Writing the farming diary (nhật ký canh tác) as an EPCIS 2.0 JSON-LD document.

Every diary entry becomes one ObjectEvent: the batch (lô hàng) is its `quantityList`
(a class-level identifier, with the quantity when known); an entry about a growing
area before any batch exists has an empty `epcList` and says where through
`readPoint`. Farming details travel as extension fields in our namespace.
"""
from __future__ import annotations

import math
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from ..models.diary import BizStep, Disposition
from .schema import EpcisError, EpcisProblem, validator
from .vocabulary import (AREA_CODE_TERM, CONTEXT, DIARY_STEP_TERM, NAMESPACE, action_for,
                         biz_step_to_epcis, disposition_to_epcis, is_lossy, local_name, term)

TZ_OFFSET = re.compile(r"([+-])(\d{2}):(\d{2})")
_UOM = re.compile(r"[A-Z0-9]{2,3}")


@dataclass(frozen=True)
class DiaryEvent:
    """One diary entry, as the diary service hands it over.

    `lot_uri` and `location_uri` are already identifiers (see `vocabulary.lot_uri`,
    `area_uri`, `facility_uri`). `details` holds the farming details (product,
    active_ingredient, dose, phi_days, analyte, result, limit, lab, note…) and `ilmd`
    the lot's master data on a harvest (harvest_date, expiry_date, product_name…);
    their keys are snake_case and become `agritrace:camelCase` terms. Keys whose
    value is None are left out.
    """
    id: int
    biz_step: str
    event_time: datetime
    event_tz: str = "+07:00"
    disposition: str | None = None
    lot_uri: str | None = None
    quantity: float | None = None
    uom: str | None = None
    location_uri: str | None = None
    area_code: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    ilmd: Mapping[str, Any] = field(default_factory=dict)
    # An entry imported from another party keeps the eventID it came with, so that
    # exporting it back does not make a repository hold the same event twice.
    epcis_event_id: str | None = None


def export_document(events: Iterable[DiaryEvent], *, created: datetime,
                    sender: str | None = None) -> dict:
    """An EPCISDocument (a JSON-LD dict) holding `events` in the order given.

    Every entry is checked before anything is written; EpcisError lists all the
    entries at fault at once, each by its index in `events`.
    """
    problems: list[EpcisProblem] = []
    body = []
    for index, event in enumerate(events):
        body.append(_event(index, event, problems))
    if not _aware(created):
        problems.append(EpcisProblem(None, "created", "the creation time has no time zone."))
    if problems:
        raise EpcisError("Some diary entries cannot be written as EPCIS 2.0 events.", problems)
    doc: dict[str, Any] = {
        "@context": [c if isinstance(c, str) else dict(c) for c in CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": created.isoformat(),
    }
    if sender:
        doc["sender"] = sender
    doc["epcisBody"] = {"eventList": body}
    return doc


def event_id(diary_id: int) -> str:
    """A stable eventID for a diary entry, so that exporting it again names the same event.

    A UUID (version 5) derived from our namespace and the entry's id: EPCIS
    repositories use eventID to recognise an event they already hold.
    """
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{NAMESPACE}events/{int(diary_id)}')}"


def _event(index: int, event: DiaryEvent, problems: list[EpcisProblem]) -> dict:
    def fault(field_name: str, message: str) -> None:
        problems.append(EpcisProblem(index, field_name, f"diary entry {event.id}: {message}"))

    try:
        step = BizStep(event.biz_step)
    except ValueError:
        fault("biz_step", f"'{event.biz_step}' is not a step of the diary.")
        step = BizStep.OTHER
    out: dict[str, Any] = {
        "type": "ObjectEvent",
        "eventTime": _event_time(event, fault),
        "eventTimeZoneOffset": event.event_tz,
        "eventID": event.epcis_event_id or event_id(event.id),
        "action": action_for(step),
    }
    uris = validator().format_checker
    out.update(_what(event, uris, fault))
    out["bizStep"] = biz_step_to_epcis(step)
    if event.disposition is not None:
        try:
            out["disposition"] = disposition_to_epcis(Disposition(event.disposition))
        except ValueError:
            fault("disposition", f"'{event.disposition}' is not a disposition of the diary.")
    out.update(_where(event, step, uris, fault))
    if event.ilmd:
        if out["action"] != "ADD":
            fault("ilmd", "lot master data (ilmd) only goes with a harvest or commissioning.")
        elif event.lot_uri is None:
            fault("ilmd", "lot master data (ilmd) needs the batch it describes (lot_uri).")
        out["ilmd"] = _terms(event.ilmd, "ilmd", fault)
    if event.area_code:
        out[term(AREA_CODE_TERM)] = event.area_code
    if is_lossy(step):
        out[term(DIARY_STEP_TERM)] = step.value
    out.update(_terms(event.details, "details", fault))
    return out


def _event_time(event: DiaryEvent, fault) -> str | None:
    """The event time in its own zone's offset, as EPCIS writes it."""
    offset = _offset(event.event_tz)
    if offset is None:
        fault("event_tz", f"'{event.event_tz}' is not a time-zone offset like +07:00.")
    if not _aware(event.event_time):
        fault("event_time", "the event time has no time zone.")
    if offset is None or not _aware(event.event_time):
        return None
    return event.event_time.astimezone(offset).isoformat()


def _what(event: DiaryEvent, uris, fault) -> dict[str, Any]:
    """The batch as a quantityList entry, or an empty epcList for an entry about an
    area before any batch exists."""
    if event.lot_uri is None:
        if event.quantity is not None or event.uom is not None:
            fault("quantity", "a quantity needs the batch it counts (lot_uri).")
        # An ObjectEvent must name objects; a farming step on an area before any batch
        # exists has none, and an empty epcList is what EPCIS allows for that.
        return {"epcList": []}
    if not uris.conforms(event.lot_uri, "uri"):
        fault("lot_uri", f"'{event.lot_uri}' is not an absolute URI.")
    entry: dict[str, Any] = {"epcClass": event.lot_uri}
    if event.quantity is not None:
        quantity = _number(event.quantity)
        if quantity is None or quantity < 0:
            fault("quantity", f"{event.quantity!r} is not a quantity (a number, 0 or more).")
        entry["quantity"] = quantity
    if event.uom is not None:
        if event.quantity is None:
            fault("uom", "a unit without a quantity.")
        elif not _UOM.fullmatch(event.uom):
            fault("uom", f"'{event.uom}' is not a UN/CEFACT unit code such as KGM.")
        entry["uom"] = event.uom
    return {"quantityList": [entry]}


def _where(event: DiaryEvent, step: BizStep, uris, fault) -> dict[str, Any]:
    if event.location_uri is None:
        return {}
    if not uris.conforms(event.location_uri, "uri"):
        fault("location_uri", f"'{event.location_uri}' is not an absolute URI.")
    where = {"readPoint": {"id": event.location_uri}}
    # Once shipped the goods are in transit: CBV leaves bizLocation out.
    if step is not BizStep.SHIPPING:
        where["bizLocation"] = {"id": event.location_uri}
    return where


def _terms(values: Mapping[str, Any], where: str, fault) -> dict[str, Any]:
    """`values` with each key as a term of ours; nested values are copied as plain JSON."""
    out = {}
    for key, value in values.items():
        if value is None:
            continue
        try:
            out[term(local_name(key))] = _json(value)
        except (TypeError, ValueError) as exc:
            fault(f"{where}.{key}", str(exc))
    return out


def _json(value: Any) -> Any:
    """`value` as plain JSON: dates as ISO 8601 text, decimals as numbers."""
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, (int, float, Decimal)):
        number = _number(value)
        if number is None:
            raise ValueError(f"{value!r} is not a finite number.")
        return number
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json(v) for v in value]
    raise TypeError(f"a {type(value).__name__} cannot be written as JSON.")


def _number(value: Any) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return None
    if isinstance(value, int):
        return value
    number = float(value)
    return number if math.isfinite(number) else None


def _offset(text: str) -> timezone | None:
    match = TZ_OFFSET.fullmatch(text or "")
    if not match:
        return None
    hours, minutes = int(match[2]), int(match[3])
    if minutes > 59 or hours * 60 + minutes > 14 * 60:
        return None
    sign = -1 if match[1] == "-" else 1
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _aware(moment: Any) -> bool:
    return isinstance(moment, datetime) and moment.utcoffset() is not None
