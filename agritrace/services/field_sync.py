"""The field app's offline queue arriving (đồng bộ): each entry goes through the same
service as online — the diary, batches, growing areas, facilities — in a savepoint of
its own, so a refused entry undoes only itself. Its key, unique per organisation,
makes a resent entry a duplicate that writes nothing and answers the first result.

What an official decided wins: an entry about a batch that was recalled or closed, or
an area that was suspended or revoked, is refused and says what changed."""
from __future__ import annotations

import uuid
from datetime import date

from flask_babel import force_locale
from flask_babel import gettext as _
from marshmallow import ValidationError
from shapely.geometry import Point
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gis.walk import Fix, TooFewFixes, walk_polygon

from .. import permissions
from ..clock import now
from ..db import transaction
from ..errors import Conflict, DomainError, Invalid
from ..models import (AreaStatus, Batch, BatchStatus, EntryKind, FacilityKind, FieldDevice,
                      FieldEntry, GrowingArea, User)
from ..schemas.field import PAYLOADS, EntryIn
from ..schemas.messages import localize
from . import areas, batches, devices, diary, facilities, field_photos

LANGUAGES = ("vi", "en")


class TargetChanged(Conflict):
    """The entry's batch or area changed on the server since the phone saw it."""

    def __init__(self, detail: str, what: str, status: str):
        super().__init__(detail)
        self.what, self.status = what, status


def sync_entries(device: FieldDevice, entries: list) -> list[dict]:
    """Accept, recognise or refuse each entry, in order; one result per entry."""
    with transaction() as s:
        results = [_one(s, device, raw) for raw in entries]
        if any(r["status"] == "accepted" for r in results):
            devices.note_use(device)
    return results


def _one(s: Session, device: FieldDevice, raw) -> dict:
    key = raw.get("key") if isinstance(raw, dict) else None
    result = {"key": key, "status": "refused", "id": None, "reason": None, "changed": None,
              "held": []}
    try:
        entry = _load(EntryIn, raw if isinstance(raw, dict) else {})
    except Invalid:
        result["reason"], _exc = _both(lambda: _load(EntryIn, raw if isinstance(raw, dict)
                                                      else {"": raw}))
        return result
    known = _entry(s, device.organization_id, entry["key"])
    if known is not None:
        return {**result, "status": "duplicate", "id": known.result_id}
    started = now()
    try:
        with s.begin_nested():
            target, made = _apply(s, device, entry)
            s.add(FieldEntry(organization_id=device.organization_id, device_id=device.id,
                             key=entry["key"], kind=EntryKind(entry["kind"]), target=target,
                             result_id=made, made_at=entry["made_at"]))
            s.flush()
    except IntegrityError:
        known = _entry(s, device.organization_id, entry["key"])
        if known is not None:      # the same key from another phone, a moment earlier
            return {**result, "status": "duplicate", "id": known.result_id}
        result["reason"] = _in_both(lambda: _("This conflicts with a record that was just "
                                              "saved; send it again."))
        return result
    except DomainError:
        result["reason"], exc = _both(lambda: _apply(s, device, entry), savepoint=s)
        if isinstance(exc, TargetChanged):
            result["changed"] = {"what": exc.what, "status": exc.status, **result["reason"]}
        return result
    return {**result, "status": "accepted", "id": made,
            "held": _held_since(s, device.organization_id, started)}


def _held_since(s: Session, org_id: int, started) -> list[dict]:
    """The batches this entry put on hold (a spraying inside a pre-harvest interval), so
    that the phone can say why at once."""
    held = s.scalars(select(Batch).where(Batch.organization_id == org_id,
                                         Batch.held_at >= started).order_by(Batch.id))
    return [{"batch_id": b.id, "lot_code": b.lot_code, "reason": b.hold_reason} for b in held]


def _entry(s: Session, org_id: int, key: uuid.UUID) -> FieldEntry | None:
    return s.scalar(select(FieldEntry).where(FieldEntry.organization_id == org_id,
                                             FieldEntry.key == key))


def _both(attempt, savepoint: Session | None = None) -> tuple[dict, DomainError | None]:
    """The refusal of `attempt` in both languages: it is run once in each (inside a
    savepoint rolled back every time), since services word their refusals as they
    raise them."""
    reasons, last = {}, None
    for language in LANGUAGES:
        with force_locale(language):
            nested = savepoint.begin_nested() if savepoint is not None else None
            try:
                attempt()
                reasons[language] = None
            except DomainError as exc:
                reasons[language], last = _sentence(exc), exc
            finally:
                if nested is not None:
                    nested.rollback()
    fallback = next((r for r in reasons.values() if r), "")
    return {k: v or fallback for k, v in reasons.items()}, last


def _in_both(message) -> dict:
    reasons = {}
    for language in LANGUAGES:
        with force_locale(language):
            reasons[language] = message()
    return reasons


def _sentence(exc: DomainError) -> str:
    """The refusal with the fields it names, as one sentence for the phone."""
    detail = str(exc.detail)
    fields = "; ".join(f"{name}: {' '.join(map(str, problems))}"
                       for name, problems in _flat(exc.errors).items()
                       if not all(str(p) in detail for p in problems))
    return f"{detail} ({fields})" if fields else detail


def _flat(errors, prefix: str = "") -> dict:
    out = {}
    for name, value in (errors or {}).items():
        path = f"{prefix}{name}"
        if isinstance(value, dict):
            out.update(_flat(value, f"{path}."))
        else:
            out[path] = value if isinstance(value, (list, tuple)) else [value]
    return out


def _load(schema, data: dict) -> dict:
    try:
        return schema().load(data)
    except ValidationError as exc:
        errors = localize(exc.messages)
        fields = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in _flat(errors).items())
        raise Invalid(_("Some fields are not right: %(fields)s", fields=fields),
                      errors) from None


