"""Hand-overs (giao nhận) of lots between holders, the holders' stock, and the
external parties (receivers outside the platform) an organisation ships to."""
from __future__ import annotations

from flask.views import MethodView

from ..auth import current_actor
from ..schemas.common import PageQuery, offset_limit
from ..schemas.handovers import (HandoverIn, HandoverQuery, HandoverRecordOut, PartyIn,
                                 PartyOut, ReceiptIn, RefusalIn, StockOut, StockQuery)
from ..services import handovers as service
from ..services import parties, stock
from . import ApiBlueprint as Blueprint, page_of

PREFIX = "/handovers"
STOCK_PREFIX = "/stock"
PARTIES_PREFIX = "/parties"
blp = Blueprint("api_handovers", __name__, description="Hand-overs (giao nhận): the holder of "
                "a lot dispatches a quantity to another organisation, which confirms or "
                "refuses it, or to an external party.")
stock_blp = Blueprint("api_stock", __name__, description="Stock: the lots each holder holds, "
                      "from the ledger of receipts, dispatches, uses and write-offs.")
parties_blp = Blueprint("api_parties", __name__, description="External parties: receivers "
                        "outside the platform (importers abroad, unregistered buyers).")


@blp.route("")
class Handovers(MethodView):
    @blp.arguments(HandoverQuery, location="query")
    @blp.paged(HandoverRecordOut)
    def get(self, query):
        """List the hand-overs you may see: your organisation's in and out (an official:
        those touching the province), awaiting an answer first."""
        rows, total = service.list_handovers(current_actor(), **offset_limit(dict(query)))
        return page_of(rows, total, query)

    @blp.arguments(HandoverIn)
    @blp.response(201, HandoverRecordOut)
    def post(self, data):
        """Dispatch a quantity of a lot you hold; to an organisation it waits for its
        receipt, to an external party it is delivered at once."""
        return service.dispatch_lot(current_actor(), data)


@blp.route("/<id:handover_id>")
class HandoverById(MethodView):
    @blp.response(200, HandoverRecordOut)
    def get(self, handover_id):
        """A hand-over: its sender, its receiver and the officials of either province."""
        return service.get_handover(current_actor(), handover_id)


@blp.route("/<id:handover_id>/receipt")
class HandoverReceipt(MethodView):
    @blp.arguments(ReceiptIn)
    @blp.response(200, HandoverRecordOut)
    def post(self, data, handover_id):
        """The receiver confirms, once, what arrived (at most what was dispatched)."""
        return service.receive_handover(current_actor(), handover_id, data)


@blp.route("/<id:handover_id>/refusal")
class HandoverRefusal(MethodView):
    @blp.arguments(RefusalIn)
    @blp.response(200, HandoverRecordOut)
    def post(self, data, handover_id):
        """The receiver refuses the goods with a reason; the stock returns to the sender."""
        return service.refuse_handover(current_actor(), handover_id, data["reason"])


@stock_blp.route("")
class Stock(MethodView):
    @stock_blp.arguments(StockQuery, location="query")
    @stock_blp.paged(StockOut)
    def get(self, query):
        """The lots your organisation holds, with their balance (an official: the
        province's holders)."""
        rows, total = stock.list_holdings(current_actor(), **offset_limit(dict(query)))
        return page_of(rows, total, query)


@parties_blp.route("")
class Parties(MethodView):
    @parties_blp.arguments(PageQuery, location="query")
    @parties_blp.paged(PartyOut)
    def get(self, query):
        """Your organisation's external parties."""
        rows, total = parties.list_parties(current_actor(), **offset_limit(dict(query)))
        return page_of(rows, total, query)

    @parties_blp.arguments(PartyIn)
    @parties_blp.response(201, PartyOut)
    def post(self, data):
        """Name a receiver outside the platform: name, country, optional GLN."""
        return parties.create_party(current_actor(), data)
