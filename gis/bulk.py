"""The fast path of `gis.validate.check_features` for large files: the plots that
need no clean-up, no repair and no judgement are found and measured with Shapely's
array functions instead of one by one.

A plot is "ordinary" when it is a Polygon (or a MultiPolygon of one part) without
Z or M, holes or repeated consecutive corners; OGC-valid; every corner inside the
coarse outline of Viet Nam; plainly inside the declared province, if any; and with
no more corners than allowed. For such a plot `check_feature` would change nothing
but the orientation and refuse nothing but the area, so the two give the same
answer. Anything else is left to `check_feature`.
"""
from __future__ import annotations

from array import array
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from . import vietnam
from .measure import WGS84

_POLYGON = 3
_MULTIPOLYGON = 6


@dataclass
class Ordinary:
    """The ordinary plots of a file: `positions` into the geometries given, and for
    each its normalised geometry (a MultiPolygon, exterior counterclockwise), geodesic
    area (hectares) and perimeter (metres), and whether the exterior had to turn."""
    positions: list[int]
    geometries: list[BaseGeometry]
    area_ha: list[float]
    perimeter_m: list[float]
    turned: list[bool]


def ordinary(geometries: Sequence[Any], max_vertices: int,
             province: BaseGeometry | None = None) -> Ordinary:
    """Which of `geometries` (as in `Feature.geometry`) are ordinary plots, measured.

    Surprising: a valid `province` is prepared in place (Shapely keeps the prepared
    form on the object), so that later calls with the same province reuse it."""
    geoms = np.empty(len(geometries), dtype=object)
    geoms[:] = [g if isinstance(g, BaseGeometry) else None for g in geometries]
    kinds = shapely.get_type_id(geoms)
    single = (kinds == _MULTIPOLYGON) & (shapely.get_num_geometries(geoms) == 1)
    polygons = geoms.copy()
    polygons[single] = shapely.get_geometry(geoms[single], 0)
    keep = ((kinds == _POLYGON) | single) & ~shapely.is_empty(polygons)
    keep &= ~shapely.has_z(polygons) & ~shapely.has_m(polygons)
    keep &= shapely.get_num_interior_rings(polygons) == 0
    keep &= shapely.get_num_coordinates(polygons) - 1 <= max_vertices
    positions = np.flatnonzero(keep)
    polygons = polygons[positions]

    coords, owner = shapely.get_coordinates(polygons, return_index=True)
    refused = np.zeros(len(polygons), dtype=bool)
    # The clean-up would remove these corners and say so.
    same = np.all(coords[1:] == coords[:-1], axis=1) & (owner[1:] == owner[:-1])
    refused[owner[1:][same]] = True
    # The very test `check_feature` makes; NaN and infinity are outside too.
    refused[owner[~shapely.contains_xy(vietnam.VIETNAM, coords[:, 0], coords[:, 1])]] = True
    positions, polygons = positions[~refused], polygons[~refused]

    exteriors = shapely.get_exterior_ring(polygons)
    valid = shapely.is_valid(polygons)
    # GEOS already finds a ring whose corners lie on one line invalid; the clean-up's
    # own test for it is repeated so that the two paths cannot disagree.
    valid &= shapely.get_type_id(shapely.convex_hull(exteriors)) == _POLYGON
    if province is not None:
        valid &= _plainly_inside(province, polygons)
    positions, polygons, exteriors = positions[valid], polygons[valid], exteriors[valid]

    turned = ~shapely.is_ccw(exteriors)
    polygons = shapely.orient_polygons(polygons)
    areas, perimeters = _measure(polygons)
    return Ordinary(positions=positions.tolist(),
                    geometries=list(shapely.multipolygons(polygons[:, np.newaxis])),
                    area_ha=areas, perimeter_m=perimeters, turned=turned.tolist())


def _plainly_inside(province: BaseGeometry, polygons: np.ndarray) -> np.ndarray:
    """Which polygons lie wholly inside the province, so that no part of them is
    outside it whatever the tolerance. Nothing is, for a province that is not valid:
    predicates on it are not to be trusted, and the slow path repairs it first."""
    if not shapely.is_valid(province):
        return np.zeros(len(polygons), dtype=bool)
    shapely.prepare(province)
    return shapely.contains(province, polygons)


def _measure(polygons: np.ndarray) -> tuple[list[float], list[float]]:
    """Geodesic area (ha) and perimeter (m) of polygons without holes, computed
    exactly as `gis.measure` does (same library call on the same closed ring), so
    the figures are identical, not merely close."""
    coords = shapely.get_coordinates(polygons)
    # pyproj copies whatever it is given; slices of an array.array are the cheapest
    # thing for it to copy, which counts over thousands of small rings.
    lons, lats = array("d"), array("d")
    lons.frombytes(np.ascontiguousarray(coords[:, 0]).tobytes())
    lats.frombytes(np.ascontiguousarray(coords[:, 1]).tobytes())
    ends = np.cumsum(shapely.get_num_coordinates(polygons)).tolist()
    measure = WGS84.polygon_area_perimeter
    areas, perimeters = [], []
    start = 0
    for end in ends:
        area, perimeter = measure(lons[start:end], lats[start:end])
        areas.append(abs(area) / 10_000)
        perimeters.append(perimeter)
        start = end
    return areas, perimeters
