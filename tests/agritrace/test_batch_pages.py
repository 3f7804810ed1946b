"""Batch pages (lô hàng): the list with its filters and pages, the new-batch form on
issued areas, the batch page with its banners, and recall / close / clear-hold as
forms — each for the right people only."""
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from agritrace.models import AuditEntry, Batch, BatchStatus, Product
from support import PASSWORD, csrf_token, english, login, plot
from test_batches import issued_area, new_batch
from test_diary import spray

EN = {"Accept-Language": "en"}


def state(db):
    return (db.scalar(select(func.count()).select_from(Batch)),
            db.scalar(select(func.count()).select_from(AuditEntry)))


def lots(page: str) -> list[str]:
    """The lot codes listed in the batch table, in order."""
    table = page.split('<table class="batches">', 1)[1].split("</table>", 1)[0]
    return re.findall(r'/batches/\d+">([^<]+)</a>', table)


def form(token, area_ids, **extra):
    data = {"csrf_token": token, "product_id": extra.pop("product_id"), "lot_code": "LO-01",
            "harvest_date": "2026-11-20", "pack_date": "2026-11-21",
            "expiry_date": "2026-12-10", "quantity": "1250,5", "unit": "KGM",
            "area_ids": [str(i) for i in area_ids], **extra}
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def batch(client, world):
    """An open batch of organisation A, harvested 2026-11-20, on one issued area."""
    a = english(world.token(world.producer_a))
    area = issued_area(client, world, 0)
    created = new_batch(client, a, world, [area])
    assert created.status_code == 201, created.get_json()
    return {**created.get_json(), "area": area}


def test_the_list_filters_and_pages(client, db, world):
    a = english(world.token(world.producer_a))
    area = issued_area(client, world, 0)
    lime = Product(organization_id=world.org_a.id, name="Chanh không hạt", category="fruit")
    db.add(lime)
    db.flush()
    for n in range(1, 6):
        product = lime.id if n == 5 else world.product_a.id
        r = new_batch(client, a, world, [area], lot_code=f"TL-{n:02d}", product_id=product)
        assert r.status_code == 201, r.get_json()
    closed = db.scalar(select(Batch.id).where(Batch.lot_code == "TL-02"))
    assert client.post(f"/api/v1/batches/{closed}/close", headers=a).status_code == 200

    login(client, "a@test.vn", PASSWORD)
    first = client.get("/portal/batches?page_size=2", headers=EN)
    assert first.status_code == 200
    text = first.get_data(as_text=True)
    assert lots(text) == ["TL-05", "TL-04"]
    assert "Page 1 of 3" in text and 'rel="next"' in text and 'rel="prev"' not in text
    last = client.get("/portal/batches?page_size=2&page=3", headers=EN).get_data(as_text=True)
    assert lots(last) == ["TL-01"] and 'rel="prev"' in last and 'rel="next"' not in last
    assert "1.250,5" in client.get("/portal/batches").get_data(as_text=True)  # Vietnamese

    assert lots(client.get("/portal/batches?status=closed").get_data(as_text=True)) == ["TL-02"]
    assert lots(client.get(f"/portal/batches?product_id={lime.id}").get_data(as_text=True)) \
        == ["TL-05"]
    assert lots(client.get("/portal/batches?q=l-0&status=open").get_data(as_text=True)) \
        == ["TL-05", "TL-04", "TL-03", "TL-01"]
    # Filters stay on the page links.
    paged = client.get("/portal/batches?status=open&page_size=1").get_data(as_text=True)
    assert "status=open" in re.search(r'rel="next" href="([^"]+)"', paged).group(1)
    bad = client.get("/portal/batches?status=lost", headers=EN)
    assert bad.status_code == 400 and "Must be one of" in bad.get_data(as_text=True)

    # Officials see the province's batches; another organisation sees none of them.
    login(client, "p@test.vn", PASSWORD)
    assert len(lots(client.get("/gis/batches").get_data(as_text=True))) == 5
    login(client, "b@test.vn", PASSWORD)
    assert lots(client.get("/portal/batches").get_data(as_text=True)) == []


