"""The scan page in Debian's Chromium as a 390 × 844 phone, on the demo data with a
run of stamps for the rice batch and one for the lime batch, which is then recalled.
The basemap's host is unreachable, as on a weak or filtered connection."""
import pytest
from sqlalchemy import select

from agritrace.db import session
from agritrace.models import Batch, Product, Stamp, User
from agritrace.seed import demo
from agritrace.services import batches, stamps
from labels.codes import compact_code
from support import ARTIFACTS, live_demo
from test_browser import browser  # noqa: F401  (the shared Chromium fixture)

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True, "locale": "vi-VN"}
RICE = "Gạo thơm ST25 Tân Thạnh"
LIME = "Chanh không hạt Bến Lức"
RECALL_REASON = "Dư lượng Emamectin benzoate vượt mức giới hạn tối đa"
SCROLL_WIDTH = "() => document.documentElement.scrollWidth"


def _stamp_of(product_name: str, admin: User, *, recall: bool = False) -> str:
    s = session()
    batch = s.scalar(select(Batch).join(Product).where(Product.name == product_name))
    order = stamps.order_stamps(admin, batch.id, 3)
    stamps.activate_run(admin, order.run_id)
    if recall:
        batches.recall_batch(admin, batch.id, RECALL_REASON)
    stamp_id = s.scalar(select(Stamp.id).where(Stamp.run_id == order.run_id).limit(1))
    return compact_code(stamp_id)


@pytest.fixture(scope="module")
def live():
    with live_demo("live_scan") as (app, url):
        with app.app_context():
            admin = session().scalar(select(User).where(User.email == demo.LOGINS[0][0]))
            codes = {"rice": _stamp_of(RICE, admin),
                     "lime": _stamp_of(LIME, admin, recall=True)}
        yield url, codes


def _phone(browser, **extra):  # noqa: F811
    context = browser.new_context(**{**PHONE, **extra})
    page = context.new_page()
    outside, errors = [], []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.route("https://**/*", lambda route: (outside.append(route.request.url),
                                              route.abort()))
    return context, page, outside, errors


def test_a_genuine_stamp_on_a_phone(live, browser):  # noqa: F811
    url, codes = live
    ARTIFACTS.mkdir(exist_ok=True)
    context, page, outside, errors = _phone(browser)
    page.goto(f"{url}/s/{codes['rice']}")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.locator("#verdict.verdict-genuine").is_visible()
    for selector, words in (("#product", RICE), ("#producer", "Tân Thạnh"),
                            ("#batch", "789-"), ("#area-1", "VN-TNOR-")):
        box = page.locator(selector)
        assert box.is_visible() and words in box.inner_text(), (selector, box.inner_text())
    assert page.locator("#product .ocop").is_visible()
    assert page.locator("#diary .timeline li").count() >= 5
    # The map comes from our own Leaflet, and draws the area without the basemap.
    page.wait_for_selector("#area-1 .area-map.live path.leaflet-interactive")
    assert page.evaluate(SCROLL_WIDTH) <= 390
    page.screenshot(path=str(ARTIFACTS / "scan-phone.png"), full_page=True)
    # The report form opens in place.
    page.locator("#report summary").tap()
    assert page.locator("#message").is_visible()
    page.fill("#message", "Tem bị rách một góc, mua ở chợ Tân Thạnh")
    with page.expect_navigation():
        page.locator("#report-form button[type=submit]").tap()
    assert page.url.endswith("/report/sent")
    assert errors == []
    assert outside and all("openstreetmap" in u for u in outside), outside
    context.close()


def test_a_recalled_batch_shows_the_red_banner(live, browser):  # noqa: F811
    url, codes = live
    context, page, _outside, errors = _phone(browser)
    page.goto(f"{url}/s/{codes['lime']}")
    banner = page.locator("#recall")
    assert banner.is_visible()
    assert RECALL_REASON in banner.inner_text()
    colour = banner.evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(198, 40, 40)", colour
    # The banner comes first, above the verdict and the story.
    assert banner.bounding_box()["y"] < page.locator("#verdict").bounding_box()["y"]
    assert page.locator("#verdict.verdict-recalled").is_visible()
    assert LIME in page.locator("#product").inner_text()
    page.screenshot(path=str(ARTIFACTS / "scan-phone-recalled.png"), full_page=True)
    assert errors == []
    context.close()


def test_without_javascript_the_page_still_tells_everything(live, browser):  # noqa: F811
    url, codes = live
    context, page, outside, _errors = _phone(browser, java_script_enabled=False,
                                              locale="en-GB")
    page.goto(f"{url}/s/{codes['rice']}")
    assert "Genuine stamp" in page.locator("#verdict").inner_text()
    assert "Tan Thanh ST25 fragrant rice" in page.locator("#product").inner_text()
    producer = page.locator("#producer").inner_text()
    assert "Hợp tác xã Nông nghiệp Lúa gạo Tân Thạnh" in producer
    assert "VN-TNOR-" in page.locator("#area-1").inner_text()
    # The outline stands in for the map; nothing was fetched for a map.
    assert page.locator("#area-1 .area-map svg path").is_visible()
    assert page.locator(".leaflet-container").count() == 0 and outside == []
    assert page.evaluate(SCROLL_WIDTH) <= 390
    page.screenshot(path=str(ARTIFACTS / "scan-phone-no-javascript.png"), full_page=True)
    context.close()
