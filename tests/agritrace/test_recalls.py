"""Recalls (thu hồi) that reach every holder, on a real PostGIS with a real SMTP server
on loopback: a cooperative's batch went into a packing house's lot and on into an
exporter's export lot; recalling the batch recalls both lots, tells both holders in
their inbox and by e-mail, and follows their confirmations to 100 %."""
from __future__ import annotations

import email
import socket
from datetime import date, timedelta
from decimal import Decimal
from email import policy
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from agritrace.errors import Conflict, Invalid, NotFound
from agritrace.models import (Batch, BatchStatus, HolderStatus, LotOrigin, MovementKind, Notice,
                              OrgKind, Organization, OrgStatus, OutboxMessage, OutboxStatus,
                              Product, RecallHolder, Role, Stamp, Transformation,
                              TransformationInput, TransformationKind, User)
from agritrace.services import accounts, mailer, recalls, stock
from labels.codes import compact_code
from labels.gs1 import check_digit
from support import DONG_THAP, PASSWORD, TAY_NINH, english, login, snapshot
from test_batches import issued_area, new_batch

REASON = "Dư lượng Emamectin benzoate vượt mức giới hạn tối đa"


# --- a real SMTP server ------------------------------------------------------------------

class Mailbox:
    """What the SMTP server received: (envelope recipients, parsed message)."""

    def __init__(self):
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=policy.default)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(app):
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    before = app.config["SMTP_URL"]
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{controller.port}"
    try:
        yield box
    finally:
        app.config["SMTP_URL"] = before
        controller.stop()


# --- the chain: cooperative A → packing house → exporter ---------------------------------

def _gtin(body13: str) -> str:
    return body13 + str(check_digit(body13))


def _org(db, kind, name, tax, province, email=None):
    org = Organization(kind=kind, name=name, tax_code=tax, address="", province_code=province,
                       status=OrgStatus.APPROVED, email=email)
    db.add(org)
    db.flush()
    return org


def _lot(db, org, product, lot_code, quantity, made_from, *, market=None, kind=None):
    """An output lot of `org` made from [(lot, quantity)], the inputs leaving its stock."""
    made = Transformation(organization_id=org.id, kind=kind or TransformationKind.PACKING,
                          happened_on=date.today(), unit="KGM",
                          loss_quantity=sum(q for _l, q in made_from) - quantity)
    db.add(made)
    db.flush()
    for lot, q in made_from:
        db.add(TransformationInput(transformation_id=made.id, batch_id=lot.id, quantity=q))
        stock.move(db, batch_id=lot.id, organization_id=org.id, kind=MovementKind.USE,
                   quantity=-q, transformation_id=made.id)
    out = Batch(product_id=product.id, organization_id=org.id, lot_code=lot_code,
                quantity=quantity, unit="KGM", status=BatchStatus.OPEN,
                origin=LotOrigin.EXPORT if market else LotOrigin.TRANSFORMATION,
                transformation_id=made.id, market=market,
                expiry_date=date.today() + timedelta(days=30))
    db.add(out)
    db.flush()
    stock.move(db, batch_id=out.id, organization_id=org.id, kind=MovementKind.OUTPUT,
               quantity=quantity, transformation_id=made.id)
    return out


def _hand_over(db, lot, sender, receiver, quantity):
    stock.move(db, batch_id=lot.id, organization_id=sender.id, kind=MovementKind.DISPATCH,
               quantity=-quantity)
    stock.move(db, batch_id=lot.id, organization_id=receiver.id, kind=MovementKind.RECEIPT,
               quantity=quantity)


