"""Fonts for labels: DejaVu, for its Vietnamese glyphs (ư ơ ạ ộ đ …), which the fonts
built into PDF viewers and reportlab lack.

The TTF files are looked up at run time: the standard font directories first (Debian
and Ubuntu ship them in fonts-dejavu-core), then copies bundled with matplotlib.
"""
from __future__ import annotations

import importlib.util
import os
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

REGULAR = "DejaVuSans.ttf"
BOLD = "DejaVuSans-Bold.ttf"
MONO = "DejaVuSansMono.ttf"


class FontError(RuntimeError):
    """The label font is not installed where we look for it."""


def font_directories() -> list[Path]:
    """Where fonts live on Linux, macOS and Windows, plus matplotlib's bundled copies."""
    home = Path.home()
    dirs = [Path(d) / "fonts" for d in
            os.environ.get("XDG_DATA_DIRS", "/usr/local/share:/usr/share").split(":") if d]
    dirs += [home / ".local/share/fonts", home / ".fonts", Path("/Library/Fonts"),
             Path("/System/Library/Fonts"), home / "Library/Fonts"]
    if sys.platform == "win32":  # pragma: no cover
        dirs.append(Path(os.environ.get("WINDIR", "C:/Windows")) / "Fonts")
    spec = importlib.util.find_spec("matplotlib")
    if spec and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            dirs.append(Path(location) / "mpl-data" / "fonts" / "ttf")
    return dirs


@cache
def find_font(filename: str) -> Path | None:
    """The first file called `filename` under the font directories, or None."""
    for directory in font_directories():
        if not directory.is_dir():
            continue
        direct = directory / filename
        if direct.is_file():
            return direct
        for root, _, files in os.walk(directory):
            if filename in files:
                return Path(root) / filename
    return None


@dataclass(frozen=True)
class LabelFonts:
    """reportlab names of the registered faces: `regular` for text, `bold` for product
    names, `mono` for codes and PINs (fall back to `regular` when missing)."""
    regular: str
    bold: str
    mono: str


@cache
def label_fonts(regular_path: str | None = None) -> LabelFonts:
    """Register the DejaVu faces with reportlab (once) and return their names.
    `regular_path` overrides the search for the regular face; the bold and mono
    faces are then looked for beside it first."""
    regular = Path(regular_path) if regular_path else find_font(REGULAR)
    if regular is None or not regular.is_file():
        raise FontError(
            f"The label font {REGULAR} (DejaVu Sans, which has the Vietnamese letters) "
            f"was not found in {', '.join(str(d) for d in font_directories())}. Install "
            "the DejaVu fonts (Debian/Ubuntu package fonts-dejavu-core) or pass the path "
            "of a TTF font with Vietnamese glyphs.")
    names = {}
    for role, filename in (("regular", REGULAR), ("bold", BOLD), ("mono", MONO)):
        path = regular if role == "regular" else (
            regular.with_name(filename) if regular.with_name(filename).is_file()
            else find_font(filename))
        if path is None:
            names[role] = names["regular"]
            continue
        name = f"AgriTrace-{path.stem}"
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, str(path)))
        names[role] = name
    return LabelFonts(**names)


def missing_glyphs(font_name: str, text: str) -> list[str]:
    """Characters of `text` the registered TTF font has no glyph for."""
    face = pdfmetrics.getFont(font_name).face
    return sorted({char for char in text if ord(char) not in face.charToGlyph
                   and not char.isspace()})
