"""Logistic units (cartons and pallets) identified by an SSCC (GS1 AI 00).

An SSCC's serial reference is drawn from the organisation's own counter, so numbers
are never reused; a carton may sit on a pallet (`parent_sscc`)."""
from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Timestamped, enum_type


class UnitKind(enum.StrEnum):
    CARTON = "carton"   # thùng
    PALLET = "pallet"


class LogisticUnit(Timestamped, Base):
    __tablename__ = "logistic_units"
    __table_args__ = (
        CheckConstraint(r"sscc ~ '^[0-9]{18}$'", name="sscc_format"),
        CheckConstraint("net_weight_kg IS NULL OR net_weight_kg > 0", name="weight_positive"),
    )

    sscc: Mapped[str] = mapped_column(String(18), primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id", ondelete="RESTRICT"),
                                                 index=True)
    kind: Mapped[UnitKind] = mapped_column(enum_type(UnitKind, "unit_kind"))
    parent_sscc: Mapped[str | None] = mapped_column(
        ForeignKey("logistic_units.sscc", ondelete="RESTRICT"), index=True)
    net_weight_kg: Mapped[Decimal | None] = mapped_column(Numeric(10, 3))
    packed_on: Mapped[date] = mapped_column(Date)


class SsccCounter(Base):
    """The next SSCC serial reference of an organisation (never reused)."""
    __tablename__ = "sscc_counters"

    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)
    next_serial: Mapped[int] = mapped_column(BigInteger, default=1)
