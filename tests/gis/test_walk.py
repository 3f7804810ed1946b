"""A boundary walked with a phone: bad fixes dropped, jitter thinned, the ring closed
and measured."""
import math

import pytest

from gis.walk import MIN_POINTS, Fix, TooFewFixes, good_fixes, smooth, thin, walk_polygon

LON, LAT = 106.2, 11.4
M_LAT = 110_574.0
M_LON = 111_320.0 * math.cos(math.radians(LAT))


def square_walk(side_m=100.0, step_m=5.0, accuracy=4.0):
    """Fixes every `step_m` around a square, anticlockwise from the south-west corner."""
    corners = [(0, 0), (side_m, 0), (side_m, side_m), (0, side_m), (0, 0)]
    fixes, t = [], 0.0
    for (x0, y0), (x1, y1) in zip(corners, corners[1:]):
        steps = int(round(math.hypot(x1 - x0, y1 - y0) / step_m))
        for i in range(steps):
            x, y = x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps
            fixes.append(Fix(LON + x / M_LON, LAT + y / M_LAT, accuracy, t))
            t += 4000
    return fixes


def test_a_walked_square_closes_and_measures_about_one_hectare():
    walk = walk_polygon(square_walk())
    assert walk.polygon.is_valid and walk.polygon.exterior.is_closed
    # Smoothing rounds the corners a little: within 2 % of the hectare walked.
    assert walk.area_ha == pytest.approx(1.0, rel=0.02)
    assert walk.perimeter_m == pytest.approx(400, rel=0.03)
    assert walk.good == walk.fixes == 80


def test_fixes_worse_than_the_limit_are_dropped_before_anything_else():
    fixes = square_walk()
    # A wild fix 300 m away with poor accuracy would wreck the shape if it were kept.
    wild = Fix(LON + 300 / M_LON, LAT + 300 / M_LAT, 45.0)
    walk = walk_polygon(fixes[:40] + [wild, Fix(LON, LAT, None)] + fixes[40:], limit_m=10)
    assert walk.fixes == 82 and walk.good == 80
    assert walk.area_ha == pytest.approx(1.0, rel=0.02)
    assert good_fixes([Fix(200.0, LAT, 1.0), Fix(LON, LAT, float("nan"))]) == []


def test_standing_still_is_thinned_and_the_last_point_on_the_first_is_dropped():
    points = [(0, 0), (0.5, 0.5), (1, 0), (10, 0), (10, 10), (0, 10), (0.5, 0.4)]
    assert thin(points, 2.0) == [(0, 0), (10, 0), (10, 10), (0, 10)]
    assert smooth(points[:4]) == points[:4]       # too few points to smooth


def test_too_few_good_fixes_are_refused_with_the_counts():
    fixes = [Fix(LON, LAT, 3.0), Fix(LON + 0.0005, LAT, 3.0), Fix(LON, LAT + 0.0005, 30.0),
             Fix(LON + 0.00001, LAT, 3.0)]
    with pytest.raises(TooFewFixes) as refused:
        walk_polygon(fixes, limit_m=10)
    assert (refused.value.fixes, refused.value.good) == (4, 3)
    assert refused.value.points < MIN_POINTS
    with pytest.raises(TooFewFixes):
        walk_polygon([], limit_m=10)
