"""Residue limits and lab tests against them; forest maps of 31 December 2020 and the
EUDR due diligence of export lots to the EU."""
from __future__ import annotations

from flask import Response
from flask.views import MethodView

from ..auth import current_actor
from ..schemas.due_diligence import (DueDiligenceIn, DueDiligenceOut, FileUpload, ForestMapForm,
                                     ForestMapOut, LimitOut, LimitQuery, NumbersIn, RuleIn,
                                     RuleOut, TestIn, TestOut, TestQuery, UploadOut)
from ..services import due_diligence, forest_maps, residue_limits, residue_tests
from ..services.dds_document import submission_xml
from . import ApiBlueprint as Blueprint

PREFIX = ""
blp = Blueprint("api_due_diligence", __name__, description="Maximum residue limits per market, "
                "crop and active ingredient; lab residue tests judged against them; forest "
                "maps of 31 December 2020 and the EUDR due diligence of export lots to the EU.")


@blp.route("/residue-limits")
class ResidueLimits(MethodView):
    @blp.arguments(LimitQuery, location="query")
    @blp.response(200, LimitOut(many=True))
    def get(self, query):
        """The limits in force for you: your province's table and the platform's."""
        return residue_limits.list_limits(current_actor(), **query)

    @blp.arguments(FileUpload, location="files")
    @blp.response(201, UploadOut)
    def post(self, files):
        """Upload a CSV of limits (market, crop, ingredient, mrl, unit, source) into your
        province's table; units are checked (mg/kg), nothing is written on an error."""
        upload = files["file"]
        rows = residue_limits.upload_limits(current_actor(), upload.read(),
                                            upload.filename or "limits.csv")
        return {"rows": rows}


@blp.route("/residue-rules/<market>")
class ResidueRules(MethodView):
    @blp.arguments(RuleIn)
    @blp.response(200, RuleOut)
    def put(self, data, market):
        """Export lots for `market` need a passing residue test sampled within so many days."""
        return residue_limits.set_rule(current_actor(), market, data["within_days"])


@blp.route("/residue-tests")
class ResidueTests(MethodView):
    @blp.arguments(TestIn)
    @blp.response(201, TestOut)
    def post(self, data):
        """Record a lab's residue results for a lot or a growing area."""
        return _test_out(residue_tests.record_test(current_actor(), data), None)


@blp.route("/residue-tests/<id:test_id>")
class ResidueTestById(MethodView):
    @blp.arguments(TestQuery, location="query")
    @blp.response(200, TestOut)
    def get(self, query, test_id):
        """A test, with each ingredient's verdict against `market`'s limits."""
        if query.get("market"):
            return _test_out(*residue_tests.judge(current_actor(), test_id, query["market"]))
        return _test_out(residue_tests.get_test(current_actor(), test_id), None)


def _test_out(test, found) -> dict:
    out = {c: getattr(test, c) for c in ("id", "organization_id", "batch_id", "area_id",
                                          "sampled_on", "lab", "report_number")}
    if found is not None:
        return {**out, "market": found[0].market if found else None,
                "verdicts": [v.__dict__ for v in found],
                "passed": bool(found) and all(v.verdict == "within" for v in found)}
    return {**out, "market": None, "passed": None, "verdicts": [
        {"ingredient": r.ingredient, "result_mg_kg": r.result_mg_kg, "mrl_mg_kg": None,
         "verdict": "no_limit"} for r in test.results]}


@blp.route("/forest-maps")
class ForestMaps(MethodView):
    @blp.response(200, ForestMapOut(many=True))
    def get(self):
        """Your province's forest maps, newest (the one in use) first."""
        return forest_maps.list_maps(current_actor())

    @blp.arguments(ForestMapForm, location="form")
    @blp.arguments(FileUpload, location="files")
    @blp.response(201, ForestMapOut)
    def post(self, form, files):
        """Upload a GeoTIFF forest mask of 31 December 2020 (1 = forest), e.g. a JRC Global
        Forest Cover 2020 tile; refused without a CRS."""
        upload = files["file"]
        return forest_maps.upload_forest_map(current_actor(), upload.read(),
                                             upload.filename or "forest.tif", **form)


@blp.route("/export-lots/<id:lot_id>/due-diligence")
class DueDiligence(MethodView):
    @blp.response(200, DueDiligenceOut)
    def get(self, lot_id):
        """The lot's due-diligence package, verdicts and numbers (also for its receivers)."""
        return due_diligence.package(*due_diligence.get_due_diligence(current_actor(), lot_id))

    @blp.arguments(DueDiligenceIn)
    @blp.response(201, DueDiligenceOut)
    def post(self, data, lot_id):
        """Check the lot's plots on the forest map and keep its package."""
        row = due_diligence.prepare(current_actor(), lot_id, data)
        return due_diligence.package(*due_diligence.get_due_diligence(current_actor(),
                                                                      row.batch_id))


@blp.route("/export-lots/<id:lot_id>/due-diligence.xml")
class DueDiligenceXml(MethodView):
    @blp.response(200, content_type="application/xml")
    def get(self, lot_id):
        """The statement in the EU information system's submission structure."""
        data = submission_xml(due_diligence.package(
            *due_diligence.get_due_diligence(current_actor(), lot_id)))
        return Response(data, mimetype="application/xml", headers={
            "Content-Disposition": f'attachment; filename="dds-lot-{lot_id}.xml"'})


@blp.route("/export-lots/<id:lot_id>/due-diligence/numbers")
class DueDiligenceNumbers(MethodView):
    @blp.arguments(NumbersIn)
    @blp.response(200, DueDiligenceOut)
    def put(self, data, lot_id):
        """Keep the reference and verification numbers the EU system returned."""
        due_diligence.record_numbers(current_actor(), lot_id, **data)
        return due_diligence.package(*due_diligence.get_due_diligence(current_actor(), lot_id))
