"""Export lots (lô xuất khẩu) and their cartons: a packing house packs an export lot for
China in 20 cartons whose labels scan (ZXing) to their SSCC and Digital Link; lots from
an area or a packing house whose code is not in force are refused, naming the code;
every refusal leaves every table as it was."""
from __future__ import annotations

from decimal import Decimal

import pypdfium2
import pytest
import zxingcpp
from sqlalchemy import select

from agritrace.models import LogisticUnit, OrgKind, UnitKind
from labels.digital_link import parse_sscc_link
from labels.sscc import build_sscc, validate_sscc
from lots_support import PREFIX, approve_chain, build, deliver, member, pack_body
from support import PASSWORD, csrf_token, english, login, snapshot

BASE = "http://127.0.0.1:5000"


def pdf_pages(data: bytes, dpi: int = 200) -> list:
    """The pages as PDFium draws them, in grey, as a scanner sees a printed label."""
    document = pypdfium2.PdfDocument(data)
    try:
        return [page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
                for page in document]
    finally:
        document.close()


def pdf_text(data: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(data)
    try:
        return [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()


def decoded(image, kind) -> list:
    return [c for c in zxingcpp.read_barcodes(image, formats=kind) if c.valid]


@pytest.fixture
def chain(app, client, db, world):
    chain = build(app, client, db, world)
    made = client.post("/api/v1/transformations", headers=chain.h, json=pack_body(chain))
    assert made.status_code == 201, made.get_json()
    chain.packing = made.get_json()
    chain.box = chain.packing["outputs"][0]
    approve_chain(db, chain, "CN", "JP")
    return chain


def export_body(chain, **extra) -> dict:
    return {"market": "CN", "product_id": chain.packed["id"], "lot_code": "XK-CN-01",
            "facility_id": chain.facility["id"],
            "inputs": [{"batch_id": chain.box["id"], "quantity": 1800}], **extra}


def test_an_export_lot_for_china_packed_in_20_cartons_whose_labels_scan(app, client, db,
                                                                         chain):
    made = client.post("/api/v1/export-lots", headers=chain.h, json=export_body(chain))
    assert made.status_code == 201, made.get_json()
    lot = made.get_json()
    assert lot["origin"] == "export" and lot["market"] == "CN" and lot["quantity"] == 1800.0
    packed = client.post(f"/api/v1/export-lots/{lot['id']}/cartons", headers=chain.h,
                         json={"count": 20, "net_weight_kg": 18})
    assert packed.status_code == 201, packed.get_json()
    cartons = packed.get_json()
    ssccs = [c["sscc"] for c in cartons]
    assert ssccs == [build_sscc(PREFIX, n) for n in range(1, 21)]
    assert all(validate_sscc(s, PREFIX) == s for s in ssccs)
    assert cartons[0]["digital_link"] == f"{BASE}/00/{ssccs[0]}"
    pdf = client.get(f"/api/v1/export-lots/{lot['id']}/labels.pdf", headers=chain.h)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    pages = pdf_pages(pdf.data, dpi=200)
    assert len(pages) == 20
    for sscc, page in zip(ssccs, pages):
        (bars,) = decoded(page, zxingcpp.BarcodeFormat.Code128)
        assert bars.symbology_identifier == "]C1"      # GS1-128
        assert bars.content_type == zxingcpp.ContentType.GS1
        assert bars.text == f"(00){sscc}"
        (qr,) = decoded(page, zxingcpp.BarcodeFormat.QRCode)
        assert qr.text == f"{BASE}/00/{sscc}" and parse_sscc_link(qr.text).sscc == sscc
    text = " ".join(pdf_text(pdf.data)[0].split())
    for expected in ("Thanh long loại 1", "Dragon fruit, grade 1", "XK-CN-01", "18 kg",
                     "VN-TNOR-0001, VN-TNOR-0002, VN-TNOR-0003", chain.facility["code"],
                     "Nhà đóng gói Mỹ Thuận", "Trung Quốc / China"):
        assert expected in text
    # The carton's Digital Link leads anyone to its public page: codes, never quantities.
    public = app.test_client().get(f"/00/{ssccs[4]}?lang=en")
    assert public.status_code == 200
    page = public.get_data(as_text=True)
    for expected in ("Dragon fruit, grade 1", "XK-CN-01", "VN-TNOR-0003",
                     chain.facility["code"], "China", ssccs[4]):
        assert expected in page
    assert "1800" not in page and "18 kg" not in page and "HTX A" not in page
    assert app.test_client().get(f"/00/{build_sscc(PREFIX, 99)}").status_code == 404
    assert app.test_client().get("/00/123").status_code == 404
    # Found again by its SSCC (as scanners write it), by its own organisation only.
    found = client.get(f"/api/v1/sscc/(00){ssccs[0]}", headers=chain.h)
    assert found.status_code == 200 and found.get_json()["batch_id"] == lot["id"]
    assert client.get(f"/api/v1/sscc/{ssccs[0]}", headers=chain.b).status_code == 404


def test_serial_references_are_never_drawn_twice(client, db, chain):
    lot = client.post("/api/v1/export-lots", headers=chain.h,
                      json=export_body(chain, quantity=100)).get_json()
    url = f"/api/v1/export-lots/{lot['id']}/cartons"
    first = client.post(url, headers=chain.h, json={"count": 2, "net_weight_kg": 10})
    before = snapshot(db.connection())
    too_heavy = client.post(url, headers=chain.h, json={"count": 9, "net_weight_kg": 10})
    assert too_heavy.status_code == 422, too_heavy.get_json()
    assert "90 kg" in too_heavy.get_json()["detail"] and "80 kg" in too_heavy.get_json()["detail"]
    assert "net_weight_kg" in too_heavy.get_json()["errors"]
    assert snapshot(db.connection()) == before
    second = client.post(url, headers=chain.h, json={"count": 3, "net_weight_kg": 10,
                                                     "pallet": True})
    assert second.status_code == 201, second.get_json()
    units = second.get_json()
    assert [u["kind"] for u in units] == ["pallet", "carton", "carton", "carton"]
    assert {u["parent_sscc"] for u in units[1:]} == {units[0]["sscc"]}
    drawn = [u["sscc"] for u in first.get_json() + units]
    assert drawn == [build_sscc(PREFIX, n) for n in range(1, 7)]
    assert db.scalar(select(LogisticUnit.net_weight_kg).where(
        LogisticUnit.kind == UnitKind.PALLET)) == Decimal("30")


def _suspend_area(client, chain):
    p = english(chain.world.token(chain.world.official_p))
    area = chain.areas[1]
    assert client.post(f"/api/v1/areas/{area['id']}/suspend", headers=p,
                       json={"reason": "Kiểm tra dư lượng"}).status_code == 200
    return "Lot DG-2026-01 comes from growing area VN-TNOR-0002, which is suspended"


def _suspend_house(client, chain):
    p = english(chain.world.token(chain.world.official_p))
    assert client.post(f"/api/v1/facilities/{chain.facility['id']}/suspend", headers=p,
                       json={}).status_code == 200
    return f"Packing house {chain.facility['code']} (lot DG-2026-01) is suspended"


@pytest.mark.parametrize("prepare", [_suspend_area, _suspend_house],
                         ids=["area-suspended", "packing-house-suspended"])
def test_an_exporter_is_refused_inputs_from_places_whose_codes_are_not_in_force(
        app, client, db, chain, prepare):
    exporter, exporter_user = member(app, db, "Xuất khẩu Tây Ninh", "7777777777",
                                     OrgKind.EXPORTER, gs1_company_prefix="8930002")
    e = english(chain.world.token(exporter_user))
    own = client.post("/api/v1/products", headers=e, json={
        "name": "Thanh long xuất khẩu", "category": "fruit"}).get_json()
    deliver(db, chain.box["id"], chain.house.id, exporter.id, 1000)
    body = {"market": "CN", "product_id": own["id"], "lot_code": "XK-1",
            "inputs": [{"batch_id": chain.box["id"], "quantity": 1000}]}
    words = prepare(client, chain)
    before = snapshot(db.connection())
    refused = client.post("/api/v1/export-lots", headers=e, json=body)
    assert refused.status_code == 422, refused.get_json()
    assert words in refused.get_json()["detail"]
    assert words in " ".join(refused.get_json()["errors"]["inputs.0.batch_id"])
    assert snapshot(db.connection()) == before


def test_the_exporter_exports_when_every_code_is_in_force(app, client, db, chain):
    exporter, exporter_user = member(app, db, "Xuất khẩu Tây Ninh", "7777777777",
                                     OrgKind.EXPORTER, gs1_company_prefix="8930002")
    e = english(chain.world.token(exporter_user))
    own = client.post("/api/v1/products", headers=e, json={
        "name": "Thanh long xuất khẩu", "category": "fruit"}).get_json()
    deliver(db, chain.box["id"], chain.house.id, exporter.id, 1000)
    made = client.post("/api/v1/export-lots", headers=e, json={
        "market": "JP", "product_id": own["id"], "lot_code": "XK-JP-1", "unit": "TNE",
        "inputs": [{"batch_id": chain.box["id"], "quantity": 1000}]})
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["quantity"] == 1.0 and made.get_json()["unit"] == "TNE"
    packed = client.post(f"/api/v1/export-lots/{made.get_json()['id']}/cartons", headers=e,
                         json={"count": 50, "net_weight_kg": 20})
    assert packed.status_code == 201
    assert packed.get_json()[0]["sscc"] == build_sscc("8930002", 1)


@pytest.mark.parametrize("path, own, status, words", [
    ("/api/v1/sscc/{wrong}", False, 422, "The check digit of SSCC {wrong} is wrong: it "
                                         "should be {digit}"),
    ("/api/v1/sscc/12345", False, 422, "An SSCC has 18 digits"),
    ("/api/v1/sscc/{other}", True, 422, "is not under your company prefix 8930001"),
    ("/api/v1/sscc/{other}", False, 404, "Not found"),
], ids=["check-digit", "length", "outside-prefix", "unknown"])
def test_a_wrong_sscc_is_refused_saying_why(client, db, chain, path, own, status, words):
    good = build_sscc(PREFIX, 7)
    wrong = good[:-1] + str((int(good[-1]) + 1) % 10)
    other = build_sscc("8930002", 7)
    fill = {"wrong": wrong, "digit": good[-1], "other": other}
    before = snapshot(db.connection())
    answer = client.get(path.format(**fill) + ("?own=true" if own else ""), headers=chain.h)
    assert answer.status_code == status, answer.get_json()
    assert words.format(**fill) in answer.get_json()["detail"]
    if status == 422:
        assert "sscc" in answer.get_json()["errors"]
    assert snapshot(db.connection()) == before


def test_packing_needs_a_company_prefix_and_an_export_lot(client, db, chain):
    lot = client.post("/api/v1/export-lots", headers=chain.h, json=export_body(chain)).get_json()
    before = snapshot(db.connection())
    box = client.post(f"/api/v1/export-lots/{chain.box['id']}/cartons", headers=chain.h,
                      json={"count": 1, "net_weight_kg": 10})
    assert box.status_code == 409 and "not an export lot" in box.get_json()["detail"]
    for body in ({"count": 0, "net_weight_kg": 10}, {"count": 1, "net_weight_kg": 0},
                 {"count": 1, "net_weight_kg": "NaN"}):
        bad = client.post(f"/api/v1/export-lots/{lot['id']}/cartons", headers=chain.h,
                          json=body)
        assert bad.status_code == 422, (body, bad.get_json())
    assert client.post(f"/api/v1/export-lots/{lot['id']}/cartons", headers=chain.a,
                       json={"count": 1, "net_weight_kg": 10}).status_code == 404
    chain.house.gs1_company_prefix = None
    db.commit()
    before = snapshot(db.connection())
    none = client.post(f"/api/v1/export-lots/{lot['id']}/cartons", headers=chain.h,
                       json={"count": 1, "net_weight_kg": 10})
    assert none.status_code == 422 and "no GS1 company prefix" in none.get_json()["detail"]
    assert snapshot(db.connection()) == before


def test_the_export_lot_pages_pack_cartons_and_download_labels(app, db, chain):
    browser = app.test_client()
    assert login(browser, chain.house_user.email, PASSWORD).status_code in (302, 303)
    page = browser.get("/portal/export-lots/new?lang=en").get_data(as_text=True)
    assert "DG-2026-01" in page and 'value="CN" selected' in page
    token = csrf_token(browser, "/portal/export-lots/new")
    form = {"csrf_token": token, "market": "CN", "product_id": str(chain.packed["id"]),
            "lot_code": "XK-W1", "unit": "KGM", "facility_id": str(chain.facility["id"]),
            "inputs-0-batch_id": str(chain.box["id"]), "inputs-0-quantity": "360"}
    made = browser.post("/portal/export-lots/new?lang=en", data=form)
    assert made.status_code in (302, 303), made.get_data(as_text=True)[:3000]
    lot_page = made.headers["Location"]
    shown = browser.get(lot_page + "?lang=en").get_data(as_text=True)
    assert "China" in shown and "VN-TNOR-0001, VN-TNOR-0002, VN-TNOR-0003" in shown
    assert "No cartons packed yet." in shown and "labels-link" not in shown
    before = snapshot(db.connection())
    heavy = browser.post(lot_page + "/cartons?lang=en", data={
        "csrf_token": token, "count": "21", "net_weight_kg": "18"})
    assert heavy.status_code == 400 and "378 kg" in heavy.get_data(as_text=True)
    assert snapshot(db.connection()) == before
    packed = browser.post(lot_page + "/cartons?lang=en", data={
        "csrf_token": token, "count": "20", "net_weight_kg": "18"})
    assert packed.status_code in (302, 303)
    shown = browser.get(lot_page + "?lang=en").get_data(as_text=True)
    assert build_sscc(PREFIX, 20) in shown and "Download carton labels (PDF)" in shown
    pdf = browser.get(lot_page + "/labels.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    official = app.test_client()
    assert login(official, chain.world.official_p.email, PASSWORD).status_code in (302, 303)
    assert official.get(lot_page.replace("/portal/", "/gis/")).status_code == 200
    other = app.test_client()
    assert login(other, chain.world.producer_b.email, PASSWORD).status_code in (302, 303)
    assert other.get(lot_page).status_code == 404
