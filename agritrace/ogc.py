"""OGC API – Features (open data): the landing document and the conformance
declaration. It declares no conformance class until the collections are served,
so that clients are not promised what is not there yet."""
from __future__ import annotations

from flask import Blueprint, jsonify, url_for

bp = Blueprint("ogc", __name__, url_prefix="/ogc")

CONFORMANCE: list[str] = []


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
