"""The collections served at /ogc: what each selects, how it is filtered, and the
properties each feature publishes. One registry entry per collection (the way
pygeoapi has one provider per source): publishing another layer is adding one.

Only what the public may see is ever selected — issued growing areas (vùng
trồng đã cấp mã) and active facilities (cơ sở) — and only published fields.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Callable

from flask import url_for
from flask_babel import lazy_gettext as _l
from marshmallow import Schema
from sqlalchemy import ColumnElement, Row

from .. import units
from ..models import AreaStatus, Facility, FacilityKind, FacilityStatus, GrowingArea
from .query import AreaItemsQuery, FacilityItemsQuery, Interval

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"  # WGS 84, longitude first


@dataclass(frozen=True)
class Collection:
    id: str
    title: Any                       # lazy, translated when shown
    description: Any
    model: type
    geometry_type: str               # the GeoJSON type of every feature
    query: type[Schema]              # the items query, property filters included
    public: Callable[[], ColumnElement[bool]]
    columns: Callable[[], tuple]     # selected with id, organisation name and geometry
    filters: dict[str, Callable[[Any], ColumnElement[bool]]]
    properties: Callable[[Row], dict]
    # The feature's validity as (start, end) columns, for `datetime`; None when the
    # features carry no time, and then every feature matches (/req/core/fc-time-response C).
    period: Callable[[], tuple] | None = None
    related: Callable[[dict], list[dict]] | None = None  # extra links of a feature

    def during(self, interval: Interval) -> list[ColumnElement[bool]]:
        if self.period is None:
            return []
        start, end = self.period()
        where = []
        if interval.end is not None:
            where.append(start.is_(None) | (start <= interval.end))
        if interval.start is not None:
            where.append(end.is_(None) | (end >= interval.start.date()))
        return where


def iso(moment: datetime | date | None) -> str | None:
    if moment is None:
        return None
    if isinstance(moment, datetime):
        return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    return moment.isoformat()


def _place(row: Row) -> dict:
    return {"province_code": row.province_code, "province": units.province_name(row.province_code),
            "ward_code": row.ward_code, "ward": units.ward_name(row.ward_code) or None}


def _area_properties(row: Row) -> dict:
    return {"code": row.code, "name": row.name, "crop": row.crop, "status": str(row.status),
            "hectares": float(row.area_ha), "perimeter_m": float(row.perimeter_m),
            "organization": row.organization, **_place(row),
            "issued_at": iso(row.issued_at), "valid_until": iso(row.valid_until)}


def _facility_properties(row: Row) -> dict:
    return {"code": row.code, "name": row.name, "kind": str(row.kind), "status": str(row.status),
            "organization": row.organization, "address": row.address, **_place(row)}


def _area_card(properties: dict) -> list[dict]:
    return [{"href": url_for("areas.public_card", code=properties["code"], _external=True),
             "rel": "related", "type": "text/html", "title": str(_l("Public area card"))}]


AREAS = Collection(
    id="growing-areas",
    title=_l("Growing areas"),
    description=_l("Growing areas (vùng trồng) whose code has been issued, with their "
                   "boundaries, crop, size and cooperative."),
    model=GrowingArea,
    geometry_type="MultiPolygon",
    query=AreaItemsQuery,
    public=lambda: GrowingArea.status == AreaStatus.ISSUED,
    columns=lambda: (GrowingArea.code, GrowingArea.name, GrowingArea.crop, GrowingArea.status,
                     GrowingArea.area_ha, GrowingArea.perimeter_m, GrowingArea.province_code,
                     GrowingArea.ward_code, GrowingArea.issued_at, GrowingArea.valid_until),
    filters={"crop": lambda v: GrowingArea.crop == v,
             "status": lambda v: GrowingArea.status == AreaStatus(v),
             "province": lambda v: GrowingArea.province_code == v},
    properties=_area_properties,
    period=lambda: (GrowingArea.issued_at, GrowingArea.valid_until),
    related=_area_card,
)

FACILITIES = Collection(
    id="facilities",
    title=_l("Facilities"),
    description=_l("Active packing houses and other facilities (cơ sở), with their code, "
                   "location and organisation."),
    model=Facility,
    geometry_type="Point",
    query=FacilityItemsQuery,
    public=lambda: Facility.status == FacilityStatus.ACTIVE,
    columns=lambda: (Facility.code, Facility.name, Facility.kind, Facility.status,
                     Facility.address, Facility.province_code, Facility.ward_code),
    filters={"kind": lambda v: Facility.kind == FacilityKind(v),
             "status": lambda v: Facility.status == FacilityStatus(v),
             "province": lambda v: Facility.province_code == v},
    properties=_facility_properties,
)

COLLECTIONS: dict[str, Collection] = {c.id: c for c in (AREAS, FACILITIES)}
