"""The REST API at /api/v1 (flask-smorest; OpenAPI 3 at /api/v1/openapi.json)."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, request
from flask_smorest import Blueprint
from webargs.flaskparser import FlaskParser
from werkzeug.routing import IntegerConverter

from .. import permissions
from ..auth import current_actor
from ..extensions import api
from ..schemas.common import MAX_INT32


class StrictParser(FlaskParser):
    """Unknown query parameters are an error too, so `?provice_code=80` is not
    silently ignored."""
    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
                                   "query": None, "querystring": None}


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = StrictParser()

    def paged(self, item_schema):
        """Document a list response with its X-Total-Count and Link headers."""
        return self.response(200, item_schema(many=True), headers={
            "X-Total-Count": {"description": "Number of items over all pages.",
                              "schema": {"type": "integer"}},
            "Link": {"description": "RFC 8288 links to the next and previous pages.",
                     "schema": {"type": "string"}},
        })


def page_of(rows: list, total: int, query: dict) -> tuple[list, dict]:
    """The response body and headers for one page of a list."""
    page, size = query["page"], query["page_size"]
    links = []
    args = {k: v for k, v in request.args.items() if k != "page"}
    if page * size < total:
        links.append((page + 1, "next"))
    if page > 1:
        links.append((page - 1, "prev"))
    headers = {"X-Total-Count": str(total)}
    if links:
        headers["Link"] = ", ".join(
            f'<{request.base_url}?{urlencode({**args, "page": n})}>; rel="{rel}"'
            for n, rel in links)
    return rows, headers


class IdConverter(IntegerConverter):
    """A database id: 1 … 2³¹−1, so a huge number in a URL is a 404, not a database error."""

    def __init__(self, map, **kwargs):
        super().__init__(map, min=1, max=MAX_INT32, **kwargs)


def init_app(app: Flask) -> None:
    from . import (area_codes, areas, batches, diary, epcis, facilities, handovers, organizations,
                   products, stamps, tokens, units, users)

    api.init_app(app, spec_kwargs={
        "info": {"description": "Traceability and growing-area codes: organisations, products, "
                                "growing areas, batches and stamps."},
        "servers": [{"url": "/"}],
    })
    api.register_converter(IdConverter, lambda _conv: {"type": "integer", "minimum": 1,
                                                       "maximum": MAX_INT32})
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"bearer": []}]
    from . import transformations
    for module in (organizations, products, users, tokens, units, areas, facilities, area_codes,
                   batches, diary, stamps, handovers, transformations):
        api.register_blueprint(module.blp, url_prefix="/api/v1" + module.PREFIX)
        if getattr(module, "PUBLIC", False):
            PUBLIC_BLUEPRINTS.add(module.blp.name)
    # EPCIS lives at its own root, as the URL map gives it to other systems.
    app.register_blueprint(epcis.blp, url_prefix=epcis.PREFIX)
    from . import epcis_capture
    app.register_blueprint(epcis_capture.blp, url_prefix=epcis.PREFIX)
    api.register_blueprint(stamps.orders, url_prefix="/api/v1" + stamps.ORDERS_PREFIX)
    api.register_blueprint(handovers.stock_blp, url_prefix="/api/v1" + handovers.STOCK_PREFIX)
    api.register_blueprint(handovers.parties_blp,
                           url_prefix="/api/v1" + handovers.PARTIES_PREFIX)
    api.register_blueprint(areas.imports, url_prefix="/api/v1" + areas.IMPORTS_PREFIX)
    api.register_blueprint(organizations.registrations,
                           url_prefix="/api/v1" + organizations.REGISTRATIONS_PREFIX)
    PUBLIC_BLUEPRINTS.add(organizations.registrations.name)
    from . import recalls
    for blueprint, prefix in ((recalls.blp, recalls.PREFIX),
                              (recalls.holders, recalls.HOLDERS_PREFIX),
                              (recalls.inbox, recalls.NOTICES_PREFIX)):
        api.register_blueprint(blueprint, url_prefix="/api/v1" + prefix)
    from . import trace
    api.register_blueprint(trace.blp, url_prefix="/api/v1" + trace.PREFIX)
    from . import capacity
    api.register_blueprint(capacity.blp, url_prefix="/api/v1" + capacity.PREFIX)
    api.register_blueprint(capacity.yields, url_prefix="/api/v1" + capacity.YIELDS_PREFIX)
    from . import markets
    for blueprint, prefix in ((markets.blp, markets.PREFIX),
                              (markets.scopes, markets.SCOPES_PREFIX),
                              (markets.inspected, markets.INSPECTIONS_PREFIX),
                              (markets.plans, markets.PLANS_PREFIX)):
        api.register_blueprint(blueprint, url_prefix="/api/v1" + prefix)
    from . import due_diligence
    api.register_blueprint(due_diligence.blp, url_prefix="/api/v1" + due_diligence.PREFIX)
    # The point lookup answers the public too (issued areas only).
    PUBLIC_ENDPOINTS.add("api_areas.AreasAt")
    app.before_request(_authenticate)


PUBLIC_BLUEPRINTS: set[str] = set()
PUBLIC_ENDPOINTS: set[str] = set()


def _authenticate() -> None:
    """API endpoints need an account unless their module says PUBLIC: answer 401
    before judging the input."""
    name = request.blueprint or ""
    if name.startswith("api_") and name not in PUBLIC_BLUEPRINTS \
            and request.endpoint not in PUBLIC_ENDPOINTS:
        permissions.require_login(current_actor())
