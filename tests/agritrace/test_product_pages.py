"""The product page: certifications with their expiry, editing, the photo form, and
who may see it."""
import io
import re
from datetime import date, datetime, timezone

import pytest
from PIL import Image
from sqlalchemy import select

from agritrace import clock
from agritrace.models import Certification, CertScheme, Product
from agritrace.services import stored_files
from support import PASSWORD, csrf_token, english, login


@pytest.fixture
def uploads(db):
    """The stored product photos' names (files in the database)."""
    return lambda: stored_files.listed(db, "products/")


@pytest.fixture
def certified(db, world):
    """Product A with an expired VietGAP and a valid GlobalGAP certificate."""
    world.product_a.certifications = [
        Certification(scheme=CertScheme.VIETGAP, number="VG-OLD-1", issuer="QUACERT",
                      valid_from=date(2019, 1, 1), valid_until=date(2021, 1, 1)),
        Certification(scheme=CertScheme.GLOBALGAP, number="GG-NEW-2", issuer="CU",
                      valid_until=date(2099, 12, 31))]
    db.flush()
    return world.product_a


def certifications(page: str) -> dict[str, str]:
    """Each certification's number → the HTML the macro rendered for it."""
    out = {}
    for chunk in page.split('<span class="certification')[1:]:
        block = re.split(r"</li>|<br>", chunk, maxsplit=1)[0]
        out[re.search(r"</b>\s*(\S+)", block).group(1)] = block
    return out


def test_an_expired_certification_shows_the_badge_in_both_languages(client, world, certified):
    login(client, "a@test.vn", PASSWORD)
    for path in (f"/portal/products/{certified.id}", "/portal/"):
        vietnamese = client.get(path)
        assert vietnamese.status_code == 200 and 'lang="vi"' in vietnamese.get_data(as_text=True)
        shown = certifications(vietnamese.get_data(as_text=True))
        assert set(shown) == {"VG-OLD-1", "GG-NEW-2"}, path
        assert 'class="badge expired"' in shown["VG-OLD-1"]
        assert "badge" not in shown["GG-NEW-2"]

        shown = certifications(client.get(path, headers=english({})).get_data(as_text=True))
        assert re.search(r'class="badge expired">\s*Expired\s*<', shown["VG-OLD-1"])
        assert "Expired" not in shown["GG-NEW-2"] and "QUACERT" in shown["VG-OLD-1"]
    api = client.get(f"/api/v1/products/{certified.id}").get_json()
    assert [c["expired"] for c in api["certifications"]] == [True, False]


def test_expiry_is_counted_in_vietnam_time(client, db, world, monkeypatch):
    # 18:00 UTC on 31 May is already 1 June in Vietnam (UTC+7).
    monkeypatch.setattr(clock, "now", lambda: datetime(2024, 5, 31, 18, 0, tzinfo=timezone.utc))
    world.product_a.certifications = [
        Certification(scheme=CertScheme.VIETGAP, number="VG-MAY", issuer="QUACERT",
                      valid_until=date(2024, 5, 31)),
        Certification(scheme=CertScheme.HACCP, number="H-JUNE", issuer="QUACERT",
                      valid_until=date(2024, 6, 1))]
    db.flush()
    login(client, "a@test.vn", PASSWORD)
    shown = certifications(client.get(f"/portal/products/{world.product_a.id}").get_data(
        as_text=True))
    assert "badge expired" in shown["VG-MAY"] and "badge" not in shown["H-JUNE"]
    api = client.get(f"/api/v1/products/{world.product_a.id}").get_json()
    assert [c["expired"] for c in api["certifications"]] == [True, False]


