"""What a GS1 Digital Link leads to besides its scan page: the facts the resolver needs
to list a stamp's or a lot's links (its product, lot, certifications, recall), and a
lot's public recall status.

Reading links is not a scan: nothing here writes, and a stamp's counters, verdict and
scan rows stay as they were. The public sees what the scan page shows: only products
and lots with an active run of stamps, and only stamps that are in use.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from ..db import session
from ..epcis.vocabulary import lot_uri
from ..errors import NotFound
from ..models import Batch, BatchStatus, Certification, Product, RunStatus, Stamp, StampRun
from .scans import PUBLISHED


@dataclass(frozen=True)
class LinkedItem:
    """A product, and the lot of a Digital Link when it names one the public may see."""
    gtin: str
    certified: bool                  # the product holds a certification to show
    batch_id: int | None = None
    lot_code: str | None = None
    recalled: bool = False
    # The lot as EPCIS events name it (epcClass), for a query of its events.
    epc_class: str | None = None


@dataclass(frozen=True)
class RecallStatus:
    gtin: str
    lot_code: str
    product_name: str
    product_name_en: str | None
    recalled: bool
    recalled_at: datetime | None = None
    reason: str | None = None


# A stamp in use: not voided, its run active (what the scan page calls a story verdict).
STAMP_BATCH = (select(StampRun.batch_id)
               .join(Stamp, Stamp.run_id == StampRun.id)
               .where(Stamp.status != RunStatus.VOID, StampRun.status == RunStatus.ACTIVE))


def _product(s, gtin: str) -> Product:
    product = s.scalar(select(Product).where(
        Product.gtin == gtin,
        select(Batch.id).where(Batch.product_id == Product.id, PUBLISHED).exists()))
    if product is None:
        raise NotFound(_("No product on AgriTrace has this GTIN."))
    return product


def _certified(s, product_id: int) -> bool:
    return bool(s.scalar(select(select(Certification.id).where(
        Certification.product_id == product_id).exists())))


def linked_item(gtin: str, lot: str | None = None, stamp_id: int | None = None) -> LinkedItem:
    """The item a Digital Link names. A stamp's own lot wins over the lot written in
    the link (as on the scan page); an unknown or unused stamp, a GTIN without a
    published product, or a lot not published: NotFound."""
    s = session()
    if stamp_id is not None:
        batch = s.scalar(select(Batch).where(
            Batch.id == STAMP_BATCH.where(Stamp.id == stamp_id).scalar_subquery()))
        if batch is None:
            raise NotFound(_("No stamp in use has this code."))
        product = batch.product
    else:
        product = _product(s, gtin)
        batch = s.scalar(select(Batch).where(
            Batch.product_id == product.id, Batch.lot_code == lot, PUBLISHED)) if lot else None
        if lot is not None and batch is None:
            raise NotFound(_("No published lot %(lot)s of this product.", lot=lot))
    certified = _certified(s, product.id)
    if batch is None:
        return LinkedItem(gtin=product.gtin or gtin, certified=certified)
    return LinkedItem(
        gtin=product.gtin or gtin, certified=certified, batch_id=batch.id,
        lot_code=batch.lot_code, recalled=batch.status == BatchStatus.RECALLED,
        epc_class=lot_uri(current_app.config["PUBLIC_BASE_URL"], batch.lot_code,
                          gtin=product.gtin, organization_id=batch.organization_id,
                          product_id=product.id))


def recall_status(gtin: str, lot: str) -> RecallStatus:
    """Whether a published lot is recalled (thu hồi), when and why: what a retailer's
    or a consumer's app checks before selling or eating it."""
    s = session()
    product = _product(s, gtin)
    batch = s.scalar(select(Batch).where(
        Batch.product_id == product.id, Batch.lot_code == lot, PUBLISHED))
    if batch is None:
        raise NotFound(_("No published lot %(lot)s of this product.", lot=lot))
    recalled = batch.status == BatchStatus.RECALLED
    return RecallStatus(gtin=product.gtin, lot_code=batch.lot_code, product_name=product.name,
                        product_name_en=product.name_en, recalled=recalled,
                        recalled_at=batch.recalled_at if recalled else None,
                        reason=batch.recall_reason if recalled else None)
