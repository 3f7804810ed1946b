"""The capacity ledger for officials at /gis/capacity: the expected yields with a form
to set the province's own, and every issued code's capacity against the harvests
declared under it, flagged codes first. The officials' map draws the flagged codes
from /gis/capacity/flagged.geojson."""
from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from marshmallow import EXCLUDE, ValidationError

from ..auth import current_actor
from ..clock import today
from ..errors import DomainError
from ..models import Role
from ..schemas.capacity import CapacityQuery, CropYieldForm
from ..schemas.common import offset_limit
from ..services import capacity
from .access import role_required
from .forms import decimal_text, form_errors, form_values

bp = Blueprint("capacity", __name__, url_prefix="/gis/capacity")
OFFICIALS = (Role.OFFICIAL, Role.ADMIN)


class PageArgs(CapacityQuery):
    class Meta:
        unknown = EXCLUDE  # ?lang= rides along


def _query() -> dict:
    try:
        return PageArgs().load({k: v for k, v in request.args.items() if v != ""})
    except ValidationError:
        abort(400)


def _page(errors: dict | None = None, form: dict | None = None, status: int = 200):
    actor = current_actor()
    query = _query()
    year = query.get("year") or today().year
    page, size = query["page"], query["page_size"]
    args = offset_limit(dict(query))
    rows, total = capacity.capacity_report(actor, year, args["flagged"],
                                           offset=args["offset"], limit=args["limit"])
    return render_template(
        "gis/capacity.html", rows=rows, total=total, page=page, page_size=size, year=year,
        flagged_only=query["flagged"], yields=capacity.list_yields(actor),
        errors=errors or {}, form=form or {}, default_province=capacity.DEFAULT_PROVINCE,
        pager_args={"year": year, **({"flagged": "true"} if query["flagged"] else {})},
        number=format_decimal,
    ), status


@bp.get("")
@role_required(*OFFICIALS)
def index():
    return _page()


@bp.post("/yields")
@role_required(*OFFICIALS)
def set_yield():
    """The form beside the yields table: a crop's yield, seasons and margin."""
    values = form_values(trim=True)
    if "yield_kg_per_ha" in values:
        values["yield_kg_per_ha"] = decimal_text(values["yield_kg_per_ha"])
    try:
        data = CropYieldForm().load(values)
        row = capacity.set_yield(current_actor(), **data)
    except (ValidationError, DomainError) as exc:
        return _page(form_errors(exc), request.form, 422)
    flash(_("Expected yield of %(crop)s saved: %(kg)s kg/ha a season, %(n)s seasons a year, "
            "margin %(margin)s %%.", crop=row.crop, kg=format_decimal(row.yield_kg_per_ha),
            n=row.seasons_per_year, margin=row.margin_pct), "success")
    return redirect(url_for("capacity.index", year=request.args.get("year") or None))


@bp.get("/flagged.geojson")
@role_required(*OFFICIALS)
def flagged():
    """The flagged codes' polygons, for the officials' map."""
    query = _query()
    response = jsonify(capacity.flagged_features(current_actor(), query.get("year")))
    response.mimetype = "application/geo+json"
    return response
