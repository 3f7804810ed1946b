"""What a phone keeps for working offline: its organisation's growing areas and open
batches (with any hold and its reason), as of the server's time."""
from __future__ import annotations

from geoalchemy2.shape import to_shape
from shapely.geometry import mapping
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..clock import now
from ..db import session, transaction
from ..models import AreaStatus, Batch, BatchStatus, FieldDevice, GrowingArea, Product
from . import devices

# A phone carries at most this many of each; an organisation with more works online.
MAX_AREAS = 500
MAX_BATCHES = 500
SHOWN_AREAS = (AreaStatus.DRAFT, AreaStatus.SUBMITTED, AreaStatus.ISSUED,
               AreaStatus.SUSPENDED, AreaStatus.REJECTED)


def snapshot(device: FieldDevice) -> dict:
    """The device's organisation's areas (not revoked) and open batches, in plain values."""
    with transaction() as s:
        devices.note_use(device)
    org_id = device.organization_id
    areas = s.scalars(select(GrowingArea).where(GrowingArea.organization_id == org_id,
                                                GrowingArea.status.in_(SHOWN_AREAS))
                      .order_by(GrowingArea.code.nulls_last(), GrowingArea.id)
                      .limit(MAX_AREAS))
    batches = s.scalars(select(Batch).options(selectinload(Batch.areas))
                        .where(Batch.organization_id == org_id,
                               Batch.status == BatchStatus.OPEN)
                        .order_by(Batch.id.desc()).limit(MAX_BATCHES))
    user = device.user
    return {
        "server_time": now().isoformat(),
        "user": {"id": user.id, "name": user.full_name, "email": user.email},
        "organization": {"id": org_id, "name": device.organization.name},
        "areas": [{"id": a.id, "code": a.code, "name": a.name, "crop": a.crop,
                   "status": a.status.value, "status_reason": a.status_reason,
                   "area_ha": float(a.area_ha) if a.area_ha is not None else None,
                   "geometry": mapping(to_shape(a.geom))} for a in areas],
        "batches": [{"id": b.id, "lot_code": b.lot_code, "product": b.product.name,
                     "product_id": b.product_id, "status": b.status.value,
                     "harvest_date": b.harvest_date.isoformat() if b.harvest_date else None,
                     "on_hold": b.held_at is not None, "hold_reason": b.hold_reason,
                     "area_ids": [a.id for a in b.areas]} for b in batches],
        "products": _products(org_id),
    }


def _products(org_id: int) -> list[dict]:
    """The organisation's products, for the harvest form."""
    rows = session().scalars(select(Product).where(Product.organization_id == org_id)
                             .order_by(Product.name))
    return [{"id": p.id, "name": p.name} for p in rows]
