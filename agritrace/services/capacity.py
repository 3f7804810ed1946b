"""The capacity ledger of growing-area codes (năng lực của mã số vùng trồng).

An issued area can grow area_ha × yield × seasons kilograms a year, by the expected
yields of its crop (models/capacity.py: the platform's default row, or the
province's own). Every harvest lot declared on the area draws from its code; a lot
on several areas draws from each by its share of their hectares. More drawn than
the capacity plus the margin flags the code to the province's officials: fruit sold
under a code that its land cannot grow is the sign of a borrowed or traded code
(mượn mã, mua bán mã).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import (Integer, Numeric, SmallInteger, String, case, column, func, literal, select,
                        true, union_all, values)
from sqlalchemy.dialects.postgresql import insert

from .. import permissions
from ..clock import now, today
from ..db import session, transaction
from ..errors import Invalid
from ..models import (AreaStatus, Batch, CropYield, GrowingArea, LotOrigin, Organization, Role,
                      User)
from ..models.batches import MASS_KG, batch_areas
from ..models.capacity import DEFAULT_MARGIN_PCT, DEFAULT_PROVINCE, DEFAULT_YIELDS
from . import audit

# Units a harvest lot's quantity converts from into kilograms; a lot counted in
# cartons or pieces cannot be weighed against the land, and is reported apart.
FIELDS = ("province_code", "crop", "yield_kg_per_ha", "seasons_per_year", "margin_pct")
MAX_YIELD_KG_PER_HA = Decimal("999999999")   # what Numeric(10, 1) holds


@dataclass(frozen=True)
class CodeCapacity:
    """One issued area's year: what its land can grow and what was declared under its
    code. Without an expected yield for its crop, capacity is None and it is never
    flagged; `other_units` counts its harvest lots in units that are not a mass."""
    area_id: int
    code: str
    name: str
    crop: str
    organization: str
    province_code: int
    area_ha: Decimal
    yield_kg_per_ha: Decimal | None
    seasons_per_year: int | None
    margin_pct: int | None
    capacity_kg: Decimal | None
    drawn_kg: Decimal
    other_units: int
    flagged: bool

    @property
    def percent(self) -> Decimal | None:
        """Drawn as a percentage of capacity (100 = all the land can grow)."""
        if not self.capacity_kg:
            return None
        return self.drawn_kg * 100 / self.capacity_kg

    @property
    def limit_kg(self) -> Decimal | None:
        """What may be drawn before the code is flagged: capacity plus the margin."""
        if self.capacity_kg is None:
            return None
        return self.capacity_kg * (100 + self.margin_pct) / 100


def _official(actor: User | None, *, write: bool = False) -> User:
    user = permissions.require_write(actor) if write else permissions.require_login(actor)
    return permissions.require_role(user, Role.OFFICIAL, Role.ADMIN)


def _province_of(user: User) -> int:
    """An official's yields are its province's; an administrator's the default."""
    return user.province_code if user.role == Role.OFFICIAL else DEFAULT_PROVINCE


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _normal_crop(s, crop: str) -> str:
    """A crop as the yields table keys it and the ledger matches it: lower(btrim()) as
    the database computes it (the table's CHECK and the ledger's join use the same)."""
    if _CONTROL.search(crop or ""):
        raise Invalid(_("The expected yield was not saved."),
                      {"crop": [_("Name the crop as its growing areas do (1 to 100 "
                                  "characters).")]})
    return s.scalar(select(func.lower(func.btrim(literal(crop or "", String)))))


# --- the yields table ------------------------------------------------------------------

def list_yields(actor: User | None) -> list[CropYield]:
    """The yields in force for the actor, by crop: the province's own row if it has
    one, else the platform's (province 0), else the built-in figure (an unsaved row of
    province 0). Officials and administrators."""
    user = _official(actor)
    province = _province_of(user)
    rows = session().scalars(
        select(CropYield).where(CropYield.province_code.in_({DEFAULT_PROVINCE, province}))
        .order_by(CropYield.crop, CropYield.province_code.desc()))
    effective: dict[str, CropYield] = {}
    for row in rows:
        effective.setdefault(row.crop, row)
    for crop, (kg, seasons) in DEFAULT_YIELDS.items():
        effective.setdefault(crop, CropYield(
            province_code=DEFAULT_PROVINCE, crop=crop, yield_kg_per_ha=Decimal(kg),
            seasons_per_year=seasons, margin_pct=DEFAULT_MARGIN_PCT))
    return sorted(effective.values(), key=lambda row: row.crop)


