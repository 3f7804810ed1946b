"""GPX from a handheld GPS or phone: a track (or route) walked around a field is read as
the field's outline. Closed means the last point is within CLOSED_WITHIN_M of the first;
the outline is then the polygon through the points in order, track segments joined.
Waypoints outline nothing: they are ignored beside tracks and refused alone.

Problem codes raised here (params in parentheses, `filename` always unless per feature):
- gpx_no_tracks (waypoints): "%(filename)s has no track or route, only %(waypoints)s
  waypoints. Record a track while walking around the field and upload that."
- gpx_track_open (per feature; gap_m, limit_m): "The track is not closed: it ends %(gap_m)s m
  from where it started (at most %(limit_m)s m). Walk back to the starting point, or close
  the outline in a map editor."
- gpx_track_too_short (per feature; points): "The track has only %(points)s points; at least
  3 are needed to outline a field."
"""
from __future__ import annotations

from pyproj import Geod
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from gis.features import Feature, GisError, problem
from gis.readers.base import RawLayer, Reader, Upload, xml_root
from gis.readers.ogr import count_features, on_disk, read_all

CLOSED_WITHIN_M = 10.0
OUTLINES = ("routes", "tracks")
_GEOD = Geod(ellps="WGS84")


def _points(geom: BaseGeometry) -> list[tuple]:
    parts = geom.geoms if hasattr(geom, "geoms") else [geom]
    return [point for part in parts for point in part.coords]


def outline(index: int, geom: BaseGeometry | None, props: dict):
    """The polygon a walked track describes, or the Problem that stops it being one."""
    if geom is None or geom.is_empty:
        return None, None
    feature = Feature(index, None, props)
    points = _points(geom)
    distinct = list(dict.fromkeys(points))
    if len(distinct) < 3:
        return None, problem("gpx_track_too_short", "The track has only %(points)s points; at "
                             "least 3 are needed to outline a field.", feature,
                             points=len(distinct))
    (x0, y0, *_), (x1, y1, *_) = points[0], points[-1]
    gap = _GEOD.inv(x0, y0, x1, y1)[2]
    if gap > CLOSED_WITHIN_M:
        return None, problem(
            "gpx_track_open", "The track is not closed: it ends %(gap_m)s m from where it started "
            "(at most %(limit_m)s m). Walk back to the starting point, or close the outline in a "
            "map editor.", feature, gap_m=round(gap, 1), limit_m=CLOSED_WITHIN_M)
    return Polygon(points), None


class GPXReader(Reader):
    name = "gpx"
    label = "GPX"
    extensions = (".gpx",)

    def sniff(self, head: bytes) -> bool:
        return xml_root(head) == "gpx"

    def read(self, upload: Upload) -> list[RawLayer]:
        with on_disk(upload.data, ".gpx") as path:
            layers = read_all(self, upload, lambda: [(path, name) for name in OUTLINES])
            if not any(layer.rows for layer in layers):
                raise GisError(problem(
                    "gpx_no_tracks", "%(filename)s has no track or route, only %(waypoints)s "
                    "waypoints. Record a track while walking around the field and upload that.",
                    filename=upload.filename, waypoints=count_features(path, "waypoints")))
        problems, index = [], 0
        for layer in layers:
            rows = []
            for geom, props in layer.rows:
                index += 1
                props = {k: v for k, v in props.items() if v is not None}
                polygon, trouble = outline(index, geom, props)
                rows.append((polygon, props))
                if trouble:
                    problems.append(trouble)
            layer.rows = rows
        if problems:
            raise GisError(problems)
        return layers


GPX = GPXReader()
