"""Security headers, cookies and sessions, login throttling, password rules and the
key-rotation page, against the real app and database."""
from __future__ import annotations

import re

from agritrace.security import basemap_source
from agritrace.services import areas
from support import PASSWORD, csrf_token, login, plot

SCRIPT = re.compile(r"<script\b[^>]*>", re.IGNORECASE)


def _policy(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] if " " in part else ""
            for part in (p.strip() for p in header.split(";"))}


def _nonce(response) -> str:
    match = re.search(r"'nonce-([^']+)'", _policy(response)["script-src"])
    assert match, response.headers["Content-Security-Policy"]
    return match.group(1)


# --- headers ----------------------------------------------------------------------------

def test_every_page_has_the_policy_and_the_other_headers(client, world):
    for path in ("/", "/login", "/map", "/api/v1/openapi.json", "/no-such-page"):
        response = client.get(path)
        policy = _policy(response)
        assert policy["default-src"] == "'self'", path
        assert "unsafe-inline" not in policy["script-src"] and "unsafe-eval" not in \
            policy["script-src"], path
        assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
        assert policy["base-uri"] == "'self'" and policy["form-action"] == "'self'"
        assert policy["connect-src"] == "'self'"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "geolocation=(self)" in response.headers["Permissions-Policy"]
        assert "Strict-Transport-Security" not in response.headers, path


def test_the_nonce_changes_with_each_request(client, world):
    nonces = {_nonce(client.get("/")) for _ in range(3)}
    assert len(nonces) == 3


def test_images_may_come_from_the_configured_basemap_only(client, world, app):
    img = _policy(client.get("/map"))["img-src"].split()
    assert img == ["'self'", "data:", basemap_source(app.config["BASEMAP_URL"])]
    assert basemap_source("https://tile.openstreetmap.org/{z}/{x}/{y}.png") == \
        "https://tile.openstreetmap.org"
    assert basemap_source("https://{s}.tile.example.vn:8443/{z}/{x}/{y}.png") == \
        "https://*.tile.example.vn:8443"
    assert basemap_source("/tiles/basemap/{z}/{x}/{y}.png") == ""


def test_every_inline_script_of_the_map_pages_carries_the_nonce(client, world):
    login(client, world.official_p.email, PASSWORD)
    with client.application.app_context():
        area = areas.create_area(world.producer_a, {"name": "Ruộng 1", "crop": "lúa",
                                                    "geometry": plot()})
    for path in ("/gis/map", "/map", f"/gis/areas/{area.id}", "/gis/areas/new"):
        response = client.get(path)
        assert response.status_code == 200, path
        page, nonce = response.get_data(as_text=True), _nonce(response)
        tags = SCRIPT.findall(page)
        inline = [t for t in tags if "src=" not in t]
        assert inline, f"{path} has no inline script to check"
        assert all(f'nonce="{nonce}"' in t for t in inline), (path, inline)
        assert not re.search(r"\son[a-z]+\s*=", page), f"{path} has an inline handler"


def test_hsts_only_over_tls_and_through_a_trusted_proxy(client, world, app):
    assert "Strict-Transport-Security" not in client.get("/").headers
    secure = client.get("/", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
    # Without trusted proxies a client cannot claim TLS with a header.
    claimed = client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in claimed.headers


def test_behind_a_trusted_proxy_its_scheme_counts(database_url):
    from agritrace import create_app
    from agritrace.db import EXTENSION
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "proxy-test",
                      "TRUSTED_PROXY_HOPS": 1})
    try:
        client = app.test_client()
        behind = client.get("/", headers={"X-Forwarded-Proto": "https",
                                          "X-Forwarded-For": "203.0.113.9"})
        assert behind.headers["Strict-Transport-Security"].startswith("max-age=")
        plain = client.get("/", headers={"X-Forwarded-Proto": "http"})
        assert "Strict-Transport-Security" not in plain.headers
    finally:
        app.extensions[EXTENSION].kw["bind"].dispose()


