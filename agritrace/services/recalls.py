"""Recalls (thu hồi) that reach every holder.

Recalling a lot recalls every lot made from it downstream and tells each
organisation holding stock of an affected lot: a notice in its inbox and an e-mail
through the outbox. The lots are found by one recursive query (lot_graph) and all of
it is written by one statement in the recall's transaction, so a recall of ten
thousand lots is as atomic, and nearly as quick, as a recall of one.
Each holder then confirms what it did with its stock; officials follow the progress
(recall_reports.py).

A lot recalled because of another names the source in its own `recall_reason`, in
the platform's language (Vietnamese) with the English after it: the reason is what
the scan page shows the public, and a stored sentence reads the same on every door.
"""
from __future__ import annotations

import json
from decimal import Decimal

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import Integer, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from .. import permissions
from ..clock import now
from ..db import transaction
from ..errors import Conflict, Invalid, NotFound
from ..models import (Batch, BatchStatus, HolderStatus, MovementKind, Recall, RecallAction,
                      RecallHolder, Role, User)
from . import audit, epcis_chain, lot_graph, stock
# What officials follow and what holders confirm are read in recall_reports.py; the
# doors find them here too.
from .recall_reports import (get_holder, holder_lines, list_recalls,  # noqa: F401
                             recall_progress)

HOLDER_FIELDS = ("status", "action", "quantity_handled", "note", "confirmed_at")

# From the lot and every lot made from it (lot_graph.downstream_lot_ids), those not
# recalled before are marked; lots recalled before keep their own recall. Then, from
# the lots marked now: a holder row per holder with stock, an audit row per lot, a
# notice per holder organisation and an e-mail per active account of it and per
# organisation address. Sub-statements of one statement read the same snapshot, so
# each works from the RETURNING of the one before.
RECALL = text("""
WITH down AS (
    SELECT id, status FROM batches WHERE id = ANY(:ids)
), marked AS (
    UPDATE batches b SET status = 'recalled', recalled_at = :at, recall_id = :recall,
           recall_reason = CASE WHEN b.id = :source THEN :reason ELSE :derived END,
           updated_at = :at
    FROM down WHERE b.id = down.id AND (b.id = :source OR down.status <> 'recalled')
    RETURNING b.id, b.unit, b.lot_code, b.product_id, down.status AS was, b.recall_reason
), audited AS (
    INSERT INTO audit_log (actor_id, actor_label, entity, entity_id, action, before, after)
    SELECT :actor_id, :actor_label, 'batch', CAST(m.id AS text), 'recall',
           jsonb_build_object('status', m.was),
           jsonb_build_object('status', 'recalled', 'recall_id', CAST(:recall AS integer),
                              'recall_reason', m.recall_reason,
                              'recalled_at', CAST(:at_text AS text))
    FROM marked m
    RETURNING id
), holders AS (
    INSERT INTO recall_holders (recall_id, organization_id, batch_id, quantity_held, unit,
                                status)
    SELECT :recall, h.organization_id, h.batch_id, h.balance, m.unit, 'notified'
    FROM marked m JOIN holdings h ON h.batch_id = m.id AND h.balance > 0
    RETURNING organization_id, batch_id, quantity_held, unit
), lines AS (
    SELECT hd.organization_id,
           string_agg(format('- %s (%s): %s %s', m.lot_code, p.name,
                             trim_scale(hd.quantity_held),
                             coalesce(CAST(:symbols AS jsonb) ->> hd.unit, hd.unit)),
                      E'\\n' ORDER BY m.lot_code) AS lots
    FROM holders hd JOIN marked m ON m.id = hd.batch_id JOIN products p ON p.id = m.product_id
    GROUP BY hd.organization_id
), noticed AS (
    INSERT INTO notices (organization_id, kind, subject, body, recall_id)
    SELECT organization_id, 'recall', CAST(:subject AS text), format(CAST(:body AS text), lots),
           :recall
    FROM lines
    RETURNING id, organization_id, subject, body
), mailed AS (
    INSERT INTO outbox (recipient, subject, body, notice_id, status, attempts)
    SELECT r.email, n.subject, n.body, n.id, 'pending', 0
    FROM noticed n CROSS JOIN LATERAL (
        SELECT u.email FROM users u
        WHERE u.organization_id = n.organization_id AND u.active AND u.role = 'producer'
        UNION
        SELECT lower(trim(o.email)) FROM organizations o
        WHERE o.id = n.organization_id AND coalesce(trim(o.email), '') <> '') r
    RETURNING id
)
SELECT (SELECT count(*) FROM marked) AS lots, (SELECT count(*) FROM holders) AS holders,
       (SELECT count(*) FROM noticed) AS notices, (SELECT count(*) FROM mailed) AS messages,
       (SELECT count(*) FROM audited) AS audited
""").bindparams(bindparam("ids", type_=ARRAY(Integer)))


