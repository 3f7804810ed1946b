"""Hand-overs (giao nhận): the holder of a lot dispatches a quantity of it, in the lot's
unit, to another organisation on the platform, which confirms receipt with the
quantity it counted or refuses it; or to one of its own external parties, which
cannot answer, so that hand-over is delivered at once.

The stock moves in the same transaction as the hand-over (services/stock.py), so a
holder never dispatches more than it holds, also under concurrent requests. Every
change is audited, and the row keeps what the EPCIS shipping and receiving events
need: the parties, the dates, the quantities and the delivery note."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, case, func, or_, select, text, true
from sqlalchemy.orm import Session, aliased, joinedload

from .. import permissions
from ..clock import VIETNAM, now, today
from ..db import session, transaction
from ..errors import Conflict, Invalid, NotFound
from ..models import (Batch, BatchStatus, ExternalParty, Handover, HandoverStatus, Holding,
                      MovementKind, Organization, OrgStatus, Role, User)
from . import audit, epcis_chain, parties, stock

FIELDS = ("batch_id", "sender_id", "receiver_id", "external_party_id", "quantity", "unit",
          "dispatched_on", "delivery_note", "vehicle", "status", "received_quantity",
          "received_on", "refusal_reason")

# Everyone who held the lot before the sender, along the lot's own hand-overs (a
# refused one passed no custody). UNION, not UNION ALL: a node seen twice ends the walk.
_UPSTREAM = text("""
    WITH RECURSIVE up(org) AS (
        SELECT CAST(:sender AS integer)
        UNION
        SELECT h.sender_id FROM handovers h JOIN up ON h.receiver_id = up.org
        WHERE h.batch_id = :batch AND h.status <> 'refused'
    )
    SELECT org FROM up
""")


def dispatch_lot(actor: User | None, data: dict) -> Handover:
    """The actor's organisation sends `quantity` of a lot it holds to `receiver_id` (an
    approved organisation) or `external_party_id` (one of its own), on `dispatched_on`,
    with `delivery_note` and `vehicle`."""
    user = permissions.require_role(permissions.require_write(actor), Role.PRODUCER)
    quantity = _positive(data["quantity"], "quantity")
    _not_future(data["dispatched_on"], "dispatched_on")
    with transaction() as s:
        _sender_approved(user)
        batch = _held_lot(s, user.organization_id, data["batch_id"])
        receiver, party = _receiver(s, user.organization_id, batch, data.get("receiver_id"),
                                    data.get("external_party_id"))
        handover = Handover(
            batch_id=batch.id, sender_id=user.organization_id,
            receiver_id=receiver.id if receiver else None,
            external_party_id=party.id if party else None, quantity=quantity,
            unit=batch.unit, dispatched_on=data["dispatched_on"],
            delivery_note=data["delivery_note"], vehicle=data.get("vehicle") or "",
            status=HandoverStatus.DISPATCHED if receiver else HandoverStatus.DELIVERED,
            dispatched_by=user.id)
        s.add(handover)
        s.flush()
        stock.move(s, batch_id=batch.id, organization_id=user.organization_id,
                   kind=MovementKind.DISPATCH, quantity=-quantity, actor=user,
                   handover_id=handover.id, unit=stock.unit_symbol(batch.unit))
        epcis_chain.record_dispatch(s, handover)
        audit.record(s, user, "handover", handover.id, "dispatch",
                     after=audit.snapshot(handover, FIELDS))
    return handover


def receive_handover(actor: User | None, handover_id: int, data: dict) -> Handover:
    """The receiver confirms, once, the quantity it counted (at most what was sent) and
    the day; the difference stays on the hand-over for both sides to see."""
    with transaction() as s:
        handover = permissions.fetch(s, actor, Handover, handover_id, "handover.answer",
                                     write=True, lock=True)
        _answerable(handover)
        quantity = _positive(data["received_quantity"], "received_quantity")
        if quantity > handover.quantity:
            raise Invalid(_("%(got)s %(unit)s received is more than the %(sent)s %(unit)s "
                            "dispatched.", got=_number(quantity), sent=_number(handover.quantity),
                            unit=stock.unit_symbol(handover.unit)),
                          {"received_quantity": [_("At most %(sent)s.",
                                                   sent=_number(handover.quantity))]})
        received_on = data["received_on"]
        _not_future(received_on, "received_on")
        if received_on < handover.dispatched_on:
            raise Invalid(_("The receipt date is before the dispatch date (%(date)s).",
                            date=handover.dispatched_on.isoformat()),
                          {"received_on": [_("Before the dispatch.")]})
        before = audit.snapshot(handover, FIELDS)
        handover.status, handover.received_quantity, handover.received_on = \
            HandoverStatus.RECEIVED, quantity, received_on
        handover.answered_by, handover.answered_at = actor.id, now()
        s.flush()
        stock.move(s, batch_id=handover.batch_id, organization_id=handover.receiver_id,
                   kind=MovementKind.RECEIPT, quantity=quantity, actor=actor,
                   handover_id=handover.id)
        epcis_chain.record_receipt(s, handover)
        audit.record(s, actor, "handover", handover.id, "receive", before,
                     audit.snapshot(handover, FIELDS))
    return handover


def refuse_handover(actor: User | None, handover_id: int, reason: str) -> Handover:
    """The receiver refuses the goods, saying why; the stock goes back to the sender."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(_("Say why the hand-over is refused (the sender reads the reason)."),
                      {"reason": [_("Required.")]})
    with transaction() as s:
        handover = permissions.fetch(s, actor, Handover, handover_id, "handover.answer",
                                     write=True, lock=True)
        _answerable(handover)
        before = audit.snapshot(handover, FIELDS)
        handover.status, handover.refusal_reason = HandoverStatus.REFUSED, reason
        handover.answered_by, handover.answered_at = actor.id, now()
        s.flush()
        stock.move(s, batch_id=handover.batch_id, organization_id=handover.sender_id,
                   kind=MovementKind.RETURN, quantity=handover.quantity, actor=actor,
                   handover_id=handover.id, note=reason)
        audit.record(s, actor, "handover", handover.id, "refuse", before,
                     audit.snapshot(handover, FIELDS))
    return handover


