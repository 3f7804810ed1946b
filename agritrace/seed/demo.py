"""Demo data: three cooperatives of the former Long An area, now Tây Ninh province.

Dragon fruit in Châu Thành (now the communes Tầm Vu and Vĩnh Công), seedless lime
in Bến Lức (Thạnh Lợi, Bình Đức) and rice in Tân Thạnh — with products, issued
growing areas laid out as field blocks at those places, two packing houses,
batches with their farming diary, and demo logins. Loading is one transaction
and idempotent.
"""
from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from flask import current_app
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, Point, Polygon
from sqlalchemy import select

from gis.measure import area_ha, perimeter_m
from labels.gs1 import check_digit

from .. import units
from ..clock import today
from ..db import session, transaction
from ..models import (AreaStatus, Batch, BatchStatus, BizStep, CertScheme, Certification,
                      CodeKind, CodeSequence, CodeTemplate, Disposition, Facility, FacilityKind,
                      FacilityStatus, GrowingArea, GrowingAreaVersion, MovementKind, OrgKind,
                      Organization, OrgStatus, Product, Role, TraceEvent, User)
from ..services import accounts, audit, epcis_backfill, stock
from . import chain_demo

TAY_NINH = 80
PASSWORD = "AgriTrace-demo-2026"
LOGINS = (
    ("admin@agritrace.demo", "admin"),
    ("official@agritrace.demo", "official"),
    ("producer@agritrace.demo", "producer"),
    ("lime@agritrace.demo", "producer"),
    ("rice@agritrace.demo", "producer"),
    ("anluclong@agritrace.demo", "producer"),
) + chain_demo.LOGINS
ICT = timezone(timedelta(hours=7))


def gtin13(body12: str) -> str:
    """A demo GTIN-13 in GS1's example range 952, as GTIN-14."""
    return (body12 + str(check_digit(body12))).zfill(14)


