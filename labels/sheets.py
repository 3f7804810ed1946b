"""PDF label sheets: the QR (vector), the grouped code, product name and lot on every
label, in one of the templates of `labels.templates`; and the matching PIN sheets.

Memory. reportlab's canvas keeps every finished page (its content stream, as text)
until `save()`, whatever `pageCompression` says: compression happens while saving.
A sheet PDF therefore costs memory in proportion to its pages, ~0.3 MB per a4-5x13
page. So one PDF is capped (`write_pdf`, `max_pages`), and a run of any size is
written by `write_pdf_zip` as a ZIP of complete PDFs of `pages_per_file` pages each:
records are read from the iterable one file's worth at a time, that PDF is built,
saved into the ZIP entry and dropped before the next records are read. Peak memory
is one part's, whatever the run's size.
"""
from __future__ import annotations

import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from typing import BinaryIO, Iterable, Iterator

from reportlab import rl_config
from reportlab.pdfgen.canvas import Canvas

from labels.codes import group, normalize_code
from labels.fonts import LabelFonts, label_fonts
from labels.qr import qr_paths
from labels.templates import SheetTemplate, get_template

DEFAULT_LOT_PREFIX = "Lô "
MAX_PAGES = 500
PAGES_PER_FILE = 250


@dataclass(frozen=True)
class LabelRecord:
    """One stamp to print: its code (any accepted spelling; printed grouped), the URL
    its QR holds, the product name and lot printed beside it, and its PIN if the run
    has scratch-off PINs."""
    code: str
    url: str
    product: str
    lot: str | None = None
    pin: str | None = None


class SheetError(ValueError):
    """Records that cannot be printed as asked: `reason` is "too_many" (params pages,
    max_pages) or "pins" (some records have a PIN and others not)."""

    def __init__(self, reason: str, message: str, **params):
        self.reason = reason
        self.params = params
        super().__init__(message % params if params else message)


@dataclass(frozen=True)
class PdfZipSummary:
    """What `write_pdf_zip` wrote: entry names in order, labels and pages."""
    files: tuple[str, ...]
    labels: int
    pages: int


def _template(template: str | SheetTemplate) -> SheetTemplate:
    return get_template(template) if isinstance(template, str) else template


def _pages(template: SheetTemplate, count: int) -> int:
    return -(-count // template.per_page)


def _draw_labels(canvas: Canvas, template: SheetTemplate, fonts: LabelFonts,
                 records: list[LabelRecord], lot_prefix: str) -> None:
    per_page = template.per_page
    forms: dict = {}
    for start in range(0, len(records), per_page):
        page = records[start:start + per_page]
        for index, (record, qr) in enumerate(zip(page, qr_paths([r.url for r in page]))):
            x, y = template.label_origin(index)
            printed = group(normalize_code(record.code))
            text = template.label_text(fonts, record.product, record.lot, printed, lot_prefix)
            template.draw_label(canvas, x, y, qr, text, forms)
        canvas.showPage()


def _draw_pins(canvas: Canvas, template: SheetTemplate, fonts: LabelFonts,
               records: list[LabelRecord]) -> None:
    per_page = template.per_page
    for start in range(0, len(records), per_page):
        for index, record in enumerate(records[start:start + per_page]):
            x, y = template.label_origin(index)
            template.draw_pin(canvas, x, y, fonts, group(normalize_code(record.code)),
                              record.pin or "")
        canvas.showPage()


@contextmanager
def binary_streams():
    # reportlab would wrap the deflated streams in ASCII85 as well: a quarter bigger,
    # and without its optional C accelerator the slowest step of a run. The switch
    # is global, so it is only flipped while a PDF is being saved.
    before = rl_config.useA85
    rl_config.useA85 = 0
    try:
        yield
    finally:
        rl_config.useA85 = before


def _write(out: BinaryIO, template: SheetTemplate, fonts: LabelFonts,
           records: list[LabelRecord], pins: bool, lot_prefix: str) -> None:
    canvas = Canvas(out, pagesize=template.page_size, pageCompression=1, invariant=1)
    canvas.setTitle(f"AgriTrace {'PINs' if pins else 'labels'}, {template.title}")
    if pins:
        _draw_pins(canvas, template, fonts, records)
    else:
        _draw_labels(canvas, template, fonts, records, lot_prefix)
    with binary_streams():
        canvas.save()


def write_pdf(records: Iterable[LabelRecord], out: BinaryIO,
              template: str | SheetTemplate = "a4-3x8", *, pins: bool = False,
              lot_prefix: str = DEFAULT_LOT_PREFIX, max_pages: int = MAX_PAGES,
              font_path: str | None = None) -> int:
    """One PDF of label pages (or, with `pins`, of the PIN labels, same grid) for
    runs up to `max_pages` pages; returns the page count. Larger runs: write_pdf_zip."""
    sheet = _template(template)
    limit = max_pages * sheet.per_page
    chunk = list(islice(records, limit + 1))
    if len(chunk) > limit:
        raise SheetError("too_many", "More than %(max_pages)d pages of labels: write them "
                         "as a ZIP of PDFs instead.", max_pages=max_pages)
    if pins and any(r.pin is None for r in chunk):
        raise SheetError("pins", "Some stamps of the run have no PIN.")
    _write(out, sheet, label_fonts(font_path), chunk, pins, lot_prefix)
    return _pages(sheet, len(chunk))


def _chunks(records: Iterable[LabelRecord], size: int) -> Iterator[list[LabelRecord]]:
    iterator = iter(records)
    while chunk := list(islice(iterator, size)):
        yield chunk


def write_pdf_zip(records: Iterable[LabelRecord], out: BinaryIO,
                  template: str | SheetTemplate = "a4-5x13", *,
                  pages_per_file: int = PAGES_PER_FILE, lot_prefix: str = DEFAULT_LOT_PREFIX,
                  font_path: str | None = None, name: str = "labels") -> PdfZipSummary:
    """A run of any size as a ZIP of PDFs (`labels-0001.pdf`, … each `pages_per_file`
    pages), with `pins-0001.pdf`, … alongside when the records carry PINs: the PIN
    file of a part has the same grid, so PIN n lands where label n is. `out` may be
    unseekable (an HTTP response): entries are streamed."""
    sheet = _template(template)
    fonts = label_fonts(font_path)
    files, labels, pages, with_pins = [], 0, 0, None
    # PDFs are already deflated inside: storing them saves the CPU of a second pass.
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for part, chunk in enumerate(_chunks(records, pages_per_file * sheet.per_page), 1):
            has_pins = {r.pin is not None for r in chunk}
            if len(has_pins) > 1 or (with_pins is not None and has_pins != {with_pins}):
                raise SheetError("pins", "Some stamps of the run have no PIN.")
            with_pins = has_pins.pop()
            kinds = (False, True) if with_pins else (False,)
            for pins in kinds:
                entry = f"{'pins' if pins else name}-{part:04d}.pdf"
                with archive.open(entry, "w", force_zip64=True) as handle:
                    _write(handle, sheet, fonts, chunk, pins, lot_prefix)
                files.append(entry)
            labels += len(chunk)
            pages += _pages(sheet, len(chunk))
    return PdfZipSummary(files=tuple(files), labels=labels, pages=pages)
