from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Numeric, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Timestamped, enum_type
from .organizations import Organization

# A product's photo is stored under its image_path as `<name>.jpg`, with a 320 px copy
# as `<name>-thumb.jpg`: the pages and the API ask for it by that suffixed name.
THUMB_SUFFIX = "-thumb"


class CertScheme(enum.StrEnum):
    VIETGAP = "VietGAP"
    GLOBALGAP = "GlobalGAP"
    ORGANIC_VN = "organic-VN"     # TCVN 11041
    ORGANIC_EU = "organic-EU"
    ORGANIC_USDA = "organic-USDA"
    RAINFOREST = "Rainforest"
    HACCP = "HACCP"
    ISO22000 = "ISO22000"
    OTHER = "other"


class Product(Timestamped, Base):  # sản phẩm
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint(r"gtin IS NULL OR gtin ~ '^[0-9]{14}$'", name="gtin14_format"),
        CheckConstraint("ocop_stars IS NULL OR ocop_stars BETWEEN 3 AND 5", name="ocop_stars_range"),
        UniqueConstraint("organization_id", "name", name="uq_products_organization_name"),
        CheckConstraint("yield_factor > 0 AND yield_factor <= 10", name="yield_factor_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(200))          # Vietnamese name
    name_en: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(60))
    gtin: Mapped[str | None] = mapped_column(String(14), unique=True)  # kept as GTIN-14
    ocop_stars: Mapped[int | None] = mapped_column(SmallInteger)
    description: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    image_path: Mapped[str | None] = mapped_column(String(300))
    brand: Mapped[str | None] = mapped_column(String(120))        # nhãn hiệu
    # Standards applied (tiêu chuẩn áp dụng): TCVN, QCVN, international or the
    # producer's own (TCCS), as Circular 02/2024/TT-BKHCN asks the scan page to show.
    standards: Mapped[str | None] = mapped_column(String(300))
    # At most this much output per unit of input when the product is made from other
    # lots (1 for grading and packing; a dried product far less): the mass balance.
    yield_factor: Mapped[Decimal] = mapped_column(Numeric(6, 3), default=Decimal("1"))

    organization: Mapped[Organization] = relationship(lazy="joined", innerjoin=True)
    certifications: Mapped[list[Certification]] = relationship(
        back_populates="product", cascade="all, delete-orphan", lazy="selectin",
        order_by="Certification.id")


class Certification(Timestamped, Base):  # chứng nhận
    __tablename__ = "certifications"
    __table_args__ = (
        CheckConstraint("valid_from IS NULL OR valid_until IS NULL OR valid_until >= valid_from",
                        name="validity_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"),
                                            index=True)
    scheme: Mapped[CertScheme] = mapped_column(enum_type(CertScheme, "cert_scheme"))
    number: Mapped[str] = mapped_column(String(100))
    issuer: Mapped[str] = mapped_column(String(200))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)

    product: Mapped[Product] = relationship(back_populates="certifications")

    def is_valid_on(self, day: date) -> bool:
        return self.valid_until is None or self.valid_until >= day
