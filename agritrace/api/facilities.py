from __future__ import annotations

from flask.views import MethodView

from ..auth import current_actor
from ..schemas.areas import FacilityDecisionIn, FacilityIn, FacilityOut, FacilityQuery
from ..schemas.common import offset_limit
from ..services import facilities as service
from . import ApiBlueprint as Blueprint, page_of

PREFIX = "/facilities"
blp = Blueprint("api_facilities", __name__, description="Packing houses and other facilities "
                "(cơ sở đóng gói); officials approve them and issue their codes.")


@blp.route("")
class Facilities(MethodView):
    @blp.arguments(FacilityQuery, location="query")
    @blp.paged(FacilityOut)
    def get(self, query):
        rows, total = service.list_facilities(current_actor(), **offset_limit(dict(query)))
        return page_of(rows, total, query)

    @blp.arguments(FacilityIn)
    @blp.response(201, FacilityOut)
    def post(self, data):
        """Register a facility (a GeoJSON Point); it waits as pending for an official."""
        return service.create_facility(current_actor(), data)


@blp.route("/<id:facility_id>")
class FacilityById(MethodView):
    @blp.response(200, FacilityOut)
    def get(self, facility_id):
        return service.get_facility(current_actor(), facility_id)


def _action_view(action: str):
    class Action(MethodView):
        @blp.arguments(FacilityDecisionIn)
        @blp.response(200, FacilityOut)
        def post(self, data, facility_id):
            return service.transition(current_actor(), facility_id, action, **data)
    Action.post.__doc__ = {
        "approve": "Officials: approve; a packing house gets its code (kind PH).",
        "suspend": "Officials: suspend an active facility.",
        "reinstate": "Officials: reinstate a suspended facility.",
        "close": "Officials: close a facility for good.",
    }[action]
    Action.__name__ = f"Facility{action.title()}"
    blp.route(f"/<id:facility_id>/{action}")(Action)


for _action in service.TRANSITIONS:
    _action_view(_action)
