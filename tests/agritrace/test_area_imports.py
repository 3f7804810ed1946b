"""Importing files of plots: the official's day (a KML from Google Earth, a
Shapefile in VN-2000, a report of the bad plots, codes for the good ones, an EUDR
export), and every kind of bad file refused with the database unchanged."""
import io
import json
import zipfile

import pyogrio
import pytest
from shapely.geometry import LineString, Polygon, shape
from sqlalchemy import func, select

from agritrace.models import AreaImport, AuditEntry, GrowingArea, GrowingAreaVersion
from area_files import kml, reproject, shapefile_zip, zip_bomb, zip_with
from gis.measure import area_ha
from support import english, plot


def upload(client, headers, data: bytes, filename: str, **form):
    fields = {"crop": "dragon fruit", **{k: str(v).lower() if isinstance(v, bool) else str(v)
                                         for k, v in form.items()}}
    return client.post("/api/v1/area-imports", headers=headers,
                       data={**fields, "file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def state(db):
    return tuple(db.scalar(select(func.count()).select_from(t))
                 for t in (GrowingArea, GrowingAreaVersion, AreaImport, AuditEntry))


def bowtie(east_m: float) -> Polygon:
    box = plot(east_m=east_m)
    (x0, y0, x1, y1) = box.bounds
    return Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1), (x0, y0)])


def test_official_imports_kml_and_vn2000_shapefile_then_issues_codes_and_exports_eudr(
        client, db, world):
    p = english(world.token(world.official_p))
    org = world.org_a.id
    # A KML drawn in Google Earth: three good plots, a self-intersecting one, a line.
    placemarks = [("Lô 1", plot(0)), ("Lô 2", plot(150)), ("Lô 3", plot(300, width_m=250)),
                  ("Lô xoắn", bowtie(600)), ("Bờ kênh", LineString([(106.21, 11.40),
                                                                    (106.22, 11.41)]))]
    checked = upload(client, p, kml(placemarks), "vung_trong.kml", organization_id=org)
    assert checked.status_code == 201, checked.get_json()
    report = checked.get_json()["report"]
    assert (report["format"], report["total"], report["ok"], report["refused"]) == \
        ("kml", 5, 3, 2)
    by_name = {f["name"]: f for f in report["features"]}
    assert by_name["Lô 1"]["ok"] and by_name["Lô 1"]["area_ha"] == pytest.approx(1.0, rel=1e-3)
    assert by_name["Lô 3"]["area_ha"] == pytest.approx(2.5, rel=1e-3)
    assert not by_name["Lô xoắn"]["ok"]
    assert by_name["Lô xoắn"]["problems"][0]["code"] == "self_intersection"
    assert not by_name["Bờ kênh"]["ok"]
    assert "line" in by_name["Bờ kênh"]["problems"][0]["message"].lower()

    import_id = checked.get_json()["id"]
    before = state(db)
    all_or_nothing = client.post(f"/api/v1/area-imports/{import_id}/commit", json={}, headers=p)
    assert all_or_nothing.status_code == 422
    assert "2 of 5" in all_or_nothing.get_json()["detail"]
    assert state(db) == before
    committed = client.post(f"/api/v1/area-imports/{import_id}/commit",
                            json={"skip_invalid": True, "submit": True}, headers=p)
    assert committed.status_code == 200, committed.get_json()
    assert committed.get_json()["status"] == "imported"

    # A Shapefile in VN-2000 / UTM 48N (EPSG:3405), with its .prj.
    good = [plot(0, 400), plot(150, 400)]
    shp = shapefile_zip(reproject(good, "EPSG:3405"), ["Thửa 7", "Thửa 8"], crs="EPSG:3405")
    second = upload(client, p, shp, "thua_dat_vn2000.zip", organization_id=org, commit=True,
                    submit=True)
    assert second.status_code == 201, second.get_json()
    rep = second.get_json()["report"]
    assert rep["format"] == "shapefile" and rep["ok"] == 2
    # The 7-parameter VN-2000 datum shift is applied: the plots land where drawn (< 1 m).
    areas = {a["name"]: a for a in client.get("/api/v1/areas", query_string={
        "status": "submitted", "page_size": 100}, headers=p).get_json()}
    assert set(areas) == {"Lô 1", "Lô 2", "Lô 3", "Thửa 7", "Thửa 8"}
    thua7 = client.get(f"/api/v1/areas/{areas['Thửa 7']['id']}", headers=p).get_json()
    assert shape(thua7["geometry"]).hausdorff_distance(good[0]) < 1e-5   # ~1 m in degrees
    assert thua7["area_ha"] == pytest.approx(area_ha(good[0]), rel=1e-4)

    issued = client.post("/api/v1/areas/approve", json={"ids": [a["id"] for a in
                                                               areas.values()]}, headers=p)
    assert issued.status_code == 200, issued.get_json()
    assert sorted(a["code"] for a in issued.get_json()) == \
        [f"VN-TNOR-{n:04d}" for n in range(1, 6)]

    eudr = client.get("/api/v1/areas/export", query_string={"format": "eudr",
                                                             "status": "issued"}, headers=p)
    assert eudr.status_code == 200
    assert "attachment" in eudr.headers["Content-Disposition"]
    doc = json.loads(eudr.data)
    assert doc["type"] == "FeatureCollection" and len(doc["features"]) == 5
    info = pyogrio.read_info(io.BytesIO(eudr.data))
    assert info["features"] == 5 and info["crs"] in ("EPSG:4326", "OGC:CRS84")


