"""Restores of a backup folder (see backup.py): the files are checked against the
manifest before anything is touched, the database is restored in one transaction (a
damaged dump changes nothing), then the uploads are added, then the counts compared.
"""
from __future__ import annotations

import shutil
import subprocess
import tarfile
from pathlib import Path

from .archive import (DUMP, UPLOADS, BackupError, check_dump, client_env, conninfo, connect,
                      pg_binary, row_counts, sha256, table_names, verify, with_database)

# Tables whose rows an empty, freshly migrated database already has.
BOOKKEEPING = {"alembic_version", "map_versions"}


def create_database(name: str, server_url: str) -> str:
    """Create an empty database `name` on the server of server_url; refuse if it
    exists, so that a restore under a new name never overwrites anything."""
    with connect(with_database(server_url, "postgres"), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            raise BackupError(f"Database {name} already exists: choose a new name, or "
                              "restore into the configured database with FORCE=1.")
        conn.execute(f'CREATE DATABASE "{name}"')
    return with_database(server_url, name)


def drop_database(url: str) -> None:
    name = conninfo(url)["dbname"]
    with connect(with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def restore_backup(path: Path | str, database_url: str, *, upload_dir: Path | str,
                   force: bool = False, echo=lambda message: None) -> dict:
    """Restore a backup into database_url, then its uploads into upload_dir.

    Refuses, before anything is written, a damaged backup, a database that already
    has rows (unless force), and an upload whose name is taken by different bytes
    (unless force). Uploaded files are only ever added: photo names are never reused,
    so a file not in the backup is one uploaded later and is left alone.
    """
    path, upload_dir = Path(path), Path(upload_dir)
    manifest = verify(path)
    pg_restore = pg_binary("pg_restore", database_url)
    check_dump(pg_restore, path / DUMP)
    echo(f"Backup {path.name}: {manifest['created_at']}, revision {manifest['revision']}, "
         f"{sum(manifest['row_counts'].values()):,} rows, "
         f"{len(manifest.get('stored_files', {}))} stored files, "
         f"{len(manifest['uploads'])} files from UPLOAD_DIR.")
    with connect(database_url) as conn:
        existing = table_names(conn)
        counts = row_counts(conn)
        target = conn.info.dbname
    filled = {t: n for t, n in counts.items() if n and t not in BOOKKEEPING}
    if filled and not force:
        raise BackupError(f"Database {target} already has data ({sum(filled.values()):,} "
                          f"rows in {len(filled)} tables): nothing was restored. Restore "
                          "into a new database (RESTORE_DB=name), or overwrite it with "
                          "FORCE=1.")
    clashes = [name for name, digest in manifest["uploads"].items()
               if (upload_dir / name).exists() and sha256(upload_dir / name) != digest]
    if clashes and not force:
        raise BackupError(f"{len(clashes)} files in {upload_dir} differ from the backup's, "
                          f"e.g. {clashes[0]}: nothing was restored. Use FORCE=1 to "
                          "replace them.")

    args, env = client_env(database_url)
    # One transaction: a dump that breaks off half-way leaves the database as it was.
    # --clean drops the objects the dump recreates; --no-owner makes the restoring
    # user own them, so that a dump moves between servers with other role names.
    command = [str(pg_restore), "--single-transaction", "--exit-on-error", "--no-owner",
               "--no-password", *(["--clean", "--if-exists"] if existing else []),
               *args, str(path / DUMP)]
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise BackupError(f"The restore failed and was rolled back; database {target} is "
                          f"unchanged. pg_restore said: {result.stderr.strip()[-1500:]}")
    echo(f"Database {target} restored "
         f"({'replaced the previous contents' if filled else 'was empty'}).")

    added = _extract_uploads(path / UPLOADS, upload_dir, manifest["uploads"])
    echo(f"Uploads: {added} files written to {upload_dir}, "
         f"{len(manifest['uploads']) - added} already there.")
    verify(path, database_url, upload_dir)
    echo(f"Verified: every table's row count, every stored file and every upload "
         f"match the backup "
         f"({len(manifest['row_counts'])} tables).")
    return manifest


def _extract_uploads(tar_path: Path, upload_dir: Path, expected: dict[str, str]) -> int:
    """Write the tar's files that are missing or different; return how many."""
    added = 0
    upload_dir.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tar_path) as tar:
        for member in tar.getmembers():
            target = upload_dir / member.name
            if target.is_file() and sha256(target) == expected.get(member.name):
                continue
            # The "data" filter refuses absolute paths, links out of the folder and
            # device files, should a tar not of our making be handed in.
            member = tarfile.data_filter(member, str(upload_dir))
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".restoring")
            with tar.extractfile(member) as source, open(partial, "wb") as handle:
                shutil.copyfileobj(source, handle)
            partial.replace(target)
            added += 1
    return added
