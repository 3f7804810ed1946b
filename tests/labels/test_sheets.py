"""PDF label sheets, checked the way a print shop and a phone see them: pages
rasterised by PDFium, every QR decoded by ZXing and matched to the label it sits on,
the printed text extracted."""
import io
import zipfile
from itertools import count

import pytest
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth

from labels.codes import format_code, new_stamp_ids, pin_for
from labels.digital_link import parse_link, stamp_url
from labels.fonts import label_fonts, missing_glyphs
from labels.sheets import LabelRecord, SheetError, write_pdf, write_pdf_zip
from labels.templates import TEMPLATES, get_template
from labels_support import centre, pdf_pages, pdf_text, qr_codes

BASE = "https://trace.example.vn"
PRODUCTS = ["Thanh long ruột đỏ", "Xoài cát Hòa Lộc", "Sầu riêng Ri6 Đắk Lắk",
            "Cà phê Robusta Buôn Ma Thuột", "Bưởi da xanh Bến Tre", "Nhãn lồng Hưng Yên",
            "Gạo ST25 Sóc Trăng", "Chè Thái Nguyên", "Vải thiều Lục Ngạn",
            "Măng cụt Lái Thiêu tuyển chọn loại một đóng hộp quà tặng Tết Nguyên Đán"]
# Lots use GS1's 82-character set, including the characters that must be escaped.
LOTS = ["TL/2024-07%", "A&B=C?1", "\"Q\"'(7)*+,", "x:y;z<>!_.", "L-01", None]
RUN_KEY = b"k" * 32


def records(n, *, pins=False, gtin="9520123456788"):
    for i, stamp_id in zip(count(), new_stamp_ids(n)):
        lot = LOTS[i % len(LOTS)]
        url = stamp_url(BASE, stamp_id, gtin=gtin if lot else None, lot=lot)
        yield LabelRecord(code=format_code(stamp_id), url=url,
                          product=PRODUCTS[i % len(PRODUCTS)], lot=lot,
                          pin=pin_for(RUN_KEY, stamp_id) if pins else None)


def label_at(template, point, dpi):
    """Index of the label whose rectangle holds a point given in page pixels."""
    x_pt, y_pt = point[0] * 72 / dpi, template.page_size[1] - point[1] * 72 / dpi
    width, height = template.label_mm[0] * mm, template.label_mm[1] * mm
    for index in range(template.per_page):
        left, bottom = template.label_origin(index)
        if left <= x_pt <= left + width and bottom <= y_pt <= bottom + height:
            return index
    raise AssertionError(f"QR at {point} is on no label")


@pytest.mark.parametrize("name, pages", [("a4-3x8", 1), ("a4-5x13", 1), ("roll-30x20", 6)])
def test_every_qr_on_a_full_sheet_decodes_to_its_stamps_url(name, pages):
    template = get_template(name)
    run = list(records(template.per_page * pages))
    out = io.BytesIO()
    assert write_pdf(iter(run), out, name) == pages
    dpi = 600 if name.startswith("roll") else 300
    images = pdf_pages(out.getvalue(), dpi=dpi)
    assert len(images) == pages
    for page_number, image in enumerate(images):
        found = {}
        for code in qr_codes(image):
            assert code.ec_level == "M"
            found[label_at(template, centre(code), dpi)] = code.text
        expected = run[page_number * template.per_page:(page_number + 1) * template.per_page]
        assert found == {i: record.url for i, record in enumerate(expected)}
    assert any("%2F" in r.url and "%25" in r.url for r in run)
    assert {parse_link(r.url).lot for r in run if "/01/" in r.url} == set(LOTS) - {None}


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_the_printed_text_is_the_vietnamese_name_lot_and_code(name):
    template = get_template(name)
    run = list(records(max(template.per_page, 6)))
    out = io.BytesIO()
    write_pdf(iter(run), out, name)
    # PDFium reads a dash ending a line as a soft hyphen (U+FFFE); lines may wrap.
    text = " ".join(pdf_text(out.getvalue())).replace("\ufffe", "-")
    solid = "".join(text.split())
    for record in run:
        assert record.code in solid
        # Long names are cut with an ellipsis on the smallest labels: the start is there.
        assert "".join(record.product.split()[:3]) in solid
        if record.lot:
            assert f"Lô{record.lot}" in solid


