"""Hand-overs (giao nhận) through the API on real stock: dispatch, receipt short by
50 kg, refusal, who reads what, every bad input refused in both languages with nothing
written, and 32 concurrent dispatches from one stock that never oversell."""
from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, func, select, text

from agritrace import create_app
from agritrace.clock import today
from agritrace.db import EXTENSION, session
from agritrace.models import (AuditEntry, Handover, Holding, MovementKind, Role,
                              StockMovement)
from support import PASSWORD, World, drop, english, make_database, snapshot
from test_batches import issued_area, new_batch

YESTERDAY = str(today() - timedelta(days=1))
VI = {"Accept-Language": "vi"}
# API tokens note when they were last used, whatever the request does.
VOLATILE = {"api_tokens"}


def state(db) -> dict:
    return {t: v for t, v in snapshot(db.connection()).items() if t not in VOLATILE}


def lot(client, world, east_m=0, quantity=1000, **extra) -> dict:
    """A harvest lot of organisation A, on an issued area of its own."""
    a = english(world.token(world.producer_a))
    made = new_batch(client, a, world, [issued_area(client, world, east_m)],
                     quantity=quantity, **extra)
    assert made.status_code == 201, made.get_json()
    return made.get_json()


def dispatch(client, headers, batch_id, quantity, **extra):
    body = {"batch_id": batch_id, "quantity": quantity, "dispatched_on": YESTERDAY,
            "delivery_note": "PGH-0001", "vehicle": "70C-123.45", **extra}
    return client.post("/api/v1/handovers", json=body, headers=headers)


def held(client, headers) -> dict:
    rows = client.get("/api/v1/stock", headers=headers).get_json()
    return {r["lot_code"]: r["balance"] for r in rows}


def producer_of(world, org, email):
    """A user for one more organisation (C, in province Q)."""
    from agritrace.services import accounts
    with world.app.app_context():
        return accounts.create_user(None, email=email, password=PASSWORD, full_name=email,
                                    role=Role.PRODUCER, organization_id=org.id, system=True)


@pytest.fixture
def who(world):
    return {key: english(world.token(user)) for key, user in (
        ("a", world.producer_a), ("b", world.producer_b), ("p", world.official_p),
        ("q", world.official_q), ("admin", world.admin))}


def test_a_receipt_short_by_50_kg_is_shown_to_both_sides_and_the_officials(client, db,
                                                                            world, who):
    batch = lot(client, world)
    a, b, p, q = who["a"], who["b"], who["p"], who["q"]
    sent = dispatch(client, a, batch["id"], 500, receiver_id=world.org_b.id)
    assert sent.status_code == 201, sent.get_json()
    h = sent.get_json()
    assert (h["status"], h["quantity"], h["unit"], h["receiver_name"], h["lot_code"]) == \
        ("dispatched", 500, "KGM", "HTX B", batch["lot_code"])
    assert held(client, a) == {batch["lot_code"]: 500}
    assert held(client, b) == {}                   # on its way: not B's stock yet
    incoming = client.get("/api/v1/handovers?direction=in", headers=b).get_json()
    assert [x["id"] for x in incoming] == [h["id"]]
    assert client.get("/api/v1/handovers?direction=in", headers=a).get_json() == []

    got = client.post(f"/api/v1/handovers/{h['id']}/receipt", headers=b,
                      json={"received_quantity": 450, "received_on": str(today())})
    assert got.status_code == 200, got.get_json()
    assert (got.get_json()["status"], got.get_json()["shortfall"]) == ("received", 50)
    assert held(client, b) == {batch["lot_code"]: 450}
    assert held(client, a) == {batch["lot_code"]: 500}
    for reader in (a, b, p):
        seen = client.get(f"/api/v1/handovers/{h['id']}", headers=reader).get_json()
        assert (seen["received_quantity"], seen["shortfall"]) == (450, 50)
    assert client.get(f"/api/v1/handovers/{h['id']}", headers=q).status_code == 404
    kinds = db.execute(select(StockMovement.organization_id, StockMovement.kind,
                              StockMovement.quantity).where(
        StockMovement.batch_id == batch["id"]).order_by(StockMovement.id)).all()
    assert kinds == [(world.org_a.id, MovementKind.HARVEST, 1000),
                     (world.org_a.id, MovementKind.DISPATCH, -500),
                     (world.org_b.id, MovementKind.RECEIPT, 450)]
    actions = db.scalars(select(AuditEntry.action).where(
        AuditEntry.entity == "handover", AuditEntry.entity_id == str(h["id"]))
        .order_by(AuditEntry.id)).all()
    assert actions == ["dispatch", "receive"]


