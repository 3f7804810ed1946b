"""Seeing what a reader sees: PDF pages rasterised by PDFium, SVGs rendered by Cairo,
QR and Code 128 symbols decoded by ZXing."""
from __future__ import annotations

import io

import cairosvg
import pypdfium2 as pdfium
import zxingcpp
from PIL import Image


def pdf_pages(data: bytes, dpi: int = 300) -> list[Image.Image]:
    document = pdfium.PdfDocument(data)
    try:
        return [page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
                for page in document]
    finally:
        document.close()


def pdf_text(data: bytes) -> list[str]:
    document = pdfium.PdfDocument(data)
    try:
        return [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()


def svg_image(svg: str, pixels: int) -> Image.Image:
    png = cairosvg.svg2png(bytestring=svg.encode("utf-8"), output_width=pixels,
                           output_height=pixels)
    return Image.open(io.BytesIO(png)).convert("L")


def qr_codes(image: Image.Image) -> list[zxingcpp.Barcode]:
    return [code for code in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
            if code.valid]


def centre(code: zxingcpp.Barcode) -> tuple[float, float]:
    corners = [code.position.top_left, code.position.top_right,
               code.position.bottom_right, code.position.bottom_left]
    return sum(p.x for p in corners) / 4, sum(p.y for p in corners) / 4


def code128_codes(image: Image.Image) -> list[zxingcpp.Barcode]:
    """Code 128 symbols (GS1-128 among them: symbology identifier "]C1")."""
    return [code for code in zxingcpp.read_barcodes(
        image, formats=zxingcpp.BarcodeFormat.Code128) if code.valid]
