"""Cooperatives register themselves; an official of the province approves them; only
then do they open batches."""
from sqlalchemy import func, select

from agritrace.models import AuditEntry, Organization, OrgStatus, User
from support import PASSWORD, csrf_token, english, login, plot

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


# --- the kinds of organisation further down the chain -----------------------------------

def _gln(body12: str) -> str:
    from labels.gs1 import check_digit
    return body12 + str(check_digit(body12))


def _register(client, kind, name, tax, email):
    body = {"organization": {**BODY["organization"], "kind": kind, "name": name,
                             "tax_code": tax},
            "account": {**BODY["account"], "email": email}}
    r = client.post("/api/v1/registrations", json=body, headers={"Accept-Language": "en"})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def _facility(client, headers, kind, name, **extra):
    return client.post("/api/v1/facilities", headers=headers, json={
        "kind": kind, "name": name, **extra,
        "location": {"type": "Point", "coordinates": [106.21, 11.41]}})


def test_a_packing_house_and_an_exporter_register_are_approved_and_register_places(
        client, db, world):
    house = _register(client, "packing_house", "Cơ sở đóng gói Tân Biên", "3900000021",
                      "donggoi@tanbien.vn")
    exporter = _register(client, "exporter", "Công ty XNK Mekong", "3900000031",
                         "xnk@mekong.vn")
    assert (house["kind"], house["status"]) == ("packing_house", "pending")
    assert (exporter["kind"], exporter["status"]) == ("exporter", "pending")

    # The province's officials see them waiting, each by its kind, in either language.
    login(client, "p@test.vn", PASSWORD)
    waiting = client.get("/gis/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Packing house" in waiting and "Exporter" in waiting
    waiting = client.get("/gis/", headers={"Accept-Language": "vi"}).get_data(as_text=True)
    assert "Cơ sở đóng gói" in waiting and "Doanh nghiệp xuất khẩu" in waiting
    client.post("/logout", data={"csrf_token": csrf_token(client, "/gis/")})

    users = {org["id"]: db.scalar(select(User).where(User.organization_id == org["id"]))
             for org in (house, exporter)}
    own = {oid: english(world.token(user)) for oid, user in users.items()}
    # Not approved yet: no place of their own.
    early = _facility(client, own[house["id"]], "packing_house", "Xưởng 1")
    assert early.status_code == 409 and "not approved" in early.get_json()["detail"]
    official = english(world.token(world.official_p))
    q = english(world.token(world.official_q))
    assert client.post(f"/api/v1/organizations/{house['id']}/review", json={"approve": True},
                       headers=q).status_code == 404          # another province's official
    for org in (house, exporter):
        reviewed = client.post(f"/api/v1/organizations/{org['id']}/review",
                               json={"approve": True}, headers=official)
        assert reviewed.get_json()["status"] == "approved"

    # The packing house's place gets its code (mã số cơ sở đóng gói) from the official.
    shed = _facility(client, own[house["id"]], "packing_house", "Xưởng đóng gói Tân Biên",
                     gln=_gln("952000100010"))
    assert shed.status_code == 201, shed.get_json()
    assert shed.get_json()["gln"] == _gln("952000100010")
    coded = client.post(f"/api/v1/facilities/{shed.get_json()['id']}/approve", json={},
                        headers=official).get_json()
    assert (coded["code"], coded["status"]) == ("VN-TNPH-0001", "active")
    # The exporter's warehouse is a place with a GLN, and no code.
    store = _facility(client, own[exporter["id"]], "warehouse", "Kho Mộc Bài",
                      gln=_gln("952000200010"))
    assert store.status_code == 201, store.get_json()
    kept = client.post(f"/api/v1/facilities/{store.get_json()['id']}/approve", json={},
                       headers=official).get_json()
    assert (kept["code"], kept["status"], kept["kind"]) == (None, "active", "warehouse")
    # A GLN with a wrong check digit is refused, naming the field.
    wrong = _facility(client, own[exporter["id"]], "warehouse", "Kho 2",
                      gln="9520002000100")
    assert wrong.status_code == 422 and "gln" in wrong.get_json()["errors"]


def test_the_registration_page_offers_every_kind_but_agency(client, db, world):
    page = client.get("/register", headers={"Accept-Language": "vi"}).get_data(as_text=True)
    for value, label in (("trader", "Thương lái"), ("packing_house", "Cơ sở đóng gói"),
                         ("processor", "Cơ sở chế biến"),
                         ("exporter", "Doanh nghiệp xuất khẩu"),
                         ("distributor", "Nhà phân phối"), ("retailer", "Chuỗi bán lẻ"),
                         ("cooperative", "Hợp tác xã")):
        assert f'<option value="{value}"' in page and label in page
    assert 'value="agency"' not in page
    token = csrf_token(client, "/register")
    form = {**BODY["organization"], **BODY["account"], "kind": "trader",
            "name": "Thương lái Nguyễn Văn Năm", "tax_code": "3900000041", "csrf_token": token}
    r = client.post("/register", data=form)
    assert r.status_code == 302, r.get_data(as_text=True)
    org = db.scalar(select(Organization).where(Organization.tax_code == "3900000041"))
    assert (org.kind.value, org.status) == ("trader", OrgStatus.PENDING)
