"""Hand-over pages (giao nhận): the portal's stock, the dispatch form, incoming
hand-overs to confirm or refuse, outgoing ones with any difference, and the external
parties; officials read the hand-overs touching their province under /gis."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, ValidationError

from ..auth import current_actor
from ..clock import today
from ..countries import countries, country_name
from ..errors import Conflict, Invalid
from ..models import HandoverStatus, Role
from ..schemas.batches import UNITS
from ..schemas.common import offset_limit
from ..schemas.forms import FormSchema
from ..schemas.handovers import HandoverIn, HandoverQuery, PartyIn, ReceiptIn, RefusalIn
from ..services import handovers, parties, stock
from .access import role_required, side_routes
from .forms import decimal_text, form_errors, form_values

bp = Blueprint("handovers", __name__)
route = side_routes(bp)
STAFF = (Role.PRODUCER, Role.OFFICIAL, Role.ADMIN)
STATUSES = {HandoverStatus.DISPATCHED: _l("On its way"),
            HandoverStatus.RECEIVED: _l("Receipt confirmed"),
            HandoverStatus.REFUSED: _l("Refused by the receiver"),
            HandoverStatus.DELIVERED: _l("Delivered outside the platform")}
# The dispatch form names the receiver in one list: "org:<id>" or "party:<id>".
RECEIVER_KINDS = {"org": "receiver_id", "party": "external_party_id"}


class ListQuery(HandoverQuery):
    class Meta:
        unknown = EXCLUDE  # ?lang= rides along


class DispatchForm(HandoverIn, FormSchema):
    class Meta(FormSchema.Meta):
        pass


class ReceiptForm(ReceiptIn, FormSchema):
    class Meta(FormSchema.Meta):
        pass


class RefusalForm(RefusalIn, FormSchema):
    class Meta(FormSchema.Meta):
        pass


class PartyForm(PartyIn, FormSchema):
    class Meta(FormSchema.Meta):
        pass


def unit_label(code: str) -> str:
    """"kg" beside a number; a unit without a symbol by its name."""
    symbol = stock.unit_symbol(code)
    return str(UNITS.get(code, code)) if symbol == code else symbol


@bp.app_context_processor
def _helpers() -> dict:
    return {"unit_label": unit_label,
            "country_label": lambda code: country_name(code, str(get_locale()))}


def _page() -> int:
    return max(1, request.args.get("page", 1, type=int) or 1)


@route("/stock", sides=("portal",), methods=["GET"])
@role_required(Role.PRODUCER)
def stock_list(side: str):
    """The lots the organisation holds, each with its balance and a way to dispatch it."""
    page = _page()
    rows, total = stock.list_holdings(current_actor(), offset=(page - 1) * 20, limit=20)
    return render_template("handovers/stock.html", side=side, rows=rows, total=total,
                           page=page, page_size=20)


@route("/handovers", methods=["GET"])
@role_required(*STAFF)
def index(side: str):
    args = {k: v for k, v in request.args.items() if v != ""}
    try:
        query = ListQuery().load(args)
    except ValidationError as exc:
        errors, query = form_errors(exc), ListQuery().load({})
    else:
        errors = {}
    rows, total = handovers.list_handovers(current_actor(), **offset_limit(dict(query)))
    filters = {k: v for k, v in args.items() if k in ("direction", "status")
               and k not in errors}
    return render_template("handovers/index.html", side=side, rows=rows, total=total,
                           page=query["page"], page_size=query["page_size"], filters=filters,
                           statuses=STATUSES, errors=errors), 400 if errors else 200


def _dispatch_values() -> dict:
    values = form_values(trim=True)
    if "quantity" in values:
        values["quantity"] = decimal_text(values["quantity"])
    kind, _sep, receiver = values.pop("receiver", "").partition(":")
    if kind in RECEIVER_KINDS and receiver:
        values[RECEIVER_KINDS[kind]] = receiver
    return values


def _dispatch_errors(exc) -> dict:
    """The receiver's messages beside the one list that chooses it."""
    errors = form_errors(exc)
    for key in RECEIVER_KINDS.values():
        if key in errors:
            errors.setdefault("receiver", []).extend(errors.pop(key))
    return errors


