"""Recalls (thu hồi) that reach every holder.

Recalling a lot recalls every lot made from it downstream; each organisation that
held stock of an affected lot at that moment gets one `RecallHolder` row per lot,
which it confirms with what it did and how much."""
from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (CheckConstraint, DateTime, ForeignKey, Numeric, String, Text,
                        UniqueConstraint, func)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, enum_type
from .organizations import Organization


class Recall(Base):
    __tablename__ = "recalls"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id", ondelete="RESTRICT"),
                                          index=True)
    reason: Mapped[str] = mapped_column(Text)
    initiated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now(), nullable=False)


class HolderStatus(enum.StrEnum):
    NOTIFIED = "notified"
    CONFIRMED = "confirmed"


class RecallAction(enum.StrEnum):
    QUARANTINED = "quarantined"  # cách ly
    DESTROYED = "destroyed"      # tiêu huỷ
    RETURNED = "returned"        # trả lại


class RecallHolder(Base):
    __tablename__ = "recall_holders"
    __table_args__ = (
        UniqueConstraint("recall_id", "organization_id", "batch_id",
                         name="uq_recall_holders_recall_org_batch"),
        CheckConstraint("quantity_held >= 0", name="held_not_negative"),
        CheckConstraint("quantity_handled IS NULL OR quantity_handled >= 0",
                        name="handled_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recall_id: Mapped[int] = mapped_column(ForeignKey("recalls.id", ondelete="CASCADE"),
                                           index=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id", ondelete="RESTRICT"))
    quantity_held: Mapped[Decimal] = mapped_column(Numeric(14, 3))
    unit: Mapped[str] = mapped_column(String(3))
    status: Mapped[HolderStatus] = mapped_column(enum_type(HolderStatus, "holder_status"),
                                                 default=HolderStatus.NOTIFIED)
    action: Mapped[RecallAction | None] = mapped_column(enum_type(RecallAction,
                                                                  "recall_action"))
    quantity_handled: Mapped[Decimal | None] = mapped_column(Numeric(14, 3))
    note: Mapped[str | None] = mapped_column(Text)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                ondelete="SET NULL"))

    organization: Mapped[Organization] = relationship(lazy="joined", innerjoin=True)
