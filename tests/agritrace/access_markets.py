"""The access rules, objects and bodies of the markets routes, merged into
test_access_matrix (see there for the actor sets and the meaning of each table).

A's first issued area is approved for China 40 days ago and inspected today with a
corrective action due in a week, with one photo. The officials' pages are for the
officials of the code's province; the owner reads its code's markets and inspections
through the API."""
from __future__ import annotations

import io
from datetime import timedelta

from PIL import Image

from access_roles import *  # noqa: F401,F403
from agritrace.clock import today
from support import TAY_NINH


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 60)).save(out, "JPEG")
    return out.getvalue()


# "METHOD rule" -> the actors allowed (the sets of access_roles).
EXPECT: dict = {
    "GET /api/v1/code-markets": LOGIN, "POST /api/v1/code-markets": REVIEW,
    "GET /api/v1/code-markets/<id:code_market_id>": OWNER,
    "POST /api/v1/code-markets/<id:code_market_id>/decision": REVIEW,
    "POST /api/v1/code-scopes": REVIEW,
    "GET /api/v1/inspections": LOGIN, "POST /api/v1/inspections": REVIEW,
    "GET /api/v1/inspections/<id:inspection_id>": OWNER,
    "POST /api/v1/inspections/<id:inspection_id>/photos": REVIEW,
    "POST /api/v1/inspections/<id:inspection_id>/corrected": REVIEW,
    "GET /api/v1/inspections/overdue": LOGIN,
    "GET /api/v1/inspection-plans": OFFICIALS, "POST /api/v1/inspection-plans": OFFICIALS,
    "GET /gis/markets": OFFICIALS, "POST /gis/markets": REVIEW,
    "POST /gis/markets/plans": OFFICIALS,
    "GET /gis/markets/overdue.geojson": OFFICIALS,
    "GET /gis/markets/<id:code_market_id>": REVIEW,
    "POST /gis/markets/<id:code_market_id>": REVIEW,
    "GET /gis/inspections/new": OFFICIALS, "POST /gis/inspections/new": REVIEW,
    "GET /gis/inspections/<id:inspection_id>": REVIEW,
    "POST /gis/inspections/<id:inspection_id>/corrected": REVIEW,
    "GET /gis/inspections/<id:inspection_id>/photos/<id:photo_id>.jpg": REVIEW,
}


def _inspection(s) -> dict:
    return {"code": s.area["code"], "inspected_on": str(today()), "inspector": "Lê Kiểm",
            "outcome": "passed"}


def _plan(s) -> dict:
    return {"crop": "thanh long", "market": "CN", "cycle_days": 90}


# "METHOD rule" -> lambda s: request kwargs of a write that would succeed for the owner.
BODIES: dict = {
    "POST /api/v1/code-markets": lambda s: {"json": {"code": s.area["code"], "market": "JP"}},
    "POST /gis/markets": lambda s: {"data": {"code": s.area["code"], "market": "JP"}},
    "POST /api/v1/code-markets/<id:code_market_id>/decision": lambda s: {"json": {
        "action": "suspend", "reason": "Kiểm tra"}},
    "POST /gis/markets/<id:code_market_id>": lambda s: {"data": {
        "action": "suspend", "reason": "Kiểm tra"}},
    "POST /api/v1/code-scopes": lambda s: {"json": {"code": s.area["code"], "scope": "export"}},
    "POST /api/v1/inspections": lambda s: {"json": _inspection(s)},
    "POST /gis/inspections/new": lambda s: {"data": _inspection(s)},
    "POST /api/v1/inspections/<id:inspection_id>/photos": lambda s: {
        "data": {"photo": (io.BytesIO(_jpeg()), "a.jpg")},
        "content_type": "multipart/form-data"},
    "POST /api/v1/inspections/<id:inspection_id>/corrected": lambda s: {"json": {
        "corrected_on": str(today())}},
    "POST /gis/inspections/<id:inspection_id>/corrected": lambda s: {"data": {
        "corrected_on": str(today())}},
    "POST /api/v1/inspection-plans": lambda s: {"json": {**_plan(s),
                                                         "province_code": TAY_NINH}},
    "POST /gis/markets/plans": lambda s: {"data": {**_plan(s), "province_code": TAY_NINH}},
}
# "METHOD rule" -> lambda s: URL values that differ from the usual objects.
OTHER: dict = {}
# The public code registry and the directory of producers: anyone.
REGISTRY = ("/registry", "/registry.<any(csv, xlsx):fmt>", "/directory",
            "/directory.<any(csv, xlsx):fmt>")