def _decimal(value) -> Decimal:
    """A yield as the table keeps it, to 0.1 kg: from a float (the API's JSON number) by
    its shortest spelling, so 0.1 stays 0.1; 0.04 becomes 0.0 and is refused."""
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if not number.is_finite() or abs(number) > MAX_YIELD_KG_PER_HA * 10:
        return number
    return number.quantize(Decimal("0.1"))


def _check_yield(crop: str, yield_kg_per_ha, seasons_per_year, margin_pct) -> None:
    errors: dict[str, list[str]] = {}
    if not 1 <= len(crop) <= 100:
        errors["crop"] = [_("Name the crop as its growing areas do (1 to 100 characters).")]
    kg = _decimal(yield_kg_per_ha) if yield_kg_per_ha is not None else None
    if kg is None or not kg.is_finite() or not 0 < kg <= MAX_YIELD_KG_PER_HA:
        errors["yield_kg_per_ha"] = [_("The yield is in kilograms per hectare and season, "
                                       "above 0.")]
    if seasons_per_year is None or not 1 <= int(seasons_per_year) <= 12:
        errors["seasons_per_year"] = [_("From 1 to 12 seasons a year.")]
    if margin_pct is None or not 0 <= int(margin_pct) <= 500:
        errors["margin_pct"] = [_("A margin from 0 to 500 %.")]
    if errors:
        raise Invalid(_("The expected yield was not saved."), errors)


def set_yield(actor: User | None, crop: str, yield_kg_per_ha: Decimal, seasons_per_year: int,
              margin_pct: int) -> CropYield:
    """Set the expected yield of a crop: an official for its province (overriding the
    default), an administrator the platform's default. Audited; safe when two
    officials save the same crop at once (one upsert)."""
    user = _official(actor, write=True)
    province = _province_of(user)
    with transaction() as s:
        crop = _normal_crop(s, crop)
        _check_yield(crop, yield_kg_per_ha, seasons_per_year, margin_pct)
        values = {"yield_kg_per_ha": _decimal(yield_kg_per_ha),
                  "seasons_per_year": int(seasons_per_year), "margin_pct": int(margin_pct),
                  "updated_by": user.id}
        mine = select(CropYield).where(CropYield.province_code == province,
                                       CropYield.crop == crop)
        old = s.scalar(mine.with_for_update())
        before = audit.snapshot(old, FIELDS) if old is not None else None
        s.execute(insert(CropYield).values(province_code=province, crop=crop, **values)
                  .on_conflict_do_update(constraint="uq_crop_yields_province_crop",
                                         set_={**values, "updated_at": now()}))
        row = s.execute(mine.execution_options(populate_existing=True)).scalar_one()
        audit.record(s, user, "crop_yield", row.id, "set", before,
                     audit.snapshot(row, FIELDS))
    return row


# --- the ledger ------------------------------------------------------------------------

def _kilograms(unit):
    return case(*((unit == code, literal(factor)) for code, factor in MASS_KG.items()),
                else_=None)


def _drawn(start: date, end: date, province: int | None):
    """kg drawn per area by the harvest lots of [start, end): each lot split over its
    areas by their hectares (a window over the lot's areas), then summed per area."""
    share = (Batch.quantity * _kilograms(Batch.unit) * GrowingArea.area_ha
             / func.sum(GrowingArea.area_ha).over(partition_by=batch_areas.c.batch_id))
    lots = (select(batch_areas.c.area_id, share.label("kg"))
            .select_from(batch_areas)
            .join(Batch, Batch.id == batch_areas.c.batch_id)
            .join(GrowingArea, GrowingArea.id == batch_areas.c.area_id)
            .where(Batch.origin == LotOrigin.HARVEST, Batch.quantity.is_not(None),
                   Batch.harvest_date >= start, Batch.harvest_date < end))
    if province is not None:
        touching = (select(batch_areas.c.batch_id)
                    .join(GrowingArea, GrowingArea.id == batch_areas.c.area_id)
                    .where(GrowingArea.province_code == province))
        lots = lots.where(Batch.id.in_(touching))
    lots = lots.subquery("lots")
    return (select(lots.c.area_id,
                   func.sum(lots.c.kg).label("drawn_kg"),
                   func.count().filter(lots.c.kg.is_(None)).label("other_units"))
            .group_by(lots.c.area_id).subquery("drawn"))


_BUILT_IN = -1   # the rank of the built-in figures, below the platform's row (0)


