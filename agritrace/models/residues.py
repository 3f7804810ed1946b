"""Pesticide residues (dư lượng thuốc bảo vệ thực vật): the maximum residue limits
(MRL, giới hạn dư lượng tối đa) each market sets per crop and active ingredient, the lab
tests of growing areas and lots, and a market's rule that an export lot needs a
passing test taken shortly before it ships.

Limits are in mg/kg, as Codex, the EU, China's GB 2763 and Viet Nam's rules all state
them. The row of province 0 is the platform's; a province uploads its own table,
which wins for its lots."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import (CheckConstraint, Date, ForeignKey, Index, Numeric, SmallInteger, String,
                        Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Timestamped


class ResidueLimit(Timestamped, Base):  # giới hạn dư lượng tối đa (MRL)
    __tablename__ = "residue_limits"
    __table_args__ = (
        UniqueConstraint("province_code", "market", "crop", "ingredient",
                         name="uq_residue_limits_province_market_crop_ingredient"),
        CheckConstraint("mrl_mg_kg > 0", name="mrl_positive"),
        CheckConstraint(r"market ~ '^[A-Z]{2}$'", name="market_iso2"),
        CheckConstraint("crop = lower(btrim(crop)) AND ingredient = lower(btrim(ingredient))",
                        name="names_normalised"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    province_code: Mapped[int] = mapped_column(SmallInteger)
    market: Mapped[str] = mapped_column(String(2))            # ISO 3166 alpha-2; EU for the Union
    crop: Mapped[str] = mapped_column(String(100))            # as growing areas name it
    ingredient: Mapped[str] = mapped_column(String(100))      # hoạt chất, ISO common name
    mrl_mg_kg: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    source: Mapped[str] = mapped_column(Text, default="")     # the rule the value comes from
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ResidueRule(Timestamped, Base):
    """A market's demand that an export lot's growing areas or input lots passed a
    residue test sampled at most `within_days` before the lot is made."""
    __tablename__ = "residue_rules"
    __table_args__ = (
        UniqueConstraint("province_code", "market", name="uq_residue_rules_province_market"),
        CheckConstraint("within_days BETWEEN 1 AND 365", name="days_range"),
        CheckConstraint(r"market ~ '^[A-Z]{2}$'", name="market_iso2"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    province_code: Mapped[int] = mapped_column(SmallInteger)
    market: Mapped[str] = mapped_column(String(2))
    within_days: Mapped[int] = mapped_column(SmallInteger)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ResidueTest(Timestamped, Base):  # phiếu kết quả kiểm nghiệm dư lượng
    """One lab report on a sample from a growing area, a lot, or a lot of that area."""
    __tablename__ = "residue_tests"
    __table_args__ = (
        CheckConstraint("batch_id IS NOT NULL OR area_id IS NOT NULL", name="tests_something"),
        Index("ix_residue_tests_area_sampled", "area_id", "sampled_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id", ondelete="RESTRICT"),
                                                 index=True)
    area_id: Mapped[int | None] = mapped_column(
        ForeignKey("growing_areas.id", ondelete="RESTRICT"))
    sampled_on: Mapped[date] = mapped_column(Date)
    lab: Mapped[str] = mapped_column(String(200))
    report_number: Mapped[str] = mapped_column(String(100), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    results: Mapped[list[ResidueResult]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="ResidueResult.ingredient")


class ResidueResult(Base):
    """What the lab found of one active ingredient, in mg/kg (0 = not detected)."""
    __tablename__ = "residue_results"
    __table_args__ = (
        UniqueConstraint("test_id", "ingredient", name="uq_residue_results_test_ingredient"),
        CheckConstraint("result_mg_kg >= 0", name="result_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    test_id: Mapped[int] = mapped_column(ForeignKey("residue_tests.id", ondelete="CASCADE"))
    ingredient: Mapped[str] = mapped_column(String(100))
    result_mg_kg: Mapped[Decimal] = mapped_column(Numeric(12, 4))
