"""Tables for download: CSV streamed in chunks, XLSX written row by row.

Both take a header and an iterator of rows, so a list of 100,000 codes is never held
in memory: the CSV leaves as it is read from the database's cursor, the XLSX goes
through openpyxl's write-only mode into a temporary file that is then sent.
"""
from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import IO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

CHUNK_ROWS = 2000
# A spreadsheet program reads a leading =, +, - or @ as a formula: a name typed by a
# producer must stay text (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(value):
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence]) -> Iterator[str]:
    """The CSV text in pieces of CHUNK_ROWS rows, header first; UTF-8 with a BOM so
    that spreadsheet programs read the Vietnamese letters right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow([_safe(v) for v in row])
        count += 1
        if count % CHUNK_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _cell_value(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return _safe(value)


def xlsx_file(title: str, header: Sequence[str], rows: Iterable[Sequence]) -> IO[bytes]:
    """An XLSX workbook of one sheet in a temporary file, rewound; the caller sends it
    (and closing it deletes it)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    bold = []
    for name in header:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = Font(bold=True)
        bold.append(cell)
    sheet.append(bold)
    for row in rows:
        sheet.append([_cell_value(v) for v in row])
    out = tempfile.TemporaryFile()
    book.save(out)
    out.seek(0)
    return out
