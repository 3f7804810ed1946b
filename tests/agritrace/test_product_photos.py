"""Product photos through the API: sniffed, bomb-checked, turned upright, resized,
stripped of metadata, stored under unguessable names and served for good."""
import io
import random
import struct
import zlib

import pytest
from PIL import ExifTags, Image
from sqlalchemy import select

from agritrace.models import AuditEntry, Product
from agritrace.services import stored_files
from support import english

RED, BLUE = (255, 0, 0), (0, 0, 255)


@pytest.fixture
def uploads(db):
    """Where the photos land: files in the database, named products/<name>.jpg."""
    return db


def files_in(db):
    """The stored product photos' file names, without their products/ folder."""
    return [n.removeprefix("products/") for n in stored_files.listed(db, "products/")]


def picture(size=(3000, 2000), fmt="JPEG", orientation=None, gps=False, **save) -> bytes:
    """Blue, with the top-left quarter red, so that a rotation shows."""
    image = Image.new("RGB", size, BLUE)
    image.paste(RED, (0, 0, size[0] // 2, size[1] // 2))
    exif = Image.Exif()
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    if gps:
        position = exif.get_ifd(ExifTags.IFD.GPSInfo)
        position[ExifTags.GPS.GPSLatitudeRef] = "N"
        position[ExifTags.GPS.GPSLatitude] = (11.0, 24.0, 0.0)
        position[ExifTags.GPS.GPSLongitudeRef] = "E"
        position[ExifTags.GPS.GPSLongitude] = (106.0, 12.0, 0.0)
    out = io.BytesIO()
    image.save(out, fmt, exif=exif, **save)
    return out.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width × height pixels."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + \
            struct.pack(">I", zlib.crc32(kind + body))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


def put_photo(client, product_id, data, name, headers=None):
    return client.put(f"/api/v1/products/{product_id}/photo", headers=english(headers or {}),
                      data={"photo": (io.BytesIO(data), name)},
                      content_type="multipart/form-data")


def near(pixel, colour, tolerance=40):
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour))


