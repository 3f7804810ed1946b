"""Acceptance line 2 of issue 20 in Debian's Chromium: a coffee cooperative of Đắk Lắk
exports a lot to Germany from two plots; the province's official uploads a forest map
of 31 December 2020, made here, with one of the plots over forest; the exporter opens
the lot, checks its plots, reads the verdicts with the threshold and its due-diligence
package, and downloads the submission document."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from shapely.geometry import Point
from werkzeug.serving import make_server

from agritrace import create_app
from agritrace.clock import today
from agritrace.db import EXTENSION, transaction
from agritrace.models import (CodeKind, CodeTemplate, Facility, GrowingArea, OrgKind,
                              Organization, OrgStatus, Role, TokenScope)
from agritrace.services import accounts
from lots_support import approve_for_market
from support import ARTIFACTS, PASSWORD, drop, make_database, plot
from test_browser import browser  # noqa: F401  (the shared Chromium fixture)
from test_due_diligence import DAK_LAK, LAT, LON, geotiff

pytestmark = pytest.mark.browser
GROWER, OFFICIAL = "caphe@eatu.vn", "sonn@daklak.gov.vn"


def _chain(app) -> int:
    """The cooperative, the official, two issued coffee plots (one over the forest strip
    of `geotiff()`), a harvest on both and its export lot to Germany; the lot's id."""
    with app.app_context():
        with transaction() as s:
            org = Organization(kind=OrgKind.COOPERATIVE, name="HTX Cà phê Ea Tu",
                               tax_code="6000000011", address="Ea Tu, Đắk Lắk",
                               province_code=DAK_LAK, status=OrgStatus.APPROVED)
            s.add(org)
            for kind, letters in ((CodeKind.GROWING_AREA, "OR"), (CodeKind.PACKING_HOUSE, "PH")):
                s.add(CodeTemplate(province_code=DAK_LAK, kind=kind, prov="DL",
                                   kind_letters=letters, template="VN-{PROV}{KIND}-{NNNN}"))
        grower = accounts.create_user(None, email=GROWER, password=PASSWORD, full_name="Ea Tu",
                                      role=Role.PRODUCER, organization_id=org.id, system=True)
        official = accounts.create_user(None, email=OFFICIAL, password=PASSWORD,
                                        full_name="Sở NN Đắk Lắk", role=Role.OFFICIAL,
                                        province_code=DAK_LAK, system=True)
        c, o = ({"Authorization": "Bearer " + accounts.create_token(
            u, name="test", scope=TokenScope.WRITE)[1]} for u in (grower, official))
    api = app.test_client()

    def call(path, headers, body):
        answer = api.post(f"/api/v1{path}", headers=headers, json=body)
        assert answer.status_code in (200, 201), answer.get_json()
        return answer.get_json()

    areas = []
    for east in (0, 400):
        made = call("/areas", c, {"name": f"Rẫy {east}", "crop": "cà phê",
                                  "geometry": plot(east, lon=LON, lat=LAT).__geo_interface__})
        call(f"/areas/{made['id']}/submit", c, {})
        areas.append(call(f"/areas/{made['id']}/approve", o, {})["id"])
    product = call("/products", c, {"name": "Cà phê nhân Robusta", "category": "coffee"})
    harvest = call("/batches", c, {
        "product_id": product["id"], "lot_code": "CF-2026-01", "quantity": 2000, "unit": "KGM",
        "harvest_date": str(today() - timedelta(days=5)), "area_ids": areas})
    house = call("/facilities", c, {"kind": "packing_house", "name": "Xưởng Ea Tu",
                                    "location": Point(LON + 0.02, LAT).__geo_interface__})
    call(f"/facilities/{house['id']}/approve", o, {})
    with app.app_context(), transaction() as s:
        for code in [s.get(GrowingArea, i) for i in areas] + [s.get(Facility, house["id"])]:
            approve_for_market(s, code, "DE")
    return call("/export-lots", c, {
        "market": "DE", "product_id": product["id"], "lot_code": "CF-XK-DE",
        "facility_id": house["id"], "inputs": [{"batch_id": harvest["id"], "quantity": 1000}]}
    )["id"]


@pytest.fixture(scope="module")
def live():
    url = make_database("live_eudr")
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "live-eudr"})
    lot_id = _chain(app)
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", lot_id
    finally:
        server.shutdown()
        app.extensions[EXTENSION].kw["bind"].dispose()
        drop(url)


def _login(browser, base: str, email: str):  # noqa: F811
    page = browser.new_page(locale="en-GB", viewport={"width": 1280, "height": 900})
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.goto(f"{base}/login?lang=en")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    return page


def test_a_coffee_lot_to_the_eu_gets_its_verdicts_and_its_package(browser, live):  # noqa: F811
    base, lot_id = live
    official = _login(browser, base, OFFICIAL)
    with official.expect_navigation():
        official.get_by_role("link", name="Forest maps of 31 December 2020").click()
    form = official.locator("#forest-map-form")
    form.locator("input[name=file]").set_input_files(
        {"name": "gfc2020-daklak.tif", "mimeType": "image/tiff", "buffer": geotiff()})
    form.locator("input[name=source]").fill("Made in the test: forest over plot Rẫy 0")
    with official.expect_navigation():
        form.locator("button[type=submit]").click()
    assert "in use" in official.locator("#forest-maps tbody tr").first.inner_text()

    exporter = _login(browser, base, GROWER)
    exporter.goto(f"{base}/portal/export-lots/{lot_id}?lang=en")
    with exporter.expect_navigation():
        exporter.locator("#due-diligence-link").click()
    form = exporter.locator("#due-diligence-form")
    form.locator("input[name=documents-0-title]").fill("Giấy chứng nhận quyền sử dụng đất")
    form.locator("input[name=documents-0-number]").fill("CS 01234")
    with exporter.expect_navigation():
        form.locator("button[type=submit]").click()
    verdict = exporter.locator("#lot-verdict").inner_text()
    assert "forest: not deforestation-free" in verdict and "more than 5 %" in verdict
    assert "1 of 2 plots over the threshold" in verdict
    forest = exporter.locator("#plots tr[data-verdict=forest]")
    assert forest.count() == 1 and "Rẫy 0" in forest.inner_text()
    assert exporter.locator("#plots tr[data-verdict=negligible]").count() == 1
    dds = exporter.locator("#dds").inner_text()
    assert "0901" in dds and "1,000 kg" in dds and "HTX Cà phê Ea Tu" in dds and \
        "CS 01234" in dds
    ARTIFACTS.mkdir(exist_ok=True)
    exporter.screenshot(path=str(ARTIFACTS / "eudr-due-diligence-coffee-lot.png"),
                        full_page=True)
    with exporter.expect_download() as download:
        exporter.locator("#dds-link").click()
    assert download.value.suggested_filename == f"dds-lot-{lot_id}.xml"
    with open(download.value.path(), "rb") as document:
        data = document.read()
    assert b"SubmitStatementRequest" in data and b"<v21:hsHeading>0901" in data
    assert official.errors == [] and exporter.errors == []
