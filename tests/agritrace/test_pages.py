"""The login, portal, review and admin pages, in both languages."""
from sqlalchemy import select

from agritrace.models import AuditEntry, Organization, OrgKind, OrgStatus, Product, User
from support import PASSWORD, TAY_NINH, csrf_token, login


def test_login_needs_the_csrf_token(client, world):
    response = client.post("/login", data={"email": "p@test.vn", "password": PASSWORD})
    assert response.status_code == 400
    assert "/gis/" not in response.headers.get("Location", "")


def test_wrong_password_is_refused_in_vietnamese_by_default(client, world):
    response = login(client, "p@test.vn", "not-the-password")
    assert response.status_code == 400
    assert "Email hoặc mật khẩu không đúng." in response.get_data(as_text=True)


def test_official_logs_in_and_lands_on_the_province_page(client, world):
    response = login(client, "P@Test.vn", PASSWORD)
    assert response.status_code == 302 and response.headers["Location"].endswith("/gis/")
    page = client.get("/gis/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Tây Ninh" in page and "HTX A" in page and "HTX Q" not in page


def test_language_switch_is_remembered(client):
    english = client.get("/?lang=en").get_data(as_text=True)
    assert "Where does your food come from?" in english
    assert 'lang="en"' in english
    again = client.get("/").get_data(as_text=True)
    assert "Where does your food come from?" in again
    vietnamese = client.get("/?lang=vi").get_data(as_text=True)
    assert 'lang="vi"' in vietnamese and "Đăng nhập" in vietnamese


def test_pages_need_the_right_role(client, world):
    assert client.get("/portal/").status_code == 302  # to the login page
    login(client, "a@test.vn", PASSWORD)
    assert client.get("/portal/").status_code == 200
    assert client.get("/gis/").status_code == 403
    assert client.get("/admin/").status_code == 403


def test_producer_adds_a_product_through_the_portal(client, db, world):
    login(client, "a@test.vn", PASSWORD)
    token = csrf_token(client, "/portal/")
    bad = client.post("/portal/", data={"csrf_token": token, "name": "Xoài", "category": "fruit",
                                        "gtin": "123"}, headers={"Accept-Language": "en"})
    assert bad.status_code == 400
    assert "8, 12, 13 or 14 digits" in bad.get_data(as_text=True)
    ok = client.post("/portal/", data={"csrf_token": token, "name": "Xoài cát Hòa Lộc",
                                       "category": "fruit", "ocop_stars": "4"})
    assert ok.status_code == 302
    product = db.scalar(select(Product).where(Product.name == "Xoài cát Hòa Lộc"))
    assert product.organization_id == world.org_a.id and product.ocop_stars == 4


def test_official_approves_a_pending_registration_on_the_page(client, db, world):
    pending = Organization(kind=OrgKind.HOUSEHOLD, name="Hộ Võ Văn Mười",
                           tax_code="4444444444", province_code=TAY_NINH,
                           status=OrgStatus.PENDING, address="")
    db.add(pending)
    db.flush()
    login(client, "p@test.vn", PASSWORD)
    token = csrf_token(client, "/gis/")
    assert "Hộ Võ Văn Mười" in client.get("/gis/").get_data(as_text=True)
    refused = client.post(f"/gis/organizations/{pending.id}/review",
                          data={"csrf_token": token, "decision": "reject"},
                          follow_redirects=True, headers={"Accept-Language": "en"})
    assert "Say why the registration is rejected." in refused.get_data(as_text=True)
    client.post(f"/gis/organizations/{pending.id}/review",
                data={"csrf_token": token, "decision": "approve"})
    db.expire_all()
    assert db.get(Organization, pending.id).status == OrgStatus.APPROVED
    assert db.scalar(select(AuditEntry).where(AuditEntry.entity_id == str(pending.id),
                                              AuditEntry.action == "approve"))


def test_admin_creates_an_account(client, db, world):
    login(client, "admin@test.vn", PASSWORD)
    token = csrf_token(client, "/admin/")
    weak = client.post("/admin/", data={"csrf_token": token, "email": "new@test.vn",
                                        "full_name": "Người mới", "password": "123",
                                        "role": "official", "province_code": "80"})
    assert weak.status_code == 400
    assert db.scalar(select(User).where(User.email == "new@test.vn")) is None
    ok = client.post("/admin/", data={"csrf_token": token, "email": "new@test.vn",
                                      "full_name": "Người mới", "password": "long-enough-9",
                                      "role": "official", "province_code": "80"})
    assert ok.status_code == 302
    assert db.scalar(select(User).where(User.email == "new@test.vn")).province_code == 80


def test_logout_is_a_post_with_csrf(client, world):
    login(client, "a@test.vn", PASSWORD)
    assert client.get("/logout").status_code == 405
    token = csrf_token(client, "/portal/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/portal/").status_code == 302


def test_login_redirect_stays_on_this_site(client, world):
    token = csrf_token(client)
    response = client.post("/login?next=https://evil.example/", data={
        "email": "a@test.vn", "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"].endswith("/portal/")


def test_form_errors_are_in_the_users_language(client, db, world):
    login(client, "a@test.vn", PASSWORD)
    token = csrf_token(client, "/portal/")
    missing = client.post("/portal/", data={"csrf_token": token, "category": "fruit"},
                          headers={"Accept-Language": "vi"})
    assert missing.status_code == 400
    assert "Trường này là bắt buộc." in missing.get_data(as_text=True)
    english = client.post("/portal/", data={"csrf_token": token, "category": "fruit"},
                          headers={"Accept-Language": "en"})
    assert "This field is required." in english.get_data(as_text=True)


def test_account_page_creates_shows_once_and_revokes_a_token(client, db, world):
    login(client, "a@test.vn", PASSWORD)
    token = csrf_token(client, "/account/")
    page = client.post("/account/", data={"csrf_token": token, "name": "ERP", "scope": "read"},
                       headers={"Accept-Language": "en"}).get_data(as_text=True)
    import re
    secret = re.search(r'<code id="new-token">([^<]+)</code>', page).group(1)
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/users/me", headers=headers).get_json()["email"] == "a@test.vn"
    again = client.get("/account/").get_data(as_text=True)
    assert secret not in again and secret[:12] in again
    from agritrace.models import ApiToken
    row = db.scalar(select(ApiToken).where(ApiToken.name == "ERP"))
    assert row.token_hash != secret and secret not in row.token_hash
    client.post(f"/account/tokens/{row.id}/revoke", data={"csrf_token": token})
    assert client.get("/api/v1/users/me", headers=headers).status_code == 401


def test_health_says_503_when_the_database_is_down():
    from agritrace import create_app
    app = create_app({"DATABASE_URL": "postgresql+psycopg://x:y@127.0.0.1:1/none",
                      "SECRET_KEY": "t"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unreachable"}
    page = app.test_client().get("/login")
    assert page.status_code == 200  # pages that need no database still work
    api = app.test_client().get("/api/v1/users/me",
                                headers={"Authorization": "Bearer agt_x"})
    assert api.status_code == 503
    assert api.content_type == "application/problem+json"
