"""The field app on a phone with no connection: Debian's Chromium as a 360 × 640 touch
screen signs in, goes offline, keeps a spraying, a photo, a harvest and a walked
boundary on the phone, survives a reload, and sends them all once when the connection
returns; a second phone replaying the same entries adds nothing; an entry about a
batch recalled meanwhile comes back refused with the reason; a revoked phone is
refused and writes nothing."""
import csv
import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from agritrace.db import session
from gis.walk import Fix, walk_polygon
from agritrace.models import (Batch, FieldDevice, FieldEntry, FieldPhoto, GrowingArea,
                              TraceEvent, User)
from agritrace.seed import demo
from agritrace.services import batches, devices
from support import ARTIFACTS, live_demo
from test_browser import browser  # noqa: F401  (the shared Chromium fixture)

pytestmark = pytest.mark.browser

PRODUCER = "producer@agritrace.demo"
TRACK = ARTIFACTS.parent / "data" / "field_walk.csv"
START = {"longitude": 106.2150, "latitude": 11.4150, "accuracy": 5}
PHONE = {"viewport": {"width": 360, "height": 640}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True, "locale": "vi-VN",
         "permissions": ["geolocation"], "geolocation": START}
ALL_ENTRIES = "() => import('/static/field/db.js').then((db) => db.entries())"


@pytest.fixture(scope="module")
def live():
    with live_demo("live_field", threaded=True) as served:
        yield served


def counts(app) -> dict:
    """The rows the field app can make, for the demo producer's organisation."""
    with app.app_context():
        s = session()
        org = s.scalar(select(User.organization_id).where(User.email == PRODUCER))
        count = lambda model: s.scalar(select(func.count()).select_from(model).where(  # noqa: E731
            model.organization_id == org))
        return {"entries": count(FieldEntry), "photos": count(FieldPhoto),
                "batches": count(Batch), "areas": count(GrowingArea),
                "events": s.scalar(select(func.count()).select_from(TraceEvent).join(
                    User, User.id == TraceEvent.recorded_by).where(User.organization_id == org))}


def sign_in(browser, url, name):  # noqa: F811
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.goto(f"{url}/field/")
    page.fill("#email", PRODUCER)
    page.fill("#password", demo.PASSWORD)
    page.fill("#phone-name", name)
    page.tap("#signin button[type=submit]")
    page.locator("#go-diary").wait_for()
    # The worker has taken the page over: the shell is cached for offline use.
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    return context, page


def diary_entry(page, step, values, photo=None):
    page.goto(page.url.split("#")[0] + f"#/diary/{step}")
    subject = page.locator("#subject option[value^='area:']").first.get_attribute("value")
    page.select_option("#subject", subject)
    for name, value in values.items():
        page.fill(f"[name={name}]", value)
    if photo:
        page.set_input_files("#photo", files=[photo])
        page.locator(".previews img").wait_for()
    page.tap("#entry-form button[type=submit]")
    page.locator("#go-diary").wait_for()


