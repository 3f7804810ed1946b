"""The farming diary: entries on areas and batches, and the pre-harvest-interval hold
that only an official clears."""
import pytest
from sqlalchemy import func, select

from agritrace.models import DIARY_STEPS, AuditEntry, TraceEvent
from agritrace.schemas.diary import DETAILS
from agritrace.web.diary import STEP_NAMES
from support import english
from test_batches import issued_area, new_batch

SPRAY = {"product": "Antracol 70WP", "active_ingredient": "propineb", "dose": "30 g / 16 l",
         "phi_days": 7}


def spray(client, headers, when, **subject):
    return client.post("/api/v1/diary", headers=headers, json={
        "step": "spraying", "event_time": when, "details": SPRAY, **subject})


def test_a_spraying_too_close_to_harvest_holds_the_batch_until_an_official_clears_it(
        client, db, world):
    a, p = english(world.token(world.producer_a)), english(world.token(world.official_p))
    area = issued_area(client, world, 0)
    batch = new_batch(client, a, world, [area], harvest_date="2026-11-20",
                      pack_date="2026-11-21").get_json()
    assert batch["on_hold"] is False
    # Sprayed on the 10th with 7 days' interval: harvest on the 20th is fine.
    assert spray(client, a, "2026-11-10T07:30:00+07:00", area_id=area["id"]).status_code == 201
    assert client.get(f"/api/v1/batches/{batch['id']}", headers=a).get_json()["on_hold"] is False
    # Sprayed on the 15th: the interval runs to the 22nd, after the harvest.
    late = spray(client, a, "2026-11-15T07:30:00+07:00", area_id=area["id"])
    assert late.status_code == 201, late.get_json()
    held = client.get(f"/api/v1/batches/{batch['id']}", headers=a).get_json()
    assert held["on_hold"] is True
    assert "propineb" in held["hold_reason"] and "2026-11-22" in held["hold_reason"]

    url = f"/api/v1/batches/{batch['id']}/clear-hold"
    assert client.post(url, json={"reason": "tự xác nhận"}, headers=a).status_code == 403
    assert client.post(url, json={}, headers=p).status_code == 422
    cleared = client.post(url, json={"reason": "Kết quả kiểm nghiệm dư lượng đạt"}, headers=p)
    assert cleared.status_code == 200 and cleared.get_json()["on_hold"] is False
    actions = db.scalars(select(AuditEntry.action).where(
        AuditEntry.entity == "batch", AuditEntry.entity_id == str(batch["id"]))
        .order_by(AuditEntry.id)).all()
    assert actions == ["create", "hold", "clear_hold"]


def test_a_batch_opened_after_a_late_spraying_is_held_at_once(client, db, world):
    a = english(world.token(world.producer_a))
    area = issued_area(client, world, 0)
    spray(client, a, "2026-11-18T16:00:00+07:00", area_id=area["id"])
    batch = new_batch(client, a, world, [area], harvest_date="2026-11-20",
                      pack_date="2026-11-21").get_json()
    assert batch["on_hold"] is True


def test_lab_results_are_judged_and_entries_listed_in_order(client, db, world):
    a, p, b = (english(world.token(u)) for u in (world.producer_a, world.official_p,
                                                  world.producer_b))
    area = issued_area(client, world, 0)
    batch = new_batch(client, a, world, [area]).get_json()
    lab = client.post("/api/v1/diary", headers=a, json={
        "step": "lab_testing", "batch_id": batch["id"], "event_time": "2026-11-21T09:00:00+07:00",
        "details": {"analyte": "Chlorpyrifos", "result": 0.02, "limit": 0.05, "unit": "mg/kg",
                    "lab": "Trung tâm Kiểm nghiệm Tây Ninh"}})
    assert lab.status_code == 201 and lab.get_json()["disposition"] == "conformant"
    client.post("/api/v1/diary", headers=a, json={
        "step": "sowing", "area_id": area["id"], "event_time": "2026-05-01T06:00:00+07:00",
        "details": {"variety": "Ruột đỏ"}})
    mine = client.get("/api/v1/diary", query_string={"area_id": area["id"]}, headers=a)
    assert [e["step"] for e in mine.get_json()] == ["sowing"]
    everything = client.get("/api/v1/diary", headers=p).get_json()
    assert [e["step"] for e in everything] == ["sowing", "lab_testing"]
    assert client.get("/api/v1/diary", headers=b).get_json() == []


@pytest.mark.parametrize("body, field", [
    ({"step": "spraying", "details": {"product": "X", "dose": "1 l"}}, "details"),
    ({"step": "spraying", "details": dict(SPRAY, phi_days=-1)}, "details"),
    ({"step": "weeding", "details": {}}, "step"),
    ({"step": "sowing", "details": {"variety": "A"}, "event_time": "2026-11-10T07:30:00"},
     "event_time"),
], ids=["missing-ingredient", "negative-interval", "unknown-step", "no-time-zone"])
def test_bad_entries_are_refused_and_nothing_is_written(client, db, world, body, field):
    a = english(world.token(world.producer_a))
    area = issued_area(client, world, 0)
    before = db.scalar(select(func.count()).select_from(TraceEvent))
    r = client.post("/api/v1/diary", headers=a, json={"area_id": area["id"], **body})
    assert r.status_code == 422, r.get_json()
    assert field in r.get_json()["errors"]
    assert db.scalar(select(func.count()).select_from(TraceEvent)) == before


def test_only_the_producer_keeps_its_diary(client, db, world):
    a, b, p = (english(world.token(u)) for u in (world.producer_a, world.producer_b,
                                                  world.official_p))
    area = issued_area(client, world, 0)
    body = {"step": "sowing", "area_id": area["id"], "details": {"variety": "Ruột đỏ"}}
    assert client.post("/api/v1/diary", json=body, headers=b).status_code == 404
    assert client.post("/api/v1/diary", json=body, headers=p).status_code == 403
    assert client.post("/api/v1/diary", json=body, headers=a).status_code == 201


def test_every_diary_step_has_its_details_and_its_name():
    assert set(DETAILS) == set(DIARY_STEPS) == set(STEP_NAMES)
