"""The public scan page (trang quét tem): `/s/<code>` and the GS1 Digital Link paths,
`/verify` (type a code, check a scratch PIN) and `/report` (phản ánh).

Made for a phone on a weak connection: plain HTML and one small stylesheet, readable
without JavaScript; the area map is an enhancement that loads Leaflet from our own
static files only when scripts run. A scan page is a frame holding the batch's
story (product, producer, areas, diary), rendered once per worker, batch version
and language and reused for SCAN_STORY_CACHE_SECONDS; the verdict, the recall
banner, the PIN box and the form token are rendered into it on every scan.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import (Blueprint, Response, current_app, redirect, render_template, request,
                   url_for)
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import generate_csrf
from marshmallow import ValidationError, fields, validate
from markupsafe import Markup, escape

from gis.outline import svg_outline
from labels.codes import CodeError, compact_code, format_code, parse_code
from labels.digital_link import DigitalLinkError, parse_link

from ..auth import client_ip
from ..clock import today
from ..http_errors import problem
from ..models import Verdict
from ..models.scans import ReportReason
from ..schemas.common import Text
from ..schemas.forms import FormSchema
from ..schemas.messages import localize
from ..services import reports, robots, scans, trace, trace_items
from . import resolver
from .scan_words import PIN_MESSAGES, REASONS, verdict_words
from .story_cache import Frame, app_cache, slot

bp = Blueprint("scan", __name__)

NO_STORE = "no-store"

# Why a typed code cannot be read, by labels.codes reason.
CODE_PROBLEMS = {
    "empty": _l("Type the stamp code printed under the QR code."),
    "character": _l("%(symbol)s cannot appear in a stamp code: use the letters and digits "
                    "printed under the QR code."),
    "u_inside": _l("U can only be the last symbol of a stamp code."),
    "length": _l("A stamp code has 14 letters and digits (XXXX-XXXX-XXXX-XX); this one "
                 "has %(count)s."),
    "check": _l("This stamp code is mistyped: its last symbol does not match the others. "
                "Check each letter and digit against the stamp."),
    "range": _l("This is not a stamp code."),
}


def code_problem(exc: CodeError) -> str:
    return str(CODE_PROBLEMS[exc.reason]) % exc.params if exc.params \
        else str(CODE_PROBLEMS[exc.reason])


# --- who is asking --------------------------------------------------------------------

def who() -> scans.Client:
    return scans.client(client_ip(), request.headers.get("User-Agent"),
                        robot=robots.robot(request.method, request.headers))


def raw_path() -> str:
    """The path as the client sent it: a Digital Link's lot may hold `%2F`."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or ""
    # An absolute-form request target ("GET http://host/…") is not a path to link to.
    return raw.split("?", 1)[0] if raw.startswith("/") else request.path


@bp.errorhandler(scans.Throttled)
def throttled(exc: scans.Throttled):
    return problem(429, exc.detail, headers={"Retry-After": str(exc.retry_after),
                                             "Cache-Control": NO_STORE})


# --- the batch's story and the page frame, rendered once per worker ---------------------

@dataclass(frozen=True)
class StoryPage:
    title: str
    description: str
    image: str | None
    body: Markup


def _render_story(batch_id: int) -> StoryPage:
    story = scans.public_story(batch_id)
    batch, product = story.batch, story.batch.product
    english = str(get_locale()) == "en"
    name = product.name_en if english and product.name_en else product.name
    body = render_template(
        "scan/_story.html", story=story, batch=batch, product=product, name=name,
        description=(product.description_en if english and product.description_en
                     else product.description),
        today=today(), chain=trace.public_chain(batch_id),
        items=trace_items.public_items(batch),
        outlines={s.area.id: svg_outline(s.geojson) for s in story.areas},
        tiles=current_app.config["BASEMAP_URL"],
        attribution=current_app.config["BASEMAP_ATTRIBUTION"])
    image = url_for("media.product_photo", name=product.image_path, _external=True) \
        if product.image_path else None
    return StoryPage(title=name, description=f"{batch.organization.name} · "
                     + _("Lot %(lot)s", lot=batch.lot_code), image=image, body=Markup(body))


