"""Batch pages (lô hàng): producers under /portal/batches, officials under /gis/batches
(the same views; the role decides what is offered)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, ValidationError, fields, validate

from ..auth import current_actor
from ..errors import Conflict, Invalid
from ..models import AreaStatus, BatchStatus, FacilityKind, FacilityStatus, Role
from ..schemas.batches import UNITS, BatchIn, BatchQuery, RecallIn
from ..schemas.common import offset_limit
from ..schemas.diary import HoldClearIn
from ..schemas.forms import FormSchema
from ..services import areas, batches, diary, diary_epcis, facilities, products
from .access import role_required, side_routes
from .forms import decimal_text, form_errors, form_values

bp = Blueprint("batches", __name__)
STAFF = (Role.PRODUCER, Role.OFFICIAL, Role.ADMIN)
TIMELINE_PAGE = 50


route = side_routes(bp)


class ListQuery(BatchQuery):
    class Meta:
        unknown = EXCLUDE  # ?lang= rides along


class BatchForm(BatchIn, FormSchema):
    class Meta(FormSchema.Meta):
        pass


class ActionForm(FormSchema):
    pass


class RecallForm(RecallIn, FormSchema):
    confirm = fields.Boolean(required=True, validate=validate.Equal(
        True, error=_l("Tick the box to confirm the recall.")),
        error_messages={"required": _l("Tick the box to confirm the recall.")})


class HoldForm(HoldClearIn, FormSchema):
    pass


def _form_values() -> dict:
    values = form_values(lists=("area_ids",), trim=True)
    if "quantity" in values:
        values["quantity"] = decimal_text(values["quantity"])
    return values


@route("/batches", methods=["GET"])
@role_required(*STAFF)
def index(side: str):
    actor = current_actor()
    args = {k: v for k, v in request.args.items() if v != ""}
    try:
        query = ListQuery().load(args)
    except ValidationError as exc:
        errors, query = form_errors(exc), ListQuery().load({})
    else:
        errors = {}
    rows, total = batches.list_batches(actor, **offset_limit(dict(query)))
    product_list, _n = products.list_products(actor, limit=100)
    filters = {k: v for k, v in args.items() if k in ("status", "product_id", "q")
               and k not in errors}
    return render_template("batches/index.html", side=side, rows=rows, total=total,
                           page=query["page"], page_size=query["page_size"], filters=filters,
                           products=product_list, statuses=list(BatchStatus), units=UNITS,
                           errors=errors), 400 if errors else 200


def _choices(actor) -> dict:
    """What the new-batch form offers: the organisation's products, issued areas and
    active packing houses."""
    product_list, _n = products.list_products(actor, limit=100)
    area_list, _n = areas.list_areas(actor, status=AreaStatus.ISSUED, limit=200)
    houses, _n = facilities.list_facilities(actor, kind=FacilityKind.PACKING_HOUSE,
                                            status=FacilityStatus.ACTIVE, limit=100)
    return {"products": product_list, "areas": area_list, "houses": houses, "units": UNITS}


@route("/batches/new", sides=("portal",), methods=["GET", "POST"])
@role_required(Role.PRODUCER)
def new(side: str):
    actor = current_actor()
    errors = {}
    if request.method == "POST":
        try:
            batch = batches.create_batch(actor, BatchForm().load(_form_values()))
        except (ValidationError, Invalid, Conflict) as exc:
            errors = form_errors(exc)
        else:
            flash(_("Batch %(lot)s is open.", lot=batch.lot_code), "success")
            return redirect(url_for("batches.detail", side=side, batch_id=batch.id))
    chosen = {int(i) for i in request.form.getlist("area_ids") if i.isdigit()}
    return render_template("batches/new.html", side=side, errors=errors, form=request.form,
                           chosen=chosen, **_choices(actor)), 400 if errors else 200


@route("/batches/<id:batch_id>", methods=["GET"])
@role_required(*STAFF)
def detail(side: str, batch_id: int, errors=None, status_code=200):
    actor = current_actor()
    batch = batches.get_batch(actor, batch_id)
    page = max(1, request.args.get("page", 1, type=int) or 1)
    events, n_events = diary.list_events(actor, history_of=batch, newest_first=True,
                                         offset=(page - 1) * TIMELINE_PAGE,
                                         limit=TIMELINE_PAGE)
    return render_template("batches/detail.html", side=side, batch=batch, events=events,
                           n_events=n_events, page=page, page_size=TIMELINE_PAGE,
                           units=UNITS, errors=errors or {}, form=request.form,
                           producer=actor.role == Role.PRODUCER,
                           official=actor.role in (Role.OFFICIAL, Role.ADMIN)), status_code


def _act(side: str, batch_id: int, schema, call, done: str):
    """Run one action on the batch; a refusal is shown on the batch's page. Not found
    and forbidden go to the error page like anywhere else."""
    try:
        call(current_actor(), batch_id, schema().load(request.form.to_dict()))
    except (ValidationError, Invalid, Conflict) as exc:
        return detail(side=side, batch_id=batch_id, errors=form_errors(exc), status_code=400)
    flash(done, "success")
    return redirect(url_for("batches.detail", side=side, batch_id=batch_id))


@route("/batches/<id:batch_id>/close", methods=["POST"])
@role_required(*STAFF)
def close(side: str, batch_id: int):
    return _act(side, batch_id, ActionForm,
                lambda actor, i, form: batches.close_batch(actor, i),
                _("The batch is closed."))


@route("/batches/<id:batch_id>/recall", methods=["POST"])
@role_required(*STAFF)
def recall(side: str, batch_id: int):
    return _act(side, batch_id, RecallForm,
                lambda actor, i, form: batches.recall_batch(actor, i, form["reason"]),
                _("The batch is recalled; every stamp of it now shows the recall."))


@route("/batches/<id:batch_id>/clear-hold", methods=["POST"])
@role_required(*STAFF)
def clear_hold(side: str, batch_id: int):
    return _act(side, batch_id, HoldForm,
                lambda actor, i, form: diary.clear_hold(actor, i, form["reason"]),
                _("The hold is cleared."))


@route("/batches/<id:batch_id>/epcis", sides=("portal",), methods=["POST"])
@role_required(Role.PRODUCER)
def import_epcis(side: str, batch_id: int):
    """Events from an EPCIS 2.0 file into the batch's diary: all of them or none, each
    problem shown with the event's number and field."""
    upload = request.files.get("document")
    if upload is None or not upload.filename:
        return detail(side=side, batch_id=batch_id, status_code=400,
                      errors={"document": [_("Choose an EPCIS 2.0 file (.jsonld or .json).")]})
    try:
        done = diary_epcis.import_batch_events(current_actor(), batch_id, upload.read())
    except (Invalid, Conflict) as exc:
        problems = [f"{field}: {' '.join(map(str, msgs))}" for field, msgs in exc.errors.items()]
        return detail(side=side, batch_id=batch_id, status_code=400,
                      errors={"_": [exc.detail, *problems]})
    flash(_("%(n)s events imported; %(skipped)s already in the diary.",
            n=len(done["imported"]), skipped=len(done["skipped"])), "success")
    return redirect(url_for("batches.detail", side=side, batch_id=batch_id))
