"""Trace back and forward (truy xuất) from a lot, an SSCC, a stamp, a growing-area code or
a packing-house code; and a lot's chain as an EPCIS 2.0 document."""
from __future__ import annotations

from flask.views import MethodView

from ..auth import current_actor
from ..schemas.trace import TraceOut, TraceQuery
from ..services import trace as service
from ..services import trace_epcis
from . import ApiBlueprint as Blueprint
from .epcis import DOCUMENT, document_response

PREFIX = "/trace"
blp = Blueprint("api_trace", __name__, description="Trace a lot back (what it was made "
                "from) and forward (what was made from it): lots, transformations, "
                "hand-overs, holders and cartons. Officials see the chains that touch their "
                "province; an organisation one step back and one forward of its own lots.")


def _trace(kind: service.StartKind, value, query: dict):
    return service.trace(current_actor(), service.Start(kind, value), **query)


@blp.route("/lots/<id:batch_id>")
class TraceLot(MethodView):
    @blp.arguments(TraceQuery, location="query")
    @blp.response(200, TraceOut)
    def get(self, query, batch_id):
        """The chain through one lot."""
        return _trace(service.StartKind.LOT, batch_id, query)


@blp.route("/sscc/<sscc>")
class TraceSscc(MethodView):
    @blp.arguments(TraceQuery, location="query")
    @blp.response(200, TraceOut)
    def get(self, query, sscc):
        """The chain through the lot of a carton, or the lots on a pallet (SSCC, GS1 AI 00)."""
        return _trace(service.StartKind.SSCC, sscc, query)


@blp.route("/stamps/<code>")
class TraceStamp(MethodView):
    @blp.arguments(TraceQuery, location="query")
    @blp.response(200, TraceOut)
    def get(self, query, code):
        """The chain through the lot of a stamp (its printed code)."""
        return _trace(service.StartKind.STAMP, code, query)


@blp.route("/areas/<code>")
class TraceArea(MethodView):
    @blp.arguments(TraceQuery, location="query")
    @blp.response(200, TraceOut)
    def get(self, query, code):
        """The chains through the harvests of a growing-area code (its newest 200 lots)."""
        return _trace(service.StartKind.AREA, code, query)


@blp.route("/facilities/<code>")
class TraceFacility(MethodView):
    @blp.arguments(TraceQuery, location="query")
    @blp.response(200, TraceOut)
    def get(self, query, code):
        """The chains through the lots packed or made at a packing house, by its code
        (its newest 200 lots)."""
        return _trace(service.StartKind.FACILITY, code, query)


@blp.route("/lots/<id:batch_id>/epcis")
class TraceLotEpcis(MethodView):
    @blp.doc(responses={"200": DOCUMENT})
    def get(self, batch_id):
        """The lot's chain, back and forward, as an EPCIS 2.0 document: hand-overs as
        shipping and receiving events, transformations, cartons packed, recalls."""
        doc = trace_epcis.export_chain(current_actor(), batch_id)
        return document_response(doc, filename=f"epcis-chain-{batch_id}.jsonld")