def test_a_bad_gtin_is_shown_next_to_the_field_and_changes_nothing(client, db, world):
    login(client, "a@test.vn", PASSWORD)
    path = f"/portal/products/{world.product_a.id}"
    token = csrf_token(client, path)
    response = client.post(path, headers=english({}), data={
        "csrf_token": token, "name": "Thanh long đổi tên", "category": "fruit",
        "gtin": "9520001000011"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    error = re.search(r'<input id="gtin"[^>]*>\s*<p class="error" id="gtin-error">([^<]*)<',
                      page)
    assert error and "check digit" in error.group(1)
    assert 'value="Thanh long đổi tên"' in page  # what was typed is kept
    db.expire_all()
    product = db.get(Product, world.product_a.id)
    assert (product.name, product.gtin) == ("Thanh long A", "09520009999910")

    good = client.post(path, data={"csrf_token": token, "name": "Thanh long ruột đỏ",
                                   "category": "fruit", "gtin": "", "ocop_stars": "4",
                                   "description": "Trồng ở Tây Ninh."})
    assert good.status_code == 302
    db.expire_all()
    product = db.get(Product, world.product_a.id)
    assert (product.name, product.gtin, product.ocop_stars) == ("Thanh long ruột đỏ", None, 4)


def test_certifications_are_added_and_removed_on_the_page(client, db, world):
    login(client, "a@test.vn", PASSWORD)
    path = f"/portal/products/{world.product_a.id}"
    token = csrf_token(client, path)
    backwards = client.post(path + "/certifications", headers=english({}), data={
        "csrf_token": token, "scheme": "VietGAP", "number": "VG-9", "issuer": "QUACERT",
        "valid_from": "2025-01-01", "valid_until": "2024-01-01"})
    assert backwards.status_code == 400
    assert re.search(r'id="valid_until-error">[^<]*before its start',
                     backwards.get_data(as_text=True))
    added = client.post(path + "/certifications", data={
        "csrf_token": token, "scheme": "organic-VN", "number": "HC-7", "issuer": "TQC",
        "valid_until": "2030-06-30"})
    assert added.status_code == 302
    certification = db.scalar(select(Certification).where(Certification.number == "HC-7"))
    assert certification.scheme == CertScheme.ORGANIC_VN
    assert certification.product_id == world.product_a.id
    removed = client.post(f"{path}/certifications/{certification.id}/delete",
                          data={"csrf_token": token})
    assert removed.status_code == 302
    assert db.scalar(select(Certification).where(Certification.number == "HC-7")) is None


def test_the_photo_form_uploads_shows_and_removes_the_photo(client, db, world, uploads):
    login(client, "a@test.vn", PASSWORD)
    path = f"/portal/products/{world.product_a.id}"
    token = csrf_token(client, path)
    refused = client.post(path + "/photo", headers=english({}), data={
        "csrf_token": token, "photo": (io.BytesIO(b"<svg/>"), "photo.jpg")},
        content_type="multipart/form-data")
    assert refused.status_code == 400
    assert re.search(r'id="photo-error">photo.jpg is not a JPEG, PNG or WebP image',
                     refused.get_data(as_text=True))

    image = io.BytesIO()
    Image.new("RGB", (2000, 1500), (200, 30, 30)).save(image, "JPEG")
    image.seek(0)
    uploaded = client.post(path + "/photo", data={"csrf_token": token,
                                                  "photo": (image, "trai.jpg")},
                           content_type="multipart/form-data")
    assert uploaded.status_code == 302
    page = client.get(path).get_data(as_text=True)
    thumb = re.search(r'<img class="photo" src="([^"]+-thumb\.jpg)"', page).group(1)
    served = client.get(thumb)
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(served.data)).size == (320, 240)
    assert len(uploads()) == 2

    removed = client.post(path + "/photo/delete", data={"csrf_token": token})
    assert removed.status_code == 302
    assert uploads() == [] and client.get(thumb).status_code == 404
    db.expire_all()
    assert db.get(Product, world.product_a.id).image_path is None


def test_deleting_a_product_on_its_page(client, db, world):
    login(client, "a@test.vn", PASSWORD)
    path = f"/portal/products/{world.product_a.id}"
    token = csrf_token(client, path)
    response = client.post(path + "/delete", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith("/portal/")
    assert db.scalar(select(Product).where(Product.id == world.product_a.id)) is None


def test_pages_of_other_organisations_and_provinces_are_not_found(client, db, world):
    login(client, "a@test.vn", PASSWORD)
    other = f"/portal/products/{world.product_b.id}"
    assert client.get(other).status_code == 404
    token = csrf_token(client, f"/portal/products/{world.product_a.id}")
    assert client.post(other, data={"csrf_token": token, "name": "Lấy trộm",
                                    "category": "fruit"}).status_code == 404
    assert client.post(other + "/delete", data={"csrf_token": token}).status_code == 404
    db.expire_all()
    assert db.get(Product, world.product_b.id).name == "Chanh B"
    # A producer's product link on the portal goes to its page.
    assert f'href="/portal/products/{world.product_a.id}"' in client.get("/portal/").get_data(
        as_text=True)


def test_officials_read_their_provinces_products_without_forms(client, world, certified):
    login(client, "p@test.vn", PASSWORD)
    page = client.get(f"/gis/products/{certified.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Thanh long A" in text and 'class="badge expired"' in text
    assert "<form" not in text.split("</header>", 1)[1]
    client.post("/logout", data={"csrf_token": csrf_token(client, "/gis/")})
    login(client, "q@test.vn", PASSWORD)
    assert client.get(f"/gis/products/{certified.id}").status_code == 404
