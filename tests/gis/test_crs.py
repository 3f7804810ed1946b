"""Coordinate systems checked against values derived without pyproj's datum handling:
the Helmert 7-parameter transformation written out with numpy, and the published table
of provincial TM-3 meridians."""
import math

import numpy as np
import pytest
from pyproj import CRS, Geod, Transformer
from shapely.geometry import Point, Polygon
from vietnam_provinces import Province

from gis.crs import (
    CHOICES,
    OLD_PROVINCE_MERIDIANS,
    VN2000_TO_WGS84,
    choice_label,
    choices_for_province,
    from_wgs84,
    identify,
    likely_zones,
    resolve,
    to_wgs84,
)
from gis.features import GisError

GEOD = Geod(ellps="WGS84")
A = 6378137.0
F = 1 / 298.257223563
E2 = F * (2 - F)
ARCSEC = math.pi / 180 / 3600
TM3 = [c for c in CHOICES if c.meridian is not None]


def geocentric(lon, lat, h=0.0):
    lon, lat = math.radians(lon), math.radians(lat)
    n = A / math.sqrt(1 - E2 * math.sin(lat) ** 2)
    return np.array([(n + h) * math.cos(lat) * math.cos(lon),
                     (n + h) * math.cos(lat) * math.sin(lon),
                     (n * (1 - E2) + h) * math.sin(lat)])


def geodetic(xyz):
    x, y, z = xyz
    p = math.hypot(x, y)
    lat = math.atan2(z, p * (1 - E2))
    for _ in range(10):
        n = A / math.sqrt(1 - E2 * math.sin(lat) ** 2)
        h = p / math.cos(lat) - n
        lat = math.atan2(z, p * (1 - E2 * n / (n + h)))
    return math.degrees(math.atan2(y, x)), math.degrees(lat)


def helmert(lon, lat, convention):
    """VN-2000 -> WGS84 by the decree's parameters, rotations read either way: "coordinate
    frame" (EPSG 9607) or "position vector" (EPSG 9606, what +towgs84 means)."""
    tx, ty, tz, rx, ry, rz, ppm = VN2000_TO_WGS84
    rx, ry, rz = rx * ARCSEC, ry * ARCSEC, rz * ARCSEC
    if convention == "position_vector":
        rx, ry, rz = -rx, -ry, -rz
    rotation = np.array([[1, rz, -ry], [-rz, 1, rx], [ry, -rx, 1]])
    return geodetic(np.array([tx, ty, tz]) + (1 + ppm * 1e-6) * rotation @ geocentric(lon, lat))


def metres(a, b) -> float:
    return GEOD.inv(a[0], a[1], b[0], b[1])[2]


# --- the choices ---------------------------------------------------------------------------

def test_choices_offer_the_systems_people_use_in_order():
    ids = [c.id for c in CHOICES]
    assert ids[:4] == ["EPSG:4326", "EPSG:4756", "EPSG:3405", "EPSG:3406"]
    assert ids[-2:] == ["EPSG:32648", "EPSG:32649"]
    assert len(ids) == len(set(ids))
    assert [c.id for c in TM3] == [f"VN2000:TM3:{m:g}" for m in sorted(OLD_PROVINCE_MERIDIANS)]
    assert "VN2000:TM3:105.5" in ids and "VN2000:TM3:105.75" in ids


def test_every_vn2000_choice_uses_the_decree_transformation_as_coordinate_frame():
    vn2000 = [c for c in CHOICES if c.crs.is_bound]
    assert {c.id for c in CHOICES} - {c.id for c in vn2000} == {"EPSG:4326", "EPSG:32648",
                                                               "EPSG:32649"}
    for choice in vn2000:
        operation = choice.crs.coordinate_operation
        assert operation.method_name == "Coordinate Frame rotation (geog2D domain)"
        assert tuple(p.value for p in operation.params) == VN2000_TO_WGS84


