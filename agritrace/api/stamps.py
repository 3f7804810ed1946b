"""QR stamps (tem truy xuất nguồn gốc): order a run for a batch, follow its minting,
download the print files, activate the run once printed, or void it."""
from __future__ import annotations

from flask import send_file
from flask.views import MethodView

from ..auth import current_actor
from ..schemas.common import offset_limit
from ..schemas.stamps import LabelsQuery, OrderIn, OrderOut, RunOut, RunQuery, VoidIn
from ..services import stamp_prints
from ..services import stamps as service
from . import ApiBlueprint as Blueprint, page_of

PREFIX = "/stamp-runs"
blp = Blueprint("api_stamp_runs", __name__, description="Runs of QR stamps: print files, "
                "activation once printed, voiding.")
orders = Blueprint("api_stamp_orders", __name__, description="Orders of QR stamps for a batch; "
                   "large ones are minted in the background, with progress.")
ORDERS_PREFIX = "/stamp-orders"


@orders.route("")
class Orders(MethodView):
    @orders.arguments(OrderIn)
    @orders.response(201, OrderOut, description="Minted at once: the run is ready.")
    @orders.alt_response(202, schema=OrderOut, description="Queued: follow the order's "
                         "progress at /api/v1/stamp-orders/{id}.")
    def post(self, data):
        """Order stamps for an open batch of yours (or of your province, as an official)."""
        order = service.order_stamps(current_actor(), data["batch_id"], data["quantity"],
                                     pin=data["pin"])
        return order, 201 if order.run_id else 202


@orders.route("/<id:order_id>")
class OrderById(MethodView):
    @orders.response(200, OrderOut)
    def get(self, order_id):
        """An order and how far its minting has come."""
        return service.get_order(current_actor(), order_id)


@blp.route("")
class Runs(MethodView):
    @blp.arguments(RunQuery, location="query")
    @blp.paged(RunOut)
    def get(self, query):
        rows, total = service.list_runs(current_actor(), **offset_limit(dict(query)))
        return page_of(rows, total, query)


@blp.route("/<id:run_id>")
class RunById(MethodView):
    @blp.response(200, RunOut)
    def get(self, run_id):
        return service.get_run(current_actor(), run_id)


@blp.route("/<id:run_id>/activate")
class RunActivate(MethodView):
    @blp.response(200, RunOut)
    def post(self, run_id):
        """The run is printed: its stamps scan as genuine from now on. Refused while the
        batch is on hold or recalled."""
        return service.activate_run(current_actor(), run_id)


@blp.route("/<id:run_id>/void")
class RunVoid(MethodView):
    @blp.arguments(VoidIn)
    @blp.response(200, RunOut)
    def post(self, data, run_id):
        """Void the run (lost or misprinted): its stamps scan as void."""
        return service.void_run(current_actor(), run_id, data["reason"])


@blp.route("/<id:run_id>/print")
class RunPrint(MethodView):
    @blp.arguments(LabelsQuery, location="query")
    @blp.doc(responses={"200": {
        "description": "The print file: PDF label sheets (a ZIP of PDFs past 500 pages), "
                       "the PIN sheet, the print shop's CSV (code, url, pin) or a ZIP of "
                       "one SVG per stamp.",
        "content": {t: {"schema": {"type": "string", "format": "binary"}}
                    for t in ("application/pdf", "application/zip", "text/csv")}}})
    def get(self, query, run_id):
        """Download a print file of the run. Each QR holds the stamp's URL: a GS1
        Digital Link when the product has a GTIN, else {PUBLIC_BASE_URL}/s/{code}."""
        made = stamp_prints.print_file(current_actor(), run_id, query["format"],
                                       query["template"])
        return send_file(made.file, mimetype=made.mimetype, as_attachment=True,
                         download_name=made.filename)
