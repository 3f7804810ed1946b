"""Trace pages (truy xuất): `/trace`, a search by lot, SSCC, stamp, growing-area code or
packing-house code, and `/trace/lots/<id>`, the chain through one lot, drawn on the
server as nested lists a phone can read without scripts. For signed-in officials and
organisations; what each sees is the service's rule."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, ValidationError

from ..auth import current_actor
from ..errors import Invalid, NotFound
from ..models import Role, User
from ..schemas.batches import UNITS
from ..schemas.trace import TraceForm, TraceQuery
from ..services import trace as service
from .access import role_required
from .forms import form_errors

bp = Blueprint("trace", __name__)
STAFF = (Role.PRODUCER, Role.OFFICIAL, Role.ADMIN)

KINDS = {"lot": _l("Lot number or lot code"), "sscc": _l("Carton or pallet (SSCC)"),
         "stamp": _l("Stamp code"), "area": _l("Growing-area code"),
         "facility": _l("Packing-house code")}
DIRECTIONS = {"both": _l("Back and forward"), "back": _l("Back: what it was made from"),
              "forward": _l("Forward: what was made from it")}
# Words for the values the chain carries (lot origins, transformation kinds, hand-over
# statuses), spelled out so that they are extracted for translation.
WORDS = {
    "harvest": _l("harvest"), "transformation": _l("made from other lots"),
    "export": _l("export lot"), "grading": _l("grading"), "packing": _l("packing"),
    "drying": _l("drying"), "processing": _l("processing"),
    "dispatched": _l("on its way"), "received": _l("received"), "refused": _l("refused"),
    "delivered": _l("delivered abroad or off the platform"), "open": _l("open"),
    "closed": _l("closed"), "recalled": _l("recalled"), "carton": _l("carton"),
    "pallet": _l("pallet"),
}


class SearchForm(TraceForm):
    class Meta:
        unknown = EXCLUDE  # ?lang= rides along


class LotQuery(TraceQuery):
    class Meta:
        unknown = EXCLUDE


def _openable(actor: User, found: service.Trace) -> set[int]:
    """The lots whose own page (and diary) the reader may open from the chain."""
    if actor.role == Role.ADMIN:
        return {lot.id for lot in found.lots}
    if actor.role == Role.OFFICIAL:
        return {lot.id for lot in found.lots if lot.province_code == actor.province_code}
    return {lot.id for lot in found.lots if lot.organization_id == actor.organization_id}


def _context(actor: User, found: service.Trace | None) -> dict:
    side = "portal" if actor.role == Role.PRODUCER else "gis"
    return {"trace": found, "openable": _openable(actor, found) if found else set(),
            "side": side, "units": UNITS, "words": WORDS, "kinds": KINDS,
            "directions": DIRECTIONS}


def _start(data: dict) -> service.Start:
    return service.Start(service.StartKind(data["kind"]), data["q"])


@bp.get("/trace")
@role_required(*STAFF)
def search():
    """The search form; with a code, the chains through the lots it stands for."""
    actor = current_actor()
    args = {k: v for k, v in request.args.items() if v.strip()}
    errors, found, status = {}, None, 200
    if "q" in args:
        try:
            data = SearchForm().load(args)
            found = service.trace(actor, _start(data), direction=data["direction"],
                                  max_depth=data["max_depth"])
        except (ValidationError, Invalid, NotFound) as exc:
            errors = form_errors(exc)
            status = 404 if isinstance(exc, NotFound) else 400
    return render_template("trace/index.html", errors=errors, form=request.args,
                           **_context(actor, found)), status


@bp.get("/trace/lots/<id:batch_id>")
@role_required(*STAFF)
def lot(batch_id: int):
    actor = current_actor()
    try:
        query = LotQuery().load(request.args.to_dict())
    except ValidationError:
        query = LotQuery().load({})
    found = service.trace(actor, service.Start(service.StartKind.LOT, batch_id), **query)
    return render_template("trace/lot.html", start=found.by_id[batch_id],
                           direction=query["direction"], **_context(actor, found))
