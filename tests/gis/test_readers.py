"""Reading real files, written by GDAL or exactly as the programs people use write them."""
import json

import pytest
import shapely
from pyproj import Geod
from shapely.geometry import LineString, Point, Polygon, box

from gis.crs import from_wgs84, to_wgs84
from gis.features import GisError
from gis.readers import FORMATS, read_upload
from upload_samples import PLOT, google_earth_kml, gpx, shapefile, write_layer, zipped

GEOD = Geod(ellps="WGS84")
# A plot in Thủ Đức, TP Hồ Chí Minh, in VN-2000 TM-3 105°45' (what a cadastral map holds).
HCMC_TM3 = box(600990, 1189960, 601040, 1190010)


def metres_apart(a, b) -> float:
    return GEOD.inv(a.x, a.y, b.x, b.y)[2]


def same(a, b, tolerance: float) -> bool:
    """Equal shapes within `tolerance`, whichever way the rings turn (Shapefile writers
    turn outer rings clockwise)."""
    return a.normalize().equals_exact(b.normalize(), tolerance)


def codes(error) -> list[str]:
    return [p.code for p in error.value.problems]


def geojson(features, **extra) -> bytes:
    return json.dumps({"type": "FeatureCollection", **extra, "features": features}).encode()


def feature(geom, **props) -> dict:
    return {"type": "Feature", "properties": props,
            "geometry": shapely.geometry.mapping(geom) if geom is not None else None}


def test_formats_registry_names_every_format():
    assert set(FORMATS) == {"geojson", "kml", "kmz", "shapefile", "geopackage", "gpx", "csv"}


# --- GeoJSON -----------------------------------------------------------------------------

def test_geojson_features_come_back_with_plain_json_properties():
    data = geojson([
        feature(Polygon(PLOT), name="Lô 1", so_cay=120, dien_tich=1.25, huu_co=True,
                ngay="2025-03-01", chu=None, them={"giong": "Ri6"}),
        feature(None, name="chưa vẽ", so_cay=None),
    ])
    layer = read_upload(data, "lo.geojson")
    assert (layer.format, layer.source_crs) == ("geojson", "EPSG:4326")
    first, second = layer.features
    assert first.index == 1 and first.geometry.equals(Polygon(PLOT))
    assert first.properties == {"name": "Lô 1", "so_cay": 120, "dien_tich": 1.25, "huu_co": True,
                                "ngay": "2025-03-01", "chu": None, "them": {"giong": "Ri6"}}
    assert type(first.properties["so_cay"]) is int and type(first.properties["huu_co"]) is bool
    assert second.index == 2 and second.geometry is None and second.properties["so_cay"] is None
    json.dumps([f.properties for f in layer.features])  # nothing numpy left


def test_latitude_longitude_in_the_wrong_order_are_read_as_they_are():
    # Validation, not the reader, tells the person to swap them (and which plot).
    swapped = Polygon([(y, x) for x, y in PLOT])
    layer = read_upload(geojson([feature(swapped, name="ngược")]), "nguoc.geojson")
    assert layer.source_crs == "EPSG:4326"
    assert layer.features[0].geometry.equals(swapped)


def test_geojson_2008_crs_member_is_honoured():
    corner = Point(600990, 1189960)
    data = geojson([feature(corner, name="mốc")], crs={
        "type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3405"}})
    layer = read_upload(data, "moc.geojson")
    assert layer.source_crs == "EPSG:3405"
    assert metres_apart(layer.features[0].geometry, to_wgs84(corner, "EPSG:3405")) < 1e-6
    assert 105.8 < layer.features[0].geometry.x < 106  # degrees now (UTM 48N: 105° meridian)


def test_geojson_crs_member_naming_a_tm3_zone_reports_the_zone_choice():
    data = geojson([feature(HCMC_TM3)], crs={"type": "name",
                                             "properties": {"name": "urn:ogc:def:crs:EPSG::9210"}})
    layer = read_upload(data, "thua.geojson")
    assert layer.source_crs == "VN2000:TM3:105.75"
    assert same(layer.features[0].geometry, to_wgs84(HCMC_TM3, "VN2000:TM3:105.75"), 1e-9)


