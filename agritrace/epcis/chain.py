"""The supply chain as EPCIS 2.0 events: hand-overs, transformations, packing, recalls.

Pure builders: frozen dataclasses in, JSON-LD event dicts out, no request and no
database session. Every event's `eventID` is its CBV 2.0 event hash, so the same facts
always get the same ID and a repository recognises an event it already holds.

How things are named (`base_url` is the platform's public address):
- a lot (lô hàng) by its class: the lot-level GS1 Digital Link
  `{base}/01/{gtin14}/10/{lot}` when the product has a GTIN, else the platform's lot URN
  `urn:agritrace:lot:{organization}.{product}.{lot}`: the rule of the farming diary
  export, so that both name a batch alike;
- an owner by `{base}/417/{gln}` (a party GLN, AI 417) when it has a GLN, else
  `{base}/parties/{id}`, or `{base}/parties/external/{id}` for a receiver outside the
  platform;
- a place by `{base}/414/{gln}` (a location GLN, AI 414) when it has one, else the
  facility URN of the diary export;
- a carton or pallet by its SSCC's Digital Link `{base}/00/{sscc}`;
- a delivery note (phiếu giao hàng) by `urn:epcglobal:cbv:bt:{gln}:{number}`, CBV's form
  for a document number issued by the holder of a GLN, or without a GLN
  `urn:agritrace:bt:{organization}:{number}`;
- a transformation by `urn:agritrace:transformation:{id}`.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from labels.gs1 import has_valid_check_digit

from .event_hash import event_hash
from .vocabulary import CONTEXT, CONTEXT_PREFIX, URN_PREFIX, facility_uri, lot_uri

# Giờ Việt Nam: UTC+7 all year, no summer time. Every event of the chain happens here.
VIETNAM = timezone(timedelta(hours=7))
VIETNAM_OFFSET = "+07:00"
RECALL_REASON = f"{CONTEXT_PREFIX}:recallReason"
TRANSFORMATION_KIND = f"{CONTEXT_PREFIX}:transformationKind"
_UOM = re.compile(r"[A-Z0-9]{2,3}")
_KIND = re.compile(r"[a-z][a-z_]*")

Moment = date | datetime


@dataclass(frozen=True)
class Lot:  # lô hàng
    """A lot: a producer's batch, a packing-house output lot or an export lot."""
    lot_code: str
    organization_id: int
    product_id: int
    gtin: str | None = None


@dataclass(frozen=True)
class LotQuantity:
    """A quantity of one lot, in a UN/CEFACT unit such as KGM."""
    lot: Lot
    quantity: Decimal | int | float
    unit: str


@dataclass(frozen=True)
class Party:
    """An owner of goods: an organisation of the platform, or with `external` a receiver
    outside it (an `ExternalParty` row). `gln` is its 13-digit GLN, if it has one."""
    id: int
    gln: str | None = None
    external: bool = False


@dataclass(frozen=True)
class Place:
    """Where an event happens: a facility (by code, or id before it has one), or any
    place with a GLN of its own; the GLN wins when both are given."""
    facility_id: int | None = None
    code: str | None = None
    gln: str | None = None


@dataclass(frozen=True)
class Shipment:  # giao nhận
    """One hand-over. For the dispatch, `goods` is what was sent and `when` the day it
    left; for the receipt, what the receiver counted and the day it arrived."""
    goods: LotQuantity
    sender: Party
    receiver: Party
    delivery_note: str  # phiếu giao hàng: the sender's document number
    when: Moment
    sender_place: Place | None = None
    receiver_place: Place | None = None


@dataclass(frozen=True)
class LotTransformation:  # chế biến, phân loại, đóng gói
    """Quantities of input lots made into new output lots (`kind` is the
    transformation's kind, such as grading, packing, drying or export)."""
    id: int
    kind: str
    inputs: tuple[LotQuantity, ...]
    outputs: tuple[LotQuantity, ...]
    when: Moment
    place: Place | None = None


@dataclass(frozen=True)
class Packing:  # đóng thùng, xếp pallet
    """A carton or pallet (its SSCC) packed with quantities of lots, or with other
    cartons (their SSCCs), or both."""
    sscc: str
    when: Moment
    contents: tuple[LotQuantity, ...] = ()
    child_ssccs: tuple[str, ...] = ()
    place: Place | None = None


@dataclass(frozen=True)
class RecallNotice:  # thu hồi
    """A lot recalled: `goods` is the whole lot (a Lot), or the quantity held where the
    recall is recorded (a LotQuantity)."""
    goods: Lot | LotQuantity
    reason: str
    when: Moment
    place: Place | None = None


