"""The public code registry, the directory of producers and products, and the items of
Circular 02/2024/TT-BKHCN on the scan page, on the demo data (one live demo for the
module: a run of stamps and a photo for the Tầm Vu dragon fruit, an approval for China
on one of its codes)."""
import io
import re
import shutil
import subprocess
from datetime import datetime, timezone

import pandas as pd
import pytest
from geoalchemy2.shape import from_shape
from PIL import Image
from shapely.geometry import MultiPolygon
from sqlalchemy import func, select, text

from agritrace import units
from agritrace.db import session
from agritrace.models import (AreaStatus, Batch, CodeTemplate, CodeKind, Facility,
                              GrowingArea, Organization, OrgStatus, Product, Stamp,
                              User)
from agritrace.seed import demo
from agritrace.services import code_registry, directory, product_photos, stamps
from labels.codes import compact_code
from support import ARTIFACTS, TAY_NINH, english, live_demo, plot
from test_browser import browser  # noqa: F401  (the shared Chromium fixture)

DRAGON = "Thanh long ruột đỏ Tầm Vu"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 1,
         "is_mobile": True, "has_touch": True, "locale": "en-GB"}


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 30, 90)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture(scope="module")
def live():
    with live_demo("registry") as (app, url):
        with app.app_context():
            s = session()
            admin = s.scalar(select(User).where(User.email == demo.LOGINS[0][0]))
            batch = s.scalar(select(Batch).join(Product).where(Product.name == DRAGON))
            order = stamps.order_stamps(admin, batch.id, 2)
            stamps.activate_run(admin, order.run_id)
            product_photos.set_product_photo(admin, batch.product_id, _photo(), "tam-vu.jpg")
            # The demo has its dragon-fruit harvests' codes approved for China.
            area = sorted(batch.areas, key=lambda a: a.code)[0]
            stamp_id = s.scalar(select(Stamp.id).where(Stamp.run_id == order.run_id).limit(1))
            values = (compact_code(stamp_id), batch.id, area.code)
        yield (app, url) + values


def _frame(data: bytes, fmt: str) -> pd.DataFrame:
    if fmt == "csv":
        return pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype={"code": str})
    return pd.read_excel(io.BytesIO(data), engine="openpyxl")


# --- the registry ------------------------------------------------------------------------

def test_the_registry_lists_the_codes_and_downloads_them(live):
    app, _url, _code, _batch_id, approved = live
    client = app.test_client()
    with app.app_context():
        s = session()
        areas = s.scalar(select(func.count()).select_from(GrowingArea).where(
            GrowingArea.status == AreaStatus.ISSUED))
        houses = s.scalar(select(func.count()).select_from(Facility).where(
            Facility.code.is_not(None)))
    page = client.get("/registry?q=VN-TN", headers=english({})).get_data(as_text=True)
    assert f"Code registry ({areas + houses})" in page
    assert "VN-TNOR-0001" in page and "VN-TNPH-0001" in page and "CN approved" in page
    for fmt in ("csv", "xlsx"):
        answer = client.get(f"/registry.{fmt}")
        assert answer.status_code == 200 and "attachment" in answer.headers["Content-Disposition"]
        table = _frame(answer.data, fmt)
        assert tuple(table.columns) == code_registry.COLUMNS
        assert len(table) == areas + houses
        assert set(table["issued_province"]) == {"TN"}
        assert set(table["province"]) == {"Tây Ninh"}
        area_rows = table[table["kind"] == "growing_area"]
        assert set(area_rows["crop"]) == {"dragon fruit", "seedless lime", "rice"}
        assert area_rows["area_ha"].gt(0).all() and area_rows["households"].gt(0).all()
        assert area_rows["latitude"].between(10, 12).all()
        assert area_rows["longitude"].between(105, 107).all()
        row = table[table["code"] == approved].iloc[0]
        assert row["markets"] == "CN approved" and row["status"] == "issued"
        assert row["ward"] == "Xã Tầm Vu"
        assert row["owner"].startswith("Hợp tác xã Thanh long")
    rice = _frame(client.get("/registry.csv?crop=rice&kind=growing_area").data, "csv")
    assert len(rice) > 0 and set(rice["crop"]) == {"rice"}
    bad = client.get("/registry.csv?kind=orchard", headers=english({}))
    assert bad.status_code == 400 and "Must be one of" in bad.get_data(as_text=True)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_the_downloads_open_in_libreoffice(live, tmp_path):
    app, *_ = live
    client = app.test_client()
    source = tmp_path / "registry.xlsx"
    source.write_bytes(client.get("/registry.xlsx").data)
    # The CSV filter's options: comma, double quote, UTF-8 (76); a profile of its own so
    # that no other LibreOffice holds the lock.
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
                    "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir",
                    str(tmp_path), str(source)], check=True, timeout=120, capture_output=True)
    converted = pd.read_csv(tmp_path / "registry.csv")
    assert tuple(converted.columns) == code_registry.COLUMNS
    assert len(converted) == len(_frame(client.get("/registry.csv").data, "csv"))


