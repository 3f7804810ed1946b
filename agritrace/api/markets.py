"""Codes' export markets and their supervision: market approvals, inspections, plans
and what is overdue (officials of the code's province decide; owners read)."""
from __future__ import annotations

from flask.views import MethodView

from ..auth import current_actor
from ..models import GrowingArea
from ..schemas.common import offset_limit
from ..schemas.markets import (CodeMarketOut, CodeMarketQuery, CodeScopeIn, CodeScopeOut,
                               CorrectionIn, MarketDecisionIn, InspectionIn, InspectionOut,
                               InspectionQuery, SupervisionOverdueOut, InspectionPlanIn, InspectionPlanOut, MarketProposalIn)
from ..schemas.products import PhotoFile
from ..services import code_markets, inspections, supervision
from . import ApiBlueprint as Blueprint, page_of

PREFIX = "/code-markets"
blp = Blueprint("api_code_markets", __name__, description="Export markets of growing-area "
                "and packing-house codes: proposed by the province, submitted, approved by "
                "the importing authority (date and list reference), suspended or revoked.")
SCOPES_PREFIX = "/code-scopes"
scopes = Blueprint("api_code_scopes", __name__, description="Whether a code is domestic or "
                   "for export.")
INSPECTIONS_PREFIX = "/inspections"
inspected = Blueprint("api_inspections", __name__, description="Inspections (giám sát) of "
                      "codes: findings, photos and an outcome that moves the code's markets.")
PLANS_PREFIX = "/inspection-plans"
plans = Blueprint("api_inspection_plans", __name__, description="How often the province "
                  "inspects codes of a crop approved for a market.")


def market_out(row, code) -> dict:
    kind = "growing_area" if isinstance(code, GrowingArea) else "packing_house"
    return {"id": row.id, "code": code.code, "code_kind": kind, "area_id": row.area_id,
            "facility_id": row.facility_id, "market": row.market, "state": row.state.value,
            "reason": row.reason, "approved_on": row.approved_on,
            "list_reference": row.list_reference, "valid_until": row.valid_until,
            "renew_by": row.renew_by, "updated_at": row.updated_at}


def inspection_out(made, code, photos) -> dict:
    return {"id": made.id, "code": code.code, "inspected_on": made.inspected_on,
            "inspector": made.inspector, "findings": made.findings, "notes": made.notes,
            "outcome": made.outcome.value, "markets": made.markets,
            "correct_by": made.correct_by, "corrected_on": made.corrected_on,
            "photos": photos}


@blp.route("")
class CodeMarkets(MethodView):
    @blp.arguments(CodeMarketQuery, location="query")
    @blp.paged(CodeMarketOut)
    def get(self, query):
        """The market approvals of the codes you may read, by code and market."""
        args = offset_limit(dict(query))
        rows, total = code_markets.list_code_markets(current_actor(), **args)
        return page_of([market_out(r, c) for r, c in rows], total, query)

    @blp.arguments(MarketProposalIn)
    @blp.response(201, CodeMarketOut)
    def post(self, data):
        """Officials: propose a code for an importing market (it becomes an export code)."""
        row = code_markets.propose(current_actor(), **data)
        return market_out(*code_markets.get_code_market(current_actor(), row.id))


@blp.route("/<id:code_market_id>")
class CodeMarketById(MethodView):
    @blp.response(200, CodeMarketOut)
    def get(self, code_market_id):
        return market_out(*code_markets.get_code_market(current_actor(), code_market_id))


@blp.route("/<id:code_market_id>/decision")
class CodeMarketDecision(MethodView):
    @blp.arguments(MarketDecisionIn)
    @blp.response(200, CodeMarketOut)
    def post(self, data, code_market_id):
        """Officials: one step of the approval. An approval without a submission, or a
        suspension or revocation without a reason, is refused and nothing changes."""
        action = data.pop("action")
        code_markets.decide(current_actor(), code_market_id, action, data)
        return market_out(*code_markets.get_code_market(current_actor(), code_market_id))


@scopes.route("")
class CodeScopes(MethodView):
    @scopes.arguments(CodeScopeIn)
    @scopes.response(200, CodeScopeOut)
    def post(self, data):
        """Officials: classify a code as domestic or export."""
        return code_markets.set_scope(current_actor(), data["code"], data["scope"])


@inspected.route("")
class Inspections(MethodView):
    @inspected.arguments(InspectionQuery, location="query")
    @inspected.paged(InspectionOut)
    def get(self, query):
        args = offset_limit(dict(query))
        rows, total = inspections.list_inspections(current_actor(), **args)
        return page_of([inspection_out(m, c, []) for m, c in rows], total, query)

    @inspected.arguments(InspectionIn)
    @inspected.response(201, InspectionOut)
    def post(self, data):
        """Officials: record an inspection; its outcome applies to the code's markets in
        the same transaction. A date in the future is refused."""
        made = inspections.record_inspection(current_actor(), data)
        return inspection_out(*inspections.get_inspection(current_actor(), made.id))


@inspected.route("/<id:inspection_id>")
class InspectionById(MethodView):
    @inspected.response(200, InspectionOut)
    def get(self, inspection_id):
        return inspection_out(*inspections.get_inspection(current_actor(), inspection_id))


@inspected.route("/<id:inspection_id>/photos")
class InspectionPhotos(MethodView):
    @inspected.arguments(PhotoFile, location="files")
    @inspected.response(201, InspectionOut)
    def post(self, files, inspection_id):
        """Officials: add a photo (multipart/form-data, file field `photo`)."""
        upload = files["photo"]
        inspections.add_photos(current_actor(), inspection_id,
                               [(upload.filename or "photo", upload.read())])
        return inspection_out(*inspections.get_inspection(current_actor(), inspection_id))


@inspected.route("/<id:inspection_id>/corrected")
class InspectionCorrected(MethodView):
    @inspected.arguments(CorrectionIn)
    @inspected.response(200, InspectionOut)
    def post(self, data, inspection_id):
        """Officials: the corrective action was done on `corrected_on`."""
        inspections.mark_corrected(current_actor(), inspection_id, data["corrected_on"])
        return inspection_out(*inspections.get_inspection(current_actor(), inspection_id))


@inspected.route("/overdue")
class Overdue(MethodView):
    @inspected.response(200, SupervisionOverdueOut)
    def get(self):
        """Codes past their inspection date and corrective actions past theirs."""
        return supervision.overdue(current_actor())


@plans.route("")
class Plans(MethodView):
    @plans.response(200, InspectionPlanOut(many=True))
    def get(self):
        return supervision.list_plans(current_actor())

    @plans.arguments(InspectionPlanIn)
    @plans.response(200, InspectionPlanOut)
    def post(self, data):
        """Officials: set the inspection cycle of a crop ('' for packing houses) and
        market in the province."""
        return supervision.set_plan(current_actor(), **data)
