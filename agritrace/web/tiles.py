"""Vector tiles (MVT) of the platform's layers: `/tiles/<layer>/<z>/<x>/<y>.pbf`.

Layers `growing-areas` and `facilities`; optional filters `crop`, `status`,
`organization_id`, `province`, `ward`. 204 for an empty tile, 400 for an address or
filter that cannot be, 404 for an unknown layer; errors as problem+json, since the
callers are map libraries, not people reading pages.
"""
from __future__ import annotations

import hashlib

from flask import Blueprint, Response, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate, validates_schema

from ..auth import current_actor
from ..errors import DomainError, NotFound
from ..http_errors import TITLES
from ..models import AreaStatus, FacilityStatus
from ..schemas.common import Id, ProvinceCode, StrictSchema, Text, WardCode
from ..schemas.messages import localize
from ..services import tiles

bp = Blueprint("tiles", __name__)

MVT_TYPE = "application/vnd.mapbox-vector-tile"
# Public tiles may sit in shared caches for a minute; a logged-in user's tiles show
# drafts that change as they work, so their browser revalidates (a 304 by ETag).
PUBLIC_CACHE = "public, max-age=60"
PRIVATE_CACHE = "private, no-cache"


class BadTile(DomainError):
    """A request no tile can answer: an impossible address or filter (400)."""
    status = 400


class TileAddress(StrictSchema):
    z = fields.Integer(required=True, validate=validate.Range(0, tiles.MAX_ZOOM))
    x = fields.Integer(required=True, validate=validate.Range(0, None))
    y = fields.Integer(required=True, validate=validate.Range(0, None))

    @validates_schema
    def _on_the_grid(self, data, **kwargs):
        last = 2 ** data["z"] - 1
        for axis in ("x", "y"):
            if data[axis] > last:
                raise ValidationError(str(_l("Must be from 0 to %(max)s at zoom %(z)s.",
                                             max=last, z=data["z"])), axis)


class AreaFilters(StrictSchema):
    crop = Text(max_length=100)
    status = fields.Enum(AreaStatus, by_value=True)
    organization_id = Id()
    province = ProvinceCode()
    ward = WardCode()


class FacilityFilters(AreaFilters):
    status = fields.Enum(FacilityStatus, by_value=True)


# Schemas hold no state between loads: one instance each serves every request.
ADDRESS = TileAddress()
FILTERS = {"growing-areas": AreaFilters(), "facilities": FacilityFilters()}


def _problems(exc: ValidationError) -> tuple[str, dict]:
    errors = localize(exc.messages)
    return "; ".join(f"{field}: {' '.join(map(str, messages))}"
                     for field, messages in errors.items()), errors


@bp.get("/tiles/<layer>/<z>/<x>/<y>.pbf")
def tile(layer: str, z: str, x: str, y: str):
    if layer not in tiles.LAYERS:
        raise NotFound(_("There is no tile layer %(layer)s; the layers are %(layers)s.",
                         layer=layer, layers=", ".join(tiles.LAYERS)))
    try:
        address = ADDRESS.load({"z": z, "x": x, "y": y})
    except ValidationError as exc:
        problems, errors = _problems(exc)
        raise BadTile(_("There is no tile %(z)s/%(x)s/%(y)s: %(problems)s", z=z, x=x, y=y,
                        problems=problems), errors) from exc
    # ?lang= only chooses the language of an error message.
    query = {k: v for k, v in request.args.items() if v != "" and k != "lang"}
    try:
        filters = FILTERS[layer].load(query)
    except ValidationError as exc:
        problems, errors = _problems(exc)
        raise BadTile(_("Some filters are not right: %(problems)s", problems=problems),
                      errors) from exc
    actor = current_actor()
    data = tiles.render_tile(actor, layer, **address, **filters)
    if data:
        response = Response(data, mimetype=MVT_TYPE)
        response.set_etag(hashlib.blake2b(data, digest_size=16).hexdigest())
    else:
        response = Response(status=204)
    response.headers["Cache-Control"] = PUBLIC_CACHE if actor is None else PRIVATE_CACHE
    # The same address gives each user their own tile.
    response.vary.update(("Cookie", "Authorization"))
    return response.make_conditional(request)


@bp.errorhandler(DomainError)
def tile_problem(exc: DomainError):
    body = {"type": "about:blank", "title": str(TITLES.get(exc.status, exc.status)),
            "status": exc.status, "detail": exc.detail}
    if exc.errors:
        body["errors"] = exc.errors
    return body, exc.status, {"Content-Type": "application/problem+json",
                              "Cache-Control": "no-store"}
