"""Transformations at packing houses and processors, export lots for a destination
market, and their cartons and pallets (SSCC, GS1 AI 00) with labels."""
from __future__ import annotations

from flask import Response
from flask.views import MethodView

from ..auth import current_actor
from ..schemas.transformations import (CartonsIn, ExportLotIn, LogisticUnitOut, LotOut,
                                       SsccQuery, TransformationIn, TransformationOut)
from ..services import cartons
from ..services import transformations as service
from . import ApiBlueprint as Blueprint

# Three collections under /api/v1 share this blueprint (and its tag in the API document).
PREFIX = ""
blp = Blueprint("api_transformations", __name__, description="Transformations (chế biến, "
                "đóng gói), export lots (lô xuất khẩu) and their cartons (SSCC).")


@blp.route("/transformations")
class Transformations(MethodView):
    @blp.arguments(TransformationIn)
    @blp.response(201, TransformationOut)
    def post(self, data):
        """Record a transformation at your packing house or processor: quantities of lots
        you hold become lots of your own products. Outputs may not exceed the inputs
        beyond the product's yield factor; the loss is recorded."""
        return service.transform(current_actor(), data)


@blp.route("/transformations/<id:transformation_id>")
class TransformationById(MethodView):
    @blp.response(200, TransformationOut)
    def get(self, transformation_id):
        return service.get_transformation(current_actor(), transformation_id)


@blp.route("/export-lots")
class ExportLots(MethodView):
    @blp.arguments(ExportLotIn)
    @blp.response(201, LotOut)
    def post(self, data):
        """Make an export lot for a destination market from lots you hold. Inputs from a
        growing area whose code is not issued, or through a packing house without an
        active code, are refused, naming the code."""
        return service.make_export_lot(current_actor(), data)


@blp.route("/export-lots/<id:lot_id>/cartons")
class ExportLotCartons(MethodView):
    @blp.arguments(CartonsIn)
    @blp.response(201, LogisticUnitOut(many=True))
    def post(self, data, lot_id):
        """Pack cartons of the export lot, each with a new SSCC under your GS1 company
        prefix (and, with `pallet`, a pallet holding them)."""
        return cartons.pack_cartons(current_actor(), lot_id, data["count"],
                                    data["net_weight_kg"], data["packed_on"], data["pallet"])


@blp.route("/export-lots/<id:lot_id>/labels.pdf")
class ExportLotLabels(MethodView):
    @blp.doc(responses={"200": {"description": "One 100 × 150 mm label a page: GS1-128 "
                                "barcode of the SSCC, QR of its Digital Link, orchard and "
                                "packing-house codes.",
                                "content": {"application/pdf": {"schema": {
                                    "type": "string", "format": "binary"}}}}})
    def get(self, lot_id):
        """The carton labels of the export lot, as a PDF."""
        pdf = cartons.carton_labels_pdf(current_actor(), lot_id)
        return Response(pdf, mimetype="application/pdf", headers={
            "Content-Disposition": f'attachment; filename="cartons-{lot_id}.pdf"'})


@blp.route("/sscc/<sscc>")
class SsccLookup(MethodView):
    @blp.arguments(SsccQuery, location="query")
    @blp.response(200, LogisticUnitOut)
    def get(self, query, sscc):
        """A carton or pallet by its SSCC (18 digits, or "(00)" and 18 digits); a wrong
        check digit is refused with the digit it should be."""
        return cartons.find_by_sscc(current_actor(), sscc, own=query["own"])