# --- cookies and sessions -----------------------------------------------------------------

def _session_cookie(response) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, response.headers
    return cookies[-1]


def test_the_session_cookie_is_http_only_and_same_site_and_lasts_session_hours(client, world,
                                                                               app):
    from email.utils import parsedate_to_datetime
    from datetime import datetime, timezone
    response = login(client, world.producer_a.email, PASSWORD)
    assert response.status_code == 302
    cookie = _session_cookie(response)
    attributes = [a.strip().lower() for a in cookie.split(";")]
    assert "httponly" in attributes and "samesite=lax" in attributes
    assert "secure" not in attributes  # development serves plain HTTP on loopback
    expires = parsedate_to_datetime(next(a for a in cookie.split(";")
                                         if a.strip().lower().startswith("expires="))
                                    .split("=", 1)[1])
    hours = (expires - datetime.now(timezone.utc)).total_seconds() / 3600
    assert app.config["PERMANENT_SESSION_LIFETIME"] == 12 * 3600
    assert 11 < hours <= 12


def test_production_cookies_are_secure(database_url):
    from agritrace import create_app
    from agritrace.db import EXTENSION
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "prod-test",
                      "ENV": "production"})
    try:
        assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
        client = app.test_client()
        response = client.get("/?lang=en", base_url="https://localhost")
        attributes = [a.strip().lower() for a in _session_cookie(response).split(";")]
        assert {"secure", "httponly", "samesite=lax"} <= set(attributes)
    finally:
        app.extensions[EXTENSION].kw["bind"].dispose()


def test_a_login_ends_after_session_hours_even_when_busy(client, world, app):
    import time
    assert login(client, world.official_p.email, PASSWORD).status_code == 302
    assert client.get("/gis/").status_code == 200
    with client.session_transaction() as s:
        started = s["login_at"]
        assert abs(started - time.time()) < 600
        # The same signed session, as if the login had begun 12 hours and a minute ago.
        s["login_at"] = started - app.config["PERMANENT_SESSION_LIFETIME"] - 60
    response = client.get("/gis/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    with client.session_transaction() as s:
        assert "_user_id" not in s


def test_a_session_from_before_the_login_time_was_kept_ends(client, world):
    assert login(client, world.official_p.email, PASSWORD).status_code == 302
    with client.session_transaction() as s:
        del s["login_at"]
    assert client.get("/gis/").status_code == 302


# --- login throttling ---------------------------------------------------------------------

def _failures(db, user) -> int:
    from sqlalchemy import func, select

    from agritrace.models import AuditEntry
    return db.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.entity == "user", AuditEntry.entity_id == str(user.id),
        AuditEntry.action == "login_failed"))


def _try(client, email, password, address="127.0.0.1"):
    token = csrf_token(client)
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": token},
                       headers={"Accept-Language": "en"}, environ_base={"REMOTE_ADDR": address})


def test_five_failed_logins_pause_the_account_with_a_clear_message(client, world, db, app):
    limit, window = app.config["RATE_LIMITS"]["login"]
    assert (limit, window) == (5, 900)
    for _ in range(limit):
        response = _try(client, world.producer_a.email, "not-the-password-1")
        assert response.status_code == 400
        assert "Wrong e-mail or password." in response.get_data(as_text=True)
    assert _failures(db, world.producer_a) == limit
    refused = _try(client, world.producer_a.email, PASSWORD)   # even the right one
    assert refused.status_code == 429
    assert "Too many failed logins" in refused.get_data(as_text=True)
    assert 0 < int(refused.headers["Retry-After"]) <= window
    assert client.get("/portal/").status_code == 302          # not logged in
    # The password was not even checked: no new failure is recorded.
    assert _failures(db, world.producer_a) == limit
    # From another address too: the account is paused, not the address.
    assert _try(client, world.producer_a.email, PASSWORD, "198.51.100.7").status_code == 429
    # Another account logs in from the same address.
    assert _try(client, world.producer_b.email, PASSWORD).status_code == 302