def test_producer_opens_a_batch_through_the_form(client, db, world):
    issued = issued_area(client, world, 0)
    p = english(world.token(world.producer_a))
    draft = client.post("/api/v1/areas", headers=p, json={
        "name": "Chưa cấp mã", "crop": "dragon fruit",
        "geometry": plot(300).__geo_interface__}).get_json()
    login(client, "a@test.vn", PASSWORD)
    page = client.get("/portal/batches/new", headers=EN).get_data(as_text=True)
    assert issued["code"] in page and f'value="{issued["id"]}"' in page
    assert f'value="{draft["id"]}"' not in page          # only issued areas are offered
    assert ">kilogram<" in page and ">carton<" in page and "no spaces" in page
    token = csrf_token(client, "/portal/batches/new")
    r = client.post("/portal/batches/new", data=form(token, [issued["id"]],
                                                     product_id=world.product_a.id))
    assert r.status_code == 302, r.get_data(as_text=True)
    batch = db.scalar(select(Batch).where(Batch.lot_code == "LO-01"))
    assert r.headers["Location"].endswith(f"/portal/batches/{batch.id}")
    assert float(batch.quantity) == 1250.5 and [a.id for a in batch.areas] == [issued["id"]]
    shown = client.get(r.headers["Location"], headers=EN).get_data(as_text=True)
    assert "LO-01" in shown and f'/portal/areas/{issued["id"]}"' in shown
    assert f'/api/v1/batches/{batch.id}/epcis"' in shown
    assert f"/portal/diary/new?batch_id={batch.id}" in shown


@pytest.mark.parametrize("change, field, by_field, whole", [
    ({"pack_date": "2026-11-19"}, "pack_date", "Before the harvest.",
     "The packing date is before the harvest date."),
    ({"expiry_date": "2026-11-20"}, "expiry_date", "Before packing.",
     "The expiry date is before the packing date."),
    ({"lot_code": "LÔ 1"}, "lot_code", "A lot code has 1 to 20 characters", None),
    ({"quantity": "-5"}, "quantity", "The quantity must be above 0.", None),
    ({"quantity": "nhiều"}, "quantity", "Not a number.", None),
    ({"suspend": True}, "area_ids", "only an issued area can supply a batch",
     "is suspended (kiểm tra dư lượng)"),
    ({"area_ids": []}, "area_ids", "at least one", None),
], ids=["pack-before-harvest", "expiry-before-pack", "lot-code", "negative", "not-a-number",
        "suspended-area", "no-area"])
def test_bad_input_is_explained_by_the_field_and_nothing_is_written(client, db, world, change,
                                                                    field, by_field, whole):
    area = issued_area(client, world, 0)
    if change.pop("suspend", False):
        official = english(world.token(world.official_p))
        r = client.post(f"/api/v1/areas/{area['id']}/suspend", headers=official,
                        json={"reason": "Kiểm tra dư lượng"})
        assert r.status_code == 200
    login(client, "a@test.vn", PASSWORD)
    token = csrf_token(client, "/portal/batches/new")
    before = state(db)
    data = form(token, change.pop("area_ids", [area["id"]]), product_id=world.product_a.id,
                **change)
    r = client.post("/portal/batches/new", data=data, headers=EN)
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    next_to = page.split(f'id="{field}-error">', 1)
    assert len(next_to) == 2 and by_field in next_to[1].split("</p>", 1)[0], page
    summary = page.split('role="alert"', 1)[1].split("</div>", 1)[0]
    assert (whole or by_field).lower() in summary.lower()
    assert state(db) == before
    # What was typed is kept.
    assert 'value="2026-11-20"' in page


def test_a_batch_is_not_there_for_another_organisation_or_province(client, db, world, batch):
    for email in ("b@test.vn", "q@test.vn"):
        login(client, email, PASSWORD)
        side = "gis" if email.startswith("q") else "portal"
        assert client.get(f"/{side}/batches/{batch['id']}").status_code == 404


