"""The checks a plot's polygon passes before it can become a growing area: it is a
polygon, clean and valid, where it says it is (Viet Nam, then the declared
province), not too detailed, and of a plausible size for its crop.

`check_feature` never raises for a bad geometry: it returns every problem it
found (refusals) and every change it made (notes), so a report can show them all.

Codes raised here, with their English templates and params. Those of the
clean-up (no_geometry, empty_geometry, point_not_polygon, line_not_polygon,
collection_not_polygon, bad_coordinates, too_few_corners, no_area, z_dropped,
duplicate_vertices_removed, ring_closed, orientation_fixed) are listed in
`gis.geometry`; those of validity and repair (self_intersection, …, repaired) in
`gis.validity`.

=====================  ===============================================================
code                   template (params)
=====================  ===============================================================
coordinates_swapped    "coordinates look like latitude, longitude in the wrong order
                       (%(x)s, %(y)s): longitude comes first in GeoJSON and most GIS
                       files; swap them and upload again" (x, y)
coordinates_projected  "coordinates such as %(x)s, %(y)s are not longitude and latitude
                       in degrees: the file looks projected (for example VN-2000 or UTM,
                       in metres); choose its coordinate system when uploading or export
                       it in WGS84" (x, y)
outside_vietnam        "lies outside Viet Nam (its centre is at longitude %(lon)s,
                       latitude %(lat)s): check the coordinates and the coordinate
                       system of the file" (lon, lat)
outside_province       "%(outside_pct)s %% of the plot (%(outside_ha)s ha) lies outside
                       the boundary of %(province)s: check the province declared for
                       it" (outside_pct, outside_ha, province)
too_many_vertices      "has %(count)s corners, more than the %(limit)s allowed: simplify
                       the boundary before uploading" (count, limit)
area_too_small         "its area, %(area_ha)s ha, is below the smallest allowed for
                       %(crop)s (%(limit_ha)s ha)" (area_ha, limit_ha, crop)
area_too_large         "its area, %(area_ha)s ha, is above the largest allowed for
                       %(crop)s (%(limit_ha)s ha): split it or check its units"
                       (area_ha, limit_ha, crop)
no_features            "the file contains no features" (file level)
mixed_geometry_types   "the file mixes geometry types (%(types)s): only polygons can
                       become growing areas" (types, e.g. "3 Point, 12 Polygon"; a file
                       level note)
=====================  ===============================================================

`crop` is the crop as given, or "any crop" when none was given. The province
tolerance: a plot passes when at least 99 % of its area lies inside the province
boundary, or when no part of it lies more than 50 m outside (boundaries are often
digitised more coarsely than plots).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from math import cos, radians
from typing import Any, Mapping, Sequence

import numpy as np
import shapely
from shapely.geometry import MultiPolygon
from shapely.geometry.base import BaseGeometry

from . import bulk, vietnam
from .features import Feature, Problem, problem
from .geometry import (POLYGONAL, clean, corner_count, geometry_type, orientation_fixed,
                       oriented, polygonal_parts)
from .measure import area_ha, perimeter_m
from .validity import explain, repair

PROVINCE_TOLERANCE_SHARE = 0.01   # of the plot's area that may lie outside
PROVINCE_TOLERANCE_M = 50.0       # how far outside a part may lie


@dataclass(frozen=True)
class Rules:
    """What a plot must satisfy. Areas in hectares; `area_limits_ha` is keyed by
    crop, compared lower-cased and stripped."""
    max_vertices: int = 10_000
    area_limits_ha: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    default_area_limits_ha: tuple[float, float] = (0.01, 5_000.0)
    repair: bool = False
    province: BaseGeometry | None = None
    province_name: str | None = None

    def limits_for(self, crop: str | None) -> tuple[float, float]:
        key = _crop_key(crop)
        for name, limits in self.area_limits_ha.items():
            if _crop_key(name) == key:
                return limits
        return self.default_area_limits_ha


@dataclass(frozen=True)
class Checked:
    """One feature after the checks. `geometry` is the normalised polygon (2-D,
    RFC 7946 orientation) whenever one could be made, even if a problem refuses
    it; None when the geometry is unusable. Areas in hectares, perimeter in metres,
    both geodesic."""
    feature: Feature
    geometry: MultiPolygon | None
    area_ha: float | None
    perimeter_m: float | None
    problems: list[Problem]
    notes: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_feature(feature: Feature, rules: Rules, crop: str | None = None) -> Checked:
    """Every check on one feature. Its geometry is a Shapely geometry in WGS84, or a
    GeoJSON-like mapping when open rings should be reported (see gis.geometry)."""
    cleaned = clean(feature.geometry, feature)
    problems, notes = cleaned.problems, cleaned.notes
    geom = cleaned.geometry

    def result(geometry=None, area=None, perimeter=None) -> Checked:
        return Checked(feature, geometry, area, perimeter, problems, notes)

    if geom is None:
        return result()
    where = _where(geom, feature)
    if where is not None:
        problems.append(where)
        if where.code != "outside_vietnam":
            return result()
    invalid = explain(geom, feature)
    if invalid is not None:
        if not rules.repair:
            problems.append(invalid)
            _check_vertices(geom, rules, feature, problems)
            return result()
        geom, outcome = repair(geom, invalid, feature)
        (notes if geom is not None else problems).append(outcome)
        if geom is None:
            return result()
    geom, turned = oriented(geom)
    if turned and invalid is None:
        notes.append(orientation_fixed(feature))
    _check_vertices(geom, rules, feature, problems)
    area, perimeter = area_ha(geom), perimeter_m(geom)
    if rules.province is not None and where is None:
        outside = _outside_province(geom, area, rules, feature)
        if outside is not None:
            problems.append(outside)
    problems.extend(_check_area(area, rules, crop, feature))
    return result(geom, area, perimeter)


def check_features(features: Sequence[Feature], rules: Rules,
                   crop: str | None = None) -> tuple[list[Checked], list[Problem]]:
    """Every check on every feature of a file, and the file's own problems: no
    features at all, and (as a note) a mix of polygons with other geometry types,
    whose non-polygons are also refused one by one.

    Gives what `check_feature` gives for each feature, but the ordinary plots (see
    gis.bulk) are checked and measured together, which is what makes a file of
    ten thousand plots quick."""
    checked = _check_ordinary(features, rules, crop)
    checked = [c or check_feature(f, rules, crop) for c, f in zip(checked, features)]
    file_problems: list[Problem] = []
    if not features:
        file_problems.append(problem("no_features", "the file contains no features"))
    types = Counter(t for t in (geometry_type(f.geometry) for f in features) if t)
    families = {_family(t) for t in types}
    if len(families) > 1:
        listed = ", ".join(f"{n} {t}" for t, n in sorted(types.items()))
        file_problems.append(problem("mixed_geometry_types", "the file mixes geometry types "
                                     "(%(types)s): only polygons can become growing areas",
                                     types=listed))
    return checked, file_problems


def _check_ordinary(features: Sequence[Feature], rules: Rules,
                    crop: str | None) -> list[Checked | None]:
    """The result of `check_feature` for each ordinary plot, None for the others."""
    out: list[Checked | None] = [None] * len(features)
    fast = bulk.ordinary([f.geometry for f in features], rules.max_vertices, rules.province)
    low, high = rules.limits_for(crop)
    for i, geom, area, perimeter, turned in zip(fast.positions, fast.geometries, fast.area_ha,
                                                fast.perimeter_m, fast.turned):
        feature = features[i]
        problems = [] if low <= area <= high else _check_area(area, rules, crop, feature)
        notes = [orientation_fixed(feature)] if turned else []
        out[i] = Checked(feature, geom, area, perimeter, problems, notes)
    return out


def _family(geom_type: str) -> str:
    # Polygon and MultiPolygon (and collections of polygons) are one kind for people.
    return "polygon" if geom_type in POLYGONAL + ("GeometryCollection",) else geom_type


def _crop_key(crop: str | None) -> str:
    return (crop or "").strip().casefold()


def _where(geom: MultiPolygon, feature: Feature) -> Problem | None:
    """Whether the plot is in Viet Nam, and if not, the likeliest reason."""
    xy = shapely.get_coordinates(geom)
    xs, ys = xy[:, 0], xy[:, 1]
    if vietnam.contains_all(xs, ys):
        return None
    x, y = round(float(xs[0]), 6), round(float(ys[0]), 6)
    if vietnam.contains_all(ys, xs):
        return problem("coordinates_swapped", "coordinates look like latitude, longitude in the "
                       "wrong order (%(x)s, %(y)s): longitude comes first in GeoJSON and most "
                       "GIS files; swap them and upload again", feature, x=x, y=y)
    if np.any(np.abs(xs) > 180) or np.any(np.abs(ys) > 90):
        return problem("coordinates_projected", "coordinates such as %(x)s, %(y)s are not "
                       "longitude and latitude in degrees: the file looks projected (for "
                       "example VN-2000 or UTM, in metres); choose its coordinate system when "
                       "uploading or export it in WGS84", feature,
                       x=round(float(xs[0]), 3), y=round(float(ys[0]), 3))
    centre = shapely.centroid(geom) if geom.is_valid else shapely.centroid(shapely.envelope(geom))
    return problem("outside_vietnam", "lies outside Viet Nam (its centre is at longitude "
                   "%(lon)s, latitude %(lat)s): check the coordinates and the coordinate system "
                   "of the file", feature, lon=round(centre.x, 6), lat=round(centre.y, 6))


def _check_vertices(geom: MultiPolygon, rules: Rules, feature: Feature,
                    problems: list[Problem]) -> None:
    count = corner_count(geom)
    if count > rules.max_vertices:
        problems.append(problem("too_many_vertices", "has %(count)s corners, more than the "
                                "%(limit)s allowed: simplify the boundary before uploading",
                                feature, count=count, limit=rules.max_vertices))


def _outside_province(geom: MultiPolygon, area: float, rules: Rules,
                      feature: Feature) -> Problem | None:
    """The refusal when the plot is not inside the declared province, within the
    tolerance in the module docstring."""
    # Only the boundary near the plot matters; clipping keeps big provinces cheap.
    minx, miny, maxx, maxy = geom.bounds
    pad = 0.01
    near = shapely.clip_by_rect(rules.province, minx - pad, miny - pad, maxx + pad, maxy + pad)
    if not near.is_valid:
        near = shapely.make_valid(near)
    near = MultiPolygon(polygonal_parts(near))
    outside = MultiPolygon(polygonal_parts(geom.difference(near)))
    outside_ha = area_ha(outside) if not outside.is_empty else 0.0
    if outside_ha <= PROVINCE_TOLERANCE_SHARE * area or _within_m(outside, near, geom):
        return None
    pct = min(100.0, outside_ha / area * 100) if area else 100.0
    return problem("outside_province", "%(outside_pct)s %% of the plot (%(outside_ha)s ha) "
                   "lies outside the boundary of %(province)s: check the province declared "
                   "for it", feature, outside_pct=round(pct, 1), outside_ha=round(outside_ha, 4),
                   province=rules.province_name or "the declared province")


def _within_m(outside: MultiPolygon, near: BaseGeometry, geom: MultiPolygon) -> bool:
    """Whether every part of `outside` lies within PROVINCE_TOLERANCE_M of `near`,
    measured in a local equirectangular frame (metres; fine over a plot's extent)."""
    if near.is_empty:
        return False
    lat = geom.centroid.y
    scale = np.array([111_320.0 * cos(radians(lat)), 110_574.0])
    to_m = lambda g: shapely.transform(g, lambda xy: xy * scale)  # noqa: E731
    beyond = to_m(outside).difference(to_m(near).buffer(PROVINCE_TOLERANCE_M))
    # A sliver left by the buffer's polygonal approximation of arcs is not "outside".
    return beyond.area < 1.0


def _check_area(area: float, rules: Rules, crop: str | None, feature: Feature) -> list[Problem]:
    low, high = rules.limits_for(crop)
    params: dict[str, Any] = dict(area_ha=_ha(area), crop=(crop or "").strip() or "any crop")
    if area < low:
        return [problem("area_too_small", "its area, %(area_ha)s ha, is below the smallest "
                        "allowed for %(crop)s (%(limit_ha)s ha)", feature, limit_ha=low, **params)]
    if area > high:
        return [problem("area_too_large", "its area, %(area_ha)s ha, is above the largest "
                        "allowed for %(crop)s (%(limit_ha)s ha): split it or check its units",
                        feature, limit_ha=high, **params)]
    return []


def _ha(value: float) -> float:
    # 4 decimals as stored, but a tiny plot should not read "0.0 ha".
    return round(value, 4) if value >= 0.01 else float(f"{value:.3g}")
