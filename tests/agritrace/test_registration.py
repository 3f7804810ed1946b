"""Cooperatives register themselves; an official of the province approves them; only
then do they open batches."""
from sqlalchemy import func, select

from agritrace.models import AuditEntry, Organization, OrgStatus, User
from support import csrf_token, english, login, plot

BODY = {"organization": {"kind": "cooperative", "name": "HTX Sầu riêng Mới",
                         "tax_code": "3900000011", "province_code": 80,
                         "address": "Xã Tầm Vu", "phone": "0272 3 123 456"},
        "account": {"full_name": "Nguyễn Văn Tư", "email": "tu@htx-moi.vn",
                    "password": "sau-rieng-2026"}}


def state(db):
    return tuple(db.scalar(select(func.count()).select_from(t))
                 for t in (Organization, User, AuditEntry))


def test_a_cooperative_registers_is_approved_and_opens_a_batch(client, db, world):
    r = client.post("/api/v1/registrations", json=BODY, headers={"Accept-Language": "en"})
    assert r.status_code == 201, r.get_json()
    org = r.get_json()
    assert org["status"] == "pending" and org["province_name"] == "Tây Ninh"
    user = db.scalar(select(User).where(User.email == "tu@htx-moi.vn"))
    assert user.organization_id == org["id"] and user.role.value == "producer"
    assert "sau-rieng-2026" not in user.password_hash

    producer = english(world.token(user))
    area = client.post("/api/v1/areas", headers=producer, json={
        "name": "Vườn 1", "crop": "durian", "geometry": plot(0).__geo_interface__})
    assert area.status_code == 409 and "not approved" in area.get_json()["detail"]

    official = english(world.token(world.official_p))
    assert client.post(f"/api/v1/organizations/{org['id']}/review", json={"approve": True},
                       headers=official).get_json()["status"] == "approved"
    area = client.post("/api/v1/areas", headers=producer, json={
        "name": "Vườn 1", "crop": "durian", "geometry": plot(0).__geo_interface__})
    assert area.status_code == 201
    actions = db.scalars(select(AuditEntry.action).where(
        AuditEntry.entity == "organization", AuditEntry.entity_id == str(org["id"]))
        .order_by(AuditEntry.id)).all()
    assert actions == ["register", "approve"]


def test_bad_registrations_write_nothing(client, db, world):
    before = state(db)
    bad_tax = {**BODY, "organization": {**BODY["organization"], "tax_code": "12345"}}
    r = client.post("/api/v1/registrations", json=bad_tax, headers={"Accept-Language": "en"})
    assert r.status_code == 422 and "10 or 13 digits" in str(r.get_json()["errors"])
    taken = {**BODY, "organization": {**BODY["organization"], "tax_code": "1111111111"}}
    assert client.post("/api/v1/registrations", json=taken).status_code == 409
    weak = {**BODY, "account": {**BODY["account"], "password": "short"}}
    assert client.post("/api/v1/registrations", json=weak).status_code == 422
    agency = {**BODY, "organization": {**BODY["organization"], "kind": "agency"}}
    assert client.post("/api/v1/registrations", json=agency).status_code == 422
    used = {**BODY, "account": {**BODY["account"], "email": "a@test.vn"}}
    assert client.post("/api/v1/registrations", json=used).status_code == 409
    assert state(db) == before


def test_registration_page_logs_the_new_producer_in(client, db, world):
    token = csrf_token(client, "/register")
    form = {**BODY["organization"], **BODY["account"], "csrf_token": token}
    r = client.post("/register", data=form)
    assert r.status_code == 302 and r.headers["Location"].endswith("/portal/")
    portal = client.get("/portal/").get_data(as_text=True)
    assert "HTX Sầu riêng Mới" in portal
    org = db.scalar(select(Organization).where(Organization.tax_code == "3900000011"))
    assert org.status == OrgStatus.PENDING
    # A wrong form explains itself and keeps nothing.
    client.post("/logout", data={"csrf_token": token})
    again = client.post("/register", data={**form, "tax_code": "999", "email": "x@y.vn"},
                        headers={"Accept-Language": "en"})
    assert again.status_code == 422 and "10 or 13 digits" in again.get_data(as_text=True)
    assert login(client, "tu@htx-moi.vn", "sau-rieng-2026").status_code == 302
