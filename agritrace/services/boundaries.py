"""Province boundaries: when one is loaded, areas declared in that province must lie
inside it (the Viet Nam outline alone is coarse)."""
from __future__ import annotations

from flask_babel import gettext as _
from geoalchemy2.shape import from_shape
from shapely import make_valid, unary_union
from shapely.geometry import MultiPolygon, Polygon

from gis.features import GisError
from gis.measure import area_ha
from gis.readers import read_upload

from .. import units
from ..db import transaction
from ..errors import Invalid, NotFound
from ..models import ProvinceBoundary
from ..problems import describe
from . import audit


def load_boundary(province_code: int, data: bytes, filename: str, *,
                  crs: str | None = None) -> float:
    """Replace a province's boundary with the union of the polygons in a file (any
    format the importer reads). Returns the boundary's area in km². Run by an
    administrator from the command line; audited as the system."""
    if not units.is_province(province_code):
        raise NotFound(_("Province code %(code)s is not one of the 34 provinces.",
                         code=province_code))
    try:
        layer = read_upload(data, filename, crs=crs, max_features=100_000)
    except GisError as exc:
        raise Invalid(" ".join(describe(p) for p in exc.problems)) from exc
    parts = [make_valid(f.geometry) for f in layer.features
             if isinstance(f.geometry, (Polygon, MultiPolygon))]
    if not parts:
        raise Invalid(_("%(file)s holds no polygon.", file=filename))
    merged = unary_union(parts)
    polygons = [g for g in getattr(merged, "geoms", [merged]) if isinstance(g, Polygon)]
    boundary = MultiPolygon(polygons)
    with transaction() as s:
        row = s.get(ProvinceBoundary, province_code, with_for_update=True)
        if row is None:
            row = ProvinceBoundary(province_code=province_code)
            s.add(row)
        row.geom = from_shape(boundary, srid=4326)
        row.source = filename[:300]
        s.flush()
        km2 = area_ha(boundary) / 100
        audit.record(s, None, "province_boundary", province_code, "load",
                     after={"source": filename, "km2": round(km2, 1)})
    return km2
