"""Geolocation of growing areas for a due-diligence statement under the EU
deforestation regulation (EUDR), as the EU information system's "GeoJSON File
Description" (v1.3) asks for it:

- RFC 7946 GeoJSON, WGS84, positions [longitude, latitude];
- geometries Point, MultiPoint, Polygon or MultiPolygon; polygons closed, at least
  4 positions, not self-intersecting, and without holes: only a polygon's outer
  ring counts, so a plot with a hole is cut into hole-free pieces covering the same
  area;
- the system truncates coordinates to 6 decimals (about 0.1 m), so we truncate
  first and check again what truncation did (corners can merge, edges can cross);
- plots over 4 ha must be polygons; smaller ones may be a single point with their
  area, which keeps files small (`points_below_4ha`; polygons by default, since a
  polygon is always accepted);
- properties ProducerName, ProducerCountry (ISO 3166 alpha-2), ProductionPlace, and
  Area in hectares as a number;
- at most 25 MB for one statement.

Problem codes raised (as GisError):

====================  ===================================================================
eudr_too_large        "the EUDR file would be %(size_mb)s MB, more than the %(limit_mb)s MB
                      the EU information system accepts in one statement: export fewer
                      areas at a time" (size_mb, limit_mb, areas)
eudr_geometry_lost    "growing area %(area)s has no polygon left once its coordinates are
                      cut to 6 decimals" (area: code or name)
====================  ===================================================================
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Iterable

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, box
from shapely.geometry.polygon import orient

from .features import GisError, problem
from .geometry import polygonal_parts

if TYPE_CHECKING:
    from .export import ExportArea

COUNTRY = "VN"
DECIMALS = 6
GRID = 10.0 ** -DECIMALS   # for GEOS snapping
POINT_MAX_HA = 4.0
# The EU says 25 MB; counted in decimal megabytes to stay on the safe side.
EUDR_MAX_BYTES = 25_000_000


def eudr_geojson(areas: Iterable[ExportArea], *, points_below_4ha: bool = False,
                 max_bytes: int = EUDR_MAX_BYTES) -> bytes:
    """The EUDR geolocation file for `areas`, one feature per area. With
    `points_below_4ha`, areas of at most 4 ha become a point inside the plot."""
    areas = list(areas)
    features = [_feature(a, points_below_4ha) for a in areas]
    data = json.dumps({"type": "FeatureCollection", "features": features},
                      ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if len(data) > max_bytes:
        raise GisError(problem(
            "eudr_too_large", "the EUDR file would be %(size_mb)s MB, more than the "
            "%(limit_mb)s MB the EU information system accepts in one statement: export fewer "
            "areas at a time", size_mb=round(len(data) / 1e6, 1),
            limit_mb=round(max_bytes / 1e6, 1), areas=len(areas)))
    return data


def _feature(area: ExportArea, points_below_4ha: bool) -> dict[str, Any]:
    place = ", ".join(p for p in (area.ward, area.province) if p)
    properties = {"ProducerName": area.organization, "ProducerCountry": COUNTRY,
                  "ProductionPlace": place, "Area": round(float(area.area_ha), 4)}
    if points_below_4ha and area.area_ha <= POINT_MAX_HA:
        point = truncate(shapely.get_coordinates(area.geometry.point_on_surface()))[0]
        geometry = {"type": "Point", "coordinates": point.tolist()}
    else:
        polygons = eudr_polygons(area.geometry)
        if not polygons:
            raise GisError(problem("eudr_geometry_lost", "growing area %(area)s has no polygon "
                                   "left once its coordinates are cut to 6 decimals",
                                   area=area.code or area.name))
        rings = [[shapely.get_coordinates(p.exterior).tolist()] for p in polygons]
        geometry = ({"type": "Polygon", "coordinates": rings[0]} if len(rings) == 1
                    else {"type": "MultiPolygon", "coordinates": rings})
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def truncate(values: np.ndarray) -> np.ndarray:
    """Coordinates cut (towards zero, not rounded) to 6 decimals, as the EU system
    does. Exact on the decimal digits: a value already at 6 decimals stays put even
    when scaling by 10^6 lands just below the integer."""
    values = np.asarray(values, dtype=float)
    magnitude = np.abs(values)
    scale = 10.0 ** DECIMALS
    steps = np.floor(magnitude * scale)
    steps = np.where((steps + 1) / scale <= magnitude, steps + 1, steps)
    steps = np.where(steps / scale > magnitude, steps - 1, steps)
    return np.copysign(steps / scale, values)


def eudr_polygons(geom: Polygon | MultiPolygon) -> list[Polygon]:
    """`geom` as hole-free, valid polygons (exterior counterclockwise) whose
    coordinates have at most 6 decimals, covering the same area. Slivers narrower
    than the 6-decimal grid (about 0.1 m) may vanish."""
    polygons = [geom] if isinstance(geom, Polygon) else list(geom.geoms)
    return [q for p in polygons for piece in without_holes(p) for q in _on_grid(piece)]


def without_holes(polygon: Polygon) -> list[Polygon]:
    """`polygon` cut into pieces without holes, covering exactly its area.

    Each cut is a vertical line through a hole: any such line crosses the hole's
    inside, so the hole opens onto both halves' outer boundary and each half has
    fewer holes; repeat until none is left ("half-moon" pieces)."""
    if not polygon.interiors:
        return [polygon]
    west, south, east, north = polygon.bounds
    h_west, _, h_east, _ = polygon.interiors[0].bounds
    cut = float(truncate(np.array([(h_west + h_east) / 2]))[0])
    if not h_west < cut < h_east:   # a hole narrower than the grid
        cut = (h_west + h_east) / 2
    halves = (box(west - 1, south - 1, cut, north + 1), box(cut, south - 1, east + 1, north + 1))
    pieces = []
    for half in halves:
        for part in polygonal_parts(polygon.intersection(half)):
            pieces.extend(without_holes(part))
    return pieces


def _on_grid(polygon: Polygon, attempt: int = 0) -> list[Polygon]:
    """A hole-free polygon with its coordinates truncated, repeated corners merged,
    and anything truncation broke mended (snapped to the grid, which GEOS keeps
    valid); empty when it collapsed."""
    xy = truncate(shapely.get_coordinates(polygon.exterior))
    keep = np.ones(len(xy), dtype=bool)
    keep[1:] = np.any(xy[1:] != xy[:-1], axis=1)
    xy = xy[keep]
    if len(np.unique(xy, axis=0)) < 3:
        return []
    ring = Polygon(xy)
    if ring.is_valid and ring.area > 0:
        return [orient(ring, 1.0)]
    if attempt >= 2:
        return []
    snapped = shapely.set_precision(ring, GRID)
    return [q for part in polygonal_parts(snapped) for piece in without_holes(part)
            for q in _on_grid(piece, attempt + 1)]
