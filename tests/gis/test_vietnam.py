"""The coarse outline of Viet Nam: places in it, places clearly not in it, and
places with latitude and longitude swapped."""
import pytest
from shapely.geometry import Point, box

from gis import vietnam

INSIDE = {
    "Hà Nội": (105.854, 21.028),
    "Hồ Chí Minh City": (106.700, 10.776),
    "Phú Quốc": (103.967, 10.227),
    "Côn Đảo": (106.606, 8.682),
    "Tây Ninh": (106.10, 11.31),
    "Mũi Cà Mau": (104.72, 8.56),
    "Lũng Cú": (105.316, 23.392),
    "A Pa Chải": (102.144, 22.40),
    "Móng Cái, Trà Cổ": (108.03, 21.47),
    "Mũi Đôi": (109.46, 12.65),
    "Hà Tiên": (104.48, 10.38),
    "Điện Biên Phủ": (103.02, 21.39),
    "Đà Lạt": (108.44, 11.94),
    "Bạch Long Vĩ": (107.73, 20.13),
    "Lý Sơn": (109.12, 15.38),
    "Phú Quý": (108.93, 10.52),
    "Thổ Chu": (103.47, 9.30),
    "Cồn Cỏ": (107.34, 17.16),
    "Trường Sa": (111.92, 8.64),
    "Hoàng Sa": (111.60, 16.53),
}

OUTSIDE = {
    "Vientiane": (102.60, 17.97),
    "Phnom Penh": (104.92, 11.56),
    "Bangkok": (100.50, 13.75),
    "Nanning": (108.37, 22.82),
    "Manila": (120.98, 14.60),
    "Haikou": (110.33, 20.03),
    "Luang Prabang": (102.13, 19.89),
    # Open sea in the Gulf of Tonkin, over 100 km from Bạch Long Vĩ, the mainland
    # and Hainan. (20.0 N 107.8 E would not do: it is 10 km from Bạch Long Vĩ.)
    "Gulf of Tonkin": (107.30, 19.30),
    "South China Sea, east of Phú Yên": (112.00, 13.00),
    "Gulf of Thailand, west of Thổ Chu": (102.50, 9.00),
}


@pytest.mark.parametrize("place", INSIDE)
def test_places_in_viet_nam_are_inside(place):
    lon, lat = INSIDE[place]
    assert vietnam.contains(Point(lon, lat))


@pytest.mark.parametrize("place", OUTSIDE)
def test_places_elsewhere_are_outside(place):
    lon, lat = OUTSIDE[place]
    assert not vietnam.contains(Point(lon, lat))


@pytest.mark.parametrize("place", INSIDE)
def test_swapped_latitude_longitude_is_outside(place):
    lon, lat = INSIDE[place]
    assert not vietnam.contains(Point(lat, lon))


def test_a_plot_straddling_the_outline_is_not_inside():
    # From Tây Ninh deep into Cambodia: every vertex must be inside.
    assert not vietnam.contains(box(104.9, 11.3, 106.1, 11.31))
    assert vietnam.contains(box(106.09, 11.30, 106.10, 11.31))


def test_outline_is_one_valid_shape_of_plausible_size():
    assert vietnam.VIETNAM.is_valid
    west, south, east, north = vietnam.VIETNAM.bounds
    assert 101.8 < west < 102.2 and 114.8 < east < 115.5
    assert 7.0 < south < 7.6 and 23.5 < north < 23.8


def test_no_positions_is_not_inside():
    assert not vietnam.contains_all([], [])
