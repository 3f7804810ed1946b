"""The /ogc resources: each view loads its query, reads through `features`, and
answers in the format asked for — `?f=json|html`, else the Accept header, JSON
by default — with `self` and `alternate` links between the two."""
from __future__ import annotations

import json

from flask import Blueprint, Response, render_template, request, url_for
from flask_babel import gettext as _

from ..clock import now
from ..errors import DomainError, NotFound
from ..http_errors import problem
from . import features, openapi
from .collections import COLLECTIONS, CRS84, Collection, iso
from .query import LIMIT_MAX, DocumentQuery, load

bp = Blueprint("ogc", __name__, url_prefix="/ogc")

JSON, GEOJSON, HTML = "application/json", "application/geo+json", "text/html"
CONFORMANCE = [f"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/{name}"
               for name in ("core", "geojson", "html", "oas30")]


def _wants_html(fmt: str | None) -> bool:
    if fmt:
        return fmt == "html"
    return request.accept_mimetypes.best_match([JSON, GEOJSON, HTML], default=JSON) == HTML


def _link(href: str, rel: str, media_type: str, title: str) -> dict:
    return {"href": href, "rel": rel, "type": media_type, "title": title}


def _url(endpoint: str, **values) -> str:
    return url_for(endpoint, _external=True, **values)


def _self_links(html: bool, endpoint: str, json_type: str = JSON, **values) -> list[dict]:
    """`self` in the format of this response and `alternate` in the other one."""
    as_json = _link(_url(endpoint, **values, f="json"), "alternate", json_type,
                    _("This document as JSON"))
    as_html = _link(_url(endpoint, **values, f="html"), "alternate", HTML,
                    _("This document as HTML"))
    (as_html if html else as_json)["rel"] = "self"
    return [as_html, as_json] if html else [as_json, as_html]


def _respond(doc: dict, html: bool, template: str, json_type: str = JSON, **context):
    if html:
        response = Response(render_template(template, doc=doc, **context), mimetype=HTML)
    else:
        response = Response(json.dumps(doc, ensure_ascii=False), mimetype=json_type)
    # Titles and pages follow the language asked for, as well as the format.
    response.vary.update(("Accept", "Accept-Language"))
    return response


def _collection(collection_id: str) -> Collection:
    collection = COLLECTIONS.get(collection_id)
    if collection is None:
        raise NotFound(_("There is no collection %(id)s; the collections are %(ids)s.",
                         id=collection_id, ids=", ".join(COLLECTIONS)))
    return collection


@bp.errorhandler(DomainError)
def _error(exc: DomainError):
    """Problem details (RFC 7807) as everywhere under /ogc, or a page when the client
    asked for HTML."""
    if _wants_html(request.args.get("f")):
        return render_template("error.html", status=exc.status, detail=exc.detail,
                               errors=exc.errors), exc.status
    return problem(exc.status, exc.detail, exc.errors)


@bp.get("/")  # OWSLib asks for the landing page with a slash
@bp.get("")
def landing():
    html = _wants_html(load(DocumentQuery, request.args).get("f"))
    doc = {"title": _("AgriTrace open data"),
           "description": _("Issued growing areas and active facilities of the AgriTrace "
                            "platform, as OGC API – Features."),
           "links": [*_self_links(html, "ogc.landing"),
                     _link(_url("ogc.api", f="json"), "service-desc", openapi.OPENAPI_TYPE,
                           _("The API definition (OpenAPI 3.0)")),
                     _link(_url("ogc.api", f="html"), "service-doc", HTML,
                           _("The API documentation")),
                     _link(_url("ogc.conformance", f="json"), "conformance", JSON,
                           _("The conformance classes this API implements")),
                     _link(_url("ogc.collections", f="json"), "data", JSON,
                           _("The collections of features"))]}
    return _respond(doc, html, "ogc/landing.html")


@bp.get("/conformance")
def conformance():
    html = _wants_html(load(DocumentQuery, request.args).get("f"))
    return _respond({"conformsTo": CONFORMANCE}, html, "ogc/conformance.html",
                    links=_self_links(html, "ogc.conformance"))


