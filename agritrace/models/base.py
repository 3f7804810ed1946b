"""Declarative base, naming convention and the small column helpers every model uses."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import DateTime, Enum, MetaData, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), nullable=False)


def enum_type(enum_cls: type[enum.StrEnum], name: str) -> Enum:
    """A VARCHAR holding the enum's values, guarded by a CHECK constraint."""
    return Enum(enum_cls, name=name, native_enum=False, create_constraint=True,
                length=max(len(m.value) for m in enum_cls), validate_strings=True,
                values_callable=lambda e: [m.value for m in e])
