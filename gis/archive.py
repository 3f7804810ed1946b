"""Uploaded ZIP archives (zipped Shapefiles, KMZ), opened only after every entry has
been checked from the central directory, before a single byte is decompressed.

Problem codes raised here (params in parentheses, `filename` always):
- archive_damaged: "%(filename)s is a damaged or incomplete ZIP archive (it may have been
  cut short during upload)."
- archive_unsafe_path (entry): "%(filename)s contains an entry with an unsafe path
  (%(entry)s): absolute paths, '..' and links are not allowed."
- archive_nested (entry): "%(filename)s contains another archive (%(entry)s). Unpack it
  and upload the files directly."
- archive_encrypted (entry): "%(filename)s is password-protected (%(entry)s). Upload it
  without a password."
- archive_compression (entry): "%(filename)s uses a compression method we cannot unpack
  (%(entry)s). Zip the files again with the usual (Deflate) compression."
- archive_too_many_entries (count, limit): "%(filename)s contains %(count)s files; at most
  %(limit)s are allowed."
- archive_too_large (size_mb, limit_mb): "%(filename)s would unpack to %(size_mb)s MB; at
  most %(limit_mb)s MB is allowed."
- archive_bomb (entry, ratio): "%(filename)s looks like a ZIP bomb: %(entry)s would unpack
  to %(ratio)s times its stored size."
"""
from __future__ import annotations

import io
import posixpath
import stat
import zipfile
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from gis.features import GisError, problem

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # an archive with entries, an empty one
MAX_ENTRIES = 1000
MAX_RATIO = 100          # deflate reaches ~1000:1 only on degenerate (bomb) data
RATIO_FLOOR = 2**20      # below 1 MB a high ratio is harmless (e.g. a blank .dbf)
READABLE = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
NESTED = (".zip", ".kmz", ".rar", ".7z", ".gz", ".tgz", ".tar", ".bz2", ".xz", ".zst", ".cab")
_CHUNK = 2**16


def is_zip(data: bytes) -> bool:
    return data[:4] in ZIP_MAGIC


def _mb(size: int) -> str:
    return f"{size / 2**20:.1f}".rstrip("0").rstrip(".")


def _ignored(name: str) -> bool:
    """Entries that carry no data: folders, and the resource forks macOS adds to zips."""
    return (name.endswith("/") or name.startswith("__MACOSX/")
            or posixpath.basename(name).startswith("._"))


def _unsafe(info: zipfile.ZipInfo) -> bool:
    name = info.filename.replace("\\", "/")
    parts = name.split("/")
    is_link = stat.S_ISLNK(info.external_attr >> 16)
    return (name.startswith("/") or (len(name) > 1 and name[1] == ":") or ".." in parts
            or is_link)


class Archive:
    """A checked ZIP archive: `names` lists its data entries; `read` and `extract`
    never produce more than each entry's declared size."""

    def __init__(self, data: bytes, filename: str, *, max_uncompressed_bytes: int,
                 max_entries: int = MAX_ENTRIES):
        self.filename = filename
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError):
            raise GisError(self._problem(
                "archive_damaged", "%(filename)s is a damaged or incomplete ZIP archive "
                "(it may have been cut short during upload).")) from None
        self._check(infos, max_uncompressed_bytes, max_entries)
        self._infos = {i.filename: i for i in infos if not _ignored(i.filename)}

    def _problem(self, code: str, template: str, **params):
        return problem(code, template, filename=self.filename, **params)

    def _check(self, infos: list[zipfile.ZipInfo], max_bytes: int, max_entries: int) -> None:
        if len(infos) > max_entries:
            raise GisError(self._problem(
                "archive_too_many_entries",
                "%(filename)s contains %(count)s files; at most %(limit)s are allowed.",
                count=len(infos), limit=max_entries))
        for info in infos:
            if _unsafe(info):
                raise GisError(self._problem(
                    "archive_unsafe_path", "%(filename)s contains an entry with an unsafe path "
                    "(%(entry)s): absolute paths, '..' and links are not allowed.",
                    entry=info.filename))
        for info in infos:
            if _ignored(info.filename):
                continue
            if info.filename.lower().endswith(NESTED):
                raise GisError(self._problem(
                    "archive_nested", "%(filename)s contains another archive (%(entry)s). "
                    "Unpack it and upload the files directly.", entry=info.filename))
            if info.flag_bits & 0x1:
                raise GisError(self._problem(
                    "archive_encrypted", "%(filename)s is password-protected (%(entry)s). "
                    "Upload it without a password.", entry=info.filename))
            if info.compress_type not in READABLE:  # e.g. Deflate64 from Windows Explorer
                raise GisError(self._problem(
                    "archive_compression", "%(filename)s uses a compression method we cannot "
                    "unpack (%(entry)s). Zip the files again with the usual (Deflate) "
                    "compression.", entry=info.filename))
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > RATIO_FLOOR and ratio > MAX_RATIO:
                raise GisError(self._problem(
                    "archive_bomb", "%(filename)s looks like a ZIP bomb: %(entry)s would unpack "
                    "to %(ratio)s times its stored size.", entry=info.filename, ratio=int(ratio)))
        total = sum(i.file_size for i in infos)
        if total > max_bytes:
            raise GisError(self._problem(
                "archive_too_large",
                "%(filename)s would unpack to %(size_mb)s MB; at most %(limit_mb)s MB is allowed.",
                size_mb=_mb(total), limit_mb=_mb(max_bytes)))

    @property
    def names(self) -> list[str]:
        return list(self._infos)

    def read(self, name: str) -> bytes:
        out = io.BytesIO()
        self._copy(name, out)
        return out.getvalue()

    def extract(self, names: list[str], directory: Path) -> dict[str, Path]:
        """Write the named entries under `directory`, keeping their folders; returns
        where each went. Names were checked safe when the archive was opened."""
        written = {}
        for name in names:
            target = directory.joinpath(*name.replace("\\", "/").split("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("wb") as out:
                self._copy(name, out)
            written[name] = target
        return written

    def _copy(self, name: str, out) -> None:
        info = self._infos[name]
        left = info.file_size
        # zipfile stops at the declared size and checks the CRC, so a lying header gives
        # an error here, never more data than was declared and allowed. Only reading is
        # guarded: an error writing `out` (a full disk) is the server's, not the file's.
        with self._reading():
            entry = self._zip.open(info)
        with entry:
            while True:
                with self._reading():
                    chunk = entry.read(min(_CHUNK, left + 1))
                if not chunk:
                    return
                left -= len(chunk)
                if left < 0:
                    with self._reading():
                        raise zipfile.BadZipFile("entry larger than declared")
                out.write(chunk)

    @contextmanager
    def _reading(self) -> Iterator[None]:
        try:
            yield
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError):
            raise GisError(self._problem(
                "archive_damaged", "%(filename)s is a damaged or incomplete ZIP archive "
                "(it may have been cut short during upload).")) from None
