"""Carton labels, checked as a packing house and a border scanner see them: pages
rasterised by PDFium, the GS1-128 barcode and the QR decoded by ZXing, the printed
text extracted."""
import io
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
import zxingcpp
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth

from labels.carton import (ASCENT, DESCENT, MARGIN_MM, MIDDLE_BOX_MM, PAGE_MM, QR_MM,
                           RULES_MM, CartonError, CartonLabel, net_weight_text,
                           shared_text, write_carton_pdf)
from labels.digital_link import parse_sscc_link, sscc_link
from labels.fonts import label_fonts
from labels.sscc import SsccError, build_sscc
from labels_support import code128_codes, pdf_pages, pdf_text, qr_codes

BASE = "https://trace.example.vn"
PREFIX = "8930000"
PRODUCTS = [("Sầu riêng Ri6 Đắk Lắk", "Ri6 durian"), ("Thanh long ruột đỏ", None),
            ("Xoài cát Hòa Lộc tuyển chọn loại một xuất khẩu đóng thùng carton",
             "Hoa Loc mango, selected grade one, export carton")]


def carton(serial, *, orchards=3, **changes):
    sscc = build_sscc(PREFIX, serial, extension=serial % 10)
    product, product_en = PRODUCTS[serial % len(PRODUCTS)]
    label = CartonLabel(
        sscc=sscc, link=sscc_link(BASE, sscc), product=product, product_en=product_en,
        lot=f"SR-2025/{serial // 5:03d}", net_weight_kg=Decimal("18.500"),
        orchard_codes=tuple(f"VN-TNOR-{n:04d}" for n in range(1, orchards + 1)),
        packing_house_code="VN-DLPH-0123", exporter="Công ty TNHH Nông sản Tây Nguyên",
        destination="Trung Quốc / China", packed_on=date(2025, 3, 14))
    return replace(label, **changes)


def test_every_page_of_a_20_page_pdf_scans_to_its_cartons_sscc_and_link():
    run = [carton(serial) for serial in range(1, 21)]
    out = io.BytesIO()
    assert write_carton_pdf(iter(run), out) == 20
    pages = pdf_pages(out.getvalue(), dpi=200)
    assert len(pages) == 20
    for label, page in zip(run, pages):
        (bars,) = code128_codes(page)
        assert bars.symbology_identifier == "]C1"   # FNC1 first: GS1-128
        assert bars.content_type == zxingcpp.ContentType.GS1
        assert bytes(bars.bytes) == f"00{label.sscc}".encode()
        assert bars.text == f"(00){label.sscc}"
        (qr,) = qr_codes(page)
        assert qr.text == label.link == f"{BASE}/00/{label.sscc}"
        assert parse_sscc_link(qr.text).sscc == label.sscc


def test_the_printed_text_is_vietnamese_and_english():
    label = carton(2, company_prefix=PREFIX)
    out = io.BytesIO()
    write_carton_pdf([label], out)
    (text,) = pdf_text(out.getvalue())
    flat = " ".join(text.split())
    for expected in ("Xoài cát Hòa Lộc", "Hoa Loc mango", "Lô / Lot", label.lot,
                     "Khối lượng tịnh / Net weight", "18.5 kg", "Ngày đóng gói / Packed on",
                     "2025-03-14", "Mã số vùng trồng / Orchard codes",
                     "VN-TNOR-0001, VN-TNOR-0002, VN-TNOR-0003",
                     "Mã số cơ sở đóng gói / Packing house", "VN-DLPH-0123",
                     "Nhà xuất khẩu / Exporter: Công ty TNHH Nông sản Tây Nguyên",
                     "Nơi đến / Destination: Trung Quốc / China",
                     f"(00) 2 {PREFIX} 000000002 {label.sscc[-1]}"):
        assert expected in flat


@pytest.mark.parametrize("serial, changes", [
    (6, {}), (7, {}), (8, {}),
    (9, {"product": "SẦU RIÊNG ĐẮK LẮK LOẠI MỘT", "packing_house_code": None}),
    (10, {"exporter": "Hợp tác xã " * 20, "destination": "Cảng Hải Phòng " * 10})])
