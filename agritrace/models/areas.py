from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (ARRAY, CheckConstraint, Date, DateTime, FetchedValue, ForeignKey, Index,
                        Integer, LargeBinary, Numeric, SmallInteger, String, Text,
                        UniqueConstraint)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Timestamped, enum_type
from .markets import CodeScope
from .organizations import Organization


class AreaStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ISSUED = "issued"
    REJECTED = "rejected"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


# Areas that block an overlapping new area.
ACTIVE_AREA_STATUSES = (AreaStatus.SUBMITTED, AreaStatus.ISSUED, AreaStatus.SUSPENDED)


class GrowingArea(Timestamped, Base):  # vùng trồng
    __tablename__ = "growing_areas"
    __table_args__ = (
        CheckConstraint("area_ha > 0", name="area_positive"),
        CheckConstraint("status NOT IN ('issued', 'suspended', 'revoked') OR code IS NOT NULL",
                        name="issued_has_code"),
        CheckConstraint("valid_until IS NULL OR issued_at IS NULL OR valid_until >= issued_at::date",
                        name="validity_order"),
        Index("ix_growing_areas_province_status", "province_code", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str | None] = mapped_column(String(40), unique=True)  # mã số vùng trồng
    name: Mapped[str] = mapped_column(String(200))
    crop: Mapped[str] = mapped_column(String(100))
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True)
    households: Mapped[int | None] = mapped_column(Integer)
    geom: Mapped[WKBElement] = mapped_column(
        Geometry("MULTIPOLYGON", srid=4326, spatial_index=True))
    area_ha: Mapped[Decimal] = mapped_column(Numeric(12, 4))       # geodesic, computed
    perimeter_m: Mapped[Decimal] = mapped_column(Numeric(14, 2))   # geodesic, computed
    province_code: Mapped[int] = mapped_column(SmallInteger)
    ward_code: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[AreaStatus] = mapped_column(enum_type(AreaStatus, "area_status"),
                                               default=AreaStatus.DRAFT)
    status_reason: Mapped[str | None] = mapped_column(Text)
    target_markets: Mapped[list[str]] = mapped_column(ARRAY(String(2)), default=list)
    code_scope: Mapped[CodeScope | None] = mapped_column(enum_type(CodeScope, "code_scope"))
    issued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[date | None] = mapped_column(Date)
    # The issuing province's letters, kept from the day the code was set (a trigger of
    # migration 0015): a code from before the 2025 merger keeps its old province.
    issued_province: Mapped[str | None] = mapped_column(
        String(6), server_default=FetchedValue(), server_onupdate=FetchedValue())
    version: Mapped[int] = mapped_column(Integer, default=1)
    import_id: Mapped[int | None] = mapped_column(
        ForeignKey("area_imports.id", ondelete="SET NULL"), index=True)
    # A new polygon for an issued area waits here for an official's approval.
    proposed_geom: Mapped[WKBElement | None] = mapped_column(
        Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=True)
    proposed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    proposed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    organization: Mapped[Organization] = relationship(lazy="joined", innerjoin=True)


class GrowingAreaVersion(Timestamped, Base):
    """The polygons an area had before its current one (which lives on the area),
    kept for audit and dispute; `changed_by` is who replaced it."""
    __tablename__ = "growing_area_versions"
    __table_args__ = (UniqueConstraint("area_id", "version", name="uq_area_versions_area_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("growing_areas.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    geom: Mapped[WKBElement] = mapped_column(
        Geometry("MULTIPOLYGON", srid=4326, spatial_index=False))
    area_ha: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    perimeter_m: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    changed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ImportStatus(enum.StrEnum):
    CHECKED = "checked"      # read and validated; nothing created yet
    IMPORTED = "imported"    # its good plots became draft areas
    DISCARDED = "discarded"


class AreaImport(Timestamped, Base):
    """An uploaded file of plots, its validation report, and what became of it. The
    file is kept until it is imported or discarded, so the report can be acted on
    without uploading it again."""
    __tablename__ = "area_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    province_code: Mapped[int] = mapped_column(SmallInteger)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(255))
    format: Mapped[str] = mapped_column(String(20))
    source_crs: Mapped[str] = mapped_column(Text)  # an id, or WKT when the file had its own
    crop: Mapped[str] = mapped_column(String(100))
    repair: Mapped[bool] = mapped_column(default=False)
    data: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    report: Mapped[dict] = mapped_column(JSONB, default=dict)
    feature_count: Mapped[int] = mapped_column(Integer, default=0)
    ok_count: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[ImportStatus] = mapped_column(enum_type(ImportStatus, "import_status"),
                                                 default=ImportStatus.CHECKED)
    imported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ProvinceBoundary(Timestamped, Base):
    """A province's boundary, when an admin has loaded one: areas declared in the
    province must then lie inside it."""
    __tablename__ = "province_boundaries"

    province_code: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    geom: Mapped[WKBElement] = mapped_column(
        Geometry("MULTIPOLYGON", srid=4326, spatial_index=True))
    source: Mapped[str] = mapped_column(String(300), default="")
