"""The API definition of /ogc (OpenAPI 3.0), built from the collection registry so
that each collection's paths list exactly the filters its items query accepts.
GDAL reads the items path's parameters to send a `where` on a property to the
server, so the paths are per collection (/collections/growing-areas/items),
not templated.
"""
from __future__ import annotations

from flask import current_app, url_for

from ..models import AreaStatus, FacilityKind, FacilityStatus
from ..schemas.common import MAX_INT32
from .. import units
from .collections import COLLECTIONS, Collection
from .query import LIMIT_DEFAULT, LIMIT_MAX

OPENAPI_TYPE = "application/vnd.oai.openapi+json;version=3.0"
HTML = {"text/html": {"schema": {"type": "string"}}}


def _query(name: str, description: str, schema: dict, **extra) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema, "style": "form", "explode": False, **extra}


def _parameters() -> dict:
    return {
        "f": _query("f", "The format of the response: `json` (GeoJSON for features) or `html`. "
                    "Without it, the Accept header decides; JSON by default.",
                    {"type": "string", "enum": ["json", "html"]}),
        "lang": _query("lang", "The language of titles, descriptions and pages.",
                       {"type": "string", "enum": list(current_app.config["LANGUAGES"])}),
        "bbox": _query("bbox", "Only features whose geometry intersects this box: west longitude, "
                       "south latitude, east longitude, north latitude, in WGS 84 (CRS84). Six "
                       "numbers (with heights) are accepted; the heights are ignored. A west edge "
                       "east of the east edge crosses the antimeridian.",
                       {"type": "array", "minItems": 4, "maxItems": 6,
                        "items": {"type": "number"}}),
        "datetime": _query("datetime", "Only features valid at this instant or during this "
                           "interval (RFC 3339, `start/end`, `..` for an open end; a date "
                           "stands for its whole day, UTC). Growing areas are valid from their "
                           "code's issue until its expiry; facilities carry no time and always "
                           "match.",
                           {"type": "string"}),
        "limit": _query("limit", f"At most this many features in the response. A value above "
                        f"{LIMIT_MAX} is read as {LIMIT_MAX}.",
                        {"type": "integer", "minimum": 1, "maximum": LIMIT_MAX,
                         "default": LIMIT_DEFAULT}),
        "offset": _query("offset", "Skip this many features (in id order) before the first "
                         "returned; the `next` and `prev` links carry it.",
                         {"type": "integer", "minimum": 0, "maximum": MAX_INT32, "default": 0}),
        "featureId": {"name": "featureId", "in": "path", "required": True,
                      "description": "The id of the feature.",
                      "schema": {"type": "integer", "minimum": 1, "maximum": MAX_INT32}},
    }


def _province() -> dict:
    return {"oneOf": [{"type": "integer", "enum": [u.code for u in units.provinces()]},
                      {"type": "string", "enum": [u.name for u in units.provinces()]}]}


FILTERS = {
    "growing-areas": {
        "crop": ("Only areas of this crop (exact match), e.g. `dragon fruit`.",
                 lambda: {"type": "string", "minLength": 1, "maxLength": 100}),
        "status": ("Only areas in this status. The public sees issued areas only, so any "
                   "other status matches nothing.",
                   lambda: {"type": "string", "enum": [s.value for s in AreaStatus]}),
        "province": ("Only areas in this province, by code (80) or name (Tây Ninh).", _province),
    },
    "facilities": {
        "kind": ("Only facilities of this kind.",
                 lambda: {"type": "string", "enum": [k.value for k in FacilityKind]}),
        "status": ("Only facilities in this status. The public sees active facilities only.",
                   lambda: {"type": "string", "enum": [s.value for s in FacilityStatus]}),
        "province": ("Only facilities in this province, by code (80) or name (Tây Ninh).",
                     _province),
    },
}

_NULLABLE_STRING = {"type": "string", "nullable": True}
_NULLABLE_INT = {"type": "integer", "nullable": True}
_PLACE = {"province_code": {"type": "integer"}, "province": {"type": "string"},
          "ward_code": _NULLABLE_INT, "ward": _NULLABLE_STRING}
PROPERTIES = {
    "growing-areas": {
        "code": {"type": "string", "description": "The growing-area code (mã số vùng trồng)."},
        "name": {"type": "string"}, "crop": {"type": "string"},
        "status": {"type": "string", "enum": [s.value for s in AreaStatus]},
        "hectares": {"type": "number", "description": "Geodesic area, hectares."},
        "perimeter_m": {"type": "number", "description": "Geodesic perimeter, metres."},
        "organization": {"type": "string"}, **_PLACE,
        "issued_at": {"type": "string", "format": "date-time", "nullable": True},
        "valid_until": {"type": "string", "format": "date", "nullable": True},
    },
    "facilities": {
        "code": _NULLABLE_STRING, "name": {"type": "string"},
        "kind": {"type": "string", "enum": [k.value for k in FacilityKind]},
        "status": {"type": "string", "enum": [s.value for s in FacilityStatus]},
        "organization": {"type": "string"}, "address": {"type": "string"}, **_PLACE,
    },
}