def dispatch_event(shipment: Shipment, *, base_url: str) -> dict:
    """The dispatch of a hand-over: ObjectEvent OBSERVE, `shipping`, `in_transit`."""
    event = _times("ObjectEvent", shipment.when)
    event["quantityList"] = [_entry(shipment.goods, base_url)]
    event["action"] = "OBSERVE"
    event["bizStep"] = "shipping"
    event["disposition"] = "in_transit"
    if shipment.sender_place is not None:
        # Once shipped the goods are in transit, at no business location: CBV leaves
        # bizLocation out, and the source location is where they were read leaving.
        event["readPoint"] = {"id": _place_uri(shipment.sender_place, base_url)}
    return _named(_handover(event, shipment, base_url))


def receipt_event(shipment: Shipment, *, base_url: str) -> dict:
    """The receipt of a hand-over: ObjectEvent OBSERVE, `receiving`, `in_progress`,
    with the quantity the receiver counted."""
    event = _times("ObjectEvent", shipment.when)
    event["quantityList"] = [_entry(shipment.goods, base_url)]
    event["action"] = "OBSERVE"
    event["bizStep"] = "receiving"
    event["disposition"] = "in_progress"
    _at(event, shipment.receiver_place, base_url)
    return _named(_handover(event, shipment, base_url))


def transformation_event(transformation: LotTransformation, *, base_url: str) -> dict:
    """A TransformationEvent: input lots' quantities in, new output lots out.

    The business step is CBV `commissioning`: CBV 2.0 has no `transforming`, and
    `commissioning` is its step for the first use of a class-level identifier, which
    every output lot is (a lot is made by one transformation only). `packing` is kept
    for putting goods into cartons (`packing_event`). The kind of transformation
    travels as `agritrace:transformationKind`.
    """
    if not transformation.inputs or not transformation.outputs:
        raise ValueError("A transformation needs at least one input and one output lot.")
    if not _KIND.fullmatch(transformation.kind or ""):
        raise ValueError(f"{transformation.kind!r} is not a kind of transformation.")
    event = _times("TransformationEvent", transformation.when)
    event["inputQuantityList"] = [_entry(q, base_url) for q in transformation.inputs]
    event["outputQuantityList"] = [_entry(q, base_url) for q in transformation.outputs]
    event["transformationID"] = f"{URN_PREFIX}transformation:{int(transformation.id)}"
    event["bizStep"] = "commissioning"
    _at(event, transformation.place, base_url)
    event[TRANSFORMATION_KIND] = transformation.kind
    return _named(event)


def packing_event(packing: Packing, *, base_url: str) -> dict:
    """Packing a carton or pallet: AggregationEvent ADD, `packing`, parentID the SSCC."""
    if not packing.contents and not packing.child_ssccs:
        raise ValueError(f"Carton {packing.sscc} is packed with nothing.")
    event = _times("AggregationEvent", packing.when)
    event["parentID"] = _sscc_uri(packing.sscc, base_url)
    if packing.child_ssccs:
        event["childEPCs"] = [_sscc_uri(s, base_url) for s in packing.child_ssccs]
    if packing.contents:
        event["childQuantityList"] = [_entry(q, base_url) for q in packing.contents]
    event["action"] = "ADD"
    event["bizStep"] = "packing"
    _at(event, packing.place, base_url)
    return _named(event)


def recall_event(recall: RecallNotice, *, base_url: str) -> dict:
    """A recall: ObjectEvent OBSERVE, disposition `recalled`, the reason in
    `agritrace:recallReason`. The business step is `holding` (goods set apart for
    further review), one of those CBV names for the `recalled` disposition."""
    reason = (recall.reason or "").strip()
    if not reason:
        raise ValueError("A recall needs its reason.")
    goods = recall.goods
    event = _times("ObjectEvent", recall.when)
    event["quantityList"] = [_entry(goods, base_url) if isinstance(goods, LotQuantity)
                             else {"epcClass": _lot_uri(goods, base_url)}]
    event["action"] = "OBSERVE"
    event["bizStep"] = "holding"
    event["disposition"] = "recalled"
    _at(event, recall.place, base_url)
    event[RECALL_REASON] = reason
    return _named(event)


