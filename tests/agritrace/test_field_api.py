"""The field app's API with the Flask test client on the real PostGIS: phones signing
in, the offline queue arriving once and only once through the online services, bad
input refused with its reason and nothing written, revoked phones, conflicts."""
from __future__ import annotations

import io
import math
import uuid
from datetime import timedelta

from PIL import Image
from sqlalchemy import func, select

from agritrace.clock import now, today
from agritrace.models import (AreaStatus, Batch, Facility, FieldDevice, FieldPhoto,
                              GrowingArea, TraceEvent)
from agritrace.services import stored_files
from support import FIELD_LAT, FIELD_LON, PASSWORD, english, login, snapshot
from test_batches import issued_area, new_batch

M_LAT = 110_574.0
M_LON = 111_320.0 * math.cos(math.radians(FIELD_LAT))


def sign_in(client, user, name="Điện thoại") -> dict:
    answer = client.post("/field/api/devices", json={"email": user.email,
                                                     "password": PASSWORD, "name": name})
    assert answer.status_code == 201, answer.get_json()
    return {"Authorization": f"Device {answer.get_json()['token']}", "Accept-Language": "en"}


def entry(kind: str, payload: dict, key: str | None = None) -> dict:
    return {"key": key or str(uuid.uuid4()), "kind": kind, "made_at": now().isoformat(),
            "payload": payload}


def send(client, headers, *entries):
    return client.post("/field/api/entries", headers=headers, json={"entries": list(entries)})


def walk(east_m: float, side_m: float = 100.0, accuracy: float = 4.0) -> list[dict]:
    """Fixes every 5 m around a square `east_m` east of the test field."""
    corners = [(0, 0), (side_m, 0), (side_m, side_m), (0, side_m), (0, 0)]
    fixes = []
    for (x0, y0), (x1, y1) in zip(corners, corners[1:]):
        for i in range(int(side_m / 5)):
            x, y = x0 + (x1 - x0) * i * 5 / side_m, y0 + (y1 - y0) * i * 5 / side_m
            fixes.append({"lon": FIELD_LON + (east_m + x) / M_LON,
                          "lat": FIELD_LAT + y / M_LAT, "accuracy": accuracy, "t": len(fixes)})
    return fixes


def spraying(area_id: int, days_ago: int = 4) -> dict:
    return {"step": "spraying", "area_id": area_id,
            "event_time": f"{today() - timedelta(days=days_ago)}T07:00:00+07:00",
            "details": {"product": "Antracol 70WP", "active_ingredient": "propineb",
                        "dose": "30 g / 16 l", "phi_days": 7}}


def jpeg(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (90, 140, 60)).save(out, "JPEG")
    return out.getvalue()


def count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def test_a_phone_signs_in_and_takes_its_areas_batches_and_rules(client, db, world):
    area = issued_area(client, world, 0)
    phone = sign_in(client, world.producer_a)
    shot = client.get("/field/api/snapshot", headers=phone).get_json()
    assert [a["code"] for a in shot["areas"]] == [area["code"]]
    assert shot["areas"][0]["geometry"]["type"] == "MultiPolygon"
    assert shot["organization"]["name"] == "HTX A" and shot["limits"]["photo_max_px"] == 1600
    steps = {s["step"]: s for s in shot["rules"]["steps"]}
    phi = next(f for f in steps["spraying"]["fields"] if f["name"] == "phi_days")
    # The rule comes from the schema the server checks with, labelled in both languages.
    assert (phi["type"], phi["required"], phi["min"], phi["max"]) == ("integer", True, 0, 365)
    assert phi["label"]["en"] == "Pre-harvest interval (days)" and phi["label"]["vi"]
    lot = next(f for f in shot["rules"]["harvest"]["fields"] if f["name"] == "lot_code")
    assert lot["pattern"].startswith("^[") and lot["required"] is False
    me = client.get("/field/api/devices/me", headers=phone).get_json()
    assert me["user"]["organization"] == "HTX A" and me["name"] == "Điện thoại"
    assert db.get(FieldDevice, me["device_id"]).token_hash not in phone["Authorization"]
    # Wrong password, and an official (no organisation): refused, in both languages.
    wrong = client.post("/field/api/devices", json={"email": world.producer_a.email,
                                                    "password": "nope", "name": "x"})
    assert wrong.status_code == 401 and wrong.get_json()["error"]["code"] == "bad_login"
    official = client.post("/field/api/devices", json={
        "email": world.official_p.email, "password": PASSWORD, "name": "x"}).get_json()
    assert official["error"]["message_en"].startswith("The field app is for members")
    assert official["error"]["message_vi"] and count(db, FieldDevice) == 1


