"""A boundary walked with a phone (đi bộ quanh lô): GPS fixes in, a closed polygon out.

The steps, which the field app repeats in the browser for its live figures (keep the
two in step: same constants, same order):

1. drop every fix whose accuracy is missing or worse than the limit (metres), and any
   fix outside longitude/latitude range;
2. thin: drop a fix closer than THIN_M metres to the last one kept (standing still
   at a corner makes a cloud of fixes);
3. smooth: when at least SMOOTH_MIN points remain, replace each by the mean of itself
   and its two neighbours around the ring (the walk is a loop, so the first point's
   neighbours are the second and the last);
4. close the ring (the last point joins the first);
5. measure: geodesic area and perimeter on WGS84 (gis.measure).

Distances for steps 2 and 3 are taken in a local plane around the walk's mean
position (equirectangular), which is exact enough over a few hundred metres.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from shapely.geometry import Polygon

from .measure import area_ha, perimeter_m

DEFAULT_ACCURACY_M = 10.0
THIN_M = 2.0
SMOOTH_MIN = 5
MIN_POINTS = 4          # corners needed after thinning: a triangle plus one, at least
EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class Fix:
    lon: float
    lat: float
    accuracy_m: float | None
    t: float | None = None     # milliseconds since the epoch, as the browser gives it


@dataclass(frozen=True)
class Walk:
    polygon: Polygon
    area_ha: float
    perimeter_m: float
    fixes: int            # fixes received
    good: int             # within the accuracy limit
    points: int           # corners left after thinning


class TooFewFixes(ValueError):
    """Not enough good fixes to close a ring; carries the counts for the message."""

    def __init__(self, fixes: int, good: int, points: int, limit_m: float):
        super().__init__(f"{good} of {fixes} fixes within {limit_m:g} m, {points} corners "
                         f"after thinning; at least {MIN_POINTS} are needed")
        self.fixes, self.good, self.points, self.limit_m = fixes, good, points, limit_m


def good_fixes(fixes: list[Fix], limit_m: float = DEFAULT_ACCURACY_M) -> list[Fix]:
    """Step 1: the fixes within the accuracy limit and on the globe."""
    def usable(f: Fix) -> bool:
        return (f.accuracy_m is not None and math.isfinite(f.accuracy_m)
                and 0 <= f.accuracy_m <= limit_m
                and math.isfinite(f.lon) and math.isfinite(f.lat)
                and -180 <= f.lon <= 180 and -90 <= f.lat <= 90)
    return [f for f in fixes if usable(f)]


class _Plane:
    """Metres east and north of an origin, and back."""

    def __init__(self, lon0: float, lat0: float):
        self.lon0, self.lat0 = lon0, lat0
        self.k = math.pi / 180 * EARTH_RADIUS_M
        self.cos = math.cos(math.radians(lat0))

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        return (lon - self.lon0) * self.k * self.cos, (lat - self.lat0) * self.k

    def lonlat(self, x: float, y: float) -> tuple[float, float]:
        return self.lon0 + x / (self.k * self.cos), self.lat0 + y / self.k


def thin(points: list[tuple[float, float]], step_m: float = THIN_M) -> list[tuple[float, float]]:
    """Step 2: drop points closer than `step_m` to the last point kept."""
    kept: list[tuple[float, float]] = []
    for x, y in points:
        if not kept or math.hypot(x - kept[-1][0], y - kept[-1][1]) >= step_m:
            kept.append((x, y))
    # The walk ends where it began: a last point on top of the first adds nothing.
    while len(kept) > 1 and math.hypot(kept[-1][0] - kept[0][0],
                                       kept[-1][1] - kept[0][1]) < step_m:
        kept.pop()
    return kept


def smooth(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Step 3: each point the mean of itself and its two neighbours around the ring."""
    n = len(points)
    if n < SMOOTH_MIN:
        return list(points)
    return [((points[i - 1][0] + points[i][0] + points[(i + 1) % n][0]) / 3,
             (points[i - 1][1] + points[i][1] + points[(i + 1) % n][1]) / 3)
            for i in range(n)]


def walk_polygon(fixes: list[Fix], limit_m: float = DEFAULT_ACCURACY_M) -> Walk:
    """The closed, measured polygon of a walk, or TooFewFixes. The polygon is not
    checked for validity here: the caller applies its usual polygon rules."""
    good = good_fixes(fixes, limit_m)
    if not good:
        raise TooFewFixes(len(fixes), 0, 0, limit_m)
    plane = _Plane(sum(f.lon for f in good) / len(good), sum(f.lat for f in good) / len(good))
    corners = thin([plane.xy(f.lon, f.lat) for f in good])
    if len(good) < MIN_POINTS or len(corners) < MIN_POINTS:
        raise TooFewFixes(len(fixes), len(good), len(corners), limit_m)
    ring = [plane.lonlat(x, y) for x, y in smooth(corners)]
    polygon = Polygon(ring + ring[:1])
    return Walk(polygon=polygon, area_ha=area_ha(polygon), perimeter_m=perimeter_m(polygon),
                fixes=len(fixes), good=len(good), points=len(corners))