@pytest.mark.parametrize("choice", TM3, ids=lambda c: c.id)
def test_tm3_zones_are_transverse_mercator_on_the_province_meridian(choice):
    projection = choice.crs.source_crs.coordinate_operation
    params = {p.name: p.value for p in projection.params}
    assert projection.method_name == "Transverse Mercator"
    assert params["Longitude of natural origin"] == choice.meridian
    assert params["Scale factor at natural origin"] == 0.9999
    assert (params["False easting"], params["False northing"]) == (500000, 0)
    # On the central meridian the easting is the false easting, whatever the latitude.
    plain = Transformer.from_crs(choice.crs.source_crs.geodetic_crs, choice.crs.source_crs,
                                 always_xy=True)
    easting, northing = plain.transform(choice.meridian, 16.0)
    assert easting == pytest.approx(500000, abs=1e-6) and northing > 1.7e6


# --- the provincial table --------------------------------------------------------------------

def test_the_table_covers_the_63_old_and_34_new_provinces():
    old = [name for provinces in OLD_PROVINCE_MERIDIANS.values() for name in provinces]
    assert len(old) == len(set(old)) == 63
    new = {code for provinces in OLD_PROVINCE_MERIDIANS.values() for code in provinces.values()}
    assert new == {int(p.code) for p in Province.iter_all()}


@pytest.mark.parametrize("province, meridians", [
    (1, {105.0}), (79, {105.75, 107.75}), (80, {105.5, 105.75}), (82, {105.0, 105.75}),
    (68, {107.75, 108.5}), (48, {107.75}), (56, {108.25}), (22, {107.75}), (15, {104.75}),
    (11, {103.0}), (92, {105.0, 105.5}), (91, {104.5, 104.75}), (96, {104.5, 105.0}),
])
def test_known_province_meridians(province, meridians):
    assert {c.meridian for c in choices_for_province(province)} == meridians


def test_labels_name_the_new_provinces():
    labels = {c.id: c.label for c in CHOICES}
    assert labels["VN2000:TM3:105.75"].startswith("VN-2000 / TM-3 105°45′ (")
    assert "Hồ Chí Minh" in labels["VN2000:TM3:105.75"]
    assert "Tây Ninh" in labels["VN2000:TM3:105.5"]
    assert "Lâm Đồng" in labels["VN2000:TM3:107.75"] and "Đà Nẵng" in labels["VN2000:TM3:107.75"]
    assert "Tiền Giang" not in " ".join(labels.values())  # old names are gone
    assert choice_label("VN2000:TM3:104.5") == labels["VN2000:TM3:104.5"]
    assert choice_label("EPSG:2154") == "RGF93 v1 / Lambert-93"


# --- transformations -------------------------------------------------------------------------

@pytest.mark.parametrize("choice", TM3, ids=lambda c: c.id)
def test_wgs84_to_each_tm3_zone_and_back_within_a_millimetre(choice):
    start = Point(choice.meridian + 0.6, 16.0)
    back = to_wgs84(from_wgs84(start, choice.id), choice.id)
    assert metres((start.x, start.y), (back.x, back.y)) < 1e-3


@pytest.mark.parametrize("lon, lat", [(105.85, 21.03), (106.7, 10.77), (105.5, 10.0),
                                      (108.2, 16.05)])
def test_vn2000_to_wgs84_matches_an_independent_helmert(lon, lat):
    """Within 1 cm of the numpy Helmert in the coordinate-frame convention, everywhere:
    (105.5, 10.0) is in the Mekong delta, where PROJ on its own would switch to another
    transformation."""
    moved = to_wgs84(Point(lon, lat), "EPSG:4756")
    expected = helmert(lon, lat, "coordinate_frame")
    assert metres((moved.x, moved.y), expected) < 0.01
    assert 150 < metres((lon, lat), expected) < 300  # VN-2000 sits ~200 m off WGS84
    assert metres(expected, helmert(lon, lat, "position_vector")) > 0.3  # the test can tell


