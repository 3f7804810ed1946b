"""OGC API – Features at /ogc through the Flask test client, on areas and facilities
made through the real API: what the public sees, paging, filters, validation,
formats, and the API definition checked against the OpenAPI 3.0 meta-schema."""
import re
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import jsonschema
import pytest
from shapely.geometry import box, shape
from sqlalchemy import event, text

from agritrace.db import EXTENSION
from support import DONG_THAP, TAY_NINH, english, login, plot

OGC = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"
AREAS = "/ogc/collections/growing-areas/items"
FACILITIES = "/ogc/collections/facilities/items"


def path_of(href: str) -> str:
    parts = urlsplit(href)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def link(doc: dict, rel: str, media_type: str | None = None) -> dict | None:
    found = [ln for ln in doc["links"]
             if ln["rel"] == rel and (media_type is None or ln["type"] == media_type)]
    assert len(found) <= 1, found
    return found[0] if found else None


def drafted(client, headers, geometry, crop="dragon fruit", **extra) -> dict:
    response = client.post("/api/v1/areas", headers=headers, json={
        "name": f"Lô {crop} {len(extra)}", "crop": crop,
        "geometry": geometry.__geo_interface__, **extra})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def act(client, headers, area: dict, action: str, **body) -> dict:
    response = client.post(f"/api/v1/areas/{area['id']}/{action}", json=body, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.fixture
def published(client, world):
    """Issued areas of A and B in Tây Ninh and one of Q in Đồng Tháp, A's areas in
    every other status (far to the east, so that they would widen any extent),
    one active and one pending packing house."""
    a, b = english(world.token(world.producer_a)), english(world.token(world.producer_b))
    p, q = english(world.token(world.official_p)), english(world.token(world.official_q))
    until = (date.today() + timedelta(days=800)).isoformat()
    shapes, issued = {}, []
    for i, crop in enumerate(["dragon fruit"] * 3 + ["seedless lime"] * 2):
        area = drafted(client, a, plot(east_m=150 * i), crop)
        act(client, a, area, "submit")
        issued.append(act(client, p, area, "approve", **({"valid_until": until} if i % 2 else {})))
        shapes[area["id"]] = plot(east_m=150 * i)
    area_b = drafted(client, b, plot(north_m=300), "dragon fruit")
    act(client, b, area_b, "submit")
    issued.append(act(client, p, area_b, "approve"))
    shapes[area_b["id"]] = plot(north_m=300)
    in_q = plot(lon=105.63, lat=10.46)
    issued.append(drafted(client, q, in_q, "rice", organization_id=world.org_q.id,
                          code="VN-DTOR-0005"))
    shapes[issued[-1]["id"]] = in_q

    hidden = {"draft": drafted(client, a, plot(east_m=3000))}
    hidden["submitted"] = drafted(client, a, plot(east_m=3200))
    act(client, a, hidden["submitted"], "submit")
    for status, east in (("suspended", 3400), ("revoked", 3600), ("rejected", 3800)):
        hidden[status] = drafted(client, a, plot(east_m=east))
        act(client, a, hidden[status], "submit")
        if status == "rejected":
            act(client, p, hidden[status], "reject", reason="Sai ranh giới")
            continue
        act(client, p, hidden[status], "approve")
        act(client, p, hidden[status], status[:-1] if status == "revoked" else "suspend",
            reason="Kiểm tra")

    def facility(name, lon):
        response = client.post("/api/v1/facilities", headers=a, json={
            "kind": "packing_house", "name": name,
            "location": {"type": "Point", "coordinates": [lon, 11.41]}})
        assert response.status_code == 201, response.get_json()
        return response.get_json()
    active = facility("Nhà đóng gói A", 106.21)
    assert client.post(f"/api/v1/facilities/{active['id']}/approve", json={},
                       headers=p).status_code == 200
    pending = facility("Nhà đóng gói chờ duyệt", 106.25)
    return SimpleNamespace(issued=issued, shapes=shapes, hidden=hidden, active=active,
                           pending=pending, ids={area["id"] for area in issued})


def all_pages(client, url: str, **headers) -> tuple[list[dict], list[dict]]:
    """Every page from `url` on, following `next`; (features, pages)."""
    features, pages = [], []
    while url:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.get_json()
        assert response.content_type == "application/geo+json"
        page = response.get_json()
        pages.append(page)
        features += page["features"]
        following = link(page, "next")
        url = path_of(following["href"]) if following else None
    return features, pages


# -- capabilities ------------------------------------------------------------------

def test_conformance_declares_the_classes_served(client):
    response = client.get("/ogc/conformance")
    assert response.status_code == 200 and response.content_type == "application/json"
    assert set(response.get_json()["conformsTo"]) == {
        OGC + "core", OGC + "geojson", OGC + "html", OGC + "oas30"}


def test_every_landing_link_answers_in_the_type_it_promises(client):
    landing = client.get("/ogc").get_json()
    assert {ln["rel"] for ln in landing["links"]} == {
        "self", "alternate", "service-desc", "service-doc", "conformance", "data"}
    assert link(landing, "service-desc")["type"] == \
        "application/vnd.oai.openapi+json;version=3.0"
    for ln in landing["links"]:
        response = client.get(path_of(ln["href"]))
        assert response.status_code == 200, ln
        assert response.content_type.split(";")[0] == ln["type"].split(";")[0], ln
    # OWSLib asks for the landing page with a trailing slash.
    assert client.get("/ogc/").get_json() == landing


def test_api_definition_is_valid_openapi_30_and_lists_what_the_views_accept(app, client):
    from schemathesis.specs.openapi.definitions import OPENAPI_30

    from agritrace.ogc.collections import COLLECTIONS
    response = client.get("/ogc/api")
    assert response.headers["Content-Type"] == "application/vnd.oai.openapi+json;version=3.0"
    doc = response.get_json()
    jsonschema.Draft4Validator(OPENAPI_30).validate(doc)
    assert doc["openapi"].startswith("3.0")
    for collection in COLLECTIONS.values():
        operation = doc["paths"][f"/collections/{collection.id}/items"]["get"]
        documented = {(doc["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]]
                       if "$ref" in p else p)["name"] for p in operation["parameters"]}
        assert documented == set(collection.query().fields), collection.id
    # The service-doc renders the same document for people.
    page = client.get("/ogc/api?f=html").get_data(as_text=True)
    assert "/collections/growing-areas/items" in page and "bbox" in page


# -- collections -----------------------------------------------------------------

def test_collections_carry_extent_from_public_data_only(client, published):
    doc = client.get("/ogc/collections").get_json()
    assert [c["id"] for c in doc["collections"]] == ["growing-areas", "facilities"]
    areas = doc["collections"][0]
    assert areas == client.get("/ogc/collections/growing-areas").get_json()
    west = min(s.bounds[0] for s in published.shapes.values())
    south = min(s.bounds[1] for s in published.shapes.values())
    east = max(s.bounds[2] for s in published.shapes.values())
    north = max(s.bounds[3] for s in published.shapes.values())
    assert areas["extent"]["spatial"]["bbox"][0] == pytest.approx([west, south, east, north],
                                                                  abs=1e-6)
    assert areas["extent"]["spatial"]["crs"].endswith("/OGC/1.3/CRS84")
    first_issue = min(a["issued_at"] for a in published.issued)
    assert datetime.fromisoformat(areas["extent"]["temporal"]["interval"][0][0]) == \
        pytest.approx(datetime.fromisoformat(first_issue), abs=timedelta(seconds=1))
    assert areas["extent"]["temporal"]["interval"][0][1] is None  # some never expire
    items = link(areas, "items", "application/geo+json")
    assert client.get(path_of(items["href"])).content_type == "application/geo+json"
    assert link(areas, "items", "text/html")
    facilities = doc["collections"][1]
    assert facilities["extent"]["spatial"]["bbox"][0] == pytest.approx(
        [106.21, 11.41, 106.21, 11.41])  # the pending one is not counted


# -- items -------------------------------------------------------------------------

def test_following_next_reads_every_public_area_once(client, published):
    features, pages = all_pages(client, AREAS + "?limit=2")
    assert [f["id"] for f in features] == sorted(published.ids)
    assert all(page["numberMatched"] == len(published.ids) for page in pages)
    assert [page["numberReturned"] for page in pages] == [len(p["features"]) for p in pages]
    assert all(page["numberReturned"] <= 2 for page in pages)
    assert link(pages[0], "prev") is None and link(pages[-1], "next") is None
    back = client.get(path_of(link(pages[-1], "prev")["href"])).get_json()
    assert back["features"] == pages[-2]["features"]
    for page in pages:
        stamp = datetime.fromisoformat(page["timeStamp"])
        assert stamp.tzinfo is not None
        assert parse_qs(urlsplit(link(page, "self")["href"]).query)["limit"] == ["2"]


def test_features_carry_geometry_and_published_properties(client, published, world):
    q_area = published.issued[-1]
    doc = client.get(f"{AREAS}/{q_area['id']}").get_json()
    assert doc["type"] == "Feature" and doc["id"] == q_area["id"]
    # The same polygon, to the 7 decimals (about 1 cm) served.
    assert shape(doc["geometry"]).hausdorff_distance(published.shapes[q_area["id"]]) < 1e-7
    assert doc["geometry"]["type"] == "MultiPolygon"
    props = doc["properties"]
    assert props["code"] == "VN-DTOR-0005" and props["crop"] == "rice"
    assert props["status"] == "issued"
    assert props["organization"] == world.org_q.name
    assert props["province_code"] == DONG_THAP and props["province"] == "Đồng Tháp"
    assert props["hectares"] == pytest.approx(float(q_area["area_ha"]))
    assert props["perimeter_m"] == pytest.approx(float(q_area["perimeter_m"]))
    assert datetime.fromisoformat(props["issued_at"]) == datetime.fromisoformat(
        q_area["issued_at"])
    for rel in ("self", "alternate", "collection", "related"):
        assert client.get(path_of(link(doc, rel)["href"])).status_code == 200, rel
    facility = client.get(f"{FACILITIES}/{published.active['id']}").get_json()
    assert facility["geometry"] == {"type": "Point", "coordinates": [106.21, 11.41]}
    assert facility["properties"]["kind"] == "packing_house"
    assert facility["properties"]["code"].startswith("VN-TNPH-")
    assert facility["properties"]["organization"] == world.org_a.name


def test_non_public_rows_never_appear_whoever_asks(app, client, published, world):
    hidden_ids = {area["id"] for area in published.hidden.values()}
    everyone = [{}, world.token(world.admin), world.token(world.producer_a)]
    for headers in everyone:
        features, _pages = all_pages(client, AREAS + "?limit=1000", **headers)
        assert {f["id"] for f in features} == published.ids
        for area_id in hidden_ids:
            assert client.get(f"{AREAS}/{area_id}", headers=headers).status_code == 404
        facilities, _pages = all_pages(client, FACILITIES, **headers)
        assert [f["id"] for f in facilities] == [published.active["id"]]
        assert client.get(f"{FACILITIES}/{published.pending['id']}",
                          headers=headers).status_code == 404
    login(client, "a@test.vn", "correct-horse-42")
    features, _pages = all_pages(client, AREAS + "?limit=1000")
    assert {f["id"] for f in features} == published.ids
    for status in ("draft", "submitted", "suspended", "revoked", "rejected"):
        page = client.get(f"{AREAS}?status={status}").get_json()
        assert page["numberMatched"] == 0 and page["features"] == []


def test_bbox_selects_what_intersects_it(client, published):
    first = published.shapes[published.issued[0]["id"]]
    x0, y0, x1, y1 = first.bounds
    # A box over the first plot and the west half of the second one.
    query = box(x0, y0, x1 + (x1 - x0) * 0.8, y1)
    expected = {i for i, s in published.shapes.items() if s.intersects(query)}
    assert 1 < len(expected) < len(published.ids)
    page = client.get(f"{AREAS}?bbox={','.join(map(str, query.bounds))}").get_json()
    assert {f["id"] for f in page["features"]} == expected
    assert page["numberMatched"] == len(expected)
    # Six numbers: the heights are ignored.
    six = f"{query.bounds[0]},{query.bounds[1]},0,{query.bounds[2]},{query.bounds[3]},10"
    assert {f["id"] for f in client.get(f"{AREAS}?bbox={six}").get_json()["features"]} == expected
    # A box crossing the antimeridian from 170°E to 110°E covers Vietnam.
    across = client.get(f"{AREAS}?bbox=170,-10,110,20&limit=1000").get_json()
    assert {f["id"] for f in across["features"]} == published.ids
    assert client.get(f"{AREAS}?bbox=0,0,1,1").get_json()["numberMatched"] == 0


@pytest.mark.parametrize("value, words", [
    ("106,10,107", "four numbers"), ("a,b,c,d", "number"), ("106,10,107,nan", "finite"),
    ("106,-91,107,11", "Latitudes"), ("181,10,182,11", "Longitudes"),
    ("106,11,107,10", "south latitude"), ("", "four numbers")])
def test_bad_bbox_is_a_400_that_says_why(client, value, words):
    response = client.get(f"{AREAS}?bbox={value}", headers=english({}))
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"
    body = response.get_json()
    assert words in body["errors"]["bbox"][0] and words in body["detail"]


def test_limit_bounds_and_offset(client, published):
    for bad in ("0", "-3", "ten", "2.5"):
        response = client.get(f"{AREAS}?limit={bad}", headers=english({}))
        assert response.status_code == 400, bad
        assert "limit" in response.get_json()["errors"]
    # Above the maximum is read as the maximum (/req/core/fc-limit-response-1 C).
    big = client.get(f"{AREAS}?limit=50000").get_json()
    assert big["numberReturned"] == len(published.ids)
    assert parse_qs(urlsplit(link(big, "self")["href"]).query)["limit"] == ["1000"]
    default = client.get(AREAS).get_json()
    assert default["numberReturned"] == min(10, len(published.ids))
    assert client.get(f"{AREAS}?offset=-1").status_code == 400
    beyond = client.get(f"{AREAS}?offset=100").get_json()
    assert beyond["features"] == [] and beyond["numberMatched"] == len(published.ids)
    assert link(beyond, "next") is None and link(beyond, "prev") is not None
    second = client.get(f"{AREAS}?limit=3&offset=3").get_json()
    assert [f["id"] for f in second["features"]] == sorted(published.ids)[3:6]


def test_unknown_or_repeated_parameters_are_refused(client):
    for url in (f"{AREAS}?colour=red", "/ogc?x=1", "/ogc/collections?sortby=name",
                f"{FACILITIES}?crop=rice", f"{AREAS}/1?limit=2"):
        response = client.get(url, headers=english({}))
        assert response.status_code == 400, url
        assert response.content_type == "application/problem+json"
        assert "Unknown query parameter" in response.get_json()["detail"]
    twice = client.get(f"{AREAS}?limit=2&limit=3", headers=english({}))
    assert twice.status_code == 400
    assert twice.get_json()["errors"] == {"limit": ["Give this parameter once."]}
    assert client.get("/ogc?f=xml").status_code == 400
    assert client.get("/ogc?lang=fr").status_code == 400


def test_property_filters(client, published, world):
    limes = client.get(f"{AREAS}?crop=seedless%20lime").get_json()
    assert {f["properties"]["crop"] for f in limes["features"]} == {"seedless lime"}
    assert limes["numberMatched"] == 2
    in_p = client.get(f"{AREAS}?province={TAY_NINH}&limit=100").get_json()
    assert in_p["numberMatched"] == len(published.ids) - 1
    by_name = client.get(f"{AREAS}?province=đồng tháp").get_json()
    assert [f["properties"]["code"] for f in by_name["features"]] == ["VN-DTOR-0005"]
    both = client.get(f"{AREAS}?crop=rice&province={TAY_NINH}").get_json()
    assert both["numberMatched"] == 0
    houses = client.get(f"{FACILITIES}?kind=packing_house&status=active").get_json()
    assert [f["id"] for f in houses["features"]] == [published.active["id"]]
    assert client.get(f"{FACILITIES}?kind=feed_mill").get_json()["numberMatched"] == 0
    # The filters stay on the paging links.
    paged = client.get(f"{AREAS}?crop=dragon%20fruit&limit=1").get_json()
    assert parse_qs(urlsplit(link(paged, "next")["href"]).query)["crop"] == ["dragon fruit"]
    for url in (f"{AREAS}?province=99", f"{AREAS}?province=Atlantis", f"{AREAS}?status=lost",
                f"{FACILITIES}?kind=castle", f"{AREAS}?crop="):
        assert client.get(url).status_code == 400, url


def test_datetime_selects_areas_valid_then(client, published):
    issued = min(datetime.fromisoformat(a["issued_at"]) for a in published.issued)
    before = (issued - timedelta(days=2)).date().isoformat()
    expiring = {a["id"] for a in published.issued if a["valid_until"]}
    after_expiry = (date.today() + timedelta(days=801)).isoformat()

    def ids(value):
        response = client.get(f"{AREAS}?limit=1000&datetime={value}")
        assert response.status_code == 200, response.get_json()
        return {f["id"] for f in response.get_json()["features"]}
    now = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
    assert ids(now) == published.ids
    assert ids(before) == set()
    assert ids(f"../{before}") == set()
    assert ids(f"{before}/..") == published.ids
    assert ids(after_expiry) == published.ids - expiring
    assert ids(f"{before}/{after_expiry}") == published.ids
    # Facilities carry no time: every one matches.
    houses = client.get(f"{FACILITIES}?datetime={before}").get_json()
    assert houses["numberMatched"] == 1
    for bad in ("yesterday", "../..", "2025-02-30", f"{after_expiry}/{before}", "a/b/c"):
        assert client.get(f"{AREAS}?datetime={bad}").status_code == 400, bad


def test_missing_things_are_404(client, published):
    for url in ("/ogc/collections/rivers", "/ogc/collections/rivers/items", f"{AREAS}/abc",
                f"{AREAS}/99999999999999", f"{AREAS}/{published.active['id'] + 10_000}",
                f"{FACILITIES}/{published.issued[0]['id'] + 10_000}", "/ogc/nothing"):
        response = client.get(url, headers=english({}))
        assert response.status_code == 404, url
        assert response.content_type == "application/problem+json"


# -- HTML ----------------------------------------------------------------------------

def test_every_resource_has_an_html_alternate(client, published):
    area = published.issued[0]
    for url in ("/ogc", "/ogc/conformance", "/ogc/api", "/ogc/collections",
                "/ogc/collections/growing-areas", AREAS, f"{AREAS}/{area['id']}",
                FACILITIES, f"{FACILITIES}/{published.active['id']}"):
        as_json = client.get(url)
        alternate = link(as_json.get_json(), "alternate", "text/html") \
            if "links" in as_json.get_json() else {"href": url + "?f=html"}
        by_format = client.get(path_of(alternate["href"]), headers=english({}))
        by_accept = client.get(url, headers=english({"Accept": "text/html,*/*;q=0.8"}))
        for page in (by_format, by_accept):
            assert page.status_code == 200, url
            assert page.content_type.startswith("text/html"), url
            assert "· AgriTrace</title>" in page.get_data(as_text=True)
            assert "Accept" in page.headers["Vary"]
    html = client.get(f"{AREAS}?f=html&limit=2", headers=english({})).get_data(as_text=True)
    assert f"Features 1 to 2 of {len(published.ids)}" in html
    assert area["code"] in html and f"{AREAS}/{area['id']}?f=html" in html
    assert 'rel="next"' in html and "f=html" in html
    assert 'type="application/geo+json"' in html
    # The language switch of every page adds ?lang=.
    switched = client.get("/ogc/collections?lang=en", headers={"Accept": "text/html"})
    assert switched.status_code == 200 and "Collections" in switched.get_data(as_text=True)


def test_errors_come_as_a_page_when_html_was_asked_for(client):
    page = client.get(f"{AREAS}?f=html&bbox=1,2", headers=english({}))
    assert page.status_code == 400 and page.content_type.startswith("text/html")
    assert "four numbers" in page.get_data(as_text=True)
    missing = client.get("/ogc/collections/rivers", headers=english({"Accept": "text/html"}))
    assert missing.status_code == 404 and missing.content_type.startswith("text/html")


# -- SQL -----------------------------------------------------------------------------

def test_a_page_costs_at_most_a_count_and_a_page_query(app, client, published):
    statements = []
    engine = app.extensions[EXTENSION].kw["bind"]

    def count(conn, cursor, statement, *args):
        if "growing_areas" in statement:
            statements.append(statement)
    event.listen(engine, "before_cursor_execute", count)
    try:
        for url in (f"{AREAS}?limit=2", f"{AREAS}?limit=1000",
                    f"{AREAS}?limit=2&bbox=106,11,107,12&crop=dragon%20fruit"):
            statements.clear()
            assert client.get(url).status_code == 200
            assert 1 <= len(statements) <= 2, statements
            assert not any("ST_AsGeoJSON" not in s and "count(" not in s for s in statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_bbox_is_answered_through_the_gist_index(app, client, db, published):
    """The page query as the view sent it, planned with sequential scans priced out:
    the box must reach the spatial index (a cast or a function around `geom` would
    stop it)."""
    sent = []
    engine = app.extensions[EXTENSION].kw["bind"]

    def keep(conn, cursor, statement, parameters, *args):
        if "ST_AsGeoJSON" in statement:
            sent.append((statement, parameters))
    event.listen(engine, "before_cursor_execute", keep)
    try:
        assert client.get(f"{AREAS}?bbox=106.19,11.39,106.21,11.41").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    statement, parameters = sent[-1]
    # Plain index scans are priced out too: with the few rows of a test, walking the
    # primary key in `ORDER BY id` order can look cheaper than any filter once the
    # table has been analysed, whatever the predicate. A bitmap scan has to use an
    # index's condition, so only an index-usable box gets one.
    db.execute(text("SET LOCAL enable_seqscan = off"))
    db.execute(text("SET LOCAL enable_indexscan = off"))
    # A bitmap scan of another of the table's indexes (province and status, say) can
    # look as cheap on a test's few rows, depending on when autovacuum last analysed
    # them: only the spatial index is left to choose from. The test's transaction
    # rolls the drops back.
    for name in db.execute(text(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'growing_areas' "
            "AND indexdef NOT ILIKE '%USING gist%' "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)")).scalars():
        db.execute(text(f'DROP INDEX "{name}"'))
    plan = "\n".join(row[0] for row in db.connection().exec_driver_sql(
        "EXPLAIN " + statement, parameters))
    gist = r"Bitmap Index Scan on \S*geom\S*[^\n]*\n\s+Index Cond: \(+geom &&"
    assert re.search(gist, plan), plan
