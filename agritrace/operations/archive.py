"""What backups and restores share: the backup folder, its manifest and checksums,
and the PostgreSQL connections and client binaries both sides use.

    backups/agritrace-20261124T211500Z/
        database.dump    pg_dump of the whole database (schema, data, PostGIS geometries),
                         uploaded files included (stored_files, migration 0013)
        uploads.tar      what is left under UPLOAD_DIR (files from before uploads moved
                         into the database, until `flask files import`), relative paths
        manifest.json    created_at, migration revision, row counts, sha256 of every file
                         of the folder and of every stored file
"""
from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

FORMAT = 1
DUMP = "database.dump"
UPLOADS = "uploads.tar"
MANIFEST = "manifest.json"


class BackupError(RuntimeError):
    """A backup that cannot be made, or a restore that was refused or failed."""


# --- connections and PostgreSQL binaries --------------------------------------

def conninfo(url: str) -> dict:
    """libpq parameters of an SQLAlchemy or libpq URL."""
    from psycopg.conninfo import conninfo_to_dict
    return conninfo_to_dict(re.sub(r"^postgresql\+\w+://", "postgresql://", url))


def connect(url: str, **kwargs):
    import psycopg
    return psycopg.connect(**conninfo(url), **kwargs)


def with_database(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + f"/{name}"


def client_env(url: str) -> tuple[list[str], dict]:
    """Connection arguments for pg_dump/pg_restore; the password goes through the
    environment so that it never shows in the process list."""
    info = conninfo(url)
    env = dict(os.environ)
    if info.get("password"):
        env["PGPASSWORD"] = str(info.pop("password"))
    from psycopg.conninfo import make_conninfo
    return ["--dbname", make_conninfo(**info)], env


def _server_major(url: str) -> int:
    with connect(url) as conn:
        return int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000


def _client_major(binary: Path) -> int:
    out = subprocess.run([str(binary), "--version"], capture_output=True, text=True).stdout
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    return int(match.group(1)) if match else 0


def pg_binary(name: str, url: str) -> Path:
    """`pg_dump` or `pg_restore` of the server's major version (Debian keeps one set per
    version under /usr/lib/postgresql, off PATH); else the newest installed one that is
    not older than the server, since an older pg_dump refuses a newer server."""
    major = _server_major(url)
    candidates = [Path(p) for p in glob.glob(f"/usr/lib/postgresql/*/bin/{name}")]
    if os.environ.get("PG_BINDIR"):
        candidates.insert(0, Path(os.environ["PG_BINDIR"]) / name)
    on_path = shutil.which(name)
    if on_path:
        candidates.append(Path(on_path))
    versions = {path: _client_major(path) for path in candidates if path.exists()}
    for path, version in versions.items():
        if version == major:
            return path
    newer = sorted((v, str(p)) for p, v in versions.items() if v > major)
    if newer:
        return Path(newer[0][1])
    raise BackupError(f"No {name} for PostgreSQL {major} found: install postgresql-client-"
                      f"{major}, or set PG_BINDIR to the folder that holds it.")


# --- what a database and an upload folder hold ----------------------------------

TABLES_SQL = """
    SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind = 'r'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                      AND d.objid = c.oid AND d.deptype = 'e')
    ORDER BY c.relname"""


def table_names(conn) -> list[str]:
    """The project's tables (PostGIS's own, such as spatial_ref_sys, belong to the
    extension and come back with it)."""
    return [row[0] for row in conn.execute(TABLES_SQL)]


def row_counts(conn) -> dict[str, int]:
    return {name: conn.execute(f'SELECT count(*) FROM public."{name}"').fetchone()[0]
            for name in table_names(conn)}


STORED_FILES_SQL = """
    SELECT f.name, f.sha256, f.size_bytes = coalesce(sum(length(c.data)), 0)
    FROM stored_files f LEFT JOIN stored_file_chunks c ON c.file_id = f.id
    GROUP BY f.id ORDER BY f.name"""


def stored_files(conn) -> dict[str, str | None]:
    """sha256 of every file kept in the database, by name; a file whose chunks do not
    add up to its size is listed as None (length() of a chunk reads no data)."""
    if "stored_files" not in table_names(conn):
        return {}
    return {name: digest if whole else None
            for name, digest, whole in conn.execute(STORED_FILES_SQL)}


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def upload_files(upload_dir: Path) -> dict[str, str]:
    """sha256 of every regular file under upload_dir, by path relative to it."""
    if not upload_dir.is_dir():
        return {}
    return {path.relative_to(upload_dir).as_posix(): sha256(path)
            for path in sorted(upload_dir.rglob("*")) if path.is_file()}


# --- checking a backup -------------------------------------------------------------

def read_manifest(path: Path | str) -> dict:
    path = Path(path)
    if not (path / MANIFEST).is_file():
        raise BackupError(f"{path} is not a backup: it has no {MANIFEST}.")
    try:
        manifest = json.loads((path / MANIFEST).read_text())
    except ValueError as exc:
        raise BackupError(f"{path / MANIFEST} is damaged: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path} was written by an unknown backup format "
                          f"({manifest.get('format')!r}).")
    return manifest


def verify(path: Path | str, database_url: str | None = None,
           upload_dir: Path | str | None = None) -> dict:
    """Check a backup's files against its manifest and that pg_restore can read the
    dump; with database_url and/or upload_dir, also that they hold what the backup
    holds. Return the manifest; raise BackupError naming every difference."""
    path = Path(path)
    manifest = read_manifest(path)
    for name, expected in manifest["files"].items():
        if not (path / name).is_file():
            raise BackupError(f"The backup is incomplete: {name} is missing.")
        if sha256(path / name) != expected:
            raise BackupError(f"The backup is damaged: {name} does not match the checksum "
                              "in its manifest (truncated or altered). Use another backup.")
    if database_url:
        check_dump(pg_binary("pg_restore", database_url), path / DUMP)
        with connect(database_url) as conn:
            found = row_counts(conn)
            kept = stored_files(conn)
        problems = [f"{table}: {found.get(table, 'missing')} rows, backup has {count}"
                    for table, count in manifest["row_counts"].items()
                    if found.get(table) != count]
        problems += [f"stored file {name} differs" for name, digest
                     in manifest.get("stored_files", {}).items() if kept.get(name) != digest]
        if problems:
            raise BackupError("The database does not match the backup: "
                              + "; ".join(problems))
    if upload_dir is not None:
        found = upload_files(Path(upload_dir))
        problems = [name for name, digest in manifest["uploads"].items()
                    if found.get(name) != digest]
        if problems:
            raise BackupError(f"{len(problems)} uploaded files differ from the backup, "
                              f"e.g. {problems[0]}.")
    return manifest


def check_dump(pg_restore: Path, dump: Path) -> None:
    """pg_restore reads the dump's table of contents: a file that is not a custom-format
    dump, or whose header is cut, fails here (data cut short fails in the restore's
    single transaction)."""
    listing = subprocess.run([str(pg_restore), "--list", str(dump)],
                             capture_output=True, text=True)
    if listing.returncode != 0:
        raise BackupError(f"The dump cannot be read: {listing.stderr.strip()}")
