"""The maps in a real headless Chromium (Debian's), on the demo data, with the basemap
host unreachable as on a cut-off intranet: the platform's vector tiles still draw,
an official finds, reads, draws and measures; the public sees issued areas only."""
import re
from urllib.parse import urlparse

import pytest
from sqlalchemy import select

from agritrace.db import session
from agritrace.models import AreaStatus, GrowingArea, User
from agritrace.seed import demo
from agritrace.services import areas
from support import ARTIFACTS, FIELD_LAT, FIELD_LON, live_demo, plot
from test_browser import browser  # noqa: F401  (the shared Chromium fixture)

ISSUED, DRAFT = "#1e8449", "#7f8c8d"   # maps.STATUS_COLOURS, as the legend shows them
DEMO_ISSUED_AREAS = 33

pytestmark = pytest.mark.browser

MAP = "window[JSON.parse(document.getElementById('webgis-config').textContent).map]"
SETTLED = f"""() => {{
  const map = {MAP};
  let loading = map._animatingZoom;
  map.eachLayer(layer => {{ loading = loading || (layer instanceof L.VectorGrid
                                                  && layer.isLoading()); }});
  return !loading;
}}"""


@pytest.fixture(scope="module")
def live():
    with live_demo("map") as (app, url):
        yield app, url


class Offline:
    """A page whose requests to any host but loopback are aborted and recorded, with the
    answers of the tile requests and the page's script errors."""

    def __init__(self, browser, **options):  # noqa: F811
        # Playwright's wait_for_function compiles its predicate with eval in the page,
        # which the pages' Content Security Policy refuses; the pages under the policy
        # are checked in test_security_browser.py.
        self.page = browser.new_page(viewport={"width": 1280, "height": 900},
                                     bypass_csp=True, **options)
        self.outside, self.tiles, self.requested, self.errors = [], [], [], []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("response", lambda r: self.tiles.append((urlparse(r.url).path, r.status))
                     if urlparse(r.url).path.startswith("/tiles/") else None)
        self.page.route("**/*", self._route)

    def _route(self, route):
        if urlparse(route.request.url).hostname in ("127.0.0.1", "localhost"):
            if "/tiles/" in route.request.url:
                self.requested.append(route.request.url)
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def settle(self):
        """Wait until the map stands still and its tile layers have every tile."""
        self.page.wait_for_function(SETTLED)

    def go_to(self, lat: float, lon: float, zoom: int):
        """Move the map as panning there would, and wait for its tiles."""
        self.page.evaluate(f"([lat, lon, zoom]) => {MAP}.setView([lat, lon], zoom, "
                           "{animate: false})", [lat, lon, zoom])
        self.settle()

    def map_centre(self) -> tuple[float, float]:
        """The map's centre on the screen, with the map scrolled into view."""
        self.page.locator(".folium-map").scroll_into_view_if_needed()
        box = self.page.locator(".folium-map").bounding_box()
        return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

    def popup_of(self, code: str):
        """Search the code, then click the middle of the map, where the search put the
        area: its popup."""
        self.page.fill("#map-search-code", code)
        self.page.click("#map-search button[type=submit]")
        self.page.wait_for_function(
            "document.getElementById('map-search-status').textContent")
        self.settle()
        x, y = self.map_centre()
        self.page.wait_for_function("([x, y]) => !!document.elementFromPoint(x, y)"
                                    ".closest('.agt-areas path')", arg=[x, y])
        self.page.mouse.click(x, y)
        popup = self.page.locator(".leaflet-popup-content")
        popup.wait_for()
        return popup

    def area_at(self, x: float, y: float) -> bool:
        return self.page.evaluate("([x, y]) => !!document.elementFromPoint(x, y)"
                                  ".closest('.agt-areas path')", [x, y])

    def click(self, x: float, y: float):
        # Leaflet.draw ignores clicks that come faster than a person's.
        self.page.mouse.move(x, y)
        self.page.mouse.down()
        self.page.mouse.up()
        self.page.wait_for_timeout(150)


