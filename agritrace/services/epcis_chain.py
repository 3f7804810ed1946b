"""The chain's actions into the EPCIS 2.0 repository, as they happen: a hand-over's
dispatch and receipt, a transformation, cartons packed, a recall. Each is built by the
pure builders of agritrace/epcis/chain.py (the same events, and so the same event
hashes, as a lot's chain document) and stored in the caller's transaction."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from labels.gs1 import has_valid_check_digit

from ..epcis.chain import (Lot, LotQuantity, LotTransformation, Packing, Party, Place,
                           RecallNotice, Shipment, dispatch_event, packing_event,
                           receipt_event, recall_event, transformation_event)
from ..models import (Batch, ExternalParty, Facility, Handover, HandoverStatus, LogisticUnit,
                      Organization, Transformation)
from .epcis_store import NewEvent, known_event_ids, province_of, store


# Set while a captured event does a chain action (epcis_actions.py): that event is the
# action's own, stored as it came, so no second one is built beside it.
_CAPTURED: ContextVar[bool] = ContextVar("epcis_captured", default=False)


@contextmanager
def captured() -> Iterator[None]:
    token = _CAPTURED.set(True)
    try:
        yield
    finally:
        _CAPTURED.reset(token)


def _base() -> str:
    return current_app.config["PUBLIC_BASE_URL"]


def lot_of(batch: Batch) -> Lot:
    return Lot(batch.lot_code, batch.organization_id, batch.product_id,
               gtin=batch.product.gtin)


def _gln(value: str | None) -> str | None:
    """A GLN to name a party by, when it is a real one."""
    return value if value and has_valid_check_digit(value) else None


def _keep(s: Session, made: list[tuple[dict, int, list[int]]]) -> None:
    """Store (event, organisation, lots) triples whose eventIDs are new."""
    if _CAPTURED.get():
        return
    held = known_event_ids(s, (doc["eventID"] for doc, _org, _lots in made))
    provinces = province_of(s, (org for _doc, org, _lots in made))
    fresh, seen = [], set(held)
    for doc, org, lots in made:
        if doc["eventID"] not in seen:
            seen.add(doc["eventID"])
            fresh.append(NewEvent(doc, org, provinces[org], lots=lots))
    store(s, fresh)


def _shipment(s: Session, handover: Handover, quantity, day) -> Shipment | None:
    if not handover.delivery_note.strip():
        return None
    batch = s.get(Batch, handover.batch_id)
    sender = Party(handover.sender_id, gln=_gln(s.get(Organization, handover.sender_id).gln))
    if handover.receiver_id is not None:
        receiver = Party(handover.receiver_id,
                         gln=_gln(s.get(Organization, handover.receiver_id).gln))
    else:
        party = s.get(ExternalParty, handover.external_party_id)
        receiver = Party(party.id, gln=_gln(party.gln), external=True)
    return Shipment(LotQuantity(lot_of(batch), quantity, handover.unit), sender, receiver,
                    handover.delivery_note, day)


def record_dispatch(s: Session, handover: Handover) -> None:
    """The sender's shipping event."""
    sent = _shipment(s, handover, handover.quantity, handover.dispatched_on)
    if sent is not None:
        _keep(s, [(dispatch_event(sent, base_url=_base()), handover.sender_id,
                   [handover.batch_id])])


def record_receipt(s: Session, handover: Handover) -> None:
    """The receiver's receiving event, with the quantity it counted."""
    if handover.status != HandoverStatus.RECEIVED or handover.receiver_id is None:
        return
    got = _shipment(s, handover, handover.received_quantity, handover.received_on)
    if got is not None:
        _keep(s, [(receipt_event(got, base_url=_base()), handover.receiver_id,
                   [handover.batch_id])])


def record_transformation(s: Session, made: Transformation, outputs: list[Batch]) -> None:
    """The TransformationEvent: the input lots' quantities in, the output lots out."""
    inputs = [(s.get(Batch, edge.batch_id), edge.quantity) for edge in made.inputs]
    place = None
    if made.facility_id is not None:
        facility = s.get(Facility, made.facility_id)
        place = Place(facility_id=facility.id, code=facility.code)
    event = transformation_event(LotTransformation(
        made.id, made.kind.value,
        tuple(LotQuantity(lot_of(lot), q, lot.unit) for lot, q in inputs),
        tuple(LotQuantity(lot_of(lot), lot.quantity, lot.unit) for lot in outputs),
        made.happened_on, place=place), base_url=_base())
    _keep(s, [(event, made.organization_id,
               [lot.id for lot, _q in inputs] + [lot.id for lot in outputs])])


def record_packing(s: Session, lot: Batch, units: list[LogisticUnit]) -> None:
    """One AggregationEvent per carton (its lot's net weight) and per pallet (its
    cartons)."""
    made = []
    for unit in units:
        children = tuple(c.sscc for c in units if c.parent_sscc == unit.sscc)
        contents = (LotQuantity(lot_of(lot), unit.net_weight_kg, "KGM"),) \
            if unit.net_weight_kg is not None else ()
        if contents or children:
            made.append((packing_event(Packing(unit.sscc, unit.packed_on, contents=contents,
                                               child_ssccs=children), base_url=_base()),
                         unit.organization_id, [lot.id]))
    _keep(s, made)


def record_recall(s: Session, lot_ids: Iterable[int], reason: str, at: datetime) -> None:
    """A recall event for every lot the recall reached, each its maker's."""
    lots = list(s.scalars(select(Batch).where(Batch.id.in_(sorted(set(lot_ids))))
                          .order_by(Batch.id)))
    _keep(s, [(recall_event(RecallNotice(lot_of(lot), reason, at), base_url=_base()),
               lot.organization_id, [lot.id]) for lot in lots])
