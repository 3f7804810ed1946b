"""The maps' pages: who may open them, that every asset is ours (only the configured
basemap is remote), what each page offers, and the search by code with its rights."""
import json
import re
from html.parser import HTMLParser

import pytest
from shapely.geometry import mapping
from sqlalchemy import select

from agritrace.models import AreaStatus, GrowingArea
from support import DONG_THAP, PASSWORD, csrf_token, english, login, plot

EN = {"Accept-Language": "en"}


class _Links(HTMLParser):
    """Every src and href of a page, and the script's settings."""

    def __init__(self):
        super().__init__()
        self.urls, self.config, self._in_config = [], None, False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.urls += [attrs[k] for k in ("src", "href") if attrs.get(k)]
        self._in_config = tag == "script" and attrs.get("id") == "webgis-config"

    def handle_data(self, data):
        if self._in_config:
            self.config = json.loads(data)
            self._in_config = False


def _parse(page: str) -> _Links:
    links = _Links()
    links.feed(page)
    return links


def _assert_only_local(client, app, page: str) -> _Links:
    """Each src/href is on our host and answers; the only other host named anywhere in
    the page is the configured basemap's."""
    links = _parse(page)
    for url in links.urls:
        assert url.startswith("/") and not url.startswith("//"), url
        if url.startswith("/static/"):
            assert client.get(url).status_code == 200, url
    basemap = app.config["BASEMAP_URL"]
    remote = set(re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}[^\"'\s)<]*", page))
    assert remote <= {basemap, "//" + basemap.split("//", 1)[1]}, remote - {basemap}
    return links


def _issue(db, world, org, geom, code, status=AreaStatus.ISSUED, province=80, crop="lime"):
    """An area written straight into the database (the API's rules are tested elsewhere)."""
    from decimal import Decimal

    from geoalchemy2.shape import from_shape
    from shapely.geometry import MultiPolygon
    area = GrowingArea(code=code, name=f"Lô {code or 'nháp'}", crop=crop, organization_id=org.id,
                       geom=from_shape(MultiPolygon([geom]), srid=4326), area_ha=Decimal("1"),
                       perimeter_m=Decimal("400"), province_code=province, status=status,
                       version=1, target_markets=[])
    db.add(area)
    db.flush()
    return area


def test_the_officials_map_is_for_officials(client, world):
    r = client.get("/gis/map")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert "next=/gis/map" in r.headers["Location"]
    login(client, "a@test.vn", PASSWORD)
    assert client.get("/gis/map", headers=EN).status_code == 403
    assert client.get("/gis/map/search?code=VN", headers=EN).status_code == 403


def test_official_map_loads_nothing_from_elsewhere_and_offers_its_tools(app, client, db,
                                                                        world):
    _issue(db, world, world.org_a, plot(), "VN-TNOR-0001")
    login(client, "p@test.vn", PASSWORD)
    r = client.get("/gis/map", headers=EN)
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    links = _assert_only_local(client, app, page)
    scripts = [u for u in links.urls if u.endswith(".js")]
    for needed in ("leaflet.js", "Leaflet.VectorGrid.bundled.min.js", "leaflet.draw.js",
                   "webgis.js"):
        assert any(u.endswith("/" + needed) for u in scripts), (needed, scripts)
    assert "cdn" not in page.lower() and "jquery" not in page.lower()
    config = links.config
    assert config["tiles"] == {"growing-areas": "/tiles/growing-areas/{z}/{x}/{y}.pbf",
                               "facilities": "/tiles/facilities/{z}/{x}/{y}.pbf"}
    assert config["api"] == "/api/v1/areas" and config["draw"] and config["csrf"]
    assert config["area"] == "/gis/areas/{id}" and config["card"] == "/areas/{code}"
    assert config["crops"] == ["lime"] and not config["public"]
    assert [s["value"] for s in config["statuses"]] == [s.value for s in AreaStatus]
    # An official's province is fixed: the tiles are asked for it, with no choice; the
    # organisations offered (to filter and to draft for) are the province's only.
    assert '<input type="hidden" name="province" value="80">' in page
    assert '<select name="province">' not in page
    assert page.count(f'<option value="{world.org_a.id}">HTX A</option>') == 2
    assert "HTX B" in page and "HTX Q" not in page
    assert 'name="ward"' in page and "Tây Ninh" in page
    # The map opens on the province's areas.
    bounds = plot().bounds
    opened = re.search(r"fitBounds\(\s*\[\[([\d.]+), ([\d.]+)\], \[([\d.]+), ([\d.]+)\]\]",
                       page)
    assert opened, "the map does not open on the areas"
    assert [float(v) for v in opened.groups()] == pytest.approx(
        [bounds[1], bounds[0], bounds[3], bounds[2]])


def test_admin_may_filter_by_province(client, world):
    login(client, "admin@test.vn", PASSWORD)
    page = client.get("/gis/map", headers=EN).get_data(as_text=True)
    assert '<select name="province">' in page and "Đồng Tháp" in page
    assert 'type="hidden" name="province"' not in page
    assert 'name="ward" disabled' in page  # filled once a province is chosen
    assert "HTX Q" in page and "HTX A" in page
    # The script fills the wards of the chosen province from the units API.
    wards = client.get(_parse(page).config["wards"].format(code=DONG_THAP)).get_json()
    names = {w["name"] for w in wards}
    assert {"Phường Cao Lãnh", "Phường Mỹ Tho"} <= names and "Xã Tầm Vu" not in names


