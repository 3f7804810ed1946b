"""The farming diary (nhật ký canh tác): what was done on a growing area or to a
batch, and when. A spraying whose pre-harvest interval (thời gian cách ly) ends
after a batch's harvest puts the batch on hold until an official clears it."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, false, func, or_, select, true
from sqlalchemy.orm import Session

from .. import permissions
from ..db import session, transaction
from ..errors import Conflict, Forbidden, Invalid
from ..models import (Batch, BatchStatus, BizStep, Disposition, GrowingArea, Organization, Role,
                      TraceEvent, User, batch_areas)
from ..schemas.diary import STEP_TO_BIZ
from . import audit
from .clock import now

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


def list_events(actor: User | None, *, area_id: int | None = None, batch_id: int | None = None,
                since: datetime | None = None, until: datetime | None = None,
                offset: int = 0, limit: int = 20) -> tuple[list[TraceEvent], int]:
    permissions.require_login(actor)
    where = [visible_events(actor)]
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
    rows = s.scalars(select(TraceEvent).where(*where)
                     .order_by(TraceEvent.event_time, TraceEvent.id).offset(offset).limit(limit))
    return list(rows), total


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
        event = TraceEvent(biz_step=STEP_TO_BIZ[data["step"]], event_time=when,
                           event_tz=_offset(when), area_id=area.id if area else None,
                           batch_id=batch.id if batch else None,
                           facility_id=data.get("facility_id"), details=details,
                           recorded_by=user.id, disposition=_disposition(data["step"], details))
        s.add(event)
        s.flush()
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
    if step == "lab_testing":
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
