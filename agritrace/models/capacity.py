"""Expected yields, for the capacity ledger of growing-area codes.

An official sets the expected yield per hectare and season of a crop; the row of
province 0 is the platform's default and a province's own row overrides it. An
issued area's yearly capacity is area_ha × yield × seasons; when what its batches
declare passes capacity × (1 + margin), the code is flagged: more fruit than the
land can grow is the sign of a borrowed or traded code (mượn mã, mua bán mã)."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Timestamped

DEFAULT_PROVINCE = 0

# Indicative yields per hectare and season, used where neither the province nor the
# platform's row (province 0) names the crop: averages reported for Viet Nam's main
# producing regions. Kept in code rather than as rows, so that a new database holds no
# data of its own (a restore goes into an empty one) and a province's figures always win.
DEFAULT_YIELDS: dict[str, tuple[int, int]] = {
    # crop as areas name it: (kg/ha per season, seasons a year)
    "thanh long": (30000, 1),       # dragon fruit
    "chanh không hạt": (30000, 1),  # seedless lime
    "lúa": (6000, 2),               # rice, two crops a year in the Mekong delta
    "sầu riêng": (15000, 1),        # durian
    "xoài": (12000, 1),             # mango
    "cà phê": (2800, 1),            # coffee (green beans)
    "bưởi": (20000, 1),             # pomelo
    "chuối": (40000, 1),            # banana
    # the same crops as English-named areas call them
    "dragon fruit": (30000, 1), "seedless lime": (30000, 1), "rice": (6000, 2),
    "durian": (15000, 1), "mango": (12000, 1), "coffee": (2800, 1), "pomelo": (20000, 1),
    "banana": (40000, 1),
}
DEFAULT_MARGIN_PCT = 20


class CropYield(Timestamped, Base):  # năng suất dự kiến
    __tablename__ = "crop_yields"
    __table_args__ = (
        UniqueConstraint("province_code", "crop", name="uq_crop_yields_province_crop"),
        CheckConstraint("yield_kg_per_ha > 0", name="yield_positive"),
        CheckConstraint("seasons_per_year BETWEEN 1 AND 12", name="seasons_range"),
        CheckConstraint("margin_pct BETWEEN 0 AND 500", name="margin_range"),
        CheckConstraint("crop = lower(btrim(crop))", name="crop_normalised"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    province_code: Mapped[int] = mapped_column(SmallInteger, default=DEFAULT_PROVINCE)
    crop: Mapped[str] = mapped_column(String(100))   # as growing areas name it, lower case
    yield_kg_per_ha: Mapped[Decimal] = mapped_column(Numeric(10, 1))   # per season
    seasons_per_year: Mapped[int] = mapped_column(SmallInteger, default=1)
    margin_pct: Mapped[int] = mapped_column(SmallInteger, default=20)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
