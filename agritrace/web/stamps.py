"""Stamp pages (tem): order a run for a batch, follow its minting, download the print
files, activate the run once printed, or void it. Producers under /portal, the
province's officials under /gis."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields

from ..auth import current_actor
from ..errors import Conflict, Invalid
from ..models import OrderStatus, Role
from ..schemas.forms import FormSchema
from ..schemas.stamps import LabelsQuery, OrderIn, VoidIn
from ..services import batches, stamp_prints, stamps
from .access import role_required, side_routes
from .forms import form_errors

bp = Blueprint("stamps", __name__)
route = side_routes(bp)
STAFF = (Role.PRODUCER, Role.OFFICIAL, Role.ADMIN)
TEMPLATE_TITLES = {"a4-3x8": _l("A4 sheet, 3 × 8 labels of 70 × 37 mm"),
                   "a4-5x13": _l("A4 sheet, 5 × 13 labels of 38 × 21.2 mm"),
                   "roll-30x20": _l("Roll of 30 × 20 mm labels")}


class OrderForm(OrderIn, FormSchema):
    class Meta(FormSchema.Meta):
        exclude = ("batch_id",)
    # A form posts text: "2 500" and "2,500" are how people write thousands.
    quantity = fields.Integer(required=True, strict=False)


class VoidForm(VoidIn, FormSchema):
    pass


def _quantity_text(value: str) -> str:
    return value.replace(" ", "").replace(",", "").replace(".", "")


@route("/batches/<id:batch_id>/stamps", methods=["GET", "POST"])
@role_required(*STAFF)
def order(side: str, batch_id: int):
    actor = current_actor()
    batch = batches.get_batch(actor, batch_id)
    errors = {}
    if request.method == "POST":
        form = request.form.to_dict()
        if "quantity" in form:
            form["quantity"] = _quantity_text(form["quantity"])
        form.setdefault("pin", "false")
        try:
            data = OrderForm().load(form)
            made = stamps.order_stamps(actor, batch.id, data["quantity"], pin=data["pin"])
        except (ValidationError, Invalid, Conflict) as exc:
            errors = form_errors(exc)
        else:
            if made.run_id:
                flash(_("%(n)s stamps are ready to print.", n=f"{made.quantity:,}"), "success")
                return redirect(url_for("stamps.run", side=side, run_id=made.run_id))
            return redirect(url_for("stamps.progress", side=side, order_id=made.id))
    runs, _n = stamps.list_runs(actor, batch_id=batch.id, limit=100)
    return render_template("stamps/order.html", side=side, batch=batch, runs=runs,
                           orders=stamps.list_orders(actor, batch.id), errors=errors,
                           sync_limit=current_app.config["STAMP_SYNC_LIMIT"],
                           form=request.form), 400 if errors else 200


@route("/stamp-orders/<id:order_id>")
@role_required(*STAFF)
def progress(side: str, order_id: int):
    made = stamps.get_order(current_actor(), order_id)
    if made.status == OrderStatus.DONE:
        return redirect(url_for("stamps.run", side=side, run_id=made.run_id))
    return render_template("stamps/progress.html", side=side, order=made)


@route("/stamp-runs/<id:run_id>")
@role_required(*STAFF)
def run(side: str, run_id: int, errors=None, status_code=200):
    found = stamps.get_run(current_actor(), run_id)
    return render_template("stamps/run.html", side=side, run=found,
                           templates=[(n, TEMPLATE_TITLES.get(n, n))
                                      for n in stamp_prints.template_names()],
                           errors=errors or {},
                           form=request.form), status_code


@route("/stamp-runs/<id:run_id>/print")
@role_required(*STAFF)
def download(side: str, run_id: int):
    try:
        query = LabelsQuery().load({k: v for k, v in request.args.items()
                                    if k in ("format", "template")})
        made = stamp_prints.print_file(current_actor(), run_id, query["format"],
                                       query["template"])
    except (ValidationError, Invalid, Conflict) as exc:
        return run(side=side, run_id=run_id, errors=form_errors(exc), status_code=400)
    return send_file(made.file, mimetype=made.mimetype, as_attachment=True,
                     download_name=made.filename)


def _act(side: str, run_id: int, schema, call, done: str):
    try:
        call(schema().load(request.form.to_dict()))
    except (ValidationError, Invalid, Conflict) as exc:
        return run(side=side, run_id=run_id, errors=form_errors(exc), status_code=400)
    flash(done, "success")
    return redirect(url_for("stamps.run", side=side, run_id=run_id))


@route("/stamp-runs/<id:run_id>/activate", methods=["POST"])
@role_required(*STAFF)
def activate(side: str, run_id: int):
    return _act(side, run_id, FormSchema,
                lambda form: stamps.activate_run(current_actor(), run_id),
                _("The run is active: its stamps now scan as genuine."))


@route("/stamp-runs/<id:run_id>/void", methods=["POST"])
@role_required(*STAFF)
def void(side: str, run_id: int):
    return _act(side, run_id, VoidForm,
                lambda form: stamps.void_run(current_actor(), run_id, form["reason"]),
                _("The run is void: its stamps now scan as void."))