def test_the_queue_arrives_once_through_the_online_rules(client, db, world):
    """A spraying, a harvest, a walked boundary and two points: accepted, the late
    spraying holding the batch with its reason; sent again, by the same or another
    phone of the organisation, nothing new is written."""
    a = english(world.token(world.producer_a))
    area = issued_area(client, world, 0)
    batch = new_batch(client, a, world, [area], lot_code="TL-PHI",
                      harvest_date=str(today() - timedelta(days=2)), pack_date=None,
                      expiry_date=None).get_json()
    inside = {"lon": FIELD_LON + 50 / M_LON, "lat": FIELD_LAT + 50 / M_LAT, "accuracy": 5}
    queue = [
        entry("diary", spraying(area["id"])),
        entry("harvest", {"area_ids": [area["id"]], "product_id": world.product_a.id,
                          "quantity": 320.5, "unit": "KGM", "harvest_date": str(today())}),
        entry("boundary", {"name": "Lô đi bộ", "crop": "dragon fruit", "fixes": walk(3000)}),
        entry("point", {"kind": "observation", **inside, "note": "Rệp sáp trên cành"}),
        entry("point", {"kind": "packing_house", **inside, "name": "Nhà đóng gói ruộng"}),
    ]
    phone = sign_in(client, world.producer_a)
    answer = send(client, phone, *queue)
    assert answer.status_code == 200
    results = answer.get_json()["results"]
    assert [r["status"] for r in results] == ["accepted"] * 5, results
    assert [r["key"] for r in results] == [e["key"] for e in queue]
    held = results[0]["held"]
    assert [h["batch_id"] for h in held] == [batch["id"]] and "propineb" in held[0]["reason"]
    assert db.get(Batch, batch["id"]).held_at is not None
    harvest = db.get(Batch, results[1]["id"])
    assert harvest.lot_code.startswith("F") and float(harvest.quantity) == 320.5
    drawn = db.get(GrowingArea, results[2]["id"])
    assert drawn.status == AreaStatus.DRAFT and 0.95 < float(drawn.area_ha) < 1.02
    assert db.get(Facility, results[4]["id"]).name == "Nhà đóng gói ruộng"
    observation = db.get(TraceEvent, results[3]["id"])
    assert observation.area_id == area["id"] and observation.details["note"].startswith("Rệp")
    shot = client.get("/field/api/snapshot", headers=phone).get_json()
    assert next(b for b in shot["batches"] if b["id"] == batch["id"])["on_hold"] is True

    before = snapshot(db.connection())
    for again in (phone, sign_in(client, world.producer_a, "Điện thoại 2")):
        before = snapshot(db.connection())
        replayed = send(client, again, *queue).get_json()["results"]
        assert [r["status"] for r in replayed] == ["duplicate"] * 5
        assert [r["id"] for r in replayed] == [r["id"] for r in results]
        assert snapshot(db.connection()) == before


def test_bad_input_is_refused_with_its_reason_and_nothing_written(client, db, world):
    area = issued_area(client, world, 0)
    b_area = issued_area(client, world, 1000, org="b")
    phone = sign_in(client, world.producer_a)
    before = snapshot(db.connection())
    tampered = {**phone, "Authorization": phone["Authorization"][:-3] + "xyz"}
    refused = send(client, tampered, entry("diary", spraying(area["id"])))
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "device_unknown"
    few = walk(3000)[:2] + [{**f, "accuracy": 40} for f in walk(3000)[2:]]
    results = send(client, phone,
                   entry("diary", spraying(b_area["id"])),              # B's area: not found
                   entry("teleport", {"x": 1}),                          # unknown kind
                   {"key": "not-a-uuid", "kind": "diary", "payload": {}},
                   entry("boundary", {"name": "Lô", "crop": "dragon fruit", "fixes": few}),
                   entry("diary", {**spraying(area["id"]), "details": {"product": "X"}}),
                   ).get_json()["results"]
    assert [r["status"] for r in results] == ["refused"] * 5
    assert results[0]["reason"]["en"] == "Not found."
    assert "Unknown kind of entry" in results[1]["reason"]["en"] and results[1]["reason"]["vi"]
    assert results[2]["key"] == "not-a-uuid" and "key" in results[2]["reason"]["en"]
    assert results[3]["reason"]["en"].startswith("Only 2 of 80 positions were within 10 m")
    assert "phi_days" in results[4]["reason"]["en"]
    too_many = send(client, phone, *[entry("diary", spraying(area["id"]))] * 101)
    assert too_many.status_code == 413
    assert too_many.get_json()["error"]["limit"] == 100
    huge = client.post("/field/api/entries", headers=phone, data=b"[" + b" " * 1_100_000 + b"]",
                       content_type="application/json")
    assert huge.status_code == 413 and huge.get_json()["error"]["code"] == "too_large"
    not_image = client.post("/field/api/photos", headers=phone, data={
        "key": str(uuid.uuid4()), "photo": (io.BytesIO(b"%PDF-1.4 not a photo"), "a.jpg")},
        content_type="multipart/form-data")
    assert not_image.status_code == 422
    error = not_image.get_json()["error"]
    assert error["fields"]["photo"] == ["a.jpg is not a JPEG, PNG or WebP image."]
    assert error["message_vi"] and error["message_en"] == error["fields"]["photo"][0]
    assert snapshot(db.connection()) == before