def get_handover(actor: User | None, handover_id: int) -> Handover:
    """A hand-over, for its sender, its receiver and the officials of either province."""
    return permissions.fetch(session(), actor, Handover, handover_id, "handover")


def list_handovers(actor: User | None, *, direction: str | None = None,
                   status: HandoverStatus | None = None, batch_id: int | None = None,
                   offset: int = 0, limit: int = 20) -> tuple[list[Handover], int]:
    """One page of hand-overs, those awaiting an answer first. `direction` "in" keeps
    those the actor's organisation receives, "out" those it sends; for an official,
    those whose receiver, or sender, is in the province."""
    user = permissions.require_login(actor)
    sender, receiver = aliased(Organization), aliased(Organization)
    where = [_visible(user, direction, sender, receiver)]
    if status:
        where.append(Handover.status == status)
    if batch_id:
        where.append(Handover.batch_id == batch_id)
    base = select(Handover).join(sender, sender.id == Handover.sender_id) \
        .outerjoin(receiver, receiver.id == Handover.receiver_id).where(*where)
    s = session()
    total = s.scalar(select(func.count()).select_from(base.subquery()))
    waiting = case((Handover.status == HandoverStatus.DISPATCHED, 0), else_=1)
    rows = s.scalars(base.options(joinedload(Handover.batch))
                     .order_by(waiting, Handover.id.desc()).offset(offset).limit(limit))
    return list(rows.unique()), total


def receivers(actor: User | None, *, q: str | None = None, limit: int = 200
              ) -> list[Organization]:
    """The approved organisations a lot can be sent to (every kind, every province),
    the actor's own excepted, by name."""
    user = permissions.require_login(actor)
    where = [Organization.status == OrgStatus.APPROVED]
    if user.organization_id is not None:
        where.append(Organization.id != user.organization_id)
    if q:
        where.append(Organization.name.ilike(f"%{q}%"))
    return list(session().scalars(select(Organization).where(*where)
                                  .order_by(Organization.name, Organization.id).limit(limit)))


