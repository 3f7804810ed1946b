"""The farming diary (nhật ký canh tác) in and out of GS1 EPCIS 2.0.

Export: a batch's history, or every entry the reader may see in a time window, as
one EPCISDocument. Import: an EPCISDocument of ObjectEvents into one batch's diary,
whole or not at all. The conversion itself is `agritrace.epcis` (pure); this module
picks the rows, checks who may do what, and resolves identifiers to our records.
"""
from __future__ import annotations


from flask import current_app
from flask_babel import gettext as _
from marshmallow import EXCLUDE, ValidationError
from sqlalchemy import select

from labels.codes import CodeError, parse_code
from labels.gs1 import normalize_gtin

from .. import epcis, permissions
from ..clock import now
from ..db import session, transaction
from ..errors import Conflict, Forbidden, Invalid
from ..models import (Batch, BatchStatus, BizStep, Disposition, Facility,
                      LogisticUnit, Role, Stamp, StampRun, TraceEvent, User)
from ..epcis.objects import object_key
from ..epcis.vocabulary import local_name
from ..schemas.diary import DETAILS
from . import audit, diary, epcis_store

MAX_IMPORT_EVENTS = 10_000
MAX_EXPORT_EVENTS = 10_000
# Diary steps whose details the platform acts on: a spraying's pre-harvest interval
# can hold a batch, a lab test's result and limit decide its disposition. Their
# details are checked on import as strictly as an entry typed in here.
CHECKED_STEPS = (BizStep.SPRAYING, BizStep.LAB_TESTING)
EPCIS_HEADERS = {"GS1-EPCIS-Version": "2.0.0", "GS1-CBV-Version": "2.0.0"}


def _base_url() -> str:
    return current_app.config["PUBLIC_BASE_URL"]


# --- export --------------------------------------------------------------------------

def batch_history(s, batch: Batch) -> list[TraceEvent]:
    """The entries of the batch's story (see diary.in_history_of), oldest first."""
    return list(s.scalars(select(TraceEvent).where(diary.in_history_of(batch))
                          .order_by(TraceEvent.event_time, TraceEvent.id)))


def export_batch(actor: User | None, batch_id: int) -> dict:
    """The batch's history as an EPCISDocument."""
    s = session()
    batch = permissions.fetch(s, actor, Batch, batch_id, "batch")
    return _document(s, batch_history(s, batch))


def _document(s, rows: list[TraceEvent]) -> dict:
    return epcis.export_document([], created=now()) | {
        "epcisBody": {"eventList": epcis_store.diary_documents(s, rows)}}


# --- import --------------------------------------------------------------------------

def import_batch_events(actor: User | None, batch_id: int, data: bytes) -> dict:
    """Add the ObjectEvents of an EPCIS 2.0 document to a batch's diary.

    The whole document or nothing: any problem (not JSON, against GS1's schema, an
    event about other goods than this lot or away from its areas, a spraying without
    its pre-harvest interval…) is reported with the event's index and field, and
    nothing is written. Events already imported (same eventID), or exported from this
    batch and sent back, are skipped. Returns {"imported": [TraceEvent], "skipped":
    [eventID]}.
    """
    user = permissions.require_write(actor)
    if user.role == Role.OFFICIAL:
        raise Forbidden(_("Officials read the farming diary; the producer keeps it."))
    try:
        entries = epcis.read_document(data)
    except epcis.EpcisError as exc:
        raise _invalid(exc.message, exc.problems) from exc
    if len(entries) > MAX_IMPORT_EVENTS:
        raise Invalid(_("The document holds %(n)s events; send at most %(max)s at a time.",
                        n=len(entries), max=MAX_IMPORT_EVENTS))
    with transaction() as s:
        batch = permissions.fetch(s, user, Batch, batch_id, "batch", write=True, lock=True)
        if batch.status == BatchStatus.RECALLED:
            raise Conflict(_("This batch was recalled; its diary is closed."))
        problems: list[epcis.EpcisProblem] = []
        rows, skipped = _rows(s, batch, user, entries, problems)
        if problems:
            # An event about other goods is the likeliest mistake: say it first.
            foreign = next((p.message for p in problems if p.event is None), None)
            raise _invalid(foreign or "Some events cannot go into this batch's diary.",
                           problems)
        s.add_all(rows)
        s.flush()
        epcis_store.record_diary(s, rows)
        if any(r.biz_step == BizStep.SPRAYING for r in rows):
            diary.hold_if_sprayed_too_late(s, user, batch)
        audit.record(s, user, "batch", batch.id, "epcis_import",
                     after={"events": len(rows), "skipped": len(skipped)})
    return {"imported": rows, "skipped": skipped}


