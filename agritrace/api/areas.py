from __future__ import annotations

from flask import Response
from flask.views import MethodView

from ..auth import current_actor
from ..schemas.areas import (AreaIn, AreaOut, AreaPatch, AreaQuery, AreaSummaryOut, CommitIn,
                             DecisionIn, ExportQuery, ImportFile, ImportForm, ImportOut, ManyIn,
                             PointQuery, ProposalDecisionIn, VersionOut)
from ..schemas.common import PageQuery, offset_limit
from ..services import area_exports, area_imports
from ..services import areas as service
from . import ApiBlueprint as Blueprint, page_of

PREFIX = "/areas"
blp = Blueprint("api_areas", __name__, description="Growing areas (vùng trồng): draft, "
                "submit, review, codes, imports and exports.")

ACTIONS = ("submit", "approve", "reject", "suspend", "reinstate", "revoke")


@blp.route("")
class Areas(MethodView):
    @blp.arguments(AreaQuery, location="query")
    @blp.paged(AreaSummaryOut)
    def get(self, query):
        """List the areas you may see (your organisation's, or your province's)."""
        rows, total = service.list_areas(current_actor(), **offset_limit(dict(query)))
        return page_of(rows, total, query)

    @blp.arguments(AreaIn)
    @blp.response(201, AreaOut)
    def post(self, data):
        """Draft an area from a GeoJSON polygon; area and perimeter are computed."""
        return service.create_area(current_actor(), data)


@blp.route("/at")
class AreasAt(MethodView):
    @blp.doc(security=[{}, {"bearer": []}])
    @blp.arguments(PointQuery, location="query")
    @blp.response(200, AreaSummaryOut(many=True))
    def get(self, query):
        """The areas containing a point (longitude, latitude in WGS84): issued areas for
        everyone, and all the areas you may see when you are logged in."""
        return service.areas_at(current_actor(), query["lon"], query["lat"])


@blp.route("/export")
class AreasExport(MethodView):
    @blp.arguments(ExportQuery, location="query")
    @blp.response(200, content_type="application/octet-stream")
    def get(self, query):
        """Download areas as GeoJSON, KML, zipped Shapefile, GeoPackage, CSV, or the EU
        deforestation regulation's geolocation GeoJSON (`format=eudr`)."""
        fmt = query.pop("format")
        data, media_type, name = area_exports.export(current_actor(), fmt, **query)
        return Response(data, mimetype=media_type, headers={
            "Content-Disposition": f'attachment; filename="{name}"'})


@blp.route("/approve")
class AreasApprove(MethodView):
    @blp.arguments(ManyIn)
    @blp.response(200, AreaSummaryOut(many=True))
    def post(self, data):
        """Issue codes for several submitted areas: all of them or none."""
        return service.approve_many(current_actor(), data["ids"],
                                    valid_until=data.get("valid_until"))


@blp.route("/submit")
class AreasSubmit(MethodView):
    @blp.arguments(ManyIn)
    @blp.response(200, AreaSummaryOut(many=True))
    def post(self, data):
        """Submit several drafts for review: all of them or none."""
        return service.submit_many(current_actor(), data["ids"])


@blp.route("/<id:area_id>")
class AreaById(MethodView):
    @blp.response(200, AreaOut)
    def get(self, area_id):
        return service.get_area(current_actor(), area_id)

    @blp.arguments(AreaPatch)
    @blp.response(200, AreaOut)
    def patch(self, changes, area_id):
        """Change an area. A producer's new polygon for an issued area waits for an
        official (see `proposed_geometry`)."""
        return service.update_area(current_actor(), area_id, changes)

    @blp.response(204)
    def delete(self, area_id):
        """Delete a draft."""
        service.delete_area(current_actor(), area_id)


@blp.route("/<id:area_id>/versions")
class AreaVersions(MethodView):
    @blp.response(200, VersionOut(many=True))
    def get(self, area_id):
        """Every polygon the area has had."""
        return service.versions(current_actor(), area_id)


@blp.route("/<id:area_id>/proposal")
class AreaProposal(MethodView):
    @blp.arguments(ProposalDecisionIn)
    @blp.response(200, AreaOut)
    def post(self, data, area_id):
        """Officials: accept or refuse a producer's new polygon for an issued area."""
        return service.decide_proposal(current_actor(), area_id, approve=data["approve"],
                                       reason=data.get("reason"))


def _action_view(action: str):
    class Action(MethodView):
        @blp.arguments(DecisionIn)
        @blp.response(200, AreaOut)
        def post(self, data, area_id):
            return service.transition(current_actor(), area_id, action, **data)
    Action.post.__doc__ = {
        "submit": "Submit a draft (or a rejected area) for review.",
        "approve": "Officials: approve a submitted area and issue its code.",
        "reject": "Officials: reject a submitted area, with a reason.",
        "suspend": "Officials: suspend an issued code, with a reason.",
        "reinstate": "Officials: reinstate a suspended code.",
        "revoke": "Officials: revoke a code for good, with a reason.",
    }[action]
    Action.__name__ = f"Area{action.title()}"
    blp.route(f"/<id:area_id>/{action}")(Action)


for _action in ACTIONS:
    _action_view(_action)


imports = Blueprint("api_area_imports", __name__, description="Files of plots: check, "
                    "read the report, import the good plots.")
IMPORTS_PREFIX = "/area-imports"


@imports.route("")
class Imports(MethodView):
    @imports.arguments(PageQuery, location="query")
    @imports.paged(ImportOut)
    def get(self, query):
        rows, total = area_imports.list_imports(current_actor(), **offset_limit(dict(query)))
        return page_of(rows, total, query)

    @imports.arguments(ImportForm, location="form")
    @imports.arguments(ImportFile, location="files")
    @imports.response(201, ImportOut)
    def post(self, form, files):
        """Upload GeoJSON, KML/KMZ, zipped Shapefile, GeoPackage, GPX or CSV (WKT) and
        get a report on every plot. With `commit`, the plots are created at once."""
        upload = files["file"]
        return area_imports.check_import(current_actor(), upload.read(),
                                         upload.filename or "upload", **form)


@imports.route("/<id:import_id>")
class ImportById(MethodView):
    @imports.response(200, ImportOut)
    def get(self, import_id):
        return area_imports.get_import(current_actor(), import_id)


@imports.route("/<id:import_id>/commit")
class ImportCommit(MethodView):
    @imports.arguments(CommitIn)
    @imports.response(200, ImportOut)
    def post(self, data, import_id):
        """Create the checked plots as areas, checking them again first."""
        return area_imports.commit_import(current_actor(), import_id, **data)


@imports.route("/<id:import_id>/discard")
class ImportDiscard(MethodView):
    @imports.response(200, ImportOut)
    def post(self, import_id):
        return area_imports.discard_import(current_actor(), import_id)