def test_a_phone_photo_is_turned_upright_resized_and_stripped(app, client, db, world, uploads):
    headers = world.token(world.producer_a)
    original = picture(orientation=6, gps=True)  # 6: shown turned 90° clockwise
    source = Image.open(io.BytesIO(original)).getexif()
    assert source.get_ifd(ExifTags.IFD.GPSInfo), "the test photo should carry a position"

    response = put_photo(client, world.product_a.id, original, "IMG_0001.JPG", headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["photo_url"].endswith(".jpg") and body["thumbnail_url"].endswith("-thumb.jpg")

    served = client.get(body["photo_url"])
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    photo = Image.open(io.BytesIO(served.data))
    assert photo.format == "JPEG" and photo.size == (800, 1200)
    # Upright: the stored top-left corner is now at the top right.
    assert near(photo.getpixel((790, 10)), RED) and near(photo.getpixel((10, 10)), BLUE)
    assert len(photo.getexif()) == 0 and "exif" not in photo.info
    assert b"Exif" not in served.data and b"GPS" not in served.data

    thumb = Image.open(io.BytesIO(client.get(body["thumbnail_url"]).data))
    assert max(thumb.size) == 320 and thumb.size == (213, 320)

    db.expire_all()
    name = db.get(Product, world.product_a.id).image_path
    assert files_in(uploads) == [f"{name}-thumb.jpg", f"{name}.jpg"]
    assert len(name) >= 32 and name not in original.decode("latin-1")
    assert db.scalar(select(AuditEntry).where(AuditEntry.entity == "product",
                                              AuditEntry.entity_id == str(world.product_a.id),
                                              AuditEntry.action == "photo"))
    listed = client.get("/api/v1/products", headers=headers).get_json()
    assert {p["id"]: p["photo_url"] for p in listed}[world.product_a.id] == body["photo_url"]


def test_replacing_the_photo_removes_the_old_files_and_png_and_webp_work(client, db, world,
                                                                         uploads):
    headers = world.token(world.producer_a)
    first = put_photo(client, world.product_a.id, picture((600, 400)), "a.jpg", headers)
    assert first.status_code == 200
    old = files_in(uploads)
    for data, name in ((picture((500, 300), "PNG"), "b.png"),
                       (picture((1600, 900), "WEBP"), "c.webp")):
        response = put_photo(client, world.product_a.id, data, name, headers)
        assert response.status_code == 200, response.get_json()
        now = files_in(uploads)
        assert len(now) == 2 and not set(now) & set(old)
        old = now
    # The WebP, wider than 1200 px, was scaled down to 1200 on its long side.
    photo = Image.open(io.BytesIO(client.get(response.get_json()["photo_url"]).data))
    assert photo.format == "JPEG" and photo.size == (1200, 675)
    assert client.get(first.get_json()["photo_url"]).status_code == 404

    removed = client.delete(f"/api/v1/products/{world.product_a.id}/photo", headers=headers)
    assert removed.status_code == 204
    assert files_in(uploads) == []
    product = client.get(f"/api/v1/products/{world.product_a.id}", headers=headers).get_json()
    assert product["photo_url"] is None and product["thumbnail_url"] is None


def test_a_transparent_png_is_put_on_white(client, world, uploads):
    image = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    out = io.BytesIO()
    image.save(out, "PNG")
    response = put_photo(client, world.product_a.id, out.getvalue(), "logo.png",
                         world.token(world.producer_a))
    assert response.status_code == 200
    photo = Image.open(io.BytesIO(client.get(response.get_json()["photo_url"]).data))
    assert near(photo.getpixel((200, 200)), (255, 255, 255))


def _gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (50, 50), RED).save(out, "GIF")
    return out.getvalue()


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect/></svg>'
BAD = {
    "text named .jpg": (b"just some text, not a picture\n", "photo.jpg",
                        "photo.jpg is not a JPEG, PNG or WebP image"),
    "svg": (SVG, "logo.svg", "logo.svg is not a JPEG, PNG or WebP image"),
    "gif": (_gif(), "anim.gif", "anim.gif is not a JPEG, PNG or WebP image"),
    "pdf": (b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", "photo.jpg",
            "photo.jpg is not a JPEG, PNG or WebP image"),
    "empty": (b"", "empty.jpg", "empty.jpg is empty"),
    "bomb 20000×20000": (png_declaring(20000, 20000), "bomb.png",
                         "bomb.png declares more than 40 megapixels"),
    "48 megapixels": (png_declaring(8000, 6000), "big.png",
                      "big.png declares more than 40 megapixels"),
    "truncated jpeg": (picture((800, 600), quality=95)[:3000], "cut.jpg",
                       "cut.jpg could not be read as an image"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_bad_files_are_refused_and_change_nothing(client, db, world, uploads, case):
    headers = world.token(world.producer_a)
    assert put_photo(client, world.product_a.id, picture((300, 200)), "ok.jpg",
                     headers).status_code == 200
    db.expire_all()
    before, files = db.get(Product, world.product_a.id).image_path, files_in(uploads)

    data, name, message = BAD[case]
    response = put_photo(client, world.product_a.id, data, name, headers)
    assert response.status_code == 422, response.get_data(as_text=True)
    problem = response.get_json()
    assert message in problem["detail"] and message in " ".join(problem["errors"]["photo"])
    db.expire_all()
    assert db.get(Product, world.product_a.id).image_path == before
    assert files_in(uploads) == files


def test_a_file_over_the_size_limit_is_refused(app, client, db, world, uploads, monkeypatch):
    monkeypatch.setitem(app.config, "PRODUCT_PHOTO_MAX_MB", 0.01)
    noise = Image.frombytes("RGB", (200, 200), random.Random(1).randbytes(200 * 200 * 3))
    out = io.BytesIO()
    noise.save(out, "PNG")
    assert len(out.getvalue()) > 0.01 * 1024 * 1024
    response = put_photo(client, world.product_a.id, out.getvalue(), "huge.png",
                         world.token(world.producer_a))
    assert response.status_code == 422
    assert "huge.png" in response.get_json()["detail"]
    assert "at most 0.01 MB" in response.get_json()["detail"]
    db.expire_all()
    assert db.get(Product, world.product_a.id).image_path is None
    assert files_in(uploads) == []


@pytest.mark.parametrize("who, status", [("producer_b", 404), ("official_p", 403),
                                         ("official_q", 404), (None, 401)])
def test_only_the_owner_may_set_the_photo(client, db, world, uploads, who, status):
    headers = world.token(getattr(world, who)) if who else {}
    response = put_photo(client, world.product_a.id, picture((300, 200)), "x.jpg", headers)
    assert response.status_code == status, response.get_json()
    assert client.delete(f"/api/v1/products/{world.product_a.id}/photo",
                         headers=headers).status_code == status
    db.expire_all()
    assert db.get(Product, world.product_a.id).image_path is None
    assert files_in(uploads) == []


def test_media_names_are_checked(client, world, uploads):
    headers = world.token(world.producer_a)
    url = put_photo(client, world.product_a.id, picture((300, 200)), "x.jpg",
                    headers).get_json()["photo_url"]
    assert client.get(url).status_code == 200
    stored_files.put(uploads, "secret.jpg", b"not for you", "image/jpeg")
    for path in ("/media/products/..%2Fsecret.jpg", "/media/products/%2e%2e%2fsecret.jpg",
                 "/media/products/../secret.jpg", "/media/products/secret.jpg",
                 "/media/products/" + "A" * 32 + ".jpg",
                 "/media/products/" + "A" * 32 + "-thumb.jpg"):
        assert client.get(path).status_code == 404, path
