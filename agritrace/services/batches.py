"""Harvest batches (lô hàng): opened on issued growing areas of their own
organisation, closed when packed out, recalled (thu hồi) with a reason by the
producer or an official of the province. Every change is audited."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import permissions
from ..db import session, transaction
from ..errors import Conflict, Invalid
from ..models import (AreaStatus, Batch, BatchStatus, Facility, FacilityKind, FacilityStatus,
                      GrowingArea, MovementKind, Organization, OrgStatus, Product, User)
from . import audit, diary, recalls, stock

FIELDS = ("product_id", "organization_id", "lot_code", "harvest_date", "pack_date",
          "expiry_date", "quantity", "unit", "packing_facility_id", "status", "recall_reason",
          "recalled_at")


def list_batches(actor: User | None, *, product_id: int | None = None,
                 status: BatchStatus | None = None, q: str | None = None, offset: int = 0,
                 limit: int = 20) -> tuple[list[Batch], int]:
    permissions.require_login(actor)
    where = [permissions.owner_filter(actor, Batch.organization_id, Organization.province_code)]
    if product_id:
        where.append(Batch.product_id == product_id)
    if status:
        where.append(Batch.status == status)
    if q:
        where.append(Batch.lot_code.ilike(f"%{q}%"))
    base = select(Batch).join(Organization, Organization.id == Batch.organization_id) \
        .where(*where)
    s = session()
    total = s.scalar(select(func.count()).select_from(base.subquery()))
    rows = s.scalars(base.order_by(Batch.id.desc()).offset(offset).limit(limit))
    return list(rows.unique()), total


def get_batch(actor: User | None, batch_id: int) -> Batch:
    return permissions.fetch(session(), actor, Batch, batch_id, "batch")


def _areas(s: Session, org_id: int, area_ids: list[int]) -> list[GrowingArea]:
    """The batch's growing areas: all issued, all the organisation's own."""
    areas = s.scalars(select(GrowingArea).where(GrowingArea.id.in_(area_ids))).all()
    found = {a.id: a for a in areas}
    problems = []
    for area_id in area_ids:
        area = found.get(area_id)
        if area is None or area.organization_id != org_id:
            problems.append(_("Growing area %(id)s is not one of your organisation's areas.",
                              id=area_id))
        elif area.status != AreaStatus.ISSUED:
            problems.append(_("Growing area %(code)s is %(status)s%(reason)s; only an issued "
                              "area can supply a batch.", code=area.code or area.name,
                              status=_(area.status.value),
                              reason=f" ({area.status_reason})" if area.status_reason else ""))
    if problems:
        raise Invalid(" ".join(problems), {"area_ids": problems})
    return [found[i] for i in area_ids]


def _packing_house(s: Session, org: Organization, facility_id: int | None) -> None:
    if facility_id is None:
        return
    facility = s.get(Facility, facility_id)
    if facility is None or facility.kind != FacilityKind.PACKING_HOUSE \
            or facility.province_code != org.province_code:
        raise Invalid(_("Facility %(id)s is not a packing house of the province.",
                        id=facility_id), {"packing_facility_id": [_("Unknown packing house.")]})
    if facility.status != FacilityStatus.ACTIVE:
        raise Invalid(_("Packing house %(name)s is %(status)s.", name=facility.name,
                        status=_(facility.status.value)),
                      {"packing_facility_id": [_("Not active.")]})


def _lot_free(s: Session, org_id: int, lot_code: str, batch_id: int | None = None) -> None:
    other = s.scalar(select(Batch.id).where(Batch.organization_id == org_id,
                                            Batch.lot_code == lot_code))
    if other is not None and other != batch_id:
        raise Conflict(_("Your organisation already has a batch with lot code %(lot)s.",
                         lot=lot_code), {"lot_code": [_("Already used.")]})


def create_batch(actor: User | None, data: dict) -> Batch:
    """Open a batch of one of the organisation's products on its issued areas."""
    user = permissions.require_write(actor)
    area_ids = data.pop("area_ids")
    with transaction() as s:
        product = permissions.fetch(s, user, Product, data.pop("product_id"), "product")
        org = product.organization
        batch = Batch(product_id=product.id, organization_id=org.id, status=BatchStatus.OPEN,
                      **data)
        batch.organization = org
        # Producers open their own batches; officials read them and may recall them.
        permissions.check(user, "batch", batch, write=True)
        _check_dates(batch)
        if org.status != OrgStatus.APPROVED:
            raise Conflict(_("%(name)s is not approved yet; batches can be opened once an "
                             "official approves the organisation.", name=org.name))
        _lot_free(s, org.id, batch.lot_code)
        _packing_house(s, org, batch.packing_facility_id)
        batch.areas = _areas(s, org.id, area_ids)
        s.add(batch)
        s.flush()
        audit.record(s, user, "batch", batch.id, "create",
                     after={**audit.snapshot(batch, FIELDS), "area_ids": area_ids})
        _restock(s, user, batch, None, MovementKind.HARVEST)
        diary.hold_if_sprayed_too_late(s, user, batch)
    return batch


