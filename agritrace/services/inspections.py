"""Inspections (kiểm tra, giám sát) of growing-area and packing-house codes.

An inspection records its date, the inspector, the findings and photos, and an
outcome: passed, a corrective action due by a date, a suspension for named markets, or
a revocation. The outcome moves the code's market states in the same transaction, so
the record and its consequence stand or fall together.
"""
from __future__ import annotations

import io
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import permissions
from ..clock import today
from ..db import session, transaction
from ..errors import Conflict, Invalid, NotFound
from ..models import (CodeMarket, Facility, Finding, GrowingArea, Inspection, InspectionPhoto,
                      MarketState, Outcome, User)
from . import audit, code_markets

MAX_PHOTOS = 6
MAX_PIXELS = 40_000_000
LONG_SIDE_PX = 1600
FIELDS = ("inspected_on", "inspector", "findings", "outcome", "markets", "correct_by",
          "corrected_on")
FINDINGS = {
    Finding.QUARANTINE_PEST: _l("quarantine pest found"),
    Finding.RESIDUE_OVER_LIMIT: _l("pesticide residue over the limit"),
    Finding.RECORDS_MISSING: _l("records missing"),
    Finding.CODE_MISUSED: _l("code used by someone else"),
    Finding.OWNER_CHANGED: _l("owner changed"),
}
OUTCOMES = {
    Outcome.PASSED: _l("passed"),
    Outcome.CORRECTIVE_ACTION: _l("corrective action by a date"),
    Outcome.SUSPENSION: _l("suspension for named markets"),
    Outcome.REVOCATION: _l("revocation"),
}
# The step an outcome applies to each named market.
STEP = {Outcome.SUSPENSION: "suspend", Outcome.REVOCATION: "revoke"}


def record_inspection(actor: User | None, data: dict,
                      photos: list[tuple[str, bytes]] = ()) -> Inspection:
    """Record an inspection of the code `data["code"]` and apply its outcome. Photos
    are (filename, bytes) of JPEG, PNG or WebP images, kept re-encoded as JPEG."""
    user = permissions.require_write(actor)
    outcome = Outcome(data["outcome"])
    findings = [Finding(f).value for f in data.get("findings") or []]
    day = data["inspected_on"]
    if day > today():
        raise Invalid(_("The inspection date %(date)s is in the future.", date=day.isoformat()),
                      {"inspected_on": [_("In the future.")]})
    correct_by = data.get("correct_by")
    if outcome == Outcome.CORRECTIVE_ACTION and (correct_by is None or correct_by <= day):
        raise Invalid(_("A corrective action needs the date it is due, after the inspection."),
                      {"correct_by": [_("Give a date after the inspection.")]})
    if len(photos) > MAX_PHOTOS:
        raise Invalid(_("At most %(n)s photos per inspection.", n=MAX_PHOTOS),
                      {"photos": [_("Too many photos.")]})
    images = [_jpeg(name, raw) for name, raw in photos]
    with transaction() as s:
        code = code_markets.find_code(s, data["code"])
        permissions.check(user, "area.review", code, write=True)
        rows = _markets(s, code, outcome, data.get("markets") or [])
        made = Inspection(
            province_code=code.province_code, inspected_on=day,
            inspector=data["inspector"].strip(), findings=findings,
            notes=(data.get("notes") or "").strip(), outcome=outcome,
            markets=[r.market for r in rows],
            correct_by=correct_by if outcome == Outcome.CORRECTIVE_ACTION else None,
            recorded_by=user.id,
            **({"area_id": code.id} if isinstance(code, GrowingArea) else
               {"facility_id": code.id}))
        s.add(made)
        s.flush()
        s.add_all(InspectionPhoto(inspection_id=made.id, content_type="image/jpeg", data=jpeg)
                  for jpeg in images)
        reason = _reason(made)
        for row in rows:
            code_markets.apply_step(s, user, row, code, STEP[outcome], {"reason": reason},
                                    inspection_id=made.id)
        audit.record(s, user, "inspection", made.id, "create", None,
                     {**audit.snapshot(made, FIELDS), "code": code.code,
                      "photos": len(images)})
    return made


