"""The capacity ledger of growing-area codes: an issued area can grow its hectares ×
the expected yield × the seasons; harvests declared beyond that and the margin flag
its code to the province's officials, in a list, through the API and on the map."""
from datetime import date
from decimal import Decimal

import pytest
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon
from sqlalchemy import event, func, select

from agritrace.clock import now
from agritrace.errors import Forbidden, Invalid
from agritrace.models import AreaStatus, AuditEntry, Batch, CropYield, GrowingArea
from agritrace.services import capacity
from support import DONG_THAP, PASSWORD, TAY_NINH, csrf_token, english, login, plot

YEAR = 2026


def area(db, world, code, hectares, *, crop="Thanh long", province=TAY_NINH, east=0):
    """An issued area of `hectares` (the figure the ledger reads) in the province."""
    row = GrowingArea(code=code, name=f"Vườn {code}", crop=crop, organization_id=world.org_a.id,
                      geom=from_shape(MultiPolygon([plot(east)]), srid=4326),
                      area_ha=Decimal(hectares), perimeter_m=Decimal(400),
                      province_code=province, status=AreaStatus.ISSUED, issued_at=now())
    db.add(row)
    db.flush()
    return row


def harvest(db, world, areas, quantity, unit="KGM", day=date(YEAR, 6, 1)):
    lot = f"L{db.scalar(select(func.count()).select_from(Batch)) + 1}"
    batch = Batch(product_id=world.product_a.id, organization_id=world.org_a.id, lot_code=lot,
                  harvest_date=day, quantity=Decimal(quantity), unit=unit, areas=list(areas))
    db.add(batch)
    db.flush()
    return batch


def ledger(app, user, **kwargs) -> dict:
    with app.test_request_context(headers={"Accept-Language": "en"}):
        rows, _total = capacity.capacity_report(user, YEAR, **kwargs)
    return {r.code: r for r in rows}


def test_two_hectares_of_dragon_fruit_and_the_margin(app, db, world):
    """2 ha × 30,000 kg/ha × 1 season = 60,000 kg; with the default 20 % margin the code
    is flagged past 72,000 kg: 70,000 kg is not, 80,000 kg is."""
    field = area(db, world, "VN-TNOR-7001", 2)
    harvest(db, world, [field], 40_000)
    harvest(db, world, [field], 30_000)
    row = ledger(app, world.official_p)["VN-TNOR-7001"]
    assert (row.capacity_kg, row.drawn_kg, row.limit_kg) == (60_000, 70_000, 72_000)
    assert not row.flagged and round(row.percent) == 117
    harvest(db, world, [field], 10_000)
    row = ledger(app, world.official_p)["VN-TNOR-7001"]
    assert row.drawn_kg == 80_000 and row.flagged
    assert list(ledger(app, world.official_p, flagged_only=True)) == ["VN-TNOR-7001"]


def test_a_province_override_changes_the_verdict_and_only_there(app, db, world):
    ours = area(db, world, "VN-TNOR-7002", 2)
    theirs = area(db, world, "VN-DTOR-7002", 2, province=DONG_THAP, east=300)
    for field in (ours, theirs):
        harvest(db, world, [field], 70_000)
    assert not ledger(app, world.official_p)["VN-TNOR-7002"].flagged
    with app.test_request_context(headers={"Accept-Language": "en"}):
        row = capacity.set_yield(world.official_p, "  Thanh Long ", Decimal(30_000), 1, 0)
    assert (row.province_code, row.crop, row.margin_pct) == (TAY_NINH, "thanh long", 0)
    assert ledger(app, world.official_p)["VN-TNOR-7002"].flagged
    # Đồng Tháp keeps the default, and its official sees nothing of Tây Ninh's codes.
    seen_by_q = ledger(app, world.official_q)
    assert list(seen_by_q) == ["VN-DTOR-7002"] and not seen_by_q["VN-DTOR-7002"].flagged
    # The administrator sees both provinces, each with its own yield.
    everything = ledger(app, world.admin)
    assert everything["VN-TNOR-7002"].flagged and not everything["VN-DTOR-7002"].flagged
    (entry,) = db.scalars(select(AuditEntry).where(AuditEntry.entity == "crop_yield")).all()
    assert (entry.action, entry.before, entry.after["margin_pct"]) == ("set", None, 0)