# (name, kind, tax code, ward, address, phone, products, blocks)
# A block is a field cluster: (name, crop, centre lat, lon, rows, cols, plot w m, plot h m,
# gap m, rotation degrees, households per plot)
COOPERATIVES = [
    {
        "name": "Hợp tác xã Thanh long Tầm Vu", "tax_code": "1101234567",
        "ward": "Xã Tầm Vu", "address": "Ấp Bình Trị, xã Tầm Vu, tỉnh Tây Ninh",
        "phone": "0272 3871 234", "login": "producer@agritrace.demo",
        "login_name": "Nguyễn Văn Tâm",
        "products": [
            {"name": "Thanh long ruột đỏ Tầm Vu", "name_en": "Tam Vu red-flesh dragon fruit",
             "category": "fruit", "gtin": gtin13("952000100001"), "ocop_stars": 4,
             "brand": "Thanh long Tầm Vu", "standards": "TCCS 01:2024/HTXTV",
             "cert": (CertScheme.VIETGAP, "VietGAP-TT-18-03-80-0012", "Trung tâm Chứng nhận Phù hợp (QUACERT)")},
            {"name": "Thanh long ruột trắng", "name_en": "White-flesh dragon fruit",
             "category": "fruit", "gtin": gtin13("952000100002"), "ocop_stars": 3,
             "cert": (CertScheme.GLOBALGAP, "GGN 4063061891234", "Control Union Vietnam")},
        ],
        "blocks": [
            ("Cánh đồng thanh long Bình Trị", "dragon fruit", 10.4536, 106.4791, 2, 3, 120, 90, 14, 12, 3),
            ("Cánh đồng thanh long Vĩnh Công", "dragon fruit", 10.4232, 106.4410, 2, 2, 110, 100, 12, -8, 2),
        ],
        "facility": ("Cơ sở đóng gói thanh long Tầm Vu", 10.4508, 106.4840,
                     "Quốc lộ 1, xã Tầm Vu, tỉnh Tây Ninh"),
        "crop_steps": ("thanh long", "Abamectin", "Abamectin 3.6EC", 7),
    },
    {
        "name": "Hợp tác xã Chanh không hạt Thạnh Lợi", "tax_code": "1102345678",
        "ward": "Xã Thạnh Lợi", "address": "Ấp 4, xã Thạnh Lợi, tỉnh Tây Ninh",
        "phone": "0272 3640 456", "login": "lime@agritrace.demo",
        "login_name": "Trần Thị Lợi",
        "products": [
            {"name": "Chanh không hạt Bến Lức", "name_en": "Ben Luc seedless lime",
             "category": "fruit", "gtin": gtin13("952000200001"), "ocop_stars": 4,
             "brand": "Chanh Bến Lức",
             "cert": (CertScheme.VIETGAP, "VietGAP-TT-19-07-80-0031", "Công ty Cổ phần Chứng nhận VinaCert")},
        ],
        "blocks": [
            ("Vườn chanh ấp 4 Thạnh Lợi", "seedless lime", 10.6128, 106.3985, 2, 3, 100, 80, 10, 25, 2),
            ("Vườn chanh Bình Đức", "seedless lime", 10.6671, 106.4342, 2, 2, 90, 90, 12, 5, 1),
        ],
        "facility": ("Cơ sở sơ chế, đóng gói chanh Bến Lức", 10.6395, 106.4921,
                     "Đường tỉnh 830, xã Bến Lức, tỉnh Tây Ninh"),
        "crop_steps": ("chanh không hạt", "Emamectin benzoate", "Emaben 3.6WG", 7),
    },
    {
        "name": "Hợp tác xã Nông nghiệp Lúa gạo Tân Thạnh", "tax_code": "1103456789",
        "ward": "Xã Tân Thạnh", "address": "Ấp 3, xã Tân Thạnh, tỉnh Tây Ninh",
        "phone": "0272 3843 789", "login": "rice@agritrace.demo",
        "login_name": "Lê Văn Thạnh",
        "products": [
            {"name": "Gạo thơm ST25 Tân Thạnh", "name_en": "Tan Thanh ST25 fragrant rice",
             "category": "rice", "gtin": gtin13("952000300001"), "ocop_stars": 3,
             "brand": "Gạo Tân Thạnh", "standards": "TCVN 11888:2017",
             "cert": (CertScheme.ORGANIC_VN, "TCVN11041-2024-0457", "Trung tâm Kỹ thuật Tiêu chuẩn Đo lường Chất lượng 3")},
        ],
        "blocks": [
            ("Cánh đồng lớn ấp 3 Tân Thạnh", "rice", 10.5985, 105.9536, 2, 3, 420, 300, 25, -15, 6),
            ("Cánh đồng lớn kênh Dương Văn Dương", "rice", 10.6303, 105.9812, 1, 3, 400, 320, 25, 30, 8),
        ],
        "facility": None,
        "crop_steps": ("lúa", "Tricyclazole", "Beam 75WP", 14),
    },
    {
        # A second dragon-fruit grower, so that a packing house receives from two.
        "name": "Hợp tác xã Thanh long An Lục Long", "tax_code": "1104678901",
        "ward": "Xã An Lục Long", "address": "Ấp Long Bình, xã An Lục Long, tỉnh Tây Ninh",
        "phone": "0272 3877 321", "login": "anluclong@agritrace.demo",
        "login_name": "Võ Thị Long",
        "products": [
            {"name": "Thanh long ruột đỏ An Lục Long", "name_en": "An Luc Long red-flesh dragon fruit",
             "category": "fruit", "gtin": gtin13("952000500001"), "ocop_stars": 3,
             "cert": (CertScheme.VIETGAP, "VietGAP-TT-20-05-80-0044", "Trung tâm Chứng nhận Phù hợp (QUACERT)")},
        ],
        "blocks": [
            ("Vườn thanh long Long Bình", "dragon fruit", 10.4920, 106.4105, 2, 2, 100, 90, 12, 5, 2),
        ],
        "facility": None,
        "crop_steps": ("thanh long", "Abamectin", "Abamectin 3.6EC", 7),
    },
]