def test_officials_of_the_receivers_province_read_it_too(client, world, who):
    batch = lot(client, world)
    sent = dispatch(client, who["a"], batch["id"], 100, receiver_id=world.org_q.id)
    assert sent.status_code == 201, sent.get_json()
    url = f"/api/v1/handovers/{sent.get_json()['id']}"
    assert client.get(url, headers=who["q"]).status_code == 200
    assert client.get(url, headers=who["p"]).status_code == 200
    assert client.get(url, headers=who["b"]).status_code == 404
    listed = client.get("/api/v1/handovers?direction=in", headers=who["q"]).get_json()
    assert [x["id"] for x in listed] == [sent.get_json()["id"]]
    assert client.get("/api/v1/handovers?direction=out", headers=who["q"]).get_json() == []


def test_a_refusal_gives_the_stock_back_to_the_sender(client, db, world, who):
    batch = lot(client, world)
    h = dispatch(client, who["a"], batch["id"], 300, receiver_id=world.org_b.id).get_json()
    url = f"/api/v1/handovers/{h['id']}"
    assert client.post(url + "/refusal", headers=who["a"],
                       json={"reason": "Sai quy cách"}).status_code == 403
    refused = client.post(url + "/refusal", headers=who["b"], json={"reason": "Quả dập"})
    assert refused.status_code == 200, refused.get_json()
    assert (refused.get_json()["status"], refused.get_json()["refusal_reason"]) == \
        ("refused", "Quả dập")
    assert held(client, who["a"]) == {batch["lot_code"]: 1000}
    assert held(client, who["b"]) == {}
    again = client.post(url + "/receipt", headers=who["b"],
                        json={"received_quantity": 300, "received_on": str(today())})
    assert again.status_code == 409 and "status" in again.get_json()["errors"]


def test_an_external_party_is_delivered_at_once(client, world, who):
    batch = lot(client, world)
    party = client.post("/api/v1/parties", headers=who["a"], json={
        "name": "Guangzhou Fresh Import Co.", "country": "cn", "gln": "6901234567892"})
    assert party.status_code == 201, party.get_json()
    assert party.get_json()["country"] == "CN"
    h = dispatch(client, who["a"], batch["id"], 200,
                 external_party_id=party.get_json()["id"])
    assert h.status_code == 201, h.get_json()
    assert (h.get_json()["status"], h.get_json()["external_party"]["name"]) == \
        ("delivered", "Guangzhou Fresh Import Co.")
    assert held(client, who["a"]) == {batch["lot_code"]: 800}
    listed = client.get("/api/v1/parties", headers=who["a"]).get_json()
    assert [x["name"] for x in listed] == ["Guangzhou Fresh Import Co."]
    assert client.get("/api/v1/parties", headers=who["b"]).get_json() == []
    answer = client.post(f"/api/v1/handovers/{h.get_json()['id']}/receipt", headers=who["a"],
                         json={"received_quantity": 1, "received_on": str(today())})
    assert answer.status_code == 403


@pytest.mark.parametrize("body, field", [
    ({"name": "X Co.", "country": "CN", "gln": "6901234567891"}, "gln"),    # check digit
    ({"name": "X Co.", "country": "CN", "gln": "690123456789"}, "gln"),     # 12 digits
    ({"name": "X Co.", "country": "QQ"}, "country"),
    ({"name": "", "country": "CN"}, "name"),
], ids=["gln-check-digit", "gln-length", "country", "name"])
def test_bad_external_parties_are_refused(client, db, world, who, body, field):
    before = state(db)
    refused = client.post("/api/v1/parties", headers=who["a"], json=body)
    assert refused.status_code == 422, refused.get_json()
    assert field in refused.get_json()["errors"]
    assert state(db) == before