_POSITION = {"type": "array", "minItems": 2, "items": {"type": "number"}}
GEOMETRIES = {
    "Point": {"type": "object", "required": ["type", "coordinates"], "properties": {
        "type": {"type": "string", "enum": ["Point"]}, "coordinates": _POSITION}},
    "MultiPolygon": {"type": "object", "required": ["type", "coordinates"], "properties": {
        "type": {"type": "string", "enum": ["MultiPolygon"]},
        "coordinates": {"type": "array", "items": {"type": "array", "items": {
            "type": "array", "minItems": 4, "items": _POSITION}}}}},
}


def _ref(kind: str, name: str) -> dict:
    return {"$ref": f"#/components/{kind}/{name}"}


def _ok(description: str, media_type: str, schema: dict) -> dict:
    return {"description": description,
            "content": {media_type: {"schema": schema}, **HTML}}


def _errors(*statuses: int) -> dict:
    names = {400: "InvalidParameter", 404: "NotFound", 500: "ServerError"}
    return {str(status): _ref("responses", names[status]) for status in (*statuses, 500)}


def _get(operation_id: str, summary: str, tag: str, responses: dict,
         parameters: list | None = None) -> dict:
    return {"get": {"operationId": operation_id, "summary": summary, "tags": [tag],
                    "parameters": parameters or [_ref("parameters", "f"),
                                                 _ref("parameters", "lang")],
                    "responses": responses}}


def _camel(collection_id: str) -> str:
    return "".join(part.title() for part in collection_id.split("-"))


def _collection_paths(c: Collection) -> dict:
    name, common = _camel(c.id), [_ref("parameters", "f"), _ref("parameters", "lang")]
    filters = [_query(param, description, schema())
               for param, (description, schema) in FILTERS[c.id].items()]
    items = [_ref("parameters", p) for p in ("bbox", "datetime", "limit", "offset")]
    return {
        f"/collections/{c.id}": _get(
            f"describe{name}Collection", f"Describe the {c.id} collection", "Collections",
            {"200": _ok("The collection's metadata.", "application/json",
                        _ref("schemas", "collection")), **_errors(400)}),
        f"/collections/{c.id}/items": _get(
            f"get{name}Features", f"Features of {c.id}", "Features",
            {"200": _ok("One page of features, with links to the next and previous pages.",
                        "application/geo+json", _ref("schemas", f"{c.id}.featureCollection")),
             **_errors(400)},
            [*common, *items, *filters]),
        f"/collections/{c.id}/items/{{featureId}}": _get(
            f"get{name}Feature", f"One feature of {c.id}", "Features",
            {"200": _ok("The feature.", "application/geo+json",
                        _ref("schemas", f"{c.id}.feature")),
             **_errors(400, 404)},
            [_ref("parameters", "featureId"), *common]),
    }


def _feature_schemas(c: Collection) -> dict:
    feature = {"type": "object", "required": ["type", "id", "geometry", "properties"],
               "properties": {
                   "type": {"type": "string", "enum": ["Feature"]},
                   "id": {"type": "integer"},
                   "geometry": _ref("schemas", f"geometry.{c.geometry_type}"),
                   "properties": {"type": "object", "required": list(PROPERTIES[c.id]),
                                  "properties": PROPERTIES[c.id]},
                   "links": {"type": "array", "items": _ref("schemas", "link")}}}
    collection = {"type": "object",
                  "required": ["type", "features", "links", "numberMatched", "numberReturned",
                               "timeStamp"],
                  "properties": {
                      "type": {"type": "string", "enum": ["FeatureCollection"]},
                      "features": {"type": "array", "items": _ref("schemas", f"{c.id}.feature")},
                      "links": {"type": "array", "items": _ref("schemas", "link")},
                      "numberMatched": {"type": "integer", "minimum": 0},
                      "numberReturned": {"type": "integer", "minimum": 0},
                      "timeStamp": {"type": "string", "format": "date-time"}}}
    return {f"{c.id}.feature": feature, f"{c.id}.featureCollection": collection}


def _links() -> dict:
    return {"type": "array", "items": _ref("schemas", "link")}


