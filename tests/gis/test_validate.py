"""Checks on plots' polygons, on geometries whose right answer is known."""
import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from shapely.geometry import (GeometryCollection, LineString, MultiPolygon, Point, Polygon,
                              box)

from gis.features import Feature
from gis.measure import area_ha
from gis.validate import Rules, check_feature, check_features

# A field near Tây Ninh city; about 110 m x 109 m (1.2 ha).
X0, Y0 = 106.10, 11.31
D = 0.001
SQUARE = [(X0, Y0), (X0 + D, Y0), (X0 + D, Y0 + D), (X0, Y0 + D)]
RULES = Rules()


def check(geometry, rules=RULES, crop=None, name="Lô 7"):
    return check_feature(Feature(3, geometry, {"name": name}), rules, crop)


def codes(items):
    return [p.code for p in items]


def test_a_clean_square_is_accepted_as_it_is():
    result = check(Polygon(SQUARE))
    assert result.ok and result.notes == []
    assert isinstance(result.geometry, MultiPolygon)
    assert result.area_ha == pytest.approx(area_ha(Polygon(SQUARE)))
    assert result.perimeter_m == pytest.approx(4 * 109, rel=0.02)


def test_no_geometry_and_empty_geometry():
    assert codes(check(None).problems) == ["no_geometry"]
    assert codes(check(Polygon()).problems) == ["empty_geometry"]


def test_a_point_is_refused_saying_what_it_is():
    result = check(Point(X0, Y0))
    assert codes(result.problems) == ["point_not_polygon"]
    assert result.geometry is None and result.area_ha is None
    problem = result.problems[0]
    assert problem.feature == 3 and problem.name == "Lô 7"
    assert str(problem).startswith("Feature 3 (Lô 7): is a point, not a polygon")


def test_a_line_is_refused_saying_what_it_is():
    result = check(LineString(SQUARE))
    assert codes(result.problems) == ["line_not_polygon"]
    assert "is a line, not a polygon" in result.problems[0].message
    assert result.problems[0].params == {"geom_type": "LineString"}


def test_a_collection_of_polygons_becomes_one_multipolygon():
    second = box(X0 + 2 * D, Y0, X0 + 3 * D, Y0 + D)
    result = check(GeometryCollection([Polygon(SQUARE), second]))
    assert result.ok
    assert len(result.geometry.geoms) == 2
    assert result.area_ha == pytest.approx(area_ha(Polygon(SQUARE)) + area_ha(second))


def test_a_collection_with_a_point_is_refused():
    result = check(GeometryCollection([Polygon(SQUARE), Point(X0, Y0)]))
    assert codes(result.problems) == ["collection_not_polygon"]


def test_heights_are_dropped_with_a_note():
    result = check(Polygon([(x, y, 12.5) for x, y in SQUARE]))
    assert result.ok and codes(result.notes) == ["z_dropped"]
    assert not result.geometry.has_z


def test_google_earth_zero_heights_are_dropped_without_a_note():
    result = check(Polygon([(x, y, 0.0) for x, y in SQUARE]))
    assert result.ok and codes(result.notes) == []
    assert not result.geometry.has_z


def test_a_repeated_vertex_is_removed_with_a_note():
    ring = [SQUARE[0], SQUARE[1], SQUARE[1], SQUARE[2], SQUARE[3]]
    result = check(Polygon(ring))
    assert result.ok and codes(result.notes) == ["duplicate_vertices_removed"]
    assert result.notes[0].params == {"count": 1}
    assert len(result.geometry.geoms[0].exterior.coords) == 5


def test_an_open_ring_as_read_is_closed_with_a_note():
    mapping = {"type": "Polygon", "coordinates": [[list(p) for p in SQUARE]]}
    result = check(mapping)
    assert result.ok and codes(result.notes) == ["ring_closed"]
    ring = result.geometry.geoms[0].exterior.coords
    assert ring[0] == ring[-1] and len(ring) == 5


def test_a_ring_with_two_distinct_corners_is_refused():
    mapping = {"type": "Polygon", "coordinates": [[[X0, Y0], [X0 + D, Y0], [X0 + D, Y0], [X0, Y0]]]}
    result = check(mapping)
    assert codes(result.problems) == ["too_few_corners"]
    assert result.problems[0].params == {"corners": 2}


def test_collinear_corners_enclose_no_area():
    result = check(Polygon([(X0, Y0), (X0 + D, Y0), (X0 + 2 * D, Y0)]))
    assert codes(result.problems) == ["no_area"]