def test_many_orchard_codes_all_print_and_nothing_overprints(serial, changes):
    fonts = label_fonts()
    label = carton(serial, orchards=60, **changes)
    lines = shared_text(fonts, replace(label, sscc="", link=""))
    printed = " ".join(line.text for line in lines)
    for n in range(1, 61):
        assert f"VN-TNOR-{n:04d}" in printed
    page_width = PAGE_MM[0] * mm
    qr_left = page_width - (MARGIN_MM + QR_MM) * mm
    qr_bottom, qr_top = MIDDLE_BOX_MM[0] * mm, (MIDDLE_BOX_MM[0] + QR_MM) * mm
    for line in lines:
        right = line.x + stringWidth(line.text, line.font, line.size)
        assert MARGIN_MM * mm <= line.x and right <= page_width - MARGIN_MM * mm
        # Above the barcode and its digits, below the top margin, across no rule …
        bottom, top = line.y - DESCENT * line.size, line.y + ASCENT * line.size
        assert RULES_MM[0] * mm < bottom and top <= (PAGE_MM[1] - MARGIN_MM) * mm
        assert not any(bottom < rule * mm < top for rule in RULES_MM)
        # … and beside the QR, not on it.
        if qr_bottom < top and bottom < qr_top:
            assert right <= qr_left
    out = io.BytesIO()
    write_carton_pdf([label], out)
    assert "VN-TNOR-0060" in pdf_text(out.getvalue())[0]


def test_orchard_codes_that_cannot_fit_are_refused_not_cut():
    with pytest.raises(CartonError) as caught:
        write_carton_pdf([carton(1, orchards=300)], io.BytesIO())
    assert caught.value.reason == "too_long"
    assert "orchard codes" in str(caught.value)


@pytest.mark.parametrize("changes, error, reason", [
    ({"link": sscc_link(BASE, build_sscc(PREFIX, 999))}, CartonError, "link"),
    ({"link": "https://trace.example.vn/s/7KQ2M9XD4TPAW3"}, CartonError, "link"),
    ({"sscc": "089300000000000012"}, SsccError, "check_digit"),
    ({"company_prefix": "8930001"}, SsccError, "prefix"),
    ({"net_weight_kg": 0}, CartonError, "net_weight"),
    ({"net_weight_kg": Decimal("NaN")}, CartonError, "net_weight"),
])
def test_a_wrong_label_is_refused_and_nothing_is_written(changes, error, reason):
    out = io.BytesIO()
    with pytest.raises(error) as caught:
        write_carton_pdf([carton(1), carton(2, **changes)], out)
    assert caught.value.reason == reason
    assert out.getvalue() == b""


def test_no_labels_is_an_error():
    with pytest.raises(CartonError) as caught:
        write_carton_pdf([], io.BytesIO())
    assert caught.value.reason == "empty"


@pytest.mark.parametrize("weight, text", [
    (Decimal("18.500"), "18.5 kg"), (Decimal("20"), "20 kg"), (12.0, "12 kg"),
    (0.25, "0.25 kg"), (Decimal("1E+1"), "10 kg")])
def test_net_weight_is_printed_without_trailing_zeros(weight, text):
    assert net_weight_text(weight) == text


def test_a_list_of_orchard_codes_is_kept_as_a_tuple():
    label = carton(1, orchard_codes=["VN-TNOR-0009"])
    assert label.orchard_codes == ("VN-TNOR-0009",)
    assert hash(label)


def test_500_labels_render():
    run = (carton(serial, orchards=1 + serial % 12) for serial in range(1, 501))
    out = io.BytesIO()
    assert write_carton_pdf(run, out) == 500
    last = pdf_pages(out.getvalue(), dpi=150)[-1]
    (bars,) = code128_codes(last)
    assert bars.text == f"(00){build_sscc(PREFIX, 500)}"
