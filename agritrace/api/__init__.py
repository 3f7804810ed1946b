"""The REST API at /api/v1 (flask-smorest; OpenAPI 3 at /api/v1/openapi.json)."""
from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

from ..extensions import api
from ..schemas.common import MAX_INT32


class IdConverter(IntegerConverter):
    """A database id: 1 … 2³¹−1, so a huge number in a URL is a 404, not a database error."""

    def __init__(self, map, **kwargs):
        super().__init__(map, min=1, max=MAX_INT32, **kwargs)


def init_app(app: Flask) -> None:
    from . import organizations, products, tokens, users

    api.init_app(app, spec_kwargs={
        "info": {"description": "Traceability and growing-area codes: organisations, products, "
                                "growing areas, batches and stamps."},
        "servers": [{"url": "/"}],
    })
    api.register_converter(IdConverter, lambda _conv: {"type": "integer", "minimum": 1,
                                                       "maximum": MAX_INT32})
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"bearer": []}]
    for module in (organizations, products, users, tokens):
        api.register_blueprint(module.blp, url_prefix="/api/v1" + module.PREFIX)
