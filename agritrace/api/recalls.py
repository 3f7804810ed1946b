"""Recalls (thu hồi) that reach every holder: start one, follow its progress, confirm
what a holder did with its stock, and read the organisation's notices."""
from __future__ import annotations

from flask.views import MethodView

from ..auth import current_actor
from ..schemas.common import offset_limit
from ..schemas.recalls import (ConfirmationIn, RecallHolderOut, NoticeOut, NoticeQuery, LotRecallIn,
                               RecallOut, RecallProgressOut)
from ..services import notices
from ..services import recalls as service
from . import ApiBlueprint as Blueprint, page_of

PREFIX = "/recalls"
blp = Blueprint("api_recalls", __name__, description="Recalls of a lot and every lot made "
                "from it, with the progress of the holders' confirmations.")
HOLDERS_PREFIX = "/recall-holders"
holders = Blueprint("api_recall_holders", __name__, description="A holder's stock of a "
                    "recalled lot, and its confirmation of what it did with it.")
NOTICES_PREFIX = "/notices"
inbox = Blueprint("api_notices", __name__, description="The organisation's inbox (hộp thư).")


@blp.route("")
class Recalls(MethodView):
    @blp.arguments(LotRecallIn)
    @blp.response(201, RecallOut)
    def post(self, data):
        """Recall a lot (its producer or holder, or an official of its province): every lot
        made from it is recalled too, and each holder of stock is notified."""
        return service.recall_lot(current_actor(), data["batch_id"], data["reason"])


@blp.route("/<id:recall_id>")
class RecallById(MethodView):
    @blp.response(200, RecallProgressOut)
    def get(self, recall_id):
        """A recall's progress: holders notified and confirmed, stock unaccounted for."""
        return service.recall_progress(current_actor(), recall_id)


@holders.route("/<id:holder_id>/confirmation")
class Confirmation(MethodView):
    @holders.arguments(ConfirmationIn)
    @holders.response(200, RecallHolderOut)
    def post(self, data, holder_id):
        """Say what your organisation did with its stock of a recalled lot (once)."""
        return service.confirm_recall(current_actor(), holder_id, data["action"],
                                      data["quantity"], data["note"])


@inbox.route("")
class Notices(MethodView):
    @inbox.arguments(NoticeQuery, location="query")
    @inbox.paged(NoticeOut)
    def get(self, query):
        """Your organisation's notices, unread first."""
        rows, total = notices.list_notices(current_actor(), **offset_limit(dict(query)))
        return page_of(rows, total, query)
