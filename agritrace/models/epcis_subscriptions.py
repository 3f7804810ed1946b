"""Subscriptions to named EPCIS queries (the standard's /queries/{name}/subscriptions)
and their delivery queue: a webhook receives each new matching event once.

`high_water` is the newest event id a subscription will never send: at creation the
newest event there is (old events are never sent), later moved up past events that
are settled. What a subscription has queued is kept per event (unique), so an event
whose transaction committed late, with an id below newer ones, is still sent, once.
"""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (BigInteger, Boolean, CheckConstraint, DateTime, ForeignKey, Index,
                        Integer, String, Text, func, text)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, enum_type


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class EpcisSubscription(Base):
    """A webhook on a named query: streamed (each new event) or on a schedule."""
    __tablename__ = "epcis_subscriptions"
    __table_args__ = (
        CheckConstraint("stream OR schedule IS NOT NULL", name="stream_or_schedule"),
    )

    # The subscriptionID the standard hands to the client (a UUID).
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    query_id: Mapped[int] = mapped_column(
        ForeignKey("epcis_queries.id", ondelete="CASCADE"), index=True)
    dest: Mapped[str] = mapped_column(Text)
    # The client's secret for the GS1-Signature header (HMAC-SHA256); never shown again.
    signature_token: Mapped[str | None] = mapped_column(Text)
    stream: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    # The standard's cron-like fields (second, minute, hour, dayOfMonth, month, dayOfWeek).
    schedule: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    report_if_empty: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    initial_record_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    high_water: Mapped[int] = mapped_column(BigInteger)
    next_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False)


class EpcisDelivery(Base):
    """One POST to a subscription's webhook, in the outbox until its receiver says 2xx."""
    __tablename__ = "epcis_deliveries"
    __table_args__ = (Index("ix_epcis_deliveries_due", "next_attempt_at",
                            postgresql_where=text("status = 'pending'")),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    subscription_id: Mapped[str] = mapped_column(
        ForeignKey("epcis_subscriptions.id", ondelete="CASCADE"), index=True)
    status: Mapped[DeliveryStatus] = mapped_column(
        enum_type(DeliveryStatus, "delivery_status"), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now())
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False)


class EpcisSubscriptionEvent(Base):
    """An event a subscription has queued, and the delivery carrying it."""
    __tablename__ = "epcis_subscription_events"

    subscription_id: Mapped[str] = mapped_column(
        ForeignKey("epcis_subscriptions.id", ondelete="CASCADE"), primary_key=True)
    event_pk: Mapped[int] = mapped_column(
        ForeignKey("epcis_events.id", ondelete="CASCADE"), primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("epcis_deliveries.id", ondelete="CASCADE"), index=True)
