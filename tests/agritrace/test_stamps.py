"""Ordering, minting, activating and voiding runs of QR stamps, on a real PostGIS."""
import pytest
from psycopg.errors import ForeignKeyViolation
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from agritrace.errors import Conflict, Invalid
from agritrace.models import AuditEntry, Batch, BatchStatus, Stamp, StampOrder, StampRun
from agritrace.services import stamp_worker, stamps
from labels.codes import format_code, parse_code
from support import english
from test_batches import issued_area, new_batch


def counts(db):
    return tuple(db.scalar(select(func.count()).select_from(t))
                 for t in (Stamp, StampRun, StampOrder, AuditEntry))


@pytest.fixture
def batch(client, world):
    a = english(world.token(world.producer_a))
    area = issued_area(client, world, 0)
    return new_batch(client, a, world, [area]).get_json()


def order(client, headers, batch_id, quantity, **extra):
    return client.post("/api/v1/stamp-orders", headers=headers,
                       json={"batch_id": batch_id, "quantity": quantity, **extra})


def test_a_producer_orders_stamps_and_gets_a_run_at_once(client, db, world, batch):
    a = english(world.token(world.producer_a))
    made = order(client, a, batch["id"], 2500, pin=True)
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["status"] == "done" and body["minted"] == 2500 and body["run_id"]
    run = db.get(StampRun, body["run_id"])
    assert run.status.value == "issued" and run.pin_enabled and len(run.pin_key) >= 16
    ids = db.scalars(select(Stamp.id).where(Stamp.run_id == run.id)).all()
    assert len(ids) == len(set(ids)) == 2500
    assert all(0 < i < 2**63 for i in ids)
    # Random over the whole 63 bits, not a counter: half of them have the top bit set.
    assert 1000 < sum(i >> 62 for i in ids) < 1500
    assert all(parse_code(format_code(i)) == i for i in ids[:50])
    actions = db.scalars(select(AuditEntry.action).where(
        AuditEntry.entity.in_(["stamp_order", "stamp_run"])).order_by(AuditEntry.id)).all()
    assert actions == ["create", "mint"]
    got = client.get(f"/api/v1/stamp-runs/{run.id}", headers=a).get_json()
    assert got["lot_code"] == batch["lot_code"] and got["quantity"] == 2500


def test_no_stamps_for_a_lot_code_a_digital_link_cannot_carry(app):
    # The database refuses such a lot code as well: this is the service's own guard.
    with app.test_request_context(headers={"Accept-Language": "en"}):
        with pytest.raises(Invalid) as refused:
            stamps.check_mintable(Batch(lot_code="LÔ 1", status=BatchStatus.OPEN))
    assert ("LÔ 1 cannot be printed in a GS1 Digital Link: A lot code has 1 to 20 characters"
            in refused.value.detail)
    assert refused.value.errors["lot_code"][0].startswith("A lot code has 1 to 20 characters")


def test_colliding_ids_are_drawn_again_and_only_they(app, client, db, world, batch):
    a = english(world.token(world.producer_a))
    first = order(client, a, batch["id"], 300).get_json()
    taken = db.scalars(select(Stamp.id).where(Stamp.run_id == first["run_id"])).all()
    drawn = []
    fresh = iter(range(10**15, 10**15 + 10_000))

    def source(n):
        # The first draw repeats 40 ids already in use (and one twice); later draws are new.
        out = taken[:40] + [taken[0]] + [next(fresh) for _ in range(n - 41)] if not drawn \
            else [next(fresh) for _ in range(n)]
        drawn.append(len(out))
        return out

    with app.app_context():
        made = stamps.order_stamps(db.get(type(world.producer_a), world.producer_a.id),
                                   batch["id"], 200, new_ids=source)
    ids = set(db.scalars(select(Stamp.id).where(Stamp.run_id == made.run_id)))
    assert len(ids) == 200 and not ids & set(taken)
    assert drawn[0] == 200 and sum(drawn[1:]) == 41     # only the colliding ones again
    assert {i for i in ids if i >= 10**15} == ids
    assert db.scalar(select(func.count()).select_from(Stamp)
                     .where(Stamp.run_id == first["run_id"])) == 300