def _rows(s, batch: Batch, user: User, entries: list[dict],
          problems: list[epcis.EpcisProblem]) -> tuple[list[TraceEvent], list[str]]:
    """The diary rows of the entries not imported before, and the eventIDs skipped;
    what stops an entry goes into `problems`."""
    known = _known_event_ids(s, batch)
    fresh = [(i, e) for i, e in enumerate(entries) if e["event_id"] not in known]
    skipped = [e["event_id"] for e in entries if e["event_id"] in known]
    ours = _Identity(s, batch, [e for _i, e in fresh])
    rows, seen = [], {}
    for index, entry in fresh:
        event_id = entry["event_id"]
        if event_id is not None and event_id in seen:
            problems.append(epcis.EpcisProblem(
                index, _field(index, "eventID"),
                f"repeats the eventID of event {seen[event_id]}."))
            continue
        if event_id is not None:
            seen[event_id] = index
        if not ours.check(index, entry, problems):
            continue
        row = _row(index, entry, batch, user, problems)
        if row is not None:
            rows.append(row)
    return rows, skipped


class _Identity:
    """Whether an imported event is about this batch (GS1's example SGTINs once went
    into a dragon-fruit batch): every object it names must be this lot — its GTIN and
    lot, a serial that is one of its stamps, an SSCC packed from it, or our lot URN —
    and an event naming no object must have happened on one of its growing areas.
    Stamps and cartons are looked up once for the whole document."""

    def __init__(self, s, batch: Batch, entries: list[dict]):
        self.batch = batch
        self.gtin = normalize_gtin(batch.product.gtin) if batch.product.gtin else None
        keys = [object_key(uri) for e in entries for _f, uri in e.get("objects", ())]
        serials = {k.serial for k in keys if k and k.gtin == self.gtin and k.gtin
                   and k.lot is None and k.serial is not None}
        self.stamps = _stamps_of(s, batch, serials)
        ssccs = {k.sscc for k in keys if k and k.sscc}
        self.ssccs = set(s.scalars(select(LogisticUnit.sscc).where(
            LogisticUnit.sscc.in_(ssccs), LogisticUnit.batch_id == batch.id))) if ssccs \
            else set()
        base = _base_url()
        self.places = {epcis.area_uri(base, area_id=a.id) for a in batch.areas} | {
            epcis.area_uri(base, code=a.code) for a in batch.areas if a.code}

    def is_ours(self, uri: str) -> bool:
        key, batch = object_key(uri), self.batch
        if key is None:
            return False
        if key.organization_id is not None:
            return (key.organization_id, key.product_id, key.lot) == (
                batch.organization_id, batch.product_id, batch.lot_code)
        if key.sscc is not None:
            return key.sscc in self.ssccs
        if self.gtin is None or key.gtin != self.gtin:
            return False
        return key.lot == batch.lot_code if key.lot is not None else key.serial in self.stamps

    def check(self, index: int, entry: dict, problems: list[epcis.EpcisProblem]) -> bool:
        """False, with the reason in `problems`, for an event about something else."""
        batch = self.batch
        for field, uri in entry.get("objects", ()):
            if not self.is_ours(uri):
                reason = _("Event %(n)s is about %(object)s, not this batch (GTIN %(gtin)s, "
                           "lot %(lot)s).", n=index, object=uri, gtin=self.gtin,
                           lot=batch.lot_code) if self.gtin else \
                    _("Event %(n)s is about %(object)s, not this batch (lot %(lot)s).",
                      n=index, object=uri, lot=batch.lot_code)
                problems.append(epcis.EpcisProblem(None, _field(index, field), reason))
                return False
        if entry.get("objects") or entry["area_code"] is not None \
                or any(place in self.places for _f, place in entry.get("places", ())):
            return True   # an area code not of this batch is refused by _row
        field = entry["places"][0][0] if entry.get("places") else "readPoint"
        problems.append(epcis.EpcisProblem(None, _field(index, field), _(
            "Event %(n)s names no object of this batch and did not happen on one of its "
            "growing areas (%(areas)s).", n=index,
            areas=", ".join(a.code or str(a.id) for a in batch.areas) or "—")))
        return False