def _c(world):
    """Organisation Q (province Q) with a producer of its own: a third holder."""
    return english(world.token(producer_of(world, world.org_q, "c@test.vn")))


def _received(client, batch, to, sender, receiver, quantity) -> dict:
    """`sender` dispatches to the organisation `to`, whose producer `receiver` confirms."""
    h = dispatch(client, sender, batch["id"], quantity, receiver_id=to.id)
    assert h.status_code == 201, h.get_json()
    got = client.post(f"/api/v1/handovers/{h.get_json()['id']}/receipt", headers=receiver,
                      json={"received_quantity": quantity, "received_on": str(today())})
    assert got.status_code == 200, got.get_json()
    return h.get_json()


BAD = {
    "more-than-held": (lambda c, w, who, b: dispatch(c, who["a"], b["id"], 1000.5,
                                                    receiver_id=w.org_b.id), 422, "quantity"),
    "zero": (lambda c, w, who, b: dispatch(c, who["a"], b["id"], 0, receiver_id=w.org_b.id),
             422, "quantity"),
    "to-oneself": (lambda c, w, who, b: dispatch(c, who["a"], b["id"], 10,
                                                receiver_id=w.org_a.id), 422, "receiver_id"),
    "future-date": (lambda c, w, who, b: dispatch(
        c, who["a"], b["id"], 10, receiver_id=w.org_b.id,
        dispatched_on=str(today() + timedelta(days=1))), 422, "dispatched_on"),
    "unknown-party": (lambda c, w, who, b: dispatch(c, who["a"], b["id"], 10,
                                                   external_party_id=999999),
                      422, "external_party_id"),
    "two-receivers": (lambda c, w, who, b: dispatch(c, who["a"], b["id"], 10,
                                                   receiver_id=w.org_b.id,
                                                   external_party_id=1), 422, "receiver_id"),
    "no-receiver": (lambda c, w, who, b: dispatch(c, who["a"], b["id"], 10),
                    422, "receiver_id"),
    "unknown-receiver": (lambda c, w, who, b: dispatch(c, who["a"], b["id"], 10,
                                                      receiver_id=999999),
                         422, "receiver_id"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_dispatches_are_refused_in_both_languages_and_nothing_is_written(
        client, db, world, who, case):
    batch = lot(client, world)
    call, status, field = BAD[case]
    before = state(db)
    english_answer = call(client, world, who, batch)
    assert english_answer.status_code == status, english_answer.get_json()
    assert field in english_answer.get_json()["errors"], english_answer.get_json()
    vietnamese = call(client, world, {k: {**v, **VI} for k, v in who.items()}, batch)
    assert vietnamese.status_code == status
    assert field in vietnamese.get_json()["errors"]
    assert vietnamese.get_json()["detail"] != english_answer.get_json()["detail"], \
        "the Vietnamese answer is not translated"
    assert state(db) == before


def test_another_organisations_external_party_is_refused(client, db, world, who):
    batch = lot(client, world)
    theirs = client.post("/api/v1/parties", headers=who["b"], json={
        "name": "B's importer", "country": "JP"}).get_json()
    before = state(db)
    for headers in (who["a"], {**who["a"], **VI}):
        refused = dispatch(client, headers, batch["id"], 10, external_party_id=theirs["id"])
        assert refused.status_code == 422
        assert "external_party_id" in refused.get_json()["errors"]
    assert state(db) == before


def test_a_hand_over_that_would_close_a_cycle_is_refused(client, db, world, who):
    """A → B → C; C cannot hand the lot back to B (a previous holder) or to A (its
    producer), but A may send a second load to B."""
    batch = lot(client, world)
    c = _c(world)
    _received(client, batch, world.org_b, who["a"], who["b"], 400)
    _received(client, batch, world.org_q, who["b"], c, 300)
    before = state(db)
    for receiver in (world.org_b, world.org_a):
        for headers in (c, {**c, **VI}):
            refused = dispatch(client, headers, batch["id"], 10, receiver_id=receiver.id)
            assert refused.status_code == 422, refused.get_json()
            assert "receiver_id" in refused.get_json()["errors"]
    back = dispatch(client, who["b"], batch["id"], 10, receiver_id=world.org_a.id)
    assert back.status_code == 422 and "cycle" in back.get_json()["detail"]
    assert state(db) == before
    assert dispatch(client, who["a"], batch["id"], 100, receiver_id=world.org_b.id
                    ).status_code == 201


def test_confirming_twice_is_a_conflict_and_changes_nothing(client, db, world, who):
    batch = lot(client, world)
    h = dispatch(client, who["a"], batch["id"], 500, receiver_id=world.org_b.id).get_json()
    url = f"/api/v1/handovers/{h['id']}/receipt"
    body = {"received_quantity": 500, "received_on": str(today())}
    assert client.post(url, headers=who["b"], json=body).status_code == 200
    before = state(db)
    second = client.post(url, headers=who["b"], json=body)
    assert second.status_code == 409 and "status" in second.get_json()["errors"]
    assert "only once" in second.get_json()["detail"]
    vi = client.post(url, headers={**who["b"], **VI}, json=body)
    assert vi.status_code == 409 and vi.get_json()["detail"] != second.get_json()["detail"]
    assert state(db) == before


@pytest.mark.parametrize("body, field", [
    ({"received_quantity": 500.5}, "received_quantity"),     # more than dispatched
    ({"received_quantity": 0}, "received_quantity"),
    ({"received_on": "tomorrow"}, "received_on"),
    ({"received_on": "before"}, "received_on"),
], ids=["more-than-sent", "zero", "future", "before-dispatch"])
def test_bad_receipts_are_refused(client, db, world, who, body, field):
    batch = lot(client, world)
    h = dispatch(client, who["a"], batch["id"], 500, receiver_id=world.org_b.id).get_json()
    days = {"tomorrow": str(today() + timedelta(days=1)),
            "before": str(today() - timedelta(days=2))}
    full = {"received_quantity": 450, "received_on": str(today()), **body}
    full["received_on"] = days.get(full["received_on"], full["received_on"])
    before = state(db)
    for headers in (who["b"], {**who["b"], **VI}):
        refused = client.post(f"/api/v1/handovers/{h['id']}/receipt", headers=headers,
                              json=full)
        assert refused.status_code == 422, refused.get_json()
        assert field in refused.get_json()["errors"]
    assert state(db) == before


def test_only_the_holder_dispatches_and_a_recalled_lot_stays(client, db, world, who):
    batch = lot(client, world)
    for key, status in (("b", 404), ("p", 403), ("admin", 403)):
        assert dispatch(client, who[key], batch["id"], 10, receiver_id=world.org_b.id
                        ).status_code == status
    assert client.post(f"/api/v1/batches/{batch['id']}/recall", headers=who["a"],
                       json={"reason": "Dư lượng"}).status_code == 200
    before = state(db)
    refused = dispatch(client, who["a"], batch["id"], 10, receiver_id=world.org_b.id)
    assert refused.status_code == 409 and "batch_id" in refused.get_json()["errors"]
    assert state(db) == before


def test_the_harvest_quantity_is_the_producers_stock_and_corrections_are_movements(
        client, db, world, who):
    batch = lot(client, world)
    url = f"/api/v1/batches/{batch['id']}"
    assert client.patch(url, headers=who["a"], json={"quantity": 1200}).status_code == 200
    assert held(client, who["a"]) == {batch["lot_code"]: 1200}
    dispatch(client, who["a"], batch["id"], 700, receiver_id=world.org_b.id)
    before = state(db)
    for headers in (who["a"], {**who["a"], **VI}):
        below = client.patch(url, headers=headers, json={"quantity": 600})
        assert below.status_code == 422 and "quantity" in below.get_json()["errors"]
    assert state(db) == before
    assert client.patch(url, headers=who["a"], json={"quantity": 900}).status_code == 200
    assert held(client, who["a"]) == {batch["lot_code"]: 200}
    kinds = db.scalars(select(StockMovement.kind).where(
        StockMovement.batch_id == batch["id"], StockMovement.organization_id == world.org_a.id)
        .order_by(StockMovement.id)).all()
    assert kinds == [MovementKind.HARVEST, MovementKind.ADJUSTMENT, MovementKind.DISPATCH,
                     MovementKind.ADJUSTMENT]


def test_lists_paginate(client, world, who):
    batch = lot(client, world)
    for n in range(3):
        assert dispatch(client, who["a"], batch["id"], 10, receiver_id=world.org_b.id,
                        delivery_note=f"PGH-{n}").status_code == 201
    first = client.get("/api/v1/handovers?direction=out&page_size=2", headers=who["a"])
    assert first.headers["X-Total-Count"] == "3" and len(first.get_json()) == 2
    assert 'rel="next"' in first.headers["Link"]
    assert client.get("/api/v1/handovers?direction=sideways", headers=who["a"]
                      ).status_code == 422


# --- 32 concurrent dispatches, on a committed database ------------------------------------

@pytest.fixture(scope="module")
def committed():
    """A database of its own: real commits, seen by 32 connections at once."""
    url = make_database("handovers")
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "handover-race", "TESTING": True,
                      "CLI_LOCALE": "en"})
    engine = create_engine(url)
    try:
        with app.app_context():
            s = session()
            world = World(s)
            s.commit()
        yield app, world, engine
    finally:
        engine.dispose()
        app.extensions[EXTENSION].kw["bind"].dispose()
        drop(url)


