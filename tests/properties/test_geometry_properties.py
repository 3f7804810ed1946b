"""Any valid plot survives a round trip through every format the platform both writes
and reads: a GeoJSON upload is read, exported, and the export read again, with the
same geodesic area and the same outline.

Plots are star-shaped around a centre in Viet Nam (or their convex hull), 4 to 40
corners, an outline of 0.05 to 50 ha, sometimes with a hole (the plot shrunk about its centre, which
a polygon star-shaped from that centre always holds). Corners are on the 1e-7° grid
(about 1 cm) the exports write, so rounding cannot move them.
"""
import json
import math

import pytest
import shapely
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Polygon

from gis.crs import VIETNAM_BOUNDS
from gis.export import DECIMALS, EXPORT_FORMATS, ExportArea, export_areas
from gis.measure import area_ha, perimeter_m
from gis.readers import read_upload

# Every format with both an exporter and a reader (EUDR's GeoJSON is GeoJSON).
ROUND_TRIP = ["geojson", "kml", "shapefile", "geopackage", "csv"]
# Half the profile's examples: each one writes and reads five files.
EXAMPLES = max(10, settings.default.max_examples // 2)
M_PER_DEG_LAT = 110_574.0


@st.composite
def plots(draw):
    west, south, east, north = VIETNAM_BOUNDS
    lon = draw(st.floats(west + 0.1, east - 0.1))
    lat = draw(st.floats(south + 0.1, north - 0.1))
    n = draw(st.integers(4, 40))
    # Angular gaps from weights in [1, 2.5]: none reaches half a turn, so the centre
    # sees every edge and the polygon is star-shaped from it.
    weights = draw(st.lists(st.floats(1, 2.5), min_size=n, max_size=n))
    start = draw(st.floats(0, 2 * math.pi))
    radii = draw(st.lists(st.floats(0.4, 1), min_size=n, max_size=n))
    angles = [start + 2 * math.pi * sum(weights[:i]) / sum(weights) for i in range(n)]
    unit = Polygon([(r * math.cos(a), r * math.sin(a)) for r, a in zip(radii, angles)])
    if draw(st.booleans()):
        unit = unit.convex_hull
    target_m2 = 10_000 * math.exp(draw(st.floats(math.log(0.05), math.log(50))))
    scale = math.sqrt(target_m2 / unit.area)
    m_per_deg_lon = 111_320.0 * math.cos(math.radians(lat))

    def placed(ring, shrink=1.0):
        return [(round(lon + shrink * scale * x / m_per_deg_lon, DECIMALS),
                 round(lat + shrink * scale * y / M_PER_DEG_LAT, DECIMALS))
                for x, y in ring.coords[:-1]]

    shell = placed(unit.exterior)
    holes = []
    if draw(st.booleans()):
        holes.append(placed(unit.exterior, shrink=draw(st.floats(0.1, 0.6))))
    plot = Polygon(shell, holes)
    assume(plot.is_valid and len(plot.exterior.coords) >= 5)
    return plot


def uploaded(plot: Polygon) -> bytes:
    rings = [list(plot.exterior.coords)] + [list(h.coords) for h in plot.interiors]
    feature = {"type": "Feature", "properties": {"name": "Lô thử"},
               "geometry": {"type": "Polygon", "coordinates": rings}}
    return json.dumps({"type": "FeatureCollection", "features": [feature]}).encode()


def only_geometry(data: bytes, filename: str):
    features = read_upload(data, filename).features
    assert len(features) == 1
    return features[0].geometry


def polygons(geom):
    return list(geom.geoms) if isinstance(geom, MultiPolygon) else [geom]


@pytest.mark.parametrize("fmt", ROUND_TRIP)
@settings(max_examples=EXAMPLES, deadline=None)
@given(plot=plots())
def test_a_plot_survives_import_export_import(fmt, plot):
    first = only_geometry(uploaded(plot), "plot.geojson")
    assert area_ha(first) == pytest.approx(area_ha(plot), rel=1e-9)
    area = ExportArea(code=None, name="Lô thử", crop="Sầu riêng", status="draft",
                      organization="HTX", province="Tây Ninh", ward=None,
                      area_ha=area_ha(first), perimeter_m=perimeter_m(first),
                      geometry=MultiPolygon(polygons(first)))
    data = export_areas([area], fmt)
    again = only_geometry(data, f"areas.{EXPORT_FORMATS[fmt].extension}")

    assert area_ha(again) == pytest.approx(area_ha(first), rel=1e-4)
    [back] = polygons(again)
    assert back.is_valid and len(back.interiors) == len(plot.interiors)
    # The same corners, whatever ring direction or starting corner the format uses.
    assert shapely.equals_exact(shapely.normalize(back), shapely.normalize(plot),
                                tolerance=10 ** -DECIMALS / 2)