def test_open_map_is_public_shows_issued_crops_and_offers_no_drawing(app, client, db,
                                                                     world):
    _issue(db, world, world.org_a, plot(), "VN-TNOR-0001", crop="lime")
    _issue(db, world, world.org_a, plot(500), None, status=AreaStatus.DRAFT, crop="durian")
    r = client.get("/map", headers=EN)
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    links = _assert_only_local(client, app, page)
    assert not any("leaflet.draw" in u for u in links.urls)
    config = links.config
    assert config["public"] and config["api"] is None and config["area"] is None
    assert config["draw"] == "" and config["search"] == "/map/search"
    assert config["csrf"] is None
    assert config["crops"] == ["lime"]  # a draft's crop is nobody else's business
    assert 'name="organization_id"' not in page and 'name="status"' not in page
    assert "draft-form" not in page


def test_search_finds_a_code_the_official_may_see_with_its_box(client, db, world):
    field = plot()
    area = _issue(db, world, world.org_a, field, "VN-TNOR-0017")
    _issue(db, world, world.org_a, plot(300), "A-VN-TNOR-0017")   # sorts first by code
    _issue(db, world, world.org_a, plot(600), "VN-TNOR-0018")
    login(client, "p@test.vn", PASSWORD)
    r = client.get("/gis/map/search", query_string={"code": " vn-tnor-0017 "})
    assert r.status_code == 200
    results = r.get_json()["results"]
    # The exact code first, then codes that contain it.
    assert [x["code"] for x in results] == ["VN-TNOR-0017", "A-VN-TNOR-0017"]
    assert results[0]["id"] == area.id and results[0]["status"] == "issued"
    assert results[0]["bbox"] == pytest.approx(list(field.bounds))


def test_an_official_cannot_find_another_provinces_area(client, db, world):
    _issue(db, world, world.org_a, plot(), "VN-TNOR-0001")
    _issue(db, world, world.org_q, plot(lon=105.63, lat=10.46), "VN-DTOR-0001",
           province=DONG_THAP)
    login(client, "q@test.vn", PASSWORD)
    assert client.get("/gis/map/search?code=VN-TNOR-0001").get_json() == {"results": []}
    assert [x["code"] for x in client.get("/gis/map/search?code=VN-").get_json()["results"]] \
        == ["VN-DTOR-0001"]
    client.post("/logout", data={"csrf_token": csrf_token(client, "/gis/")})
    login(client, "admin@test.vn", PASSWORD)
    codes = [x["code"] for x in client.get("/gis/map/search?code=VN-").get_json()["results"]]
    assert sorted(codes) == ["VN-DTOR-0001", "VN-TNOR-0001"]


def test_public_search_finds_issued_areas_only_and_reveals_no_ids(client, db, world):
    _issue(db, world, world.org_a, plot(), "VN-TNOR-0001")
    _issue(db, world, world.org_a, plot(300), "VN-TNOR-0002", status=AreaStatus.SUSPENDED)
    _issue(db, world, world.org_a, plot(600), None, status=AreaStatus.DRAFT)
    results = client.get("/map/search?code=tnor").get_json()["results"]
    assert [(x["code"], x["id"]) for x in results] == [("VN-TNOR-0001", None)]
    assert client.get("/map/search?code=nháp").get_json() == {"results": []}


def test_search_needs_a_code_and_takes_it_literally(client, db, world):
    _issue(db, world, world.org_a, plot(), "VN-TNOR-0001")
    r = client.get("/map/search", headers=EN)
    assert r.status_code == 400
    assert r.get_json()["detail"] == "Type a growing-area code to search for."
    assert client.get("/map/search?code=" + "x" * 61).status_code == 400
    assert client.get("/map/search?code=%20%20").status_code == 400
    # A wildcard typed by someone is a character, not a pattern.
    assert client.get("/map/search?code=%25").get_json() == {"results": []}
    assert client.get("/map/search?code=VN_TNOR").get_json() == {"results": []}


def test_drafting_from_the_map_posts_as_the_script_does(client, db, world):
    """The page's token in X-CSRFToken lets the official's session write to the API;
    an official says whose area it is, and a refusal comes back in words."""
    login(client, "p@test.vn", PASSWORD)
    config = _parse(client.get("/gis/map").get_data(as_text=True)).config
    body = {"name": "Vẽ trên bản đồ", "crop": "lime", "geometry": mapping(plot(900))}
    headers = english({"X-CSRFToken": config["csrf"], "Accept": "application/json"})
    missing = client.post(config["api"], json=body, headers=headers)
    assert missing.status_code == 422
    assert missing.get_json()["detail"] == "Say which organisation the area belongs to."
    no_token = client.post(config["api"], json={**body, "organization_id": world.org_a.id},
                           headers=EN)
    assert no_token.status_code == 400
    assert db.scalar(select(GrowingArea.id).where(GrowingArea.name == body["name"])) is None
    created = client.post(config["api"], json={**body, "organization_id": world.org_a.id},
                          headers=headers)
    assert created.status_code == 201, created.get_json()
    area = db.get(GrowingArea, created.get_json()["id"])
    assert (area.status, area.organization_id, area.crop) == (AreaStatus.DRAFT,
                                                              world.org_a.id, "lime")
