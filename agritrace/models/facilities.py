from __future__ import annotations

import enum

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import CheckConstraint, FetchedValue, ForeignKey, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Timestamped, enum_type
from .markets import CodeScope
from .organizations import Organization


class FacilityKind(enum.StrEnum):
    PACKING_HOUSE = "packing_house"    # cơ sở đóng gói
    PROCESSING = "processing"          # cơ sở chế biến
    LIVESTOCK_FARM = "livestock_farm"
    FEED_MILL = "feed_mill"
    WAREHOUSE = "warehouse"            # kho, điểm thu mua (traders, exporters, distributors)


class FacilityStatus(enum.StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"


class Facility(Timestamped, Base):  # cơ sở
    __tablename__ = "facilities"
    __table_args__ = (
        CheckConstraint(r"gln IS NULL OR gln ~ '^[0-9]{13}$'", name="gln_format"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[FacilityKind] = mapped_column(enum_type(FacilityKind, "facility_kind"))
    code: Mapped[str | None] = mapped_column(String(40), unique=True)  # e.g. mã số cơ sở đóng gói
    name: Mapped[str] = mapped_column(String(200))
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True)
    geom: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=4326, spatial_index=True))
    # A location GLN (AI 414), where the organisation has given the place one.
    gln: Mapped[str | None] = mapped_column(String(13))
    address: Mapped[str] = mapped_column(String(300), default="")
    province_code: Mapped[int] = mapped_column(SmallInteger, index=True)
    ward_code: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[FacilityStatus] = mapped_column(enum_type(FacilityStatus, "facility_status"),
                                                   default=FacilityStatus.PENDING)
    # The issuing province's letters, as on growing areas (migration 0015).
    issued_province: Mapped[str | None] = mapped_column(
        String(6), server_default=FetchedValue(), server_onupdate=FetchedValue())
    code_scope: Mapped[CodeScope | None] = mapped_column(enum_type(CodeScope, "code_scope"))

    organization: Mapped[Organization] = relationship(lazy="joined", innerjoin=True)
