from __future__ import annotations

from flask.views import MethodView

from ..auth import current_actor
from ..schemas.common import offset_limit
from ..schemas.diary import EventIn, EventOut, EventQuery
from ..services import diary as service
from . import ApiBlueprint as Blueprint, page_of

PREFIX = "/diary"
blp = Blueprint("api_diary", __name__, description="The farming diary (nhật ký canh tác): "
                "sowing, fertilising, spraying, irrigation, harvesting, packing, lab tests, "
                "shipping, on a growing area or a batch.")


@blp.route("")
class Diary(MethodView):
    @blp.arguments(EventQuery, location="query")
    @blp.paged(EventOut)
    def get(self, query):
        """Diary entries you may see, oldest first; filter by area, batch or time."""
        rows, total = service.list_events(current_actor(), **offset_limit(dict(query)))
        return page_of(rows, total, query)

    @blp.arguments(EventIn)
    @blp.response(201, EventOut)
    def post(self, data):
        """Record an entry. A spraying whose pre-harvest interval covers a batch's harvest
        puts that batch on hold."""
        return service.record_event(current_actor(), data)
