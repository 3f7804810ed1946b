from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (CheckConstraint, Column, Date, DateTime, ForeignKey, Numeric, String,
                        Table, Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .areas import GrowingArea
from .base import Base, Timestamped, enum_type
from .facilities import Facility
from .organizations import Organization
from .products import Product


# Kilograms in one unit of each UN/CEFACT mass unit a lot may be counted in: the mass
# balance of transformations and the capacity ledger weigh lots in kg.
MASS_KG = {"KGM": Decimal(1), "TNE": Decimal(1000), "GRM": Decimal("0.001")}


class LotOrigin(enum.StrEnum):
    HARVEST = "harvest"                # a producer's harvest on its growing areas
    TRANSFORMATION = "transformation"  # made at a packing house or processor
    EXPORT = "export"                  # an export lot for one destination market


class BatchStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    RECALLED = "recalled"  # thu hồi


batch_areas = Table(
    "batch_areas", Base.metadata,
    Column("batch_id", ForeignKey("batches.id", ondelete="CASCADE"), primary_key=True),
    Column("area_id", ForeignKey("growing_areas.id", ondelete="RESTRICT"), primary_key=True,
           index=True),
)


class Batch(Timestamped, Base):  # lô hàng
    __tablename__ = "batches"
    __table_args__ = (
        UniqueConstraint("organization_id", "lot_code", name="uq_batches_organization_lot"),
        # GS1 AI 10: at most 20 characters of the GS1 82-character set.
        CheckConstraint(r"""lot_code ~ '^[!"%-?A-Z_a-z]{1,20}$'""", name="lot_code_gs1"),
        CheckConstraint("pack_date IS NULL OR harvest_date IS NULL OR pack_date >= harvest_date",
                        name="pack_after_harvest"),
        CheckConstraint("expiry_date IS NULL OR expiry_date >= coalesce(pack_date, harvest_date)",
                        name="expiry_after_pack"),
        CheckConstraint("quantity IS NULL OR quantity > 0", name="quantity_positive"),
        CheckConstraint("status <> 'recalled' OR (recall_reason IS NOT NULL AND recalled_at IS NOT NULL)",
                        name="recall_has_reason"),
        CheckConstraint("(origin = 'harvest') = (transformation_id IS NULL)",
                        name="origin_matches_transformation"),
        CheckConstraint("(origin = 'export') = (market IS NOT NULL)", name="export_has_market"),
        CheckConstraint(r"market IS NULL OR market ~ '^[A-Z]{2}$'", name="market_iso2"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="RESTRICT"),
                                            index=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True)
    lot_code: Mapped[str] = mapped_column(String(20))
    harvest_date: Mapped[date | None] = mapped_column(Date)
    pack_date: Mapped[date | None] = mapped_column(Date)
    expiry_date: Mapped[date | None] = mapped_column(Date)
    quantity: Mapped[Decimal | None] = mapped_column(Numeric(14, 3))
    unit: Mapped[str] = mapped_column(String(3), default="KGM")  # UN/CEFACT unit code
    packing_facility_id: Mapped[int | None] = mapped_column(
        ForeignKey("facilities.id", ondelete="RESTRICT"), index=True)
    status: Mapped[BatchStatus] = mapped_column(enum_type(BatchStatus, "batch_status"),
                                                default=BatchStatus.OPEN)
    recall_reason: Mapped[str | None] = mapped_column(Text)
    # The recall that reached this lot: its own, or one upstream that it was made from.
    recall_id: Mapped[int | None] = mapped_column(
        ForeignKey("recalls.id", ondelete="SET NULL", use_alter=True), index=True)
    origin: Mapped[LotOrigin] = mapped_column(enum_type(LotOrigin, "lot_origin"),
                                              default=LotOrigin.HARVEST)
    # The transformation that made an output or export lot (null for a harvest).
    transformation_id: Mapped[int | None] = mapped_column(
        ForeignKey("transformations.id", ondelete="RESTRICT"), index=True)
    market: Mapped[str | None] = mapped_column(String(2))  # ISO 3166 alpha-2, export lots
    recalled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A spraying whose pre-harvest interval (thời gian cách ly) ends after the harvest
    # puts the batch on hold: its stamps cannot be activated until an official clears
    # it. Sprayings recorded before `hold_cleared_at` were already judged.
    hold_reason: Mapped[str | None] = mapped_column(Text)
    held_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    hold_cleared_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    hold_cleared_by: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                  ondelete="SET NULL"))

    product: Mapped[Product] = relationship(lazy="joined", innerjoin=True)
    organization: Mapped[Organization] = relationship(lazy="joined", innerjoin=True)
    packing_facility: Mapped[Facility | None] = relationship()
    areas: Mapped[list[GrowingArea]] = relationship(secondary=batch_areas, lazy="selectin")

    @property
    def on_hold(self) -> bool:
        return self.held_at is not None
