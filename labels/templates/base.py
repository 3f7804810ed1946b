"""What a label sheet template is: the page, the grid of labels, and how one label is
laid out. The default layout puts the QR on the left, vertically centred, and the
product name, lot and code to its right; a template with another arrangement
overrides `draw_label` / `draw_pin`.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth

from labels.fonts import LabelFonts
from labels.qr import QrMatrix, QrPath, draw_qr
from labels.textfit import fit

LEADING = 1.18          # line height as a multiple of the font size
MIN_SHRINK = 0.7        # text may shrink to 70 % of the template's size …
MIN_PT = 3.5            # … but never below this


@dataclass(frozen=True)
class TextLine:
    font: str
    size: float
    x: float
    y: float
    text: str


@dataclass(frozen=True)
class LabelText:
    """A label's text: `fixed` lines (product, lot) and the `code` lines."""
    fixed: tuple[TextLine, ...]
    code: tuple[TextLine, ...]


@dataclass(frozen=True)
class SheetTemplate:
    """A sheet (or roll page) of identical labels. Lengths in millimetres, font sizes
    in points. `qr_mm` is the QR side with its quiet zone; by default the label height
    less the padding."""
    name: str
    title: str
    page_mm: tuple[float, float]
    label_mm: tuple[float, float]
    columns: int
    rows: int
    margin_left_mm: float
    margin_top_mm: float
    pitch_mm: tuple[float, float]
    padding_mm: float
    gap_mm: float
    product_pt: float
    product_lines: int
    lot_pt: float
    code_pt: float
    pin_pt: float
    qr_mm: float | None = None

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    @property
    def page_size(self) -> tuple[float, float]:
        """Page width and height in points."""
        return self.page_mm[0] * mm, self.page_mm[1] * mm

    @property
    def qr_side(self) -> float:
        side = self.qr_mm if self.qr_mm is not None else self.label_mm[1] - 2 * self.padding_mm
        return side * mm

    def label_origin(self, index: int) -> tuple[float, float]:
        """Bottom-left corner, in points, of the `index`-th label of a page (row by row
        from the top left)."""
        row, col = divmod(index, self.columns)
        x = (self.margin_left_mm + col * self.pitch_mm[0]) * mm
        top = (self.page_mm[1] - self.margin_top_mm - row * self.pitch_mm[1]) * mm
        return x, top - self.label_mm[1] * mm

    def text_box(self) -> tuple[float, float, float, float]:
        """x, y, width, height of the text column, relative to the label's origin."""
        pad = self.padding_mm * mm
        x = pad + self.qr_side + self.gap_mm * mm
        return x, pad, self.label_mm[0] * mm - pad - x, self.label_mm[1] * mm - 2 * pad

    # Layout

    def label_text(self, fonts: LabelFonts, product: str, lot: str | None, code: str,
                   lot_prefix: str) -> LabelText:
        """The text of one label, positioned relative to the label's origin."""
        return _label_text(self, fonts, product, lot or "", code, lot_prefix)

    def draw_label(self, canvas, x: float, y: float, qr: QrMatrix | QrPath,
                   text: LabelText, forms: dict | None = None) -> None:
        """Draw one label with its bottom left at (x, y). `forms` (one dict per
        canvas) lets the product and lot, the same on a whole run, be drawn once per
        document as a form and placed by reference: text is the slow part of a page."""
        pad = self.padding_mm * mm
        side = self.qr_side
        draw_qr(canvas, qr, x + pad, y + (self.label_mm[1] * mm - side) / 2, side)
        if forms is None:
            _draw_lines(canvas, x, y, text.fixed)
        else:
            name = forms.get(text.fixed)
            if name is None:
                name = forms[text.fixed] = f"LabelText{len(forms)}"
                canvas.beginForm(name, 0, 0, self.label_mm[0] * mm, self.label_mm[1] * mm)
                _draw_lines(canvas, 0, 0, text.fixed)
                canvas.endForm()
            canvas.addLiteral(f"q 1 0 0 1 {x:.3f} {y:.3f} cm")
            canvas.doForm(name)
            canvas.addLiteral("Q")
        _draw_lines(canvas, x, y, text.code)

    def draw_pin(self, canvas, x: float, y: float, fonts: LabelFonts, code: str,
                 pin: str) -> None:
        """The scratch-off layer's label: the PIN large, the code it belongs to below."""
        width, height = self.label_mm[0] * mm, self.label_mm[1] * mm
        pad = self.padding_mm * mm
        pin_size = _shrink_to(pin, fonts.mono, self.pin_pt, width - 2 * pad)
        code_size = _shrink_to(code, fonts.mono, self.code_pt, width - 2 * pad)
        base = y + (height - pin_size - code_size * LEADING) / 2

        def centred(text: str, size: float, line_y: float) -> TextLine:
            left = x + (width - stringWidth(text, fonts.mono, size)) / 2
            return TextLine(fonts.mono, size, left, line_y, text)

        _draw_lines(canvas, 0, 0, (
            centred(code, code_size, base),
            centred(pin, pin_size, base + code_size * LEADING + pin_size * 0.1),
        ))


