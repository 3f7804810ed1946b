"""Stamp pages: order a run for a batch, follow a large order's progress, download the
print files (each QR read back by a real decoder), activate and void — for the
batch's own organisation and its province's officials only."""
import csv
import io
import re
import zipfile

import pypdfium2
import pytest
import zxingcpp
from sqlalchemy import func, select

from agritrace.models import AuditEntry, Stamp, StampOrder, StampRun
from labels.codes import compact_code
from support import PASSWORD, csrf_token, english, login
from test_batches import issued_area, new_batch

EN = {"Accept-Language": "en"}
BASE = "http://127.0.0.1:5000"


def counts(db):
    return tuple(db.scalar(select(func.count()).select_from(t))
                 for t in (Stamp, StampRun, StampOrder))


@pytest.fixture
def batch(client, world):
    a = english(world.token(world.producer_a))
    area = issued_area(client, world, 0)
    return new_batch(client, a, world, [area], lot_code="TL/26-A").get_json()


def order(client, batch_id, quantity, **extra):
    url = f"/portal/batches/{batch_id}/stamps"
    return client.post(url, headers=EN, data={"csrf_token": csrf_token(client, url),
                                              "quantity": quantity, **extra})


def urls_of(db, run_id: int, gtin: str, lot: str, expiry: str) -> set[str]:
    """The Digital Link each stamp's QR must hold: GTIN, lot (its / encoded), serial,
    and the expiry date as AI 17 (YYMMDD) in the query."""
    ids = db.scalars(select(Stamp.id).where(Stamp.run_id == run_id)).all()
    yymmdd = expiry[2:4] + expiry[5:7] + expiry[8:10]
    return {f"{BASE}/01/{gtin}/10/{lot.replace('/', '%2F')}/21/{compact_code(i)}?17={yymmdd}"
            for i in ids}


def decoded_page(pdf: bytes, index: int) -> list[str]:
    document = pypdfium2.PdfDocument(pdf)
    image = document[index].render(scale=300 / 72).to_pil().convert("L")
    return [r.text for r in zxingcpp.read_barcodes(image)]


def test_a_producer_orders_prints_and_activates_a_run(client, db, world, batch):
    login(client, world.producer_a.email, PASSWORD)
    page = client.get(f"/portal/batches/{batch['id']}/stamps")
    assert page.status_code == 200 and 'id="order-form"' in page.get_data(as_text=True)
    # Thousands as people write them in Vietnam.
    made = order(client, batch["id"], "1.200", pin="true")
    assert made.status_code == 302, made.get_data(as_text=True)
    run_id = int(re.search(r"/stamp-runs/(\d+)", made.headers["Location"])[1])
    run = db.get(StampRun, run_id)
    assert run.quantity == 1200 and run.pin_enabled
    expected = urls_of(db, run_id, world.product_a.gtin, batch["lot_code"],
                       batch["expiry_date"])
    assert len(expected) == 1200

    shown = client.get(f"/portal/stamp-runs/{run_id}", headers=EN).get_data(as_text=True)
    assert "Download labels (PDF)" in shown and "PIN sheet" in shown

    pdf = client.get(f"/portal/stamp-runs/{run_id}/print",
                     query_string={"format": "pdf", "template": "a4-3x8"})
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert len(pypdfium2.PdfDocument(pdf.data)) == 50          # 1200 labels, 24 a page
    for index in (0, 49):
        found = decoded_page(pdf.data, index)
        assert len(found) == 24 and set(found) <= expected, found[:3]

    rows = list(csv.DictReader(io.StringIO(client.get(
        f"/portal/stamp-runs/{run_id}/print", query_string={"format": "csv"}
    ).get_data(as_text=True))))
    assert {r["url"] for r in rows} == expected
    assert all(re.fullmatch(r"[0-9]{6}", r["pin"]) for r in rows)
    assert all(re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z*~$=U]{2}", r["code"])
               for r in rows)
    svgs = zipfile.ZipFile(io.BytesIO(client.get(
        f"/portal/stamp-runs/{run_id}/print", query_string={"format": "svg-zip"}).data))
    assert len(svgs.namelist()) == 1200
    pins = client.get(f"/portal/stamp-runs/{run_id}/print", query_string={"format": "pins-pdf"})
    assert pins.status_code == 200 and pins.mimetype == "application/pdf"
    db.expire_all()
    assert sorted(db.get(StampRun, run_id).print_formats) == [
        "csv", "pdf:a4-3x8", "pins-pdf:a4-3x8", "svg-zip"]

    url = f"/portal/stamp-runs/{run_id}"
    done = client.post(url + "/activate", data={"csrf_token": csrf_token(client, url)})
    assert done.status_code == 302
    db.expire_all()
    assert db.get(StampRun, run_id).status.value == "active"
    actions = db.scalars(select(AuditEntry.action).where(
        AuditEntry.entity == "stamp_run", AuditEntry.entity_id == str(run_id))
        .order_by(AuditEntry.id)).all()
    assert actions == ["mint", "print", "print", "print", "print", "activate"]


