"""The EUDR geolocation file, checked against the EU's GeoJSON rules."""
import json
from decimal import ROUND_DOWN, Decimal

import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, box, shape

from gis.eudr import eudr_geojson, eudr_polygons, truncate, without_holes
from gis.export import ExportArea, export_areas
from gis.features import GisError
from gis.measure import area_ha, perimeter_m

OUTER = [(106.10, 11.30), (106.11, 11.30), (106.11, 11.31), (106.10, 11.31)]
HOLES = [
    [(106.102, 11.302), (106.104, 11.302), (106.104, 11.304), (106.102, 11.304)],
    [(106.1031234567, 11.3061), (106.1071, 11.3061), (106.1071, 11.3081), (106.1031, 11.3081)],
    [(106.105, 11.302), (106.108, 11.3025), (106.106, 11.304)],
]
WITH_HOLES = Polygon(OUTER, HOLES)                                 # about 115 ha
SMALL = box(106.12, 11.32, 106.1212345678, 11.3212345678)          # about 1.8 ha


def export_area(geometry, name="Vùng thanh long Tầm Vu", ward="Phường Tân Ninh"):
    geometry = geometry if isinstance(geometry, MultiPolygon) else MultiPolygon([geometry])
    return ExportArea(code=None, name=name, crop="Thanh long", status="issued",
                      organization="HTX Nông nghiệp Tầm Vu", province="Tây Ninh", ward=ward,
                      area_ha=area_ha(geometry), perimeter_m=perimeter_m(geometry),
                      geometry=geometry)


def load(data: bytes):
    """The file with every number kept as the text it was written as."""
    return json.loads(data, parse_float=str, parse_int=str)


def positions(geometry):
    coords = geometry["coordinates"]
    while isinstance(coords[0][0], list):
        coords = [c for part in coords for c in part]
    return coords if isinstance(coords[0], list) else [coords]


def test_the_file_follows_the_eu_rules():
    areas = [export_area(WITH_HOLES), export_area(SMALL, ward=None)]
    raw = export_areas(areas, "eudr")
    data = json.loads(raw)
    assert data["type"] == "FeatureCollection" and len(data["features"]) == 2
    for feature, area, text in zip(data["features"], areas, load(raw)["features"]):
        geometry = feature["geometry"]
        assert geometry["type"] in ("Polygon", "MultiPolygon")
        polygons = ([geometry["coordinates"]] if geometry["type"] == "Polygon"
                    else geometry["coordinates"])
        for rings in polygons:
            assert len(rings) == 1                                   # no holes
            ring = rings[0]
            assert ring[0] == ring[-1] and len(ring) >= 4
            assert Polygon(ring).is_valid
        for lon, lat in positions(text["geometry"]):
            assert len(lon.partition(".")[2]) <= 6 and len(lat.partition(".")[2]) <= 6
            assert 105.5 < float(lon) < 106.5 and 10.5 < float(lat) < 11.5   # [lon, lat]
        assert isinstance(feature["properties"]["Area"], float)
        assert feature["properties"]["Area"] == pytest.approx(area.area_ha, abs=1e-4)
        # Truncation moves each corner by less than 10^-6 degree (0.11 m) each way.
        assert area_ha(shape(geometry)) == pytest.approx(
            area.area_ha, abs=area.perimeter_m * 0.16 / 10_000)
    with_holes = shape(data["features"][0]["geometry"])
    assert area_ha(with_holes) == pytest.approx(areas[0].area_ha, rel=1e-4)     # 0.01 %
    assert data["features"][0]["properties"] == {
        "ProducerName": "HTX Nông nghiệp Tầm Vu", "ProducerCountry": "VN",
        "ProductionPlace": "Phường Tân Ninh, Tây Ninh", "Area": round(areas[0].area_ha, 4)}
    assert data["features"][1]["properties"]["ProductionPlace"] == "Tây Ninh"


def test_holes_are_cut_away_without_losing_area():
    pieces = without_holes(WITH_HOLES)
    assert len(pieces) >= 2 and all(not p.interiors for p in pieces)
    assert area_ha(MultiPolygon(pieces)) == pytest.approx(area_ha(WITH_HOLES), rel=1e-4)
    assert shapely.union_all(pieces).symmetric_difference(WITH_HOLES).area < 1e-12


def test_coordinates_are_truncated_not_rounded():
    values = np.array([106.1234569, 11.9999999, 106.123456, -0.0000019, 10.1])
    assert truncate(values).tolist() == [106.123456, 11.999999, 106.123456, -0.000001, 10.1]
    data = eudr_geojson([export_area(SMALL)])
    assert b"106.121234," in data and b"106.121235" not in data


def test_truncation_agrees_with_decimal_arithmetic():
    values = np.random.default_rng(7).uniform(102, 110, 20_000)
    expected = [float(Decimal(repr(v)).quantize(Decimal("0.000001"), rounding=ROUND_DOWN))
                for v in values.tolist()]
    assert truncate(values).tolist() == expected


def test_corners_that_merge_once_truncated_are_removed():
    # Two corners 0.4e-6 degrees apart become one.
    ring = [(106.10, 11.30), (106.1010001, 11.30), (106.1010004, 11.3000002), (106.101, 11.301),
            (106.10, 11.301)]
    [polygon] = eudr_polygons(Polygon(ring))
    assert len(polygon.exterior.coords) == 5 and polygon.is_valid


def test_a_slot_that_closes_when_truncated_is_mended():
    # A U whose slot is 0.6e-6 degrees wide: both sides truncate to 106.100001,
    # so the ring would run over itself.
    ring = [(106.100, 11.300), (106.101, 11.300), (106.101, 11.301), (106.1000018, 11.301),
            (106.1000018, 11.3005), (106.1000012, 11.3005), (106.1000012, 11.301),
            (106.100, 11.301)]
    assert Polygon(ring).is_valid
    naive = Polygon(truncate(np.array(ring)))
    assert not naive.is_valid
    polygons = eudr_polygons(Polygon(ring))
    assert polygons and all(p.is_valid and not p.interiors for p in polygons)
    # The slot (3.6 m²) is narrower than the grid: it closes, leaving the square.
    square = box(106.100, 11.300, 106.101, 11.301)
    assert area_ha(MultiPolygon(polygons)) == pytest.approx(area_ha(square), rel=1e-6)
    for p in polygons:
        assert np.array_equal(truncate(shapely.get_coordinates(p)), shapely.get_coordinates(p))


def test_points_for_small_plots_only_when_asked():
    areas = [export_area(WITH_HOLES), export_area(SMALL)]
    assert all(f["geometry"]["type"] != "Point"
               for f in json.loads(eudr_geojson(areas))["features"])
    large, small = json.loads(eudr_geojson(areas, points_below_4ha=True))["features"]
    assert large["geometry"]["type"] == "MultiPolygon"             # over 4 ha: always a polygon
    assert small["geometry"]["type"] == "Point"
    assert SMALL.contains(shape(small["geometry"]))
    assert small["properties"]["Area"] == pytest.approx(area_ha(SMALL), abs=1e-4)


def test_a_file_over_the_size_limit_is_refused():
    areas = [export_area(WITH_HOLES)] * 3
    size = len(eudr_geojson(areas))
    assert len(eudr_geojson(areas, max_bytes=size)) == size
    with pytest.raises(GisError) as caught:
        eudr_geojson(areas, max_bytes=size - 1)
    problem = caught.value.problems[0]
    assert problem.code == "eudr_too_large" and problem.params["areas"] == 3
    assert "export fewer areas" in problem.message
