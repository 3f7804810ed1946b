"""Carton labels (nhãn thùng) for shipments: one 100 × 150 mm label a page (the common
4 × 6 inch logistic label), as many pages a file as there are cartons.

From the top: the product in Vietnamese and English, the exporter and destination; the
lot, net weight, packing date and packing-house code beside the QR of the carton's
Digital Link (`/00/{sscc}`); the growing-area codes (mã số vùng trồng) that plant
quarantine checks at import; at the foot the GS1-128 barcode of (00) and the SSCC,
its digits printed under it. Codes and the lot are never cut short: text shrinks to
fit, and a label whose text cannot fit at half size is refused.

Text that cartons share (often a whole shipment's) is drawn once per document as a
form and placed by reference; only the barcode, the QR and the digits are per page.

Reasons (`CartonError.reason`; params in parentheses), besides the SSCC reasons of
`labels.sscc`:
- link (link, sscc): "The QR address %(link)s is not the Digital Link of SSCC %(sscc)s."
- net_weight (weight): "The net weight must be more than 0 kg, not %(weight)s."
- too_long (section): "The %(section)s text does not fit a carton label even at half
  size: shorten it."
- empty: "There are no carton labels to print."
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from itertools import islice
from typing import BinaryIO, Iterable

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from labels.digital_link import DigitalLinkError, parse_sscc_link
from labels.fonts import LabelFonts, label_fonts
from labels.gs1_128 import QUIET_MODULES, draw_bars, module_for, sscc_bars
from labels.qr import QrPath, draw_qr, qr_paths
from labels.sheets import binary_streams
from labels.sscc import format_sscc, validate_sscc
from labels.templates.base import LEADING, MIN_PT, TextLine
from labels.textfit import fit, wrap

PAGE_MM = (100, 150)
MARGIN_MM = 4
# Heights from the foot, in mm: digits' baseline, bars, then the three text sections.
DIGITS_MM, DIGITS_PT = 5.5, 11
BARS_MM, BARS_HEIGHT_MM = 10.5, 32  # GS1 asks at least 31.75 mm for an SSCC
ORCHARDS_BOX_MM = (47, 22)
MIDDLE_BOX_MM = (73, 32)
TOP_BOX_MM = (109, 37)
RULES_MM = (45, 71, 107)
QR_MM = 32
CAPTION_PT, MIN_CAPTION_PT = 6.5, 5
# How far above and below the baseline DejaVu's letters reach, in em: Vietnamese marks
# stacked on capitals (Ầ, Ộ) reach 1.09.
ASCENT, DESCENT = 1.1, 0.24
MIN_SCALE = 0.5
CHUNK = 200


@dataclass(frozen=True)
class CartonLabel:
    """One carton to label. `link` is its Digital Link (`labels.digital_link.sscc_link`)
    and must name the same SSCC. `company_prefix`, when given, is checked against the
    SSCC and shows where the prefix ends in the printed digits."""
    sscc: str
    link: str
    product: str
    product_en: str | None
    lot: str
    net_weight_kg: Decimal | float
    orchard_codes: tuple[str, ...]  # mã số vùng trồng
    packing_house_code: str | None  # mã số cơ sở đóng gói
    exporter: str
    destination: str
    packed_on: date
    company_prefix: str | None = None

    def __post_init__(self):
        # A list would make the label unhashable, and shared text is cached by label.
        object.__setattr__(self, "orchard_codes", tuple(self.orchard_codes))


class CartonError(ValueError):
    """A carton label that cannot be printed (see the module docstring)."""

    def __init__(self, reason: str, message: str, **params):
        self.reason = reason
        self.params = params
        self.message = message % params if params else message
        super().__init__(self.message)


@dataclass(frozen=True)
class _Block:
    """A piece of text: an optional caption line above it, then the text wrapped to
    at most `max_lines` lines (cut with an ellipsis at the smallest size), or to as
    many as it takes when `max_lines` is None."""
    caption: str | None
    text: str
    bold: bool
    size: float
    max_lines: int | None = None


def _box(bottom_mm: float, height_mm: float, right_mm: float = 0) -> tuple[float, ...]:
    width = PAGE_MM[0] - 2 * MARGIN_MM - right_mm
    return MARGIN_MM * mm, bottom_mm * mm, width * mm, height_mm * mm


def net_weight_text(weight: Decimal | float) -> str:
    """"12.5 kg": as many decimals as the weight has, no exponent."""
    try:
        value = weight if isinstance(weight, Decimal) else Decimal(repr(float(weight)))
    except (TypeError, ValueError, InvalidOperation):
        value = Decimal("NaN")
    if not value.is_finite() or value <= 0:
        raise CartonError("net_weight", "The net weight must be more than 0 kg, not "
                          "%(weight)s.", weight=weight)
    return f"{value.normalize():f} kg"


def _sections(label: CartonLabel) -> dict[str, tuple[tuple[float, ...], list[_Block]]]:
    top = [_Block(None, label.product, True, 16, 2)]
    if label.product_en:
        top.append(_Block(None, label.product_en, False, 11, 2))
    top += [_Block(None, f"Nhà xuất khẩu / Exporter: {label.exporter}", False, 9),
            _Block(None, f"Nơi đến / Destination: {label.destination}", False, 9)]
    middle = [_Block("Lô / Lot", label.lot, True, 12),
              _Block("Khối lượng tịnh / Net weight", net_weight_text(label.net_weight_kg),
                     True, 12),
              _Block("Ngày đóng gói / Packed on", label.packed_on.strftime("%Y-%m-%d"),
                     True, 12)]
    if label.packing_house_code:
        middle.append(_Block("Mã số cơ sở đóng gói / Packing house",
                             label.packing_house_code, True, 11))
    orchards = [_Block("Mã số vùng trồng / Orchard codes",
                       ", ".join(label.orchard_codes) or "—", False, 9)]
    return {"product": (_box(*TOP_BOX_MM), top),
            "details": (_box(*MIDDLE_BOX_MM, right_mm=QR_MM + 2), middle),
            "orchard codes": (_box(*ORCHARDS_BOX_MM), orchards)}


def _rows(fonts: LabelFonts, blocks: list[_Block], width: float,
          scale: float) -> list[tuple[str, float, str]]:
    rows = []
    for block in blocks:
        if block.caption:
            rows.append((fonts.regular, max(MIN_CAPTION_PT, CAPTION_PT * scale),
                         block.caption))
        font = fonts.bold if block.bold else fonts.regular
        size = block.size * scale
        if block.max_lines:
            size, lines = fit(block.text, font, width, block.max_lines, size,
                              max(MIN_PT, size * 0.7))
        else:
            lines = wrap(block.text, font, size, width)
        rows.extend((font, size, line) for line in lines)
    return rows


def _height(rows: list[tuple[str, float, str]]) -> float:
    """From the top of the first line to the bottom of the last."""
    last = rows[-1][1]
    return sum(size for _, size, _ in rows) * LEADING - last * LEADING \
        + last * (ASCENT + DESCENT)


def _flow(fonts: LabelFonts, section: str, box: tuple[float, ...],
          blocks: list[_Block]) -> list[TextLine]:
    """The blocks' lines from the top of the box down, all shrunk alike until they fit."""
    x, y, width, height = box
    scale = 1.0
    rows = _rows(fonts, blocks, width, scale)
    while _height(rows) > height:
        scale *= 0.93
        rows = _rows(fonts, blocks, width, scale)
        if scale < MIN_SCALE:
            raise CartonError("too_long", "The %(section)s text does not fit a carton label "
                              "even at half size: shorten it.", section=section)
    lines, top = [], y + height
    for font, size, text in rows:
        lines.append(TextLine(font, size, x, top - size * ASCENT, text))
        top -= size * LEADING
    return lines