def test_a_code_keeps_the_province_it_was_issued_in(app, db, world, client):
    """Long An merged into Tây Ninh in 2025: its codes keep LA; new ones get TN; a code of
    another shape takes the province's letters of the day it was set, and keeps them."""
    def area(code, east_m):
        made = GrowingArea(code=code, name=code, crop="thanh long",
                           organization_id=world.org_a.id,
                           geom=from_shape(MultiPolygon([plot(east_m)]), srid=4326),
                           area_ha=1, perimeter_m=400, province_code=TAY_NINH,
                           status=AreaStatus.ISSUED, issued_at=datetime.now(timezone.utc))
        db.add(made)
        db.flush()
        return made
    old, new, odd = area("VN-LAOR-0007", 0), area("VN-TNOR-0031", 200), area("TN/OR/77", 400)
    assert (old.issued_province, new.issued_province, odd.issued_province) == ("LA", "TN", "TN")
    template = db.get(CodeTemplate, (TAY_NINH, CodeKind.GROWING_AREA))
    template.prov = "TNN"
    db.flush()
    for made in (old, new, odd):
        made.status = AreaStatus.SUSPENDED
    db.flush()
    db.execute(text("UPDATE growing_areas SET code = code WHERE id = ANY(:ids)"),
               {"ids": [old.id, new.id, odd.id]})
    db.expire_all()
    assert [a.issued_province for a in (old, new, odd)] == ["LA", "TN", "TN"]
    table = _frame(client.get("/registry.csv?q=VN-LAOR").data, "csv")
    assert table[["code", "issued_province", "province", "status"]].values.tolist() == [
        ["VN-LAOR-0007", "LA", "Tây Ninh", "suspended"]]


# --- the directory -----------------------------------------------------------------------

def _directory(client, query: str) -> str:
    answer = client.get(f"/directory?{query}", headers=english({}))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_data(as_text=True)


def _cooperatives(page: str) -> set[str]:
    return set(re.findall(r"<h2>(Hợp tác xã[^<]*)</h2>", page))


def test_the_directory_finds_the_demo_cooperatives_by_crop_and_ward(live):
    app, _url, _code, batch_id, approved = live
    client = app.test_client()
    tam_vu = "Hợp tác xã Thanh long Tầm Vu"
    an_luc_long = "Hợp tác xã Thanh long An Lục Long"
    assert _cooperatives(_directory(client, "crop=dragon+fruit")) == {tam_vu, an_luc_long}
    ward = units.find_ward(TAY_NINH, "Xã Tầm Vu").code
    page = _directory(client, f"ward_code={ward}&province_code={TAY_NINH}")
    assert _cooperatives(page) == {tam_vu}
    # Its stamped product: OCOP stars, certification, codes and the lot, linked to its page.
    assert "OCOP 4 stars" in page and "VietGAP-TT-18-03-80-0012" in page
    with app.app_context():
        batch = session().get(Batch, batch_id)
        lot, gtin = batch.lot_code, batch.product.gtin
        codes = sorted(a.code for a in batch.areas)
    assert approved in page and all(code in page for code in codes)
    assert f'href="/01/{gtin}/10/{lot}"' in page
    assert _cooperatives(_directory(client, "certification=organic-VN")) == {
        "Hợp tác xã Nông nghiệp Lúa gạo Tân Thạnh"}
    assert _cooperatives(_directory(client, "q=ST25")) == {
        "Hợp tác xã Nông nghiệp Lúa gạo Tân Thạnh"}
    assert "No producer matches." in _directory(client, "crop=durian")


