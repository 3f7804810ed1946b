"""From a feature's geometry as read to the one shape a growing area is stored as:
a 2-D MultiPolygon with closed rings, no repeated consecutive corners, and RFC 7946
orientation (outer boundaries counterclockwise, holes clockwise).

The clean-up works on coordinates, not on Shapely objects, because Shapely cannot
hold the faults it fixes: it closes an open ring on construction without saying so.
A reader that wants open rings reported passes the geometry as a GeoJSON-like
mapping (``{"type": "Polygon", "coordinates": [...]}``) instead of a Shapely one.

Problems (refusals) and notes raised here, with their English templates:

==========================  =========================================================
code                        template (params)
==========================  =========================================================
no_geometry                 "has no geometry"
empty_geometry              "has an empty geometry"
point_not_polygon           "is a point, not a polygon: draw or export the plot's
                            boundary as a polygon" (geom_type)
line_not_polygon            "is a line, not a polygon: draw or export the plot's
                            boundary as a polygon" (geom_type)
collection_not_polygon      "mixes polygons with points or lines: keep only the
                            plot's boundary polygon" (geom_type)
bad_coordinates             "has coordinates that are not numbers"
too_few_corners             "a ring has fewer than 3 distinct corners (%(corners)s),
                            so it encloses no area" (corners)
no_area                     "its corners lie on one line, so it encloses no area"
z_dropped (note)            "heights (Z) and measures (M) were removed: plots are
                            stored in 2-D"
duplicate_vertices_removed  "%(count)s repeated corner(s) removed" (count)
  (note)
ring_closed (note)          "%(count)s ring(s) were not closed and have been closed"
                            (count)
orientation_fixed (note)    "ring orientation corrected: outer boundaries
                            counterclockwise, holes clockwise (RFC 7946)"
==========================  =========================================================
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

from .features import Feature, Problem, problem

POLYGONAL = ("Polygon", "MultiPolygon")
POINTS = ("Point", "MultiPoint")
LINES = ("LineString", "MultiLineString", "LinearRing")

NOT_POLYGON = "draw or export the plot's boundary as a polygon"

# One polygon as plain coordinates: its rings, exterior first, each an (n, 2) array.
Rings = list[np.ndarray]


@dataclass
class Cleaned:
    """A geometry after the coordinate clean-up: `geometry` is None when a problem
    makes it unusable."""
    geometry: MultiPolygon | None
    problems: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)


def geometry_type(geometry: Any) -> str | None:
    """The geometry's type name, for Shapely objects and GeoJSON-like mappings."""
    if geometry is None:
        return None
    if isinstance(geometry, BaseGeometry):
        return geometry.geom_type
    return str(geometry.get("type")) if isinstance(geometry, Mapping) else type(geometry).__name__


def clean(geometry: Any, feature: Feature | None = None) -> Cleaned:
    """Check that `geometry` is polygonal and normalise its coordinates: drop Z/M,
    remove repeated consecutive corners, close open rings, refuse rings left with
    fewer than 3 corners. Validity and orientation are not looked at here."""
    out = Cleaned(None)
    polygons = _polygons(geometry, feature, out)
    if polygons is None:
        return out
    removed = closed = 0
    shapes = []
    for rings in polygons:
        kept = []
        for ring in rings:
            if ring.size and not np.isfinite(ring).all():
                out.problems.append(problem("bad_coordinates",
                                            "has coordinates that are not numbers", feature))
                return out
            ring, n_removed, was_closed = _clean_ring(ring)
            removed += n_removed
            closed += was_closed
            corners = len(np.unique(ring, axis=0))
            if corners < 3:
                out.problems.append(problem(
                    "too_few_corners",
                    "a ring has fewer than 3 distinct corners (%(corners)s), "
                    "so it encloses no area", feature, corners=corners))
                return out
            kept.append(ring)
        shapes.append(Polygon(kept[0], kept[1:]))
    if removed:
        out.notes.append(problem("duplicate_vertices_removed",
                                 "%(count)s repeated corner(s) removed", feature, count=removed))
    if closed:
        out.notes.append(problem("ring_closed",
                                 "%(count)s ring(s) were not closed and have been closed",
                                 feature, count=closed))
    # Collinear corners: the hull of the ring is a line. (A zero shoelace area
    # would also catch a symmetric bow-tie, which is a self-intersection instead.)
    if any(shapely.convex_hull(p.exterior).geom_type != "Polygon" for p in shapes):
        out.problems.append(problem("no_area",
                                    "its corners lie on one line, so it encloses no area",
                                    feature))
        return out
    out.geometry = MultiPolygon(shapes)
    return out


def corner_count(geom: MultiPolygon) -> int:
    """Corners of all rings, the closing position of each ring not counted."""
    rings = [r for p in geom.geoms for r in (p.exterior, *p.interiors)]
    return sum(len(r.coords) - 1 for r in rings)


def oriented(geom: MultiPolygon) -> tuple[MultiPolygon, bool]:
    """`geom` with RFC 7946 ring orientation, and whether any ring had to turn."""
    wrong = any(not p.exterior.is_ccw or any(h.is_ccw for h in p.interiors) for p in geom.geoms)
    if not wrong:
        return geom, False
    return MultiPolygon([orient(p, 1.0) for p in geom.geoms]), True