def test_an_official_of_the_province_recalls_with_a_reason(client, db, world, batch):
    login(client, "p@test.vn", PASSWORD)
    url = f"/gis/batches/{batch['id']}"
    page = client.get(url, headers=EN).get_data(as_text=True)
    assert "Recall the batch" in page and "Close the batch" not in page
    token = csrf_token(client, url)
    unconfirmed = client.post(url + "/recall", headers=EN,
                              data={"csrf_token": token, "reason": "Dư lượng vượt ngưỡng"})
    assert unconfirmed.status_code == 400
    assert "Tick the box to confirm the recall." in unconfirmed.get_data(as_text=True)
    no_reason = client.post(url + "/recall", headers=EN,
                            data={"csrf_token": token, "reason": " ", "confirm": "true"})
    assert no_reason.status_code == 400 and "Must not be blank." in no_reason.get_data(
        as_text=True)
    assert db.get(Batch, batch["id"]).status == BatchStatus.OPEN

    done = client.post(url + "/recall", data={"csrf_token": token, "confirm": "true",
                                              "reason": "Dư lượng chlorpyrifos vượt ngưỡng"})
    assert done.status_code == 302
    recalled = db.get(Batch, batch["id"])
    db.refresh(recalled)
    assert recalled.status == BatchStatus.RECALLED
    # Vietnamese by default, English when asked.
    vi = client.get(url).get_data(as_text=True)
    banner = vi.split('id="recall-banner"', 1)[1].split("</div>", 1)[0]
    assert 'lang="vi"' in vi and "Dư lượng chlorpyrifos vượt ngưỡng" in banner
    assert "Đã thu hồi" in vi
    en = client.get(url, headers=EN).get_data(as_text=True)
    banner = en.split('id="recall-banner"', 1)[1].split("</div>", 1)[0]
    assert "This batch was recalled on" in banner and "chlorpyrifos" in banner
    assert datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date().isoformat() in banner
    assert "Recall the batch" not in en
    switched = client.get(url + "?lang=en").get_data(as_text=True)
    assert 'lang="en"' in switched and "This batch was recalled on" in switched
    again = client.post(url + "/recall", headers=EN, data={"csrf_token": token,
                                                           "confirm": "true",
                                                           "reason": "again"})
    assert again.status_code == 400 and "already recalled" in again.get_data(as_text=True)


def test_a_producer_of_another_organisation_cannot_recall(client, db, world, batch):
    login(client, "b@test.vn", PASSWORD)
    token = csrf_token(client, "/portal/batches")
    r = client.post(f"/portal/batches/{batch['id']}/recall",
                    data={"csrf_token": token, "confirm": "true", "reason": "không phải của tôi"})
    assert r.status_code == 404
    assert db.get(Batch, batch["id"]).status == BatchStatus.OPEN
    # Without the CSRF token nothing happens either, even for the batch's producer.
    login(client, "a@test.vn", PASSWORD)
    r = client.post(f"/portal/batches/{batch['id']}/recall",
                    data={"confirm": "true", "reason": "thiếu token"})
    assert r.status_code == 400 and db.get(Batch, batch["id"]).status == BatchStatus.OPEN


def test_the_producer_closes_its_batch(client, db, world, batch):
    login(client, "a@test.vn", PASSWORD)
    url = f"/portal/batches/{batch['id']}"
    token = csrf_token(client, url)
    assert client.post(url + "/close", data={"csrf_token": token}).status_code == 302
    assert db.get(Batch, batch["id"]).status == BatchStatus.CLOSED
    page = client.get(url, headers=EN).get_data(as_text=True)
    assert "Close the batch" not in page and ">closed<" in page
    # An official may read and recall, but not close.
    login(client, "p@test.vn", PASSWORD)
    open_one = new_batch(client, english(world.token(world.producer_a)), world,
                         [batch["area"]], lot_code="TL-OPEN").get_json()
    token = csrf_token(client, f"/gis/batches/{open_one['id']}")
    r = client.post(f"/gis/batches/{open_one['id']}/close", data={"csrf_token": token})
    assert r.status_code == 403


def test_an_official_clears_a_hold_with_a_reason(client, db, world, batch):
    a = english(world.token(world.producer_a))
    assert spray(client, a, "2026-11-15T07:30:00+07:00",
                 area_id=batch["area"]["id"]).status_code == 201
    url = f"/portal/batches/{batch['id']}"
    login(client, "a@test.vn", PASSWORD)
    page = client.get(url, headers=EN).get_data(as_text=True)
    assert 'id="hold-banner"' in page and "propineb" in page and "2026-11-22" in page
    assert "Clear the hold" not in page
    token = csrf_token(client, url)
    refused = client.post(url + "/clear-hold", data={"csrf_token": token,
                                                     "reason": "tự xác nhận"})
    assert refused.status_code == 403
    assert db.get(Batch, batch["id"]).held_at is not None

    login(client, "p@test.vn", PASSWORD)
    url = f"/gis/batches/{batch['id']}"
    token = csrf_token(client, url)
    short = client.post(url + "/clear-hold", data={"csrf_token": token, "reason": "ok"},
                        headers=EN)
    assert short.status_code == 400 and "Between 3 and 1000 characters." in short.get_data(
        as_text=True)
    cleared = client.post(url + "/clear-hold", data={
        "csrf_token": token, "reason": "Kết quả kiểm nghiệm dư lượng đạt"})
    assert cleared.status_code == 302
    held = db.get(Batch, batch["id"])
    db.refresh(held)
    assert held.held_at is None and held.hold_cleared_at is not None
    assert 'id="hold-banner"' not in client.get(url).get_data(as_text=True)
