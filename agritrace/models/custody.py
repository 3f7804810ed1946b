"""Custody of lots along the chain: who holds how much of which lot, and how it
moved there.

A lot (lô hàng) is a row of `batches`: a producer's harvest, a packing house's
output or an export lot. A hand-over (giao nhận) moves custody of a quantity from
one holder to another and never changes the lot. Stock is an append-only ledger of
movements; `holdings` keeps each holder's balance of each lot, updated in the same
statement as the movement and checked never to go below zero, so two concurrent
dispatches cannot both spend the same stock.
"""
from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (BigInteger, CheckConstraint, Date, DateTime, ForeignKey, Index,
                        Numeric, String, Text, func)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Timestamped, enum_type
from .batches import Batch
from .organizations import Organization


class ExternalParty(Timestamped, Base):  # bên nhận ngoài nền tảng
    """A receiver outside the platform (a foreign importer, an unregistered buyer),
    named by the organisation that ships to it."""
    __tablename__ = "external_parties"
    __table_args__ = (
        CheckConstraint(r"country ~ '^[A-Z]{2}$'", name="country_iso2"),
        CheckConstraint(r"gln IS NULL OR gln ~ '^[0-9]{13}$'", name="gln_format"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    gln: Mapped[str | None] = mapped_column(String(13))
    address: Mapped[str] = mapped_column(String(300), default="")


class HandoverStatus(enum.StrEnum):
    DISPATCHED = "dispatched"   # on its way, waiting for the receiver
    RECEIVED = "received"       # the receiver confirmed (perhaps a different quantity)
    REFUSED = "refused"         # the receiver refused it; the stock went back
    DELIVERED = "delivered"     # to a receiver outside the platform, who cannot confirm


class Handover(Timestamped, Base):  # giao nhận
    __tablename__ = "handovers"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("received_quantity IS NULL OR received_quantity >= 0",
                        name="received_not_negative"),
        CheckConstraint("(receiver_id IS NULL) <> (external_party_id IS NULL)",
                        name="one_receiver"),
        CheckConstraint("receiver_id IS NULL OR receiver_id <> sender_id", name="not_to_self"),
        Index("ix_handovers_receiver_status", "receiver_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id", ondelete="RESTRICT"),
                                          index=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="RESTRICT"),
                                           index=True)
    receiver_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"))
    external_party_id: Mapped[int | None] = mapped_column(
        ForeignKey("external_parties.id", ondelete="RESTRICT"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Numeric(14, 3))
    unit: Mapped[str] = mapped_column(String(3))
    dispatched_on: Mapped[date] = mapped_column(Date)
    delivery_note: Mapped[str] = mapped_column(String(60))  # phiếu giao hàng
    vehicle: Mapped[str] = mapped_column(String(60), default="")  # vehicle plate or container
    status: Mapped[HandoverStatus] = mapped_column(enum_type(HandoverStatus, "handover_status"),
                                                   default=HandoverStatus.DISPATCHED)
    received_quantity: Mapped[Decimal | None] = mapped_column(Numeric(14, 3))
    received_on: Mapped[date | None] = mapped_column(Date)
    refusal_reason: Mapped[str | None] = mapped_column(Text)
    dispatched_by: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                 ondelete="SET NULL"))
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    sender: Mapped[Organization] = relationship(foreign_keys=[sender_id], lazy="joined",
                                                innerjoin=True)
    receiver: Mapped[Organization | None] = relationship(foreign_keys=[receiver_id],
                                                         lazy="joined")
    external_party: Mapped[ExternalParty | None] = relationship(lazy="joined")
    # Loaded where a page or the API shows the lot (joinedload), not on every query.
    batch: Mapped[Batch] = relationship()

    @property
    def shortfall(self) -> Decimal | None:
        """What the receiver counted less than was sent (negative: more)."""
        if self.received_quantity is None:
            return None
        return self.quantity - self.received_quantity


class MovementKind(enum.StrEnum):
    HARVEST = "harvest"          # a producer's batch comes into being
    OUTPUT = "output"            # made by a transformation
    ADJUSTMENT = "adjustment"    # the producer corrected the batch's quantity
    DISPATCH = "dispatch"        # sent on a hand-over
    RECEIPT = "receipt"          # received on a hand-over
    RETURN = "return"            # a refused hand-over came back to the sender
    USE = "use"                  # consumed as an input of a transformation
    WRITE_OFF = "write_off"      # destroyed, returned or lost (a recall confirmation)


class Holding(Base):
    """A holder's running balance of one lot: the sum of its movements, kept in the
    movement's own statement so that the CHECK refuses an oversell atomically."""
    __tablename__ = "holdings"
    __table_args__ = (CheckConstraint("balance >= 0", name="balance_not_negative"),
                      Index("ix_holdings_organization", "organization_id"))

    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id", ondelete="RESTRICT"),
                                          primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), primary_key=True)
    balance: Mapped[Decimal] = mapped_column(Numeric(14, 3), default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now(), nullable=False)


class StockMovement(Base):  # sổ kho: append-only
    __tablename__ = "stock_movements"
    __table_args__ = (
        CheckConstraint("quantity <> 0", name="quantity_not_zero"),
        Index("ix_stock_movements_holding", "batch_id", "organization_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id", ondelete="RESTRICT"))
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"))
    kind: Mapped[MovementKind] = mapped_column(enum_type(MovementKind, "movement_kind"))
    quantity: Mapped[Decimal] = mapped_column(Numeric(14, 3))  # signed: + in, − out
    handover_id: Mapped[int | None] = mapped_column(
        ForeignKey("handovers.id", ondelete="RESTRICT"), index=True)
    transformation_id: Mapped[int | None] = mapped_column(
        ForeignKey("transformations.id", ondelete="RESTRICT"), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                  server_default=func.now(), nullable=False)