def recall_lot(actor: User | None, batch_id: int, reason: str) -> Recall:
    """Recall a lot and every lot made from it: its producer or holder, an official of
    its province, or an administrator. One transaction; no statement per lot."""
    user = permissions.require_write(actor)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(_("Say why the batch is recalled (the reason is shown to consumers)."),
                      {"reason": [_("Required.")]})
    with transaction() as s:
        batch = s.get(Batch, batch_id, with_for_update={"of": Batch})
        _may_recall(s, user, batch)
        if batch.status == BatchStatus.RECALLED:
            raise Conflict(_("This batch was already recalled on %(date)s.",
                             date=batch.recalled_at.date().isoformat()))
        recall = Recall(batch_id=batch.id, reason=reason, initiated_by=user.id)
        s.add(recall)
        s.flush()
        at = now()
        lots = sorted(lot_graph.downstream_lot_ids(s, [batch.id]))
        counts = s.execute(RECALL, {
            "ids": lots, "source": batch.id, "recall": recall.id, "reason": reason, "at": at,
            "at_text": at.isoformat(), "actor_id": user.id, "actor_label": user.email,
            "symbols": json.dumps(stock.SYMBOLS),
            **_wording(batch, reason)}).one()
        epcis_chain.record_recall(s, lots, reason, at)
        audit.record(s, user, "recall", recall.id, "create", after={
            "batch_id": batch.id, "reason": reason, "lots": counts.lots,
            "holders": counts.holders, "notices": counts.notices,
            "messages": counts.messages})
        s.refresh(batch)
    return recall


def _may_recall(s: Session, user: User, batch: Batch | None) -> None:
    """The lot's own organisation or one holding stock of it, an official of the
    lot's province, an administrator; anyone else is told it does not exist."""
    if batch is None:
        raise NotFound(_("Not found."))
    if user.role == Role.ADMIN:
        return
    if user.role == Role.OFFICIAL:
        allowed = batch.organization.province_code == user.province_code
    else:
        allowed = user.organization_id is not None and (
            batch.organization_id == user.organization_id
            or stock.held(s, user.organization_id, batch.id) > 0)
    if not allowed:
        raise NotFound(_("Not found."))


def _wording(batch: Batch, reason: str) -> dict:
    """The recall's words, Vietnamese then English: the subject, the reason a lot made
    from this one carries, and the notice's body as a format() pattern whose `%1$s`
    the statement fills with each holder's lots."""
    inbox = current_app.config["PUBLIC_BASE_URL"] + "/portal/inbox"
    said = {}
    for locale in ("vi", "en"):
        with force_locale(locale):
            said[locale] = (
                _("Recall of lot %(lot)s", lot=batch.lot_code),
                _("Recalled because lot %(lot)s of %(org)s was recalled", lot=batch.lot_code,
                  org=batch.organization.name),
                _("Lot %(lot)s (%(product)s) of %(org)s was recalled: %(reason)s",
                  lot=batch.lot_code, product=batch.product.name,
                  org=batch.organization.name, reason=reason),
                _("Your organisation holds stock made from it:"),
                _("Stop selling it, then confirm what you did with it (quarantined, "
                  "destroyed or returned, and how much) at %(url)s", url=inbox))
    vi, en = said["vi"], said["en"]

    def body(words: tuple) -> str:
        return "\n".join((words[2].replace("%", "%%"), words[3].replace("%", "%%"), "%1$s",
                          "", words[4].replace("%", "%%")))
    return {"subject": f"{vi[0]} / {en[0]}"[:300],
            "derived": f"{vi[1]} ({en[1]}): {reason}",
            "body": body(vi) + "\n\n---\n\n" + body(en)}


