"""Hand-over pages (giao nhận): the stock list, the dispatch form, confirming a receipt
short by 50 kg (shown to both sides and to the province's official, in Vietnamese and
English), refusing, external parties, and bad forms answered beside their field."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from agritrace.clock import today
from agritrace.models import Handover, HandoverStatus
from support import PASSWORD, csrf_token, login, snapshot
from test_handovers import VOLATILE, lot

EN = {"Accept-Language": "en"}
VI = {"Accept-Language": "vi"}


def browser(app, user):
    client = app.test_client()
    assert login(client, user.email, PASSWORD).status_code in (302, 303)
    return client


def state(db) -> dict:
    return {t: v for t, v in snapshot(db.connection()).items() if t not in VOLATILE}


def dispatch_form(client, batch_id, receiver, **extra):
    token = csrf_token(client, "/portal/handovers/new")
    data = {"csrf_token": token, "batch_id": str(batch_id), "quantity": "500",
            "receiver": receiver, "dispatched_on": str(today() - timedelta(days=1)),
            "delivery_note": "PGH-0042", "vehicle": "70C-123.45", **extra}
    return client.post("/portal/handovers/new", data=data, headers=EN)


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_dispatch_receive_short_and_both_sides_see_the_difference(app, client, db, world):
    batch = lot(client, world)
    a, b = browser(app, world.producer_a), browser(app, world.producer_b)
    stock = text_of(a.get("/portal/stock", headers=EN))
    assert batch["lot_code"] in stock and "Held: 1,000 kg" in stock
    form = text_of(a.get(f"/portal/handovers/new?batch_id={batch['id']}", headers=EN))
    assert f'value="org:{world.org_b.id}"' in form and f'value="org:{world.org_a.id}"' not in form
    assert "<script" not in form

    sent = dispatch_form(a, batch["id"], f"org:{world.org_b.id}")
    assert sent.status_code == 303, text_of(sent)[:2000]
    handover = db.scalars(select(Handover)).one()
    assert sent.headers["Location"].endswith(f"/portal/handovers/{handover.id}")
    assert "Held: 500 kg" in text_of(a.get("/portal/stock", headers=EN))

    incoming = text_of(b.get("/portal/handovers?direction=in", headers=EN))
    assert "To confirm" in incoming and batch["lot_code"] in incoming
    page = text_of(b.get(f"/portal/handovers/{handover.id}", headers=EN))
    assert 'id="receipt-form"' in page and 'id="refusal-form"' in page
    assert 'id="receipt-form"' not in text_of(a.get(f"/portal/handovers/{handover.id}",
                                                    headers=EN))
    token = csrf_token(b, f"/portal/handovers/{handover.id}")
    got = b.post(f"/portal/handovers/{handover.id}/receipt", headers=EN, data={
        "csrf_token": token, "received_quantity": "450", "received_on": str(today())})
    assert got.status_code == 303, text_of(got)[:2000]

    official = browser(app, world.official_p)
    for client_, path in ((a, "portal"), (b, "portal"), (official, "gis")):
        english = text_of(client_.get(f"/{path}/handovers/{handover.id}", headers=EN))
        assert "50 kg short" in english and "500 kg dispatched, 450 kg received." in english
        vietnamese = text_of(client_.get(f"/{path}/handovers/{handover.id}", headers=VI))
        assert "nhận thiếu 50 kg" in vietnamese.lower()
    outgoing = text_of(a.get("/portal/handovers?direction=out", headers=EN))
    assert "50 kg short" in outgoing and "Receipt confirmed" in outgoing
    assert "Held: 450 kg" in text_of(b.get("/portal/stock", headers=EN))
    assert 'id="receipt-form"' not in text_of(b.get(f"/portal/handovers/{handover.id}",
                                                    headers=EN))


def test_a_bad_dispatch_form_is_answered_beside_its_field_and_writes_nothing(app, client,
                                                                              db, world):
    batch = lot(client, world)
    a = browser(app, world.producer_a)
    tomorrow = str(today() + timedelta(days=1))
    for extra, field in (({"quantity": "1000,5"}, "quantity"),
                         ({"dispatched_on": tomorrow}, "dispatched_on"),
                         ({"receiver": f"org:{world.org_a.id}"}, "receiver"),
                         ({"receiver": "party:999999"}, "receiver"),
                         ({"receiver": ""}, "receiver")):
        before = state(db)
        extra = {"receiver": f"org:{world.org_b.id}", **extra}
        refused = dispatch_form(a, batch["id"], **extra)
        page = text_of(refused)
        assert refused.status_code == 400, page[:2000]
        assert 'class="error-box"' in page and f'id="{field}-error"' in page, (extra, page)
        assert state(db) == before


def test_refusing_sends_the_stock_back(app, client, db, world):
    batch = lot(client, world)
    a, b = browser(app, world.producer_a), browser(app, world.producer_b)
    assert dispatch_form(a, batch["id"], f"org:{world.org_b.id}").status_code == 303
    handover = db.scalars(select(Handover)).one()
    token = csrf_token(b, f"/portal/handovers/{handover.id}")
    blank = b.post(f"/portal/handovers/{handover.id}/refusal", headers=EN,
                   data={"csrf_token": token, "reason": ""})
    assert blank.status_code == 400 and 'id="reason-error"' in text_of(blank)
    refused = b.post(f"/portal/handovers/{handover.id}/refusal", headers=EN,
                     data={"csrf_token": token, "reason": "Quả bị dập"})
    assert refused.status_code == 303
    db.refresh(handover)
    assert handover.status == HandoverStatus.REFUSED
    page = text_of(a.get(f"/portal/handovers/{handover.id}", headers=EN))
    assert "Refused by the receiver" in page and "Quả bị dập" in page
    assert "Held: 1,000 kg" in text_of(a.get("/portal/stock", headers=EN))
    twice = b.post(f"/portal/handovers/{handover.id}/receipt", headers=EN, data={
        "csrf_token": token, "received_quantity": "500", "received_on": str(today())})
    assert twice.status_code == 400 and "already refused" in text_of(twice)


def test_external_parties_are_named_on_their_page_and_delivered_to(app, client, db, world):
    batch = lot(client, world)
    a = browser(app, world.producer_a)
    page = text_of(a.get("/portal/parties", headers=VI))
    assert "Trung Quốc (CN)" in page and "<script" not in page
    token = csrf_token(a, "/portal/parties")
    before = state(db)
    bad = a.post("/portal/parties", headers=EN, data={
        "csrf_token": token, "name": "Guangzhou Fresh", "country": "CN",
        "gln": "6901234567891"})
    assert bad.status_code == 400 and 'id="gln-error"' in text_of(bad)
    assert "should be 2" in text_of(bad)
    assert state(db) == before
    good = a.post("/portal/parties", headers=EN, data={
        "csrf_token": token, "name": "Guangzhou Fresh", "country": "CN",
        "gln": "6901234567892"})
    assert good.status_code == 303
    form = text_of(a.get("/portal/handovers/new", headers=EN))
    party = re.search(r'value="(party:\d+)"[^>]*>Guangzhou Fresh \(China\)', form)
    assert party, form
    assert dispatch_form(a, batch["id"], party.group(1)).status_code == 303
    handover = db.scalars(select(Handover)).one()
    assert handover.status == HandoverStatus.DELIVERED
    shown = text_of(a.get("/portal/handovers?direction=out", headers=EN))
    assert "Guangzhou Fresh (China)" in shown and "Delivered outside the platform" in shown


def test_the_pages_are_for_the_right_people(app, client, world):
    official = browser(app, world.official_p)
    assert official.get("/portal/stock").status_code == 403
    assert official.get("/gis/handovers", headers=EN).status_code == 200
    assert client.get("/portal/handovers").status_code in (302, 303)
    a = browser(app, world.producer_a)
    nav = text_of(a.get("/portal/handovers", headers=EN))
    assert 'href="/portal/handovers"' in nav and "External parties" in nav
