"""The field app's door (/field): the installable shell, its manifest and service
worker, and the JSON API its offline queue talks to. A phone signs in once and then
sends `Authorization: Device <token>` (services/devices.py); each view parses its
body, calls one service and answers JSON. Errors are
`{"error": {"message", "message_en", "message_vi", "code"?, "fields"?}}`."""
from __future__ import annotations

import json
import uuid

from flask import (Blueprint, current_app, g, jsonify, render_template, request,
                   send_from_directory)
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError, validate_csrf
from jinja2 import TemplateNotFound
from marshmallow import ValidationError
from flask_babel.speaklater import LazyString
from flask_login import current_user
from werkzeug.exceptions import HTTPException
from wtforms import ValidationError as CsrfInvalid

from .. import config as settings
from ..auth import SAFE_METHODS, client_ip, current_actor
from ..errors import DomainError, Invalid, Unauthorized
from ..schemas.field import MAX_ENTRIES, DeviceIn
from ..schemas.messages import localize
from ..services import accounts, devices, field_photos, field_snapshot, field_sync
from ..extensions import csrf
from . import field_rules

bp = Blueprint("field", __name__, url_prefix="/field")
# The phone authenticates with its device token, which a cross-site page cannot send;
# a browser session signing a phone in is checked here (sign_in).
csrf.exempt(bp)
LANGUAGES = ("vi", "en")
DEFAULT_MAX_BODY = 1024 * 1024


class FieldError(DomainError):
    """A refusal of the field door, with a code the phone acts on."""

    def __init__(self, status: int, detail, code: str, **extra):
        super().__init__(detail)
        self.status, self.code, self.extra = status, code, extra


# -- the shell -----------------------------------------------------------------------

def _static_field():
    return settings.project_root() / "static" / "field"


@bp.get("/")
def shell():
    """The app shell; it signs in itself, so it is open to everyone."""
    try:
        return render_template("field/app.html", limits=field_rules.limits(),
                               api_base="/field/api")
    except TemplateNotFound:
        return "<!doctype html><title>AgriTrace</title><p>AgriTrace</p>", 200


@bp.get("/manifest.webmanifest")
def manifest():
    return send_from_directory(_static_field(), "manifest.webmanifest",
                               mimetype="application/manifest+json")


