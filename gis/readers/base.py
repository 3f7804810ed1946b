"""What a format reader is, and what it hands back: one `Reader` per format, each in its
own module, registered in `gis.readers.READERS`.

Problem codes raised here (params in parentheses, `filename` always):
- file_damaged (format): "%(filename)s could not be read as %(format)s: it may be damaged
  or incomplete (cut short during upload). Export it again and retry."
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from shapely.geometry.base import BaseGeometry

from gis.archive import Archive
from gis.features import GisError, problem


@dataclass(frozen=True)
class Limits:
    max_features: int
    max_uncompressed_bytes: int


@dataclass(frozen=True)
class Upload:
    """The bytes as uploaded; `archive` is set when they are a checked ZIP."""
    data: bytes
    filename: str
    limits: Limits
    archive: Archive | None = None


@dataclass
class RawLayer:
    """One layer as a reader found it: coordinates still in `crs` (None when the file
    does not say), properties already plain Python values."""
    name: str | None
    crs: str | None
    rows: list[tuple[BaseGeometry | None, dict[str, Any]]] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)


class Reader:
    """One file format. `sniff` recognises a bare upload by its first bytes; `find_in`
    recognises the format among a ZIP's entries; `read` returns the layers."""
    name: str = ""
    label: str = ""
    extensions: tuple[str, ...] = ()
    # Formats with no signature (CSV): chosen by extension when nothing else matches.
    by_extension_only: bool = False

    def sniff(self, head: bytes) -> bool:
        return False

    def find_in(self, archive: Archive) -> bool:
        return False

    def read(self, upload: Upload) -> list[RawLayer]:
        raise NotImplementedError

    def damaged(self, upload: Upload) -> GisError:
        return GisError(problem(
            "file_damaged", "%(filename)s could not be read as %(format)s: it may be damaged "
            "or incomplete (cut short during upload). Export it again and retry.",
            filename=upload.filename, format=self.label))


_XML_PROLOGUE = re.compile(rb"^(?:\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>)*", re.S)
_XML_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
BOM = b"\xef\xbb\xbf"


def text_start(head: bytes) -> bytes:
    """The first bytes without a UTF-8 byte-order mark and leading white space."""
    return head.removeprefix(BOM).lstrip()


def xml_root(head: bytes) -> str | None:
    """The local name of an XML document's root element, lower case, if `head` is XML."""
    start = text_start(head)
    if not start.startswith(b"<"):
        return None
    match = _XML_ROOT.match(start, _XML_PROLOGUE.match(start).end())
    return match.group(1).decode("ascii").lower() if match else None


def is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start >= len(head) - 3  # a character cut by the end of `head`
    return True


_SIGNATURES = ((b"%PDF", "PDF"), (b"PK", "ZIP"), (b"SQLite format 3\x00", "SQLite"),
               (b"\x89PNG", "PNG image"), (b"\xff\xd8\xff", "JPEG image"), (b"GIF8", "GIF image"),
               (b"\xd0\xcf\x11\xe0", "Microsoft Office document"), (b"Rar!", "RAR"),
               (b"7z\xbc\xaf", "7-Zip"), (b"\x1f\x8b", "gzip"))


def describe(head: bytes) -> str:
    """A short name for what some bytes look like, for telling a person what they sent."""
    for magic, name in _SIGNATURES:
        if head.startswith(magic):
            return name
    start = text_start(head)[:64].lower()
    if start.startswith((b"<!doctype html", b"<html")):
        return "HTML"
    if start.startswith(b"<"):
        return "XML"
    if start.startswith((b"{", b"[")):
        return "JSON"
    return "text" if is_text(head) else "binary data"