def _markets(s: Session, code, outcome: Outcome, named: list[str]) -> list[CodeMarket]:
    """The code's market rows the outcome changes, locked: for a suspension the markets
    named (each approved now); for a revocation those named, or every one not revoked."""
    if outcome not in STEP:
        return []
    where = (CodeMarket.area_id == code.id) if isinstance(code, GrowingArea) \
        else (CodeMarket.facility_id == code.id)
    rows = {r.market: r for r in s.scalars(select(CodeMarket).where(where).with_for_update())}
    named = [m.strip().upper() for m in named if m.strip()]
    if outcome == Outcome.REVOCATION and not named:
        named = [m for m, r in rows.items() if r.state != MarketState.REVOKED]
    if not named:
        raise Invalid(_("Name the markets the suspension applies to."),
                      {"markets": [_("Name at least one market.")]})
    allowed = (MarketState.APPROVED,) if outcome == Outcome.SUSPENSION else \
        (MarketState.PROPOSED, MarketState.SUBMITTED, MarketState.APPROVED, MarketState.SUSPENDED)
    wrong = [m for m in named if m not in rows or rows[m].state not in allowed]
    if wrong:
        raise Invalid(_("Code %(code)s is not approved for %(markets)s; an inspection can only "
                        "suspend or revoke markets the code holds.", code=code.code,
                        markets=", ".join(wrong)), {"markets": [", ".join(wrong)]})
    return [rows[m] for m in dict.fromkeys(named)]


def _reason(made: Inspection) -> str:
    """The reason a market change carries: the inspection and what it found."""
    found = ", ".join(str(FINDINGS[Finding(f)]) for f in made.findings) \
        or _("no finding named")
    text = _("Inspection of %(date)s: %(findings)s", date=made.inspected_on.isoformat(),
             findings=found)
    return f"{text}. {made.notes}" if made.notes else text


def mark_corrected(actor: User | None, inspection_id: int, corrected_on: date) -> Inspection:
    """An official confirms that a corrective action was done."""
    user = permissions.require_write(actor)
    if corrected_on > today():
        raise Invalid(_("The date is in the future."), {"corrected_on": [_("In the future.")]})
    with transaction() as s:
        made = s.get(Inspection, inspection_id, with_for_update=True)
        if made is None:
            raise NotFound(_("Not found."))
        permissions.check(user, "area.review", code_markets.code_of(s, made), write=True)
        if made.outcome != Outcome.CORRECTIVE_ACTION or made.corrected_on is not None:
            raise Conflict(_("This inspection has no open corrective action."),
                           {"corrected_on": [_("Nothing to close.")]})
        if corrected_on < made.inspected_on:
            raise Invalid(_("The correction cannot come before the inspection."),
                          {"corrected_on": [_("Before the inspection.")]})
        before = audit.snapshot(made, FIELDS)
        made.corrected_on = corrected_on
        s.flush()
        audit.record(s, user, "inspection", made.id, "corrected", before,
                     audit.snapshot(made, FIELDS))
    return made


def add_photos(actor: User | None, inspection_id: int,
               photos: list[tuple[str, bytes]]) -> Inspection:
    """Add photos to an inspection, up to MAX_PHOTOS in all."""
    user = permissions.require_write(actor)
    images = [_jpeg(name, raw) for name, raw in photos]
    with transaction() as s:
        made = s.get(Inspection, inspection_id, with_for_update=True)
        if made is None:
            raise NotFound(_("Not found."))
        permissions.check(user, "area.review", code_markets.code_of(s, made), write=True)
        have = s.scalar(select(func.count()).select_from(InspectionPhoto).where(
            InspectionPhoto.inspection_id == made.id))
        if have + len(images) > MAX_PHOTOS:
            raise Invalid(_("At most %(n)s photos per inspection.", n=MAX_PHOTOS),
                          {"photos": [_("Too many photos.")]})
        s.add_all(InspectionPhoto(inspection_id=made.id, content_type="image/jpeg", data=jpeg)
                  for jpeg in images)
        audit.record(s, user, "inspection", made.id, "photos", {"photos": have},
                     {"photos": have + len(images)})
    return made