@bp.get("/api")
def api():
    html = _wants_html(load(DocumentQuery, request.args).get("f"))
    doc = openapi.document()
    return _respond(doc, html, "ogc/api.html", openapi.OPENAPI_TYPE,
                    operations=openapi.operations(doc),
                    links=_self_links(html, "ogc.api", openapi.OPENAPI_TYPE))


def _describe(collection: Collection, html: bool) -> dict:
    doc = {"id": collection.id, "title": str(collection.title),
           "description": str(collection.description), "itemType": "feature", "crs": [CRS84],
           "links": [*_self_links(html, "ogc.collection", collection_id=collection.id),
                     _link(_url("ogc.items", collection_id=collection.id, f="json"), "items",
                           GEOJSON, _("The features as GeoJSON")),
                     _link(_url("ogc.items", collection_id=collection.id, f="html"), "items",
                           HTML, _("The features as HTML"))]}
    extent = features.extent(collection)
    if extent is not None:
        doc["extent"] = extent
    return doc


@bp.get("/collections")
def collections():
    html = _wants_html(load(DocumentQuery, request.args).get("f"))
    doc = {"links": _self_links(html, "ogc.collections"),
           "collections": [_describe(c, html) for c in COLLECTIONS.values()]}
    return _respond(doc, html, "ogc/collections.html")


@bp.get("/collections/<collection_id>")
def collection(collection_id: str):
    c = _collection(collection_id)
    html = _wants_html(load(DocumentQuery, request.args).get("f"))
    return _respond(_describe(c, html), html, "ogc/collection.html")


@bp.get("/collections/<collection_id>/items")
def items(collection_id: str):
    c = _collection(collection_id)
    query = load(c.query, request.args)
    fmt, _lang = query.pop("f", None), query.pop("lang", None)
    html = _wants_html(fmt)
    limit, offset = query["limit"], query["offset"]
    page = features.items(c, limit=limit, offset=offset, bbox=query.get("bbox"),
                          interval=query.get("datetime"),
                          **{name: query[name] for name in c.filters if name in query})
    # The links repeat the request's own filters as it wrote them.
    kept = {k: v for k, v in request.args.items() if k not in ("f", "lang", "limit", "offset")}

    def page_link(rel: str, at: int, as_html: bool, title: str) -> dict:
        return _link(_url("ogc.items", collection_id=c.id, **kept, limit=limit, offset=at,
                          f="html" if as_html else "json"),
                     rel, HTML if as_html else GEOJSON, title)

    links = [page_link("self", offset, html, _("This page")),
             page_link("alternate", offset, not html,
                       _("This page as GeoJSON") if html else _("This page as HTML"))]
    if offset + len(page.features) < page.matched:
        links.append(page_link("next", offset + limit, html, _("Next page")))
    if offset > 0:
        links.append(page_link("prev", max(offset - limit, 0), html, _("Previous page")))
    links.append(_link(_url("ogc.collection", collection_id=c.id, f="json"), "collection",
                       JSON, _("The collection")))
    doc = {"type": "FeatureCollection", "features": page.features,
           "numberMatched": page.matched, "numberReturned": len(page.features),
           "timeStamp": iso(now()), "links": links}
    return _respond(doc, html, "ogc/items.html", GEOJSON, collection=c, offset=offset,
                    limit=limit, limit_max=LIMIT_MAX)


@bp.get("/collections/<collection_id>/items/<feature_id>")
def item(collection_id: str, feature_id: str):
    c = _collection(collection_id)
    html = _wants_html(load(DocumentQuery, request.args).get("f"))
    feature = features.item(c, feature_id)
    feature["links"] = [
        *_self_links(html, "ogc.item", GEOJSON, collection_id=c.id, feature_id=feature["id"]),
        _link(_url("ogc.collection", collection_id=c.id, f="json"), "collection", JSON,
              _("The collection")),
        *(c.related(feature["properties"]) if c.related else [])]
    return _respond(feature, html, "ogc/item.html", GEOJSON, collection=c)
