"""The phone-first farming diary pages: three small screens by plain HTTP (no script
needed), today's date by default, the hold a late spraying puts on a batch, and
refusals that write nothing."""
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from agritrace.models import Batch, BizStep, TraceEvent
from support import PASSWORD, csrf_token, english, login
from test_batches import issued_area, new_batch

EN = {"Accept-Language": "en"}
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
SPRAY = {"product": "Antracol 70WP", "active_ingredient": "propineb", "dose": "30 g / 16 l",
         "phi_days": "7"}


def events(db) -> int:
    return db.scalar(select(func.count()).select_from(TraceEvent))


def links(page: str) -> list[str]:
    return [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]+)"', page)]


def record(client, path, token, **values):
    return client.post(path, data={"csrf_token": token, **values})


def test_three_screens_record_an_entry_without_script(client, db, world):
    area = issued_area(client, world, 0)
    login(client, "a@test.vn", PASSWORD)
    # Screen 1: what is it about — big links, one for each area and open batch.
    first = client.get("/portal/diary/new", headers=EN)
    assert first.status_code == 200
    page = first.get_data(as_text=True)
    assert "Step 1 of 3" in page and area["code"] in page
    to_area = f"/portal/diary/new?area_id={area['id']}"
    assert to_area in links(page)
    # Screen 2: what was done — one button for each kind of work.
    second = client.get(to_area, headers=EN).get_data(as_text=True)
    assert "Step 2 of 3" in second and area["code"] in second
    assert re.findall(r'name="step" value="(\w+)"', second) == [
        "sowing", "fertilising", "spraying", "irrigation", "harvesting", "packing",
        "lab_testing", "shipping"]
    assert f'name="area_id" value="{area["id"]}"' in second and 'method="get"' in second
    # Screen 3: only this kind's fields, and today's date (in Vietnam) already filled in.
    path = to_area + "&step=sowing"
    third = client.get(path, headers=EN).get_data(as_text=True)
    today = datetime.now(VIETNAM).date()
    assert "Step 3 of 3" in third
    assert re.search(rf'<input id="date" name="date" type="date" required value="{today}"', third)
    assert 'name="variety"' in third and 'name="active_ingredient"' not in third
    token = csrf_token(client, path)
    saved = record(client, path, token, date=today.isoformat(), time="", note="",
                   variety="Ruột đỏ LĐ1")
    assert saved.status_code == 302, saved.get_data(as_text=True)
    event = db.scalar(select(TraceEvent).where(TraceEvent.area_id == area["id"]))
    assert event.biz_step == BizStep.SOWING and event.details == {"variety": "Ruột đỏ LĐ1"}
    assert event.event_time.astimezone(VIETNAM).date() == today and event.event_tz == "+07:00"
    # The confirmation offers another entry on the same area, or done.
    done = client.get(saved.headers["Location"], headers=EN).get_data(as_text=True)
    assert "Saved" in done and "Sowing" in done and "Ruột đỏ LĐ1" in done
    assert to_area in links(done) and "/portal/diary" in links(done)
    # The list shows it, newest first, with the way to add more.
    listed = client.get("/portal/diary", headers=EN).get_data(as_text=True)
    assert "Ruột đỏ LĐ1" in listed and 'id="add-entry"' in listed


def test_a_given_time_and_a_decimal_comma_are_kept(client, db, world):
    area = issued_area(client, world, 0)
    login(client, "a@test.vn", PASSWORD)
    path = f"/portal/diary/new?area_id={area['id']}&step=irrigation"
    page = client.get(path).get_data(as_text=True)
    assert re.search(r'name="volume_m3"[^>]*inputmode="decimal"', page)
    token = csrf_token(client, path)
    r = record(client, path, token, date="2026-05-02", time="06:30", method="nhỏ giọt",
               volume_m3="12,5")
    assert r.status_code == 302
    event = db.scalar(select(TraceEvent).where(TraceEvent.area_id == area["id"]))
    assert event.details == {"method": "nhỏ giọt", "volume_m3": 12.5}
    assert event.event_time.astimezone(VIETNAM).isoformat() == "2026-05-02T06:30:00+07:00"


