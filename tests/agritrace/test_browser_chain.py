"""The supply chain's acceptance walk (issue 16) in Debian's Chromium, on the demo data
as `make run` loads it, with the worker `make run` starts beside the server and a real
SMTP server (aiosmtpd) on loopback: each actor logs in and works the pages as a person
would.

Two dragon-fruit cooperatives dispatch to the packing house, which receives one lot
50 kg short; it grades both into one lot, makes an export lot for China, packs it in
20 cartons whose labels scan to their SSCC and Digital Link, and hands it to the
exporter, who ships most of it to the importer in Guangzhou. The official traces the
export lot back to its orchard codes and diaries and a cooperative's batch forward to
the cartons, recalls that batch (both holders are told, in their inbox and by e-mail,
and confirm), and flags a code whose harvests pass what its land can grow."""
from __future__ import annotations

import csv
import io
import re
import threading
import time
from types import SimpleNamespace

import pypdfium2
import pytest
import zxingcpp
from aiosmtpd.controller import Controller
from sqlalchemy import select

from agritrace.db import session
from agritrace.models import Batch, ExternalParty, Facility, Organization, Product
from agritrace.seed import chain_demo, demo
from agritrace.services import stamp_worker
from support import ARTIFACTS, live_demo
from test_browser import browser  # noqa: F401  (the shared Chromium fixture)
from test_recalls import Mailbox, free_port

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True, "locale": "vi-VN"}
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "locale": "vi-VN"}
TAM_VU = ("producer@agritrace.demo", "Thanh long ruột đỏ Tầm Vu")
AN_LUC_LONG = ("anluclong@agritrace.demo", "Thanh long ruột đỏ An Lục Long")
PACKER, EXPORTER, OFFICIAL = ("packer@agritrace.demo", "exporter@agritrace.demo",
                              "official@agritrace.demo")
REASON = "Dư lượng Abamectin vượt mức giới hạn tối đa của Trung Quốc (GB 2763)"
GRADED, EXPORT_LOT = "PH-TL-0001", "XK-CN-0001"
CARTONS, CARTON_KG = 20, 20
SCROLL_WIDTH = "() => document.documentElement.scrollWidth"


