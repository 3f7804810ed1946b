"""Demo data for the supply chain: a second dragon-fruit cooperative, a trader
(thương lái), a packing house with its packing-house code and GS1 company prefix,
an exporter and the importer in China it ships to — organisations, logins and
products only. The hand-overs, packing and export are left for the person trying
the demo (or the acceptance test) to make; the codes their dragon fruit comes through
are approved for China beforehand, as the exporter's market requires."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import select

from .. import units
from ..models import (Batch, CertScheme, Certification, CodeKind, ExternalParty, Facility,
                      FacilityKind, FacilityStatus, GrowingArea, OrgKind, Organization, OrgStatus,
                      Product, Role, User)
from ..services import accounts, audit, code_markets

# (kind, name, tax code, ward, address, phone, login, login name, GS1 company prefix)
PARTNERS = [
    (OrgKind.TRADER, "Công ty TNHH Thương mại Nông sản Tầm Vu", "1105678901", "Xã Tầm Vu",
     "Ấp Bình Hòa, xã Tầm Vu, tỉnh Tây Ninh", "0272 3871 555", "trader@agritrace.demo",
     "Đỗ Văn Lái", None),
    (OrgKind.PACKING_HOUSE, "Công ty Cổ phần Đóng gói Trái cây Long An", "1106789012",
     "Xã Tầm Vu", "Quốc lộ 1, ấp Bình Thạnh, xã Tầm Vu, tỉnh Tây Ninh", "0272 3872 666",
     "packer@agritrace.demo", "Huỳnh Thị Gói", "9521234"),
    (OrgKind.EXPORTER, "Công ty TNHH Xuất nhập khẩu Nông sản Việt Long", "1107890123",
     "Xã Bến Lức", "Khu công nghiệp Thuận Đạo, xã Bến Lức, tỉnh Tây Ninh", "0272 3633 777",
     "exporter@agritrace.demo", "Phan Văn Xuất", "9525678"),
]
LOGINS = tuple((p[6], "producer") for p in PARTNERS)
PACKED_PRODUCT = {
    "name": "Thanh long ruột đỏ xuất khẩu loại 1", "name_en": "Export grade 1 red dragon fruit",
    "category": "fruit", "gtin": "09520004000017",
}
PACKING_HOUSE = ("Nhà đóng gói thanh long xuất khẩu Bình Thạnh", 10.4470, 106.4905)
# The notice of China's customs (GACC) listing the demo's codes, and its date.
CHINA_LISTING = ("GACC 2025/117", date(2025, 11, 3))
IMPORTER = ("Guangzhou Jiangnan Fruit Wholesale Market Trading Co., Ltd.", "CN",
            "Jiangnan Fruit Market, Baiyun District, Guangzhou")


def load(s, admin: User, province: int, seq: dict, approved_at: datetime,
         password: str) -> None:
    """The partners, approved, with their logins; the packing house's facility gets the
    next packing-house code of `seq`."""
    orgs = {spec[0]: _partner(s, admin, province, approved_at, spec, password)
            for spec in PARTNERS}
    packer = orgs[OrgKind.PACKING_HOUSE]
    s.add(_packed_product(packer))
    seq[CodeKind.PACKING_HOUSE].last_value += 1
    name, lat, lon = PACKING_HOUSE
    s.add(Facility(kind=FacilityKind.PACKING_HOUSE, name=name, organization_id=packer.id,
                   code=f"VN-TNPH-{seq[CodeKind.PACKING_HOUSE].last_value:04d}",
                   geom=from_shape(Point(lon, lat), srid=4326), address=packer.address,
                   province_code=province, ward_code=packer.ward_code,
                   status=FacilityStatus.ACTIVE))
    importer, country, address = IMPORTER
    s.add(ExternalParty(organization_id=orgs[OrgKind.EXPORTER].id, name=importer,
                        country=country, address=address))
    s.flush()


def approve_for_china(s, official: User) -> None:
    """The codes of the demo's dragon-fruit harvests, of the packing houses those pass
    through and of the partners' packing house, approved for China by the province's
    official step by step; the other codes stay unclassified, for the official to try
    the markets pages on."""
    lots = s.scalars(select(Batch).join(Batch.areas)
                     .where(GrowingArea.crop == "dragon fruit")).unique().all()
    codes = {area.code for lot in lots for area in lot.areas}
    codes |= {lot.packing_facility.code for lot in lots if lot.packing_facility}
    codes |= set(s.scalars(select(Facility.code).join(Organization).where(
        Organization.kind == OrgKind.PACKING_HOUSE, Facility.code.is_not(None))))
    reference, approved_on = CHINA_LISTING
    for code in sorted(codes):
        row = code_markets.propose(official, code, "CN")
        code_markets.decide(official, row.id, "submit", {})
        code_markets.decide(official, row.id, "approve",
                            {"approved_on": approved_on, "list_reference": reference})


def _partner(s, admin: User, province: int, approved_at: datetime, spec,
             password: str) -> Organization:
    kind, name, tax_code, ward, address, phone, login, login_name, prefix = spec
    org = Organization(kind=kind, name=name, tax_code=tax_code, address=address, phone=phone,
                       province_code=province, ward_code=units.find_ward(province, ward).code,
                       gs1_company_prefix=prefix, status=OrgStatus.APPROVED,
                       approved_at=approved_at)
    s.add(org)
    s.flush()
    audit.record(s, admin, "organization", org.id, "approve", after={"status": "approved"})
    accounts.create_user(None, email=login, password=password, full_name=login_name,
                         role=Role.PRODUCER, organization_id=org.id, system=True)
    return org


def _packed_product(packer: Organization) -> Product:
    product = Product(organization_id=packer.id, yield_factor=Decimal("1"),
                      description="", description_en="", **PACKED_PRODUCT)
    product.certifications = [Certification(
        scheme=CertScheme.GLOBALGAP, number="GGN 4063061895678", issuer="Control Union Vietnam",
        valid_from=date(2024, 6, 1), valid_until=date(2027, 5, 31))]
    return product
