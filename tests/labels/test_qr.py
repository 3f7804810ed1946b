"""QR symbols: the batch encoder against the qrcode package, and the vector outputs
read back by a real renderer (Cairo, PDFium) and a real reader (ZXing)."""
import io
import re
from xml.etree import ElementTree

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reportlab.pdfgen.canvas import Canvas

from labels.codes import compact_code, new_stamp_ids
from labels.qr import (QUIET_ZONE, QrMatrix, draw_qr, qr_matrices, qr_matrix, qr_path,
                       qr_paths, to_svg)
from labels_support import pdf_pages, qr_codes, svg_image

URL = "https://trace.example.vn/01/09520123456788/10/TL-2024%2F07/21/"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=180), min_size=1, max_size=6))
def test_batch_matrices_are_the_qrcode_packages(texts):
    assert qr_matrices(texts) == [qr_matrix(text) for text in texts]


def test_batch_matrices_for_a_run_of_stamp_urls():
    urls = [URL + compact_code(i) for i in new_stamp_ids(300)]
    urls += [f"https://trace.example.vn/s/{compact_code(i)}" for i in new_stamp_ids(300)]
    assert qr_matrices(urls) == [qr_matrix(url) for url in urls]


def paint(rectangles, size):
    grid = [[0] * size for _ in range(size)]
    for x, y, w, h in rectangles:
        for row in range(y, y + h):
            for col in range(x, x + w):
                assert grid[row][col] == 0, "rectangles overlap"
                grid[row][col] = 1
    return tuple(bytes(row) for row in grid)


@pytest.mark.parametrize("text", ["x", URL + "7KQ2M9XD4TPAW3", "Thanh long ruột đỏ " * 20])
def test_rectangles_cover_exactly_the_dark_modules(text):
    matrix = qr_matrix(text)
    assert paint(matrix.rectangles, matrix.size) == matrix.rows
    # Fewer rectangles than dark modules: runs and stacks are merged.
    assert len(matrix.rectangles) < sum(sum(row) for row in matrix.rows) / 2


def numbers(data):
    return [int(n) for n in re.findall(r"\d+", data)]


@pytest.mark.parametrize("kind, fields", [("pdf", 4), ("svg", 5)])
def test_batch_paths_hold_the_same_rectangles(kind, fields):
    texts = [URL + compact_code(i) for i in new_stamp_ids(20)] + ["x" * 400]
    for text, path in zip(texts, qr_paths(texts, kind)):
        single = qr_path(qr_matrix(text), kind)
        assert path.width == single.width == qr_matrix(text).size + 2 * QUIET_ZONE
        batch, one = numbers(path.data), numbers(single.data)
        assert sorted(zip(*[iter(batch)] * fields)) == sorted(zip(*[iter(one)] * fields))


@pytest.mark.parametrize("symbol", ["matrix", "batch"])
def test_svg_is_one_crisp_path_that_a_reader_decodes(symbol):
    text = URL + "7KQ2M9XD4TPAW3"
    source = qr_matrix(text) if symbol == "matrix" else qr_paths([text], "svg")[0]
    svg = to_svg(source, size="20mm", title=text)
    assert svg.count("<path") == 1 and 'shape-rendering="crispEdges"' in svg
    width = qr_matrix(text).size + 2 * QUIET_ZONE
    image = svg_image(svg, width * 10)
    (code,) = qr_codes(image)
    assert code.text == text
    assert code.ec_level == "M"
    # The finder pattern starts after 4 light modules (10 px each).
    assert (code.position.top_left.x, code.position.top_left.y) == (40, 40)


def test_svg_is_well_formed_with_any_title():
    title = 'https://a/01/09520123456788/10/<b>&"x"'
    root = ElementTree.fromstring(to_svg(qr_matrix("a"), title=title))
    assert root.find("{http://www.w3.org/2000/svg}title").text == title


@pytest.mark.parametrize("source", ["matrix", "batch"])
def test_drawn_on_a_pdf_canvas_it_decodes(source):
    texts = [URL + compact_code(i) for i in new_stamp_ids(4)]
    symbols = [qr_matrix(t) for t in texts] if source == "matrix" else qr_paths(texts)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(400, 400))
    for i, symbol in enumerate(symbols):
        draw_qr(canvas, symbol, 20 + (i % 2) * 190, 20 + (i // 2) * 190, 170)
    canvas.save()
    (page,) = pdf_pages(buffer.getvalue(), dpi=150)
    assert sorted(c.text for c in qr_codes(page)) == sorted(texts)


def test_draw_qr_refuses_svg_paths_and_svg_refuses_pdf_paths():
    with pytest.raises(ValueError):
        to_svg(qr_path(qr_matrix("a"), "pdf"))
    with pytest.raises(ValueError):
        draw_qr(Canvas(io.BytesIO()), qr_path(qr_matrix("a"), "svg"), 0, 0, 10)
    assert isinstance(qr_matrix("a"), QrMatrix)