def _draw_lines(canvas, x: float, y: float, lines: tuple[TextLine, ...]) -> None:
    current = None
    for line in lines:
        if (line.font, line.size) != current:
            canvas.setFont(line.font, line.size)
            current = (line.font, line.size)
        canvas.drawString(x + line.x, y + line.y, line.text)


def _shrink_to(text: str, font: str, size: float, width: float) -> float:
    while size > MIN_PT and stringWidth(text, font, size) > width:
        size -= 0.25
    return size


def code_lines(code: str, font: str, size: float, width: float) -> tuple[float, tuple[str, ...]]:
    """The grouped code on one line if it fits there at (nearly) the template's size,
    else split after the second group (`7KQ2-M9XD-` / `4TPA-W3`), whichever prints
    larger: people copy it by eye."""
    one = _shrink_to(code, font, size, width)
    if one >= size * 0.95:
        return one, (code,)
    parts = code.split("-")
    half = (len(parts) + 1) // 2
    lines = ("-".join(parts[:half]) + "-", "-".join(parts[half:]))
    widest = max(lines, key=lambda s: stringWidth(s, font, size))
    two = _shrink_to(widest, font, size, width)
    return (two, lines) if two > one else (one, (code,))


def _label_text(template: SheetTemplate, fonts: LabelFonts, product: str, lot: str,
                code: str, lot_prefix: str) -> LabelText:
    # Every code of a run has the same length and the code font is monospaced, so the
    # layout is computed once per (product, lot) on a stand-in code and the real
    # code's characters are put into its lines.
    stand_in = "".join("-" if c == "-" else "0" for c in code)
    fixed, code_specs = _layout(template, fonts, product, lot, stand_in, lot_prefix)
    return LabelText(fixed, tuple(TextLine(font, size, x, y, code[start:end])
                                  for font, size, x, y, start, end in code_specs))


@lru_cache(maxsize=1024)
def _layout(template: SheetTemplate, fonts: LabelFonts, product: str, lot: str, code: str,
            lot_prefix: str):
    x, y, width, height = template.text_box()
    scale = 1.0
    while True:
        size = template.product_pt * scale
        p_size, p_lines = fit(product, fonts.bold, width, template.product_lines, size,
                              max(MIN_PT, size * MIN_SHRINK))
        size = template.lot_pt * scale
        # A lot is wrapped rather than cut: a shortened lot would name another batch.
        l_size, l_lines = fit(f"{lot_prefix}{lot}", fonts.regular, width, 2, size,
                              max(MIN_PT, size * MIN_SHRINK)) if lot else (size, ())
        c_size, c_lines = code_lines(code, fonts.mono, template.code_pt * scale, width)
        used = (len(p_lines) * p_size + len(l_lines) * l_size
                + len(c_lines) * c_size) * LEADING
        if used <= height or scale < 0.5:
            break
        scale *= 0.9
    fixed = []
    top = y + height
    for i, text in enumerate(p_lines):
        fixed.append(TextLine(fonts.bold, p_size, x, top - p_size * (0.9 + i * LEADING), text))
    lot_top = top - p_size * (0.9 + (len(p_lines) - 1) * LEADING) - l_size * LEADING * 1.1
    for i, text in enumerate(l_lines):
        fixed.append(TextLine(fonts.regular, l_size, x, lot_top - i * l_size * LEADING, text))
    code_specs, start = [], 0
    for i, text in enumerate(c_lines):
        line_y = y + c_size * (0.25 + (len(c_lines) - 1 - i) * LEADING)
        code_specs.append((fonts.mono, c_size, x, line_y, start, start + len(text)))
        start += len(text)
    return tuple(fixed), tuple(code_specs)