def _offset(lat: float, lon: float, east_m: float, north_m: float) -> tuple[float, float]:
    """(lon, lat) of a point some metres east and north of (lat, lon); plenty exact
    over a few hundred metres."""
    m_per_deg_lat = 110_574.0
    m_per_deg_lon = 111_320.0 * math.cos(math.radians(lat))
    return lon + east_m / m_per_deg_lon, lat + north_m / m_per_deg_lat


def _rotate(x: float, y: float, degrees: float) -> tuple[float, float]:
    t = math.radians(degrees)
    return x * math.cos(t) - y * math.sin(t), x * math.sin(t) + y * math.cos(t)


def plot(lat: float, lon: float, width_m: float, height_m: float, rotation_deg: float) -> Polygon:
    """A field around (lat, lon), rotated, in WGS84: a rectangle with one slightly
    bulging edge so that the plots do not all look machine-made."""
    corners = [(-width_m / 2, -height_m / 2), (width_m / 2, -height_m / 2),
               (width_m / 2 + width_m * 0.04, 0), (width_m / 2, height_m / 2),
               (-width_m / 2, height_m / 2)]
    ring = [_offset(lat, lon, *_rotate(x, y, rotation_deg)) for x, y in corners]
    return Polygon([(round(x, 7), round(y, 7)) for x, y in ring]).normalize()


def block_plots(block) -> list[tuple[str, Polygon, int]]:
    """The plots of a field block, laid out in rows and columns with gaps between."""
    name, _crop, lat, lon, rows, cols, w, h, gap, rot, households = block
    plots = []
    for r in range(rows):
        for c in range(cols):
            # Offsets in the block's own rotated frame; 10 % margin for the bulge.
            east, north = _rotate((c - (cols - 1) / 2) * (w * 1.1 + gap),
                                  (r - (rows - 1) / 2) * (h + gap), rot)
            centre_lon, centre_lat = _offset(lat, lon, east, north)
            plots.append((f"{name} – lô {r * cols + c + 1}",
                          plot(centre_lat, centre_lon, w, h, rot), households))
    return plots


def present() -> bool:
    return session().scalar(select(User.id).where(User.email == LOGINS[0][0])) is not None


def refusal() -> str | None:
    """Why the demo must not go into this database, or None when it may. Its accounts
    have a published password: never in production, and never beside accounts of a
    real department (a database restored from a backup, say)."""
    if present():
        return None
    if current_app.config["ENV"] == "production":
        return "AGRITRACE_ENV is production, and the demo accounts' password is public."
    if session().scalar(select(User.id).limit(1)) is not None:
        return ("this database already has accounts of its own, so it is not an empty "
                "development database.")
    return None


def load() -> bool:
    """Load everything in one transaction; return False if it was already there."""
    with transaction() as s:
        if s.scalar(select(User.id).where(User.email == LOGINS[0][0])):
            return False
        admin = accounts.create_user(None, email=LOGINS[0][0], password=PASSWORD,
                                     full_name="Quản trị hệ thống", role=Role.ADMIN, system=True)
        official = accounts.create_user(
            None, email=LOGINS[1][0], password=PASSWORD,
            full_name="Phạm Thị Hồng (Chi cục Trồng trọt và BVTV Tây Ninh)",
            role=Role.OFFICIAL, province_code=TAY_NINH, system=True)
        for kind, letters in ((CodeKind.GROWING_AREA, "OR"), (CodeKind.PACKING_HOUSE, "PH")):
            s.add(CodeTemplate(province_code=TAY_NINH, kind=kind, prov="TN", kind_letters=letters,
                               template="VN-{PROV}{KIND}-{NNNN}"))
        seq = {kind: CodeSequence(province_code=TAY_NINH, kind=kind, last_value=0)
               for kind in CodeKind}
        s.add_all(seq.values())
        for spec in COOPERATIVES:
            _load_cooperative(s, admin, spec, seq)
        chain_demo.load(s, admin, TAY_NINH, seq, datetime(2025, 9, 1, tzinfo=ICT), PASSWORD)
        chain_demo.approve_for_china(s, official)
        # A registration waiting for the official, so the review queue is not empty.
        pending = Organization(kind=OrgKind.HOUSEHOLD, name="Hộ kinh doanh Võ Văn Mười",
                               tax_code="1104567890", address="Ấp 2, xã Mỹ Yên, tỉnh Tây Ninh",
                               province_code=TAY_NINH,
                               ward_code=units.find_ward(TAY_NINH, "Xã Mỹ Yên").code,
                               status=OrgStatus.PENDING)
        s.add(pending)
        s.flush()
        audit.record(s, admin, "organization", pending.id, "register")
        s.flush()
        # The demo's diary and chain rows are written as rows, not through the services:
        # their EPCIS events go into the repository as the migration fills it for data
        # that was there before it.
        epcis_backfill.fill(s)
    return True


