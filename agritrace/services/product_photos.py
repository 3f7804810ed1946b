"""Product photos (ảnh sản phẩm): checked, re-encoded and kept in the database
(services/stored_files.py) as `products/<name>.jpg`.

A photo is stored as two JPEG files named by an unguessable token: `<name>.jpg`
(at most 1200 px on the long side) and `<name>-thumb.jpg` (320 px). The product
row keeps the name; the files are public, and a name is never reused, so they can
be cached for good. The files are written, replaced and deleted in the transaction
that changes the product, so no app server ever sees one without the other.
"""
from __future__ import annotations

import io
import re
import secrets

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy.orm import Session

from .. import permissions
from ..db import session, transaction
from ..errors import Invalid
from ..models import Product, User
from ..models.products import THUMB_SUFFIX
from . import audit, stored_files

FORMATS = ("JPEG", "PNG", "WEBP")
MAX_PIXELS = 40_000_000
LONG_SIDE_PX = 1200
THUMB_PX = 320
JPEG_QUALITY = 85
JPEG = "image/jpeg"
# secrets.token_urlsafe(24) gives 32 characters of this alphabet.
NAME = re.compile(r"^[A-Za-z0-9_-]{32}$")
FOLDER = "products/"


def is_photo_name(name: str) -> bool:
    """A stored photo's name, with or without the thumbnail suffix; anything else
    (a path, a guess of another form) is refused before the database is asked."""
    base = name[:-len(THUMB_SUFFIX)] if name.endswith(THUMB_SUFFIX) else name
    return bool(NAME.match(base))


def stored_name(name: str) -> str:
    """The stored file of a photo name (`<name>` or `<name>-thumb`)."""
    return f"{FOLDER}{name}.jpg"


def open_photo(name: str) -> stored_files.Download | None:
    """A photo or thumbnail by its public name, to stream; None for anything else."""
    if not is_photo_name(name):
        return None
    return stored_files.download(session, stored_name(name))


def set_product_photo(actor: User | None, product_id: int, data: bytes,
                      filename: str) -> Product:
    """Set or replace a product's photo from an uploaded JPEG, PNG or WebP.

    Permission is checked before the image is decoded. One transaction stores the new
    files, points the product at them and deletes the previous ones: a refused or
    failed upload changes nothing.
    """
    permissions.fetch(session(), actor, Product, product_id, "product", write=True)
    photo, thumb = _render(data, filename)
    name = secrets.token_urlsafe(24)
    with transaction() as s:
        product = permissions.fetch(s, actor, Product, product_id, "product", write=True,
                                    lock=True)
        # The permission check above loaded the row before it was locked: read the
        # previous photo again, now that no other request can change it.
        s.refresh(product)
        old = product.image_path
        stored_files.put(s, stored_name(name), photo, JPEG)
        stored_files.put(s, stored_name(name + THUMB_SUFFIX), thumb, JPEG)
        product.image_path = name
        discard_files(s, old)
        audit.record(s, actor, "product", product.id, "photo",
                     {"image_path": old}, {"image_path": name})
    return product


def remove_product_photo(actor: User | None, product_id: int) -> Product:
    """Remove a product's photo and its files."""
    with transaction() as s:
        product = permissions.fetch(s, actor, Product, product_id, "product", write=True,
                                    lock=True)
        s.refresh(product)  # the caller may have loaded it before the lock
        old = product.image_path
        if old is not None:
            product.image_path = None
            discard_files(s, old)
            audit.record(s, actor, "product", product.id, "photo", {"image_path": old},
                         {"image_path": None})
    return product


def discard_files(s: Session, name: str | None) -> None:
    """Delete a photo's files inside the caller's transaction; files already gone are
    no error."""
    if not name or not is_photo_name(name):
        return
    stored_files.remove(s, [stored_name(name), stored_name(name + THUMB_SUFFIX)])


def _render(data: bytes, filename: str) -> tuple[bytes, bytes]:
    """The photo and its thumbnail as JPEG bytes, or Invalid naming the file."""
    limit_mb = current_app.config["PRODUCT_PHOTO_MAX_MB"]
    if not data:
        raise _refuse(_("%(file)s is empty.", file=filename))
    if len(data) > limit_mb * 1024 * 1024:
        raise _refuse(_("%(file)s is %(size).1f MB; a photo may be at most %(max)g MB.",
                        file=filename, size=len(data) / 1024 / 1024, max=limit_mb))
    not_an_image = _("%(file)s is not a JPEG, PNG or WebP image.", file=filename)
    too_big = _("%(file)s declares more than %(mp)s megapixels; send a smaller image.",
                file=filename, mp=MAX_PIXELS // 1_000_000)
    try:
        # Only these three decoders are tried: the type comes from the content, and
        # a file named .jpg that is an SVG, a GIF or a PDF is refused.
        with Image.open(io.BytesIO(data), formats=FORMATS) as image:
            # The header's size, read before any pixel is decoded: a small file can
            # declare a huge image (a decompression bomb).
            if image.width * image.height > MAX_PIXELS:
                raise _refuse(too_big)
            # A JPEG is decoded at a reduced scale when it is far larger than needed.
            image.draft("RGB", (LONG_SIDE_PX, LONG_SIDE_PX))
            image = ImageOps.exif_transpose(image)
            image = _flatten(image)
    except Image.DecompressionBombError:
        raise _refuse(too_big) from None
    except UnidentifiedImageError:
        raise _refuse(not_an_image) from None
    except (OSError, SyntaxError, ValueError) as exc:
        # Truncated or corrupt data inside a recognised header.
        raise _refuse(_("%(file)s could not be read as an image: %(error)s",
                        file=filename, error=str(exc))) from None
    return _jpeg(image, LONG_SIDE_PX), _jpeg(image, THUMB_PX)


def _flatten(image: Image.Image) -> Image.Image:
    """RGB, with transparent parts on white rather than the black they would become."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _jpeg(image: Image.Image, long_side: int) -> bytes:
    copy = image.copy()
    copy.thumbnail((long_side, long_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # Re-encoding writes only the pixels: no EXIF (so no GPS position of the farm,
    # no camera serial), no XMP, no comments and no ICC profile of the upload survive.
    copy.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return out.getvalue()


def _refuse(message: str) -> Invalid:
    return Invalid(message, {"photo": [message]})
