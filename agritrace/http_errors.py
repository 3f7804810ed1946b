"""One place that maps errors to HTTP: problem+json under /api, HTML pages elsewhere."""
from __future__ import annotations

import errno
import logging

import psycopg
from flask import Flask, current_app, g, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, PendingRollbackError
from werkzeug.exceptions import HTTPException

from . import db
from .errors import DomainError
from .schemas.messages import localize

log = logging.getLogger(__name__)

TITLES = {
    400: _l("Bad request"), 401: _l("Authentication required"), 403: _l("Forbidden"),
    404: _l("Not found"), 405: _l("Method not allowed"), 409: _l("Conflict"),
    413: _l("Upload too large"), 415: _l("Unsupported media type"), 422: _l("Invalid input"),
    429: _l("Too many requests"), 500: _l("Server error"), 503: _l("Service unavailable"),
}


def _wants_problem() -> bool:
    return request.path.startswith(("/api/", "/ogc", "/epcis/")) \
        or request.accept_mimetypes.best == "application/problem+json"


def _flatten(messages) -> dict:
    """webargs keys errors by location ({"json": {...}}); users care about the field."""
    if not isinstance(messages, dict):
        return {"_": messages}
    if set(messages) <= {"json", "query", "form", "headers", "files", "view_args"}:
        merged = {}
        for part in messages.values():
            merged.update(part if isinstance(part, dict) else {"_": part})
        return merged
    return messages


def _describe(errors: dict) -> str:
    parts = []
    for field, problems in errors.items():
        if isinstance(problems, dict):
            problems = [f"{k}: {v}" for k, v in problems.items()]
        if isinstance(problems, str):
            problems = [problems]
        parts.append(f"{field}: {' '.join(str(p) for p in problems)}")
    return "; ".join(parts)


def problem(status: int, detail: str, errors: dict | None = None, headers: dict | None = None):
    headers = dict(headers or {})
    if _wants_problem():
        body = {"type": "about:blank", "title": str(TITLES.get(status, status)),
                "status": status, "detail": detail}
        if errors:
            body["errors"] = errors
        headers["Content-Type"] = "application/problem+json"
        return body, status, headers
    return render_template("error.html", status=status, title=str(TITLES.get(status, status)),
                           detail=detail, errors=errors or {}), status, headers


def init_app(app: Flask) -> None:
    """Flask picks the handler of the most specific class an exception is an instance of."""
    app.register_error_handler(DomainError, domain_error)
    app.register_error_handler(CSRFError, csrf_error)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(OperationalError, database_down)
    app.register_error_handler(PendingRollbackError, database_down)
    app.register_error_handler(psycopg.OperationalError, database_down)  # the raw COPY cursor
    app.register_error_handler(DBAPIError, database_error)
    app.register_error_handler(IntegrityError, integrity_conflict)
    app.register_error_handler(OSError, disk_error)
    app.register_error_handler(Exception, server_error)


def domain_error(exc: DomainError):
    return problem(exc.status, exc.detail, exc.errors)


def csrf_error(exc: CSRFError):
    return problem(400, _("The form expired or did not come from this site; "
                          "reload the page and try again."))


def http_error(exc: HTTPException):
    data = getattr(exc, "data", None) or {}
    errors = localize(_flatten(data["messages"])) if "messages" in data else None
    if errors:
        detail = _("Some fields are not right: %(fields)s", fields=_describe(errors))
    elif exc.code == 404:
        detail = _("There is nothing at this address.")
    elif exc.code == 405:
        detail = _("This address does not accept %(method)s.", method=request.method)
    else:
        detail = str(TITLES.get(exc.code, exc.description or exc.code))
    # Keep the exception's own headers (Allow on 405, Retry-After on 429…).
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    return problem(exc.code or 500, detail, errors, headers=headers)


def database_down(exc: Exception):
    """The connection was lost (the server restarted, the network or an administrator
    cut it) or never made: the transaction rolled back whole, so nothing is half
    written, and the pool opens a fresh connection for the next request."""
    cause = getattr(exc, "orig", None) or exc
    _forget_the_session()
    if isinstance(cause, psycopg.errors.DiskFull):
        # Uploads are kept in the database: its disk is the one that filled up.
        return disk_full(cause)
    log.error("database unavailable: %s", cause)
    return problem(503, _("The database is not reachable right now; please try again "
                          "in a minute."))


def database_error(exc: DBAPIError):
    if exc.connection_invalidated:
        return database_down(exc)
    return server_error(exc)


def integrity_conflict(exc: IntegrityError):
    # Services check uniqueness first; this is the race where two requests collide.
    log.warning("integrity conflict: %s", exc.orig)
    return problem(409, _("This conflicts with a record that was just saved; reload "
                          "and try again."))


def disk_error(exc: OSError):
    if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
        return server_error(exc)
    return disk_full(exc)


def disk_full(exc: Exception):
    log.error("no space left to write a file: %s", exc)
    return problem(503, _("The server has no room left to store files, so nothing was "
                          "saved. Please try again later; the administrators have "
                          "been told."))


def server_error(exc: Exception):
    log.exception("unhandled error")
    return problem(500, _("Something went wrong on our side. It has been logged."))


def _forget_the_session() -> None:
    """Drop the request's broken session, and with it the signed-in user and API actor
    it loaded: the error page must render without a query, since the database may
    still be away (the page then speaks the browser's language)."""
    db.close_session()
    g.pop("user", None)
    g._login_user = current_app.login_manager.anonymous_user()
