"""Phones signed in to the field app (thiết bị), and what their offline queue sent: the
idempotency key of every accepted entry and photo, unique per organisation, so that an
entry sent twice (a retry, a second phone) is recognised and never written twice."""
from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import (CheckConstraint, DateTime, ForeignKey, Integer, SmallInteger, String,
                        UniqueConstraint, Uuid, func)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Timestamped, enum_type
from .organizations import Organization
from .users import User


class EntryKind(enum.StrEnum):
    DIARY = "diary"          # a farming-diary entry
    HARVEST = "harvest"      # a harvest batch (lô thu hoạch)
    BOUNDARY = "boundary"    # a walked boundary, saved as a draft growing area
    POINT = "point"          # a marked point: a packing house or a field observation


class FieldDevice(Timestamped, Base):  # thiết bị
    """A signed-in phone. Only the SHA-256 digest of its token is kept; it works until
    `expires_at` or until the user or an administrator revokes it."""
    __tablename__ = "field_devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True, foreign_keys=[user_id])
    organization: Mapped[Organization] = relationship(lazy="joined", innerjoin=True)


class FieldEntry(Base):
    """An accepted entry of a phone's queue: its key, and the row it made."""
    __tablename__ = "field_entries"
    __table_args__ = (
        UniqueConstraint("organization_id", "key", name="uq_field_entries_organization_key"),
        CheckConstraint("target IN ('trace_events', 'batches', 'growing_areas', 'facilities')",
                        name="target_table"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"))
    device_id: Mapped[int] = mapped_column(ForeignKey("field_devices.id", ondelete="RESTRICT"),
                                           index=True)
    key: Mapped[uuid.UUID] = mapped_column(Uuid)
    kind: Mapped[EntryKind] = mapped_column(enum_type(EntryKind, "field_entry_kind"))
    # The table and id of the row the entry made (a diary entry, a batch, an area…).
    target: Mapped[str] = mapped_column(String(20))
    result_id: Mapped[int] = mapped_column(Integer)
    made_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                  server_default=func.now())


class FieldPhoto(Base):
    """A photo taken in the field, re-encoded and kept as the stored file
    `diary/<name>.jpg`; linked to the diary entry that names its key."""
    __tablename__ = "field_photos"
    __table_args__ = (
        UniqueConstraint("organization_id", "key", name="uq_field_photos_organization_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"))
    device_id: Mapped[int] = mapped_column(ForeignKey("field_devices.id", ondelete="RESTRICT"),
                                           index=True)
    key: Mapped[uuid.UUID] = mapped_column(Uuid)
    name: Mapped[str] = mapped_column(String(32), unique=True)
    width_px: Mapped[int] = mapped_column(SmallInteger)
    height_px: Mapped[int] = mapped_column(SmallInteger)
    size_bytes: Mapped[int] = mapped_column(Integer)
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("trace_events.id", ondelete="SET NULL"), index=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                  server_default=func.now())