def _log_in(page, url: str, email: str) -> None:
    page.goto(f"{url}/login")
    page.fill("#email", email)
    page.fill("#password", demo.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/gis/")


def _assert_tiles_answered(tiles: list) -> None:
    assert tiles, "the map asked for no tiles"
    assert {status for _path, status in tiles} <= {200, 204, 304}, tiles
    for layer in ("growing-areas", "facilities"):
        assert any(p.startswith(f"/tiles/{layer}/") and s == 200 for p, s in tiles), layer


def test_official_finds_reads_draws_and_measures_without_the_basemap(live, browser):  # noqa: F811
    app, url = live
    ARTIFACTS.mkdir(exist_ok=True)
    b = Offline(browser, locale="en-GB")
    page = b.page
    _log_in(page, url, "official@agritrace.demo")
    page.goto(f"{url}/gis/map?lang=en")
    page.wait_for_selector(".agt-areas path")
    b.settle()

    _assert_tiles_answered(b.tiles)
    assert all(u.endswith(".pbf?province=80") for u in b.requested), b.requested
    # Every issued demo area is drawn, in the issued colour, and the packing houses too.
    issued = page.locator(f".agt-areas path[fill='{ISSUED}']")
    assert issued.count() >= DEMO_ISSUED_AREAS
    assert issued.first.is_visible()
    assert page.locator(".agt-facilities path").count() >= 2
    # Only the basemap was asked of the outside world, and the page said it is missing.
    assert b.outside and all(urlparse(u).hostname == "tile.openstreetmap.org"
                             for u in b.outside), b.outside
    assert "basemap cannot be reached" in page.locator("#map-status").inner_text()
    page.screenshot(path=str(ARTIFACTS / "gis-map.png"), full_page=True)

    # Search by code (typed in lower case) zooms to the area; a click opens its popup.
    popup = b.popup_of("vn-tnor-0001")
    assert "VN-TNOR-0001" in popup.inner_text() and "Hectares" in popup.inner_text()
    assert re.fullmatch(r"/gis/areas/\d+", popup.locator("a").first.get_attribute("href"))
    assert popup.locator("a").nth(1).get_attribute("href") == "/areas/VN-TNOR-0001"
    page.click(".leaflet-popup-close-button")

    # Draw a draft on an empty field with the mouse.
    b.go_to(FIELD_LAT, FIELD_LON, 16)
    x, y = b.map_centre()
    corners = [(x - 60, y - 60), (x + 60, y - 60), (x + 60, y + 60), (x - 60, y + 60)]
    assert not any(b.area_at(*c) for c in corners + [(x, y)]), "the field is not empty"
    assert page.locator("#draft-form").is_hidden()
    page.click(".leaflet-draw-draw-polygon")
    for corner in corners + corners[:1]:
        b.click(*corner)
    page.locator("#draft-form").wait_for(state="visible")
    organisation = page.locator("#draft-form select[name=organization_id]").input_value()
    page.fill("#draft-form input[name=name]", "Vùng vẽ trên bản đồ")
    page.fill("#draft-form input[name=crop]", "seedless lime")
    page.click("#draft-form button[type=submit]")
    saved = page.locator("#draft-saved")
    saved.wait_for(state="visible")
    assert "Vùng vẽ trên bản đồ" in saved.inner_text() and " ha" in saved.inner_text()
    with app.app_context():
        area = session().scalar(select(GrowingArea).where(
            GrowingArea.name == "Vùng vẽ trên bản đồ"))
        assert area is not None, "no draft was saved"
        assert (area.status, area.province_code, area.organization_id, area.crop) == (
            AreaStatus.DRAFT, 80, int(organisation), "seedless lime")
        area_ha = float(area.area_ha)
        centre = session().scalar(select(GrowingArea.geom.ST_Centroid().ST_AsText())
                                  .where(GrowingArea.id == area.id))
    lon, lat = (float(v) for v in re.findall(r"[\d.]+", centre))
    assert abs(lon - FIELD_LON) < 0.0005 and abs(lat - FIELD_LAT) < 0.0005
    assert saved.locator("a").get_attribute("href") == f"/gis/areas/{area.id}"
    # The new draft comes back in the tiles, in the draft colour, where it was drawn
    # (filling the form may have scrolled the page: the map is found again).
    page.wait_for_selector(f".agt-areas path[fill='{DRAFT}']")
    b.settle()
    x, y = b.map_centre()
    corners = [(x - 60, y - 60), (x + 60, y - 60), (x + 60, y + 60), (x - 60, y + 60)]
    assert b.area_at(x, y)

    # Measuring the same corners (over the draft: clicks go to the ruler, not to popups)
    # gives the area the server computed.
    page.click(".agt-measure-button")
    for corner in corners:
        b.click(*corner)
    measured = page.locator(".agt-measure-output").inner_text()
    assert page.locator(".leaflet-popup").count() == 0
    hectares = float(re.search(r"Area: ([\d.,]+) ha", measured).group(1).replace(",", ""))
    assert hectares == pytest.approx(area_ha, rel=0.01)
    page.click(".agt-measure-button")

    # Filters re-request the tiles: issued areas only hides the draft, drafts bring it back.
    asked = len(b.requested)
    page.select_option("#map-filters select[name=status]", "issued")
    b.settle()
    assert not b.area_at(x, y)
    again = b.requested[asked:]
    assert any("/growing-areas/" in u for u in again)
    # The official's province rides along; a facility has statuses of its own.
    assert all(u.endswith(".pbf?province=80&status=issued")
               for u in again if "/growing-areas/" in u), again
    assert all(u.endswith(".pbf?province=80") for u in again if "/facilities/" in u), again
    page.select_option("#map-filters select[name=status]", "draft")
    b.settle()
    assert b.area_at(x, y)
    # Coloured by crop, the draft takes its crop's colour and the legend names the crop.
    page.check("input[name=colour-by][value=crop]")
    b.settle()
    assert page.locator(f".agt-areas path[fill='{DRAFT}']").count() == 0
    assert "seedless lime" in page.locator("#map-legend").inner_text()
    assert b.errors == []


def test_open_map_shows_issued_areas_only(live, browser):  # noqa: F811
    app, url = live
    hidden = plot(east_m=3000, north_m=3000)
    with app.app_context():
        producer = session().scalar(select(User).where(User.email == "producer@agritrace.demo"))
        areas.create_area(producer, {"name": "Bản nháp riêng", "crop": "dragon fruit",
                                     "geometry": hidden})
    b = Offline(browser, locale="vi-VN")
    page = b.page
    page.goto(f"{url}/map")
    page.wait_for_selector(".agt-areas path")
    b.settle()
    _assert_tiles_answered(b.tiles)
    fills = page.eval_on_selector_all(".agt-areas path",
                                      "paths => paths.map(p => p.getAttribute('fill'))")
    assert len(fills) >= DEMO_ISSUED_AREAS and set(fills) == {ISSUED}
    assert page.locator(".leaflet-draw").count() == 0
    assert page.locator(".agt-measure").count() == 0
    page.screenshot(path=str(ARTIFACTS / "open-map.png"), full_page=True)

    # A popup leads to the public card.
    popup = b.popup_of("VN-TNOR-0002")
    assert [a.get_attribute("href") for a in popup.locator("a").all()] == [
        "/areas/VN-TNOR-0002"]

    page.click(".leaflet-popup-close-button")
    # The producer's draft is not on the open map, though its tile was asked for.
    centre = hidden.centroid
    asked = len(b.tiles)
    b.go_to(centre.y, centre.x, 17)
    assert len(b.tiles) > asked
    assert not b.area_at(*b.map_centre())
    assert page.locator(f".agt-areas path[fill='{DRAFT}']").count() == 0
    assert b.outside and all(urlparse(u).hostname == "tile.openstreetmap.org"
                             for u in b.outside)
    assert b.errors == []


def test_the_official_map_outlines_codes_over_capacity(live, browser):  # noqa: F811
    """A demo code whose harvests pass what its land can grow is drawn with a red
    outline, named in the legend and the layer switcher, with its figures on a click."""
    from decimal import Decimal

    from agritrace.clock import today
    from agritrace.models import Batch
    from agritrace.services import capacity
    app, url = live
    with app.app_context(), app.test_request_context():
        s = session()
        official = s.scalar(select(User).where(User.email == "official@agritrace.demo"))
        capacity.set_yield(official, "dragon fruit", Decimal(30000), 1, 20)
        area = s.scalar(select(GrowingArea).where(GrowingArea.code == "VN-TNOR-0001"))
        product = s.scalar(select(Batch).where(Batch.organization_id == area.organization_id)
                           ).product
        s.add(Batch(product_id=product.id, organization_id=area.organization_id,
                    lot_code="TL-OVER-1", harvest_date=today(), quantity=Decimal(500),
                    unit="TNE", areas=[area]))
        s.commit()
        flagged, _n = capacity.capacity_report(official, flagged_only=True)
        assert [r.code for r in flagged] == ["VN-TNOR-0001"]
        centre = s.scalar(select(GrowingArea.geom.ST_Centroid().ST_AsText())
                          .where(GrowingArea.id == area.id))
    lon, lat = (float(v) for v in re.findall(r"[\d.]+", centre))
    b = Offline(browser, locale="vi-VN")
    page = b.page
    _log_in(page, url, "official@agritrace.demo")
    page.goto(f"{url}/gis/map?lang=vi")
    outline = page.locator("path.agt-over-capacity")
    outline.wait_for(state="attached")
    b.go_to(lat, lon, 17)     # the whole province's view may draw it below a pixel
    outline.wait_for()
    assert outline.count() == 1 and outline.get_attribute("stroke") == "#d50000"
    assert "Vượt năng lực" in page.locator("#map-legend").inner_text()
    assert "Vượt năng lực" in page.locator(".leaflet-control-layers").text_content()
    outline.dispatch_event("click")
    popup = page.locator(".leaflet-popup-content").last
    popup.wait_for()
    assert "VN-TNOR-0001" in popup.inner_text() and "Vượt năng lực" in popup.inner_text()
    page.screenshot(path=str(ARTIFACTS / "gis-map-over-capacity.png"), full_page=True)
    assert b.errors == []
