"""Backups: the database as a `pg_dump --format=custom`, the uploaded files as a tar,
and a manifest to check both against, in one timestamped folder.

    backups/agritrace-20261124T211500Z/
        database.dump    pg_dump of the whole database (schema, data, PostGIS geometries)
        uploads.tar      UPLOAD_DIR (product photos …), relative paths
        manifest.json    created_at, migration revision, row counts, sha256 of every file

The dump and the row counts come from one snapshot, so the counts are exactly what
the dump holds even while the app keeps writing. A restore checks the files against
the manifest before it touches anything, restores the database in one transaction
(a damaged dump changes nothing), then adds the uploads, then compares the counts.
"""
from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from . import localdb

FORMAT = 1
DUMP = "database.dump"
UPLOADS = "uploads.tar"
MANIFEST = "manifest.json"
# Tables whose rows an empty, freshly migrated database already has.
BOOKKEEPING = {"alembic_version"}


class BackupError(RuntimeError):
    """A backup that cannot be made, or a restore that was refused or failed."""


# --- connections and PostgreSQL binaries --------------------------------------

def _conninfo(url: str) -> dict:
    """libpq parameters of an SQLAlchemy or libpq URL."""
    from psycopg.conninfo import conninfo_to_dict
    return conninfo_to_dict(re.sub(r"^postgresql\+\w+://", "postgresql://", url))


def _connect(url: str, **kwargs):
    import psycopg
    return psycopg.connect(**_conninfo(url), **kwargs)


def _with_database(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + f"/{name}"


def _client_env(url: str) -> tuple[list[str], dict]:
    """Connection arguments for pg_dump/pg_restore; the password goes through the
    environment so that it never shows in the process list."""
    info = _conninfo(url)
    env = dict(os.environ)
    if info.get("password"):
        env["PGPASSWORD"] = str(info.pop("password"))
    from psycopg.conninfo import make_conninfo
    return ["--dbname", make_conninfo(**info)], env


def _server_major(url: str) -> int:
    with _connect(url) as conn:
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


# --- what a database holds ------------------------------------------------------

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


def _revision(conn) -> str | None:
    if "alembic_version" not in table_names(conn):
        return None
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _upload_files(upload_dir: Path) -> dict[str, str]:
    """sha256 of every regular file under upload_dir, by path relative to it."""
    if not upload_dir.is_dir():
        return {}
    return {path.relative_to(upload_dir).as_posix(): _sha256(path)
            for path in sorted(upload_dir.rglob("*")) if path.is_file()}


# --- backup --------------------------------------------------------------------

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
                        files={name: _sha256(work / name) for name in (DUMP, UPLOADS)})
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
    with _connect(database_url) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.transaction():
            snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
            counts = row_counts(conn)
            revision = _revision(conn)
            server = conn.execute("SHOW server_version").fetchone()[0]
            database = conn.info.dbname
            args, env = _client_env(database_url)
            result = subprocess.run([str(pg_dump), "--format=custom", "--no-password",
                                     f"--snapshot={snapshot}", f"--file={target}", *args],
                                    capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    return {"database": database, "postgresql": server, "pg_dump": str(pg_dump),
            "revision": revision, "row_counts": counts}


def _tar_uploads(upload_dir: Path, target: Path) -> dict[str, str]:
    files = _upload_files(upload_dir)
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


# --- verify --------------------------------------------------------------------

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
        if _sha256(path / name) != expected:
            raise BackupError(f"The backup is damaged: {name} does not match the checksum "
                              "in its manifest (truncated or altered). Use another backup.")
    if database_url:
        _check_dump(pg_binary("pg_restore", database_url), path / DUMP)
        with _connect(database_url) as conn:
            found = row_counts(conn)
        problems = [f"{table}: {found.get(table, 'missing')} rows, backup has {count}"
                    for table, count in manifest["row_counts"].items()
                    if found.get(table) != count]
        if problems:
            raise BackupError("The database does not match the backup: "
                              + "; ".join(problems))
    if upload_dir is not None:
        found = _upload_files(Path(upload_dir))
        problems = [name for name, digest in manifest["uploads"].items()
                    if found.get(name) != digest]
        if problems:
            raise BackupError(f"{len(problems)} uploaded files differ from the backup, "
                              f"e.g. {problems[0]}.")
    return manifest


def _check_dump(pg_restore: Path, dump: Path) -> None:
    """pg_restore reads the dump's table of contents: a file that is not a custom-format
    dump, or whose header is cut, fails here (data cut short fails in the restore's
    single transaction)."""
    listing = subprocess.run([str(pg_restore), "--list", str(dump)],
                             capture_output=True, text=True)
    if listing.returncode != 0:
        raise BackupError(f"The dump cannot be read: {listing.stderr.strip()}")


# --- restore -------------------------------------------------------------------

def create_database(name: str, server_url: str) -> str:
    """Create an empty database `name` on the server of server_url; refuse if it
    exists, so that a restore under a new name never overwrites anything."""
    with _connect(_with_database(server_url, "postgres"), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            raise BackupError(f"Database {name} already exists: choose a new name, or "
                              "restore into the configured database with FORCE=1.")
        conn.execute(f'CREATE DATABASE "{name}"')
    return _with_database(server_url, name)


def drop_database(url: str) -> None:
    name = _conninfo(url)["dbname"]
    with _connect(_with_database(url, "postgres"), autocommit=True) as conn:
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
    _check_dump(pg_restore, path / DUMP)
    echo(f"Backup {path.name}: {manifest['created_at']}, revision {manifest['revision']}, "
         f"{sum(manifest['row_counts'].values()):,} rows, {len(manifest['uploads'])} uploads.")
    with _connect(database_url) as conn:
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
               if (upload_dir / name).exists() and _sha256(upload_dir / name) != digest]
    if clashes and not force:
        raise BackupError(f"{len(clashes)} files in {upload_dir} differ from the backup's, "
                          f"e.g. {clashes[0]}: nothing was restored. Use FORCE=1 to "
                          "replace them.")

    args, env = _client_env(database_url)
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
    echo(f"Verified: every table's row count and every upload match the backup "
         f"({len(manifest['row_counts'])} tables).")
    return manifest


def _extract_uploads(tar_path: Path, upload_dir: Path, expected: dict[str, str]) -> int:
    """Write the tar's files that are missing or different; return how many."""
    added = 0
    upload_dir.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tar_path) as tar:
        for member in tar.getmembers():
            target = upload_dir / member.name
            if target.is_file() and _sha256(target) == expected.get(member.name):
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


