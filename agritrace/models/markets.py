"""Export markets of growing-area and packing-house codes, and their supervision
(giám sát).

A code is domestic (Article 64 of the Law on Crop Production) or export. An export code
is approved market by market under each importing country's protocol: the province
proposes it, the Plant Protection Department submits it, the importing authority
approves and lists it; it may then be suspended or revoked. Inspections follow a cycle
per crop and market, and their outcome moves the code's market states.
"""
from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import (ARRAY, CheckConstraint, Date, ForeignKey, Index, Integer, LargeBinary,
                        SmallInteger, String, Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Timestamped, enum_type


class CodeScope(enum.StrEnum):
    """What a code is for; a code not yet classified ships to no export market."""
    DOMESTIC = "domestic"   # mã số nội địa
    EXPORT = "export"       # mã số xuất khẩu


class MarketState(enum.StrEnum):
    PROPOSED = "proposed"     # the province proposed the code for the market
    SUBMITTED = "submitted"   # sent to the importing authority
    APPROVED = "approved"     # listed by the importing authority
    SUSPENDED = "suspended"
    REVOKED = "revoked"


class Finding(enum.StrEnum):
    QUARANTINE_PEST = "quarantine_pest"        # sinh vật gây hại kiểm dịch
    RESIDUE_OVER_LIMIT = "residue_over_limit"  # dư lượng vượt mức
    RECORDS_MISSING = "records_missing"        # thiếu hồ sơ, nhật ký
    CODE_MISUSED = "code_misused"              # mã số bị sử dụng bởi người khác
    OWNER_CHANGED = "owner_changed"            # thay đổi chủ sở hữu


class Outcome(enum.StrEnum):
    PASSED = "passed"
    CORRECTIVE_ACTION = "corrective_action"    # khắc phục trong thời hạn
    SUSPENSION = "suspension"                  # tạm dừng cho các thị trường đã nêu
    REVOCATION = "revocation"                  # thu hồi


ONE_CODE = "num_nonnulls(area_id, facility_id) = 1"
_FINDINGS = ", ".join(f"'{f.value}'" for f in Finding)


class CodeMarket(Timestamped, Base):
    """One code's approval for one importing market."""
    __tablename__ = "code_markets"
    __table_args__ = (
        CheckConstraint(ONE_CODE, name="one_code"),
        CheckConstraint("market ~ '^[A-Z]{2}$'", name="market_iso2"),
        CheckConstraint("state NOT IN ('approved', 'suspended') OR approved_on IS NOT NULL",
                        name="approved_has_date"),
        CheckConstraint("valid_until IS NULL OR approved_on IS NULL "
                        "OR valid_until >= approved_on", name="validity_order"),
        UniqueConstraint("area_id", "market", name="uq_code_markets_area_market"),
        UniqueConstraint("facility_id", "market", name="uq_code_markets_facility_market"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int | None] = mapped_column(
        ForeignKey("growing_areas.id", ondelete="CASCADE"))
    facility_id: Mapped[int | None] = mapped_column(
        ForeignKey("facilities.id", ondelete="CASCADE"))
    market: Mapped[str] = mapped_column(String(2))
    state: Mapped[MarketState] = mapped_column(enum_type(MarketState, "market_state"),
                                               default=MarketState.PROPOSED)
    reason: Mapped[str | None] = mapped_column(Text)   # of the last step; each is audited
    approved_on: Mapped[date | None] = mapped_column(Date)
    list_reference: Mapped[str | None] = mapped_column(String(120))
    valid_until: Mapped[date | None] = mapped_column(Date)
    renew_by: Mapped[date | None] = mapped_column(Date)
    # The renewal date a reminder went out for: a new date brings a new reminder.
    reminded_for: Mapped[date | None] = mapped_column(Date)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class InspectionPlan(Timestamped, Base):
    """How often the province inspects codes of a crop approved for a market; the crop
    '' is for packing houses."""
    __tablename__ = "inspection_plans"
    __table_args__ = (
        CheckConstraint("cycle_days BETWEEN 1 AND 3660", name="cycle_range"),
        CheckConstraint("market ~ '^[A-Z]{2}$'", name="market_iso2"),
        UniqueConstraint("province_code", "crop", "market", name="uq_inspection_plans_scope"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    province_code: Mapped[int] = mapped_column(SmallInteger)
    crop: Mapped[str] = mapped_column(String(100))
    market: Mapped[str] = mapped_column(String(2))
    cycle_days: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Inspection(Timestamped, Base):  # kiểm tra, giám sát
    __tablename__ = "inspections"
    __table_args__ = (
        CheckConstraint(ONE_CODE, name="one_code"),
        CheckConstraint(f"findings <@ ARRAY[{_FINDINGS}]::varchar[]", name="known_findings"),
        CheckConstraint("outcome <> 'corrective_action' OR correct_by IS NOT NULL",
                        name="corrective_has_date"),
        Index("ix_inspections_area_id", "area_id"),
        Index("ix_inspections_facility_id", "facility_id"),
        Index("ix_inspections_province_code", "province_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int | None] = mapped_column(
        ForeignKey("growing_areas.id", ondelete="CASCADE"))
    facility_id: Mapped[int | None] = mapped_column(
        ForeignKey("facilities.id", ondelete="CASCADE"))
    province_code: Mapped[int] = mapped_column(SmallInteger)
    inspected_on: Mapped[date] = mapped_column(Date)
    inspector: Mapped[str] = mapped_column(String(200))
    findings: Mapped[list[str]] = mapped_column(ARRAY(String(30)), default=list)
    notes: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[Outcome] = mapped_column(enum_type(Outcome, "inspection_outcome"))
    # The markets a suspension or revocation applies to.
    markets: Mapped[list[str]] = mapped_column(ARRAY(String(2)), default=list)
    correct_by: Mapped[date | None] = mapped_column(Date)
    corrected_on: Mapped[date | None] = mapped_column(Date)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class InspectionPhoto(Base):
    __tablename__ = "inspection_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(
        ForeignKey("inspections.id", ondelete="CASCADE"), index=True)
    content_type: Mapped[str] = mapped_column(String(30))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