def test_units_convert_and_a_batch_on_several_areas_splits_by_hectares(app, db, world):
    big = area(db, world, "VN-TNOR-7003", 2)
    small = area(db, world, "VN-TNOR-7004", 1, east=300)
    harvest(db, world, [big, small], 90, unit="TNE")          # 90,000 kg: 60,000 + 30,000
    harvest(db, world, [small], 5_000_000, unit="GRM")        # 5,000 kg
    harvest(db, world, [small], 300, unit="XCT")              # cartons: not a mass
    harvest(db, world, [big], 1, unit="TNE", day=date(YEAR - 1, 12, 31))   # last year
    rows = ledger(app, world.official_p)
    assert rows["VN-TNOR-7003"].drawn_kg == 60_000 and not rows["VN-TNOR-7003"].flagged
    small_row = rows["VN-TNOR-7004"]
    assert (small_row.capacity_kg, small_row.drawn_kg, small_row.other_units) == \
        (30_000, 35_000, 1)
    assert not small_row.flagged          # 35,000 ≤ 36,000
    harvest(db, world, [small], 2, unit="TNE")
    assert ledger(app, world.official_p)["VN-TNOR-7004"].flagged


def test_a_crop_without_an_expected_yield_is_never_flagged(app, db, world):
    field = area(db, world, "VN-TNOR-7005", 1, crop="ổi")   # guava: no figure yet
    harvest(db, world, [field], 1_000_000)
    row = ledger(app, world.official_p)["VN-TNOR-7005"]
    assert row.capacity_kg is None and row.percent is None and not row.flagged


def test_the_report_is_one_statement(app, db, world):
    fields = [area(db, world, f"VN-TNOR-71{i:02d}", 1, east=150 * i) for i in range(6)]
    for field in fields:
        harvest(db, world, [field], 50_000)
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)
    engine = db.get_bind().engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        rows = ledger(app, world.official_p)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(rows) == 6 and all(r.flagged for r in rows.values())
    assert len([s for s in statements if "growing_areas" in s]) == 1
    assert "GROUP BY" in next(s for s in statements if "growing_areas" in s)


def test_who_may_see_and_set(app, db, world):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        with pytest.raises(Forbidden):
            capacity.capacity_report(world.producer_a)
        with pytest.raises(Forbidden):
            capacity.set_yield(world.producer_a, "thanh long", Decimal(1), 1, 0)
        with pytest.raises(Invalid) as refused:
            capacity.set_yield(world.official_p, "thanh long", Decimal(0), 13, 600)
        assert set(refused.value.errors) == {"yield_kg_per_ha", "seasons_per_year",
                                             "margin_pct"}
        # An administrator sets the platform's default.
        row = capacity.set_yield(world.admin, "Sầu riêng", Decimal(18_000), 1, 10)
        assert row.province_code == 0
        shown = {y.crop: y for y in capacity.list_yields(world.official_p)}
        assert shown["sầu riêng"].yield_kg_per_ha == 18_000


def test_the_api(client, db, world):
    field = area(db, world, "VN-TNOR-7006", 2)
    harvest(db, world, [field], 80_000)
    p, q, a = (english(world.token(u)) for u in (world.official_p, world.official_q,
                                                   world.producer_a))
    got = client.get(f"/api/v1/capacity?year={YEAR}&flagged=true", headers=p)
    assert got.status_code == 200, got.get_json()
    assert got.headers["X-Total-Count"] == "1"
    (row,) = got.get_json()
    assert (row["code"], row["capacity_kg"], row["drawn_kg"], row["flagged"]) == \
        ("VN-TNOR-7006", 60_000, 80_000, True)
    assert client.get(f"/api/v1/capacity?year={YEAR}", headers=q).get_json() == []
    assert client.get("/api/v1/capacity", headers=a).status_code == 403
    assert client.get("/api/v1/capacity?year=1800", headers=p).status_code == 422
    put = client.put("/api/v1/crop-yields/thanh long", headers=p,
                     json={"yield_kg_per_ha": 45_000, "seasons_per_year": 1, "margin_pct": 0})
    assert put.status_code == 200, put.get_json()
    assert put.get_json()["province_code"] == TAY_NINH
    assert client.get(f"/api/v1/capacity?year={YEAR}&flagged=true",
                      headers=p).get_json() == []
    assert client.put("/api/v1/crop-yields/thanh long", headers=p,
                      json={"yield_kg_per_ha": -1}).status_code == 422
    listed = client.get("/api/v1/crop-yields", headers=p).get_json()
    mine = next(y for y in listed if y["crop"] == "thanh long")
    assert (mine["yield_kg_per_ha"], mine["province_code"]) == (45_000, TAY_NINH)