def test_projected_coordinates_without_crs_are_refused_naming_likely_zones_then_read():
    data = geojson([feature(HCMC_TM3, name="thửa 12")])
    with pytest.raises(GisError) as error:
        read_upload(data, "thua.geojson")
    [trouble] = error.value.problems
    assert trouble.code == "crs_missing_projected"
    assert "VN2000:TM3:105.75" in trouble.params["likely"]
    assert "TM-3" in trouble.message and "thua.geojson" in trouble.message
    assert "105°45′" in trouble.message and "VN-2000 / UTM zone 48N" in trouble.message
    layer = read_upload(data, "thua.geojson", crs="VN2000:TM3:105.75")
    assert layer.source_crs == "VN2000:TM3:105.75"
    centre = layer.features[0].geometry.centroid
    assert 106.6 < centre.x < 106.8 and 10.7 < centre.y < 10.8  # Thủ Đức


def test_a_chosen_crs_given_as_its_epsg_code_is_reported_as_the_choice():
    layer = read_upload(geojson([feature(HCMC_TM3)]), "thua.geojson", crs="EPSG:9210")
    assert layer.source_crs == "VN2000:TM3:105.75"


def test_choosing_degrees_for_metre_coordinates_is_refused():
    with pytest.raises(GisError) as error:
        read_upload(geojson([feature(HCMC_TM3)]), "thua.geojson", crs="EPSG:4756")
    assert codes(error) == ["crs_expects_degrees"]
    assert "VN2000:TM3:105.75" in error.value.problems[0].params["likely"]


def test_choosing_a_metre_system_for_degree_coordinates_is_refused():
    with pytest.raises(GisError) as error:
        read_upload(geojson([feature(Polygon(PLOT))]), "lo.geojson", crs="VN2000:TM3:105.75")
    assert codes(error) == ["crs_expects_metres"]


def test_unknown_crs_is_refused():
    with pytest.raises(GisError) as error:
        read_upload(geojson([feature(Polygon(PLOT))]), "lo.geojson", crs="EPSG:999999")
    assert codes(error) == ["crs_unknown"]


def test_mixed_geometry_types_are_all_read_and_z_is_kept_through_reprojection():
    corner = Point(600990, 1189960, 4.5)
    data = geojson([feature(corner), feature(LineString([(600990, 1189960), (601000, 1189970)])),
                    feature(HCMC_TM3)], crs={"type": "name", "properties": {"name": "EPSG:9210"}})
    layer = read_upload(data, "lan.geojson")
    assert [f.geometry.geom_type for f in layer.features] == ["Point", "LineString", "Polygon"]
    assert layer.features[0].geometry.has_z and layer.features[0].geometry.z == pytest.approx(4.5)


def test_max_features_is_enforced():
    features = [feature(Point(106 + i / 1000, 10)) for i in range(11)]
    assert len(read_upload(geojson(features[:10]), "a.geojson", max_features=10).features) == 10
    with pytest.raises(GisError) as error:
        read_upload(geojson(features), "a.geojson", max_features=10)
    assert codes(error) == ["too_many_features"]
    assert error.value.problems[0].params == {"filename": "a.geojson", "count": 11, "limit": 10}


def test_a_file_without_features_is_refused():
    with pytest.raises(GisError) as error:
        read_upload(geojson([]), "trong.geojson")
    assert codes(error) == ["no_features"]


# --- KML and KMZ ---------------------------------------------------------------------------

def test_google_earth_kml_gives_every_placemark_of_every_folder():
    layer = read_upload(google_earth_kml().encode(), "Vùng trồng.kml")
    assert layer.format == "kml" and layer.source_crs == "EPSG:4326"
    by_name = {f.name: f for f in layer.features}
    assert set(by_name) == {"Lô A1", "Cổng vườn", "Lô B2", "Chưa vẽ"}
    a1 = by_name["Lô A1"]
    assert a1.properties == {"name": "Lô A1", "description": "Chủ hộ: Nguyễn Văn An"}
    assert a1.geometry.has_z and shapely.force_2d(a1.geometry).equals(Polygon(PLOT))
    assert by_name["Cổng vườn"].geometry.geom_type == "Point"
    assert by_name["Chưa vẽ"].geometry is None
    assert sorted(f.index for f in layer.features) == [1, 2, 3, 4]
    assert layer.layer_name is None  # two folders


