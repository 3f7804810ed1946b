"""Vector tiles (`/tiles/<layer>/<z>/<x>/<y>.pbf`) read back with GDAL's MVT driver:
what each user sees, where the shapes land, the filters, the HTTP details, and the
query plan."""
from __future__ import annotations

import math
import tempfile
from pathlib import Path

import pyogrio
import pytest
import shapely
from pyproj import Transformer
from sqlalchemy import text

from agritrace.services import tiles
from support import FIELD_LAT, FIELD_LON, TAY_NINH, english, login, plot

TO_LONLAT = Transformer.from_crs(3857, 4326, always_xy=True)
WARD = 25732  # Phường An Tịnh, Tây Ninh


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    """The z/x/y of the Web Mercator tile holding a point (the slippy-map formula)."""
    n = 2 ** z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return z, int((lon + 180) / 360 * n), int(y)


HOME = tile_of(FIELD_LON, FIELD_LAT, 14)  # holds every plot of these tests


def buffered_bounds(z: int, x: int, y: int):
    """The lon/lat box of a tile with its 256-unit buffer (longitudes not wrapped)."""
    n, margin = 2 ** z, tiles.BUFFER / tiles.EXTENT

    def lat(row: float) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return shapely.box((x - margin) / n * 360 - 180, lat(y + 1 + margin),
                       (x + 1 + margin) / n * 360 - 180, lat(y - margin))


def url(layer: str, z: int, x: int, y: int) -> str:
    return f"/tiles/{layer}/{z}/{x}/{y}.pbf"


def read_tile(data: bytes, layer: str, tile: tuple[int, int, int]) -> dict:
    """Features of one MVT layer by id, each {"geometry": lon/lat shape, **properties},
    as GDAL reads them: the z/x/y in the file's path georeferences the tile, the
    feature's MVT id comes as `mvt_id`, and CLIP=NO keeps what lies in the buffer."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, *map(str, tile)).with_suffix(".pbf")
        path.parent.mkdir(parents=True)
        path.write_bytes(data)
        meta, _fids, geometries, columns = pyogrio.raw.read(path, layer=layer, clip="NO")
    assert meta["crs"] == "EPSG:3857"
    features = {}
    for i, wkb in enumerate(geometries):
        shape = shapely.transform(shapely.from_wkb(wkb), lambda xy: list(zip(
            *TO_LONLAT.transform(xy[:, 0], xy[:, 1]))))
        props = {name: column[i] for name, column in zip(meta["fields"], columns)}
        props = {k: v for k, v in props.items() if v is not None and v == v}  # no NaN/None
        features[int(props["id"])] = {"geometry": shape, **props}
    return features


def draft(client, headers, geom, **extra):
    body = {"name": "Lô thử", "crop": "dragon fruit", "geometry": geom.__geo_interface__,
            **extra}
    created = client.post("/api/v1/areas", json=body, headers=headers)
    assert created.status_code == 201, created.get_json()
    return created.get_json()


def act(client, headers, area, action):
    done = client.post(f"/api/v1/areas/{area['id']}/{action}", json={}, headers=headers)
    assert done.status_code == 200, done.get_json()
    return done.get_json()


@pytest.fixture
def fields(client, world):
    """Areas in the field of province P: A's issued, B's issued (limes), A's draft and
    A's submitted; A's active packing house and B's pending one."""
    a, b = english(world.token(world.producer_a)), english(world.token(world.producer_b))
    p = english(world.token(world.official_p))

    def issued(headers, geom, **extra):
        area = act(client, headers, draft(client, headers, geom, **extra), "submit")
        return act(client, p, area, "approve")

    made = {
        "a_issued": issued(a, plot(0, 0, 200, 150), ward_code=WARD),
        "b_issued": issued(b, plot(300, 0), crop="lime"),
        "a_draft": draft(client, a, plot(600, 0)),
        "a_submitted": act(client, a, draft(client, a, plot(900, 0)), "submit"),
    }
    house = client.post("/api/v1/facilities", headers=a, json={
        "kind": "packing_house", "name": "Nhà đóng gói A",
        "location": {"type": "Point", "coordinates": [FIELD_LON + 0.001, FIELD_LAT + 0.003]}})
    made["a_house"] = act_facility(client, p, house.get_json())
    made["b_house"] = client.post("/api/v1/facilities", headers=b, json={
        "kind": "packing_house", "name": "Nhà đóng gói B",
        "location": {"type": "Point", "coordinates": [FIELD_LON + 0.002, FIELD_LAT + 0.003]}}
    ).get_json()
    return made


def act_facility(client, headers, facility):
    done = client.post(f"/api/v1/facilities/{facility['id']}/approve", json={},
                       headers=headers)
    assert done.status_code == 200, done.get_json()
    return done.get_json()


