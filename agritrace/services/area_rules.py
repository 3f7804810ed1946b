"""The rules every growing-area polygon passes before it is stored: the spatial
library's checks (polygonal, valid, inside Viet Nam and the province, vertex and
size limits) and the overlap with other active areas, which needs the database."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from geoalchemy2.shape import to_shape
import shapely
from shapely import STRtree
from shapely.geometry.base import BaseGeometry
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.features import Feature, Problem, problem
from gis.measure import area_ha
from gis.validate import Checked, Rules, check_feature

from .. import units
from ..errors import Invalid
from ..models import ACTIVE_AREA_STATUSES, ProvinceBoundary
from ..problems import describe

ACTIVE = tuple(s.value for s in ACTIVE_AREA_STATUSES)


def rules_for(s: Session, province_code: int, *, repair: bool = False) -> Rules:
    config = current_app.config
    boundary = s.get(ProvinceBoundary, province_code)
    limits = dict(config["AREA_LIMITS_HA"])
    default = limits.pop("*", (0.01, 5000.0))
    return Rules(max_vertices=config["AREA_MAX_VERTICES"], area_limits_ha=limits,
                 default_area_limits_ha=default, repair=repair,
                 province=to_shape(boundary.geom) if boundary else None,
                 province_name=units.province_name(province_code))


def tolerance_sql() -> tuple[str, dict]:
    """The SQL condition (on `overlap_m2`, `new_m2`, `other_m2`) for an overlap that
    is refused: more than the larger of the absolute and relative tolerances."""
    config = current_app.config
    return ("overlap_m2 > greatest(:tol_m2, :tol_pct / 100.0 * least(new_m2, other_m2))",
            {"tol_m2": config["AREA_OVERLAP_TOLERANCE_M2"],
             "tol_pct": config["AREA_OVERLAP_TOLERANCE_PCT"]})


@dataclass(frozen=True)
class Overlap:
    area_id: int
    code: str | None
    name: str
    status: str
    overlap_m2: float

    def as_problem(self, feature: Feature | None = None) -> Problem:
        other = self.code or f"“{self.name}” ({self.status})"
        return problem("overlap", "overlaps growing area %(other)s by %(m2)s m²",
                       feature, other=other, m2=round(self.overlap_m2))


def tolerated(overlap_m2: float, a_m2: float, b_m2: float) -> bool:
    """The same rule as tolerance_sql(), for overlaps measured here."""
    config = current_app.config
    return overlap_m2 <= max(config["AREA_OVERLAP_TOLERANCE_M2"],
                             config["AREA_OVERLAP_TOLERANCE_PCT"] / 100 * min(a_m2, b_m2))


def overlaps_within(plots: list[Checked]) -> list[tuple[Checked, Checked, float]]:
    """Pairs of plots of one file that overlap beyond the tolerance, as (later, earlier,
    overlap in m²). An STR-tree finds the candidates; only those are measured."""
    geoms = [c.geometry for c in plots]
    later, earlier = STRtree(geoms).query(geoms, predicate="intersects")
    pairs = []
    for i, j in zip(later, earlier):
        if j >= i:
            continue
        m2 = area_ha(shapely.intersection(geoms[i], geoms[j])) * 10_000
        if not tolerated(m2, plots[i].area_ha * 10_000, plots[j].area_ha * 10_000):
            pairs.append((plots[i], plots[j], m2))
    return pairs


def overlaps(s: Session, geom: BaseGeometry, *, exclude_id: int | None = None) -> list[Overlap]:
    """Active areas that `geom` overlaps beyond the tolerance. One query: the GiST
    index finds the candidates, then the geodesic area of each intersection."""
    condition, params = tolerance_sql()
    rows = s.execute(text(f"""
        WITH q AS (SELECT ST_GeomFromText(:wkt, 4326) AS g),
        hits AS (
            SELECT a.id, a.code, a.name, a.status,
                   ST_Area(ST_CollectionExtract(ST_Intersection(a.geom, q.g), 3)::geography)
                       AS overlap_m2,
                   ST_Area(q.g::geography) AS new_m2, ST_Area(a.geom::geography) AS other_m2
            FROM growing_areas a, q
            WHERE ST_Intersects(a.geom, q.g) AND a.status = ANY(:active)
              AND a.id IS DISTINCT FROM :exclude)
        SELECT id, code, name, status, overlap_m2 FROM hits WHERE {condition}
        ORDER BY overlap_m2 DESC"""),
        {"wkt": geom.wkt, "active": list(ACTIVE), "exclude": exclude_id, **params})
    return [Overlap(*row) for row in rows]


def checked_polygon(s: Session, geometry: BaseGeometry, *, crop: str, province_code: int,
                    repair: bool = False, exclude_id: int | None = None,
                    name: str | None = None) -> Checked:
    """Validate one polygon drawn or sent through the API, or raise Invalid naming
    every problem; overlaps included."""
    feature = Feature(index=1, geometry=geometry, properties={"name": name} if name else {})
    checked = check_feature(feature, rules_for(s, province_code, repair=repair), crop=crop)
    problems = list(checked.problems)
    if checked.ok:
        problems += [o.as_problem() for o in overlaps(s, checked.geometry, exclude_id=exclude_id)]
    if problems:
        messages = [describe(p, with_feature=False) for p in problems]
        raise Invalid(_("The polygon cannot be used: %(problems)s",
                        problems=" ".join(messages)), {"geometry": messages})
    return checked