def update_batch(actor: User | None, batch_id: int, changes: dict) -> Batch:
    with transaction() as s:
        batch = permissions.fetch(s, actor, Batch, batch_id, "batch", write=True, lock=True)
        if batch.status != BatchStatus.OPEN:
            raise Conflict(_("A %(status)s batch cannot be changed.", status=_(batch.status.value)))
        before = {**audit.snapshot(batch, FIELDS), "area_ids": [a.id for a in batch.areas]}
        area_ids = changes.pop("area_ids", None)
        for key, value in changes.items():
            setattr(batch, key, value)
        _check_dates(batch)
        if "quantity" in changes:
            _restock(s, actor, batch, before["quantity"])
        if "lot_code" in changes:
            _lot_free(s, batch.organization_id, batch.lot_code, batch.id)
        if "packing_facility_id" in changes:
            _packing_house(s, batch.organization, batch.packing_facility_id)
        if area_ids is not None:
            batch.areas = _areas(s, batch.organization_id, area_ids)
        s.flush()
        audit.record(s, actor, "batch", batch.id, "update", before,
                     {**audit.snapshot(batch, FIELDS), "area_ids": [a.id for a in batch.areas]})
        diary.hold_if_sprayed_too_late(s, actor, batch)
    return batch


def _restock(s: Session, actor: User, batch: Batch, old: Decimal | None,
             kind: MovementKind = MovementKind.ADJUSTMENT) -> None:
    """The harvest enters the producer's stock (sổ kho); a corrected quantity moves it by
    the difference, never below what has already left that stock."""
    # The ledger keeps grams of a kilogram (3 decimals), as the batch's column does.
    new = Decimal(str(batch.quantity or 0)).quantize(Decimal("0.001"))
    old = old or Decimal(0)
    if new == old:
        return
    gone = old - stock.held(s, batch.organization_id, batch.id)
    if new < gone:
        gone_text = f"{gone.normalize():f}"
        raise Invalid(_("%(gone)s %(unit)s of this batch have already left your stock; its "
                        "quantity cannot be less.", gone=gone_text,
                        unit=stock.unit_symbol(batch.unit)),
                      {"quantity": [_("At least %(gone)s.", gone=gone_text)]})
    stock.move(s, batch_id=batch.id, organization_id=batch.organization_id, kind=kind,
               quantity=new - old, actor=actor, unit=stock.unit_symbol(batch.unit))


def _check_dates(batch: Batch) -> None:
    harvest, pack, expiry = batch.harvest_date, batch.pack_date, batch.expiry_date
    if harvest and pack and pack < harvest:
        raise Invalid(_("The packing date is before the harvest date."),
                      {"pack_date": [_("Before the harvest.")]})
    start = pack or harvest
    if start and expiry and expiry < start:
        raise Invalid(_("The expiry date is before the packing date."),
                      {"expiry_date": [_("Before packing.")]})


def close_batch(actor: User | None, batch_id: int) -> Batch:
    with transaction() as s:
        batch = permissions.fetch(s, actor, Batch, batch_id, "batch", write=True, lock=True)
        if batch.status != BatchStatus.OPEN:
            raise Conflict(_("Only an open batch can be closed; this one is %(status)s.",
                             status=_(batch.status.value)))
        before = audit.snapshot(batch, FIELDS)
        batch.status = BatchStatus.CLOSED
        s.flush()
        audit.record(s, actor, "batch", batch.id, "close", before, audit.snapshot(batch, FIELDS))
    return batch


def recall_batch(actor: User | None, batch_id: int, reason: str) -> Batch:
    """Recall a batch (the producer, or an official of its province): every stamp of it,
    and of every lot made from it, shows the recall from this moment, and each holder
    of their stock is told (recalls.recall_lot does the work)."""
    recall = recalls.recall_lot(actor, batch_id, reason)
    return session().get(Batch, recall.batch_id)

