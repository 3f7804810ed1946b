"""Reading a collection's public features: one page query (and a count only when
the page cannot tell it), the bbox answered by the GiST index, geometries as
GeoJSON straight from PostGIS. Read-only and the same for every caller: this is
open data, nobody's login widens or narrows it; so it is read from the replica when
there is one (agritrace/replica.py).
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, func, or_, select

from ..db import read_session
from ..errors import NotFound
from ..models import Organization
from .collections import CRS84, Collection, iso
from .query import BBox, Interval

# Decimal places of the coordinates: 1e-7 degree is about 1 cm on the ground.
PRECISION = 7


@dataclass(frozen=True)
class Page:
    features: list[dict]
    matched: int


def _in_bbox(collection: Collection, bbox: BBox) -> ColumnElement[bool]:
    geom = collection.model.geom
    boxes = [func.ST_MakeEnvelope(*envelope, 4326) for envelope in bbox.envelopes()]
    # `&&` lets the planner use the GiST index; ST_Intersects then decides exactly.
    return or_(*(geom.op("&&")(box) & func.ST_Intersects(geom, box) for box in boxes))


def _where(collection: Collection, bbox: BBox | None, interval: Interval | None,
           filters: dict) -> list[ColumnElement[bool]]:
    where = [collection.public()]
    if bbox is not None:
        where.append(_in_bbox(collection, bbox))
    if interval is not None:
        where.extend(collection.during(interval))
    where.extend(collection.filters[name](value) for name, value in filters.items())
    return where


def _select(collection: Collection) -> Select:
    model = collection.model
    return (select(model.id, *collection.columns(), Organization.name.label("organization"),
                   func.ST_AsGeoJSON(model.geom, PRECISION).label("geometry"))
            .join(Organization, Organization.id == model.organization_id))


def _feature(collection: Collection, row) -> dict:
    return {"type": "Feature", "id": row.id, "geometry": json.loads(row.geometry),
            "properties": collection.properties(row)}


def items(collection: Collection, *, limit: int, offset: int = 0, bbox: BBox | None = None,
          interval: Interval | None = None, **filters) -> Page:
    """One page of the collection's public features, in id order (stable across
    pages), and how many match in all."""
    where = _where(collection, bbox, interval, filters)
    s = read_session()
    rows = s.execute(_select(collection).where(*where).order_by(collection.model.id)
                     .offset(offset).limit(limit)).all()
    if (rows and len(rows) < limit) or (not rows and offset == 0):
        matched = offset + len(rows)  # the last page tells the total: no need to count
    else:
        matched = s.scalar(select(func.count()).select_from(collection.model).where(*where))
    return Page([_feature(collection, row) for row in rows], matched)


def item(collection: Collection, feature_id: str) -> dict:
    """One public feature; NotFound when there is none by that id, or it is not public."""
    row = None
    if feature_id.isascii() and feature_id.isdigit() and int(feature_id) < 2**31:
        row = read_session().execute(_select(collection).where(
            collection.model.id == int(feature_id), collection.public())).first()
    if row is None:
        raise NotFound(_("%(collection)s has no feature %(id)s.",
                         collection=collection.title, id=feature_id))
    return _feature(collection, row)


def extent(collection: Collection) -> dict | None:
    """The spatial (and, where features have a period, temporal) extent of the
    public features; None when there are none."""
    geom = collection.model.geom
    columns = [func.ST_XMin(func.ST_Extent(geom)), func.ST_YMin(func.ST_Extent(geom)),
               func.ST_XMax(func.ST_Extent(geom)), func.ST_YMax(func.ST_Extent(geom))]
    if collection.period is not None:
        start, end = collection.period()
        columns += [func.min(start), func.max(end), func.bool_or(end.is_(None))]
    row = read_session().execute(select(*columns).where(collection.public())).one()
    if row[0] is None:
        return None
    result = {"spatial": {"bbox": [[float(v) for v in row[:4]]], "crs": CRS84}}
    if collection.period is not None:
        first, last, open_ended = row[4:]
        result["temporal"] = {
            "interval": [[iso(first), None if open_ended or last is None
                          else f"{last.isoformat()}T23:59:59Z"]],
            "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
    return result
