"""EUDR due diligence of a coffee lot to the EU (acceptance line 2 of issue 20) and residue
tests against maximum residue limits: a cooperative in Đắk Lắk harvests on two issued
coffee plots, one of them over forest on the province's forest map of 31 December
2020, and exports a lot to Germany."""
from __future__ import annotations

import base64
import io
import json
from datetime import timedelta
from importlib import resources
from types import SimpleNamespace
from xml.etree import ElementTree as ET

import numpy as np
import pytest
from rasterio.io import MemoryFile
from rasterio.transform import from_origin
from shapely.geometry import Point
from sqlalchemy import func, select

from agritrace.clock import today
from agritrace.models import (CodeKind, CodeTemplate, DueDiligence, Facility, ForestMap,
                              GrowingArea, OrgKind, Organization, OrgStatus, ResidueLimit, Role)
from agritrace.services import accounts
from lots_support import approve_for_market
from support import PASSWORD, english, plot

DAK_LAK = 66
LON, LAT = 108.05, 12.70          # coffee country, west of Buôn Ma Thuột
CELL = 0.0001                     # about 11 m


def geotiff(crs="EPSG:4326", west=LON - 0.01, north=LAT + 0.01, forest_east_m=(0, 150)) -> bytes:
    """A forest mask of 200 × 200 cells: forest (1) over the columns between the
    `forest_east_m` metres east of LON, none (0) elsewhere."""
    mask = np.zeros((200, 200), dtype="uint8")
    m_per_deg = 111_320.0 * np.cos(np.radians(LAT))
    first, last = ((LON + e / m_per_deg - west) / CELL for e in forest_east_m)
    mask[:, int(first):int(np.ceil(last))] = 1
    with MemoryFile() as memory:
        with memory.open(driver="GTiff", width=200, height=200, count=1, dtype="uint8",
                         crs=crs, transform=from_origin(west, north, CELL, CELL)) as out:
            out.write(mask, 1)
        return memory.read()


def _upload(client, headers, data, name="gfc2020.tif"):
    return client.post("/api/v1/forest-maps", headers=headers, data={
        "file": (io.BytesIO(data), name), "source": "made in the test"},
        content_type="multipart/form-data")


@pytest.fixture
def coffee(app, client, db, world):
    """The cooperative, its two issued plots, a harvest lot on both and an export lot of
    it to Germany made at its own packing house."""
    org = Organization(kind=OrgKind.COOPERATIVE, name="HTX Cà phê Ea Tu", tax_code="6000000001",
                       address="Ea Tu, Đắk Lắk", province_code=DAK_LAK, status=OrgStatus.APPROVED)
    buyer = Organization(kind=OrgKind.DISTRIBUTOR, name="Kaffee Handel", tax_code="6000000002",
                         address="", province_code=DAK_LAK, status=OrgStatus.APPROVED)
    db.add_all([org, buyer])
    for kind, letters in ((CodeKind.GROWING_AREA, "OR"), (CodeKind.PACKING_HOUSE, "PH")):
        db.add(CodeTemplate(province_code=DAK_LAK, kind=kind, prov="DL", kind_letters=letters,
                            template="VN-{PROV}{KIND}-{NNNN}"))
    db.flush()
    with app.app_context():
        grower = accounts.create_user(None, email="coffee@test.vn", password=PASSWORD,
                                      full_name="Ea Tu", role=Role.PRODUCER,
                                      organization_id=org.id, system=True)
        receiver = accounts.create_user(None, email="buyer@test.vn", password=PASSWORD,
                                        full_name="Buyer", role=Role.PRODUCER,
                                        organization_id=buyer.id, system=True)
        official = accounts.create_user(None, email="daklak@test.vn", password=PASSWORD,
                                        full_name="Sở NN Đắk Lắk", role=Role.OFFICIAL,
                                        province_code=DAK_LAK, system=True)
    c, o = english(world.token(grower)), english(world.token(official))
    areas = []
    for east in (0, 400):
        made = client.post("/api/v1/areas", headers=c, json={
            "name": f"Rẫy {east}", "crop": "cà phê",
            "geometry": plot(east, lon=LON, lat=LAT).__geo_interface__}).get_json()
        client.post(f"/api/v1/areas/{made['id']}/submit", json={}, headers=c)
        areas.append(client.post(f"/api/v1/areas/{made['id']}/approve", json={},
                                 headers=o).get_json())
    assert all(a["status"] == "issued" for a in areas), areas
    product = client.post("/api/v1/products", headers=c, json={
        "name": "Cà phê nhân Robusta", "category": "coffee"}).get_json()
    day = today() - timedelta(days=5)
    harvest = client.post("/api/v1/batches", headers=c, json={
        "product_id": product["id"], "lot_code": "CF-2026-01", "harvest_date": str(day),
        "quantity": 2000, "unit": "KGM", "area_ids": [a["id"] for a in areas]}).get_json()
    house = client.post("/api/v1/facilities", headers=c, json={
        "kind": "packing_house", "name": "Xưởng Ea Tu",
        "location": Point(LON + 0.02, LAT).__geo_interface__}).get_json()
    client.post(f"/api/v1/facilities/{house['id']}/approve", json={}, headers=o)
    for code in [db.get(GrowingArea, a["id"]) for a in areas] + [db.get(Facility, house["id"])]:
        for market in ("DE", "CN", "US"):
            approve_for_market(db, code, market)
    chain = SimpleNamespace(org=org, buyer=buyer, c=c, o=o, areas=areas, product=product,
                            harvest=harvest, house=house,
                            r=english(world.token(receiver)))
    lot = _export(client, chain, "DE", "CF-XK-DE")
    assert lot.status_code == 201, lot.get_json()
    chain.lot = lot.get_json()
    return chain


