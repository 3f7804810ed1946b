"""Photos taken in the field (ảnh hiện trường): sniffed, re-encoded as JPEG of at most
LONG_SIDE_PX on the long side (the phone already shrinks them; the server does not
trust it), and kept in the database (services/stored_files.py) as `diary/<name>.jpg`,
named by an unguessable token, in the transaction that records the photo. A photo is
sent before the diary entry that names its key, and is linked to that entry when it
arrives. The same key sent again is answered with the first photo."""
from __future__ import annotations

import io
import re
import secrets
import uuid

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..db import session, transaction
from ..errors import Invalid
from ..models import FieldDevice, FieldPhoto, TraceEvent
from . import audit, devices, stored_files

FORMATS = ("JPEG", "PNG", "WEBP")
LONG_SIDE_PX = 1600
MAX_PIXELS = 40_000_000
JPEG_QUALITY = 82
DEFAULT_MAX_MB = 2.0
NAME = re.compile(r"^[A-Za-z0-9_-]{32}$")


def max_bytes() -> int:
    return int(current_app.config.get("FIELD_PHOTO_MAX_MB", DEFAULT_MAX_MB) * 1024 * 1024)


def stored_name(name: str) -> str | None:
    """The stored file of a photo's name; None for anything that is not one."""
    return f"diary/{name}.jpg" if NAME.match(name or "") else None


def store_photo(device: FieldDevice, key: uuid.UUID, data: bytes,
                filename: str) -> tuple[FieldPhoto, bool]:
    """Keep a photo sent by `device` under its key: (the photo, True when the key was
    already there and nothing new was written). Invalid naming the file when it is
    empty, too large or not a JPEG, PNG or WebP image."""
    s = session()
    found = _by_key(s, device.organization_id, key)
    if found is not None:
        return found, True
    jpeg, size = _render(data, filename)
    name = secrets.token_urlsafe(24)
    try:
        with transaction() as s:
            stored_files.put(s, stored_name(name), jpeg, "image/jpeg")
            photo = FieldPhoto(organization_id=device.organization_id, device_id=device.id,
                               key=key, name=name, width_px=size[0], height_px=size[1],
                               size_bytes=len(jpeg))
            s.add(photo)
            devices.note_use(device)
            s.flush()
            audit.record(s, device.user, "field_photo", photo.id, "upload",
                         after={"key": str(key), "device_id": device.id})
    except IntegrityError:
        # The same key from another phone of the organisation, a moment earlier; the
        # rollback took this photo's file with it.
        session().rollback()
        found = _by_key(session(), device.organization_id, key)
        if found is None:
            raise
        return found, True
    return photo, False


def _by_key(s: Session, org_id: int, key: uuid.UUID) -> FieldPhoto | None:
    return s.scalar(select(FieldPhoto).where(FieldPhoto.organization_id == org_id,
                                             FieldPhoto.key == key))


def attach_photos(s: Session, org_id: int, keys: list[uuid.UUID], event: TraceEvent) -> None:
    """Link the photos named by a diary entry to it, inside the entry's transaction;
    Invalid naming the first key that has not arrived or belongs to another entry."""
    if not keys:
        return
    photos = {p.key: p for p in s.scalars(select(FieldPhoto).where(
        FieldPhoto.organization_id == org_id, FieldPhoto.key.in_(keys)))}
    for index, key in enumerate(keys):
        photo = photos.get(key)
        if photo is None:
            message = _("Photo %(key)s has not reached the server; send the photo first, "
                        "then the entry.", key=key)
            raise Invalid(message, {f"photo_keys.{index}": [message]})
        if photo.event_id not in (None, event.id):
            message = _("Photo %(key)s already belongs to another diary entry.", key=key)
            raise Invalid(message, {f"photo_keys.{index}": [message]})
        photo.event_id = event.id
    s.flush()


def _render(data: bytes, filename: str) -> tuple[bytes, tuple[int, int]]:
    limit = max_bytes()
    if not data:
        raise _refuse(_("%(file)s is empty.", file=filename))
    if len(data) > limit:
        raise _refuse(_("%(file)s is %(size).1f MB; a photo may be at most %(max)g MB.",
                        file=filename, size=len(data) / 1024 / 1024, max=limit / 1024 / 1024))
    too_big = _("%(file)s declares more than %(mp)s megapixels; send a smaller image.",
                file=filename, mp=MAX_PIXELS // 1_000_000)
    try:
        # The type comes from the content: only these decoders are tried.
        with Image.open(io.BytesIO(data), formats=FORMATS) as image:
            if image.width * image.height > MAX_PIXELS:
                raise _refuse(too_big)
            image.draft("RGB", (LONG_SIDE_PX, LONG_SIDE_PX))
            image = ImageOps.exif_transpose(image).convert("RGB")
    except Image.DecompressionBombError:
        raise _refuse(too_big) from None
    except UnidentifiedImageError:
        raise _refuse(_("%(file)s is not a JPEG, PNG or WebP image.", file=filename)) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise _refuse(_("%(file)s could not be read as an image: %(error)s",
                        file=filename, error=str(exc))) from None
    image.thumbnail((LONG_SIDE_PX, LONG_SIDE_PX), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # Re-encoding keeps only the pixels: no EXIF (the farm's GPS position, the phone's
    # serial) survives.
    image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue(), image.size


def _refuse(message: str) -> Invalid:
    return Invalid(message, {"photo": [message]})
