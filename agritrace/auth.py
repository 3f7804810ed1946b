"""Who is asking: a bearer token (API) or the login session (pages and API), and from
which address."""
from __future__ import annotations

from flask import current_app, g, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError

from .errors import Unauthorized
from .models import User
from .services import accounts

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def current_actor() -> User | None:
    """The user behind this request, or None for the public."""
    if "actor" in g:
        return g.actor
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        user = accounts.user_for_token(header[7:].strip())
        if user is None:
            raise Unauthorized(_("The API token is unknown, revoked or expired."))
        g.via_token = True
    else:
        user = current_user._get_current_object() if current_user.is_authenticated else None
        # A browser session writing to the API must prove it came from our pages
        # (pages' forms are checked by CSRFProtect; the API is exempt from it).
        if user is not None and request.method not in SAFE_METHODS \
                and (request.blueprint or "").startswith("api_"):
            try:
                validate_csrf(request.headers.get("X-CSRFToken"))
            except ValidationError as exc:
                raise CSRFError(str(exc)) from exc
    g.actor = user
    g.user = user
    return user


def client_ip() -> str:
    """The client's address; behind TRUSTED_PROXY_HOPS proxies, the one the outermost
    trusted proxy saw (what the client sends itself cannot be trusted)."""
    hops = current_app.config["TRUSTED_PROXY_HOPS"]
    if hops:
        forwarded = [p.strip() for p in request.headers.get("X-Forwarded-For", "").split(",")
                     if p.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.remote_addr or ""