def test_32_concurrent_dispatches_from_the_same_stock_never_oversell(committed):
    app, world, engine = committed
    client = app.test_client()
    stock, each, racers = 1000, 40, 32          # room for exactly 25 of the 32
    batch = lot(client, world, quantity=stock, lot_code="RACE-1")
    a = english(world.token(world.producer_a))
    start = threading.Barrier(racers)
    answers: list[tuple[int, dict]] = []
    lowest: list[Decimal] = []
    done = threading.Event()

    def watch():
        """The balance as other connections see it, all along the race."""
        with engine.connect() as c:
            while not done.is_set():
                lowest.append(c.execute(text(
                    "SELECT balance FROM holdings WHERE batch_id = :b AND organization_id = :o"),
                    {"b": batch["id"], "o": world.org_a.id}).scalar_one())
                c.rollback()

    def racer(n: int):
        mine = app.test_client()
        start.wait()
        r = dispatch(mine, a, batch["id"], each, receiver_id=world.org_b.id,
                     delivery_note=f"RACE-{n:02d}")
        answers.append((r.status_code, r.get_json()))

    watcher = threading.Thread(target=watch)
    watcher.start()
    threads = [threading.Thread(target=racer, args=(n,)) for n in range(racers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    done.set()
    watcher.join()

    codes = sorted(code for code, _body in answers)
    assert len(answers) == racers
    assert codes == [201] * (stock // each) + [422] * (racers - stock // each), codes
    assert all("quantity" in body["errors"] for code, body in answers if code == 422)
    with engine.connect() as c:
        sent = c.execute(select(func.coalesce(func.sum(Handover.quantity), 0)).where(
            Handover.batch_id == batch["id"])).scalar_one()
        balance = c.execute(select(Holding.balance).where(
            Holding.batch_id == batch["id"], Holding.organization_id == world.org_a.id)
        ).scalar_one()
        ledger = c.execute(select(func.sum(StockMovement.quantity)).where(
            StockMovement.batch_id == batch["id"],
            StockMovement.organization_id == world.org_a.id)).scalar_one()
    assert sent == stock and sent <= stock
    assert balance == 0 == ledger
    assert lowest and min(lowest) >= 0
