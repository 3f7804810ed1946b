"""Organisations and products through the API: validation, conflicts, review."""
from sqlalchemy import select

from agritrace.models import AuditEntry, Organization

NEW_ORG = {"kind": "cooperative", "name": "HTX Mới", "tax_code": "1100000001",
           "province_code": 80, "ward_code": 27991, "address": "Xã Bến Lức"}


def test_official_registers_and_another_reviews(client, db, world):
    p = world.token(world.official_p)
    created = client.post("/api/v1/organizations", json=NEW_ORG, headers=p)
    assert created.status_code == 201, created.get_json()
    org = created.get_json()
    assert org["status"] == "pending" and org["ward_name"] == "Xã Bến Lức"

    q = world.token(world.official_q)
    assert client.post(f"/api/v1/organizations/{org['id']}/review", json={"approve": True},
                       headers=q).status_code == 404
    producer = world.token(world.producer_a)
    assert client.post(f"/api/v1/organizations/{org['id']}/review", json={"approve": True},
                       headers=producer).status_code == 404

    no_reason = client.post(f"/api/v1/organizations/{org['id']}/review",
                            json={"approve": False}, headers=p)
    assert no_reason.status_code == 422
    assert "reason" in no_reason.get_json()["errors"]

    approved = client.post(f"/api/v1/organizations/{org['id']}/review",
                           json={"approve": True}, headers=p)
    assert approved.status_code == 200 and approved.get_json()["status"] == "approved"
    actions = db.scalars(select(AuditEntry.action).where(
        AuditEntry.entity == "organization", AuditEntry.entity_id == str(org["id"]))).all()
    assert actions == ["register", "approve"]


def test_registration_is_validated_with_messages(client, db, world):
    p = world.token(world.official_p)
    bad = dict(NEW_ORG, tax_code="12345", province_code=99, ward_code=1, kind="guild",
               unexpected="x")
    response = client.post("/api/v1/organizations", json=bad,
                           headers=p | {"Accept-Language": "en"})
    assert response.status_code == 422
    body = response.get_json()
    assert body["title"] == "Invalid input"
    assert set(body["errors"]) >= {"tax_code", "province_code", "ward_code", "kind",
                                   "unexpected"}
    assert "10 or 13 digits" in " ".join(body["errors"]["tax_code"])
    assert "tax_code" in body["detail"]
    assert db.scalar(select(Organization).where(Organization.name == "HTX Mới")) is None
    # Vietnamese unless the client asks for English.
    vietnamese = client.post("/api/v1/organizations", json=bad, headers=p).get_json()
    assert "10 hoặc 13 chữ số" in " ".join(vietnamese["errors"]["tax_code"])


def test_ward_must_be_in_the_province_and_duplicates_conflict(client, world):
    p = world.token(world.official_p)
    wrong_ward = client.post("/api/v1/organizations", headers=p,
                             json=dict(NEW_ORG, ward_code=1))  # Phúc Xá, Hà Nội
    assert wrong_ward.status_code == 422
    duplicate = client.post("/api/v1/organizations", headers=p,
                            json=dict(NEW_ORG, tax_code=world.org_a.tax_code))
    assert duplicate.status_code == 409
    assert world.org_a.tax_code in duplicate.get_json()["detail"]
    outside = client.post("/api/v1/organizations", headers=p,
                          json=dict(NEW_ORG, province_code=82, ward_code=None))
    assert outside.status_code == 422


def test_product_gtin_check_digit_and_certification_expiry(client, world):
    headers = world.token(world.producer_a)
    bad = client.post("/api/v1/products", headers=headers, json={
        "name": "Chanh", "category": "fruit", "gtin": "9520001000011"})
    assert bad.status_code == 422
    assert "check digit" in " ".join(bad.get_json()["errors"]["gtin"])
    good = client.post("/api/v1/products", headers=headers, json={
        "name": "Chanh", "category": "fruit", "gtin": "9520001000010", "ocop_stars": 4,
        "certifications": [
            {"scheme": "VietGAP", "number": "V-1", "issuer": "QUACERT",
             "valid_from": "2020-01-01", "valid_until": "2021-01-01"},
            {"scheme": "GlobalGAP", "number": "G-1", "issuer": "CU",
             "valid_until": "2099-01-01"}]})
    assert good.status_code == 201, good.get_json()
    body = good.get_json()
    assert body["gtin"] == "09520001000010" and body["organization_id"] == world.org_a.id
    assert [c["expired"] for c in body["certifications"]] == [True, False]
    stars = client.post("/api/v1/products", headers=headers, json={
        "name": "Khác", "category": "fruit", "ocop_stars": 6})
    assert stars.status_code == 422 and "ocop_stars" in stars.get_json()["errors"]


def test_pagination_headers(client, world):
    headers = world.token(world.admin)
    response = client.get("/api/v1/organizations?page=1&page_size=2", headers=headers)
    assert response.status_code == 200
    assert len(response.get_json()) == 2
    assert response.headers["X-Total-Count"] == "3"
    assert 'page=2' in response.headers["Link"] and 'rel="next"' in response.headers["Link"]
    too_big = client.get("/api/v1/organizations?page_size=1000", headers=headers)
    assert too_big.status_code == 422
    typo = client.get("/api/v1/organizations?provice_code=80", headers=headers)
    assert typo.status_code == 422 and "provice_code" in typo.get_json()["errors"]


def test_administrative_units_are_public_reference_data(client):
    provinces = client.get("/api/v1/provinces").get_json()
    assert len(provinces) == 34
    assert {"code": 80, "name": "Tây Ninh"} in provinces
    wards = client.get("/api/v1/provinces/80/wards").get_json()
    assert {"code": 27991, "name": "Xã Bến Lức"} in wards
    assert all(w["code"] != 1 for w in wards)  # Phúc Xá is in Hà Nội
    assert client.get("/api/v1/provinces/2/wards").status_code == 404
