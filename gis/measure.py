"""Geodesic measures on the WGS84 ellipsoid: computed by the platform, never typed in."""
from __future__ import annotations

from pyproj import Geod
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

WGS84 = Geod(ellps="WGS84")


def _oriented(geom: BaseGeometry) -> BaseGeometry:
    # pyproj sums signed ring areas: holes count negative only when they turn the
    # other way from their shell, which input files do not promise.
    if isinstance(geom, Polygon):
        return orient(geom, 1.0)
    if isinstance(geom, MultiPolygon):
        return MultiPolygon([orient(p, 1.0) for p in geom.geoms])
    return geom


def area_ha(geom: BaseGeometry) -> float:
    """Geodesic area in hectares, holes subtracted, whatever the ring orientation."""
    area_m2, _ = WGS84.geometry_area_perimeter(_oriented(geom))
    return abs(area_m2) / 10_000


def perimeter_m(geom: BaseGeometry) -> float:
    """Geodesic length of all rings, in metres."""
    _, perimeter = WGS84.geometry_area_perimeter(geom)
    return perimeter
