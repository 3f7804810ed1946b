"""Transformation and export-lot pages (chế biến, đóng gói, lô xuất khẩu): packing
houses and processors under /portal record what they made from the lots they hold,
make export lots and pack them in cartons; the province's officials read them under
/gis. Forms repeat a row per lot, numbered (`inputs-0-batch_id`); no script needed."""
from __future__ import annotations

import re

from flask import (Blueprint, Response, flash, redirect, render_template, request, url_for)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate

from ..auth import current_actor
from ..countries import countries, country_name
from ..errors import Conflict, Invalid
from ..models import FacilityKind, FacilityStatus, Role
from ..schemas.batches import UNITS
from ..schemas.forms import FormSchema
from ..schemas.transformations import MAX_CARTONS, CartonsIn, ExportLotIn, TransformationIn
from ..schemas.messages import localize
from ..services import cartons, facilities, products
from ..services import transformations as service
from .access import role_required, side_routes
from .forms import decimal_text, form_errors, form_values

bp = Blueprint("transformations", __name__)
route = side_routes(bp)
STAFF = (Role.PRODUCER, Role.OFFICIAL, Role.ADMIN)
KINDS = {"grading": _l("Grading"), "packing": _l("Packing"), "drying": _l("Drying"),
         "processing": _l("Processing"), "export": _l("Export lot")}
ROWS, MORE_ROWS, MAX_ROWS = 6, 6, 60
INPUT_FIELDS = ("batch_id", "quantity")
OUTPUT_FIELDS = ("product_id", "lot_code", "quantity", "unit", "pack_date", "expiry_date")
REFUSED = (ValidationError, Invalid, Conflict)


class TransformationForm(TransformationIn, FormSchema):
    class Meta(FormSchema.Meta):
        pass


class ExportLotForm(ExportLotIn, FormSchema):
    class Meta(FormSchema.Meta):
        pass


class CartonsForm(CartonsIn, FormSchema):
    class Meta(FormSchema.Meta):
        pass
    # A form posts text.
    count = fields.Integer(required=True, strict=False, validate=validate.Range(
        1, MAX_CARTONS, error=_l("Pack 1 to %(max)s cartons at a time.", max=MAX_CARTONS)))


@bp.app_context_processor
def _helpers() -> dict:
    return {"kind_name": lambda kind: KINDS.get(getattr(kind, "value", kind), kind),
            "country_name": lambda code: country_name(code, str(get_locale() or "vi"))}


def _rows(group: str, names: tuple[str, ...]) -> list[dict]:
    """The filled rows of a repeated group of inputs, in order; blank rows are skipped."""
    numbers = sorted({int(m.group(1)) for key in request.form
                      if (m := re.fullmatch(rf"{group}-(\d+)-\w+", key))})
    rows = []
    for i in numbers[:MAX_ROWS]:
        row = {name: request.form.get(f"{group}-{i}-{name}", "").strip() for name in names}
        row = {k: decimal_text(v) if k == "quantity" else v for k, v in row.items() if v}
        if set(row) - {"unit"}:
            rows.append(row)
    return rows


def _refusal(exc) -> dict[str, list[str]]:
    """Messages by input name; a row's own (`inputs.2.quantity`) keep their number."""
    if isinstance(exc, ValidationError) and isinstance(exc.messages, dict):
        flat: dict = {}
        _flatten(flat, "", localize(exc.messages))
        return form_errors(ValidationError(flat))
    return form_errors(exc)


def _flatten(out: dict, prefix: str, messages) -> None:
    if isinstance(messages, dict):
        for key, value in messages.items():
            _flatten(out, f"{prefix}.{key}" if prefix else str(key), value)
    else:
        out[prefix] = messages


def _row_count(filled: int) -> int:
    asked = request.args.get("rows", ROWS, type=int) or ROWS
    return min(MAX_ROWS, max(ROWS, asked, filled + 1))


def _choices(actor) -> dict:
    """What the forms offer: the lots held, the organisation's products, its active
    packing houses and processing places."""
    product_list, _n = products.list_products(actor, limit=100)
    places, _n = facilities.list_facilities(actor, status=FacilityStatus.ACTIVE, limit=100)
    return {"held": service.held_lots(actor), "products": product_list, "units": UNITS,
            "places": [f for f in places if f.kind in (FacilityKind.PACKING_HOUSE,
                                                       FacilityKind.PROCESSING)]}


