"""Captured EPCIS events that are chain actions, done through the same services as the
pages, with their rules and their refusals:
- an ObjectEvent `receiving` of a lot dispatched to the capturing organisation is the
  hand-over's receipt (giao nhận), found by its delivery note (a `desadv`
  bizTransaction) or by the lot, with the quantity counted;
- an ObjectEvent `shipping` of a lot it holds to an organisation of the platform (the
  destination's owning party, by GLN or party address) is a dispatch;
- a TransformationEvent of lots it holds is a transformation (chế biến, đóng gói), its
  outputs named as lots of the organisation's own products.
Any other event stays the organisation's own record. A service's refusal becomes that
event's error in the capture job. The captured event is the action's event: the
service does not write one of its own beside it (epcis_chain.captured).

Packing cartons (an AggregationEvent ADD under an SSCC) is not done here: the
platform allocates its cartons' SSCCs itself, so one chosen by the sender has no
carton to become."""
from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta, timezone
from decimal import Decimal, InvalidOperation
from urllib.parse import unquote

from flask import current_app

from labels.gs1 import check_digit

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..epcis.indexing import parse_time, vocabulary_word
from ..epcis.objects import object_key
from ..epcis.vocabulary import NAMESPACE, URN_PREFIX
from ..errors import DomainError
from ..models import (Batch, Facility, Handover, HandoverStatus, Organization, Product,
                      TransformationKind, User)
from ..models.batches import MASS_KG
from . import epcis_chain, handovers, transformations
from .epcis_lots import EventLots, gtin_forms

KIND_KEYS = ("agritrace:transformationKind", f"{NAMESPACE}transformationKind")
_GLN = re.compile(r"/41[47]/(\d{13})(?:[/?#]|$)")
_GLN_URN = re.compile(r"urn:epc:id:(?:pgln|sgln):(\d{6,12})\.(\d*)(?:\.[^.]*)?")


class Refused(Exception):
    """A captured event the chain refuses: the field of the event, and why."""

    def __init__(self, field: str, detail: str):
        super().__init__(detail)
        self.field, self.detail = field, detail


@dataclass
class Entry:
    """A lot an event names, where, and how much of it (None: not said)."""
    field: str
    batch: Batch
    quantity: Decimal | None
    uom: str | None


def act(s: Session, user: User, lots: EventLots, event: dict) -> list[int]:
    """Do the chain action the event says, if it says one; the ids of the lots it is
    about, those it made included. Raises Refused naming the event's field when the
    service refuses."""
    kind, step = event.get("type"), event.get("bizStep")
    step = vocabulary_word("bizStep", step) if isinstance(step, str) else None
    if kind == "ObjectEvent" and step == "receiving":
        doing = _receipt
    elif kind == "ObjectEvent" and step == "shipping":
        doing = _dispatch
    elif kind == "TransformationEvent":
        doing = _transformation
    else:
        return []
    with s.begin_nested(), epcis_chain.captured():
        return doing(s, user, lots, event)


@contextmanager
def _refusing(default: str, inputs: list[str] = (), outputs: list[str] = ()):
    """A service's refusal as the event's: its field named as the event names it."""
    try:
        yield
    except DomainError as exc:
        raise Refused(_field(exc, default, inputs, outputs), exc.detail) from None


def _field(exc: DomainError, default: str, inputs: list[str], outputs: list[str]) -> str:
    parts = next(iter(exc.errors), "").split(".")
    listed = {"inputs": inputs, "outputs": outputs}.get(parts[0])
    if listed and len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(listed):
        return listed[int(parts[1])]
    if parts[0] == "outputs":
        return "outputQuantityList"
    return {"received_on": "eventTime", "dispatched_on": "eventTime",
            "happened_on": "eventTime", "receiver_id": "destinationList",
            "facility_id": "bizLocation", "kind": KIND_KEYS[0]}.get(parts[0], default)


def _entries(lots: EventLots, event: dict, lists: tuple[str, ...]) -> list[Entry]:
    """The platform's lots named in the event's lists (EPC lists or quantity lists)."""
    found = []
    for name in lists:
        for i, item in enumerate(event.get(name) or []):
            uri = item.get("epcClass") if isinstance(item, dict) else item
            batch = lots.lot(uri) if isinstance(uri, str) else None
            if batch is None:
                continue
            quantity = item.get("quantity") if isinstance(item, dict) else None
            uom = item.get("uom") if isinstance(item, dict) else None
            found.append(Entry(f"{name}[{i}]", batch, _decimal(quantity), uom))
    return found


def _decimal(value) -> Decimal | None:
    try:
        return Decimal(str(value)) if isinstance(value, (int, float)) else None
    except InvalidOperation:
        return None