def test_a_revoked_or_expired_phone_is_refused_and_writes_nothing(app, client, db, world):
    area = issued_area(client, world, 0)
    phone = sign_in(client, world.producer_a, "Máy cũ")
    device_id = client.get("/field/api/devices/me", headers=phone).get_json()["device_id"]
    browser = app.test_client()
    login(browser, world.producer_a.email, PASSWORD)
    page = browser.get("/account/devices").get_data(as_text=True)
    assert "Máy cũ" in page
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    revoked = browser.post(f"/account/devices/{device_id}/revoke", data={"csrf_token": token})
    assert revoked.status_code == 303
    before = snapshot(db.connection())
    refused = send(client, phone, entry("diary", spraying(area["id"])))
    assert refused.status_code == 401
    error = refused.get_json()["error"]
    assert error["code"] == "device_revoked" and "revoked" in error["message_en"]
    assert error["message_vi"]
    assert snapshot(db.connection()) == before
    # An administrator sees every phone; a phone past its 30 days is refused too.
    other = sign_in(client, world.producer_b, "Máy B")
    admin = app.test_client()
    login(admin, world.admin.email, PASSWORD)
    assert "Máy B" in admin.get("/admin/devices").get_data(as_text=True)
    device = db.scalars(select(FieldDevice).where(FieldDevice.name == "Máy B")).one()
    device.expires_at = now() - timedelta(seconds=1)
    db.flush()
    assert send(client, other, entry("diary", spraying(area["id"]))).get_json()[
        "error"]["code"] == "device_expired"


def test_what_an_official_decided_wins(client, db, world):
    a = english(world.token(world.producer_a))
    p = english(world.token(world.official_p))
    area, other = issued_area(client, world, 0), issued_area(client, world, 300)
    batch = new_batch(client, a, world, [area], lot_code="TL-RC").get_json()
    assert client.post(f"/api/v1/batches/{batch['id']}/recall", headers=p,
                       json={"reason": "Dư lượng"}).status_code == 200
    assert client.post(f"/api/v1/areas/{other['id']}/suspend", headers=p,
                       json={"reason": "Kiểm tra sâu bệnh"}).status_code == 200
    phone = sign_in(client, world.producer_a)
    results = send(client, phone,
                   entry("diary", {**spraying(area["id"]), "area_id": None,
                                   "batch_id": batch["id"]}),
                   entry("harvest", {"area_ids": [other["id"]], "quantity": 5,
                                     "product_id": world.product_a.id,
                                     "harvest_date": str(today())})).get_json()["results"]
    assert [r["status"] for r in results] == ["refused", "refused"]
    assert results[0]["changed"]["what"] == "batch_recalled"
    assert "TL-RC" in results[0]["changed"]["en"]
    assert results[1]["changed"]["what"] == "area_suspended"
    assert "Kiểm tra sâu bệnh" in results[1]["reason"]["en"]


def test_photos_are_shrunk_kept_once_and_linked_to_their_entry(app, client, db, world):
    area = issued_area(client, world, 0)
    phone = sign_in(client, world.producer_a)
    key = str(uuid.uuid4())
    sent = [client.post("/field/api/photos", headers=phone, data={
        "key": key, "photo": (io.BytesIO(jpeg(2400, 1800)), "la.jpg")},
        content_type="multipart/form-data") for _ in range(2)]
    assert [r.status_code for r in sent] == [201, 200]
    assert sent[1].get_json()["status"] == "duplicate"
    photo = db.get(FieldPhoto, sent[0].get_json()["id"])
    assert (photo.width_px, photo.height_px) == (1600, 1200)
    assert stored_files.read(db, f"diary/{photo.name}.jpg")[:2] == b"\xff\xd8"
    assert stored_files.listed(db, "diary/") == [f"diary/{photo.name}.jpg"]
    results = send(client, phone,
                   entry("diary", {**spraying(area["id"]), "photo_keys": [key]}),
                   entry("diary", {**spraying(area["id"]),
                                   "photo_keys": [str(uuid.uuid4())]})
                   ).get_json()["results"]
    assert [r["status"] for r in results] == ["accepted", "refused"]
    assert "has not reached the server" in results[1]["reason"]["en"]
    db.refresh(photo)
    assert photo.event_id == results[0]["id"]
