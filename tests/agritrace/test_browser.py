"""A real headless Chromium (Debian's) against the app served on loopback, on a
database with the demo data loaded exactly as `make run` loads it."""
import pytest

from agritrace.seed import demo
from support import ARTIFACTS, live_demo

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_url():
    with live_demo("live") as (_app, url):
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_demo_official_logs_in_through_the_login_page(live_url, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(locale="vi-VN", viewport={"width": 390, "height": 844})
    outside = []
    page.on("request", lambda r: outside.append(r.url)
            if not r.url.startswith(live_url) else None)
    page.goto(f"{live_url}/login")
    assert page.locator("h1").inner_text() == "Đăng nhập"
    page.fill("#email", "official@agritrace.demo")
    page.fill("#password", demo.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_url}/gis/")
    assert "Tây Ninh" in page.locator("h1").inner_text()
    # The pending demo registration is in the review queue.
    assert page.get_by_text("Hộ kinh doanh Võ Văn Mười").is_visible()
    page.screenshot(path=str(ARTIFACTS / "official-province-page.png"), full_page=True)
    # Switch to English on the same page.
    page.click("text=English")
    assert page.get_by_role("heading", name="Registrations waiting for review (1)").is_visible()
    assert outside == [], f"the page loaded from other hosts: {outside}"


def test_wrong_password_shows_the_error_in_english(live_url, browser):
    page = browser.new_page(locale="en-GB")
    page.goto(f"{live_url}/login")
    page.fill("#email", "official@agritrace.demo")
    page.fill("#password", "wrong-password-1")
    page.click("button[type=submit]")
    assert page.get_by_role("alert").inner_text().count("Wrong e-mail or password.") == 1
    assert page.url.endswith("/login")


def test_producer_draws_a_growing_area_with_the_mouse(live_url, browser):
    """The folium map with Leaflet.draw, all from our own static files: a polygon drawn
    with the mouse becomes a draft with its area computed. The basemap host is
    unreachable, as on a cut-off intranet."""
    page = browser.new_page(locale="vi-VN", viewport={"width": 1000, "height": 900})
    outside, errors = [], []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.route("https://**/*", lambda route: (outside.append(route.request.url),
                                              route.abort()))
    page.goto(f"{live_url}/login")
    page.fill("#email", "producer@agritrace.demo")
    page.fill("#password", demo.PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_url}/portal/areas/new")
    page.click(".leaflet-draw-draw-polygon")
    box = page.locator(".folium-map").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    # Four corners, then the first again to close the ring; Leaflet.draw ignores
    # clicks that come faster than a person's.
    for dx, dy in ((-30, -30), (30, -30), (30, 30), (-30, 30), (-30, -30)):
        page.mouse.move(cx + dx, cy + dy)
        page.mouse.down()
        page.mouse.up()
        page.wait_for_timeout(150)
    assert page.locator("#drawn").inner_text() == "1 ✓"
    geometry = page.locator("#geometry").input_value()
    assert '"Polygon"' in geometry
    page.fill("input[name=name]", "Vườn vẽ tay")
    page.fill("input[name=crop]", "chanh")
    page.click("#draw-form button[type=submit]")
    page.wait_for_url("**/portal/areas/*")
    text = page.locator("main").inner_text()
    assert "Vườn vẽ tay" in text and "Bản nháp" in text and " ha" in text
    # The saved polygon is on the area's map.
    page.wait_for_selector("path.leaflet-interactive")
    assert errors == []
    page.screenshot(path=str(ARTIFACTS / "producer-drawn-area.png"), full_page=True)
    # Only the basemap was asked of the outside world, and the page worked without it.
    assert outside and all("openstreetmap" in url for url in outside), outside