@lru_cache(maxsize=256)
def shared_text(fonts: LabelFonts, label: CartonLabel) -> tuple[TextLine, ...]:
    """Every line of text on the label but the SSCC's digits, in points from the page's
    bottom left. Cached: pass the label with `sscc` and `link` blanked to share it."""
    lines: list[TextLine] = []
    for section, (box, blocks) in _sections(label).items():
        lines += _flow(fonts, section, box, blocks)
    return tuple(lines)


def _draw_shared(canvas: Canvas, fonts: LabelFonts, label: CartonLabel,
                 forms: dict) -> None:
    shared = replace(label, sscc="", link="")
    name = forms.get(shared)
    if name is None:
        name = forms[shared] = f"CartonText{len(forms)}"
        canvas.beginForm(name, 0, 0, PAGE_MM[0] * mm, PAGE_MM[1] * mm)
        current = None
        for line in shared_text(fonts, shared):
            if (line.font, line.size) != current:
                canvas.setFont(line.font, line.size)
                current = (line.font, line.size)
            canvas.drawString(line.x, line.y, line.text)
        canvas.setLineWidth(0.75)
        for rule in RULES_MM:
            canvas.line(MARGIN_MM * mm, rule * mm, (PAGE_MM[0] - MARGIN_MM) * mm, rule * mm)
        canvas.endForm()
    canvas.doForm(name)


