"""The pages of residue limits and tests, forest maps and EUDR due diligence (issue 20
items 6 and 7) on the coffee chain of test_due_diligence: the official of Đắk Lắk
uploads the tables, the cooperative records a lab result and checks its export lot
to Germany, and the buyer it hands the lot to reads the numbers. Refused forms say
why beside the field and change nothing."""
from __future__ import annotations

import io
import json
import re
from datetime import timedelta

from sqlalchemy import func, select

from agritrace.clock import today
from agritrace.models import ForestMap, ResidueLimit, ResidueTest
from support import PASSWORD, csrf_token, login
from test_due_diligence import SAMPLE, _limits, _upload, coffee, geotiff  # noqa: F401

EN = {"Accept-Language": "en"}


def _browser(app, email: str):
    client = app.test_client()
    assert login(client, email, PASSWORD).status_code in (302, 303)
    return client


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def _post(client, path: str, data: dict, page: str | None = None):
    token = csrf_token(client, page or path)
    return client.post(path, data={"csrf_token": token, **data}, headers=EN,
                       content_type="multipart/form-data" if any(
                           isinstance(v, tuple) for v in data.values()) else None)


def _count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def test_the_official_uploads_limits_and_a_forest_map(app, db, coffee):
    official = _browser(app, "daklak@test.vn")
    bad = b"market,crop,ingredient,mrl,unit,source\nVN,c\xc3\xa0 ph\xc3\xaa,terbufos,0.05,mg/l,x\n"
    refused = _post(official, "/gis/residue-limits", {"file": (io.BytesIO(bad), "bad.csv")})
    assert refused.status_code == 422
    beside = re.search(r'id="file-error">(.*?)</ul>', _text(refused)).group(1)
    assert "Row 2, column unit: mg/l is not a unit" in beside
    assert _count(db, ResidueLimit) == 0
    loaded = _post(official, "/gis/residue-limits",
                   {"file": (io.BytesIO(SAMPLE), "residue_limits_sample.csv")})
    assert loaded.status_code == 302
    page = _text(official.get("/gis/residue-limits?market=US", headers=EN))
    assert "7 limits loaded" in page and 'data-market="US"' in page
    assert 'data-market="VN"' not in page and "flupyradifurone" in page

    no_crs = _post(official, "/gis/forest-maps", {"file": (io.BytesIO(geotiff(crs=None)),
                                                           "no-crs.tif")})
    assert no_crs.status_code == 422
    assert "no-crs.tif has no coordinate reference system" in \
        re.search(r'id="file-error">(.*?)</p>', _text(no_crs)).group(1)
    assert _count(db, ForestMap) == 0
    stored = _post(official, "/gis/forest-maps", {"file": (io.BytesIO(geotiff()), "gfc.tif"),
                                                  "source": "JRC GFC2020 V2"})
    assert stored.status_code == 302
    page = _text(official.get("/gis/forest-maps", headers=EN))
    assert "gfc.tif" in page and "in use" in page and "EPSG:4326" in page
    assert "/gis/forest-maps" in _text(official.get("/gis/", headers=EN))


