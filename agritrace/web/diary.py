"""Farming-diary pages (nhật ký canh tác), made for a phone in the field: the list of
recent entries (producers under /portal/diary, officials read it under /gis/diary)
and a new entry as three small screens — what it is about, what was done, the
details — each a plain form that works without JavaScript."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import (Blueprint, abort, current_app, redirect, render_template, request,
                   url_for)
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, ValidationError, fields, validate

from ..auth import current_actor
from ..errors import Conflict, Invalid
from ..models import DIARY_STEPS, BatchStatus, BizStep, Disposition, Role, TraceEvent
from ..schemas.batches import UNITS
from ..schemas.common import Id, PageQuery, Text, offset_limit
from ..schemas.diary import DETAILS, EventIn
from ..schemas.forms import FormSchema
from ..services import areas, batches, diary
from .access import role_required, side_routes
from .forms import decimal_text, form_errors, form_values

bp = Blueprint("diary", __name__)
STAFF = (Role.PRODUCER, Role.OFFICIAL, Role.ADMIN)

STEP_NAMES = {BizStep.SOWING: _l("Sowing"), BizStep.FERTILISING: _l("Fertilising"),
              BizStep.SPRAYING: _l("Spraying"), BizStep.IRRIGATION: _l("Irrigation"),
              BizStep.HARVESTING: _l("Harvesting"), BizStep.PACKING: _l("Packing"),
              BizStep.LAB_TESTING: _l("Lab testing"), BizStep.SHIPPING: _l("Shipping")}
LABELS = {"variety": _l("Variety"), "note": _l("Note"), "product": _l("Product (trade name)"),
          "active_ingredient": _l("Active ingredient"), "dose": _l("Dose"),
          "phi_days": _l("Pre-harvest interval (days)"), "method": _l("Method"),
          "volume_m3": _l("Water (m³)"), "quantity": _l("Quantity"), "unit": _l("Unit"),
          "analyte": _l("Substance tested"), "result": _l("Result"),
          "limit": _l("Maximum residue limit"), "lab": _l("Laboratory"),
          "report_number": _l("Report number"), "destination": _l("Destination")}
STEP_LABELS = {(BizStep.FERTILISING, "product"): _l("Fertiliser")}
SHOWN = {"product": _l("Product")}  # shorter than the form's label
HINTS = {(BizStep.SPRAYING, "phi_days"): _l("Days after spraying before the crop may be "
                                              "harvested; it is printed on the pesticide "
                                              "label."),
         (BizStep.LAB_TESTING, "limit"): _l("In the same unit as the result.")}
PLACEHOLDERS = {(BizStep.IRRIGATION, "method"): _l("e.g. drip")}


route = side_routes(bp)


# -- showing entries -------------------------------------------------------------

@bp.app_template_global()
def step_name(step) -> str:
    value = getattr(step, "value", step)
    return str(STEP_NAMES.get(value, value.replace("_", " ")))


@bp.app_template_global()
def local_time(event: TraceEvent) -> datetime:
    """When it happened, on the clock of the place where it was recorded."""
    sign = 1 if event.event_tz[0] == "+" else -1
    offset = timedelta(hours=int(event.event_tz[1:3]), minutes=int(event.event_tz[4:6]))
    return event.event_time.astimezone(timezone(sign * offset))


def _number(value) -> str:
    return format_decimal(value) if isinstance(value, (int, float)) else str(value)


@bp.app_template_global()
def entry_phrases(event: TraceEvent) -> list[str]:
    """The details of an entry in words, in the order of its form. Keys the forms do
    not know (older or imported entries) are shown by name."""
    details = {k: v for k, v in (event.details or {}).items() if v not in (None, "")}
    step = event.biz_step
    known = list(DETAILS[step]().fields) if step in DETAILS else []
    said = []
    if step == BizStep.LAB_TESTING and {"analyte", "result", "limit"} <= details.keys():
        unit = details.pop("unit", "")
        said.append(_("%(analyte)s: %(result)s %(unit)s (limit %(limit)s %(unit)s)",
                      analyte=details.pop("analyte"), result=_number(details.pop("result")),
                      unit=unit, limit=_number(details.pop("limit"))))
    if step == BizStep.SPRAYING and {"product", "active_ingredient"} <= details.keys():
        said.append(f"{details.pop('product')} ({details.pop('active_ingredient')})")
    if "quantity" in details:
        unit = details.pop("unit", "KGM")
        said.append(f"{_number(details.pop('quantity'))} {UNITS.get(unit, unit)}")
    for key in [k for k in known if k in details] + [k for k in details if k not in known]:
        value = details[key]
        if key == "phi_days":
            said.append(_("pre-harvest interval %(n)s days", n=value))
        elif key == "volume_m3":
            said.append(_("%(n)s m³ of water", n=_number(value)))
        elif key == "dose":
            said.append(str(value))
        else:
            label = STEP_LABELS.get((step, key)) or SHOWN.get(key) or LABELS.get(key) \
                or key.replace("_", " ")
            said.append(f"{label}: {_number(value)}")
    return said


@bp.app_template_global()
def entry_verdict(event: TraceEvent) -> str | None:
    if event.disposition == Disposition.CONFORMANT:
        return _("conformant")
    if event.disposition == Disposition.NON_CONFORMANT:
        return _("non-conformant")
    return None


class ListQuery(PageQuery):
    class Meta:
        unknown = EXCLUDE  # ?lang= rides along
    area_id = Id()
    batch_id = Id()


@route("/diary", methods=["GET"])
@role_required(*STAFF)
def index(side: str):
    actor = current_actor()
    try:
        query = ListQuery().load({k: v for k, v in request.args.items() if v != ""})
    except ValidationError:
        abort(400)
    rows, total = diary.list_events(actor, newest_first=True, **offset_limit(dict(query)))
    area_of, batch_of = diary.subjects(rows)
    return render_template("diary/index.html", side=side, rows=rows, total=total,
                           page=query["page"], page_size=query["page_size"],
                           area_of=area_of, batch_of=batch_of,
                           can_record=actor.role == Role.PRODUCER)


# -- a new entry, screen by screen ---------------------------------------------

class ScreenQuery(FormSchema):
    area_id = Id(load_default=None)
    batch_id = Id(load_default=None)
    step = fields.String(load_default=None, validate=validate.OneOf([s.value for s in DIARY_STEPS]))
    q = Text(load_default=None, max_length=100)


class WhenForm(FormSchema):
    date = fields.Date(required=True)
    time = fields.Time(load_default=None, error_messages={
        "invalid": _l("Not a valid time (use HH:MM).")})


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def _event_time(when: dict) -> datetime:
    """The entry's time on the farm's clock. Without a time, an entry for today is
    now; one for another day is put at noon, far from midnight, so the day cannot
    shift whichever zone reads it."""
    zone = _zone()
    if when["time"] is not None:
        return datetime.combine(when["date"], when["time"], zone)
    here = datetime.now(zone).replace(second=0, microsecond=0)
    if when["date"] == here.date():
        return here
    return datetime.combine(when["date"], time(12, 0), zone)


def form_fields(step: str) -> list[dict]:
    """The inputs of one kind of entry, from its details schema."""
    out = []
    for name, field in DETAILS[step]().fields.items():
        if isinstance(field, fields.Integer):
            kind = "numeric"
        elif isinstance(field, fields.Float):
            kind = "decimal"
        elif name == "unit" and not isinstance(field, Text):
            kind = "unit"
        elif name == "note":
            kind = "note"
        else:
            kind = "text"
        placeholder = PLACEHOLDERS.get((step, name))
        if placeholder is None and field.metadata.get("example"):
            placeholder = _("e.g. %(example)s", example=field.metadata["example"])
        out.append({"name": name, "kind": kind, "required": field.required,
                    "label": STEP_LABELS.get((step, name)) or LABELS.get(name, name),
                    "hint": HINTS.get((step, name)), "placeholder": placeholder,
                    "default": field.load_default if isinstance(field.load_default, str)
                    else ""})
    return out


def _details(step: str) -> dict:
    """The posted values of this kind's fields; empty ones are not given."""
    out = {}
    for spec in form_fields(step):
        value = request.form.get(spec["name"], "").strip()
        if value:
            out[spec["name"]] = decimal_text(value) if spec["kind"] in ("numeric", "decimal") \
                else value
    return out


