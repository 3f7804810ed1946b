"""Where Viet Nam is, roughly: the outline behind the "inside Viet Nam" check.

The outline is deliberately coarse. It was authored by hand from well-known points
(border crossings, capes, river mouths, coastal towns) with a few dozen vertices,
then widened by about 20 km on every side, and the inhabited islands and the Hoàng
Sa and Trường Sa archipelagos were added as generous boxes. Its only job is to catch
plots that are nowhere near Viet Nam: a file in the wrong coordinate zone, or
latitude and longitude written in the wrong order. It says nothing about borders:
near a border a plot in a neighbouring country passes this check, and that is the
job of the province boundary, which is the precise check whenever one is loaded.
"""
from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import Polygon, box
from shapely.geometry.base import BaseGeometry

# (longitude, latitude), counterclockwise from the Viet Nam–Laos–China tripoint.
_MAINLAND = [
    # Laos, from A Pa Chải south to the Indochina tripoint
    (102.144, 22.400), (102.30, 22.10), (102.62, 21.72), (102.87, 21.40),
    (102.96, 21.22), (103.15, 20.95), (103.55, 20.85), (104.10, 20.75),
    (104.44, 20.76), (104.38, 20.45), (104.82, 19.89), (104.18, 19.62),
    (103.89, 19.27), (104.45, 19.08), (105.09, 18.67), (105.37, 18.38),
    (105.72, 17.70), (105.92, 17.49), (106.25, 17.20), (106.55, 16.95),
    (106.56, 16.60), (107.00, 16.25), (107.31, 15.91), (107.45, 15.55),
    (107.56, 15.20), (107.55, 14.69),
    # Cambodia, from the tripoint south and west to Hà Tiên
    (107.38, 14.20), (107.48, 13.80), (107.61, 13.54), (107.50, 12.95),
    (107.57, 12.55), (107.49, 12.34), (107.10, 12.15), (106.80, 12.02),
    (106.45, 11.95), (106.25, 11.80), (105.98, 11.77), (105.85, 11.65),
    (105.82, 11.55), (105.85, 11.25), (106.10, 11.15), (106.17, 11.07),
    (106.25, 10.96), (105.85, 10.92), (105.50, 10.95), (105.18, 10.95),
    (105.05, 10.95), (105.08, 10.72), (104.95, 10.58), (104.45, 10.42),
    # the Gulf of Thailand coast, Hà Tiên to Mũi Cà Mau
    (104.60, 10.25), (104.92, 10.18), (105.08, 10.00), (104.85, 9.40),
    (104.83, 9.04), (104.72, 8.56),
    # the East Sea coast, Mũi Cà Mau to Móng Cái
    (104.95, 8.62), (105.25, 8.85), (105.42, 9.03), (105.75, 9.20), (105.98, 9.30),
    (106.20, 9.50), (106.50, 9.60), (106.60, 10.00), (106.78, 10.33),
    (107.08, 10.33), (107.55, 10.55), (107.98, 10.70), (108.30, 10.93),
    (108.55, 11.18), (109.02, 11.37), (109.03, 11.60), (109.20, 11.90),
    (109.22, 12.25), (109.46, 12.65), (109.33, 13.10), (109.25, 13.77),
    (108.95, 14.65), (108.88, 15.20), (108.60, 15.55), (108.35, 15.88),
    (108.33, 16.12), (108.05, 16.25), (107.62, 16.57), (107.10, 17.02),
    (106.62, 17.47), (106.42, 18.08), (105.95, 18.40), (105.72, 18.82),
    (105.80, 19.30), (105.90, 19.75), (106.15, 19.95), (106.45, 20.20),
    (106.60, 20.35), (106.80, 20.72), (107.05, 20.93), (107.30, 21.00),
    (107.40, 21.25), (107.70, 21.38), (108.03, 21.47),
    # China, from Trà Cổ west to A Pa Chải
    (107.97, 21.54), (107.75, 21.62), (107.40, 21.66), (106.95, 21.80),
    (106.70, 22.02), (106.57, 22.45), (106.75, 22.65), (106.72, 22.86),
    (106.30, 22.88), (105.85, 22.95), (105.55, 23.15), (105.316, 23.392),
    (105.05, 23.20), (104.85, 22.93), (104.45, 22.75), (104.12, 22.80),
    (103.97, 22.51), (103.35, 22.80), (102.72, 22.72), (102.40, 22.63),
]

# Boxes (west, south, east, north) around island groups off the coast. They are
# widened less than the mainland: Phú Quốc lies a few kilometres off Cambodia.
_ISLANDS = {
    "Phú Quốc and An Thới": (103.83, 9.85, 104.10, 10.48),
    "Thổ Chu": (103.44, 9.26, 103.52, 9.34),
    "Nam Du and Hải Tặc": (104.30, 9.60, 104.70, 10.30),
    "Côn Đảo": (106.52, 8.62, 106.72, 8.80),
    "Phú Quý": (108.90, 10.48, 108.97, 10.56),
    "Lý Sơn": (109.08, 15.36, 109.16, 15.40),
    "Cồn Cỏ": (107.32, 17.14, 107.36, 17.18),
    "Cát Bà, Vân Đồn and Cô Tô": (106.90, 20.70, 107.90, 21.30),
    "Bạch Long Vĩ": (107.70, 20.11, 107.75, 20.15),
    "Hoàng Sa": (111.10, 15.70, 112.80, 17.20),
    "Trường Sa": (111.50, 7.50, 115.00, 11.60),
}

# About 20 km at these latitudes (a degree of latitude is about 110.6 km), and
# about 9 km around the island boxes.
_MARGIN_DEG = 0.18
_ISLAND_MARGIN_DEG = 0.08


def _outline() -> BaseGeometry:
    parts = [Polygon(_MAINLAND).buffer(_MARGIN_DEG, quad_segs=4)]
    parts += [box(*bounds).buffer(_ISLAND_MARGIN_DEG, quad_segs=4) for bounds in _ISLANDS.values()]
    shape = shapely.union_all(parts)
    shapely.prepare(shape)
    return shape


VIETNAM: BaseGeometry = _outline()


def contains_all(xs, ys) -> bool:
    """Whether every position (longitude xs, latitude ys, in degrees) is inside the
    coarse outline. Works on the raw vertices, so it also answers for geometries
    that are not valid."""
    xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    return bool(xs.size) and bool(np.all(shapely.contains_xy(VIETNAM, xs, ys)))


def contains(geom: BaseGeometry) -> bool:
    """Whether every vertex of `geom` (WGS84 longitude, latitude) is inside the
    coarse outline of Viet Nam."""
    coords = shapely.get_coordinates(geom)
    return contains_all(coords[:, 0], coords[:, 1])
