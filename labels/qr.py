"""QR symbols for stamps: error correction level M, 4-module quiet zone, drawn as
vectors (SVG, or PDF path operators on a reportlab canvas).

`qr_matrix` asks the qrcode package directly; `qr_matrices` gives the same modules for
many texts at once through `labels.qr_batch` (numpy), falling back to qrcode one by
one where numpy is missing.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Sequence
from xml.sax.saxutils import escape

import qrcode
from qrcode.constants import ERROR_CORRECT_M

QUIET_ZONE = 4


@dataclass(frozen=True, eq=True)
class QrMatrix:
    """A QR symbol: `rows` holds one bytes per row of the symbol (quiet zone not
    included), each byte 1 for a dark module, 0 for a light one."""
    rows: tuple[bytes, ...]

    @property
    def size(self) -> int:
        """Modules a side, without the quiet zone."""
        return len(self.rows)

    @property
    def width(self) -> int:
        """Modules a side with the quiet zone on every edge."""
        return self.size + 2 * QUIET_ZONE

    def is_dark(self, row: int, col: int) -> bool:
        return self.rows[row][col] == 1

    @cached_property
    def rectangles(self) -> tuple[tuple[int, int, int, int], ...]:
        """The dark modules as (x, y, w, h) rectangles in modules from the symbol's top
        left: runs along each row, stacked where consecutive rows repeat a run, so a
        symbol is a few hundred rectangles rather than a thousand squares."""
        done: list[tuple[int, int, int, int]] = []
        open_runs: dict[tuple[int, int], int] = {}
        for y, row in enumerate(self.rows):
            runs = _runs(row)
            still = {}
            for run in runs:
                still[run] = open_runs.pop(run, y)
            done.extend((x0, y0, x1 - x0, y - y0) for (x0, x1), y0 in open_runs.items())
            open_runs = still
        done.extend((x0, y0, x1 - x0, self.size - y0) for (x0, x1), y0 in open_runs.items())
        return tuple(done)


def _runs(row: bytes) -> list[tuple[int, int]]:
    runs, start = [], row.find(1)
    while start >= 0:
        end = row.find(0, start)
        if end < 0:
            end = len(row)
        runs.append((start, end))
        start = row.find(1, end)
    return runs


def qr_matrix(text: str) -> QrMatrix:
    """The QR symbol of `text` (level M, smallest version), made by the qrcode package."""
    q = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    q.add_data(text)
    q.make(fit=True)
    return QrMatrix(tuple(bytes(bool(m) for m in row) for row in q.modules))


def qr_matrices(texts: Sequence[str]) -> list[QrMatrix]:
    """`[qr_matrix(t) for t in texts]`, computed for the whole batch at once."""
    batch = _batch_module()
    if batch is None:  # pragma: no cover - numpy comes with Shapely here
        return [qr_matrix(text) for text in texts]
    out = []
    for symbol in batch.matrices(texts):
        flat = symbol.tobytes()
        n = symbol.shape[0]
        out.append(QrMatrix(tuple(flat[i:i + n] for i in range(0, n * n, n))))
    return out


def _batch_module():
    try:
        from labels import qr_batch
    except ImportError:  # pragma: no cover
        return None
    return qr_batch


@dataclass(frozen=True)
class QrPath:
    """A symbol ready to draw: `width` modules a side with the quiet zone, and `data`,
    the dark modules as path data in module units: PDF operators (origin bottom left,
    y up) when `kind` is "pdf", SVG path data (origin top left) when "svg"."""
    width: int
    kind: str
    data: str


def qr_path(matrix: QrMatrix, kind: str = "pdf") -> QrPath:
    data = pdf_path_operators(matrix) if kind == "pdf" else svg_path_data(matrix)
    return QrPath(matrix.width, kind, data)


def qr_paths(texts: Sequence[str], kind: str = "pdf") -> list[QrPath]:
    """The QR symbols of many texts as path data, in one pass: the fast way to draw a
    run (a few hundred rectangles per symbol, formatted for the whole batch at once)."""
    if kind not in ("pdf", "svg"):
        raise ValueError("kind is 'pdf' or 'svg'")
    batch = _batch_module()
    if batch is None:  # pragma: no cover
        return [qr_path(qr_matrix(text), kind) for text in texts]
    out = []
    for symbol, data in batch.paths(texts, kind, QUIET_ZONE):
        if data is None:
            out.append(qr_path(QrMatrix(tuple(bytes(row) for row in symbol)), kind))
        else:
            out.append(QrPath(symbol.shape[0] + 2 * QUIET_ZONE, kind, data))
    return out


def svg_path_data(matrix: QrMatrix) -> str:
    """The `d` of one SVG path covering every dark module, in module units, the quiet
    zone included in the coordinates."""
    q = QUIET_ZONE
    return "".join(f"M{x + q} {y + q}h{w}v{h}h-{w}z" for x, y, w, h in matrix.rectangles)


def to_svg(symbol: QrMatrix | QrPath, size: str | None = None, title: str | None = None) -> str:
    """A standalone SVG document: white square with the quiet zone, one black path with
    crisp edges. `size` (e.g. "20mm") sets width and height; by default the SVG is
    as many pixels as modules. `title` is for screen readers (often the URL)."""
    path = symbol if isinstance(symbol, QrPath) else qr_path(symbol, "svg")
    if path.kind != "svg":
        raise ValueError("to_svg needs SVG path data")
    side = path.width
    dims = f' width="{size}" height="{size}"' if size else f' width="{side}" height="{side}"'
    label = f"<title>{escape(title)}</title>" if title else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}"{dims} '
        'shape-rendering="crispEdges">'
        f'{label}<rect width="{side}" height="{side}" fill="#fff"/>'
        f'<path fill="#000" d="{path.data}"/></svg>\n'
    )


def pdf_path_operators(matrix: QrMatrix) -> str:
    """PDF path construction operators (`x y w h re`) for the dark modules, in module
    units with the origin at the bottom left of the quiet zone and y up."""
    top = matrix.size + QUIET_ZONE
    q = QUIET_ZONE
    return "".join(f"{x + q} {top - y - h} {w} {h} re\n" for x, y, w, h in matrix.rectangles)


def draw_qr(canvas, symbol: QrMatrix | QrPath, x: float, y: float, size: float) -> None:
    """Draw the symbol on a reportlab canvas as one filled vector path: the square of
    side `size` points, quiet zone included, with its bottom left at (x, y)."""
    path = symbol if isinstance(symbol, QrPath) else qr_path(symbol, "pdf")
    if path.kind != "pdf":
        raise ValueError("draw_qr needs PDF path data")
    scale = size / path.width
    canvas.addLiteral(f"q 0 g {scale:.6f} 0 0 {scale:.6f} {x:.3f} {y:.3f} cm\n"
                      f"{path.data}f Q")