# --- Flask CLI -------------------------------------------------------------------

backup_cli = AppGroup("backup", help="Backups of the database and uploads, and restores.")


@backup_cli.command("create")
@click.option("--dest", type=click.Path(file_okay=False),
              help="Folder for the backup (default: BACKUP_DIR, else backups/).")
def create_command(dest):
    """Back up the database and the uploaded files into a new timestamped folder."""
    try:
        folder = make_backup(dest)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    manifest = json.loads((folder / MANIFEST).read_text())
    size = sum(p.stat().st_size for p in folder.iterdir())
    click.echo(f"Backup written to {folder}: revision {manifest['revision']}, "
               f"{sum(manifest['row_counts'].values()):,} rows in "
               f"{len(manifest['row_counts'])} tables, {len(manifest['uploads'])} uploads, "
               f"{size / 1e6:.1f} MB.")


@backup_cli.command("restore")
@click.argument("path", type=click.Path(exists=True, file_okay=False))
@click.option("--force", is_flag=True, help="Overwrite a database that already has data.")
@click.option("--into", "new_database",
              help="Restore into this new database on the same server instead.")
def restore_command(path, force, new_database):
    """Restore a backup folder: the database, then the uploads; then verify."""
    url = current_app.config["DATABASE_URL"]
    try:
        if new_database:
            verify(path)
            url = create_database(new_database, url)
            click.echo(f"Created database {new_database}.")
        try:
            restore_backup(path, url, upload_dir=current_app.config["UPLOAD_DIR"],
                           force=force, echo=click.echo)
        except BackupError:
            if new_database:
                drop_database(url)  # it was made for this restore and holds nothing else
                click.echo(f"Dropped database {new_database} again.")
            raise
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    if new_database:
        click.echo(f"To use it: DATABASE_URL={_safe(url)}")


@backup_cli.command("verify")
@click.argument("path", type=click.Path(exists=True, file_okay=False))
def verify_command(path):
    """Check a backup's files against its manifest."""
    try:
        manifest = verify(path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{path}: intact (created {manifest['created_at']}, "
               f"revision {manifest['revision']}).")


def _safe(url: str) -> str:
    """The URL without its password, for printing."""
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:…@", url)