def test_a_stamp_needs_its_run_and_a_run_with_stamps_stays(client, db, world, batch):
    """stamps.run_id is kept by triggers, not a per-row foreign key (migration 0007):
    the same rules, for COPY, INSERT and UPDATE, and for deleting a run."""
    a = english(world.token(world.producer_a))
    run_id = order(client, a, batch["id"], 10).get_json()["run_id"]
    missing = db.scalar(select(func.max(StampRun.id))) + 1000
    raw = db.connection().connection.driver_connection
    raw.execute("SAVEPOINT before_copy")
    with pytest.raises(ForeignKeyViolation, match=f"stamp run {missing} does not"):
        with raw.cursor().copy("COPY stamps (id, run_id, status) FROM STDIN") as copy:
            copy.write(f"77\t{run_id}\tissued\n78\t{missing}\tissued\n")
    raw.execute("ROLLBACK TO SAVEPOINT before_copy")
    for statement in (f"INSERT INTO stamps (id, run_id, status) VALUES (79, {missing}, 'issued')",
                      f"UPDATE stamps SET run_id = {missing} WHERE run_id = {run_id}",
                      f"DELETE FROM stamp_runs WHERE id = {run_id}"):
        with pytest.raises(IntegrityError, match="stamp run"):
            with db.begin_nested():
                db.execute(text(statement))
    assert db.scalar(select(func.count()).where(Stamp.run_id == run_id)) == 10
    assert db.scalar(select(func.count()).where(Stamp.id.in_([77, 78, 79]))) == 0


@pytest.mark.parametrize("quantity, words", [
    (0, "Order between 1 and"), (-5, "Order between 1 and"), (5_000_001, "5,000,000"),
    ("many", "whole number"), (None, "empty"), (2.5, "whole number"),
])
def test_bad_quantities_are_refused_and_nothing_is_written(client, db, world, batch,
                                                           quantity, words):
    a = english(world.token(world.producer_a))
    before = counts(db)
    got = order(client, a, batch["id"], quantity)
    assert got.status_code == 422
    assert words.lower() in str(got.get_json()["errors"]["quantity"]).lower()
    assert counts(db) == before


def test_only_the_batch_owner_and_its_province_may_order(client, db, world, batch):
    before = counts(db)
    for user, status in ((world.producer_b, 404), (world.official_q, 404)):
        assert order(client, english(world.token(user)), batch["id"], 10
                     ).status_code == status
    assert order(client, {}, batch["id"], 10).status_code == 401
    assert counts(db)[:3] == before[:3]
    official = order(client, english(world.token(world.official_p)), batch["id"], 10)
    assert official.status_code == 201


def test_recalled_and_closed_batches_get_no_stamps(client, db, world, batch):
    a = english(world.token(world.producer_a))
    client.post(f"/api/v1/batches/{batch['id']}/close", headers=a)
    before = counts(db)
    closed = order(client, a, batch["id"], 10)
    assert closed.status_code == 409 and "closed" in closed.get_json()["detail"]
    second = new_batch(client, a, world, [{"id": batch["area_ids"][0]}],
                       lot_code="TL-2").get_json()
    client.post(f"/api/v1/batches/{second['id']}/recall", json={"reason": "Dư lượng"},
                headers=a)
    recalled = order(client, a, second["id"], 10)
    assert recalled.status_code == 409 and "recalled" in recalled.get_json()["detail"]
    assert counts(db)[:3] == before[:3]


def test_large_orders_wait_for_the_worker(app, client, db, world, batch):
    a = english(world.token(world.producer_a))
    app.config["STAMP_SYNC_LIMIT"] = 100
    try:
        queued = order(client, a, batch["id"], 101)
    finally:
        app.config["STAMP_SYNC_LIMIT"] = 50_000
    assert queued.status_code == 202
    body = queued.get_json()
    assert body["status"] == "queued" and body["minted"] == 0 and body["run_id"] is None
    assert client.get(f"/api/v1/stamp-orders/{body['id']}", headers=a).get_json() == body
    assert client.get(f"/api/v1/stamp-orders/{body['id']}",
                      headers=english(world.token(world.producer_b))).status_code == 404
    assert db.scalar(select(func.count()).select_from(Stamp)) == 0