def _checked_sscc(label: CartonLabel) -> str:
    sscc = validate_sscc(label.sscc, label.company_prefix)
    try:
        linked = parse_sscc_link(label.link).sscc
    except DigitalLinkError as exc:
        raise CartonError("link", "The QR address %(link)s is not the Digital Link of "
                          "SSCC %(sscc)s.", link=label.link, sscc=sscc) from exc
    if linked != sscc:
        raise CartonError("link", "The QR address %(link)s is not the Digital Link of "
                          "SSCC %(sscc)s.", link=label.link, sscc=sscc)
    return sscc


def _draw_page(canvas: Canvas, fonts: LabelFonts, label: CartonLabel, sscc: str,
               qr: QrPath, forms: dict) -> None:
    page_width = PAGE_MM[0] * mm
    _draw_shared(canvas, fonts, label, forms)
    draw_qr(canvas, qr, page_width - (MARGIN_MM + QR_MM) * mm, MIDDLE_BOX_MM[0] * mm,
            QR_MM * mm)
    bars = sscc_bars(sscc)
    module = module_for(bars, page_width - 2 * MARGIN_MM * mm)
    left = (page_width - bars.width_with_quiet_zones * module) / 2 + QUIET_MODULES * module
    draw_bars(canvas, bars, left, BARS_MM * mm, module, BARS_HEIGHT_MM * mm)
    prefix_length = len(label.company_prefix) if label.company_prefix else None
    canvas.setFont(fonts.mono, DIGITS_PT)
    canvas.drawCentredString(page_width / 2, DIGITS_MM * mm,
                             format_sscc(sscc, prefix_length))
    canvas.showPage()


def write_carton_pdf(labels: Iterable[CartonLabel], out: BinaryIO, *,
                     font_path: str | None = None) -> int:
    """One PDF page per carton label, in order; returns the page count. Every label is
    checked (SSCC, its link, weight, text fitting) before it is drawn: CartonError or
    `labels.sscc.SsccError` for the first that fails, and nothing is written then."""
    fonts = label_fonts(font_path)
    canvas = Canvas(out, pagesize=(PAGE_MM[0] * mm, PAGE_MM[1] * mm), pageCompression=1,
                    invariant=1)
    canvas.setTitle("AgriTrace carton labels")
    forms: dict = {}
    pages = 0
    iterator = iter(labels)
    while chunk := list(islice(iterator, CHUNK)):
        ssccs = [_checked_sscc(label) for label in chunk]
        for label in chunk:
            shared_text(fonts, replace(label, sscc="", link=""))
        for label, sscc, qr in zip(chunk, ssccs, qr_paths([x.link for x in chunk])):
            _draw_page(canvas, fonts, label, sscc, qr, forms)
        pages += len(chunk)
    if not pages:
        raise CartonError("empty", "There are no carton labels to print.")
    with binary_streams():
        canvas.save()
    return pages
