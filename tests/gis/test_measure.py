"""Geodesic measures against values derived independently of pyproj."""
import math

import pytest
from shapely.geometry import MultiPolygon, Polygon, box

from gis.measure import area_ha, perimeter_m

A = 6378137.0                 # WGS84 semi-major axis
F = 1 / 298.257223563
E2 = F * (2 - F)
E = math.sqrt(E2)
B = A * (1 - F)


def _zone_area(phi: float) -> float:
    """Area on the ellipsoid between the equator and latitude phi, all longitudes
    (the closed form of the authalic integral)."""
    s = math.sin(phi)
    return math.pi * B * B * (s / (1 - E2 * s * s) + math.log((1 + E * s) / (1 - E * s)) / (2 * E))


def _cell_area_m2(lat1, lat2, lon1, lon2) -> float:
    band = _zone_area(math.radians(lat2)) - _zone_area(math.radians(lat1))
    return band * (lon2 - lon1) / 360.0


@pytest.mark.parametrize("lat1, lat2, lon1, lon2", [
    (0, 1, 105, 106),              # one degree cell at the equator
    (10.4, 10.5, 106.4, 106.5),    # a cell over Long An
    (21.0, 21.01, 105.8, 105.81),  # a small cell near Hà Nội
])
def test_area_of_latitude_longitude_cells(lat1, lat2, lon1, lon2):
    # Edges along parallels are not geodesics, so compare on cells where the
    # difference is negligible (< 0.01 %).
    expected_ha = _cell_area_m2(lat1, lat2, lon1, lon2) / 10_000
    assert area_ha(box(lon1, lat1, lon2, lat2)) == pytest.approx(expected_ha, rel=1e-4)


def test_hole_is_subtracted_and_orientation_does_not_matter():
    outer = [(106.40, 10.40), (106.41, 10.40), (106.41, 10.41), (106.40, 10.41)]
    hole = [(106.402, 10.402), (106.404, 10.402), (106.404, 10.404), (106.402, 10.404)]
    with_hole = Polygon(outer, [hole])
    assert area_ha(with_hole) == pytest.approx(area_ha(Polygon(outer)) - area_ha(Polygon(hole)))
    assert area_ha(Polygon(list(reversed(outer)))) == pytest.approx(area_ha(Polygon(outer)))
    assert area_ha(MultiPolygon([Polygon(outer)])) == pytest.approx(area_ha(Polygon(outer)))


def test_perimeter_of_a_meridian_segment():
    # One degree of latitude along a meridian at the equator is 110,574.4 m.
    thin = Polygon([(105, 0), (105, 1), (105.000001, 1), (105.000001, 0)])
    assert perimeter_m(thin) == pytest.approx(2 * 110_574.389, rel=1e-5)