def test_a_tile_holds_the_public_areas_with_their_properties_where_they_are(
        client, world, fields):
    response = client.get(url("growing-areas", *HOME))
    assert response.status_code == 200
    assert response.content_type == "application/vnd.mapbox-vector-tile"
    features = read_tile(response.data, "growing-areas", HOME)
    a = fields["a_issued"]
    assert set(features) == {a["id"], fields["b_issued"]["id"]}
    got = features[a["id"]]
    assert got["mvt_id"] == a["id"]
    assert (got["code"], got["name"], got["crop"], got["status"]) == \
        (a["code"], "Lô thử", "dragon fruit", "issued")
    assert got["hectares"] == pytest.approx(a["area_ha"])
    assert (got["organization"], got["organization_id"]) == ("HTX A", world.org_a.id)
    assert (got["province_code"], got["ward_code"]) == (TAY_NINH, WARD)
    expected = plot(0, 0, 200, 150)
    # One tile unit at zoom 14 is about 2.4 m; the centroid lands within a few metres.
    assert got["geometry"].centroid.distance(expected.centroid) < 3e-5
    assert got["geometry"].area == pytest.approx(expected.area, rel=0.05)


def ids(client, layer="growing-areas", headers=None, tile=HOME, **query) -> set[int]:
    response = client.get(url(layer, *tile), headers=headers or {}, query_string=query)
    assert response.status_code in (200, 204), response.get_json()
    if response.status_code == 204:
        return set()
    return set(read_tile(response.data, layer, tile))


def test_each_user_sees_public_areas_and_what_their_role_may_read(client, world, fields):
    issued = {fields["a_issued"]["id"], fields["b_issued"]["id"]}
    unpublished = {fields["a_draft"]["id"], fields["a_submitted"]["id"]}
    assert ids(client) == issued
    assert ids(client, headers=world.token(world.producer_b)) == issued
    assert ids(client, headers=world.token(world.official_q)) == issued
    assert ids(client, headers=world.token(world.producer_a)) == issued | unpublished
    assert ids(client, headers=world.token(world.official_p)) == issued | unpublished
    assert ids(client, headers=world.token(world.admin)) == issued | unpublished


def test_a_draft_has_no_code_property(client, world, fields):
    response = client.get(url("growing-areas", *HOME), headers=world.token(world.producer_a))
    features = read_tile(response.data, "growing-areas", HOME)
    draft_area = features[fields["a_draft"]["id"]]
    assert draft_area["status"] == "draft" and "code" not in draft_area
    assert features[fields["a_submitted"]["id"]]["status"] == "submitted"


def test_facilities_public_are_the_active_ones(client, world, fields):
    house, pending = fields["a_house"], fields["b_house"]
    response = client.get(url("facilities", *HOME))
    features = read_tile(response.data, "facilities", HOME)
    assert set(features) == {house["id"]}
    got = features[house["id"]]
    assert {k: got[k] for k in ("code", "name", "kind", "status", "organization")} == {
        "code": house["code"], "name": "Nhà đóng gói A", "kind": "packing_house",
        "status": "active", "organization": "HTX A"}
    assert got["mvt_id"] == house["id"]
    where = got["geometry"]
    assert (where.x, where.y) == pytest.approx((FIELD_LON + 0.001, FIELD_LAT + 0.003), abs=3e-5)
    both = {house["id"], pending["id"]}
    assert ids(client, "facilities", world.token(world.producer_b)) == both
    assert ids(client, "facilities", world.token(world.official_p)) == both
    assert ids(client, "facilities", world.token(world.producer_a)) == {house["id"]}
    assert ids(client, "facilities", world.token(world.official_q)) == {house["id"]}
    assert ids(client, "facilities", world.token(world.producer_b),
               status="pending") == {pending["id"]}


def test_filters_narrow_the_tile(client, world, fields):
    a, b = fields["a_issued"]["id"], fields["b_issued"]["id"]
    assert ids(client, crop="lime") == {b}
    assert ids(client, crop="dragon fruit", organization_id=world.org_a.id) == {a}
    assert ids(client, organization_id=world.org_b.id) == {b}
    assert ids(client, ward=WARD) == {a}
    assert ids(client, province=TAY_NINH) == {a, b}
    assert ids(client, province=82) == set()
    assert ids(client, status="draft") == set()      # the public sees no drafts
    assert ids(client, headers=world.token(world.producer_a), status="draft") == \
        {fields["a_draft"]["id"]}
    assert ids(client, crop="") == {a, b}            # an empty field is no filter
    assert ids(client, lang="en") == {a, b}          # the language of errors only
    # Facilities have no crop: one filter string can serve both layers.
    assert ids(client, "facilities", crop="lime") == {fields["a_house"]["id"]}
    assert ids(client, "facilities", organization_id=world.org_b.id) == set()


