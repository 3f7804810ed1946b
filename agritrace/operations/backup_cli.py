"""`flask backup create|restore|verify`: backups of the database and the uploads."""
from __future__ import annotations

import json
import re

import click
from flask import current_app
from flask.cli import AppGroup

from .archive import MANIFEST, BackupError, verify
from .backup import make_backup
from .restore import create_database, drop_database, restore_backup

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
               f"{len(manifest['row_counts'])} tables ({len(manifest['stored_files'])} "
               f"stored files among them), {len(manifest['uploads'])} files from UPLOAD_DIR, "
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