def test_the_label_font_has_every_vietnamese_letter():
    fonts = label_fonts()
    letters = ("aàảãáạăằẳẵắặâầẩẫấậbcdđeèẻẽéẹêềểễếệghiìỉĩíịklmnoòỏõóọôồổỗốộơờởỡớợpqrstu"
               "ùủũúụưừửữứựvxyỳỷỹýỵ")
    for font in (fonts.regular, fonts.bold):
        assert missing_glyphs(font, letters + letters.upper()) == []
    # The monospaced face prints codes and PINs only.
    assert missing_glyphs(fonts.mono, "0123456789ABCDEFGHJKMNPQRSTVWXYZ*~$=U-") == []


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_text_stays_inside_its_label(name):
    template = get_template(name)
    fonts = label_fonts()
    width, height = template.label_mm[0] * mm, template.label_mm[1] * mm
    box_x, box_y, box_w, box_h = template.text_box()
    for product in PRODUCTS:
        for lot in LOTS:
            text = template.label_text(fonts, product, lot, "7KQ2-M9XD-4TPA-W3", "Lô ")
            for line in text.fixed + text.code:
                assert line.x >= box_x and line.x + stringWidth(line.text, line.font,
                                                                line.size) <= box_x + box_w + 0.01
                assert box_y <= line.y and line.y + line.size <= height
            assert "".join(line.text for line in text.code) == "7KQ2-M9XD-4TPA-W3"
            assert width > box_x


def test_nothing_is_printed_between_the_labels_of_a_sheet():
    template = get_template("a4-5x13")
    out = io.BytesIO()
    write_pdf(records(template.per_page), out, "a4-5x13")
    (image,) = pdf_pages(out.getvalue(), dpi=150)
    scale = 150 / 72
    for col in range(template.columns - 1):
        left, _ = template.label_origin(col)
        gap_from = (left + template.label_mm[0] * mm) * scale + 1
        gap_to = template.label_origin(col + 1)[0] * scale - 1
        strip = image.crop((int(gap_from) + 1, 0, int(gap_to), image.height))
        assert strip.getextrema()[0] > 200, f"ink between columns {col} and {col + 1}"


def test_pin_sheet_has_each_codes_pin_in_the_same_place():
    template = get_template("a4-3x8")
    run = list(records(template.per_page, pins=True))
    out = io.BytesIO()
    write_pdf(iter(run), out, "a4-3x8", pins=True)
    (text,) = pdf_text(out.getvalue())
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for record in run:
        assert record.pin in lines and record.code in lines
    # PIN n is printed on label n: the page's text follows the grid order.
    assert [line for line in lines if line.isdigit()] == [r.pin for r in run]


def test_a_pin_sheet_needs_every_pin():
    with pytest.raises(SheetError) as caught:
        write_pdf(records(3), io.BytesIO(), "a4-3x8", pins=True)
    assert caught.value.reason == "pins"


def test_one_pdf_is_capped_and_the_message_says_what_to_do():
    with pytest.raises(SheetError, match="ZIP") as caught:
        write_pdf(records(25), io.BytesIO(), "a4-3x8", max_pages=1)
    assert caught.value.reason == "too_many"


class Recorder(io.RawIOBase):
    """An unseekable sink that notes how many records had been read at each write."""

    def __init__(self, pulled):
        self.pulled, self.data, self.seen = pulled, bytearray(), []

    def writable(self):
        return True

    def write(self, chunk):
        self.seen.append(self.pulled[0])
        self.data += chunk
        return len(chunk)


def test_zip_of_pdfs_streams_part_by_part_with_pin_sheets():
    template = get_template("a4-3x8")
    pulled = [0]

    def counted(source):
        for record in source:
            pulled[0] += 1
            yield record

    per_file = 2 * template.per_page
    sink = Recorder(pulled)
    summary = write_pdf_zip(counted(records(2 * per_file + 5, pins=True)), sink, "a4-3x8",
                            pages_per_file=2)
    # The first bytes went out when only the first part's records had been read.
    assert sink.seen[0] == per_file
    assert summary.files == ("labels-0001.pdf", "pins-0001.pdf", "labels-0002.pdf",
                             "pins-0002.pdf", "labels-0003.pdf", "pins-0003.pdf")
    assert (summary.labels, summary.pages) == (2 * per_file + 5, 5)
    with zipfile.ZipFile(io.BytesIO(bytes(sink.data))) as archive:
        assert archive.namelist() == list(summary.files)
        last = archive.read("labels-0003.pdf")
        (page,) = pdf_pages(last, dpi=200)
        assert len(qr_codes(page)) == 5
        assert len(pdf_pages(archive.read("pins-0001.pdf"), dpi=50)) == 2


def test_zip_without_pins_has_only_label_files():
    summary = write_pdf_zip(records(3), io.BytesIO(), "roll-30x20", pages_per_file=2)
    assert summary.files == ("labels-0001.pdf", "labels-0002.pdf")
    assert summary.pages == 3


def test_unknown_template_lists_the_known_ones():
    with pytest.raises(KeyError, match="a4-3x8"):
        get_template("letter-2x5")


def test_a_missing_font_is_a_clear_error(tmp_path):
    from labels.fonts import FontError
    with pytest.raises(FontError, match="Vietnamese"):
        label_fonts(str(tmp_path / "DejaVuSans.ttf"))