def story_page(batch_id: int, version=None) -> StoryPage:
    """The batch's story; `version` (its updated_at) makes an edited batch render anew
    at once, other changes show within SCAN_STORY_CACHE_SECONDS."""
    key = (batch_id, version, str(get_locale()))
    return app_cache().get(key, current_app.config["SCAN_STORY_CACHE_SECONDS"],
                           lambda: _render_story(batch_id))


# --- scanning -----------------------------------------------------------------------------

class LocationForm(FormSchema):
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lon = fields.Float(required=True, validate=validate.Range(-180, 180))


def _location() -> dict:
    """A location the person chose to share (the page's "check with my location"
    button posts it); a broken one is ignored rather than refused."""
    if request.method != "POST":
        return {}
    try:
        return LocationForm().load(request.form.to_dict())
    except ValidationError:
        return {}


def _not_a_code(message: str, status: int = 404):
    scans.throttle("scan", who())
    return _page("scan/unknown.html", status, message=message)


def _html(body: str, status: int = 200) -> Response:
    response = Response(body, status=status, mimetype="text/html")
    # A scan's verdict is that scan's, and every page carries its visitor's form token:
    # nothing here may be kept by a cache. Stamp codes stay out of search engines.
    response.headers["Cache-Control"] = NO_STORE
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _page(template: str, status: int = 200, **context) -> Response:
    return _html(render_template(template, here=raw_path(), reasons=REASONS, **context),
                 status)


# The page of a scan is a frame rendered once per batch, version and language (and per
# verdict and language for the pages without a story), with slots for what each scan
# changes. SEP divides the parts of one scan's own rendering (scan/_scan.html).
SEP = "\x00"


def _make_frame(result: scans.ScanResult) -> Frame:
    story = story_page(result.batch_id, result.batch_version) if result.shows_story else None
    text = render_template("scan/page.html", story=story, title=verdict_words(result)[0],
                           reasons=REASONS, here=slot("here"), slot=slot,
                           csrf_token=lambda: slot("csrf"))
    return Frame.of(text)


def frame(result: scans.ScanResult) -> Frame:
    key = ("frame", result.batch_id, result.batch_version, str(get_locale())) \
        if result.shows_story else ("plain", result.verdict, str(get_locale()))
    return app_cache().get(key, current_app.config["SCAN_STORY_CACHE_SECONDS"],
                           lambda: _make_frame(result))


def _mismatch(result: scans.ScanResult, link) -> list[str]:
    """What of a Digital Link differs from the stamp's batch."""
    if link is None or not result.shows_story:
        return []
    found = []
    if link.gtin != result.gtin:
        found.append(_("product number (GTIN)"))
    if link.lot is not None and link.lot != result.lot_code:
        found.append(_("lot"))
    expiry = dict(link.attributes).get("17")
    if expiry is not None and (result.expiry_date is None
                               or expiry != result.expiry_date.strftime("%y%m%d")):
        found.append(_("expiry date"))
    return found


def _scan(stamp_id: int, link=None) -> Response:
    result = scans.record_scan(stamp_id, who(), **_location())
    headline, message = verdict_words(result)
    fresh = render_template("scan/_scan.html", result=result, headline=headline,
                            message=message, mismatch=_mismatch(result, link),
                            code=format_code(stamp_id), link=link, sep=SEP)
    top, pin, report_fields = fresh.split(SEP)
    body = frame(result).fill({"top": top, "pin": pin, "report": report_fields,
                               "here": str(escape(raw_path())), "csrf": generate_csrf()})
    return _html(body, 200 if result.verdict != Verdict.UNKNOWN else 404)


@bp.route("/s/<code>", methods=["GET", "POST"])
def stamp(code: str):
    try:
        stamp_id = parse_code(code)
    except CodeError as exc:
        return _not_a_code(code_problem(exc))
    return _scan(stamp_id)