def test_the_worker_claims_the_oldest_waiting_order_or_the_one_named(app, db, batch):
    with app.app_context():
        first, second = (stamps.order_stamps(None, batch["id"], 5, defer=True, system=True).id
                         for _ in range(2))
        assert stamp_worker.claim_order(second) == second     # the CLI mints its own
        with pytest.raises(Conflict, match=f"Order {second} is not waiting"):
            stamp_worker.claim_order(second)
        assert stamp_worker.claim_order() == first
        assert stamp_worker.claim_order() is None
    assert db.scalar(select(StampOrder.attempts).where(StampOrder.id == first)) == 1


def test_activation_waits_for_a_hold_to_be_cleared_and_void_ends_a_run(client, db, world,
                                                                      batch):
    a, p = english(world.token(world.producer_a)), english(world.token(world.official_p))
    run_id = order(client, a, batch["id"], 20).get_json()["run_id"]
    url = f"/api/v1/stamp-runs/{run_id}"
    # A spraying whose pre-harvest interval covers the harvest holds the batch.
    client.post("/api/v1/diary", headers=a, json={
        "step": "spraying", "event_time": "2026-11-18T07:00:00+07:00",
        "batch_id": batch["id"], "details": {"product": "Antracol 70WP",
                                             "active_ingredient": "propineb",
                                             "dose": "30 g", "phi_days": 7}})
    held = client.post(url + "/activate", headers=a)
    assert held.status_code == 409 and "hold" in held.get_json()["detail"]
    assert client.get(url, headers=a).get_json()["status"] == "issued"
    client.post(f"/api/v1/batches/{batch['id']}/clear-hold", headers=p,
                json={"reason": "Kết quả kiểm nghiệm đạt"})
    assert client.post(url + "/activate", headers=english(world.token(world.producer_b))
                       ).status_code == 404
    active = client.post(url + "/activate", headers=a)
    assert active.status_code == 200 and active.get_json()["status"] == "active"
    assert client.post(url + "/activate", headers=a).status_code == 409
    assert client.post(url + "/void", json={}, headers=a).status_code == 422
    void = client.post(url + "/void", json={"reason": "In lỗi, hủy cả cuộn"}, headers=p)
    assert void.status_code == 200 and void.get_json()["void_reason"] == "In lỗi, hủy cả cuộn"
    assert client.post(url + "/void", json={"reason": "again"}, headers=a).status_code == 409
    actions = db.scalars(select(AuditEntry.action).where(
        AuditEntry.entity == "stamp_run", AuditEntry.entity_id == str(run_id))
        .order_by(AuditEntry.id)).all()
    assert actions == ["mint", "activate", "void"]
    listed = client.get("/api/v1/stamp-runs", query_string={"batch_id": batch["id"]},
                        headers=a)
    assert [r["id"] for r in listed.get_json()] == [run_id]
    assert client.get("/api/v1/stamp-runs", query_string={"batch_id": batch["id"]},
                      headers=english(world.token(world.producer_b))).get_json() == []


def test_print_files_through_the_api(client, db, world, batch):
    a = english(world.token(world.producer_a))
    run_id = order(client, a, batch["id"], 40).get_json()["run_id"]
    url = f"/api/v1/stamp-runs/{run_id}/print"
    got = client.get(url, query_string={"format": "csv"}, headers=a)
    assert got.status_code == 200 and got.mimetype == "text/csv"
    assert "attachment" in got.headers["Content-Disposition"]
    assert len(got.get_data(as_text=True).strip().splitlines()) == 41
    for query, field in (({"format": "docx"}, "format"), ({"template": "a3-1x1"}, "template")):
        bad = client.get(url, query_string=query, headers=a)
        assert bad.status_code == 422 and field in bad.get_json()["errors"]
    assert client.get(url, query_string={"format": "pins-pdf"}, headers=a).status_code == 409
    assert client.get(url, headers=english(world.token(world.producer_b))).status_code == 404
    assert client.get(url).status_code == 401
