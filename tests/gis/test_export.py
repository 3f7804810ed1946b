"""Every export format, read back by GDAL: same features, same names (Vietnamese
letters intact), same areas."""
import io
import json
import zipfile

import pyogrio
import pyogrio.raw
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from gis.export import EXPORT_FORMATS, ExportArea, export_areas
from gis.features import GisError
from gis.measure import area_ha, perimeter_m

OUTER = [(106.10, 11.30), (106.11, 11.30), (106.11, 11.31), (106.10, 11.31)]
HOLE = [(106.102, 11.302), (106.102, 11.304), (106.104, 11.304), (106.104, 11.302)]


def area(code, name, geometry, **extra):
    return ExportArea(code=code, name=name, crop="Thanh long", status="issued",
                      organization="HTX Nông nghiệp Tầm Vu", province="Tây Ninh",
                      ward=extra.pop("ward", "Phường Tân Ninh"), area_ha=area_ha(geometry),
                      perimeter_m=perimeter_m(geometry), geometry=geometry, **extra)


AREAS = [
    area("VN-TN-TL-0001", "Vùng thanh long Tầm Vu", MultiPolygon([Polygon(OUTER, [HOLE])]),
         issued_at="2025-03-01"),
    # Two parcels, drawn clockwise (as a database may hand them back), no code yet.
    area(None, "Lô mới ở Đồng Khởi", MultiPolygon([
        Polygon([(106.12, 11.32), (106.12, 11.3215), (106.1215, 11.3215), (106.1215, 11.32)]),
        box(106.13, 11.32, 106.1312345678, 11.3212345678)]), ward=None),
]


def read_back(fmt, tmp_path, areas=AREAS):
    spec = EXPORT_FORMATS[fmt]
    path = tmp_path / f"export.{spec.extension}"
    path.write_bytes(export_areas(areas, fmt))
    source = f"/vsizip/{path}" if fmt == "shapefile" else str(path)
    info = pyogrio.read_info(source)
    _, _, wkb, columns = pyogrio.raw.read(source)
    fields = dict(zip(info["fields"], columns))
    return info, [shapely.from_wkb(g) for g in wkb], fields


GDAL_FORMATS = ["geojson", "kml", "shapefile", "geopackage", "csv"]


@pytest.mark.parametrize("fmt", GDAL_FORMATS)
def test_read_back_has_the_same_features_names_and_areas(fmt, tmp_path):
    info, geometries, fields = read_back(fmt, tmp_path)
    assert info["features"] == len(AREAS) == len(geometries)
    name_field = "area_name" if fmt == "kml" else "name"
    assert list(fields[name_field]) == [a.name for a in AREAS]
    assert fields["code"][0] == "VN-TN-TL-0001"
    assert fields["code"][1] in (None, "")       # CSV has no null, only an empty cell
    for geometry, expected in zip(geometries, AREAS):
        assert area_ha(geometry) == pytest.approx(expected.area_ha, rel=1e-4)


def test_geojson_is_rfc7946(tmp_path):
    data = json.loads(export_areas(AREAS, "geojson"))
    assert data["type"] == "FeatureCollection" and "crs" not in data
    first = data["features"][0]
    assert first["properties"] == {
        "code": "VN-TN-TL-0001", "name": "Vùng thanh long Tầm Vu", "crop": "Thanh long",
        "status": "issued", "organization": "HTX Nông nghiệp Tầm Vu", "province": "Tây Ninh",
        "ward": "Phường Tân Ninh", "area_ha": round(AREAS[0].area_ha, 4),
        "perimeter_m": round(AREAS[0].perimeter_m, 2), "issued_at": "2025-03-01"}
    for feature in data["features"]:
        geometry = shapely.geometry.shape(feature["geometry"])
        for polygon in geometry.geoms:
            assert polygon.exterior.is_ccw
            assert all(not hole.is_ccw for hole in polygon.interiors)
    # 7 decimals: 106.1312345678 is written 106.1312346.
    corner = data["features"][1]["geometry"]["coordinates"][1][0]
    assert [106.1312346, 11.3212346] in corner


def test_kml_names_placemarks_by_code_or_name(tmp_path):
    info, _, fields = read_back("kml", tmp_path)
    assert list(fields["Name"]) == ["VN-TN-TL-0001", "Lô mới ở Đồng Khởi"]
    assert list(fields["organization"]) == ["HTX Nông nghiệp Tầm Vu"] * 2
    text = export_areas(AREAS, "kml").decode("utf-8")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert "<innerBoundaryIs>" in text


def test_shapefile_zip_has_every_part_utf8_and_short_field_names(tmp_path):
    with zipfile.ZipFile(io.BytesIO(export_areas(AREAS, "shapefile"))) as zf:
        names = sorted(zf.namelist())
        assert names == [f"growing_areas.{ext}" for ext in ("cpg", "dbf", "prj", "shp", "shx")]
        assert zf.read("growing_areas.cpg").decode().strip().upper() in ("UTF-8", "UTF8")
        assert "WGS" in zf.read("growing_areas.prj").decode()
    info, _, fields = read_back("shapefile", tmp_path)
    assert list(info["fields"]) == ["code", "name", "crop", "status", "org", "province", "ward",
                                    "area_ha", "perim_m", "issued"]
    assert all(len(f) <= 10 for f in info["fields"])
    assert str(fields["issued"][0]) == "2025-03-01"


def test_a_long_vietnamese_name_is_cut_on_a_letter_in_a_shapefile(tmp_path):
    long_name = "Vùng trồng sầu riêng " * 15            # 315 characters, > 254 bytes
    geometry = MultiPolygon([box(106.1, 11.3, 106.101, 11.301)])
    _, _, fields = read_back("shapefile", tmp_path, [area("X", long_name, geometry)])
    kept = fields["name"][0]
    assert long_name.startswith(kept) and len(kept.encode("utf-8")) <= 254


def test_geopackage_layer_is_named_and_typed(tmp_path):
    path = tmp_path / "areas.gpkg"
    path.write_bytes(export_areas(AREAS, "geopackage", layer_name="vung_trong"))
    info = pyogrio.read_info(path, layer="vung_trong")
    assert info["geometry_type"] == "MultiPolygon" and info["crs"] == "EPSG:4326"


def test_layer_names_become_plain_identifiers():
    with zipfile.ZipFile(io.BytesIO(export_areas(AREAS, "shapefile",
                                                 layer_name="Vùng trồng Đồng Tháp"))) as zf:
        assert "Vung_trong_Dong_Thap.shp" in zf.namelist()


def test_csv_starts_with_a_bom_and_has_a_wkt_column():
    data = export_areas(AREAS, "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    header = data.decode("utf-8-sig").splitlines()[0]
    assert header.split(",")[-1] == "WKT"


@pytest.mark.parametrize("fmt", ["geojson", "kml", "csv", "geopackage", "shapefile", "eudr"])
def test_no_areas_is_an_empty_file_not_an_error(fmt):
    assert isinstance(export_areas([], fmt), bytes)


def test_unknown_format_is_a_gis_error():
    with pytest.raises(GisError) as caught:
        export_areas(AREAS, "dxf")
    assert caught.value.problems[0].code == "export_format_unknown"


def test_formats_describe_themselves():
    assert set(EXPORT_FORMATS) == {"geojson", "kml", "shapefile", "geopackage", "csv", "eudr"}
    assert EXPORT_FORMATS["shapefile"].extension == "zip"
    assert all(f.key == key for key, f in EXPORT_FORMATS.items())
