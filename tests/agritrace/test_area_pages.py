"""Growing-area pages: upload and report, draw, review with a local-asset map, the
public area card."""
import io
import json
import re

from sqlalchemy import select

from agritrace.models import AreaStatus, GrowingArea
from area_files import kml
from support import PASSWORD, csrf_token, login, plot

EN = {"Accept-Language": "en"}


def _local_only(page: str, basemap: str) -> None:
    """Every script and stylesheet is served by us; only the basemap is remote."""
    for url in re.findall(r'(?:src|href)="([^"]+)"', page):
        assert not url.startswith(("http://", "https://", "//")), url
    remote = set(re.findall(r"https?://[^\"'\s)]+", page)) - {basemap}
    assert not [u for u in remote if "cdn" in u or u.endswith((".js", ".css"))], remote


def test_producer_uploads_reads_the_report_in_vietnamese_and_imports(app, client, db, world):
    login(client, "a@test.vn", PASSWORD)
    token = csrf_token(client, "/portal/areas/")
    data = kml([("Lô 1", plot(0)), ("Lô 2", plot(150)), ("Lô chồng", plot(170))])
    r = client.post("/portal/areas/import", data={
        "csrf_token": token, "crop": "thanh long", "file": (io.BytesIO(data), "lo.kml")},
        content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)
    report = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "lo.kml" in report and "Lô 1" in report
    # The refused plot is explained in Vietnamese, the default language.
    assert "chồng lấn" in report
    token = csrf_token(client, r.headers["Location"])
    done = client.post(r.headers["Location"] + "/commit",
                       data={"csrf_token": token, "then": "submit", "skip_invalid": "1"})
    assert done.status_code == 302
    names = set(db.scalars(select(GrowingArea.name).where(
        GrowingArea.organization_id == world.org_a.id)))
    assert {"Lô 1", "Lô 2"} <= names
    statuses = set(db.scalars(select(GrowingArea.status).where(
        GrowingArea.organization_id == world.org_a.id)))
    assert statuses == {AreaStatus.SUBMITTED}


def test_upload_of_a_bad_file_explains_in_both_languages(client, db, world):
    login(client, "a@test.vn", PASSWORD)
    token = csrf_token(client, "/portal/areas/")
    for headers, words in ((EN, "empty"), ({}, "rỗng")):
        r = client.post("/portal/areas/import", headers=headers, data={
            "csrf_token": token, "crop": "lime", "file": (io.BytesIO(b""), "x.geojson")},
            content_type="multipart/form-data")
        assert r.status_code == 422
        assert words in r.get_data(as_text=True).lower()
    assert db.scalar(select(GrowingArea.id)) is None


def test_producer_draws_an_area_on_the_page(client, db, world):
    login(client, "a@test.vn", PASSWORD)
    page = client.get("/portal/areas/new").get_data(as_text=True)
    assert "leaflet.draw.js" in page and "draw-area.js" in page
    token = csrf_token(client, "/portal/areas/new")
    missing = client.post("/portal/areas/new", data={"csrf_token": token, "name": "Vẽ",
                                                     "crop": "lime"}, headers=EN)
    assert missing.status_code == 422
    drawn = client.post("/portal/areas/new", data={
        "csrf_token": token, "name": "Vẽ tay", "crop": "lime",
        "geometry": json.dumps(plot(0).__geo_interface__)})
    assert drawn.status_code == 302
    area = db.scalar(select(GrowingArea).where(GrowingArea.name == "Vẽ tay"))
    assert area.status == AreaStatus.DRAFT and float(area.area_ha) > 0.99


def test_official_reviews_on_a_local_map_and_the_public_sees_the_card(app, client, db, world):
    a = world.token(world.producer_a)
    neighbour = client.post("/api/v1/areas", headers=a, json={
        "name": "Hàng xóm", "crop": "lime", "geometry": plot(150).__geo_interface__}).get_json()
    area = client.post("/api/v1/areas", headers=a, json={
        "name": "Cần duyệt", "crop": "lime", "geometry": plot(0).__geo_interface__}).get_json()
    client.post(f"/api/v1/areas/{area['id']}/submit", json={}, headers=a)
    login(client, "p@test.vn", PASSWORD)
    queue = client.get("/gis/areas/", headers=EN).get_data(as_text=True)
    assert "Cần duyệt" in queue
    review = client.get(f"/gis/areas/{area['id']}", headers=EN).get_data(as_text=True)
    assert "leaflet/dist/leaflet.js" in review and "Hàng xóm" in review
    assert neighbour["name"] in review
    _local_only(review, app.config["BASEMAP_URL"])
    token = csrf_token(client, f"/gis/areas/{area['id']}")
    r = client.post(f"/gis/areas/{area['id']}/act", data={"csrf_token": token,
                                                          "action": "approve"})
    assert r.status_code == 302
    code = db.get(GrowingArea, area["id"]).code
    assert code == "VN-TNOR-0001"

    client.post("/logout", data={"csrf_token": token})
    card = client.get(f"/areas/{code}", headers=EN)
    assert card.status_code == 200
    text = card.get_data(as_text=True)
    assert "Cần duyệt" in text and "HTX A" in text and "1.00 ha" in text
    _local_only(text, app.config["BASEMAP_URL"])
    assert client.get("/areas/VN-TNOR-9999").status_code == 404
    # A draft has no public card.
    assert client.get(f"/areas/{neighbour['id']}").status_code == 404


def test_names_cannot_run_script_on_the_review_map(client, db, world):
    a = world.token(world.producer_a)
    evil = "<img src=x onerror=alert(1)>`${alert(2)}`</script><script>alert(3)//"
    area = client.post("/api/v1/areas", headers=a, json={
        "name": evil, "crop": "lime", "geometry": plot(0).__geo_interface__}).get_json()
    login(client, "p@test.vn", PASSWORD)
    page = client.get(f"/gis/areas/{area['id']}").get_data(as_text=True)
    assert "<img src=x" not in page and "<script>alert(3)" not in page
    # folium writes the tooltip into a JavaScript template literal: no `${` may run.
    literals = re.findall(r"bindTooltip\(\s*`(.*?)`,", page, re.S)
    assert literals and not any("${" in text or "<img" in text for text in literals)
