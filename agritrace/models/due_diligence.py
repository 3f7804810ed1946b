"""EU deforestation regulation (EUDR, Regulation (EU) 2023/1115) due diligence: the
province's forest map of 31 December 2020, and per export lot to the EU its
deforestation verdicts and due-diligence statement (DDS) with the reference and
verification numbers the EU information system gave it."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (CheckConstraint, DateTime, Float, ForeignKey, Integer, LargeBinary,
                        Numeric, SmallInteger, String, Text)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Timestamped


class ForestMap(Timestamped, Base):  # bản đồ hiện trạng rừng 31/12/2020
    """A GeoTIFF forest mask (1 = forest) uploaded by a province; its latest is used."""
    __tablename__ = "forest_maps"

    id: Mapped[int] = mapped_column(primary_key=True)
    province_code: Mapped[int] = mapped_column(SmallInteger, index=True)
    filename: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(Text, default="")   # e.g. "JRC GFC2020 V2, tile …"
    crs: Mapped[str] = mapped_column(Text)
    west: Mapped[float] = mapped_column(Float)
    south: Mapped[float] = mapped_column(Float)
    east: Mapped[float] = mapped_column(Float)
    north: Mapped[float] = mapped_column(Float)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class DueDiligence(Timestamped, Base):  # hồ sơ thẩm định (DDS) của một lô xuất khẩu
    """One export lot's due diligence: the plots of its chain with their forest share on
    the map, the verdicts at the threshold used, the statement's fields, and the
    numbers the EU information system returned once it was submitted."""
    __tablename__ = "due_diligence"
    __table_args__ = (
        CheckConstraint("threshold_pct >= 0 AND threshold_pct <= 100", name="threshold_range"),
        CheckConstraint("verdict IN ('negligible', 'forest')", name="verdict_known"),
        CheckConstraint("(reference_number IS NULL) = (verification_number IS NULL)",
                        name="numbers_together"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id", ondelete="CASCADE"),
                                          unique=True)
    forest_map_id: Mapped[int] = mapped_column(ForeignKey("forest_maps.id",
                                                          ondelete="RESTRICT"), index=True)
    threshold_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    verdict: Mapped[str] = mapped_column(String(10))
    # [{area_id, code, name, producer, area_ha, forest_pct, verdict}] in code order
    plots: Mapped[list] = mapped_column(JSONB, default=list)
    activity: Mapped[str] = mapped_column(String(8))          # EU activity type: IMPORT, …
    hs_heading: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(Text)
    # [{title, number, issuer}]: land titles, permits, certificates proving legality
    legality_documents: Mapped[list] = mapped_column(JSONB, default=list)
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    checked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reference_number: Mapped[str | None] = mapped_column(String(40))
    verification_number: Mapped[str | None] = mapped_column(String(40))
    numbers_recorded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
