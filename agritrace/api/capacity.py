"""The capacity ledger of growing-area codes and the expected yields behind it
(officials and administrators)."""
from __future__ import annotations

from flask.views import MethodView

from ..auth import current_actor
from ..schemas.capacity import CapacityQuery, CodeCapacityOut, CropYieldIn, CropYieldOut
from ..schemas.common import offset_limit
from ..services import capacity as service
from . import ApiBlueprint as Blueprint, page_of

PREFIX = "/capacity"
blp = Blueprint("api_capacity", __name__, description="What each issued growing-area code "
                "can grow in a year against the harvests declared under it; codes past "
                "their capacity and margin are flagged to the province's officials.")
YIELDS_PREFIX = "/crop-yields"
yields = Blueprint("api_crop_yields", __name__, description="Expected yield per hectare and "
                   "season of each crop: the platform's default, or a province's own.")


@blp.route("")
class Capacity(MethodView):
    @blp.arguments(CapacityQuery, location="query")
    @blp.paged(CodeCapacityOut)
    def get(self, query):
        """The issued codes of your province (all, for an administrator), flagged first."""
        args = offset_limit(dict(query))
        rows, total = service.capacity_report(
            current_actor(), args.get("year"), args["flagged"], offset=args["offset"],
            limit=args["limit"])
        return page_of(rows, total, query)


@yields.route("")
class CropYields(MethodView):
    @yields.response(200, CropYieldOut(many=True))
    def get(self):
        """The yields in force for you: your province's own, else the default."""
        return service.list_yields(current_actor())


@yields.route("/<crop>")
class CropYieldByCrop(MethodView):
    @yields.arguments(CropYieldIn)
    @yields.response(200, CropYieldOut)
    def put(self, data, crop):
        """Set a crop's expected yield (as growing areas name the crop): an official for
        the province, an administrator the platform's default."""
        return service.set_yield(current_actor(), crop, **data)
