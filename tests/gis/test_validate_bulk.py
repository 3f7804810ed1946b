"""`check_features` checks ordinary plots together (gis.bulk); its answer must be
exactly `check_feature`'s, feature by feature."""
import math

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.affinity import scale
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box

import gis.validate
from gis import vietnam
from gis.features import Feature
from gis.measure import area_ha
from gis.validate import Rules, check_feature, check_features

# Places well inside Viet Nam, and corners of its outline (plots there straddle it).
CENTRES = [(106.10, 11.31), (105.85, 21.03), (108.05, 12.67), (105.78, 10.03), (107.58, 16.46)]
BORDER = [tuple(xy) for xy in shapely.get_coordinates(vietnam.VIETNAM.boundary)[::7]]

# Cuts through the plots drawn around the first centre.
PROVINCE = box(106.0, 11.0, 106.105, 11.5)
PROVINCE_WITH_HOLE = Polygon(PROVINCE.exterior, [box(106.09, 11.30, 106.1, 11.32).exterior.coords])
PROVINCE_INVALID = Polygon([(106.0, 11.0), (106.2, 11.6), (106.2, 11.0), (106.0, 11.6)])

RULES = [
    Rules(),
    Rules(area_limits_ha={"Rice": (0.5, 5.0)}),
    Rules(max_vertices=6),
    Rules(repair=True),
    Rules(province=PROVINCE, province_name="Tây Ninh"),
    Rules(province=PROVINCE_WITH_HOLE, area_limits_ha={"rice": (0.1, 3.0)}),
    Rules(province=PROVINCE_INVALID),
]


@st.composite
def places(draw):
    lon, lat = draw(st.sampled_from(CENTRES))
    jitter = st.floats(min_value=-0.02, max_value=0.02)
    return lon + draw(jitter), lat + draw(jitter)


@st.composite
def plots(draw, centre=None):
    """A star-shaped polygon of 0.05 to 10 ha, either way round."""
    lon, lat = centre or draw(places())
    angles = sorted(draw(st.lists(st.floats(min_value=0, max_value=2 * math.pi,
                                            exclude_max=True),
                                  min_size=3, max_size=12, unique=True)))
    radii = draw(st.lists(st.floats(min_value=0.4, max_value=1.0),
                          min_size=len(angles), max_size=len(angles)))
    corners = [(lon + 0.001 * r * math.cos(a), lat + 0.001 * r * math.sin(a))
               for a, r in zip(angles, radii)]
    if draw(st.booleans()):
        corners.reverse()
    plot = Polygon(corners)
    measured = area_ha(plot)
    if measured > 0:
        f = math.sqrt(draw(st.floats(min_value=0.05, max_value=10.0)) / measured)
        plot = scale(plot, f, f, origin=(lon, lat))
    return plot


@st.composite
def odd_geometries(draw):
    """Everything that is not an ordinary plot."""
    lon, lat = draw(places())
    d = 0.001
    plot = draw(plots(centre=(lon, lat)))
    ring = list(plot.exterior.coords)
    kind = draw(st.sampled_from(["bow_tie", "hole", "z", "m", "point", "line", "none",
                                 "swapped", "laos", "utm", "border", "repeated", "two_parts",
                                 "one_part", "mapping", "collinear", "empty"]))
    if kind == "bow_tie":
        return Polygon([(lon, lat), (lon + 2 * d, lat + d), (lon + 2 * d, lat),
                        (lon, lat + 1.5 * d)])
    if kind == "hole":
        return Polygon(box(lon - 2 * d, lat - 2 * d, lon + 2 * d, lat + 2 * d).exterior,
                       [list(box(lon, lat, lon + d / 2, lat + d / 2).exterior.coords)[::-1]])
    if kind == "z":
        return Polygon([(x, y, 7.0) for x, y in ring])
    if kind == "m":
        return shapely.from_wkt("POLYGON M ((" + ", ".join(f"{x!r} {y!r} 1" for x, y in ring)
                                + "))")
    if kind == "point":
        return Point(lon, lat)
    if kind == "line":
        return LineString(ring[:3])
    if kind == "none":
        return None
    if kind == "swapped":
        return Polygon([(y, x) for x, y in ring])
    if kind == "laos":
        return box(102.60, 17.90, 102.601, 17.901)
    if kind == "utm":
        return box(680_000, 1_250_000, 680_100, 1_250_100)
    if kind == "border":
        return draw(plots(centre=draw(st.sampled_from(BORDER))))
    if kind == "repeated":
        return Polygon([ring[0]] + ring[:-1])
    if kind == "two_parts":
        return MultiPolygon([plot, box(lon + 0.02, lat, lon + 0.02 + d, lat + d)])
    if kind == "one_part":
        return MultiPolygon([plot])
    if kind == "mapping":
        return {"type": "Polygon", "coordinates": [[list(p) for p in ring[:-1]]]}
    if kind == "collinear":
        return Polygon([(lon, lat), (lon + d, lat + d), (lon + 2 * d, lat + 2 * d)])
    return Polygon()


