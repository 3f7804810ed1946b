"""The officials' pages for codes' export markets and their supervision (giám sát):
/gis/markets lists the market approvals, the renewals coming up, the overdue
inspections and corrective actions, and the inspection plans; each approval has its
page of decisions; /gis/inspections records an inspection with its photos. The
officials' map draws the overdue ones from /gis/markets/overdue.geojson."""
from __future__ import annotations

from flask import (Blueprint, Response, abort, flash, jsonify, redirect, render_template,
                   request, url_for)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, ValidationError

from ..auth import current_actor
from ..clock import today
from ..countries import countries, country_name
from ..errors import Conflict, Invalid
from ..models import Finding, MarketState, Outcome, Role
from ..schemas.markets import (CodeMarketQuery, CorrectionIn, MarketDecisionIn,
                               InspectionForm, InspectionPlanForm, MarketProposalIn)
from ..services import code_markets, inspections, market_reminders, supervision
from .access import role_required
from .forms import form_errors, form_values

bp = Blueprint("markets", __name__)
OFFICIALS = (Role.OFFICIAL, Role.ADMIN)
# A form refused for what it says is shown again with the reasons; a code or record the
# official may not see or change is answered 404 / 403 like any other page.
REFUSED = (ValidationError, Invalid, Conflict)
STEPS = {"submit": _l("Submit to the importing authority"),
         "approve": _l("Record the approval (date and list reference)"),
         "suspend": _l("Suspend"), "reinstate": _l("Lift the suspension"),
         "revoke": _l("Revoke"), "renew": _l("Renew (new validity)")}


class PageArgs(CodeMarketQuery):
    class Meta:
        unknown = EXCLUDE  # ?lang= rides along


def _form(schema_cls, **extra):
    class Form(schema_cls):
        class Meta:
            unknown = EXCLUDE
    return Form(**extra)


def _index(errors: dict | None = None, form: dict | None = None, status: int = 200):
    actor = current_actor()
    try:
        query = PageArgs().load({k: v for k, v in request.args.items() if v != ""})
    except ValidationError:
        abort(400)
    page, size = query.pop("page"), query.pop("page_size")
    rows, total = code_markets.list_code_markets(actor, offset=(page - 1) * size, limit=size,
                                                 **query)
    return render_template(
        "gis/markets.html", rows=rows, total=total, page=page, page_size=size,
        pager_args={k: v for k, v in request.args.items() if k in ("market", "state", "code")},
        overdue=supervision.overdue(actor), plans=supervision.list_plans(actor),
        renewals=market_reminders.upcoming_renewals(actor), states=list(MarketState),
        countries=countries(_locale()), country_name=_country, today=today(),
        errors=errors or {}, form=form or {}), status


def _locale() -> str:
    return str(get_locale() or "vi")


def _country(code: str) -> str:
    return country_name(code, _locale())


@bp.get("/gis/markets")
@role_required(*OFFICIALS)
def index():
    return _index()


@bp.post("/gis/markets")
@role_required(*OFFICIALS)
def propose():
    try:
        data = _form(MarketProposalIn).load(form_values(trim=True))
        row = code_markets.propose(current_actor(), **data)
    except REFUSED as exc:
        return _index(form_errors(exc), request.form, 422)
    flash(_("Code %(code)s proposed for %(market)s.", code=data["code"].upper(),
            market=_country(row.market)), "success")
    return redirect(url_for("markets.detail", code_market_id=row.id))


@bp.post("/gis/markets/plans")
@role_required(*OFFICIALS)
def set_plan():
    try:
        data = InspectionPlanForm().load(form_values(trim=True))
        plan = supervision.set_plan(current_actor(), **data)
    except REFUSED as exc:
        return _index(form_errors(exc), request.form, 422)
    flash(_("Inspections of %(crop)s for %(market)s every %(days)s days.",
            crop=plan.crop or _("packing houses"), market=_country(plan.market),
            days=plan.cycle_days), "success")
    return redirect(url_for("markets.index"))