def test_kmz_reads_doc_kml_beside_its_images():
    data = zipped({"doc.kml": google_earth_kml().encode(), "files/anh-lo-a1.jpg": b"\xff\xd8\xff"})
    layer = read_upload(data, "Vùng trồng.kmz")
    assert layer.format == "kmz"
    assert {f.name for f in layer.features} == {"Lô A1", "Cổng vườn", "Lô B2", "Chưa vẽ"}


def test_kmz_with_the_kml_under_another_name_in_a_folder():
    data = zipped({"xuat/vung trong.kml": google_earth_kml().encode()})
    assert len(read_upload(data, "vung.kmz").features) == 4


def test_kml_without_document_or_folder():
    text = ('<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Placemark>'
            "<name>Lô 7</name><Polygon><outerBoundaryIs><LinearRing><coordinates>"
            "106.1,10.2 106.2,10.2 106.2,10.3 106.1,10.2</coordinates></LinearRing>"
            "</outerBoundaryIs></Polygon></Placemark></kml>")
    layer = read_upload(text.encode(), "lo7.kml")
    [plot] = layer.features
    assert plot.name == "Lô 7" and plot.geometry.geom_type == "Polygon"
    assert layer.layer_name is None  # not the name of some temporary file


# --- Shapefile -----------------------------------------------------------------------------

def test_zipped_shapefile_with_prj_is_reprojected(tmp_path):
    files = shapefile(tmp_path, "thua_dat", [HCMC_TM3], {"ten": ["Thửa 12"], "so_to": [5]},
                      crs="EPSG:3405")
    assert "thua_dat.prj" in files
    layer = read_upload(zipped(files), "thua_dat.zip")
    assert (layer.format, layer.source_crs, layer.layer_name) == ("shapefile", "EPSG:3405",
                                                                  "thua_dat")
    [plot] = layer.features
    assert plot.properties == {"ten": "Thửa 12", "so_to": 5}
    assert same(plot.geometry, to_wgs84(HCMC_TM3, "EPSG:3405"), 1e-9)


def test_shapefile_without_prj_in_degrees_is_read_as_wgs84(tmp_path):
    files = shapefile(tmp_path, "gps", [Polygon(PLOT)], {"ten": ["Lô 1"]})
    assert not any(name.endswith(".prj") for name in files)
    layer = read_upload(zipped(files), "gps.zip")
    assert layer.source_crs == "EPSG:4326"
    assert layer.features[0].geometry.equals(Polygon(PLOT))


def test_shapefile_without_prj_in_metres_needs_a_crs(tmp_path):
    data = zipped(shapefile(tmp_path, "dc", [HCMC_TM3], {"ten": ["Thửa 12"]}))
    with pytest.raises(GisError) as error:
        read_upload(data, "dc.zip")
    assert codes(error) == ["crs_missing_projected"]
    layer = read_upload(data, "dc.zip", crs="VN2000:TM3:105.75")
    assert same(layer.features[0].geometry, to_wgs84(HCMC_TM3, "VN2000:TM3:105.75"), 1e-9)


def test_shapefile_with_an_esri_prj_for_a_tm3_zone(tmp_path):
    files = shapefile(tmp_path, "dc", [HCMC_TM3], {"ten": ["Thửa 12"]})
    files["dc.prj"] = (
        b'PROJCS["VN_2000_KTT_105_45_mui_3",GEOGCS["GCS_VN_2000",DATUM["D_Vietnam_2000",'
        b'SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],'
        b'UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],'
        b'PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],'
        b'PARAMETER["Central_Meridian",105.75],PARAMETER["Scale_Factor",0.9999],'
        b'PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]')
    layer = read_upload(zipped(files), "dc.zip")
    assert layer.source_crs == "VN2000:TM3:105.75"
    assert same(layer.features[0].geometry, to_wgs84(HCMC_TM3, "VN2000:TM3:105.75"), 1e-9)


