"""A polygon drawn as an SVG path, for pages that must show a shape without scripts."""
from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

MARGIN = 10  # pixels left blank around the shape


def svg_outline(geojson: str | Mapping[str, Any], size: int = 240) -> dict:
    """The outline of a GeoJSON Polygon or MultiPolygon (text or mapping) as
    `{"d": path, "width": px, "height": px}`, its longer side `size` pixels.

    Longitudes are scaled by the cosine of the mean latitude, so the shape is not
    stretched east-west; north is up. Holes are drawn as further subpaths."""
    shape = json.loads(geojson) if isinstance(geojson, str) else geojson
    polygons = shape["coordinates"] if shape["type"] == "MultiPolygon" \
        else [shape["coordinates"]]
    points = [p for polygon in polygons for ring in polygon for p in ring]
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    west, north = min(lons), max(lats)
    k = math.cos(math.radians(sum(lats) / len(lats)))
    # A sliver (or a single point) still gets a finite scale.
    width = max((max(lons) - west) * k, 1e-9)
    height = max(north - min(lats), 1e-9)
    scale = (size - 2 * MARGIN) / max(width, height)

    def xy(p) -> str:
        return (f"{MARGIN + (p[0] - west) * k * scale:.1f},"
                f"{MARGIN + (north - p[1]) * scale:.1f}")
    d = " ".join("M" + " L".join(xy(p) for p in ring) + " Z"
                 for polygon in polygons for ring in polygon)
    return {"d": d, "width": round(width * scale + 2 * MARGIN),
            "height": round(height * scale + 2 * MARGIN)}
