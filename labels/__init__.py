"""Pure stamp library: codes, GS1 keys, QR and print outputs. No Flask, no database.

- `labels.codes` — stamp ids, their printed codes (Crockford base32 + mod-37 check
  symbol), scratch PINs.
- `labels.gs1`, `labels.ai_syntax` — GTIN check digits; GS1 Application Identifiers
  from GS1's Barcode Syntax Dictionary (`labels/data/`).
- `labels.sscc` — SSCCs, the keys of cartons and pallets.
- `labels.digital_link` — GS1 Digital Link URIs (GTIN and SSCC) and the `/s/{code}` form.
- `labels.qr` (and `labels.qr_batch`) — QR symbols, level M, as SVG or PDF vectors.
- `labels.sheets`, `labels.templates` — PDF label sheets and PIN sheets.
- `labels.gs1_128`, `labels.carton` — GS1-128 barcodes; carton labels, one a page.
- `labels.printshop` — CSV and ZIP of SVGs for print shops.
"""
