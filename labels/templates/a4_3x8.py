"""A4 sheet of 24 labels, 70 × 37 mm, 3 across and 8 down, edge to edge."""
from labels.templates.base import SheetTemplate

TEMPLATE = SheetTemplate(
    name="a4-3x8", title="A4, 24 labels 70 × 37 mm",
    page_mm=(210, 297), label_mm=(70, 37), columns=3, rows=8,
    margin_left_mm=0, margin_top_mm=0.5, pitch_mm=(70, 37),
    padding_mm=2.5, gap_mm=1.5,
    product_pt=10, product_lines=4, lot_pt=8.5, code_pt=8.5, pin_pt=16,
)