_ORIENTATION = ("ring orientation corrected: outer boundaries counterclockwise, holes "
                "clockwise (RFC 7946)")


def orientation_fixed(feature: Feature | None = None) -> Problem:
    """The note that `oriented` turned rings. Built directly: a Shapefile's rings all
    turn clockwise, so a bulk import makes one for every plot."""
    return Problem("orientation_fixed", _ORIENTATION, {}, feature.index if feature else None,
                   feature.name if feature else None)


def polygonal_parts(geom: BaseGeometry) -> list[Polygon]:
    """The non-empty polygons in `geom`, however deeply collected."""
    parts = shapely.get_parts(geom)
    out: list[Polygon] = []
    for part in parts:
        if part.is_empty:
            continue
        if isinstance(part, Polygon):
            out.append(part)
        elif part.geom_type in ("MultiPolygon", "GeometryCollection"):
            out.extend(polygonal_parts(part))
    return out


def _clean_ring(ring: np.ndarray) -> tuple[np.ndarray, int, bool]:
    if len(ring) == 0:
        return ring, 0, False
    keep = np.ones(len(ring), dtype=bool)
    keep[1:] = np.any(ring[1:] != ring[:-1], axis=1)
    ring = ring[keep]
    closed = bool(np.any(ring[0] != ring[-1]))
    if closed:
        ring = np.vstack([ring, ring[:1]])
    return ring, int((~keep).sum()), closed


def _polygons(geometry: Any, feature: Feature | None, out: Cleaned) -> list[Rings] | None:
    """The polygons of `geometry` as rings of 2-D coordinates, or None after adding
    the problem that says why it is not a polygon."""
    kind = geometry_type(geometry)
    if geometry is None:
        out.problems.append(problem("no_geometry", "has no geometry", feature))
        return None
    try:
        if isinstance(geometry, BaseGeometry):
            polygons, has_zm = _from_shapely(geometry)
        else:
            polygons, has_zm = _from_mapping(geometry)
    except _NotPolygon as e:
        out.problems.append(_not_polygon(e.kind, kind, feature))
        return None
    except (TypeError, ValueError, KeyError, IndexError):
        out.problems.append(problem("bad_coordinates", "has coordinates that are not numbers",
                                    feature))
        return None
    if not polygons:
        out.problems.append(problem("empty_geometry", "has an empty geometry", feature))
        return None
    if has_zm:
        out.notes.append(problem("z_dropped", "heights (Z) and measures (M) were removed: "
                                 "plots are stored in 2-D", feature))
    return polygons


class _NotPolygon(Exception):
    def __init__(self, kind: str):
        self.kind = kind


def _not_polygon(kind: str, geom_type: str | None, feature: Feature | None) -> Problem:
    if kind == "point":
        return problem("point_not_polygon", "is a point, not a polygon: " + NOT_POLYGON,
                       feature, geom_type=geom_type)
    if kind == "line":
        return problem("line_not_polygon", "is a line, not a polygon: " + NOT_POLYGON,
                       feature, geom_type=geom_type)
    return problem("collection_not_polygon", "mixes polygons with points or lines: keep only "
                   "the plot's boundary polygon", feature, geom_type=geom_type)


def _kind(geom_type: str) -> str:
    return "point" if geom_type in POINTS else "line" if geom_type in LINES else "other"


def _from_shapely(geom: BaseGeometry) -> tuple[list[Rings], bool]:
    if geom.geom_type not in POLYGONAL + ("GeometryCollection",):
        raise _NotPolygon(_kind(geom.geom_type))
    if geom.geom_type == "GeometryCollection":
        members = [g for g in shapely.get_parts(geom) if not g.is_empty]
        if any(g.geom_type not in POLYGONAL + ("GeometryCollection",) for g in members):
            raise _NotPolygon("collection")
    parts = polygonal_parts(geom)
    # Google Earth writes a height of 0 on every corner: dropping those is not news.
    has_zm = bool(shapely.has_m(geom)) or bool(
        shapely.has_z(geom) and np.any(shapely.get_coordinates(geom, include_z=True)[:, 2]))
    polygons = [[shapely.get_coordinates(r) for r in (p.exterior, *p.interiors)] for p in parts]
    return polygons, has_zm


def _from_mapping(geom: Mapping) -> tuple[list[Rings], bool]:
    kind = geom.get("type")
    if kind == "GeometryCollection":
        polygons: list[Rings] = []
        has_zm = False
        for member in geom.get("geometries") or []:
            if geometry_type(member) not in POLYGONAL + ("GeometryCollection",):
                raise _NotPolygon("collection")
            more, zm = _from_mapping(member)
            polygons += more
            has_zm = has_zm or zm
        return polygons, has_zm
    if kind not in POLYGONAL:
        raise _NotPolygon(_kind(str(kind)))
    coordinates = geom.get("coordinates") or []
    nested = [coordinates] if kind == "Polygon" else list(coordinates)
    polygons, has_zm = [], False
    for rings in nested:
        if not rings:
            continue
        has_zm = has_zm or any(len(pos) > 2 for ring in rings for pos in ring)
        polygons.append([np.array([pos[:2] for pos in ring], dtype=float).reshape(-1, 2)
                         for ring in rings])
    return polygons, has_zm
