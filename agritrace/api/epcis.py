"""EPCIS 2.0: the farming diary as GS1 events (JSON-LD), in a time window."""
from __future__ import annotations

import json
from urllib.parse import urlencode

from flask import Response, request
from flask.views import MethodView

from ..auth import current_actor
from ..schemas.epcis import EventsQuery
from ..services import diary_epcis as service
from . import ApiBlueprint as Blueprint

PREFIX = "/epcis"
blp = Blueprint("api_epcis", __name__, description="GS1 EPCIS 2.0 export of the farming diary "
                "(nhật ký canh tác); a batch's own events are under /api/v1/batches/{id}/epcis.")

DOCUMENT = {"description": "An EPCISDocument (EPCIS 2.0 JSON-LD), valid against GS1's "
                           "EPCIS 2.0 JSON Schema.",
            "content": {"application/ld+json": {"schema": {"type": "object"}}}}


def document_response(doc: dict, *, filename: str | None = None,
                      links: str | None = None) -> Response:
    headers = dict(service.EPCIS_HEADERS)
    if filename:
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    if links:
        headers["Link"] = links
    return Response(json.dumps(doc, ensure_ascii=False, indent=1),
                    mimetype="application/ld+json", headers=headers)


@blp.route("/events")
class Events(MethodView):
    @blp.arguments(EventsQuery, location="query")
    @blp.doc(responses={"200": DOCUMENT})
    def get(self, query):
        """Every diary entry you may read (your organisation's, or your province's) with
        GE_eventTime ≤ eventTime < LT_eventTime, oldest first, as one EPCISDocument.
        More than perPage events: the Link header names the next page."""
        offset = int(query["next_page_token"])
        doc, more = service.export_window(
            current_actor(), since=query.get("ge_event_time"),
            until=query.get("lt_event_time"), offset=offset, limit=query["per_page"])
        links = None
        if more:
            args = {**request.args, "nextPageToken": str(offset + query["per_page"])}
            links = f'<{request.base_url}?{urlencode(args)}>; rel="next"'
        return document_response(doc, links=links)