def test_shapefile_in_a_subfolder_and_macos_leftovers(tmp_path):
    files = shapefile(tmp_path, "lo", [Polygon(PLOT)], {"ten": ["Lô 1"]}, crs="EPSG:4326")
    entries = {f"Xuat ban do/{name}": data for name, data in files.items()}
    entries["__MACOSX/Xuat ban do/._lo.shp"] = b"\x00\x05\x16\x07junk"
    layer = read_upload(zipped(entries), "lo.zip")
    assert [f.name for f in layer.features] == ["Lô 1"]


def test_every_shapefile_in_a_zip_is_read(tmp_path):
    first = shapefile(tmp_path / "a", "sau_rieng", [Polygon(PLOT)], {"ten": ["A"]}, "EPSG:4326")
    second = shapefile(tmp_path / "b", "thanh_long", [HCMC_TM3, HCMC_TM3], {"ten": ["B", "C"]},
                       "EPSG:9210")
    layer = read_upload(zipped({**first, **second}), "cac_lo.zip")
    assert [f.name for f in layer.features] == ["A", "B", "C"]
    assert [f.index for f in layer.features] == [1, 2, 3]
    assert 106.6 < layer.features[2].geometry.centroid.x < 106.8  # each from its own .prj
    assert layer.source_crs == "EPSG:4326" and layer.layer_name is None


def test_shapefile_missing_its_dbf_is_refused(tmp_path):
    files = shapefile(tmp_path, "lo", [Polygon(PLOT)], {"ten": ["Lô 1"]})
    del files["lo.dbf"]
    with pytest.raises(GisError) as error:
        read_upload(zipped(files), "lo.zip")
    assert codes(error) == ["shapefile_incomplete"]
    assert error.value.problems[0].params["missing"] == ".dbf"


# --- GeoPackage ----------------------------------------------------------------------------

def _geopackage(tmp_path) -> bytes:
    path = tmp_path / "vung.gpkg"
    write_layer(path, [Polygon(PLOT)], {"ten": ["Lô 1"]}, crs="EPSG:4326", driver="GPKG",
                layer="sau_rieng")
    write_layer(path, [HCMC_TM3], {"ten": ["Thửa 12"]}, crs="EPSG:9210", driver="GPKG",
                layer="dia_chinh", append=True)
    return path.read_bytes()


def test_geopackage_reads_every_feature_layer_in_its_own_crs(tmp_path):
    layer = read_upload(_geopackage(tmp_path), "vung.gpkg")
    assert layer.format == "geopackage"
    by_name = {f.name: f.geometry for f in layer.features}
    assert by_name["Lô 1"].equals(Polygon(PLOT))
    assert same(by_name["Thửa 12"], to_wgs84(HCMC_TM3, "VN2000:TM3:105.75"), 1e-9)


def test_geopackage_inside_a_zip(tmp_path):
    layer = read_upload(zipped({"vung.gpkg": _geopackage(tmp_path)}), "vung.zip")
    assert layer.format == "geopackage" and len(layer.features) == 2


# --- GPX -----------------------------------------------------------------------------------

def walk(ring, gap_deg=0.0):
    """The points of a walk round `ring`, ending `gap_deg` east of where it started."""
    start = ring[0]
    return [*ring, (start[0] + gap_deg, start[1])]


def test_closed_gpx_track_becomes_a_polygon_and_waypoints_are_ignored():
    data = gpx(("Lô 1", [walk(PLOT, gap_deg=0.00003)]), waypoints=2)  # ends ~3 m from start
    layer = read_upload(data, "Track_2025-03-01.gpx")
    assert layer.format == "gpx"
    [plot] = layer.features
    assert plot.name == "Lô 1" and plot.geometry.geom_type == "Polygon"
    assert plot.geometry.area == pytest.approx(Polygon(PLOT).area, rel=0.05)


def test_track_in_several_segments_is_joined():
    data = gpx(("Lô 2", [PLOT[:2], [*PLOT[2:], PLOT[0]]]))
    [plot] = read_upload(data, "lo2.gpx").features
    assert plot.geometry.geom_type == "Polygon" and len(plot.geometry.exterior.coords) == 5


def test_closed_route_becomes_a_polygon():
    layer = read_upload(gpx(route=("Lô 3", walk(PLOT))), "lo3.gpx")
    assert [f.geometry.geom_type for f in layer.features] == ["Polygon"]


