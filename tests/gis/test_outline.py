"""The SVG outline drawn on the scan page when scripts do not run."""
import json
import math
import re

import pytest

from gis.outline import svg_outline


def _points(d: str) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in re.findall(r"([-\d.]+),([-\d.]+)", d)]


def _square(lon: float, lat: float, side: float) -> list:
    return [[lon, lat], [lon + side, lat], [lon + side, lat + side], [lon, lat + side],
            [lon, lat]]


def test_a_square_at_the_equator_fills_the_box_inside_the_margin():
    shape = {"type": "Polygon", "coordinates": [_square(0, 0, 0.01)]}
    svg = svg_outline(json.dumps(shape))
    assert (svg["width"], svg["height"]) == (240, 240)
    assert svg["d"] == "M10.0,230.0 L230.0,230.0 L230.0,10.0 L10.0,10.0 L10.0,230.0 Z"


def test_north_is_up():
    shape = {"type": "Polygon", "coordinates": [[[105, 10], [105.01, 10], [105, 10.02],
                                                 [105, 10]]]}
    south, east, north, _ = _points(svg_outline(shape)["d"])[:4]
    assert north[1] < south[1] and east[0] > south[0]


@pytest.mark.parametrize("lat", [10.0, 60.0])
def test_longitudes_shrink_with_the_cosine_of_latitude(lat):
    shape = {"type": "Polygon", "coordinates": [_square(105, lat, 0.01)]}
    svg = svg_outline(shape)
    assert svg["height"] == 240
    expected = 220 * math.cos(math.radians(lat + 0.004)) + 20
    assert svg["width"] == pytest.approx(expected, abs=1)


def test_every_ring_of_every_polygon_is_a_subpath():
    hole = _square(105.002, 10.002, 0.002)[::-1]
    shape = {"type": "MultiPolygon", "coordinates": [
        [_square(105, 10, 0.01), hole], [_square(105.02, 10, 0.005)]]}
    svg = svg_outline(json.dumps(shape), size=120)
    assert svg["d"].count("M") == 3 and svg["d"].count("Z") == 3
    xs, ys = zip(*_points(svg["d"]))
    assert min(xs) == pytest.approx(10, abs=0.1) and max(xs) == pytest.approx(110, abs=0.1)
    assert max(ys) <= svg["height"] - 10 + 0.1


def test_a_degenerate_shape_gives_a_finite_drawing():
    shape = {"type": "Polygon", "coordinates": [[[105, 10], [105, 10], [105, 10], [105, 10]]]}
    svg = svg_outline(shape)
    assert all(math.isfinite(v) for p in _points(svg["d"]) for v in p)
    assert svg["width"] == svg["height"] == 240
