"""GS1-128 barcodes: Code 128 whose first symbol after the start is FNC1, which tells a
scanner the data are GS1 element strings (it reports them as "]C1"). Encoded by
reportlab's Code 128 (FNC1 is its "\\xf1"; digit pairs go in code set C), drawn here
as one vector path of bars.

Sizes for logistic labels, GS1 General Specifications (symbol specification table for
SSCCs on logistic units): modules (X) of 0.495 to 1.016 mm, bars at least 31.75 mm
tall, and a quiet zone of 10 modules on either side.
"""
from __future__ import annotations

from dataclasses import dataclass

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import mm

from labels import ai_syntax
from labels.sscc import AI as SSCC_AI
from labels.sscc import validate_sscc

FNC1 = 102
QUIET_MODULES = 10
MIN_MODULE_MM = 0.495
MIN_HEIGHT_MM = 31.75


@dataclass(frozen=True)
class Bars:
    """A linear symbol: `bars` as (start, width) in modules from the first bar; `width`
    the modules from the first bar to the end of the last (quiet zones excluded);
    `codewords` the Code 128 symbol values, start and check included."""
    bars: tuple[tuple[int, int], ...]
    width: int
    codewords: tuple[int, ...]

    @property
    def width_with_quiet_zones(self) -> int:
        return self.width + 2 * QUIET_MODULES


def gs1_128(element_string: str) -> Bars:
    """The GS1-128 symbol of an element string written as `labels.ai_syntax` writes it:
    `^` for FNC1, first and after each variable-length value that is not the last."""
    if not element_string.startswith("^") or len(element_string) < 2:
        raise ValueError("A GS1 element string starts with FNC1 (^) and holds data.")
    barcode = Code128(element_string.replace("^", "\xf1"), quiet=0)
    barcode.validate()
    if not barcode.valid:
        raise ValueError("A GS1-128 barcode holds only ASCII characters.")
    codewords = tuple(barcode.encode())
    # Without FNC1 right after the start the scanner reads plain Code 128, not GS1.
    if codewords[1] != FNC1:
        raise ValueError("The encoder did not put FNC1 first.")  # pragma: no cover
    bars, position = [], 0
    for element in barcode.decompose():
        # reportlab's patterns: A–D a bar 1–4 modules wide, a–d a space.
        width = ord(element.lower()) - ord("a") + 1
        if element.isupper():
            bars.append((position, width))
        position += width
    return Bars(tuple(bars), position, codewords)


def sscc_bars(sscc: str) -> Bars:
    """The GS1-128 symbol of (00) and an SSCC (checked first)."""
    return gs1_128(ai_syntax.element_string([(SSCC_AI, validate_sscc(sscc))]))


def draw_bars(canvas, symbol: Bars, x: float, y: float, module: float,
              height: float) -> None:
    """Draw the bars on a reportlab canvas as one filled path: the first bar's left edge
    at `x` (leave `QUIET_MODULES * module` clear on either side), bottom at `y`,
    `module` points a module, `height` points tall."""
    path = "".join(f"{start} 0 {width} {height:.3f} re\n" for start, width in symbol.bars)
    canvas.addLiteral(f"q 0 g {module:.6f} 0 0 1 {x:.3f} {y:.3f} cm\n{path}f Q")


def module_for(symbol: Bars, width: float, *, largest_mm: float = 1.016) -> float:
    """The module width in points at which `symbol` and its quiet zones fill at most
    `width` points, capped at `largest_mm`; ValueError below GS1's smallest."""
    module = min(width / symbol.width_with_quiet_zones, largest_mm * mm)
    if module < MIN_MODULE_MM * mm - 1e-9:
        raise ValueError(f"{width / mm:.1f} mm is too narrow for this GS1-128 symbol.")
    return module