def test_a_lab_result_is_recorded_and_judged_per_market(app, client, db, coffee):
    assert _limits(client, coffee.o, SAMPLE).status_code == 201
    grower = _browser(app, "coffee@test.vn")
    area = coffee.areas[0]["id"]
    form = _text(grower.get(f"/portal/residue-tests/new?area_id={area}", headers=EN))
    assert f'<option value="{area}" selected>' in form
    data = {"area_id": str(area), "sampled_on": str(today() - timedelta(days=2)),
            "lab": "Trung tâm Kiểm nghiệm Đắk Lắk", "report_number": "KN-2026-120",
            "results-0-ingredient": "terbufos", "results-0-result_mg_kg": "0,08",
            "results-1-ingredient": "terbufoss", "results-1-result_mg_kg": "1"}
    refused = _post(grower, "/portal/residue-tests/new", data, "/portal/residue-tests/new")
    assert refused.status_code == 422
    assert "terbufoss is not an active ingredient we know" in \
        re.search(r'id="results.1.ingredient-error">(.*?)</p>', _text(refused)).group(1)
    assert _count(db, ResidueTest) == 0
    data.update({"results-1-ingredient": "flupyradifurone", "results-1-result_mg_kg": "0.4"})
    made = _post(grower, "/portal/residue-tests/new", data, "/portal/residue-tests/new")
    assert made.status_code == 302
    page = _text(grower.get(made.headers["Location"] + "?market=JP", headers=EN))
    vn = re.search(r'id="market-VN".*?</section>', page).group(0)
    assert "not passed" in vn and re.search(
        r'data-ingredient="terbufos" class="verdict-over">.*?0\.08.*?0\.05', vn)
    us = re.search(r'id="market-US".*?</section>', page).group(0)
    assert 'data-ingredient="flupyradifurone" class="verdict-within"' in us
    assert 'id="market-JP"' in page          # the market asked for, though it has no limits
    listed = _text(grower.get(f"/portal/residue-tests?area_id={area}", headers=EN))
    assert "KN-2026-120" in listed and "Trung tâm Kiểm nghiệm Đắk Lắk" in listed


def test_the_exporter_keeps_the_package_and_the_receiver_reads_the_numbers(
        app, client, db, coffee):
    lot = coffee.lot["id"]
    page_url = f"/portal/export-lots/{lot}/due-diligence"
    grower = _browser(app, "coffee@test.vn")
    assert page_url in _text(grower.get(f"/portal/export-lots/{lot}", headers=EN))
    no_map = _post(grower, page_url, {"threshold_pct": "5"})
    assert no_map.status_code == 422 and "has no forest map of 31 December 2020" in \
        _text(no_map)
    assert _upload(client, coffee.o, geotiff()).status_code == 201
    made = _post(grower, page_url, {
        "threshold_pct": "5", "documents-0-title": "Giấy chứng nhận quyền sử dụng đất",
        "documents-0-number": "CS 01234", "documents-1-number": "without a title"})
    assert made.status_code == 422 and 'id="documents.1.title-error"' in _text(made)
    made = _post(grower, page_url, {
        "threshold_pct": "5", "documents-0-title": "Giấy chứng nhận quyền sử dụng đất",
        "documents-0-number": "CS 01234"})
    assert made.status_code == 302
    page = _text(grower.get(page_url, headers=EN))
    assert "Threshold: a plot with more than 5 % of its area" in page
    assert page.count('data-verdict="forest"') == 1 and \
        page.count('data-verdict="negligible"') == 1
    assert "0901" in page and "1,000 kg" in page and "CS 01234" in page
    xml = grower.get(f"{page_url}.xml")
    assert xml.status_code == 200 and b"SubmitStatementRequest" in xml.data
    geo = json.loads(grower.get(f"{page_url}.geojson").data)
    assert len(geo["features"]) == 2 and \
        {f["properties"]["ProducerName"] for f in geo["features"]} == {"HTX Cà phê Ea Tu"}

    bad = _post(grower, f"{page_url}/numbers", {"reference_number": "26-DE",
                                                "verification_number": "KQ7R2M9X"}, page_url)
    assert bad.status_code == 422 and "6 to 40 of them" in \
        re.search(r'id="reference_number-error">(.*?)</p>', _text(bad)).group(1)
    kept = _post(grower, f"{page_url}/numbers", {"reference_number": "26devncf000042",
                                                 "verification_number": "KQ7R2M9X"}, page_url)
    assert kept.status_code == 302
    buyer = _browser(app, "buyer@test.vn")
    assert buyer.get(page_url).status_code == 404
    sent = client.post("/api/v1/handovers", headers=coffee.c, json={
        "batch_id": lot, "quantity": 1000, "receiver_id": coffee.buyer.id,
        "dispatched_on": str(today()), "delivery_note": "PXK-0042"}).get_json()
    handover = _text(buyer.get(f"/portal/handovers/{sent['id']}", headers=EN))
    assert page_url in handover
    seen = _text(buyer.get(page_url, headers=EN))
    assert "26DEVNCF000042" in seen and "KQ7R2M9X" in seen and 'id="numbers-form"' not in seen
