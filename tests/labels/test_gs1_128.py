"""GS1-128 barcodes drawn as vector bars, read back by ZXing as a scanner reads them."""
import io

import pytest
import zxingcpp
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from labels.gs1_128 import FNC1, QUIET_MODULES, draw_bars, gs1_128, module_for, sscc_bars
from labels.sscc import SsccError
from labels_support import code128_codes, pdf_pages

GS1_EXAMPLE = "106141412345678908"


def test_an_sscc_is_start_c_fnc1_then_digit_pairs():
    symbol = sscc_bars(GS1_EXAMPLE)
    start_c, stop = 105, 106
    pairs = [int("00106141412345678908"[i:i + 2]) for i in range(0, 20, 2)]
    body = [start_c, FNC1, *pairs]
    check = (body[0] + sum(i * value for i, value in enumerate(body[1:], 1))) % 103
    assert symbol.codewords == (*body, check, stop)
    # 11 modules a symbol value, 13 for the stop; bars and spaces alternate.
    assert symbol.width == 11 * 13 + 13 == 156
    assert symbol.bars[0] == (0, 2) and symbol.bars[-1][0] + symbol.bars[-1][1] == 156


def test_the_module_fits_the_width_within_gs1s_sizes():
    symbol = sscc_bars(GS1_EXAMPLE)
    assert module_for(symbol, 92 * mm) == pytest.approx(92 * mm / 176)
    assert module_for(symbol, 500 * mm) == pytest.approx(1.016 * mm)
    with pytest.raises(ValueError, match="too narrow"):
        module_for(symbol, 80 * mm)


def test_a_wrong_sscc_or_element_string_is_refused():
    with pytest.raises(SsccError):
        sscc_bars("106141412345678901")
    with pytest.raises(ValueError, match="FNC1"):
        gs1_128("00106141412345678908")
    with pytest.raises(ValueError, match="ASCII"):
        gs1_128("^10LÔ1")


def scan(symbols, module_mm=0.5, dpi=300):
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(210 * mm, 60 * mm))
    for symbol in symbols:
        draw_bars(canvas, symbol, (5 + QUIET_MODULES * module_mm) * mm, 10 * mm,
                  module_mm * mm, 32 * mm)
        canvas.showPage()
    canvas.save()
    return [code128_codes(page) for page in pdf_pages(out.getvalue(), dpi=dpi)]


def test_scanners_read_gs1_content_with_the_ai():
    (found,), (other,) = scan([sscc_bars(GS1_EXAMPLE),
                               gs1_128("^0109520123456788" "10ABC1^21X")])
    assert found.symbology_identifier == "]C1"   # Code 128 with FNC1 first: GS1-128
    assert found.content_type == zxingcpp.ContentType.GS1
    assert bytes(found.bytes) == b"00" + GS1_EXAMPLE.encode()
    assert found.text == f"(00){GS1_EXAMPLE}"
    # A variable-length value is ended by FNC1 (the group separator to a scanner).
    assert other.symbology_identifier == "]C1"
    assert other.text == "(01)09520123456788(10)ABC1(21)X"