EXPECT.update({f"GET {rule}": EVERYONE for rule in REGISTRY})
OTHER.update({f"GET {rule}": (lambda s: {"fmt": "xlsx"}) for rule in REGISTRY if "fmt" in rule})
# path -> query string.
QUERIES: dict = {}


def build(client, db, world, headers, objects) -> dict:
    """Make this feature's objects of organisation A in province P (inside the matrix's
    transaction); return the URL values they give, by URL variable name."""
    p, code = headers["p"], objects["area"]["code"]
    made = client.post("/api/v1/code-markets", headers=p, json={"code": code, "market": "CN"})
    assert made.status_code == 201, made.get_json()
    url = f"/api/v1/code-markets/{made.get_json()['id']}/decision"
    for step in ({"action": "submit"},
                 {"action": "approve", "approved_on": str(today() - timedelta(days=40)),
                  "list_reference": "GACC 2026/17"}):
        done = client.post(url, headers=p, json=step)
        assert done.status_code == 200, done.get_json()
    inspected = client.post("/api/v1/inspections", headers=p, json={
        "code": code, "inspected_on": str(today()), "inspector": "Lê Kiểm",
        "findings": ["records_missing"], "outcome": "corrective_action",
        "correct_by": str(today() + timedelta(days=7))})
    assert inspected.status_code == 201, inspected.get_json()
    inspection_id = inspected.get_json()["id"]
    photo = client.post(f"/api/v1/inspections/{inspection_id}/photos", headers=p,
                        data={"photo": (io.BytesIO(_jpeg()), "a.jpg")},
                        content_type="multipart/form-data")
    assert photo.status_code == 201, photo.get_json()
    return {"code_market_id": made.get_json()["id"], "inspection_id": inspection_id,
            "photo_id": photo.get_json()["photos"][0]}


# --- residue limits and tests, forest maps and EUDR due diligence: the API's rules
# (access_due_diligence) and those of their pages, on the same objects ------------------
import access_due_diligence as _dd  # noqa: E402

DD_PAGE = "/{side}/export-lots/<id:lot_id>/due-diligence"
EXPECT.update(_dd.EXPECT)
EXPECT.update({
    "GET /gis/residue-limits": OFFICIALS, "POST /gis/residue-limits": OFFICIALS,
    "GET /gis/forest-maps": OFFICIALS, "POST /gis/forest-maps": OFFICIALS,
    "GET /{side}/residue-tests": LOGIN, "GET /{side}/residue-tests/new": LOGIN,
    "POST /{side}/residue-tests/new": OWNER, "GET /{side}/residue-tests/<id:test_id>": OWNER,
    f"GET {DD_PAGE}": OWNER, f"POST {DD_PAGE}": OWN_WRITE, f"GET {DD_PAGE}.xml": OWNER,
    f"GET {DD_PAGE}.geojson": OWNER, f"POST {DD_PAGE}/numbers": OWN_WRITE,
})
BODIES.update(_dd.BODIES)
BODIES.update({
    "POST /gis/residue-limits": lambda s: _dd._upload(_dd.SAMPLE, "limits.csv"),
    "POST /gis/forest-maps": lambda s: _dd._upload(_dd.forest_map(), "gfc.tif",
                                                   province_code="80"),
    "POST /{side}/residue-tests/new": lambda s: {"data": {
        "area_id": str(s.ids["coffee_area_id"]), "sampled_on": str(today()), "lab": "Lab",
        "results-0-ingredient": "terbufos", "results-0-result_mg_kg": "0.01"}},
    f"POST {DD_PAGE}": lambda s: {"data": {"threshold_pct": "5"}},
    f"POST {DD_PAGE}/numbers": lambda s: {"data": {"reference_number": "26DEVNCF000002",
                                                   "verification_number": "KQ7R2M9X"}},
})
OTHER.update(_dd.OTHER)
OTHER.update({f"{method} {rule.replace('{side}', side)}": (lambda s: {"lot_id": s.ids["eu_lot_id"]})
              for side in ("portal", "gis")
              for method, rule in (("GET", DD_PAGE), ("POST", DD_PAGE), ("GET", f"{DD_PAGE}.xml"),
                                   ("GET", f"{DD_PAGE}.geojson"),
                                   ("POST", f"{DD_PAGE}/numbers"))})
_build_markets = build


def build(client, db, world, headers, objects) -> dict:  # noqa: F811
    return {**_build_markets(client, db, world, headers, objects),
            **_dd.build(client, db, world, headers, objects)}