def assert_same(fast, slow):
    assert fast.feature is slow.feature
    assert fast.problems == slow.problems
    assert fast.notes == slow.notes
    if slow.geometry is None:
        assert fast.geometry is None
    else:
        assert fast.geometry.geom_type == slow.geometry.geom_type == "MultiPolygon"
        assert shapely.equals_exact(fast.geometry, slow.geometry, tolerance=0)
    for got, want in [(fast.area_ha, slow.area_ha), (fast.perimeter_m, slow.perimeter_m)]:
        if want is None:
            assert got is None
        else:
            assert type(got) is float and got == pytest.approx(want, rel=1e-9)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(plots(), plots(), odd_geometries()), max_size=25),
       st.sampled_from(RULES), st.sampled_from([None, " RICE ", "durian"]))
def test_check_features_says_what_check_feature_says(geometries, rules, crop):
    features = [Feature(i + 1, g, {"name": f"Lô {i + 1}"}) for i, g in enumerate(geometries)]
    checked, _ = check_features(features, rules, crop)
    assert len(checked) == len(features)
    for fast, feature in zip(checked, features):
        assert_same(fast, check_feature(feature, rules, crop))


def test_only_the_unusual_features_take_the_slow_path(monkeypatch):
    square = box(106.10, 11.31, 106.101, 11.311)
    geometries = [square, shapely.reverse(square), MultiPolygon([square]), None,
                  Point(106.1, 11.3), Polygon([(x, y, 1.0) for x, y in square.exterior.coords])]
    features = [Feature(i + 1, g) for i, g in enumerate(geometries)]
    slow = []

    def spy(feature, rules, crop=None):
        slow.append(feature.index)
        return check_feature(feature, rules, crop)

    monkeypatch.setattr(gis.validate, "check_feature", spy)
    checked, _ = check_features(features, Rules(province=PROVINCE))
    assert slow == [4, 5, 6]
    assert [c.ok for c in checked] == [True, True, True, False, False, True]
    assert [[n.code for n in c.notes] for c in checked[:3]] == [[], ["orientation_fixed"], []]


def rotated_rectangles(n, seed=7):
    """`n` rectangles of 0.1–5 ha turned by up to 10°, one per 300 m cell near
    106.0 E, 11.2 N, and their areas in hectares as drawn on a local plane."""
    rng = np.random.default_rng(seed)
    m_lon, m_lat = 111_320.0 * math.cos(math.radians(11.2)), 110_574.0
    area_m2 = rng.uniform(1_000, 50_000, n)
    ratio = rng.uniform(0.6, 1.6, n)
    w, h = np.sqrt(area_m2 * ratio), np.sqrt(area_m2 / ratio)
    turn = np.radians(rng.uniform(-10, 10, n))
    row, col = np.divmod(np.arange(n), math.ceil(math.sqrt(n)))
    cx, cy = col * 300.0 + 150, row * 300.0 + 150
    corners = np.array([(-1, -1), (1, -1), (1, 1), (-1, 1), (-1, -1)]) / 2
    dx, dy = corners[:, 0] * w[:, None], corners[:, 1] * h[:, None]
    x = cx[:, None] + dx * np.cos(turn)[:, None] - dy * np.sin(turn)[:, None]
    y = cy[:, None] + dx * np.sin(turn)[:, None] + dy * np.cos(turn)[:, None]
    rings = np.stack([106.0 + x / m_lon, 11.2 + y / m_lat], axis=-1)
    return list(shapely.polygons(rings)), area_m2 / 10_000


def test_ten_thousand_ordinary_plots_are_all_accepted_with_their_areas(monkeypatch):
    geometries, drawn_ha = rotated_rectangles(10_000)
    features = [Feature(i + 1, g) for i, g in enumerate(geometries)]

    def refuse(*args, **kwargs):
        raise AssertionError("an ordinary plot took the slow path")

    monkeypatch.setattr(gis.validate, "check_feature", refuse)
    checked, file_problems = check_features(features, Rules(area_limits_ha={"rice": (0.05, 10)}),
                                            crop="rice")
    assert file_problems == []
    assert all(c.ok and c.notes == [] for c in checked)
    areas = np.array([c.area_ha for c in checked])
    assert areas == pytest.approx([area_ha(g) for g in geometries], rel=1e-12)
    assert areas == pytest.approx(drawn_ha, rel=0.01)
    assert all(c.geometry.geoms[0].exterior.is_ccw for c in checked)
