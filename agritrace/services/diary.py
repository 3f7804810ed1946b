"""The farming diary (nhật ký canh tác): what was done on a growing area or to a
batch, and when. A spraying whose pre-harvest interval (thời gian cách ly) ends
after a batch's harvest puts the batch on hold until an official clears it."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, false, func, or_, select, true
from sqlalchemy.orm import Session

from .. import permissions
from ..clock import VIETNAM, now, today
from ..db import session, transaction
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..models import (Batch, BatchStatus, BizStep, Disposition, GrowingArea, Organization, Role,
                      TraceEvent, User, batch_areas)
from . import audit, epcis_store

HOLD_FIELDS = ("hold_reason", "held_at", "hold_cleared_at", "hold_cleared_by")


def visible_events(actor: User | None) -> ColumnElement[bool]:
    """Diary entries the actor may read: of its organisation's areas and batches, or
    of its province's."""
    if actor is None:
        return false()
    if actor.role == Role.ADMIN:
        return true()
    if actor.role == Role.OFFICIAL:
        areas = select(GrowingArea.id).where(GrowingArea.province_code == actor.province_code)
        batches = select(Batch.id).join(Organization, Organization.id == Batch.organization_id) \
            .where(Organization.province_code == actor.province_code)
    else:
        areas = select(GrowingArea.id).where(
            GrowingArea.organization_id == actor.organization_id)
        batches = select(Batch.id).where(Batch.organization_id == actor.organization_id)
    return or_(TraceEvent.area_id.in_(areas), TraceEvent.batch_id.in_(batches))


# The area entries that belong to a batch's story: those on its growing areas in the
# season before its harvest. A year covers every crop we register, perennials
# included (a dragon-fruit season is shorter; rice much shorter).
SEASON = timedelta(days=365)


def in_history_of(batch: Batch) -> ColumnElement[bool]:
    """The batch's own entries, and those on its areas in the season before its harvest
    (before today while it has no harvest date)."""
    day = batch.harvest_date or today()
    end = datetime.combine(day + timedelta(days=1), time(), VIETNAM)
    on_areas = (TraceEvent.area_id.in_([a.id for a in batch.areas])
                & TraceEvent.batch_id.is_(None)
                & (TraceEvent.event_time >= end - SEASON) & (TraceEvent.event_time < end))
    return or_(TraceEvent.batch_id == batch.id, on_areas)


def list_events(actor: User | None, *, area_id: int | None = None, batch_id: int | None = None,
                history_of: Batch | None = None,
                since: datetime | None = None, until: datetime | None = None,
                offset: int = 0, limit: int = 20,
                newest_first: bool = False) -> tuple[list[TraceEvent], int]:
    """Oldest first (the order of the API and of EPCIS); pages show the newest first.
    `history_of` a batch: its entries and its areas' in its season."""
    permissions.require_login(actor)
    where = [visible_events(actor)]
    if history_of is not None:
        where.append(in_history_of(history_of))
    if area_id:
        where.append(TraceEvent.area_id == area_id)
    if batch_id:
        where.append(TraceEvent.batch_id == batch_id)
    if since:
        where.append(TraceEvent.event_time >= since)
    if until:
        where.append(TraceEvent.event_time < until)
    s = session()
    total = s.scalar(select(func.count()).select_from(TraceEvent).where(*where))
    order = (TraceEvent.event_time.desc(), TraceEvent.id.desc()) if newest_first \
        else (TraceEvent.event_time, TraceEvent.id)
    rows = s.scalars(select(TraceEvent).where(*where).order_by(*order)
                     .offset(offset).limit(limit))
    return list(rows), total


def get_event(actor: User | None, event_id: int) -> TraceEvent:
    permissions.require_login(actor)
    event = session().scalar(select(TraceEvent).where(TraceEvent.id == event_id,
                                                      visible_events(actor)))
    if event is None:
        raise NotFound(_("Not found."))
    return event


def subjects(events: list[TraceEvent]) -> tuple[dict[int, GrowingArea], dict[int, Batch]]:
    """The areas and batches that entries are about, by id, in two queries. Only for
    entries the actor was allowed to read: an entry's subjects are readable with it."""
    s = session()
    area_ids = {e.area_id for e in events if e.area_id}
    batch_ids = {e.batch_id for e in events if e.batch_id}
    areas = s.scalars(select(GrowingArea).where(GrowingArea.id.in_(area_ids))) \
        if area_ids else []
    batches = s.scalars(select(Batch).where(Batch.id.in_(batch_ids))) if batch_ids else []
    return {a.id: a for a in areas}, {b.id: b for b in batches}


