"""Uploaded media served to everyone: product photos, shown on the public scan page."""
from __future__ import annotations

from flask import Blueprint, abort, send_from_directory

from ..services.product_photos import is_photo_name, photo_dir

bp = Blueprint("media", __name__)

# A photo's name is never reused (a new upload gets a new one), so its bytes never change.
CACHE_FOREVER = "public, max-age=31536000, immutable"


@bp.get("/media/products/<name>.jpg")
def product_photo(name: str):
    """A product photo (`<name>.jpg`) or its thumbnail (`<name>-thumb.jpg`)."""
    if not is_photo_name(name):
        abort(404)
    response = send_from_directory(photo_dir(), f"{name}.jpg", mimetype="image/jpeg")
    response.headers["Cache-Control"] = CACHE_FOREVER
    return response