def test_a_clockwise_exterior_is_turned_counterclockwise():
    result = check(Polygon(list(reversed(SQUARE))))
    assert result.ok and codes(result.notes) == ["orientation_fixed"]
    assert result.geometry.geoms[0].exterior.is_ccw


def test_a_hole_is_turned_clockwise():
    hole = [(X0 + 0.0002, Y0 + 0.0002), (X0 + 0.0004, Y0 + 0.0002), (X0 + 0.0004, Y0 + 0.0004),
            (X0 + 0.0002, Y0 + 0.0004)]                       # counterclockwise: wrong for a hole
    result = check(Polygon(SQUARE, [hole]))
    assert codes(result.notes) == ["orientation_fixed"]
    polygon = result.geometry.geoms[0]
    assert polygon.exterior.is_ccw and not polygon.interiors[0].is_ccw


BOW_TIE = Polygon([(X0, Y0), (X0 + 2 * D, Y0 + D), (X0 + 2 * D, Y0), (X0, Y0 + 1.5 * D)])


def test_a_bow_tie_is_refused_as_self_intersecting():
    result = check(BOW_TIE)
    assert codes(result.problems) == ["self_intersection"]
    assert result.geometry is None
    params = result.problems[0].params
    assert params["reason"] == "Self-intersection"
    # The edges cross where x = 2D·1.5/2.5 from X0 (similar triangles).
    assert params["lon"] == pytest.approx(X0 + 1.2 * D, abs=1e-6)
    assert params["lat"] == pytest.approx(Y0 + 0.6 * D, abs=1e-6)


def test_a_bow_tie_is_repaired_on_request_with_the_area_change():
    result = check(BOW_TIE, Rules(repair=True))
    assert result.ok
    assert result.geometry.is_valid and len(result.geometry.geoms) == 2
    assert codes(result.notes) == ["repaired_split"]
    params = result.notes[0].params
    assert params["parts"] == 2
    assert params["after_ha"] == pytest.approx(result.area_ha, abs=1e-4)
    # The two triangles: bases 1.5D and D on the meridians, apexes at x = 1.2D, 0.8D.
    lobes = Polygon([(X0, Y0), (X0 + 1.2 * D, Y0 + 0.6 * D), (X0, Y0 + 1.5 * D)]).union(
        Polygon([(X0 + 2 * D, Y0), (X0 + 2 * D, Y0 + D), (X0 + 1.2 * D, Y0 + 0.6 * D)]))
    assert result.area_ha == pytest.approx(area_ha(lobes), rel=1e-6)
    assert params["change_pct"] > 1


def test_a_small_fix_is_reported_as_a_plain_repair():
    # A square whose boundary touches itself at a corner of a thin notch: repair
    # keeps one polygon and almost all of its area.
    ring = [(X0, Y0), (X0 + D, Y0), (X0 + D, Y0 + D), (X0 + 0.5 * D, Y0 + D),
            (X0 + 0.5 * D, Y0 + 0.99 * D), (X0 + 0.51 * D, Y0 + D), (X0, Y0 + D)]
    result = check(Polygon(ring), Rules(repair=True))
    assert result.ok and codes(result.notes) == ["repaired"]
    assert result.notes[0].params["change_pct"] < 1 and result.notes[0].params["parts"] == 1


def test_a_ring_touching_itself_is_named_so():
    ring = [(X0, Y0), (X0 + 2 * D, Y0), (X0 + 2 * D, Y0 + 2 * D), (X0 + D, Y0), (X0, Y0 + 2 * D)]
    assert codes(check(Polygon(ring)).problems) == ["ring_self_intersection"]


def test_a_hole_outside_the_shell_is_named_so():
    hole = [(X0 + 2 * D, Y0), (X0 + 3 * D, Y0), (X0 + 3 * D, Y0 + D)]
    assert codes(check(Polygon(SQUARE, [hole])).problems) == ["hole_outside_shell"]


def test_swapped_coordinates_of_a_tay_ninh_field_are_recognised():
    swapped = Polygon([(y, x) for x, y in SQUARE])
    result = check(swapped)
    assert codes(result.problems) == ["coordinates_swapped"]
    assert result.geometry is None
    assert result.problems[0].params == {"x": Y0, "y": X0}


def test_utm_coordinates_look_projected():
    utm = box(680_000, 1_250_000, 680_100, 1_250_100)          # zone 48N, metres
    result = check(utm)
    assert codes(result.problems) == ["coordinates_projected"]
    assert result.area_ha is None


