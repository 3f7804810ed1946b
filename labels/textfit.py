"""Fitting text into a label: wrap by words, shrink down to a floor, then cut with an
ellipsis, so long product names never spill over the next label."""
from __future__ import annotations

from functools import lru_cache

from reportlab.pdfbase.pdfmetrics import stringWidth

ELLIPSIS = "…"
STEP_PT = 0.25


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy word wrap; a word wider than the line is broken between characters."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if stringWidth(candidate, font, size) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = ""
        for char in word:
            if line and stringWidth(line + char, font, size) > width:
                lines.append(line)
                line = ""
            line += char
    if line:
        lines.append(line)
    return lines


def ellipsize(text: str, font: str, size: float, width: float) -> str:
    """`text`, or as much of it as fits followed by an ellipsis."""
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text.rstrip() + ELLIPSIS, font, size) > width:
        text = text[:-1]
    return text.rstrip() + ELLIPSIS


@lru_cache(maxsize=4096)
def fit(text: str, font: str, width: float, max_lines: int, size: float,
        min_size: float) -> tuple[float, tuple[str, ...]]:
    """The largest size from `size` down to `min_size` (in 0.25 pt steps) at which
    `text` wraps into at most `max_lines` lines of `width` points, and those lines; at
    the floor the last line is cut with an ellipsis. Cached: a run repeats its product
    name and lot on every label."""
    current = size
    while True:
        lines = wrap(text, font, current, width)
        if len(lines) <= max_lines:
            return current, tuple(lines)
        if current - STEP_PT < min_size:
            break
        current -= STEP_PT
    kept = lines[:max_lines]
    rest = " ".join(lines[max_lines - 1:])
    kept[-1] = ellipsize(rest, font, current, width)
    return current, tuple(kept)
