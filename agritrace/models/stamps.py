from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (ARRAY, BigInteger, Boolean, CheckConstraint, DateTime, ForeignKey, Integer,
                        LargeBinary, String, Text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Timestamped, enum_type
from .batches import Batch


class RunStatus(enum.StrEnum):
    ISSUED = "issued"   # minted, not yet printed and activated
    ACTIVE = "active"
    VOID = "void"


class StampRun(Timestamped, Base):  # đợt phát hành tem
    __tablename__ = "stamp_runs"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id", ondelete="RESTRICT"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[RunStatus] = mapped_column(enum_type(RunStatus, "run_status"),
                                              default=RunStatus.ISSUED)
    print_formats: Mapped[list[str]] = mapped_column(ARRAY(String(20)), default=list)
    pin_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Key of HMAC(run key, stamp id) -> scratch PIN; PINs themselves are never stored.
    pin_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    voided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    void_reason: Mapped[str | None] = mapped_column(Text)

    batch: Mapped[Batch] = relationship(lazy="joined", innerjoin=True)


class Stamp(Timestamped, Base):  # tem truy xuất nguồn gốc
    """Millions of rows: inserted with COPY, never one by one."""
    __tablename__ = "stamps"
    __table_args__ = (
        CheckConstraint("id > 0", name="id_positive"),
        CheckConstraint("scan_count >= 0", name="scan_count_nonnegative"),
    )

    # A random 63-bit integer: unguessable, and the printed code is derived from it.
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    run_id: Mapped[int] = mapped_column(ForeignKey("stamp_runs.id", ondelete="CASCADE"), index=True)
    status: Mapped[RunStatus] = mapped_column(enum_type(RunStatus, "stamp_status"),
                                              default=RunStatus.ISSUED)
    scan_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    first_scan_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
