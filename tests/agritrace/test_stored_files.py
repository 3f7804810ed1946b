"""Files kept in PostgreSQL: written and read back a chunk at a time, and the photos
left on an app server's disk from before loaded by `flask files import`."""
from __future__ import annotations

import hashlib
import io

from sqlalchemy import func, select

from agritrace.models.stored_files import CHUNK_BYTES, StoredFileChunk
from agritrace.services import stored_files


class Reader(io.RawIOBase):
    """A file that hands out at most `CHUNK_BYTES` a read and counts the reads, so that
    a test sees the store reading it piece by piece, never whole."""

    def __init__(self, data: bytes):
        self.data, self.at, self.reads = data, 0, []

    def readable(self):
        return True

    def read(self, size=-1):
        assert 0 < size <= CHUNK_BYTES, "the store must read a chunk at a time"
        piece = self.data[self.at:self.at + size]
        self.at += len(piece)
        self.reads.append(len(piece))
        return piece


def test_a_file_of_several_chunks_goes_in_and_comes_out_a_chunk_at_a_time(app, db):
    data = bytes(range(256)) * (CHUNK_BYTES * 5 // 512) + b"tail"   # 2.5 chunks and a bit
    source = Reader(data)
    stored = stored_files.put(db, "exports/big.bin", source, "application/octet-stream")
    assert stored.size_bytes == len(data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert db.scalar(select(func.count()).select_from(StoredFileChunk)
                     .where(StoredFileChunk.file_id == stored.id)) == 3
    got = stored_files.download(lambda: db, "exports/big.bin")
    pieces = list(got.chunks)
    assert [len(p) for p in pieces] == [CHUNK_BYTES, CHUNK_BYTES, len(data) - 2 * CHUNK_BYTES]
    assert b"".join(pieces) == data and got.content_type == "application/octet-stream"
    assert stored_files.remove(db, ["exports/big.bin", "exports/never.bin"]) == 1
    assert stored_files.download(lambda: db, "exports/big.bin") is None
    assert db.scalar(select(func.count()).select_from(StoredFileChunk)
                     .where(StoredFileChunk.file_id == stored.id)) == 0


def test_flask_files_import_loads_the_photos_left_on_disk_once(app, db, tmp_path):
    for folder in ("products", "diary"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / ("A" * 32 + ".jpg")).write_bytes(f"{folder} photo".encode())
    (tmp_path / "products" / "notes.txt").write_text("not a photo")
    runner = app.test_cli_runner()

    first = runner.invoke(args=["files", "import", "--from", str(tmp_path)])
    assert first.exit_code == 0, first.output
    assert "2 files from" in first.output and "0 were already there" in first.output
    assert stored_files.read(db, "products/" + "A" * 32 + ".jpg") == b"products photo"
    assert stored_files.read(db, "diary/" + "A" * 32 + ".jpg") == b"diary photo"

    again = runner.invoke(args=["files", "import", "--from", str(tmp_path), "--remove"])
    assert again.exit_code == 0, again.output
    assert "0 files from" in again.output and "2 were already there" in again.output
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["notes.txt"]
    assert len(stored_files.listed(db)) == 2
