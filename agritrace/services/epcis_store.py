"""Writing into the EPCIS 2.0 repository (epcis_events): captured events, the farming
diary's entries and the chain's actions, each in the transaction that made it.

Rows go in with COPY (three statements for any number of events): the ids are drawn
from the sequence first, so that the identifiers and lots of each event can follow.
An event is never updated afterwards.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from psycopg.types.json import Jsonb
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from .. import epcis
from ..clock import now
from ..epcis.indexing import Indexed, index_event
from ..epcis.vocabulary import action_for
from ..models import (Batch, EpcisEvent, Facility, GrowingArea, Organization, TraceEvent)

_EVENT_COLUMNS = ("id", "event_id", "organization_id", "province_code", "capture_id",
                  "trace_event_id", "event_time", "event_type", "action", "biz_step",
                  "disposition", "read_point", "biz_location", "document")


@dataclass
class NewEvent:
    """An event to store: `document` is the event as it will be served (JSON-LD), and
    `lots` the platform's lots it is about (who may read it follows from them)."""
    document: dict[str, Any]
    organization_id: int
    province_code: int
    lots: Iterable[int] = ()
    capture_id: int | None = None
    trace_event_id: int | None = None
    indexed: Indexed | None = None
    context: Any = field(default=None, repr=False)

    def index(self) -> Indexed:
        if self.indexed is None:
            self.indexed = index_event(self.document, self.context)
        return self.indexed


def store(s: Session, events: list[NewEvent]) -> list[int]:
    """Insert the events, their identifiers and their lots; return their ids, in order.
    The caller has checked that their eventIDs are new."""
    if not events:
        return []
    s.flush()
    ids = list(s.scalars(text(
        "SELECT nextval(pg_get_serial_sequence('epcis_events', 'id')) "
        "FROM generate_series(1, :n)"), {"n": len(events)}))
    raw = s.connection().connection.driver_connection
    with raw.cursor() as cursor:
        with cursor.copy(f"COPY epcis_events ({', '.join(_EVENT_COLUMNS)}) FROM STDIN") as copy:
            for pk, event in zip(ids, events):
                found = event.index()
                copy.write_row((pk, found.event_id, event.organization_id,
                                event.province_code, event.capture_id, event.trace_event_id,
                                found.event_time, found.event_type, found.action,
                                found.biz_step, found.disposition, found.read_point,
                                found.biz_location, Jsonb(event.document)))
        with cursor.copy("COPY epcis_event_epcs (epc, event_pk, field) FROM STDIN") as copy:
            for pk, event in zip(ids, events):
                for epc, where in event.index().epcs:
                    copy.write_row((epc, pk, where))
        with cursor.copy("COPY epcis_event_lots (event_pk, batch_id) FROM STDIN") as copy:
            for pk, event in zip(ids, events):
                for lot in sorted(set(event.lots)):
                    copy.write_row((pk, lot))
    return ids


def known_event_ids(s: Session, event_ids: Iterable[str]) -> set[str]:
    wanted = sorted(set(event_ids))
    if not wanted:
        return set()
    return set(s.scalars(select(EpcisEvent.event_id).where(EpcisEvent.event_id.in_(wanted))))


def province_of(s: Session, org_ids: Iterable[int]) -> dict[int, int]:
    """Each organisation's province."""
    wanted = sorted(set(org_ids))
    return dict(s.execute(select(Organization.id, Organization.province_code)
                          .where(Organization.id.in_(wanted))).all()) if wanted else {}


# --- the farming diary (nhật ký canh tác) ---------------------------------------------

def record_diary(s: Session, rows: list[TraceEvent]) -> None:
    """Store the events of new diary entries (skipping an imported entry whose eventID
    the repository already holds)."""
    if not rows:
        return
    s.flush()
    batches = _by_id(s, Batch, {r.batch_id for r in rows})
    areas = _by_id(s, GrowingArea, {r.area_id for r in rows})
    documents = diary_documents(s, rows, batches=batches, areas=areas)
    owners = {r.id: _diary_owner(r, batches, areas) for r in rows}
    provinces = province_of(s, owners.values())
    held = known_event_ids(s, (d["eventID"] for d in documents))
    store(s, [NewEvent(doc, owners[row.id], _diary_province(row, areas, provinces, owners),
                       lots=[row.batch_id] if row.batch_id else (), trace_event_id=row.id)
              for row, doc in zip(rows, documents) if doc["eventID"] not in held])


def _diary_owner(row: TraceEvent, batches: dict, areas: dict) -> int:
    if row.batch_id is not None:
        return batches[row.batch_id].organization_id
    return areas[row.area_id].organization_id


def _diary_province(row: TraceEvent, areas: dict, provinces: dict, owners: dict) -> int:
    area = areas.get(row.area_id)
    return area.province_code if area is not None else provinces[owners[row.id]]


def diary_documents(s: Session, rows: list[TraceEvent], *, batches: dict | None = None,
                    areas: dict | None = None) -> list[dict]:
    """The EPCIS events of diary entries, in the order given."""
    batches = batches if batches is not None else _by_id(s, Batch, {r.batch_id for r in rows})
    areas = areas if areas is not None else _by_id(s, GrowingArea, {r.area_id for r in rows})
    facilities = _by_id(s, Facility, {r.facility_id for r in rows})
    base = current_app.config["PUBLIC_BASE_URL"]
    events = [_diary_event(r, base, batches.get(r.batch_id), areas.get(r.area_id),
                           facilities.get(r.facility_id)) for r in rows]
    return epcis.export_document(events, created=now())["epcisBody"]["eventList"]


def _by_id(s: Session, model, ids: Iterable[int | None]) -> dict[int, Any]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return {row.id: row for row in s.scalars(select(model).where(model.id.in_(wanted)))}


def _diary_event(row: TraceEvent, base: str, batch: Batch | None, area: GrowingArea | None,
                 facility: Facility | None) -> epcis.DiaryEvent:
    details = dict(row.details or {})
    quantity = uom = lot = None
    ilmd: dict[str, Any] = {}
    if batch is not None:
        lot = epcis.lot_uri(base, batch.lot_code, gtin=batch.product.gtin,
                            organization_id=batch.organization_id, product_id=batch.product_id)
        # A harvest or packing counts the batch: that count belongs in quantityList.
        if isinstance(details.get("quantity"), (int, float)):
            quantity, uom = details.pop("quantity"), details.pop("unit", None)
        if action_for(row.biz_step) == "ADD":
            ilmd = {"product_name": batch.product.name, "harvest_date": batch.harvest_date,
                    "pack_date": batch.pack_date, "expiry_date": batch.expiry_date}
    if area is not None:
        location = epcis.area_uri(base, code=area.code, area_id=area.id)
    elif facility is not None:
        location = epcis.facility_uri(code=facility.code, facility_id=facility.id)
    else:
        location = None
    return epcis.DiaryEvent(
        id=row.id, biz_step=row.biz_step.value, event_time=row.event_time,
        event_tz=row.event_tz, disposition=row.disposition.value if row.disposition else None,
        lot_uri=lot, quantity=quantity, uom=uom, location_uri=location,
        area_code=area.code if area is not None else None, details=details,
        ilmd={k: v for k, v in ilmd.items() if v is not None},
        epcis_event_id=row.epcis_event_id)
