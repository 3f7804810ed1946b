"""The farming diary (nhật ký canh tác), shaped like EPCIS 2.0 events."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Timestamped, enum_type


class EventType(enum.StrEnum):
    OBJECT = "ObjectEvent"
    AGGREGATION = "AggregationEvent"
    TRANSFORMATION = "TransformationEvent"
    TRANSACTION = "TransactionEvent"
    ASSOCIATION = "AssociationEvent"


class BizStep(enum.StrEnum):
    """CBV 2.0 business steps, extended with the farming steps of the diary."""
    # CBV 2.0
    ACCEPTING = "accepting"
    ARRIVING = "arriving"
    COMMISSIONING = "commissioning"
    DECOMMISSIONING = "decommissioning"
    DEPARTING = "departing"
    DESTROYING = "destroying"
    HOLDING = "holding"
    INSPECTING = "inspecting"
    LOADING = "loading"
    OTHER = "other"
    PACKING = "packing"
    RECEIVING = "receiving"
    REPACKAGING = "repackaging"
    SAMPLING = "sampling"
    SHIPPING = "shipping"
    STORING = "storing"
    TRANSFORMING = "transforming"    # not in CBV 2.0: exported as agritrace:transforming
    TRANSPORTING = "transporting"
    UNLOADING = "unloading"
    # farming extension (agritrace:)
    SOWING = "sowing"                # gieo trồng
    FERTILISING = "fertilising"      # bón phân
    SPRAYING = "spraying"            # phun thuốc BVTV
    IRRIGATION = "irrigation"        # tưới
    HARVESTING = "harvesting"        # thu hoạch
    LAB_TESTING = "lab_testing"      # kiểm nghiệm


# The steps a producer records in the diary, in the order its forms offer them. Each is
# stored as itself in biz_step; the EPCIS door says the farming ones in CBV terms.
DIARY_STEPS = (BizStep.SOWING, BizStep.FERTILISING, BizStep.SPRAYING, BizStep.IRRIGATION,
               BizStep.HARVESTING, BizStep.PACKING, BizStep.LAB_TESTING, BizStep.SHIPPING)


class Disposition(enum.StrEnum):
    ACTIVE = "active"
    IN_PROGRESS = "in_progress"
    IN_TRANSIT = "in_transit"
    CONFORMANT = "conformant"
    NON_CONFORMANT = "non_conformant"
    RECALLED = "recalled"
    DESTROYED = "destroyed"
    EXPIRED = "expired"
    DAMAGED = "damaged"
    SELLABLE_ACCESSIBLE = "sellable_accessible"
    NEEDS_REPLACEMENT = "needs_replacement"


class TraceEvent(Timestamped, Base):  # sự kiện nhật ký
    __tablename__ = "trace_events"
    __table_args__ = (
        CheckConstraint(r"event_tz ~ '^[+-][0-9]{2}:[0-9]{2}$'", name="event_tz_format"),
        CheckConstraint("area_id IS NOT NULL OR batch_id IS NOT NULL OR facility_id IS NOT NULL",
                        name="has_subject"),
        Index("ix_trace_events_batch_time", "batch_id", "event_time"),
        Index("ix_trace_events_area_time", "area_id", "event_time"),
        # An imported event is recognised by its EPCIS eventID when it comes again.
        Index("uq_trace_events_batch_epcis_event", "batch_id", "epcis_event_id", unique=True,
              postgresql_where=text("epcis_event_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_type: Mapped[EventType] = mapped_column(enum_type(EventType, "event_type"),
                                                  default=EventType.OBJECT)
    biz_step: Mapped[BizStep] = mapped_column(enum_type(BizStep, "biz_step"))
    disposition: Mapped[Disposition | None] = mapped_column(enum_type(Disposition, "disposition"))
    event_time: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    event_tz: Mapped[str] = mapped_column(String(6), default="+07:00")
    area_id: Mapped[int | None] = mapped_column(ForeignKey("growing_areas.id", ondelete="RESTRICT"))
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id", ondelete="RESTRICT"),
                                                    index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id", ondelete="CASCADE"))
    details: Mapped[dict] = mapped_column(JSONB, default=dict)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The eventID an imported event came with (EPCIS 2.0); None for entries made here,
    # whose eventID is derived from their id.
    epcis_event_id: Mapped[str | None] = mapped_column(String(500))
