"""Files for a print shop that prints the variable data itself: a CSV of (code, url,
pin) and a ZIP of one SVG QR per stamp, both written as the records stream in."""
from __future__ import annotations

import csv
import io
import zipfile
from itertools import islice
from typing import BinaryIO, Iterable, Protocol, TextIO

from labels.codes import group, normalize_code
from labels.qr import QrPath, qr_paths, to_svg

CSV_COLUMNS = ("code", "url", "pin")
ROWS_PER_WRITE = 1000
SVG_BATCH = 256


class Stamp(Protocol):
    """What the print files need of a record (`labels.sheets.LabelRecord` has it)."""
    code: str
    url: str
    pin: str | None


def write_csv(records: Iterable[Stamp], out: TextIO | BinaryIO) -> int:
    """CSV with a header and one row per stamp: the code as printed (grouped), the URL
    its QR holds, its PIN or nothing. `out` may be a text or a binary stream (UTF-8,
    CRLF line ends as RFC 4180 has them). Returns the number of rows."""
    text = isinstance(out, io.TextIOBase)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    rows = 0
    for record in records:
        writer.writerow((group(normalize_code(record.code)), record.url, record.pin or ""))
        rows += 1
        if rows % ROWS_PER_WRITE == 0:
            _flush(buffer, out, text)
    _flush(buffer, out, text)
    return rows


def _flush(buffer: io.StringIO, out, text: bool) -> None:
    chunk = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    out.write(chunk if text else chunk.encode("utf-8"))


def svg_name(code: str) -> str:
    """The ZIP entry of a stamp's SVG: its compact code."""
    return f"{normalize_code(code)}.svg"


def write_svg_zip(records: Iterable[Stamp], out: BinaryIO, size: str | None = "20mm") -> int:
    """A ZIP with one SVG QR per stamp (`{code}.svg`, the URL as its title), `size`
    wide; streamed, so `out` may be unseekable. Returns the number of SVGs."""
    iterator = iter(records)
    count = 0
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        while batch := list(islice(iterator, SVG_BATCH)):
            paths: list[QrPath] = qr_paths([record.url for record in batch], kind="svg")
            for record, path in zip(batch, paths):
                archive.writestr(svg_name(record.code),
                                 to_svg(path, size=size, title=record.url))
            count += len(batch)
    return count