def test_the_directory_downloads_one_row_per_product(live):
    app, *_ = live
    client = app.test_client()
    with app.app_context():
        products = session().scalar(select(func.count()).select_from(Product).join(
            Organization).where(Organization.status == OrgStatus.APPROVED))
    for fmt in ("csv", "xlsx"):
        table = _frame(client.get(f"/directory.{fmt}").data, fmt)
        assert tuple(table.columns) == directory.COLUMNS
        assert table["product"].notna().sum() == products
        dragon = table[table["product"] == DRAGON].iloc[0]
        assert dragon["ocop_stars"] == 4 and "VietGAP" in dragon["certifications"]
        assert dragon["growing_area_codes"].startswith("VN-TNOR-")
        assert isinstance(dragon["recent_lots"], str) and dragon["phone"] == "0272 3871 234"


# --- Circular 02 on the scan page ----------------------------------------------------------

def _item(page: str, name: str) -> str:
    found = re.search(rf'data-item="{name}">(.*?)</(dd|ol)>', page, re.S)
    assert found, name
    return found.group(1)


def test_the_scan_page_shows_every_circular_02_item(live):
    app, _url, code, batch_id, _approved = live
    page = app.test_client().get(f"/s/{code}", headers=english({})).get_data(as_text=True)
    with app.app_context():
        batch = session().get(Batch, batch_id)
        product, org, facility = batch.product, batch.organization, batch.packing_facility
        codes = [a.code for a in batch.areas]
    assert "Circular 02/2024/TT-BKHCN" in page
    assert "Tam Vu red-flesh dragon fruit" in _item(page, "product-name")
    assert f'src="/media/products/{product.image_path}-thumb.jpg"' in _item(page, "product-image")
    assert _item(page, "producer") == f"{org.name}, {org.address}"
    assert str(batch.harvest_date.year) in _item(page, "production-time")
    brand = _item(page, "brand-serial")
    assert product.brand in brand and 'href="#verdict"' in brand
    assert re.search(r"Stamp code <b>[0-9A-Z-]{17}</b>", page)      # the serial itself
    shelf = (batch.expiry_date - batch.pack_date).days
    assert f"({shelf} days)" in _item(page, "shelf-life")
    assert _item(page, "standards") == "TCCS 01:2024/HTXTV; TCVN 11892-1:2017 (VietGAP)"
    stages = _item(page, "stages")
    trace_code = f"(01){product.gtin}(10){batch.lot_code}"
    assert stages.count(trace_code) == 2
    assert "Growing and harvest" in stages and all(c in stages for c in codes)
    assert "Packing" in stages and facility.code in stages
    assert 'id="directory-link"' in page


@pytest.mark.browser
def test_registry_directory_and_scan_items_in_chromium(live, browser):  # noqa: F811
    _app, url, code, _batch_id, approved = live
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.route("https://**/*", lambda route: route.abort())
    page.goto(f"{url}/registry?q=VN-TNOR")
    assert page.locator("#registry tbody tr").count() >= 10
    assert "CN approved" in page.locator("#registry").inner_text()
    with page.expect_download() as download:
        page.locator("#registry-csv").click()
    assert download.value.suggested_filename.endswith(".csv")
    page.screenshot(path=str(ARTIFACTS / "registry-phone.png"))
    page.goto(f"{url}/directory")
    page.select_option("select[name=crop]", "dragon fruit")
    page.locator("#directory-filters button").click()
    page.wait_for_url("**crop=dragon+fruit**")
    assert page.locator(".directory-entry").count() == 2
    page.screenshot(path=str(ARTIFACTS / "directory-phone.png"), full_page=True)
    page.goto(f"{url}/s/{code}")
    section = page.locator("#circular-02")
    assert section.is_visible() and approved in section.inner_text()
    assert page.locator("#circular-02 img").evaluate("i => i.naturalWidth") > 0
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    section.screenshot(path=str(ARTIFACTS / "scan-circular-02.png"))
    page.locator("#directory-link").click()
    assert page.locator(".directory-entry").count() == 1
    context.close()
