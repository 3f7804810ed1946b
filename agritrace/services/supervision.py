"""Supervision plans (kế hoạch giám sát) and what is overdue.

A province sets how often codes of a crop approved for a market are inspected (the
crop '' stands for packing houses). A code is due for inspection a cycle after its
last inspection, or after its approval when it has none; an inspection is overdue once
that day has passed. A corrective action is overdue once its date has passed without
an official confirming it was done. Officials see both lists and the map shows them.
"""
from __future__ import annotations

import json

from flask_babel import gettext as _
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert

from .. import permissions
from ..clock import today
from ..countries import is_country
from ..db import session, transaction
from ..errors import Invalid
from ..models import InspectionPlan, Role, User
from . import audit

PACKING_HOUSES = ""

# Each approved (or suspended) market of a code whose province plans inspections for its
# crop and market: when it is due, from its last inspection or its approval.
_DUE = """
WITH codes AS (
    SELECT cm.id AS code_market_id, cm.market, cm.approved_on, 'area' AS kind, a.id,
           a.code, a.name, a.province_code, lower(btrim(a.crop)) AS crop, a.organization_id,
           ST_PointOnSurface(a.geom) AS point
    FROM code_markets cm JOIN growing_areas a ON a.id = cm.area_id
    WHERE cm.state IN ('approved', 'suspended')
    UNION ALL
    SELECT cm.id, cm.market, cm.approved_on, 'facility', f.id, f.code, f.name,
           f.province_code, '', f.organization_id, f.geom
    FROM code_markets cm JOIN facilities f ON f.id = cm.facility_id
    WHERE cm.state IN ('approved', 'suspended')
), due AS (
    SELECT c.*, p.cycle_days,
           coalesce(last.day, c.approved_on) + p.cycle_days AS due_on, last.day AS last_on
    FROM codes c
    JOIN inspection_plans p ON p.province_code = c.province_code AND p.crop = c.crop
                           AND p.market = c.market
    LEFT JOIN LATERAL (
        SELECT max(i.inspected_on) AS day FROM inspections i
        WHERE (c.kind = 'area' AND i.area_id = c.id)
           OR (c.kind = 'facility' AND i.facility_id = c.id)) last ON true
    WHERE (CAST(:province AS integer) IS NULL OR c.province_code = :province)
      AND (CAST(:org AS integer) IS NULL OR c.organization_id = :org)
)
"""
OVERDUE_INSPECTIONS = text(_DUE + """
SELECT code_market_id, market, kind, id, code, name, crop, cycle_days, last_on, due_on,
       :day - due_on AS days_late, ST_X(point) AS lon, ST_Y(point) AS lat
FROM due WHERE due_on < :day ORDER BY due_on, code, market
""")
OVERDUE_ACTIONS = text("""
SELECT i.id AS inspection_id, i.correct_by, i.inspected_on, :day - i.correct_by AS days_late,
       coalesce(a.code, f.code) AS code, coalesce(a.name, f.name) AS name,
       CASE WHEN a.id IS NULL THEN 'facility' ELSE 'area' END AS kind,
       ST_X(coalesce(ST_PointOnSurface(a.geom), f.geom)) AS lon,
       ST_Y(coalesce(ST_PointOnSurface(a.geom), f.geom)) AS lat
FROM inspections i
LEFT JOIN growing_areas a ON a.id = i.area_id
LEFT JOIN facilities f ON f.id = i.facility_id
WHERE i.outcome = 'corrective_action' AND i.corrected_on IS NULL AND i.correct_by < :day
  AND (CAST(:province AS integer) IS NULL OR i.province_code = :province)
  AND (CAST(:org AS integer) IS NULL OR coalesce(a.organization_id, f.organization_id) = :org)
ORDER BY i.correct_by, i.id
""")


def list_plans(actor: User | None) -> list[InspectionPlan]:
    """The plans of the official's province (every province's, for an administrator)."""
    user = permissions.require_role(actor, Role.OFFICIAL, Role.ADMIN)
    query = select(InspectionPlan).order_by(InspectionPlan.province_code, InspectionPlan.crop,
                                            InspectionPlan.market)
    if user.role == Role.OFFICIAL:
        query = query.where(InspectionPlan.province_code == user.province_code)
    return list(session().scalars(query))


def set_plan(actor: User | None, crop: str, market: str, cycle_days: int,
             province_code: int | None = None) -> InspectionPlan:
    """Inspect codes of `crop` (or packing houses, crop '') approved for `market` every
    `cycle_days`: an official for the province, an administrator for the one named."""
    user = permissions.require_role(permissions.require_write(actor), Role.OFFICIAL, Role.ADMIN)
    province = user.province_code if user.role == Role.OFFICIAL else province_code
    if province is None:
        raise Invalid(_("Name the province the plan is for."), {"province_code": [_("Required.")]})
    market = (market or "").strip().upper()
    if not is_country(market):
        raise Invalid(_("Give the importing country as its two-letter ISO code, e.g. CN."),
                      {"market": [_("Not a country code.")]})
    if not 1 <= cycle_days <= 3660:
        raise Invalid(_("The cycle is a number of days from 1 to 3660."),
                      {"cycle_days": [_("From 1 to 3660 days.")]})
    crop = (crop or "").strip().lower()
    with transaction() as s:
        plan_id = s.scalar(
            insert(InspectionPlan).values(province_code=province, crop=crop, market=market,
                                          cycle_days=cycle_days, updated_by=user.id)
            .on_conflict_do_update(constraint="uq_inspection_plans_scope",
                                   set_={"cycle_days": cycle_days, "updated_by": user.id})
            .returning(InspectionPlan.id))
        audit.record(s, user, "inspection_plan", plan_id, "set", None, {
            "province_code": province, "crop": crop, "market": market,
            "cycle_days": cycle_days})
        plan = s.get(InspectionPlan, plan_id, populate_existing=True)
    return plan


def _scope(actor: User | None) -> dict:
    """Officials see their province, an organisation its own codes, an admin all."""
    user = permissions.require_login(actor)
    if user.role == Role.ADMIN:
        return {"province": None, "org": None}
    if user.role == Role.OFFICIAL:
        return {"province": user.province_code, "org": None}
    return {"province": None, "org": user.organization_id or -1}


def overdue(actor: User | None) -> dict[str, list]:
    """{"inspections": rows of codes past their inspection date, "actions": rows of
    corrective actions past their date}, the latest first."""
    params = {**_scope(actor), "day": today()}
    s = session()
    return {"inspections": list(s.execute(OVERDUE_INSPECTIONS, params)),
            "actions": list(s.execute(OVERDUE_ACTIONS, params))}


def overdue_features(actor: User | None) -> dict:
    """Both lists as GeoJSON points (on the area, or the packing house), for the map."""
    found = overdue(actor)
    features = []
    for row in found["inspections"]:
        features.append(_point(row, "inspection", due_on=row.due_on.isoformat(),
                               market=row.market, days_late=row.days_late))
    for row in found["actions"]:
        features.append(_point(row, "corrective_action", due_on=row.correct_by.isoformat(),
                               inspection_id=row.inspection_id, days_late=row.days_late))
    return {"type": "FeatureCollection", "features": features}


def _point(row, what: str, **properties) -> dict:
    return {"type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(row.lon, 6), round(row.lat, 6)]},
            "properties": json.loads(json.dumps({"overdue": what, "code": row.code,
                                                 "name": row.name, "kind": row.kind,
                                                 **properties}, default=str))}