def _stamps_of(s, batch: Batch, serials: set[str]) -> set[str]:
    """The serials among `serials` that are stamps of the batch, as they were written
    (a code may be spelt with or without dashes, in either case)."""
    ids: dict[int, set[str]] = {}
    for serial in serials:
        try:
            ids.setdefault(parse_code(serial), set()).add(serial)
        except CodeError:
            continue
    if not ids:
        return set()
    found = s.scalars(select(Stamp.id).join(StampRun, StampRun.id == Stamp.run_id).where(
        Stamp.id.in_(ids), StampRun.batch_id == batch.id))
    return {serial for i in found for serial in ids[i]}


def _known_event_ids(s, batch: Batch) -> set[str]:
    """eventIDs of the batch's history: those its entries were imported with, and
    those its own entries (and its areas' in the season) are exported with."""
    return {e.epcis_event_id or epcis.event_id(e.id) for e in batch_history(s, batch)}


def _field(index: int, name: str) -> str:
    return f"epcisBody.eventList[{index}].{name}"


def _row(index: int, entry: dict, batch: Batch, user: User,
         problems: list[epcis.EpcisProblem]) -> TraceEvent | None:
    def fault(name: str, message: str) -> None:
        problems.append(epcis.EpcisProblem(index, _field(index, name), message))

    details = dict(entry["details"])
    # Whose lot the event names was checked before (_Identity).
    if entry["lot_uri"] is not None and entry["quantity"] is not None:
        details["quantity"] = entry["quantity"]
        details["unit"] = entry["uom"] or "KGM"
    if entry["ilmd"]:
        details["epcis_ilmd"] = entry["ilmd"]
    area_id = facility_id = None
    if entry["area_code"] is not None:
        area = next((a for a in batch.areas if a.code == entry["area_code"]), None)
        if area is None:
            fault("agritrace:growingAreaCode",
                  f"growing area {entry['area_code']} is not one this batch comes from "
                  f"({', '.join(a.code or str(a.id) for a in batch.areas)}).")
        else:
            area_id = area.id
    elif entry["location_uri"] is not None:
        facility = batch.packing_facility
        if facility is not None and entry["location_uri"] in _uris_of(facility):
            facility_id = facility.id
        else:
            details["epcis_read_point"] = entry["location_uri"]
    step = entry["biz_step"]
    if step in CHECKED_STEPS:
        wanted = DETAILS[step]
        try:
            checked = wanted(unknown=EXCLUDE).load(details)
        except ValidationError as exc:
            for key, messages in exc.messages.items():
                fault(f"agritrace:{local_name(key)}",
                      f"a {step.replace('_', ' ')} entry needs it: {' '.join(map(str, messages))}")
            return None
        details.update(checked)
    disposition = entry["disposition"]
    if step == BizStep.LAB_TESTING and disposition is None:
        disposition = (Disposition.CONFORMANT if details["result"] <= details["limit"]
                       else Disposition.NON_CONFORMANT).value
    return TraceEvent(
        biz_step=BizStep(step), disposition=Disposition(disposition) if disposition else None,
        event_time=entry["event_time"], event_tz=entry["event_tz"], area_id=area_id,
        batch_id=batch.id, facility_id=facility_id, details=details, recorded_by=user.id,
        epcis_event_id=entry["event_id"])


def _uris_of(facility: Facility) -> set[str]:
    uris = {epcis.facility_uri(facility_id=facility.id)}
    if facility.code:
        uris.add(epcis.facility_uri(code=facility.code))
    return uris




def _invalid(message: str, problems: list[epcis.EpcisProblem]) -> Invalid:
    """An import refused: the summary, and each problem under its field path (which
    names the event's index) so that a client can point at it."""
    errors: dict[str, list[str]] = {}
    for problem in problems:
        where = problem.field or "document"
        shown = f"event {problem.event}: {problem.message}" if problem.event is not None \
            else problem.message
        errors.setdefault(where, []).append(shown)
    return Invalid(_("The EPCIS document was not imported: %(why)s", why=message), errors)
