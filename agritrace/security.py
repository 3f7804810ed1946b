"""Response headers that tell browsers what a page may do: a Content Security Policy
whose inline scripts must carry the request's nonce, no framing, no MIME sniffing, a
referrer that stops at the origin elsewhere, and HSTS on TLS; and a login that ends
SESSION_HOURS after it began, however busy the session.

Styles keep 'unsafe-inline': Leaflet and folium set style attributes and the map
pages carry a <style> for the map's size; a style cannot run code, a script can.
"""
from __future__ import annotations

import re
import secrets
import time
from urllib.parse import urlsplit

from flask import Flask, current_app, g, request, session
from flask_login import logout_user, user_logged_in
from markupsafe import Markup
from werkzeug.middleware.proxy_fix import ProxyFix

HSTS = "max-age=31536000; includeSubDomains"
# The scan page may ask for the buyer's rough location; nothing needs the rest.
PERMISSIONS = "geolocation=(self), camera=(), microphone=(), payment=(), usb=()"
SCRIPT_TAG = re.compile(r"<script\b(?![^>]*\bnonce=)", re.IGNORECASE)


def csp_nonce() -> str:
    """This request's nonce, made on first use; every inline <script> must carry it."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def with_nonce(html: str) -> Markup:
    """`html` with the request's nonce on each <script> tag that has none (folium's)."""
    return Markup(SCRIPT_TAG.sub(f'<script nonce="{csp_nonce()}"', str(html)))


def basemap_source(url: str) -> str:
    """The CSP source of the basemap's tiles: its origin, `{s}` subdomains as `*`;
    nothing for tiles served by the app itself."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return ""
    host = re.sub(r"\{[a-z]\}", "*", parts.netloc)
    return f"{parts.scheme}://{host}"


def policy(nonce: str, basemap: str) -> str:
    images = " ".join(filter(None, ("'self'", "data:", basemap)))
    return "; ".join((
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        "style-src 'self' 'unsafe-inline'",
        f"img-src {images}",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ))


def add_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", policy(
        csp_nonce(), basemap_source(current_app.config["BASEMAP_URL"])))
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Permissions-Policy", PERMISSIONS)
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def _stamp_login(_app, **_extra) -> None:
    session["login_at"] = int(time.time())


def end_old_login() -> None:
    """Log out a login older than PERMANENT_SESSION_LIFETIME. Flask re-sends the session
    cookie on every request, so its expiry alone would let an active session live on;
    a session from before this check (no login time) ends too."""
    if "_user_id" not in session:
        return
    started = session.get("login_at")
    lifetime = current_app.permanent_session_lifetime.total_seconds()
    if not isinstance(started, int) or time.time() - started > lifetime:
        logout_user()
        session.pop("login_at", None)


def init_app(app: Flask) -> None:
    hops = app.config["TRUSTED_PROXY_HOPS"]
    if hops:
        # Only the scheme: auth.client_ip reads X-Forwarded-For itself.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=0, x_proto=hops, x_host=0, x_port=0,
                                x_prefix=0)
    app.after_request(add_headers)
    app.before_request(end_old_login)
    user_logged_in.connect(_stamp_login, app)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