def _visible(user: User, direction: str | None, sender, receiver) -> ColumnElement[bool]:
    if user.role == Role.ADMIN:
        return true()
    if user.role == Role.OFFICIAL:
        incoming = receiver.province_code == user.province_code
        outgoing = sender.province_code == user.province_code
    else:
        incoming = Handover.receiver_id == user.organization_id
        outgoing = Handover.sender_id == user.organization_id
    return {"in": incoming, "out": outgoing}.get(direction, or_(incoming, outgoing))


def _sender_approved(user: User) -> None:
    org = user.organization
    if org.status != OrgStatus.APPROVED:
        raise Conflict(_("%(name)s is %(status)s; it can hand lots over again once an "
                         "official approves it.", name=org.name, status=_(org.status.value)))


def _held_lot(s: Session, org_id: int, batch_id: int) -> Batch:
    """The lot, if the organisation made it or has held it; recalled lots stay put."""
    batch = s.get(Batch, batch_id)
    has_held = s.scalar(select(Holding.balance).where(Holding.batch_id == batch_id,
                                                      Holding.organization_id == org_id))
    if batch is None or (batch.organization_id != org_id and has_held is None):
        raise NotFound(_("Not found."), {"batch_id": [_("Not one of the lots you hold.")]})
    if batch.status == BatchStatus.RECALLED:
        raise Conflict(_("Lot %(lot)s is recalled (%(reason)s); it cannot be handed over.",
                         lot=batch.lot_code, reason=batch.recall_reason),
                       {"batch_id": [_("Recalled.")]})
    return batch


def _receiver(s: Session, org_id: int, batch: Batch, receiver_id: int | None,
              party_id: int | None) -> tuple[Organization | None, ExternalParty | None]:
    if (receiver_id is None) == (party_id is None):
        said = _("Name one receiver: an organisation on the platform or one of your "
                 "external parties.")
        raise Invalid(said, {"receiver_id": [said]})
    if party_id is not None:
        return None, parties.party_of(s, org_id, party_id)
    if receiver_id == org_id:
        raise Invalid(_("A lot cannot be handed over to your own organisation."),
                      {"receiver_id": [_("That is your own organisation.")]})
    org = s.get(Organization, receiver_id)
    if org is None or org.status != OrgStatus.APPROVED:
        raise Invalid(_("Organisation %(id)s is not an approved organisation on the platform.",
                        id=receiver_id),
                      {"receiver_id": [_("Not an approved organisation.")]})
    upstream = set(s.scalars(_UPSTREAM, {"sender": org_id, "batch": batch.id}))
    if org.id == batch.organization_id or org.id in upstream:
        raise Invalid(_("%(name)s held lot %(lot)s before you: handing it back would close "
                        "a cycle.", name=org.name, lot=batch.lot_code),
                      {"receiver_id": [_("Already upstream of you in this lot's chain.")]})
    return org, None


def _answerable(handover: Handover) -> None:
    """A receipt is answered once: confirmed or refused, never both, never twice."""
    if handover.status == HandoverStatus.RECEIVED:
        raise Conflict(_("This hand-over was already confirmed on %(date)s; a receipt is "
                         "confirmed only once.", date=handover.received_on.isoformat()),
                       {"status": [_("Already answered.")]})
    if handover.status == HandoverStatus.REFUSED:
        raise Conflict(_("This hand-over was already refused on %(date)s.",
                         date=handover.answered_at.astimezone(VIETNAM).date().isoformat()),
                       {"status": [_("Already answered.")]})
    if handover.status != HandoverStatus.DISPATCHED:
        raise Conflict(_("This hand-over went to a receiver outside the platform; there is "
                         "nothing to answer."), {"status": [_("Already answered.")]})


def _positive(value, field: str) -> Decimal:
    quantity = Decimal(str(value))
    if not quantity.is_finite() or quantity <= 0:
        raise Invalid(_("The quantity must be above 0."),
                      {field: [_("The quantity must be above 0.")]})
    return quantity


def _not_future(day: date, field: str) -> None:
    if day > today():
        raise Invalid(_("%(date)s is in the future; record a hand-over once it happened.",
                        date=day.isoformat()), {field: [_("In the future.")]})


def _number(value: Decimal) -> str:
    """1200 kg, not 1200.000 kg."""
    return f"{value.normalize():f}"
