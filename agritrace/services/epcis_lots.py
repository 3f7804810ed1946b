"""The lots (lô hàng) of the platform that captured EPCIS events name, and whether the
capturing organisation may speak of them.

Identifiers are read by agritrace/epcis/objects.py (a GTIN with its lot, an SSCC
packed from a lot, our lot URN) and looked up a few queries for a whole document,
whatever its size. An organisation may name a lot it made, holds, or sent or
received in a hand-over; an event about another organisation's lot it never held is
refused."""
from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from sqlalchemy import or_, select, tuple_
from sqlalchemy.orm import Session

from ..epcis.objects import ObjectKey, named_objects, object_key
from ..models import Batch, Handover, Holding, LogisticUnit, Organization, Product


def report(index: int, field: str, detail: str) -> dict:
    """One refused event, as the capture job lists it: an RFC 7807 problem (GS1's
    CaptureJob says so) naming the event's index and field."""
    return {"type": "epcisException:ValidationException", "title": "ValidationException",
            "status": 400, "detail": detail, "eventIndex": index, "field": field}


class EventLots:
    """The platform's lots a document's events name, resolved once for the document;
    lots made while it is captured (a transformation's outputs) are learnt as they
    come."""

    def __init__(self, s: Session, org: Organization, events: list):
        self.s, self.org = s, org
        uris = {uri for e in events if isinstance(e, dict) for _f, uri in named_objects(e)}
        self.by_uri = resolve(s, uris)
        self.ours = held(s, org.id, (b.id for b in self.by_uri.values()))
        # Named by the document yet no lot: looked up again only once lots were made.
        self.unknown = uris - set(self.by_uri)

    def check(self, index: int, event: dict) -> tuple[list[int], dict | None]:
        """The ids of the lots the event names, or the report refusing it."""
        ids = []
        for field, uri in named_objects(event):
            batch = self.by_uri.get(uri)
            if batch is None:
                continue
            if batch.id not in self.ours:
                return [], report(index, f"epcisBody.eventList[{index}].{field}", _(
                    "%(uri)s is lot %(lot)s of another organisation, which yours never "
                    "held.", uri=uri, lot=batch.lot_code))
            ids.append(batch.id)
        return ids, None

    def made(self) -> None:
        """Lots were made while capturing: identifiers unknown so far may name them."""
        self.unknown = set()

    def lot(self, uri: str) -> Batch | None:
        """The lot `uri` names, looking again for one not known when the document came
        (made by an earlier event of it)."""
        if uri in self.unknown:
            return None
        if uri not in self.by_uri:
            found = resolve(self.s, [uri]).get(uri)
            if found is None:
                self.unknown.add(uri)
                return None
            self.by_uri[uri] = found
            if found.id in held(self.s, self.org.id, [found.id]):
                self.ours.add(found.id)
        return self.by_uri[uri]


def resolve(s: Session, uris: Iterable[str]) -> dict[str, Batch]:
    """URI -> the lot of the platform it names: our lot URN, a GTIN and lot code, or an
    SSCC packed from the lot. Three queries at most, for any number of URIs."""
    keys = {uri: key for uri in uris if (key := object_key(uri)) is not None}
    found: dict[str, Batch] = {}
    found |= _by_urn(s, {u: k for u, k in keys.items() if k.organization_id is not None})
    found |= _by_sscc(s, {u: k for u, k in keys.items() if k.sscc is not None})
    found |= _by_gtin(s, {u: k for u, k in keys.items()
                          if k.gtin is not None and k.lot is not None})
    return found


def _by_urn(s: Session, keys: dict[str, ObjectKey]) -> dict[str, Batch]:
    if not keys:
        return {}
    wanted = {(k.organization_id, k.product_id, k.lot) for k in keys.values()}
    rows = {(b.organization_id, b.product_id, b.lot_code): b for b in s.scalars(
        select(Batch).where(tuple_(Batch.organization_id, Batch.product_id,
                                   Batch.lot_code).in_(sorted(wanted))))}
    return {u: rows[(k.organization_id, k.product_id, k.lot)] for u, k in keys.items()
            if (k.organization_id, k.product_id, k.lot) in rows}


def _by_sscc(s: Session, keys: dict[str, ObjectKey]) -> dict[str, Batch]:
    if not keys:
        return {}
    rows = dict(s.execute(select(LogisticUnit.sscc, Batch).join(
        Batch, Batch.id == LogisticUnit.batch_id).where(
        LogisticUnit.sscc.in_(sorted({k.sscc for k in keys.values()})))).all())
    return {u: rows[k.sscc] for u, k in keys.items() if k.sscc in rows}


def _by_gtin(s: Session, keys: dict[str, ObjectKey]) -> dict[str, Batch]:
    """Products keep their GTIN as entered (8, 12, 13 or 14 digits): matched in every
    length a GTIN-14 can be written in."""
    if not keys:
        return {}
    forms = sorted({f for k in keys.values() for f in gtin_forms(k.gtin)})
    lots = sorted({k.lot for k in keys.values()})
    rows: dict[tuple[str, str], Batch] = {}
    for gtin, batch in s.execute(select(Product.gtin, Batch).join(
            Product, Product.id == Batch.product_id).where(
            Product.gtin.in_(forms), Batch.lot_code.in_(lots)).order_by(Batch.id)):
        rows.setdefault((gtin.zfill(14), batch.lot_code), batch)
    return {u: rows[(k.gtin, k.lot)] for u, k in keys.items() if (k.gtin, k.lot) in rows}


def gtin_forms(gtin14: str) -> list[str]:
    return [gtin14, gtin14.lstrip("0")] + [gtin14[i:] for i in (1, 2)]


def held(s: Session, org_id: int, ids: Iterable[int]) -> set[int]:
    """Those of the lots the organisation made, holds, or sent or received."""
    ids = sorted(set(ids))
    if not ids:
        return set()
    own = set(s.scalars(select(Batch.id).where(Batch.id.in_(ids),
                                               Batch.organization_id == org_id)))
    own |= set(s.scalars(select(Holding.batch_id).where(Holding.batch_id.in_(ids),
                                                        Holding.organization_id == org_id)))
    own |= set(s.scalars(select(Handover.batch_id).where(
        Handover.batch_id.in_(ids), or_(Handover.sender_id == org_id,
                                        Handover.receiver_id == org_id))))
    return own