def test_a_spraying_within_the_interval_holds_the_batch_and_its_page_says_so(client, db,
                                                                             world):
    a = english(world.token(world.producer_a))
    area = issued_area(client, world, 0)
    batch = new_batch(client, a, world, [area], harvest_date="2026-11-20",
                      pack_date="2026-11-21").get_json()
    login(client, "a@test.vn", PASSWORD)
    # From the batch page, the first screen is skipped.
    shown = client.get(f"/portal/batches/{batch['id']}").get_data(as_text=True)
    start = next(h for h in links(shown) if h.startswith("/portal/diary/new"))
    assert "Step 2 of 3" in client.get(start, headers=EN).get_data(as_text=True)
    path = start + "&step=spraying"
    form = client.get(path, headers=EN).get_data(as_text=True)
    assert re.search(r'name="phi_days"[^>]*inputmode="numeric"', form)
    assert "printed on the pesticide label" in form
    token = csrf_token(client, path)
    r = record(client, path, token, date="2026-11-16", **SPRAY)
    assert r.status_code == 302, r.get_data(as_text=True)
    held = db.get(Batch, batch["id"])
    assert held.held_at is not None and "propineb" in held.hold_reason
    page = client.get(f"/portal/batches/{batch['id']}", headers=EN).get_data(as_text=True)
    banner = page.split('id="hold-banner"', 1)[1].split("</div>", 1)[0]
    assert "On hold since" in banner and "2026-11-23" in banner
    timeline = page.split('class="timeline"', 1)[1]
    assert "Spraying" in timeline and "pre-harvest interval 7 days" in timeline


@pytest.mark.parametrize("step, values, field, message", [
    ("spraying", {**SPRAY, "active_ingredient": ""}, "active_ingredient",
     "This field is required."),
    ("spraying", {**SPRAY, "phi_days": "-3"}, "phi_days", "Must be from 0 to 365."),
    ("harvesting", {"quantity": "-40", "unit": "KGM"}, "quantity", "Must be a number above 0."),
    ("sowing", {"variety": "Ruột đỏ", "date": "20-11-2026"}, "date", "Not a valid date"),
], ids=["missing-active-ingredient", "negative-interval", "negative-quantity", "bad-date"])
def test_invalid_details_are_explained_and_nothing_is_written(client, db, world, step, values,
                                                              field, message):
    area = issued_area(client, world, 0)
    login(client, "a@test.vn", PASSWORD)
    path = f"/portal/diary/new?area_id={area['id']}&step={step}"
    token = csrf_token(client, path)
    before = events(db)
    r = client.post(path, headers=EN, data={"csrf_token": token, "date": "2026-11-16",
                                            **values})
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    next_to = page.split(f'id="{field}-error">', 1)
    assert len(next_to) == 2 and message in next_to[1].split("</p>", 1)[0], page
    assert events(db) == before
    # What was typed stays on the screen.
    kept = next(v for k, v in values.items() if v and k != field)
    assert f'value="{kept}"' in page or f">{kept}<" in page


def test_officials_read_the_diary_but_do_not_record(client, db, world):
    a = english(world.token(world.producer_a))
    area = issued_area(client, world, 0)
    for day in range(1, 4):
        r = client.post("/api/v1/diary", headers=a, json={
            "step": "irrigation", "area_id": area["id"], "details": {"method": f"lần {day}"},
            "event_time": f"2026-05-0{day}T06:00:00+07:00"})
        assert r.status_code == 201
    login(client, "p@test.vn", PASSWORD)
    page = client.get("/gis/diary?page_size=2", headers=EN).get_data(as_text=True)
    assert "Method: lần 3" in page and "Method: lần 2" in page and "lần 1" not in page
    assert 'id="add-entry"' not in page and "Page 1 of 2" in page
    older = client.get("/gis/diary?page_size=2&page=2").get_data(as_text=True)
    assert "lần 1" in older and "lần 3" not in older
    assert client.get("/portal/diary/new").status_code == 403
    path = f"/portal/diary/new?area_id={area['id']}&step=sowing"
    token = csrf_token(client, "/gis/diary")
    before = events(db)
    assert record(client, path, token, date="2026-05-04", variety="X").status_code == 403
    assert events(db) == before
    # Another organisation's producer does not even see the area.
    login(client, "b@test.vn", PASSWORD)
    assert client.get(f"/portal/diary/new?area_id={area['id']}").status_code == 404
    assert "lần" not in client.get("/portal/diary").get_data(as_text=True)
