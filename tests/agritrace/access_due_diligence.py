"""The access rules, objects and bodies of the residue-limit, residue-test, forest-map and
EUDR due-diligence routes (merged through access_markets into test_access_matrix)."""
from __future__ import annotations

import io
from datetime import timedelta
from importlib import resources

import numpy as np
from rasterio.io import MemoryFile
from rasterio.transform import from_origin

from access_roles import LOGIN, OFFICIALS, OWN_WRITE, OWNER
from agritrace.clock import today
from agritrace.models import Facility
from lots_support import approve_for_market
from support import FIELD_LAT, FIELD_LON, plot

SAMPLE = resources.files("agritrace.seed").joinpath("residue_limits_sample.csv").read_bytes()
LOTS = "/api/v1/export-lots/<id:lot_id>/due-diligence"

EXPECT = {
    "GET /api/v1/residue-limits": LOGIN, "POST /api/v1/residue-limits": OFFICIALS,
    "PUT /api/v1/residue-rules/<market>": OFFICIALS,
    "POST /api/v1/residue-tests": OWNER, "GET /api/v1/residue-tests/<id:test_id>": OWNER,
    "GET /api/v1/forest-maps": OFFICIALS, "POST /api/v1/forest-maps": OFFICIALS,
    f"GET {LOTS}": OWNER, f"POST {LOTS}": OWN_WRITE, f"GET {LOTS}.xml": OWNER,
    f"PUT {LOTS}/numbers": OWN_WRITE,
}


def _upload(data: bytes, name: str, **form) -> dict:
    return {"data": {"file": (io.BytesIO(data), name), **form},
            "content_type": "multipart/form-data"}


def forest_map() -> bytes:
    """A forest mask of the matrix's field (all of it forest-free but a strip)."""
    mask = np.zeros((100, 100), dtype="uint8")
    mask[:, :5] = 1
    with MemoryFile() as memory:
        with memory.open(driver="GTiff", width=100, height=100, count=1, dtype="uint8",
                         crs="EPSG:4326", transform=from_origin(FIELD_LON - 0.01, FIELD_LAT + 0.09,
                                                                0.001, 0.001)) as out:
            out.write(mask, 1)
        return memory.read()


BODIES = {
    "POST /api/v1/residue-limits": lambda s: _upload(SAMPLE, "limits.csv"),
    "PUT /api/v1/residue-rules/<market>": lambda s: {"json": {"within_days": 30}},
    "POST /api/v1/residue-tests": lambda s: {"json": {
        "area_id": s.ids["coffee_area_id"], "sampled_on": str(today()), "lab": "Lab",
        "results": [{"ingredient": "terbufos", "result_mg_kg": 0.01}]}},
    "POST /api/v1/forest-maps": lambda s: _upload(forest_map(), "gfc.tif", province_code="80"),
    f"POST {LOTS}": lambda s: {"json": {"threshold_pct": 5}},
    f"PUT {LOTS}/numbers": lambda s: {"json": {"reference_number": "26DEVNCF000001",
                                               "verification_number": "KQ7R2M9X"}},
}
OTHER = {f"{method} {rule}": (lambda s: {"lot_id": s.ids["eu_lot_id"]})
         for method, rule in (("GET", LOTS), ("POST", LOTS), ("GET", f"{LOTS}.xml"),
                              ("PUT", f"{LOTS}/numbers"))}
OTHER["PUT /api/v1/residue-rules/<market>"] = lambda s: {"market": "US"}


def build(client, db, world, headers, objects) -> dict:
    """A's coffee plot, its harvest and an export lot of it to Germany with its package
    checked on P's forest map, and a residue test of the plot."""
    a, p = headers["a"], headers["p"]
    made = client.post("/api/v1/areas", headers=a, json={
        "name": "Rẫy cà phê", "crop": "cà phê",
        "geometry": plot(6000, 3000).__geo_interface__}).get_json()
    client.post(f"/api/v1/areas/{made['id']}/submit", json={}, headers=a)
    area = client.post(f"/api/v1/areas/{made['id']}/approve", json={}, headers=p).get_json()
    assert area.get("status") == "issued", area
    approve_for_market(db, area["code"], "DE")
    approve_for_market(db, db.get(Facility, objects["facilities"]["approved"]), "DE")
    day = today() - timedelta(days=3)
    harvest = client.post("/api/v1/batches", headers=a, json={
        "product_id": world.product_a.id, "lot_code": "CF-ACL-1", "harvest_date": str(day),
        "quantity": 300, "unit": "KGM", "area_ids": [area["id"]]}).get_json()
    lot = client.post("/api/v1/export-lots", headers=a, json={
        "market": "DE", "product_id": world.product_a.id, "lot_code": "CF-ACL-DE",
        "facility_id": objects["facilities"]["approved"],
        "inputs": [{"batch_id": harvest["id"], "quantity": 100}]}).get_json()
    assert "id" in lot, lot
    uploaded = client.post("/api/v1/forest-maps", headers=p, **_upload(forest_map(), "gfc.tif"))
    assert uploaded.status_code == 201, uploaded.get_json()
    checked = client.post(f"/api/v1/export-lots/{lot['id']}/due-diligence", headers=a, json={})
    assert checked.status_code == 201, checked.get_json()
    test = client.post("/api/v1/residue-tests", headers=a, json={
        "area_id": area["id"], "sampled_on": str(day), "lab": "Lab",
        "results": [{"ingredient": "terbufos", "result_mg_kg": 0.01}]}).get_json()
    return {"eu_lot_id": lot["id"], "coffee_area_id": area["id"], "test_id": test["id"]}