def list_inspections(actor: User | None, *, code: str | None = None, offset: int = 0,
                     limit: int = 50) -> tuple[list[tuple[Inspection, object]], int]:
    """(inspection, its code) pairs the actor may read, newest first."""
    user = permissions.require_login(actor)
    query = (select(Inspection, GrowingArea, Facility).options(*code_markets.WITH_CODES)
             .outerjoin(GrowingArea, GrowingArea.id == Inspection.area_id)
             .outerjoin(Facility, Facility.id == Inspection.facility_id)
             .where(code_markets.visible(user)))
    if code:
        query = query.where(func.coalesce(GrowingArea.code, Facility.code)
                            == code.strip().upper())
    s = session()
    total = s.scalar(select(func.count()).select_from(query.subquery()))
    rows = s.execute(query.order_by(Inspection.inspected_on.desc(), Inspection.id.desc())
                     .offset(offset).limit(limit))
    return [(made, area or house) for made, area, house in rows], total


def get_inspection(actor: User | None, inspection_id: int) -> tuple[Inspection, object, list]:
    """The inspection, its code and its photos' ids: the code's readers may read it."""
    s = session()
    made = s.get(Inspection, inspection_id)
    if made is None:
        permissions.require_login(actor)
        raise NotFound(_("Not found."))
    code = code_markets.code_of(s, made)
    permissions.check(actor, "area", code)
    photos = list(s.scalars(select(InspectionPhoto.id).where(
        InspectionPhoto.inspection_id == made.id).order_by(InspectionPhoto.id)))
    return made, code, photos


def get_photo(actor: User | None, inspection_id: int, photo_id: int) -> bytes:
    get_inspection(actor, inspection_id)
    data = session().scalar(select(InspectionPhoto.data).where(
        InspectionPhoto.id == photo_id, InspectionPhoto.inspection_id == inspection_id))
    if data is None:
        raise NotFound(_("Not found."))
    return data


def _jpeg(filename: str, raw: bytes) -> bytes:
    """A photo as JPEG, at most LONG_SIDE_PX on its long side, or Invalid naming it."""
    limit_mb = current_app.config["PRODUCT_PHOTO_MAX_MB"]

    def refuse(message: str) -> Invalid:
        return Invalid(message, {"photos": [message]})
    if not raw:
        raise refuse(_("%(file)s is empty.", file=filename))
    if len(raw) > limit_mb * 1024 * 1024:
        raise refuse(_("%(file)s is %(size).1f MB; a photo may be at most %(max)g MB.",
                       file=filename, size=len(raw) / 1024 / 1024, max=limit_mb))
    try:
        with Image.open(io.BytesIO(raw), formats=("JPEG", "PNG", "WEBP")) as image:
            if image.width * image.height > MAX_PIXELS:
                raise refuse(_("%(file)s declares more than %(mp)s megapixels; send a smaller "
                               "image.", file=filename, mp=MAX_PIXELS // 1_000_000))
            image.draft("RGB", (LONG_SIDE_PX, LONG_SIDE_PX))
            image = ImageOps.exif_transpose(image).convert("RGB")
            image.thumbnail((LONG_SIDE_PX, LONG_SIDE_PX))
            out = io.BytesIO()
            image.save(out, "JPEG", quality=85)
            return out.getvalue()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError,
            ValueError):
        raise refuse(_("%(file)s is not a JPEG, PNG or WebP image.", file=filename)) from None
