"""The officials' queue of consumers' reports (phản ánh) under /gis/reports: each with
the stamp, the batch and the stamp's scan history, and a status to set."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, ValidationError, fields, validate

from labels.codes import format_code

from ..auth import current_actor
from ..errors import Conflict
from ..models import ReportStatus, Role, Verdict
from ..schemas.common import PageQuery, Text, offset_limit
from ..schemas.forms import FormSchema
from ..services import reports
from .access import role_required
from .forms import form_errors
from .scan_words import REASONS

bp = Blueprint("reports", __name__)
OFFICIALS = (Role.OFFICIAL, Role.ADMIN)

STATUS_NAMES = {ReportStatus.NEW: _l("New"), ReportStatus.IN_REVIEW: _l("In review"),
                ReportStatus.RESOLVED: _l("Resolved"), ReportStatus.DISMISSED: _l("Dismissed")}
VERDICT_NAMES = {Verdict.GENUINE: _l("Genuine"), Verdict.REPEAT: _l("Scanned before"),
                 Verdict.SUSPECT_COPY: _l("Suspected copy"), Verdict.INACTIVE: _l("Not activated"),
                 Verdict.VOID: _l("Cancelled"), Verdict.UNKNOWN: _l("Unknown code"),
                 Verdict.RECALLED: _l("Recalled"), Verdict.EXPIRED: _l("Expired")}


class ListQuery(PageQuery):
    class Meta:
        unknown = EXCLUDE  # ?lang= rides along
    status = fields.Enum(ReportStatus, by_value=True, load_default=None)


class StatusForm(FormSchema):
    status = fields.Enum(ReportStatus, by_value=True, required=True,
                         validate=validate.OneOf([s for s in ReportStatus
                                                  if s != ReportStatus.NEW]))
    resolution = Text(load_default=None, max_length=2000)


def _globals() -> dict:
    return {"status_names": STATUS_NAMES, "verdict_names": VERDICT_NAMES,
            "reason_names": REASONS, "format_code": format_code}


@bp.get("/gis/reports")
@role_required(*OFFICIALS)
def index():
    try:
        query = ListQuery().load({k: v for k, v in request.args.items() if v != ""})
    except ValidationError:
        abort(400)
    status = query.pop("status")
    page, size = query["page"], query["page_size"]
    rows, total = reports.list_reports(current_actor(), status=status,
                                       **offset_limit(dict(query)))
    return render_template("reports/index.html", rows=rows, total=total, page=page,
                           page_size=size, status=status, statuses=list(ReportStatus),
                           **_globals())


@bp.route("/gis/reports/<id:report_id>", methods=["GET", "POST"])
@role_required(*OFFICIALS)
def detail(report_id: int):
    actor = current_actor()
    errors = {}
    if request.method == "POST":
        try:
            data = StatusForm().load(request.form.to_dict())
            reports.set_report_status(actor, report_id, data["status"], data["resolution"])
        except (ValidationError, Conflict) as exc:
            errors = form_errors(exc)
        else:
            flash(_("The report is now: %(status)s.", status=STATUS_NAMES[data["status"]]),
                  "success")
            return redirect(url_for("reports.detail", report_id=report_id), 303)
    file = reports.get_report(actor, report_id)
    return render_template("reports/detail.html", file=file, report=file.report,
                           errors=errors, form=request.form, statuses=[
                               s for s in ReportStatus if s != ReportStatus.NEW],
                           **_globals()), 400 if errors else 200
