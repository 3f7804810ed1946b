"""The EPCIS 2.0 repository: every event the platform holds, as captured or as built
from a diary entry or a chain action, never edited (a correction is a new event with
an errorDeclaration); capture jobs; and named queries.

The event document is kept exactly as it came (JSON-LD); the columns beside it are
what the query interface filters and sorts on, and `epcis_event_epcs` lists every
identifier an event names, so that MATCH_anyEPC and its kin are index lookups."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (BigInteger, Boolean, CheckConstraint, DateTime, ForeignKey, Index,
                        Integer, SmallInteger, String, Text, UniqueConstraint, func, text)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, enum_type


class CaptureBehaviour(enum.StrEnum):
    """GS1-Capture-Error-Behaviour: all or nothing, or keep the good events."""
    ROLLBACK = "rollback"
    PROCEED = "proceed"


class EpcisCapture(Base):
    """A capture job (the standard's CaptureJob): who sent a document, when it was
    done, and the problems of each event refused."""
    __tablename__ = "epcis_captures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    running: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    success: Mapped[bool | None] = mapped_column(Boolean)
    error_behaviour: Mapped[CaptureBehaviour] = mapped_column(
        enum_type(CaptureBehaviour, "capture_behaviour"))
    event_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    # [{"eventIndex": n, "field": "...", "detail": "..."}], what the job reports.
    errors: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, server_default=text("'[]'::jsonb"))


class EpcisEvent(Base):
    """One event of the repository; `id` is the order events arrived in (a
    subscription delivers those above its high-water mark)."""
    __tablename__ = "epcis_events"
    __table_args__ = (
        Index("ix_epcis_events_event_time_id", "event_time", "id"),
        Index("ix_epcis_events_record_time_id", "record_time", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # The event's eventID, or its CBV 2.0 event hash when it came without one.
    event_id: Mapped[str] = mapped_column(Text, unique=True)
    # Whose event: the capturing organisation, or the one whose diary entry or chain
    # action produced it.
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True)
    # Where it happened, for officials: the growing area's province for a diary entry
    # on an area, else the organisation's.
    province_code: Mapped[int] = mapped_column(SmallInteger, index=True)
    capture_id: Mapped[int | None] = mapped_column(
        ForeignKey("epcis_captures.id", ondelete="RESTRICT"), index=True)
    # The diary entry (nhật ký) this event says, when it is one.
    trace_event_id: Mapped[int | None] = mapped_column(
        ForeignKey("trace_events.id", ondelete="RESTRICT"), unique=True)
    record_time: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False)
    event_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    event_type: Mapped[str] = mapped_column(String(32), index=True)
    action: Mapped[str | None] = mapped_column(String(8))
    biz_step: Mapped[str | None] = mapped_column(Text, index=True)
    disposition: Mapped[str | None] = mapped_column(Text, index=True)
    read_point: Mapped[str | None] = mapped_column(Text, index=True)
    biz_location: Mapped[str | None] = mapped_column(Text, index=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSONB)


class EpcField(enum.StrEnum):
    """Where in an event an identifier stands: the MATCH_ parameters pick by this."""
    EPC = "epc"              # epcList, childEPCs
    PARENT = "parent"        # parentID
    INPUT = "input"          # inputEPCList
    OUTPUT = "output"        # outputEPCList
    CLASS = "class"          # quantityList, childQuantityList
    INPUT_CLASS = "input_class"
    OUTPUT_CLASS = "output_class"


class EpcisEventEpc(Base):
    """An identifier (EPC, class or SSCC, as written) named by an event."""
    __tablename__ = "epcis_event_epcs"
    __table_args__ = (Index("ix_epcis_event_epcs_event", "event_pk"),)

    epc: Mapped[str] = mapped_column(Text, primary_key=True)
    event_pk: Mapped[int] = mapped_column(
        ForeignKey("epcis_events.id", ondelete="CASCADE"), primary_key=True)
    field: Mapped[EpcField] = mapped_column(enum_type(EpcField, "epc_field"),
                                            primary_key=True)


class EpcisEventLot(Base):
    """A lot (lô hàng) of the platform that an event is about: who may read the event
    follows from who may see the lot."""
    __tablename__ = "epcis_event_lots"

    event_pk: Mapped[int] = mapped_column(
        ForeignKey("epcis_events.id", ondelete="CASCADE"), primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("batches.id", ondelete="RESTRICT"), primary_key=True, index=True)


class EpcisQuery(Base):
    """A named query (the standard's /queries/{queryName}) of one user."""
    __tablename__ = "epcis_queries"
    __table_args__ = (
        UniqueConstraint("owner_id", "name", name="uq_epcis_queries_owner_name"),
        CheckConstraint("length(name) BETWEEN 1 AND 100", name="name_length"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    # The query parameters by their standard names, as given.
    query: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False)