@pytest.mark.parametrize("layer, query, field, words", [
    ("growing-areas", {"status": "approved"}, "status", "Must be one of"),
    ("growing-areas", {"province": "99"}, "province", "Not one of the 34 provinces."),
    ("growing-areas", {"ward": "1"}, "ward", "Unknown ward or commune code."),
    ("growing-areas", {"organization_id": "A"}, "organization_id", "Not a whole number."),
    ("growing-areas", {"crop": "x" * 101}, "crop", "and 100 characters."),
    ("growing-areas", {"colour": "red"}, "colour", "Unknown field."),
    ("facilities", {"status": "issued"}, "status", "Must be one of: pending, active"),
])
def test_bad_filters_are_refused_in_plain_words(client, db, layer, query, field, words):
    response = client.get(url(layer, *HOME), query_string=query, headers=english({}))
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"
    problem = response.get_json()
    assert words in " ".join(problem["errors"][field])
    assert problem["detail"].startswith("Some filters are not right:")
    assert words in problem["detail"]


@pytest.mark.parametrize("z, x, y, words", [
    ("23", "0", "0", "z: Must be from 0 to 22."),
    ("3", "8", "0", "x: Must be from 0 to 7 at zoom 3."),
    ("0", "0", "1", "y: Must be from 0 to 0 at zoom 0."),
    ("14", "-1", "0", "x: Must be at least 0."),
    ("ten", "0", "0", "z: Not a whole number."),
    ("2", "1.5", "0", "x: Not a whole number."),
])
def test_impossible_tiles_are_400(client, db, z, x, y, words):
    response = client.get(f"/tiles/growing-areas/{z}/{x}/{y}.pbf", headers=english({}))
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"
    assert response.get_json()["detail"] == f"There is no tile {z}/{x}/{y}: {words}"


def test_unknown_layer_is_404(client, db):
    response = client.get(url("roads", *HOME), headers=english({}))
    assert response.status_code == 404
    assert "growing-areas, facilities" in response.get_json()["detail"]


def test_a_tile_with_nothing_in_it_is_204(client, world, fields):
    response = client.get(url("growing-areas", *tile_of(-30.0, 40.0, 14)))  # the Atlantic
    assert response.status_code == 204 and response.data == b""
    assert response.headers["Cache-Control"] == "public, max-age=60"