@pytest.mark.parametrize("quantity, words", [
    ("0", "between 1 and"), ("-3", "between 1 and"), ("nhiều", "whole number"),
    ("", "required"), ("6000000", "5,000,000"),
])
def test_a_bad_quantity_is_shown_and_nothing_is_written(client, db, world, batch, quantity,
                                                       words):
    login(client, world.producer_a.email, PASSWORD)
    before = counts(db)
    got = order(client, batch["id"], quantity)
    assert got.status_code == 400
    assert words.lower() in got.get_data(as_text=True).lower()
    assert counts(db) == before


def test_a_large_order_shows_its_progress(app, client, db, world, batch):
    login(client, world.producer_a.email, PASSWORD)
    app.config["STAMP_SYNC_LIMIT"] = 10
    try:
        made = order(client, batch["id"], "11")
    finally:
        app.config["STAMP_SYNC_LIMIT"] = 50_000
    assert made.status_code == 302 and "/stamp-orders/" in made.headers["Location"]
    page = client.get(made.headers["Location"], headers=EN).get_data(as_text=True)
    assert 'http-equiv="refresh"' in page and "Waiting for its turn" in page
    assert '<progress id="order-progress" max="11" value="0">' in page
    assert counts(db)[0] == 0


def test_other_organisations_see_nothing_and_the_province_official_may_act(client, db, world,
                                                                          batch):
    a = english(world.token(world.producer_a))
    run_id = client.post("/api/v1/stamp-orders", headers=a, json={
        "batch_id": batch["id"], "quantity": 30}).get_json()["run_id"]
    login(client, world.producer_b.email, PASSWORD)
    for path in (f"/portal/stamp-runs/{run_id}", f"/portal/stamp-runs/{run_id}/print",
                 f"/portal/batches/{batch['id']}/stamps"):
        assert client.get(path).status_code == 404
    client.get("/logout")
    login(client, world.official_p.email, PASSWORD)
    url = f"/gis/stamp-runs/{run_id}"
    assert client.get(url).status_code == 200
    void = client.post(url + "/void", data={"csrf_token": csrf_token(client, url),
                                            "reason": "Cuộn tem in lệch"})
    assert void.status_code == 302
    assert db.get(StampRun, run_id).status.value == "void"
    assert client.get(url + "/print", query_string={"format": "csv"}).status_code == 400


def test_a_recalled_batch_shows_the_recall_on_its_runs(client, db, world, batch):
    a = english(world.token(world.producer_a))
    run_id = client.post("/api/v1/stamp-orders", headers=a, json={
        "batch_id": batch["id"], "quantity": 5}).get_json()["run_id"]
    client.post(f"/api/v1/stamp-runs/{run_id}/activate", headers=a)
    client.post(f"/api/v1/batches/{batch['id']}/recall", headers=english(
        world.token(world.official_p)), json={"reason": "Dư lượng propineb vượt ngưỡng"})
    login(client, world.producer_a.email, PASSWORD)
    page = client.get(f"/portal/stamp-runs/{run_id}").get_data(as_text=True)
    assert "Dư lượng propineb vượt ngưỡng" in page and 'class="banner recalled"' in page
    assert db.get(StampRun, run_id).status.value == "active"   # still scannable
