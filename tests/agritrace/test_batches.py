"""Batches (lô hàng) on real issued growing areas: validation, rights, recall."""
import pytest
from sqlalchemy import func, select

from agritrace.models import AuditEntry, Batch, Organization, OrgStatus
from support import english, plot


def issued_area(client, world, east_m: float, org="a") -> dict:
    producer = english(world.token(world.producer_a if org == "a" else world.producer_b))
    official = english(world.token(world.official_p))
    area = client.post("/api/v1/areas", headers=producer, json={
        "name": f"Vùng {east_m}", "crop": "dragon fruit",
        "geometry": plot(east_m).__geo_interface__}).get_json()
    client.post(f"/api/v1/areas/{area['id']}/submit", json={}, headers=producer)
    return client.post(f"/api/v1/areas/{area['id']}/approve", json={}, headers=official
                       ).get_json()


def new_batch(client, headers, world, areas, **extra):
    body = {"product_id": world.product_a.id, "lot_code": "TL-2026-11", "harvest_date":
            "2026-11-20", "pack_date": "2026-11-21", "expiry_date": "2026-12-10",
            "quantity": 1250.5, "unit": "KGM", "area_ids": [a["id"] for a in areas], **extra}
    return client.post("/api/v1/batches", json=body, headers=headers)


def state(db):
    return (db.scalar(select(func.count()).select_from(Batch)),
            db.scalar(select(func.count()).select_from(AuditEntry)))


def test_producer_opens_a_batch_on_its_issued_areas_and_an_official_recalls_it(client, db,
                                                                                 world):
    a, p, q = (english(world.token(u)) for u in (world.producer_a, world.official_p,
                                                  world.official_q))
    areas = [issued_area(client, world, 0), issued_area(client, world, 200)]
    created = new_batch(client, a, world, areas)
    assert created.status_code == 201, created.get_json()
    batch = created.get_json()
    assert batch["area_codes"] == ["VN-TNOR-0001", "VN-TNOR-0002"]
    assert batch["status"] == "open" and batch["quantity"] == 1250.5
    url = f"/api/v1/batches/{batch['id']}"
    assert client.get(url, headers=p).status_code == 200
    assert client.patch(url, json={"quantity": 10}, headers=p).status_code == 403
    assert client.post(url + "/recall", json={"reason": "Dư lượng"}, headers=q
                       ).status_code == 404
    assert client.post(url + "/recall", json={}, headers=p).status_code == 422
    recalled = client.post(url + "/recall", json={"reason": "Dư lượng thuốc vượt ngưỡng"},
                           headers=p)
    assert recalled.status_code == 200
    assert recalled.get_json()["status"] == "recalled" and recalled.get_json()["recalled_at"]
    assert client.post(url + "/recall", json={"reason": "again"}, headers=a).status_code == 409
    actions = db.scalars(select(AuditEntry.action).where(
        AuditEntry.entity == "batch", AuditEntry.entity_id == str(batch["id"]))).all()
    assert actions == ["create", "recall"]


@pytest.mark.parametrize("extra, field", [
    ({"pack_date": "2026-11-19"}, "pack_date"),                 # packed before harvest
    ({"expiry_date": "2026-11-20"}, "expiry_date"),             # expires before packing
    ({"unit": "bushel"}, "unit"),
    ({"quantity": -5}, "quantity"),
    ({"lot_code": "LÔ 1"}, "lot_code"),                         # accents and a space
    ({"lot_code": "A" * 21}, "lot_code"),
    ({"lot_code": "LO-1\n"}, "lot_code"),                       # a regexp's `$` let it by
    ({"area_ids": []}, "area_ids"),
], ids=["pack-before-harvest", "expiry-before-pack", "unit", "negative", "lot-charset",
        "lot-length", "lot-newline", "no-area"])
def test_bad_batches_are_refused_and_nothing_is_written(client, db, world, extra, field):
    a = english(world.token(world.producer_a))
    areas = [issued_area(client, world, 0)]
    before = state(db)
    refused = new_batch(client, a, world, areas, **extra)
    assert refused.status_code == 422, refused.get_json()
    assert field in refused.get_json()["errors"]
    assert state(db) == before


def test_areas_must_be_issued_and_the_organisations_own(client, db, world):
    a, b, p = (english(world.token(u)) for u in (world.producer_a, world.producer_b,
                                                  world.official_p))
    own = issued_area(client, world, 0)
    theirs = issued_area(client, world, 400, org="b")
    before = state(db)
    r = new_batch(client, a, world, [own, theirs])
    assert r.status_code == 422 and "not one of your organisation's areas" in r.get_json()[
        "detail"]
    client.post(f"/api/v1/areas/{own['id']}/suspend", json={"reason": "Kiểm tra dư lượng"},
                headers=p)
    before = state(db)
    r = new_batch(client, a, world, [own])
    assert r.status_code == 422
    assert "suspended" in r.get_json()["detail"].lower() and "Kiểm tra dư lượng" in r.get_json()[
        "detail"]
    # Another organisation's product is not even there.
    assert new_batch(client, b, world, [theirs]).status_code == 404
    assert state(db) == before


def test_a_lot_code_may_hold_every_sign_of_gs1s_character_set(client, db, world):
    a = english(world.token(world.producer_a))
    made = new_batch(client, a, world, [issued_area(client, world, 0)],
                     lot_code="!\"%&'()*+,-./:;<=>?_")
    assert made.status_code == 201, made.get_json()


def test_lot_codes_are_unique_per_organisation(client, db, world):
    a = english(world.token(world.producer_a))
    areas = [issued_area(client, world, 0)]
    assert new_batch(client, a, world, areas).status_code == 201
    again = new_batch(client, a, world, areas)
    assert again.status_code == 409 and "lot_code" in again.get_json()["errors"]


def test_only_an_approved_organisation_opens_batches(client, db, world):
    a = english(world.token(world.producer_a))
    area = issued_area(client, world, 0)
    org = db.get(Organization, world.producer_a.organization_id)
    for status in (OrgStatus.PENDING, OrgStatus.REJECTED):
        org.status = status
        db.flush()
        before = state(db)
        refused = new_batch(client, a, world, [area])
        assert refused.status_code == 409, refused.get_json()
        assert "is not approved yet" in refused.get_json()["detail"]
        assert state(db) == before
    org.status = OrgStatus.APPROVED
    db.flush()
    assert new_batch(client, a, world, [area]).status_code == 201