def test_etag_gives_304_and_changes_with_the_tile(client, world, fields):
    first = client.get(url("growing-areas", *HOME))
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")   # strong
    assert first.headers["Cache-Control"] == "public, max-age=60"
    assert {"Cookie", "Authorization"} <= set(first.vary)
    again = client.get(url("growing-areas", *HOME), headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    # Another issued area in the tile: a new tile, a new ETag, the old one no longer 304s.
    act(client, english(world.token(world.official_p)), fields["a_submitted"], "approve")
    changed = client.get(url("growing-areas", *HOME), headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert fields["a_submitted"]["id"] in read_tile(changed.data, "growing-areas", HOME)


def test_logged_in_tiles_are_private(client, world, fields):
    with_token = client.get(url("growing-areas", *HOME), headers=world.token(world.official_p))
    assert with_token.headers["Cache-Control"] == "private, no-cache"
    login(client, "a@test.vn", "correct-horse-42")
    with_cookie = client.get(url("growing-areas", *HOME))
    assert with_cookie.headers["Cache-Control"] == "private, no-cache"
    assert "Cookie" in with_cookie.vary
    assert fields["a_draft"]["id"] in read_tile(with_cookie.data, "growing-areas", HOME)


def test_a_small_area_stays_visible_at_every_zoom(client, world, fields):
    """0.1 ha is far below one tile unit at low zooms (2.4 km at zoom 2): ST_AsMVTGeom
    alone would drop it; the tile keeps a small square where the area is."""
    small = plot(0, 400, 32, 32)
    a, p = english(world.token(world.producer_a)), english(world.token(world.official_p))
    area = act(client, p, act(client, a, draft(client, a, small), "submit"), "approve")
    lon, lat = small.centroid.x, small.centroid.y
    for z in range(0, tiles.MAX_ZOOM + 1):
        tile = tile_of(lon, lat, z)
        response = client.get(url("growing-areas", *tile), query_string={"ward": ""})
        assert response.status_code == 200, z
        features = read_tile(response.data, "growing-areas", tile)
        assert area["id"] in features, z
        shape = features[area["id"]]["geometry"]
        unit = 360 / 2 ** z / tiles.EXTENT
        assert shape.geom_type in ("Polygon", "MultiPolygon"), z
        # Deep zooms clip the plot to the tile and its buffer; low zooms draw it whole.
        expected = small.intersection(buffered_bounds(*tile))
        assert shape.centroid.distance(expected.centroid) < 2 * unit + 1e-6, z


def test_the_tile_query_uses_the_spatial_index(app, db, world):
    """EXPLAIN of the very statement the service runs, on 5,000 areas and 5,000
    facilities: with this many rows the planner picks the GiST index on its own (no
    enable_seqscan tricks). On the few rows of the other tests a sequential scan is
    cheaper and is rightly chosen, so this test brings its own rows."""
    db.execute(text("""
        INSERT INTO growing_areas (code, name, crop, organization_id, geom, area_ha,
                                   perimeter_m, province_code, status, target_markets, version)
        SELECT 'VN-TNOR-X' || i, 'Lô ' || i, 'rice', :org,
               ST_Multi(ST_MakeEnvelope(x, y, x + 0.0008, y + 0.0008, 4326)), 0.8, 360, 80,
               'issued', '{}', 1
        FROM (SELECT i, 106.0 + (i % 70) * 0.001 AS x, 11.0 + (i / 70) * 0.001 AS y
              FROM generate_series(1, 5000) AS i) cells"""), {"org": world.org_a.id})
    db.execute(text("""
        INSERT INTO facilities (kind, name, organization_id, geom, address, province_code,
                                status)
        SELECT 'packing_house', 'Nhà ' || i, :org,
               ST_SetSRID(ST_MakePoint(106.0 + (i % 70) * 0.001, 11.0 + (i / 70) * 0.001),
                          4326), '', 80, 'active'
        FROM generate_series(1, 5000) AS i"""), {"org": world.org_a.id})
    db.execute(text("ANALYZE growing_areas; ANALYZE facilities"))
    connection = db.connection()
    for layer, index in (("growing-areas", "idx_growing_areas_geom"),
                         ("facilities", "idx_facilities_geom")):
        for z in (14, 16):  # a tenth and a hundredth of the rows
            with app.test_request_context():
                statement = tiles.tile_statement(None, layer, *tile_of(106.035, 11.035, z))
            compiled = statement.compile(dialect=connection.dialect)
            plan = "\n".join(connection.exec_driver_sql(
                "EXPLAIN " + str(compiled), compiled.params).scalars())
            assert f"Index Scan using {index}" in plan or f"Index Scan on {index}" in plan, plan
            assert f"Seq Scan on {layer.replace('-', '_')}" not in plan, plan


def test_a_public_tile_is_cut_once_until_its_layer_changes(app, client, db, world, fields):
    """The tile cache: the second request is served without cutting the tile again, and
    any change to the layer's rows (here an area's name, and the owner's name, written
    straight into the tables as another app server would) shows in the very next tile."""
    from sqlalchemy import event
    engine = db.connection().engine
    cuts = []

    def count(_conn, _cursor, statement, *_args):
        if "ST_AsMVT(" in statement:
            cuts.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        first = read_tile(client.get(url("growing-areas", *HOME)).data, "growing-areas", HOME)
        again = read_tile(client.get(url("growing-areas", *HOME)).data, "growing-areas", HOME)
        assert again == first and len(cuts) == 1
        area_id = fields["a_issued"]["id"]
        db.execute(text("UPDATE growing_areas SET name = 'Lô đổi tên' WHERE id = :id"),
                   {"id": area_id})
        renamed = read_tile(client.get(url("growing-areas", *HOME)).data, "growing-areas", HOME)
        assert renamed[area_id]["name"] == "Lô đổi tên" and len(cuts) == 2
        db.execute(text("UPDATE organizations SET name = 'HTX Đổi Tên' WHERE id = :id"),
                   {"id": world.org_a.id})
        owner = read_tile(client.get(url("growing-areas", *HOME)).data, "growing-areas", HOME)
        assert owner[area_id]["organization"] == "HTX Đổi Tên" and len(cuts) == 3
        # A logged-in user's tile is never taken from the cache.
        client.get(url("growing-areas", *HOME), headers=world.token(world.official_p))
        assert len(cuts) == 4
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_version_rolled_back_is_never_given_again(db, world):
    """Versions come from a sequence: a tile cut inside a transaction that was rolled
    back can never match a later transaction's version."""
    version = "SELECT version FROM map_versions WHERE layer = 'growing-areas'"
    before = db.execute(text(version)).scalar()
    nested = db.begin_nested()
    db.execute(text("UPDATE growing_areas SET name = name"))
    inside = db.execute(text(version)).scalar()
    nested.rollback()
    assert db.execute(text(version)).scalar() == before
    db.execute(text("UPDATE growing_areas SET name = name"))
    assert db.execute(text(version)).scalar() not in (before, inside)