SCHEMAS = {
    "link": {"type": "object", "required": ["href", "rel"], "properties": {
        "href": {"type": "string"}, "rel": {"type": "string"}, "type": {"type": "string"},
        "hreflang": {"type": "string"}, "title": {"type": "string"}}},
    "landingPage": {"type": "object", "required": ["links"], "properties": {
        "title": {"type": "string"}, "description": {"type": "string"}, "links": _links()}},
    "confClasses": {"type": "object", "required": ["conformsTo"], "properties": {
        "conformsTo": {"type": "array", "items": {"type": "string"}}}},
    "extent": {"type": "object", "properties": {
        "spatial": {"type": "object", "properties": {
            "bbox": {"type": "array", "minItems": 1, "items": {
                "type": "array", "minItems": 4, "maxItems": 4, "items": {"type": "number"}}},
            "crs": {"type": "string"}}},
        "temporal": {"type": "object", "properties": {
            "interval": {"type": "array", "minItems": 1, "items": {
                "type": "array", "minItems": 2, "maxItems": 2,
                "items": {"type": "string", "format": "date-time", "nullable": True}}},
            "trs": {"type": "string"}}}}},
    "collection": {"type": "object", "required": ["id", "links"], "properties": {
        "id": {"type": "string"}, "title": {"type": "string"},
        "description": {"type": "string"}, "links": _links(),
        "extent": _ref("schemas", "extent"), "itemType": {"type": "string"},
        "crs": {"type": "array", "items": {"type": "string"}}}},
    "collections": {"type": "object", "required": ["links", "collections"], "properties": {
        "links": _links(),
        "collections": {"type": "array", "items": _ref("schemas", "collection")}}},
    "problem": {"type": "object", "required": ["title", "status"],
                "description": "Problem details (RFC 7807).", "properties": {
                    "type": {"type": "string"}, "title": {"type": "string"},
                    "status": {"type": "integer"}, "detail": {"type": "string"},
                    "errors": {"type": "object", "additionalProperties": {
                        "type": "array", "items": {"type": "string"}}}}},
    **{f"geometry.{name}": schema for name, schema in GEOMETRIES.items()},
}


def _problem(description: str) -> dict:
    return {"description": description, "content": {
        "application/problem+json": {"schema": _ref("schemas", "problem")}, **HTML}}


def document() -> dict:
    """The OpenAPI 3.0 definition of /ogc, with this server's address."""
    paths = {
        "/": _get("getLandingPage", "Landing page", "Capabilities", {
            "200": _ok("Links to the API definition, conformance and collections.",
                       "application/json", _ref("schemas", "landingPage")), **_errors(400)}),
        "/conformance": _get("getConformanceDeclaration", "Conformance classes", "Capabilities", {
            "200": _ok("The conformance classes this API implements.", "application/json",
                       _ref("schemas", "confClasses")), **_errors(400)}),
        "/api": _get("getAPIDefinition", "This API definition", "Capabilities", {
            "200": {"description": "The API definition (OpenAPI 3.0), or its HTML rendering.",
                    "content": {OPENAPI_TYPE: {"schema": {"type": "object"}}, **HTML}},
            **_errors(400)}),
        "/collections": _get("getCollections", "The collections", "Collections", {
            "200": _ok("Every collection with its extent and links.", "application/json",
                       _ref("schemas", "collections")), **_errors(400)}),
    }
    schemas = dict(SCHEMAS)
    for c in COLLECTIONS.values():
        paths.update(_collection_paths(c))
        schemas.update(_feature_schemas(c))
    return {
        "openapi": "3.0.3",
        "info": {"title": "AgriTrace open data (OGC API – Features)", "version": "1.0.0",
                 "description": "Issued growing areas and active facilities as OGC API – "
                                "Features, Part 1: Core, in GeoJSON and HTML. Open to everyone; "
                                "errors are RFC 7807 problem details."},
        "servers": [{"url": url_for("ogc.landing", _external=True)}],
        "tags": [{"name": "Capabilities"}, {"name": "Collections"}, {"name": "Features"}],
        "paths": paths,
        "components": {
            "parameters": _parameters(),
            "schemas": schemas,
            "responses": {
                "InvalidParameter": _problem("A query parameter is unknown, repeated or has "
                                             "a value that cannot be used."),
                "NotFound": _problem("There is no public feature with this id."),
                "ServerError": _problem("Something went wrong on the server."),
            },
        },
    }


def operations(doc: dict) -> list[dict]:
    """The operations of `doc` with their parameters resolved, for the HTML page."""
    parameters = doc["components"]["parameters"]
    result = []
    for path, item in doc["paths"].items():
        operation = item["get"]
        params = [parameters[p["$ref"].rsplit("/", 1)[1]] if "$ref" in p else p
                  for p in operation["parameters"]]
        result.append({"path": path, "summary": operation["summary"],
                       "id": operation["operationId"], "parameters": params})
    return result
