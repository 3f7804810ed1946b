"""The public page of a carton or pallet: where its GS1 Digital Link `/00/{sscc}` (the
QR on the carton label) leads. It shows what a border inspector or a buyer checks:
product, lot, orchard and packing-house codes, destination market and packing date;
never quantities, prices or trading partners."""
from __future__ import annotations

from flask import Blueprint, render_template, request

from ..services import cartons

bp = Blueprint("cartons", __name__)


@bp.route("/00/<sscc>")
def resolve(sscc: str):
    found = cartons.public_carton(sscc)
    if found is None:
        return render_template("cartons/unknown.html", here=request.path, sscc=sscc), 404
    return render_template("cartons/public.html", here=request.path, carton=found,
                           market=cartons.market_name(found.market))