def test_tm3_to_wgs84_is_the_projection_then_the_same_helmert():
    corner = (600990.0, 1189960.0)
    lon, lat = Transformer.from_crs(CRS.from_epsg(9210), CRS.from_epsg(4756),
                                    always_xy=True).transform(*corner)
    moved = to_wgs84(Point(corner), "VN2000:TM3:105.75")
    assert metres((moved.x, moved.y), helmert(lon, lat, "coordinate_frame")) < 0.01


def test_z_is_carried_and_none_stays_none():
    moved = to_wgs84(Polygon([(600990, 1189960, 3), (601000, 1189960, 3), (601000, 1189970, 3)]),
                     "VN2000:TM3:105.75")
    assert moved.has_z and {c[2] for c in moved.exterior.coords} == {3.0}
    assert to_wgs84(None, "VN2000:TM3:105.75") is None


# --- identifying and resolving ----------------------------------------------------------------

ESRI_TM3 = ('PROJCS["VN_2000_KTT_105_45_mui_3",GEOGCS["GCS_VN_2000",DATUM["D_Vietnam_2000",'
            'SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],'
            'UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],'
            'PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],'
            'PARAMETER["Central_Meridian",105.75],PARAMETER["Scale_Factor",0.9999],'
            'PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]')


@pytest.mark.parametrize("definition, expected", [
    ("EPSG:9210", "VN2000:TM3:105.75"), (ESRI_TM3, "VN2000:TM3:105.75"),
    ("EPSG:5897", "VN2000:TM3:105"), ("EPSG:3405", "EPSG:3405"), ("EPSG:4326", "EPSG:4326"),
    ("EPSG:2154", "EPSG:2154"),
])
def test_identify_maps_file_crs_to_our_choices(definition, expected):
    assert identify(CRS.from_user_input(definition)) == expected


def test_a_file_crs_with_its_own_towgs84_keeps_it():
    own = CRS.from_proj4("+proj=tmerc +lon_0=105.75 +k=0.9999 +x_0=500000 +ellps=WGS84 "
                         "+towgs84=-191.90441429,-39.30318279,-111.45032835,-0.00928836,"
                         "0.01975479,-0.00427372,0.252906278 +units=m")
    crs_id = identify(own)
    assert crs_id.startswith("BOUNDCRS")
    moved, ours = to_wgs84(Point(600990, 1189960), crs_id), to_wgs84(Point(600990, 1189960),
                                                                        "VN2000:TM3:105.75")
    assert 0.3 < metres((moved.x, moved.y), (ours.x, ours.y)) < 3


def test_unknown_crs_is_a_problem():
    with pytest.raises(GisError) as error:
        resolve("VN2000:TM3:99")
    assert error.value.problems[0].code == "crs_unknown"
    assert error.value.problems[0].params == {"crs": "VN2000:TM3:99"}


# --- guessing zones --------------------------------------------------------------------------

def test_likely_zones_put_the_data_in_viet_nam():
    bounds = (600990, 1189960, 601040, 1190010)  # Thủ Đức in TM-3 105°45'
    zones = likely_zones(bounds)
    assert "VN2000:TM3:105.75" in [z.id for z in zones]
    for zone in zones:
        centre = to_wgs84(Point(601015, 1189985), zone.id)
        assert 102.1 <= centre.x <= 109.5 and 8.4 <= centre.y <= 23.4
    assert "EPSG:3406" not in [z.id for z in zones]  # UTM 49N would put it in the sea, far east


def test_likely_zones_prefer_utm_when_no_tm3_zone_is_that_wide():
    zones = [z.id for z in likely_zones((200000, 1200000, 200100, 1200100))]
    assert zones[:2] == ["EPSG:3405", "EPSG:3406"]


@pytest.mark.parametrize("bounds", [(106.1, 10.2, 106.2, 10.3), (5e6, 5e6, 5.1e6, 5.1e6)])
def test_no_likely_zone_for_degrees_or_numbers_from_elsewhere(bounds):
    assert likely_zones(bounds) == []