def _export(client, chain, market, code, quantity=1000):
    return client.post("/api/v1/export-lots", headers=chain.c, json={
        "market": market, "product_id": chain.product["id"], "lot_code": code,
        "facility_id": chain.house["id"],
        "inputs": [{"batch_id": chain.harvest["id"], "quantity": quantity}]})


def test_a_coffee_lot_to_the_eu_gets_its_verdicts_and_its_due_diligence_package(
        client, db, world, coffee):
    url = f"/api/v1/export-lots/{coffee.lot['id']}/due-diligence"
    assert _upload(client, coffee.o, geotiff()).status_code == 201
    made = client.post(url, headers=coffee.c, json={
        "threshold_pct": 5, "legality_documents": [
            {"title": "Giấy chứng nhận quyền sử dụng đất", "number": "CS 01234",
             "issuer": "UBND huyện Cư M'gar"}]})
    assert made.status_code == 201, made.get_json()
    package = made.get_json()
    by_name = {p["name"]: p for p in package["plots"]}
    assert by_name["Rẫy 0"]["verdict"] == "forest" and by_name["Rẫy 0"]["forest_pct"] > 95
    assert by_name["Rẫy 400"]["verdict"] == "negligible"
    assert by_name["Rẫy 400"]["forest_pct"] == 0
    assert package["verdict"] == "forest" and package["threshold_pct"] == 5
    assert package["hs_heading"] == "0901" and package["net_mass_kg"] == 1000
    assert package["country_of_production"] == "VN" and package["activity"] == "IMPORT"
    (producer,) = package["producers"]
    assert producer["name"] == "HTX Cà phê Ea Tu" and len(producer["geojson"]["features"]) == 2
    assert package["legality_documents"][0]["number"] == "CS 01234"

    xml = client.get(url + ".xml", headers=coffee.c)
    assert xml.status_code == 200 and xml.mimetype == "application/xml"
    ns = {"v2": "http://ec.europa.eu/tracesnt/certificate/eudr/submission/v2",
          "m": "http://ec.europa.eu/tracesnt/certificate/eudr/model/v2"}
    root = ET.fromstring(xml.data)
    statement = root.find(".//v2:SubmitStatementRequest/v2:statement", ns)
    assert statement.findtext("m:activityType", namespaces=ns) == "IMPORT"
    assert statement.findtext("m:commodities/m:hsHeading", namespaces=ns) == "0901"
    assert statement.findtext(".//m:goodsMeasure/m:netWeight", namespaces=ns) == "1000.0"
    geo = json.loads(base64.b64decode(statement.findtext(".//m:producers/m:geometryGeojson",
                                                         namespaces=ns)))
    ring = geo["features"][0]["geometry"]["coordinates"][0]
    assert all(len(repr(v).split(".")[1]) <= 6 for xy in ring for v in xy)

    numbers = client.put(url + "/numbers", headers=coffee.c, json={
        "reference_number": "26DEVNCF000042", "verification_number": "KQ7R2M9X"})
    assert numbers.status_code == 200, numbers.get_json()
    # The next holder sees them once the lot is handed to it; before, it is a stranger's.
    assert client.get(url, headers=coffee.r).status_code == 404
    sent = client.post("/api/v1/handovers", headers=coffee.c, json={
        "batch_id": coffee.lot["id"], "quantity": 1000, "receiver_id": coffee.buyer.id,
        "dispatched_on": str(today()), "delivery_note": "PXK-0042"})
    assert sent.status_code == 201, sent.get_json()
    seen = client.get(url, headers=coffee.r).get_json()
    assert (seen["reference_number"], seen["verification_number"]) == \
        ("26DEVNCF000042", "KQ7R2M9X")
    again = client.post(url, headers=coffee.c, json={})
    assert again.status_code == 409 and "26DEVNCF000042" in again.get_json()["detail"]


