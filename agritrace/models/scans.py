from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (BigInteger, DateTime, Float, ForeignKey, Index, Integer, String, Text,
                        func)
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Timestamped, enum_type


class Verdict(enum.StrEnum):
    GENUINE = "genuine"
    REPEAT = "repeat"
    SUSPECT_COPY = "suspect_copy"
    INACTIVE = "inactive"
    VOID = "void"
    UNKNOWN = "unknown"
    RECALLED = "recalled"
    EXPIRED = "expired"


class Scan(Base):
    """Append-only record of each scan; the client is a keyed hash that changes daily."""
    __tablename__ = "scans"
    __table_args__ = (Index("ix_scans_stamp_time", "stamp_id", "scanned_at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    stamp_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("stamps.id", ondelete="CASCADE"))
    scanned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    client_hash: Mapped[str] = mapped_column(String(64))
    ua_family: Mapped[str | None] = mapped_column(String(40))
    lat: Mapped[float | None] = mapped_column(Float)   # consented, coarse
    lon: Mapped[float | None] = mapped_column(Float)
    verdict: Mapped[Verdict] = mapped_column(enum_type(Verdict, "verdict"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ReportStatus(enum.StrEnum):
    NEW = "new"
    IN_REVIEW = "in_review"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"


class ReportReason(enum.StrEnum):
    FAKE = "fake"                # the stamp or the product looks counterfeit
    QUALITY = "quality"          # spoiled, damaged, tastes or smells wrong
    INFORMATION = "information"  # the page says something untrue
    OTHER = "other"


class Report(Timestamped, Base):  # phản ánh
    __tablename__ = "reports"
    __table_args__ = (Index("ix_reports_province_status", "province_code", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stamp_id: Mapped[int | None] = mapped_column(BigInteger,
                                                 ForeignKey("stamps.id", ondelete="SET NULL"))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id", ondelete="SET NULL"))
    province_code: Mapped[int | None] = mapped_column(Integer)
    # The code as the consumer had it: a report on an unknown code has no stamp row.
    stamp_code: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[ReportReason] = mapped_column(enum_type(ReportReason, "report_reason"),
                                                 default=ReportReason.OTHER,
                                                 server_default=ReportReason.OTHER.value)
    message: Mapped[str] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(String(200))
    client_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[ReportStatus] = mapped_column(enum_type(ReportStatus, "report_status"),
                                                 default=ReportStatus.NEW)
    handled_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolution: Mapped[str | None] = mapped_column(Text)


class RateLimit(Base):
    """Requests per client (or per stamp) in fixed windows, shared by every worker
    process. UNLOGGED: counters need no crash safety, and skipping the WAL keeps the
    write on each public request cheap; rows of past windows are swept away."""
    __tablename__ = "rate_limits"
    __table_args__ = {"prefixes": ["UNLOGGED"]}

    bucket: Mapped[str] = mapped_column(String(100), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer, default=0)