def confirm_recall(actor: User | None, holder_id: int, action: RecallAction | str,
                   quantity: Decimal, note: str | None = None) -> RecallHolder:
    """The holder organisation says what it did with its stock of a recalled lot, once.
    Destroyed or returned stock leaves its stock ledger (a write-off)."""
    user = permissions.require_write(actor)
    with transaction() as s:
        holder = s.get(RecallHolder, holder_id, with_for_update={"of": RecallHolder})
        if holder is None or user.organization_id is None \
                or holder.organization_id != user.organization_id:
            raise NotFound(_("Not found."))
        lot = s.get(Batch, holder.batch_id)
        if holder.status == HolderStatus.CONFIRMED:
            raise Conflict(
                _("Your organisation already confirmed this recall of lot %(lot)s on "
                  "%(date)s.", lot=lot.lot_code, date=holder.confirmed_at.date().isoformat()),
                {"action": [_("Already confirmed.")]})
        action = _action(action)
        quantity = _quantity(quantity, holder, lot)
        if action in (RecallAction.DESTROYED, RecallAction.RETURNED):
            stock.move(s, batch_id=holder.batch_id, organization_id=holder.organization_id,
                       kind=MovementKind.WRITE_OFF, quantity=-quantity, actor=user,
                       note=f"recall {holder.recall_id}: {action.value}", field="quantity",
                       unit=stock.unit_symbol(holder.unit))
        before = audit.snapshot(holder, HOLDER_FIELDS)
        holder.status, holder.action, holder.quantity_handled = \
            HolderStatus.CONFIRMED, action, quantity
        holder.note = (note or "").strip() or None
        holder.confirmed_at, holder.confirmed_by = now(), user.id
        s.flush()
        audit.record(s, user, "recall_holder", holder.id, "confirm", before,
                     audit.snapshot(holder, HOLDER_FIELDS))
    return holder


def _action(action: RecallAction | str) -> RecallAction:
    try:
        return RecallAction(action)
    except ValueError:
        choices = ", ".join(a.value for a in RecallAction)
        raise Invalid(_("Say what you did with the stock: one of %(choices)s.",
                        choices=choices), {"action": [_("Not a known action.")]}) from None


def _quantity(quantity, holder: RecallHolder, lot: Batch) -> Decimal:
    """More than 0 and at most what the organisation held when the recall reached it."""
    try:   # through str: a float's binary digits are not the quantity a person typed
        quantity = Decimal(str(quantity)).quantize(Decimal("0.001"))
    except (ArithmeticError, TypeError, ValueError):
        quantity = Decimal(-1)
    if quantity <= 0:
        raise Invalid(_("Give the quantity you handled, more than 0."),
                      {"quantity": [_("More than 0.")]})
    if quantity > holder.quantity_held:
        held = f"{holder.quantity_held.normalize():f}"
        raise Invalid(
            _("Your organisation held %(held)s %(unit)s of lot %(lot)s when it was recalled; "
              "%(quantity)s %(unit)s is more than that.", held=held,
              unit=stock.unit_symbol(holder.unit),
              lot=lot.lot_code, quantity=f"{quantity.normalize():f}"),
            {"quantity": [_("At most %(held)s.", held=held)]})
    return quantity

