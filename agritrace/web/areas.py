"""Growing-area pages: producers under /portal/areas, officials under /gis/areas
(the same views; the role decides what is offered), and the public area card."""
from __future__ import annotations

import json

from flask import (Blueprint, Response, abort, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from marshmallow import EXCLUDE, ValidationError, fields, validate

from gis.crs import CHOICES
from gis.export import EXPORT_FORMATS

from ..auth import current_actor
from ..errors import DomainError
from ..models import AreaStatus, Role
from ..problems import describe
from ..schemas.areas import CRS_IDS, DecisionIn, GeoJSONGeometry, ImportForm
from ..schemas.common import Id, Text, WardCode
from ..schemas.forms import FormSchema
from ..services import area_exports, area_imports, areas, organizations
from .access import role_required, side_routes
from .forms import form_errors, form_values, one_line
from .maps import area_map

bp = Blueprint("areas", __name__)
STAFF = (Role.PRODUCER, Role.OFFICIAL, Role.ADMIN)
OFFICIALS = (Role.OFFICIAL, Role.ADMIN)


route = side_routes(bp)


class UploadForm(ImportForm):
    class Meta:
        unknown = EXCLUDE
    crs = fields.String(load_default=None, validate=validate.OneOf(CRS_IDS))


class DrawForm(FormSchema):
    name = Text(required=True, min_length=1, max_length=200)
    crop = Text(required=True, min_length=2, max_length=100)
    organization_id = Id(load_default=None)
    ward_code = WardCode(load_default=None, allow_none=True)
    households = fields.Integer(load_default=None, allow_none=True,
                                validate=validate.Range(0, 100_000))
    repair = fields.Boolean(load_default=False)
    geometry = fields.String(required=True, validate=validate.Length(
        min=10, error=_("Draw the area on the map first.")))


class ActionForm(DecisionIn, FormSchema):
    class Meta:
        unknown = EXCLUDE
    action = fields.String(required=True, validate=validate.OneOf(
        list(areas.TRANSITIONS) + ["accept_polygon", "refuse_polygon"]))


def _organizations(actor):
    if actor.role == Role.PRODUCER:
        return []
    rows, _n = organizations.list_organizations(actor, status="approved", limit=100)
    return rows


@route("/areas/", methods=["GET"])
@role_required(*STAFF)
def index(side: str, errors=None, status_code=200):
    actor = current_actor()
    status = request.args.get("status")
    try:
        status = AreaStatus(status) if status else None
    except ValueError:
        abort(400)
    page = max(1, request.args.get("page", 1, type=int) or 1)
    rows, total = areas.list_areas(actor, status=status, offset=(page - 1) * 100, limit=100)
    waiting, n_waiting = areas.list_areas(actor, status=AreaStatus.SUBMITTED, limit=100)
    proposals, _n = areas.list_areas(actor, proposals=True, limit=100)
    imports, _n = area_imports.list_imports(actor, limit=10)
    return render_template("areas/index.html", side=side, rows=rows, total=total, page=page,
                           status=status, waiting=waiting, n_waiting=n_waiting,
                           proposals=proposals, imports=imports, errors=errors or {},
                           form=request.form, crs_choices=CHOICES, formats=EXPORT_FORMATS,
                           organizations=_organizations(actor), statuses=list(AreaStatus)), \
        status_code


@route("/areas/import", methods=["POST"])
@role_required(*STAFF)
def upload(side: str):
    actor = current_actor()
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise ValidationError({"file": [_("Choose a file to upload.")]})
        form = UploadForm().load(form_values())
        record = area_imports.check_import(actor, upload.read(), upload.filename, **form)
    except (ValidationError, DomainError) as exc:
        return index(side=side, errors=form_errors(exc), status_code=422)
    return redirect(url_for("areas.import_report", side=side, import_id=record.id))


@route("/imports/<id:import_id>", methods=["GET"])
@role_required(*STAFF)
def import_report(side: str, import_id: int):
    record = area_imports.get_import(current_actor(), import_id)
    return render_template("areas/import.html", side=side, record=record,
                           report=record.report, describe=describe)


@route("/imports/<id:import_id>/commit", methods=["POST"])
@role_required(*STAFF)
def import_commit(side: str, import_id: int):
    actor = current_actor()
    choice = request.form.get("then", "draft")
    try:
        if choice == "discard":
            area_imports.discard_import(actor, import_id)
            flash(_("The file was discarded."), "info")
            return redirect(url_for("areas.index", side=side))
        record = area_imports.commit_import(actor, import_id,
                                            skip_invalid=request.form.get("skip_invalid") == "1",
                                            submit=choice in ("submit", "issue"))
        created, _n = areas.list_areas(actor, import_id=record.id, limit=10_000)
        if choice == "issue":
            areas.approve_many(actor, [a.id for a in created
                                       if a.status == AreaStatus.SUBMITTED])
            flash(_("%(n)s areas were imported and their codes issued.", n=len(created)),
                  "success")
        else:
            flash(_("%(n)s areas were imported.", n=len(created)), "success")
    except (ValidationError, DomainError) as exc:
        flash(one_line(form_errors(exc)), "error")
        return redirect(url_for("areas.import_report", side=side, import_id=import_id))
    return redirect(url_for("areas.index", side=side))


@route("/areas/new", methods=["GET", "POST"])
@role_required(*STAFF)
def draw(side: str):
    actor = current_actor()
    errors = {}
    if request.method == "POST":
        try:
            form = DrawForm().load(form_values())
            geometry = GeoJSONGeometry().deserialize(json.loads(form.pop("geometry")))
            area = areas.create_area(actor, {**form, "geometry": geometry})
        except json.JSONDecodeError:
            errors = {"geometry": [_("Draw the area on the map first.")]}
        except (ValidationError, DomainError) as exc:
            errors = form_errors(exc)
        else:
            flash(_("Draft saved: %(ha)s ha.", ha=area.area_ha), "success")
            return redirect(url_for("areas.detail", side=side, area_id=area.id))
    return render_template("areas/new.html", side=side, map=area_map(draw=True), errors=errors,
                           form=request.form, organizations=_organizations(actor)), \
        422 if errors else 200


@route("/areas/<id:area_id>", methods=["GET"])
@role_required(*STAFF)
def detail(side: str, area_id: int):
    actor = current_actor()
    area = areas.get_area(actor, area_id)
    near = areas.neighbours(actor, area)
    rendered = area_map(area, near, link=lambda a: url_for("areas.detail", side=side,
                                                           area_id=a.id))
    return render_template("areas/detail.html", side=side, area=area, neighbours=near,
                           map=rendered, versions=areas.versions(actor, area_id),
                           official=actor.role in OFFICIALS)


@route("/areas/<id:area_id>/act", methods=["POST"])
@role_required(*STAFF)
def act(side: str, area_id: int):
    actor = current_actor()
    try:
        form = ActionForm().load(form_values())
        action = form.pop("action")
        if action in ("accept_polygon", "refuse_polygon"):
            area = areas.decide_proposal(actor, area_id, approve=action == "accept_polygon",
                                         reason=form.get("reason"))
        else:
            area = areas.transition(actor, area_id, action, **form)
    except (ValidationError, DomainError) as exc:
        flash(one_line(form_errors(exc)), "error")
    else:
        flash(_("%(name)s is now %(status)s.", name=area.code or area.name,
                status=_(area.status.value)), "success")
    return redirect(url_for("areas.detail", side=side, area_id=area_id))


@route("/areas/export", methods=["GET"])
@role_required(*STAFF)
def export(side: str):
    fmt = request.args.get("format", "geojson")
    if fmt not in EXPORT_FORMATS:
        abort(400)
    ids = [int(i) for i in request.args.getlist("ids") if i.isdigit()] or None
    status = request.args.get("status") or None
    if status and status not in {s.value for s in AreaStatus}:
        abort(400)
    try:
        data, media_type, name = area_exports.export(
            current_actor(), fmt, ids=ids, status=AreaStatus(status) if status else None,
            import_id=request.args.get("import_id", type=int),
            points_below_4ha=request.args.get("points_below_4ha") == "1")
    except DomainError as exc:
        flash(exc.detail, "error")
        return redirect(url_for("areas.index", side=side))
    return Response(data, mimetype=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/areas/<code>")
def public_card(code: str):
    """The public card of an issued growing area, linked from scanned stamps."""
    area = areas.get_public_area(code)
    return render_template("areas/card.html", area=area, map=area_map(area, height="260px"))
