"""Code templates and sequences for growing-area and packing-house codes (DESIGN §4)."""
from __future__ import annotations

import enum

from sqlalchemy import CheckConstraint, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Timestamped, enum_type


class CodeKind(enum.StrEnum):
    GROWING_AREA = "growing_area"    # KIND "OR"
    PACKING_HOUSE = "packing_house"  # KIND "PH"


class CodeTemplate(Timestamped, Base):
    """Per province and kind, editable by an admin; e.g. `VN-{PROV}{KIND}-{NNNN}`."""
    __tablename__ = "code_templates"

    province_code: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    kind: Mapped[CodeKind] = mapped_column(enum_type(CodeKind, "code_kind"), primary_key=True)
    template: Mapped[str] = mapped_column(String(60), default="VN-{PROV}{KIND}-{NNNN}")
    prov: Mapped[str] = mapped_column(String(6))     # the province's letters, e.g. "TN"
    kind_letters: Mapped[str] = mapped_column(String(4))  # "OR", "PH"


class CodeSequence(Timestamped, Base):
    """The last number issued per province and kind; numbers are never reused."""
    __tablename__ = "code_sequences"
    __table_args__ = (CheckConstraint("last_value >= 0", name="last_value_nonnegative"),)

    province_code: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    kind: Mapped[CodeKind] = mapped_column(enum_type(CodeKind, "code_seq_kind"), primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)