@route("/transformations", methods=["GET"])
@role_required(*STAFF)
def index(side: str):
    page = max(1, request.args.get("page", 1, type=int) or 1)
    rows, total = service.list_transformations(current_actor(), offset=(page - 1) * 20,
                                               limit=20)
    return render_template("transformations/index.html", side=side, rows=rows, total=total,
                           page=page, page_size=20, units=UNITS)


@route("/transformations/new", sides=("portal",), methods=["GET", "POST"])
@role_required(Role.PRODUCER)
def new(side: str):
    actor = current_actor()
    errors, inputs, outputs = {}, [], []
    if request.method == "POST":
        inputs, outputs = _rows("inputs", INPUT_FIELDS), _rows("outputs", OUTPUT_FIELDS)
        try:
            data = TransformationForm().load({**form_values(trim=True), "inputs": inputs,
                                               "outputs": outputs})
            made = service.transform(actor, data)
        except REFUSED as exc:
            errors = _refusal(exc)
        else:
            flash(_("Recorded: %(lots)s made.", lots=", ".join(
                lot.lot_code for lot in made.outputs)), "success")
            return redirect(url_for("transformations.detail", side=side,
                                    transformation_id=made.id))
    return render_template("transformations/new.html", side=side, errors=errors,
                           form=request.form, kinds=list(KINDS.items())[:-1],
                           input_rows=_row_count(len(inputs)), output_rows=3,
                           **_choices(actor)), 400 if errors else 200


@route("/transformations/<id:transformation_id>", methods=["GET"])
@role_required(*STAFF)
def detail(side: str, transformation_id: int):
    made = service.get_transformation(current_actor(), transformation_id)
    return render_template("transformations/detail.html", side=side, made=made, units=UNITS)


@route("/export-lots/new", sides=("portal",), methods=["GET", "POST"])
@role_required(Role.PRODUCER)
def new_export(side: str):
    actor = current_actor()
    errors, inputs = {}, []
    if request.method == "POST":
        inputs = _rows("inputs", INPUT_FIELDS)
        try:
            data = ExportLotForm().load({**form_values(trim=True), "inputs": inputs})
            lot = service.make_export_lot(actor, data)
        except REFUSED as exc:
            errors = _refusal(exc)
        else:
            flash(_("Export lot %(lot)s is made.", lot=lot.lot_code), "success")
            return redirect(url_for("transformations.export_lot", side=side, lot_id=lot.id))
    return render_template("transformations/new_export.html", side=side, errors=errors,
                           form=request.form, input_rows=_row_count(len(inputs)),
                           markets=countries(str(get_locale() or "vi")), **_choices(actor)), \
        400 if errors else 200


@route("/export-lots/<id:lot_id>", methods=["GET"])
@role_required(*STAFF)
def export_lot(side: str, lot_id: int, errors=None, status_code=200):
    lot, units, origins = cartons.export_lot(current_actor(), lot_id)
    return render_template("transformations/export_lot.html", side=side, lot=lot,
                           units=units, origins=origins, market=cartons.market_name(lot.market),
                           errors=errors or {}, form=request.form,
                           producer=current_actor().role == Role.PRODUCER), status_code


@route("/export-lots/<id:lot_id>/cartons", sides=("portal",), methods=["POST"])
@role_required(Role.PRODUCER)
def pack(side: str, lot_id: int):
    form = {k: decimal_text(v) for k, v in form_values(trim=True).items()}
    form["pallet"] = "true" if request.form.get("pallet") else "false"
    try:
        data = CartonsForm().load(form)
        made = cartons.pack_cartons(current_actor(), lot_id, data["count"],
                                    data["net_weight_kg"], data["packed_on"], data["pallet"])
    except REFUSED as exc:
        return export_lot(side=side, lot_id=lot_id, errors=_refusal(exc), status_code=400)
    flash(_("%(n)s SSCCs drawn: %(first)s … %(last)s.", n=len(made), first=made[0].sscc,
            last=made[-1].sscc), "success")
    return redirect(url_for("transformations.export_lot", side=side, lot_id=lot_id))


@route("/export-lots/<id:lot_id>/labels.pdf", methods=["GET"])
@role_required(*STAFF)
def labels(side: str, lot_id: int):
    try:
        pdf = cartons.carton_labels_pdf(current_actor(), lot_id)
    except Invalid as exc:
        return export_lot(side=side, lot_id=lot_id, errors=form_errors(exc), status_code=400)
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="cartons-{lot_id}.pdf"'})