def _in_unit(entry: Entry, unit: str) -> Decimal | None:
    """The entry's quantity in `unit` (masses convert; other units must be the same)."""
    if entry.quantity is None:
        return None
    uom = entry.uom or unit
    if uom == unit:
        return entry.quantity
    if uom in MASS_KG and unit in MASS_KG:
        return entry.quantity * MASS_KG[uom] / MASS_KG[unit]
    raise Refused(f"{entry.field}.uom", _(
        "%(uom)s cannot be counted in %(unit)s, the unit of lot %(lot)s.", uom=uom, unit=unit,
        lot=entry.batch.lot_code))


def _day(event: dict) -> date:
    """The day the event happened, where it happened."""
    moment = parse_time(event["eventTime"])
    offset = event.get("eventTimeZoneOffset")
    if isinstance(offset, str) and re.fullmatch(r"[+-]\d\d:\d\d", offset):
        sign = -1 if offset[0] == "-" else 1
        moment = moment.astimezone(timezone(sign * timedelta(
            hours=int(offset[1:3]), minutes=int(offset[4:6]))))
    return moment.date()


def _word(value) -> str:
    """A CBV word however written: bare, as a CBV 2.0 IRI or as an EPCIS 1.x URN."""
    word = re.split(r"[/:]", value)[-1] if isinstance(value, str) else ""
    return word.removeprefix("SDT-").removeprefix("BTT-")


def _delivery_notes(event: dict) -> list[str]:
    """The numbers of the event's delivery notes (phiếu giao hàng, `desadv`)."""
    notes = []
    for item in event.get("bizTransactionList") or []:
        if isinstance(item, dict) and isinstance(item.get("bizTransaction"), str) \
                and _word(item.get("type")) == "desadv":
            notes.append(unquote(item["bizTransaction"].rsplit(":", 1)[-1].rsplit("/", 1)[-1]))
    return notes


# --- receipt ---------------------------------------------------------------------------

def _receipt(s: Session, user: User, lots: EventLots, event: dict) -> list[int]:
    entries = _entries(lots, event, ("quantityList", "epcList"))
    if not entries:
        return []
    notes = _delivery_notes(event)
    for entry in entries:
        handover = _pending(s, user.organization_id, entry.batch.id, notes)
        if handover is None:
            continue
        quantity = _in_unit(entry, handover.unit)
        with _refusing(entry.field):
            handovers.receive_handover(user, handover.id, {
                "received_quantity": quantity if quantity is not None else handover.quantity,
                "received_on": _day(event)})
    return [entry.batch.id for entry in entries]


def _pending(s: Session, org_id: int, batch_id: int, notes: list[str]) -> Handover | None:
    """The hand-over of the lot to the organisation the event answers: the oldest still
    awaiting its receipt, else the latest (whose service then says it was answered)."""
    where = [Handover.batch_id == batch_id, Handover.receiver_id == org_id]
    rows = list(s.scalars(select(Handover).where(*where).order_by(Handover.id)))
    # A delivery note the event names picks among them; one no hand-over has, none.
    rows = [h for h in rows if h.delivery_note in notes] or rows
    waiting = [h for h in rows if h.status == HandoverStatus.DISPATCHED]
    return waiting[0] if waiting else (rows[-1] if rows else None)


# --- dispatch --------------------------------------------------------------------------

def _dispatch(s: Session, user: User, lots: EventLots, event: dict) -> list[int]:
    receiver = _receiver(s, event)
    entries = _entries(lots, event, ("quantityList", "epcList"))
    if receiver is None or not entries:
        return []
    notes = _delivery_notes(event)
    if not notes:
        raise Refused("bizTransactionList", _(
            "A dispatch to %(name)s needs its delivery note: a desadv bizTransaction.",
            name=receiver.name))
    for entry in entries:
        quantity = _in_unit(entry, entry.batch.unit)
        if quantity is None:
            raise Refused(entry.field, _("Say how much of lot %(lot)s is dispatched: a "
                                         "quantityList entry with its quantity and uom.",
                                         lot=entry.batch.lot_code))
        with _refusing(entry.field):
            handovers.dispatch_lot(user, {
                "batch_id": entry.batch.id, "receiver_id": receiver.id, "quantity": quantity,
                "dispatched_on": _day(event), "delivery_note": notes[0][:60], "vehicle": ""})
    return [entry.batch.id for entry in entries]


def _receiver(s: Session, event: dict) -> Organization | None:
    """The organisation of the platform the destination's owning party names."""
    for item in event.get("destinationList") or []:
        if not isinstance(item, dict) or not isinstance(item.get("destination"), str):
            continue
        if _word(item.get("type")) != "owning_party":
            continue
        uri = item["destination"]
        party = re.fullmatch(re.escape(current_app.config["PUBLIC_BASE_URL"])
                             + r"/parties/(\d{1,9})", uri)
        if party:
            return s.get(Organization, int(party[1]))
        gln = gln_of(uri)
        if gln:
            return s.scalar(select(Organization).where(Organization.gln == gln)
                            .order_by(Organization.id).limit(1))
    return None