@pytest.mark.parametrize("fmt, extension", [("geojson", "geojson"), ("kml", "kml"),
                                            ("shapefile", "zip"), ("geopackage", "gpkg"),
                                            ("csv", "csv")])
def test_every_export_reads_back_in_gdal(client, db, world, tmp_path, fmt, extension):
    p = english(world.token(world.official_p))
    for i, name in enumerate(("Vùng thanh long Tầm Vu", "Vùng chanh")):
        r = client.post("/api/v1/areas", headers=p, json={
            "name": name, "crop": "lime", "organization_id": world.org_a.id,
            "geometry": plot(i * 200).__geo_interface__})
        assert r.status_code == 201
    exported = client.get("/api/v1/areas/export", query_string={"format": fmt}, headers=p)
    assert exported.status_code == 200
    path = tmp_path / f"areas.{extension}"
    path.write_bytes(exported.data)
    source = f"/vsizip/{path}" if fmt == "shapefile" else str(path)
    meta, _fids, geometry, fields = pyogrio.raw.read(source)
    assert len(geometry) == 2
    # In KML the placemark's <name> is the code; the area's own name is a data field.
    names = fields[list(meta["fields"]).index("area_name" if fmt == "kml" else "name")]
    assert sorted(names) == ["Vùng chanh", "Vùng thanh long Tầm Vu"]


def test_projected_shapefile_without_prj_asks_for_the_zone(client, db, world):
    a = english(world.token(world.producer_a))
    metres = reproject([plot(0), plot(150)], "EPSG:3405")
    data = shapefile_zip(metres, ["A", "B"], crs=None)
    before = state(db)
    refused = upload(client, a, data, "khong_prj.zip")
    assert refused.status_code == 422
    body = refused.get_json()
    assert "crs" in body["errors"]
    assert "48" in body["detail"]        # names the likely zones, UTM 48N among them
    assert state(db) == before
    chosen = upload(client, a, data, "khong_prj.zip", crs="EPSG:3405")
    assert chosen.status_code == 201 and chosen.get_json()["report"]["ok"] == 2


def test_swapped_coordinates_and_mixed_geometries_are_reported(client, db, world):
    a = english(world.token(world.producer_a))
    swapped = Polygon([(y, x) for x, y in plot(0).exterior.coords])
    collection = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "Đảo ngược"},
         "geometry": swapped.__geo_interface__},
        {"type": "Feature", "properties": {"name": "Giếng"},
         "geometry": {"type": "Point", "coordinates": [106.2, 11.4]}},
        {"type": "Feature", "properties": {"name": "Tốt"},
         "geometry": plot(500).__geo_interface__}]}
    r = upload(client, a, json.dumps(collection).encode(), "lo.geojson")
    assert r.status_code == 201
    features = {f["name"]: f for f in r.get_json()["report"]["features"]}
    assert features["Tốt"]["ok"]
    assert features["Đảo ngược"]["problems"][0]["code"] == "coordinates_swapped"
    assert not features["Giếng"]["ok"]


def test_overlap_inside_the_file_and_with_existing_areas(client, db, world):
    a = english(world.token(world.producer_a))
    plots = [("Một", plot(0)), ("Hai", plot(50)), ("Ba", plot(300))]
    r = upload(client, a, kml(plots), "chong.kml")
    features = {f["name"]: f for f in r.get_json()["report"]["features"]}
    assert features["Một"]["ok"] and features["Ba"]["ok"]
    assert features["Hai"]["problems"][0]["code"] == "overlap_in_file"
    assert features["Hai"]["problems"][0]["params"]["other"] == 1


@pytest.mark.parametrize("name, data, expected", [
    ("rong.geojson", b"", "empty"),
    ("cut.geojson", b'{"type": "FeatureCollection", "features": [{"type": "Feature", "geo',
     ""),
    ("cut.zip", zip_with({"a.shp": b"x" * 1000})[:60], ""),
    ("bomb.zip", zip_bomb(300), ""),
    ("evil.zip", zip_with({"../../etc/passwd.geojson": b"{}"}), ".."),
    ("abs.zip", zip_with({"/tmp/x.kml": b"<kml/>"}), "/tmp/x.kml"),
    ("report.kml", b"%PDF-1.7\n" + b"0" * 500, ""),
    ("random.shp", bytes(range(256)) * 4, ""),
], ids=["empty", "truncated-json", "truncated-zip", "zip-bomb", "dotdot", "absolute",
        "pdf-as-kml", "random-shp"])
def test_bad_files_are_refused_and_nothing_is_kept(client, db, world, name, data, expected):
    a = english(world.token(world.producer_a))
    before = state(db)
    r = upload(client, a, data, name)
    assert r.status_code == 422, r.get_json()
    body = r.get_json()
    assert body["detail"] and name in body["detail"]
    assert expected in body["detail"]
    assert state(db) == before


def test_upload_over_the_limit_is_413(app, client, db, world):
    a = english(world.token(world.producer_a))
    limit = app.config["MAX_CONTENT_LENGTH"]
    r = upload(client, a, b"0" * (limit + 1), "huge.geojson")
    assert r.status_code == 413
    assert r.headers["Content-Type"].startswith("application/problem+json")


def test_zip_bomb_is_refused_before_extraction(client, db, world):
    bomb = zip_bomb(300)
    assert len(bomb) < 2_000_000
    assert sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(bomb)).infolist()) == 300 << 20
    r = upload(client, english(world.token(world.producer_a)), bomb, "bomb.zip")
    assert r.status_code == 422
