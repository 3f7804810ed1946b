from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_babel import gettext as _

from ..auth import current_actor
from ..errors import Invalid
from ..schemas.batches import BatchIn, BatchOut, BatchPatch, BatchQuery, RecallIn
from ..schemas.common import offset_limit
from ..schemas.diary import HoldClearIn
from ..schemas.epcis import EpcisImportOut
from ..services import batches as service
from ..services import diary, diary_epcis
from . import ApiBlueprint as Blueprint, page_of
from .epcis import DOCUMENT, document_response

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


@blp.route("/<id:batch_id>/epcis")
class BatchEpcis(MethodView):
    @blp.doc(responses={"200": DOCUMENT})
    def get(self, batch_id):
        """The batch's history as an EPCIS 2.0 document: its own events, and those on its
        growing areas in the year before its harvest."""
        batch = service.get_batch(current_actor(), batch_id)
        doc = diary_epcis.export_batch(current_actor(), batch.id)
        return document_response(doc, filename=f"epcis-batch-{batch.id}.jsonld")

    @blp.doc(requestBody={"required": True, "content": {
        "application/ld+json": {"schema": {"type": "object"}},
        "application/json": {"schema": {"type": "object"}},
        "multipart/form-data": {"schema": {"type": "object", "properties": {
            "document": {"type": "string", "format": "binary"}}}}}})
    @blp.response(201, EpcisImportOut)
    def post(self, batch_id):
        """Add the ObjectEvents of an EPCIS 2.0 document to the batch's diary: all of
        them or none. Each event must be about this batch: the objects it names are this
        batch's GTIN and lot (SGTIN of one of its stamps, LGTIN, Digital Link, or our lot
        URI), or, naming none, it happened on one of its growing areas. A problem names
        the event (its index in eventList) and the field. Events already in the diary
        (same eventID) are skipped."""
        upload = request.files.get("document")
        data = upload.read() if upload is not None else request.get_data()
        if not data:
            raise Invalid(_("Send an EPCIS 2.0 document (JSON) as the request body or as "
                            "the file field 'document'."))
        return diary_epcis.import_batch_events(current_actor(), batch_id, data)