def test_a_successful_login_clears_the_failures(client, world):
    for _ in range(4):
        assert _try(client, world.producer_a.email, "not-the-password-1").status_code == 400
    assert _try(client, world.producer_a.email, PASSWORD).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/portal/")})
    for _ in range(4):
        assert _try(client, world.producer_a.email, "not-the-password-1").status_code == 400
    assert _try(client, world.producer_a.email, PASSWORD).status_code == 302


def test_one_address_cannot_try_many_accounts(client, world, app):
    limit, _window = app.config["RATE_LIMITS"]["login_client"]
    for n in range(limit):
        response = _try(client, f"nobody{n}@test.vn", "guess-guess-1", "203.0.113.5")
        assert response.status_code == 400
    refused = _try(client, world.producer_a.email, PASSWORD, "203.0.113.5")
    assert refused.status_code == 429
    assert "Too many failed logins" in refused.get_data(as_text=True)
    # The account itself is not paused: from elsewhere its owner logs in.
    assert _try(client, world.producer_a.email, PASSWORD, "203.0.113.6").status_code == 302


def test_successful_logins_do_not_use_up_the_address(client, world, app):
    limit, _window = app.config["RATE_LIMITS"]["login_client"]
    # An office behind one address: many logins that succeed never pause it.
    for _ in range(limit + 2):
        assert _try(client, world.producer_b.email, PASSWORD, "192.0.2.10").status_code == 302
        client.post("/logout", data={"csrf_token": csrf_token(client, "/portal/")})


# --- password rules -----------------------------------------------------------------------

WEAK = [("short-pw-1", "Too short"), ("onlyletterslong", "Too simple"),
        ("123456789012345", "Too simple"), ("Password2026!", "Too common"),
        ("matkhau-123456", "Too common"), ("new.user@test.vn", "e-mail"),
        ("New.User-2026", "e-mail")]


def _new_user(client, world, password):
    login(client, world.admin.email, PASSWORD)
    return client.post("/admin/", data={
        "email": "new.user@test.vn", "full_name": "New User", "password": password,
        "role": "producer", "organization_id": world.org_a.id,
        "csrf_token": csrf_token(client, "/admin/")}, headers={"Accept-Language": "en"})


def test_account_creation_refuses_weak_passwords_in_words(client, world, db):
    from sqlalchemy import select

    from agritrace.models import User
    for password, words in WEAK:
        response = _new_user(client, world, password)
        assert response.status_code in (400, 422), password
        assert words in response.get_data(as_text=True), password
        assert db.scalar(select(User).where(User.email == "new.user@test.vn")) is None
    assert _new_user(client, world, "xanh-la-cay-ruong-7").status_code in (200, 302)
    assert db.scalar(select(User).where(User.email == "new.user@test.vn")) is not None


def test_registration_follows_the_same_rules(client, world):
    from agritrace.errors import Invalid
    from agritrace.services import accounts
    with client.application.test_request_context(headers={"Accept-Language": "en"}):
        for password, words in WEAK:
            try:
                accounts.check_password_rules(password, "new.user@test.vn")
            except Invalid as exc:
                assert words in exc.detail + " ".join(exc.errors["password"]), password
            else:
                raise AssertionError(f"{password} was accepted")
        accounts.check_password_rules("xanh-la-cay-ruong-7", "new.user@test.vn")


def test_changing_the_password(client, world, db):
    login(client, world.producer_a.email, PASSWORD)

    def change(current, new):
        return client.post("/account/password", data={
            "current_password": current, "new_password": new,
            "csrf_token": csrf_token(client, "/account/")}, headers={"Accept-Language": "en"})
    wrong = change("not-it-at-all-1", "xanh-la-cay-ruong-7")
    assert wrong.status_code == 422 and "Wrong password." in wrong.get_data(as_text=True)
    weak = change(PASSWORD, "Password2026!")
    assert weak.status_code == 422 and "Too common." in weak.get_data(as_text=True)
    same = change(PASSWORD, PASSWORD)
    assert same.status_code == 422
    assert change(PASSWORD, "xanh-la-cay-ruong-7").status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account/")})
    assert login(client, world.producer_a.email, PASSWORD).status_code == 400
    assert login(client, world.producer_a.email, "xanh-la-cay-ruong-7").status_code == 302


