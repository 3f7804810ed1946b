from __future__ import annotations

from flask.views import MethodView

from ..auth import current_actor
from ..schemas.batches import BatchIn, BatchOut, BatchPatch, BatchQuery, RecallIn
from ..schemas.diary import HoldClearIn
from ..schemas.common import offset_limit
from ..services import batches as service
from ..services import diary
from . import ApiBlueprint as Blueprint, page_of

PREFIX = "/batches"
blp = Blueprint("api_batches", __name__, description="Harvest batches (lô hàng) on issued "
                "growing areas; closing and recall.")


@blp.route("")
class Batches(MethodView):
    @blp.arguments(BatchQuery, location="query")
    @blp.paged(BatchOut)
    def get(self, query):
        """List the batches you may see (yours, or your province's)."""
        rows, total = service.list_batches(current_actor(), **offset_limit(dict(query)))
        return page_of(rows, total, query)

    @blp.arguments(BatchIn)
    @blp.response(201, BatchOut)
    def post(self, data):
        """Open a batch of one of your products, on your issued growing areas."""
        return service.create_batch(current_actor(), data)


@blp.route("/<id:batch_id>")
class BatchById(MethodView):
    @blp.response(200, BatchOut)
    def get(self, batch_id):
        return service.get_batch(current_actor(), batch_id)

    @blp.arguments(BatchPatch)
    @blp.response(200, BatchOut)
    def patch(self, changes, batch_id):
        """Change an open batch."""
        return service.update_batch(current_actor(), batch_id, changes)


@blp.route("/<id:batch_id>/close")
class BatchClose(MethodView):
    @blp.response(200, BatchOut)
    def post(self, batch_id):
        """Close an open batch (nothing more is added to it)."""
        return service.close_batch(current_actor(), batch_id)


@blp.route("/<id:batch_id>/recall")
class BatchRecall(MethodView):
    @blp.arguments(RecallIn)
    @blp.response(200, BatchOut)
    def post(self, data, batch_id):
        """Recall a batch with a reason (the producer, or an official of its province);
        every stamp of the batch shows it."""
        return service.recall_batch(current_actor(), batch_id, data["reason"])


@blp.route("/<id:batch_id>/clear-hold")
class BatchClearHold(MethodView):
    @blp.arguments(HoldClearIn)
    @blp.response(200, BatchOut)
    def post(self, data, batch_id):
        """Officials: clear a pre-harvest-interval hold, saying why."""
        return diary.clear_hold(current_actor(), batch_id, data["reason"])
