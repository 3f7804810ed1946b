"""Print-shop files: the CSV of codes, URLs and PINs, and the ZIP of one SVG per stamp,
each SVG rendered by Cairo and read by ZXing."""
import csv
import io
import zipfile

import pytest

from labels.codes import format_code, new_stamp_ids, normalize_code, pin_for
from labels.digital_link import stamp_url
from labels.printshop import svg_name, write_csv, write_svg_zip
from labels.qr import QUIET_ZONE, qr_matrix
from labels.sheets import LabelRecord
from labels_support import qr_codes, svg_image

BASE = "https://trace.example.vn"


def run(n, pins=True):
    key = b"p" * 32
    for i, stamp_id in enumerate(new_stamp_ids(n)):
        lot = "TL/2024%07" if i % 2 else None
        yield LabelRecord(format_code(stamp_id).lower().replace("-", " "),
                          stamp_url(BASE, stamp_id, gtin="9520123456788" if lot else None,
                                    lot=lot),
                          "Thanh long ruột đỏ", lot, pin_for(key, stamp_id) if pins else None)


@pytest.mark.parametrize("stream", ["text", "binary"])
def test_csv_has_code_url_and_pin_per_stamp(stream):
    records = list(run(2500))
    out = io.StringIO(newline="") if stream == "text" else io.BytesIO()
    assert write_csv(iter(records), out) == 2500
    text = out.getvalue() if stream == "text" else out.getvalue().decode("utf-8")
    assert text.startswith("code,url,pin\r\n")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [(r["code"], r["url"], r["pin"]) for r in rows] == [
        (format_code_of(rec.code), rec.url, rec.pin) for rec in records]


def format_code_of(typed):
    compact = normalize_code(typed)
    return f"{compact[:4]}-{compact[4:8]}-{compact[8:12]}-{compact[12:]}"


def test_csv_without_pins_leaves_the_column_empty():
    out = io.StringIO(newline="")
    write_csv(run(3, pins=False), out)
    assert [r["pin"] for r in csv.DictReader(io.StringIO(out.getvalue()))] == ["", "", ""]


class Unseekable(io.RawIOBase):
    def __init__(self):
        self.data = bytearray()

    def writable(self):
        return True

    def write(self, chunk):
        self.data += chunk
        return len(chunk)


def test_zip_of_svgs_one_per_stamp_each_read_by_a_real_reader():
    records = list(run(300))
    sink = Unseekable()
    assert write_svg_zip(iter(records), sink, size="20mm") == 300
    with zipfile.ZipFile(io.BytesIO(bytes(sink.data))) as archive:
        names = archive.namelist()
        assert names == [svg_name(r.code) for r in records]
        assert all(len(n) == len("7KQ2M9XD4TPAW3.svg") for n in names)
        for record in records[:40]:
            svg = archive.read(svg_name(record.code)).decode("utf-8")
            assert 'width="20mm"' in svg
            modules = qr_matrix(record.url).size + 2 * QUIET_ZONE
            (code,) = qr_codes(svg_image(svg, modules * 8))
            assert code.text == record.url
            assert code.ec_level == "M"