def _apply(s: Session, device: FieldDevice, entry: dict) -> tuple[str, int]:
    kind = EntryKind(entry["kind"])
    return HANDLERS[kind](s, device.user, device, entry)


# -- each kind of entry, through the service that makes it online --------------------

def _diary(s: Session, user: User, device: FieldDevice, entry: dict) -> tuple[str, int]:
    payload = dict(entry["payload"])
    for name, column in (("batch_key", "batch_id"), ("area_key", "area_id")):
        if name in payload:
            payload[column] = _made_by(s, device, payload.pop(name), name)
    data = _load(PAYLOADS[EntryKind.DIARY], payload)
    photo_keys = data.pop("photo_keys")
    _still_open(s, user, data.get("batch_id"), [data["area_id"]] if data.get("area_id")
                else [])
    event = diary.record_event(user, data)
    field_photos.attach_photos(s, device.organization_id, photo_keys, event)
    return "trace_events", event.id


def _harvest(s: Session, user: User, device: FieldDevice, entry: dict) -> tuple[str, int]:
    data = _load(PAYLOADS[EntryKind.HARVEST], dict(entry["payload"]))
    _still_open(s, user, None, data["area_ids"])
    if not data.get("lot_code"):
        data["lot_code"] = _lot_code(data["harvest_date"], entry["key"])
    batch = batches.create_batch(user, data)
    return "batches", batch.id


def _boundary(s: Session, user: User, device: FieldDevice, entry: dict) -> tuple[str, int]:
    data = _load(PAYLOADS[EntryKind.BOUNDARY], dict(entry["payload"]))
    limit = data["accuracy_limit_m"]
    fixes = [Fix(f["lon"], f["lat"], f["accuracy"], f["t"]) for f in data["fixes"]]
    try:
        walk = walk_polygon(fixes, limit)
    except TooFewFixes as exc:
        message = _("Only %(good)s of %(fixes)s positions were within %(limit)s m, giving "
                    "%(points)s corners; a walked boundary needs at least %(min)s. Walk the "
                    "boundary again where the sky is open.", good=exc.good, fixes=exc.fixes,
                    limit=f"{limit:g}", points=exc.points, min=4)
        raise Invalid(message, {"fixes": [message]}) from None
    area = areas.create_area(user, {"name": data["name"], "crop": data["crop"],
                                    "geometry": walk.polygon})
    return "growing_areas", area.id


def _point(s: Session, user: User, device: FieldDevice, entry: dict) -> tuple[str, int]:
    data = _load(PAYLOADS[EntryKind.POINT], dict(entry["payload"]))
    where = Point(data["lon"], data["lat"])
    if data["kind"] == "packing_house":
        facility = facilities.create_facility(user, {
            "kind": FacilityKind.PACKING_HOUSE, "location": where, "address": "",
            "name": data["name"] or data["note"][:200] or _("Packing house")})
        return "facilities", facility.id
    own = [a for a in areas.areas_at(user, data["lon"], data["lat"])
           if a.organization_id == user.organization_id]
    if not own:
        message = _("This point is not inside any of your organisation's growing areas; an "
                    "observation is recorded on the area it was made in.")
        raise Invalid(message, {"lon": [message]})
    details = {"note": data["note"], "lon": data["lon"], "lat": data["lat"],
               "accuracy_m": data["accuracy"]}
    event = diary.record_event(user, {"step": "inspecting", "area_id": own[0].id,
                                      "event_time": entry["made_at"] or now(),
                                      "details": details})
    return "trace_events", event.id


HANDLERS = {EntryKind.DIARY: _diary, EntryKind.HARVEST: _harvest,
            EntryKind.BOUNDARY: _boundary, EntryKind.POINT: _point}


def _made_by(s: Session, device: FieldDevice, key, name: str) -> int:
    """The id of the row an earlier entry of the organisation made (a harvest's batch, a
    boundary's area), for an entry that names it by key while offline."""
    try:
        found = _entry(s, device.organization_id, uuid.UUID(str(key)))
    except ValueError:
        found = None
    if found is None:
        message = _("The entry %(key)s it refers to has not been accepted.", key=key)
        raise Invalid(message, {name: [message]})
    return found.result_id


def _lot_code(day: date, key: uuid.UUID) -> str:
    """A lot code for a harvest sent without one: the date and the start of its key
    (GS1 AI 10 characters, at most 20)."""
    return f"F{day:%y%m%d}-{key.hex[:8].upper()}"


def _still_open(s: Session, user: User, batch_id: int | None, area_ids: list[int]) -> None:
    """Refuse, saying what changed, an entry about a batch that is no longer open or an
    area an official suspended or revoked."""
    if batch_id:
        batch = permissions.fetch(s, user, Batch, batch_id, "batch")
        if batch.status != BatchStatus.OPEN:
            raise TargetChanged(_("Batch %(lot)s was %(status)s on the server; this entry was "
                                  "not recorded.", lot=batch.lot_code,
                                  status=_(batch.status.value)),
                                f"batch_{batch.status.value}", batch.status.value)
    for area_id in area_ids:
        area = permissions.fetch(s, user, GrowingArea, area_id, "area")
        if area.status in (AreaStatus.SUSPENDED, AreaStatus.REVOKED):
            raise TargetChanged(_("Growing area %(code)s was %(status)s on the server%(why)s; "
                                  "this entry was not recorded.", code=area.code or area.name,
                                  status=_(area.status.value),
                                  why=f" ({area.status_reason})" if area.status_reason
                                  else ""),
                                f"area_{area.status.value}", area.status.value)
