"""EUDR pages (Regulation (EU) 2023/1115): the province's officials upload the forest
map of 31 December 2020 (bản đồ hiện trạng rừng) under /gis/forest-maps; on an export
lot of coffee, rubber, cocoa or wood to the EU, its exporter checks the plots of the
lot's chain and keeps the due-diligence package (hồ sơ thẩm định), downloads the
submission document and the EUDR GeoJSON, and stores the numbers the EU information
system returns; whoever receives the lot reads them on the same page."""
from __future__ import annotations

import json
import re

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from ..auth import current_actor
from ..errors import Conflict, Invalid, NotFound
from ..models import LotOrigin, Role
from ..schemas.due_diligence import DueDiligenceIn, ForestMapForm, NumbersIn
from ..schemas.forms import FormSchema
from ..services import batches, due_diligence, forest_maps
from ..services.dds_document import submission_xml
from ..services.residue_limits import EU_MEMBERS
from .access import role_required, side_routes
from .forms import decimal_text, form_errors, form_values

bp = Blueprint("due_diligence", __name__)
route = side_routes(bp)
STAFF = (Role.PRODUCER, Role.OFFICIAL, Role.ADMIN)
OFFICIALS = (Role.OFFICIAL, Role.ADMIN)
REFUSED = (ValidationError, Invalid, Conflict)
VERDICTS = {"forest": _l("forest: not deforestation-free"), "negligible": _l("negligible")}
DOCUMENT_ROWS, DOCUMENT_FIELDS = 3, ("title", "number", "issuer", "valid_until")


class MapForm(ForestMapForm, FormSchema):
    class Meta(FormSchema.Meta):
        pass


class PackageForm(DueDiligenceIn, FormSchema):
    class Meta(FormSchema.Meta):
        pass


class NumbersForm(NumbersIn, FormSchema):
    class Meta(FormSchema.Meta):
        pass


@bp.app_context_processor
def _helpers() -> dict:
    # The lot pages offer the due diligence only where the regulation asks for it.
    return {"eudr_lot": lambda lot: lot.origin == LotOrigin.EXPORT and lot.market in EU_MEMBERS}


def _maps_page(errors: dict | None = None, status: int = 200):
    actor = current_actor()
    return render_template("due_diligence/forest_maps.html", maps=forest_maps.list_maps(actor),
                           errors=errors or {}, form=request.form,
                           admin=actor.role == Role.ADMIN), status


@bp.get("/gis/forest-maps")
@role_required(*OFFICIALS)
def maps():
    return _maps_page()


@bp.post("/gis/forest-maps")
@role_required(*OFFICIALS)
def upload_map():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _maps_page({"file": [_("Choose the GeoTIFF file of the forest map.")]}, 422)
    try:
        form = MapForm().load(form_values(trim=True))
        row = forest_maps.upload_forest_map(current_actor(), upload.read(), upload.filename,
                                            **form)
    except REFUSED as exc:
        return _maps_page(form_errors(exc), 422)
    flash(_("Forest map %(filename)s is stored; due-diligence checks now use it.",
            filename=row.filename), "success")
    return redirect(url_for("due_diligence.maps"))


def _page(side: str, lot_id: int, errors: dict | None = None, status: int = 200):
    """The lot's package, or, before there is one, the form that makes it (the lot's
    own organisation) or the reason there is none."""
    actor = current_actor()
    try:
        lot, row = due_diligence.get_due_diligence(actor, lot_id)
        package = due_diligence.package(lot, row)
    except NotFound:
        lot, package = batches.get_batch(actor, lot_id), None   # strangers: 404 here
    except Invalid as exc:   # a lot not counted in a mass cannot be stated
        lot, package = batches.get_batch(actor, lot_id), None
        errors = {**form_errors(exc), **(errors or {})}
    owner = actor.role == Role.PRODUCER and actor.organization_id == lot.organization_id
    return render_template(
        "due_diligence/lot.html", side=side, lot=lot, package=package, errors=errors or {},
        form=request.form, owner=owner, document_rows=DOCUMENT_ROWS, verdicts=VERDICTS,
        eligible=lot.origin == LotOrigin.EXPORT and lot.market in EU_MEMBERS), status


