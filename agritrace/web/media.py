"""Uploaded media served to everyone: product photos, shown on the public scan page.
The bytes come from the database a chunk at a time (services/stored_files.py), so any
app server answers for a photo uploaded through any other."""
from __future__ import annotations

from flask import Blueprint, Response, abort, request, stream_with_context

from ..services.product_photos import open_photo

bp = Blueprint("media", __name__)

# A photo's name is never reused (a new upload gets a new one), so its bytes never change.
CACHE_FOREVER = "public, max-age=31536000, immutable"


@bp.get("/media/products/<name>.jpg")
def product_photo(name: str):
    """A product photo (`<name>.jpg`) or its thumbnail (`<name>-thumb.jpg`)."""
    stored = open_photo(name)
    if stored is None:
        abort(404)
    # The chunks are read while the response is sent, in the context that
    # stream_with_context pushes again for it (and closes after the last chunk).
    response = Response(stream_with_context(stored.chunks), mimetype=stored.content_type)
    response.content_length = stored.size_bytes
    if stored.sha256:
        response.set_etag(stored.sha256)
    response.headers["Cache-Control"] = CACHE_FOREVER
    return response.make_conditional(request)