@pytest.fixture
def chain(app, client, db, world):
    """A's batch of 1000 kg → all to the packing house, which packs 950 kg (lot P) and
    sends 600 kg to the exporter (in province Q), which makes export lot E for China
    and holds it; the packing house keeps 350 kg of P. E has active stamps."""
    a = english(world.token(world.producer_a))
    made = new_batch(client, a, world, [issued_area(client, world, 0)], lot_code="TL-RCL-1",
                     quantity=1000)
    assert made.status_code == 201, made.get_json()
    with app.app_context():
        source = db.get(Batch, made.get_json()["id"])
        house = _org(db, OrgKind.PACKING_HOUSE, "Nhà đóng gói Tân Phú", "6666666666", TAY_NINH,
                     email="Kho@TanPhu.vn")
        exporter = _org(db, OrgKind.EXPORTER, "Xuất khẩu Mê Kông", "7777777777", DONG_THAP)
        packed = Product(organization_id=house.id, name="Thanh long loại 1", category="fruit")
        shipped = Product(organization_id=exporter.id, name="Dragon fruit export",
                          category="fruit", gtin=_gtin("0952000999992"))
        db.add_all([packed, shipped])
        db.flush()
        _hand_over(db, source, world.org_a, house, Decimal(1000))
        lot_p = _lot(db, house, packed, "PH-RCL-1", Decimal(950), [(source, Decimal(1000))])
        _hand_over(db, lot_p, house, exporter, Decimal(600))
        lot_e = _lot(db, exporter, shipped, "EX-CN-1", Decimal(600), [(lot_p, Decimal(600))],
                     market="CN", kind=TransformationKind.EXPORT)
        users = {}
        for key, org, mail in (("house", house, "ph@test.vn"), ("exporter", exporter,
                                                                 "ex@test.vn")):
            users[key] = accounts.create_user(None, email=mail, password=PASSWORD,
                                              full_name=mail, role=Role.PRODUCER,
                                              organization_id=org.id, system=True)
        idle = accounts.create_user(None, email="gone@test.vn", password=PASSWORD,
                                    full_name="gone", role=Role.PRODUCER,
                                    organization_id=exporter.id, system=True)
        db.execute(update(User).where(User.id == idle.id).values(active=False))
        db.commit()
    headers = english(world.token(users["exporter"]))
    order = client.post("/api/v1/stamp-orders", headers=headers,
                        json={"batch_id": lot_e.id, "quantity": 2})
    assert order.status_code == 201, order.get_json()
    run = order.get_json()["run_id"]
    assert client.post(f"/api/v1/stamp-runs/{run}/activate", headers=headers).status_code == 200
    stamp = db.scalars(select(Stamp.id).where(Stamp.run_id == run)).first()
    return SimpleNamespace(source=source, lot_p=lot_p, lot_e=lot_e, house=house,
                           exporter=exporter, users=users, stamp=stamp)


def _holders(db, recall_id) -> dict:
    rows = db.scalars(select(RecallHolder).where(RecallHolder.recall_id == recall_id))
    return {(h.organization_id, h.batch_id): h for h in rows}


# --- the whole story ---------------------------------------------------------------------

