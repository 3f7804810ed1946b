"""The public directory of producers and products (danh bạ cơ sở và sản phẩm), as the
provincial traceability sites list them: each approved organisation with its products,
their OCOP stars (sản phẩm OCOP), certifications and validity, growing-area codes,
contact and most recent lots. For anyone; searchable by name, crop, ward and
certification.

A page reads its organisations in one query and what they show (products,
certifications, codes, crops, lots) in one query each, whatever their number.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import selectinload

from .. import units
from ..db import session
from ..models import (AreaStatus, Batch, CertScheme, Certification, GrowingArea, OrgKind,
                      Organization, OrgStatus, Product, batch_areas)
from .scans import PUBLISHED

PAGE_SIZE = 20
RECENT_LOTS = 3
PUBLIC_AREAS = (AreaStatus.ISSUED, AreaStatus.SUSPENDED)
COLUMNS = ("organization", "kind", "address", "ward", "province", "phone", "email", "crops",
           "product", "product_en", "category", "gtin", "brand", "ocop_stars",
           "certifications", "growing_area_codes", "recent_lots")


@dataclass(frozen=True)
class Search:
    province_code: int | None = None
    q: str | None = None             # part of an organisation's or a product's name
    crop: str | None = None          # a crop of its issued growing areas
    ward_code: int | None = None     # where it is, or where its areas are
    certification: CertScheme | None = None


@dataclass
class Listing:
    product: Product
    area_codes: list[str] = field(default_factory=list)
    lots: list[Batch] = field(default_factory=list)


@dataclass
class Entry:
    organization: Organization
    crops: list[str] = field(default_factory=list)
    products: list[Listing] = field(default_factory=list)


def _like(value: str) -> str:
    return "%" + value.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"


def _where(search: Search) -> list[ColumnElement[bool]]:
    org = Organization
    where = [org.status == OrgStatus.APPROVED, org.kind != OrgKind.AGENCY]
    if search.province_code is not None:
        where.append(org.province_code == search.province_code)
    area = select(GrowingArea.id).where(GrowingArea.organization_id == org.id,
                                        GrowingArea.status.in_(PUBLIC_AREAS))
    if search.q:
        where.append(org.name.ilike(_like(search.q)) | select(Product.id).where(
            Product.organization_id == org.id,
            Product.name.ilike(_like(search.q)) | Product.name_en.ilike(_like(search.q))
        ).exists())
    if search.crop:
        where.append(area.where(GrowingArea.crop.ilike(_like(search.crop))).exists())
    if search.ward_code is not None:
        where.append((org.ward_code == search.ward_code)
                     | area.where(GrowingArea.ward_code == search.ward_code).exists())
    if search.certification is not None:
        where.append(select(Certification.id).join(Product).where(
            Product.organization_id == org.id,
            Certification.scheme == search.certification).exists())
    return where


def find(search: Search, number: int = 1) -> tuple[list[Entry], int]:
    """One page of organisations (PAGE_SIZE) with what the directory shows of them,
    and how many match in all."""
    s = session()
    where = _where(search)
    total = s.scalar(select(func.count()).select_from(Organization).where(*where))
    orgs = list(s.scalars(select(Organization).where(*where).order_by(
        Organization.name, Organization.id).offset((max(number, 1) - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)))
    return _entries(orgs), total


def _entries(orgs: list[Organization]) -> list[Entry]:
    s = session()
    ids = [o.id for o in orgs]
    entries = {o.id: Entry(o) for o in orgs}
    for org_id, crop in s.execute(select(GrowingArea.organization_id, GrowingArea.crop).where(
            GrowingArea.organization_id.in_(ids), GrowingArea.status.in_(PUBLIC_AREAS))
            .distinct().order_by(GrowingArea.crop)):
        entries[org_id].crops.append(crop)
    products = s.scalars(select(Product).where(Product.organization_id.in_(ids))
                         .options(selectinload(Product.certifications))
                         .order_by(Product.name, Product.id))
    listings = {}
    for product in products:
        listings[product.id] = Listing(product)
        entries[product.organization_id].products.append(listings[product.id])
    codes, lots = _codes_and_lots(list(listings))
    for product_id, listing in listings.items():
        listing.area_codes, listing.lots = codes[product_id], lots[product_id]
    return list(entries.values())


def _codes_and_lots(product_ids: list[int]) -> tuple[dict, dict]:
    """The growing-area codes each product's published lots came from, and its most
    recent published lots."""
    s = session()
    codes: dict[int, list[str]] = defaultdict(list)
    for product_id, code in s.execute(
            select(Batch.product_id, GrowingArea.code).distinct()
            .join(batch_areas, batch_areas.c.batch_id == Batch.id)
            .join(GrowingArea, GrowingArea.id == batch_areas.c.area_id)
            .where(Batch.product_id.in_(product_ids), PUBLISHED, GrowingArea.code.is_not(None),
                   GrowingArea.status.in_(PUBLIC_AREAS))
            .order_by(GrowingArea.code)):
        codes[product_id].append(code)
    rank = func.row_number().over(partition_by=Batch.product_id, order_by=(
        Batch.harvest_date.desc().nulls_last(), Batch.id.desc())).label("rank")
    recent = select(Batch.id, rank).where(Batch.product_id.in_(product_ids), PUBLISHED) \
        .subquery()
    lots: dict[int, list[Batch]] = defaultdict(list)
    for batch in s.scalars(select(Batch).join(recent, recent.c.id == Batch.id).where(
            recent.c.rank <= RECENT_LOTS).order_by(recent.c.rank)):
        lots[batch.product_id].append(batch)
    return codes, lots


def ward_choices(province_code: int | None) -> list[units.Unit]:
    """The wards where approved organisations or their areas are, for the filter."""
    s = session()
    org_wards = select(Organization.ward_code).where(Organization.status == OrgStatus.APPROVED)
    area_wards = select(GrowingArea.ward_code).where(GrowingArea.status.in_(PUBLIC_AREAS))
    if province_code is not None:
        org_wards = org_wards.where(Organization.province_code == province_code)
        area_wards = area_wards.where(GrowingArea.province_code == province_code)
    codes = set(s.scalars(org_wards.union(area_wards))) - {None}
    return sorted((units.Unit(c, units.ward_name(c)) for c in codes), key=lambda u: u.name)


def crop_choices() -> list[str]:
    return list(session().scalars(select(GrowingArea.crop).distinct().where(
        GrowingArea.status.in_(PUBLIC_AREAS)).order_by(GrowingArea.crop)))


def _certificates(product: Product, today: date) -> str:
    return "; ".join(f"{c.scheme.value} {c.number} ({c.issuer}"
                     + (f", until {c.valid_until.isoformat()}" if c.valid_until else "")
                     + (", expired" if not c.is_valid_on(today) else "") + ")"
                     for c in product.certifications)


def rows(search: Search, today: date) -> Iterator[tuple]:
    """The directory as a table, one row per product (an organisation without products
    has one row of its own), a page of organisations at a time."""
    number = 1
    while True:
        entries, total = find(search, number)
        for e in entries:
            o = e.organization
            place = (o.name, o.kind.value, o.address, units.ward_name(o.ward_code),
                     units.province_name(o.province_code), o.phone or "", o.email or "",
                     ", ".join(e.crops))
            for listing in e.products or [None]:
                yield place + (_product_cells(listing, today) if listing else ("",) * 9)
        if number * PAGE_SIZE >= total:
            return
        number += 1


def _product_cells(listing: Listing, today: date) -> tuple:
    p = listing.product
    return (p.name, p.name_en or "", p.category, p.gtin or "", p.brand or "", p.ocop_stars,
            _certificates(p, today), ", ".join(listing.area_codes),
            ", ".join(b.lot_code for b in listing.lots))
