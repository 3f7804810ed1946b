"""A lot's chain as one EPCIS 2.0 document: every hand-over a shipping (and, once
received, a receiving) ObjectEvent, every transformation a TransformationEvent, every
carton or pallet an AggregationEvent, every recall an ObjectEvent `recalled`.

The events are built by the pure builders of agritrace/epcis/chain.py from what the
trace found and the reader may see: a transformation lists the input and output lots
on the traced chain, so an organisation's document names no lot beyond its one step
back and forward. Event IDs are the CBV 2.0 event hash of each event.
"""
from __future__ import annotations

from flask import current_app

from labels.gs1 import has_valid_check_digit

from ..clock import now
from ..epcis.chain import (Lot, LotQuantity, LotTransformation, Packing, Party, Place,
                           RecallNotice, Shipment, chain_document, dispatch_event,
                           packing_event, receipt_event, recall_event, transformation_event)
from ..models import User
from .trace import HandoverRow, LotNode, Start, StartKind, Trace, trace


def export_chain(actor: User | None, batch_id: int) -> dict:
    """The chain of lot `batch_id`, back and forward, as an EPCISDocument."""
    found = trace(actor, Start(StartKind.LOT, batch_id))
    base = current_app.config["PUBLIC_BASE_URL"]
    return chain_document(chain_events(found, base), created=now())


def chain_events(found: Trace, base_url: str) -> list[dict]:
    """The events of a trace, oldest first."""
    lots = {lot.id: _lot(lot) for lot in found.lots}
    events = [e for h in found.handovers if h.batch_id in lots
              for e in _shipments(h, lots[h.batch_id], base_url)]
    events += _transformations(found, lots, base_url)
    events += _packings(found, lots, base_url)
    events += [recall_event(RecallNotice(lots[lot.id], lot.recall_reason, lot.recalled_at),
                            base_url=base_url)
               for lot in found.lots
               if lot.status == "recalled" and lot.recall_reason and lot.recalled_at]
    # Every time is written at +07:00, so the text sorts as the time does.
    return sorted(events, key=lambda e: (e["eventTime"], e["type"]))


def _lot(lot: LotNode) -> Lot:
    return Lot(lot.lot_code, lot.organization_id, lot.product_id, gtin=lot.gtin)


def _gln(value: str | None) -> str | None:
    """A GLN to name a party by, when it is a real one (the database checks its form
    only, the builders its check digit too)."""
    return value if value and has_valid_check_digit(value) else None


def _shipments(h: HandoverRow, lot: Lot, base_url: str) -> list[dict]:
    if not h.delivery_note.strip():
        return []
    sender = Party(h.sender_id, gln=_gln(h.sender_gln))
    if h.receiver_id is not None:
        receiver = Party(h.receiver_id, gln=_gln(h.receiver_gln))
    else:
        receiver = Party(h.external_party_id, gln=_gln(h.external_gln), external=True)
    sent = Shipment(LotQuantity(lot, h.quantity, h.unit), sender, receiver, h.delivery_note,
                    h.dispatched_on)
    events = [dispatch_event(sent, base_url=base_url)]
    if h.status == "received" and h.received_on is not None \
            and h.received_quantity is not None:
        got = Shipment(LotQuantity(lot, h.received_quantity, h.unit), sender, receiver,
                       h.delivery_note, h.received_on)
        events.append(receipt_event(got, base_url=base_url))
    return events


def _transformations(found: Trace, lots: dict[int, Lot], base_url: str) -> list[dict]:
    made: dict[int, list[LotNode]] = {}
    for lot in found.lots:
        if lot.transformation_id is not None and lot.quantity is not None:
            made.setdefault(lot.transformation_id, []).append(lot)
    events = []
    for t_id, outputs in sorted(made.items()):
        out_ids = {lot.id for lot in outputs}
        inputs = {e.input_id: e for e in found.edges if e.output_id in out_ids}
        if not inputs:
            continue
        first = outputs[0]
        place = Place(facility_id=first.facility_id, code=first.packing_house_code) \
            if first.facility_id else None
        events.append(transformation_event(LotTransformation(
            t_id, first.transformation_kind,
            tuple(LotQuantity(lots[i], e.quantity, e.unit) for i, e in sorted(inputs.items())),
            tuple(LotQuantity(lots[lot.id], lot.quantity, lot.unit) for lot in outputs),
            first.made_on, place=place), base_url=base_url))
    return events


def _packings(found: Trace, lots: dict[int, Lot], base_url: str) -> list[dict]:
    events = []
    for unit in found.cartons:
        children = tuple(c.sscc for c in found.cartons if c.parent_sscc == unit.sscc)
        contents = (LotQuantity(lots[unit.batch_id], unit.net_weight_kg, "KGM"),) \
            if unit.batch_id in lots and unit.net_weight_kg is not None else ()
        if contents or children:
            events.append(packing_event(Packing(unit.sscc, unit.packed_on, contents=contents,
                                                child_ssccs=children), base_url=base_url))
    return events