def test_a_field_in_laos_is_outside_viet_nam_with_its_centre():
    field = box(102.60, 17.90, 102.601, 17.901)
    result = check(field)
    assert codes(result.problems) == ["outside_vietnam"]
    assert result.problems[0].params == {"lon": 102.6005, "lat": 17.9005}


def test_a_six_hectare_rice_plot_is_too_large():
    side = math.sqrt(6.0 / area_ha(Polygon(SQUARE)))           # scale 1.2 ha to 6 ha
    plot = box(X0, Y0, X0 + side * D, Y0 + side * D)
    assert area_ha(plot) == pytest.approx(6.0, rel=1e-3)
    rules = Rules(area_limits_ha={"Rice": (0.1, 5)})
    result = check(plot, rules, crop="  RICE ")
    assert codes(result.problems) == ["area_too_large"]
    params = result.problems[0].params
    assert params["limit_ha"] == 5 and params["crop"] == "RICE"
    assert params["area_ha"] == pytest.approx(6.0, rel=1e-3)
    assert check(plot, rules, crop="durian").ok                 # default limits apply


def test_a_tiny_plot_is_too_small_by_default():
    tiny = box(X0, Y0, X0 + 0.00005, Y0 + 0.00005)                # about 30 m²
    result = check(tiny)
    assert codes(result.problems) == ["area_too_small"]
    assert 0 < result.problems[0].params["area_ha"] < 0.01
    assert result.problems[0].params["crop"] == "any crop"


def test_too_many_vertices():
    circle = Point(X0, Y0).buffer(0.001, quad_segs=64)            # 256 corners
    result = check(circle, Rules(max_vertices=100))
    assert codes(result.problems) == ["too_many_vertices"]
    assert result.problems[0].params == {"count": 256, "limit": 100}
    assert check(circle, Rules(max_vertices=256)).ok


PROVINCE = box(106.0, 11.0, X0 + 0.5 * D, 11.5)                  # ends halfway through SQUARE


def test_a_plot_half_outside_the_province_is_refused():
    result = check(Polygon(SQUARE), Rules(province=PROVINCE, province_name="Tây Ninh"))
    assert codes(result.problems) == ["outside_province"]
    params = result.problems[0].params
    assert params["outside_pct"] == pytest.approx(50, abs=0.5)
    assert params["province"] == "Tây Ninh"


def test_a_plot_a_few_metres_over_the_province_boundary_is_accepted():
    # 0.0003° is about 33 m: 30 % of the area, but within the 50 m tolerance.
    province = box(106.0, 11.0, X0 + 0.7 * D, 11.5)
    assert check(Polygon(SQUARE), Rules(province=province)).ok
    assert check(Polygon(SQUARE), Rules(province=box(106.0, 11.0, 106.2, 11.5))).ok


def test_check_features_reports_file_level_problems():
    features = [Feature(1, Point(X0, Y0)), Feature(2, Point(X0, Y0 + D)),
                Feature(3, Polygon(SQUARE)), Feature(4, None)]
    checked, file_problems = check_features(features, RULES)
    assert [c.ok for c in checked] == [False, False, True, False]
    assert codes(file_problems) == ["mixed_geometry_types"]
    assert file_problems[0].params == {"types": "2 Point, 1 Polygon"}
    assert codes(check_features([], RULES)[1]) == ["no_features"]
    only_polygons = [Feature(1, Polygon(SQUARE)), Feature(2, MultiPolygon([Polygon(SQUARE)]))]
    assert check_features(only_polygons, RULES)[1] == []


# Places well inside Viet Nam to draw random plots around.
CENTRES = [(106.10, 11.31), (105.85, 21.03), (108.05, 12.67), (105.78, 10.03), (107.58, 16.46)]


@st.composite
def convex_plots(draw):
    lon, lat = draw(st.sampled_from(CENTRES))
    radius = draw(st.floats(min_value=0.0005, max_value=0.01))          # ~55 m to 1.1 km
    angles = sorted(draw(st.lists(st.floats(min_value=0, max_value=2 * math.pi,
                                            exclude_max=True),
                                  min_size=4, max_size=12, unique=True)))
    corners = [(lon + radius * math.cos(a), lat + radius * math.sin(a)) for a in angles]
    return Polygon(corners)


@settings(max_examples=60, deadline=None)
@given(convex_plots())
def test_any_valid_convex_plot_in_viet_nam_is_accepted_with_its_area(plot):
    assume(plot.is_valid and plot.area > 1e-10)
    result = check(plot, Rules(default_area_limits_ha=(0.0, 1e9)))
    assert result.ok, result.problems
    assert result.area_ha == pytest.approx(area_ha(plot), rel=1e-9)
