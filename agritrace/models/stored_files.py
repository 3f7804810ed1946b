"""Uploaded files kept in PostgreSQL, so that app servers share nothing but the database.

A file is a `stored_files` row and its bytes in `stored_file_chunks` of at most
CHUNK_BYTES each, written and read one chunk at a time (services/stored_files.py): a
large file never sits whole in an app server's memory, and the database's backups,
replicas and failover carry the files with the rows that name them.
"""
from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Timestamped

CHUNK_BYTES = 256 * 1024


class StoredFile(Timestamped, Base):
    """One file by its name, a path such as `products/<token>.jpg` (the place it had
    under UPLOAD_DIR before files moved into the database). size_bytes and sha256 are
    set once the last chunk is written, in the same transaction."""
    __tablename__ = "stored_files"
    __table_args__ = (CheckConstraint("size_bytes >= 0", name="size_not_negative"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    sha256: Mapped[str | None] = mapped_column(String(64))


class StoredFileChunk(Base):
    """Bytes seq × CHUNK_BYTES … of a file."""
    __tablename__ = "stored_file_chunks"
    __table_args__ = (CheckConstraint("seq >= 0", name="seq_not_negative"),)

    file_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("stored_files.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