@route("/export-lots/<id:lot_id>/due-diligence", methods=["GET"])
@role_required(*STAFF)
def lot_page(side: str, lot_id: int):
    return _page(side, lot_id)


def _documents() -> list[dict]:
    """The filled rows of legality documents (`documents-0-title`), in order."""
    numbers = sorted({int(m.group(1)) for key in request.form
                      if (m := re.fullmatch(r"documents-(\d+)-\w+", key))})
    rows = []
    for i in numbers[:50]:
        row = {name: request.form.get(f"documents-{i}-{name}", "").strip()
               for name in DOCUMENT_FIELDS}
        if any(row.values()):
            rows.append({k: v for k, v in row.items() if v})
    return rows


def _nested(exc) -> dict[str, list[str]]:
    """A document row's messages under its inputs' names (`documents.1.title`)."""
    if isinstance(exc, ValidationError) and isinstance(exc.messages, dict) \
            and isinstance(exc.messages.get("legality_documents"), dict):
        flat = {k: v for k, v in exc.messages.items() if k != "legality_documents"}
        for i, fields in exc.messages["legality_documents"].items():
            flat.update({f"documents.{i}.{name}": said for name, said in fields.items()})
        return form_errors(ValidationError(flat))
    return form_errors(exc)


@route("/export-lots/<id:lot_id>/due-diligence", methods=["POST"])
@role_required(*STAFF)
def prepare(side: str, lot_id: int):
    values = form_values(trim=True)
    if "threshold_pct" in values:
        values["threshold_pct"] = decimal_text(values["threshold_pct"])
    try:
        data = PackageForm().load({**values, "legality_documents": _documents()})
        row = due_diligence.prepare(current_actor(), lot_id, data)
    except REFUSED as exc:
        return _page(side, lot_id, _nested(exc), 422)
    flash(_("The plots are checked: the lot's verdict is %(verdict)s.",
            verdict=VERDICTS[row.verdict]), "success")
    return redirect(url_for("due_diligence.lot_page", side=side, lot_id=lot_id))


@route("/export-lots/<id:lot_id>/due-diligence/numbers", methods=["POST"])
@role_required(*STAFF)
def numbers(side: str, lot_id: int):
    try:
        data = NumbersForm().load(form_values(trim=True))
        due_diligence.record_numbers(current_actor(), lot_id, **data)
    except REFUSED as exc:
        return _page(side, lot_id, form_errors(exc), 422)
    flash(_("The reference and verification numbers are stored; whoever receives the lot "
            "sees them."), "success")
    return redirect(url_for("due_diligence.lot_page", side=side, lot_id=lot_id))


def _package(lot_id: int) -> dict:
    return due_diligence.package(*due_diligence.get_due_diligence(current_actor(), lot_id))


@route("/export-lots/<id:lot_id>/due-diligence.xml", methods=["GET"])
@role_required(*STAFF)
def document(side: str, lot_id: int):
    """The statement in the EU information system's submission structure."""
    return Response(submission_xml(_package(lot_id)), mimetype="application/xml", headers={
        "Content-Disposition": f'attachment; filename="dds-lot-{lot_id}.xml"'})


@route("/export-lots/<id:lot_id>/due-diligence.geojson", methods=["GET"])
@role_required(*STAFF)
def geojson(side: str, lot_id: int):
    """Every producer's plots in one EUDR GeoJSON file: each feature names its
    producer, so the producers' files join into one collection."""
    features = [feature for producer in _package(lot_id)["producers"]
                for feature in json.loads(producer["geojson"])["features"]]
    data = json.dumps({"type": "FeatureCollection", "features": features},
                      ensure_ascii=False, separators=(",", ":"))
    return Response(data, mimetype="application/geo+json", headers={
        "Content-Disposition": f'attachment; filename="eudr-lot-{lot_id}.geojson"'})
