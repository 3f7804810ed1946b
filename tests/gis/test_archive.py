"""Uploads that are empty, cut short, hostile or not what they claim to be."""
import io
import os
import stat
import struct
import zipfile

import pytest
from shapely.geometry import Polygon

from gis.archive import Archive
from gis.features import GisError
from gis.readers import read_upload
from upload_samples import PLOT, google_earth_kml, shapefile, zipped

LIMIT = 200 * 2**20


def refusal(data: bytes, filename: str, **options):
    with pytest.raises(GisError) as error:
        read_upload(data, filename, **options)
    [trouble] = error.value.problems
    assert filename in trouble.message
    return trouble


@pytest.fixture(scope="module")
def shapefile_zip(tmp_path_factory) -> bytes:
    directory = tmp_path_factory.mktemp("shp")
    return zipped(shapefile(directory, "lo", [Polygon(PLOT)], {"ten": ["Lô 1"]}, "EPSG:4326"))


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """300 MB of zeros in one entry, about 300 KB stored, written in 1 MB pieces."""
    buffer = io.BytesIO()
    zeros = bytes(2**20)
    with (zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
          archive.open("lo.shp", "w", force_zip64=True) as entry):
        for _ in range(300):
            entry.write(zeros)
    return buffer.getvalue()


# --- empty and cut short ----------------------------------------------------------------------

@pytest.mark.parametrize("data", [b"", b"  \r\n\t "])
def test_empty_file(data):
    assert refusal(data, "lo.geojson").code == "file_empty"