@bp.get("/sw.js")
def service_worker():
    """Served from /field/ so that its scope is the app; never cached, so a new shell
    reaches the phones."""
    response = send_from_directory(_static_field(), "sw.js", mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response


# -- the API -------------------------------------------------------------------------

@bp.before_request
def _sessions_prove_their_origin():
    """A POST that carries a signed-in session instead of a device token must come from
    our own pages (the X-CSRFToken header or a csrf_token field), as every form does;
    e-mail and password, or a device token, carry no ambient authority."""
    if request.method in SAFE_METHODS or request.headers.get("Authorization") \
            or not current_user.is_authenticated:
        return
    if request.endpoint == "field.sign_in" and request.is_json:
        body = request.get_json(silent=True)
        if isinstance(body, dict) and body.get("email") and body.get("password"):
            return
    try:
        validate_csrf(request.headers.get("X-CSRFToken") or request.form.get("csrf_token"))
    except CsrfInvalid as exc:
        raise CSRFError(str(exc)) from exc


def _device():
    """The signed-in phone of this request; its user becomes the actor."""
    device = devices.device_for_token(request.headers.get("Authorization", ""))
    g.actor = g.user = device.user
    return device


def _json_body(limit: int) -> object:
    length = request.content_length
    raw = request.stream.read(limit + 1) if length is None or length <= limit else None
    if raw is None or len(raw) > limit:
        raise FieldError(413, _l("The request is larger than %(kb)s KB; send fewer entries "
                                 "at a time.", kb=limit // 1024), "too_large", limit=limit)
    try:
        return json.loads(raw or b"null")
    except ValueError:
        raise FieldError(400, _l("The request is not valid JSON."), "bad_body") from None


@bp.post("/api/devices")
def sign_in():
    """Sign a phone in, with e-mail and password or from a signed-in session; the token
    is in the answer once."""
    body = request.get_json(silent=True) if request.is_json else request.form.to_dict()
    try:
        data = DeviceIn().load(body if isinstance(body, dict) else {})
    except ValidationError as exc:
        raise Invalid(_("Some fields are not right."), localize(exc.messages)) from None
    if data["email"] and data["password"]:
        try:
            user = accounts.authenticate(data["email"], data["password"], client_ip())
        except accounts.LoginRefused as exc:
            raise FieldError(429, _l("Too many failed attempts; try again in %(min)s "
                                     "minutes.", min=max(1, exc.retry_after // 60)),
                             "too_many_attempts") from None
        if user is None:
            raise FieldError(401, _l("The e-mail or password is not right."), "bad_login")
    else:
        user = current_actor()
        if user is None:
            raise FieldError(401, _l("Sign in with your e-mail and password."), "bad_login")
    g.user = user
    device, secret = devices.sign_in_device(user, data["name"] or _("Phone"))
    return jsonify({"device_id": device.id, "token": secret,
                    "expires_at": device.expires_at.isoformat(),
                    "user": {"name": user.full_name, "organization": user.organization.name}
                    }), 201


@bp.get("/api/devices/me")
def me():
    device = _device()
    return jsonify({"device_id": device.id, "name": device.name,
                    "created_at": device.created_at.isoformat(),
                    "expires_at": device.expires_at.isoformat(),
                    "user": {"name": device.user.full_name,
                             "organization": device.organization.name}})


@bp.get("/api/snapshot")
def snapshot():
    device = _device()
    return jsonify({**field_snapshot.snapshot(device), "rules": field_rules.rules(),
                    "limits": field_rules.limits()})


@bp.post("/api/entries")
def entries():
    """Each entry accepted, recognised as a duplicate or refused with its reason."""
    device = _device()
    body = _json_body(current_app.config.get("FIELD_MAX_BODY_BYTES", DEFAULT_MAX_BODY))
    if not isinstance(body, dict) or not isinstance(body.get("entries"), list):
        raise FieldError(400, _l('The body must be {"entries": [...]}.'), "bad_body")
    if len(body["entries"]) > MAX_ENTRIES:
        raise FieldError(413, _l("At most %(max)s entries at a time; this request has "
                                 "%(count)s.", max=MAX_ENTRIES, count=len(body["entries"])),
                         "too_many_entries", limit=MAX_ENTRIES)
    return jsonify({"results": field_sync.sync_entries(device, body["entries"])})


@bp.post("/api/photos")
def photos():
    device = _device()
    limit = field_photos.max_bytes()
    if (request.content_length or 0) > limit + 64 * 1024:
        raise FieldError(413, _l("A photo may be at most %(mb)s MB.", mb=limit // 1024 // 1024
                                 or 1), "too_large", limit=limit)
    upload = request.files.get("photo")
    try:
        key = uuid.UUID(request.form.get("key", ""))
    except ValueError:
        raise FieldError(400, _l("The photo's key is not a UUID."), "bad_body") from None
    if upload is None:
        raise FieldError(400, _l("No photo was sent (field “photo”)."), "bad_body")
    data, name = upload.read(limit + 1), upload.filename or "photo"
    photo, duplicate = _in_both_languages(
        lambda: field_photos.store_photo(device, key, data, name))
    return jsonify({"key": str(key), "status": "duplicate" if duplicate else "accepted",
                    "id": photo.id}), 200 if duplicate else 201


def _in_both_languages(call):
    """Run a call whose refusals write nothing; refused, run it again in the other
    language so that the error carries both sentences."""
    try:
        return call()
    except DomainError as first:
        other = "en" if str(get_locale()) == "vi" else "vi"
        with force_locale(other):
            try:
                call()
            except DomainError as second:
                first.other = (other, second.detail)
        raise first


# -- errors as the phone reads them ----------------------------------------------------

def _render_both(detail) -> dict:
    out = {}
    for language in LANGUAGES:
        with force_locale(language):
            out[language] = str(detail)
    return out


@bp.errorhandler(DomainError)
def domain_error(exc: DomainError):
    if not request.path.startswith("/field/api/"):
        from ..http_errors import domain_error as page_error
        return page_error(exc)
    message = str(exc.detail)
    both = _render_both(exc.detail) if isinstance(exc.detail, LazyString) \
        else {language: message for language in LANGUAGES}
    other = getattr(exc, "other", None)
    if other:
        both[other[0]] = str(other[1])
    body = {"message": message, "message_en": both["en"], "message_vi": both["vi"]}
    if exc.errors:
        body["fields"] = {k: [str(m) for m in v] if isinstance(v, (list, tuple)) else v
                          for k, v in exc.errors.items()}
    code = getattr(exc, "code", None)
    if code:
        body["code"] = code
    body.update(getattr(exc, "extra", {}))
    status = exc.status
    if isinstance(exc, Unauthorized):
        return jsonify({"error": body}), status, {"WWW-Authenticate": "Device"}
    return jsonify({"error": body}), status


@bp.errorhandler(CSRFError)
def csrf_error(exc: CSRFError):
    if not request.path.startswith("/field/api/"):
        from ..http_errors import csrf_error as page_error
        return page_error(exc)
    return domain_error(FieldError(400, _l("The form expired or did not come from this site; "
                                           "reload the page and try again."), "csrf"))


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    if not request.path.startswith("/field/api/"):
        from ..http_errors import http_error as page_error
        return page_error(exc)
    if exc.code == 413:
        return domain_error(FieldError(413, _l("The request is too large."), "too_large"))
    text = exc.description if exc.code != 400 else _l("The request could not be read.")
    return domain_error(FieldError(exc.code or 400, text, "bad_request"))
