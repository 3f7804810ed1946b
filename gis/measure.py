"""Geodesic measures on the WGS84 ellipsoid: computed by the platform, never typed in."""
from __future__ import annotations

from pyproj import Geod
from shapely.geometry.base import BaseGeometry

WGS84 = Geod(ellps="WGS84")


def area_ha(geom: BaseGeometry) -> float:
    """Geodesic area in hectares (holes subtracted; orientation does not matter)."""
    area_m2, _ = WGS84.geometry_area_perimeter(geom)
    return abs(area_m2) / 10_000


def perimeter_m(geom: BaseGeometry) -> float:
    """Geodesic length of all rings, in metres."""
    _, perimeter = WGS84.geometry_area_perimeter(geom)
    return perimeter
