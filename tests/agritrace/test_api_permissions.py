"""A producer never reads or changes another organisation's rows; an official never
outside its province; a read-only token never writes. Denied writes change nothing."""
import pytest
from sqlalchemy import func, select, text

from agritrace.models import AuditEntry, Product


def _snapshot(db):
    rows = db.execute(text("SELECT id, organization_id, name, category, gtin, ocop_stars, "
                           "updated_at FROM products ORDER BY id")).all()
    return rows, db.scalar(select(func.count()).select_from(AuditEntry))


def test_producer_token_cannot_read_or_change_another_organisations_product(client, db, world):
    headers = world.token(world.producer_a)
    theirs = world.product_b.id
    before = _snapshot(db)

    assert client.get(f"/api/v1/products/{theirs}", headers=headers).status_code == 404
    patch = client.patch(f"/api/v1/products/{theirs}", json={"name": "Hijacked"},
                         headers=headers)
    assert patch.status_code == 404
    assert patch.content_type == "application/problem+json"
    assert client.delete(f"/api/v1/products/{theirs}", headers=headers).status_code == 404
    create = client.post("/api/v1/products", headers=headers, json={
        "organization_id": world.org_b.id, "name": "Planted", "category": "fruit"})
    assert create.status_code == 404

    db.expire_all()
    assert _snapshot(db) == before
    listed = client.get("/api/v1/products", headers=headers).get_json()
    assert [p["id"] for p in listed] == [world.product_a.id]


def test_producer_can_change_its_own_product_and_it_is_audited(client, db, world):
    headers = world.token(world.producer_a)
    response = client.patch(f"/api/v1/products/{world.product_a.id}", headers=headers,
                            json={"ocop_stars": 5, "name_en": "Dragon fruit A"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["ocop_stars"] == 5
    entry = db.scalar(select(AuditEntry).where(AuditEntry.entity == "product",
                                               AuditEntry.action == "update"))
    assert entry.before["ocop_stars"] is None and entry.after["ocop_stars"] == 5
    assert entry.actor_id == world.producer_a.id


def test_official_sees_only_its_province(client, world):
    p = world.token(world.official_p)
    q = world.token(world.official_q)
    assert client.get(f"/api/v1/organizations/{world.org_a.id}", headers=p).status_code == 200
    assert client.get(f"/api/v1/organizations/{world.org_a.id}", headers=q).status_code == 404
    assert client.get(f"/api/v1/products/{world.product_a.id}", headers=q).status_code == 404
    names = {o["name"] for o in client.get("/api/v1/organizations", headers=q).get_json()}
    assert names == {"HTX Q"}


def test_official_may_read_but_not_change_a_product(client, db, world):
    headers = world.token(world.official_p)
    assert client.get(f"/api/v1/products/{world.product_a.id}", headers=headers).status_code == 200
    response = client.patch(f"/api/v1/products/{world.product_a.id}", headers=headers,
                            json={"name": "Changed"})
    assert response.status_code == 403
    db.expire_all()
    assert db.get(Product, world.product_a.id).name == "Thanh long A"


def test_read_only_token_cannot_write(client, db, world):
    headers = world.token(world.producer_a, scope="read") | {"Accept-Language": "en"}
    assert client.get("/api/v1/users/me", headers=headers).status_code == 200
    response = client.patch(f"/api/v1/products/{world.product_a.id}", headers=headers,
                            json={"name": "Changed"})
    assert response.status_code == 403
    assert "read-only" in response.get_json()["detail"]


@pytest.mark.parametrize("path", ["/api/v1/products", "/api/v1/organizations",
                                  "/api/v1/users/me", "/api/v1/tokens"])
def test_anonymous_gets_401(client, path):
    response = client.get(path)
    assert response.status_code == 401
    assert response.content_type == "application/problem+json"


def test_unknown_or_revoked_token_gets_401(client, world):
    headers = world.token(world.producer_a)
    me = client.get("/api/v1/users/me", headers=headers)
    assert me.get_json()["email"] == "a@test.vn"
    token_id = client.get("/api/v1/tokens", headers=headers).get_json()[0]["id"]
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=headers).status_code == 204
    assert client.get("/api/v1/users/me", headers=headers).status_code == 401
    bogus = {"Authorization": "Bearer agt_not-a-real-token"}
    assert client.get("/api/v1/users/me", headers=bogus).status_code == 401


def test_producer_cannot_revoke_another_users_token(client, world):
    a = world.token(world.producer_a)
    b = world.token(world.producer_b)
    b_token = client.get("/api/v1/tokens", headers=b).get_json()[0]["id"]
    assert client.delete(f"/api/v1/tokens/{b_token}", headers=a).status_code == 404
    assert client.get("/api/v1/users/me", headers=b).status_code == 200


def test_session_writes_to_the_api_need_the_csrf_header(client, world):
    from support import PASSWORD, login
    login(client, "a@test.vn", PASSWORD)
    url = f"/api/v1/products/{world.product_a.id}"
    assert client.get(url).status_code == 200
    refused = client.patch(url, json={"name": "Via session"})
    assert refused.status_code == 400
    from support import csrf_token
    token = csrf_token(client, "/portal/")
    allowed = client.patch(url, json={"name": "Via session"}, headers={"X-CSRFToken": token})
    assert allowed.status_code == 200


def test_producer_edits_its_contact_details_but_not_its_identity(client, db, world):
    headers = world.token(world.producer_a) | {"Accept-Language": "en"}
    url = f"/api/v1/organizations/{world.org_a.id}"
    ok = client.patch(url, headers=headers, json={"phone": "0272 3871 999"})
    assert ok.status_code == 200 and ok.get_json()["phone"] == "0272 3871 999"
    for change in ({"tax_code": "9999999999"}, {"province_code": 82},
                   {"name": "Renamed", "phone": "0272 3871 000"}):
        refused = client.patch(url, headers=headers, json=change)
        assert refused.status_code == 403, change
        assert "Only an official can change" in refused.get_json()["detail"]
    db.expire_all()
    org = db.get(type(world.org_a), world.org_a.id)
    assert (org.tax_code, org.province_code, org.name, org.phone) == (
        "1111111111", 80, "HTX A", "0272 3871 999")
    other = client.patch(f"/api/v1/organizations/{world.org_b.id}", headers=headers,
                         json={"phone": "0272 3871 111"})
    assert other.status_code == 404


def test_official_moves_nothing_out_of_its_province(client, db, world):
    headers = world.token(world.official_p)
    response = client.patch(f"/api/v1/organizations/{world.org_a.id}", headers=headers,
                            json={"province_code": 82})
    assert response.status_code == 422
    db.expire_all()
    assert db.get(type(world.org_a), world.org_a.id).province_code == 80