def test_a_recall_reaches_every_holder_by_inbox_and_email(app, client, db, world, chain,
                                                          smtp):
    p = english(world.token(world.official_p))
    made = client.post("/api/v1/recalls", headers=p,
                       json={"batch_id": chain.source.id, "reason": REASON})
    assert made.status_code == 201, made.get_json()
    recall_id = made.get_json()["id"]

    # Every lot downstream is recalled, naming the source.
    for lot in (chain.source, chain.lot_p, chain.lot_e):
        db.refresh(lot)
        assert lot.status == BatchStatus.RECALLED and lot.recall_id == recall_id
    assert chain.source.recall_reason == REASON
    assert chain.lot_e.recall_reason == (
        "Thu hồi vì lô TL-RCL-1 của HTX A bị thu hồi (Recalled because lot TL-RCL-1 of HTX A "
        f"was recalled): {REASON}")

    # Both holders — and nobody else: A gave all of its stock away — have a row and a notice.
    holders = _holders(db, recall_id)
    assert {k: h.quantity_held for k, h in holders.items()} == {
        (chain.house.id, chain.lot_p.id): Decimal(350),
        (chain.exporter.id, chain.lot_e.id): Decimal(600)}
    notices = db.scalars(select(Notice).where(Notice.recall_id == recall_id)).all()
    assert sorted(n.organization_id for n in notices) == sorted([chain.house.id,
                                                                  chain.exporter.id])
    assert all(n.kind == "recall" and n.read_at is None for n in notices)

    # The e-mail goes out through the SMTP server: one per active account and one to the
    # organisation's own address; the inactive account gets none.
    with app.app_context():
        assert mailer.send_due() == 3
    got = {to[0]: message for to, message in smtp.received}
    assert set(got) == {"ph@test.vn", "kho@tanphu.vn", "ex@test.vn"}
    to_exporter = got["ex@test.vn"]
    assert "EX-CN-1" not in to_exporter["Subject"] and "TL-RCL-1" in to_exporter["Subject"]
    assert "Thu hồi lô TL-RCL-1" in to_exporter["Subject"]
    body = to_exporter.get_content()
    assert REASON in body and "EX-CN-1" in body and "600 kg" in body
    assert "PH-RCL-1" not in body            # the packing house's stock is its own business
    assert "PH-RCL-1" in got["ph@test.vn"].get_content()
    assert db.scalars(select(OutboxMessage.status)).all() == [OutboxStatus.SENT] * 3
    with app.app_context():
        assert mailer.send_due() == 0        # nothing twice

    # The exporter sees it in its inbox, unread first, and the count in the navigation.
    login(client, "ex@test.vn", PASSWORD)
    page = client.get("/portal/inbox", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'id="nav-inbox"' in page and "EX-CN-1" in page and REASON in page

    # Both confirm; destroyed stock leaves the ledger; the recall page shows 100 %.
    ex_row = holders[(chain.exporter.id, chain.lot_e.id)]
    ph_row = holders[(chain.house.id, chain.lot_p.id)]
    confirmed = client.post(f"/api/v1/recall-holders/{ex_row.id}/confirmation",
                            headers=english(world.token(chain.users["exporter"])),
                            json={"action": "destroyed", "quantity": 600, "note": "Đốt"})
    assert confirmed.status_code == 200, confirmed.get_json()
    assert confirmed.get_json()["status"] == "confirmed"
    with app.app_context():
        assert stock.held(db, chain.exporter.id, chain.lot_e.id) == 0
    halfway = client.get(f"/api/v1/recalls/{recall_id}", headers=p).get_json()
    assert (halfway["notified"], halfway["confirmed"], halfway["percent"]) == (2, 1, 50)
    assert halfway["unaccounted"] == {"KGM": 350.0}
    with app.app_context():
        recalls.confirm_recall(chain.users["house"], ph_row.id, "quarantined", Decimal(350),
                               "Kho lạnh số 2")
        assert stock.held(db, chain.house.id, chain.lot_p.id) == 350   # kept, apart
    done = client.get(f"/api/v1/recalls/{recall_id}", headers=p).get_json()
    assert (done["confirmed"], done["percent"], done["lots_recalled"]) == (2, 100, 3)
    assert done["unaccounted"] == {"KGM": 0.0}
    login(client, "p@test.vn", PASSWORD)
    page = client.get(f"/recalls/{recall_id}", headers={"Accept-Language": "en"}
                      ).get_data(as_text=True)
    assert 'id="confirmed-percent">100 %' in page and "Xuất khẩu Mê Kông" in page
    assert f"/recalls/{recall_id}" in client.get("/gis/recalls").get_data(as_text=True)

    # The stamp on the export lot scans as recalled, naming the reason.
    scanned = client.get(f"/s/{compact_code(chain.stamp)}", headers={"Accept-Language": "en"})
    text = scanned.get_data(as_text=True)
    assert 'class="banner recalled"' in text and REASON in text and "TL-RCL-1" in text


def test_who_may_follow_a_recall(app, client, db, world, chain):
    with app.app_context():
        recall = recalls.recall_lot(world.producer_a, chain.source.id, REASON)
    url = f"/api/v1/recalls/{recall.id}"
    for user, status in ((world.producer_a, 200),          # the initiator's organisation
                         (world.official_p, 200),          # the source's province
                         (world.official_q, 200),          # the exporter's province
                         (world.admin, 200),
                         (world.producer_b, 404),
                         (chain.users["exporter"], 404)):  # a holder: through its inbox
        assert client.get(url, headers=english(world.token(user))).status_code == status, user
    # A holder may recall a lot it holds; a stranger is told it does not exist.
    with app.app_context(), pytest.raises(NotFound):
        recalls.recall_lot(world.producer_b, chain.lot_e.id, "không phải của tôi")


def test_lots_recalled_before_keep_their_own_recall(app, db, world, chain):
    with app.app_context():
        first = recalls.recall_lot(chain.users["exporter"], chain.lot_e.id, "Nấm mốc")
        second = recalls.recall_lot(world.official_p, chain.source.id, REASON)
    db.refresh(chain.lot_e)
    assert chain.lot_e.recall_id == first.id and chain.lot_e.recall_reason == "Nấm mốc"
    assert set(_holders(db, second.id)) == {(chain.house.id, chain.lot_p.id)}


# --- bad input: a clear error, nothing written ---------------------------------------------

def test_bad_confirmations_are_refused_and_write_nothing(app, client, db, world, chain):
    with app.app_context():
        recall = recalls.recall_lot(world.official_p, chain.source.id, REASON)
    rows = _holders(db, recall.id)
    ex_row = rows[(chain.exporter.id, chain.lot_e.id)]
    ph_row = rows[(chain.house.id, chain.lot_p.id)]
    exporter = english(world.token(chain.users["exporter"]))
    url = f"/api/v1/recall-holders/{ex_row.id}/confirmation"
    connection = db.connection()

    before = snapshot(connection)
    more = client.post(url, headers=exporter, json={"action": "destroyed", "quantity": 601})
    assert more.status_code == 422
    assert "held 600 kg of lot EX-CN-1" in more.get_json()["detail"]
    assert more.get_json()["errors"]["quantity"] == ["At most 600."]
    other = client.post(f"/api/v1/recall-holders/{ph_row.id}/confirmation", headers=exporter,
                        json={"action": "quarantined", "quantity": 10})
    assert other.status_code == 404
    unknown = client.post(url, headers=exporter, json={"action": "eaten", "quantity": 1})
    assert unknown.status_code == 422 and "action" in unknown.get_json()["errors"]
    assert snapshot(connection) == before

    assert client.post(url, headers=exporter, json={"action": "returned", "quantity": 200}
                       ).status_code == 200
    before = snapshot(connection)
    again = client.post(url, headers=exporter, json={"action": "destroyed", "quantity": 400})
    assert again.status_code == 409 and "already confirmed" in again.get_json()["detail"]
    with app.app_context():
        with pytest.raises(Conflict):
            recalls.confirm_recall(chain.users["exporter"], ex_row.id, "destroyed", 1)
        with pytest.raises(NotFound):
            recalls.confirm_recall(world.admin, ex_row.id, "destroyed", 1)
        with pytest.raises(Invalid):
            recalls.confirm_recall(chain.users["house"], ph_row.id, "destroyed", 0)
    assert snapshot(connection) == before
    db.refresh(ex_row)
    assert (ex_row.status, ex_row.quantity_handled) == (HolderStatus.CONFIRMED, Decimal(200))


def test_the_confirm_form_says_what_is_wrong(client, db, world, chain, app):
    with app.app_context():
        recall = recalls.recall_lot(world.official_p, chain.source.id, REASON)
    row = _holders(db, recall.id)[(chain.exporter.id, chain.lot_e.id)]
    login(client, "ex@test.vn", PASSWORD)
    url = f"/portal/recall-holders/{row.id}"
    page = client.get(url).get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    refused = client.post(url, headers={"Accept-Language": "en"},
                          data={"csrf_token": token, "action": "destroyed", "quantity": "700"})
    assert refused.status_code == 400 and "At most 600." in refused.get_data(as_text=True)
    vi = client.post(url, data={"csrf_token": token, "action": "destroyed", "quantity": "700"})
    assert "nhiều hơn" in vi.get_data(as_text=True)
    done = client.post(url, data={"csrf_token": token, "action": "quarantined",
                                  "quantity": "599,5"})
    assert done.status_code == 302
    db.refresh(row)
    assert row.quantity_handled == Decimal("599.5")
    login(client, "ph@test.vn", PASSWORD)
    assert client.get(url).status_code == 404


# --- the outbox when the SMTP server is away ------------------------------------------------

def test_a_failing_smtp_server_leaves_the_message_pending_for_later(app, db, world, chain):
    with app.app_context():
        recalls.recall_lot(world.official_p, chain.source.id, REASON)
    messages = db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    due = {m.id: m.next_attempt_at for m in messages}
    before = app.config["SMTP_URL"]
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{free_port()}"     # nobody listens there
    try:
        with app.app_context():
            assert mailer.send_due() == 0
    finally:
        app.config["SMTP_URL"] = before
    for message in messages:
        db.refresh(message)
    tried = [m for m in messages if m.attempts]
    assert len(tried) == 1      # the server is down: the round stops at the first message
    (failed,) = tried
    assert failed.status == OutboxStatus.PENDING and failed.attempts == 1
    assert failed.next_attempt_at > due[failed.id] and "Connection" in failed.last_error
    assert all(m.status == OutboxStatus.PENDING for m in messages)


def test_without_smtp_url_messages_wait(app, db, world, chain):
    with app.app_context():
        recalls.recall_lot(world.official_p, chain.source.id, REASON)
        assert app.config["SMTP_URL"] == "" and mailer.send_due() == 0
    assert {m.attempts for m in db.scalars(select(OutboxMessage))} == {0}


def test_the_worker_loop_and_the_cli_send_the_outbox(app, db, world, chain, smtp):
    from agritrace.services import stamp_worker
    with app.app_context():
        recalls.recall_lot(world.official_p, chain.source.id, REASON)
        assert stamp_worker.work(once=True) == 0      # no order to mint; the mail went out
    assert sorted(to[0] for to, _m in smtp.received) == ["ex@test.vn", "kho@tanphu.vn",
                                                          "ph@test.vn"]
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code == 0 and "0 e-mail message(s) sent." in result.output