def camera_photo() -> dict:
    """A 12-megapixel JPEG as a phone's camera makes it."""
    buffer = io.BytesIO()
    Image.new("RGB", (4000, 3000), (90, 140, 60)).save(buffer, "JPEG", quality=90)
    return {"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


def walk_the_track(context, page):
    page.goto(page.url.split("#")[0] + "#/walk")
    page.fill("#walk-name", "Lô thanh long đi bộ")
    page.fill("#walk-crop", "thanh long")
    page.tap("#walk-start")
    rows = [r for r in csv.reader(line for line in TRACK.open() if not line.startswith("#"))][1:]
    for n, (lon, lat, accuracy) in enumerate(rows, start=1):
        context.set_geolocation({"longitude": float(lon), "latitude": float(lat),
                                 "accuracy": float(accuracy)})
        page.wait_for_function(
            "n => Number(document.querySelector('#good-fixes').textContent)"
            " + Number(document.querySelector('#dropped-fixes').textContent) >= n", arg=n)
    assert page.locator("#dropped-fixes").inner_text() == "2"
    # The phone's live figure is the server's (gis.walk, the same steps), to 1 m².
    walk = walk_polygon([Fix(float(lon), float(lat), float(acc)) for lon, lat, acc in rows])
    assert page.locator("#walk-area").inner_text() == f"{walk.area_ha:.3f} ha".replace(".", ",")
    page.tap("#walk-stop")
    page.tap("#walk-save")
    page.locator("#go-diary").wait_for()


def test_offline_entries_reach_the_server_once(live, browser):  # noqa: F811
    app, url = live
    ARTIFACTS.mkdir(exist_ok=True)
    context, page = sign_in(browser, url, "Điện thoại tổ 1")
    before = counts(app)

    context.set_offline(True)
    diary_entry(page, "spraying", {"product": "Antracol 70WP", "active_ingredient": "propineb",
                                   "dose": "30 g / 16 l", "phi_days": "7"})
    save_ms = float(page.locator("body").get_attribute("data-save-ms"))
    assert save_ms < 100, f"saving on the phone took {save_ms} ms"
    diary_entry(page, "irrigation", {"method": "nhỏ giọt"}, photo=camera_photo())
    page.goto(page.url.split("#")[0] + "#/harvest")
    page.locator("[name=area_ids]").first.check()
    page.select_option("#product", index=1)
    page.fill("[name=quantity]", "120,5")
    page.tap("#harvest-form button[type=submit]")
    page.locator("#go-diary").wait_for()
    walk_the_track(context, page)
    assert page.locator("#queue li.entry.waiting").count() == 4
    page.screenshot(path=str(ARTIFACTS / "field-offline-queue.png"))

    # Reloaded with no connection: the worker serves the page, IndexedDB the queue.
    page.reload()
    page.locator("#go-diary").wait_for()
    assert page.locator("#queue li.entry.waiting").count() == 4
    assert counts(app) == before

    context.set_offline(False)     # the page's `online` event sends the queue
    page.wait_for_function("() => document.querySelectorAll('#queue li.entry').length === 0")
    assert page.locator("#sent li.entry.sent").count() == 4
    page.screenshot(path=str(ARTIFACTS / "field-sent.png"))
    after = counts(app)
    assert after == {**before, "entries": before["entries"] + 4, "photos": before["photos"] + 1,
                     "events": before["events"] + 2, "batches": before["batches"] + 1,
                     "areas": before["areas"] + 1}
    with app.app_context():
        photo = session().scalars(select(FieldPhoto).order_by(FieldPhoto.id.desc())).first()
        assert max(photo.width_px, photo.height_px) <= 1600
    sent = page.evaluate(ALL_ENTRIES)
    assert page.errors == []

    # A second phone sends the very same entries: each is a duplicate, nothing is added.
    other, page2 = sign_in(browser, url, "Điện thoại tổ 2")
    page2.evaluate("""entries => import('/static/field/db.js').then(async (db) => {
        for (const e of entries) await db.enqueue({key: e.key, kind: e.kind, made_at: e.made_at,
                                                   payload: e.payload});
    })""", sent)
    page2.tap("#send-now")
    page2.wait_for_function("() => document.querySelectorAll('#sent li.entry').length === 4")
    assert {e["answer"] for e in page2.evaluate(ALL_ENTRIES)} == {"duplicate"}
    assert counts(app) == after

    # Offline again, a spraying on an open batch that the cooperative recalls meanwhile.
    snapshot = page2.evaluate(
        "() => import('/static/field/db.js').then((db) => db.getMeta('snapshot'))")
    batch = snapshot["batches"][0]
    other.set_offline(True)
    page2.goto(page2.url.split("#")[0] + "#/diary/spraying")
    page2.select_option("#subject", f"batch:{batch['id']}")
    for name, value in {"product": "Score 250EC", "active_ingredient": "difenoconazole",
                        "dose": "10 ml / 16 l", "phi_days": "14"}.items():
        page2.fill(f"[name={name}]", value)
    page2.tap("#entry-form button[type=submit]")
    with app.app_context():
        producer = session().scalar(select(User).where(User.email == PRODUCER))
        batches.recall_batch(producer, batch["id"], "Dư lượng vượt ngưỡng")
    other.set_offline(False)
    refused = page2.locator("#queue li.entry.refused")
    refused.wait_for()
    assert batch["lot_code"] in refused.locator(".reason").inner_text()
    assert refused.locator(".changed").is_visible()
    page2.screenshot(path=str(ARTIFACTS / "field-refused.png"))
    assert counts(app)["events"] == after["events"]

    # The phone is revoked: what it sends next is refused, nothing is written.
    with app.app_context():
        device = session().scalar(select(FieldDevice).where(
            FieldDevice.name == "Điện thoại tổ 2"))
        devices.revoke_device(producer, device.id)
    diary_entry(page2, "irrigation", {"method": "phun mưa"})
    page2.locator("#device-refused").wait_for()
    assert page2.locator("#queue li.entry.waiting").count() == 1
    page2.screenshot(path=str(ARTIFACTS / "field-revoked.png"))
    assert counts(app)["events"] == after["events"]
    assert page2.errors == []
    context.close()
    other.close()
