"""Coordinate systems people in Viet Nam draw plots in, and the way from each to WGS84.

Every VN-2000 choice (geographic, UTM 48N/49N and each provincial TM-3 zone) is bound to
the one official 7-parameter transformation of Decision 05/2007/QĐ-BTNMT. It is bound
explicitly because PROJ, left to itself, picks per point between that transformation and
an older academic one (EPSG:5194, "Used by Total in Mekong delta") whose area of use covers
the Mekong delta, so two plots a street apart could be shifted differently.

The rotations are applied with the coordinate-frame convention, as EPSG records the decree's
parameters (EPSG:6960, information source: Department of Survey and Mapping). Some
hand-written PROJ strings in circulation use the same numbers in `+towgs84`, which PROJ
reads with the opposite (position-vector) convention; the two differ by about a metre.
A file whose own CRS carries an explicit TOWGS84 keeps it: we do what the file says.

Problem codes raised here:
- crs_unknown: "%(crs)s is not a coordinate system we know."
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from shapely.geometry.base import BaseGeometry
from vietnam_provinces import Province

from gis.features import GisError, problem

WGS84_ID = "EPSG:4326"

# Rough bounding box of Viet Nam's land (lon/lat), used to tell which zone puts a file there.
VIETNAM_BOUNDS = (102.1, 8.4, 109.5, 23.4)

# Decision 05/2007/QĐ-BTNMT: VN-2000 -> WGS84, metres, arc-seconds, parts per million.
VN2000_TO_WGS84 = (-191.90441429, -39.30318279, -111.45032835,
                   -0.00928836, 0.01975479, -0.00427372, 0.252906278)

# Central meridian of each of the 63 provinces in force until 30 June 2025, from Circular
# 973/2001/TT-TCĐC (appendix "kinh tuyến trục theo tỉnh"), cross-checked against the areas of
# use of EPSG:5897-5899 and EPSG:9205-9218 (EPSG dataset v11, source: Department of Survey
# and Mapping). The number after each old province is the code of the province it belongs
# to since 1 July 2025 (Resolution 202/2025/QH15; codes as in the `vietnam_provinces`
# package), so a merged province is listed under every meridian it inherited.
OLD_PROVINCE_MERIDIANS: dict[float, dict[str, int]] = {
    103.00: {"Lai Châu": 12, "Điện Biên": 11},
    104.00: {"Sơn La": 14},
    104.50: {"Kiên Giang": 91, "Cà Mau": 96},
    104.75: {"Lào Cai": 15, "Yên Bái": 15, "Phú Thọ": 25, "Nghệ An": 40, "An Giang": 91},
    105.00: {"Hà Nội": 1, "Vĩnh Phúc": 25, "Hà Nam": 37, "Ninh Bình": 37, "Thanh Hóa": 38,
             "Đồng Tháp": 82, "Cần Thơ": 92, "Hậu Giang": 92, "Bạc Liêu": 96},
    105.50: {"Hà Giang": 8, "Bắc Ninh": 24, "Hải Dương": 31, "Hưng Yên": 33, "Thái Bình": 33,
             "Nam Định": 37, "Hà Tĩnh": 42, "Tây Ninh": 80, "Vĩnh Long": 86, "Trà Vinh": 86,
             "Sóc Trăng": 92},
    105.75: {"Cao Bằng": 4, "Hải Phòng": 31, "Hồ Chí Minh": 79, "Bình Dương": 79,
             "Long An": 80, "Tiền Giang": 82, "Bến Tre": 86},
    106.00: {"Tuyên Quang": 8, "Hòa Bình": 25, "Quảng Bình": 44},
    106.25: {"Quảng Trị": 44, "Bình Phước": 75},
    106.50: {"Thái Nguyên": 19, "Bắc Kạn": 19},
    107.00: {"Bắc Giang": 24, "Thừa Thiên Huế": 46},
    107.25: {"Lạng Sơn": 20},
    107.50: {"Kon Tum": 51},
    107.75: {"Quảng Ninh": 22, "Đà Nẵng": 48, "Quảng Nam": 48, "Lâm Đồng": 68,
             "Đồng Nai": 75, "Bà Rịa - Vũng Tàu": 79},
    108.00: {"Quảng Ngãi": 51},
    108.25: {"Bình Định": 52, "Khánh Hòa": 56, "Ninh Thuận": 56},
    108.50: {"Gia Lai": 52, "Đắk Lắk": 66, "Phú Yên": 66, "Đắk Nông": 68, "Bình Thuận": 68},
}

# The EPSG code registered for each TM-3 meridian: the choice is that CRS, re-bound.
_TM3_EPSG = {103.00: 9205, 104.00: 9206, 104.50: 9207, 104.75: 9208, 105.00: 5897,
             105.50: 9209, 105.75: 9210, 106.00: 9211, 106.25: 9212, 106.50: 9213,
             107.00: 9214, 107.25: 9215, 107.50: 9216, 107.75: 5899, 108.00: 5898,
             108.25: 9217, 108.50: 9218}


@dataclass(frozen=True)
class CrsChoice:
    """A coordinate system offered to users. `crs` is ready to transform to WGS84;
    `provinces` are the (post-2025) province codes using a TM-3 zone, `epsg` the
    registered code the choice stands for."""
    id: str
    label: str
    crs: CRS
    provinces: tuple[int, ...] = ()
    meridian: float | None = None
    epsg: int | None = None


def _arcsec(value: float) -> dict:
    return {"value": value, "unit": {"type": "AngularUnit", "name": "arc-second",
                                     "conversion_factor": math.pi / 180 / 3600}}


def _on_vn2000(crs: CRS) -> bool:
    # ESRI writes the datum "D_Vietnam_2000", EPSG "Vietnam 2000", old GDAL "Vietnam_2000".
    name = (crs.datum.name if crs.datum else "").lower().replace("_", " ")
    return "vietnam 2000" in name or "vn 2000" in name or "vn-2000" in name


def bind_vn2000(crs: CRS) -> CRS:
    """`crs` tied to the official VN-2000 -> WGS84 transformation when it is on the
    VN-2000 datum and says nothing itself about how to reach WGS84."""
    if crs.is_bound or not _on_vn2000(crs):
        return crs
    tx, ty, tz, rx, ry, rz, ds = VN2000_TO_WGS84
    names = ("X-axis translation", "Y-axis translation", "Z-axis translation",
             "X-axis rotation", "Y-axis rotation", "Z-axis rotation", "Scale difference")
    values = ({"value": tx, "unit": "metre"}, {"value": ty, "unit": "metre"},
              {"value": tz, "unit": "metre"}, _arcsec(rx), _arcsec(ry), _arcsec(rz),
              {"value": ds, "unit": {"type": "ScaleUnit", "name": "parts per million",
                                     "conversion_factor": 1e-6}})
    return CRS.from_json_dict({
        "type": "BoundCRS",
        "source_crs": crs.to_json_dict(),
        "target_crs": CRS.from_epsg(4326).to_json_dict(),
        "transformation": {
            "name": "VN-2000 to WGS 84 (Decision 05/2007/QĐ-BTNMT)",
            "method": {"name": "Coordinate Frame rotation (geog2D domain)",
                       "id": {"authority": "EPSG", "code": 9607}},
            "parameters": [{"name": n, **v} for n, v in zip(names, values, strict=True)],
        },
    })


def degrees_minutes(meridian: float) -> str:
    """105.75 as 105°45′, the way a TM-3 zone is named."""
    degrees, minutes = divmod(round(meridian * 60), 60)
    return f"{degrees}°{minutes:02d}′"


def _short_name(name: str) -> str:
    return name.removeprefix("Thành phố ").removeprefix("Tỉnh ")


def _tm3_choices() -> list[CrsChoice]:
    names = {int(p.code): _short_name(p.name) for p in Province.iter_all()}
    choices = []
    for meridian, old in OLD_PROVINCE_MERIDIANS.items():
        codes = tuple(sorted(set(old.values())))
        label = f"VN-2000 / TM-3 {degrees_minutes(meridian)} ({', '.join(names[c] for c in codes)})"
        epsg = _TM3_EPSG[meridian]
        choices.append(CrsChoice(f"VN2000:TM3:{meridian:g}", label,
                                 bind_vn2000(CRS.from_epsg(epsg)), codes, meridian, epsg))
    return choices


def _epsg_choice(code: int, label: str) -> CrsChoice:
    return CrsChoice(f"EPSG:{code}", label, bind_vn2000(CRS.from_epsg(code)), epsg=code)


CHOICES: list[CrsChoice] = [
    _epsg_choice(4326, "WGS 84 (GPS, longitude/latitude)"),
    _epsg_choice(4756, "VN-2000 (longitude/latitude)"),
    _epsg_choice(3405, "VN-2000 / UTM zone 48N"),
    _epsg_choice(3406, "VN-2000 / UTM zone 49N"),
    *_tm3_choices(),
    _epsg_choice(32648, "WGS 84 / UTM zone 48N (GPS)"),
    _epsg_choice(32649, "WGS 84 / UTM zone 49N (GPS)"),
]
_BY_ID = {c.id: c for c in CHOICES}
_BY_EPSG = {c.epsg: c for c in CHOICES}


def choices_for_province(code: int) -> list[CrsChoice]:
    """The TM-3 zones used in a (post-2025) province, usually one, several for a merged one."""
    return [c for c in CHOICES if code in c.provinces]


def choice_label(crs_id: str) -> str:
    """What to show a person for a CRS id: the choice's label, else the CRS's own name."""
    if crs_id in _BY_ID:
        return _BY_ID[crs_id].label
    try:
        return resolve(crs_id).name
    except GisError:
        return crs_id


@lru_cache(maxsize=128)
def resolve(crs_id: str) -> CRS:
    """The CRS behind a choice id, an "EPSG:nnnn" code or any definition pyproj reads
    (WKT, PROJJSON), VN-2000 ones bound to the official transformation."""
    if crs_id in _BY_ID:
        return _BY_ID[crs_id].crs
    return bind_vn2000(parse(crs_id))


def parse(definition: str) -> CRS:
    """The CRS a definition (code, WKT, PROJ string) names, as written, unbound."""
    try:
        return CRS.from_user_input(definition)
    except CRSError:
        raise GisError(problem("crs_unknown", "%(crs)s is not a coordinate system we know.",
                               crs=definition)) from None


def _tm3_meridian(crs: CRS) -> float | None:
    """The central meridian when `crs` is a VN-2000 TM-3 zone however it was written
    (EPSG code, ESRI .prj, PROJ string)."""
    base = crs.source_crs if crs.is_bound else crs
    if not base.is_projected or not _on_vn2000(base):
        return None
    params = {p.name: p.value for p in base.coordinate_operation.params}
    tm3 = (base.coordinate_operation.method_name == "Transverse Mercator"
           and math.isclose(params.get("Scale factor at natural origin", 0), 0.9999)
           and params.get("False easting") == 500000 and not params.get("False northing"))
    meridian = params.get("Longitude of natural origin")
    return meridian if tm3 and meridian in OLD_PROVINCE_MERIDIANS else None


def identify(crs: CRS) -> str:
    """The id to report for a CRS read from a file: a choice id when it is one of ours,
    else "EPSG:nnnn" when it has a code, else its WKT (which `resolve` reads back)."""
    meridian = _tm3_meridian(crs)
    if meridian is not None and not crs.is_bound:
        return f"VN2000:TM3:{meridian:g}"
    code = crs.to_epsg(min_confidence=70)
    if code is not None:
        if code in _BY_EPSG and not crs.is_bound:
            return _BY_EPSG[code].id
        if not crs.is_bound:
            return f"EPSG:{code}"
    return crs.to_wkt()


@lru_cache(maxsize=128)
def _transformer(crs_id: str, inverse: bool) -> Transformer:
    # pyproj (>= 3.1) gives each thread its own PROJ objects, so one cache serves all.
    source, target = resolve(crs_id), CRS.from_epsg(4326)
    if inverse:
        source, target = target, source
    return Transformer.from_crs(source, target, always_xy=True)


def _apply(geom: BaseGeometry | None, transformer: Transformer) -> BaseGeometry | None:
    if geom is None:
        return None

    def move(xs, ys, zs=None):
        return transformer.transform(xs, ys) if zs is None else transformer.transform(xs, ys, zs)

    return shapely.transform(geom, move, include_z=geom.has_z, interleaved=False)


def to_wgs84(geom: BaseGeometry | None, crs_id: str) -> BaseGeometry | None:
    """`geom` (in `crs_id`) as WGS84 longitude/latitude. Z is carried through; M is
    lost when a transformation is needed. Points a projection cannot invert come back
    as inf, which the caller checks."""
    if geom is None or crs_id == WGS84_ID:
        return geom
    return _apply(geom, _transformer(crs_id, inverse=False))


def from_wgs84(geom: BaseGeometry | None, crs_id: str) -> BaseGeometry | None:
    """The inverse of `to_wgs84`: WGS84 longitude/latitude into `crs_id`."""
    if geom is None or crs_id == WGS84_ID:
        return geom
    return _apply(geom, _transformer(crs_id, inverse=True))


def looks_like_degrees(bounds: Sequence[float]) -> bool:
    """Whether (minx, miny, maxx, maxy) can be longitude/latitude at all."""
    minx, miny, maxx, maxy = bounds
    return -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90


def looks_like_swapped_degrees(bounds: Sequence[float]) -> bool:
    """Whether (minx, miny, maxx, maxy) can be degrees with some features' latitude and
    longitude in the wrong order. Such a file is read as it is, so that validation can
    name the plots to swap; metres in Viet Nam are never this small."""
    minx, miny, maxx, maxy = bounds
    return -180 <= minx <= maxx <= 180 and -180 <= miny <= maxy <= 180


def _inside(lon: float, lat: float, box: Sequence[float]) -> bool:
    return box[0] <= lon <= box[2] and box[1] <= lat <= box[3]


# Eastings and northings that a TM-3 or UTM zone gives anywhere in Viet Nam.
_EASTINGS = (150_000, 850_000)
_NORTHINGS = (850_000, 2_700_000)


def likely_zones(bounds: Sequence[float]) -> list[CrsChoice]:
    """Projected choices that would put data with these (minx, miny, maxx, maxy) inside
    Viet Nam, best first. Easting and northing alone cannot tell TM-3 zones apart (each
    puts the same numbers the same distance from its own meridian), so the ranking only
    prefers zones that are plausible: data within a TM-3 zone's 3° width, inside the
    EPSG area of use of the zone's provinces, VN-2000 TM-3 before UTM (cadastral maps
    are TM-3), then the order of CHOICES. Empty when the numbers are no TM-3/UTM
    coordinates in Viet Nam at all."""
    minx, miny, maxx, maxy = bounds
    if not (_EASTINGS[0] <= minx <= maxx <= _EASTINGS[1]
            and _NORTHINGS[0] <= miny <= maxy <= _NORTHINGS[1]):
        return []
    xs = [minx, maxx, minx, maxx, (minx + maxx) / 2]
    ys = [miny, miny, maxy, maxy, (miny + maxy) / 2]
    ranked = []
    for order, choice in enumerate(CHOICES):
        if not choice.crs.is_projected:
            continue
        lons, lats = _transformer(choice.id, inverse=False).transform(xs, ys)
        if not all(_inside(lon, lat, VIETNAM_BOUNDS) for lon, lat in zip(lons, lats, strict=True)):
            continue
        area = (choice.crs.source_crs if choice.crs.is_bound else choice.crs).area_of_use
        centre = (lons[-1], lats[-1])
        too_wide = choice.meridian is not None and abs(centre[0] - choice.meridian) > 1.5
        outside = area is not None and not _inside(*centre, area.bounds)
        family = 0 if choice.meridian is not None else 1 if choice.epsg in (3405, 3406) else 2
        ranked.append(((too_wide, outside, family, order), choice))
    return [choice for _, choice in sorted(ranked, key=lambda entry: entry[0])]