@bp.route("/01/<path:_rest>", methods=["GET", "POST"])
def digital_link(_rest: str):
    """A GS1 Digital Link: with a serial (21) it is a stamp; without one, the product
    (and the batch of its lot) with a box to type the stamp's code."""
    query = request.query_string.decode("latin-1")
    try:
        link = parse_link(request.host_url.rstrip("/") + raw_path()
                          + (f"?{query}" if query else ""))
    except DigitalLinkError:
        return _not_a_code(_("This address is not a GS1 Digital Link that AgriTrace can "
                             "read."))
    # A request for one of its links or for its linkset is not a scan (resolver.py).
    answered = resolver.answer(link)
    if answered is not None:
        return answered
    return resolver.announce(_link_page(link), link)


def _link_page(link) -> Response:
    if link.serial is None:
        product, batch_id = scans.product_by_link(link.gtin, link.lot)
        story = story_page(batch_id) if batch_id is not None else None
        return _page("scan/product.html", product=product, story=story, link=link)
    try:
        stamp_id = parse_code(link.serial)
    except CodeError as exc:
        return _not_a_code(code_problem(exc))
    return _scan(stamp_id, link)


# --- typing a code and a scratch PIN ------------------------------------------------------

class VerifyForm(FormSchema):
    code = Text(required=True, max_length=40)
    pin = fields.String(load_default=None, validate=validate.Regexp(
        r"^[0-9]{6}$", error=_l("The PIN has 6 digits.")))


@bp.route("/verify", methods=["GET", "POST"])
def verify():
    """Type a stamp's code to open its page, or check its scratch-off PIN."""
    errors, outcome, stamp_code = {}, None, None
    if request.method == "POST":
        form = {k: v.replace(" ", "") if k == "pin" else v
                for k, v in request.form.to_dict().items() if v.strip()}
        try:
            data = VerifyForm().load(form)
            stamp_id = parse_code(data["code"])
        except ValidationError as exc:
            errors = localize(exc.messages)
        except CodeError as exc:
            errors = {"code": [code_problem(exc)]}
        else:
            if data["pin"] is None:
                return redirect(url_for("scan.stamp", code=compact_code(stamp_id)), 303)
            check = scans.check_pin(stamp_id, data["pin"], who())
            when = format_date(check.claimed_at) if check.claimed_at else ""
            outcome = {"kind": check.outcome, "text": str(PIN_MESSAGES[check.outcome])
                       % {"when": when}}
            stamp_code = compact_code(stamp_id)
    return _page("scan/verify.html", 400 if errors else 200, errors=errors,
                 outcome=outcome, stamp_code=stamp_code, form=request.form)


# --- reporting a problem (phản ánh) ------------------------------------------------------

class ReportForm(FormSchema):
    code = Text(load_default=None, max_length=40)
    gtin = fields.String(load_default=None, validate=validate.Regexp(r"^[0-9]{14}$"))
    lot = Text(load_default=None, max_length=20)
    reason = fields.Enum(ReportReason, by_value=True, load_default=ReportReason.OTHER)
    message = Text(required=True, min_length=5, max_length=2000)
    contact = Text(load_default=None, max_length=200)


@bp.route("/report", methods=["GET", "POST"])
def report():
    """The report form on its own page (the scan page carries the same form), and
    where both post."""
    errors = {}
    if request.method == "POST":
        try:
            data = ReportForm().load({k: v for k, v in request.form.to_dict().items()
                                      if v.strip()})
            stamp_id = parse_code(data["code"]) if data["code"] else None
        except ValidationError as exc:
            errors = localize(exc.messages)
        except CodeError as exc:
            errors = {"code": [code_problem(exc)]}
        else:
            reports.submit_report(who(), reason=data["reason"], message=data["message"],
                                  contact=data["contact"], stamp_id=stamp_id,
                                  gtin=data["gtin"], lot=data["lot"])
            return redirect(url_for("scan.report_sent"), 303)
    values = request.form if request.method == "POST" else request.args
    return _page("scan/report.html", 400 if errors else 200, errors=errors, form=values)


@bp.get("/report/sent")
def report_sent():
    return _page("scan/report_sent.html")