def test_zip_cut_in_half(shapefile_zip):
    trouble = refusal(shapefile_zip[: len(shapefile_zip) // 2], "lo.zip")
    assert trouble.code == "archive_damaged"


def test_kmz_with_damaged_data_but_intact_directory():
    data = bytearray(zipped({"doc.kml": google_earth_kml().encode() * 20}))
    data[200:260] = bytes(60)  # inside the deflated KML
    assert refusal(bytes(data), "vung.kmz").code == "archive_damaged"


def test_entry_larger_than_its_header_says_is_refused_not_read_on():
    data = bytearray(zipped({"doc.kml": google_earth_kml().encode()},
                            compression=zipfile.ZIP_STORED))
    # Shrink the declared size in both headers: reading must stop there, and the CRC
    # of the short read then gives the lie away.
    local = data.index(b"PK\x03\x04")
    central = data.index(b"PK\x01\x02")
    data[local + 22:local + 26] = struct.pack("<I", 100)
    data[central + 24:central + 28] = struct.pack("<I", 100)
    assert refusal(bytes(data), "vung.kmz").code == "archive_damaged"


@pytest.mark.parametrize("filename, keep, code", [
    ("lo.geojson", 0.5, "file_damaged"),
    ("vung.kml", 0.6, "file_damaged"),
])
def test_text_files_cut_short(filename, keep, code):
    if filename.endswith(".kml"):
        data = google_earth_kml().encode()
    else:
        data = (b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
                b'{"name":"L\xc3\xb4 1"},"geometry":{"type":"Polygon","coordinates":'
                b"[[[106.1,10.2],[106.2,10.2],[106.2,10.3],[106.1,10.2]]]}}]}")
    trouble = refusal(data[: int(len(data) * keep)], filename)
    assert trouble.code == code and "cut short" in trouble.message


def test_geopackage_cut_short(tmp_path):
    from upload_samples import write_layer
    path = tmp_path / "vung.gpkg"
    write_layer(path, [Polygon(PLOT)], {"ten": ["Lô 1"]}, crs="EPSG:4326", driver="GPKG")
    data = path.read_bytes()
    assert refusal(data[:4096], "vung.gpkg").code == "file_damaged"


# --- hostile archives ------------------------------------------------------------------------

def test_zip_bomb_is_refused_from_its_declared_sizes(bomb):
    assert len(bomb) < 2 * 2**20
    trouble = refusal(bomb, "bom.zip")
    assert trouble.code == "archive_bomb" and trouble.params["entry"] == "lo.shp"
    assert trouble.params["ratio"] > 100


def test_zip_bomb_is_refused_before_anything_is_decompressed(bomb):
    """The stored data is wrecked: any attempt to inflate it would fail as damaged, so
    being told "bomb" proves the verdict came from the directory alone."""
    data = bytearray(bomb)
    data[1000:50_000] = bytes(49_000)
    assert refusal(bytes(data), "bom.zip").code == "archive_bomb"


def test_archive_larger_than_allowed_when_unpacked():
    data = zipped({"lo.shp": os.urandom(300_000), "lo.dbf": os.urandom(300_000)})
    trouble = refusal(data, "lo.zip", max_uncompressed_bytes=500_000)
    assert trouble.code == "archive_too_large"
    assert trouble.params["limit_mb"] == "0.5" and trouble.params["size_mb"] == "0.6"


@pytest.mark.parametrize("entry", ["../lo.shp", "/etc/lo.shp", "a/../../lo.shp",
                                   "C:/Users/lo.shp", "..\\..\\lo.shp"])
def test_entries_escaping_the_folder_are_refused(entry):
    trouble = refusal(zipped({entry: b"x", "lo.dbf": b"x"}), "lo.zip")
    assert trouble.code == "archive_unsafe_path" and trouble.params["entry"] == entry
    assert entry in trouble.message


def test_symbolic_link_entries_are_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        link = zipfile.ZipInfo("lo.shp")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    assert refusal(buffer.getvalue(), "lo.zip").code == "archive_unsafe_path"


@pytest.mark.parametrize("inner", ["ban_do.zip", "vung.kmz", "goc/du_lieu.7z"])
def test_nested_archives_are_refused(inner, shapefile_zip):
    trouble = refusal(zipped({inner: shapefile_zip, "doc.kml": b"<kml/>"}), "lo.zip")
    assert trouble.code == "archive_nested" and trouble.params["entry"] == inner


def test_too_many_entries():
    files = {f"anh/{i}.jpg": b"" for i in range(1001)}
    trouble = refusal(zipped({"doc.kml": google_earth_kml().encode(), **files}), "vung.kmz")
    assert trouble.code == "archive_too_many_entries"
    assert trouble.params == {"filename": "vung.kmz", "count": 1002, "limit": 1000}


def test_password_protected_entries_are_refused():
    data = bytearray(zipped({"doc.kml": b"<kml/>"}))
    # Set the "encrypted" flag in both headers, as a zip tool with a password would.
    for magic, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.index(magic) + offset
        data[at] |= 0x1
    assert refusal(bytes(data), "vung.kmz").code == "archive_encrypted"


def test_compression_we_cannot_unpack_is_refused_by_name():
    data = bytearray(zipped({"doc.kml": b"<kml/>"}))
    for magic, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        at = data.index(magic) + offset
        data[at:at + 2] = struct.pack("<H", 9)  # Deflate64
    trouble = refusal(bytes(data), "vung.kmz")
    assert trouble.code == "archive_compression" and trouble.params["entry"] == "doc.kml"


def test_archive_reads_only_what_its_entries_declare(shapefile_zip):
    archive = Archive(shapefile_zip, "lo.zip", max_uncompressed_bytes=LIMIT)
    assert sorted(archive.names) == ["lo.cpg", "lo.dbf", "lo.prj", "lo.shp", "lo.shx"]
    assert archive.read("lo.shp")[:4] == b"\x00\x00\x27\x0a"


# --- unknown and mislabelled ---------------------------------------------------------------------

def test_geojson_that_is_really_a_zipped_shapefile_is_read_as_what_it_is(shapefile_zip):
    layer = read_upload(shapefile_zip, "lo.geojson")
    assert layer.format == "shapefile" and [f.name for f in layer.features] == ["Lô 1"]


def test_zip_without_anything_we_read():
    trouble = refusal(zipped({"doc/readme.txt": b"hello", "anh.jpg": b"\xff\xd8\xff"}), "lo.zip")
    assert trouble.code == "archive_no_data"
    assert ".shp" in trouble.message and ".kml" in trouble.message and ".gpkg" in trouble.message


def test_empty_zip():
    assert refusal(zipped({}), "lo.zip").code == "archive_no_data"


@pytest.mark.parametrize("data, filename, claimed, found", [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "vung.kml", "KML", "PDF"),
    (os.urandom(2048).replace(b"\x00\x00\x27\x0a", b""), "lo.shp", "Shapefile", None),
    (b"<!DOCTYPE html><html><body>Not found</body></html>", "lo.geojson", "GeoJSON", "HTML"),
    (b"\x89PNG\r\n\x1a\n....", "lo.gpx", "GPX", "PNG image"),
    (b"Rar!\x1a\x07\x00....", "lo.zip", "ZIP", "RAR"),
], ids=["pdf-as-kml", "noise-as-shapefile", "html-as-geojson", "png-as-gpx", "rar-as-zip"])
def test_mislabelled_files_say_what_they_are(data, filename, claimed, found):
    trouble = refusal(data, filename)
    assert trouble.code == "format_mismatch" and trouble.params["claimed"] == claimed
    if found:
        assert trouble.params["found"] == found
    assert "We accept GeoJSON" in trouble.message


def test_unknown_extension_and_content():
    trouble = refusal(b"\x00\x01binary stuff", "ban_do.dwg")
    assert trouble.code == "format_unknown" and "We accept GeoJSON" in trouble.message


def test_a_bare_shp_is_refused_asking_for_the_zip(shapefile_zip):
    shp = zipfile.ZipFile(io.BytesIO(shapefile_zip)).read("lo.shp")
    assert refusal(shp, "lo.shp").code == "shapefile_not_zipped"


def test_json_that_is_not_geojson():
    data = '{"ten": "Lô 1", "dien_tich": 1.2}'.encode()
    assert refusal(data, "lo.json").code == "geojson_invalid"


@pytest.mark.filterwarnings("ignore:GPKG. bad application_id:RuntimeWarning")
def test_sqlite_that_is_no_geopackage(tmp_path):
    import sqlite3
    path = tmp_path / "a.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("create table t (x)")
    db.close()
    assert refusal(path.read_bytes(), "vung.gpkg").code == "file_damaged"
