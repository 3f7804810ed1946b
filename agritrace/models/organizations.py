from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Timestamped, enum_type


class OrgKind(enum.StrEnum):
    COOPERATIVE = "cooperative"  # hợp tác xã
    ENTERPRISE = "enterprise"    # doanh nghiệp
    HOUSEHOLD = "household"      # hộ nông dân
    AGENCY = "agency"            # cơ quan nhà nước
    TRADER = "trader"            # thương lái
    PACKING_HOUSE = "packing_house"  # cơ sở đóng gói
    PROCESSOR = "processor"      # cơ sở chế biến
    EXPORTER = "exporter"        # doanh nghiệp xuất khẩu
    DISTRIBUTOR = "distributor"  # nhà phân phối
    RETAILER = "retailer"        # chuỗi bán lẻ


class OrgStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


class Organization(Timestamped, Base):  # tổ chức
    __tablename__ = "organizations"
    __table_args__ = (
        CheckConstraint(r"tax_code ~ '^[0-9]{10}([0-9]{3})?$'", name="tax_code_format"),
        CheckConstraint(r"gs1_company_prefix IS NULL OR gs1_company_prefix ~ '^[0-9]{6,12}$'",
                        name="gs1_prefix_format"),
        CheckConstraint(r"gln IS NULL OR gln ~ '^[0-9]{13}$'", name="gln_format"),
        Index("ix_organizations_province_status", "province_code", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OrgKind] = mapped_column(enum_type(OrgKind, "org_kind"))
    name: Mapped[str] = mapped_column(String(200))
    tax_code: Mapped[str] = mapped_column(String(13), unique=True)  # mã số thuế
    gs1_company_prefix: Mapped[str | None] = mapped_column(String(12))
    gln: Mapped[str | None] = mapped_column(String(13))
    address: Mapped[str] = mapped_column(String(300), default="")
    phone: Mapped[str | None] = mapped_column(String(30))
    email: Mapped[str | None] = mapped_column(String(254))
    province_code: Mapped[int] = mapped_column(SmallInteger)
    ward_code: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[OrgStatus] = mapped_column(enum_type(OrgStatus, "org_status"),
                                              default=OrgStatus.PENDING)
    status_reason: Mapped[str | None] = mapped_column(Text)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