def test_a_forest_map_without_a_crs_or_not_covering_the_plots_is_refused(client, db, coffee):
    refused = _upload(client, coffee.o, geotiff(crs=None), "no-crs.tif")
    assert refused.status_code == 422
    assert "no-crs.tif has no coordinate reference system" in refused.get_json()["detail"]
    assert db.scalar(select(func.count()).select_from(ForestMap)) == 0
    # A map of somewhere else, 5 km east: the plots are not on it.
    assert _upload(client, coffee.o, geotiff(west=LON + 0.05)).status_code == 201
    url = f"/api/v1/export-lots/{coffee.lot['id']}/due-diligence"
    far = client.post(url, headers=coffee.c, json={})
    assert far.status_code == 422
    detail = far.get_json()["detail"]
    assert "does not cover 2 plot(s)" in detail and coffee.areas[0]["code"] in detail
    assert db.scalar(select(func.count()).select_from(DueDiligence)) == 0
    china = _export(client, coffee, "CN", "CF-XK-CN", quantity=100).get_json()
    not_eu = client.post(f"/api/v1/export-lots/{china['id']}/due-diligence", headers=coffee.c,
                         json={})
    assert not_eu.status_code == 422 and "not an export lot to a member state" in \
        not_eu.get_json()["detail"]


SAMPLE = resources.files("agritrace.seed").joinpath("residue_limits_sample.csv").read_bytes()


def _limits(client, headers, data: bytes, name="limits.csv"):
    return client.post("/api/v1/residue-limits", headers=headers, data={
        "file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


@pytest.mark.parametrize("line, words", [
    (b"VN,c\xc3\xa0 ph\xc3\xaa,terbufos,0.05,mg/l,x", "Row 2, column unit: mg/l is not a unit"),
    (b"VN,c\xc3\xa0 ph\xc3\xaa,terbufoss,0.05,mg/kg,x",
     "Row 2, column ingredient: terbufoss is not an active ingredient"),
    (b"XX,c\xc3\xa0 ph\xc3\xaa,terbufos,0,mg/kg,x", "Row 2, column market: XX"),
])
def test_a_limit_table_with_unknown_units_or_ingredients_is_refused_whole(client, db, coffee,
                                                                          line, words):
    data = b"market,crop,ingredient,mrl,unit,source\n" + line + b"\nVN,chu\xe1\xbb\x91i," \
        b"thiabendazole,5,mg/kg,ok\n"
    refused = _limits(client, coffee.o, data)
    assert refused.status_code == 422 and words in refused.get_json()["detail"]
    assert db.scalar(select(func.count()).select_from(ResidueLimit)) == 0


def test_residue_tests_are_judged_per_market_and_gate_export_lots(client, db, coffee):
    loaded = _limits(client, coffee.o, SAMPLE, "residue_limits_sample.csv")
    assert loaded.status_code == 201 and loaded.get_json()["rows"] == 7
    assert client.put("/api/v1/residue-rules/US", headers=coffee.o,
                      json={"within_days": 30}).status_code == 200
    refused = _export(client, coffee, "US", "CF-XK-US", quantity=100)
    assert refused.status_code == 422
    assert "Lot CF-2026-01 has no passing residue test for US sampled in the 30 days" in \
        refused.get_json()["detail"]
    test = client.post("/api/v1/residue-tests", headers=coffee.c, json={
        "area_id": coffee.areas[1]["id"], "sampled_on": str(today() - timedelta(days=3)),
        "lab": "Trung tâm Kiểm nghiệm Đắk Lắk", "report_number": "KN-2026-118",
        "results": [{"ingredient": "Flupyradifurone", "result_mg_kg": 0.4},
                    {"ingredient": "terbufos", "result_mg_kg": 0.08}]})
    assert test.status_code == 201, test.get_json()
    url = f"/api/v1/residue-tests/{test.get_json()['id']}"
    us = client.get(url + "?market=US", headers=coffee.o).get_json()
    assert {v["ingredient"]: v["verdict"] for v in us["verdicts"]} == \
        {"flupyradifurone": "within", "terbufos": "no_limit"} and us["passed"] is False
    vn = client.get(url + "?market=VN", headers=coffee.c).get_json()
    assert {v["ingredient"]: (v["verdict"], v["mrl_mg_kg"]) for v in vn["verdicts"]} == \
        {"flupyradifurone": ("no_limit", None), "terbufos": ("over", 0.05)}
    passing = client.post("/api/v1/residue-tests", headers=coffee.c, json={
        "batch_id": coffee.harvest["id"], "sampled_on": str(today() - timedelta(days=2)),
        "lab": "Trung tâm Kiểm nghiệm Đắk Lắk",
        "results": [{"ingredient": "flupyradifurone", "result_mg_kg": 1.5}]})
    assert passing.status_code == 201
    assert _export(client, coffee, "US", "CF-XK-US", quantity=100).status_code == 201
