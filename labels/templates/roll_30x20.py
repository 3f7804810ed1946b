"""Label printer roll: one 30 × 20 mm label per page. The QR is kept to 15 mm (still
0.37 mm modules for a stamp URL) so the code fits beside it in two lines."""
from labels.templates.base import SheetTemplate

TEMPLATE = SheetTemplate(
    name="roll-30x20", title="Roll, 30 × 20 mm labels",
    page_mm=(30, 20), label_mm=(30, 20), columns=1, rows=1,
    margin_left_mm=0, margin_top_mm=0, pitch_mm=(30, 20),
    padding_mm=1.0, gap_mm=0.8, qr_mm=15,
    product_pt=5.5, product_lines=3, lot_pt=5, code_pt=5.5, pin_pt=10,
)
