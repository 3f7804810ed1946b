"""Files kept in PostgreSQL (models/stored_files.py), written and read one chunk at a
time: every app server reads what any other wrote, a file is saved or dropped with the
rows that name it (one transaction), and backups and replicas carry it.

Callers pass the session of their transaction and nothing here commits, except
`import_folder`, a use case of its own (`flask files import`).
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from ..db import transaction
from ..models.stored_files import CHUNK_BYTES, StoredFile, StoredFileChunk


@dataclass
class Download:
    """A stored file's description and its bytes as an iterator of chunks, read lazily
    (see `download`)."""
    name: str
    content_type: str
    size_bytes: int
    sha256: str | None
    chunks: Iterator[bytes]


def put(s: Session, name: str, source: bytes | BinaryIO, content_type: str) -> StoredFile:
    """Store `source` (bytes, or a binary file read CHUNK_BYTES at a time) as `name`,
    which must be new; returns the row, with its size and SHA-256."""
    stored = StoredFile(name=name, content_type=content_type)
    s.add(stored)
    s.flush()
    digest, size = hashlib.sha256(), 0
    for seq, chunk in enumerate(_pieces(source)):
        digest.update(chunk)
        size += len(chunk)
        # Core, one row a statement: an executemany would hold every chunk at once.
        s.execute(insert(StoredFileChunk), {"file_id": stored.id, "seq": seq, "data": chunk})
    s.execute(update(StoredFile).where(StoredFile.id == stored.id)
              .values(size_bytes=size, sha256=digest.hexdigest()))
    s.refresh(stored)
    return stored


def _pieces(source: bytes | BinaryIO) -> Iterator[bytes]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        view = memoryview(source)
        for start in range(0, len(view), CHUNK_BYTES):
            yield bytes(view[start:start + CHUNK_BYTES])
        return
    while chunk := source.read(CHUNK_BYTES):
        yield chunk


def find(s: Session, name: str) -> StoredFile | None:
    return s.scalar(select(StoredFile).where(StoredFile.name == name))


def chunks(s: Session, file_id: int, *, several: bool = True) -> Iterator[bytes]:
    """The file's bytes in order: from a server-side cursor a chunk at a time when it
    has several, in one plain fetch when it has one (a thumbnail, most photos)."""
    query = select(StoredFileChunk.data).where(StoredFileChunk.file_id == file_id) \
        .order_by(StoredFileChunk.seq)
    if several:
        query = query.execution_options(yield_per=1)
    for (data,) in s.execute(query):
        yield bytes(data)


def download(open_session: Callable[[], Session], name: str) -> Download | None:
    """The file `name`, to send. Its chunks are read through `open_session()` called
    again when the first is wanted: a response streamed after its view returned gets
    the session of the context that sends it, which that context then closes."""
    stored = find(open_session(), name)
    if stored is None:
        return None
    return Download(stored.name, stored.content_type, stored.size_bytes, stored.sha256,
                    _later(open_session, stored.id, stored.size_bytes > CHUNK_BYTES))


def _later(open_session: Callable[[], Session], file_id: int, several: bool
           ) -> Iterator[bytes]:
    yield from chunks(open_session(), file_id, several=several)


def read(s: Session, name: str) -> bytes | None:
    """A small file's bytes whole (a thumbnail, a test); None when there is none."""
    stored = find(s, name)
    return None if stored is None else b"".join(chunks(s, stored.id))


def remove(s: Session, names: Iterable[str]) -> int:
    """Delete these files (their chunks go with them); a name not stored is no error."""
    names = [n for n in names if n]
    if not names:
        return 0
    return s.execute(delete(StoredFile).where(StoredFile.name.in_(names))).rowcount


def listed(s: Session, prefix: str = "") -> list[str]:
    """The stored names starting with `prefix`, in order."""
    query = select(StoredFile.name).order_by(StoredFile.name)
    if prefix:
        query = query.where(StoredFile.name.startswith(prefix, autoescape=True))
    return list(s.scalars(query))


# Folders of UPLOAD_DIR whose files moved into the database (migration 0013).
UPLOAD_FOLDERS = {"products": "image/jpeg", "diary": "image/jpeg"}


def import_folder(upload_dir: Path, *, remove: bool = False) -> tuple[int, int]:
    """Store the photos still under upload_dir (products/, diary/), each in its own
    transaction and read a chunk at a time; (stored, already there). With remove, a
    file is deleted from the disk once its copy is committed."""
    stored = skipped = 0
    for folder, content_type in UPLOAD_FOLDERS.items():
        for path in sorted((upload_dir / folder).glob("*.jpg")):
            name = f"{folder}/{path.name}"
            with transaction() as s:
                if find(s, name) is None:
                    with open(path, "rb") as handle:
                        put(s, name, handle, content_type)
                    stored += 1
                else:
                    skipped += 1
            if remove:
                path.unlink()
    return stored, skipped