@pytest.fixture(scope="module")
def live():
    """The demo on loopback with SMTP_URL at a real SMTP server, and the worker loop
    (stamps, then the e-mail outbox) running beside it as `make run` runs it."""
    box = Mailbox()
    smtp = Controller(box, hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        with live_demo("live_chain", SMTP_URL=f"smtp://127.0.0.1:{smtp.port}") as (app, url):
            # Labels' QR codes and stamps' URLs lead to this server.
            app.config["PUBLIC_BASE_URL"] = url
            with app.app_context():
                facts = _demo_facts()
            stop = threading.Event()
            worker = threading.Thread(target=_work, args=(app, stop), daemon=True)
            worker.start()
            try:
                yield SimpleNamespace(url=url, mail=box, **facts)
            finally:
                stop.set()
                worker.join(timeout=10)
    finally:
        smtp.stop()


def _work(app, stop: threading.Event) -> None:
    with app.app_context():
        stamp_worker.work(poll_seconds=0.2, should_stop=stop.is_set)


def _demo_facts() -> dict:
    s = session()

    def batch_of(product: str) -> Batch:
        return s.scalar(select(Batch).join(Product).where(Product.name == product))

    tam_vu, an_luc_long = batch_of(TAM_VU[1]), batch_of(AN_LUC_LONG[1])

    packer = s.scalar(select(Organization).where(Organization.gs1_company_prefix == "9521234"))
    return {"tam_vu": tam_vu, "an_luc_long": an_luc_long,
            "tam_vu_areas": sorted(a.code for a in tam_vu.areas),
            "an_luc_long_areas": sorted(a.code for a in an_luc_long.areas),
            "packer_name": packer.name,
            "packer_code": s.scalar(select(Facility.code).where(
                Facility.organization_id == packer.id)),
            "exporter_name": chain_demo.PARTNERS[2][1],
            "importer": s.scalar(select(ExternalParty.name))}


# --- helpers -------------------------------------------------------------------------

def _login(browser, live, email: str, **context):  # noqa: F811
    ctx = browser.new_context(**(context or DESKTOP))
    page = ctx.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    page.goto(f"{live.url}/login")
    page.fill("#email", email)
    page.fill("#password", demo.PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert not page.url.endswith("/login"), f"{email} could not log in"
    return page


def _choose(page, select: str, text: str) -> str:
    """Pick the option of a list whose words contain `text`; its value."""
    value = page.locator(f"{select} option", has_text=text).first.get_attribute("value")
    page.select_option(select, value)
    return value


def _submit(page, form: str) -> None:
    with page.expect_navigation():
        page.click(f"{form} button[type=submit]")


def _no_errors(page) -> None:
    assert page.locator(".error-box").count() == 0, \
        page.locator("main").inner_text()[:2000]


def _dispatch(page, live, batch_id: int, quantity: str, receiver: str, note: str,
              vehicle: str = "") -> int:
    """Dispatch from the stock page's link; the new hand-over's id."""
    page.goto(f"{live.url}/portal/stock")
    page.click(f"#stock a[href$='batch_id={batch_id}']")
    page.fill("#quantity", quantity)
    _choose(page, "#receiver", receiver)
    page.fill("#delivery_note", note)
    page.fill("#vehicle", vehicle)
    _submit(page, "#dispatch-form")
    _no_errors(page)
    match = re.search(r"/portal/handovers/(\d+)$", page.url)
    assert match, page.url
    return int(match.group(1))


def _receive(page, live, handover_id: int, quantity: str) -> None:
    page.goto(f"{live.url}/portal/handovers?direction=in")
    page.click(f"#handovers a[href$='/handovers/{handover_id}']")
    page.fill("#received_quantity", quantity)
    _submit(page, "#receipt-form")
    _no_errors(page)


# --- the walk ------------------------------------------------------------------------

def test_the_chain_from_two_orchards_to_china_and_its_recall(live, browser):  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    pages = {who: _login(browser, live, email) for who, email in (
        ("tam_vu", TAM_VU[0]), ("an_luc_long", AN_LUC_LONG[0]), ("packer", PACKER),
        ("exporter", EXPORTER))}
    _step1_hand_overs(live, pages)
    export_id, ssccs, stamp_url = _step2_export(live, pages)
    official = _login(browser, live, OFFICIAL, **PHONE)
    _step3_trace(live, official, export_id, ssccs)
    desk = _step4_recall(live, browser, pages, stamp_url)
    _step5_capacity(live, desk)
    for who, page in {**pages, "official": official, "official at a desk": desk}.items():
        assert page.errors == [], (who, page.errors)
        page.context.close()


def _step1_hand_overs(live, pages) -> None:
    """Both cooperatives dispatch; the packing house receives one lot 50 kg short, and
    both sides see the difference."""
    tam_vu, an_luc_long, packer = pages["tam_vu"], pages["an_luc_long"], pages["packer"]
    h1 = _dispatch(tam_vu, live, live.tam_vu.id, "1000", live.packer_name, "PGH-TV-0001",
                   "62C-123.45")
    h2 = _dispatch(an_luc_long, live, live.an_luc_long.id, "2500", live.packer_name,
                   "PGH-ALL-0001", "62C-678.90")
    _receive(packer, live, h1, "1000")
    assert packer.locator("#shortfall").count() == 0
    _receive(packer, live, h2, "2450")
    shortfall = packer.locator("#shortfall").inner_text()
    assert "50" in shortfall and "2.500" in shortfall and "2.450" in shortfall, shortfall
    packer.screenshot(path=str(ARTIFACTS / "chain-receipt-short.png"), full_page=True)
    # The sender sees the same difference in its list and on the hand-over.
    an_luc_long.goto(f"{live.url}/portal/handovers?direction=out")
    row = an_luc_long.locator(f"#handovers a[href$='/handovers/{h2}']")
    assert "50 kg" in row.locator(".shortfall").inner_text()
    row.click()
    assert "50" in an_luc_long.locator("#shortfall").inner_text()
    an_luc_long.screenshot(path=str(ARTIFACTS / "chain-handover-sender.png"), full_page=True)
    # The stock pages agree: 1 500 kg left at Tầm Vu, nothing at An Lục Long.
    tam_vu.goto(f"{live.url}/portal/stock")
    assert "1.500" in tam_vu.locator("#stock").inner_text()
    packer.goto(f"{live.url}/portal/stock")
    held = packer.locator("#stock").inner_text()
    assert live.tam_vu.lot_code in held and live.an_luc_long.lot_code in held
    assert "2.450" in held


def _step2_export(live, pages) -> tuple[int, list[str], str]:
    """Grading, the export lot for China in 20 cartons whose labels scan, a stamp run,
    and the lot on to the exporter and on to Guangzhou. The export lot's id, its SSCCs
    and the URL of one of its stamps."""
    packer, exporter = pages["packer"], pages["exporter"]
    graded_id = _grade(packer, live)
    export_id = _make_export_lot(packer, live, graded_id)
    ssccs = _pack(packer, live, export_id)
    _check_labels(packer, live, export_id, ssccs)
    stamp_url = _order_stamps(packer, live, export_id)
    handover = _dispatch(packer, live, export_id, str(CARTONS * CARTON_KG), live.exporter_name,
                         "PGH-PH-0001", "TCNU 123456-7")
    _receive(exporter, live, handover, str(CARTONS * CARTON_KG))
    # The first container: 18 cartons for Guangzhou; two wait for the next, so the
    # exporter still holds stock when the recall comes (a recall reaches holders).
    _dispatch(exporter, live, export_id, str((CARTONS - 2) * CARTON_KG), live.importer,
              "XK-2026-0001", "TCNU 765432-1")
    shipped = exporter.locator("main").inner_text()
    assert live.importer in shipped and "Trung Quốc" in shipped, shipped
    exporter.screenshot(path=str(ARTIFACTS / "chain-shipped-abroad.png"), full_page=True)
    return export_id, ssccs, stamp_url


def _grade(packer, live) -> int:
    """Both cooperatives' fruit graded into one lot of export grade 1; its id."""
    packer.goto(f"{live.url}/portal/transformations/new")
    packer.select_option("#kind", "grading")
    _choose(packer, "#facility_id", live.packer_code)
    for i, (lot, quantity) in enumerate(((live.tam_vu, "1000"), (live.an_luc_long, "2450"))):
        _choose(packer, f"#inputs-{i}-batch_id", lot.lot_code)
        packer.fill(f"#inputs-{i}-quantity", quantity)
    _choose(packer, "#outputs-0-product_id", chain_demo.PACKED_PRODUCT["name"])
    packer.fill("#outputs-0-lot_code", GRADED)
    packer.fill("#outputs-0-quantity", "3000")
    _submit(packer, "#transformation-form")
    _no_errors(packer)
    assert "/portal/transformations/" in packer.url
    made = packer.locator("main").inner_text()
    assert re.search(r"Hao hụt\s+450 kg", made) and GRADED in made, made
    packer.screenshot(path=str(ARTIFACTS / "chain-transformation.png"), full_page=True)
    href = packer.locator("table.outputs a", has_text=GRADED).get_attribute("href")
    return int(href.rstrip("/").rsplit("/", 1)[1])


def _make_export_lot(packer, live, graded_id: int) -> int:
    packer.goto(f"{live.url}/portal/export-lots/new")
    assert packer.locator("#market").input_value() == "CN"
    _choose(packer, "#product_id", chain_demo.PACKED_PRODUCT["name"])
    packer.fill("#lot_code", EXPORT_LOT)
    _choose(packer, "#facility_id", live.packer_code)
    packer.select_option("#inputs-0-batch_id", str(graded_id))
    packer.fill("#inputs-0-quantity", str(CARTONS * CARTON_KG))
    _submit(packer, "#export-form")
    _no_errors(packer)
    match = re.search(r"/portal/export-lots/(\d+)$", packer.url)
    assert match, packer.url
    facts = packer.locator("dl.facts").inner_text()
    assert "Trung Quốc" in facts and live.packer_code in facts, facts
    assert facts.count("VN-TNOR-") >= 4, facts      # both cooperatives' orchards
    return int(match.group(1))


def _pack(packer, live, export_id: int) -> list[str]:
    packer.fill("#count", str(CARTONS))
    packer.fill("#net_weight_kg", str(CARTON_KG))
    _submit(packer, "#cartons-form")
    _no_errors(packer)
    ssccs = packer.locator("table.cartons td code").all_inner_texts()
    assert len(ssccs) == CARTONS and all(s.startswith("09521234") for s in ssccs), ssccs
    packer.screenshot(path=str(ARTIFACTS / "chain-export-lot.png"), full_page=True)
    return ssccs


def _pdf_pages(data: bytes, numbers: tuple[int, ...], dpi: int = 200) -> list:
    document = pypdfium2.PdfDocument(data)
    try:
        assert len(document) == CARTONS
        return [document[n].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
                for n in numbers]
    finally:
        document.close()


def _check_labels(packer, live, export_id: int, ssccs: list[str]) -> None:
    """The labels PDF, as downloaded: the first and last labels' GS1-128 barcode reads
    as the SSCC and the QR as its Digital Link, which opens the carton's page."""
    with packer.expect_download() as download:
        packer.click("#labels-link")
    data = download.value.path().read_bytes()
    assert data.startswith(b"%PDF")
    for n, image in zip((0, CARTONS - 1), _pdf_pages(data, (0, CARTONS - 1))):
        found = [c for c in zxingcpp.read_barcodes(image) if c.valid]
        bars = [c for c in found if c.format == zxingcpp.BarcodeFormat.Code128]
        qrs = [c for c in found if c.format == zxingcpp.BarcodeFormat.QRCode]
        assert [b.text for b in bars] == [f"(00){ssccs[n]}"], found
        assert bars[0].symbology_identifier == "]C1"          # GS1-128, not plain Code 128
        assert [q.text for q in qrs] == [f"{live.url}/00/{ssccs[n]}"], found
    # The last label's QR, opened as a phone would: the carton's public page.
    carton = packer.context.browser.new_context(**PHONE).new_page()
    carton.goto(qrs[0].text)
    story = carton.locator("#carton").inner_text()
    for expected in (ssccs[-1], EXPORT_LOT, live.packer_code, "Trung Quốc"):
        assert expected in story, (expected, story)
    assert carton.locator("#orchard-codes a").count() >= 4
    assert "kg" not in story and live.packer_name.split()[0] in story
    assert carton.evaluate(SCROLL_WIDTH) <= 390
    carton.screenshot(path=str(ARTIFACTS / "chain-carton-page.png"), full_page=True)
    carton.context.close()


def _order_stamps(packer, live, export_id: int) -> str:
    """A run of three stamps for the export lot, activated; one stamp's URL from the
    print shop's CSV."""
    packer.goto(f"{live.url}/portal/batches/{export_id}/stamps")
    packer.fill("#quantity", "3")
    _submit(packer, "#order-form")
    _no_errors(packer)
    assert "/portal/stamp-runs/" in packer.url, packer.url
    with packer.expect_download() as download:
        packer.click("a[href$='format=csv']")
    rows = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    urls = [cell for row in rows for cell in row if cell.startswith(live.url)]
    assert len(urls) == 3, rows
    _submit(packer, "#activate-form")
    _no_errors(packer)
    return urls[0]


def _step3_trace(live, official, export_id: int, ssccs: list[str]) -> None:
    """On a phone: the export lot traced back to both cooperatives' orchard codes and
    diaries; An Lục Long's batch traced forward to the cartons."""
    official.goto(f"{live.url}/trace")
    official.select_option("#trace-kind", "lot")
    official.fill("#trace-q", EXPORT_LOT)
    official.select_option("#trace-direction", "back")
    _submit(official, "#trace-form")
    chain = official.locator("#chain")
    text = chain.inner_text()
    for key in ("tam_vu", "an_luc_long"):
        lot = getattr(live, key)
        card = official.locator(f"#lot-{lot.id}")
        assert card.is_visible(), text
        codes = card.locator("a[href*='VN-TNOR-']").all_inner_texts()
        assert sorted(codes) == getattr(live, f"{key}_areas"), codes
        diary = card.locator("a[href$='#diary']")
        assert diary.count() == 1 and diary.get_attribute("href").endswith(
            f"/gis/batches/{lot.id}#diary")
    assert GRADED in text and live.packer_code in text
    assert official.evaluate(SCROLL_WIDTH) <= 390
    official.screenshot(path=str(ARTIFACTS / "trace.png"), full_page=True)
    # The diary link opens the batch with its farming diary.
    official.locator(f"#lot-{live.an_luc_long.id} a[href$='#diary']").click()
    official.wait_for_url(f"**/gis/batches/{live.an_luc_long.id}#diary")
    assert official.locator("#diary").count() == 1
    # Forward from the batch: the grading, the export lot and its cartons.
    official.goto(f"{live.url}/trace?kind=lot&q={live.an_luc_long.lot_code}&direction=forward")
    export = official.locator(f"#lot-{export_id}")
    assert export.is_visible()
    export.locator("details.cartons summary").click()
    cartons = export.locator("details.cartons").inner_text()
    assert all(sscc in cartons for sscc in ssccs), cartons
    assert live.importer in official.locator("#chain").inner_text()
    assert official.evaluate(SCROLL_WIDTH) <= 390
    official.screenshot(path=str(ARTIFACTS / "trace-forward.png"), full_page=True)


def _step4_recall(live, browser, pages, stamp_url: str):  # noqa: F811
    """The official recalls An Lục Long's batch; the packing house and the exporter find
    the notice in their inbox and their mailbox, and confirm; the recall is 100 %
    confirmed and a stamp on the export lot scans as recalled."""
    official = _login(browser, live, OFFICIAL)
    official.goto(f"{live.url}/gis/batches/{live.an_luc_long.id}")
    official.fill("#recall-reason", REASON)
    official.check("#recall-form input[name=confirm]")
    _submit(official, "#recall-form")
    _no_errors(official)
    assert REASON in official.locator("#recall-banner").inner_text()
    official.click("#recall-banner a")
    official.wait_for_url("**/recalls/*")
    recall_url = official.url
    assert official.locator("#confirmed-percent").inner_text() == "0 %"
    assert official.locator("table.recall-holders tbody tr").count() == 2
    mail = _mail_to(live, {PACKER, EXPORTER})
    for message in mail.values():
        assert live.an_luc_long.lot_code in message["Subject"]
        assert REASON in message.get_content() and "/portal/inbox" in message.get_content()
    _confirm(pages["packer"], live, GRADED, "quarantined", "Để riêng tại kho lạnh số 2")
    _confirm(pages["exporter"], live, EXPORT_LOT, "destroyed", "Hủy tại cơ sở có biên bản")
    official.goto(recall_url)
    assert official.locator("#confirmed-percent").inner_text() == "100 %"
    assert re.fullmatch(r"0( kg)?", official.locator("#unaccounted").inner_text())
    official.screenshot(path=str(ARTIFACTS / "recall.png"), full_page=True)
    official.goto(f"{live.url}/gis/recalls")
    assert "(100 %)" in official.locator("table.recalls").inner_text()
    # A stamp on the export lot, scanned on a phone: recalled, naming the source.
    phone = browser.new_context(**PHONE).new_page()
    phone.goto(stamp_url)
    banner = phone.locator("#recall").inner_text()
    assert REASON in banner and live.an_luc_long.lot_code in banner, banner
    assert phone.locator("#verdict.verdict-recalled").is_visible()
    phone.screenshot(path=str(ARTIFACTS / "chain-stamp-recalled.png"), full_page=True)
    phone.context.close()
    return official


def _mail_to(live, addresses: set[str], timeout: float = 20) -> dict:
    """The messages the worker delivered to the test's SMTP server, by recipient."""
    deadline = time.monotonic() + timeout
    while True:
        got = {rcpt: message for rcpts, message in live.mail.received for rcpt in rcpts}
        if addresses <= set(got) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert addresses <= set(got), f"mail arrived for {sorted(got)} only"
    return {a: got[a] for a in addresses}


def _confirm(page, live, lot_code: str, action: str, note: str) -> None:
    page.goto(f"{live.url}/portal/inbox")
    notice = page.locator("article.notice.unread").first
    assert live.an_luc_long.lot_code in notice.locator("h2").inner_text()
    assert REASON in notice.inner_text()
    page.screenshot(path=str(ARTIFACTS / f"chain-inbox-{action}.png"), full_page=True)
    row = notice.locator("table.recall-holders tr", has_text=lot_code)
    with page.expect_navigation():
        row.locator("a.button").click()
    page.check(f"#confirm-form input[name=action][value={action}]")
    page.fill("#note", note)
    _submit(page, "#confirm-form")
    _no_errors(page)
    assert page.locator("#confirm-form").count() == 0
    page.screenshot(path=str(ARTIFACTS / f"chain-recall-confirmed-{action}.png"),
                    full_page=True)


def _step5_capacity(live, official) -> None:
    """The official lowers the expected yield of dragon fruit in the province: the
    cooperatives' codes now carry more than their land can grow and are flagged."""
    year = live.an_luc_long.harvest_date.year
    official.goto(f"{live.url}/gis/capacity?year={year}")
    code = live.an_luc_long_areas[0]
    assert official.locator(f"tr.flagged[data-code='{code}']").count() == 0
    official.fill("#yield-form input[name=crop]", "dragon fruit")
    official.fill("#yield-form input[name=yield_kg_per_ha]", "500")
    official.fill("#yield-form input[name=seasons_per_year]", "1")
    official.fill("#yield-form input[name=margin_pct]", "20")
    _submit(official, "#yield-form")
    _no_errors(official)
    row = official.locator(f"tr.flagged[data-code='{code}']")
    assert row.count() == 1 and row.locator(".badge.over-capacity").is_visible()
    official.screenshot(path=str(ARTIFACTS / "chain-capacity-flagged.png"), full_page=True)
    official.goto(f"{live.url}/gis/capacity?year={year}&flagged=true")
    flagged = official.locator("#capacity-codes tr.flagged").evaluate_all(
        "rows => rows.map(r => r.dataset.code)")
    assert set(live.an_luc_long_areas) <= set(flagged), flagged