def gln_of(uri: str) -> str | None:
    """The GLN a party or place URI names (a Digital Link's 417 or 414, a PGLN or SGLN)."""
    match = _GLN.search(uri)
    if match:
        return match[1]
    match = _GLN_URN.fullmatch(uri)
    if match and len(match[1] + match[2]) == 12:
        body = match[1] + match[2]
        return body + str(check_digit(body))
    return None


# --- transformation --------------------------------------------------------------------

def _transformation(s: Session, user: User, lots: EventLots, event: dict) -> list[int]:
    entries = _entries(lots, event, ("inputQuantityList", "inputEPCList"))
    if not entries:
        return []
    inputs = []
    for entry in entries:
        quantity = _in_unit(entry, entry.batch.unit)
        if quantity is None:
            raise Refused(entry.field, _("Say how much of lot %(lot)s went in: an "
                                         "inputQuantityList entry with its quantity and uom.",
                                         lot=entry.batch.lot_code))
        inputs.append({"batch_id": entry.batch.id, "quantity": quantity})
    data = {"kind": _kind(event), "facility_id": _facility(s, event, user.organization_id),
            "inputs": inputs, "outputs": _outputs(s, user.organization_id, event),
            "happened_on": _day(event)}
    made_from = [e.field for e in entries]
    made_as = [f"outputQuantityList[{i}]" for i in range(len(data["outputs"]))]
    with _refusing("type", made_from, made_as):
        made = transformations.transform(user, data)
    return [e.batch.id for e in entries] + [lot.id for lot in made.outputs]


def _kind(event: dict) -> str:
    said = next((event[k] for k in KIND_KEYS if k in event), None)
    if said is None:
        step = vocabulary_word("bizStep", str(event.get("bizStep", "")))
        return "packing" if step == "packing" else "processing"
    kinds = [k.value for k in TransformationKind if k != TransformationKind.EXPORT]
    if said not in kinds:
        raise Refused(KIND_KEYS[0], _("%(kind)s is not a kind of transformation; say one "
                                      "of %(kinds)s.", kind=said, kinds=", ".join(kinds)))
    return said


def _facility(s: Session, event: dict, org_id: int) -> int | None:
    """The organisation's facility the event happened at (its bizLocation, else its
    readPoint): by our facility URN or by GLN."""
    for name in ("bizLocation", "readPoint"):
        uri = (event.get(name) or {}).get("id") if isinstance(event.get(name), dict) else None
        if not isinstance(uri, str):
            continue
        where = None
        if uri.startswith(f"{URN_PREFIX}facility:code:"):
            where = Facility.code == unquote(uri.rsplit(":", 1)[-1])
        elif uri.startswith(f"{URN_PREFIX}facility:id:") and uri.rsplit(":", 1)[-1].isdigit():
            where = Facility.id == int(uri.rsplit(":", 1)[-1])
        elif gln_of(uri):
            where = Facility.gln == gln_of(uri)
        found = s.scalar(select(Facility.id).where(where, Facility.organization_id == org_id)
                         .limit(1)) if where is not None else None
        if found is not None:
            return found
    return None


def _outputs(s: Session, org_id: int, event: dict) -> list[dict]:
    """The output lots, each a lot code of one of the organisation's products, with its
    quantity and unit."""
    out = []
    for i, item in enumerate(event.get("outputQuantityList") or []):
        field = f"outputQuantityList[{i}]"
        key = object_key(item.get("epcClass"))
        product = _product(s, org_id, key) if key is not None and key.lot else None
        if product is None:
            raise Refused(f"{field}.epcClass", _(
                "%(uri)s names no lot of your organisation's products: name the output by "
                "your product's GTIN and the new lot code.", uri=item.get("epcClass")))
        quantity = _decimal(item.get("quantity"))
        if quantity is None or not isinstance(item.get("uom"), str):
            raise Refused(f"{field}.quantity", _(
                "Say how much of lot %(lot)s was made: its quantity and uom, such as KGM.",
                lot=key.lot))
        out.append({"product_id": product.id, "lot_code": key.lot, "quantity": quantity,
                    "unit": item["uom"]})
    if not out:
        raise Refused("outputQuantityList", _(
            "A transformation makes at least one lot: name it in outputQuantityList."))
    return out


def _product(s: Session, org_id: int, key) -> Product | None:
    if key.organization_id is not None:
        if key.organization_id != org_id:
            return None
        return s.scalar(select(Product).where(Product.id == key.product_id,
                                              Product.organization_id == org_id))
    if key.gtin is None:
        return None
    return s.scalar(select(Product).where(Product.gtin.in_(gtin_forms(key.gtin)),
                                          Product.organization_id == org_id).limit(1))