def _expected():
    """The yield in force for the area of the outer query (LATERAL): its province's
    row, else the platform's, else the built-in figure; ranked by province code."""
    built_in = values(column("crop", String), column("yield_kg_per_ha", Numeric(10, 1)),
                      column("seasons_per_year", SmallInteger), column("margin_pct", SmallInteger),
                      column("rank", Integer), name="built_in").data(
        [(crop, Decimal(kg), seasons, DEFAULT_MARGIN_PCT, _BUILT_IN)
         for crop, (kg, seasons) in DEFAULT_YIELDS.items()])
    stored = select(CropYield.crop, CropYield.yield_kg_per_ha, CropYield.seasons_per_year,
                    CropYield.margin_pct, CropYield.province_code.label("rank"))
    yields = union_all(stored, select(built_in)).subquery("yields")
    return (select(yields.c.yield_kg_per_ha, yields.c.seasons_per_year, yields.c.margin_pct)
            .where(yields.c.crop == func.lower(func.btrim(GrowingArea.crop)),
                   yields.c.rank.in_([_BUILT_IN, DEFAULT_PROVINCE, GrowingArea.province_code]))
            .order_by(yields.c.rank.desc()).limit(1).lateral("expected"))


def _ledger(user: User, year: int, flagged_only: bool, extra=()):
    """The one statement behind the report and the map: every issued area the actor
    may see, its yield in force, capacity, what was drawn and whether it is flagged,
    flagged first, then by share drawn."""
    province = user.province_code if user.role == Role.OFFICIAL else None
    expected = _expected()
    drawn = _drawn(date(year, 1, 1), date(year + 1, 1, 1), province)
    capacity = GrowingArea.area_ha * expected.c.yield_kg_per_ha * expected.c.seasons_per_year
    drawn_kg = func.coalesce(drawn.c.drawn_kg, 0)
    # No division: drawn > capacity × (1 + margin/100), both sides times 100.
    flagged = func.coalesce(drawn_kg * 100 > capacity * (100 + expected.c.margin_pct), False)
    query = (select(GrowingArea.id, GrowingArea.code, GrowingArea.name, GrowingArea.crop,
                    Organization.name.label("organization"), GrowingArea.province_code,
                    GrowingArea.area_ha, expected.c.yield_kg_per_ha,
                    expected.c.seasons_per_year, expected.c.margin_pct,
                    capacity.label("capacity_kg"), drawn_kg.label("drawn_kg"),
                    func.coalesce(drawn.c.other_units, 0).label("other_units"),
                    flagged.label("flagged"), *extra, func.count().over().label("total"))
             .join(Organization, Organization.id == GrowingArea.organization_id)
             .outerjoin(expected, true())
             .outerjoin(drawn, drawn.c.area_id == GrowingArea.id)
             .where(GrowingArea.status == AreaStatus.ISSUED)
             .order_by(flagged.desc(), (drawn_kg / func.nullif(capacity, 0)).desc().nulls_last(),
                       GrowingArea.code))
    if province is not None:
        query = query.where(GrowingArea.province_code == province)
    if flagged_only:
        query = query.where(flagged)
    return query


def _year(year: int | None) -> int:
    if year is None:
        return today().year
    if not 2000 <= year <= 2100:
        raise Invalid(_("Choose a year from 2000 to 2100."), {"year": [_("Out of range.")]})
    return year


def capacity_report(actor: User | None, year: int | None = None, flagged_only: bool = False,
                    *, offset: int = 0, limit: int | None = None
                    ) -> tuple[list[CodeCapacity], int]:
    """Each issued area of the official's province (every province for an
    administrator) with its capacity and what the harvest lots of `year` (this year
    by default) drew from its code, flagged first; and how many there are in all.
    One SQL statement, grouped in the database."""
    user = _official(actor)
    query = _ledger(user, _year(year), flagged_only).offset(offset).limit(limit)
    rows = session().execute(query).all()
    total = rows[0].total if rows else 0
    return [CodeCapacity(**{k: v for k, v in row._mapping.items() if k not in ("id", "total")},
                         area_id=row.id) for row in rows], total


def flagged_features(actor: User | None, year: int | None = None) -> dict:
    """The flagged codes as a GeoJSON FeatureCollection (WGS84), for the officials' map."""
    user = _official(actor)
    shape = func.ST_AsGeoJSON(GrowingArea.geom, 6).label("shape")
    rows = session().execute(_ledger(user, _year(year), True, extra=(shape,))).all()
    return {"type": "FeatureCollection", "features": [{
        "type": "Feature", "id": row.id, "geometry": json.loads(row.shape),
        "properties": {"code": row.code, "name": row.name, "crop": row.crop,
                       "organization": row.organization,
                       "capacity_kg": float(row.capacity_kg), "drawn_kg": float(row.drawn_kg),
                       "percent": round(float(row.drawn_kg * 100 / row.capacity_kg), 1)},
    } for row in rows]}