def _detail(code_market_id: int, errors: dict | None = None, form: dict | None = None,
            status: int = 200):
    actor = current_actor()
    row, code = code_markets.get_code_market(actor, code_market_id)
    history, _n = inspections.list_inspections(actor, code=code.code, limit=50)
    return render_template(
        "gis/code_market.html", row=row, code=code, history=history, actions=STEPS,
        country_name=_country, outcomes=inspections.OUTCOMES, errors=errors or {},
        form=form or {}), status


@bp.get("/gis/markets/<id:code_market_id>")
@role_required(*OFFICIALS)
def detail(code_market_id):
    return _detail(code_market_id)


@bp.post("/gis/markets/<id:code_market_id>")
@role_required(*OFFICIALS)
def decide(code_market_id):
    try:
        data = _form(MarketDecisionIn).load(form_values(trim=True))
        action = data.pop("action")
        row = code_markets.decide(current_actor(), code_market_id, action, data)
    except REFUSED as exc:
        return _detail(code_market_id, form_errors(exc), request.form, 422)
    flash(_("Saved: %(state)s.", state=_(row.state.value)), "success")
    return redirect(url_for("markets.detail", code_market_id=code_market_id))


@bp.get("/gis/markets/overdue.geojson")
@role_required(*OFFICIALS)
def overdue_geojson():
    response = jsonify(supervision.overdue_features(current_actor()))
    response.mimetype = "application/geo+json"
    return response


def _inspection_form(errors: dict | None = None, form: dict | None = None, status: int = 200):
    return render_template(
        "gis/inspection_form.html", findings=inspections.FINDINGS,
        outcomes=inspections.OUTCOMES, errors=errors or {}, today=today(),
        form=form or {"code": request.args.get("code", ""), "inspected_on": today()},
        chosen=request.form.getlist("findings")), status


@bp.get("/gis/inspections/new")
@role_required(*OFFICIALS)
def new_inspection():
    return _inspection_form()


@bp.post("/gis/inspections/new")
@role_required(*OFFICIALS)
def record_inspection():
    values = form_values(trim=True, lists=("findings",))
    values["markets"] = [m for m in values.pop("markets", "").replace(",", " ").split()]
    photos = [(f.filename or "photo", f.read()) for f in request.files.getlist("photos")
              if f.filename]
    try:
        data = InspectionForm().load(values)
        made = inspections.record_inspection(current_actor(), data, photos)
    except REFUSED as exc:
        return _inspection_form(form_errors(exc), request.form, 422)
    flash(_("Inspection recorded: %(outcome)s.", outcome=inspections.OUTCOMES[made.outcome]),
          "success")
    return redirect(url_for("markets.inspection", inspection_id=made.id))


def _inspection(inspection_id: int, errors: dict | None = None, status: int = 200):
    made, code, photos = inspections.get_inspection(current_actor(), inspection_id)
    return render_template(
        "gis/inspection.html", made=made, code=code, photos=photos,
        findings=inspections.FINDINGS, outcomes=inspections.OUTCOMES, Finding=Finding,
        Outcome=Outcome, country_name=_country, today=today(), errors=errors or {}), status


@bp.get("/gis/inspections/<id:inspection_id>")
@role_required(*OFFICIALS)
def inspection(inspection_id):
    return _inspection(inspection_id)


@bp.post("/gis/inspections/<id:inspection_id>/corrected")
@role_required(*OFFICIALS)
def corrected(inspection_id):
    try:
        data = _form(CorrectionIn).load(form_values(trim=True))
        inspections.mark_corrected(current_actor(), inspection_id, data["corrected_on"])
    except REFUSED as exc:
        return _inspection(inspection_id, form_errors(exc), 422)
    flash(_("The corrective action is closed."), "success")
    return redirect(url_for("markets.inspection", inspection_id=inspection_id))


@bp.get("/gis/inspections/<id:inspection_id>/photos/<id:photo_id>.jpg")
@role_required(*OFFICIALS)
def photo(inspection_id, photo_id):
    data = inspections.get_photo(current_actor(), inspection_id, photo_id)
    return Response(data, mimetype="image/jpeg",
                    headers={"Cache-Control": "private, max-age=3600"})