def _subject(actor, query: dict):
    area = areas.get_area(actor, query["area_id"]) if query["area_id"] else None
    batch = batches.get_batch(actor, query["batch_id"]) if query["batch_id"] else None
    return area, batch


@route("/diary/new", sides=("portal",), methods=["GET", "POST"])
@role_required(Role.PRODUCER)
def new(side: str):
    actor = current_actor()
    try:
        query = ScreenQuery().load({k: v for k, v in request.args.items() if v != ""})
    except ValidationError:
        abort(400)
    subject = {k: query[k] for k in ("area_id", "batch_id") if query[k]}
    if not subject:
        area_list, n_areas = areas.list_areas(actor, q=query["q"], limit=100)
        open_batches, n_batches = batches.list_batches(actor, status=BatchStatus.OPEN,
                                                       limit=50)
        return render_template("diary/subject.html", side=side, areas=area_list,
                               n_areas=n_areas, batches=open_batches, n_batches=n_batches,
                               q=query["q"] or "")
    area, batch = _subject(actor, query)
    if query["step"] is None:
        return render_template("diary/step.html", side=side, area=area, batch=batch,
                               subject=subject,
                               steps={step: STEP_NAMES[step] for step in DIARY_STEPS})
    step, errors = query["step"], {}
    if request.method == "POST":
        try:
            when = WhenForm().load(form_values(trim=True))
            data = EventIn().load({"step": step, **subject,
                                   "event_time": _event_time(when).isoformat(),
                                   "details": _details(step)})
            event = diary.record_event(actor, data)
        except (ValidationError, Invalid, Conflict) as exc:
            errors = form_errors(exc)
        else:
            return redirect(url_for("diary.saved", side=side, event_id=event.id))
    today = datetime.now(_zone()).date()
    return render_template("diary/details.html", side=side, area=area, batch=batch,
                           subject=subject, step=step, fields=form_fields(step),
                           units=UNITS, today=today.isoformat(), form=request.form,
                           errors=errors), 400 if errors else 200


@route("/diary/<id:event_id>/saved", sides=("portal",), methods=["GET"])
@role_required(Role.PRODUCER)
def saved(side: str, event_id: int):
    actor = current_actor()
    event = diary.get_event(actor, event_id)
    area_of, batch_of = diary.subjects([event])
    subject = {"batch_id": event.batch_id} if event.batch_id else {"area_id": event.area_id}
    return render_template("diary/saved.html", side=side, event=event,
                           area=area_of.get(event.area_id), batch=batch_of.get(event.batch_id),
                           subject=subject)
