"""The repository's first fill: every diary entry and chain action recorded before it
existed becomes its event, as if written when it happened (migration 0009).

It reads the tables with plain SELECTs of the columns it needs, not through the
models, because a migration runs against the schema of its own revision and the
models may have grown columns since."""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from types import SimpleNamespace as Row

from flask import current_app
from sqlalchemy import text
from sqlalchemy.orm import Session

from .. import epcis
from ..epcis.chain import (Lot, LotQuantity, LotTransformation, Packing, Party, Place,
                           RecallNotice, Shipment, dispatch_event, packing_event,
                           receipt_event, recall_event, transformation_event)
from ..models import BizStep, Disposition
from .epcis_chain import _gln
from .epcis_store import NewEvent, _diary_event, known_event_ids, store

CHUNK = 2000


def backfill(connection) -> int:
    """Fill epcis_events from the rows already there; the number of events written."""
    return fill(Session(bind=connection))


def fill(s: Session) -> int:
    """`backfill` in a session of the caller's (the demo data's loader)."""
    if not s.scalar(text("SELECT EXISTS (SELECT 1 FROM batches) "
                         "OR EXISTS (SELECT 1 FROM trace_events)")):
        return 0
    base = current_app.config["PUBLIC_BASE_URL"]
    orgs = {r.id: r for r in _rows(s, "SELECT id, gln, province_code FROM organizations")}
    lots = {r.id: r for r in _rows(s, """
        SELECT b.id, b.lot_code, b.organization_id, b.product_id, b.harvest_date,
               b.pack_date, b.expiry_date, b.quantity, b.unit, b.status, b.recall_reason,
               b.recalled_at, b.transformation_id, p.gtin, p.name AS product_name
        FROM batches b JOIN products p ON p.id = b.product_id""")}
    made = _diary(s, base, lots, orgs) + _chain(s, base, lots, orgs)
    written = 0
    for start in range(0, len(made), CHUNK):
        chunk = made[start:start + CHUNK]
        held = known_event_ids(s, (e.document["eventID"] for e in chunk))
        fresh = {e.document["eventID"]: e for e in chunk if e.document["eventID"] not in held}
        written += len(store(s, list(fresh.values())))
    s.flush()
    return written


def _rows(s: Session, sql: str) -> list[Row]:
    return [Row(**m) for m in s.execute(text(sql)).mappings()]


def _lot(row: Row) -> Lot:
    return Lot(row.lot_code, row.organization_id, row.product_id, gtin=row.gtin)


def _diary(s: Session, base: str, lots: dict, orgs: dict) -> list[NewEvent]:
    areas = {r.id: r for r in _rows(s, "SELECT id, code, organization_id, province_code "
                                       "FROM growing_areas")}
    places = {r.id: r for r in _rows(s, "SELECT id, code FROM facilities")}
    out = []
    for r in _rows(s, """SELECT id, biz_step, event_time, event_tz, disposition, details,
                                epcis_event_id, batch_id, area_id, facility_id
                         FROM trace_events ORDER BY id"""):
        r.biz_step = BizStep(r.biz_step)
        r.disposition = Disposition(r.disposition) if r.disposition else None
        batch = lots.get(r.batch_id)
        if batch is not None:
            batch = Row(**vars(batch), product=Row(gtin=batch.gtin, name=batch.product_name))
        area = areas.get(r.area_id)
        event = _diary_event(r, base, batch, area, places.get(r.facility_id))
        doc = epcis.export_document([event], created=r.event_time)["epcisBody"]["eventList"][0]
        owner = batch.organization_id if batch is not None else area.organization_id
        province = area.province_code if area is not None else orgs[owner].province_code
        out.append(NewEvent(doc, owner, province, lots=[r.batch_id] if r.batch_id else (),
                            trace_event_id=r.id))
    return out


def _chain(s: Session, base: str, lots: dict, orgs: dict) -> list[NewEvent]:
    out: list[NewEvent] = []

    def keep(doc: dict, org: int, lot_ids) -> None:
        out.append(NewEvent(doc, org, orgs[org].province_code, lots=lot_ids))

    external = {r.id: r for r in _rows(s, "SELECT id, gln FROM external_parties")}
    for h in _rows(s, "SELECT * FROM handovers WHERE btrim(delivery_note) <> '' ORDER BY id"):
        sender = Party(h.sender_id, gln=_gln(orgs[h.sender_id].gln))
        receiver = Party(h.receiver_id, gln=_gln(orgs[h.receiver_id].gln)) \
            if h.receiver_id is not None else \
            Party(h.external_party_id, gln=_gln(external[h.external_party_id].gln), external=True)
        lot = _lot(lots[h.batch_id])
        keep(dispatch_event(Shipment(LotQuantity(lot, h.quantity, h.unit), sender, receiver,
                                     h.delivery_note, h.dispatched_on), base_url=base),
             h.sender_id, [h.batch_id])
        if h.status == "received" and h.received_on and h.received_quantity is not None:
            keep(receipt_event(Shipment(LotQuantity(lot, h.received_quantity, h.unit), sender,
                                        receiver, h.delivery_note, h.received_on),
                               base_url=base), h.receiver_id, [h.batch_id])
    _transformations(s, base, lots, keep)
    _packings(s, base, lots, keep)
    for lot in lots.values():
        if lot.status == "recalled" and lot.recall_reason and lot.recalled_at:
            keep(recall_event(RecallNotice(_lot(lot), lot.recall_reason, lot.recalled_at),
                              base_url=base), lot.organization_id, [lot.id])
    return out


def _transformations(s: Session, base: str, lots: dict, keep) -> None:
    edges = defaultdict(list)
    for e in _rows(s, "SELECT transformation_id, batch_id, quantity "
                      "FROM transformation_inputs ORDER BY batch_id"):
        edges[e.transformation_id].append(e)
    facilities = {r.id: r for r in _rows(s, "SELECT id, code FROM facilities")}
    for t in _rows(s, "SELECT id, organization_id, facility_id, kind, happened_on "
                      "FROM transformations ORDER BY id"):
        outputs = [lot for lot in lots.values() if lot.transformation_id == t.id]
        if not edges[t.id] or not outputs:
            continue
        place = Place(facility_id=t.facility_id, code=facilities[t.facility_id].code) \
            if t.facility_id else None
        event = transformation_event(LotTransformation(
            t.id, t.kind,
            tuple(LotQuantity(_lot(lots[e.batch_id]), e.quantity, lots[e.batch_id].unit)
                  for e in edges[t.id]),
            tuple(LotQuantity(_lot(lot), lot.quantity or Decimal(0), lot.unit)
                  for lot in outputs), t.happened_on, place=place), base_url=base)
        keep(event, t.organization_id,
             [e.batch_id for e in edges[t.id]] + [lot.id for lot in outputs])


def _packings(s: Session, base: str, lots: dict, keep) -> None:
    units = _rows(s, "SELECT sscc, organization_id, batch_id, parent_sscc, net_weight_kg, "
                     "packed_on FROM logistic_units ORDER BY sscc")
    for unit in units:
        children = tuple(c.sscc for c in units if c.parent_sscc == unit.sscc)
        lot = lots.get(unit.batch_id)
        contents = (LotQuantity(_lot(lot), unit.net_weight_kg, "KGM"),) \
            if lot is not None and unit.net_weight_kg is not None else ()
        if contents or children:
            keep(packing_event(Packing(unit.sscc, unit.packed_on, contents=contents,
                                       child_ssccs=children), base_url=base),
                 unit.organization_id, [lot.id] if lot is not None else [])
