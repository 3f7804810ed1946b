from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (ARRAY, BigInteger, Boolean, CheckConstraint, DateTime, ForeignKey, Index,
                        Integer, LargeBinary, String, Text, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Timestamped, enum_type
from .batches import Batch


class RunStatus(enum.StrEnum):
    ISSUED = "issued"   # minted, not yet printed and activated
    ACTIVE = "active"
    VOID = "void"


class OrderStatus(enum.StrEnum):
    QUEUED = "queued"
    MINTING = "minting"
    DONE = "done"
    FAILED = "failed"


class StampOrder(Timestamped, Base):  # đơn đặt tem
    """A request for a run of stamps, and the job that mints it.

    The run and its stamps are written in one transaction when minting ends, so a
    minting that dies leaves no run and no stamp behind: only this row, which the
    next worker takes up again (its heartbeat has stopped). Progress is written
    beside the minting transaction, so the order page can show it."""
    __tablename__ = "stamp_orders"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("minted >= 0 AND minted <= quantity", name="minted_range"),
        CheckConstraint("status <> 'done' OR run_id IS NOT NULL", name="done_has_run"),
        Index("ix_stamp_orders_waiting", "id", postgresql_where=text(
            "status IN ('queued', 'minting')")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id", ondelete="RESTRICT"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    pin_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[OrderStatus] = mapped_column(enum_type(OrderStatus, "order_status"),
                                                default=OrderStatus.QUEUED)
    minted: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    run_id: Mapped[int | None] = mapped_column(ForeignKey("stamp_runs.id", ondelete="SET NULL"))
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    worker: Mapped[str | None] = mapped_column(String(100))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    batch: Mapped[Batch] = relationship(lazy="joined", innerjoin=True)


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
    # References stamp_runs.id. Not a foreign key, which would check a run's million
    # stamps one by one: triggers check each statement's rows at once (migration 0007).
    run_id: Mapped[int] = mapped_column(Integer, index=True)
    # A stamp follows its run (issued, active, void) unless it was voided on its own
    # (a label torn or lost at the printer): only "void" is ever set here.
    status: Mapped[RunStatus] = mapped_column(enum_type(RunStatus, "stamp_status"),
                                              default=RunStatus.ISSUED)
    scan_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    first_scan_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
