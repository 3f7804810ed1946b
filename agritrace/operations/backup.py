"""Backups: the database as a `pg_dump --format=custom` (uploaded files are kept in it),
the files left under UPLOAD_DIR as a tar, and a manifest to check both against, in one
timestamped folder (layout in archive.py).

The dump and the row counts come from one snapshot, so the counts are exactly what
the dump holds even while the app keeps writing.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from flask import current_app

from . import localdb
from .archive import (DUMP, FORMAT, MANIFEST, UPLOADS, BackupError, client_env, connect,
                      pg_binary, row_counts, sha256, stored_files, table_names, upload_files)


def default_dir() -> Path:
    return Path(os.environ.get("BACKUP_DIR") or localdb.ROOT / "backups")


def make_backup(dest_dir: Path | str | None = None, *, database_url: str | None = None,
                upload_dir: Path | str | None = None) -> Path:
    """Write a backup folder under dest_dir (BACKUP_DIR, default backups/) and return it.
    The settings default to the app's; the folder appears only once it is complete."""
    database_url = database_url or current_app.config["DATABASE_URL"]
    upload_dir = Path(upload_dir or current_app.config["UPLOAD_DIR"])
    dest_dir = Path(dest_dir or default_dir())
    dest_dir.mkdir(parents=True, exist_ok=True)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    final = dest_dir / f"agritrace-{now:%Y%m%dT%H%M%SZ}"
    suffix = 1
    while final.exists():
        suffix += 1
        final = dest_dir / f"agritrace-{now:%Y%m%dT%H%M%SZ}-{suffix}"
    # Password hashes and personal data are in there: only the owner may read it.
    work = Path(tempfile.mkdtemp(prefix=".partial-", dir=dest_dir))
    try:
        manifest = _dump(database_url, work / DUMP)
        uploads = _tar_uploads(upload_dir, work / UPLOADS)
        manifest.update(created_at=now.isoformat(), format=FORMAT,
                        uploads=uploads,
                        files={name: sha256(work / name) for name in (DUMP, UPLOADS)})
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        for path in work.iterdir():
            path.chmod(0o600)
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return final


def _dump(database_url: str, target: Path) -> dict:
    """Dump the database and count its rows in the same snapshot."""
    pg_dump = pg_binary("pg_dump", database_url)
    import psycopg
    with connect(database_url) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.transaction():
            snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
            counts = row_counts(conn)
            files = stored_files(conn)
            revision = _revision(conn)
            server = conn.execute("SHOW server_version").fetchone()[0]
            database = conn.info.dbname
            args, env = client_env(database_url)
            result = subprocess.run([str(pg_dump), "--format=custom", "--no-password",
                                     f"--snapshot={snapshot}", f"--file={target}", *args],
                                    capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    return {"database": database, "postgresql": server, "pg_dump": str(pg_dump),
            "revision": revision, "row_counts": counts, "stored_files": files}


def _tar_uploads(upload_dir: Path, target: Path) -> dict[str, str]:
    files = upload_files(upload_dir)
    with tarfile.open(target, "w") as tar:
        for name in files:
            tar.add(upload_dir / name, arcname=name, recursive=False)
    # A file replaced while the tar was written would not match its listed checksum.
    with tarfile.open(target) as tar:
        for member in tar.getmembers():
            digest = hashlib.sha256()
            with tar.extractfile(member) as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
            files[member.name] = digest.hexdigest()
    return files


def _revision(conn) -> str | None:
    if "alembic_version" not in table_names(conn):
        return None
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None