# --- the key-rotation page ---------------------------------------------------------------

def test_the_key_rotation_page_is_for_administrators(client, world):
    assert client.get("/admin/keys").status_code == 302              # to the login
    login(client, world.official_p.email, PASSWORD)
    assert client.get("/admin/keys").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/gis/")})
    login(client, world.admin.email, PASSWORD)
    page = client.get("/admin/keys", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for words in ("SECRET_KEY", "API tokens", ".data/pg-password",
                  "cannot be changed without printing the stamps again"):
        assert words in text, words


# --- CSRF on every form -------------------------------------------------------------------

def _form_routes(app) -> list[str]:
    """Every page route that takes a POST, from the route table, with 1 for each id: the
    token is checked before the view, so the ids need not exist."""
    api = {bp for bp in app.blueprints if bp == "api" or bp.startswith(("api", "ogc",
                                                                         "epcis"))}
    routes = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint.split(".")[0] in api:
            continue
        routes.append(re.sub(r"<(?:[^:>]+:)?([^>]+)>",
                             lambda m: "portal" if m.group(1) == "side" else "1", rule.rule))
    return sorted(routes)


def test_every_form_refuses_a_post_without_the_csrf_token(app, client, world, db):
    from support import snapshot
    routes = _form_routes(app)
    assert len(routes) > 30 and "/login" in routes and "/verify" in routes
    login(client, world.admin.email, PASSWORD)   # the strongest session there is
    before = snapshot(db.connection())
    refused = {}
    for path in routes:
        answer = client.post(path, data={"reason": "x", "quantity": "10"},
                             headers={"Accept-Language": "en"})
        refused[path] = (answer.status_code, "did not come from this site"
                         in answer.get_data(as_text=True))
    assert {p: r for p, r in refused.items() if r != (400, True)} == {}
    assert snapshot(db.connection()) == before


# --- no secrets in the logs ---------------------------------------------------------------

def test_no_password_token_or_key_reaches_the_logs(app, client, world, caplog):
    import logging
    caplog.set_level(logging.DEBUG)
    headers = world.token(world.producer_a)
    secret = headers["Authorization"].split()[1]
    login(client, world.producer_a.email, "a-wrong-password-99")      # a failed login
    login(client, world.producer_a.email, PASSWORD)
    client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "xanh-la-cay-ruong-7",
        "csrf_token": csrf_token(client, "/account/")})
    client.get("/api/v1/batches", headers=headers)
    client.get("/api/v1/batches", headers={"Authorization": f"Bearer {secret}x"})  # refused
    written = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}"
                        for r in caplog.records)
    for secret_text in (PASSWORD, "a-wrong-password-99", "xanh-la-cay-ruong-7", secret,
                        app.config["SECRET_KEY"], _database_password(app)):
        assert secret_text not in written, secret_text


def test_a_failed_statement_does_not_carry_its_parameters_into_the_error(app, db):
    """What the error handlers log is the exception's text: it names the statement but
    not the values bound to it (a password hash, a token's hash, a PIN)."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from agritrace.db import session
    with app.app_context():
        try:
            session().execute(text("SELECT 1 / 0 WHERE CAST(:token_hash AS text) <> ''"),
                              {"token_hash": "sha256-of-a-secret-token"})
        except DBAPIError as exc:
            message = str(exc)
        else:
            raise AssertionError("the statement should have failed")
    assert "division by zero" in message and "SELECT 1 / 0" in message
    assert "sha256-of-a-secret-token" not in message


def _database_password(app) -> str:
    from sqlalchemy.engine import make_url
    return make_url(app.config["DATABASE_URL"]).password