def record_event(actor: User | None, data: dict) -> TraceEvent:
    """Add an entry to the diary of one of the producer's areas or batches."""
    user = permissions.require_write(actor)
    if user.role == Role.OFFICIAL:
        raise Forbidden(_("Officials read the farming diary; the producer keeps it."))
    with transaction() as s:
        area = batch = None
        if data.get("area_id"):
            area = permissions.fetch(s, user, GrowingArea, data["area_id"], "area")
        if data.get("batch_id"):
            batch = permissions.fetch(s, user, Batch, data["batch_id"], "batch", write=True)
            if batch.status == BatchStatus.RECALLED:
                raise Conflict(_("This batch was recalled; its diary is closed."))
        if area and batch and area.id not in {a.id for a in batch.areas}:
            raise Invalid(_("The batch does not come from this growing area."),
                          {"area_id": [_("Not one of the batch's areas.")]})
        when = data.get("event_time") or now()
        details = dict(data["details"])
        event = TraceEvent(biz_step=BizStep(data["step"]), event_time=when,
                           event_tz=_offset(when), area_id=area.id if area else None,
                           batch_id=batch.id if batch else None,
                           facility_id=data.get("facility_id"), details=details,
                           recorded_by=user.id, disposition=_disposition(data["step"], details))
        s.add(event)
        s.flush()
        epcis_store.record_diary(s, [event])
        if event.biz_step == BizStep.SPRAYING:
            for held in _batches_touched(s, event):
                _hold(s, user, held, event)
    return event


def _offset(when: datetime) -> str:
    delta = when.utcoffset() or timedelta(0)
    minutes = int(delta.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _disposition(step: str, details: dict) -> Disposition | None:
    if step == BizStep.LAB_TESTING:
        return Disposition.CONFORMANT if details["result"] <= details["limit"] \
            else Disposition.NON_CONFORMANT
    return None


def _local_date(event: TraceEvent):
    sign = 1 if event.event_tz[0] == "+" else -1
    hours, minutes = int(event.event_tz[1:3]), int(event.event_tz[4:6])
    zone = timezone(sign * timedelta(hours=hours, minutes=minutes))
    return event.event_time.astimezone(zone).date()


def _interval_covers(event: TraceEvent, harvest) -> bool:
    """Whether the harvest fell inside the spraying's pre-harvest interval."""
    sprayed = _local_date(event)
    return sprayed <= harvest < sprayed + timedelta(days=int(event.details["phi_days"]))


def _batches_touched(s: Session, event: TraceEvent) -> list[Batch]:
    if event.batch_id:
        candidates = [s.get(Batch, event.batch_id)]
    else:
        candidates = s.scalars(select(Batch).join(batch_areas).where(
            batch_areas.c.area_id == event.area_id,
            Batch.status != BatchStatus.RECALLED, Batch.harvest_date.is_not(None))).all()
    return [b for b in candidates if b.harvest_date and _interval_covers(event, b.harvest_date)]


def hold_if_sprayed_too_late(s: Session, actor: User, batch: Batch) -> None:
    """Put a new or re-dated batch on hold if a spraying of its areas (or of itself)
    that was not yet judged covers its harvest date."""
    if batch.harvest_date is None or batch.held_at is not None:
        return
    area_ids = [a.id for a in batch.areas]
    where = [TraceEvent.biz_step == BizStep.SPRAYING,
             or_(TraceEvent.area_id.in_(area_ids), TraceEvent.batch_id == batch.id)]
    if batch.hold_cleared_at is not None:
        where.append(TraceEvent.created_at > batch.hold_cleared_at)
    for event in s.scalars(select(TraceEvent).where(*where).order_by(TraceEvent.event_time)):
        if _interval_covers(event, batch.harvest_date):
            _hold(s, actor, batch, event)
            return


def _hold(s: Session, actor: User, batch: Batch, event: TraceEvent) -> None:
    if batch.held_at is not None:
        return
    if batch.hold_cleared_at is not None and event.created_at <= batch.hold_cleared_at:
        return
    before = audit.snapshot(batch, HOLD_FIELDS)
    ends = _local_date(event) + timedelta(days=int(event.details["phi_days"]))
    batch.hold_reason = (f"{event.details.get('product', '')} "
                         f"({event.details.get('active_ingredient', '')}) sprayed "
                         f"{_local_date(event).isoformat()}, pre-harvest interval "
                         f"{event.details['phi_days']} days until {ends.isoformat()}; "
                         f"harvest {batch.harvest_date.isoformat()}")
    batch.held_at = now()
    s.flush()
    audit.record(s, actor, "batch", batch.id, "hold", before,
                 {**audit.snapshot(batch, HOLD_FIELDS), "event_id": event.id})


def clear_hold(actor: User | None, batch_id: int, reason: str) -> Batch:
    """An official of the province (or an admin) clears a hold, saying why (e.g. a
    residue test came back under the limit)."""
    user = permissions.require_role(permissions.require_write(actor), Role.OFFICIAL,
                                    Role.ADMIN)
    with transaction() as s:
        batch = permissions.fetch(s, user, Batch, batch_id, "batch.recall", write=True,
                                  lock=True)
        if batch.held_at is None:
            raise Conflict(_("This batch is not on hold."))
        before = audit.snapshot(batch, HOLD_FIELDS)
        batch.hold_reason = batch.held_at = None
        batch.hold_cleared_at, batch.hold_cleared_by = now(), user.id
        s.flush()
        audit.record(s, user, "batch", batch.id, "clear_hold", before,
                     {**audit.snapshot(batch, HOLD_FIELDS), "reason": reason})
    return batch