def _load_cooperative(s, admin: User, spec: dict, seq: dict) -> None:
    """One approved cooperative with its producer login, products, issued areas, packing
    house and a batch per product with its diary; `seq` numbers the codes."""
    ward = units.find_ward(TAY_NINH, spec["ward"])
    org = _approved_cooperative(s, admin, spec, ward.code)
    products = _products(s, org, spec)
    areas = _issued_areas(s, admin, org, spec, ward.code, seq)
    facility = _packing_house(s, org, spec, ward.code, seq)
    _batches(s, admin, org, spec, products, areas, facility)


def _approved_cooperative(s, admin: User, spec: dict, ward_code: int) -> Organization:
    org = Organization(kind=OrgKind.COOPERATIVE, name=spec["name"], tax_code=spec["tax_code"],
                       address=spec["address"], phone=spec["phone"], province_code=TAY_NINH,
                       ward_code=ward_code, status=OrgStatus.APPROVED,
                       approved_at=datetime(2025, 9, 1, tzinfo=ICT))
    s.add(org)
    s.flush()
    audit.record(s, admin, "organization", org.id, "approve", after={"status": "approved"})
    accounts.create_user(None, email=spec["login"], password=PASSWORD,
                         full_name=spec["login_name"], role=Role.PRODUCER,
                         organization_id=org.id, system=True)
    return org


def _products(s, org: Organization, spec: dict) -> list[Product]:
    products = []
    for p in spec["products"]:
        scheme, number, issuer = p["cert"]
        product = Product(organization_id=org.id, name=p["name"], name_en=p["name_en"],
                          category=p["category"], gtin=p["gtin"], ocop_stars=p["ocop_stars"],
                          brand=p.get("brand"), standards=p.get("standards"),
                          description="", description_en="")
        product.certifications = [Certification(scheme=scheme, number=number, issuer=issuer,
                                                valid_from=date(2024, 3, 1),
                                                valid_until=date(2027, 2, 28))]
        s.add(product)
        products.append(product)
    return products


def _issued_areas(s, admin: User, org: Organization, spec: dict, ward_code: int,
                  seq: dict) -> list[GrowingArea]:
    areas = []
    for block in spec["blocks"]:
        for name, poly, households in block_plots(block):
            seq[CodeKind.GROWING_AREA].last_value += 1
            number = seq[CodeKind.GROWING_AREA].last_value
            geom = MultiPolygon([poly])
            area = GrowingArea(
                code=f"VN-TNOR-{number:04d}", name=name, crop=block[1], organization_id=org.id,
                households=households, geom=from_shape(geom, srid=4326),
                area_ha=Decimal(f"{area_ha(geom):.4f}"),
                perimeter_m=Decimal(f"{perimeter_m(geom):.2f}"), province_code=TAY_NINH,
                ward_code=ward_code, status=AreaStatus.ISSUED, target_markets=["VN", "CN", "EU"],
                issued_at=datetime(2025, 10, 15, tzinfo=ICT), valid_until=date(2028, 10, 14))
            s.add(area)
            areas.append(area)
    s.flush()
    for area in areas:
        s.add(GrowingAreaVersion(area_id=area.id, version=1, geom=area.geom,
                                 area_ha=area.area_ha, changed_by=admin.id))
        audit.record(s, admin, "growing_area", area.id, "issue", after={"code": area.code})
    return areas


