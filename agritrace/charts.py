"""Charts drawn on the server as inline SVG: no script, nothing loaded from elsewhere,
readable on a phone (a viewBox scaled to the page's width).

Pure: plain values in, SVG markup out, every piece of text escaped. The caller
translates the titles and formats numbers and x labels for the user's language.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from decimal import Decimal
from html import escape

from markupsafe import Markup

Number = int | float | Decimal
Formatter = Callable[[Number], str]

WIDTH = 400          # user units of the viewBox; the SVG itself is 100% of its box
FONT = 14
SMALL = 12
LABEL_CHARS = 44     # longer category labels are cut; the full one is in the bar's title
GREEN = "#2e7d32"
INK = "#222"
GRID = "#d9ddd3"


def plain_number(value: Number) -> str:
    """Whole numbers without decimals, others with at most two."""
    value = float(value)
    if value.is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def nice_ceiling(value: Number, *, whole: bool = False) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10ⁿ at or above `value` (1 when there is nothing),
    so that axis ticks fall on round numbers. For counts (`whole`), one whose half is a
    whole number too (up to ten, the next even number), since the axis is marked at 0,
    half and full."""
    value = float(value)
    if whole and value <= 10:
        return float(max(2, 2 * math.ceil(value / 2)))
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    steps = (1, 2, 5, 10) if whole else (1, 2, 2.5, 5, 10)
    for step in steps:
        if value <= step * power * (1 + 1e-9):
            return step * power
    return 10 * power  # unreachable: the loop ends at 10ⁿ⁺¹


def _scale(values: list[float]) -> float:
    return nice_ceiling(max(values, default=0),
                        whole=all(float(v).is_integer() for v in values))


def _text(x: float, y: float, content: str, *, size: int = FONT, anchor: str = "start",
          extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'fill="{INK}"{extra}>{escape(content)}</text>')


def _svg(height: float, title: str, description: str | None, body: list[str],
         css_class: str) -> Markup:
    desc = f"<desc>{escape(description)}</desc>" if description else ""
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {escape(css_class)}" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" width="100%" role="img" '
        f'aria-label="{escape(title)}" font-family="system-ui, sans-serif">'
        f"<title>{escape(title)}</title>{desc}{''.join(body)}</svg>")


def _cut(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[:LABEL_CHARS - 1] + "…"


def bar_chart(rows: Sequence[tuple[str, Number]], *, title: str, value_label: str,
              description: str | None = None, fmt: Formatter = plain_number,
              color: str = GREEN) -> Markup:
    """Horizontal bars, one per (category, value ≥ 0), in the order given: the label
    above its bar, the value at the bar's end, and a value axis with its label below."""
    left, right, row_h, top = 8.0, 64.0, 40.0, 6.0
    plot_w = WIDTH - left - right
    scale = _scale([float(v) for _label, v in rows])
    body = []
    for i, (label, value) in enumerate(rows):
        y = top + i * row_h
        width = plot_w * max(float(value), 0.0) / scale
        shown = fmt(value)
        body.append(_text(left, y + FONT, _cut(str(label))))
        body.append(f'<rect class="bar" x="{left:.1f}" y="{y + 20:.1f}" width="{width:.3f}" '
                    f'height="14" fill="{escape(color)}">'
                    f"<title>{escape(f'{label}: {shown}')}</title></rect>")
        body.append(_text(left + width + 4, y + 32, shown, size=SMALL))
    axis_y = top + len(rows) * row_h + 4
    body.append(f'<line class="axis" x1="{left}" y1="{axis_y:.1f}" x2="{left + plot_w}" '
                f'y2="{axis_y:.1f}" stroke="{INK}" stroke-width="1"/>')
    for fraction in (0, 0.5, 1):
        x = left + plot_w * fraction
        anchor = "start" if fraction == 0 else "middle" if fraction < 1 else "end"
        body.append(f'<line x1="{x:.1f}" y1="{axis_y:.1f}" x2="{x:.1f}" y2="{axis_y + 4:.1f}" '
                    f'stroke="{INK}"/>')
        body.append(_text(x, axis_y + 16, fmt(scale * fraction), size=SMALL, anchor=anchor))
    body.append(_text(left + plot_w / 2, axis_y + 34, value_label, anchor="middle",
                      extra=' class="axis-label"'))
    return _svg(axis_y + 42, title, description, body, "bar-chart")


def column_chart(points: Sequence[tuple[object, Number]], *, title: str, y_label: str,
                 x_label: str, description: str | None = None, fmt: Formatter = plain_number,
                 x_format: Callable[[object], str] = str, tick_every: int | None = None,
                 color: str = GREEN) -> Markup:
    """Vertical columns over a sequence of (x, value) — days or months, in order, with
    the empty ones given as zero. Every `tick_every`-th x is labelled (about six
    labels by default), the last one always."""
    left, right, top, plot_h = 64.0, 24.0, 10.0, 150.0
    plot_w = WIDTH - left - right
    base = top + plot_h
    scale = _scale([float(v) for _x, v in points])
    n = max(len(points), 1)
    slot = plot_w / n
    every = tick_every or max(1, math.ceil(n / 6))
    body = []
    for fraction in (0, 0.5, 1):
        y = base - plot_h * fraction
        body.append(f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" '
                    f'y2="{y:.1f}" stroke="{GRID if fraction else INK}" stroke-width="1"/>')
        body.append(_text(left - 4, y + 4, fmt(scale * fraction), size=SMALL, anchor="end"))
    for i, (x_value, value) in enumerate(points):
        height = plot_h * max(float(value), 0.0) / scale
        x = left + i * slot + slot * 0.1
        body.append(f'<rect class="column" x="{x:.3f}" y="{base - height:.3f}" '
                    f'width="{slot * 0.8:.3f}" height="{height:.3f}" fill="{escape(color)}">'
                    f"<title>{escape(f'{x_format(x_value)}: {fmt(value)}')}</title></rect>")
        if (len(points) - 1 - i) % every == 0:
            centre = left + (i + 0.5) * slot
            body.append(f'<line x1="{centre:.1f}" y1="{base:.1f}" x2="{centre:.1f}" '
                        f'y2="{base + 4:.1f}" stroke="{INK}"/>')
            body.append(_text(centre, base + 16, x_format(x_value), size=SMALL,
                              anchor="middle", extra=' class="tick"'))
    body.append(_text(left + plot_w / 2, base + 36, x_label, anchor="middle",
                      extra=' class="axis-label"'))
    middle = top + plot_h / 2
    body.append(_text(12, middle, y_label, anchor="middle",
                      extra=f' class="axis-label" transform="rotate(-90 12 {middle:.1f})"'))
    return _svg(base + 44, title, description, body, "column-chart")
