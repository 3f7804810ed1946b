"""OGC API – Features (open data). The landing and conformance documents; the
collections arrive with the WebGIS work."""
from __future__ import annotations

from flask import Blueprint, jsonify, url_for

bp = Blueprint("ogc", __name__, url_prefix="/ogc")

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
]


@bp.get("")
def landing():
    return jsonify(
        title="AgriTrace open data",
        description="Issued growing areas and facilities, as OGC API – Features.",
        links=[
            {"href": url_for("ogc.landing", _external=True), "rel": "self",
             "type": "application/json", "title": "This document"},
            {"href": url_for("ogc.conformance", _external=True), "rel": "conformance",
             "type": "application/json", "title": "Conformance classes"},
            {"href": url_for("api-docs.openapi_json", _external=True), "rel": "service-desc",
             "type": "application/vnd.oai.openapi+json;version=3.0", "title": "API definition"},
        ])


@bp.get("/conformance")
def conformance():
    return jsonify(conformsTo=CONFORMANCE)
