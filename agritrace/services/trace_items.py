"""The data items Circular 02/2024/TT-BKHCN (truy xuất nguồn gốc sản phẩm, hàng hóa)
asks a traceability page to show, gathered for the scan page's story: each stage
(công đoạn) with its product trace code (mã truy vết sản phẩm), location trace code
(mã truy vết địa điểm) and time; the production time, brand, shelf life and the
standards applied. Product name and image, the producing unit and the serial (the
stamp code) are on the page already.

Trace codes follow TCVN 13274:2020's GS1 forms where the product has a GTIN: the
element string (01) GTIN (10) lot; without one, the lot code. A place is named by its
growing-area or packing-house code, or by the organisation's GLN where it has no code.
Stages of the lots upstream show their places and dates only, as the chain's public
view does.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..models import Batch, CertScheme, Product
from . import trace

# The national or international standard a certification shows the product meets.
CERTIFIED_STANDARDS = {
    CertScheme.VIETGAP: "TCVN 11892-1:2017 (VietGAP)",
    CertScheme.ORGANIC_VN: "TCVN 11041-2:2017",
    CertScheme.GLOBALGAP: "GLOBALG.A.P. IFA",
    CertScheme.ISO22000: "ISO 22000",
}


@dataclass(frozen=True)
class Stage:  # công đoạn
    kind: str                    # harvest, packing, or a transformation kind
    product_code: str | None     # None for the lots upstream: not public
    location_codes: tuple[str, ...]
    on: date | None


@dataclass(frozen=True)
class TraceItems:
    stages: list[Stage]
    produced_on: date | None     # harvest, or the day the lot was made
    packed_on: date | None
    expiry_date: date | None
    shelf_life_days: int | None
    brand: str | None
    standards: list[str]


def product_code(gtin: str | None, lot_code: str) -> str:
    return f"(01){gtin}(10){lot_code}" if gtin else lot_code


def _stages(lot) -> list[Stage]:
    # The lots it was made from are other organisations' lots: the public sees their
    # places and dates, never their lot codes or who they are (chain visibility).
    own = lot.depth == 0
    code = product_code(lot.gtin, lot.lot_code) if own else None
    fallback = (lot.gln,) if lot.gln and own else ()
    if lot.origin == "harvest":
        stages = [Stage("harvest", code, tuple(lot.area_codes) or fallback, lot.harvest_date)]
        if lot.packing_house_code:
            stages.append(Stage("packing", code, (lot.packing_house_code,), lot.pack_date))
        return stages
    place = (lot.packing_house_code,) if lot.packing_house_code else fallback
    return [Stage(lot.transformation_kind or lot.origin, code, place,
                  lot.made_on or lot.pack_date)]


def standards_of(product: Product) -> list[str]:
    """The product's declared standards, then those its certifications stand for."""
    declared = [s.strip() for s in (product.standards or "").split(";") if s.strip()]
    certified = [CERTIFIED_STANDARDS[c.scheme] for c in product.certifications
                 if c.scheme in CERTIFIED_STANDARDS]
    return list(dict.fromkeys(declared + certified))


def public_items(batch: Batch) -> TraceItems:
    """The Circular 02 items of a published lot; its upstream lots' stages first."""
    lots = sorted(trace.public_lots(batch.id), key=lambda lot: (
        lot.depth, lot.made_on or lot.harvest_date or date.min, lot.lot_code))
    stages = [stage for lot in lots for stage in _stages(lot)]
    produced = batch.harvest_date or next((lot.made_on for lot in lots if lot.id == batch.id),
                                          None)
    start = batch.pack_date or produced
    shelf = (batch.expiry_date - start).days if batch.expiry_date and start else None
    return TraceItems(stages=stages, produced_on=produced, packed_on=batch.pack_date,
                      expiry_date=batch.expiry_date, shelf_life_days=shelf,
                      brand=batch.product.brand, standards=standards_of(batch.product))
