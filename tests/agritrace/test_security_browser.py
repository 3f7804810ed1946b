"""The Content Security Policy in Debian's Chromium: the pages with maps run with no
violation (folium's inline scripts carry the request's nonce, the rest is static JS),
and the platform's layers still draw. The basemap host is unreachable, as offline."""
from urllib.parse import urlparse

import pytest
from sqlalchemy import select

from agritrace.db import session
from agritrace.models import AreaStatus, GrowingArea, User
from agritrace.seed import demo
from support import live_demo
from test_browser import browser  # noqa: F401  (the shared Chromium fixture)
from test_browser_scan import RICE, _stamp_of

pytestmark = pytest.mark.browser

# Installed before any of the page's own scripts; CDP-injected, so not under the policy.
LISTEN = """window.__violations = [];
document.addEventListener('securitypolicyviolation', e => window.__violations.push(
  e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + e.sourceFile + ':' +
  e.lineNumber));"""


@pytest.fixture(scope="module")
def live():
    with live_demo("csp") as (app, url):
        with app.app_context():
            s = session()
            admin = s.scalar(select(User).where(User.email == demo.LOGINS[0][0]))
            stamp = _stamp_of(RICE, admin)
            area = s.scalar(select(GrowingArea.id).where(
                GrowingArea.status == AreaStatus.ISSUED, GrowingArea.province_code == 80)
                .order_by(GrowingArea.id).limit(1))
        yield url, stamp, area


class Watched:
    """A page whose CSP complaints (console and events) and script errors are kept,
    and whose requests beyond loopback are aborted."""

    def __init__(self, browser):  # noqa: F811
        self.page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-GB")
        self.console, self.errors = [], []
        self.page.add_init_script(LISTEN)
        self.page.on("console", lambda m: self.console.append(m.text)
                     if "Content Security Policy" in m.text else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.route("**/*", lambda route: route.continue_()
                        if urlparse(route.request.url).hostname == "127.0.0.1"
                        else route.abort())

    def assert_clean(self):
        events = self.page.evaluate("window.__violations")
        assert self.console == [] and events == [], (self.console, events)
        assert self.errors == [], self.errors


def _log_in(page, url):
    page.goto(f"{url}/login")
    page.fill("#email", "official@agritrace.demo")
    page.fill("#password", demo.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/gis/")


def test_the_official_map_runs_under_the_policy(live, browser):  # noqa: F811
    url, _stamp, _area = live
    w = Watched(browser)
    _log_in(w.page, url)
    w.assert_clean()
    w.page.goto(f"{url}/gis/map")
    # The platform's vector tiles draw the issued areas and the packing houses.
    w.page.wait_for_selector(".agt-areas path")
    w.page.wait_for_selector(".agt-facilities path")
    assert w.page.locator(".leaflet-draw-toolbar").count() >= 1
    w.assert_clean()


def test_the_open_map_runs_under_the_policy(live, browser):  # noqa: F811
    url, _stamp, _area = live
    w = Watched(browser)
    w.page.goto(f"{url}/map")
    w.page.wait_for_selector(".agt-areas path")
    w.assert_clean()


def test_the_area_review_page_runs_under_the_policy(live, browser):  # noqa: F811
    url, _stamp, area = live
    w = Watched(browser)
    _log_in(w.page, url)
    w.page.goto(f"{url}/gis/areas/{area}")
    # folium's own start-up script drew the area on its map (beside layers whose
    # features lie outside the view and are drawn as empty paths).
    w.page.wait_for_selector(".folium-map path.leaflet-interactive >> visible=true")
    w.assert_clean()


def test_the_scan_page_runs_under_the_policy(live, browser):  # noqa: F811
    url, stamp, _area = live
    w = Watched(browser)
    w.page.goto(f"{url}/s/{stamp}")
    # The story's area outline became a live Leaflet map (static/js/story-maps.js).
    w.page.wait_for_selector(".area-map.live path.leaflet-interactive")
    assert not w.page.locator("#share-location").is_hidden()
    w.assert_clean()