def test_open_track_is_refused_naming_it_and_the_gap():
    data = gpx(("Lô 1", [walk(PLOT)]), ("Lô 2", [PLOT]))  # Lô 2 stops at the 4th corner
    with pytest.raises(GisError) as error:
        read_upload(data, "walk.gpx")
    [trouble] = error.value.problems
    assert (trouble.code, trouble.feature, trouble.name) == ("gpx_track_open", 2, "Lô 2")
    assert trouble.params["gap_m"] == pytest.approx(110.7, abs=1)
    assert "110" in str(trouble) and "Lô 2" in str(trouble)


def test_track_of_two_points_is_refused():
    data = gpx(("Lô 1", [walk(PLOT)]), ("Lạc", [[PLOT[0], PLOT[1], PLOT[0]]]))
    with pytest.raises(GisError) as error:
        read_upload(data, "walk.gpx")
    [trouble] = error.value.problems
    assert (trouble.code, trouble.feature, trouble.params) == ("gpx_track_too_short", 2,
                                                               {"points": 2})


def test_gpx_with_only_waypoints_is_refused():
    with pytest.raises(GisError) as error:
        read_upload(gpx(waypoints=4), "diem.gpx")
    assert codes(error) == ["gpx_no_tracks"] and error.value.problems[0].params["waypoints"] == 4


# --- CSV -----------------------------------------------------------------------------------

@pytest.mark.parametrize("column", ["wkt", "WKT", "Geometry", "GEOM"])
def test_csv_with_a_wkt_column(column):
    text = (f'ma_lo;ten;{column};dien_tich\n007;"Lô 1";"{Polygon(PLOT).wkt}";1.2\n'
            f"008;Lô 2;;0.5\n")
    layer = read_upload(text.encode(), "lo.csv")
    first, second = layer.features
    assert layer.format == "csv" and layer.source_crs == "EPSG:4326"
    assert first.geometry.equals(Polygon(PLOT))
    assert first.properties == {"ma_lo": "007", "ten": "Lô 1", "dien_tich": "1.2"}
    assert second.geometry is None


def test_csv_with_lon_lat_columns_gives_points():
    layer = read_upload(b"ten,lon,lat\nGoc,106.1,10.2\n", "goc.txt")
    assert layer.features[0].geometry.equals(Point(106.1, 10.2))


@pytest.mark.filterwarnings("ignore:Ignoring invalid WKT:RuntimeWarning")
def test_csv_with_broken_wkt_names_the_row():
    text = f'ten,wkt\nA,"{Polygon(PLOT).wkt}"\nB,"POLYGON((106.1 10.2, 106.2"\n'
    with pytest.raises(GisError) as error:
        read_upload(text.encode(), "lo.csv")
    [trouble] = error.value.problems
    assert (trouble.code, trouble.feature, trouble.name) == ("csv_wkt_invalid", 2, "B")


def test_csv_without_geometry_column_is_refused():
    with pytest.raises(GisError) as error:
        read_upload(b"ten,dien_tich\nA,1\n", "lo.csv")
    assert codes(error) == ["csv_no_geometry_column"]


def test_round_trip_helpers_agree_with_the_reader():
    back = from_wgs84(read_upload(geojson([feature(HCMC_TM3)]), "t.geojson",
                                  crs="VN2000:TM3:105.75").features[0].geometry,
                      "VN2000:TM3:105.75")
    assert same(back, HCMC_TM3, 1e-3)


def test_coordinates_a_projection_cannot_take_back_are_refused():
    far = geojson([feature(Point(1e12, 1e12))])
    with pytest.raises(GisError) as error:
        read_upload(far, "xa.geojson")
    assert codes(error) == ["crs_missing"]  # no zone in Viet Nam gives such numbers
    with pytest.raises(GisError) as error:
        read_upload(far, "xa.geojson", crs="EPSG:3405")
    assert codes(error) == ["crs_reprojection_failed"]


def test_features_without_any_geometry_are_kept():
    layer = read_upload(geojson([feature(None, name="A"), feature(None, name="B")]), "a.geojson")
    assert [f.geometry for f in layer.features] == [None, None]
    assert layer.source_crs == "EPSG:4326"
