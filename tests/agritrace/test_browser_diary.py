"""A farmer keeps the diary on a phone: Debian's Chromium as a 390 × 844 touch screen,
a week of entries tapped through the three screens, on the demo data."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from agritrace.db import session
from agritrace.models import TraceEvent, User
from agritrace.seed import demo
from support import ARTIFACTS, live_demo
from test_browser import browser  # noqa: F401  (the shared Chromium fixture)

pytestmark = pytest.mark.browser

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
PRODUCER = "producer@agritrace.demo"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3,
         "is_mobile": True, "has_touch": True, "locale": "vi-VN"}
# Seven days, one entry each: (kind of work, what the farmer types).
WEEK = [
    ("sowing", {"variety": "Ruột đỏ LĐ5"}),
    ("irrigation", {"method": "nhỏ giọt", "volume_m3": "12,5"}),
    ("fertilising", {"product": "NPK 20-20-15", "dose": "300 kg/ha"}),
    ("spraying", {"product": "Antracol 70WP", "active_ingredient": "propineb",
                  "dose": "30 g / 16 l", "phi_days": "7"}),
    ("irrigation", {"method": "phun mưa"}),
    ("harvesting", {"quantity": "850"}),
    ("packing", {"quantity": "80", "note": "thùng 10 kg"}),
]
# Everything a thumb can hit that is on the screen, and is smaller than 44 px.
SMALL_TARGETS = """() => [...document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary')]
  .map(e => [e, e.getBoundingClientRect()])
  .filter(([e, r]) => r.width > 0 && r.height > 0 && r.height < 44)
  .map(([e, r]) => `${Math.round(r.height)}px ${e.outerHTML.slice(0, 90)}`)"""
SCROLL_WIDTH = "() => document.documentElement.scrollWidth"


@pytest.fixture(scope="module")
def live():
    with live_demo("live_diary") as served:
        yield served


def fits_a_thumb(page, screen: str) -> None:
    small = page.evaluate(SMALL_TARGETS)
    assert small == [], f"{screen}: targets under 44 px: {small}"
    width = page.evaluate(SCROLL_WIDTH)
    assert width <= 390, f"{screen}: the page scrolls sideways ({width} px)"


def tap_and_wait(page, locator) -> None:
    with page.expect_navigation():
        locator.tap()


def test_a_week_of_diary_entries_tapped_on_a_phone(live, browser):  # noqa: F811
    app, url = live
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(**PHONE)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{url}/login")
    page.fill("#email", PRODUCER)
    page.fill("#password", demo.PASSWORD)
    tap_and_wait(page, page.locator("button[type=submit]"))
    page.goto(f"{url}/portal/diary")
    fits_a_thumb(page, "diary list")
    tap_and_wait(page, page.locator("#add-entry"))

    # Screen 1: the first growing area in the list.
    assert page.locator(".progress").is_visible() and page.locator(".pick a").count() > 1
    fits_a_thumb(page, "subject")
    area = page.locator(".pick a[href*='area_id=']").first
    area_code = area.locator("b").inner_text()
    tap_and_wait(page, area)

    today = datetime.now(VIETNAM).date()
    days = [today - timedelta(days=6 - i) for i in range(7)]
    for day, (step, values) in zip(days, WEEK):
        # Screen 2: the kind of work.
        assert area_code in page.locator(".subject").inner_text()
        fits_a_thumb(page, "kind of work")
        tap_and_wait(page, page.locator(f"#steps button[value={step}]"))
        # Screen 3: today is already there; the farmer changes it to the day of the work.
        fits_a_thumb(page, step)
        assert page.locator("#date").input_value() == today.isoformat()
        page.locator("#date").fill(day.isoformat())
        for name, value in values.items():
            page.locator(f"[name={name}]").fill(value)
        if step == "spraying":
            # The one line that explains the pre-harvest interval.
            assert page.locator("#phi_days-hint").is_visible()
            assert page.locator("#phi_days").get_attribute("inputmode") == "numeric"
            page.screenshot(path=str(ARTIFACTS / "diary-phone.png"), full_page=True)
        tap_and_wait(page, page.locator("#entry-form button[type=submit]"))
        # The confirmation, then another entry on the same area.
        assert page.locator("#add-another").is_visible(), page.locator("main").inner_text()
        fits_a_thumb(page, f"{step} saved")
        tap_and_wait(page, page.locator("#add-another"))

    page.goto(f"{url}/portal/diary")
    fits_a_thumb(page, "diary list with a week")
    assert page.locator(".timeline .entry").count() >= 7
    page.screenshot(path=str(ARTIFACTS / "diary-phone-list.png"), full_page=True)
    assert errors == []
    context.close()

    with app.app_context():
        producer = session().scalar(select(User).where(User.email == PRODUCER))
        rows = session().scalars(select(TraceEvent).where(
            TraceEvent.recorded_by == producer.id).order_by(TraceEvent.event_time)).all()
        assert [(e.biz_step.value, e.event_time.astimezone(VIETNAM).date()) for e in rows] \
            == [(step, day) for day, (step, _v) in zip(days, WEEK)]
        assert len({e.area_id for e in rows}) == 1 and rows[1].details["volume_m3"] == 12.5
