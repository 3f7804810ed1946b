"""The officials' supervision pages in Debian's Chromium, on the demo data: the official
proposes a dragon-fruit code for China, submits it, records the approval, then records
an inspection that found a quarantine pest, with a photo, which suspends the code for
China."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image

from agritrace.clock import today
from agritrace.seed import demo
from support import ARTIFACTS, live_demo
from test_browser import browser  # noqa: F401  (the shared Chromium fixture)

pytestmark = pytest.mark.browser
CODE = "VN-TNOR-0006"    # a dragon-fruit orchard the demo has not classified yet


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (190, 40, 90)).save(out, "JPEG")
    return out.getvalue()


def test_an_official_suspends_a_code_for_china_after_an_inspection(browser):  # noqa: F811
    with live_demo("live_markets") as (_app, url):
        page = browser.new_page(locale="en-GB", viewport={"width": 390, "height": 844})
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{url}/login?lang=en")
        page.fill("#email", "official@agritrace.demo")
        page.fill("#password", demo.PASSWORD)
        with page.expect_navigation():
            page.click("main button[type=submit]")
        page.goto(f"{url}/gis/markets?lang=en")
        form = page.locator("#propose-form")
        form.locator("input[name=code]").fill(CODE)
        form.locator("select[name=market]").select_option("CN")
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        assert page.locator("#market-state").inner_text().lower() == "proposed"
        decision = page.locator("#decision-form")
        decision.locator("select[name=action]").select_option("submit")
        with page.expect_navigation():
            decision.locator("button[type=submit]").click()
        assert page.locator("#market-state").inner_text().lower() == "submitted"
        decision.locator("select[name=action]").select_option("approve")
        decision.locator("input[name=approved_on]").fill(str(today() - timedelta(days=3)))
        decision.locator("input[name=list_reference]").fill("GACC 2026/17")
        with page.expect_navigation():
            decision.locator("button[type=submit]").click()
        assert page.locator("#market-state").inner_text().lower() == "approved"

        with page.expect_navigation():
            page.get_by_role("link", name="Record an inspection").click()
        form = page.locator("#inspection-form")
        assert form.locator("input[name=code]").input_value() == CODE
        form.locator("input[name=inspector]").fill("Trần Văn Kiểm")
        form.get_by_label("quarantine pest found").check()
        form.locator("textarea[name=notes]").fill("Bactrocera dorsalis in traps 3 and 7")
        form.locator("input[name=photos]").set_input_files(
            {"name": "trap.jpg", "mimeType": "image/jpeg", "buffer": _photo()})
        form.get_by_label("suspension for named markets").check()
        form.locator("input[name=markets]").fill("CN")
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        outcome = page.locator("#inspection-outcome").inner_text()
        assert "suspension for named markets" in outcome and "China" in outcome
        photo = page.locator("img[alt='Photo 1']")
        assert photo.evaluate("img => img.complete && img.naturalWidth") == 320
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "official-inspection-suspends-china.png"),
                        full_page=True)
        page.goto(f"{url}/gis/markets?lang=en&code={CODE}")
        row = page.locator(f"#code-markets tr[data-code='{CODE}']")
        assert row.locator("td.state").inner_text().lower() == "suspended"
        assert errors == []
