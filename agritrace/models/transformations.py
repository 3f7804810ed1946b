"""Transformations at packing houses and processors: quantities of several input
lots become one or more output lots (graded, packed, dried, processed, or packed
for export). An output lot is a `batches` row whose `transformation_id` names the
transformation that made it, so the lot graph is inputs → transformation → outputs,
walked in both directions by one recursive query (services/trace.py)."""
from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Timestamped, enum_type
from .facilities import Facility
from .organizations import Organization


class TransformationKind(enum.StrEnum):
    GRADING = "grading"        # phân loại
    PACKING = "packing"        # đóng gói
    DRYING = "drying"          # sấy
    PROCESSING = "processing"  # chế biến
    EXPORT = "export"          # đóng lô xuất khẩu


class Transformation(Timestamped, Base):  # chế biến / đóng gói
    __tablename__ = "transformations"
    __table_args__ = (CheckConstraint("loss_quantity >= 0", name="loss_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True)
    facility_id: Mapped[int | None] = mapped_column(
        ForeignKey("facilities.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[TransformationKind] = mapped_column(
        enum_type(TransformationKind, "transformation_kind"))
    happened_on: Mapped[date] = mapped_column(Date)
    # What went in minus what came out, in the inputs' unit: recorded, never typed.
    loss_quantity: Mapped[Decimal] = mapped_column(Numeric(14, 3), default=0)
    unit: Mapped[str] = mapped_column(String(3))
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    organization: Mapped[Organization] = relationship(lazy="joined", innerjoin=True)
    facility: Mapped[Facility | None] = relationship(lazy="joined")
    inputs: Mapped[list["TransformationInput"]] = relationship(lazy="selectin",
                                                               back_populates="transformation")
    # The lots it made (read only: a lot names its transformation, not the reverse).
    outputs: Mapped[list["Batch"]] = relationship(
        "Batch", primaryjoin="Batch.transformation_id == Transformation.id", viewonly=True,
        lazy="selectin", order_by="Batch.id")


class TransformationInput(Base):
    """One edge of the lot graph: `quantity` of lot `batch_id` went into the
    transformation (and so into each of its output lots)."""
    __tablename__ = "transformation_inputs"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    transformation_id: Mapped[int] = mapped_column(
        ForeignKey("transformations.id", ondelete="RESTRICT"), primary_key=True)
    # Indexed for the forward walk (which transformations used this lot).
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id", ondelete="RESTRICT"),
                                          primary_key=True, index=True)
    quantity: Mapped[Decimal] = mapped_column(Numeric(14, 3))

    transformation: Mapped[Transformation] = relationship(back_populates="inputs")
    batch: Mapped["Batch"] = relationship("Batch", lazy="joined", innerjoin=True,
                                          viewonly=True)