@route("/handovers/new", sides=("portal",), methods=["GET", "POST"])
@role_required(Role.PRODUCER)
def new(side: str):
    actor = current_actor()
    errors = {}
    if request.method == "POST":
        try:
            done = handovers.dispatch_lot(actor, DispatchForm().load(_dispatch_values()))
        except (ValidationError, Invalid, Conflict) as exc:
            errors = _dispatch_errors(exc)
        else:
            flash(_("Lot %(lot)s is dispatched (delivery note %(note)s).",
                    lot=done.batch.lot_code, note=done.delivery_note), "success")
            return redirect(url_for("handovers.detail", side=side, handover_id=done.id), 303)
    q = (request.values.get("q") or "").strip()[:100]
    held, _n = stock.list_holdings(actor, limit=100)
    own, _n = parties.list_parties(actor, limit=None)
    return render_template(
        "handovers/new.html", side=side, errors=errors, form=request.form, q=q, held=held,
        orgs=handovers.receivers(actor, q=q or None), parties=own, today=today(),
        chosen_lot=request.values.get("batch_id", "")), 400 if errors else 200


@route("/handovers/<id:handover_id>", methods=["GET"])
@role_required(*STAFF)
def detail(side: str, handover_id: int, errors=None, status_code=200):
    actor = current_actor()
    handover = handovers.get_handover(actor, handover_id)
    answering = handover.status == HandoverStatus.DISPATCHED and actor.role == Role.PRODUCER \
        and handover.receiver_id == actor.organization_id
    return render_template("handovers/detail.html", side=side, h=handover, statuses=STATUSES,
                           answering=answering, errors=errors or {}, form=request.form,
                           today=today()), status_code


def _answer(side: str, handover_id: int, schema, call, done: str):
    """Confirm or refuse; a refusal of the answer is shown on the hand-over's page."""
    values = form_values(trim=True)
    if "received_quantity" in values:
        values["received_quantity"] = decimal_text(values["received_quantity"])
    try:
        call(current_actor(), handover_id, schema().load(values))
    except (ValidationError, Invalid, Conflict) as exc:
        return detail(side=side, handover_id=handover_id, errors=form_errors(exc),
                      status_code=400)
    flash(done, "success")
    return redirect(url_for("handovers.detail", side=side, handover_id=handover_id), 303)


@route("/handovers/<id:handover_id>/receipt", sides=("portal",), methods=["POST"])
@role_required(Role.PRODUCER)
def receipt(side: str, handover_id: int):
    return _answer(side, handover_id, ReceiptForm, handovers.receive_handover,
                   _("The receipt is confirmed; the lot is in your stock."))


@route("/handovers/<id:handover_id>/refusal", sides=("portal",), methods=["POST"])
@role_required(Role.PRODUCER)
def refusal(side: str, handover_id: int):
    return _answer(side, handover_id, RefusalForm,
                   lambda actor, i, form: handovers.refuse_handover(actor, i, form["reason"]),
                   _("The hand-over is refused; the stock went back to the sender."))


@route("/parties", sides=("portal",), methods=["GET", "POST"])
@role_required(Role.PRODUCER)
def party_list(side: str):
    """The organisation's receivers outside the platform, and a form to name one."""
    actor = current_actor()
    errors = {}
    if request.method == "POST":
        try:
            party = parties.create_party(actor, PartyForm().load(form_values(trim=True)))
        except (ValidationError, Invalid, Conflict) as exc:
            errors = form_errors(exc)
        else:
            flash(_("%(name)s is added to your external parties.", name=party.name), "success")
            return redirect(url_for("handovers.party_list", side=side), 303)
    rows, total = parties.list_parties(actor, limit=None)
    return render_template("handovers/parties.html", side=side, rows=rows, total=total,
                           errors=errors, form=request.form,
                           countries=countries(str(get_locale()))), 400 if errors else 200
