"""A4 sheet of 65 labels, 38 × 21.2 mm, 5 across and 13 down (the common 65-up layout:
4.8 mm side margins, 10.7 mm top, 2.6 mm between columns)."""
from labels.templates.base import SheetTemplate

TEMPLATE = SheetTemplate(
    name="a4-5x13", title="A4, 65 labels 38 × 21.2 mm",
    page_mm=(210, 297), label_mm=(38, 21.2), columns=5, rows=13,
    margin_left_mm=4.8, margin_top_mm=10.7, pitch_mm=(40.6, 21.2),
    padding_mm=1.2, gap_mm=0.8,
    product_pt=6, product_lines=2, lot_pt=5.5, code_pt=6, pin_pt=11,
)
