"""What a recall (thu hồi) has reached, and what its holders have done: the progress
officials follow, the list of recalls, and a holder's own rows to confirm.

Who sees a recall's progress: the officials of the province of any organisation it
reached (an affected lot's owner or a holder), the organisation that started it, and
administrators. A holder sees only its own rows, through its inbox."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, exists, func, select, true
from sqlalchemy.orm import Session, lazyload

from .. import permissions
from ..db import session
from ..errors import NotFound
from ..models import (Batch, HolderStatus, Organization, Recall, RecallHolder, Role,
                      User)


@dataclass(frozen=True)
class HolderLine:
    """One holder's stock of one affected lot, as the recall found it."""
    holder: RecallHolder
    lot: Batch
    recall: Recall

    @property
    def unaccounted(self) -> Decimal:
        """Held when notified less what the holder says it handled."""
        return self.holder.quantity_held - (self.holder.quantity_handled or Decimal(0))


@dataclass(frozen=True)
class RecallProgress:
    recall: Recall
    lot: Batch                       # the lot the recall started from
    lots_recalled: int               # it and the lots made from it that this recall marked
    holders: list[HolderLine] = field(default_factory=list)

    @property
    def notified(self) -> int:
        return len(self.holders)

    @property
    def confirmed(self) -> int:
        return sum(1 for h in self.holders if h.holder.status == HolderStatus.CONFIRMED)

    @property
    def percent(self) -> int:
        """Share of holder rows confirmed; a recall that reached no stock is complete."""
        return 100 if not self.holders else self.confirmed * 100 // self.notified

    @property
    def unaccounted(self) -> dict[str, Decimal]:
        """Stock nobody has said what became of, by unit."""
        total: dict[str, Decimal] = defaultdict(Decimal)
        for line in self.holders:
            total[line.holder.unit] += line.unaccounted
        return dict(total)


@dataclass(frozen=True)
class RecallSummary:
    recall: Recall
    lot: Batch
    holders: int
    confirmed: int

    @property
    def percent(self) -> int:
        return 100 if not self.holders else self.confirmed * 100 // self.holders


def visible(actor: User) -> ColumnElement[bool]:
    """A WHERE clause on Recall: the recalls whose progress `actor` may follow."""
    if actor.role == Role.ADMIN:
        return true()
    if actor.role == Role.OFFICIAL:
        province = actor.province_code
        owners = select(Batch.id).join(Organization, Organization.id == Batch.organization_id) \
            .where(Batch.recall_id == Recall.id, Organization.province_code == province)
        holders = select(RecallHolder.id) \
            .join(Organization, Organization.id == RecallHolder.organization_id) \
            .where(RecallHolder.recall_id == Recall.id, Organization.province_code == province)
        return exists(owners) | exists(holders)
    return exists(select(User.id).where(User.id == Recall.initiated_by,
                                        User.organization_id == actor.organization_id))


def recall_progress(actor: User | None, recall_id: int) -> RecallProgress:
    """Holders notified and confirmed, per holder and in total, and the stock still
    unaccounted for."""
    user = permissions.require_login(actor)
    s = session()
    recall = s.scalar(select(Recall).where(Recall.id == recall_id, visible(user)))
    if recall is None:
        raise NotFound(_("Not found."))
    lots = s.scalar(select(func.count()).select_from(Batch).where(Batch.recall_id == recall.id))
    holders = _lines(s, select(RecallHolder).where(RecallHolder.recall_id == recall.id), recall)
    return RecallProgress(recall=recall, lot=s.get(Batch, recall.batch_id), lots_recalled=lots,
                          holders=holders)


def list_recalls(actor: User | None, *, offset: int = 0,
                 limit: int = 20) -> tuple[list[RecallSummary], int]:
    """The recalls the actor may follow, newest first."""
    user = permissions.require_login(actor)
    s = session()
    count = select(func.count()).select_from(RecallHolder) \
        .where(RecallHolder.recall_id == Recall.id).scalar_subquery()
    done = select(func.count()).select_from(RecallHolder) \
        .where(RecallHolder.recall_id == Recall.id,
               RecallHolder.status == HolderStatus.CONFIRMED).scalar_subquery()
    total = s.scalar(select(func.count()).select_from(Recall).where(visible(user)))
    rows = s.execute(select(Recall, Batch, count, done)
                     .join(Batch, Batch.id == Recall.batch_id).where(visible(user))
                     .order_by(Recall.id.desc()).offset(offset).limit(limit))
    return [RecallSummary(recall=r, lot=b, holders=n, confirmed=c) for r, b, n, c in rows], total


def holder_lines(actor: User | None, recall_ids: list[int]) -> dict[int, list[HolderLine]]:
    """The actor's organisation's rows of these recalls, by recall: what its inbox asks
    it to confirm."""
    user = permissions.require_login(actor)
    if user.organization_id is None or not recall_ids:
        return {}
    s = session()
    recalls = {r.id: r for r in s.scalars(select(Recall).where(Recall.id.in_(recall_ids)))}
    out: dict[int, list[HolderLine]] = defaultdict(list)
    for recall in recalls.values():
        out[recall.id] = []
    query = select(RecallHolder).where(RecallHolder.recall_id.in_(recalls),
                                       RecallHolder.organization_id == user.organization_id)
    for line in _lines(s, query, None, recalls):
        out[line.recall.id].append(line)
    return dict(out)


def get_holder(actor: User | None, holder_id: int) -> HolderLine:
    """One of the actor's organisation's rows; another organisation's is not found."""
    user = permissions.require_login(actor)
    s = session()
    holder = s.get(RecallHolder, holder_id)
    if holder is None or user.organization_id is None \
            or holder.organization_id != user.organization_id:
        raise NotFound(_("Not found."))
    recall = s.get(Recall, holder.recall_id)
    return HolderLine(holder=holder, lot=s.get(Batch, holder.batch_id), recall=recall)


def _lines(s: Session, query, recall: Recall | None,
           recalls: dict[int, Recall] | None = None) -> list[HolderLine]:
    """Holder rows with their lots, loaded in two queries, by organisation then lot."""
    holders = list(s.scalars(query.order_by(RecallHolder.organization_id, RecallHolder.batch_id)))
    # A lot's growing areas are no part of a holder line: not loaded for thousands of lots.
    lots = {b.id: b for b in s.scalars(
        select(Batch).options(lazyload(Batch.areas))
        .where(Batch.id.in_({h.batch_id for h in holders})))} if holders else {}
    return [HolderLine(holder=h, lot=lots[h.batch_id],
                       recall=recall or recalls[h.recall_id]) for h in holders]