def _packing_house(s, org: Organization, spec: dict, ward_code: int,
                   seq: dict) -> Facility | None:
    facility = None
    if spec["facility"]:
        fname, lat, lon, address = spec["facility"]
        seq[CodeKind.PACKING_HOUSE].last_value += 1
        facility = Facility(kind=FacilityKind.PACKING_HOUSE, name=fname, organization_id=org.id,
                            code=f"VN-TNPH-{seq[CodeKind.PACKING_HOUSE].last_value:04d}",
                            geom=from_shape(Point(lon, lat), srid=4326), address=address,
                            province_code=TAY_NINH, ward_code=ward_code,
                            status=FacilityStatus.ACTIVE)
        s.add(facility)
        s.flush()
    return facility


def _batches(s, admin: User, org: Organization, spec: dict, products: list[Product],
             areas: list[GrowingArea], facility: Facility | None) -> None:
    crop, ingredient, pesticide, phi_days = spec["crop_steps"]
    for i, product in enumerate(products):
        # Harvested in the weeks before the demo is loaded, so that a fresh demo's fruit
        # is within its shelf life and its stamps scan as genuine, not expired.
        harvest = today() - timedelta(days=21 - 7 * i)
        lot = f"{spec['tax_code'][-3:]}-{harvest:%y%m%d}-{i + 1:02d}"
        batch = Batch(product_id=product.id, organization_id=org.id, lot_code=lot,
                      harvest_date=harvest, pack_date=harvest + timedelta(days=1),
                      expiry_date=harvest + timedelta(days=30 if product.category == "fruit"
                                                      else 365),
                      quantity=Decimal("2500") if product.category == "fruit" else Decimal("18000"),
                      unit="KGM", packing_facility_id=facility.id if facility else None,
                      status=BatchStatus.OPEN)
        batch.areas = areas[i * 2:i * 2 + 3]
        s.add(batch)
        s.flush()
        stock.move(s, batch_id=batch.id, organization_id=org.id, kind=MovementKind.HARVEST,
                   quantity=batch.quantity, actor=admin)
        _diary(s, admin, batch, batch.areas[0], facility, crop, ingredient, pesticide, phi_days)


def _diary(s, admin, batch, area, facility, crop, ingredient, pesticide, phi_days) -> None:
    harvest = datetime.combine(batch.harvest_date, datetime.min.time(), ICT).replace(hour=6)
    events = [
        (BizStep.SOWING, harvest - timedelta(days=120), {"note": f"Trồng {crop}"}),
        (BizStep.FERTILISING, harvest - timedelta(days=60),
         {"fertiliser": "NPK 20-20-15", "dose": "300 kg/ha"}),
        (BizStep.IRRIGATION, harvest - timedelta(days=40), {"method": "tưới nhỏ giọt"}),
        (BizStep.SPRAYING, harvest - timedelta(days=phi_days + 10),
         {"product": pesticide, "active_ingredient": ingredient, "dose": "0.5 l/ha",
          "phi_days": phi_days}),
        (BizStep.HARVESTING, harvest, {"quantity_kg": float(batch.quantity)}),
        (BizStep.LAB_TESTING, harvest + timedelta(hours=20),
         {"analyte": ingredient, "result_mg_kg": 0.005, "limit_mg_kg": 0.01,
          "lab": "Trung tâm Kỹ thuật Tiêu chuẩn Đo lường Chất lượng 3 (QUATEST 3)"}),
    ]
    for step, when, details in events:
        s.add(TraceEvent(biz_step=step, event_time=when, event_tz="+07:00", area_id=area.id,
                         batch_id=batch.id, details=details, recorded_by=admin.id,
                         disposition=Disposition.CONFORMANT if step == BizStep.LAB_TESTING
                         else None))
    if facility is not None:
        s.add(TraceEvent(biz_step=BizStep.PACKING, event_time=harvest + timedelta(days=1),
                         event_tz="+07:00", facility_id=facility.id, batch_id=batch.id,
                         details={"packages": 500}, recorded_by=admin.id,
                         disposition=Disposition.IN_PROGRESS))