def test_the_page_the_form_and_the_map_layer(client, db, world):
    ok = area(db, world, "VN-TNOR-7007", 2)
    over = area(db, world, "VN-TNOR-7008", 2, east=300)
    harvest(db, world, [ok], 10_000)
    harvest(db, world, [over], 90_000)
    login(client, "p@test.vn", PASSWORD)
    page = client.get(f"/gis/capacity?year={YEAR}", headers={"Accept-Language": "en"})
    shown = page.get_data(as_text=True)
    assert page.status_code == 200
    assert shown.index("VN-TNOR-7008") < shown.index("VN-TNOR-7007")   # flagged first
    assert "Over capacity" in shown and "thanh long" in shown
    geo = client.get(f"/gis/capacity/flagged.geojson?year={YEAR}").get_json()
    assert [f["properties"]["code"] for f in geo["features"]] == ["VN-TNOR-7008"]
    assert geo["features"][0]["geometry"]["type"] == "MultiPolygon"
    token = csrf_token(client, "/gis/capacity")
    bad = client.post("/gis/capacity/yields", data={
        "csrf_token": token, "crop": "thanh long", "yield_kg_per_ha": "0"},
        headers={"Accept-Language": "en"})
    assert bad.status_code == 422 and "above 0" in bad.get_data(as_text=True)
    saved = client.post(f"/gis/capacity/yields?year={YEAR}", data={
        "csrf_token": token, "crop": "thanh long", "yield_kg_per_ha": "50000",
        "seasons_per_year": "1", "margin_pct": "0"}, headers={"Accept-Language": "en"})
    assert saved.status_code == 302
    assert client.get(f"/gis/capacity/flagged.geojson?year={YEAR}").get_json()["features"] == []
    assert db.scalar(select(CropYield.yield_kg_per_ha).where(
        CropYield.province_code == TAY_NINH, CropYield.crop == "thanh long")) == 50_000


@pytest.mark.parametrize("crop, body, field", [
    ("thanh long", {"yield_kg_per_ha": 0.04}, "yield_kg_per_ha"),       # 0.0 at 0.1 kg
    ("thanh long", {"yield_kg_per_ha": 1e12}, "yield_kg_per_ha"),
    ("thanh long", {"yield_kg_per_ha": "many"}, "yield_kg_per_ha"),
    ("thanh long", {"yield_kg_per_ha": 100, "seasons_per_year": 0}, "seasons_per_year"),
    ("thanh long", {"yield_kg_per_ha": 100, "margin_pct": -1}, "margin_pct"),
    ("x" * 101, {"yield_kg_per_ha": 100}, "crop"),
    ("a%00b", {"yield_kg_per_ha": 100}, "crop"),
    ("%20", {"yield_kg_per_ha": 100}, "crop"),
])
def test_bad_yields_are_refused_naming_the_field_and_write_nothing(client, db, world, crop,
                                                                   body, field):
    p = english(world.token(world.official_p))
    before = db.scalar(select(func.count()).select_from(CropYield))
    got = client.put(f"/api/v1/crop-yields/{crop}", headers=p, json=body)
    assert got.status_code == 422, got.get_json()
    assert field in got.get_json()["errors"], got.get_json()
    assert db.scalar(select(func.count()).select_from(CropYield)) == before