def chain_document(events: list[dict], *, created: datetime) -> dict:
    """An EPCISDocument holding `events` in the order given, with GS1's context and the
    platform's own prefix (the extension fields above need it)."""
    if not isinstance(created, datetime) or created.utcoffset() is None:
        raise ValueError("The creation time of a document needs a time zone.")
    return {
        "@context": [c if isinstance(c, str) else dict(c) for c in CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": created.isoformat(),
        "epcisBody": {"eventList": list(events)},
    }


# --- pieces ---------------------------------------------------------------------------
def _times(kind: str, when: Moment) -> dict[str, Any]:
    """The event's type, eventTime and eventTimeZoneOffset.

    A `date` is a day's business recorded without a clock time (dispatched on, received
    on, packed on): it becomes midnight of that day in Viet Nam (+07:00), where the
    event happened, so that the same day always gives the same eventTime, and so the
    same event hash. A datetime is shown in Viet Nam time, to the millisecond.
    """
    if isinstance(when, datetime):
        if when.utcoffset() is None:
            raise ValueError(f"The time {when.isoformat()} has no time zone.")
        local = when.astimezone(VIETNAM)
    elif isinstance(when, date):
        local = datetime(when.year, when.month, when.day, tzinfo=VIETNAM)
    else:
        raise ValueError(f"{when!r} is neither a date nor a time.")
    return {"type": kind, "eventTime": local.isoformat(timespec="milliseconds"),
            "eventTimeZoneOffset": VIETNAM_OFFSET}


def _named(event: dict[str, Any]) -> dict[str, Any]:
    """`event` with its eventID, the event hash, placed after the times."""
    head = {k: event[k] for k in ("type", "eventTime", "eventTimeZoneOffset")}
    rest = {k: v for k, v in event.items() if k not in head}
    return {**head, "eventID": event_hash(event, CONTEXT), **rest}


def _handover(event: dict[str, Any], shipment: Shipment, base_url: str) -> dict[str, Any]:
    # The type comes before the identifier, as the event hash reads them.
    event["bizTransactionList"] = [{"type": "desadv",
                                    "bizTransaction": _delivery_note_uri(shipment)}]
    event["sourceList"] = _ends("source", shipment.sender, shipment.sender_place, base_url)
    event["destinationList"] = _ends("destination", shipment.receiver,
                                     shipment.receiver_place, base_url)
    return event


def _ends(key: str, party: Party, place: Place | None, base_url: str) -> list[dict]:
    ends = [{"type": "owning_party", key: _party_uri(party, base_url)}]
    if place is not None:
        ends.append({"type": "location", key: _place_uri(place, base_url)})
    return ends


def _at(event: dict[str, Any], place: Place | None, base_url: str) -> None:
    if place is not None:
        uri = _place_uri(place, base_url)
        event["readPoint"] = {"id": uri}
        event["bizLocation"] = {"id": uri}


def _entry(goods: LotQuantity, base_url: str) -> dict[str, Any]:
    if not _UOM.fullmatch(goods.unit or ""):
        raise ValueError(f"{goods.unit!r} is not a UN/CEFACT unit code such as KGM.")
    return {"epcClass": _lot_uri(goods.lot, base_url),
            "quantity": _quantity(goods.quantity), "uom": goods.unit}


def _quantity(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise ValueError(f"{value!r} is not a quantity.")
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{value!r} is not a quantity (a number, 0 or more).")
    return int(value) if number == int(number) else number


def _lot_uri(lot: Lot, base_url: str) -> str:
    return lot_uri(base_url, lot.lot_code, gtin=lot.gtin,
                   organization_id=lot.organization_id, product_id=lot.product_id)


def _party_uri(party: Party, base_url: str) -> str:
    if party.gln:
        return f"{base_url.rstrip('/')}/417/{_gln(party.gln)}"
    kind = "parties/external" if party.external else "parties"
    return f"{base_url.rstrip('/')}/{kind}/{int(party.id)}"


def _place_uri(place: Place, base_url: str) -> str:
    if place.gln:
        return f"{base_url.rstrip('/')}/414/{_gln(place.gln)}"
    return facility_uri(code=place.code, facility_id=place.facility_id)


def _sscc_uri(sscc: str, base_url: str) -> str:
    if not (isinstance(sscc, str) and sscc.isascii() and len(sscc) == 18
            and has_valid_check_digit(sscc)):
        raise ValueError(f"{sscc!r} is not an SSCC (18 digits with their check digit).")
    return f"{base_url.rstrip('/')}/00/{sscc}"


def _gln(gln: str) -> str:
    if not (isinstance(gln, str) and gln.isascii() and len(gln) == 13
            and has_valid_check_digit(gln)):
        raise ValueError(f"{gln!r} is not a GLN (13 digits with their check digit).")
    return gln


def _delivery_note_uri(shipment: Shipment) -> str:
    number = (shipment.delivery_note or "").strip()
    if not number:
        raise ValueError("A hand-over needs its delivery note number.")
    if shipment.sender.gln:
        return f"urn:epcglobal:cbv:bt:{_gln(shipment.sender.gln)}:{quote(number, safe='')}"
    return f"{URN_PREFIX}bt:{int(shipment.sender.id)}:{quote(number, safe='')}"
